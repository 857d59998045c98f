/* The progressive pipeline's stage table (pipeline.h qat_pipeline_stage): after each stage,
 * its int8 model as the device will hold it, against [target]. */
#include "qat/pipeline.h"

const char *qat_stage_kind_name(qat_stage_kind k) {
    static const char *const names[] = {
        [QAT_PSTAGE_ARCHITECTURE] = "architecture",
        [QAT_PSTAGE_QAT] = "qat",
        [QAT_PSTAGE_PRUNING] = "pruning",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_STAGE_ROWS, "stage names");
    return (unsigned)k < QAT_STAGE_ROWS ? names[k] : "unknown";
}

qat_status qat_pipeline_stage(qat_pipeline *p, qat_stage_kind k, qat_error *e) {
    static const char *const files[] = {"model_ptq_int8.tflite", "model_int8.tflite",
                                        "model_pruned_int8.tflite"};
    const qat_ir *ir[] = {&p->ir_ptq, &p->ir_qat, &p->ir_pruned};
    const qat_model *m = k == QAT_PSTAGE_PRUNING ? &p->pmodel : &p->model;
    double fl[] = {p->test_accuracy, p->test_accuracy, p->prune_main.float_accuracy};
    double i8[] = {p->ptq_accuracy, p->qat_accuracy, p->prune_main.accuracy};
    char desc[QAT_PATH_MAX + 64];
    qat_pipeline_describe(p, desc, sizeof desc);
    qat_target_limits l = qat_target_limits_of(&p->cfg.target);
    qat_stage_row *r = &p->stages[p->n_stages];
    QAT_ASSERT(p->n_stages < QAT_STAGE_ROWS);
    *r = (qat_stage_row){k, files[k], fl[k], i8[k], {0}};
    qat_status st = qat_target_measure(ir[k], m, desc, &l, &r->c, e);
    if (!st) p->n_stages++;
    return st;
}

int qat_pipeline_target_met(const qat_pipeline *p) {
    return p->cfg.target.stop_when_met && qat_target_set(&p->cfg.target) && p->n_stages > 0 &&
           p->stages[p->n_stages - 1].c.fits;
}
