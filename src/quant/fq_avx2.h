/* The fake-quant graph's per-value loops, each as a portable row (fake_quant.c: the
 * reference, and the tail of the vector rows) and an AVX2 row (fq_avx2.c, compiled with
 * -mavx2, called only where the GEMM's vector kernels run: gemm.h). Both do the same integer
 * steps, so they agree bit for bit (tests/unit/test_fixedpoint.c compares them). Internal to
 * src/quant.
 *
 * Requantization of one row of an affine op's output: for each channel c, the float y[c]
 * goes through exactly what the int8 engine does to its int32 accumulator —
 * acc = round_away(y·inv[c]) clamped to int32, then MultiplyByQuantizedMultiplier(acc,
 * mult[c], shift[c]) + zp clamped to [lo, hi] — and comes back as (q − zp)·scale. */
#ifndef QAT_FQ_AVX2_H
#define QAT_FQ_AVX2_H

#include <stddef.h>
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
/* Channels [0, n), four at a time, the last n % 4 by qat_requant_row_c. */
void qat_requant_row_avx2(const qat_requant_row *r, const float *y, int n, float *out);
/* The same eight at a time (fq_avx512.c, where the GEMM's AVX-512 kernel runs), the last
 * n % 8 by qat_requant_row_c. */
void qat_requant_row_avx512(const qat_requant_row *r, const float *y, int n, float *out);

/* Activation fake-quant without requantization (the input's, a pooling's, an activation
 * whose producer is not quantized yet): out[i] = (qat_quantize_float(x[i], scale, zp, qmin,
 * qmax) − zp) · scale for i in [first, n); the AVX2 form takes [0, n), eight at a time,
 * the last n % 8 by the portable loop. */
void qat_fq_act_row_c(const float *x, size_t first, size_t n, float scale, int32_t zp, int32_t qmin,
                      int32_t qmax, float *out);
void qat_fq_act_row_avx2(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
                         int32_t qmax, float *out);

/* Weight fake-quant of one row, columns [first, n): out[j] = qat_quantize_weight(w[j], s_j,
 * −qmax, qmax) · s_j, s_j = s[j] when per_column, else s[0]. */
void qat_fq_weight_row_c(const float *w, int first, int n, const float *s, int per_column,
                         int qmax, float *out);
/* The same for columns [0, n), four at a time, the last n % 4 by qat_fq_weight_row_c. */
void qat_fq_weight_row_avx2(const float *w, int n, const float *s, int per_column, int qmax,
                            float *out);

/* The observers' batch range: what the scalar scan `lo = x[i] < lo ? x[i] : lo` (and the
 * same for hi with >) from lo = hi = x[0] finds — the first element equal to each extreme,
 * so −0 / +0 keep the sign of the first met and a NaN first element stays. _c is that scan
 * (the reference); qat_fq_min_max goes four lanes at a time through SSE2 with the same
 * predicate and gives the same bits (fake_quant.c). len ≥ 1. */
void qat_fq_min_max_c(const float *x, size_t len, float *lo, float *hi);
void qat_fq_min_max(const float *x, size_t len, float *lo, float *hi);

#endif
