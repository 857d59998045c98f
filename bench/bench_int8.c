/* Inference speed: the integer engine against the float path, on the lesson model.
 *
 *   make bench   (or: build/bench/bench_int8 [GOLDEN_CASE_DIR])
 *
 * The int8 model is TFLite Micro's golden gesture_base case (same shapes as the lesson);
 * its outputs are checked byte for byte against TFLM's before anything is timed. The float
 * path is the lesson CNN in qatrain's float engine (OpenBLAS), batch 1 and batch 64.
 * Figures are medians of 7 rounds measured in one run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/gemm.h"
#include "qat/clock.h"
#include "qat/config.h"
#include "qat/int8.h"
#include "qat/npy.h"
#include "qat/tflite.h"

#define ROUNDS 7

static int die(const char *what, const qat_error *e) {
    fprintf(stderr, "bench_int8: %s: %s\n", what, e ? e->msg : "");
    return 1;
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
    qat_npy in = {0}, out = {0};
    snprintf(model, sizeof model, "%s/model.tflite", dir);
    if (qat_tflite_read(model, &ir, &e)) return die("model", &e);
    snprintf(path, sizeof path, "%s/inputs.npy", dir);
    if (qat_npy_read(path, &in, &e)) return die("inputs", &e);
    snprintf(path, sizeof path, "%s/outputs.npy", dir);
    if (qat_npy_read(path, &out, &e)) return die("outputs", &e);
    qat_i8_engine eng;
    if (qat_i8_prepare(&eng, &ir, model, &e)) return die("prepare", &e);
    size_t n = in.shape[0], isz = in.count / n, osz = out.count / n;
    int8_t y[64];
    for (size_t i = 0; i < n; i++) { /* correctness first */
        qat_i8_invoke(&eng, (const int8_t *)in.data + i * isz, y);
        if (memcmp(y, (const int8_t *)out.data + i * osz, osz)) return die("outputs differ from TFLite Micro's", NULL);
    }
    if (invoke_only > 0) {
        for (long k = 0; k < invoke_only; k++)
            qat_i8_invoke(&eng, (const int8_t *)in.data + (size_t)(k % (long)n) * isz, y);
        printf("%ld inferences\n", invoke_only);
        return 0;
    }
    double t[ROUNDS];
    int reps = 20000;
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = qat_clock();
        for (int k = 0; k < reps; k++) qat_i8_invoke(&eng, (const int8_t *)in.data + (size_t)(k % (int)n) * isz, y);
        t[r] = (qat_clock() - t0) / reps;
    }
    double int8_us = 1e6 * qat_median(t, ROUNDS);

    qat_config cfg;
    qat_config_defaults(&cfg);
    qat_model m;
    if (qat_model_build(&m, cfg.layers, cfg.n_layers, 50, 3, 3, 64, &e)) return die("float model", &e);
    qat_rng rng;
    qat_rng_seed(&rng, 1, QAT_STREAM_INIT);
    qat_model_init(&m, &rng);
    float x[64 * 150], prob[64 * 3];
    for (int i = 0; i < 64 * 150; i++) x[i] = (float)qat_rng_uniform(&rng);
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = qat_clock();
        for (int k = 0; k < reps / 4; k++) qat_model_predict(&m, x, 1, prob);
        t[r] = (qat_clock() - t0) / (reps / 4);
    }
    double f1_us = 1e6 * qat_median(t, ROUNDS);
    for (int r = 0; r < ROUNDS; r++) {
        double t0 = qat_clock();
        for (int k = 0; k < reps / 64; k++) qat_model_predict(&m, x, 64, prob);
        t[r] = (qat_clock() - t0) / (reps / 64 * 64);
    }
    double f64_us = 1e6 * qat_median(t, ROUNDS);
    printf("command: build/bench/bench_int8 %s\n", dir);
    printf("gemm kernel: %s\n", qat_gemm_isa_name(qat_gemm_isa_used()));
    printf("int8 engine, 1 sample:        %8.2f us/inference  %9.0f inferences/s  (outputs == TFLM on %zu samples)\n",
           int8_us, 1e6 / int8_us, n);
    printf("float engine, batch 1:        %8.2f us/inference  %9.0f inferences/s\n", f1_us, 1e6 / f1_us);
    printf("float engine, batch 64:       %8.2f us/inference  %9.0f inferences/s\n", f64_us, 1e6 / f64_us);
    printf("int8 / float (batch 1) time:  %.2fx\n", int8_us / f1_us);
    qat_model_free(&m);
    qat_i8_free(&eng);
    qat_ir_free(&ir);
    qat_npy_free(&in);
    qat_npy_free(&out);
    return 0;
}
