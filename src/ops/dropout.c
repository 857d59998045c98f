/* Inverted dropout: in training each element is kept with probability 1 − rate and
 * scaled by 1/(1 − rate), so inference is the identity. The mask (0 or the scale) is kept
 * for backward: dx += dy · mask. Draws come from the pass's seeded stream. */
#include <string.h>

#include "op_impl.h"
#include "qat/ops.h"

int qat_dropout(qat_graph *g, const char *name, int x, double rate) {
    if (x < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x];
    QAT_ASSERT(rate >= 0 && rate < 1);
    int ndim = X->ndim, dim[QAT_MAX_DIM];
    memcpy(dim, X->dim, sizeof dim);
    int id = qat_op_node(g, QAT_OP_DROPOUT, name, 1, &x, ndim, dim);
    if (id < 0) return -1;
    QAT_NODE_PARAMS(qat_dropout_params, &g->nodes[id], QAT_OP_DROPOUT)->rate = rate;
    g->nodes[id].aux_sample = g->nodes[id].size * sizeof(float);
    return id;
}

void qat_dropout_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const float *x = qat_in(g, n, 0)->val;
    float *mask = (float *)n->aux;
    size_t len = qat_node_len(n, p->batch);
    double rate = QAT_NODE_PARAMS(qat_dropout_params, n, QAT_OP_DROPOUT)->rate;
    float keep = (float)(1.0 / (1.0 - rate));
    for (size_t i = 0; i < len; i++) {
        mask[i] = (!p->training || rate == 0) ? 1.0f : (qat_rng_uniform(p->rng) < rate ? 0 : keep);
        n->val[i] = x[i] * mask[i];
    }
}

void qat_dropout_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    float *dx = qat_in(g, n, 0)->grad;
    const float *mask = (const float *)n->aux;
    size_t len = qat_node_len(n, p->batch);
    for (size_t i = 0; i < len; i++) dx[i] += n->grad[i] * mask[i];
}
