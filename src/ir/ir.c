/* The model IR's storage: growing arrays of tensors and nodes, each tensor owning its
 * constant data and quantization arrays. */
#include "qat/ir.h"

#include <stdlib.h>
#include <stdio.h>
#include <string.h>

void qat_ir_init(qat_ir *ir) {
    memset(ir, 0, sizeof *ir);
    ir->input = ir->output = -1;
}

void qat_ir_free(qat_ir *ir) {
    for (int i = 0; i < ir->n_tensors; i++) {
        free(ir->tensors[i].data);
        free(ir->tensors[i].q.scale);
        free(ir->tensors[i].q.zero_point);
    }
    free(ir->tensors);
    free(ir->nodes);
    qat_ir_init(ir);
}

size_t qat_ir_type_size(qat_ir_type t) {
    static const size_t size[] = {
        [QAT_IR_FLOAT32] = 4, [QAT_IR_FLOAT16] = 2, [QAT_IR_INT8] = 1, [QAT_IR_INT32] = 4,
        [QAT_IR_UINT8] = 1};
    _Static_assert(sizeof size / sizeof size[0] == QAT_IR_TYPE_COUNT, "type sizes");
    return (unsigned)t < QAT_IR_TYPE_COUNT ? size[t] : 0;
}

size_t qat_ir_tensor_count(const qat_ir_tensor *t) {
    size_t n = 1;
    for (int i = 0; i < t->ndim; i++) n *= (size_t)t->dim[i];
    return n;
}

static int grow(void **p, int *cap, int need, size_t elem) {
    if (need <= *cap) return 1;
    int c = *cap ? 2 * *cap : 16;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q) return 0;
    *p = q;
    *cap = c;
    return 1;
}

static void *dup(const void *src, size_t n) {
    void *p = malloc(n ? n : 1);
    if (p && n) memcpy(p, src, n);
    return p;
}

int qat_ir_add_tensor(qat_ir *ir, const char *name, qat_ir_type type, int ndim, const int *dim,
                      const qat_qparams *q, const void *data, size_t bytes) {
    QAT_ASSERT(ndim >= 0 && ndim <= QAT_IR_MAX_DIM);
    if (!grow((void **)&ir->tensors, &ir->cap_tensors, ir->n_tensors + 1, sizeof *ir->tensors))
        return -1;
    qat_ir_tensor *t = &ir->tensors[ir->n_tensors];
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    t->type = type;
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->dim[i] = dim[i];
    if (q && q->n > 0) {
        t->q = *q;
        t->q.scale = dup(q->scale, (size_t)q->n * sizeof(float));
        t->q.zero_point = dup(q->zero_point, (size_t)q->n * sizeof(int32_t));
        if (!t->q.scale || !t->q.zero_point) goto oom;
    }
    if (data) {
        t->data = dup(data, bytes);
        t->bytes = bytes;
        if (!t->data) goto oom;
    }
    return ir->n_tensors++;
oom:
    free(t->q.scale);
    free(t->q.zero_point);
    free(t->data);
    return -1;
}

int qat_ir_add_node(qat_ir *ir, const qat_ir_node *node) {
    if (!grow((void **)&ir->nodes, &ir->cap_nodes, ir->n_nodes + 1, sizeof *ir->nodes)) return -1;
    ir->nodes[ir->n_nodes] = *node;
    return ir->n_nodes++;
}

const char *qat_ir_opcode_name(qat_ir_opcode op) {
    static const char *const names[] = {
        [QAT_IR_RESHAPE] = "RESHAPE",
        [QAT_IR_CONV_2D] = "CONV_2D",
        [QAT_IR_DEPTHWISE_CONV_2D] = "DEPTHWISE_CONV_2D",
        [QAT_IR_MAX_POOL_2D] = "MAX_POOL_2D",
        [QAT_IR_AVERAGE_POOL_2D] = "AVERAGE_POOL_2D",
        [QAT_IR_FULLY_CONNECTED] = "FULLY_CONNECTED",
        [QAT_IR_SOFTMAX] = "SOFTMAX",
        [QAT_IR_QUANTIZE] = "QUANTIZE",
        [QAT_IR_DEQUANTIZE] = "DEQUANTIZE",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_IR_OPCODE_COUNT, "opcode names");
    return (unsigned)op < QAT_IR_OPCODE_COUNT ? names[op] : "?";
}

const char *qat_ir_type_name(qat_ir_type t) {
    static const char *const names[] = {[QAT_IR_FLOAT32] = "FLOAT32", [QAT_IR_FLOAT16] = "FLOAT16",
                                        [QAT_IR_INT8] = "INT8", [QAT_IR_INT32] = "INT32",
                                        [QAT_IR_UINT8] = "UINT8"};
    _Static_assert(sizeof names / sizeof names[0] == QAT_IR_TYPE_COUNT, "type names");
    return (unsigned)t < QAT_IR_TYPE_COUNT ? names[t] : "?";
}

int qat_ir_type_range(qat_ir_type t, int32_t *lo, int32_t *hi) {
    switch (t) {
    case QAT_IR_INT8: *lo = INT8_MIN, *hi = INT8_MAX; return 1;
    case QAT_IR_UINT8: *lo = 0, *hi = UINT8_MAX; return 1;
    case QAT_IR_INT32: *lo = INT32_MIN, *hi = INT32_MAX; return 1;
    default: *lo = *hi = 0; return 0;
    }
}

const char *qat_ir_act_name(qat_ir_act a) {
    static const char *const names[] = {[QAT_IR_ACT_NONE] = "NONE", [QAT_IR_ACT_RELU] = "RELU",
                                        [QAT_IR_ACT_RELU6] = "RELU6"};
    _Static_assert(sizeof names / sizeof names[0] == QAT_IR_ACT_COUNT, "act names");
    return (unsigned)a < QAT_IR_ACT_COUNT ? names[a] : "?";
}
