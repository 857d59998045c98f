/* export2d MODEL DIR [SEED]: a 2-D model's exports and re-check files, laid out as a qatrain run
 * folder, for the e2e tests (LiteRT, firmware) of 2-D layers. MODEL is one of
 * tests/common/model2d.h's hand-built float models — mixed, lab or separable — with weights
 * seeded by SEED (default 1); its test set is N seeded images labelled by the float model's own predictions.
 * PTQ-calibrated and lowered as the pipeline does, it writes into DIR (which must exist):
 *   model_int8.tflite, model_int8_float_io.tflite, model_float32.tflite,
 *   model_dynamic_range.tflite, model_float16.tflite,
 *   model_int8.{h,c}, model_int8_info.h             (the firmware files)
 *   test_inputs_float.npy, test_inputs_raw.npy      (N, H, W, C) float32 (no normalisation)
 *   test_inputs_int8.npy                            the int8 model's own quantized inputs
 *   test_outputs_int8.npy                           the int8 engine's (N, K) outputs on them
 *   test_outputs_float32.npy                        the float model's probabilities
 *   test_labels.npy, report.json                    labels; results.int8_qat.test_accuracy
 * Exit 0, or 1 with one line on stderr. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/firmware.h"
#include "qat/int8.h"
#include "qat/npy.h"
#include "qat/quant.h"
#include "qat/tflite.h"

#include "../common/model2d.h"

enum { N = 200, CAL = 64 };

static int fail(const char *what, const qat_error *e) {
    fprintf(stderr, "export2d: %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
    return 1;
}

static int path_in(char *buf, size_t cap, const char *dir, const char *name) {
    return snprintf(buf, cap, "%s/%s", dir, name) >= (int)cap;
}

static int write_ir(const qat_ir *ir, const char *dir, const char *name, qat_error *e) {
    char p[1024];
    return path_in(p, sizeof p, dir, name) || qat_tflite_write(ir, "export2d", p, e);
}

static int write_npy(const char *dir, const char *name, qat_dtype t, int ndim,
                     const size_t *shape, const void *data, qat_error *e) {
    char p[1024];
    return path_in(p, sizeof p, dir, name) || qat_npy_write(p, t, ndim, shape, data, e);
}

static int lower_write(qat_qmodel *qm, qat_lower_mode mode, const char *dir, const char *name,
                       qat_ir *keep, qat_error *e) {
    qat_ir ir;
    if (qat_lower(qm, mode, &ir, e) || write_ir(&ir, dir, name, e)) return 1;
    if (keep) *keep = ir;
    else qat_ir_free(&ir);
    return 0;
}

static int firmware(const qat_ir *ir, const qat_model *m, const char *dir, qat_error *e) {
    unsigned char *buf;
    size_t len;
    static const char *const names[10] = {"c0", "c1", "c2", "c3", "c4",
                                          "c5", "c6", "c7", "c8", "c9"};
    qat_norm norm;
    memset(&norm, 0, sizeof norm);
    norm.kind = QAT_NORM_NONE;
    qat_firmware_info fi = {"g_model_int8", "export2d", names, m->n_classes, m->window,
                            m->channels, 0, &norm};
    if (qat_tflite_serialize(ir, "export2d", &buf, &len, e)) return 1;
    int rc = qat_firmware_write(ir, buf, len, &fi, dir, "model_int8", e) != QAT_OK;
    free(buf);
    return rc;
}

int main(int argc, char **argv) {
    if (argc != 3 && argc != 4)
        return fprintf(stderr, "usage: export2d mixed|lab|separable DIR [SEED]\n"), 2;
    unsigned s0 = argc == 4 ? (unsigned)strtoul(argv[3], NULL, 10) : 1;
    static qat_model fm;
    static qat_qmodel qm, fq;
    qat_error e = {0};
    const char *dir = argv[2];
    if (!strcmp(argv[1], "mixed")) qat_m2d_mixed(&fm, 4);
    else if (!strcmp(argv[1], "lab")) qat_m2d_lab(&fm);
    else if (!strcmp(argv[1], "separable")) qat_m2d_separable(&fm, 1);
    else return fail("unknown model (mixed, lab, separable)", NULL);
    if (qat_graph_compile(&fm.g, CAL, &e)) return fail("compile", &e);
    qat_m2d_init(&fm, 11 * s0);
    const qat_node *in = &fm.g.nodes[fm.input];
    size_t per = in->size, k = (size_t)fm.n_classes;
    float *x = malloc(N * per * sizeof(float)), *probs = malloc(N * k * sizeof(float)),
          *logits = malloc(N * k * sizeof(float));
    int8_t *xq = malloc(N * per), *y = malloc(N * k);
    int32_t *labels = malloc(N * sizeof(int32_t));
    if (!x || !probs || !logits || !xq || !y || !labels) return fail("out of memory", NULL);
    unsigned seed = 5 + s0;
    qat_m2d_fill(x, N * per, &seed, 0, 1);
    qat_model_predict(&fm, x, N, probs);
    qat_model_logits(&fm, x, N, logits);
    for (int i = 0; i < N; i++) {
        int best = 0;
        for (int j = 1; j < (int)k; j++)
            if (logits[(size_t)i * k + j] > logits[(size_t)i * k + best]) best = j;
        labels[i] = best;
    }
    qat_quant_config qc = {.ptq_observer = QAT_OBS_MINMAX, .qat_observer = QAT_OBS_MINMAX,
                           .per_channel_conv = 1, .weight_bits = 8, .act_bits = 8};
    if (qat_qmodel_build(&qm, &fm, &qc, CAL, &e) || qat_qmodel_build(&fq, &fm, &qc, 1, &e))
        return fail("quantize", &e);
    qat_dataset cal = {.n = CAL, .window = fm.window, .channels = fm.channels, .x = x};
    if (qat_qmodel_calibrate(&qm, &cal, QAT_OBS_MINMAX, &e)) return fail("calibrate", &e);
    qat_ir ir;
    if (lower_write(&qm, QAT_LOWER_INT8, dir, "model_int8.tflite", &ir, &e) ||
        lower_write(&qm, QAT_LOWER_INT8_FLOAT_IO, dir, "model_int8_float_io.tflite", NULL, &e) ||
        lower_write(&fq, QAT_LOWER_FLOAT32, dir, "model_float32.tflite", NULL, &e) ||
        lower_write(&fq, QAT_LOWER_DYNAMIC_RANGE, dir, "model_dynamic_range.tflite", NULL, &e) ||
        lower_write(&fq, QAT_LOWER_FLOAT16, dir, "model_float16.tflite", NULL, &e))
        return fail("lower and write", &e);
    const qat_ir_tensor *it = &ir.tensors[ir.input];
    qat_i8_quantize(x, N * per, it->q.scale[0], it->q.zero_point[0], xq);
    qat_dataset test = {.n = N, .window = fm.window, .channels = fm.channels, .x = x,
                        .y = labels, .n_classes = fm.n_classes};
    double acc;
    int *pred = malloc(N * sizeof(int));
    if (!pred || qat_int8_evaluate(&ir, &test, pred, y, &acc, NULL, &e)) return fail("evaluate", &e);
    size_t xs[4] = {N, (size_t)in->dim[0], (size_t)in->dim[1], (size_t)in->dim[2]};
    size_t ys[2] = {N, k}, ls[1] = {N};
    if (write_npy(dir, "test_inputs_float.npy", QAT_DTYPE_F32, 4, xs, x, &e) ||
        write_npy(dir, "test_inputs_raw.npy", QAT_DTYPE_F32, 4, xs, x, &e) ||
        write_npy(dir, "test_inputs_int8.npy", QAT_DTYPE_I8, 4, xs, xq, &e) ||
        write_npy(dir, "test_outputs_int8.npy", QAT_DTYPE_I8, 2, ys, y, &e) ||
        write_npy(dir, "test_outputs_float32.npy", QAT_DTYPE_F32, 2, ys, probs, &e) ||
        write_npy(dir, "test_labels.npy", QAT_DTYPE_I32, 1, ls, labels, &e) ||
        firmware(&ir, &fm, dir, &e))
        return fail("write", &e);
    char p[1024];
    FILE *f = path_in(p, sizeof p, dir, "report.json") ? NULL : fopen(p, "w");
    if (!f) return fail("cannot write report.json", NULL);
    fprintf(f, "{\"results\": {\"int8_qat\": {\"test_accuracy\": %.17g}}}\n", acc);
    if (fclose(f)) return fail("cannot write report.json", NULL);
    printf("%s: %d IR ops, int8 engine accuracy %.1f %% against the float model's labels\n",
           argv[1], ir.n_nodes, 100 * acc);
    qat_ir_free(&ir);
    free(x);
    free(probs);
    free(logits);
    free(xq);
    free(y);
    free(labels);
    free(pred);
    qat_qmodel_free(&qm);
    qat_qmodel_free(&fq);
    qat_graph_free(&fm.g);
    return 0;
}
