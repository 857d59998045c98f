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

/* The .npy dtype of an exported model's int8 or uint8 input or output tensor. */
static qat_dtype dtype_of(const qat_ir_tensor *t) {
    qat_dtype d;
    const int known = qat_tflite_npy_dtype(t->type, &d);
    QAT_ASSERT(known && qat_dtype_size(d) == 1);
    return d;
}

/* The int8 engine's raw outputs of an IR on the test split, as .npy; and its accuracy there
 * (when accuracy is non-NULL). */
static qat_status engine_outputs(const qat_pipeline *p, const qat_ir *ir, const char *name,
                                 double *accuracy, qat_error *e) {
    const qat_dataset *t = &p->test;
    const qat_ir_tensor *o = &ir->tensors[ir->output];
    size_t shape[2] = {(size_t)t->n, (size_t)t->n_classes};
    unsigned char *out = malloc(shape[0] * shape[1] + 1);
    double acc;
    if (!out) return qat_error_set(e, QAT_ERR_NOMEM, "export: out of memory");
    qat_status st = qat_int8_evaluate(ir, t, NULL, out, &acc, NULL, e);
    if (!st) st = npy(p, name, dtype_of(o), 2, shape, out, e);
    if (!st && accuracy) *accuracy = acc;
    free(out);
    return st;
}

/* One int8 (or uint8-I/O) model's re-check files, named after its model_<stem>.tflite: the
 * test split quantized with this model's own input scale and zero point to its input type
 * (each model calibrates its own input range, so another model's inputs are not its inputs),
 * and what the int8 engine answered on exactly those bytes (qat_int8_evaluate quantizes the
 * same way), whose accuracy goes to *accuracy when non-NULL. */
static qat_status verification(const qat_pipeline *p, const qat_ir *ir, const char *stem,
                               double *accuracy, qat_error *e) {
    const qat_dataset *t = &p->test;
    size_t n = (size_t)t->n * qat_dataset_sample_size(t), xs[4];
    int nd = samples_shape(t, (size_t)t->n, xs);
    const qat_ir_tensor *in = &ir->tensors[ir->input];
    char name[64];
    unsigned char *xq = malloc(n + 1);
    float *x = malloc(n * sizeof *x + 1);
    if (x && xq) {
        qat_dataset_read(t, 0, t->n, x);
        qat_i8_quantize_to(in->type, x, n, in->q.scale[0], in->q.zero_point[0], xq);
    }
    free(x);
    if (!x || !xq) {
        free(xq);
        return qat_error_set(e, QAT_ERR_NOMEM, "export: out of memory");
    }
    snprintf(name, sizeof name, "test_inputs_%s.npy", stem);
    qat_status st = npy(p, name, dtype_of(in), nd, xs, xq, e);
    free(xq);
    snprintf(name, sizeof name, "test_outputs_%s.npy", stem);
    return st ? st : engine_outputs(p, ir, name, accuracy, e);
}

/* split_train.npy, split_val.npy, split_test.npy: each part's row numbers in the loaded data
 * (int32), which [data] train_index / val_index / test_index read back. A part that does not
 * come from the loaded data (validation on the test split, a data set's own test file) has
 * none. */
static qat_status split_files(const qat_pipeline *p, qat_error *e) {
    qat_status st = QAT_OK;
    for (int k = 0; !st && k < 3; k++) {
        if (!p->rows[k]) continue;
        char name[32];
        snprintf(name, sizeof name, "split_%s.npy", qat_part_name((qat_part)k));
        size_t shape[1] = {(size_t)p->n_rows[k]};
        st = npy(p, name, QAT_DTYPE_I32, 1, shape, p->rows[k], e);
    }
    return st;
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
    if (!st) st = split_files(p, e);
    if (!st) st = npy(p, "test_outputs_float32.npy", QAT_DTYPE_F32, 2, os, prob, e);
    free(prob);
    if (!st) st = verification(p, &p->ir_qat, "int8", NULL, e);
    if (!st) st = verification(p, &p->ir_ptq, "ptq_int8", NULL, e);
    return st;
}

/* The firmware files of model_<stem>.tflite (the IR ir): model_<stem>.{h,c}, the array
 * g_model_<stem>, and model_<stem>_info.h, which says how to prepare its int8 or uint8 input. */
static qat_status firmware(const qat_pipeline *p, const qat_ir *ir, const char *stem,
                           qat_error *e) {
    unsigned char *buf;
    size_t len;
    char symbol[64], name[64];
    snprintf(symbol, sizeof symbol, "g_model_%s", stem);
    snprintf(name, sizeof name, "model_%s", stem);
    const char *classes[QAT_MAX_CLASSES];
    for (int i = 0; i < p->cfg.data.n_classes; i++) classes[i] = p->cfg.data.classes[i];
    qat_firmware_info info = {symbol, p->cfg.path, classes, p->cfg.data.n_classes,
                              p->cfg.data.window, p->cfg.data.channels, p->cfg.data.rate_hz,
                              &p->model.norm};
    char desc[QAT_PATH_MAX + 64];
    qat_pipeline_describe(p, desc, sizeof desc);
    qat_status st = qat_tflite_serialize(ir, desc, &buf, &len, e);
    if (st) return st;
    st = qat_firmware_write(ir, buf, len, &info, p->cfg.out_dir, name, e);
    free(buf);
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
    if (!st) st = firmware(p, &p->ir_qat, "int8", e);
    return st ? st : artifacts(p, e);
}

const char *qat_uint8_model_stem(qat_uint8_model m) {
    static const char *const stems[] = {[QAT_UINT8_QAT] = "uint8_io", [QAT_UINT8_PTQ] = "ptq_uint8_io"};
    _Static_assert(sizeof stems / sizeof stems[0] == QAT_UINT8_COUNT, "uint8 model stems");
    QAT_ASSERT((unsigned)m < QAT_UINT8_COUNT);
    return stems[m];
}

/* [quant] uint8_io: the QAT and PTQ models with uint8 input and output (the int8 graphs of
 * model_int8 and model_ptq_int8, which the PTQ model was lowered to before QAT, between
 * uint8 QUANTIZEs), each with its re-check files and the int8 engine's accuracy; the QAT one
 * also as firmware files. */
static qat_status uint8_forms(qat_pipeline *p, qat_error *e) {
    const qat_ir *from[QAT_UINT8_COUNT] = {[QAT_UINT8_QAT] = &p->ir_qat, [QAT_UINT8_PTQ] = &p->ir_ptq};
    qat_status st = QAT_OK;
    for (int m = 0; m < QAT_UINT8_COUNT && !st; m++) {
        qat_uint8_export *x = &p->uint8_io[m];
        const char *stem = qat_uint8_model_stem((qat_uint8_model)m);
        char file[64];
        snprintf(file, sizeof file, "model_%s.tflite", stem);
        qat_ir u8;
        if ((st = qat_ir_uint8_io(from[m], &u8, e))) break;
        st = write_ir(p, &u8, file, &x->tflite_bytes, &x->gzip_bytes, e);
        if (!st) st = verification(p, &u8, stem, &x->accuracy, e);
        if (!st && m == QAT_UINT8_QAT) st = firmware(p, &u8, stem, e);
        qat_ir_free(&u8);
    }
    return st;
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
    if (!st) st = verification(p, &p->ir_pruned, "pruned_int8", NULL, e);
    /* the progressive pipeline's final model: its C array too */
    if (!st && p->cfg.target.stop_when_met) st = firmware(p, &p->ir_pruned, "pruned_int8", e);
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
    if (!st && p->quantized && p->cfg.quant.uint8_io) st = uint8_forms(p, e);
    if (!st && p->pruned) st = pruned_forms(p, e);
    return st;
}
