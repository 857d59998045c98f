#include "stacks.h"

#include <string.h>

void qat_test_lesson_bn_relu6(qat_config *c, double bn_momentum) {
    qat_config_defaults(c);
    qat_layer_spec bn = {.name = "bn1", .kind = QAT_LAYER_BATCHNORM, .momentum = bn_momentum,
                         .epsilon = 1e-3};
    qat_layer_spec r6 = {.name = "act1", .kind = QAT_LAYER_RELU6};
    c->layers[0].activation = QAT_ACT_NONE;
    memmove(&c->layers[3], &c->layers[1], (size_t)(c->n_layers - 1) * sizeof c->layers[0]);
    c->layers[1] = bn;
    c->layers[2] = r6;
    c->n_layers += 2;
}
