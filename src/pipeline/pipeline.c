/* The job's stages (see pipeline.h). */
#include "qat/pipeline.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/checkpoint.h"
#include "qat/clock.h"
#include "qat/gemm.h"
#include "qat/int8.h"
#include "phase.h"
#include "qat/report.h"

/* Evaluation runs in chunks of this many samples (training uses cfg.train.batch). */
#define EVAL_BATCH 64

void qat_pipeline_init(qat_pipeline *p, const qat_config *cfg) {
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    p->gemm_kernel = qat_gemm_isa_name(qat_gemm_isa_used());
    qat_ir_init(&p->ir_ptq);
    qat_ir_init(&p->ir_qat);
    qat_ir_init(&p->ir_pruned);
}

void qat_pipeline_free(qat_pipeline *p) {
    qat_dataset_free(&p->train);
    qat_dataset_free(&p->val);
    qat_dataset_free(&p->test);
    free(p->test_raw);
    for (int k = 0; k < 3; k++) free(p->rows[k]);
    if (p->model_built) qat_model_free(&p->model);
    free(p->history);
    qat_dataset_free(&p->calib);
    if (p->qm_built) qat_qmodel_free(&p->qm);
    qat_ir_free(&p->ir_ptq);
    qat_ir_free(&p->ir_qat);
    free(p->qat_history);
    if (p->pqm_built) qat_qmodel_free(&p->pqm);
    if (p->pmodel_built) qat_model_free(&p->pmodel);
    if (p->teacher_built) qat_model_free(&p->teacher);
    free(p->sensitivity);
    qat_search_result_free(&p->search);
    qat_ir_free(&p->ir_pruned);
    free(p->prune_history);
    free(p->pqat_history);
    qat_resume_free(&p->state);
    qat_inputs_free(&p->inputs);
    memset(p, 0, sizeof *p);
}

__attribute__((format(printf, 2, 3)))
static void warn(qat_pipeline *p, const char *fmt, ...) {
    if (p->n_warnings == (int)(sizeof p->warnings / sizeof p->warnings[0])) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->warnings[p->n_warnings++], sizeof p->warnings[0], fmt, ap);
    va_end(ap);
}

const qat_dataset *qat_pipeline_val(const qat_pipeline *p) {
    return p->val_is_test ? &p->test : &p->val;
}

/* How many samples of each source went to each split, and a warning when the test split
 * shares a source (a person, a device, a session) with training. */
static void sources_used(qat_pipeline *p, const qat_dataset *all) {
    const qat_data_config *d = &p->cfg.data;
    memset(p->source_counts, 0, sizeof p->source_counts);
    for (int k = 0; k < 3; k++)
        for (int i = 0; p->rows[k] && i < p->n_rows[k]; i++) {
            int s = qat_data_sample_source(d, all, p->rows[k][i]);
            if (s >= 0) p->source_counts[s][k]++;
        }
    char shared[128] = "";
    int n = 0;
    for (int s = 0; s < d->n_sources; s++) {
        if (!p->source_counts[s][QAT_PART_TRAIN] || !p->source_counts[s][QAT_PART_TEST]) continue;
        if (n++ < 3)
            snprintf(shared + strlen(shared), sizeof shared - strlen(shared), "%s%s",
                     n > 1 ? ", " : "", d->sources[s].name);
    }
    if (n > 3) snprintf(shared + strlen(shared), sizeof shared - strlen(shared), " and %d more",
                        n - 3);
    if (n)
        warn(p, "the test split shares source%s %s with training: its accuracy is on more of "
             "the same recordings, not on another person, device or session (a [source.NAME] "
             "with use = test, or cross_validate = leave_one_source_out, measures that)",
             n > 1 ? "s" : "", shared);
}

/* The seed of the splits: [data] split_seed, else the run's. */
static uint64_t split_seed(const qat_config *c) {
    return c->data.has_split_seed ? c->data.split_seed : c->seed;
}

/* Every loaded sample to its part (qat_data_assign), then each part into its dataset, keeping
 * the row numbers of each for split_*.npy. The data set's own test file is the test split. */
static qat_status split(qat_pipeline *p, const qat_dataset *all, qat_error *e) {
    const qat_config *c = &p->cfg;
    qat_rng rng;
    qat_rng_seed(&rng, split_seed(c), QAT_STREAM_SPLIT);
    unsigned char *part = malloc((size_t)all->n + 1);
    if (!part) return qat_error_set(e, QAT_ERR_NOMEM, "data: out of memory for the split");
    double val = p->val_is_test ? 0.0 : c->train.val_split;
    qat_status st = qat_data_assign(&c->data, all, val, c->train.val_select == QAT_VAL_LAST, &rng,
                                    part, e);
    qat_dataset *dst[] = {&p->train, &p->val, &p->test};
    for (int k = 0; !st && k < 3; k++) {
        if (k == QAT_PART_VAL && p->val_is_test) continue; /* val_is_test: no val_index */
        if (k == QAT_PART_TEST && qat_data_has_test_file(&c->data)) continue;
        st = qat_dataset_part(all, part, (qat_part)k, dst[k], &p->rows[k], &p->n_rows[k], e);
    }
    free(part);
    if (!st && qat_data_has_test_file(&c->data)) st = qat_data_load_test(&c->data, &p->test, e);
    return st;
}

/* Each dataset owns its samples and no two share a buffer; on failure whatever p holds is
 * freed by qat_pipeline_free. The data are judged (qat_data_validate) before anything is
 * fitted to them. */
qat_status qat_pipeline_data(qat_pipeline *p, qat_error *e) {
    const qat_config *c = &p->cfg;
    qat_dataset all = {0};
    p->val_is_test = !(c->train.val_split > 0) && !c->data.val_index[0];
    qat_status st = qat_data_load(&c->data, c->seed, &all, e);
    if (!st) st = split(p, &all, e);
    char warning[sizeof p->warnings[0]];
    qat_data_splits splits = {&p->train, p->val_is_test ? NULL : &p->val, &p->test,
                              c->train.val_split};
    if (!st) st = qat_data_validate(&c->data, &all, &splits, warning, sizeof warning, e);
    if (!st && warning[0]) warn(p, "%s", warning);
    if (!st) sources_used(p, &all);
    qat_dataset_free(&all);
    if (st) return st;
    size_t raw_bytes = (size_t)p->test.n * qat_dataset_sample_size(&p->test) * sizeof(float);
    if (!(p->test_raw = malloc(raw_bytes + 1)))
        return qat_error_set(e, QAT_ERR_NOMEM, "data: out of memory");
    qat_dataset_read(&p->test, 0, p->test.n, p->test_raw); /* what qat_prepare_input takes */
    qat_norm norm;
    if ((st = qat_norm_fit(&p->train, c->data.normalize, (float)c->data.scale, &norm, e)))
        return st;
    qat_norm_apply(&norm, &p->train);
    qat_norm_apply(&norm, &p->test);
    if (!p->val_is_test) qat_norm_apply(&norm, &p->val);
    p->model.norm = norm;
    return QAT_OK;
}

qat_status qat_pipeline_build(qat_pipeline *p, qat_error *e) {
    const qat_config *c = &p->cfg;
    qat_norm norm = p->model.norm;
    int max_batch = c->train.batch > EVAL_BATCH ? c->train.batch : EVAL_BATCH;
    qat_shape in = qat_input_shape(c->data.height, c->data.width, c->data.window,
                                   c->data.channels);
    qat_status st = qat_model_build_shape(&p->model, c->layers, c->n_layers, &in,
                                          c->data.n_classes, max_batch, 0, e);
    if (st) return st;
    p->model_built = 1;
    p->model.norm = norm;
    qat_rng init;
    qat_rng_seed(&init, c->seed, QAT_STREAM_INIT);
    qat_model_init(&p->model, &init);
    return QAT_OK;
}

qat_status qat_pipeline_train(qat_pipeline *p, qat_progress_fn progress, void *ctx, qat_error *e) {
    const qat_config *c = &p->cfg;
    p->history = calloc((size_t)c->train.epochs, sizeof *p->history);
    if (!p->history) return qat_error_set(e, QAT_ERR_NOMEM, "training: out of memory");
    p->log.history = p->history;
    qat_train_callbacks cb = {.progress = progress, .progress_ctx = ctx};
    qat_distill_ctx dc;
    qat_status st = qat_distill_prepare(p, e);
    if (st) return st;
    qat_distill_callbacks(p, 0, &cb, &dc);
    st = qat_phase_train(p, &p->model, &c->train, c->seed, &p->log, cb, e);
    if (st) return st;
    qat_model_evaluate(&p->model, &p->test, &p->test_loss, &p->test_accuracy);
    return QAT_OK;
}

qat_status qat_pipeline_load_float(qat_pipeline *p, const char *path, qat_error *e) {
    const qat_config *c = &p->cfg;
    qat_norm fitted = p->model.norm;
    p->history = calloc((size_t)c->train.epochs, sizeof *p->history);
    if (!p->history) return qat_error_set(e, QAT_ERR_NOMEM, "training: out of memory");
    p->log.history = p->history; /* no epochs run */
    qat_status st = qat_checkpoint_load(&p->model, path, e);
    if (st) return st;
    if (p->model.norm.kind != fitted.kind || p->model.norm.channels != fitted.channels ||
        memcmp(p->model.norm.min, fitted.min, sizeof fitted.min) ||
        memcmp(p->model.norm.max, fitted.max, sizeof fitted.max)) {
        p->model.norm = fitted;
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: trained on other data (its input "
                             "normalisation differs from this config's training split)", path);
    }
    qat_model_evaluate(&p->model, &p->test, &p->test_loss, &p->test_accuracy);
    return QAT_OK;
}

qat_status qat_pipeline_write(const qat_pipeline *p, qat_error *e) {
    const char *dir = p->cfg.out_dir;
    char path[QAT_PATH_MAX];
    qat_status st = qat_mkdir_p(dir, e);
    if (!st) st = qat_path_join(path, sizeof path, dir, "history.csv", e);
    if (!st) st = qat_report_history_csv(&p->log, NULL, path, e);
    if (!st) st = qat_path_join(path, sizeof path, dir, "float.ckpt", e);
    if (!st) st = qat_checkpoint_save(&p->model, path, e);
    if (!st) st = qat_path_join(path, sizeof path, dir, "report.json", e);
    if (!st) st = qat_report_json(p, path, e);
    if (!st && p->quantized) st = qat_path_join(path, sizeof path, dir, "qat_history.csv", e);
    const qat_quant_config *q = qat_quant_staged(&p->cfg.quant) ? &p->cfg.quant : NULL;
    if (!st && p->quantized) st = qat_report_history_csv(&p->qat_log, q, path, e);
    if (!st && p->quantized) st = qat_path_join(path, sizeof path, dir, "qat.ckpt", e);
    if (!st && p->quantized) st = qat_checkpoint_save(&p->qm.m, path, e);
    if (!st && p->cfg.quant.auto_bits && p->sensitivity) {
        st = qat_path_join(path, sizeof path, dir, "mixed_precision.ini", e);
        if (!st) st = qat_write_mixed_config(p, path, e);
    }
    if (!st && p->searched) {
        st = qat_path_join(path, sizeof path, dir, "search.csv", e);
        if (!st) st = qat_report_search_csv(p, path, 0, e);
        if (!st) st = qat_path_join(path, sizeof path, dir, "search_front.csv", e);
        if (!st) st = qat_report_search_csv(p, path, 1, e);
        if (!st) st = qat_path_join(path, sizeof path, dir, "search_best.ini", e);
        if (!st) st = qat_write_search_config(p, path, e);
    }
    if (!st) st = qat_path_join(path, sizeof path, dir, "timing.json", e);
    if (!st) st = qat_report_timing_json(p, path, e);
    return st;
}

/* The representative set: a subset of the training split — never the test split — with the
 * lessons' two warnings. */
/* The training samples the representative set may use: all, or the listed classes'. */
static qat_status calib_pool(const qat_pipeline *p, qat_dataset *pool, qat_error *e) {
    const qat_quant_config *q = &p->cfg.quant;
    int *idx = malloc((size_t)p->train.n * sizeof(int) + 1), n = 0;
    if (!idx) return qat_error_set(e, QAT_ERR_NOMEM, "calibration: out of memory");
    for (int i = 0; i < p->train.n; i++) {
        int ok = q->n_calib_classes == 0;
        for (int k = 0; k < q->n_calib_classes && !ok; k++)
            ok = !strcmp(q->calib_classes[k], p->cfg.data.classes[p->train.y[i]]);
        if (ok) idx[n++] = i;
    }
    qat_status st = n ? qat_dataset_subset(&p->train, idx, n, pool, e)
                      : qat_error_set(e, QAT_ERR_DATA, "calibration: no training sample of the classes in "
                                      "[quant] calib_classes");
    free(idx);
    return st;
}

qat_status qat_pipeline_calibration(qat_pipeline *p, qat_error *e) {
    const qat_quant_config *q = &p->cfg.quant;
    if (p->calib.n > 0) return QAT_OK; /* the search drew it already */
    qat_dataset pool = {0}, rest = {0};
    qat_status st = calib_pool(p, &pool, e);
    if (st) return st;
    int n = q->calib_samples < pool.n ? q->calib_samples : pool.n;
    qat_rng r;
    qat_rng_seed(&r, p->cfg.seed, QAT_STREAM_CALIB);
    if (n < pool.n && q->calib_select == QAT_CALIB_FIRST) { /* the lab's x_train[:200] */
        st = qat_dataset_head(&pool, n, &p->calib, e);
        qat_dataset_free(&pool);
    } else if (n < pool.n) { /* seeded, stratified */
        st = qat_dataset_split(&pool, (double)n / pool.n, &r, &rest, &p->calib, e);
        qat_dataset_free(&rest);
        qat_dataset_free(&pool);
    } else {
        p->calib = pool; /* all of it */
    }
    if (st) return st;
    if (p->calib.n < 100)
        warn(p, "calibration set has %d samples; the lessons recommend at least 100",
             p->calib.n);
    int seen[QAT_MAX_CLASSES] = {0};
    for (int i = 0; i < p->calib.n; i++) seen[p->calib.y[i]]++;
    for (int c = 0; c < p->calib.n_classes; c++)
        if (!seen[c])
            warn(p, "calibration set has no '%s' samples; include every class", p->cfg.data.classes[c]);
    return QAT_OK;
}

/* The fake-quant graph's test accuracy, and on how many test samples it and the int8 engine
 * answer differently. The graph's answer is its int8 logits through the int8 softmax, as the
 * exported model ends (qat_int8_classify_logits). */
static qat_status compare_sim(qat_pipeline *p, qat_error *e) {
    const qat_dataset *t = &p->test;
    int k = t->n_classes, *pred = malloc((size_t)t->n * 2 * sizeof(int)), *sim = pred + t->n;
    float *logits = malloc((size_t)t->n * k * sizeof(float));
    qat_status st = QAT_OK;
    if (!pred || !logits) st = qat_error_set(e, QAT_ERR_NOMEM, "quantization: out of memory");
    if (!st) st = qat_int8_evaluate(&p->ir_qat, t, pred, NULL, &p->qat_accuracy, &p->arena_qat, e);
    if (!st) {
        qat_model_logits_data(&p->qm.m, t, logits);
        st = qat_int8_classify_logits(&p->ir_qat, logits, t->n, sim, e);
    }
    if (!st) {
        int correct = 0;
        p->sim_disagreements = 0;
        for (int i = 0; i < t->n; i++) {
            p->sim_disagreements += sim[i] != pred[i];
            correct += sim[i] == t->y[i];
        }
        p->qat_sim_accuracy = t->n ? (double)correct / t->n : 0;
    }
    free(pred);
    free(logits);
    return st;
}

static qat_status dynamic_range(qat_pipeline *p, qat_error *e) {
    const qat_config *c = &p->cfg;
    qat_model dr;
    qat_status st = qat_model_build_shape(&dr, c->layers, c->n_layers, &p->model.in,
                                          c->data.n_classes, p->model.g.max_batch, 0, e);
    if (st) return st;
    memcpy(dr.g.params, p->model.g.params, p->model.g.n_params * sizeof(float));
    memcpy(dr.g.state, p->model.g.state, p->model.g.n_state * sizeof(float));
    if ((st = qat_dynamic_range_apply(&dr, 1024, e))) {
        qat_model_free(&dr);
        return st;
    }
    double loss;
    qat_model_evaluate(&dr, &p->test, &loss, &p->dr_accuracy);
    memcpy(dr.g.params, p->model.g.params, p->model.g.n_params * sizeof(float));
    memcpy(dr.g.state, p->model.g.state, p->model.g.n_state * sizeof(float));
    qat_float16_apply(&dr);
    qat_model_evaluate(&dr, &p->test, &loss, &p->fp16_accuracy);
    qat_model_free(&dr);
    return QAT_OK;
}

/* SQNR of the QAT model's int8 tensors against its own weights run in float. */
static qat_status qat_sqnr_trained(qat_pipeline *p, qat_error *e) {
    const qat_config *c = &p->cfg;
    qat_model fm;
    int n;
    qat_status st = qat_model_build_shape(&fm, c->layers, c->n_layers, &p->model.in, c->data.n_classes,
                                          1, 0, e);
    if (st) return st;
    qat_qmodel_export_float(&p->qm, &fm);
    st = qat_sqnr(&p->ir_qat, &p->qm, &fm, &p->calib, p->sqnr_qat, &n, e);
    qat_model_free(&fm);
    return st;
}

/* Puts what was being done in front of an error from deeper down. */
static qat_status context(qat_status st, qat_error *e, const char *what) {
    if (st && e) {
        char msg[2 * QAT_ERROR_MAX];
        int n = snprintf(msg, sizeof msg, "%s: %s", what, e->msg);
        size_t len = n < 0 ? 0 : (size_t)n < sizeof e->msg ? (size_t)n : sizeof e->msg - 1;
        memcpy(e->msg, msg, len);
        e->msg[len] = 0;
    }
    return st;
}

static qat_status quantize(qat_pipeline *p, qat_progress_fn progress, void *ctx, qat_error *e);

qat_status qat_pipeline_quantize(qat_pipeline *p, qat_progress_fn progress, void *ctx,
                                 qat_error *e) {
    return context(quantize(p, progress, ctx, e), e,
                   "quantizing the trained model (if training diverged, lower the learning rate)");
}

/* [quant] sensitivity on the validation split, or the calibration set (a subset of the
 * training split) when validation is the test split (the lesson): never the test split. */
static qat_status sensitivity(qat_pipeline *p, qat_error *e) {
    p->sensitivity = malloc(sizeof *p->sensitivity);
    if (!p->sensitivity) return qat_error_set(e, QAT_ERR_NOMEM, "sensitivity: out of memory");
    const qat_dataset *d = p->val_is_test ? &p->calib : qat_pipeline_val(p);
    p->sensitivity_on = p->val_is_test ? "calibration set" : "validation split";
    return qat_sensitivity_analyse(&p->qm, d, p->sensitivity, e);
}

static double accuracy_at(void *ctx, const int *bits) {
    qat_pipeline *p = ctx;
    return qat_qmodel_accuracy_at(&p->qm, p->val_is_test ? &p->calib : qat_pipeline_val(p), bits);
}

/* [quant] auto_bits: the bits chosen from the sensitivity table, given to the QAT model and
 * to the config the pruned model is built from. */
static void auto_bits(qat_pipeline *p) {
    const qat_quant_config *q = &p->cfg.quant;
    qat_auto_goal goal = {q->auto_budget / 100, q->auto_bits == 2 ? q->auto_weight_bytes : 0};
    int eight[QAT_MAX_LAYERS];
    for (int i = 0; i < QAT_MAX_LAYERS; i++) eight[i] = 8;
    p->auto_base = accuracy_at(p, eight);
    qat_auto_bits(p->sensitivity, &goal, accuracy_at, p, p->auto_bits, &p->auto_accuracy);
    qat_qmodel_set_weight_bits(&p->qm, p->auto_bits);
    p->auto_accuracy = accuracy_at(p, p->auto_bits); /* and a pass with them: fresh scales */
    for (int i = 0; i < p->sensitivity->n; i++)
        if (!p->sensitivity->layer[i].depthwise_half)
            p->cfg.layers[p->sensitivity->layer[i].spec].weight_bits = p->auto_bits[i];
}

static qat_status quantize(qat_pipeline *p, qat_progress_fn progress, void *ctx, qat_error *e) {
    const qat_quant_config *q = &p->cfg.quant;
    int max_batch = q->batch > EVAL_BATCH ? q->batch : EVAL_BATCH;
    qat_status st = dynamic_range(p, e);
    if (!st) st = qat_pipeline_calibration(p, e);
    if (!st) st = qat_qmodel_build(&p->qm, &p->model, q, max_batch, e);
    if (st) return st;
    p->qm_built = 1;
    if ((st = qat_qmodel_calibrate(&p->qm, &p->calib, q->ptq_observer, e))) return st;
    if ((q->sensitivity || q->auto_bits) && (st = sensitivity(p, e))) return st;
    if (q->auto_bits) auto_bits(p); /* before bias correction: the written config redoes it */
    if (q->bias_correction &&
        (st = qat_qmodel_bias_correct(&p->qm, &p->calib, &p->bias_corrected, e)))
        return st;
    if ((st = qat_lower(&p->qm, QAT_LOWER_INT8, &p->ir_ptq, e))) return st;
    if ((st = qat_int8_evaluate(&p->ir_ptq, &p->test, NULL, NULL, &p->ptq_accuracy, &p->arena_ptq, e)))
        return st;
    if ((st = qat_sqnr(&p->ir_ptq, &p->qm, &p->model, &p->calib, p->sqnr_ptq, &p->n_sqnr, e)))
        return st;
    qat_train_config t = p->cfg.train;
    t.optimizer = QAT_OPT_ADAM;
    t.lr = q->lr;
    t.epochs = q->epochs;
    t.batch = q->batch;
    t.plateau_patience = q->plateau_patience;
    t.plateau_factor = q->plateau_factor;
    t.early_stop_patience = q->early_stop_patience;
    qat_qmodel_set_observer(&p->qm, q->qat_observer);
    qat_qmodel_learn_init(&p->qm);
    if (q->epochs > 0) {
        p->qat_history = calloc((size_t)q->epochs, sizeof *p->qat_history);
        if (!p->qat_history) return qat_error_set(e, QAT_ERR_NOMEM, "QAT: out of memory");
        p->qat_log.history = p->qat_history;
        qat_qmodel_schedule sch = {&p->qm, q};
        qat_train_callbacks cb = {.progress = progress, .progress_ctx = ctx};
        qat_distill_ctx dc;
        qat_phase_stages(&cb, &sch);
        if ((st = qat_distill_prepare(p, e))) return st;
        qat_distill_callbacks(p, 1, &cb, &dc);
        st = qat_phase_train(p, &p->qm.m, &t, p->cfg.seed + 1, &p->qat_log, cb, e);
        qat_phase_final_stage(&sch);
        if (st) return st;
    }
    if ((st = qat_diagnose(&p->qm, &p->train, &p->diag_qat, e))) return st;
    if ((st = qat_lower(&p->qm, QAT_LOWER_INT8, &p->ir_qat, e))) return st;
    if ((st = compare_sim(p, e))) return st;
    if ((st = qat_sqnr_trained(p, e))) return st;
    p->quantized = 1;
    return QAT_OK;
}

#define LAT_ROUNDS 5
#define LAT_REPS 400

/* Median over rounds of the mean single-sample time, float model. */
static qat_status latencies(qat_pipeline *p, const float *x, qat_error *e);

static double float_latency(qat_model *m, const float *x) {
    double t[LAT_ROUNDS];
    float prob[QAT_MAX_CLASSES];
    for (int r = 0; r < LAT_ROUNDS; r++) {
        double t0 = qat_clock();
        for (int i = 0; i < LAT_REPS; i++) qat_model_predict(m, x, 1, prob);
        t[r] = (qat_clock() - t0) / LAT_REPS;
    }
    return 1e6 * qat_median(t, LAT_ROUNDS);
}

static qat_status int8_latency(const qat_ir *ir, const float *x, double *us, qat_error *e) {
    qat_i8_engine eng;
    qat_status st = qat_i8_prepare(&eng, ir, "int8 latency measurement", e);
    if (st) return st;
    const qat_ir_tensor *in = &ir->tensors[ir->input];
    size_t n = qat_ir_tensor_count(in);
    int8_t *q = malloc(n + 1), out[QAT_MAX_CLASSES]; /* window x channels: up to 64 Ki */
    if (!q) {
        qat_i8_free(&eng);
        return qat_error_set(e, QAT_ERR_NOMEM, "latency: out of memory");
    }
    double t[LAT_ROUNDS];
    for (int r = 0; r < LAT_ROUNDS; r++) {
        double t0 = qat_clock();
        for (int i = 0; i < LAT_REPS; i++) {
            qat_i8_quantize(x, n, in->q.scale[0], in->q.zero_point[0], q);
            qat_i8_invoke(&eng, q, out);
        }
        t[r] = (qat_clock() - t0) / LAT_REPS;
    }
    *us = 1e6 * qat_median(t, LAT_ROUNDS);
    free(q);
    qat_i8_free(&eng);
    return QAT_OK;
}

qat_status qat_pipeline_measure(qat_pipeline *p, qat_error *e) {
    QAT_ASSERT(p->test.n > 0); /* qat_data_validate saw to it */
    float *x = malloc(qat_dataset_sample_size(&p->test) * sizeof *x);
    if (!x) return qat_error_set(e, QAT_ERR_NOMEM, "latency: out of memory");
    qat_dataset_read(&p->test, 0, 1, x);
    qat_status st = latencies(p, x, e);
    free(x);
    return st;
}

static qat_status latencies(qat_pipeline *p, const float *x, qat_error *e) {
    p->latency_us[QAT_VARIANT_FLOAT32] = float_latency(&p->model, x);
    if (!p->quantized) return QAT_OK;
    /* The dynamic-range model is simulated with the float kernels: the same cost. */
    p->latency_us[QAT_VARIANT_DYNAMIC_RANGE] = p->latency_us[QAT_VARIANT_FLOAT32];
    qat_status st = int8_latency(&p->ir_ptq, x, &p->latency_us[QAT_VARIANT_INT8_PTQ], e);
    if (!st) st = int8_latency(&p->ir_qat, x, &p->latency_us[QAT_VARIANT_INT8_QAT], e);
    if (!st && p->pruned) st = int8_latency(&p->ir_pruned, x, &p->latency_us[QAT_VARIANT_INT8_PRUNED], e);
    return st;
}
