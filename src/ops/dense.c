/* Dense (fully connected): y = x · wᵀ + b with w as (O, I), TFLite's layout.
 *   dw += dyᵀ · x      db += Σ_rows dy      dx += dy · w */
#include "op_impl.h"
#include "qat/gemm.h"
#include "qat/ops.h"

int qat_dense(qat_graph *g, const char *name, int x, int w, int b) {
    if (x < 0 || w < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x], *W = &g->nodes[w];
    QAT_ASSERT(X->ndim == 1 && W->ndim == 2 && W->dim[1] == X->dim[0]);
    QAT_ASSERT(b < 0 || (g->nodes[b].ndim == 1 && g->nodes[b].dim[0] == W->dim[0]));
    int in[3] = {x, w, b}, dim[1] = {W->dim[0]};
    return qat_op_node(g, QAT_OP_DENSE, name, b >= 0 ? 3 : 2, in, 1, dim);
}

void qat_dense_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const qat_node *X = qat_in(g, n, 0), *W = qat_in(g, n, 1);
    int o = W->dim[0], i = W->dim[1];
    qat_gemm(&(qat_gemm_args){QAT_GEMM_N, QAT_GEMM_T, p->batch, o, i, X->val, i, W->val, i, 0,
                              n->val, o});
    if (n->n_in == 3) qat_bias_add(n->val, qat_in(g, n, 2)->val, p->batch, o);
}

void qat_dense_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    qat_node *X = qat_in(g, n, 0), *W = qat_in(g, n, 1);
    int o = W->dim[0], i = W->dim[1];
    if (W->needs_grad)
        qat_gemm(&(qat_gemm_args){QAT_GEMM_T, QAT_GEMM_N, o, i, p->batch, n->grad, o, X->val, i,
                                  1, W->grad, i});
    if (n->n_in == 3 && qat_in(g, n, 2)->needs_grad) {
        qat_bias_grad_add(qat_in(g, n, 2)->grad, n->grad, p->batch, o);
    }
    if (X->needs_grad)
        qat_gemm(&(qat_gemm_args){QAT_GEMM_N, QAT_GEMM_N, p->batch, i, o, n->grad, o, W->val, i,
                                  1, X->grad, i});
}
