/* The fake-quant graph's two per-value loops, portable and AVX2 (src/quant/fq_avx2.c,
 * compiled with -mavx2, called only where the processor has it: qat_requant_avx2_ok).
 *
 * One row of the fake-quant graph's requantization (fake_quant.c): for each channel c of a
 * row, the affine op's float output y[c] goes through exactly what the int8 engine does to
 * its int32 accumulator — acc = round_away(y·inv[c]) clamped to int32, then
 * MultiplyByQuantizedMultiplier(acc, mult[c], shift[c]) + zp clamped to [lo, hi] — and
 * comes back as (q − zp)·scale. The portable version is the reference; the AVX2 one does
 * four channels at a time with the same integer steps, so the two agree bit for bit
 * (tests/unit/test_sim_exact.c compares them). Internal to src/quant. */
#ifndef QAT_FQ_AVX2_H
#define QAT_FQ_AVX2_H

#include <stdint.h>

typedef struct qat_requant_row {
    const double *inv;     /* 1 / (s_in · s_w[c]) */
    const int32_t *mult;   /* the engine's multiplier and shift per channel */
    const int *shift;
    int32_t zp, lo, hi;    /* output zero point and clamp (activation and type range) */
    float scale;           /* output scale */
} qat_requant_row;

/* Channels [first, n) of the row y → out (both indexed by channel). */
void qat_requant_row_c(const qat_requant_row *r, const float *y, int first, int n, float *out);
/* Channels [0, n) four at a time in AVX2, the last n % 4 by qat_requant_row_c; only on a
 * processor with AVX2 (qat_requant_avx2_ok). */
void qat_requant_row_avx2(const qat_requant_row *r, const float *y, int n, float *out);
int qat_requant_avx2_ok(void);

/* Weight fake-quant of one row: out[j] = clamp(round_away(w[j] / s_j), −qmax, qmax) · s_j in
 * the double division and rounding of qat_quantize_weight, s_j = s[j] when per_column, else
 * s[0]. The portable loop in fake_quant.c is the reference; this one does four at a time. */
void qat_fq_weight_row_avx2(const float *w, int n, const float *s, int per_column, int qmax,
                            float *out);

#endif
