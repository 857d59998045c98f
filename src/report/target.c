/* The int8 models against the run's target ([target]; target.h): report.h qat_report_target. */
#include "qat/int8.h"
#include "qat/report.h"

/* The IR of each int8 variant (the engine's plan of TFLite Micro's arena needs it). */
static const qat_ir *variant_ir(const qat_pipeline *p, qat_variant v) {
    return v == QAT_VARIANT_INT8_PTQ ? &p->ir_ptq : v == QAT_VARIANT_INT8_QAT ? &p->ir_qat
                                                                            : &p->ir_pruned;
}

qat_status qat_report_target(const qat_pipeline *p, qat_target_row rows[QAT_TARGET_ROWS], int *n,
                             qat_error *e) {
    static const char *const files[] = {"model_ptq_int8.tflite", "model_int8.tflite",
                                        "model_pruned_int8.tflite"};
    qat_variant_stats v[QAT_VARIANT_COUNT];
    int nv = qat_report_variants(p, v);
    qat_target_limits l = qat_target_limits_of(&p->cfg.target);
    *n = 0;
    for (int k = QAT_VARIANT_INT8_PTQ; k < nv && k <= QAT_VARIANT_INT8_PRUNED; k++) {
        qat_i8_tflm_arena a;
        qat_status st = qat_i8_tflm_arena_estimate(variant_ir(p, (qat_variant)k), QAT_I8_ABI_ILP32, &a, e);
        if (st) return st;
        qat_target_row *r = &rows[(*n)++];
        r->key = v[k].key;
        r->file = files[k - QAT_VARIANT_INT8_PTQ];
        r->c = (qat_target_check){v[k].tflite_bytes, (long)a.recommended, v[k].macs, v[k].parameters, 0};
        qat_target_check_model(&l, &r->c);
    }
    return QAT_OK;
}
