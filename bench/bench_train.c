/* Training speed of the lesson model on the built-in data.
 *
 *   make bench   (or: build/bench/bench_train [repeats])
 *
 * Prints the BLAS kernels in use, forward+backward throughput at batch 16 (median of
 * repeats), the wall time of the full 80-epoch lesson training (median of repeats; its
 * accuracy is checked first, so a broken trainer cannot post a fast time), and peak RSS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "qat/gemm.h"
#include "qat/clock.h"
#include "qat/ops.h"
#include "qat/pipeline.h"

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

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 5;
    if (repeats < 1) repeats = 1;
    qat_config cfg;
    qat_config_defaults(&cfg);
    qat_error e = {0};
    double thr[64], wall[64], acc = 0;
    if (repeats > 64) repeats = 64;
    for (int i = 0; i < repeats; i++) {
        static qat_pipeline p;
        qat_pipeline_init(&p, &cfg);
        if (qat_pipeline_data(&p, &e) || qat_pipeline_build(&p, &e)) return die(&e);
        thr[i] = step_throughput(&p, 2000);
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
    printf("80-epoch lesson training: %.3f s wall (median of %d), test accuracy %.2f %%\n",
           qat_median(wall, repeats), repeats, 100 * acc);
    printf("peak RSS: %.1f MB\n", ru.ru_maxrss / 1024.0);
    return 0;
}
