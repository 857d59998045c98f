/* Internal to the pipeline: every training of a run goes through qat_phase_train, which
 * replays finished phases from a resume file, continues the interrupted one, records each
 * finished phase and saves the state when the caller asks the run to stop. */
#ifndef QAT_PIPELINE_PHASE_H
#define QAT_PIPELINE_PHASE_H

#include "qat/pipeline.h"
#include "qat/quant.h"
#include "qat/train.h"

qat_status qat_phase_train(qat_pipeline *p, qat_model *m, const qat_train_config *t,
                           uint64_t seed, qat_train_log *log, qat_train_callbacks cb,
                           qat_error *e);

/* A QAT training's progressive / delayed quantization: sets cb's epoch callback when the
 * config schedules anything (sch must outlive the training); after the training,
 * qat_phase_final_stage puts the model in its final stage, the one lowering exports. */
void qat_phase_stages(qat_train_callbacks *cb, qat_qmodel_schedule *sch);
void qat_phase_final_stage(const qat_qmodel_schedule *sch);

/* Knowledge distillation (distill.c): qat_distill_prepare builds the [distill] teacher
 * config's model (from its checkpoint, or trained by its [train] on the training split);
 * qat_distill_callbacks sets cb's soft targets for a stage (quantized 0: float training) when
 * the config distills it (ctx must outlive the training). */
typedef struct qat_distill_ctx {
    qat_model *teacher;
    float temperature;
} qat_distill_ctx;
qat_status qat_distill_prepare(qat_pipeline *p, qat_error *e);
void qat_distill_callbacks(qat_pipeline *p, int quantized, qat_train_callbacks *cb,
                           qat_distill_ctx *ctx);

/* Appends an input record (name copied): the digest and the resume reader build lists so. */
qat_status qat_inputs_push(qat_inputs *in, qat_input_role role, const char *name, uint64_t size,
                           uint64_t hash, qat_error *e);

#endif
