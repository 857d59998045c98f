/* qatrain — the whole job a config describes, as stages the CLI calls in order:
 *   qat_pipeline_data   load or generate, split (stratified, seeded), fit normalisation on
 *                       the training split, apply it to every split
 *   qat_pipeline_build  build and initialise the model
 *   qat_pipeline_train  train the float model, evaluate it on the test split
 *   qat_pipeline_write  history.csv, report.json, float.ckpt, timing.json in cfg->out_dir
 * Every output file but timing.json is a deterministic function of config and seed. */
#ifndef QAT_PIPELINE_H
#define QAT_PIPELINE_H

#include "qat/config.h"
#include "qat/model.h"
#include "qat/train.h"

typedef struct qat_pipeline {
    qat_config cfg;
    qat_dataset train, val, test; /* normalised; val aliases test when cfg val_split = 0 */
    int val_is_test;
    qat_model model;
    int model_built;
    qat_epoch_stats *history;     /* cfg.train.epochs entries */
    qat_train_log log;
    double test_loss, test_accuracy;
    const char *blas_core;        /* the BLAS kernels in use, for the report */
} qat_pipeline;

/* Takes a validated config (copied). */
void qat_pipeline_init(qat_pipeline *p, const qat_config *cfg);
void qat_pipeline_free(qat_pipeline *p);

qat_status qat_pipeline_data(qat_pipeline *p, qat_error *e);
qat_status qat_pipeline_build(qat_pipeline *p, qat_error *e);
qat_status qat_pipeline_train(qat_pipeline *p, qat_progress_fn progress, void *ctx, qat_error *e);
qat_status qat_pipeline_write(const qat_pipeline *p, qat_error *e);

#endif
