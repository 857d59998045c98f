/* Element-wise activations. ReLU: y = max(x, 0), dx += dy·[x > 0].
 * ReLU6: y = min(max(x, 0), 6), dx += dy·[0 < x < 6]. */
#include <math.h>
#include <string.h>

#include "op_impl.h"
#include "qat/ops.h"

static int unary(qat_graph *g, qat_op op, const char *name, int x) {
    if (x < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x];
    int ndim = X->ndim, dim[QAT_MAX_DIM];
    memcpy(dim, X->dim, sizeof dim);
    return qat_op_node(g, op, name, 1, &x, ndim, dim);
}

int qat_relu(qat_graph *g, const char *name, int x) {
    return unary(g, QAT_OP_RELU, name, x);
}

int qat_relu6(qat_graph *g, const char *name, int x) {
    return unary(g, QAT_OP_RELU6, name, x);
}

static void clamp_forward(qat_graph *g, qat_node *n, const qat_pass *p, float hi) {
    const float *x = qat_in(g, n, 0)->val;
    size_t len = qat_node_len(n, p->batch);
    for (size_t i = 0; i < len; i++) n->val[i] = x[i] > 0 ? (x[i] < hi ? x[i] : hi) : 0.0f;
}

static void clamp_backward(qat_graph *g, qat_node *n, const qat_pass *p, float hi) {
    qat_node *X = qat_in(g, n, 0);
    size_t len = qat_node_len(n, p->batch);
    for (size_t i = 0; i < len; i++)
        if (X->val[i] > 0 && X->val[i] < hi) X->grad[i] += n->grad[i];
}

void qat_relu_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    clamp_forward(g, n, p, INFINITY);
}

void qat_relu_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    clamp_backward(g, n, p, INFINITY);
}

void qat_relu6_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    clamp_forward(g, n, p, 6.0f);
}

void qat_relu6_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    clamp_backward(g, n, p, 6.0f);
}
