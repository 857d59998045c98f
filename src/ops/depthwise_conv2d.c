/* DepthwiseConv2D, channels last, dilation 1, as direct loops with the channels innermost.
 * The weight (1, KH, KW, C·M) is TFLite's layout: output channel c·M + m reads input
 * channel c only (M = depth_multiplier). With x̃ the input at tap (u, v) of output (i, j),
 * x̃ = x[i·sh+u−pt, j·sw+v−pl, c] (0 outside the image):
 *   y[i,j,cM+m] = b[cM+m] + Σ_{u,v} w[u,v,cM+m] x̃
 *   dw[u,v,cM+m] += Σ_{n,i,j} dy[i,j,cM+m] x̃      db += Σ dy
 *   dx̃ += Σ_m w[u,v,cM+m] dy[i,j,cM+m]
 * Out-of-image taps are skipped (qat_win2d_taps), which is what zero padding contributes. */
#include <string.h>

#include "op_impl.h"
#include "qat/ops.h"

typedef struct geom {
    qat_win2d win;
    int C, M;
} geom;

int qat_depthwise_conv2d(qat_graph *g, const char *name, int x, int w, int b,
                         const qat_conv2d_params *p) {
    if (x < 0 || w < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x], *W = &g->nodes[w];
    int M = p->depth_multiplier, cm = X->ndim == 3 ? X->dim[2] * M : -1;
    QAT_ASSERT(X->ndim == 3 && M > 0 && W->ndim == 4 && W->dim[0] == 1 && W->dim[3] == cm);
    QAT_ASSERT(b < 0 || (g->nodes[b].ndim == 1 && g->nodes[b].dim[0] == cm));
    qat_window_axis ah = qat_window(X->dim[0], W->dim[1], p->stride_h, p->padding);
    qat_window_axis aw = qat_window(X->dim[1], W->dim[2], p->stride_w, p->padding);
    QAT_ASSERT(ah.out > 0 && aw.out > 0);
    int in[3] = {x, w, b}, dim[3] = {ah.out, aw.out, cm};
    int id = qat_op_node(g, QAT_OP_DEPTHWISE_CONV2D, name, b >= 0 ? 3 : 2, in, 3, dim);
    if (id < 0) return -1;
    qat_conv2d_params *cp =
        QAT_NODE_PARAMS(qat_conv2d_params, &g->nodes[id], QAT_OP_DEPTHWISE_CONV2D);
    *cp = *p;
    cp->pad_top = ah.pad_before;
    cp->pad_left = aw.pad_before;
    return id;
}

static geom dw_geom(qat_graph *g, const qat_node *n) {
    const qat_node *X = qat_in(g, n, 0), *W = qat_in(g, n, 1);
    const qat_conv2d_params *cp =
        QAT_NODE_PARAMS_CONST(qat_conv2d_params, n, QAT_OP_DEPTHWISE_CONV2D);
    return (geom){{X->dim[0], X->dim[1], W->dim[1], W->dim[2], n->dim[0], n->dim[1],
                   cp->stride_h, cp->stride_w, cp->pad_top, cp->pad_left},
                  X->dim[2], cp->depth_multiplier};
}

/* The offset of sample b's input cell under tap (u, v) of window q: its C channels. */
static size_t cell(const geom *s, int b, const qat_taps *q, int u, int v) {
    return (((size_t)b * s->win.H + q->r0 + u) * s->win.W + q->c0 + v) * s->C;
}

void qat_depthwise_conv2d_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    geom s = dw_geom(g, n);
    const float *x = qat_in(g, n, 0)->val, *w = qat_in(g, n, 1)->val;
    const float *bias = n->n_in == 3 ? qat_in(g, n, 2)->val : NULL;
    int cm = s.C * s.M;
    float *y = n->val;
    for (int b = 0; b < p->batch; b++)
        for (int i = 0; i < s.win.HO; i++)
            for (int j = 0; j < s.win.WO; j++, y += cm) {
                if (bias)
                    memcpy(y, bias, (size_t)cm * sizeof(float));
                else
                    memset(y, 0, (size_t)cm * sizeof(float));
                qat_taps q = qat_win2d_taps(&s.win, i, j);
                for (int u = q.u0; u < q.u1; u++)
                    for (int v = q.v0; v < q.v1; v++) {
                        const float *xr = x + cell(&s, b, &q, u, v);
                        const float *wr = w + ((size_t)u * s.win.KW + v) * cm;
                        for (int c = 0; c < s.C; c++)
                            for (int m = 0; m < s.M; m++) y[c * s.M + m] += wr[c * s.M + m] * xr[c];
                    }
            }
}

void qat_depthwise_conv2d_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    geom s = dw_geom(g, n);
    qat_node *X = qat_in(g, n, 0), *W = qat_in(g, n, 1);
    float *db = n->n_in == 3 && qat_in(g, n, 2)->needs_grad ? qat_in(g, n, 2)->grad : NULL;
    int cm = s.C * s.M;
    const float *dy = n->grad;
    for (int b = 0; b < p->batch; b++)
        for (int i = 0; i < s.win.HO; i++)
            for (int j = 0; j < s.win.WO; j++, dy += cm) {
                if (db)
                    for (int k = 0; k < cm; k++) db[k] += dy[k];
                qat_taps q = qat_win2d_taps(&s.win, i, j);
                for (int u = q.u0; u < q.u1; u++)
                    for (int v = q.v0; v < q.v1; v++) {
                        size_t xo = cell(&s, b, &q, u, v), wo = ((size_t)u * s.win.KW + v) * cm;
                        if (W->needs_grad)
                            for (int c = 0; c < s.C; c++)
                                for (int m = 0; m < s.M; m++)
                                    W->grad[wo + c * s.M + m] += dy[c * s.M + m] * X->val[xo + c];
                        if (X->needs_grad)
                            for (int c = 0; c < s.C; c++) {
                                float a = 0;
                                for (int m = 0; m < s.M; m++)
                                    a += W->val[wo + c * s.M + m] * dy[c * s.M + m];
                                X->grad[xo + c] += a;
                            }
                    }
            }
}
