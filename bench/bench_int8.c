/* Inference speed of the integer engine on the lesson model, per kernel family, per op, and
 * batched on 1 and 2 threads, beside the float path.
 *
 *   make bench   (or: build/bench/bench_int8 [GOLDEN_CASE_DIR])
 *   build/bench/bench_int8 --invoke N [DIR]   N inferences, nothing timed: for callgrind
 *                                              (bench/profile_int8.sh counts instructions)
 *
 * The int8 model is TFLite Micro's golden gesture_base case (same shapes as the lesson); every
 * family's outputs are checked byte for byte against TFLM's before anything is timed. Figures
 * are medians of 7 rounds measured in one run (wall time: the machine is shared; callgrind's
 * instruction counts are the repeatable measure). GMAC/s counts the model's multiply-adds
 * (convolutions and fully-connected layers) per second, beside the family's measured peak:
 * a loop of independent 16-bit pair multiply-adds, the instruction the kernels use. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/clock.h"
#include "qat/config.h"
#include "qat/gemm.h"
#include "qat/int8.h"
#include "qat/npy.h"
#include "qat/tflite.h"

#include "load.h"

#define ROUNDS 7
#define REPS 20000

static int die(const char *what, const qat_error *e) {
    fprintf(stderr, "bench_int8: %s: %s\n", what, e ? e->msg : "");
    return 1;
}

/* Multiply-adds of one inference: CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED. */
static double macs_of(const qat_ir *ir) {
    double m = 0;
    for (int i = 0; i < ir->n_nodes; i++) {
        const qat_ir_node *n = &ir->nodes[i];
        const qat_ir_tensor *w = n->n_in > 1 && n->in[1] >= 0 ? &ir->tensors[n->in[1]] : NULL;
        const double outs = (double)qat_ir_tensor_count(&ir->tensors[n->out]);
        if (n->op == QAT_IR_CONV_2D) m += outs * w->dim[1] * w->dim[2] * w->dim[3];
        if (n->op == QAT_IR_DEPTHWISE_CONV_2D) m += outs * w->dim[1] * w->dim[2];
        if (n->op == QAT_IR_FULLY_CONNECTED) m += outs * w->dim[1];
    }
    return m;
}

/* ---- the family's peak: independent pair multiply-adds, 8 chains ----------------------- */

#define PEAK_ITERS 2000000L
static volatile int sink;

/* Accumulators in registers, each started apart (an array went through memory, and each
 * chain waited on a store: the peak read about half the real one), operands kept opaque
 * every iteration so nothing is hoisted or merged. vpmaddwd + vpaddd has no fused form, so
 * each of its four chains gets its own operand (four suffice: only the 1-cycle add carries
 * a chain; eight would not fit the 16 ymm registers); the VNNI forms take eight chains. */
#define OPAQUE4(r) __asm__ volatile("" : "+" r(x0), "+" r(x1), "+" r(x2), "+" r(x3))

__attribute__((target("avx2"))) static double peak_avx2(void) {
    __m256i w = _mm256_set1_epi16(5), x0, x1, x2, x3;
    x0 = x1 = x2 = x3 = _mm256_set1_epi16(3);
    __m256i a0 = _mm256_set1_epi32(0), a1 = _mm256_set1_epi32(1), a2 = _mm256_set1_epi32(2),
            a3 = _mm256_set1_epi32(3);
    const double t0 = qat_clock();
    for (long i = 0; i < PEAK_ITERS; i++) {
        for (int u = 0; u < 2; u++) {
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(x0, w));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(x1, w));
            a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(x2, w));
            a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(x3, w));
            OPAQUE4("x");
        }
    }
    const double t = qat_clock() - t0;
    a0 = _mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3));
    sink = _mm256_extract_epi32(a0, 0);
    return PEAK_ITERS * 8.0 * 16 / t; /* 16 MACs per vpmaddwd */
}

#define CHAINS8(OP)                                                                            \
    do {                                                                                       \
        a0 = OP(a0, x, w), a1 = OP(a1, x, w), a2 = OP(a2, x, w), a3 = OP(a3, x, w);             \
        a4 = OP(a4, x, w), a5 = OP(a5, x, w), a6 = OP(a6, x, w), a7 = OP(a7, x, w);             \
    } while (0)

__attribute__((target("avx2,avxvnni"))) static double peak_avxvnni(void) {
    __m256i w = _mm256_set1_epi16(5), x = _mm256_set1_epi16(3);
    __m256i a0 = _mm256_set1_epi32(0), a1 = _mm256_set1_epi32(1), a2 = _mm256_set1_epi32(2),
            a3 = _mm256_set1_epi32(3), a4 = _mm256_set1_epi32(4), a5 = _mm256_set1_epi32(5),
            a6 = _mm256_set1_epi32(6), a7 = _mm256_set1_epi32(7);
    const double t0 = qat_clock();
    for (long i = 0; i < PEAK_ITERS; i++) {
        CHAINS8(_mm256_dpwssd_avx_epi32);
        __asm__ volatile("" : "+x"(x));
    }
    const double t = qat_clock() - t0;
    a0 = _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(a0, a1), _mm256_add_epi32(a2, a3)),
                          _mm256_add_epi32(_mm256_add_epi32(a4, a5), _mm256_add_epi32(a6, a7)));
    sink = _mm256_extract_epi32(a0, 0);
    return PEAK_ITERS * 8.0 * 16 / t;
}

__attribute__((target("avx512f,avx512vnni"))) static double peak_avx512(void) {
    __m512i w = _mm512_set1_epi16(5), x = _mm512_set1_epi16(3);
    __m512i a0 = _mm512_set1_epi32(0), a1 = _mm512_set1_epi32(1), a2 = _mm512_set1_epi32(2),
            a3 = _mm512_set1_epi32(3), a4 = _mm512_set1_epi32(4), a5 = _mm512_set1_epi32(5),
            a6 = _mm512_set1_epi32(6), a7 = _mm512_set1_epi32(7);
    const double t0 = qat_clock();
    for (long i = 0; i < PEAK_ITERS; i++) {
        CHAINS8(_mm512_dpwssd_epi32);
        __asm__ volatile("" : "+v"(x));
    }
    const double t = qat_clock() - t0;
    a0 = _mm512_add_epi32(_mm512_add_epi32(_mm512_add_epi32(a0, a1), _mm512_add_epi32(a2, a3)),
                          _mm512_add_epi32(_mm512_add_epi32(a4, a5), _mm512_add_epi32(a6, a7)));
    sink = _mm512_reduce_add_epi32(a0);
    return PEAK_ITERS * 8.0 * 32 / t; /* 32 MACs per vpdpwssd */
}

static double peak(qat_i8_isa isa) {
    double t[5];
    for (int r = 0; r < 5; r++)
        t[r] = isa == QAT_I8_ISA_AVX512    ? peak_avx512()
               : isa == QAT_I8_ISA_AVXVNNI ? peak_avxvnni()
               : isa == QAT_I8_ISA_AVX2    ? peak_avx2()
                                           : 0;
    return qat_median(t, 5);
}

/* ---- timing ---------------------------------------------------------------------------- */

typedef struct golden {
    qat_npy in, out;
    size_t n, isz, osz;
} golden;

/* Median seconds per inference with family isa; 0 when its outputs differ from TFLM's. */
static double time_family(const qat_ir *ir, qat_i8_isa isa, const golden *g, qat_error *e) {
    qat_i8_engine eng;
    if (qat_i8_prepare_isa(&eng, ir, isa, "bench", e)) return -1;
    int8_t y[64];
    for (size_t i = 0; i < g->n; i++) {
        qat_i8_invoke(&eng, (const int8_t *)g->in.data + i * g->isz, y);
        if (memcmp(y, (const int8_t *)g->out.data + i * g->osz, g->osz)) {
            qat_i8_free(&eng);
            return 0;
        }
    }
    double t[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        const double t0 = qat_clock();
        for (int k = 0; k < REPS; k++)
            qat_i8_invoke(&eng, (const int8_t *)g->in.data + (size_t)(k % (int)g->n) * g->isz, y);
        t[r] = (qat_clock() - t0) / REPS;
    }
    qat_i8_free(&eng);
    return qat_median(t, ROUNDS);
}

/* Per-op wall time: the trace callback stamps the clock after each node. */
typedef struct op_clock {
    double last, *sum;
} op_clock;

static void stamp(void *ctx, int node, int tensor, const void *data) {
    (void)tensor, (void)data;
    op_clock *c = ctx;
    const double now = qat_clock();
    if (node >= 0) c->sum[node] += now - c->last;
    c->last = now;
}

static void print_ops(const qat_ir *ir, qat_i8_isa isa, const golden *g, qat_error *e) {
    qat_i8_engine eng;
    if (qat_i8_prepare_isa(&eng, ir, isa, "bench", e)) return;
    double sum[64] = {0}, total = 0;
    op_clock c = {0, sum};
    int8_t y[64];
    for (int k = 0; k < REPS; k++) {
        c.last = qat_clock();
        qat_i8_invoke_traced(&eng, (const int8_t *)g->in.data + (size_t)(k % (int)g->n) * g->isz,
                             y, stamp, &c);
    }
    for (int i = 0; i < ir->n_nodes && i < 64; i++) total += sum[i];
    printf("per op, %s (wall, incl. ~20 ns of clock per op):", qat_i8_isa_name(eng.isa));
    for (int i = 0; i < ir->n_nodes && i < 64; i++)
        printf(" %s %.2f us (%.0f%%)%s", qat_ir_opcode_name(ir->nodes[i].op), 1e6 * sum[i] / REPS,
               100 * sum[i] / total, i + 1 < ir->n_nodes ? "," : "\n");
    qat_i8_free(&eng);
}

typedef struct batch_ctx {
    const golden *g;
} batch_ctx;

static void fill(void *ctx, int thread, size_t i, void *input) {
    (void)thread;
    const golden *g = ((const batch_ctx *)ctx)->g;
    memcpy(input, (const int8_t *)g->in.data + (i % g->n) * g->isz, g->isz);
}

/* Median inferences per second of qat_i8_run_batch over `n` samples; 0 when the outputs
 * differ from TFLM's. */
static double batched(const qat_ir *ir, const golden *g, int threads, size_t n, int8_t *out,
                      qat_error *e) {
    batch_ctx c = {g};
    double t[5];
    for (int r = 0; r < 5; r++) {
        const double t0 = qat_clock();
        if (qat_i8_run_batch(ir, n, fill, &c, out, threads, "bench", e)) return -1;
        t[r] = qat_clock() - t0;
    }
    for (size_t i = 0; i < n; i++)
        if (memcmp(out + i * g->osz, (const int8_t *)g->out.data + (i % g->n) * g->osz, g->osz))
            return 0;
    return n / qat_median(t, 5);
}

static double float_path(qat_error *e) {
    qat_config cfg;
    qat_config_defaults(&cfg);
    qat_model m;
    if (qat_model_build(&m, cfg.layers, cfg.n_layers, 50, 3, 3, 64, e)) return -1;
    qat_rng rng;
    qat_rng_seed(&rng, 1, QAT_STREAM_INIT);
    qat_model_init(&m, &rng);
    static float x[64 * 150], prob[64 * 3];
    for (int i = 0; i < 64 * 150; i++) x[i] = (float)qat_rng_uniform(&rng);
    double t[ROUNDS];
    for (int r = 0; r < ROUNDS; r++) {
        const double t0 = qat_clock();
        for (int k = 0; k < REPS / 64; k++) qat_model_predict(&m, x, 64, prob);
        t[r] = (qat_clock() - t0) / (REPS / 64 * 64);
    }
    qat_model_free(&m);
    return qat_median(t, ROUNDS);
}

int main(int argc, char **argv) {
    long invoke_only = 0; /* --invoke N: N inferences, nothing timed (for callgrind) */
    if (argc > 2 && !strcmp(argv[1], "--invoke")) {
        invoke_only = atol(argv[2]);
        argc -= 2, argv += 2;
    }
    const char *dir = argc > 1 ? argv[1] : "../shared/reference/tflm-golden/gesture_base";
    char model[1024], path[1024];
    qat_error e = {0};
    qat_ir ir;
    golden g = {0};
    snprintf(model, sizeof model, "%s/model.tflite", dir);
    if (qat_tflite_read(model, &ir, &e)) return die("model", &e);
    snprintf(path, sizeof path, "%s/inputs.npy", dir);
    if (qat_npy_read(path, &g.in, &e)) return die("inputs", &e);
    snprintf(path, sizeof path, "%s/outputs.npy", dir);
    if (qat_npy_read(path, &g.out, &e)) return die("outputs", &e);
    g.n = g.in.shape[0], g.isz = g.in.count / g.n, g.osz = g.out.count / g.n;
    if (g.osz > 64) return die("outputs of more than 64 bytes", NULL);
    if (invoke_only > 0) {
        qat_i8_engine eng;
        if (qat_i8_prepare(&eng, &ir, model, &e)) return die("prepare", &e);
        int8_t y[64];
        for (long k = 0; k < invoke_only; k++)
            qat_i8_invoke(&eng, (const int8_t *)g.in.data + (size_t)(k % (long)g.n) * g.isz, y);
        printf("%ld inferences with the %s kernels\n", invoke_only, qat_i8_isa_name(eng.isa));
        qat_i8_free(&eng);
        return 0;
    }
    printf("command: build/bench/bench_int8 %s\n", dir);
    print_load();
    const double macs = macs_of(&ir);
    printf("model: %.0f MACs per inference; medians of %d rounds of %d inferences; outputs == "
           "TFLM's on %zu samples before timing\n", macs, ROUNDS, REPS, g.n);
    double us[QAT_I8_ISA_COUNT] = {0};
    for (int isa = 0; isa < QAT_I8_ISA_COUNT; isa++) {
        if (!qat_i8_isa_supported((qat_i8_isa)isa)) {
            printf("int8 %-9s  not on this processor\n", qat_i8_isa_name((qat_i8_isa)isa));
            continue;
        }
        const double t = time_family(&ir, (qat_i8_isa)isa, &g, &e);
        if (t < 0) return die("prepare", &e);
        if (t == 0) return die(qat_i8_isa_name((qat_i8_isa)isa), NULL);
        us[isa] = 1e6 * t;
        const double pk = peak((qat_i8_isa)isa);
        printf("int8 %-9s %7.2f us/inference %9.0f inferences/s %6.2f GMAC/s", qat_i8_isa_name((qat_i8_isa)isa),
               us[isa], 1 / t, macs / t * 1e-9);
        if (pk > 0) printf("  (peak %.0f GMAC/s: %.1f%%)", pk * 1e-9, 100 * macs / t / pk);
        printf("%s\n", isa == (int)qat_i8_isa_used() ? "  <- used" : "");
    }
    const qat_i8_isa used = qat_i8_isa_used();
    printf("speed-up of %s over portable: %.2fx\n", qat_i8_isa_name(used), us[0] / us[used]);
    print_ops(&ir, QAT_I8_ISA_PORTABLE, &g, &e);
    if (used != QAT_I8_ISA_PORTABLE) print_ops(&ir, used, &g, &e);
    const size_t nb = 100000;
    int8_t *out = malloc(nb * g.osz);
    if (!out) return die("out of memory", NULL);
    for (int th = 1; th <= 2; th++) {
        const double ips = batched(&ir, &g, th, nb, out, &e);
        if (ips < 0) return die("batch", &e);
        if (ips == 0) return die("batched outputs differ from TFLite Micro's", NULL);
        printf("int8 %s batched, %d thread%s: %9.0f inferences/s (%zu samples, median of 5; "
               "outputs == TFLM)\n", qat_i8_isa_name(used), th, th > 1 ? "s" : " ", ips, nb);
    }
    free(out);
    const double f64 = float_path(&e);
    if (f64 < 0) return die("float model", &e);
    printf("float engine (gemm %s), batch 64: %7.2f us/inference %9.0f inferences/s\n",
           qat_gemm_isa_name(qat_gemm_isa_used()), 1e6 * f64, 1 / f64);
    qat_ir_free(&ir);
    qat_npy_free(&g.in);
    qat_npy_free(&g.out);
    return 0;
}
