/* Lowering a (fake-quant) model to the IR. Every int8 number written here comes from the
 * same functions the fake-quant nodes use (qmath.c), read from the same graph nodes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* Symmetric int8 kernel with scales; the zero points are all 0. */
static int int8_kernel(lowering *L, const char *name, int ndim, const int *dim, const float *w,
                       int rows, int row, const float *scales, int ns, int qmin, int qmax) {
    int8_t *w8 = malloc((size_t)rows * row + 1);
    int32_t *zp = calloc((size_t)ns, sizeof(int32_t));
    int t = -1;
    if (w8 && zp) {
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < row; i++) {
                size_t k = (size_t)r * row + i;
                w8[k] = (int8_t)qat_quantize_weight(w[k], scales[ns > 1 ? r : 0], qmin, qmax);
            }
        qat_qparams q = {ns, 0, qmin, qmax, (float *)scales, zp};
        t = qat_ir_add_tensor(L->ir, name, QAT_IR_INT8, ndim, dim, &q, w8, (size_t)rows * row);
    }
    free(w8);
    free(zp);
    return t;
}

/* The kernel and bias of a conv/dense operator in the mode's form. */
static int affine_consts(lowering *L, const qat_qlayer *q, const char *name, int ndim,
                         const int *wdim, int *w_t, int *b_t) {
    const qat_graph *g = &L->qm->m.g;
    const qat_node *W = &g->nodes[q->w_real];
    int rows = W->dim[0], row = (int)(W->size / (size_t)rows), bd[1] = {rows};
    float *bias = calloc((size_t)rows, sizeof(float));
    char wn[QAT_IR_NAME_MAX], bn[QAT_IR_NAME_MAX];
    snprintf(wn, sizeof wn, "%s/kernel", name);
    snprintf(bn, sizeof bn, "%s/bias", name);
    *w_t = *b_t = -1;
    if (!bias) return -1;
    if (q->b_real >= 0) memcpy(bias, g->nodes[q->b_real].val, (size_t)rows * sizeof(float));
    if (L->quantized) {
        int ns, qmin, qmax;
        const float *scales = qat_fq_weight_scales(g, q->w_fq, &ns);
        qat_weight_range(q->weight_bits, &qmin, &qmax);
        *w_t = int8_kernel(L, wn, ndim, wdim, W->val, rows, row, scales, ns, qmin, qmax);
        float *bscale = malloc((size_t)ns * sizeof(float));
        int32_t *bzp = calloc((size_t)ns, sizeof(int32_t)), *b32 = malloc((size_t)rows * 4);
        if (bscale && bzp && b32) {
            for (int c = 0; c < ns; c++) bscale[c] = qat_bias_scale(L->scale, scales[c]);
            for (int r = 0; r < rows; r++) b32[r] = qat_quantize_bias(bias[r], bscale[ns > 1 ? r : 0]);
            qat_qparams bq = {ns, 0, INT32_MIN, INT32_MAX, bscale, bzp};
            *b_t = qat_ir_add_tensor(L->ir, bn, QAT_IR_INT32, 1, bd, &bq, b32, (size_t)rows * 4);
        }
        free(bscale);
        free(bzp);
        free(b32);
    } else if (L->mode == QAT_LOWER_DYNAMIC_RANGE && W->size >= 1024) {
        int per_channel = q->kind == QAT_LAYER_CONV1D, ns = per_channel ? rows : 1;
        float *scales = malloc((size_t)ns * sizeof(float));
        if (scales) {
            qat_weight_scales(W->val, rows, row, per_channel, 127, scales);
            *w_t = int8_kernel(L, wn, ndim, wdim, W->val, rows, row, scales, ns, -127, 127);
        }
        free(scales);
        *b_t = float_const(L, bn, 1, bd, bias, (size_t)rows);
    } else {
        *w_t = float_const(L, wn, ndim, wdim, W->val, W->size);
        *b_t = float_const(L, bn, 1, bd, bias, (size_t)rows);
    }
    free(bias);
    return *w_t >= 0 && *b_t >= 0 ? 0 : -1;
}

static int affine(lowering *L, const qat_qlayer *q) {
    qat_qmodel *qm = L->qm;
    const qat_layer_spec *s = &qm->m.spec[q->spec];
    const qat_node *Y = &qm->m.g.nodes[qm->m.layer[q->spec].linear];
    const qat_node *W = &qm->m.g.nodes[q->w_real];
    int conv = q->kind == QAT_LAYER_CONV1D, w_t, b_t;
    int wdim4[4] = {W->dim[0], 1, W->dim[1], W->ndim == 3 ? W->dim[2] : 1};
    int wdim2[2] = {W->dim[0], W->dim[1]};
    if (affine_consts(L, q, s->name, conv ? 4 : 2, conv ? wdim4 : wdim2, &w_t, &b_t)) return -1;
    float scale = 0;
    int32_t zp = 0;
    if (L->quantized) qat_fq_act_qparams(&qm->m.g, q->out_fq, &scale, &zp);
    int odim4[4] = {1, 1, Y->dim[0], Y->ndim == 2 ? Y->dim[1] : 1}, odim2[2] = {1, Y->dim[0]};
    int out = add_act(L, s->name, conv ? 4 : 2, conv ? odim4 : odim2, scale, zp);
    if (out < 0) return -1;
    qat_ir_node n = {.op = conv ? QAT_IR_CONV_2D : QAT_IR_FULLY_CONNECTED, .n_in = 3,
                     .in = {L->cur, w_t, b_t}, .out = out, .act = ir_act(q->act),
                     .padding = s->padding == QAT_PAD_SAME ? QAT_IR_PAD_SAME : QAT_IR_PAD_VALID,
                     .stride_w = 1, .stride_h = 1, .dilation_w = 1, .dilation_h = 1};
    if (add_node(L, n) < 0) return -1;
    L->cur = out;
    L->scale = scale;
    L->zp = zp;
    return 0;
}

static int pool(lowering *L, const qat_qlayer *q) {
    const qat_layer_spec *s = &L->qm->m.spec[q->spec];
    const qat_node *Y = &L->qm->m.g.nodes[L->qm->m.layer[q->spec].out];
    int dim[4] = {1, 1, Y->dim[0], Y->dim[1]};
    int out = add_act(L, s->name, 4, dim, L->scale, L->zp);
    if (out < 0) return -1;
    qat_ir_node n = {.op = QAT_IR_MAX_POOL_2D, .n_in = 1, .in = {L->cur, -1, -1}, .out = out,
                     .padding = s->padding == QAT_PAD_SAME ? QAT_IR_PAD_SAME : QAT_IR_PAD_VALID,
                     .stride_w = s->pool, .stride_h = 1, .filter_w = s->pool, .filter_h = 1};
    if (add_node(L, n) < 0) return -1;
    return L->cur = out;
}

/* The float32 interface of an int8 graph: QUANTIZE after the input, DEQUANTIZE at the end. */
static int float_edge(lowering *L, int quantize, const char *name, int ndim, const int *dim) {
    int t = qat_ir_add_tensor(L->ir, name, QAT_IR_FLOAT32, ndim, dim, NULL, NULL, 0);
    if (t < 0) return -1;
    qat_ir_node n = {.op = quantize ? QAT_IR_QUANTIZE : QAT_IR_DEQUANTIZE, .n_in = 1,
                     .in = {quantize ? t : L->cur, -1, -1}, .out = quantize ? L->cur : t};
    return add_node(L, n) < 0 ? -1 : t;
}

static int layer(lowering *L, const qat_qlayer *q, int *four_d) {
    qat_qmodel *qm = L->qm;
    const qat_layer_spec *s = &qm->m.spec[q->spec];
    char nm[QAT_IR_NAME_MAX];
    if ((q->kind == QAT_LAYER_CONV1D || q->kind == QAT_LAYER_MAXPOOL1D) && !*four_d) {
        const qat_ir_tensor *t = &L->ir->tensors[L->cur];
        int dim[4] = {1, 1, t->dim[t->ndim - 2], t->dim[t->ndim - 1]};
        snprintf(nm, sizeof nm, "%s/reshape", s->name);
        if (reshape(L, nm, 4, dim) < 0) return -1;
        *four_d = 1;
    }
    if (q->kind == QAT_LAYER_CONV1D || q->kind == QAT_LAYER_DENSE) return affine(L, q);
    if (q->kind == QAT_LAYER_MAXPOOL1D) return pool(L, q) < 0 ? -1 : 0;
    int dim[2] = {1, (int)qm->m.g.nodes[qm->m.layer[q->spec].out].size};
    *four_d = 0;
    return reshape(L, s->name, 2, dim) < 0 ? -1 : 0; /* flatten */
}

static int lower_all(lowering *L) {
    qat_qmodel *qm = L->qm;
    int float_io = L->mode == QAT_LOWER_INT8_FLOAT_IO, four_d = 0;
    int in_dim[3] = {1, qm->m.window, qm->m.channels}, out_dim[2] = {1, qm->m.n_classes};
    if (L->quantized) qat_fq_act_qparams(&qm->m.g, qm->input_fq, &L->scale, &L->zp);
    L->ir->input = L->cur = add_act(L, float_io ? "input_int8" : "input", 3, in_dim, L->scale, L->zp);
    if (L->cur < 0) return -1;
    if (float_io && (L->ir->input = float_edge(L, 1, "input", 3, in_dim)) < 0) return -1;
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

qat_status qat_lower(qat_qmodel *qm, qat_lower_mode mode, qat_ir *ir, qat_error *e) {
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
