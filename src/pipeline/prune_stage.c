/* The pruning stage: prune a copy of the float model on the schedule, fine-tune it with
 * QAT keeping its masks, lower it to int8 (see pipeline.h and prune.h). */
#include <stdlib.h>
#include <string.h>

#include "phase.h"
#include "qat/pipeline.h"
#include "qat/tflite.h"

/* The training callback: the schedule's mask updates (pruning phase), then the masks
 * enforced on the weights and the optimiser's moments (both phases). */
typedef struct pruner {
    const qat_prune_config *c;
    long end_step;
    int schedule;
    int failed; /* a mask update ran out of memory */
} pruner;

static void prune_step(void *ctx, qat_model *m, qat_optim *o, long step) {
    pruner *pr = ctx;
    if (pr->schedule) {
        int update;
        double s = qat_prune_sparsity_at(pr->c, pr->end_step, step, &update);
        if (update && qat_prune_update(&m->g, s)) pr->failed = 1;
    }
    qat_prune_enforce(&m->g, o);
}

/* Kernel weights of the prunable layers (for structured sparsity). */
static long prunable_weights(const qat_model *m) {
    long n = 0;
    for (int i = 0; i < m->n_layers; i++)
        if (m->spec[i].prune && m->layer[i].w >= 0) n += (long)m->g.nodes[m->layer[i].w].size;
    return n;
}

/* The model pruning starts from: a masked copy of the trained float model, or (structured)
 * a smaller model without the removed filters / units. */
static qat_status start_model(const qat_pipeline *p, double target, qat_model *pm, qat_error *e) {
    const qat_config *c = &p->cfg;
    const qat_model *fm = &p->model;
    if (c->prune.structured) return qat_prune_structured(fm, target, fm->g.max_batch, pm, e);
    qat_layer_spec layers[QAT_MAX_LAYERS]; /* each with its block size resolved */
    memcpy(layers, c->layers, (size_t)c->n_layers * sizeof *layers);
    for (int i = 0; i < c->n_layers; i++)
        layers[i].prune_block = qat_prune_block_of(&layers[i], &c->prune);
    qat_status st = qat_model_build_shape(pm, layers, c->n_layers, &fm->in, c->data.n_classes,
                                          fm->g.max_batch, 1, e);
    if (st) return st;
    memcpy(pm->g.params, fm->g.params, fm->g.n_params * sizeof(float)); /* same param order */
    for (int i = 0; i < fm->n_layers; i++) {
        if (fm->spec[i].kind != QAT_LAYER_BATCHNORM) continue;
        const qat_node *a = &fm->g.nodes[fm->layer[i].out], *b = &pm->g.nodes[pm->layer[i].out];
        memcpy(pm->g.state + b->offset, fm->g.state + a->offset,
               2 * (size_t)a->dim[a->ndim - 1] * sizeof(float));
    }
    pm->norm = fm->norm;
    return QAT_OK;
}

static qat_train_config phase_config(const qat_pipeline *p, double lr, int epochs, int batch) {
    qat_train_config t = p->cfg.train;
    t.optimizer = QAT_OPT_ADAM;
    t.lr = lr;
    t.epochs = epochs;
    t.batch = batch;
    t.plateau_patience = t.early_stop_patience = 0;
    return t;
}

/* Masked zeros against the int8 file's zeros of one kernel: mask node `mask`, IR tensor
 * "<layer>/<what>". */
static void check_kernel_zeros(const qat_qmodel *qm, int mask, const char *layer,
                               const char *what, const qat_ir *ir, qat_prune_result *r) {
    char name[QAT_IR_NAME_MAX];
    snprintf(name, sizeof name, "%s/%s", layer, what);
    const qat_ir_tensor *t = NULL;
    for (int k = 0; k < ir->n_tensors && !t; k++)
        if (!strcmp(ir->tensors[k].name, name)) t = &ir->tensors[k];
    const qat_node *mn = &qm->m.g.nodes[mask];
    QAT_ASSERT(t && t->bytes == mn->size);
    const int8_t *w = t->data;
    const float *keep = qm->m.g.state + mn->offset;
    for (size_t k = 0; k < mn->size; k++) {
        r->lost_zeros += keep[k] == 0 && w[k] != 0;
        r->extra_zeros += keep[k] != 0 && w[k] == 0;
    }
}

/* Masked zeros against the int8 file's zeros, kernel by kernel (both halves of a separable
 * conv: its depthwise kernel is "<layer>/depthwise/kernel"). */
static void check_zeros(const qat_qmodel *qm, const qat_ir *ir, qat_prune_result *r) {
    r->extra_zeros = r->lost_zeros = 0;
    for (int i = 0; i < qm->m.n_layers; i++) {
        const qat_model_layer *l = &qm->m.layer[i];
        if (l->mask >= 0) check_kernel_zeros(qm, l->mask, qm->m.spec[i].name, "kernel", ir, r);
        if (l->dw_mask >= 0)
            check_kernel_zeros(qm, l->dw_mask, qm->m.spec[i].name, "depthwise/kernel", ir, r);
    }
}

typedef struct branch {
    qat_model *pm;
    qat_qmodel *qm;
    qat_ir *ir;
    qat_epoch_stats *h_prune, *h_qat;
    qat_train_log *log_prune, *log_qat;
    size_t arena;
    qat_diagnosis *diag;  /* the configured sparsity's QAT diagnostics; NULL for the sweep */
} branch;

static qat_status run_branch(qat_pipeline *p, double target, branch *b, qat_progress_fn progress,
                             void *ctx, qat_prune_result *r, qat_error *e) {
    qat_prune_config c = p->cfg.prune;
    const qat_quant_config *q = &p->cfg.quant;
    c.final_sparsity = target;
    if (c.initial_sparsity > target) c.initial_sparsity = target;
    int bs = p->cfg.train.batch, steps = (p->train.n + bs - 1) / bs;
    pruner pr = {&c, c.end_step ? c.end_step : (long)steps * c.epochs, !c.masks[0] && !c.structured, 0};
    if (c.masks[0]) { /* fixed masks from a file: enforce them, never recompute */
        qat_status ms = qat_mask_file_read(&b->pm->g, c.masks, e);
        if (ms) return ms;
        qat_prune_enforce(&b->pm->g, NULL);
    }
    qat_train_callbacks cb = {.progress = progress, .progress_ctx = ctx, .after_step = prune_step,
                              .step_ctx = &pr};
    qat_train_config t = phase_config(p, c.lr, c.epochs, bs);
    b->log_prune->history = b->h_prune;
    qat_status st = qat_phase_train(p, b->pm, &t, p->cfg.seed + 2, b->log_prune, cb, e);
    if (pr.failed && (!st || st == QAT_ERR_INTERRUPTED)) {
        p->interrupted = 0; /* the state it stopped in missed a mask update: no resuming it */
        st = qat_error_set(e, QAT_ERR_NOMEM, "pruning: out of memory updating masks");
    }
    if (st) return st;
    double loss;
    r->target = target;
    r->sparsity = c.structured ? 1 - (double)prunable_weights(b->pm) / (double)prunable_weights(&p->model)
                               : qat_prune_measured(&b->pm->g);
    qat_model_evaluate(b->pm, &p->test, &loss, &r->float_accuracy);
    int max_batch = q->batch > 64 ? q->batch : 64;
    if ((st = qat_qmodel_build(b->qm, b->pm, q, max_batch, e))) return st;
    if ((st = qat_qmodel_calibrate(b->qm, &p->calib, q->ptq_observer, e))) return st;
    int corrected;
    if (q->bias_correction && (st = qat_qmodel_bias_correct(b->qm, &p->calib, &corrected, e)))
        return st;
    qat_qmodel_set_observer(b->qm, q->qat_observer);
    qat_qmodel_learn_init(b->qm);
    pr.schedule = 0;
    t = phase_config(p, q->lr, q->epochs, q->batch);
    b->log_qat->history = b->h_qat;
    qat_qmodel_schedule sch = {b->qm, q};
    qat_distill_ctx dc;
    qat_phase_stages(&cb, &sch);
    qat_distill_callbacks(p, 1, &cb, &dc);
    if (q->epochs > 0) {
        st = qat_phase_train(p, &b->qm->m, &t, p->cfg.seed + 3, b->log_qat, cb, e);
        qat_phase_final_stage(&sch);
        if (st) return st;
    }
    if (b->diag && (st = qat_diagnose(b->qm, &p->train, b->diag, e))) return st;
    if ((st = qat_lower(b->qm, QAT_LOWER_INT8, b->ir, e))) return st;
    if ((st = qat_int8_evaluate(b->ir, &p->test, NULL, NULL, &r->accuracy, &b->arena, e))) return st;
    check_zeros(b->qm, b->ir, r);
    unsigned char *buf;
    size_t len;
    char desc[QAT_PATH_MAX + 64];
    qat_pipeline_describe(p, desc, sizeof desc);
    if ((st = qat_tflite_serialize(b->ir, desc, &buf, &len, e))) return st;
    r->tflite_bytes = (long)len;
    st = qat_gzip_size(buf, len, &r->gzip_bytes, e);
    free(buf);
    return st;
}

static qat_status alloc_histories(const qat_pipeline *p, branch *b, qat_error *e) {
    int qe = p->cfg.quant.epochs > 0 ? p->cfg.quant.epochs : 1;
    b->h_prune = calloc((size_t)p->cfg.prune.epochs, sizeof *b->h_prune);
    b->h_qat = calloc((size_t)qe, sizeof *b->h_qat);
    if (b->h_prune && b->h_qat) return QAT_OK;
    free(b->h_prune);
    free(b->h_qat);
    b->h_prune = b->h_qat = NULL;
    return qat_error_set(e, QAT_ERR_NOMEM, "pruning: out of memory");
}

/* One sweep point: everything in locals, only the result kept. */
static qat_status sweep_point(qat_pipeline *p, double target, qat_prune_result *r, qat_error *e) {
    qat_model pm;
    qat_qmodel qm;
    qat_ir ir;
    qat_train_log lp = {0}, lq = {0};
    branch b = {&pm, &qm, &ir, NULL, NULL, &lp, &lq, 0, NULL};
    qat_ir_init(&ir);
    memset(&qm, 0, sizeof qm);
    qat_status st = start_model(p, target, &pm, e);
    if (st) return st;
    if (!(st = alloc_histories(p, &b, e))) st = run_branch(p, target, &b, NULL, NULL, r, e);
    free(b.h_prune);
    free(b.h_qat);
    qat_ir_free(&ir);
    if (qm.m.g.nodes) qat_qmodel_free(&qm);
    qat_model_free(&pm);
    return st;
}

/* A sweep sparsity equal to the configured one, or to an earlier sweep point, would only
 * repeat a deterministic run. */
static int already_run(const qat_pipeline *p, double target) {
    int seen = target == p->cfg.prune.final_sparsity;
    for (int i = 0; i < p->n_sweep; i++) seen |= target == p->sweep[i].target;
    return seen;
}

qat_status qat_pipeline_prune(qat_pipeline *p, qat_progress_fn progress, void *ctx,
                              qat_error *e) {
    branch b = {&p->pmodel, &p->pqm, &p->ir_pruned, NULL, NULL, &p->prune_log, &p->pqat_log, 0,
                &p->diag_pqat};
    qat_status st = start_model(p, p->cfg.prune.final_sparsity, &p->pmodel, e);
    if (st) return st;
    p->pmodel_built = 1;
    if ((st = alloc_histories(p, &b, e))) return st;
    p->prune_history = b.h_prune;
    p->pqat_history = b.h_qat;
    st = run_branch(p, p->cfg.prune.final_sparsity, &b, progress, ctx, &p->prune_main, e);
    p->pqm_built = p->pqm.m.g.nodes != NULL;
    p->arena_pruned = b.arena;
    if (st) return st;
    for (int i = 0; i < p->cfg.prune.n_sweep && !st; i++)
        if (!already_run(p, p->cfg.prune.sweep[i]))
            st = sweep_point(p, p->cfg.prune.sweep[i], &p->sweep[p->n_sweep++], e);
    p->pruned = !st;
    return st;
}
