/* The GEMM kernel (kernel.h) with AVX-512F: 16-float vectors, tiles of 24×16 or 12×32.
 * Compiled with -mavx512f -mfma (Makefile); gemm.c calls it only where the processor has them. */
#include <immintrin.h>
#include <stddef.h>

#include "gemm_impl.h"

#define V 16
#define VF __m512
#define FN(name) qat_gemm512_##name
#define MR1 24
#define MR2 12

static inline __m512 vzero(void) { return _mm512_setzero_ps(); }
static inline __m512 vload(const float *p) { return _mm512_load_ps(p); }
static inline void vstore(float *p, __m512 v) { _mm512_store_ps(p, v); }
static inline __m512 vbcast(float x) { return _mm512_set1_ps(x); }
static inline __m512 vfma(__m512 a, __m512 b, __m512 c) { return _mm512_fmadd_ps(a, b, c); }
static inline __mmask16 first(int n) { return (__mmask16)((1u << n) - 1u); }
static inline __m512 vload_n(const float *p, int n) {
    return n == V ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(first(n), p);
}
static inline void vstore_n(float *p, int n, __m512 v) {
    if (n == V) _mm512_storeu_ps(p, v);
    else _mm512_mask_storeu_ps(p, first(n), v);
}

#include "kernel.h"

void qat_gemm_avx512(const qat_gemm_args *g) { qat_gemm512_gemm(g); }
