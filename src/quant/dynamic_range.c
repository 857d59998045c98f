/* The dynamic-range model, simulated in float: int8 weights (symmetric, per channel for
 * convolutions, per tensor for dense layers, as the converter's hybrid ops), float
 * activations. Only kernels with at least `min_elements` weights are quantized, as the
 * converter's default (1024) does. Batch norm is folded first, as the converter does; the
 * folded model keeps its batchnorm nodes as identities (γ = √(σ² + ε), β = μ). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qat/quant.h"

/* Layer i's conv / dense node, or NULL for layers without a kernel. */
static const qat_node *affine_node(const qat_model *m, int i) {
    return m->layer[i].linear >= 0 ? &m->g.nodes[m->layer[i].linear] : NULL;
}

/* The kernel's output channels: its rows, or its last axis for a depthwise kernel
 * (1, KH, KW, C·M); the kernel is rows × row values either way. */
static int channels_last(const qat_model *m, int i) {
    return affine_node(m, i)->op == QAT_OP_DEPTHWISE_CONV2D;
}

static void fold_layer(qat_model *m, int conv_layer, int bn_layer) {
    qat_graph *g = &m->g;
    const qat_model_layer *l = &m->layer[conv_layer], *lb = &m->layer[bn_layer];
    qat_node *W = &g->nodes[l->w], *G = &g->nodes[lb->gamma], *B = &g->nodes[lb->beta];
    const qat_node *bn = &g->nodes[lb->out];
    int c = (int)G->size, last = channels_last(m, conv_layer);
    float *mu = g->state + bn->offset, *var = mu + c;
    double eps = m->spec[bn_layer].epsilon;
    for (int o = 0; o < c; o++)
        qat_bn_fold_kernel_channel(W->val, W->size, c, last, o, G->val[o],
                                   qat_bn_inv_std(var[o], eps), W->val);
    for (int o = 0; o < c; o++) {
        double is = qat_bn_inv_std(var[o], eps);
        float b = l->b >= 0 ? g->nodes[l->b].val[o] : 0;
        /* The folded bias goes into β; BN becomes y ↦ y·1 + β with γ = √(σ² + ε), μ = 0. */
        B->val[o] = qat_bn_fold_bias_value(b, G->val[o], B->val[o], mu[o], is);
        if (l->b >= 0) g->nodes[l->b].val[o] = 0;
        G->val[o] = (float)sqrt((double)var[o] + eps);
        mu[o] = 0;
    }
}

/* Rounds a kernel to int8 with scales per_channel-wise (a qat_weight_axis). */
static int quantize_kernel(qat_node *W, int per_channel) {
    int row = per_channel == QAT_WEIGHT_PER_LAST ? W->dim[W->ndim - 1]
                                                 : (int)(W->size / (size_t)W->dim[0]);
    int rows = (int)(W->size / (size_t)row);
    float *scales = malloc((size_t)(rows > row ? rows : row) * sizeof(float));
    if (!scales) return -1;
    qat_weight_scales(W->val, rows, row, per_channel, 127, scales);
    for (size_t k = 0; k < W->size; k++) {
        float sk = scales[qat_weight_channel(per_channel, k, row)];
        W->val[k] = (float)qat_quantize_weight(W->val[k], sk, -127, 127) * sk;
    }
    free(scales);
    return 0;
}

/* IEEE half from float, round to nearest even (what the converter's float16 option does). */
uint16_t qat_float_to_half(float f) {
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u, mant = x & 0x7fffffu;
    int exp = (int)((x >> 23) & 0xff) - 127 + 15;
    if (((x >> 23) & 0xff) == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
    if (exp >= 31) return (uint16_t)(sign | 0x7c00u);
    if (exp <= 0) { /* subnormal or zero */
        if (exp < -10) return (uint16_t)sign;
        mant |= 0x800000u;
        int shift = 14 - exp;
        uint32_t half = mant >> shift, rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
        if (rem > mid || (rem == mid && (half & 1))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = sign | ((uint32_t)exp << 10) | (mant >> 13), rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (half & 1))) half++; /* may carry into the exponent: correct */
    return (uint16_t)half;
}

float qat_half_to_float(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ffu, x;
    if (exp == 0x1f) x = sign | 0x7f800000u | (mant << 13);
    else if (exp) x = sign | ((exp + 112) << 23) | (mant << 13);
    else if (!mant) x = sign;
    else { /* subnormal: normalise */
        int e = -1;
        do { mant <<= 1; e++; } while (!(mant & 0x400u));
        x = sign | ((uint32_t)(112 - e) << 23) | ((mant & 0x3ffu) << 13);
    }
    float f;
    memcpy(&f, &x, 4);
    return f;
}

static void round_half(qat_node *n) {
    for (size_t i = 0; n && i < n->size; i++) n->val[i] = qat_half_to_float(qat_float_to_half(n->val[i]));
}

/* A separable layer's depthwise kernel (no bias, never folded), or NULL. */
static qat_node *separable_kernel(qat_model *m, int i) {
    int dw = qat_separable_depthwise(m, i), param, mask;
    if (dw < 0) return NULL;
    qat_conv_kernel(&m->g, dw, &param, &mask);
    return &m->g.nodes[param];
}

void qat_float16_apply(qat_model *m) {
    for (int i = 0; i < m->n_layers; i++) {
        if (!affine_node(m, i)) continue;
        round_half(separable_kernel(m, i));
        int bn = i + 1 < m->n_layers && m->spec[i + 1].kind == QAT_LAYER_BATCHNORM;
        if (bn) fold_layer(m, i, i + 1);
        round_half(&m->g.nodes[m->layer[i].w]);
        /* The folded bias sits in β when BN was folded (see fold_layer). */
        round_half(bn ? &m->g.nodes[m->layer[i + 1].beta] : m->layer[i].b >= 0 ? &m->g.nodes[m->layer[i].b] : NULL);
    }
}

qat_status qat_dynamic_range_apply(qat_model *m, int min_elements, qat_error *e) {
    for (int i = 0; i < m->n_layers; i++) {
        const qat_node *A = affine_node(m, i);
        if (!A) continue;
        if (i + 1 < m->n_layers && m->spec[i + 1].kind == QAT_LAYER_BATCHNORM) fold_layer(m, i, i + 1);
        qat_node *W = &m->g.nodes[m->layer[i].w];
        /* the converter's hybrid kernels: per channel for convolutions, per tensor for dense */
        int axis = A->op == QAT_OP_DENSE ? QAT_WEIGHT_PER_TENSOR
                   : channels_last(m, i) ? QAT_WEIGHT_PER_LAST : QAT_WEIGHT_PER_ROW;
        qat_node *D = separable_kernel(m, i);
        if (D && D->size >= (size_t)min_elements && quantize_kernel(D, QAT_WEIGHT_PER_LAST))
            return qat_error_set(e, QAT_ERR_NOMEM, "dynamic range: out of memory");
        if (W->size >= (size_t)min_elements && quantize_kernel(W, axis))
            return qat_error_set(e, QAT_ERR_NOMEM, "dynamic range: out of memory");
    }
    return QAT_OK;
}
