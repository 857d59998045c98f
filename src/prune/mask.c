/* The mask op and magnitude pruning over every mask node of a graph (see prune.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/op_impl.h"
#include "qat/prune.h"

int qat_prune_mask(qat_graph *g, const char *name, int w) {
    if (w < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *W = &g->nodes[w];
    int ndim = W->ndim, dim[QAT_MAX_DIM] = {W->dim[0], W->dim[1], W->dim[2]};
    int id = qat_op_node(g, QAT_OP_PRUNE_MASK, name, 1, &w, ndim, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    n->batched = 0;
    n->offset = qat_graph_state(g, n->size);
    return id;
}

void qat_prune_mask_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    (void)p;
    const float *w = qat_in(g, n, 0)->val, *mask = g->state + n->offset;
    for (size_t i = 0; i < n->size; i++) n->val[i] = w[i] * mask[i];
}

void qat_prune_mask_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    (void)p;
    float *dw = qat_in(g, n, 0)->grad;
    const float *mask = g->state + n->offset;
    for (size_t i = 0; i < n->size; i++) dw[i] += n->grad[i] * mask[i];
}

void qat_prune_reset(qat_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        const qat_node *n = &g->nodes[i];
        if (n->op != QAT_OP_PRUNE_MASK) continue;
        for (size_t k = 0; k < n->size; k++) g->state[n->offset + k] = 1;
    }
}

typedef struct ranked {
    float mag;
    int idx;
} ranked;

/* Ascending magnitude; ties by index, so the lower index is kept (pruned last). */
static int by_magnitude(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->mag != y->mag) return x->mag < y->mag ? -1 : 1;
    return y->idx - x->idx;
}

int qat_prune_update(qat_graph *g, double sparsity) {
    for (int i = 0; i < g->n_nodes; i++) {
        const qat_node *n = &g->nodes[i];
        if (n->op != QAT_OP_PRUNE_MASK) continue;
        const float *w = g->nodes[n->in[0]].val;
        float *mask = g->state + n->offset;
        ranked *r = malloc(n->size * sizeof *r);
        if (!r) return -1;
        for (size_t k = 0; k < n->size; k++) r[k] = (ranked){fabsf(w[k] * mask[k]), (int)k};
        qsort(r, n->size, sizeof *r, by_magnitude);
        size_t drop = (size_t)llround(sparsity * (double)n->size);
        for (size_t k = 0; k < n->size; k++) mask[r[k].idx] = k < drop ? 0.0f : 1.0f;
        free(r);
    }
    return 0;
}

void qat_prune_enforce(qat_graph *g, qat_optim *o) {
    for (int i = 0; i < g->n_nodes; i++) {
        const qat_node *n = &g->nodes[i];
        if (n->op != QAT_OP_PRUNE_MASK) continue;
        const qat_node *W = &g->nodes[n->in[0]];
        const float *mask = g->state + n->offset;
        for (size_t k = 0; k < n->size; k++) {
            if (mask[k] != 0) continue;
            W->val[k] = 0;
            if (o) o->m[W->offset + k] = o->v[W->offset + k] = 0;
        }
    }
}

double qat_prune_measured(const qat_graph *g) {
    size_t zeros = 0, total = 0;
    for (int i = 0; i < g->n_nodes; i++) {
        const qat_node *n = &g->nodes[i];
        if (n->op != QAT_OP_PRUNE_MASK) continue;
        for (size_t k = 0; k < n->size; k++) zeros += g->state[n->offset + k] == 0;
        total += n->size;
    }
    return total ? (double)zeros / (double)total : 0;
}
