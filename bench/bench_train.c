/* Training speed of the lesson model on the built-in data.
 *
 *   make bench   (or: build/bench/bench_train [repeats])
 *
 * Prints the BLAS kernels in use, forward+backward throughput at batch 16 (median of
 * repeats), the wall time of the full 80-epoch lesson training (median of repeats; its
 * accuracy is checked first, so a broken trainer cannot post a fast time), peak RSS, the
 * machine's load, the step's GFLOP/s beside one core's measured FP32 peak, and where a
 * step's time goes per op in the float and the QAT model. */
#include <immintrin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "qat/gemm.h"
#include "qat/clock.h"
#include "qat/model.h"
#include "qat/ops.h"
#include "qat/optim.h"
#include "qat/pipeline.h"

#include "load.h"

static int die(const qat_error *e) {
    fprintf(stderr, "bench_train: %s\n", e->msg);
    return 1;
}

/* Samples per second of forward + backward + Adam step at the config's batch size. */
static double step_throughput(qat_pipeline *p, int steps) {
    qat_model *m = &p->model;
    int b = p->cfg.train.batch;
    size_t in = (size_t)m->window * m->channels;
    qat_rng r;
    qat_rng_seed(&r, 1, QAT_STREAM_DROPOUT);
    qat_pass pass = {.batch = b, .training = 1, .labels = p->train.y, .rng = &r};
    memcpy(m->g.nodes[m->input].val, p->train.x, b * in * sizeof(float));
    double t0 = qat_clock();
    for (int s = 0; s < steps; s++) {
        qat_graph_forward(&m->g, &pass, m->loss + 1);
        qat_graph_zero_grads(&m->g);
        qat_graph_backward(&m->g, &pass, m->loss);
    }
    return steps * b / (qat_clock() - t0);
}

/* ---- one core's FP32 peak: eight independent FMA chains of the GEMM's vector width ---- */

#define PEAK_ITERS 2000000L
static volatile float sink;

/* Eight accumulators in registers (an array would go through memory, and each chain would
 * wait on a store), each started apart so the compiler cannot merge them, x kept opaque so
 * it cannot fold the loop. */
#define CHAINS8(OP)                                                                            \
    do {                                                                                       \
        a0 = OP(x, w, a0), a1 = OP(x, w, a1), a2 = OP(x, w, a2), a3 = OP(x, w, a3);             \
        a4 = OP(x, w, a4), a5 = OP(x, w, a5), a6 = OP(x, w, a6), a7 = OP(x, w, a7);             \
    } while (0)

__attribute__((target("avx2,fma"))) static double peak_avx2(void) {
    __m256 x = _mm256_set1_ps(1.0f), w = _mm256_set1_ps(0.999f), a0, a1, a2, a3, a4, a5, a6, a7;
    a0 = _mm256_set1_ps(0), a1 = _mm256_set1_ps(1), a2 = _mm256_set1_ps(2), a3 = _mm256_set1_ps(3);
    a4 = _mm256_set1_ps(4), a5 = _mm256_set1_ps(5), a6 = _mm256_set1_ps(6), a7 = _mm256_set1_ps(7);
    const double t0 = qat_clock();
    for (long i = 0; i < PEAK_ITERS; i++) {
        CHAINS8(_mm256_fmadd_ps);
        __asm__ volatile("" : "+x"(x));
    }
    const double t = qat_clock() - t0;
    a0 = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                       _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    sink = _mm256_cvtss_f32(a0);
    return PEAK_ITERS * 8.0 * 8 * 2 / t; /* 8 lanes, 2 FLOP an FMA */
}

__attribute__((target("avx512f"))) static double peak_avx512(void) {
    __m512 x = _mm512_set1_ps(1.0f), w = _mm512_set1_ps(0.999f), a0, a1, a2, a3, a4, a5, a6, a7;
    a0 = _mm512_set1_ps(0), a1 = _mm512_set1_ps(1), a2 = _mm512_set1_ps(2), a3 = _mm512_set1_ps(3);
    a4 = _mm512_set1_ps(4), a5 = _mm512_set1_ps(5), a6 = _mm512_set1_ps(6), a7 = _mm512_set1_ps(7);
    const double t0 = qat_clock();
    for (long i = 0; i < PEAK_ITERS; i++) {
        CHAINS8(_mm512_fmadd_ps);
        __asm__ volatile("" : "+v"(x));
    }
    const double t = qat_clock() - t0;
    a0 = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
                       _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
    sink = _mm512_reduce_add_ps(a0);
    return PEAK_ITERS * 8.0 * 16 * 2 / t;
}

/* The median of five peak runs for the GEMM's kernel family, FLOP/s (0: the scalar one). */
static double peak(qat_gemm_isa isa) {
    double t[5];
    for (int r = 0; r < 5; r++)
        t[r] = isa == QAT_GEMM_ISA_AVX512 ? peak_avx512() : isa == QAT_GEMM_ISA_AVX2 ? peak_avx2() : 0;
    return qat_median(t, 5);
}

/* Where a training step's time goes, per op: `steps` steps of forward, gradient zeroing,
 * backward and the optimizer on the first batch of the training split, each node timed
 * (qat_graph_*_timed) and the nodes added up by op; µs per step and share of the step. */
static int op_profile(const char *title, qat_model *m, const qat_dataset *train,
                      const qat_train_config *tc, int steps) {
    int b = tc->batch, nn = m->g.n_nodes;
    size_t in = (size_t)m->window * m->channels;
    double *sec = calloc(2 * (size_t)nn, sizeof *sec), op_s[QAT_OP_COUNT][2] = {{0}}, zero = 0,
           opt = 0;
    qat_optim o;
    qat_error e = {0};
    if (!sec || qat_optim_init(&o, tc, m->g.n_params, &e)) {
        free(sec);
        return 1;
    }
    qat_graph_times tm = {sec, sec + nn, 0};
    qat_rng r;
    qat_rng_seed(&r, 1, QAT_STREAM_DROPOUT);
    qat_pass pass = {.batch = b, .training = 1, .labels = train->y, .rng = &r, .epoch = 1};
    memcpy(m->g.nodes[m->input].val, train->x, b * in * sizeof(float));
    double t0 = qat_clock();
    for (int s = 0; s < steps; s++) {
        qat_graph_forward_timed(&m->g, &pass, m->loss + 1, &tm);
        double z = qat_clock();
        qat_graph_zero_grads(&m->g);
        zero += qat_clock() - z;
        qat_graph_backward_timed(&m->g, &pass, m->loss, &tm);
        double a = qat_clock();
        qat_optim_step(&o, m->g.params, m->g.grads);
        opt += qat_clock() - a;
    }
    double total = qat_clock() - t0;
    qat_optim_free(&o);
    for (int i = 0; i < nn; i++) {
        op_s[m->g.nodes[i].op][0] += sec[i];
        op_s[m->g.nodes[i].op][1] += sec[nn + i];
    }
    free(sec);
    printf("%s, per op (batch %d, %d steps, %.1f us a step; forward / backward us a step, share):\n",
           title, b, steps, 1e6 * total / steps);
    for (int k = 0; k < QAT_OP_COUNT; k++) {
        double f = op_s[k][0], bw = op_s[k][1];
        if (f + bw > 0)
            printf("  %-20s %8.2f %8.2f  %5.1f %%\n", qat_op_name((qat_op)k), 1e6 * f / steps,
                   1e6 * bw / steps, 100 * (f + bw) / total);
    }
    printf("  %-20s %8s %8.2f  %5.1f %%\n", "gradient zeroing", "", 1e6 * (zero + tm.zero) / steps,
           100 * (zero + tm.zero) / total);
    printf("  %-20s %8s %8.2f  %5.1f %%\n", "optimizer step", "", 1e6 * opt / steps, 100 * opt / total);
    return 0;
}

/* The per-op profiles of the lesson's float model and of its fake-quant (QAT) model. */
static int profiles(const qat_config *cfg0) {
    qat_config cfg = *cfg0;
    cfg.train.epochs = 2;
    cfg.quant.enabled = 1;
    cfg.quant.epochs = 1;
    qat_error e = {0};
    static qat_pipeline p;
    qat_pipeline_init(&p, &cfg);
    if (qat_pipeline_data(&p, &e) || qat_pipeline_build(&p, &e) ||
        qat_pipeline_train(&p, NULL, NULL, &e) || qat_pipeline_quantize(&p, NULL, NULL, &e))
        return die(&e);
    int st = op_profile("float model", &p.model, &p.train, &cfg.train, 2000) ||
             op_profile("QAT model (fake-quant)", &p.qm.m, &p.train, &cfg.train, 2000);
    qat_pipeline_free(&p);
    return st;
}

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 5;
    if (repeats < 1) repeats = 1;
    qat_config cfg;
    qat_config_defaults(&cfg);
    qat_error e = {0};
    double thr[64], wall[64], acc = 0;
    long macs = 0;
    if (repeats > 64) repeats = 64;
    for (int i = 0; i < repeats; i++) {
        static qat_pipeline p;
        qat_pipeline_init(&p, &cfg);
        if (qat_pipeline_data(&p, &e) || qat_pipeline_build(&p, &e)) return die(&e);
        thr[i] = step_throughput(&p, 2000);
        macs = qat_model_macs(&p.model);
        qat_pipeline_free(&p);
        qat_pipeline_init(&p, &cfg);
        if (qat_pipeline_data(&p, &e) || qat_pipeline_build(&p, &e)) return die(&e);
        if (qat_pipeline_train(&p, NULL, NULL, &e)) return die(&e);
        wall[i] = p.log.seconds;
        acc = p.test_accuracy;
        int n_train = p.train.n;
        qat_pipeline_free(&p);
        if (acc < 0.90) {
            fprintf(stderr, "bench_train: lesson accuracy %.3f < 0.90: trainer broken\n", acc);
            return 1;
        }
        if (i == 0) printf("lesson data: %d training samples, %d epochs, batch %d\n", n_train,
                           cfg.train.epochs, cfg.train.batch);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("command: build/bench/bench_train %d\n", repeats);
    printf("gemm kernel: %s\n", qat_gemm_isa_name(qat_gemm_isa_used()));
    printf("train step throughput (fwd+bwd, batch %d): %.0f samples/s (median of %d)\n",
           cfg.train.batch, qat_median(thr, repeats), repeats);
    double pk = peak(qat_gemm_isa_used()), flop = 2.0 * 3 * (double)macs; /* fwd, dX, dW */
    printf("train step: %.1f GFLOP/s, counting 3 x %ld MACs a sample (the first layer's input "
           "gradient is not computed: a little less is done); one core's measured FP32 FMA "
           "peak (%s): %.1f GFLOP/s\n",
           qat_median(thr, repeats) * flop / 1e9, macs, qat_gemm_isa_name(qat_gemm_isa_used()),
           pk / 1e9);
    printf("80-epoch lesson training: %.3f s wall (median of %d), test accuracy %.2f %%\n",
           qat_median(wall, repeats), repeats, 100 * acc);
    printf("peak RSS: %.1f MB\n", ru.ru_maxrss / 1024.0);
    print_load();
    return profiles(&cfg);
}
