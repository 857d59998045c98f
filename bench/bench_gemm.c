/* qatrain's defined-result GEMM (gemm.h) against OpenBLAS, shape by shape.
 *
 *   make bench   (or: build/bench/bench_gemm [milliseconds per measurement])
 *
 * For the lesson's six GEMMs of a batch-16 training step, the image lab's eight at batch 32
 * (shapes from ../shared/reference/performance.md) and square sizes: the median time of one
 * call over 7 measurements for OpenBLAS (whatever kernels it chose: OPENBLAS_CORETYPE is
 * honoured; one thread) and for each of qatrain's kernels this processor runs, as µs,
 * GFLOP/s, and the ratio to OpenBLAS. Every kernel's result is first checked against
 * OpenBLAS's (relative error ≤ k·2⁻²³ of the sum of |terms|) so a wrong kernel cannot post a
 * time. Prints the command, the machine's load and the kernels. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/clock.h"
#include "qat/gemm.h"

typedef struct shape {
    const char *what;
    int m, n, k;
    qat_gemm_trans ta, tb;
} shape;

#define N_ QAT_GEMM_N
#define T_ QAT_GEMM_T
static const shape SHAPES[] = {
    {"lesson conv1 fwd", 736, 16, 15, N_, T_},     {"lesson conv2 fwd", 336, 32, 48, N_, T_},
    {"lesson dense1 fwd", 16, 32, 320, N_, T_},    {"lesson conv2 dW", 32, 48, 336, T_, N_},
    {"lesson conv2 dX", 336, 48, 32, N_, N_},      {"lesson dense1 dW", 32, 320, 16, T_, N_},
    {"lab conv1 fwd", 21632, 16, 9, N_, T_},       {"lab conv2 fwd", 3872, 32, 144, N_, T_},
    {"lab conv1 dW", 16, 9, 21632, T_, N_},        {"lab conv2 dW", 32, 144, 3872, T_, N_},
    {"lab conv2 dX", 3872, 144, 32, N_, N_},       {"lab dense fwd", 32, 10, 800, N_, T_},
    {"lab dense dW", 10, 800, 32, T_, N_},         {"lab dense dX", 32, 800, 10, N_, N_},
    {"square 64", 64, 64, 64, N_, N_},             {"square 256", 256, 256, 256, N_, N_},
    {"square 1024", 1024, 1024, 1024, N_, N_},
};

static void fill(float *x, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)(seed >> 8) / (float)(1u << 24) - 0.5f;
    }
}

static void openblas(const qat_gemm_args *g) {
    cblas_sgemm(CblasRowMajor, g->ta == T_ ? CblasTrans : CblasNoTrans,
                g->tb == T_ ? CblasTrans : CblasNoTrans, g->m, g->n, g->k, 1.0f, g->a, g->lda,
                g->b, g->ldb, g->accumulate ? 1.0f : 0.0f, g->c, g->ldc);
}

/* Median µs per call of f (isa < 0: OpenBLAS). */
static double time_it(int isa, const qat_gemm_args *g, double ms) {
    double t[7];
    for (int r = 0; r < 7; r++) {
        long calls = 0;
        double t0 = qat_clock(), t1;
        do {
            if (isa < 0) openblas(g);
            else qat_gemm_with((qat_gemm_isa)isa, g);
            calls++;
            t1 = qat_clock();
        } while (t1 - t0 < ms * 1e-3);
        t[r] = (t1 - t0) / calls * 1e6;
    }
    return qat_median(t, 7);
}

/* |qat − OpenBLAS| ≤ k·2⁻²³·Σ|a·b| for every output (both are float sums of the same terms). */
static int check(const shape *s, const float *a, const float *b, const float *ref,
                 const float *got) {
    for (int i = 0; i < s->m; i++)
        for (int j = 0; j < s->n; j++) {
            double mag = 0;
            for (int p = 0; p < s->k; p++) {
                float x = s->ta == T_ ? a[(size_t)p * s->m + i] : a[(size_t)i * s->k + p];
                float y = s->tb == T_ ? b[(size_t)j * s->k + p] : b[(size_t)p * s->n + j];
                mag += fabs((double)x * y);
            }
            size_t o = (size_t)i * s->n + j;
            if (fabs((double)got[o] - ref[o]) > 2.0 * s->k * 0x1p-23 * mag + 1e-30) return 0;
        }
    return 1;
}

int main(int argc, char **argv) {
    double ms = argc > 1 ? atof(argv[1]) : 20;
    if (!(ms > 0)) ms = 20;
    openblas_set_num_threads(1);
    double load[3] = {0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
        fclose(f);
    }
    printf("command: build/bench/bench_gemm %g\n", ms);
    printf("load average: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
    printf("OpenBLAS %s, kernels %s, 1 thread; qatrain kernel in use: %s\n", OPENBLAS_VERSION,
           openblas_get_corename(), qat_gemm_isa_name(qat_gemm_isa_used()));
    printf("median µs per call (GFLOP/s) over 7 measurements of %g ms; ratio = OpenBLAS time / "
           "qatrain time (> 1: qatrain faster)\n", ms);
    printf("%-18s %-16s %16s", "shape", "m×n×k", "OpenBLAS");
    for (int isa = QAT_GEMM_ISA_AVX2; isa < QAT_GEMM_ISA_COUNT; isa++)
        if (qat_gemm_isa_supported((qat_gemm_isa)isa))
            printf(" %16s %6s", qat_gemm_isa_name((qat_gemm_isa)isa), "ratio");
    printf("\n");
    for (size_t i = 0; i < sizeof SHAPES / sizeof *SHAPES; i++) {
        const shape *s = &SHAPES[i];
        size_t na = (size_t)s->m * s->k, nb = (size_t)s->k * s->n, nc = (size_t)s->m * s->n;
        float *a = malloc(na * 4), *b = malloc(nb * 4), *ref = malloc(nc * 4), *c = malloc(nc * 4);
        if (!a || !b || !ref || !c) return 1;
        fill(a, na, 1 + (unsigned)i), fill(b, nb, 100 + (unsigned)i);
        qat_gemm_args g = {s->ta, s->tb, s->m, s->n, s->k, a, s->ta == T_ ? s->m : s->k, b,
                           s->tb == T_ ? s->k : s->n, 0, ref, s->n};
        openblas(&g);
        double flop = 2.0 * s->m * s->n * s->k, tb = time_it(-1, &g, ms);
        char dims[32];
        snprintf(dims, sizeof dims, "%d×%d×%d", s->m, s->n, s->k);
        printf("%-18s %-16s %8.1f (%5.1f)", s->what, dims, tb, flop / tb * 1e-3);
        g.c = c;
        for (int isa = QAT_GEMM_ISA_AVX2; isa < QAT_GEMM_ISA_COUNT; isa++) {
            if (!qat_gemm_isa_supported((qat_gemm_isa)isa)) continue;
            qat_gemm_with((qat_gemm_isa)isa, &g);
            if (s->k <= 4096 && nc <= 1 << 20 && !check(s, a, b, ref, c)) {
                fprintf(stderr, "bench_gemm: %s kernel wrong on %s\n",
                        qat_gemm_isa_name((qat_gemm_isa)isa), s->what);
                return 1;
            }
            double t = time_it(isa, &g, ms);
            printf(" %8.1f (%5.1f) %6.2f", t, flop / t * 1e-3, tb / t);
        }
        printf("\n");
        free(a), free(b), free(ref), free(c);
    }
    return 0;
}
