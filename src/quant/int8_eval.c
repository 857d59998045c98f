/* Accuracy of an IR through the integer engine (see quant.h). */
#include <stdlib.h>
#include <string.h>

#include "qat/int8.h"
#include "qat/quant.h"

/* Element i of an output of type t: int8, uint8 (the int8 values + 128: the same order) or
 * float32. */
static double value(qat_ir_type t, const void *v, int i) {
    return t == QAT_IR_INT8    ? ((const int8_t *)v)[i]
           : t == QAT_IR_UINT8 ? ((const uint8_t *)v)[i]
                               : ((const float *)v)[i];
}

/* The first maximum of n values. */
static int argmax(qat_ir_type t, const void *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (value(t, v, i) > value(t, v, best)) best = i;
    return best;
}

/* Sample i of the dataset as the IR's input bytes: its float values (in the thread's own
 * buffer), quantized to the input's type unless the model takes float32. Several threads
 * run it at once: it only reads the dataset. */
typedef struct eval_input {
    const qat_dataset *d;
    const qat_ir_tensor *in;
    size_t n_in;
    float *buf; /* n_in floats per thread */
} eval_input;

static void fill_sample(void *ctx, int thread, size_t i, void *x) {
    const eval_input *c = ctx;
    float *f = c->in->type == QAT_IR_FLOAT32 ? x : c->buf + (size_t)thread * c->n_in;
    qat_dataset_read(c->d, (int)i, 1, f);
    if (c->in->type != QAT_IR_FLOAT32) /* int8 or uint8 */
        qat_i8_quantize_to(c->in->type, f, c->n_in, c->in->q.scale[0], c->in->q.zero_point[0], x);
}

qat_status qat_int8_evaluate(const qat_ir *ir, const qat_dataset *d, int *preds, void *raw_out,
                             double *accuracy, size_t *arena_bytes, qat_error *e) {
    qat_i8_engine eng; /* prepared once here for its arena size and its checks */
    qat_status st = qat_i8_prepare(&eng, ir, "int8 evaluation", e);
    if (st) return st;
    if (arena_bytes) *arena_bytes = eng.arena_bytes;
    qat_i8_free(&eng);
    const qat_ir_tensor *in = &ir->tensors[ir->input], *out = &ir->tensors[ir->output];
    /* the IR's input is one sample: (window, channels) or (H, W, C) values of d->x */
    const size_t out_bytes = qat_ir_tensor_count(out) * qat_ir_type_size(out->type);
    const int k = (int)qat_ir_tensor_count(out);
    const int threads = qat_i8_threads();
    eval_input c = {d, in, qat_ir_tensor_count(in), NULL};
    unsigned char *y = raw_out ? raw_out : malloc(d->n ? (size_t)d->n * out_bytes : 1);
    c.buf = malloc((size_t)threads * c.n_in * sizeof *c.buf);
    if (!y || !c.buf) {
        if (!raw_out) free(y);
        free(c.buf);
        return qat_error_set(e, QAT_ERR_NOMEM, "int8 evaluation: out of memory");
    }
    st = qat_i8_run_batch(ir, (size_t)d->n, fill_sample, &c, y, threads, "int8 evaluation", e);
    int correct = 0;
    for (int i = 0; !st && i < d->n; i++) {
        const int p = argmax(out->type, y + (size_t)i * out_bytes, k);
        correct += p == d->y[i];
        if (preds) preds[i] = p;
    }
    *accuracy = d->n ? (double)correct / d->n : 0;
    if (!raw_out) free(y);
    free(c.buf);
    return st;
}

/* The node that writes tensor t, or −1. */
static int producer(const qat_ir *ir, int t) {
    for (int i = 0; i < ir->n_nodes; i++)
        if (ir->nodes[i].out == t) return i;
    return -1;
}

qat_status qat_int8_classify_logits(const qat_ir *ir, const float *logits, int n, int *pred,
                                    qat_error *e) {
    const qat_ir_tensor *out = &ir->tensors[ir->output];
    QAT_ASSERT(out->type == QAT_IR_INT8);
    int k = (int)qat_ir_tensor_count(out), sm = producer(ir, ir->output);
    int softmax = sm >= 0 && ir->nodes[sm].op == QAT_IR_SOFTMAX;
    const qat_ir_tensor *lg = softmax ? &ir->tensors[ir->nodes[sm].in[0]] : out;
    qat_i8_softmax_params sp;
    if (softmax) qat_i8_softmax_prepare((double)lg->q.scale[0], (double)ir->nodes[sm].beta, &sp);
    int8_t *q = malloc((size_t)2 * k);
    if (!q) return qat_error_set(e, QAT_ERR_NOMEM, "int8 classification: out of memory");
    for (int i = 0; i < n; i++) {
        qat_i8_quantize(logits + (size_t)i * k, (size_t)k, lg->q.scale[0], lg->q.zero_point[0], q);
        if (softmax) qat_i8_softmax(&sp, 1, k, q, q + k);
        pred[i] = argmax(QAT_IR_INT8, softmax ? q + k : q, k);
    }
    free(q);
    return QAT_OK;
}
