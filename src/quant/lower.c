/* Lowering a (fake-quant) model to the IR. Every int8 number written here comes from the
 * same functions the fake-quant nodes use (qmath.c), read from the same graph nodes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/ops.h"
#include "qat/quant.h"

typedef struct lowering {
    qat_qmodel *qm;
    qat_ir *ir;
    qat_lower_mode mode;
    int quantized;    /* int8 activations */
    int cur;          /* current activation tensor */
    float scale;      /* its qparams (int8 modes) */
    int32_t zp;
} lowering;

static qat_qparams per_tensor(float *scale, int32_t *zp, int qmin, int qmax) {
    return (qat_qparams){1, 0, qmin, qmax, scale, zp};
}

/* An activation tensor: int8 with (scale, zp) in the int8 modes, float32 otherwise. */
static int add_act(lowering *L, const char *name, int ndim, const int *dim, float scale,
                   int32_t zp) {
    if (!L->quantized) return qat_ir_add_tensor(L->ir, name, QAT_IR_FLOAT32, ndim, dim, NULL, NULL, 0);
    qat_qparams q = per_tensor(&scale, &zp, -128, 127);
    return qat_ir_add_tensor(L->ir, name, QAT_IR_INT8, ndim, dim, &q, NULL, 0);
}

static int add_node(lowering *L, qat_ir_node n) {
    return qat_ir_add_node(L->ir, &n);
}

/* RESHAPE of the current tensor to `dim` (with its int32 shape tensor, as the converter). */
static int reshape(lowering *L, const char *name, int ndim, const int *dim) {
    char nm[QAT_IR_NAME_MAX];
    int32_t shape[QAT_IR_MAX_DIM];
    int sd[1] = {ndim};
    for (int i = 0; i < ndim; i++) shape[i] = dim[i];
    snprintf(nm, sizeof nm, "%s/shape", name);
    int st = qat_ir_add_tensor(L->ir, nm, QAT_IR_INT32, 1, sd, NULL, shape, 4 * (size_t)ndim);
    int out = add_act(L, name, ndim, dim, L->scale, L->zp);
    if (st < 0 || out < 0) return -1;
    if (add_node(L, (qat_ir_node){.op = QAT_IR_RESHAPE, .n_in = 2, .in = {L->cur, st, -1},
                                  .out = out}) < 0)
        return -1;
    return L->cur = out;
}

static qat_ir_act ir_act(qat_activation a) {
    return a == QAT_ACT_RELU ? QAT_IR_ACT_RELU : a == QAT_ACT_RELU6 ? QAT_IR_ACT_RELU6 : QAT_IR_ACT_NONE;
}

/* A float constant: float32, or float16 plus the DEQUANTIZE that restores float32. */
static int float_const(lowering *L, const char *name, int ndim, const int *dim, const float *v,
                       size_t n) {
    if (L->mode != QAT_LOWER_FLOAT16)
        return qat_ir_add_tensor(L->ir, name, QAT_IR_FLOAT32, ndim, dim, NULL, v, n * 4);
    uint16_t *h = malloc(n * 2 + 1);
    if (!h) return -1;
    for (size_t i = 0; i < n; i++) h[i] = qat_float_to_half(v[i]);
    char nm[QAT_IR_NAME_MAX];
    snprintf(nm, sizeof nm, "%s/fp16", name);
    int t16 = qat_ir_add_tensor(L->ir, nm, QAT_IR_FLOAT16, ndim, dim, NULL, h, n * 2);
    free(h);
    int t32 = qat_ir_add_tensor(L->ir, name, QAT_IR_FLOAT32, ndim, dim, NULL, NULL, 0);
    if (t16 < 0 || t32 < 0) return -1;
    return add_node(L, (qat_ir_node){.op = QAT_IR_DEQUANTIZE, .n_in = 1, .in = {t16, -1, -1},
                                     .out = t32}) < 0 ? -1 : t32;
}

/* Symmetric int8 kernel of rows × row values with scales per channel (per_channel: a
 * qat_weight_axis; the last axis is the IR tensor's quantized dimension there); the zero
 * points are all 0. */
static int int8_kernel(lowering *L, const char *name, int ndim, const int *dim, const float *w,
                       int rows, int row, int per_channel, const float *scales, int ns, int qmin,
                       int qmax) {
    size_t n = (size_t)rows * row;
    int8_t *w8 = malloc(n + 1);
    int32_t *zp = calloc((size_t)ns, sizeof(int32_t));
    int t = -1;
    if (w8 && zp) {
        for (size_t k = 0; k < n; k++)
            w8[k] = (int8_t)qat_quantize_weight(w[k], scales[qat_weight_channel(per_channel, k, row)],
                                                qmin, qmax);
        int axis = per_channel == QAT_WEIGHT_PER_LAST ? ndim - 1 : 0;
        qat_qparams q = {ns, axis, qmin, qmax, (float *)scales, zp};
        t = qat_ir_add_tensor(L->ir, name, QAT_IR_INT8, ndim, dim, &q, w8, n);
    }
    free(w8);
    free(zp);
    return t;
}

/* A kernel seen as rows × row values with its output channels the rows (conv, dense) or the
 * columns (a depthwise kernel's last axis): the view qat_weight_channel indexes; oc: how many
 * output channels (and bias values) there are, whatever the scales are shared by. */
typedef struct kernel_view {
    int rows, row, oc;
} kernel_view;

static kernel_view view_of(const qat_node *W, int last_axis) {
    if (last_axis) {
        int c = W->dim[W->ndim - 1];
        return (kernel_view){(int)(W->size / (size_t)c), c, c};
    }
    return (kernel_view){W->dim[0], (int)(W->size / (size_t)W->dim[0]), W->dim[0]};
}

/* The int8 kernel and int32 bias: the scales the weight fake-quant node used. */
static int int8_consts(lowering *L, const qat_qlayer *q, const char *wn, const char *bn,
                       int ndim, const int *wdim, const float *bias, int *w_t, int *b_t) {
    const qat_graph *g = &L->qm->m.g;
    const qat_node *W = &g->nodes[q->w_real];
    kernel_view v = view_of(W, g->nodes[q->node].op == QAT_OP_DEPTHWISE_CONV2D);
    int ns, qmin, qmax, bd[1] = {v.oc};
    const float *scales = qat_fq_weight_scales(g, q->w_fq, &ns);
    qat_weight_range(q->weight_bits, &qmin, &qmax);
    *w_t = int8_kernel(L, wn, ndim, wdim, W->val, v.rows, v.row, q->per_channel, scales, ns, qmin,
                       qmax);
    float *bscale = malloc((size_t)ns * sizeof(float));
    int32_t *bzp = calloc((size_t)ns, sizeof(int32_t)), *b32 = malloc((size_t)v.oc * 4);
    if (bscale && bzp && b32) {
        for (int c = 0; c < ns; c++) bscale[c] = qat_bias_scale(L->scale, scales[c]);
        for (int c = 0; c < v.oc; c++) b32[c] = qat_quantize_bias(bias[c], bscale[ns > 1 ? c : 0]);
        qat_qparams bq = {ns, 0, INT32_MIN, INT32_MAX, bscale, bzp};
        *b_t = qat_ir_add_tensor(L->ir, bn, QAT_IR_INT32, 1, bd, &bq, b32, (size_t)v.oc * 4);
    }
    free(bscale);
    free(bzp);
    free(b32);
    return 0;
}

/* The kernel and bias of a conv/dense operator in the mode's form. */
static int affine_consts(lowering *L, const qat_qlayer *q, const char *name, int ndim,
                         const int *wdim, int *w_t, int *b_t) {
    const qat_graph *g = &L->qm->m.g;
    const qat_node *W = &g->nodes[q->w_real];
    qat_op op = g->nodes[q->node].op;
    /* the converter's hybrid kernels: per channel for convolutions, per tensor for dense */
    int axis = op == QAT_OP_DENSE ? QAT_WEIGHT_PER_TENSOR
               : op == QAT_OP_DEPTHWISE_CONV2D ? QAT_WEIGHT_PER_LAST : QAT_WEIGHT_PER_ROW;
    kernel_view v = view_of(W, op == QAT_OP_DEPTHWISE_CONV2D);
    int bd[1] = {v.oc};
    float *bias = calloc((size_t)v.oc, sizeof(float));
    char wn[QAT_IR_NAME_MAX], bn[QAT_IR_NAME_MAX];
    snprintf(wn, sizeof wn, "%s/kernel", name);
    snprintf(bn, sizeof bn, "%s/bias", name);
    *w_t = *b_t = -1;
    if (!bias) return -1;
    if (q->b_real >= 0) memcpy(bias, g->nodes[q->b_real].val, (size_t)v.oc * sizeof(float));
    if (L->quantized) {
        int8_consts(L, q, wn, bn, ndim, wdim, bias, w_t, b_t);
    } else if (L->mode == QAT_LOWER_DYNAMIC_RANGE && W->size >= 1024) {
        int ns = axis == QAT_WEIGHT_PER_TENSOR ? 1 : v.oc;
        float *scales = malloc((size_t)ns * sizeof(float));
        if (scales) {
            qat_weight_scales(W->val, v.rows, v.row, axis, 127, scales);
            *w_t = int8_kernel(L, wn, ndim, wdim, W->val, v.rows, v.row, axis, scales, ns, -127, 127);
        }
        free(scales);
        *b_t = float_const(L, bn, 1, bd, bias, (size_t)v.oc);
    } else {
        *w_t = float_const(L, wn, ndim, wdim, W->val, W->size);
        *b_t = float_const(L, bn, 1, bd, bias, (size_t)v.oc);
    }
    free(bias);
    return *w_t >= 0 && *b_t >= 0 ? 0 : -1;
}

static qat_ir_padding ir_padding(qat_padding p) {
    return p == QAT_PAD_SAME ? QAT_IR_PAD_SAME : QAT_IR_PAD_VALID;
}

/* The IR node of a conv / dense graph node N (kernel W): op, strides, padding; and the
 * kernel's and output's IR shapes (a Conv1D is a height-1 CONV_2D). */
static qat_ir_node affine_node(const qat_node *N, const qat_node *W, int *wnd, int *wdim,
                               int *ond, int *odim) {
    qat_ir_node n = {.op = QAT_IR_CONV_2D, .n_in = 3, .stride_w = 1, .stride_h = 1,
                     .dilation_w = 1, .dilation_h = 1, .padding = QAT_IR_PAD_VALID};
    *wnd = *ond = 4;
    odim[0] = 1;
    if (N->op == QAT_OP_DENSE) {
        n.op = QAT_IR_FULLY_CONNECTED;
        *wnd = *ond = 2;
        memcpy(wdim, W->dim, 2 * sizeof(int));
        odim[1] = N->dim[0];
    } else if (N->op == QAT_OP_CONV1D) {
        const int w4[4] = {W->dim[0], 1, W->dim[1], W->dim[2]}, o4[4] = {1, 1, N->dim[0], N->dim[1]};
        memcpy(wdim, w4, sizeof w4);
        memcpy(odim, o4, sizeof o4);
        n.padding = ir_padding(QAT_NODE_PARAMS_CONST(qat_conv1d_params, N, N->op)->padding);
    } else { /* CONV2D, DEPTHWISE_CONV2D: OHWI and (1, KH, KW, C·M) are TFLite's already */
        const qat_conv2d_params *cp = QAT_NODE_PARAMS_CONST(qat_conv2d_params, N, N->op);
        memcpy(wdim, W->dim, 4 * sizeof(int));
        memcpy(odim + 1, N->dim, 3 * sizeof(int));
        n.padding = ir_padding(cp->padding);
        n.stride_h = cp->stride_h;
        n.stride_w = cp->stride_w;
        if (N->op == QAT_OP_DEPTHWISE_CONV2D) {
            n.op = QAT_IR_DEPTHWISE_CONV_2D;
            n.depth_multiplier = cp->depth_multiplier;
        }
    }
    return n;
}

static int affine(lowering *L, const qat_qlayer *q, const char *name) {
    qat_qmodel *qm = L->qm;
    const qat_node *N = &qm->m.g.nodes[q->node], *W = &qm->m.g.nodes[q->w_real];
    int wnd, wdim[4], ond, odim[4], w_t, b_t;
    qat_ir_node n = affine_node(N, W, &wnd, wdim, &ond, odim);
    if (affine_consts(L, q, name, wnd, wdim, &w_t, &b_t)) return -1;
    float scale = 0;
    int32_t zp = 0;
    if (L->quantized) qat_fq_act_qparams(&qm->m.g, q->out_fq, &scale, &zp);
    int out = add_act(L, name, ond, odim, scale, zp);
    if (out < 0) return -1;
    n.in[0] = L->cur;
    n.in[1] = w_t;
    n.in[2] = b_t;
    n.out = out;
    n.act = ir_act(q->act);
    if (add_node(L, n) < 0) return -1;
    L->cur = out;
    L->scale = scale;
    L->zp = zp;
    return 0;
}

/* MAX_POOL_2D / AVERAGE_POOL_2D over the current 4-D tensor: output (1, oh, ow, C) on the
 * input's qparams. */
static int pool_node(lowering *L, const char *name, qat_ir_opcode op, int oh, int ow, int fh,
                     int fw, int sh, int sw, qat_padding pad) {
    const qat_ir_tensor *t = &L->ir->tensors[L->cur];
    int dim[4] = {1, oh, ow, t->dim[3]};
    int out = add_act(L, name, 4, dim, L->scale, L->zp);
    if (out < 0) return -1;
    qat_ir_node n = {.op = op, .n_in = 1, .in = {L->cur, -1, -1}, .out = out,
                     .padding = ir_padding(pad), .stride_w = sw, .stride_h = sh,
                     .filter_w = fw, .filter_h = fh};
    if (add_node(L, n) < 0) return -1;
    return L->cur = out;
}

/* A pool's graph node N: MaxPool1D as a height-1 MAX_POOL_2D, the 2-D pools as they are,
 * global average pooling as AVERAGE_POOL_2D over the whole map (VALID) then RESHAPE to
 * (1, C) — TFLite Micro's AVERAGE_POOL_2D rounds exactly as qat_fq_avgpool simulates, where
 * MEAN would requantize through a multiplier (reference/tflite-int8.md §7.7–§7.8). */
static int pool(lowering *L, const qat_qlayer *q, const char *name) {
    const qat_qmodel *qm = L->qm;
    const qat_node *N = &qm->m.g.nodes[q->node];
    const qat_layer_spec *s = &qm->m.spec[q->spec];
    if (N->op == QAT_OP_MAXPOOL1D)
        return pool_node(L, name, QAT_IR_MAX_POOL_2D, 1, N->dim[0], 1, s->pool, 1, s->pool,
                         s->padding);
    const qat_node *P = N->op == QAT_OP_FQ_AVGPOOL ? &qm->m.g.nodes[N->in[0]] : N;
    qat_ir_opcode op = N->op == QAT_OP_MAXPOOL2D ? QAT_IR_MAX_POOL_2D : QAT_IR_AVERAGE_POOL_2D;
    if (P->op == QAT_OP_GLOBAL_AVGPOOL) {
        const qat_ir_tensor *t = &L->ir->tensors[L->cur];
        char nm[QAT_IR_NAME_MAX];
        snprintf(nm, sizeof nm, "%s/pool", name);
        int h = t->dim[1], w = t->dim[2], dim[2] = {1, t->dim[3]};
        if (pool_node(L, nm, op, 1, 1, h, w, 1, 1, QAT_PAD_VALID) < 0) return -1;
        return reshape(L, name, 2, dim);
    }
    const qat_pool2d_params *pp = QAT_NODE_PARAMS_CONST(qat_pool2d_params, P, P->op);
    return pool_node(L, name, op, P->dim[0], P->dim[1], pp->pool_h, pp->pool_w, pp->stride_h,
                     pp->stride_w, pp->padding);
}

/* The float32 interface of an int8 graph: QUANTIZE after the input, DEQUANTIZE at the end. */
static int float_edge(lowering *L, int quantize, const char *name, int ndim, const int *dim) {
    int t = qat_ir_add_tensor(L->ir, name, QAT_IR_FLOAT32, ndim, dim, NULL, NULL, 0);
    if (t < 0) return -1;
    qat_ir_node n = {.op = quantize ? QAT_IR_QUANTIZE : QAT_IR_DEQUANTIZE, .n_in = 1,
                     .in = {quantize ? t : L->cur, -1, -1}, .out = quantize ? L->cur : t};
    return add_node(L, n) < 0 ? -1 : t;
}

/* Whether the operator of q works on 4-D (NHWC) tensors. */
static int needs_4d(const qat_graph *g, const qat_qlayer *q) {
    qat_op op = g->nodes[q->node].op;
    return op != QAT_OP_DENSE && op != QAT_OP_FLATTEN;
}

static int layer(lowering *L, const qat_qlayer *q, int *four_d) {
    qat_qmodel *qm = L->qm;
    const qat_layer_spec *s = &qm->m.spec[q->spec];
    const qat_node *N = &qm->m.g.nodes[q->node];
    char nm[QAT_IR_NAME_MAX];
    if (needs_4d(&qm->m.g, q) && !*four_d) { /* a 1-D (1, T, C) tensor: height 1 */
        const qat_ir_tensor *t = &L->ir->tensors[L->cur];
        int dim[4] = {1, 1, t->dim[t->ndim - 2], t->dim[t->ndim - 1]};
        snprintf(nm, sizeof nm, "%s/reshape", s->name);
        if (reshape(L, nm, 4, dim) < 0) return -1;
        *four_d = 1;
    }
    if (q->depthwise_half) { /* the int8 tensor between a separable conv's halves */
        snprintf(nm, sizeof nm, "%s/depthwise", s->name);
        return affine(L, q, nm);
    }
    if (q->w_fq >= 0) return affine(L, q, s->name);
    if (N->op != QAT_OP_FLATTEN) {
        if (pool(L, q, s->name) < 0) return -1;
        *four_d = L->ir->tensors[L->cur].ndim == 4;
        return 0;
    }
    int dim[2] = {1, (int)N->size};
    *four_d = 0;
    return reshape(L, s->name, 2, dim) < 0 ? -1 : 0; /* flatten */
}

static int lower_all(lowering *L) {
    qat_qmodel *qm = L->qm;
    const qat_node *I = &qm->m.g.nodes[qm->m.input];
    int float_io = L->mode == QAT_LOWER_INT8_FLOAT_IO, four_d = I->ndim == 3;
    int in_nd = I->ndim + 1, in_dim[4] = {1, I->dim[0], I->dim[1], I->ndim == 3 ? I->dim[2] : 0};
    int out_dim[2] = {1, qm->m.n_classes};
    if (L->quantized) qat_fq_act_qparams(&qm->m.g, qm->input_fq, &L->scale, &L->zp);
    L->ir->input = L->cur = add_act(L, float_io ? "input_int8" : "input", in_nd, in_dim, L->scale, L->zp);
    if (L->cur < 0) return -1;
    if (float_io && (L->ir->input = float_edge(L, 1, "input", in_nd, in_dim)) < 0) return -1;
    for (int i = 0; i < qm->n_q; i++)
        if (layer(L, &qm->q[i], &four_d)) return -1;
    float s256 = 1.0f / 256; /* the int8 softmax output spec */
    int32_t zp = -128;
    qat_qparams q = per_tensor(&s256, &zp, -128, 127);
    const char *name = float_io ? "probs_int8" : "probs";
    int probs = L->quantized ? qat_ir_add_tensor(L->ir, name, QAT_IR_INT8, 2, out_dim, &q, NULL, 0)
                             : qat_ir_add_tensor(L->ir, name, QAT_IR_FLOAT32, 2, out_dim, NULL, NULL, 0);
    if (probs < 0 || add_node(L, (qat_ir_node){.op = QAT_IR_SOFTMAX, .n_in = 1,
                                               .in = {L->cur, -1, -1}, .out = probs, .beta = 1.0f}) < 0)
        return -1;
    L->ir->output = L->cur = probs;
    if (float_io && (L->ir->output = float_edge(L, 0, "probs", 2, out_dim)) < 0) return -1;
    return 0;
}

/* tensor t of ir, copied into out under `name` (NULL: its own) */
static int copy_tensor(qat_ir *out, const qat_ir_tensor *t, const char *name) {
    return qat_ir_add_tensor(out, name ? name : t->name, t->type, t->ndim, t->dim, &t->q, t->data,
                             t->bytes);
}

/* The uint8 tensor of int8 tensor t's name: same shape and scale, zero point + 128 (the same
 * real values, each integer shifted by 128). */
static int uint8_twin(qat_ir *out, const qat_ir_tensor *t) {
    float scale = t->q.scale[0];
    int32_t zp = t->q.zero_point[0] + 128;
    qat_qparams q = per_tensor(&scale, &zp, 0, 255);
    return qat_ir_add_tensor(out, t->name, QAT_IR_UINT8, t->ndim, t->dim, &q, NULL, 0);
}

static int uint8_io(const qat_ir *ir, qat_ir *out) {
    const qat_ir_tensor *in = &ir->tensors[ir->input], *o = &ir->tensors[ir->output];
    char name[QAT_IR_NAME_MAX];
    for (int i = 0; i < ir->n_tensors; i++) {
        const int io = i == ir->input || i == ir->output;
        snprintf(name, sizeof name, "%.*s_int8", QAT_IR_NAME_MAX - 6, ir->tensors[i].name);
        if (copy_tensor(out, &ir->tensors[i], io ? name : NULL) < 0) return -1;
    }
    const int u_in = uint8_twin(out, in), u_out = uint8_twin(out, o);
    if (u_in < 0 || u_out < 0) return -1;
    const qat_ir_node first = {.op = QAT_IR_QUANTIZE, .n_in = 1, .in = {u_in, -1, -1},
                               .out = ir->input};
    const qat_ir_node last = {.op = QAT_IR_QUANTIZE, .n_in = 1, .in = {ir->output, -1, -1},
                              .out = u_out};
    if (qat_ir_add_node(out, &first) < 0) return -1;
    for (int k = 0; k < ir->n_nodes; k++)
        if (qat_ir_add_node(out, &ir->nodes[k]) < 0) return -1;
    if (qat_ir_add_node(out, &last) < 0) return -1;
    out->input = u_in;
    out->output = u_out;
    return 0;
}

qat_status qat_ir_uint8_io(const qat_ir *ir, qat_ir *out, qat_error *e) {
    for (int k = 0; k < 2; k++) {
        const qat_ir_tensor *t = &ir->tensors[k ? ir->output : ir->input];
        QAT_ASSERT(t->type == QAT_IR_INT8 && t->q.n == 1);
    }
    qat_ir_init(out);
    if (!uint8_io(ir, out)) return QAT_OK;
    qat_ir_free(out);
    return qat_error_set(e, QAT_ERR_NOMEM, "uint8 interface: out of memory");
}

qat_status qat_lower(qat_qmodel *qm, qat_lower_mode mode, qat_ir *ir, qat_error *e) {
    if (mode == QAT_LOWER_INT8_UINT8_IO) { /* the int8-I/O model, then its uint8 interface */
        qat_ir i8;
        qat_status st = qat_lower(qm, QAT_LOWER_INT8, &i8, e);
        if (!st) st = qat_ir_uint8_io(&i8, ir, e);
        qat_ir_free(&i8);
        return st;
    }
    /* One inference pass makes every folded kernel and weight scale current. */
    qat_graph *g = &qm->m.g;
    qat_pass p = {.batch = 1};
    memset(g->nodes[qm->m.input].val, 0, g->nodes[qm->m.input].size * sizeof(float));
    qat_graph_forward(g, &p, qm->m.logits + 1);
    qat_ir_init(ir);
    lowering L = {qm, ir, mode, mode == QAT_LOWER_INT8 || mode == QAT_LOWER_INT8_FLOAT_IO, -1, 0, 0};
    if (!lower_all(&L)) return QAT_OK;
    qat_ir_free(ir);
    return qat_error_set(e, QAT_ERR_NOMEM, "lowering: out of memory");
}
