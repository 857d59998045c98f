/* The defined-result GEMM (gemm.h): the scalar reference, packing, and the choice of kernel. */
#include "gemm_impl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

static float at_a(const qat_gemm_args *g, int i, int p) {
    return g->ta == QAT_GEMM_N ? g->a[(size_t)i * g->lda + p] : g->a[(size_t)p * g->lda + i];
}

static float at_b(const qat_gemm_args *g, int p, int j) {
    return g->tb == QAT_GEMM_N ? g->b[(size_t)p * g->ldb + j] : g->b[(size_t)j * g->ldb + p];
}

/* The definition itself, one output at a time. */
static void gemm_scalar(const qat_gemm_args *g) {
    for (int i = 0; i < g->m; i++)
        for (int j = 0; j < g->n; j++) {
            float *c = &g->c[(size_t)i * g->ldc + j];
            float acc = g->accumulate ? *c : 0.0f;
            for (int p = 0; p < g->k; p++) acc = fmaf(at_a(g, i, p), at_b(g, p, j), acc);
            *c = acc;
        }
}

void qat_gemm_pack_bt(const qat_gemm_args *g, int p0, int kc, int j0, int nc, int nr, float *bp) {
    for (int j = 0; j < nc; j++) { /* read B's stored rows, write the panel's columns */
        const float *src = g->b + (size_t)(j0 + j) * g->ldb + p0;
        for (int p = 0; p < kc; p++) bp[(size_t)p * nr + j] = src[p];
    }
    for (int p = 0; p < kc; p++)
        for (int j = nc; j < nr; j++) bp[(size_t)p * nr + j] = 0.0f;
}

int qat_gemm_isa_supported(qat_gemm_isa isa) {
    __builtin_cpu_init();
    switch (isa) {
    case QAT_GEMM_ISA_SCALAR: return 1;
    case QAT_GEMM_ISA_AVX2:
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case QAT_GEMM_ISA_AVX512: return __builtin_cpu_supports("avx512f");
    default: return 0;
    }
}

static const char *const ISA_NAME[] = {"scalar", "avx2", "avx512"};
_Static_assert(sizeof ISA_NAME / sizeof *ISA_NAME == QAT_GEMM_ISA_COUNT, "one name per kernel");

const char *qat_gemm_isa_name(qat_gemm_isa isa) {
    return (unsigned)isa < QAT_GEMM_ISA_COUNT ? ISA_NAME[isa] : "?";
}

/* Decided once per process: the processor does not change, nor does the environment
 * variable matter after start-up. */
static qat_gemm_isa chosen = QAT_GEMM_ISA_SCALAR;
static once_flag chosen_once = ONCE_FLAG_INIT;

static void choose(void) {
    qat_gemm_isa want = QAT_GEMM_ISA_AVX512;
    const char *env = getenv("QATRAIN_GEMM");
    for (int i = 0; env && i < QAT_GEMM_ISA_COUNT; i++)
        if (!strcmp(env, ISA_NAME[i])) want = (qat_gemm_isa)i;
    while (want > QAT_GEMM_ISA_SCALAR && !qat_gemm_isa_supported(want))
        want = (qat_gemm_isa)(want - 1);
    chosen = want;
}

qat_gemm_isa qat_gemm_isa_used(void) {
    call_once(&chosen_once, choose);
    return chosen;
}

int qat_gemm_with(qat_gemm_isa isa, const qat_gemm_args *g) {
    if (!qat_gemm_isa_supported(isa)) return 0;
    if (g->m <= 0 || g->n <= 0) return 1;
    if (g->k <= 0) {
        if (!g->accumulate)
            for (int i = 0; i < g->m; i++) memset(g->c + (size_t)i * g->ldc, 0, (size_t)g->n * 4);
        return 1;
    }
    switch (isa) {
    case QAT_GEMM_ISA_AVX512: qat_gemm_avx512(g); break;
    case QAT_GEMM_ISA_AVX2: qat_gemm_avx2(g); break;
    default: gemm_scalar(g); break;
    }
    return 1;
}

void qat_gemm(const qat_gemm_args *g) {
    qat_gemm_with(qat_gemm_isa_used(), g);
}
