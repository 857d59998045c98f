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

qat_status qat_test_qmodel(const qat_config *c, int batch, unsigned seed, qat_model *fm,
                           qat_qmodel *qm) {
    qat_error e;
    qat_status st = qat_model_build(fm, c->layers, c->n_layers, 50, 3, 3, batch, &e);
    if (st) return st;
    qat_rng r;
    qat_rng_seed(&r, seed, QAT_STREAM_INIT);
    qat_model_init(fm, &r);
    if ((st = qat_qmodel_build(qm, fm, &c->quant, batch, &e))) {
        qat_model_free(fm);
        return st;
    }
    qat_graph *g = &qm->m.g;
    for (int i = 0; i < batch * 150; i++) g->nodes[qm->m.input].val[i] = 3 * (float)qat_rng_uniform(&r) - 1;
    qat_pass cal = {.batch = batch, .calibrate = 1};
    qat_graph_forward(g, &cal, qm->m.logits + 1);
    return QAT_OK;
}
