/* Layer stacks several tests build. */
#ifndef QAT_TEST_STACKS_H
#define QAT_TEST_STACKS_H

#include "qat/config.h"
#include "qat/quant.h"

/* The lesson's config with its first block as conv1 (no activation) → bn1 → act1 (ReLU6):
 * the Conv1D + BatchNorm + ReLU6 form, layers 0..2, the rest shifted by two. */
void qat_test_lesson_bn_relu6(qat_config *c, double bn_momentum);

/* c's layer stack as a float model (window 50, 3 channels, 3 classes) initialised from seed,
 * and its fake-quant model for batches of `batch`, calibrated with min/max on `batch` random
 * inputs in [-1, 2) (left in its input node). QAT_OK or the first error. */
qat_status qat_test_qmodel(const qat_config *c, int batch, unsigned seed, qat_model *fm,
                           qat_qmodel *qm);

#endif
