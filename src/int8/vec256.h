/* The vector int8 kernels (vec_kernel.h) with 256-bit vectors: 8 int32 lanes, two vectors per
 * block of 16 output channels. The including file defines vdot (vpmaddwd + vpaddd with AVX2,
 * or AVX-VNNI's vpdpwssd) and FN. Without mask registers the rounding's conditions are
 * all-ones lanes, added or subtracted as −1. */
#include <immintrin.h>
#include <string.h>

#include "vec.h"

#define VI __m256i
#define NV 2

static inline __m256i vzero(void) { return _mm256_setzero_si256(); }
static inline __m256i vload(const void *p) { return _mm256_loadu_si256((const __m256i *)p); }
static inline __m256i vadd(__m256i a, __m256i b) { return _mm256_add_epi32(a, b); }
static inline __m256i vmax(__m256i a, __m256i b) { return _mm256_max_epi32(a, b); }
static inline __m256i vmin(__m256i a, __m256i b) { return _mm256_min_epi32(a, b); }
static inline __m256i vset(int32_t x) { return _mm256_set1_epi32(x); }
static inline __m256i vpair(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* As vec_avx512.c's vmbqm: qat_mul_by_quantized_multiplier lane by lane. */
static inline __m256i vmbqm(__m256i x, __m256i m, __m256i left, __m256i right) {
    const __m256i a = _mm256_sllv_epi32(x, left); /* wraps, as (uint32_t)x << left */
    const __m256i nudge = _mm256_set1_epi64x(INT64_C(1) << 30);
    __m256i even = _mm256_add_epi64(_mm256_mul_epi32(a, m), nudge);
    __m256i odd = _mm256_add_epi64(
        _mm256_mul_epi32(_mm256_srli_epi64(a, 32), _mm256_srli_epi64(m, 32)), nudge);
    even = _mm256_srli_epi64(even, 31);
    odd = _mm256_slli_epi64(odd, 1);
    __m256i r = _mm256_blend_epi32(even, odd, 0xAA);
    const __m256i min = _mm256_set1_epi32(INT32_MIN);
    const __m256i sat = _mm256_and_si256(_mm256_cmpeq_epi32(a, min), _mm256_cmpeq_epi32(m, min));
    r = _mm256_blendv_epi8(r, _mm256_set1_epi32(INT32_MAX), sat);
    const __m256i one = _mm256_set1_epi32(1);
    const __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(one, right), one);
    const __m256i rem = _mm256_and_si256(r, mask);
    /* threshold = (mask >> 1) + (r < 0): subtracting the all-ones comparison adds 1 */
    const __m256i thr = _mm256_sub_epi32(_mm256_srai_epi32(mask, 1), _mm256_cmpgt_epi32(vzero(), r));
    const __m256i q = _mm256_srav_epi32(r, right);
    return _mm256_sub_epi32(q, _mm256_cmpgt_epi32(rem, thr));
}

/* 16 lanes in [-128, 127] → bytes: the saturating packs work within 128-bit halves, so the
 * 64-bit quarters are put back in order between them. */
static inline void vstore16(int8_t *out, const __m256i *v, int n) {
    const __m256i w = _mm256_permute4x64_epi64(_mm256_packs_epi32(v[0], v[1]), 0xD8);
    const __m128i b = _mm_packs_epi16(_mm256_castsi256_si128(w), _mm256_extracti128_si256(w, 1));
    if (n == QAT_I8_VEC_LANES) {
        _mm_storeu_si128((__m128i *)out, b);
    } else {
        int8_t tmp[QAT_I8_VEC_LANES];
        _mm_storeu_si128((__m128i *)tmp, b);
        memcpy(out, tmp, (size_t)n);
    }
}

#include "vec_kernel.h"
