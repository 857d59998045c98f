/* The training loop (see train.h). */
#include "qat/train.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "qat/optim.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Copies the samples order[0..b) into the input node and their labels into y. */
static void gather(qat_model *m, const qat_dataset *d, const int *order, int b, int *y) {
    size_t in = (size_t)m->window * m->channels;
    float *x = m->g.nodes[m->input].val;
    for (int i = 0; i < b; i++) {
        memcpy(x + i * in, d->x + (size_t)order[i] * in, in * sizeof(float));
        y[i] = d->y[order[i]];
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

static int improved(const qat_train_config *cfg, double value, double best) {
    return cfg->monitor == QAT_MONITOR_VAL_LOSS ? value < best - 1e-4 : value > best + 1e-4;
}

typedef struct trainer {
    qat_model *m;
    const qat_train_config *cfg;
    const qat_dataset *train;
    qat_optim opt;
    qat_rng shuffle, dropout;
    int *order, *labels;
    const qat_train_callbacks *cb;
    long step;             /* optimiser steps so far */
} trainer;

static qat_status run_epoch(trainer *t, int epoch, qat_epoch_stats *st, qat_error *e) {
    const qat_train_callbacks *cb = t->cb;
    qat_model *m = t->m;
    int n = t->train->n, bs = t->cfg->batch, steps = (n + bs - 1) / bs, hits = 0;
    double sum = 0;
    qat_rng_shuffle(&t->shuffle, t->order, n);
    for (int s = 0; s < steps; s++) {
        int b = n - s * bs < bs ? n - s * bs : bs;
        gather(m, t->train, t->order + s * bs, b, t->labels);
        qat_pass p = {.batch = b, .training = 1, .labels = t->labels, .rng = &t->dropout,
                      .epoch = epoch};
        qat_graph_forward(&m->g, &p, m->loss + 1);
        float loss = m->g.nodes[m->loss].val[0];
        if (!isfinite(loss)) return diverged(m, b, loss, epoch, s + 1, e);
        qat_graph_zero_grads(&m->g);
        qat_graph_backward(&m->g, &p, m->loss);
        qat_optim_step(&t->opt, m->g.params, m->g.grads);
        if (cb->after_step) cb->after_step(cb->step_ctx, m, &t->opt, t->step);
        t->step++;
        sum += (double)loss * b;
        hits += qat_model_correct(m, t->labels, b);
        if (cb->progress) {
            int seen = s * bs + b;
            qat_progress pr = {epoch, t->cfg->epochs, s + 1, steps, sum / seen,
                               (double)hits / seen, NULL};
            cb->progress(cb->progress_ctx, &pr);
        }
    }
    st->loss = sum / n;
    st->accuracy = (double)hits / n;
    return QAT_OK;
}

static void snapshot(const qat_graph *g, float *p, float *s) {
    memcpy(p, g->params, g->n_params * sizeof(float));
    memcpy(s, g->state, g->n_state * sizeof(float));
}

static void restore(qat_graph *g, const float *p, const float *s) {
    memcpy(g->params, p, g->n_params * sizeof(float));
    memcpy(g->state, s, g->n_state * sizeof(float));
}

qat_status qat_train(qat_model *m, const qat_train_config *cfg, const qat_dataset *train,
                     const qat_dataset *val, uint64_t seed, qat_train_log *log,
                     const qat_train_callbacks *cb, qat_error *e) {
    static const qat_train_callbacks none = {0};
    trainer t = {.m = m, .cfg = cfg, .train = train, .cb = cb ? cb : &none};
    qat_status st = qat_optim_init(&t.opt, cfg, m->g.n_params, e);
    if (st) return st;
    int keep_best = cfg->early_stop_patience > 0 && cfg->restore_best;
    t.order = malloc((size_t)train->n * sizeof(int));
    t.labels = malloc((size_t)m->g.max_batch * sizeof(int));
    float *best_p = keep_best ? malloc((m->g.n_params + 1) * sizeof(float)) : NULL;
    float *best_s = keep_best ? malloc((m->g.n_state + 1) * sizeof(float)) : NULL;
    if (!t.order || !t.labels || (keep_best && (!best_p || !best_s))) {
        st = qat_error_set(e, QAT_ERR_NOMEM, "training: out of memory");
        goto done;
    }
    for (int i = 0; i < train->n; i++) t.order[i] = i;
    qat_rng_seed(&t.shuffle, seed, QAT_STREAM_SHUFFLE);
    qat_rng_seed(&t.dropout, seed, QAT_STREAM_DROPOUT);
    double start = now(), worst = cfg->monitor == QAT_MONITOR_VAL_LOSS ? INFINITY : -INFINITY;
    watch plateau = {worst, 0}, stop = {worst, 0};
    memset(log->history, 0, (size_t)cfg->epochs * sizeof *log->history);
    log->epochs_run = log->best_epoch = log->stopped_early = log->restored_best = 0;
    for (int ep = 1; ep <= cfg->epochs; ep++) {
        qat_epoch_stats *s = &log->history[ep - 1];
        double t0 = now();
        s->epoch = ep;
        s->lr = t.opt.lr;
        if ((st = run_epoch(&t, ep, s, e))) goto done;
        qat_model_evaluate(m, val, &s->val_loss, &s->val_accuracy);
        s->seconds = now() - t0;
        log->epochs_run = ep;
        double v = cfg->monitor == QAT_MONITOR_VAL_LOSS ? s->val_loss : s->val_accuracy;
        if (improved(cfg, v, stop.best)) {
            stop = (watch){v, 0};
            log->best_epoch = ep;
            if (keep_best) snapshot(&m->g, best_p, best_s);
        } else {
            stop.wait++;
        }
        if (t.cb->progress) {
            qat_progress pr = {ep, cfg->epochs, 0, 0, s->loss, s->accuracy, s};
            t.cb->progress(t.cb->progress_ctx, &pr);
        }
        if (cfg->plateau_patience > 0) {
            if (improved(cfg, v, plateau.best))
                plateau = (watch){v, 0};
            else if (++plateau.wait >= cfg->plateau_patience) {
                t.opt.lr = fmax(t.opt.lr * cfg->plateau_factor, cfg->min_lr);
                plateau.wait = 0;
            }
        }
        if (cfg->early_stop_patience > 0 && stop.wait >= cfg->early_stop_patience) {
            log->stopped_early = 1;
            break;
        }
    }
    if (keep_best && log->best_epoch > 0 && log->best_epoch != log->epochs_run) {
        restore(&m->g, best_p, best_s);
        log->restored_best = 1;
    }
    log->seconds = now() - start;
done:
    qat_optim_free(&t.opt);
    free(t.order);
    free(t.labels);
    free(best_p);
    free(best_s);
    return st;
}
