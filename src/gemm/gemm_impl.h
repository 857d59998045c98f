/* Internal to src/gemm: what the kernels share. */
#ifndef QAT_GEMM_IMPL_H
#define QAT_GEMM_IMPL_H

#include <stddef.h>

#include "qat/gemm.h"

/* Rows of B packed per block: the k-blocking keeps a packed panel (GEMM_KC × 32 floats,
 * 16 KB) in L1. Blocking k does not change the result: the chain's running value goes to C
 * as a float and comes back unchanged. */
#define QAT_GEMM_KC 128
#define QAT_GEMM_NR_MAX 32

/* Packs B[p0, p0+kc) × [j0, j0+nc), B stored transposed (tb = QAT_GEMM_T), into bp: kc rows
 * of nr floats, zero past column nc. */
void qat_gemm_pack_bt(const qat_gemm_args *g, int p0, int kc, int j0, int nc, int nr, float *bp);

void qat_gemm_avx2(const qat_gemm_args *g);
void qat_gemm_avx512(const qat_gemm_args *g);

#endif
