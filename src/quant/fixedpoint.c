/* TFLite's rounding and fixed-point requantization, the single implementation qatrain uses
 * (reference/tflite-int8.md §7.1–§7.2; TFLite quantization_util.cc, gemmlowp fixedpoint.h).
 *
 * Where the C++ originals rely on behaviour C leaves undefined (int32 overflow in a left
 * shift), we spell out the two's-complement wrap that the compiled TFLM code performs. */
#include "qat/qparams.h"

#include <math.h>

#include "qat/error.h"

double qat_round_away(double x) {
    return round(x); /* C's round() rounds halfway cases away from zero, like std::round */
}

void qat_quantize_multiplier(double m, int32_t *multiplier, int *shift) {
    if (m == 0.0) {
        *multiplier = 0;
        *shift = 0;
        return;
    }
    int e;
    const double q = frexp(m, &e); /* m = q · 2^e, |q| in [0.5, 1) */
    int64_t fixed = (int64_t)qat_round_away(q * 2147483648.0);
    QAT_ASSERT(fixed <= (INT64_C(1) << 31));
    if (fixed == (INT64_C(1) << 31)) { /* q rounded up to 1.0: renormalise */
        fixed /= 2;
        e++;
    }
    if (e < -31) { /* every bit would be shifted out: flush to zero as TFLite does */
        e = 0;
        fixed = 0;
    }
    *multiplier = (int32_t)fixed;
    *shift = e;
}

/* gemmlowp computes (ab + nudge) / 2^31 with truncating division and nudge 2^30 for
 * ab >= 0, 1 − 2^30 otherwise. For ab < 0 that is ceil((ab + 1 − 2^30) / 2^31)
 * = floor((ab + 2^30) / 2^31), and for ab >= 0 truncation is floor, so both cases are
 * (ab + 2^30) >> 31 with an arithmetic shift: one formula, no data-dependent branch
 * (the kernels call this once per output; a mispredicted sign costs more than the rest). */
void qat_affine_multiplier(float s_in, float s_w, float s_out, int fc_per_tensor,
                           int32_t *multiplier, int *shift) {
    double m = fc_per_tensor ? (double)(s_in * s_w) / (double)s_out
                             : (double)s_in * (double)s_w / (double)s_out;
    qat_quantize_multiplier(m, multiplier, shift);
}

int32_t qat_srdhm(int32_t a, int32_t b) {
    const int64_t ab = (int64_t)a * (int64_t)b;
    const int32_t r = (int32_t)((ab + (INT64_C(1) << 30)) >> 31);
    return a == INT32_MIN && b == INT32_MIN ? INT32_MAX : r; /* the one overflowing product */
}

int32_t qat_rdbpot(int32_t x, int e) {
    QAT_ASSERT(e >= 0 && e <= 31);
    const int32_t mask = (int32_t)((INT64_C(1) << e) - 1);
    const int32_t remainder = x & mask;
    const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> e) + (remainder > threshold ? 1 : 0); /* >> on negatives is arithmetic in gcc/clang */
}

int32_t qat_mul_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift) {
    const int left = shift > 0 ? shift : 0;
    const int right = shift > 0 ? 0 : -shift;
    /* x · 2^left in int32: TFLM's `x * (1 << left)` wraps on overflow on every target */
    const int32_t shifted = (int32_t)((uint32_t)x << left);
    return qat_rdbpot(qat_srdhm(shifted, multiplier), right);
}

int32_t qat_quantize_float(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax) {
    double r = qat_round_away((double)(x / scale)) + zp; /* std::round(float) is exact in double */
    if (!(r >= qmin)) return qmin; /* below, or NaN */
    return r > qmax ? qmax : (int32_t)r;
}
