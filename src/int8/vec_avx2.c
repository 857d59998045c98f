/* The vector int8 kernels with AVX2 (vec256.h): vpmaddwd then vpaddd. Compiled with -mavx2
 * (Makefile); engine.c calls these only where the processor has it. */
#define FN(name) vec_avx2_##name
#include <immintrin.h>
static inline __m256i vdot(__m256i acc, __m256i x, __m256i w) {
    return _mm256_add_epi32(acc, _mm256_madd_epi16(x, w));
}
#include "vec256.h"

const qat_i8_vec_kernels qat_i8_vec_avx2 = {vec_avx2_conv, vec_avx2_requant, vec_avx2_max_pool, vec_avx2_widen};
