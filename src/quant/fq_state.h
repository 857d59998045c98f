/* Internal to src/quant: where an activation fake-quant node keeps its observer in g->state
 * (from node->offset), and the floor of learned values. */
#ifndef QAT_FQ_STATE_H
#define QAT_FQ_STATE_H

/* The observed range and the steps observed; a learned node (LSQ, PACT) has one more
 * value: 1 once learning started (qat_qmodel_learn_init). A learned weight fake-quant keeps
 * only that flag. */
enum { OBS_LO, OBS_HI, OBS_STEPS, OBS_SIZE, OBS_LEARNING = OBS_SIZE };

/* The smallest learned step or clipping value used (a step the optimiser drove to 0 or
 * below would divide by zero). */
#define MIN_LEARNED 1e-8f

#endif
