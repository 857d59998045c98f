/* The evolutionary search (search.h qat_search_run): the chapter's EvolutionaryNAS loop —
 * random population, fitness, tournament selection, elitism, crossover and mutation — with
 * every candidate checked against the target before it is trained, each distinct genome
 * trained once, and a Pareto mode. */
#include <stdlib.h>
#include <string.h>

#include "qat/search.h"

#define DRAWS_PER_SLOT 1000 /* random draws for one slot before the space is declared too big */

double qat_candidate_accuracy(const qat_search_config *s, const qat_candidate *c) {
    int k = s->accuracy == QAT_SEARCH_ACC_INT8 ? c->val_int8_correct : c->val_float_correct;
    return c->val_n ? (double)k / c->val_n : 0;
}

static double headroom(long used, long limit) {
    return limit > 0 ? 1.0 - (double)used / (double)limit : 0;
}

double qat_candidate_efficiency(long flash_limit, long arena_limit, const qat_candidate_cost *c) {
    double h = 0.5 * headroom(c->flash_bytes, flash_limit) + 0.5 * headroom(c->arena_bytes, arena_limit);
    return h > 0 ? h : 0;
}

typedef struct run {
    const qat_search_space *sp;
    long flash_limit, arena_limit;
    qat_search_check_fn check;
    qat_search_train_fn train;
    void *ctx;
    qat_search_result *r;
    qat_rng rng;
    int n;                                        /* population size */
    qat_genome pop[QAT_SEARCH_MAX_POPULATION];
    qat_candidate_cost cost[QAT_SEARCH_MAX_POPULATION];
    int at[QAT_SEARCH_MAX_POPULATION];            /* index in r->all once evaluated */
    double key[QAT_SEARCH_MAX_POPULATION], crowd[QAT_SEARCH_MAX_POPULATION];
} run;

static int find(const qat_search_result *r, const qat_genome *g) {
    for (int i = 0; i < r->n; i++)
        if (qat_genome_equal(&r->all[i].g, g)) return i;
    return -1;
}

/* The exact check of g (its known figures when already evaluated). */
static qat_status check(run *u, const qat_genome *g, qat_candidate_cost *c, qat_error *e) {
    int i = find(u->r, g);
    if (i >= 0) {
        *c = u->r->all[i].cost;
        return QAT_OK;
    }
    return u->check(u->ctx, g, c, e);
}

/* A random genome that fits, into slot i. */
static qat_status random_fit(run *u, int i, qat_error *e) {
    for (int t = 0; t < DRAWS_PER_SLOT; t++) {
        qat_genome_random(u->sp, &u->rng, &u->pop[i]);
        qat_status st = check(u, &u->pop[i], &u->cost[i], e);
        if (st) return st;
        if (u->cost[i].fits) return QAT_OK;
        u->r->rejected++;
    }
    return qat_error_set(e, QAT_ERR_CONFIG, "[search]: no architecture of %d random draws fits "
                         "[target] (widen the budget or narrow the search space)", DRAWS_PER_SLOT);
}

static qat_status grow(qat_search_result *r, int need, qat_error *e) {
    if (r->n + need <= r->cap) return QAT_OK;
    int cap = (r->n + need) * 2;
    qat_candidate *a = realloc(r->all, (size_t)cap * sizeof *a);
    if (!a) return qat_error_set(e, QAT_ERR_NOMEM, "search: out of memory");
    r->all = a;
    r->cap = cap;
    return QAT_OK;
}

/* Trains the population's genomes not seen before (each once), in slot order. */
static qat_status evaluate(run *u, int gen, qat_error *e) {
    qat_search_result *r = u->r;
    qat_status st = grow(r, u->n, e);
    if (st) return st;
    int first = r->n;
    for (int i = 0; i < u->n; i++) {
        if ((u->at[i] = find(r, &u->pop[i])) >= 0) continue;
        qat_candidate *c = &r->all[r->n];
        memset(c, 0, sizeof *c);
        c->g = u->pop[i];
        qat_genome_format(&c->g, c->text, sizeof c->text);
        c->cost = u->cost[i];
        c->generation = gen;
        u->at[i] = r->n++;
    }
    if (r->n > first && (st = u->train(u->ctx, &r->all[first], r->n - first, e))) return st;
    for (int i = first; i < r->n; i++) r->pending += !r->all[i].evaluated;
    return QAT_OK;
}

/* a dominates b: no worse in accuracy, flash and arena, better in one. */
static int dominates(const qat_search_config *s, const qat_candidate *a, const qat_candidate *b) {
    double aa = qat_candidate_accuracy(s, a), ba = qat_candidate_accuracy(s, b);
    long af = a->cost.flash_bytes, bf = b->cost.flash_bytes;
    long am = a->cost.arena_bytes, bm = b->cost.arena_bytes;
    return aa >= ba && af <= bf && am <= bm && (aa > ba || af < bf || am < bm);
}

/* NSGA-II's non-dominated ranks (0 = the front) of the n candidates c[idx[i]]: rank k is
 * what no candidate of rank k or unranked dominates, once ranks below k are removed. */
static void ranks(const qat_search_config *s, const qat_candidate *c, const int *idx, int n,
                  int *rank) {
    int left = n, mark[QAT_SEARCH_MAX_POPULATION];
    for (int i = 0; i < n; i++) rank[i] = -1;
    for (int level = 0; left > 0; level++) {
        for (int i = 0; i < n; i++) {
            mark[i] = rank[i] < 0;
            for (int j = 0; j < n && mark[i]; j++)
                mark[i] = !(rank[j] < 0 && dominates(s, &c[idx[j]], &c[idx[i]]));
        }
        for (int i = 0; i < n; i++)
            if (mark[i]) rank[i] = level, left--;
    }
}

static double objective(const qat_search_config *s, const qat_candidate *c, int m) {
    return m == 0 ? qat_candidate_accuracy(s, c) : m == 1 ? (double)c->cost.flash_bytes
                                                          : (double)c->cost.arena_bytes;
}

/* NSGA-II's crowding distance of each member of front `level`: the sum over objectives of
 * the normalised gap between its neighbours (the extremes: infinite, here 1e9). */
static void crowding(const qat_search_config *s, const qat_candidate *c, const int *idx, int n,
                     const int *rank, int level, double *crowd) {
    int f[QAT_SEARCH_MAX_POPULATION], k = 0;
    for (int i = 0; i < n; i++)
        if (rank[i] == level) f[k++] = i, crowd[i] = 0;
    for (int m = 0; m < 3; m++) {
        for (int a = 1; a < k; a++) /* insertion sort by objective m, stable */
            for (int b = a; b > 0 && objective(s, &c[idx[f[b - 1]]], m) > objective(s, &c[idx[f[b]]], m); b--) {
                int t = f[b]; f[b] = f[b - 1]; f[b - 1] = t;
            }
        double lo = objective(s, &c[idx[f[0]]], m), hi = objective(s, &c[idx[f[k - 1]]], m);
        crowd[f[0]] = crowd[f[k - 1]] = 1e9;
        for (int a = 1; a + 1 < k && hi > lo; a++)
            if (crowd[f[a]] < 1e9)
                crowd[f[a]] += (objective(s, &c[idx[f[a + 1]]], m) - objective(s, &c[idx[f[a - 1]]], m)) / (hi - lo);
    }
}

/* Each slot's selection key (higher is better) and, in Pareto mode, its crowding. */
static void score(run *u, double *best_fit, double *best_acc) {
    const qat_search_config *s = u->sp->cfg;
    qat_candidate *all = u->r->all;
    *best_fit = -1e300;
    *best_acc = 0;
    if (s->fitness == QAT_FITNESS_PARETO) {
        int rank[QAT_SEARCH_MAX_POPULATION], top = 0;
        ranks(s, all, u->at, u->n, rank);
        for (int level = 0, done = 0; done < u->n; level++) {
            crowding(s, all, u->at, u->n, rank, level, u->crowd);
            for (int i = 0; i < u->n; i++) done += rank[i] == level;
        }
        for (int i = 0; i < u->n; i++) {
            u->key[i] = -rank[i];
            all[u->at[i]].fitness = -rank[i];
            top += rank[i] == 0;
        }
        *best_fit = top;
    } else {
        for (int i = 0; i < u->n; i++) {
            qat_candidate *c = &all[u->at[i]];
            double acc = qat_candidate_accuracy(s, c);
            c->fitness = s->accuracy_weight * acc +
                         (1 - s->accuracy_weight) * qat_candidate_efficiency(u->flash_limit, u->arena_limit, &c->cost);
            u->key[i] = c->fitness;
            u->crowd[i] = 0;
            if (c->fitness > *best_fit) *best_fit = c->fitness;
        }
    }
    for (int i = 0; i < u->n; i++) {
        double acc = qat_candidate_accuracy(s, &all[u->at[i]]);
        if (acc > *best_acc) *best_acc = acc;
    }
}

/* Slot a beats slot b: higher key, then more crowding distance, then the earlier slot. */
static int better(const run *u, int a, int b) {
    if (u->key[a] != u->key[b]) return u->key[a] > u->key[b];
    if (u->crowd[a] != u->crowd[b]) return u->crowd[a] > u->crowd[b];
    return a < b;
}

/* Tournament of `size` distinct slots: the best. */
static int tournament(run *u) {
    int size = u->sp->cfg->tournament < u->n ? u->sp->cfg->tournament : u->n, pick[16], w = -1;
    for (int k = 0; k < size; k++) {
        int i, dup;
        do {
            i = (int)qat_rng_below(&u->rng, (uint32_t)u->n);
            dup = 0;
            for (int j = 0; j < k; j++) dup |= pick[j] == i;
        } while (dup);
        pick[k] = i;
        if (w < 0 || better(u, i, w)) w = i;
    }
    return w;
}

/* The next population: the elite, then children of tournament-selected parents that fit. */
static qat_status breed(run *u, qat_error *e) {
    const qat_search_config *s = u->sp->cfg;
    int parents[QAT_SEARCH_MAX_POPULATION], np = u->n / 2 > 0 ? u->n / 2 : 1, order[QAT_SEARCH_MAX_POPULATION];
    for (int k = 0; k < np; k++) parents[k] = tournament(u);
    for (int i = 0; i < u->n; i++) order[i] = i;
    for (int a = 1; a < u->n; a++) /* slots by rank, stable */
        for (int b = a; b > 0 && better(u, order[b], order[b - 1]); b--) {
            int t = order[b]; order[b] = order[b - 1]; order[b - 1] = t;
        }
    qat_genome next[QAT_SEARCH_MAX_POPULATION];
    qat_candidate_cost cost[QAT_SEARCH_MAX_POPULATION];
    int n = 0;
    for (; n < s->elite && n < u->n; n++) next[n] = u->pop[order[n]], cost[n] = u->cost[order[n]];
    for (int tries = 0; n < u->n; tries++) {
        if (tries == DRAWS_PER_SLOT * u->n) break;
        const qat_genome *a = &u->pop[parents[qat_rng_below(&u->rng, (uint32_t)np)]];
        const qat_genome *b = &u->pop[parents[qat_rng_below(&u->rng, (uint32_t)np)]];
        qat_genome_crossover(u->sp, &u->rng, a, b, &next[n]);
        if (qat_rng_uniform(&u->rng) < s->mutation_rate) qat_genome_mutate(u->sp, &u->rng, &next[n]);
        qat_status st = check(u, &next[n], &cost[n], e);
        if (st) return st;
        if (cost[n].fits) n++;
        else u->r->rejected++;
    }
    memcpy(u->pop, next, (size_t)n * sizeof next[0]);
    memcpy(u->cost, cost, (size_t)n * sizeof cost[0]);
    for (int i = n; i < u->n; i++) { /* children kept failing: fresh random ones */
        qat_status st = random_fit(u, i, e);
        if (st) return st;
    }
    return QAT_OK;
}

/* The non-dominated set over every evaluated candidate, by flash, and the winner. */
static qat_status finish(run *u, qat_error *e) {
    const qat_search_config *s = u->sp->cfg;
    qat_search_result *r = u->r;
    r->front = malloc((size_t)(r->n + 1) * sizeof(int));
    if (!r->front) return qat_error_set(e, QAT_ERR_NOMEM, "search: out of memory");
    r->n_front = 0;
    for (int i = 0; i < r->n; i++) {
        int dominated = 0;
        for (int j = 0; j < r->n && !dominated; j++) dominated = dominates(s, &r->all[j], &r->all[i]);
        if (!dominated) r->front[r->n_front++] = i;
    }
    for (int a = 1; a < r->n_front; a++)
        for (int b = a; b > 0 && r->all[r->front[b]].cost.flash_bytes < r->all[r->front[b - 1]].cost.flash_bytes; b--) {
            int t = r->front[b]; r->front[b] = r->front[b - 1]; r->front[b - 1] = t;
        }
    r->best = 0;
    for (int i = 1; i < r->n; i++) {
        const qat_candidate *c = &r->all[i], *b = &r->all[r->best];
        if (s->fitness == QAT_FITNESS_WEIGHTED ? c->fitness > b->fitness
                                               : qat_candidate_accuracy(s, c) > qat_candidate_accuracy(s, b) ||
                                                 (qat_candidate_accuracy(s, c) == qat_candidate_accuracy(s, b) &&
                                                  c->cost.flash_bytes < b->cost.flash_bytes))
            r->best = i;
    }
    return QAT_OK;
}

qat_status qat_search_run(const qat_search_space *sp, uint64_t seed, long flash_limit,
                          long arena_limit, qat_search_check_fn check_fn,
                          qat_search_train_fn train, void *ctx, qat_search_result *r,
                          qat_error *e) {
    memset(r, 0, sizeof *r);
    run *u = calloc(1, sizeof *u);
    if (!u) return qat_error_set(e, QAT_ERR_NOMEM, "search: out of memory");
    *u = (run){sp, flash_limit, arena_limit, check_fn, train, ctx, r, .n = sp->cfg->population};
    qat_rng_seed(&u->rng, seed, QAT_STREAM_SEARCH);
    qat_status st = QAT_OK;
    for (int i = 0; i < u->n && !st; i++) st = random_fit(u, i, e);
    for (int gen = 0; !st && gen < sp->cfg->generations; gen++) {
        if ((st = evaluate(u, gen, e)) || r->pending) break;
        score(u, &r->gen_fitness[gen], &r->gen_accuracy[gen]);
        r->generations_done = gen + 1;
        if (gen + 1 < sp->cfg->generations) st = breed(u, e);
    }
    if (!st && !r->pending) st = finish(u, e);
    free(u);
    return st;
}

void qat_search_result_free(qat_search_result *r) {
    free(r->all);
    free(r->front);
    memset(r, 0, sizeof *r);
}
