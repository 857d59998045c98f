/* The vector int8 kernels (vec_kernel.h, vec_pool.h) with AVX-512: 16 int32 lanes, vpdpwssd
 * (AVX-512 VNNI) for the pair multiply-adds, mask registers for the rounding's conditions.
 * Compiled with -mavx512f -mavx512bw -mavx512vl -mavx512vnni (Makefile); engine.c calls
 * these only where the processor has them. */
#include <immintrin.h>
#include <string.h>

#include "vec.h"

#define VI __m512i
#define NV 1
#define FN(name) vec512_##name

static inline __m512i vzero(void) { return _mm512_setzero_si512(); }
static inline __m512i vload(const void *p) { return _mm512_loadu_si512(p); }
static inline __m512i vadd(__m512i a, __m512i b) { return _mm512_add_epi32(a, b); }
static inline __m512i vmax(__m512i a, __m512i b) { return _mm512_max_epi32(a, b); }
static inline __m512i vmin(__m512i a, __m512i b) { return _mm512_min_epi32(a, b); }
static inline __m512i vset(int32_t x) { return _mm512_set1_epi32(x); }
static inline __m512i vpair(const int16_t *p) {
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}
static inline __m512i vdot(__m512i acc, __m512i x, __m512i w) {
    return _mm512_dpwssd_epi32(acc, x, w);
}

/* SaturatingRoundingDoublingHighMul(x << left, m), then RoundingDivideByPOT(·, right):
 * qat_mul_by_quantized_multiplier (qparams.h) lane by lane. The 64-bit products of even and
 * odd lanes are formed separately; (ab + 2^30) >> 31 is bits 31..62 of the sum, moved into
 * the lane's own 32 bits by a logical shift either way. */
static inline __m512i vmbqm(__m512i x, __m512i m, __m512i left, __m512i right) {
    const __m512i a = _mm512_sllv_epi32(x, left); /* wraps, as (uint32_t)x << left */
    const __m512i nudge = _mm512_set1_epi64(INT64_C(1) << 30);
    __m512i even = _mm512_add_epi64(_mm512_mul_epi32(a, m), nudge);
    __m512i odd = _mm512_add_epi64(
        _mm512_mul_epi32(_mm512_srli_epi64(a, 32), _mm512_srli_epi64(m, 32)), nudge);
    even = _mm512_srli_epi64(even, 31);
    odd = _mm512_slli_epi64(odd, 1);
    __m512i r = _mm512_mask_blend_epi32(0xAAAA, even, odd);
    const __m512i min = _mm512_set1_epi32(INT32_MIN);
    const __mmask16 sat = _mm512_cmpeq_epi32_mask(a, min) & _mm512_cmpeq_epi32_mask(m, min);
    r = _mm512_mask_mov_epi32(r, sat, _mm512_set1_epi32(INT32_MAX));
    /* round(r / 2^right), ties away from zero: mask, remainder, threshold (+1 if negative) */
    const __m512i one = _mm512_set1_epi32(1);
    const __m512i mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, right), one);
    const __m512i rem = _mm512_and_si512(r, mask);
    __m512i thr = _mm512_srai_epi32(mask, 1);
    thr = _mm512_mask_add_epi32(thr, _mm512_cmplt_epi32_mask(r, vzero()), thr, one);
    const __m512i q = _mm512_srav_epi32(r, right);
    return _mm512_mask_add_epi32(q, _mm512_cmpgt_epi32_mask(rem, thr), q, one);
}

static inline void vstore16(int8_t *out, const __m512i *v, int n) {
    _mm_mask_storeu_epi8(out, (__mmask16)((1u << n) - 1u), _mm512_cvtepi32_epi8(v[0]));
}

#include "vec_kernel.h"

const qat_i8_vec_kernels qat_i8_vec_avx512 = {vec512_conv, vec512_requant, vec512_max_pool, vec512_widen};
