/* qatrain — making sure OpenBLAS runs its fast kernels.
 *
 * Debian's OpenBLAS picks its kernels once, when it loads, and on some CPUs it does not
 * recognise (the project's KVM Xeons among them) falls back to SSE3 "Prescott" kernels,
 * 5–6× slower at our GEMM shapes. OPENBLAS_CORETYPE fixes that, but only if set before
 * the library loads — hence a re-exec. */
#ifndef QAT_BLAS_H
#define QAT_BLAS_H

/* The kernel family OpenBLAS chose, e.g. "SkylakeX". */
const char *qat_blas_core(void);

/* For a program's main(), before any other work: when the user has not set
 * OPENBLAS_CORETYPE and OpenBLAS chose kernels older than the CPU supports, re-executes
 * the program with OPENBLAS_CORETYPE set (SkylakeX for AVX-512, Haswell for AVX2).
 * Returns when no re-exec is needed or it failed. Also limits OpenBLAS to one thread:
 * a second thread does not help at batch-16 shapes. */
void qat_blas_setup(char *const argv[]);

#endif
