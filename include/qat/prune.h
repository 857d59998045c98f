/* qatrain — magnitude pruning (TFMOT's prune_low_magnitude, made exact).
 *
 * A prunable kernel (conv1d / dense, never biases or batch norm) gets a mask node in the
 * graph: forward w ⊙ mask, backward dw += dy ⊙ mask. After every optimiser step the pruner
 * also zeroes the pruned weights and their optimiser moments, so a pruned weight is exactly
 * 0 in the float model, in QAT (whose fake-quant graph keeps the masks) and in the int8
 * file — the known TFMOT collaborative-optimisation bug, where QAT lets pruned weights
 * drift back, cannot happen. Masks live in the graph's state block (checkpoints carry them).
 *
 * Schedule (TFMOT PolynomialDecay): between begin_step and end_step, every `frequency`
 * steps, sparsity = final + (initial − final)·(1 − (step − begin)/(end − begin))^power;
 * each layer then keeps its largest-magnitude weights (ties: lower index kept), exactly
 * round(sparsity·size) pruned. With block > 1 (TFMOT's block_size, taken along the input
 * axis, which is contiguous in the .tflite) whole runs of `block` weights of an output row
 * are ranked by mean |w| and pruned together — long zero runs, which gzip encodes far more
 * cheaply than scattered zeros, and what block-sparse kernels want.
 * ConstantSparsity holds `final` from begin_step on.
 *
 * Unstructured sparsity makes a .tflite compress better, not smaller or faster: TFLite
 * stores and multiplies the zeros. `structured` removes whole conv filters / dense units
 * (lowest L1 norm) and physically shrinks the model instead. */
#ifndef QAT_PRUNE_H
#define QAT_PRUNE_H

#include "qat/model.h"
#include "qat/optim.h"

#define QAT_MAX_SWEEP 8

typedef enum qat_prune_schedule {
    QAT_PRUNE_POLYNOMIAL,
    QAT_PRUNE_CONSTANT,
    QAT_PRUNE_SCHEDULE_COUNT
} qat_prune_schedule;

typedef struct qat_prune_config {
    int enabled;                 /* prune a copy of the float model, then QAT it with its masks */
    qat_prune_schedule schedule;
    double initial_sparsity;     /* lesson: 0.30 */
    double final_sparsity;       /* lesson: 0.70 */
    long begin_step;             /* 0 */
    long end_step;               /* 0 = the last step of the pruning epochs */
    int frequency;               /* steps between mask updates (TFMOT: 100) */
    double power;                /* 3 */
    int epochs;                  /* fine-tuning with pruning (lesson: 20) */
    double lr;                   /* Adam (lesson: Keras default 1e-3) */
    int block;                   /* weights pruned together along an output row (1 = TFMOT default) */
    int structured;              /* remove whole filters / units instead */
    int n_sweep;                 /* extra final sparsities to run (lesson exercise: 0.5 0.7 0.9) */
    double sweep[QAT_MAX_SWEEP];
    char masks[512];             /* a mask file to start from and keep (no schedule); "" = none */
} qat_prune_config;

const char *qat_prune_schedule_name(qat_prune_schedule s);

/* The mask op itself is qat_mask (ops.h). */
/* The block size layer l is pruned with: its own prune_block, else the run's block. */
int qat_prune_block_of(const qat_layer_spec *l, const qat_prune_config *c);
/* Sets every mask node's mask to all-ones. */
void qat_prune_reset(qat_graph *g);

/* The schedule's target sparsity at optimiser step `step` (0-based), and whether the masks
 * are updated at that step. */
double qat_prune_sparsity_at(const qat_prune_config *c, long end_step, long step, int *update);
/* Recomputes each mask node's mask to keep the largest |w| (in the node's blocks) at
 * `sparsity`; -1 when memory runs out (masks then partly updated: the caller must treat the
 * run as failed). */
int qat_prune_update(qat_graph *g, double sparsity);
/* Zeroes pruned weights and their optimiser moments (o may be NULL). */
void qat_prune_enforce(qat_graph *g, qat_optim *o);
/* Pruned fraction over all mask nodes (and per node when per_node is non-NULL). */
double qat_prune_measured(const qat_graph *g);

/* Structured pruning: a new, smaller model (out, built here) in which every prunable
 * conv1d / dense layer but the last loses round(sparsity·units) filters / units of lowest
 * L1 norm (at least one kept); the kept weights, biases and batch-norm parameters and
 * statistics are copied, and each consumer's input columns trimmed to match. On failure
 * nothing is left built. */
qat_status qat_prune_structured(const qat_model *m, double sparsity, int max_batch, qat_model *out,
                                qat_error *e);

/* Mask files ("QATMASK1"): per mask node its name, shape and one bit per weight (1 = kept,
 * LSB first), CRC32 at the end; and a JSON summary of sparsity per layer. */
qat_status qat_mask_file_write(const qat_graph *g, const char *path, qat_error *e);
qat_status qat_mask_json_write(const qat_graph *g, const char *path, qat_error *e);
/* Loads masks into a graph with the same mask nodes (names and shapes), or explains which
 * layer differs; the graph is untouched on error. */
qat_status qat_mask_file_read(qat_graph *g, const char *path, qat_error *e);

#endif
