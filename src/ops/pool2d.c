/* 2-D max and average pooling, channels last, over pool_h × pool_w windows at the given
 * strides; SAME pads as TensorFlow (qat_window: the odd extra row/column at the end).
 * Only a window's in-bounds cells count (qat_win2d_taps), as in TensorFlow and TFLite Micro:
 *   max:  y = max over the in-bounds cells (padding never wins); forward keeps the argmax
 *         (first of equals) and backward routes dy to it.
 *   avg:  y = (Σ in-bounds cells) / n, n their number; dx += dy / n on each of them. */
#include <stdint.h>

#include "op_impl.h"
#include "qat/ops.h"

static int pool2d(qat_graph *g, qat_op op, const char *name, int x, const qat_pool2d_params *p) {
    if (x < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x];
    QAT_ASSERT(X->ndim == 3);
    qat_window_axis ah = qat_window(X->dim[0], p->pool_h, p->stride_h, p->padding);
    qat_window_axis aw = qat_window(X->dim[1], p->pool_w, p->stride_w, p->padding);
    QAT_ASSERT(ah.out > 0 && aw.out > 0);
    int dim[3] = {ah.out, aw.out, X->dim[2]};
    int id = qat_op_node(g, op, name, 1, &x, 3, dim);
    if (id < 0) return -1;
    qat_pool2d_params *pp = QAT_NODE_PARAMS(qat_pool2d_params, &g->nodes[id], op);
    *pp = *p;
    pp->pad_top = ah.pad_before;
    pp->pad_left = aw.pad_before;
    return id;
}

int qat_maxpool2d(qat_graph *g, const char *name, int x, const qat_pool2d_params *p) {
    int id = pool2d(g, QAT_OP_MAXPOOL2D, name, x, p);
    if (id >= 0) g->nodes[id].aux_sample = g->nodes[id].size * sizeof(int32_t);
    return id;
}

int qat_avgpool2d(qat_graph *g, const char *name, int x, const qat_pool2d_params *p) {
    return pool2d(g, QAT_OP_AVGPOOL2D, name, x, p);
}

static qat_win2d pool_geom(qat_graph *g, const qat_node *n) {
    const qat_node *X = qat_in(g, n, 0);
    const qat_pool2d_params *pp = QAT_NODE_PARAMS_CONST(qat_pool2d_params, n, n->op);
    return (qat_win2d){X->dim[0],    X->dim[1],    pp->pool_h,  pp->pool_w, n->dim[0],
                       n->dim[1],    pp->stride_h, pp->stride_w, pp->pad_top, pp->pad_left};
}

/* The offset of sample b's input cell under tap (u, v) of window t: its C channels. */
static int32_t cell(const qat_win2d *s, int C, int b, const qat_taps *t, int u, int v) {
    return (((int32_t)b * s->H + t->r0 + u) * s->W + t->c0 + v) * C;
}

/* Channels innermost: each tap is one contiguous row compared against the running maximum
 * of every channel at once. */
void qat_maxpool2d_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    qat_win2d s = pool_geom(g, n);
    const float *x = qat_in(g, n, 0)->val;
    int C = n->dim[2];
    float *y = n->val;
    int32_t *arg = (int32_t *)n->aux;
    for (int b = 0; b < p->batch; b++)
        for (int i = 0; i < s.HO; i++)
            for (int j = 0; j < s.WO; j++, y += C, arg += C) {
                qat_taps t = qat_win2d_taps(&s, i, j);
                QAT_ASSERT(t.u1 > t.u0 && t.v1 > t.v0); /* SAME pads less than a window */
                for (int u = t.u0; u < t.u1; u++)
                    for (int v = t.v0; v < t.v1; v++) {
                        int32_t at = cell(&s, C, b, &t, u, v);
                        int first = u == t.u0 && v == t.v0;
                        for (int c = 0; c < C; c++)
                            if (first || x[at + c] > y[c]) {
                                y[c] = x[at + c];
                                arg[c] = at + c;
                            }
                    }
            }
}

void qat_maxpool2d_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    qat_node *X = qat_in(g, n, 0);
    if (!X->needs_grad) return;
    const int32_t *arg = (const int32_t *)n->aux;
    size_t len = qat_node_len(n, p->batch);
    for (size_t i = 0; i < len; i++) X->grad[arg[i]] += n->grad[i];
}

void qat_avgpool2d_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    qat_win2d s = pool_geom(g, n);
    const float *x = qat_in(g, n, 0)->val;
    int C = n->dim[2];
    float *y = n->val;
    for (int b = 0; b < p->batch; b++)
        for (int i = 0; i < s.HO; i++)
            for (int j = 0; j < s.WO; j++, y += C) {
                qat_taps t = qat_win2d_taps(&s, i, j);
                for (int c = 0; c < C; c++) y[c] = 0;
                for (int u = t.u0; u < t.u1; u++)
                    for (int v = t.v0; v < t.v1; v++) {
                        const float *xr = x + cell(&s, C, b, &t, u, v);
                        for (int c = 0; c < C; c++) y[c] += xr[c];
                    }
                float inv = 1.0f / (float)((t.u1 - t.u0) * (t.v1 - t.v0));
                for (int c = 0; c < C; c++) y[c] *= inv;
            }
}

void qat_avgpool2d_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    qat_win2d s = pool_geom(g, n);
    qat_node *X = qat_in(g, n, 0);
    if (!X->needs_grad) return;
    int C = n->dim[2];
    const float *dy = n->grad;
    for (int b = 0; b < p->batch; b++)
        for (int i = 0; i < s.HO; i++)
            for (int j = 0; j < s.WO; j++, dy += C) {
                qat_taps t = qat_win2d_taps(&s, i, j);
                float inv = 1.0f / (float)((t.u1 - t.u0) * (t.v1 - t.v0));
                for (int u = t.u0; u < t.u1; u++)
                    for (int v = t.v0; v < t.v1; v++) {
                        float *dx = X->grad + cell(&s, C, b, &t, u, v);
                        for (int c = 0; c < C; c++) dx[c] += dy[c] * inv;
                    }
            }
}
