/* Layer stacks several tests build. */
#ifndef QAT_TEST_STACKS_H
#define QAT_TEST_STACKS_H

#include "qat/config.h"

/* The lesson's config with its first block as conv1 (no activation) → bn1 → act1 (ReLU6):
 * the Conv1D + BatchNorm + ReLU6 form, layers 0..2, the rest shifted by two. */
void qat_test_lesson_bn_relu6(qat_config *c, double bn_momentum);

#endif
