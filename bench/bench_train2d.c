/* Training speed of the two image models of issue 12, on random data:
 *   lab        28×28×1: conv2d 16 3×3 relu → maxpool 2 → conv2d 32 3×3 relu → maxpool 2 →
 *              flatten → dense 10 (the quantization lab's Conv2D CNN)
 *   separable  32×32×1: conv2d 16 3×3 stride 2 same → batchnorm → relu6 →
 *              separable_conv2d 32 3×3 same → batchnorm → relu6 → global_avgpool → dense 10
 *              (the advanced chapter's QAT-friendly block)
 *
 *   build/bench/bench_train2d [repeats]
 *
 * Prints the command, the machine's load and GEMM kernel, and per model the training
 * throughput (forward + backward, batch 32; median of repeats) and the GEMM share: the same
 * products (every conv2d/dense forward, dW and dX GEMM, shapes read off the graph) replayed
 * alone, over the step time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/clock.h"
#include "qat/gemm.h"
#include "qat/model.h"

#define BATCH 32

static int lab_stack(qat_layer_spec *l) {
    memset(l, 0, 6 * sizeof *l);
    l[0] = (qat_layer_spec){.name = "conv1", .kind = QAT_LAYER_CONV2D, .units = 16,
                            .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1,
                            .use_bias = 1, .activation = QAT_ACT_RELU};
    l[1] = (qat_layer_spec){.name = "pool1", .kind = QAT_LAYER_MAXPOOL2D, .pool_h = 2,
                            .pool_w = 2, .stride_h = 2, .stride_w = 2};
    l[2] = l[0];
    snprintf(l[2].name, sizeof l[2].name, "conv2");
    l[2].units = 32;
    l[3] = l[1];
    snprintf(l[3].name, sizeof l[3].name, "pool2");
    l[4] = (qat_layer_spec){.name = "flatten", .kind = QAT_LAYER_FLATTEN};
    l[5] = (qat_layer_spec){.name = "out", .kind = QAT_LAYER_DENSE, .units = 10, .use_bias = 1};
    return 6;
}

static int separable_stack(qat_layer_spec *l) {
    memset(l, 0, 8 * sizeof *l);
    l[0] = (qat_layer_spec){.name = "conv1", .kind = QAT_LAYER_CONV2D, .units = 16,
                            .kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2,
                            .padding = QAT_PAD_SAME};
    l[1] = (qat_layer_spec){.name = "bn1", .kind = QAT_LAYER_BATCHNORM, .momentum = 0.99,
                            .epsilon = 1e-3};
    l[2] = (qat_layer_spec){.name = "act1", .kind = QAT_LAYER_RELU6};
    l[3] = (qat_layer_spec){.name = "sep1", .kind = QAT_LAYER_SEPARABLE_CONV2D, .units = 32,
                            .kernel_h = 3, .kernel_w = 3, .stride_h = 1, .stride_w = 1,
                            .padding = QAT_PAD_SAME, .depth_multiplier = 1};
    l[4] = l[1];
    snprintf(l[4].name, sizeof l[4].name, "bn2");
    l[5] = l[2];
    snprintf(l[5].name, sizeof l[5].name, "act2");
    l[6] = (qat_layer_spec){.name = "gap", .kind = QAT_LAYER_GLOBAL_AVGPOOL};
    l[7] = (qat_layer_spec){.name = "out", .kind = QAT_LAYER_DENSE, .units = 10, .use_bias = 1};
    return 8;
}

static void random_batch(qat_model *m, int *labels, qat_rng *r) {
    qat_node *x = &m->g.nodes[m->input];
    for (size_t i = 0; i < (size_t)BATCH * x->size; i++) x->val[i] = (float)qat_rng_uniform(r);
    for (int i = 0; i < BATCH; i++) labels[i] = (int)qat_rng_below(r, 10);
}

/* Seconds per training step (forward + backward), over `steps`. */
static double step_seconds(qat_model *m, const int *labels, int steps) {
    qat_pass pass = {.batch = BATCH, .training = 1, .labels = labels};
    double t0 = qat_clock();
    for (int s = 0; s < steps; s++) {
        qat_graph_forward(&m->g, &pass, m->loss + 1);
        qat_graph_zero_grads(&m->g);
        qat_graph_backward(&m->g, &pass, m->loss);
    }
    return (qat_clock() - t0) / steps;
}

static double time_gemm(qat_gemm_args a, float *buf, int reps) {
    a.a = a.b = a.c = buf; /* contents do not matter for the time */
    double t0 = qat_clock();
    for (int r = 0; r < reps; r++) qat_gemm(&a);
    return (qat_clock() - t0) / reps;
}

/* The GEMMs of one training step, as conv2d.c and dense.c issue them, timed alone. */
static double gemm_seconds(const qat_model *m, int reps) {
    float *buf = calloc((size_t)1 << 23, sizeof *buf); /* 32 MB: the largest operand fits */
    double t = 0;
    for (int i = 0; buf && i < m->g.n_nodes; i++) {
        const qat_node *n = &m->g.nodes[i];
        if (n->op != QAT_OP_CONV2D && n->op != QAT_OP_DENSE) continue;
        const qat_node *X = &m->g.nodes[n->in[0]], *W = &m->g.nodes[n->in[1]];
        int rows = BATCH, o = W->dim[0], k = (int)(W->size / (size_t)o);
        if (n->op == QAT_OP_CONV2D) rows *= n->dim[0] * n->dim[1];
        t += time_gemm((qat_gemm_args){QAT_GEMM_N, QAT_GEMM_T, rows, o, k, 0, k, 0, k, 0, 0, o},
                       buf, reps);
        t += time_gemm((qat_gemm_args){QAT_GEMM_T, QAT_GEMM_N, o, k, rows, 0, o, 0, k, 1, 0, k},
                       buf, reps);
        if (X->needs_grad)
            t += time_gemm((qat_gemm_args){QAT_GEMM_N, QAT_GEMM_N, rows, k, o, 0, o, 0, k, 0, 0, k},
                           buf, reps);
    }
    free(buf);
    return t;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int run(const char *label, const qat_layer_spec *l, int n, int side, int repeats) {
    qat_model m;
    qat_error e = {0};
    qat_shape in = qat_input_shape(side, side, 0, 1);
    if (qat_model_build_shape(&m, l, n, &in, 10, BATCH, 0, &e)) {
        fprintf(stderr, "bench_train2d: %s\n", e.msg);
        return 1;
    }
    qat_rng r;
    qat_rng_seed(&r, 1, QAT_STREAM_INIT);
    qat_model_init(&m, &r);
    int labels[BATCH];
    random_batch(&m, labels, &r);
    double step[64];
    step_seconds(&m, labels, 5); /* warm up */
    for (int i = 0; i < repeats; i++) step[i] = step_seconds(&m, labels, 40);
    qsort(step, (size_t)repeats, sizeof step[0], cmp_double);
    double med = step[repeats / 2], gemm = gemm_seconds(&m, 20);
    printf("%-9s %2dx%2dx1  %7ld params  %9ld MACs/image  %8.0f images/s  (%.2f ms/step, "
           "GEMM %.0f %%)\n", label, side, side, (long)m.g.n_params, qat_model_macs(&m),
           BATCH / med, 1e3 * med, 100 * gemm / med);
    qat_model_free(&m);
    return 0;
}

int main(int argc, char **argv) {
    int repeats = argc > 1 ? atoi(argv[1]) : 5;
    if (repeats < 1) repeats = 1;
    if (repeats > 64) repeats = 64;
    double load[3] = {-1, -1, -1};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3) load[0] = -1;
        fclose(f);
    }
    printf("command: build/bench/bench_train2d %d\n", repeats);
    printf("load average: %.2f %.2f %.2f\n", load[0], load[1], load[2]);
    printf("gemm kernel: %s\n", qat_gemm_isa_name(qat_gemm_isa_used()));
    printf("training, forward + backward, batch %d, random data (median of %d x 40 steps):\n",
           BATCH, repeats);
    qat_layer_spec l[8];
    if (run("lab", l, lab_stack(l), 28, repeats)) return 1;
    return run("separable", l, separable_stack(l), 32, repeats);
}
