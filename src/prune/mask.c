/* Magnitude pruning over every mask node of a graph (see prune.h; the mask op itself is
 * src/ops/mask.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../ops/op_impl.h"
#include "qat/ops.h"
#include "qat/prune.h"

int qat_prune_block_of(const qat_layer_spec *l, const qat_prune_config *c) {
    return l->prune_block ? l->prune_block : c->block;
}

void qat_prune_reset(qat_graph *g) {
    for (int i = 0; i < g->n_nodes; i++) {
        const qat_node *n = &g->nodes[i];
        if (n->op != QAT_OP_MASK) continue;
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

/* Block k of `block` consecutive weights along an output row of `row` weights (the last
 * block of a row may be shorter): its first index, and its length in *len. */
static size_t block_span(size_t k, size_t row, size_t block, size_t *len) {
    size_t per_row = (row + block - 1) / block, col = k % per_row * block;
    *len = row - col < block ? row - col : block;
    return k / per_row * row + col;
}

/* Blocks ranked by mean |w| are dropped whole until one would overshoot, which then loses
 * only its smallest weights, so the count is exact. block = 1 is plain magnitude pruning. */
static int update_node(const qat_node *n, const float *w, float *mask, double sparsity, size_t block) {
    size_t row = n->size / (size_t)n->dim[0], nb = (row + block - 1) / block * (size_t)n->dim[0], len;
    ranked *r = malloc((nb + block) * sizeof *r);
    if (!r) return -1;
    for (size_t k = 0; k < nb; k++) {
        size_t start = block_span(k, row, block, &len);
        float sum = 0;
        for (size_t j = start; j < start + len; j++) sum += fabsf(w[j] * mask[j]);
        r[k] = (ranked){sum / (float)len, (int)k};
    }
    qsort(r, nb, sizeof *r, by_magnitude);
    /* Dropped weights are marked -1 first: each block is visited once, so the marks never
     * disturb a magnitude still to be read. */
    size_t drop = (size_t)llround(sparsity * (double)n->size), dropped = 0;
    for (size_t k = 0; k < nb && dropped < drop; k++) {
        size_t start = block_span((size_t)r[k].idx, row, block, &len);
        ranked *in = r + nb; /* this block's weights, smallest first if it overshoots */
        for (size_t j = start; j < start + len; j++) in[j - start] = (ranked){fabsf(w[j] * mask[j]), (int)j};
        if (dropped + len > drop) qsort(in, len, sizeof *in, by_magnitude);
        for (size_t j = 0; j < len && dropped < drop; j++, dropped++) mask[in[j].idx] = -1.0f;
    }
    for (size_t k = 0; k < n->size; k++) mask[k] = mask[k] < 0 ? 0.0f : 1.0f;
    free(r);
    return 0;
}

int qat_prune_update(qat_graph *g, double sparsity) {
    for (int i = 0; i < g->n_nodes; i++) {
        const qat_node *n = &g->nodes[i];
        if (n->op != QAT_OP_MASK) continue;
        size_t b = (size_t)qat_mask_block(n);
        if (update_node(n, g->nodes[n->in[0]].val, g->state + n->offset, sparsity, b)) return -1;
    }
    return 0;
}

void qat_prune_enforce(qat_graph *g, qat_optim *o) {
    for (int i = 0; i < g->n_nodes; i++) {
        const qat_node *n = &g->nodes[i];
        if (n->op != QAT_OP_MASK) continue;
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
        if (n->op != QAT_OP_MASK) continue;
        for (size_t k = 0; k < n->size; k++) zeros += g->state[n->offset + k] == 0;
        total += n->size;
    }
    return total ? (double)zeros / (double)total : 0;
}
