/* The pruning mask as a graph op: y = w ⊙ mask, dw += dy ⊙ mask (the mask lives in g->state;
 * src/prune/ decides it). */
#include <string.h>

#include "op_impl.h"
#include "qat/ops.h"

int qat_mask(qat_graph *g, const char *name, int w, int block) {
    if (w < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *W = &g->nodes[w];
    int ndim = W->ndim, dim[QAT_MAX_DIM];
    memcpy(dim, W->dim, sizeof dim);
    int id = qat_op_node(g, QAT_OP_MASK, name, 1, &w, ndim, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    n->batched = 0;
    QAT_NODE_PARAMS(qat_mask_params, n, QAT_OP_MASK)->block = block;
    n->offset = qat_graph_state(g, n->size);
    return id;
}

void qat_mask_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    (void)p;
    const float *w = qat_in(g, n, 0)->val, *mask = g->state + n->offset;
    for (size_t i = 0; i < n->size; i++) n->val[i] = w[i] * mask[i];
}

void qat_mask_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    (void)p;
    float *dw = qat_in(g, n, 0)->grad;
    const float *mask = g->state + n->offset;
    for (size_t i = 0; i < n->size; i++) dw[i] += n->grad[i] * mask[i];
}

int qat_mask_block(const qat_node *n) {
    int b = QAT_NODE_PARAMS_CONST(qat_mask_params, n, QAT_OP_MASK)->block;
    return b > 1 ? b : 1;
}
