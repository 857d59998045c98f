/* TFLite's rounding and fixed-point requantization, the single implementation qatrain uses
 * (reference/tflite-int8.md §7.1–§7.2; TFLite quantization_util.cc, gemmlowp fixedpoint.h).
 *
 * Where the C++ originals rely on behaviour C leaves undefined (int32 overflow in a left
 * shift), we spell out the two's-complement wrap that the compiled TFLM code performs.
 * The helpers called once per value (rounding, SRDHM, RDBPOT, the multiplier, quantizing a
 * float) are inline functions in qat/qparams.h, beside their contracts. */
#include "qat/qparams.h"

#include <math.h>

#include "qat/error.h"

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

void qat_affine_multiplier(float s_in, float s_w, float s_out, int fc_per_tensor,
                           int32_t *multiplier, int *shift) {
    double m = fc_per_tensor ? (double)(s_in * s_w) / (double)s_out
                             : (double)s_in * (double)s_w / (double)s_out;
    qat_quantize_multiplier(m, multiplier, shift);
}

