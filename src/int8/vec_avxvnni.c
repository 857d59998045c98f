/* The vector int8 kernels with AVX-VNNI (vec256.h): the fused 256-bit vpdpwssd. Compiled
 * with -mavx2 -mavxvnni (Makefile); engine.c calls these only where the processor has them. */
#define FN(name) vec_avxvnni_##name
#include <immintrin.h>
static inline __m256i vdot(__m256i acc, __m256i x, __m256i w) {
    return _mm256_dpwssd_avx_epi32(acc, x, w);
}
#include "vec256.h"

const qat_i8_vec_kernels qat_i8_vec_avxvnni = {vec_avxvnni_conv, vec_avxvnni_requant, vec_avxvnni_max_pool, vec_avxvnni_widen};
