/* qat_requant_row_avx512 (fq_avx2.h): the AVX2 row's steps (fq_avx2.c) eight lanes at a
 * time — doubles in 512-bit registers, int32 lanes in 256-bit ones, masks instead of blends
 * where a comparison picks a value. Compiled with -mavx512f (Makefile); called only where
 * the GEMM's AVX-512 kernel runs (gemm.h). */
#include <immintrin.h>

#include "fq_avx2.h"

static __m512d round_away8(__m512d x) {
    const __m512d t = _mm512_roundscale_pd(x, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
    const __m512d f = _mm512_sub_pd(x, t), one = _mm512_set1_pd(1.0);
    const __mmask8 up = _mm512_cmp_pd_mask(f, _mm512_set1_pd(0.5), _CMP_GE_OQ);
    const __mmask8 down = _mm512_cmp_pd_mask(f, _mm512_set1_pd(-0.5), _CMP_LE_OQ);
    const __m512d t_up = _mm512_mask_add_pd(t, up, t, one);
    return _mm512_mask_sub_pd(t_up, down, t_up, one);
}

static __m256i to_int32_8(__m512d acc) {
    const __m512d lo = _mm512_set1_pd(-2147483648.0), hi = _mm512_set1_pd(2147483647.0);
    acc = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(acc, lo, _CMP_LT_OQ), acc, lo);
    acc = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(acc, hi, _CMP_GT_OQ), acc, hi);
    return _mm512_cvttpd_epi32(acc);
}

static __m256i srdhm8(__m256i a, __m256i b) {
    const __m512i ab = _mm512_mul_epi32(_mm512_cvtepi32_epi64(a), _mm512_cvtepi32_epi64(b));
    const __m256i lanes =
        _mm512_cvtepi64_epi32(_mm512_srli_epi64(_mm512_add_epi64(ab, _mm512_set1_epi64(1LL << 30)), 31));
    const __m256i min = _mm256_set1_epi32(INT32_MIN);
    const __m256i both = _mm256_and_si256(_mm256_cmpeq_epi32(a, min), _mm256_cmpeq_epi32(b, min));
    return _mm256_blendv_epi8(lanes, _mm256_set1_epi32(INT32_MAX), both);
}

static __m256i rdbpot8(__m256i x, __m256i e) {
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, e), one);
    const __m256i remainder = _mm256_and_si256(x, mask);
    const __m256i negative = _mm256_srli_epi32(x, 31);
    const __m256i threshold = _mm256_add_epi32(_mm256_srai_epi32(mask, 1), negative);
    const __m256i carry = _mm256_srli_epi32(_mm256_cmpgt_epi32(remainder, threshold), 31);
    return _mm256_add_epi32(_mm256_srav_epi32(x, e), carry);
}

void qat_requant_row_avx512(const qat_requant_row *r, const float *y, int n, float *out) {
    const __m256i zero = _mm256_setzero_si256(), zp = _mm256_set1_epi32(r->zp);
    const __m256i lo = _mm256_set1_epi32(r->lo), hi = _mm256_set1_epi32(r->hi);
    const __m256 scale = _mm256_set1_ps(r->scale);
    int c = 0;
    for (; c + 8 <= n; c += 8) {
        __m512d x =
            _mm512_mul_pd(_mm512_cvtps_pd(_mm256_loadu_ps(y + c)), _mm512_loadu_pd(r->inv + c));
        __m256i acc = to_int32_8(round_away8(x));
        __m256i shift = _mm256_loadu_si256((const __m256i *)(r->shift + c));
        __m256i left = _mm256_max_epi32(shift, zero);
        __m256i right = _mm256_max_epi32(_mm256_sub_epi32(zero, shift), zero);
        __m256i mult = _mm256_loadu_si256((const __m256i *)(r->mult + c));
        __m256i q = _mm256_add_epi32(rdbpot8(srdhm8(_mm256_sllv_epi32(acc, left), mult), right), zp);
        q = _mm256_min_epi32(_mm256_max_epi32(q, lo), hi);
        _mm256_storeu_ps(out + c, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(q, zp)), scale));
    }
    qat_requant_row_c(r, y, c, n, out);
}
