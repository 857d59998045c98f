/* Global average pooling (Keras' GlobalAveragePooling1D/2D): (T, C) or (H, W, C) → (C),
 * the mean of each channel over all P positions of a sample.
 *   y[c] = (1/P) Σ_p x[p, c]        dx[p, c] += dy[c] / P */
#include <string.h>

#include "op_impl.h"
#include "qat/ops.h"

int qat_global_avgpool(qat_graph *g, const char *name, int x) {
    if (x < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x];
    QAT_ASSERT(X->ndim == 2 || X->ndim == 3);
    int dim[1] = {X->dim[X->ndim - 1]};
    return qat_op_node(g, QAT_OP_GLOBAL_AVGPOOL, name, 1, &x, 1, dim);
}

void qat_global_avgpool_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const qat_node *X = qat_in(g, n, 0);
    size_t C = n->size, P = X->size / C;
    for (int b = 0; b < p->batch; b++) {
        const float *x = X->val + (size_t)b * X->size;
        float *y = n->val + (size_t)b * C;
        memset(y, 0, C * sizeof(float));
        for (size_t q = 0; q < P; q++)
            for (size_t c = 0; c < C; c++) y[c] += x[q * C + c];
        for (size_t c = 0; c < C; c++) y[c] /= (float)P;
    }
}

void qat_global_avgpool_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    qat_node *X = qat_in(g, n, 0);
    if (!X->needs_grad) return;
    size_t C = n->size, P = X->size / C;
    for (int b = 0; b < p->batch; b++) {
        float *dx = X->grad + (size_t)b * X->size;
        const float *dy = n->grad + (size_t)b * C;
        for (size_t q = 0; q < P; q++)
            for (size_t c = 0; c < C; c++) dx[q * C + c] += dy[c] / (float)P;
    }
}
