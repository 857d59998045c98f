/* qatrain — the one matrix product, with a result defined to the bit.
 *
 *   C[i][j] = Σ_p A[i][p] · B[p][j]      (accumulate = 0)
 *   C[i][j] = C[i][j] + Σ_p A[i][p] · B[p][j]   (accumulate = 1)
 *
 * where the sum is one chain of fused multiply-adds over p in increasing order, each rounded
 * once: acc = start; for p = 0 … k−1: acc = fmaf(A[i][p], B[p][j], acc), with start = +0 or
 * C[i][j]. Every kernel — the scalar reference, AVX2 and AVX-512 — computes exactly that
 * chain for every output (the vector kernels run independent chains side by side across
 * columns), so a product, and with it a whole training run, has the same bits on every
 * x86-64 processor, whichever kernel it runs. An optimised BLAS splits and reorders the sum
 * differently per kernel family, which is why qatrain does not use one.
 *
 * Row-major storage: A is m×k (ta = QAT_GEMM_N, element A[i][p] = a[i·lda + p]) or stored
 * transposed (QAT_GEMM_T: a[p·lda + i]); likewise B is k×n or stored transposed; C is m×n
 * with row stride ldc. No allocation; the packing buffer is on the stack (16 KB). */
#ifndef QAT_GEMM_H
#define QAT_GEMM_H

typedef enum qat_gemm_trans { QAT_GEMM_N, QAT_GEMM_T } qat_gemm_trans;

typedef enum qat_gemm_isa {
    QAT_GEMM_ISA_SCALAR, /* fmaf, any processor: the reference */
    QAT_GEMM_ISA_AVX2,   /* 8-float vectors, FMA3 */
    QAT_GEMM_ISA_AVX512, /* 16-float vectors, AVX-512F */
    QAT_GEMM_ISA_COUNT
} qat_gemm_isa;

typedef struct qat_gemm_args {
    qat_gemm_trans ta, tb;
    int m, n, k;
    const float *a;
    int lda;
    const float *b;
    int ldb;
    int accumulate; /* 1: add to C; 0: overwrite C */
    float *c;
    int ldc;
} qat_gemm_args;

/* The product with the widest kernel this processor runs (or the one named by the
 * environment variable QATRAIN_GEMM = scalar | avx2 | avx512, read once, for tests that
 * prove the kernels agree; a kernel the processor lacks falls back to a narrower one). The
 * fake-quant graph's vector rows (src/quant/fq_avx2.h) follow the same choice. */
void qat_gemm(const qat_gemm_args *g);

/* The product with a given kernel; 0 when this processor cannot run it (nothing written). */
int qat_gemm_with(qat_gemm_isa isa, const qat_gemm_args *g);

/* The kernel qat_gemm uses, and its name ("scalar", "avx2", "avx512"). */
qat_gemm_isa qat_gemm_isa_used(void);
const char *qat_gemm_isa_name(qat_gemm_isa isa);
/* Whether this processor can run the kernel. */
int qat_gemm_isa_supported(qat_gemm_isa isa);

#endif
