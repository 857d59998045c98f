/* The graph: node storage, the flat parameter and state blocks, memory layout, and the
 * forward / backward walks. */
#include "qat/graph.h"

#include <stdlib.h>
#include <string.h>

#include "../ops/op_impl.h"
#include "qat/clock.h"

#define ALIGN 64

static size_t align_up(size_t n) {
    return (n + ALIGN - 1) / ALIGN * ALIGN;
}

void qat_graph_init(qat_graph *g) {
    memset(g, 0, sizeof *g);
}

void qat_graph_free(qat_graph *g) {
    free(g->nodes);
    free(g->params);
    free(g->grads);
    free(g->state);
    free(g->arena);
    free(g->scratch);
    qat_graph_init(g);
}

/* QAT_GRAPH_MOVE_ON_PUSH (the sanitizer build): the node array moves on every push, so a
 * builder that keeps a pointer into it across a push reads freed memory at once, not only
 * when the push happens to cross a capacity boundary. */
#ifdef QAT_GRAPH_MOVE_ON_PUSH
#define GROW(g) 1
#define NEW_CAP(g) ((g)->n_nodes + 1)
#else
#define GROW(g) ((g)->n_nodes == (g)->cap)
#define NEW_CAP(g) ((g)->cap ? 2 * (g)->cap : 32)
#endif

static qat_node *push(qat_graph *g, qat_op op, const char *name) {
    if (GROW(g)) {
        int cap = NEW_CAP(g);
        qat_node *nodes = realloc(g->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) {
            g->failed = 1; /* sticky: a later push could succeed and hide the gap */
            return NULL;
        }
        g->nodes = nodes;
        g->cap = cap;
    }
    qat_node *n = &g->nodes[g->n_nodes++];
    memset(n, 0, sizeof *n);
    n->op = op;
    snprintf(n->name, sizeof n->name, "%s", name);
    return n;
}

void qat_node_set_shape(qat_node *n, int ndim, const int *dim) {
    QAT_ASSERT(ndim >= 0 && ndim <= QAT_MAX_DIM);
    n->ndim = ndim;
    n->size = 1;
    for (int i = 0; i < ndim; i++) {
        QAT_ASSERT(dim[i] > 0);
        n->dim[i] = dim[i];
        n->size *= (size_t)dim[i];
    }
}

int qat_graph_input(qat_graph *g, const char *name, int ndim, const int *dim) {
    qat_node *n = push(g, QAT_OP_INPUT, name);
    if (!n) return -1;
    qat_node_set_shape(n, ndim, dim);
    n->batched = 1;
    return g->n_nodes - 1;
}

int qat_graph_param(qat_graph *g, const char *name, int ndim, const int *dim) {
    qat_node *n = push(g, QAT_OP_PARAM, name);
    if (!n) return -1;
    qat_node_set_shape(n, ndim, dim);
    n->needs_grad = 1;
    n->offset = g->n_params;
    g->n_params += n->size;
    return g->n_nodes - 1;
}

int qat_graph_push(qat_graph *g, qat_op op, const char *name, int n_in, const int *in) {
    QAT_ASSERT(n_in <= QAT_MAX_INPUTS);
    qat_node *n = push(g, op, name);
    if (!n) return -1;
    int self = g->n_nodes - 1;
    n->n_in = n_in;
    n->batched = 1;
    for (int i = 0; i < n_in; i++) {
        QAT_ASSERT(in[i] >= 0 && in[i] < self);
        n->in[i] = in[i];
        n->needs_grad |= g->nodes[in[i]].needs_grad;
    }
    return self;
}

size_t qat_graph_state(qat_graph *g, size_t count) {
    size_t off = g->n_state;
    g->n_state += count;
    return off;
}

static size_t aux_bytes(const qat_node *n, int batch) {
    return n->aux_sample * (size_t)batch + n->aux_fixed;
}

qat_status qat_graph_compile(qat_graph *g, int max_batch, qat_error *e) {
    QAT_ASSERT(max_batch > 0 && !g->arena);
    if (g->failed) return qat_error_set(e, QAT_ERR_NOMEM, "graph: out of memory building it");
    g->max_batch = max_batch;
    size_t np = g->n_params ? g->n_params : 1, ns = g->n_state ? g->n_state : 1;
    g->params = calloc(np, sizeof(float));
    g->grads = calloc(np, sizeof(float));
    g->state = calloc(ns, sizeof(float));
    size_t total = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        qat_node *n = &g->nodes[i];
        if (n->op == QAT_OP_PARAM) continue;
        size_t len = qat_node_len(n, max_batch) * sizeof(float);
        total += align_up(len) * (n->needs_grad ? 2 : 1) + align_up(aux_bytes(n, max_batch));
    }
    g->arena = calloc(total ? total : 1, 1);
    g->scratch = calloc(g->scratch_sample * (size_t)max_batch + 1, 1);
    if (!g->params || !g->grads || !g->state || !g->arena || !g->scratch)
        return qat_error_set(e, QAT_ERR_NOMEM, "graph: out of memory (%zu bytes of activations)",
                             total);
    unsigned char *p = g->arena;
    for (int i = 0; i < g->n_nodes; i++) {
        qat_node *n = &g->nodes[i];
        if (n->op == QAT_OP_PARAM) {
            n->val = g->params + n->offset;
            n->grad = g->grads + n->offset;
            continue;
        }
        size_t len = align_up(qat_node_len(n, max_batch) * sizeof(float));
        n->val = (float *)p;
        p += len;
        if (n->needs_grad) {
            n->grad = (float *)p;
            p += len;
        }
        n->aux = aux_bytes(n, max_batch) ? p : NULL;
        p += align_up(aux_bytes(n, max_batch));
    }
    return QAT_OK;
}

void qat_graph_forward_timed(qat_graph *g, const qat_pass *p, int upto, qat_graph_times *t) {
    QAT_ASSERT(p->batch > 0 && p->batch <= g->max_batch);
    for (int i = 0; i < upto; i++) {
        qat_node *n = &g->nodes[i];
        qat_op_fn f = qat_op_defs[n->op].forward;
        if (!f) continue;
        double t0 = t ? qat_clock() : 0;
        f(g, n, p);
        if (t) t->forward[i] += qat_clock() - t0;
    }
}

void qat_graph_forward(qat_graph *g, const qat_pass *p, int upto) {
    qat_graph_forward_timed(g, p, upto, NULL);
}

void qat_graph_zero_grads(qat_graph *g) {
    memset(g->grads, 0, g->n_params * sizeof(float));
}

static void backward_from(qat_graph *g, const qat_pass *p, int out, qat_graph_times *t) {
    double t0 = t ? qat_clock() : 0;
    for (int i = 0; i < out; i++) {
        qat_node *n = &g->nodes[i];
        if (n->grad && n->op != QAT_OP_PARAM)
            memset(n->grad, 0, qat_node_len(n, p->batch) * sizeof(float));
    }
    if (t) t->zero += qat_clock() - t0;
    for (int i = out; i >= 0; i--) {
        qat_node *n = &g->nodes[i];
        qat_op_fn b = qat_op_defs[n->op].backward;
        if (!b || !n->needs_grad) continue;
        if (t) t0 = qat_clock();
        b(g, n, p);
        if (t) t->backward[i] += qat_clock() - t0;
    }
}

void qat_graph_backward_from(qat_graph *g, const qat_pass *p, int out) {
    backward_from(g, p, out, NULL);
}

void qat_graph_backward_timed(qat_graph *g, const qat_pass *p, int loss, qat_graph_times *t) {
    QAT_ASSERT(g->nodes[loss].size == 1 && g->nodes[loss].needs_grad);
    g->nodes[loss].grad[0] = 1.0f;
    backward_from(g, p, loss, t);
}

void qat_graph_backward(qat_graph *g, const qat_pass *p, int loss) {
    qat_graph_backward_timed(g, p, loss, NULL);
}
