/* The TFLite reader: a .tflite flatbuffer into the model IR. Every access goes through the
 * checked accessors of flatbuf.h; every semantic rule TFLite applies at load time that the
 * IR depends on (buffer sizes, quantization lengths and dimension, index ranges) is checked
 * here, so the engine can trust what it gets. */
#include "qat/tflite.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/flatbuf.h"
#include "qat/io.h"

const char *qat_tflite_builtin_name(int code) {
    static const char *const names[] = {
        "ADD", "AVERAGE_POOL_2D", "CONCATENATION", "CONV_2D", "DEPTHWISE_CONV_2D",
        "DEPTH_TO_SPACE", "DEQUANTIZE", "EMBEDDING_LOOKUP", "FLOOR", "FULLY_CONNECTED",
        "HASHTABLE_LOOKUP", "L2_NORMALIZATION", "L2_POOL_2D", "LOCAL_RESPONSE_NORMALIZATION",
        "LOGISTIC", "LSH_PROJECTION", "LSTM", "MAX_POOL_2D", "MUL", "RELU", "RELU_N1_TO_1",
        "RELU6", "RESHAPE", "RESIZE_BILINEAR", "RNN", "SOFTMAX", "SPACE_TO_DEPTH", "SVDF",
        "TANH", "CONCAT_EMBEDDINGS", "SKIP_GRAM", "CALL", "CUSTOM", "EMBEDDING_LOOKUP_SPARSE",
        "PAD", "UNIDIRECTIONAL_SEQUENCE_RNN", "GATHER", "BATCH_TO_SPACE_ND",
        "SPACE_TO_BATCH_ND", "TRANSPOSE", "MEAN", "SUB", "DIV", "SQUEEZE",
        "UNIDIRECTIONAL_SEQUENCE_LSTM", "STRIDED_SLICE", "BIDIRECTIONAL_SEQUENCE_RNN", "EXP",
        "TOPK_V2", "SPLIT", "LOG_SOFTMAX", "DELEGATE", "BIDIRECTIONAL_SEQUENCE_LSTM", "CAST",
        "PRELU", "MAXIMUM", "ARG_MAX", "MINIMUM", "LESS", "NEG", "PADV2", "GREATER",
        "GREATER_EQUAL", "LESS_EQUAL", "SELECT", "SLICE", "SIN", "TRANSPOSE_CONV",
        "SPARSE_TO_DENSE", "TILE", "EXPAND_DIMS", "EQUAL", "NOT_EQUAL", "LOG", "SUM", "SQRT",
        "RSQRT", "SHAPE", "POW", "ARG_MIN", "FAKE_QUANT", "REDUCE_PROD", "REDUCE_MAX", "PACK",
        "LOGICAL_OR", "ONE_HOT", "LOGICAL_AND", "LOGICAL_NOT", "UNPACK", "REDUCE_MIN",
        "FLOOR_DIV", "REDUCE_ANY", "SQUARE", "ZEROS_LIKE", "FILL", "FLOOR_MOD", "RANGE",
        "RESIZE_NEAREST_NEIGHBOR", "LEAKY_RELU", "SQUARED_DIFFERENCE", "MIRROR_PAD", "ABS",
        "SPLIT_V", "UNIQUE", "CEIL", "REVERSE_V2", "ADD_N", "GATHER_ND", "COS", "WHERE", "RANK",
        "ELU", "REVERSE_SEQUENCE", "MATRIX_DIAG", "QUANTIZE", "MATRIX_SET_DIAG", "ROUND",
        "HARD_SWISH", "IF", "WHILE", "NON_MAX_SUPPRESSION_V4", "NON_MAX_SUPPRESSION_V5",
        "SCATTER_ND", "SELECT_V2", "DENSIFY", "SEGMENT_SUM", "BATCH_MATMUL",
        "PLACEHOLDER_FOR_GREATER_OP_CODES", "CUMSUM", "CALL_ONCE", "BROADCAST_TO", "RFFT2D",
        "CONV_3D", "IMAG", "REAL", "COMPLEX_ABS", "HASHTABLE", "HASHTABLE_FIND",
        "HASHTABLE_IMPORT", "HASHTABLE_SIZE", "REDUCE_ALL", "CONV_3D_TRANSPOSE", "VAR_HANDLE",
        "READ_VARIABLE", "ASSIGN_VARIABLE", "BROADCAST_ARGS", "RANDOM_STANDARD_NORMAL",
        "BUCKETIZE", "RANDOM_UNIFORM", "MULTINOMIAL", "GELU", "DYNAMIC_UPDATE_SLICE",
        "RELU_0_TO_1", "UNSORTED_SEGMENT_PROD", "UNSORTED_SEGMENT_MAX", "UNSORTED_SEGMENT_SUM",
        "ATAN2", "UNSORTED_SEGMENT_MIN", "SIGN", "BITCAST", "BITWISE_XOR", "RIGHT_SHIFT",
    };
    return code >= 0 && (size_t)code < sizeof names / sizeof names[0] ? names[code] : NULL;
}

static const char *tensor_type_name(int t) {
    static const char *const names[] = {
        "FLOAT32", "FLOAT16",   "INT32",  "UINT8",   "INT64",      "STRING", "BOOL",
        "INT16",   "COMPLEX64", "INT8",   "FLOAT64", "COMPLEX128", "UINT64", "RESOURCE",
        "VARIANT", "UINT32",    "UINT16", "INT4",    "BFLOAT16",   "INT2",   "UINT4"};
    return t >= 0 && (size_t)t < sizeof names / sizeof names[0] ? names[t] : "an unknown type";
}

typedef struct ctx {
    qat_fb_reader fb;
    const char *name; /* starts every message */
    qat_error *e;
    qat_ir *ir;
    uint64_t const_bytes; /* constant data copied so far */
} ctx;

static qat_status bad(ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static qat_status bad(ctx *c, const char *fmt, ...) {
    char msg[QAT_ERROR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return qat_error_set(c->e, QAT_ERR_FORMAT, "%s: %s", c->name, msg);
}

/* A structural flatbuffer failure while reading `what`. */
static qat_status fb_bad(ctx *c, const char *what) {
    return bad(c, "malformed flatbuffer in %s: %s (byte %zu)", what, c->fb.err ? c->fb.err : "?",
               c->fb.err_at);
}

#define FB(call, what)                                                                             \
    do {                                                                                           \
        if ((call) != 0) return fb_bad(c, what);                                                   \
    } while (0)

static int map_builtin(int code, qat_ir_opcode *op) {
    for (int o = 0; o < QAT_IR_OPCODE_COUNT; o++)
        if (qat_tflite_builtin_code((qat_ir_opcode)o) == code) {
            *op = (qat_ir_opcode)o;
            return 1;
        }
    return 0;
}

/* ---- tensors ------------------------------------------------------------------------ */

static qat_status read_quant(ctx *c, const qat_fb_table *qt, int ti, const char *tname,
                             const qat_ir_tensor *shape, qat_qparams *q, float **scale,
                             int32_t **zp) {
    qat_fb_vec sv, zv;
    uint8_t details;
    int32_t qdim;
    FB(qat_fb_read_vec(qt, QAT_TFL_QUANT_SCALE, 4, &sv, NULL), "quantization");
    FB(qat_fb_read_vec(qt, QAT_TFL_QUANT_ZERO_POINT, 8, &zv, NULL), "quantization");
    FB(qat_fb_read_u8(qt, QAT_TFL_QUANT_DETAILS_TYPE, 0, &details), "quantization");
    FB(qat_fb_read_i32(qt, QAT_TFL_QUANT_QUANTIZED_DIMENSION, 0, &qdim), "quantization");
    if (details != 0)
        return bad(
            c, "tensor %d '%s' uses custom quantization details, which qatrain does not support",
            ti, tname);
    if (sv.n == 0) return QAT_OK; /* not quantized */
    if (zv.n != sv.n)
        return bad(c, "tensor %d '%s' has %u scales but %u zero points", ti, tname, sv.n, zv.n);
    int axis = 0;
    if (sv.n > 1) {
        if (qdim >= 0 && qdim < shape->ndim) {
            axis = qdim;
        } else if (shape->ndim == 1) {
            axis = 0; /* TFLM's person_detect: rank-1 biases with quantized_dimension 3 */
        } else {
            return bad(c, "tensor %d '%s' has quantized_dimension %d but rank %d", ti, tname, qdim,
                       shape->ndim);
        }
        if ((int64_t)shape->dim[axis] != (int64_t)sv.n)
            return bad(c, "tensor %d '%s' has %u scales but dimension %d is %d", ti, tname, sv.n,
                       axis, shape->dim[axis]);
    }
    *scale = malloc(sv.n * sizeof **scale);
    *zp = malloc(sv.n * sizeof **zp);
    if (!*scale || !*zp) return qat_error_set(c->e, QAT_ERR_NOMEM, "%s: out of memory", c->name);
    for (uint32_t i = 0; i < sv.n; i++) {
        float s = qat_fb_vec_f32(&sv, i);
        int64_t z = qat_fb_vec_i64(&zv, i);
        if (!isfinite(s) || s < 0)
            return bad(c, "tensor %d '%s' has scale[%u] = %g", ti, tname, i, (double)s);
        int32_t lo, hi;
        if (!qat_ir_type_range(shape->type, &lo, &hi)) /* a float tensor: any int32 */
            lo = INT32_MIN, hi = INT32_MAX;
        if (z < lo || z > hi)
            return bad(c, "tensor %d '%s' has zero_point[%u] = %lld, outside %s range", ti, tname,
                       i, (long long)z, qat_ir_type_name(shape->type));
        (*scale)[i] = s;
        (*zp)[i] = (int32_t)z;
    }
    q->n = (int)sv.n;
    q->axis = axis;
    q->scale = *scale;
    q->zero_point = *zp;
    return QAT_OK;
}

/* A name from the file, for the IR and messages: at most cap - 1 bytes, up to its first NUL,
 * control characters as '?' so that messages stay one line and inspect stays readable. */
static void clean_name(char *dst, size_t cap, const char *s, size_t n) {
    size_t k = 0;
    for (; k < n && k + 1 < cap && s[k]; k++)
        dst[k] = (unsigned char)s[k] < 32 || s[k] == 127 ? '?' : s[k];
    dst[k] = 0;
}

static qat_status read_tensor(ctx *c, const qat_fb_table *tt, int ti, const qat_fb_vec *buffers) {
    const char *name;
    uint32_t name_len, buffer;
    int8_t type;
    uint8_t is_var;
    qat_fb_vec shape;
    char tname[QAT_IR_NAME_MAX];
    FB(qat_fb_read_string(tt, QAT_TFL_TENSOR_NAME, &name, &name_len, NULL), "a tensor name");
    clean_name(tname, sizeof tname, name, name_len);
    FB(qat_fb_read_vec(tt, QAT_TFL_TENSOR_SHAPE, 4, &shape, NULL), "a tensor shape");
    FB(qat_fb_read_i8(tt, QAT_TFL_TENSOR_TYPE, 0, &type), "a tensor");
    FB(qat_fb_read_u32(tt, QAT_TFL_TENSOR_BUFFER, 0, &buffer), "a tensor");
    FB(qat_fb_read_u8(tt, QAT_TFL_TENSOR_IS_VARIABLE, 0, &is_var), "a tensor");

    qat_ir_tensor t; /* shape and type only, for checks */
    memset(&t, 0, sizeof t);
    switch (type) {
    case QAT_TFL_TYPE_FLOAT32: t.type = QAT_IR_FLOAT32; break;
    case QAT_TFL_TYPE_FLOAT16: t.type = QAT_IR_FLOAT16; break;
    case QAT_TFL_TYPE_INT32: t.type = QAT_IR_INT32; break;
    case QAT_TFL_TYPE_INT8: t.type = QAT_IR_INT8; break;
    case QAT_TFL_TYPE_UINT8: t.type = QAT_IR_UINT8; break;
    default:
        return bad(c, "tensor %d '%s' has type %s (%d), which qatrain does not support", ti, tname,
                   tensor_type_name(type), type);
    }
    if (shape.n > QAT_IR_MAX_DIM)
        return bad(c, "tensor %d '%s' has %u dimensions; qatrain supports at most %d", ti, tname,
                   shape.n, QAT_IR_MAX_DIM);
    t.ndim = (int)shape.n;
    uint64_t count = 1;
    for (int d = 0; d < t.ndim; d++) {
        t.dim[d] = qat_fb_vec_i32(&shape, (uint32_t)d);
        if (t.dim[d] < 1) /* an empty tensor: no operator qatrain runs has a use for one */
            return bad(c, "tensor %d '%s' has dimension %d = %d; dimensions must be >= 1", ti,
                       tname, d, t.dim[d]);
        count *= (uint64_t)t.dim[d];
        if (count > QAT_FB_MAX_SIZE) return bad(c, "tensor %d '%s' is too large", ti, tname);
    }
    if (is_var)
        return bad(c, "tensor %d '%s' is a variable tensor, which qatrain does not support", ti,
                   tname);
    if (qat_fb_present(tt, QAT_TFL_TENSOR_SPARSITY))
        return bad(c, "tensor %d '%s' is sparse, which qatrain does not support", ti, tname);
    if (qat_fb_present(tt, QAT_TFL_TENSOR_VARIANT_TENSORS) ||
        qat_fb_present(tt, QAT_TFL_TENSOR_EXTERNAL_BUFFER)) {
        uint32_t ext;
        FB(qat_fb_read_u32(tt, QAT_TFL_TENSOR_EXTERNAL_BUFFER, 0, &ext), "a tensor");
        if (ext)
            return bad(c, "tensor %d '%s' uses an external buffer, which qatrain does not support",
                       ti, tname);
    }

    /* constant data */
    if (buffer >= buffers->n)
        return bad(c, "tensor %d '%s' refers to buffer %u, but there are %u", ti, tname, buffer,
                   buffers->n);
    const unsigned char *data = NULL;
    size_t bytes = 0;
    if (buffer > 0) {
        qat_fb_table bt;
        qat_fb_vec dv;
        uint64_t off;
        FB(qat_fb_vec_table(buffers, buffer, &bt), "a buffer");
        FB(qat_fb_read_vec(&bt, QAT_TFL_BUFFER_DATA, 1, &dv, NULL), "a buffer");
        FB(qat_fb_read_u64(&bt, QAT_TFL_BUFFER_OFFSET, 0, &off), "a buffer");
        if (off > 1)
            return bad(c,
                       "tensor %d '%s': buffer %u lies outside the flatbuffer, which qatrain does "
                       "not support",
                       ti, tname, buffer);
        if (dv.n > 0) {
            uint64_t need = count * qat_ir_type_size(t.type);
            if (dv.n != need)
                return bad(c,
                           "tensor %d '%s': buffer %u holds %u bytes but shape and type need %llu",
                           ti, tname, buffer, dv.n, (unsigned long long)need);
            c->const_bytes += dv.n;
            if (c->const_bytes > 4 * (uint64_t)c->fb.len + 4096)
                return bad(c, "constant buffers are shared by too many tensors");
            data = qat_fb_vec_data(&dv);
            bytes = dv.n;
        }
    }

    /* quantization */
    qat_qparams q;
    memset(&q, 0, sizeof q);
    float *scale = NULL;
    int32_t *zp = NULL;
    qat_fb_table qt;
    int has_q;
    if (qat_fb_read_table(tt, QAT_TFL_TENSOR_QUANTIZATION, &qt, &has_q))
        return fb_bad(c, "a tensor");
    qat_status s = has_q ? read_quant(c, &qt, ti, tname, &t, &q, &scale, &zp) : QAT_OK;
    if (!s) {
        if (qat_ir_add_tensor(c->ir, tname, t.type, t.ndim, t.dim, &q, data, bytes) < 0)
            s = qat_error_set(c->e, QAT_ERR_NOMEM, "%s: out of memory", c->name);
    }
    free(scale);
    free(zp);
    return s;
}

/* ---- operators ---------------------------------------------------------------------- */

static qat_status read_act(ctx *c, int k, const char *op, int8_t a, qat_ir_act *act) {
    switch (a) {
    case QAT_TFL_ACT_NONE: *act = QAT_IR_ACT_NONE; return QAT_OK;
    case QAT_TFL_ACT_RELU: *act = QAT_IR_ACT_RELU; return QAT_OK;
    case QAT_TFL_ACT_RELU6: *act = QAT_IR_ACT_RELU6; return QAT_OK;
    default:
        return bad(c, "operator %d (%s) has fused activation %d, which qatrain does not support", k,
                   op, a);
    }
}

static qat_status read_padding(ctx *c, int k, const char *op, int8_t p, qat_ir_padding *pad) {
    if (p == QAT_TFL_PADDING_SAME)
        *pad = QAT_IR_PAD_SAME;
    else if (p == QAT_TFL_PADDING_VALID)
        *pad = QAT_IR_PAD_VALID;
    else
        return bad(c, "operator %d (%s) has padding %d", k, op, p);
    return QAT_OK;
}

/* Reads the options table `o` of node n (op already set). */
static qat_status read_options(ctx *c, int k, const qat_fb_table *o, qat_ir_node *n) {
    const char *op = qat_ir_opcode_name(n->op);
    int8_t pad = 0, act = 0;
    int32_t dw = 1, dh = 1;
    qat_status s = QAT_OK;
    switch (n->op) {
    case QAT_IR_CONV_2D:
        FB(qat_fb_read_i8(o, QAT_TFL_CONV_PADDING, 0, &pad), "Conv2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_CONV_STRIDE_W, 0, &n->stride_w), "Conv2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_CONV_STRIDE_H, 0, &n->stride_h), "Conv2DOptions");
        FB(qat_fb_read_i8(o, QAT_TFL_CONV_ACTIVATION, 0, &act), "Conv2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_CONV_DILATION_W, 1, &dw), "Conv2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_CONV_DILATION_H, 1, &dh), "Conv2DOptions");
        break;
    case QAT_IR_DEPTHWISE_CONV_2D:
        FB(qat_fb_read_i8(o, QAT_TFL_DW_PADDING, 0, &pad), "DepthwiseConv2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_DW_STRIDE_W, 0, &n->stride_w), "DepthwiseConv2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_DW_STRIDE_H, 0, &n->stride_h), "DepthwiseConv2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_DW_DEPTH_MULTIPLIER, 0, &n->depth_multiplier),
           "DepthwiseConv2DOptions");
        FB(qat_fb_read_i8(o, QAT_TFL_DW_ACTIVATION, 0, &act), "DepthwiseConv2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_DW_DILATION_W, 1, &dw), "DepthwiseConv2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_DW_DILATION_H, 1, &dh), "DepthwiseConv2DOptions");
        if (n->depth_multiplier < 0)
            return bad(c, "operator %d (%s) has depth_multiplier %d", k, op, n->depth_multiplier);
        break;
    case QAT_IR_MAX_POOL_2D:
    case QAT_IR_AVERAGE_POOL_2D:
        FB(qat_fb_read_i8(o, QAT_TFL_POOL_PADDING, 0, &pad), "Pool2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_POOL_STRIDE_W, 0, &n->stride_w), "Pool2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_POOL_STRIDE_H, 0, &n->stride_h), "Pool2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_POOL_FILTER_W, 0, &n->filter_w), "Pool2DOptions");
        FB(qat_fb_read_i32(o, QAT_TFL_POOL_FILTER_H, 0, &n->filter_h), "Pool2DOptions");
        FB(qat_fb_read_i8(o, QAT_TFL_POOL_ACTIVATION, 0, &act), "Pool2DOptions");
        if (n->filter_w < 1 || n->filter_h < 1)
            return bad(c, "operator %d (%s) has filter %dx%d", k, op, n->filter_h, n->filter_w);
        break;
    case QAT_IR_FULLY_CONNECTED: {
        int8_t format = 0;
        uint8_t keep = 0;
        if (o) {
            FB(qat_fb_read_i8(o, QAT_TFL_FC_ACTIVATION, 0, &act), "FullyConnectedOptions");
            FB(qat_fb_read_i8(o, QAT_TFL_FC_WEIGHTS_FORMAT, 0, &format), "FullyConnectedOptions");
            FB(qat_fb_read_u8(o, QAT_TFL_FC_KEEP_NUM_DIMS, 0, &keep), "FullyConnectedOptions");
        }
        if (format != 0)
            return bad(c, "operator %d (%s) uses weights format %d, which qatrain does not support",
                       k, op, format);
        n->keep_num_dims = keep != 0;
        break;
    }
    case QAT_IR_SOFTMAX:
        FB(qat_fb_read_f32(o, QAT_TFL_SOFTMAX_BETA, 0.0f, &n->beta), "SoftmaxOptions");
        if (!(isfinite(n->beta) && n->beta > 0))
            return bad(c, "operator %d (%s) has beta %g", k, op, (double)n->beta);
        break;
    case QAT_IR_RESHAPE:
    case QAT_IR_QUANTIZE:
    case QAT_IR_DEQUANTIZE:
    case QAT_IR_OPCODE_COUNT: break;
    }
    int strided = n->op == QAT_IR_CONV_2D || n->op == QAT_IR_DEPTHWISE_CONV_2D ||
                  n->op == QAT_IR_MAX_POOL_2D || n->op == QAT_IR_AVERAGE_POOL_2D;
    if (strided) {
        if (n->stride_w < 1 || n->stride_h < 1)
            return bad(c, "operator %d (%s) has stride %dx%d", k, op, n->stride_h, n->stride_w);
        if ((s = read_padding(c, k, op, pad, &n->padding))) return s;
    }
    if (n->op == QAT_IR_CONV_2D || n->op == QAT_IR_DEPTHWISE_CONV_2D) {
        if (dw < 1 || dh < 1) return bad(c, "operator %d (%s) has dilation %dx%d", k, op, dh, dw);
        n->dilation_w = dw;
        n->dilation_h = dh;
    }
    return read_act(c, k, op, act, &n->act);
}

static qat_status read_operator(ctx *c, const qat_fb_table *ot, int k, const int *codes,
                                const qat_fb_vec *opcodes) {
    uint32_t idx;
    FB(qat_fb_read_u32(ot, QAT_TFL_OP_OPCODE_INDEX, 0, &idx), "an operator");
    if (idx >= opcodes->n)
        return bad(c, "operator %d uses opcode %u, but there are %u", k, idx, opcodes->n);
    int code = codes[idx];
    qat_ir_node n;
    memset(&n, 0, sizeof n);
    if (!map_builtin(code, &n.op)) {
        if (code == QAT_TFL_BUILTIN_CUSTOM) {
            qat_fb_table oc;
            const char *cn;
            uint32_t cl;
            char shown[65];
            FB(qat_fb_vec_table(opcodes, idx, &oc), "an operator code");
            FB(qat_fb_read_string(&oc, QAT_TFL_OPCODE_CUSTOM_CODE, &cn, &cl, NULL),
               "an operator code");
            clean_name(shown, sizeof shown, cn, cl);
            return bad(c, "operator %d uses custom op '%s', which qatrain does not support", k,
                       shown);
        }
        const char *nm = qat_tflite_builtin_name(code);
        if (nm) return bad(c, "operator %d uses %s, which qatrain does not support", k, nm);
        return bad(c, "operator %d uses builtin op %d, which qatrain does not support", k, code);
    }
    const char *op = qat_ir_opcode_name(n.op);

    qat_fb_vec in, out;
    FB(qat_fb_read_vec(ot, QAT_TFL_OP_INPUTS, 4, &in, NULL), "an operator");
    FB(qat_fb_read_vec(ot, QAT_TFL_OP_OUTPUTS, 4, &out, NULL), "an operator");
    int weighted = n.op == QAT_IR_CONV_2D || n.op == QAT_IR_DEPTHWISE_CONV_2D ||
                   n.op == QAT_IR_FULLY_CONNECTED;
    int lo = weighted ? 2 : 1, hi = weighted ? 3 : n.op == QAT_IR_RESHAPE ? 2 : 1;
    if (in.n < (uint32_t)lo || in.n > (uint32_t)hi)
        return bad(c, "operator %d (%s) has %u inputs; expected %d to %d", k, op, in.n, lo, hi);
    if (out.n != 1) return bad(c, "operator %d (%s) has %u outputs; expected 1", k, op, out.n);
    n.n_in = (int)in.n;
    for (int j = 0; j < n.n_in; j++) {
        n.in[j] = qat_fb_vec_i32(&in, (uint32_t)j);
        int optional = j > 0 && j == hi - 1;
        if (!(n.in[j] >= 0 && n.in[j] < c->ir->n_tensors) && !(optional && n.in[j] == -1))
            return bad(c, "operator %d (%s) input %d is tensor %d, but there are %d", k, op, j,
                       n.in[j], c->ir->n_tensors);
    }
    for (int j = n.n_in; j < 3; j++) n.in[j] = -1;
    n.out = qat_fb_vec_i32(&out, 0);
    if (n.out < 0 || n.out >= c->ir->n_tensors)
        return bad(c, "operator %d (%s) output is tensor %d, but there are %d", k, op, n.out,
                   c->ir->n_tensors);
    if (c->ir->tensors[n.out].data)
        return bad(c, "operator %d (%s) writes to constant tensor %d", k, op, n.out);

    uint8_t tag;
    FB(qat_fb_read_u8(ot, QAT_TFL_OP_BUILTIN_OPTIONS_TYPE, 0, &tag), "an operator");
    static const uint8_t want[] = {
        [QAT_IR_RESHAPE] = QAT_TFL_OPTIONS_RESHAPE,
        [QAT_IR_CONV_2D] = QAT_TFL_OPTIONS_CONV2D,
        [QAT_IR_DEPTHWISE_CONV_2D] = QAT_TFL_OPTIONS_DEPTHWISE_CONV2D,
        [QAT_IR_MAX_POOL_2D] = QAT_TFL_OPTIONS_POOL2D,
        [QAT_IR_AVERAGE_POOL_2D] = QAT_TFL_OPTIONS_POOL2D,
        [QAT_IR_FULLY_CONNECTED] = QAT_TFL_OPTIONS_FULLY_CONNECTED,
        [QAT_IR_SOFTMAX] = QAT_TFL_OPTIONS_SOFTMAX,
        [QAT_IR_QUANTIZE] = QAT_TFL_OPTIONS_QUANTIZE,
        [QAT_IR_DEQUANTIZE] = QAT_TFL_OPTIONS_DEQUANTIZE,
    };
    _Static_assert(sizeof want / sizeof want[0] == QAT_IR_OPCODE_COUNT, "options tags");
    qat_fb_table opt;
    int has_opt = 0;
    if (tag != QAT_TFL_OPTIONS_NONE) {
        if (tag != want[n.op])
            return bad(c,
                       "operator %d (%s) has options of the wrong type (union tag %u, expected %u)",
                       k, op, tag, want[n.op]);
        FB(qat_fb_read_table(ot, QAT_TFL_OP_BUILTIN_OPTIONS, &opt, &has_opt), "an operator");
    }
    /* Without options the runtimes use zeros: harmless for these, fatal for the rest */
    int optional_opts = n.op == QAT_IR_RESHAPE || n.op == QAT_IR_FULLY_CONNECTED ||
                        n.op == QAT_IR_QUANTIZE || n.op == QAT_IR_DEQUANTIZE;
    if (!has_opt && !optional_opts) return bad(c, "operator %d (%s) has no options table", k, op);
    qat_status s = read_options(c, k, has_opt ? &opt : NULL, &n);
    if (s) return s;
    if (qat_ir_add_node(c->ir, &n) < 0)
        return qat_error_set(c->e, QAT_ERR_NOMEM, "%s: out of memory", c->name);
    return QAT_OK;
}

/* ---- the model ---------------------------------------------------------------------- */

static qat_status read_io(ctx *c, const qat_fb_table *sg, int id, const char *what, int *t) {
    qat_fb_vec v;
    FB(qat_fb_read_vec(sg, id, 4, &v, NULL), "the subgraph");
    if (v.n != 1) return bad(c, "the model has %u %ss; qatrain needs exactly one", v.n, what);
    *t = qat_fb_vec_i32(&v, 0);
    if (*t < 0 || *t >= c->ir->n_tensors)
        return bad(c, "the model's %s is tensor %d, but there are %d", what, *t, c->ir->n_tensors);
    return QAT_OK;
}

/* int8 filters of CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED are narrow-range. */
static void set_ranges(qat_ir *ir) {
    for (int i = 0; i < ir->n_tensors; i++) {
        qat_ir_tensor *t = &ir->tensors[i];
        if (t->q.n == 0) continue;
        int32_t lo, hi; /* [0, 0] for a float type */
        qat_ir_type_range(t->type, &lo, &hi);
        t->q.qmin = lo;
        t->q.qmax = hi;
    }
    for (int k = 0; k < ir->n_nodes; k++) {
        const qat_ir_node *n = &ir->nodes[k];
        if (n->op != QAT_IR_CONV_2D && n->op != QAT_IR_DEPTHWISE_CONV_2D &&
            n->op != QAT_IR_FULLY_CONNECTED)
            continue;
        qat_ir_tensor *w = &ir->tensors[n->in[1]];
        if (w->type == QAT_IR_INT8 && w->q.n > 0) w->q.qmin = -127;
    }
}

static qat_status parse(ctx *c, const unsigned char *buf, size_t len) {
    if (!buf || len < 8) return bad(c, "too short (%zu bytes) to be a TFLite file", len);
    if (memcmp(buf + 4, "TFL3", 4) != 0) {
        char id[5];
        for (int i = 0; i < 4; i++)
            id[i] = buf[4 + i] >= 32 && buf[4 + i] < 127 ? (char)buf[4 + i] : '?';
        id[4] = 0;
        return bad(c, "not a TFLite file (identifier '%s', expected 'TFL3')", id);
    }
    qat_fb_table m, sg;
    FB(qat_fb_reader_init(&c->fb, buf, len, "TFL3"), "the file header");
    FB(qat_fb_root(&c->fb, &m), "the model");
    uint32_t version;
    FB(qat_fb_read_u32(&m, QAT_TFL_MODEL_VERSION, 0, &version), "the model");
    if (version != QAT_TFL_SCHEMA_VERSION)
        return bad(c, "schema version %u; qatrain reads version 3", version);

    qat_fb_vec opcodes, subgraphs, buffers, tensors, ops;
    int has_buffers;
    FB(qat_fb_read_vec(&m, QAT_TFL_MODEL_OPERATOR_CODES, 4, &opcodes, NULL), "the model");
    FB(qat_fb_read_vec(&m, QAT_TFL_MODEL_SUBGRAPHS, 4, &subgraphs, NULL), "the model");
    FB(qat_fb_read_vec(&m, QAT_TFL_MODEL_BUFFERS, 4, &buffers, &has_buffers), "the model");
    if (subgraphs.n != 1)
        return bad(c, "the model has %u subgraphs; qatrain reads models with exactly one",
                   subgraphs.n);
    if (!has_buffers || buffers.n == 0) return bad(c, "the model has no buffers");
    /* verify what no tensor refers to as well: every buffer, the metadata, the description */
    for (uint32_t i = 0; i < buffers.n; i++) {
        qat_fb_table bt;
        qat_fb_vec dv;
        FB(qat_fb_vec_table(&buffers, i, &bt), "a buffer");
        FB(qat_fb_read_vec(&bt, QAT_TFL_BUFFER_DATA, 1, &dv, NULL), "a buffer");
    }
    qat_fb_vec metadata;
    const char *str;
    uint32_t str_len;
    FB(qat_fb_read_vec(&m, QAT_TFL_MODEL_METADATA, 4, &metadata, NULL), "the model");
    for (uint32_t i = 0; i < metadata.n; i++) {
        qat_fb_table mt;
        FB(qat_fb_vec_table(&metadata, i, &mt), "the metadata");
        FB(qat_fb_read_string(&mt, QAT_TFL_METADATA_NAME, &str, &str_len, NULL), "the metadata");
    }
    FB(qat_fb_read_string(&m, QAT_TFL_MODEL_DESCRIPTION, &str, &str_len, NULL), "the model");

    int *codes = malloc(((size_t)opcodes.n + 1) * sizeof *codes);
    if (!codes) return qat_error_set(c->e, QAT_ERR_NOMEM, "%s: out of memory", c->name);
    qat_status s = QAT_OK;
    for (uint32_t i = 0; i < opcodes.n && !s; i++) {
        qat_fb_table oc;
        int8_t dep;
        int32_t code;
        if (qat_fb_vec_table(&opcodes, i, &oc) ||
            qat_fb_read_i8(&oc, QAT_TFL_OPCODE_DEPRECATED_BUILTIN_CODE, 0, &dep) ||
            qat_fb_read_i32(&oc, QAT_TFL_OPCODE_BUILTIN_CODE, 0, &code))
            s = fb_bad(c, "an operator code");
        else
            codes[i] = code > dep ? code : dep;
    }
    if (s) goto done;

    if (qat_fb_vec_table(&subgraphs, 0, &sg) ||
        qat_fb_read_vec(&sg, QAT_TFL_SUBGRAPH_TENSORS, 4, &tensors, NULL) ||
        qat_fb_read_vec(&sg, QAT_TFL_SUBGRAPH_OPERATORS, 4, &ops, NULL)) {
        s = fb_bad(c, "the subgraph");
        goto done;
    }
    for (uint32_t i = 0; i < tensors.n && !s; i++) {
        qat_fb_table tt;
        if (qat_fb_vec_table(&tensors, i, &tt))
            s = fb_bad(c, "a tensor");
        else
            s = read_tensor(c, &tt, (int)i, &buffers);
    }
    for (uint32_t k = 0; k < ops.n && !s; k++) {
        qat_fb_table ot;
        if (qat_fb_vec_table(&ops, k, &ot))
            s = fb_bad(c, "an operator");
        else
            s = read_operator(c, &ot, (int)k, codes, &opcodes);
    }
    if (!s) s = read_io(c, &sg, QAT_TFL_SUBGRAPH_INPUTS, "input", &c->ir->input);
    if (!s) s = read_io(c, &sg, QAT_TFL_SUBGRAPH_OUTPUTS, "output", &c->ir->output);
    if (!s) set_ranges(c->ir);
done:
    free(codes);
    return s;
}

qat_status qat_tflite_parse(const unsigned char *buf, size_t len, const char *name_for_errors,
                            qat_ir *ir, qat_error *e) {
    ctx c;
    memset(&c, 0, sizeof c);
    c.name = name_for_errors ? name_for_errors : "tflite";
    c.e = e;
    c.ir = ir;
    qat_ir_init(ir);
    qat_status s = parse(&c, buf, len);
    if (s) qat_ir_free(ir);
    return s;
}

qat_status qat_tflite_read(const char *path, qat_ir *ir, qat_error *e) {
    void *buf;
    size_t len;
    qat_ir_init(ir);
    /* a flatbuffer is smaller than 2 GiB: a larger file is refused unread */
    qat_status s = qat_read_file_max(path, QAT_FB_MAX_SIZE, &buf, &len, e);
    if (s) return s;
    s = qat_tflite_parse(buf, len, path, ir, e);
    free(buf);
    return s;
}
