/* The GEMM kernel (kernel.h) with AVX2 + FMA3: 8-float vectors, tiles of 12×8 or 6×16.
 * Compiled with -mavx2 -mfma (Makefile); gemm.c calls it only where the processor has them. */
#include <immintrin.h>
#include <stddef.h>

#include "gemm_impl.h"

#define V 8
#define VF __m256
#define FN(name) qat_gemm256_##name
#define MR1 12
#define MR2 6

static inline __m256 vzero(void) { return _mm256_setzero_ps(); }
static inline __m256 vload(const float *p) { return _mm256_load_ps(p); }
static inline void vstore(float *p, __m256 v) { _mm256_store_ps(p, v); }
static inline __m256 vbcast(float x) { return _mm256_set1_ps(x); }
static inline __m256 vfma(__m256 a, __m256 b, __m256 c) { return _mm256_fmadd_ps(a, b, c); }
static inline __m256i first(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline __m256 vload_n(const float *p, int n) {
    return n == V ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, first(n));
}
static inline void vstore_n(float *p, int n, __m256 v) {
    if (n == V) _mm256_storeu_ps(p, v);
    else _mm256_maskstore_ps(p, first(n), v);
}

#include "kernel.h"

void qat_gemm_avx2(const qat_gemm_args *g) { qat_gemm256_gemm(g); }
