/* qat_requant_row_avx2, qat_fq_act_row_avx2 and qat_fq_weight_row_avx2 (fq_avx2.h): four
 * values at a time.
 * Compiled with -mavx2 (Makefile); called only where the vector GEMM kernels run (gemm.h).
 * Every step is the scalar one's, lane by lane:
 *   round_away   t = trunc(x), f = x − t (exact), t + (f ≥ ½) − (f ≤ −½)
 *   int32 clamp  by compare and blend, as the scalar ternaries (then a truncating convert)
 *   left shift   per lane (sllv), wrapping as the scalar uint32 shift
 *   SRDHM        the signed 64-bit product (mul_epi32) + 2^30, bits 31..62 of it: the low
 *                32 bits of a logical shift right by 31 equal the arithmetic shift's
 *   RDBPOT       per-lane mask, remainder and threshold, arithmetic shift (srav) */
#include <immintrin.h>

#include "fq_avx2.h"

static __m256d round_away(__m256d x) {
    const __m256d t = _mm256_round_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m256d f = _mm256_sub_pd(x, t), one = _mm256_set1_pd(1.0);
    const __m256d up = _mm256_and_pd(_mm256_cmp_pd(f, _mm256_set1_pd(0.5), _CMP_GE_OQ), one);
    const __m256d down = _mm256_and_pd(_mm256_cmp_pd(f, _mm256_set1_pd(-0.5), _CMP_LE_OQ), one);
    return _mm256_sub_pd(_mm256_add_pd(t, up), down);
}

static __m128i to_int32(__m256d acc) {
    const __m256d lo = _mm256_set1_pd(-2147483648.0), hi = _mm256_set1_pd(2147483647.0);
    acc = _mm256_blendv_pd(acc, lo, _mm256_cmp_pd(acc, lo, _CMP_LT_OQ));
    acc = _mm256_blendv_pd(acc, hi, _mm256_cmp_pd(acc, hi, _CMP_GT_OQ));
    return _mm256_cvttpd_epi32(acc);
}

static __m128i srdhm(__m128i a, __m128i b) {
    const __m256i ab = _mm256_mul_epi32(_mm256_cvtepi32_epi64(a), _mm256_cvtepi32_epi64(b));
    const __m256i r = _mm256_srli_epi64(_mm256_add_epi64(ab, _mm256_set1_epi64x(1LL << 30)), 31);
    const __m128i lanes = _mm256_castsi256_si128(
        _mm256_permutevar8x32_epi32(r, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
    const __m128i min = _mm_set1_epi32(INT32_MIN);
    const __m128i both = _mm_and_si128(_mm_cmpeq_epi32(a, min), _mm_cmpeq_epi32(b, min));
    return _mm_blendv_epi8(lanes, _mm_set1_epi32(INT32_MAX), both);
}

static __m128i rdbpot(__m128i x, __m128i e) {
    const __m128i one = _mm_set1_epi32(1);
    const __m128i mask = _mm_sub_epi32(_mm_sllv_epi32(one, e), one); /* e = 31: 0x7fffffff */
    const __m128i remainder = _mm_and_si128(x, mask);
    const __m128i negative = _mm_srli_epi32(x, 31); /* 1 where x < 0 */
    const __m128i threshold = _mm_add_epi32(_mm_srai_epi32(mask, 1), negative);
    const __m128i carry = _mm_srli_epi32(_mm_cmpgt_epi32(remainder, threshold), 31);
    return _mm_add_epi32(_mm_srav_epi32(x, e), carry);
}

void qat_requant_row_avx2(const qat_requant_row *r, const float *y, int n, float *out) {
    const __m128i zero = _mm_setzero_si128(), zp = _mm_set1_epi32(r->zp);
    const __m128i lo = _mm_set1_epi32(r->lo), hi = _mm_set1_epi32(r->hi);
    const __m128 scale = _mm_set1_ps(r->scale);
    int c = 0;
    for (; c + 4 <= n; c += 4) {
        __m256d x = _mm256_mul_pd(_mm256_cvtps_pd(_mm_loadu_ps(y + c)), _mm256_loadu_pd(r->inv + c));
        __m128i acc = to_int32(round_away(x));
        __m128i shift = _mm_loadu_si128((const __m128i *)(r->shift + c));
        __m128i left = _mm_max_epi32(shift, zero), right = _mm_max_epi32(_mm_sub_epi32(zero, shift), zero);
        __m128i mult = _mm_loadu_si128((const __m128i *)(r->mult + c));
        __m128i q = _mm_add_epi32(rdbpot(srdhm(_mm_sllv_epi32(acc, left), mult), right), zp);
        q = _mm_min_epi32(_mm_max_epi32(q, lo), hi);
        _mm_storeu_ps(out + c, _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(q, zp)), scale));
    }
    qat_requant_row_c(r, y, c, n, out);
}

/* Four values of qat_quantize_float from their float32 quotients x / scale, then back to
 * (q − zp) · scale: round_away, + zp, NaN or below qmin → qmin, above qmax → qmax. */
static __m128 fq_act4(__m128 quotient, __m256d zp, __m256d qmin, __m256d qmax, __m128i izp,
                      __m128 scale) {
    __m256d r = _mm256_add_pd(round_away(_mm256_cvtps_pd(quotient)), zp);
    r = _mm256_blendv_pd(r, qmin, _mm256_cmp_pd(r, qmin, _CMP_NGE_UQ));
    r = _mm256_blendv_pd(r, qmax, _mm256_cmp_pd(r, qmax, _CMP_GT_OQ));
    return _mm_mul_ps(_mm_cvtepi32_ps(_mm_sub_epi32(_mm256_cvttpd_epi32(r), izp)), scale);
}

void qat_fq_act_row_avx2(const float *x, size_t n, float scale, int32_t zp, int32_t qmin,
                         int32_t qmax, float *out) {
    const __m256 s8 = _mm256_set1_ps(scale);
    const __m256d dzp = _mm256_set1_pd(zp), lo = _mm256_set1_pd(qmin), hi = _mm256_set1_pd(qmax);
    const __m128i izp = _mm_set1_epi32(zp);
    const __m128 s4 = _mm_set1_ps(scale);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 d = _mm256_div_ps(_mm256_loadu_ps(x + i), s8); /* as TFLite: in float32 */
        _mm_storeu_ps(out + i, fq_act4(_mm256_castps256_ps128(d), dzp, lo, hi, izp, s4));
        _mm_storeu_ps(out + i + 4, fq_act4(_mm256_extractf128_ps(d, 1), dzp, lo, hi, izp, s4));
    }
    qat_fq_act_row_c(x, i, n, scale, zp, qmin, qmax, out);
}

void qat_fq_weight_row_avx2(const float *w, int n, const float *s, int per_column, int qmax,
                            float *out) {
    const __m256d lo = _mm256_set1_pd(-qmax), hi = _mm256_set1_pd(qmax);
    int j = 0;
    for (; j + 4 <= n; j += 4) {
        __m128 sj = per_column ? _mm_loadu_ps(s + j) : _mm_set1_ps(s[0]);
        __m256d q = round_away(_mm256_div_pd(_mm256_cvtps_pd(_mm_loadu_ps(w + j)),
                                             _mm256_cvtps_pd(sj)));
        q = _mm256_blendv_pd(q, lo, _mm256_cmp_pd(q, lo, _CMP_LT_OQ)); /* as the scalar clamp */
        q = _mm256_blendv_pd(q, hi, _mm256_cmp_pd(q, hi, _CMP_GT_OQ));
        _mm_storeu_ps(out + j, _mm_mul_ps(_mm_cvtepi32_ps(_mm256_cvttpd_epi32(q)), sj));
    }
    qat_fq_weight_row_c(w, j, n, s, per_column, qmax, out);
}
