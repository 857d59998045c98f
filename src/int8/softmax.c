/* SOFTMAX int8 → int8, TFLM's reference path: gemmlowp fixed point throughout
 * (reference/tflite-int8.md §7.9; TFLM softmax_common.cc, reference/softmax.h, gemmlowp
 * fixedpoint.h exp_on_negative_values and one_over_one_plus_x_for_x_in_0_1).
 *
 * Fixed-point formats are written Qi.f (i integer bits, f = 31 − i fractional bits) on an
 * int32 raw value. In gemmlowp, `+`/`-` on fixed-point values are plain int32 adds and `*`
 * is SaturatingRoundingDoublingHighMul on the raws (qat_srdhm). */
#include "qat/int8.h"

#include <math.h>

#define SCALED_DIFF_INT_BITS 5 /* x − max, rescaled by β·s_in, is Q5.26 */
#define ACCUM_INT_BITS 12      /* the sum of exps is Q12.19 */

/* gemmlowp SaturatingRoundingMultiplyByPOT with a positive exponent: x · 2^k, clamped. */
static int32_t saturating_shl(int32_t x, int k) {
    const int32_t threshold = (int32_t)((INT64_C(1) << (31 - k)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return (int32_t)((uint32_t)x << k);
}

/* gemmlowp RoundingHalfSum: (a + b) / 2 rounded half away from zero. */
static int32_t rounding_half_sum(int32_t a, int32_t b) {
    const int64_t sum = (int64_t)a + b;
    return (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
}

/* exp(x) for x in [−1/4, 0), Q0.31 in and out: a 4th-order Taylor expansion about −1/8. */
static int32_t exp_on_quarter_interval(int32_t a) {
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(−1/8), Q0.31 */
    const int32_t one_third = 715827883;             /* 1/3, Q0.31 */
    const int32_t x = a + (1 << 28);                 /* x = a + 1/8 */
    const int32_t x2 = qat_srdhm(x, x);
    const int32_t x3 = qat_srdhm(x2, x);
    const int32_t x4 = qat_srdhm(x2, x2);
    /* x²/2 + x³/6 + x⁴/24 = ((x⁴/4 + x³)/3 + x²)/2 */
    const int32_t poly = qat_rdbpot(qat_srdhm(qat_rdbpot(x4, 2) + x3, one_third) + x2, 1);
    return exp_minus_one_eighth + qat_srdhm(exp_minus_one_eighth, x + poly);
}

/* exp(a) for a Q5.26 value a <= 0, result Q0.31. Split a = r − q with r = (a mod 1/4) − 1/4
 * in [−1/4, 0) and q = r − a >= 0 a multiple of 1/4; exp(r) comes from the polynomial and
 * exp(−q) is the product of exp(−2^j) over the set bits 2^j of q, j = −2 … 4. */
static int32_t exp_on_negative_values(int32_t a) {
    static const int32_t exp_of_minus_pow2[7] = {
        1672461947, /* exp(−1/4) */
        1302514674, /* exp(−1/2) */
        790015084,  /* exp(−1) */
        290630308,  /* exp(−2) */
        39332535,   /* exp(−4) */
        720401,     /* exp(−8) */
        242,        /* exp(−16) */
    };
    const int frac_bits = 31 - SCALED_DIFF_INT_BITS;
    const int32_t quarter = 1 << (frac_bits - 2);
    const int32_t a_mod_quarter_minus_quarter = (a & (quarter - 1)) - quarter;
    int32_t result = exp_on_quarter_interval(
        saturating_shl(a_mod_quarter_minus_quarter, SCALED_DIFF_INT_BITS)); /* Q5.26 → Q0.31 */
    const int32_t remainder = a_mod_quarter_minus_quarter - a;
    for (int j = -2; j < SCALED_DIFF_INT_BITS; j++)
        if (remainder & (INT32_C(1) << (frac_bits + j)))
            result = qat_srdhm(result, exp_of_minus_pow2[j + 2]);
    return a == 0 ? INT32_MAX : result; /* exp(0) = 1 is not representable in Q0.31 */
}

/* 1/(1 + x) for x in [0, 1), Q0.31 in and out: Newton-Raphson on the half denominator,
 * three iterations from the linear start 48/17 − 32/17·d, computed in Q2.29. */
static int32_t one_over_one_plus_x(int32_t a) {
    const int32_t half_denominator = rounding_half_sum(a, INT32_MAX); /* (1 + x)/2, Q0.31 */
    const int32_t c48_17 = 1515870810, cm32_17 = -1010580540;       /* Q2.29 */
    const int32_t one_q2 = 1 << 29;
    int32_t x = c48_17 + qat_srdhm(half_denominator, cm32_17);
    for (int i = 0; i < 3; i++) {
        const int32_t one_minus = one_q2 - qat_srdhm(half_denominator, x);
        x = x + saturating_shl(qat_srdhm(x, one_minus), 2); /* Q4.27 product → Q2.29 */
    }
    return saturating_shl(x, 1); /* 1/(1+x) = x/2 in Q2.29 read as Q1.30, then Q0.31 */
}

static int count_leading_zeros(uint32_t x) {
    int n = 0;
    for (uint32_t bit = UINT32_C(1) << 31; bit && !(x & bit); bit >>= 1) n++;
    return n;
}

/* TFLite GetReciprocal: 1/sum for a Q12.19 sum, as a Q0.31 mantissa and a power of two. */
static int32_t reciprocal(int32_t sum, int *bits_over_unit) {
    const int headroom_plus_one = count_leading_zeros((uint32_t)sum); /* sum > 0 */
    *bits_over_unit = ACCUM_INT_BITS - headroom_plus_one;
    const int32_t shifted_minus_one =
        (int32_t)(((uint32_t)sum << headroom_plus_one) - (UINT32_C(1) << 31));
    return one_over_one_plus_x(shifted_minus_one);
}

/* (x − max) rescaled by β·s_in into Q5.26: MultiplyByQuantizedMultiplierGreaterThanOne. */
static int32_t scaled_diff(const qat_i8_softmax_params *p, int32_t diff) {
    /* diff >= diff_min keeps |diff|·2^L below 31·2^26, so the shift cannot overflow */
    return qat_srdhm((int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
}

/* RDBPOT for the output scaling. TFLM requires the exponent in [0, 31] (TFLITE_CHECK,
 * reachable only for rows of ≥ 512 near-equal values); past 31 we round the same way in
 * 64 bits instead of aborting. */
static int32_t output_shift(int32_t x, int exponent) {
    if (exponent <= 31) return qat_rdbpot(x, exponent);
    const int64_t half = INT64_C(1) << (exponent - 1);
    return (int32_t)(x >= 0 ? (x + half) >> exponent : -((-(int64_t)x + half) >> exponent));
}

static void softmax_row(const qat_i8_softmax_params *p, int depth, const int8_t *in,
                        int8_t *out) {
    int32_t max = INT8_MIN;
    for (int c = 0; c < depth; c++)
        if (in[c] > max) max = in[c];
    int32_t sum = 0; /* Q12.19; gemmlowp's + does not saturate */
    for (int c = 0; c < depth; c++) {
        const int32_t diff = in[c] - max;
        if (diff >= p->diff_min)
            sum += qat_rdbpot(exp_on_negative_values(scaled_diff(p, diff)), ACCUM_INT_BITS);
    }
    int bits_over_unit;
    const int32_t scale = reciprocal(sum, &bits_over_unit);
    const int exponent = bits_over_unit + 31 - 8; /* to 8 output bits */
    for (int c = 0; c < depth; c++) {
        const int32_t diff = in[c] - max;
        if (diff < p->diff_min) { /* exp underflows: probability 0 */
            out[c] = INT8_MIN;
            continue;
        }
        const int32_t e = exp_on_negative_values(scaled_diff(p, diff));
        int32_t v = output_shift(qat_srdhm(scale, e), exponent) + INT8_MIN;
        out[c] = (int8_t)(v > INT8_MAX ? INT8_MAX : v < INT8_MIN ? INT8_MIN : v);
    }
}

void qat_i8_softmax(const qat_i8_softmax_params *p, int rows, int depth, const int8_t *in,
                    int8_t *out) {
    for (int r = 0; r < rows; r++)
        softmax_row(p, depth, in + (size_t)r * depth, out + (size_t)r * depth);
}

void qat_i8_softmax_prepare(double input_scale, double beta, qat_i8_softmax_params *p) {
    /* PreprocessSoftmaxScaling: β·s_in in Q5.26 units, capped to the int32 range */
    double real = beta * input_scale * (double)(INT64_C(1) << (31 - SCALED_DIFF_INT_BITS));
    if (real > (double)(INT64_C(1) << 31) - 1.0) real = (double)(INT64_C(1) << 31) - 1.0;
    /* QuantizeMultiplierGreaterThanOne: TFLM aborts otherwise; the engine rejects such
     * models (β·s_in ≤ 2^-26) before calling this */
    QAT_ASSERT(real > 1.0);
    qat_quantize_multiplier(real, &p->input_multiplier, &p->input_left_shift);
    /* CalculateInputRadius: the largest |diff| whose rescaled value still fits Q5.26 */
    const double radius = 1.0 * ((1 << SCALED_DIFF_INT_BITS) - 1) *
                          (double)(INT64_C(1) << (31 - SCALED_DIFF_INT_BITS)) /
                          (double)(INT64_C(1) << p->input_left_shift);
    p->diff_min = (int32_t)(-1.0 * (double)(int)floor(radius));
}
