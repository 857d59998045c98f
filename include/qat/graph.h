/* qatrain — the static computation graph and its reverse-mode autograd.
 *
 * A graph is a flat array of nodes; a node only takes inputs created before it, so the
 * build order is a topological order: forward walks the array, backward walks it back.
 * Activations carry a leading batch dimension (up to max_batch samples); their `dim`
 * is per sample, channels last (Keras' (T, C) for 1-D, (H, W, C) for 2-D). Every
 * trainable tensor lives in one flat block (params / grads), every non-trainable state
 * tensor (batch-norm running statistics) in another, so optimisers and checkpoints are
 * plain loops.
 *
 * Lifecycle: qat_graph_init → qat_graph_input / qat_graph_param / op builders (ops.h) →
 * qat_graph_compile (allocates) → qat_graph_forward / qat_graph_backward → qat_graph_free. */
#ifndef QAT_GRAPH_H
#define QAT_GRAPH_H

#include <stddef.h>

#include "qat/error.h"
#include "qat/rng.h"

#define QAT_MAX_INPUTS 3
#define QAT_MAX_DIM 4
#define QAT_NODE_NAME_MAX 48
#define QAT_NODE_PARAMS_MAX 80

typedef enum qat_op {
    QAT_OP_INPUT,        /* fed by the caller */
    QAT_OP_PARAM,        /* trainable, in the flat parameter block */
    QAT_OP_CONV1D,       /* y[t,o] = b[o] + sum_{k,c} w[o,k,c] x[t+k-pad,c]; stride 1 */
    QAT_OP_DENSE,        /* y[o] = b[o] + sum_i w[o,i] x[i] */
    QAT_OP_BATCHNORM,    /* y = gamma (x - mean) / sqrt(var + eps) + beta, per channel */
    QAT_OP_RELU,         /* y = max(x, 0) */
    QAT_OP_RELU6,        /* y = min(max(x, 0), 6) */
    QAT_OP_MAXPOOL1D,    /* y[t,c] = max_{j<pool} x[t*pool+j-pad,c] */
    QAT_OP_CONV2D,       /* y[i,j,o] = b[o] + sum_{u,v,c} w[o,u,v,c] x[i*sh+u-pt, j*sw+v-pl, c] */
    QAT_OP_DEPTHWISE_CONV2D, /* y[i,j,cM+m] = b[cM+m] + sum_{u,v} w[0,u,v,cM+m] x[.., .., c] */
    QAT_OP_MAXPOOL2D,    /* y[i,j,c] = max over the window's in-bounds cells */
    QAT_OP_AVGPOOL2D,    /* y[i,j,c] = mean over the window's in-bounds cells */
    QAT_OP_GLOBAL_AVGPOOL, /* (T, C) or (H, W, C) -> (C): the mean over all positions */
    QAT_OP_FLATTEN,      /* (T, C) or (H, W, C) -> (T*C) or (H*W*C), row-major */
    QAT_OP_DROPOUT,      /* training: y = x * m / (1 - rate), m ~ Bernoulli(1 - rate) */
    QAT_OP_SOFTMAX_XENT, /* scalar: mean over the batch of -log softmax(x)[label] */
    QAT_OP_FAKE_QUANT,   /* activation fake-quant with observer (quant.h) */
    QAT_OP_FQ_WEIGHT,    /* symmetric weight fake-quant */
    QAT_OP_FQ_BIAS,      /* int32 bias rounding */
    QAT_OP_FOLD_WEIGHT,  /* batch-norm folding into the kernel */
    QAT_OP_FOLD_BIAS,    /* ... and into the bias */
    QAT_OP_BN_TRACK,     /* running statistics under folding */
    QAT_OP_MASK,         /* w ⊙ mask (pruning: prune.h) */
    QAT_OP_FQ_AVGPOOL,   /* an average pool's output rounded as the int8 kernel (quant.h) */
    QAT_OP_COUNT
} qat_op;

typedef struct qat_node {
    qat_op op;
    char name[QAT_NODE_NAME_MAX]; /* layer-derived, e.g. "conv1/kernel" */
    int n_in;
    int in[QAT_MAX_INPUTS];   /* input node indices, all smaller than this node's */
    int ndim;
    int dim[QAT_MAX_DIM];     /* per-sample shape (activations) or whole shape (params) */
    size_t size;              /* elements per sample, or in total for params and the loss */
    int batched;              /* 1: val holds max_batch samples of `size` elements */
    int needs_grad;           /* a gradient flows into this node */
    float *val, *grad;        /* grad is NULL when !needs_grad */
    size_t offset;            /* PARAM: offset in g->params; BATCHNORM: in g->state */
    _Alignas(8) unsigned char params[QAT_NODE_PARAMS_MAX]; /* the op's typed parameters:
                                 the struct its family declares (ops.h, quant.h, prune.h),
                                 read through QAT_NODE_PARAMS */
    size_t aux_sample;        /* bytes of op scratch kept from forward to backward, per sample */
    size_t aux_fixed;         /* ... and per pass (e.g. batch-norm statistics) */
    unsigned char *aux;       /* im2col, argmax, dropout mask, normalised x, probabilities */
} qat_node;

typedef struct qat_graph {
    int n_nodes, cap;
    qat_node *nodes;
    size_t n_params;          /* trainable scalars */
    float *params, *grads;    /* the flat blocks, owned */
    size_t n_state;           /* non-trainable scalars */
    float *state;             /* owned */
    int max_batch;            /* set by compile */
    size_t scratch_sample;    /* largest transient need of any op per sample (shared) */
    unsigned char *scratch;
    unsigned char *arena;     /* activations, gradients, aux: one allocation */
    int failed;               /* a builder ran out of memory: compile refuses the graph */
} qat_graph;

/* What a forward/backward pass needs besides the graph. */
typedef struct qat_pass {
    int batch;                /* samples in this pass, 1..max_batch */
    int training;             /* dropout on, batch-norm batch statistics and updates */
    const int *labels;        /* batch labels, for the loss node */
    qat_rng *rng;             /* dropout masks */
    int epoch;                /* 1-based training epoch (0 outside training): observer freezing */
    int calibrate;            /* fake-quant nodes observe ranges and pass values through */
    const float *soft;        /* distillation: the teacher's probabilities at temperature
                                 distill_t (batch × classes), or NULL (ops.h softmax_xent) */
    float distill_alpha, distill_t;
} qat_pass;

void qat_graph_init(qat_graph *g);
void qat_graph_free(qat_graph *g);

/* Builders return the new node's index, or -1 when memory runs out. Op nodes are added
 * by the builders in ops.h; shapes are checked there with QAT_ASSERT (the config
 * validator rejects impossible layer stacks before a graph is built). */
int qat_graph_input(qat_graph *g, const char *name, int ndim, const int *dim);
int qat_graph_param(qat_graph *g, const char *name, int ndim, const int *dim);
/* Appends an op node with inputs in[0..n_in); the caller (an ops.h builder) sets the
 * shape and attributes. Returns its index or -1. */
int qat_graph_push(qat_graph *g, qat_op op, const char *name, int n_in, const int *in);
/* Reserves n scalars of non-trainable state; returns the offset. */
size_t qat_graph_state(qat_graph *g, size_t n);

qat_status qat_graph_compile(qat_graph *g, int max_batch, qat_error *e);

/* Runs nodes [0, upto) forward (upto = g->n_nodes for all). */
void qat_graph_forward(qat_graph *g, const qat_pass *p, int upto);
/* Backpropagates from the scalar node `loss` (after forward); accumulates into g->grads,
 * which the caller zeroes (qat_graph_zero_grads) before each step. */
void qat_graph_backward(qat_graph *g, const qat_pass *p, int loss);
/* The same from any node `out` whose grad the caller has filled (gradient checks). */
void qat_graph_backward_from(qat_graph *g, const qat_pass *p, int out);
void qat_graph_zero_grads(qat_graph *g);

/* Seconds per node, added up over the passes that are given them (bench/bench_train's
 * per-op profile): forward[i] and backward[i] (n_nodes each, the caller's) are node i's,
 * zero the zeroing of the activations' gradients before a backward pass. The timed passes
 * compute exactly what qat_graph_forward and qat_graph_backward do. */
typedef struct qat_graph_times {
    double *forward, *backward;
    double zero;
} qat_graph_times;
void qat_graph_forward_timed(qat_graph *g, const qat_pass *p, int upto, qat_graph_times *t);
void qat_graph_backward_timed(qat_graph *g, const qat_pass *p, int loss, qat_graph_times *t);

/* A node's parameters as the struct of its op family (as TFLite Micro's kernels take a small
 * params struct), after checking the node is that op: QAT_NODE_PARAMS(qat_conv1d_params, n,
 * QAT_OP_CONV1D). Each family's header asserts its structs fit (QAT_PARAMS_FIT). */
static inline void *qat_node_params(qat_node *n, qat_op op) {
    QAT_ASSERT(n->op == op);
    return n->params;
}
static inline const void *qat_node_params_const(const qat_node *n, qat_op op) {
    QAT_ASSERT(n->op == op);
    return n->params;
}
#define QAT_NODE_PARAMS(type, n, op) ((type *)qat_node_params((n), (op)))
#define QAT_NODE_PARAMS_CONST(type, n, op) ((const type *)qat_node_params_const((n), (op)))
#define QAT_PARAMS_FIT(type) \
    _Static_assert(sizeof(type) <= QAT_NODE_PARAMS_MAX, #type " fits a node's params")

/* Number of elements of node n for a batch. */
static inline size_t qat_node_len(const qat_node *n, int batch) {
    return n->batched ? n->size * (size_t)batch : n->size;
}

const char *qat_op_name(qat_op op);

#endif
