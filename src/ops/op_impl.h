/* Internal: each op's forward and backward, and the table the graph dispatches on. */
#ifndef QAT_OP_IMPL_H
#define QAT_OP_IMPL_H

#include "qat/graph.h"

typedef void (*qat_op_fn)(qat_graph *g, qat_node *n, const qat_pass *p);

typedef struct qat_op_def {
    const char *name;
    qat_op_fn forward;  /* NULL for leaves */
    qat_op_fn backward; /* NULL when no gradient flows through */
} qat_op_def;

extern const qat_op_def qat_op_defs[QAT_OP_COUNT];

#define QAT_OP_DECL(op)                                                \
    void qat_##op##_forward(qat_graph *g, qat_node *n, const qat_pass *p); \
    void qat_##op##_backward(qat_graph *g, qat_node *n, const qat_pass *p)

/* db[c] += Σ_r dy[r·cols + c], r in order (src/ops/bias.c): the affine ops' bias
 * gradient. */
void qat_bias_grad_add(float *db, const float *dy, int rows, int cols);
/* y[r·cols + c] += b[c] for every row: the affine ops' bias (src/ops/bias.c). */
void qat_bias_add(float *y, const float *b, int rows, int cols);

QAT_OP_DECL(conv1d);
QAT_OP_DECL(dense);
QAT_OP_DECL(batchnorm);
QAT_OP_DECL(relu);
QAT_OP_DECL(relu6);
QAT_OP_DECL(maxpool1d);
QAT_OP_DECL(conv2d);
QAT_OP_DECL(depthwise_conv2d);
QAT_OP_DECL(maxpool2d);
QAT_OP_DECL(avgpool2d);
QAT_OP_DECL(global_avgpool);
QAT_OP_DECL(flatten);
QAT_OP_DECL(dropout);
QAT_OP_DECL(softmax_xent);
QAT_OP_DECL(fake_quant);
QAT_OP_DECL(fq_weight);
QAT_OP_DECL(fq_bias);
QAT_OP_DECL(fold_weight);
QAT_OP_DECL(fold_bias);
QAT_OP_DECL(bn_track);
QAT_OP_DECL(mask);
QAT_OP_DECL(fq_avgpool);

/* Sets a node's per-sample shape and size (graph.c). */
void qat_node_set_shape(qat_node *n, int ndim, const int *dim);

/* Appends op node `op` on inputs in[0..n_in) with per-sample shape dim; -1 if out of memory. */
static inline int qat_op_node(qat_graph *g, qat_op op, const char *name, int n_in, const int *in,
                              int ndim, const int *dim) {
    int id = qat_graph_push(g, op, name, n_in, in);
    if (id >= 0) qat_node_set_shape(&g->nodes[id], ndim, dim);
    return id;
}

static inline void qat_need_scratch(qat_graph *g, size_t per_sample) {
    if (per_sample > g->scratch_sample) g->scratch_sample = per_sample;
}

/* A 2-D window op's geometry (conv2d, depthwise, pools): input H×W, window KH×KW, output
 * HO×WO, strides, and the padding before (top, left) that qat_window chose. */
typedef struct qat_win2d {
    int H, W, KH, KW, HO, WO, sh, sw, pt, pl;
} qat_win2d;

/* Output (i, j)'s window: it starts at input cell (r0, c0) (possibly outside the image) and
 * its in-bounds taps are rows [u0, u1), columns [v0, v1) of the window. Skipping the others
 * is what zero padding contributes (and how 'padded cells never win' a max-pool). */
typedef struct qat_taps {
    int r0, c0, u0, u1, v0, v1;
} qat_taps;

static inline qat_taps qat_win2d_taps(const qat_win2d *s, int i, int j) {
    qat_taps t = {i * s->sh - s->pt, j * s->sw - s->pl, 0, 0, 0, 0};
    t.u0 = t.r0 < 0 ? -t.r0 : 0;
    t.u1 = s->H - t.r0 < s->KH ? s->H - t.r0 : s->KH;
    t.v0 = t.c0 < 0 ? -t.c0 : 0;
    t.v1 = s->W - t.c0 < s->KW ? s->W - t.c0 : s->KW;
    return t;
}

static inline qat_node *qat_in(qat_graph *g, const qat_node *n, int i) {
    return &g->nodes[n->in[i]];
}

#endif
