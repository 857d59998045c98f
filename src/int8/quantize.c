/* QUANTIZE, DEQUANTIZE, int8 requantization and the fused-activation clamp range: TFLM's
 * reference AffineQuantize, Dequantize, Requantize and CalculateActivationRangeQuantized
 * (reference/tflite-int8.md §6.3, §7.11). */
#include "qat/int8.h"

/* (int32)round(v) for a float already divided by its scale. TFLM's static_cast of an
 * out-of-range float is undefined; we saturate first (NaN goes to the low end, as x86's
 * conversion does), which only matters for inputs far outside the int8 range anyway. */
static int32_t round_to_int(float v) {
    const double r = qat_round_away((double)v); /* std::round(float) is exact in double */
    if (!(r > -2147483648.0)) return INT32_MIN;
    if (r > 2147483647.0) return INT32_MAX;
    return (int32_t)r;
}

static int8_t saturate8(int64_t v) {
    return (int8_t)(v < INT8_MIN ? INT8_MIN : v > INT8_MAX ? INT8_MAX : v);
}

void qat_i8_quantize(const float *x, size_t n, float scale, int32_t zp, int8_t *q) {
    for (size_t i = 0; i < n; i++)
        q[i] = saturate8((int64_t)round_to_int(x[i] / scale) + zp); /* float division */
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

/* zp + round(f / scale), the division and the rounding in float as TFLite does. */
static int32_t quantize_bound(float f, float scale, int32_t zp) {
    return zp + round_to_int(f / scale);
}

void qat_i8_activation_range(qat_ir_act act, float scale, int32_t zp, int32_t *act_min,
                             int32_t *act_max) {
    int32_t lo = INT8_MIN, hi = INT8_MAX;
    if (act == QAT_IR_ACT_RELU || act == QAT_IR_ACT_RELU6) {
        const int32_t zero = quantize_bound(0.0f, scale, zp);
        if (zero > lo) lo = zero;
    }
    if (act == QAT_IR_ACT_RELU6) {
        const int32_t six = quantize_bound(6.0f, scale, zp);
        if (six < hi) hi = six;
    }
    *act_min = lo;
    *act_max = hi;
}
