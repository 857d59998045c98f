/* QUANTIZE, DEQUANTIZE, requantization between int8 and uint8 and the fused-activation clamp
 * range: TFLM's reference AffineQuantize, Dequantize, Requantize (quantize_common.cc,
 * requantize.h) and CalculateActivationRangeQuantized (reference/tflite-int8.md §6.3, §7.11). */
#include "qat/int8.h"

/* Element i of an int8 or uint8 buffer, and its store: TFLM's kernels templated over
 * int8_t / uint8_t. */
static int32_t load8(qat_ir_type t, const void *p, size_t i) {
    return t == QAT_IR_UINT8 ? ((const uint8_t *)p)[i] : ((const int8_t *)p)[i];
}

static void store8(qat_ir_type t, void *p, size_t i, int32_t v) {
    if (t == QAT_IR_UINT8)
        ((uint8_t *)p)[i] = (uint8_t)v;
    else
        ((int8_t *)p)[i] = (int8_t)v;
}

static int is_byte(qat_ir_type t) { return t == QAT_IR_INT8 || t == QAT_IR_UINT8; }

/* The range of an int8 or uint8 tensor's values. */
static void byte_range(qat_ir_type t, int32_t *lo, int32_t *hi) {
    QAT_ASSERT(is_byte(t));
    qat_ir_type_range(t, lo, hi);
}

void qat_i8_quantize_to(qat_ir_type type, const float *x, size_t n, float scale, int32_t zp,
                        void *q) {
    int32_t lo, hi;
    byte_range(type, &lo, &hi);
    for (size_t i = 0; i < n; i++) store8(type, q, i, qat_quantize_float(x[i], scale, zp, lo, hi));
}

void qat_i8_quantize(const float *x, size_t n, float scale, int32_t zp, int8_t *q) {
    qat_i8_quantize_to(QAT_IR_INT8, x, n, scale, zp, q);
}

void qat_i8_dequantize(const int8_t *q, size_t n, float scale, int32_t zp, float *x) {
    for (size_t i = 0; i < n; i++) x[i] = (float)((double)scale * (double)(q[i] - zp));
}

void qat_i8_requantize(const qat_i8_requantize_params *p, size_t n, const void *in, void *out) {
    int32_t lo, hi;
    QAT_ASSERT(is_byte(p->in_type));
    byte_range(p->out_type, &lo, &hi);
    for (size_t i = 0; i < n; i++) {
        const int32_t x = load8(p->in_type, in, i) - p->in_zp;
        const int64_t v =
            (int64_t)qat_mul_by_quantized_multiplier(x, p->multiplier, p->shift) + p->out_zp;
        store8(p->out_type, out, i, (int32_t)(v < lo ? lo : v > hi ? hi : v));
    }
}

void qat_i8_activation_range(qat_ir_act act, float scale, int32_t zp, int32_t *act_min,
                             int32_t *act_max) {
    int32_t lo = INT8_MIN, hi = INT8_MAX;
    if (act == QAT_IR_ACT_RELU || act == QAT_IR_ACT_RELU6) {
        const int32_t zero = qat_quantize_float(0.0f, scale, zp, INT8_MIN, INT8_MAX);
        if (zero > lo) lo = zero;
    }
    if (act == QAT_IR_ACT_RELU6) {
        const int32_t six = qat_quantize_float(6.0f, scale, zp, INT8_MIN, INT8_MAX);
        if (six < hi) hi = six;
    }
    *act_min = lo;
    *act_max = hi;
}
