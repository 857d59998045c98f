/* The training loop (see train.h). The whole state lives in one struct, so a run can stop
 * after any step and later continue bit for bit (qat_train_snapshot). */
#include "qat/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/clock.h"
#include "qat/hash.h"
#include "qat/optim.h"

/* Copies the samples order[0..b) into the input node and their labels into y. */
static void gather(qat_model *m, const qat_dataset *d, const int *order, int b, int *y) {
    qat_dataset_gather(d, order, b, m->g.nodes[m->input].val);
    for (int i = 0; i < b; i++) y[i] = d->y[order[i]];
}

/* Augments the batch's samples in the data's units (the model's normalisation undone, then
 * redone). Each sample draws from a generator keyed by (seed, epoch, its index in the
 * training set), so its transform does not depend on the batch it falls in, and an
 * interrupted run resumes with the same draws. */
static void augment(qat_model *m, const qat_augment *a, uint64_t seed, int epoch, int channels,
                    const int *order, int b, float *scratch) {
    size_t per = m->g.nodes[m->input].size;
    size_t steps = per / (size_t)channels;
    float *x = m->g.nodes[m->input].val;
    for (int i = 0; i < b; i++) {
        uint64_t key[3] = {seed, (uint64_t)epoch, (uint64_t)order[i]};
        qat_rng r;
        qat_rng_seed(&r, qat_hash64(0, key, sizeof key), QAT_STREAM_AUGMENT);
        float *xi = x + (size_t)i * per;
        qat_norm_invert_values(&m->norm, xi, steps);
        qat_augment_apply(a, &r, xi, 1, (int)steps, channels, scratch);
        qat_norm_apply_values(&m->norm, xi, steps);
    }
}

/* The first node (in graph order) holding a non-finite value: where divergence shows. */
static const qat_node *first_non_finite(const qat_model *m, int batch) {
    for (int i = 0; i < m->loss; i++) {
        const qat_node *n = &m->g.nodes[i];
        size_t len = qat_node_len(n, batch);
        for (size_t k = 0; k < len; k++)
            if (!isfinite(n->val[k])) return n;
    }
    return NULL;
}

static qat_status diverged(const qat_model *m, int batch, float loss, int epoch, int step,
                           qat_error *e) {
    const qat_node *n = first_non_finite(m, batch);
    char where[96] = "";
    if (n) {
        char layer[QAT_NODE_NAME_MAX];
        snprintf(layer, sizeof layer, "%s", n->name);
        char *slash = strchr(layer, '/');
        if (slash) *slash = 0;
        snprintf(where, sizeof where, " in layer '%s' (%s)", layer,
                 n->op == QAT_OP_PARAM ? "its weights" : "its output");
    }
    return qat_error_set(e, QAT_ERR_NUMERIC,
                         "training diverged at epoch %d, step %d: loss is %s, first non-finite "
                         "values%s (lower the learning rate, or check the data's scale)",
                         epoch, step, isnan(loss) ? "NaN" : "infinite", n ? where : " nowhere before the loss");
}

/* Best-so-far tracking for plateau and early stopping. */
typedef struct watch {
    double best;
    int wait;
} watch;

static int improved(qat_monitor m, double value, double best) {
    return m == QAT_MONITOR_VAL_LOSS ? value < best - 1e-4 : value > best + 1e-4;
}

static double monitored(qat_monitor m, const qat_epoch_stats *s) {
    return m == QAT_MONITOR_VAL_LOSS ? s->val_loss : s->val_accuracy;
}

typedef struct trainer {
    qat_model *m;
    const qat_train_config *cfg;
    const qat_dataset *train, *val;
    const qat_train_callbacks *cb;
    qat_train_log *log;
    qat_optim opt;
    qat_rng shuffle, dropout;
    int *order, *labels;
    int epoch, step;           /* epoch in progress (1-based) and its steps done */
    long global_step;          /* optimiser steps so far */
    double sum;                /* this epoch's loss sum and hits so far */
    int hits;
    watch plateau, stop;
    int keep_best;
    float *best_p, *best_s;
    uint64_t seed;
    float *scratch;            /* augmentation's, one sample; NULL when it is off */
    float *soft;               /* the teacher's probabilities for a batch (distillation) */
} trainer;

static int steps_per_epoch(const trainer *t) {
    return (t->train->n + t->cfg->batch - 1) / t->cfg->batch;
}

/* Runs the epoch's remaining steps; QAT_ERR_INTERRUPTED when asked to stop after one. */
static qat_status run_steps(trainer *t, qat_error *e) {
    qat_model *m = t->m;
    const qat_train_callbacks *cb = t->cb;
    int n = t->train->n, bs = t->cfg->batch, steps = steps_per_epoch(t);
    while (t->step < steps) {
        int s = t->step, b = n - s * bs < bs ? n - s * bs : bs;
        gather(m, t->train, t->order + s * bs, b, t->labels);
        if (t->scratch)
            augment(m, &t->cfg->augment, t->seed, t->epoch, t->train->channels, t->order + s * bs,
                    b, t->scratch);
        qat_pass p = {.batch = b, .training = 1, .labels = t->labels, .rng = &t->dropout,
                      .epoch = t->epoch};
        if (t->soft) {
            cb->soft_targets(cb->soft_ctx, m->g.nodes[m->input].val, b, t->soft);
            p.soft = t->soft;
            p.distill_alpha = cb->distill_alpha;
            p.distill_t = cb->distill_t;
        }
        qat_graph_forward(&m->g, &p, m->loss + 1);
        float loss = m->g.nodes[m->loss].val[0];
        if (!isfinite(loss)) return diverged(m, b, loss, t->epoch, s + 1, e);
        qat_graph_zero_grads(&m->g);
        qat_graph_backward(&m->g, &p, m->loss);
        qat_optim_step(&t->opt, m->g.params, m->g.grads);
        if (cb->after_step) cb->after_step(cb->step_ctx, m, &t->opt, t->global_step);
        t->global_step++;
        t->step++;
        t->sum += (double)loss * b;
        t->hits += qat_model_correct(m, t->labels, b);
        if (cb->progress) {
            int seen = s * bs + b;
            qat_progress pr = {t->epoch, t->cfg->epochs, s + 1, steps, t->sum / seen,
                               (double)t->hits / seen, NULL};
            cb->progress(cb->progress_ctx, &pr);
        }
        if (cb->stop && *cb->stop) return QAT_ERR_INTERRUPTED;
    }
    return QAT_OK;
}

static void snapshot_weights(const qat_graph *g, float *p, float *s) {
    memcpy(p, g->params, g->n_params * sizeof(float));
    memcpy(s, g->state, g->n_state * sizeof(float));
}

static void restore_weights(qat_graph *g, const float *p, const float *s) {
    memcpy(g->params, p, g->n_params * sizeof(float));
    memcpy(g->state, s, g->n_state * sizeof(float));
}

/* The plateau and early-stopping trackers as they start (no best yet). */
static void reset_watches(trainer *t) {
    const qat_train_config *cfg = t->cfg;
    t->stop = (watch){cfg->monitor == QAT_MONITOR_VAL_LOSS ? INFINITY : -INFINITY, 0};
    t->plateau = (watch){cfg->plateau_monitor == QAT_MONITOR_VAL_LOSS ? INFINITY : -INFINITY, 0};
    t->log->best_epoch = 0;
}

/* The monitored metrics of a final epoch: best weights, early-stopping wait, plateau. */
static void track(trainer *t, const qat_epoch_stats *s) {
    const qat_train_config *cfg = t->cfg;
    double v = monitored(cfg->monitor, s), pv = monitored(cfg->plateau_monitor, s);
    if (improved(cfg->monitor, v, t->stop.best)) {
        t->stop = (watch){v, 0};
        t->log->best_epoch = t->epoch;
        if (t->keep_best) snapshot_weights(&t->m->g, t->best_p, t->best_s);
    } else {
        t->stop.wait++;
    }
    if (cfg->plateau_patience > 0) {
        if (improved(cfg->plateau_monitor, pv, t->plateau.best))
            t->plateau = (watch){pv, 0};
        else if (++t->plateau.wait >= cfg->plateau_patience) {
            t->opt.lr = fmax(t->opt.lr * cfg->plateau_factor, cfg->min_lr);
            t->plateau.wait = 0;
        }
    }
}

/* Validation, trackers (a transitional epoch resets them: they wait for the final model),
 * progress; returns 1 when early stopping ends the run. */
static int end_epoch(trainer *t, qat_epoch_stats *s, double t0, int final) {
    const qat_train_config *cfg = t->cfg;
    s->loss = t->sum / t->train->n;
    s->accuracy = (double)t->hits / t->train->n;
    qat_model_evaluate(t->m, t->val, &s->val_loss, &s->val_accuracy);
    s->seconds = qat_clock() - t0;
    t->log->epochs_run = t->epoch;
    if (final) track(t, s);
    else reset_watches(t);
    if (t->cb->progress) {
        qat_progress pr = {t->epoch, cfg->epochs, 0, 0, s->loss, s->accuracy, s};
        t->cb->progress(t->cb->progress_ctx, &pr);
    }
    return final && cfg->early_stop_patience > 0 && t->stop.wait >= cfg->early_stop_patience;
}

static qat_status epochs(trainer *t, qat_error *e) {
    for (; t->epoch <= t->cfg->epochs; t->epoch++, t->step = 0) {
        qat_epoch_stats *s = &t->log->history[t->epoch - 1];
        double t0 = qat_clock();
        if (t->step == 0) { /* a fresh epoch (a resumed one has its order and sums) */
            qat_rng_shuffle(&t->shuffle, t->order, t->train->n);
            t->sum = 0;
            t->hits = 0;
            s->epoch = t->epoch;
            s->lr = t->opt.lr;
        }
        const qat_train_callbacks *cb = t->cb;
        int final = cb->before_epoch ? cb->before_epoch(cb->epoch_ctx, t->m, t->epoch) : 1;
        qat_status st = run_steps(t, e);
        if (st) return st;
        if (end_epoch(t, s, t0, final)) {
            t->log->stopped_early = 1;
            return QAT_OK;
        }
    }
    return QAT_OK;
}

/* ---- snapshots ---- */

void qat_train_snapshot_free(qat_train_snapshot *s) {
    free(s->order);
    free(s->params);
    free(s->state);
    free(s->m);
    free(s->v);
    free(s->best_params);
    free(s->best_state);
    free(s->history);
    memset(s, 0, sizeof *s);
}

static float *dup_floats(const float *src, size_t n) {
    float *p = malloc((n + 1) * sizeof(float));
    if (p && n) memcpy(p, src, n * sizeof(float));
    return p;
}

static qat_status save(const trainer *t, qat_train_snapshot *s, qat_error *e) {
    const qat_graph *g = &t->m->g;
    memset(s, 0, sizeof *s);
    *s = (qat_train_snapshot){.epoch = t->epoch, .step = t->step, .global_step = t->global_step,
                              .sum = t->sum, .hits = t->hits, .lr = t->opt.lr,
                              .plateau_best = t->plateau.best, .stop_best = t->stop.best,
                              .plateau_wait = t->plateau.wait, .stop_wait = t->stop.wait,
                              .shuffle = t->shuffle, .dropout = t->dropout, .opt_t = t->opt.t,
                              .n_order = t->train->n};
    s->order = malloc((size_t)t->train->n * sizeof(int) + 1);
    s->n_params = g->n_params;
    s->n_state = g->n_state;
    s->params = dup_floats(g->params, g->n_params);
    s->state = dup_floats(g->state, g->n_state);
    s->m = dup_floats(t->opt.m, g->n_params);
    s->v = dup_floats(t->opt.v, g->n_params);
    s->has_best = t->keep_best;
    if (t->keep_best) {
        s->best_params = dup_floats(t->best_p, g->n_params);
        s->best_state = dup_floats(t->best_s, g->n_state);
    }
    s->epochs = t->cfg->epochs;
    s->history = malloc((size_t)s->epochs * sizeof *s->history);
    s->log = *t->log;
    s->log.history = NULL;
    if (!s->order || !s->params || !s->state || !s->m || !s->v || !s->history ||
        (t->keep_best && (!s->best_params || !s->best_state))) {
        qat_train_snapshot_free(s);
        return qat_error_set(e, QAT_ERR_NOMEM, "training: out of memory saving its state");
    }
    memcpy(s->order, t->order, (size_t)t->train->n * sizeof(int));
    memcpy(s->history, t->log->history, (size_t)s->epochs * sizeof *s->history);
    return QAT_ERR_INTERRUPTED;
}

static qat_status restore(trainer *t, const qat_train_snapshot *s, qat_error *e) {
    qat_graph *g = &t->m->g;
    if (s->n_params != g->n_params || s->n_state != g->n_state || s->n_order != t->train->n ||
        s->epochs != t->cfg->epochs || s->has_best != t->keep_best)
        return qat_error_set(e, QAT_ERR_FORMAT, "resume: the saved training state does not fit "
                             "this model, data or configuration");
    t->epoch = s->epoch;
    t->step = s->step;
    t->global_step = s->global_step;
    t->sum = s->sum;
    t->hits = s->hits;
    t->opt.lr = s->lr;
    t->opt.t = s->opt_t;
    t->plateau = (watch){s->plateau_best, s->plateau_wait};
    t->stop = (watch){s->stop_best, s->stop_wait};
    t->shuffle = s->shuffle;
    t->dropout = s->dropout;
    memcpy(t->order, s->order, (size_t)s->n_order * sizeof(int));
    restore_weights(g, s->params, s->state);
    memcpy(t->opt.m, s->m, s->n_params * sizeof(float));
    memcpy(t->opt.v, s->v, s->n_params * sizeof(float));
    if (t->keep_best) {
        memcpy(t->best_p, s->best_params, s->n_params * sizeof(float));
        memcpy(t->best_s, s->best_state, s->n_state * sizeof(float));
    }
    qat_epoch_stats *history = t->log->history;
    *t->log = s->log;
    t->log->history = history;
    memcpy(history, s->history, (size_t)s->epochs * sizeof *history);
    return QAT_OK;
}

/* ---- the run ---- */

static qat_status start(trainer *t, uint64_t seed, qat_error *e) {
    const qat_train_config *cfg = t->cfg;
    qat_status st = qat_optim_init(&t->opt, cfg, t->m->g.n_params, e);
    if (st) return st;
    t->keep_best = cfg->early_stop_patience > 0 && cfg->restore_best;
    t->order = malloc((size_t)t->train->n * sizeof(int) + 1);
    t->labels = malloc((size_t)t->m->g.max_batch * sizeof(int));
    t->best_p = t->keep_best ? malloc((t->m->g.n_params + 1) * sizeof(float)) : NULL;
    t->best_s = t->keep_best ? malloc((t->m->g.n_state + 1) * sizeof(float)) : NULL;
    if (!t->order || !t->labels || (t->keep_best && (!t->best_p || !t->best_s)))
        return qat_error_set(e, QAT_ERR_NOMEM, "training: out of memory");
    for (int i = 0; i < t->train->n; i++) t->order[i] = i;
    t->seed = seed;
    if (t->cb->soft_targets &&
        !(t->soft = malloc((size_t)t->m->g.max_batch * (size_t)t->m->n_classes * sizeof(float))))
        return qat_error_set(e, QAT_ERR_NOMEM, "training: out of memory");
    if (qat_augment_active(&cfg->augment) &&
        !(t->scratch = malloc((size_t)t->m->g.nodes[t->m->input].size * sizeof(float))))
        return qat_error_set(e, QAT_ERR_NOMEM, "training: out of memory");
    qat_rng_seed(&t->shuffle, seed, QAT_STREAM_SHUFFLE);
    qat_rng_seed(&t->dropout, seed, QAT_STREAM_DROPOUT);
    t->epoch = 1;
    memset(t->log->history, 0, (size_t)cfg->epochs * sizeof *t->log->history);
    t->log->epochs_run = t->log->stopped_early = t->log->restored_best = 0;
    reset_watches(t);
    t->log->seconds = 0;
    return t->cb->resume ? restore(t, t->cb->resume, e) : QAT_OK;
}

qat_status qat_train(qat_model *m, const qat_train_config *cfg, const qat_dataset *train,
                     const qat_dataset *val, uint64_t seed, qat_train_log *log,
                     const qat_train_callbacks *cb, qat_error *e) {
    static const qat_train_callbacks none = {0};
    trainer t = {.m = m, .cfg = cfg, .train = train, .val = val, .cb = cb ? cb : &none, .log = log};
    double t0 = qat_clock();
    qat_status st = start(&t, seed, e);
    if (!st) st = epochs(&t, e);
    if (st == QAT_ERR_INTERRUPTED) {
        QAT_ASSERT(t.cb->save);
        log->seconds += qat_clock() - t0;
        st = save(&t, t.cb->save, e);
    } else if (!st) {
        if (t.keep_best && log->best_epoch > 0 && log->best_epoch != log->epochs_run) {
            restore_weights(&m->g, t.best_p, t.best_s);
            log->restored_best = 1;
        }
        log->seconds += qat_clock() - t0;
    }
    qat_optim_free(&t.opt);
    free(t.order);
    free(t.labels);
    free(t.best_p);
    free(t.best_s);
    free(t.scratch);
    free(t.soft);
    return st;
}
