/* Conv2D, channels last, dilation 1, as im2col + one GEMM over the whole minibatch (as
 * conv1d.c), rows (n, i, j) and columns (u, v, c):
 *   col[(n,i,j), (u,v,c)] = x[n, i·sh+u−pt, j·sw+v−pl, c]   (0 outside the image)
 *   y = col · wᵀ + b          dw += dyᵀ · col      db += Σ_rows dy
 *   dcol = dy · w             dx[n, i·sh+u−pt, j·sw+v−pl, c] += dcol[(n,i,j), (u,v,c)]
 * The weight layout (O, KH, KW, C) is TFLite's OHWI, so export needs no transpose. A 1×1
 * kernel at stride 1 has col = x: it skips im2col and adds dcol straight into dx. */
#include <string.h>

#include "op_impl.h"
#include "qat/gemm.h"
#include "qat/ops.h"

typedef struct geom {
    qat_win2d win;
    int C, O;
} geom;

static int pointwise(const qat_win2d *s) {
    return s->KH == 1 && s->KW == 1 && s->sh == 1 && s->sw == 1;
}

int qat_conv2d(qat_graph *g, const char *name, int x, int w, int b, const qat_conv2d_params *p) {
    if (x < 0 || w < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x], *W = &g->nodes[w];
    QAT_ASSERT(X->ndim == 3 && W->ndim == 4 && W->dim[3] == X->dim[2]);
    QAT_ASSERT(b < 0 || (g->nodes[b].ndim == 1 && g->nodes[b].dim[0] == W->dim[0]));
    QAT_ASSERT(p->depth_multiplier == 1);
    qat_window_axis ah = qat_window(X->dim[0], W->dim[1], p->stride_h, p->padding);
    qat_window_axis aw = qat_window(X->dim[1], W->dim[2], p->stride_w, p->padding);
    QAT_ASSERT(ah.out > 0 && aw.out > 0);
    qat_win2d s = {X->dim[0], X->dim[1], W->dim[1],    W->dim[2],     ah.out,
                   aw.out,    p->stride_h, p->stride_w, ah.pad_before, aw.pad_before};
    int in[3] = {x, w, b}, dim[3] = {s.HO, s.WO, W->dim[0]};
    size_t kc = (size_t)s.KH * s.KW * X->dim[2];
    int id = qat_op_node(g, QAT_OP_CONV2D, name, b >= 0 ? 3 : 2, in, 3, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    qat_conv2d_params *cp = QAT_NODE_PARAMS(qat_conv2d_params, n, QAT_OP_CONV2D);
    *cp = *p;
    cp->pad_top = s.pt;
    cp->pad_left = s.pl;
    if (!pointwise(&s)) {
        n->aux_sample = (size_t)s.HO * s.WO * kc * sizeof(float);
        qat_need_scratch(g, n->aux_sample);
    }
    return id;
}

static geom conv_geom(qat_graph *g, const qat_node *n) {
    const qat_node *X = qat_in(g, n, 0), *W = qat_in(g, n, 1);
    const qat_conv2d_params *cp = QAT_NODE_PARAMS_CONST(qat_conv2d_params, n, QAT_OP_CONV2D);
    return (geom){{X->dim[0], X->dim[1], W->dim[1], W->dim[2], n->dim[0], n->dim[1],
                   cp->stride_h, cp->stride_w, cp->pad_top, cp->pad_left},
                  X->dim[2], W->dim[0]};
}

static void im2col(const geom *s, int batch, const float *x, float *col) {
    const qat_win2d *w = &s->win;
    size_t kc = (size_t)w->KH * w->KW * s->C;
    for (int b = 0; b < batch; b++)
        for (int i = 0; i < w->HO; i++)
            for (int j = 0; j < w->WO; j++) {
                float *row = col + (((size_t)b * w->HO + i) * w->WO + j) * kc;
                qat_taps t = qat_win2d_taps(w, i, j);
                if (t.u0 > 0 || t.u1 < w->KH || t.v0 > 0 || t.v1 < w->KW)
                    memset(row, 0, kc * sizeof(float)); /* edge rows only */
                for (int u = t.u0; u < t.u1 && t.v1 > t.v0; u++)
                    memcpy(row + ((size_t)u * w->KW + t.v0) * s->C,
                           x + (((size_t)b * w->H + t.r0 + u) * w->W + t.c0 + t.v0) * s->C,
                           (size_t)(t.v1 - t.v0) * s->C * sizeof(float));
            }
}

static void col2im_add(const geom *s, int batch, const float *dcol, float *dx) {
    const qat_win2d *w = &s->win;
    size_t kc = (size_t)w->KH * w->KW * s->C;
    for (int b = 0; b < batch; b++)
        for (int i = 0; i < w->HO; i++)
            for (int j = 0; j < w->WO; j++) {
                const float *row = dcol + (((size_t)b * w->HO + i) * w->WO + j) * kc;
                qat_taps t = qat_win2d_taps(w, i, j);
                for (int u = t.u0; u < t.u1; u++) {
                    const float *src = row + ((size_t)u * w->KW + t.v0) * s->C;
                    float *dst = dx + (((size_t)b * w->H + t.r0 + u) * w->W + t.c0 + t.v0) * s->C;
                    for (int q = 0; q < (t.v1 - t.v0) * s->C; q++) dst[q] += src[q];
                }
            }
}

void qat_conv2d_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    geom s = conv_geom(g, n);
    const float *x = qat_in(g, n, 0)->val, *col = x;
    if (!pointwise(&s.win)) {
        im2col(&s, p->batch, x, (float *)n->aux);
        col = (const float *)n->aux;
    }
    int m = p->batch * s.win.HO * s.win.WO, kc = s.win.KH * s.win.KW * s.C;
    qat_gemm(&(qat_gemm_args){QAT_GEMM_N, QAT_GEMM_T, m, s.O, kc, col, kc,
                              qat_in(g, n, 1)->val, kc, 0, n->val, s.O});
    if (n->n_in == 3) qat_bias_add(n->val, qat_in(g, n, 2)->val, m, s.O);
}

void qat_conv2d_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    geom s = conv_geom(g, n);
    int m = p->batch * s.win.HO * s.win.WO, kc = s.win.KH * s.win.KW * s.C;
    int pw = pointwise(&s.win);
    qat_node *X = qat_in(g, n, 0), *W = qat_in(g, n, 1);
    const float *col = pw ? X->val : (const float *)n->aux;
    if (W->needs_grad)
        qat_gemm(&(qat_gemm_args){QAT_GEMM_T, QAT_GEMM_N, s.O, kc, m, n->grad, s.O, col, kc,
                                  1, W->grad, kc});
    if (n->n_in == 3 && qat_in(g, n, 2)->needs_grad) {
        qat_bias_grad_add(qat_in(g, n, 2)->grad, n->grad, m, s.O);
    }
    if (!X->needs_grad) return;
    if (pw) { /* dx += dy · w: col is x itself */
        qat_gemm(&(qat_gemm_args){QAT_GEMM_N, QAT_GEMM_N, m, kc, s.O, n->grad, s.O, W->val, kc,
                                  1, X->grad, kc});
        return;
    }
    float *dcol = (float *)g->scratch;
    qat_gemm(&(qat_gemm_args){QAT_GEMM_N, QAT_GEMM_N, m, kc, s.O, n->grad, s.O, W->val, kc, 0,
                              dcol, kc});
    col2im_add(&s, p->batch, dcol, X->grad);
}
