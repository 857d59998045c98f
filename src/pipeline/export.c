/* The export stage: every .tflite form of the trained model, the firmware C array, and
 * the artifacts that let anyone re-check the int8 model with any TFLite runtime. */
#include <stdlib.h>
#include <string.h>

#include "qat/firmware.h"
#include "qat/int8.h"
#include "qat/npy.h"
#include "qat/pipeline.h"
#include "qat/report.h"
#include "qat/tflite.h"

/* Writes one .tflite; its size and gzip size go to bytes[0] and bytes[1] when non-NULL. */
static qat_status write_ir(const qat_pipeline *p, const qat_ir *ir, const char *name,
                           long *bytes, long *gz, qat_error *e) {
    char path[QAT_PATH_MAX], desc[QAT_PATH_MAX + 64];
    qat_pipeline_describe(p, desc, sizeof desc);
    unsigned char *buf;
    size_t len;
    qat_status st = qat_path_join(path, sizeof path, p->cfg.out_dir, name, e);
    if (!st) st = qat_tflite_serialize(ir, desc, &buf, &len, e);
    if (st) return st;
    st = qat_write_file(path, buf, len, e);
    if (bytes) *bytes = (long)len;
    if (!st && gz) st = qat_gzip_size(buf, len, gz, e);
    free(buf);
    return st;
}

/* float32, dynamic range and float16, lowered from the float model's folded weights. */
static qat_status float_forms(qat_pipeline *p, qat_error *e) {
    static const qat_lower_mode modes[] = {QAT_LOWER_FLOAT32, QAT_LOWER_DYNAMIC_RANGE, QAT_LOWER_FLOAT16};
    static const char *const names[] = {"model_float32.tflite", "model_dynamic_range.tflite",
                                        "model_float16.tflite"};
    qat_qmodel fq;
    qat_status st = qat_qmodel_build(&fq, &p->model, &p->cfg.quant, 1, e);
    if (st) return st;
    for (int i = 0; i < 3 && !st; i++) {
        qat_ir ir;
        if ((st = qat_lower(&fq, modes[i], &ir, e))) break;
        long *bytes = i < 2 ? &p->tflite_bytes[i] : &p->fp16_tflite_bytes;
        long *gz = i < 2 ? &p->gzip_bytes[i] : &p->fp16_gzip_bytes;
        st = write_ir(p, &ir, names[i], bytes, gz, e);
        qat_ir_free(&ir);
    }
    qat_qmodel_free(&fq);
    return st;
}

/* The shape of an .npy of n samples of t's: (n, window, channels) or (n, H, W, C); returns
 * its number of dimensions. */
static int samples_shape(const qat_dataset *t, size_t n, size_t *shape) {
    const size_t d2[3] = {n, (size_t)t->window, (size_t)t->channels};
    const size_t d3[4] = {n, (size_t)t->height, (size_t)t->width, (size_t)t->channels};
    memcpy(shape, t->height > 0 ? d3 : d2, t->height > 0 ? sizeof d3 : sizeof d2);
    return t->height > 0 ? 4 : 3;
}

static qat_status npy(const qat_pipeline *p, const char *name, qat_dtype t, int ndim,
                      const size_t *shape, const void *data, qat_error *e) {
    char path[QAT_PATH_MAX];
    qat_status st = qat_path_join(path, sizeof path, p->cfg.out_dir, name, e);
    return st ? st : qat_npy_write(path, t, ndim, shape, data, e);
}

/* The int8 engine's raw outputs of an IR on the test split, as .npy. */
static qat_status engine_outputs(const qat_pipeline *p, const qat_ir *ir, const char *name,
                                 qat_error *e) {
    const qat_dataset *t = &p->test;
    size_t shape[2] = {(size_t)t->n, (size_t)t->n_classes};
    int8_t *out = malloc(shape[0] * shape[1] + 1);
    double acc;
    if (!out) return qat_error_set(e, QAT_ERR_NOMEM, "export: out of memory");
    qat_status st = qat_int8_evaluate(ir, t, NULL, out, &acc, NULL, e);
    if (!st) st = npy(p, name, QAT_DTYPE_I8, 2, shape, out, e);
    free(out);
    return st;
}

/* One int8 model's re-check files, named after its model_<stem>.tflite: the test split
 * quantized with this model's own input scale and zero point (each model calibrates its
 * own input range, so another model's int8 inputs are not its inputs), and what the int8
 * engine answered on exactly those bytes (qat_int8_evaluate quantizes the same way). */
static qat_status verification(const qat_pipeline *p, const qat_ir *ir, const char *stem,
                               qat_error *e) {
    const qat_dataset *t = &p->test;
    size_t n = (size_t)t->n * qat_dataset_sample_size(t), xs[4];
    int nd = samples_shape(t, (size_t)t->n, xs);
    const qat_ir_tensor *in = &ir->tensors[ir->input];
    char name[64];
    int8_t *x8 = malloc(n + 1);
    float *x = malloc(n * sizeof *x + 1);
    if (x && x8) {
        qat_dataset_read(t, 0, t->n, x);
        qat_i8_quantize(x, n, in->q.scale[0], in->q.zero_point[0], x8);
    }
    free(x);
    if (!x || !x8) {
        free(x8);
        return qat_error_set(e, QAT_ERR_NOMEM, "export: out of memory");
    }
    snprintf(name, sizeof name, "test_inputs_%s.npy", stem);
    qat_status st = npy(p, name, QAT_DTYPE_I8, nd, xs, x8, e);
    free(x8);
    snprintf(name, sizeof name, "test_outputs_%s.npy", stem);
    return st ? st : engine_outputs(p, ir, name, e);
}

/* The test split as recorded (before normalisation: what the firmware header's
 * qat_prepare_input takes) and as fed to the float models, its labels, the float model's
 * answers, and the re-check files of the QAT and PTQ int8 models. */
static qat_status artifacts(const qat_pipeline *p, qat_error *e) {
    const qat_dataset *t = &p->test;
    size_t n = (size_t)t->n, k = (size_t)t->n_classes;
    size_t xs[4], ys[1] = {n}, os[2] = {n, k};
    int nd = samples_shape(t, n, xs);
    float *prob = malloc((n * k + 1) * sizeof(float));
    float *x = malloc(n * qat_dataset_sample_size(t) * sizeof *x + 1);
    if (!prob || !x) {
        free(prob);
        free(x);
        return qat_error_set(e, QAT_ERR_NOMEM, "export: out of memory");
    }
    qat_model_predict_data((qat_model *)&p->model, t, prob);
    qat_dataset_read(t, 0, t->n, x);
    qat_status st = npy(p, "test_inputs_float.npy", QAT_DTYPE_F32, nd, xs, x, e);
    free(x);
    if (!st) st = npy(p, "test_inputs_raw.npy", QAT_DTYPE_F32, nd, xs, p->test_raw, e);
    if (!st) st = npy(p, "test_labels.npy", QAT_DTYPE_I32, 1, ys, t->y, e);
    if (!st) st = npy(p, "test_outputs_float32.npy", QAT_DTYPE_F32, 2, os, prob, e);
    free(prob);
    if (!st) st = verification(p, &p->ir_qat, "int8", e);
    if (!st) st = verification(p, &p->ir_ptq, "ptq_int8", e);
    return st;
}

static qat_status int8_forms(qat_pipeline *p, qat_error *e) {
    qat_ir fio;
    qat_status st = write_ir(p, &p->ir_qat, "model_int8.tflite", &p->tflite_bytes[QAT_VARIANT_INT8_QAT],
                             &p->gzip_bytes[QAT_VARIANT_INT8_QAT], e);
    if (!st) st = write_ir(p, &p->ir_ptq, "model_ptq_int8.tflite", &p->tflite_bytes[QAT_VARIANT_INT8_PTQ],
                           &p->gzip_bytes[QAT_VARIANT_INT8_PTQ], e);
    if (!st) st = qat_lower(&p->qm, QAT_LOWER_INT8_FLOAT_IO, &fio, e);
    if (st) return st;
    st = write_ir(p, &fio, "model_int8_float_io.tflite", NULL, NULL, e);
    qat_ir_free(&fio);
    if (st) return st;
    unsigned char *buf;
    size_t len;
    const char *classes[QAT_MAX_CLASSES];
    for (int i = 0; i < p->cfg.data.n_classes; i++) classes[i] = p->cfg.data.classes[i];
    qat_firmware_info info = {"g_model_int8", p->cfg.path, classes, p->cfg.data.n_classes,
                              p->cfg.data.window, p->cfg.data.channels, p->cfg.data.rate_hz,
                              &p->model.norm};
    char desc[QAT_PATH_MAX + 64];
    qat_pipeline_describe(p, desc, sizeof desc);
    st = qat_tflite_serialize(&p->ir_qat, desc, &buf, &len, e);
    if (st) return st;
    st = qat_firmware_write(&p->ir_qat, buf, len, &info, p->cfg.out_dir, "model_int8", e);
    free(buf);
    return st ? st : artifacts(p, e);
}

/* The pruned int8 model (int8 and float interfaces) and its masks. */
static qat_status pruned_forms(qat_pipeline *p, qat_error *e) {
    char path[QAT_PATH_MAX];
    qat_ir fio;
    qat_status st = write_ir(p, &p->ir_pruned, "model_pruned_int8.tflite",
                             &p->tflite_bytes[QAT_VARIANT_INT8_PRUNED],
                             &p->gzip_bytes[QAT_VARIANT_INT8_PRUNED], e);
    if (!st) st = qat_lower(&p->pqm, QAT_LOWER_INT8_FLOAT_IO, &fio, e);
    if (st) return st;
    st = write_ir(p, &fio, "model_pruned_int8_float_io.tflite", NULL, NULL, e);
    qat_ir_free(&fio);
    if (!st) st = verification(p, &p->ir_pruned, "pruned_int8", e);
    if (!st) st = qat_path_join(path, sizeof path, p->cfg.out_dir, "masks.bin", e);
    if (!st) st = qat_mask_file_write(&p->pqm.m.g, path, e);
    if (!st) st = qat_path_join(path, sizeof path, p->cfg.out_dir, "masks.json", e);
    if (!st) st = qat_mask_json_write(&p->pqm.m.g, path, e);
    return st;
}

void qat_pipeline_describe(const qat_pipeline *p, char *buf, size_t cap) {
    snprintf(buf, cap, "qatrain %s: %s", QAT_VERSION, p->cfg.path);
}

qat_status qat_pipeline_export(qat_pipeline *p, qat_error *e) {
    qat_status st = qat_mkdir_p(p->cfg.out_dir, e);
    if (!st) st = float_forms(p, e);
    if (!st && p->quantized) st = int8_forms(p, e);
    if (!st && p->pruned) st = pruned_forms(p, e);
    return st;
}
