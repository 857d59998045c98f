/* 2-D float models built directly from the graph ops, layer by layer, for the tests, the
 * export tool and the benchmark that check quantization, lowering and export of 2-D layers
 * without the config and model builder. Each layer is what qat_model_build makes of it: its
 * nodes in qat_model_layer, a spec carrying what the quantizer reads (a batchnorm, a relu6,
 * a convolution's own activation); the ops and their geometry are the graph's.
 * Header-only (static inline): tools and benches link the library alone. */
#ifndef QAT_TEST_MODEL2D_H
#define QAT_TEST_MODEL2D_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qat/model.h"
#include "qat/ops.h"

static inline qat_model_layer *qat_m2d_add(qat_model *m, const char *name, qat_layer_kind kind,
                                           qat_activation act) {
    qat_layer_spec *s = &m->spec[m->n_layers];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->kind = kind;
    s->activation = act;
    s->use_bias = 1;
    s->momentum = 0.99;
    s->epsilon = 1e-3;
    qat_model_layer *l = &m->layer[m->n_layers++];
    *l = QAT_MODEL_LAYER_NONE;
    return l;
}

static inline int qat_m2d_param(qat_graph *g, const char *layer, const char *what, int ndim,
                                const int *dim) {
    char nm[QAT_NODE_NAME_MAX];
    snprintf(nm, sizeof nm, "%s/%s", layer, what);
    return qat_graph_param(g, nm, ndim, dim);
}

/* Conv2D (o filters) or DepthwiseConv2D (depthwise: multiplier o) k×k, with bias; a relu
 * activation of its own when act says so. */
static inline int qat_m2d_conv(qat_model *m, int x, const char *name, int depthwise, int o, int k,
                               int stride, qat_padding pad, qat_activation act) {
    qat_graph *g = &m->g;
    int cin = g->nodes[x].dim[2];
    qat_model_layer *l = qat_m2d_add(m, name, QAT_LAYER_CONV1D, act);
    int wd[4] = {depthwise ? 1 : o, k, k, depthwise ? cin * o : cin};
    int bd[1] = {depthwise ? cin * o : o};
    l->w = qat_m2d_param(g, name, "kernel", 4, wd);
    l->b = qat_m2d_param(g, name, "bias", 1, bd);
    qat_conv2d_params cp = {stride, stride, pad, depthwise ? o : 1, 0, 0};
    l->linear = depthwise ? qat_depthwise_conv2d(g, name, x, l->w, l->b, &cp)
                          : qat_conv2d(g, name, x, l->w, l->b, &cp);
    l->out = act == QAT_ACT_RELU ? qat_relu(g, name, l->linear) : l->linear;
    return l->out;
}

static inline int qat_m2d_batchnorm(qat_model *m, int x, const char *name) {
    qat_model_layer *l = qat_m2d_add(m, name, QAT_LAYER_BATCHNORM, QAT_ACT_NONE);
    int cd[1] = {m->g.nodes[x].dim[2]};
    l->gamma = qat_m2d_param(&m->g, name, "gamma", 1, cd);
    l->beta = qat_m2d_param(&m->g, name, "beta", 1, cd);
    return l->out = qat_batchnorm(&m->g, name, x, l->gamma, l->beta, 0.99, 1e-3);
}

static inline int qat_m2d_relu6(qat_model *m, int x, const char *name) {
    return qat_m2d_add(m, name, QAT_LAYER_RELU6, QAT_ACT_NONE)->out = qat_relu6(&m->g, name, x);
}

/* A pruning mask on kernel param w (all ones but every third weight), as the float model
 * puts one between a pruned kernel and its op. */
static inline int qat_m2d_mask(qat_model *m, const char *layer, const char *what, int w) {
    char nm[QAT_NODE_NAME_MAX];
    snprintf(nm, sizeof nm, "%s/%s", layer, what);
    return qat_mask(&m->g, nm, w, 1);
}

/* SeparableConv2D as Keras builds it: a depthwise conv k×k (multiplier 1, no bias) then a
 * 1×1 pointwise conv with o filters and the bias, both in one layer (linear, w, b, mask are
 * the pointwise half's); masked: pruning masks on both kernels. */
static inline int qat_m2d_separable_conv(qat_model *m, int x, const char *name, int o, int k,
                                         int stride, qat_padding pad, int masked) {
    qat_graph *g = &m->g;
    int cin = g->nodes[x].dim[2];
    qat_model_layer *l = qat_m2d_add(m, name, QAT_LAYER_CONV1D, QAT_ACT_NONE);
    int dd[4] = {1, k, k, cin}, wd[4] = {o, 1, 1, cin}, bd[1] = {o};
    int dw = qat_m2d_param(g, name, "depthwise_kernel", 4, dd);
    l->w = qat_m2d_param(g, name, "kernel", 4, wd);
    l->b = qat_m2d_param(g, name, "bias", 1, bd);
    int dw_real = masked ? qat_m2d_mask(m, name, "depthwise_mask", dw) : dw;
    l->dw = dw;
    l->dw_mask = masked ? dw_real : -1;
    if (masked) l->mask = qat_m2d_mask(m, name, "mask", l->w);
    qat_conv2d_params dp = {stride, stride, pad, 1, 0, 0}, pp = {1, 1, QAT_PAD_VALID, 1, 0, 0};
    char nm[QAT_NODE_NAME_MAX];
    snprintf(nm, sizeof nm, "%s/depthwise", name);
    int mid = l->mid = qat_depthwise_conv2d(g, nm, x, dw_real, -1, &dp);
    return l->out = l->linear =
               qat_conv2d(g, name, mid, l->mask >= 0 ? l->mask : l->w, l->b, &pp);
}

/* MaxPool2D, AveragePool2D (ph × pw, stride) or global average pooling (op
 * QAT_OP_GLOBAL_AVGPOOL); its kind only needs to be none the quantizer fuses. */
static inline int qat_m2d_pool(qat_model *m, int x, const char *name, qat_op op, int ph, int pw,
                               int stride, qat_padding pad) {
    qat_model_layer *l = qat_m2d_add(m, name, QAT_LAYER_FLATTEN, QAT_ACT_NONE);
    qat_pool2d_params pp = {ph, pw, stride, stride, pad, 0, 0};
    return l->out = op == QAT_OP_MAXPOOL2D   ? qat_maxpool2d(&m->g, name, x, &pp)
                    : op == QAT_OP_AVGPOOL2D ? qat_avgpool2d(&m->g, name, x, &pp)
                                             : qat_global_avgpool(&m->g, name, x);
}

/* [flatten →] dense `classes` (the logits) → the loss; the model's sizes. */
static inline void qat_m2d_finish(qat_model *m, int x, int classes) {
    qat_graph *g = &m->g;
    if (g->nodes[x].ndim > 1)
        x = qat_m2d_add(m, "flatten", QAT_LAYER_FLATTEN, QAT_ACT_NONE)->out =
            qat_flatten(g, "flatten", x);
    qat_model_layer *l = qat_m2d_add(m, "fc", QAT_LAYER_DENSE, QAT_ACT_SOFTMAX);
    int wd[2] = {classes, (int)g->nodes[x].size}, bd[1] = {classes};
    l->w = qat_m2d_param(g, "fc", "kernel", 2, wd);
    l->b = qat_m2d_param(g, "fc", "bias", 1, bd);
    m->logits = l->out = l->linear = qat_dense(g, "fc", x, l->w, l->b);
    m->loss = qat_softmax_xent(g, "loss", m->logits);
    const qat_node *in = &g->nodes[m->input];
    m->channels = in->dim[in->ndim - 1];
    m->window = (int)(in->size / (size_t)m->channels); /* positions: H·W */
    m->in = (qat_shape){3, {in->dim[0], in->dim[1], in->dim[2]}};
    m->n_classes = classes;
}

static inline int qat_m2d_input(qat_model *m, int h, int w, int c) {
    memset(m, 0, sizeof *m);
    qat_graph_init(&m->g);
    int in[3] = {h, w, c};
    return m->input = qat_graph_input(&m->g, "input", 3, in);
}

/* The lab's CNN: 28×28×1 → conv2d 16 3×3 relu → maxpool 2 → conv2d 32 3×3 relu → maxpool 2
 * → flatten → dense 10. */
static inline void qat_m2d_lab(qat_model *m) {
    int x = qat_m2d_input(m, 28, 28, 1);
    x = qat_m2d_conv(m, x, "conv1", 0, 16, 3, 1, QAT_PAD_VALID, QAT_ACT_RELU);
    x = qat_m2d_pool(m, x, "pool1", QAT_OP_MAXPOOL2D, 2, 2, 2, QAT_PAD_VALID);
    x = qat_m2d_conv(m, x, "conv2", 0, 32, 3, 1, QAT_PAD_VALID, QAT_ACT_RELU);
    x = qat_m2d_pool(m, x, "pool2", QAT_OP_MAXPOOL2D, 2, 2, 2, QAT_PAD_VALID);
    qat_m2d_finish(m, x, 10);
}

/* The advanced chapter's block: 32×32×1 → conv2d 16 3×3 s2 SAME → batchnorm → relu6 →
 * separable 32 3×3 SAME → batchnorm → relu6 → global average pooling → dense 10; masked:
 * the separable conv's kernels pruned (qat_m2d_mask). */
static inline void qat_m2d_separable(qat_model *m, int masked) {
    int x = qat_m2d_input(m, 32, 32, 1);
    x = qat_m2d_conv(m, x, "conv1", 0, 16, 3, 2, QAT_PAD_SAME, QAT_ACT_NONE);
    x = qat_m2d_relu6(m, qat_m2d_batchnorm(m, x, "bn1"), "relu1");
    x = qat_m2d_separable_conv(m, x, "sep", 32, 3, 1, QAT_PAD_SAME, masked);
    x = qat_m2d_relu6(m, qat_m2d_batchnorm(m, x, "bn2"), "relu2");
    x = qat_m2d_pool(m, x, "gap", QAT_OP_GLOBAL_AVGPOOL, 0, 0, 0, QAT_PAD_VALID);
    qat_m2d_finish(m, x, 10);
}

/* Every 2-D piece in one small stack: (9, 10, 2) → c1 conv2d 4 3×3 s2 SAME relu (5, 5, 4)
 * → d1 depthwise ×2 3×3 SAME (5, 5, 8) → b1 batchnorm → r1 relu6 → p1 maxpool 2×2 s2 SAME
 * (3, 3, 8) → a1 avgpool 3×2 s1 SAME (3, 3, 8) → c2 conv2d 5 1×1 relu (3, 3, 5) → g1 global
 * avgpool (5) → fc dense `classes`. */
static inline void qat_m2d_mixed(qat_model *m, int classes) {
    int x = qat_m2d_input(m, 9, 10, 2);
    x = qat_m2d_conv(m, x, "c1", 0, 4, 3, 2, QAT_PAD_SAME, QAT_ACT_RELU);
    x = qat_m2d_conv(m, x, "d1", 1, 2, 3, 1, QAT_PAD_SAME, QAT_ACT_NONE);
    x = qat_m2d_relu6(m, qat_m2d_batchnorm(m, x, "b1"), "r1");
    x = qat_m2d_pool(m, x, "p1", QAT_OP_MAXPOOL2D, 2, 2, 2, QAT_PAD_SAME);
    x = qat_m2d_pool(m, x, "a1", QAT_OP_AVGPOOL2D, 3, 2, 1, QAT_PAD_SAME);
    x = qat_m2d_conv(m, x, "c2", 0, 5, 1, 1, QAT_PAD_VALID, QAT_ACT_RELU);
    x = qat_m2d_pool(m, x, "g1", QAT_OP_GLOBAL_AVGPOOL, 0, 0, 0, QAT_PAD_VALID);
    qat_m2d_finish(m, x, classes);
}

/* Deterministic values in [lo, hi) from a linear congruential sequence. */
static inline void qat_m2d_fill(float *v, size_t n, unsigned *seed, float lo, float hi) {
    for (size_t i = 0; i < n; i++) {
        *seed = *seed * 1103515245u + 12345u;
        v[i] = lo + (hi - lo) * (float)((*seed >> 8) & 0xffff) / 65536.0f;
    }
}

/* After qat_graph_compile: weights and biases from the sequence, batch-norm γ, β and
 * running statistics away from the identity, every mask zero on every third weight. */
static inline void qat_m2d_init(qat_model *m, unsigned seed) {
    qat_graph *g = &m->g;
    for (int i = 0; i < g->n_nodes; i++) {
        if (g->nodes[i].op == QAT_OP_MASK)
            for (size_t k = 0; k < g->nodes[i].size; k++)
                g->state[g->nodes[i].offset + k] = k % 3 == 1 ? 0.0f : 1.0f;
        if (g->nodes[i].op == QAT_OP_PARAM && strstr(g->nodes[i].name, "depthwise_kernel"))
            qat_m2d_fill(g->nodes[i].val, g->nodes[i].size, &seed, -0.6f, 0.6f);
    }
    for (int i = 0; i < m->n_layers; i++) {
        const qat_model_layer *l = &m->layer[i];
        if (l->w >= 0) {
            const qat_node *W = &g->nodes[l->w];
            float r = 1.7f / sqrtf((float)(W->size / (size_t)W->dim[0])) + 0.1f;
            qat_m2d_fill(W->val, W->size, &seed, -r, r);
        }
        if (l->b >= 0) qat_m2d_fill(g->nodes[l->b].val, g->nodes[l->b].size, &seed, -0.1f, 0.2f);
        if (l->gamma >= 0) {
            size_t c = g->nodes[l->gamma].size;
            qat_m2d_fill(g->nodes[l->gamma].val, c, &seed, 0.5f, 1.5f);
            qat_m2d_fill(g->nodes[l->beta].val, c, &seed, -0.3f, 0.3f);
            float *st = g->state + g->nodes[l->out].offset;
            qat_m2d_fill(st, c, &seed, -0.2f, 0.2f);        /* μ */
            qat_m2d_fill(st + c, c, &seed, 0.2f, 1.0f);     /* σ² */
        }
    }
}

#endif
