/* Average pooling rounded as the int8 engine rounds it (quant.h: qat_fq_avgpool). The
 * window geometry is the pool node's own (qat_win2d_taps), so the cells summed here are the
 * ones the float pool averaged and the ones AVERAGE_POOL_2D sums. */
#include <string.h>

#include "../ops/op_impl.h"
#include "qat/int8.h"
#include "qat/ops.h"
#include "qat/quant.h"

int qat_fq_avgpool(qat_graph *g, const char *name, int pool, int in_fq) {
    if (pool < 0 || in_fq < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *P = &g->nodes[pool];
    QAT_ASSERT(P->op == QAT_OP_AVGPOOL2D || P->op == QAT_OP_GLOBAL_AVGPOOL);
    int ndim = P->ndim, dim[QAT_MAX_DIM];
    memcpy(dim, P->dim, sizeof dim);
    int in[2] = {pool, in_fq};
    /* in_fq's qparams are read, not differentiated: only the pool is an input for gradients */
    int id = qat_op_node(g, QAT_OP_FQ_AVGPOOL, name, 1, in, ndim, dim);
    if (id < 0) return -1;
    QAT_NODE_PARAMS(qat_fq_avgpool_params, &g->nodes[id], QAT_OP_FQ_AVGPOOL)->in_fq = in_fq;
    return id;
}

/* The pool's windows: its own params, or the whole (T, C) / (H, W, C) map as one window. */
static qat_win2d geometry(const qat_graph *g, const qat_node *P, int *C) {
    const qat_node *X = &g->nodes[P->in[0]];
    *C = P->dim[P->ndim - 1];
    if (P->op == QAT_OP_GLOBAL_AVGPOOL) {
        int cells = (int)(X->size / (size_t)*C);
        return (qat_win2d){cells, 1, cells, 1, 1, 1, 1, 1, 0, 0};
    }
    const qat_pool2d_params *pp = QAT_NODE_PARAMS_CONST(qat_pool2d_params, P, QAT_OP_AVGPOOL2D);
    return (qat_win2d){X->dim[0],    X->dim[1],    pp->pool_h,  pp->pool_w, P->dim[0],
                       P->dim[1],    pp->stride_h, pp->stride_w, pp->pad_top, pp->pad_left};
}

void qat_fq_avgpool_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const qat_node *P = qat_in(g, n, 0), *X = &g->nodes[P->in[0]];
    int in_fq = QAT_NODE_PARAMS(qat_fq_avgpool_params, n, QAT_OP_FQ_AVGPOOL)->in_fq;
    const qat_fake_quant_params *fq =
        QAT_NODE_PARAMS_CONST(qat_fake_quant_params, &g->nodes[in_fq], QAT_OP_FAKE_QUANT);
    float s;
    int32_t z;
    if (p->calibrate || !qat_fq_act_grid(g, in_fq, &s, &z)) {
        memcpy(n->val, P->val, qat_node_len(n, p->batch) * sizeof(float));
        return;
    }
    int C;
    qat_win2d w = geometry(g, P, &C);
    float *y = n->val;
    for (int b = 0; b < p->batch; b++) {
        const float *x = X->val + (size_t)b * X->size;
        for (int i = 0; i < w.HO; i++)
            for (int j = 0; j < w.WO; j++, y += C) {
                qat_taps t = qat_win2d_taps(&w, i, j);
                int32_t count = (t.u1 - t.u0) * (t.v1 - t.v0);
                for (int c = 0; c < C; c++) {
                    int32_t acc = 0;
                    for (int u = t.u0; u < t.u1; u++)
                        for (int v = t.v0; v < t.v1; v++) {
                            float xv = x[((size_t)(t.r0 + u) * w.W + (size_t)(t.c0 + v)) * C + c];
                            acc += qat_quantize_float(xv, s, z, fq->qmin, fq->qmax);
                        }
                    y[c] = (float)(qat_i8_average_round(acc, count) - z) * s;
                }
            }
    }
}

void qat_fq_avgpool_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    qat_node *P = qat_in(g, n, 0);
    size_t len = qat_node_len(n, p->batch);
    for (size_t i = 0; i < len; i++) P->grad[i] += n->grad[i];
}
