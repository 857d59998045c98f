/* qatrain — quantization parameters and the integer arithmetic every path shares.
 *
 * real = scale · (q − zero_point). One qat_qparams describes a tensor for the observers,
 * the fake-quant nodes, lowering, the int8 kernels and the exporter alike; the fixed-point
 * helpers below are the only implementation of TFLite's rounding in qatrain, used by both
 * the float simulation and the integer engine (reference/tflite-int8.md §7). */
#ifndef QAT_QPARAMS_H
#define QAT_QPARAMS_H

#include <math.h>
#include <stdint.h>

#include "qat/error.h"

typedef struct qat_qparams {
    int n;               /* number of scales: 0 = not quantized, 1 = per tensor, else per channel */
    int axis;            /* the quantized dimension when n > 1 */
    int qmin, qmax;      /* integer range: [-128, 127] activations, [-127, 127] 8-bit weights,
                            [-7, 7] 4-bit weights (stored as int8) */
    float *scale;        /* n scales, float32 exactly as a .tflite stores them; borrowed */
    int32_t *zero_point; /* n zero points; borrowed */
} qat_qparams;

/* round(x) with ties away from zero, as std::round / TfLiteRound: C's round(), inline. Below
 * 2^52 in magnitude the integer part comes from a truncating conversion and the fraction
 * x − t is exact, so the result is round()'s bit for bit (the sign of a zero included);
 * above, every double is an integer already (NaN and the infinities pass through). */
static inline double qat_round_away(double x) {
    if (!(x > -4503599627370496.0 && x < 4503599627370496.0)) return x;
    const double t = (double)(int64_t)x, f = x - t;
    /* no data-dependent branch; the result has x's sign, zero included */
    return copysign(t + (double)(f >= 0.5) - (double)(f <= -0.5), x);
}

/* zp + round_away(x / scale), the division in float32 as TFLite's QUANTIZE, clamped to
 * [qmin, qmax]; NaN gives qmin. The one quantization of a real value into an activation
 * tensor: the int8 engine's QUANTIZE, its activation clamps and the fake-quant nodes. */
static inline int32_t qat_quantize_float(float x, float scale, int32_t zp, int32_t qmin,
                                         int32_t qmax) {
    double r = qat_round_away((double)(x / scale)) + zp; /* std::round(float) is exact in double */
    if (!(r >= qmin)) return qmin; /* below, or NaN */
    return r > qmax ? qmax : (int32_t)r;
}

/* TFLite QuantizeMultiplier: m = M · 2^(shift − 31), M in [2^30, 2^31), shift > 0 is a
 * left shift; m == 0 gives (0, 0). */
void qat_quantize_multiplier(double m, int32_t *multiplier, int *shift);

/* The requantization multiplier of a conv / depthwise / fully-connected output channel, in
 * TFLM's expression order: (double)s_in·(double)s_w / (double)s_out
 * (PopulateConvolutionQuantizationParams), except for a fully-connected layer with one
 * weight scale (fc_per_tensor), where the product s_in·s_w is formed in float32 first
 * (GetQuantizedConvolutionMultipler). The int8 engine and the fake-quant graph both use it. */
void qat_affine_multiplier(float s_in, float s_w, float s_out, int fc_per_tensor,
                           int32_t *multiplier, int *shift);

/* gemmlowp SaturatingRoundingDoublingHighMul: round(a·b / 2^31), ties toward +inf.
 * gemmlowp computes (ab + nudge) / 2^31 with truncating division and nudge 2^30 for
 * ab >= 0, 1 − 2^30 otherwise. For ab < 0 that is ceil((ab + 1 − 2^30) / 2^31)
 * = floor((ab + 2^30) / 2^31), and for ab >= 0 truncation is floor, so both cases are
 * (ab + 2^30) >> 31 with an arithmetic shift: one formula, no data-dependent branch
 * (the kernels call this once per output; a mispredicted sign costs more than the rest). */
static inline int32_t qat_srdhm(int32_t a, int32_t b) {
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int32_t r = (int32_t)((ab + (INT64_C(1) << 30)) >> 31);
    return a == INT32_MIN && b == INT32_MIN ? INT32_MAX : r; /* the one overflowing product */
}

/* gemmlowp RoundingDivideByPOT: round(x / 2^e), ties away from zero; 0 <= e <= 31. */
static inline int32_t qat_rdbpot(int32_t x, int e) {
    QAT_ASSERT(e >= 0 && e <= 31);
    const int32_t mask = (int32_t)((INT64_C(1) << e) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (remainder > threshold ? 1 : 0); /* >> on negatives is arithmetic in gcc/clang */
}

/* TFLite MultiplyByQuantizedMultiplier, double rounding (TFLM's reference kernels). Where the
 * C++ relies on int32 overflow in a left shift (undefined in C), the two's-complement wrap
 * the compiled TFLM code performs is spelled out. */
static inline int32_t qat_mul_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    /* x · 2^left in int32: TFLM's `x * (1 << left)` wraps on overflow on every target */
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return qat_rdbpot(qat_srdhm(shifted, multiplier), right);
}

#endif
