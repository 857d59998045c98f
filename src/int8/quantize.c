/* QUANTIZE, DEQUANTIZE, int8 requantization and the fused-activation clamp range: TFLM's
 * reference AffineQuantize, Dequantize, Requantize and CalculateActivationRangeQuantized
 * (reference/tflite-int8.md §6.3, §7.11). */
#include "qat/int8.h"

static int8_t saturate8(int64_t v) {
    return (int8_t)(v < INT8_MIN ? INT8_MIN : v > INT8_MAX ? INT8_MAX : v);
}

void qat_i8_quantize(const float *x, size_t n, float scale, int32_t zp, int8_t *q) {
    for (size_t i = 0; i < n; i++)
        q[i] = (int8_t)qat_quantize_float(x[i], scale, zp, INT8_MIN, INT8_MAX);
}

void qat_i8_dequantize(const int8_t *q, size_t n, float scale, int32_t zp, float *x) {
    for (size_t i = 0; i < n; i++) x[i] = (float)((double)scale * (double)(q[i] - zp));
}

void qat_i8_requantize(const int8_t *in, size_t n, int32_t in_zp, int32_t multiplier, int shift,
                       int32_t out_zp, int8_t *out) {
    for (size_t i = 0; i < n; i++)
        out[i] = saturate8(
            (int64_t)qat_mul_by_quantized_multiplier(in[i] - in_zp, multiplier, shift) + out_zp);
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
