/* A lowered int8 model against a target (target.h qat_target_measure): the one routine for
 * what the search's check, the progressive pipeline's stop and the stage table measure. */
#include <stdlib.h>

#include "qat/int8.h"
#include "qat/model.h"
#include "qat/target.h"
#include "qat/tflite.h"

qat_status qat_target_measure(const qat_ir *ir, const qat_model *m, const char *description,
                              const qat_target_limits *l, qat_target_check *c, qat_error *e) {
    unsigned char *buf;
    size_t len;
    qat_i8_tflm_arena a;
    qat_status st = qat_tflite_serialize(ir, description, &buf, &len, e);
    if (st) return st;
    free(buf);
    if ((st = qat_i8_tflm_arena_estimate(ir, QAT_I8_ABI_ILP32, &a, e))) return st;
    *c = (qat_target_check){(long)len, (long)a.recommended, qat_model_macs(m), (long)m->g.n_params, 0};
    qat_target_check_model(l, c);
    return QAT_OK;
}
