/* Accuracy of an IR through the integer engine (see quant.h). */
#include <stdlib.h>
#include <string.h>

#include "qat/int8.h"
#include "qat/quant.h"

static int argmax_i8(const int8_t *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

static int argmax_f32(const float *v, int n) {
    int best = 0;
    for (int i = 1; i < n; i++)
        if (v[i] > v[best]) best = i;
    return best;
}

qat_status qat_int8_evaluate(const qat_ir *ir, const qat_dataset *d, int *preds, void *raw_out,
                             double *accuracy, size_t *arena_bytes, qat_error *e) {
    qat_i8_engine eng;
    qat_status st = qat_i8_prepare(&eng, ir, e);
    if (st) return st;
    const qat_ir_tensor *in = &ir->tensors[ir->input], *out = &ir->tensors[ir->output];
    size_t n_in = (size_t)d->window * d->channels, out_bytes = qat_ir_tensor_count(out) * qat_ir_type_size(out->type);
    int k = (int)qat_ir_tensor_count(out), correct = 0;
    QAT_ASSERT(qat_ir_tensor_count(in) == n_in);
    unsigned char *x = malloc(n_in * 4), *y = malloc(out_bytes);
    if (!x || !y) {
        free(x);
        free(y);
        qat_i8_free(&eng);
        return qat_error_set(e, QAT_ERR_NOMEM, "int8 evaluation: out of memory");
    }
    for (int i = 0; i < d->n; i++) {
        const float *xi = d->x + (size_t)i * n_in;
        if (in->type == QAT_IR_INT8)
            qat_i8_quantize(xi, n_in, in->q.scale[0], in->q.zero_point[0], (int8_t *)x);
        else
            memcpy(x, xi, n_in * sizeof(float));
        qat_i8_invoke(&eng, x, y);
        int p = out->type == QAT_IR_INT8 ? argmax_i8((const int8_t *)y, k) : argmax_f32((const float *)y, k);
        correct += p == d->y[i];
        if (preds) preds[i] = p;
        if (raw_out) memcpy((unsigned char *)raw_out + (size_t)i * out_bytes, y, out_bytes);
    }
    *accuracy = d->n ? (double)correct / d->n : 0;
    if (arena_bytes) *arena_bytes = eng.arena_bytes;
    free(x);
    free(y);
    qat_i8_free(&eng);
    return QAT_OK;
}
