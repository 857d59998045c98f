/* The TFLite writer: the model IR as a .tflite flatbuffer (tflite-int8.md §2, §4.3, §5). The
 * file is built back to front: constant data first (it ends up at the end of the file, in
 * buffer order), then tensors, operators, the subgraph, operator codes, metadata and the
 * Model table at the front. */
#include "qat/tflite.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/flatbuf.h"
#include "qat/io.h"

/* ---- op codes, versions, runtime versions ------------------------------------------ */

static const struct {
    int code;   /* BuiltinOperator */
    int tag;    /* BuiltinOptions union member */
    int min_in; /* input count range */
    int max_in;
} op_info[] = {
    [QAT_IR_RESHAPE] = {QAT_TFL_BUILTIN_RESHAPE, QAT_TFL_OPTIONS_RESHAPE, 1, 2},
    [QAT_IR_CONV_2D] = {QAT_TFL_BUILTIN_CONV_2D, QAT_TFL_OPTIONS_CONV2D, 2, 3},
    [QAT_IR_DEPTHWISE_CONV_2D] = {QAT_TFL_BUILTIN_DEPTHWISE_CONV_2D,
                                  QAT_TFL_OPTIONS_DEPTHWISE_CONV2D, 2, 3},
    [QAT_IR_MAX_POOL_2D] = {QAT_TFL_BUILTIN_MAX_POOL_2D, QAT_TFL_OPTIONS_POOL2D, 1, 1},
    [QAT_IR_AVERAGE_POOL_2D] = {QAT_TFL_BUILTIN_AVERAGE_POOL_2D, QAT_TFL_OPTIONS_POOL2D, 1, 1},
    [QAT_IR_FULLY_CONNECTED] = {QAT_TFL_BUILTIN_FULLY_CONNECTED, QAT_TFL_OPTIONS_FULLY_CONNECTED, 2,
                                3},
    [QAT_IR_SOFTMAX] = {QAT_TFL_BUILTIN_SOFTMAX, QAT_TFL_OPTIONS_SOFTMAX, 1, 1},
    [QAT_IR_QUANTIZE] = {QAT_TFL_BUILTIN_QUANTIZE, QAT_TFL_OPTIONS_QUANTIZE, 1, 1},
    [QAT_IR_DEQUANTIZE] = {QAT_TFL_BUILTIN_DEQUANTIZE, QAT_TFL_OPTIONS_DEQUANTIZE, 1, 1},
};
_Static_assert(sizeof op_info / sizeof op_info[0] == QAT_IR_OPCODE_COUNT, "op_info");

int qat_tflite_builtin_code(qat_ir_opcode op) {
    QAT_ASSERT((unsigned)op < QAT_IR_OPCODE_COUNT);
    return op_info[op].code;
}

/* Type and scale count of input k (or the output when k < 0); -1 / 0 when absent. */
static int ttype(const qat_ir *ir, const qat_ir_node *n, int k) {
    int t = k < 0 ? n->out : (k < n->n_in ? n->in[k] : -1);
    return t >= 0 && t < ir->n_tensors ? (int)ir->tensors[t].type : -1;
}

static int tscales(const qat_ir *ir, const qat_ir_node *n, int k) {
    int t = k < 0 ? n->out : (k < n->n_in ? n->in[k] : -1);
    return t >= 0 && t < ir->n_tensors ? ir->tensors[t].q.n : 0;
}

/* TensorFlow's op_version.cc, for the cases the IR can express. */
int qat_tflite_op_version(const qat_ir *ir, const qat_ir_node *n) {
    int in = ttype(ir, n, 0), w = ttype(ir, n, 1), out = ttype(ir, n, -1);
    int int8 = in == QAT_IR_INT8 && w == QAT_IR_INT8 && out == QAT_IR_INT8;
    int hybrid = in == QAT_IR_FLOAT32 && w == QAT_IR_INT8 && out == QAT_IR_FLOAT32;
    int per_channel_w = tscales(ir, n, 1) > 1;
    switch (n->op) {
    case QAT_IR_CONV_2D:
        if (int8) return 3;
        if (hybrid) return per_channel_w ? 5 : 2;
        return 1;
    case QAT_IR_DEPTHWISE_CONV_2D:
        if (hybrid) return per_channel_w ? 6 : 4;
        if (int8) return 3;
        return n->dilation_w > 1 || n->dilation_h > 1 ? 2 : 1;
    case QAT_IR_FULLY_CONNECTED: /* the order of the checks is TensorFlow's */
        if (hybrid && per_channel_w) return 12;
        if (n->n_in == 2) return 6;
        if (n->keep_num_dims) return 5;
        if (int8) return 4;
        if (hybrid) return 3;
        return 1;
    case QAT_IR_MAX_POOL_2D:
    case QAT_IR_AVERAGE_POOL_2D:
    case QAT_IR_SOFTMAX:
        return in == QAT_IR_INT8 ? 2 : 1;
    case QAT_IR_RESHAPE:
        return 1;
    case QAT_IR_QUANTIZE:
        return tscales(ir, n, -1) > 1 ? 3 : 1;
    case QAT_IR_DEQUANTIZE:
        if (in == QAT_IR_FLOAT16) return 3;
        if (in == QAT_IR_INT8) return tscales(ir, n, 0) > 1 ? 5 : 2;
        return 1;
    case QAT_IR_OPCODE_COUNT:
        break;
    }
    QAT_ASSERT(0 && "bad opcode");
    return 0;
}

/* TensorFlow's runtime_version.cc for the (op, version) pairs above. */
const char *qat_tflite_min_runtime(const qat_ir *ir, const qat_ir_node *n) {
    int v = qat_tflite_op_version(ir, n);
    switch (n->op) {
    case QAT_IR_CONV_2D:
        return v == 1 ? "1.5.0" : v == 5 ? "2.4.0" : "1.14.0";
    case QAT_IR_DEPTHWISE_CONV_2D:
        return v == 1   ? "1.5.0"
               : v == 2 ? "1.12.0"
               : v == 3 ? "1.14.0"
               : v == 4 ? "2.2.0"
                        : "2.3.0";
    case QAT_IR_FULLY_CONNECTED:
        return v == 1    ? "1.5.0"
               : v == 5  ? "2.0.0"
               : v == 6  ? "2.1.0"
               : v == 12 ? "2.17.0"
                         : "1.14.0";
    case QAT_IR_MAX_POOL_2D:
    case QAT_IR_AVERAGE_POOL_2D:
    case QAT_IR_SOFTMAX:
        return v == 1 ? "1.5.0" : "1.14.0";
    case QAT_IR_RESHAPE:
        return "1.5.0";
    case QAT_IR_QUANTIZE:
        return v == 3 ? "2.7.0" : "1.14.0";
    case QAT_IR_DEQUANTIZE:
        return v == 1 ? "1.13.1" : v == 2 ? "1.14.0" : v == 3 ? "1.15.0" : "2.7.0";
    case QAT_IR_OPCODE_COUNT:
        break;
    }
    QAT_ASSERT(0 && "bad opcode");
    return "";
}

/* Numeric comparison of dotted versions ("1.14.0" > "1.5.0"): <0, 0, >0. */
static int version_cmp(const char *a, const char *b) {
    while (*a || *b) {
        char *ea, *eb;
        long x = strtol(a, &ea, 10), y = strtol(b, &eb, 10);
        if (x != y) return x < y ? -1 : 1;
        if (ea == a && eb == b) break; /* neither is a number */
        a = ea + (*ea == '.');
        b = eb + (*eb == '.');
    }
    return 0;
}

/* ---- IR checks ----------------------------------------------------------------------- */

static int tensor_ok(const qat_ir *ir, int t) { return t >= 0 && t < ir->n_tensors; }

static qat_status check_ir(const qat_ir *ir, const char *who, qat_error *e) {
    if (!tensor_ok(ir, ir->input) || !tensor_ok(ir, ir->output))
        return qat_error_set(e, QAT_ERR_DATA,
                             "%s: the model's input (%d) or output (%d) is not a tensor", who,
                             ir->input, ir->output);
    for (int i = 0; i < ir->n_tensors; i++) {
        const qat_ir_tensor *t = &ir->tensors[i];
        if ((unsigned)t->type >= QAT_IR_TYPE_COUNT || t->ndim < 0 || t->ndim > QAT_IR_MAX_DIM)
            return qat_error_set(e, QAT_ERR_DATA, "%s: tensor %d '%s' has a bad type or rank", who,
                                 i, t->name);
        for (int d = 0; d < t->ndim; d++)
            if (t->dim[d] < 0)
                return qat_error_set(e, QAT_ERR_DATA, "%s: tensor %d '%s' has dimension %d = %d",
                                     who, i, t->name, d, t->dim[d]);
        if (t->data && t->bytes != qat_ir_tensor_count(t) * qat_ir_type_size(t->type))
            return qat_error_set(
                e, QAT_ERR_DATA, "%s: tensor %d '%s' holds %zu bytes but its shape needs %zu", who,
                i, t->name, t->bytes, qat_ir_tensor_count(t) * qat_ir_type_size(t->type));
        const qat_qparams *q = &t->q;
        if (q->n < 0 || (q->n > 0 && (!q->scale || !q->zero_point)))
            return qat_error_set(e, QAT_ERR_DATA, "%s: tensor %d '%s' has bad quantization", who, i,
                                 t->name);
        if (q->n > 1 && (q->axis < 0 || q->axis >= t->ndim || t->dim[q->axis] != q->n))
            return qat_error_set(e, QAT_ERR_DATA,
                                 "%s: tensor %d '%s' has %d scales, which do not match its axis %d",
                                 who, i, t->name, q->n, q->axis);
    }
    for (int k = 0; k < ir->n_nodes; k++) {
        const qat_ir_node *n = &ir->nodes[k];
        if ((unsigned)n->op >= QAT_IR_OPCODE_COUNT)
            return qat_error_set(e, QAT_ERR_DATA, "%s: node %d has a bad opcode", who, k);
        const char *op = qat_ir_opcode_name(n->op);
        if (n->n_in < op_info[n->op].min_in || n->n_in > op_info[n->op].max_in)
            return qat_error_set(e, QAT_ERR_DATA, "%s: node %d (%s) has %d inputs", who, k, op,
                                 n->n_in);
        for (int j = 0; j < n->n_in; j++) {
            int optional = j == op_info[n->op].max_in - 1 && j > 0 && op_info[n->op].max_in > 1;
            if (!tensor_ok(ir, n->in[j]) && !(optional && n->in[j] == -1))
                return qat_error_set(e, QAT_ERR_DATA, "%s: node %d (%s) input %d is tensor %d", who,
                                     k, op, j, n->in[j]);
        }
        if (!tensor_ok(ir, n->out))
            return qat_error_set(e, QAT_ERR_DATA, "%s: node %d (%s) output is tensor %d", who, k,
                                 op, n->out);
        if ((unsigned)n->act >= QAT_IR_ACT_COUNT || (unsigned)n->padding >= QAT_IR_PAD_COUNT)
            return qat_error_set(e, QAT_ERR_DATA,
                                 "%s: node %d (%s) has a bad activation or padding", who, k, op);
        int strided = n->op == QAT_IR_CONV_2D || n->op == QAT_IR_DEPTHWISE_CONV_2D ||
                      n->op == QAT_IR_MAX_POOL_2D || n->op == QAT_IR_AVERAGE_POOL_2D;
        if (strided && (n->stride_w < 1 || n->stride_h < 1))
            return qat_error_set(e, QAT_ERR_DATA, "%s: node %d (%s) has stride %dx%d", who, k, op,
                                 n->stride_h, n->stride_w);
        if ((n->op == QAT_IR_MAX_POOL_2D || n->op == QAT_IR_AVERAGE_POOL_2D) &&
            (n->filter_w < 1 || n->filter_h < 1))
            return qat_error_set(e, QAT_ERR_DATA, "%s: node %d (%s) has filter %dx%d", who, k, op,
                                 n->filter_h, n->filter_w);
        if ((n->op == QAT_IR_CONV_2D || n->op == QAT_IR_DEPTHWISE_CONV_2D) &&
            (n->dilation_w < 0 || n->dilation_h < 0))
            return qat_error_set(e, QAT_ERR_DATA, "%s: node %d (%s) has a negative dilation", who,
                                 k, op);
        if (n->op == QAT_IR_SOFTMAX && !(isfinite(n->beta) && n->beta > 0))
            return qat_error_set(e, QAT_ERR_DATA, "%s: node %d (SOFTMAX) has beta %g", who, k,
                                 (double)n->beta);
    }
    return QAT_OK;
}

/* ---- serialization --------------------------------------------------------------------- */

static int tfl_act(qat_ir_act a) {
    return a == QAT_IR_ACT_RELU    ? QAT_TFL_ACT_RELU
           : a == QAT_IR_ACT_RELU6 ? QAT_TFL_ACT_RELU6
                                   : QAT_TFL_ACT_NONE;
}

static int tfl_type(qat_ir_type t) {
    static const int code[] = {[QAT_IR_FLOAT32] = QAT_TFL_TYPE_FLOAT32,
                               [QAT_IR_FLOAT16] = QAT_TFL_TYPE_FLOAT16,
                               [QAT_IR_INT8] = QAT_TFL_TYPE_INT8,
                               [QAT_IR_INT32] = QAT_TFL_TYPE_INT32,
                               [QAT_IR_UINT8] = QAT_TFL_TYPE_UINT8};
    _Static_assert(sizeof code / sizeof code[0] == QAT_IR_TYPE_COUNT, "tensor type codes");
    return code[t];
}

int qat_tflite_npy_dtype(qat_ir_type t, qat_dtype *d) {
    switch (t) {
    case QAT_IR_FLOAT32: *d = QAT_DTYPE_F32; return 1;
    case QAT_IR_INT8: *d = QAT_DTYPE_I8; return 1;
    case QAT_IR_UINT8: *d = QAT_DTYPE_U8; return 1;
    case QAT_IR_INT32: *d = QAT_DTYPE_I32; return 1;
    default: return 0;
    }
}

static int8_t tfl_padding(qat_ir_padding p) {
    return p == QAT_IR_PAD_VALID ? QAT_TFL_PADDING_VALID : QAT_TFL_PADDING_SAME;
}

static int dilation(int d) { return d > 0 ? d : 1; }

static qat_fb_ref write_buffer(qat_fb_builder *b, const void *data, size_t n) {
    qat_fb_ref d = data ? qat_fb_create_vec_u8(b, data, n, 16) : 0;
    qat_fb_table_start(b);
    qat_fb_add_ref(b, QAT_TFL_BUFFER_DATA, d);
    return qat_fb_table_end(b);
}

static qat_fb_ref write_tensor(qat_fb_builder *b, const qat_ir_tensor *t, uint32_t buffer) {
    qat_fb_ref name = qat_fb_create_string(b, t->name);
    int32_t shape[QAT_IR_MAX_DIM];
    for (int d = 0; d < t->ndim; d++) shape[d] = t->dim[d];
    qat_fb_ref sh = qat_fb_create_vec_i32(b, shape, (size_t)t->ndim);
    qat_fb_ref quant = 0;
    if (t->q.n > 0) {
        int64_t *zp = malloc((size_t)t->q.n * sizeof *zp);
        if (!zp) return 0;
        for (int i = 0; i < t->q.n; i++) zp[i] = t->q.zero_point[i];
        qat_fb_ref sc = qat_fb_create_vec_f32(b, t->q.scale, (size_t)t->q.n);
        qat_fb_ref z = qat_fb_create_vec_i64(b, zp, (size_t)t->q.n);
        free(zp);
        qat_fb_table_start(b);
        qat_fb_add_ref(b, QAT_TFL_QUANT_SCALE, sc);
        qat_fb_add_ref(b, QAT_TFL_QUANT_ZERO_POINT, z);
        qat_fb_add_i32(b, QAT_TFL_QUANT_QUANTIZED_DIMENSION, t->q.n > 1 ? t->q.axis : 0);
        quant = qat_fb_table_end(b);
    }
    qat_fb_table_start(b);
    qat_fb_add_ref(b, QAT_TFL_TENSOR_SHAPE, sh);
    qat_fb_add_u32(b, QAT_TFL_TENSOR_BUFFER, buffer);
    qat_fb_add_ref(b, QAT_TFL_TENSOR_NAME, name);
    qat_fb_add_ref(b, QAT_TFL_TENSOR_QUANTIZATION, quant);
    qat_fb_add_u8(b, QAT_TFL_TENSOR_TYPE, (uint8_t)tfl_type(t->type));
    return qat_fb_table_end(b);
}

/* The node's options table; every parameter written, defaults included. */
static qat_fb_ref write_options(qat_fb_builder *b, const qat_ir *ir, const qat_ir_node *n) {
    switch (n->op) {
    case QAT_IR_RESHAPE: {
        const qat_ir_tensor *o = &ir->tensors[n->out];
        int32_t shape[QAT_IR_MAX_DIM];
        for (int d = 0; d < o->ndim; d++) shape[d] = o->dim[d];
        qat_fb_ref ns = qat_fb_create_vec_i32(b, shape, (size_t)o->ndim);
        qat_fb_table_start(b);
        qat_fb_add_ref(b, QAT_TFL_RESHAPE_NEW_SHAPE, ns);
        return qat_fb_table_end(b);
    }
    case QAT_IR_CONV_2D:
        qat_fb_table_start(b);
        qat_fb_add_i32(b, QAT_TFL_CONV_STRIDE_W, n->stride_w);
        qat_fb_add_i32(b, QAT_TFL_CONV_STRIDE_H, n->stride_h);
        qat_fb_add_i32(b, QAT_TFL_CONV_DILATION_W, dilation(n->dilation_w));
        qat_fb_add_i32(b, QAT_TFL_CONV_DILATION_H, dilation(n->dilation_h));
        qat_fb_add_i8(b, QAT_TFL_CONV_PADDING, tfl_padding(n->padding));
        qat_fb_add_i8(b, QAT_TFL_CONV_ACTIVATION, (int8_t)tfl_act(n->act));
        return qat_fb_table_end(b);
    case QAT_IR_DEPTHWISE_CONV_2D:
        qat_fb_table_start(b);
        qat_fb_add_i32(b, QAT_TFL_DW_STRIDE_W, n->stride_w);
        qat_fb_add_i32(b, QAT_TFL_DW_STRIDE_H, n->stride_h);
        qat_fb_add_i32(b, QAT_TFL_DW_DEPTH_MULTIPLIER, n->depth_multiplier);
        qat_fb_add_i32(b, QAT_TFL_DW_DILATION_W, dilation(n->dilation_w));
        qat_fb_add_i32(b, QAT_TFL_DW_DILATION_H, dilation(n->dilation_h));
        qat_fb_add_i8(b, QAT_TFL_DW_PADDING, tfl_padding(n->padding));
        qat_fb_add_i8(b, QAT_TFL_DW_ACTIVATION, (int8_t)tfl_act(n->act));
        return qat_fb_table_end(b);
    case QAT_IR_MAX_POOL_2D:
    case QAT_IR_AVERAGE_POOL_2D:
        qat_fb_table_start(b);
        qat_fb_add_i32(b, QAT_TFL_POOL_STRIDE_W, n->stride_w);
        qat_fb_add_i32(b, QAT_TFL_POOL_STRIDE_H, n->stride_h);
        qat_fb_add_i32(b, QAT_TFL_POOL_FILTER_W, n->filter_w);
        qat_fb_add_i32(b, QAT_TFL_POOL_FILTER_H, n->filter_h);
        qat_fb_add_i8(b, QAT_TFL_POOL_PADDING, tfl_padding(n->padding));
        qat_fb_add_i8(b, QAT_TFL_POOL_ACTIVATION, (int8_t)tfl_act(n->act));
        return qat_fb_table_end(b);
    case QAT_IR_FULLY_CONNECTED:
        qat_fb_table_start(b);
        qat_fb_add_i8(b, QAT_TFL_FC_ACTIVATION, (int8_t)tfl_act(n->act));
        qat_fb_add_i8(b, QAT_TFL_FC_WEIGHTS_FORMAT, 0); /* DEFAULT */
        qat_fb_add_u8(b, QAT_TFL_FC_KEEP_NUM_DIMS, n->keep_num_dims ? 1 : 0);
        qat_fb_add_u8(b, QAT_TFL_FC_ASYMMETRIC_QUANTIZE_INPUTS, 0);
        return qat_fb_table_end(b);
    case QAT_IR_SOFTMAX:
        qat_fb_table_start(b);
        qat_fb_add_f32(b, QAT_TFL_SOFTMAX_BETA, n->beta);
        return qat_fb_table_end(b);
    case QAT_IR_QUANTIZE:
    case QAT_IR_DEQUANTIZE: /* empty tables */
        qat_fb_table_start(b);
        return qat_fb_table_end(b);
    case QAT_IR_OPCODE_COUNT:
        break;
    }
    QAT_ASSERT(0 && "bad opcode");
    return 0;
}

typedef struct opcode_entry {
    int code, version;
} opcode_entry;

/* Builds the whole file; 0, or -1 when memory ran out. */
static int build(const qat_ir *ir, const char *description, unsigned char **out, size_t *len) {
    int nt = ir->n_tensors, nn = ir->n_nodes, ok = 0;
    qat_fb_builder b;
    qat_fb_builder_init(&b);
    uint32_t *buf_of = calloc((size_t)nt + 1, sizeof *buf_of);
    qat_fb_ref *refs = malloc(((size_t)(nt > nn ? nt : nn) + 2) * sizeof *refs);
    opcode_entry *codes = malloc(((size_t)nn + 1) * sizeof *codes);
    int *code_of = malloc(((size_t)nn + 1) * sizeof *code_of);
    if (!buf_of || !refs || !codes || !code_of) goto done;

    /* buffers: [0] empty, then one per constant tensor in tensor order, then the metadata */
    uint32_t nbuf = 1;
    for (int i = 0; i < nt; i++)
        if (ir->tensors[i].data) buf_of[i] = nbuf++;
    uint32_t meta_buf = nbuf++;
    const char *min_rt = "";
    for (int k = 0; k < nn; k++) {
        const char *v = qat_tflite_min_runtime(ir, &ir->nodes[k]);
        if (version_cmp(v, min_rt) > 0) min_rt = v;
    }
    qat_fb_ref *brefs = malloc((size_t)nbuf * sizeof *brefs);
    if (!brefs) goto done;
    unsigned char rt[16] = {0};
    memcpy(rt, min_rt, strlen(min_rt));
    brefs[meta_buf] = write_buffer(&b, rt, sizeof rt);
    for (int i = nt - 1; i >= 0; i--)
        if (buf_of[i])
            brefs[buf_of[i]] = write_buffer(&b, ir->tensors[i].data, ir->tensors[i].bytes);
    brefs[0] = write_buffer(&b, NULL, 0);
    qat_fb_ref buffers = qat_fb_create_vec_refs(&b, brefs, nbuf);
    free(brefs);

    /* tensors */
    for (int i = nt - 1; i >= 0; i--) {
        refs[i] = write_tensor(&b, &ir->tensors[i], buf_of[i]);
        if (!refs[i]) goto done;
    }
    qat_fb_ref tensors = qat_fb_create_vec_refs(&b, refs, (size_t)nt);

    /* operator codes: one per (op, version), in order of first use */
    int ncodes = 0;
    for (int k = 0; k < nn; k++) {
        int code = op_info[ir->nodes[k].op].code, v = qat_tflite_op_version(ir, &ir->nodes[k]);
        int c = 0;
        while (c < ncodes && !(codes[c].code == code && codes[c].version == v)) c++;
        if (c == ncodes) codes[ncodes++] = (opcode_entry){code, v};
        code_of[k] = c;
    }

    /* operators */
    for (int k = nn - 1; k >= 0; k--) {
        const qat_ir_node *n = &ir->nodes[k];
        int32_t in[3], o = n->out;
        for (int j = 0; j < n->n_in; j++) in[j] = n->in[j];
        qat_fb_ref vin = qat_fb_create_vec_i32(&b, in, (size_t)n->n_in);
        qat_fb_ref vout = qat_fb_create_vec_i32(&b, &o, 1);
        qat_fb_ref opt = write_options(&b, ir, n);
        qat_fb_table_start(&b);
        qat_fb_add_u32(&b, QAT_TFL_OP_OPCODE_INDEX, (uint32_t)code_of[k]);
        qat_fb_add_ref(&b, QAT_TFL_OP_INPUTS, vin);
        qat_fb_add_ref(&b, QAT_TFL_OP_OUTPUTS, vout);
        qat_fb_add_union(&b, QAT_TFL_OP_BUILTIN_OPTIONS_TYPE, (uint8_t)op_info[n->op].tag, opt);
        refs[k] = qat_fb_table_end(&b);
        if (!refs[k]) goto done;
    }
    qat_fb_ref operators = qat_fb_create_vec_refs(&b, refs, (size_t)nn);

    /* the subgraph */
    int32_t sin = ir->input, sout = ir->output;
    qat_fb_ref vsin = qat_fb_create_vec_i32(&b, &sin, 1);
    qat_fb_ref vsout = qat_fb_create_vec_i32(&b, &sout, 1);
    qat_fb_ref sname = qat_fb_create_string(&b, "main");
    qat_fb_table_start(&b);
    qat_fb_add_ref(&b, QAT_TFL_SUBGRAPH_TENSORS, tensors);
    qat_fb_add_ref(&b, QAT_TFL_SUBGRAPH_INPUTS, vsin);
    qat_fb_add_ref(&b, QAT_TFL_SUBGRAPH_OUTPUTS, vsout);
    qat_fb_add_ref(&b, QAT_TFL_SUBGRAPH_OPERATORS, operators);
    qat_fb_add_ref(&b, QAT_TFL_SUBGRAPH_NAME, sname);
    qat_fb_ref subgraph = qat_fb_table_end(&b);
    qat_fb_ref subgraphs = subgraph ? qat_fb_create_vec_refs(&b, &subgraph, 1) : 0;

    for (int c = ncodes - 1; c >= 0; c--) {
        qat_fb_table_start(&b);
        qat_fb_add_i32(&b, QAT_TFL_OPCODE_VERSION, codes[c].version);
        qat_fb_add_i32(&b, QAT_TFL_OPCODE_BUILTIN_CODE, codes[c].code);
        qat_fb_add_i8(&b, QAT_TFL_OPCODE_DEPRECATED_BUILTIN_CODE,
                      (int8_t)(codes[c].code < QAT_TFL_BUILTIN_PLACEHOLDER_FOR_GREATER_OP_CODES
                                   ? codes[c].code
                                   : QAT_TFL_BUILTIN_PLACEHOLDER_FOR_GREATER_OP_CODES));
        refs[c] = qat_fb_table_end(&b);
        if (!refs[c]) goto done;
    }
    qat_fb_ref opcodes = qat_fb_create_vec_refs(&b, refs, (size_t)ncodes);

    qat_fb_ref mname = qat_fb_create_string(&b, "min_runtime_version");
    qat_fb_table_start(&b);
    qat_fb_add_ref(&b, QAT_TFL_METADATA_NAME, mname);
    qat_fb_add_u32(&b, QAT_TFL_METADATA_BUFFER, meta_buf);
    qat_fb_ref meta = qat_fb_table_end(&b);
    qat_fb_ref metadata = meta ? qat_fb_create_vec_refs(&b, &meta, 1) : 0;

    qat_fb_ref desc = description ? qat_fb_create_string(&b, description) : 0;
    qat_fb_table_start(&b);
    qat_fb_add_u32(&b, QAT_TFL_MODEL_VERSION, QAT_TFL_SCHEMA_VERSION);
    qat_fb_add_ref(&b, QAT_TFL_MODEL_OPERATOR_CODES, opcodes);
    qat_fb_add_ref(&b, QAT_TFL_MODEL_SUBGRAPHS, subgraphs);
    qat_fb_add_ref(&b, QAT_TFL_MODEL_DESCRIPTION, desc);
    qat_fb_add_ref(&b, QAT_TFL_MODEL_BUFFERS, buffers);
    qat_fb_add_ref(&b, QAT_TFL_MODEL_METADATA, metadata);
    qat_fb_ref model = qat_fb_table_end(&b);
    if (model) ok = qat_fb_finish(&b, model, "TFL3", out, len) == 0;
done:
    qat_fb_builder_free(&b);
    free(buf_of);
    free(refs);
    free(codes);
    free(code_of);
    return ok ? 0 : -1;
}

static qat_status serialize(const qat_ir *ir, const char *description, const char *who,
                            unsigned char **buf, size_t *len, qat_error *e) {
    *buf = NULL;
    *len = 0;
    qat_status s = check_ir(ir, who, e);
    if (s) return s;
    if (build(ir, description, buf, len))
        return qat_error_set(e, QAT_ERR_NOMEM,
                             "%s: out of memory (or over 2 GiB) building the model", who);
    return QAT_OK;
}

qat_status qat_tflite_serialize(const qat_ir *ir, const char *description, unsigned char **buf,
                                size_t *len, qat_error *e) {
    return serialize(ir, description, "tflite export", buf, len, e);
}

qat_status qat_tflite_write(const qat_ir *ir, const char *description, const char *path,
                            qat_error *e) {
    unsigned char *buf;
    size_t len;
    qat_status s = serialize(ir, description, path, &buf, &len, e);
    if (s) return s;
    s = qat_write_file(path, buf, len, e);
    free(buf);
    return s;
}
