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

QAT_OP_DECL(conv1d);
QAT_OP_DECL(dense);
QAT_OP_DECL(batchnorm);
QAT_OP_DECL(relu);
QAT_OP_DECL(relu6);
QAT_OP_DECL(maxpool1d);
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

static inline qat_node *qat_in(qat_graph *g, const qat_node *n, int i) {
    return &g->nodes[n->in[i]];
}

#endif
