/* The job's stages (see pipeline.h). */
#include "qat/pipeline.h"

#include <stdlib.h>
#include <string.h>

#include "qat/checkpoint.h"
#include "qat/report.h"

/* Evaluation runs in chunks of this many samples (training uses cfg.train.batch). */
#define EVAL_BATCH 64

void qat_pipeline_init(qat_pipeline *p, const qat_config *cfg) {
    memset(p, 0, sizeof *p);
    p->cfg = *cfg;
    p->blas_core = "";
}

void qat_pipeline_free(qat_pipeline *p) {
    qat_dataset_free(&p->train);
    if (!p->val_is_test) qat_dataset_free(&p->val);
    qat_dataset_free(&p->test);
    if (p->model_built) qat_model_free(&p->model);
    free(p->history);
    memset(p, 0, sizeof *p);
}

qat_status qat_pipeline_data(qat_pipeline *p, qat_error *e) {
    const qat_config *c = &p->cfg;
    qat_dataset all = {0}, rest = {0};
    qat_rng split;
    qat_rng_seed(&split, c->seed, QAT_STREAM_SPLIT);
    qat_status st = qat_data_load(&c->data, c->seed, &all, e);
    if (!st) st = qat_dataset_split(&all, c->data.test_split, &split, &rest, &p->test, e);
    qat_dataset_free(&all);
    if (st) goto fail;
    if (c->train.val_split > 0) {
        st = qat_dataset_split(&rest, c->train.val_split, &split, &p->train, &p->val, e);
        qat_dataset_free(&rest);
        if (st) goto fail;
    } else {
        p->train = rest;
        p->val = p->test;
        p->val_is_test = 1;
    }
    qat_norm norm;
    if ((st = qat_norm_fit(&p->train, c->data.normalize, &norm, e))) goto fail;
    qat_norm_apply(&norm, &p->train);
    qat_norm_apply(&norm, &p->test);
    if (!p->val_is_test) qat_norm_apply(&norm, &p->val);
    p->model.norm = norm;
    return QAT_OK;
fail:
    qat_dataset_free(&rest);
    return st;
}

qat_status qat_pipeline_build(qat_pipeline *p, qat_error *e) {
    const qat_config *c = &p->cfg;
    qat_norm norm = p->model.norm;
    int max_batch = c->train.batch > EVAL_BATCH ? c->train.batch : EVAL_BATCH;
    qat_status st = qat_model_build(&p->model, c->layers, c->n_layers, c->data.window,
                                    c->data.channels, c->data.n_classes, max_batch, e);
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
    qat_status st = qat_train(&p->model, &c->train, &p->train, &p->val, c->seed, &p->log,
                              progress, ctx, e);
    if (st) return st;
    qat_model_evaluate(&p->model, &p->test, &p->test_loss, &p->test_accuracy);
    return QAT_OK;
}

qat_status qat_pipeline_write(const qat_pipeline *p, qat_error *e) {
    const char *dir = p->cfg.out_dir;
    char path[QAT_PATH_MAX];
    qat_status st = qat_mkdir_p(dir, e);
    if (!st) st = qat_path_join(path, sizeof path, dir, "history.csv", e);
    if (!st) st = qat_report_history_csv(&p->log, path, e);
    if (!st) st = qat_path_join(path, sizeof path, dir, "float.ckpt", e);
    if (!st) st = qat_checkpoint_save(&p->model, path, e);
    if (!st) st = qat_path_join(path, sizeof path, dir, "report.json", e);
    if (!st) st = qat_report_json(p, path, e);
    if (!st) st = qat_path_join(path, sizeof path, dir, "timing.json", e);
    if (!st) st = qat_report_timing_json(p, path, e);
    return st;
}
