/* The search space's genomes (search.h): random draws, mutation, crossover, the layer list
 * and the text form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/search.h"

void qat_search_defaults(qat_search_config *s) {
    *s = (qat_search_config){
        .population = 20, .generations = 10, .min_blocks = 2, .max_blocks = 6,
        .heads = 1u << QAT_SEARCH_HEAD_GAP | 1u << QAT_SEARCH_HEAD_FLATTEN,
        .acts = 1u << QAT_ACT_RELU | 1u << QAT_ACT_RELU6, .bn = QAT_SEARCH_BN_OPTIONAL,
        .n_filters = 4, .filters = {8, 16, 32, 64}, .n_kernels = 2, .kernels = {3, 5},
        .n_dense = 3, .dense = {16, 32, 64}, .dropout = 0.3, .epochs = 10, .patience = 3,
        .batch = 32, .fitness = QAT_FITNESS_WEIGHTED, .accuracy = QAT_SEARCH_ACC_FLOAT,
        .accuracy_weight = 0.7, .tournament = 3, .elite = 2, .mutation_rate = 0.3};
}

static int is_2d(const qat_search_space *sp) {
    return sp->in.ndim == 3;
}

/* The ops this space draws from: the config's, else every op the data allows (1-D data
 * has convolutions only: TFLite's 1-D forms of the others are 2-D ops on a 1-row map). */
static unsigned ops_of(const qat_search_space *sp) {
    unsigned all = is_2d(sp) ? (1u << QAT_SEARCH_OP_COUNT) - 1 : 1u << QAT_SEARCH_CONV;
    return sp->cfg->ops ? sp->cfg->ops & all : all;
}

/* The i-th set bit of mask, for i drawn below its popcount. */
static int pick_bit(qat_rng *r, unsigned mask) {
    int n = __builtin_popcount(mask), i = (int)qat_rng_below(r, (uint32_t)n);
    for (int b = 0;; b++)
        if (mask >> b & 1u && i-- == 0) return b;
}

static int pick(qat_rng *r, const int *v, int n) {
    return v[qat_rng_below(r, (uint32_t)n)];
}

static int draw_bn(const qat_search_space *sp, qat_rng *r) {
    int bn = sp->cfg->bn;
    return bn == QAT_SEARCH_BN_ALWAYS ? 1 : bn == QAT_SEARCH_BN_NEVER ? 0 : (int)qat_rng_below(r, 2);
}

static void random_block(const qat_search_space *sp, qat_rng *r, qat_gene_block *b) {
    const qat_search_config *c = sp->cfg;
    b->op = pick_bit(r, ops_of(sp));
    b->filters = pick(r, c->filters, c->n_filters);
    if (b->op == QAT_SEARCH_DEPTHWISE) b->filters = 0;
    b->kernel = pick(r, c->kernels, c->n_kernels);
    b->act = pick_bit(r, c->acts);
    b->bn = draw_bn(sp, r);
}

void qat_genome_random(const qat_search_space *sp, qat_rng *r, qat_genome *g) {
    const qat_search_config *c = sp->cfg;
    memset(g, 0, sizeof *g);
    g->n_blocks = c->min_blocks + (int)qat_rng_below(r, (uint32_t)(c->max_blocks - c->min_blocks + 1));
    for (int i = 0; i < g->n_blocks; i++) random_block(sp, r, &g->b[i]);
    g->head = pick_bit(r, c->heads);
    g->dense = pick(r, c->dense, c->n_dense);
}

/* ---- mutation: one gene, changed to another of its values ---------------------------- */

enum { M_OP, M_FILTERS, M_KERNEL, M_ACT, M_BN, M_ADD, M_REMOVE, M_HEAD, M_DENSE, M_COUNT };

/* Another value of v's list than v (v itself when the list has no other). */
static int other(qat_rng *r, const int *v, int n, int cur) {
    int alt[QAT_SEARCH_MAX_CHOICES], k = 0;
    for (int i = 0; i < n; i++)
        if (v[i] != cur) alt[k++] = v[i];
    return k ? pick(r, alt, k) : cur;
}

static int other_bit(qat_rng *r, unsigned mask, int cur) {
    unsigned rest = mask & ~(1u << cur);
    return rest ? pick_bit(r, rest) : cur;
}

/* Applies mutation `kind` to block i; 1 when the genome changed. */
static int mutate_gene(const qat_search_space *sp, qat_rng *r, qat_genome *g, int kind, int i) {
    const qat_search_config *c = sp->cfg;
    qat_gene_block *b = &g->b[i], old = *b;
    qat_genome before = *g;
    switch (kind) {
    case M_OP:
        b->op = other_bit(r, ops_of(sp), b->op);
        if (b->op == QAT_SEARCH_DEPTHWISE) b->filters = 0;
        else if (old.op == QAT_SEARCH_DEPTHWISE) b->filters = pick(r, c->filters, c->n_filters);
        break;
    case M_FILTERS:
        if (b->op != QAT_SEARCH_DEPTHWISE) b->filters = other(r, c->filters, c->n_filters, b->filters);
        break;
    case M_KERNEL: b->kernel = other(r, c->kernels, c->n_kernels, b->kernel); break;
    case M_ACT: b->act = other_bit(r, c->acts, b->act); break;
    case M_BN: if (c->bn == QAT_SEARCH_BN_OPTIONAL) b->bn = !b->bn; break;
    case M_ADD:
        if (g->n_blocks < c->max_blocks) {
            memmove(&g->b[i + 1], &g->b[i], (size_t)(g->n_blocks - i) * sizeof *b);
            random_block(sp, r, &g->b[i]);
            g->n_blocks++;
        }
        break;
    case M_REMOVE:
        if (g->n_blocks > c->min_blocks) {
            memmove(&g->b[i], &g->b[i + 1], (size_t)(g->n_blocks - i - 1) * sizeof *b);
            g->n_blocks--;
            memset(&g->b[g->n_blocks], 0, sizeof *b);
        }
        break;
    case M_HEAD: g->head = other_bit(r, c->heads, g->head); break;
    default: g->dense = other(r, c->dense, c->n_dense, g->dense); break;
    }
    return !qat_genome_equal(&before, g);
}

void qat_genome_mutate(const qat_search_space *sp, qat_rng *r, qat_genome *g) {
    for (int tries = 0; tries < 64; tries++) {
        int kind = (int)qat_rng_below(r, M_COUNT), i = (int)qat_rng_below(r, (uint32_t)g->n_blocks);
        if (mutate_gene(sp, r, g, kind, i)) return;
    }
}

void qat_genome_crossover(const qat_search_space *sp, qat_rng *r, const qat_genome *a,
                          const qat_genome *b, qat_genome *child) {
    (void)sp;
    int m = a->n_blocks < b->n_blocks ? a->n_blocks : b->n_blocks;
    int cut = m > 1 ? 1 + (int)qat_rng_below(r, (uint32_t)(m - 1)) : 1;
    *child = *b;
    memcpy(child->b, a->b, (size_t)cut * sizeof a->b[0]);
}

int qat_genome_equal(const qat_genome *a, const qat_genome *b) {
    if (a->n_blocks != b->n_blocks || a->head != b->head || a->dense != b->dense) return 0;
    for (int i = 0; i < a->n_blocks; i++) {
        const qat_gene_block *x = &a->b[i], *y = &b->b[i];
        if (x->op != y->op || x->filters != y->filters || x->kernel != y->kernel ||
            x->act != y->act || x->bn != y->bn)
            return 0;
    }
    return 1;
}
