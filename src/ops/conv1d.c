/* Conv1D, stride 1, channels last, as im2col + one GEMM over the whole minibatch.
 *   col[(n,t), (k,c)] = x[n, t+k-pad, c]   (0 outside the signal)
 *   y = col · wᵀ + b          dw += dyᵀ · col      db += Σ_rows dy
 *   dcol = dy · w             dx[n, t+k-pad, c] += dcol[(n,t), (k,c)]
 * The weight layout (O, K, C) is TFLite's OHWI with H = 1, so export needs no transpose. */
#include <string.h>

#include "op_impl.h"
#include "qat/gemm.h"
#include "qat/ops.h"

int qat_conv1d(qat_graph *g, const char *name, int x, int w, int b, qat_padding pad) {
    if (x < 0 || w < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x], *W = &g->nodes[w];
    QAT_ASSERT(X->ndim == 2 && W->ndim == 3 && W->dim[2] == X->dim[1]);
    QAT_ASSERT(b < 0 || (g->nodes[b].ndim == 1 && g->nodes[b].dim[0] == W->dim[0]));
    int T = X->dim[0], C = X->dim[1], O = W->dim[0], K = W->dim[1];
    int tout = pad == QAT_PAD_VALID ? T - K + 1 : T;
    QAT_ASSERT(tout > 0);
    int in[3] = {x, w, b}, dim[2] = {tout, O};
    int id = qat_op_node(g, QAT_OP_CONV1D, name, b >= 0 ? 3 : 2, in, 2, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    *QAT_NODE_PARAMS(qat_conv1d_params, n, QAT_OP_CONV1D) =
        (qat_conv1d_params){pad == QAT_PAD_SAME ? (K - 1) / 2 : 0, pad};
    n->aux_sample = (size_t)tout * K * C * sizeof(float);
    qat_need_scratch(g, n->aux_sample);
    return id;
}

typedef struct geom {
    int T, C, O, K, tout, pad;
} geom;

static geom conv_geom(qat_graph *g, const qat_node *n) {
    const qat_node *X = qat_in(g, n, 0), *W = qat_in(g, n, 1);
    const qat_conv1d_params *cp = QAT_NODE_PARAMS_CONST(qat_conv1d_params, n, QAT_OP_CONV1D);
    return (geom){X->dim[0], X->dim[1], W->dim[0], W->dim[1], n->dim[0], cp->pad_left};
}

static void im2col(const geom *s, int batch, const float *x, float *col) {
    size_t kc = (size_t)s->K * s->C;
    for (int b = 0; b < batch; b++)
        for (int t = 0; t < s->tout; t++) {
            float *row = col + ((size_t)b * s->tout + t) * kc;
            int t0 = t - s->pad, k0 = t0 < 0 ? -t0 : 0, k1 = s->T - t0;
            if (k1 > s->K) k1 = s->K;
            if (k0 > 0 || k1 < s->K) memset(row, 0, kc * sizeof(float)); /* edge rows only */
            if (k1 > k0)
                memcpy(row + (size_t)k0 * s->C, x + ((size_t)b * s->T + t0 + k0) * s->C,
                       (size_t)(k1 - k0) * s->C * sizeof(float));
        }
}

static void col2im_add(const geom *s, int batch, const float *dcol, float *dx) {
    size_t kc = (size_t)s->K * s->C;
    for (int b = 0; b < batch; b++)
        for (int t = 0; t < s->tout; t++) {
            const float *row = dcol + ((size_t)b * s->tout + t) * kc;
            int t0 = t - s->pad, k0 = t0 < 0 ? -t0 : 0, k1 = s->T - t0;
            if (k1 > s->K) k1 = s->K;
            float *dst = dx + ((size_t)b * s->T + t0 + k0) * s->C;
            const float *src = row + (size_t)k0 * s->C;
            for (int i = 0; i < (k1 - k0) * s->C; i++) dst[i] += src[i];
        }
}

void qat_conv1d_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    geom s = conv_geom(g, n);
    float *col = (float *)n->aux;
    im2col(&s, p->batch, qat_in(g, n, 0)->val, col);
    int m = p->batch * s.tout, kc = s.K * s.C;
    qat_gemm(&(qat_gemm_args){QAT_GEMM_N, QAT_GEMM_T, m, s.O, kc, col, kc,
                              qat_in(g, n, 1)->val, kc, 0, n->val, s.O});
    if (n->n_in == 3) qat_bias_add(n->val, qat_in(g, n, 2)->val, m, s.O);
}

void qat_conv1d_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    geom s = conv_geom(g, n);
    int m = p->batch * s.tout, kc = s.K * s.C;
    const float *col = (const float *)n->aux;
    qat_node *X = qat_in(g, n, 0), *W = qat_in(g, n, 1);
    if (W->needs_grad)
        qat_gemm(&(qat_gemm_args){QAT_GEMM_T, QAT_GEMM_N, s.O, kc, m, n->grad, s.O, col, kc,
                                  1, W->grad, kc});
    if (n->n_in == 3 && qat_in(g, n, 2)->needs_grad) {
        qat_bias_grad_add(qat_in(g, n, 2)->grad, n->grad, m, s.O);
    }
    if (X->needs_grad) {
        float *dcol = (float *)g->scratch;
        qat_gemm(&(qat_gemm_args){QAT_GEMM_N, QAT_GEMM_N, m, kc, s.O, n->grad, s.O, W->val, kc,
                                  0, dcol, kc});
        col2im_add(&s, p->batch, dcol, X->grad);
    }
}
