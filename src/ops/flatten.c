/* Flatten: (T, C) → (T·C) in row-major order, as Keras' Flatten on channels-last data
 * (and TFLite's RESHAPE). A copy both ways: cheap at these sizes, and it keeps every node
 * the sole owner of its buffers. */
#include <string.h>

#include "op_impl.h"
#include "qat/ops.h"

int qat_flatten(qat_graph *g, const char *name, int x) {
    if (x < 0) return -1; /* an earlier builder ran out of memory */
    int dim[1] = {(int)g->nodes[x].size};
    return qat_op_node(g, QAT_OP_FLATTEN, name, 1, &x, 1, dim);
}

void qat_flatten_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    memcpy(n->val, qat_in(g, n, 0)->val, qat_node_len(n, p->batch) * sizeof(float));
}

void qat_flatten_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    float *dx = qat_in(g, n, 0)->grad;
    size_t len = qat_node_len(n, p->batch);
    for (size_t i = 0; i < len; i++) dx[i] += n->grad[i];
}
