/* The dynamic-range model, simulated in float: int8 weights (symmetric, per channel for
 * convolutions, per tensor for dense layers, as the converter's hybrid ops), float
 * activations. Only kernels with at least `min_elements` weights are quantized, as the
 * converter's default (1024) does. Batch norm is folded first, as the converter does; the
 * folded model keeps its batchnorm nodes as identities (γ = √(σ² + ε), β = μ). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/quant.h"

static void fold_layer(qat_model *m, int conv_layer, int bn_layer) {
    qat_graph *g = &m->g;
    const qat_model_layer *l = &m->layer[conv_layer], *lb = &m->layer[bn_layer];
    qat_node *W = &g->nodes[l->w], *G = &g->nodes[lb->gamma], *B = &g->nodes[lb->beta];
    const qat_node *bn = &g->nodes[lb->out];
    int c = W->dim[0], row = (int)(W->size / (size_t)c);
    float *mu = g->state + bn->offset, *var = mu + c;
    double eps = m->spec[bn_layer].epsilon;
    for (int o = 0; o < c; o++) {
        double sd = sqrt((double)var[o] + eps), mult = G->val[o] / sd;
        for (int i = 0; i < row; i++) W->val[(size_t)o * row + i] = (float)(W->val[(size_t)o * row + i] * mult);
        double b = l->b >= 0 ? g->nodes[l->b].val[o] : 0;
        /* The folded bias goes into β; BN becomes y ↦ (y − μ)·1 + μ with γ = σ, β = μ. */
        double folded = B->val[o] + (b - mu[o]) * mult;
        if (l->b >= 0) g->nodes[l->b].val[o] = 0;
        G->val[o] = (float)sd;
        B->val[o] = (float)(folded);
        mu[o] = 0;
    }
}

static void quantize_kernel(qat_node *W, int per_channel) {
    int rows = W->dim[0], row = (int)(W->size / (size_t)rows);
    float *scales = malloc((size_t)rows * sizeof(float));
    if (!scales) return;
    qat_weight_scales(W->val, rows, row, per_channel, 127, scales);
    for (int r = 0; r < rows; r++)
        for (int i = 0; i < row; i++) {
            float s = scales[per_channel ? r : 0], *w = &W->val[(size_t)r * row + i];
            *w = (float)qat_quantize_weight(*w, s, -127, 127) * s;
        }
    free(scales);
}

void qat_dynamic_range_apply(qat_model *m, int min_elements) {
    for (int i = 0; i < m->n_layers; i++) {
        const qat_layer_spec *s = &m->spec[i];
        if (s->kind != QAT_LAYER_CONV1D && s->kind != QAT_LAYER_DENSE) continue;
        if (i + 1 < m->n_layers && m->spec[i + 1].kind == QAT_LAYER_BATCHNORM) fold_layer(m, i, i + 1);
        qat_node *W = &m->g.nodes[m->layer[i].w];
        if (W->size >= (size_t)min_elements) quantize_kernel(W, s->kind == QAT_LAYER_CONV1D);
    }
}
