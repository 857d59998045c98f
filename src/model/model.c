/* Building the graph from the layer list, initialising it, and running inference. */
#include "qat/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qat/ops.h"
#include "qat/prune.h"

static int param(qat_model *m, const char *layer, const char *what, int ndim, const int *dim) {
    char name[QAT_NODE_NAME_MAX];
    snprintf(name, sizeof name, "%s/%s", layer, what);
    return qat_graph_param(&m->g, name, ndim, dim);
}

static int activation(qat_graph *g, const char *name, int x, qat_activation act) {
    if (act == QAT_ACT_RELU) return qat_relu(g, name, x);
    if (act == QAT_ACT_RELU6) return qat_relu6(g, name, x);
    return x; /* none, or softmax (fused into the loss) */
}

/* A kernel as the layer's op sees it: through a pruning mask (named NAME/what) when the
 * model has them. */
static int masked(qat_model *m, int i, int w, const char *what, int masks, int *mask) {
    const qat_layer_spec *s = &m->spec[i];
    if (!masks || !s->prune) return w;
    char name[QAT_NODE_NAME_MAX];
    snprintf(name, sizeof name, "%s/%s", s->name, what);
    return *mask = qat_mask(&m->g, name, w, s->prune_block);
}

static int kernel(qat_model *m, int i, int masks) {
    return masked(m, i, m->layer[i].w, "mask", masks, &m->layer[i].mask);
}

/* The layer's bias param (O) when it has one; 0 on success, -1 out of memory. */
static int bias(qat_model *m, int i, int o) {
    const qat_layer_spec *s = &m->spec[i];
    int bd[1] = {o};
    m->layer[i].b = s->use_bias ? param(m, s->name, "bias", 1, bd) : -1;
    return s->use_bias && m->layer[i].b < 0 ? -1 : 0;
}

static qat_conv2d_params conv_params(const qat_layer_spec *s) {
    return (qat_conv2d_params){.stride_h = s->stride_h, .stride_w = s->stride_w,
                               .padding = s->padding, .depth_multiplier = 1};
}

/* conv2d: kernel (O, KH, KW, C) → [conv2d] → activation. */
static int add_conv2d(qat_model *m, int i, int x, int c, int masks) {
    const qat_layer_spec *s = &m->spec[i];
    qat_model_layer *l = &m->layer[i];
    int wd[4] = {s->units, s->kernel_h, s->kernel_w, c};
    l->w = param(m, s->name, "kernel", 4, wd);
    if (l->w < 0 || bias(m, i, s->units) < 0) return -1;
    int k = kernel(m, i, masks);
    qat_conv2d_params p = conv_params(s);
    l->linear = k < 0 ? -1 : qat_conv2d(&m->g, s->name, x, k, l->b, &p);
    return l->linear < 0 ? -1 : activation(&m->g, s->name, l->linear, s->activation);
}

/* depthwise_conv2d: kernel (1, KH, KW, C·M) → [depthwise] → activation. */
static int add_depthwise(qat_model *m, int i, int x, int c, int masks) {
    const qat_layer_spec *s = &m->spec[i];
    qat_model_layer *l = &m->layer[i];
    int wd[4] = {1, s->kernel_h, s->kernel_w, c * s->depth_multiplier};
    l->w = param(m, s->name, "depthwise_kernel", 4, wd);
    if (l->w < 0 || bias(m, i, wd[3]) < 0) return -1;
    int k = kernel(m, i, masks);
    qat_conv2d_params p = conv_params(s);
    p.depth_multiplier = s->depth_multiplier;
    l->linear = k < 0 ? -1 : qat_depthwise_conv2d(&m->g, s->name, x, k, l->b, &p);
    return l->linear < 0 ? -1 : activation(&m->g, s->name, l->linear, s->activation);
}

/* separable_conv2d (Keras): depthwise (1, KH, KW, C·M) without bias → mid → pointwise
 * 1×1 conv2d (O, 1, 1, C·M) with the bias → activation. Both kernels are masked. */
static int add_separable(qat_model *m, int i, int x, int c, int masks) {
    const qat_layer_spec *s = &m->spec[i];
    qat_model_layer *l = &m->layer[i];
    int cm = c * s->depth_multiplier;
    int dd[4] = {1, s->kernel_h, s->kernel_w, cm}, pd[4] = {s->units, 1, 1, cm};
    l->dw = param(m, s->name, "depthwise_kernel", 4, dd);
    l->w = param(m, s->name, "pointwise_kernel", 4, pd);
    if (l->dw < 0 || l->w < 0 || bias(m, i, s->units) < 0) return -1;
    int dk = masked(m, i, l->dw, "depthwise_mask", masks, &l->dw_mask);
    int pk = dk < 0 ? -1 : kernel(m, i, masks);
    if (pk < 0) return -1;
    char name[QAT_NODE_NAME_MAX];
    snprintf(name, sizeof name, "%s/depthwise", s->name);
    qat_conv2d_params p = conv_params(s);
    p.depth_multiplier = s->depth_multiplier;
    l->mid = qat_depthwise_conv2d(&m->g, name, x, dk, -1, &p);
    qat_conv2d_params one = {.stride_h = 1, .stride_w = 1, .padding = QAT_PAD_VALID,
                             .depth_multiplier = 1};
    l->linear = l->mid < 0 ? -1 : qat_conv2d(&m->g, s->name, l->mid, pk, l->b, &one);
    return l->linear < 0 ? -1 : activation(&m->g, s->name, l->linear, s->activation);
}

static int add_pool2d(qat_model *m, int i, int x) {
    const qat_layer_spec *s = &m->spec[i];
    qat_pool2d_params p = {.pool_h = s->pool_h, .pool_w = s->pool_w, .stride_h = s->stride_h,
                           .stride_w = s->stride_w, .padding = s->padding};
    if (s->kind == QAT_LAYER_MAXPOOL2D) return qat_maxpool2d(&m->g, s->name, x, &p);
    return qat_avgpool2d(&m->g, s->name, x, &p);
}

/* Adds one layer on node x; returns its output node (or -1: out of memory). */
static int add_layer(qat_model *m, int i, int x, int masks) {
    const qat_layer_spec *s = &m->spec[i];
    qat_model_layer *l = &m->layer[i];
    qat_graph *g = &m->g;
    const qat_node *X = &g->nodes[x];
    int last = X->dim[X->ndim - 1];
    *l = QAT_MODEL_LAYER_NONE;
    switch (s->kind) {
    case QAT_LAYER_CONV1D: {
        int wd[3] = {s->units, s->kernel, last}, bd[1] = {s->units};
        l->w = param(m, s->name, "kernel", 3, wd);
        l->b = s->use_bias ? param(m, s->name, "bias", 1, bd) : -1;
        if (l->w < 0 || (s->use_bias && l->b < 0)) return -1;
        int k = kernel(m, i, masks);
        l->linear = k < 0 ? -1 : qat_conv1d(g, s->name, x, k, l->b, s->padding);
        return l->linear < 0 ? -1 : activation(g, s->name, l->linear, s->activation);
    }
    case QAT_LAYER_DENSE: {
        int wd[2] = {s->units, last}, bd[1] = {s->units};
        l->w = param(m, s->name, "kernel", 2, wd);
        l->b = s->use_bias ? param(m, s->name, "bias", 1, bd) : -1;
        if (l->w < 0 || (s->use_bias && l->b < 0)) return -1;
        int k = kernel(m, i, masks);
        l->linear = k < 0 ? -1 : qat_dense(g, s->name, x, k, l->b);
        return l->linear < 0 ? -1 : activation(g, s->name, l->linear, s->activation);
    }
    case QAT_LAYER_BATCHNORM: {
        int cd[1] = {last};
        l->gamma = param(m, s->name, "gamma", 1, cd);
        l->beta = param(m, s->name, "beta", 1, cd);
        if (l->gamma < 0 || l->beta < 0) return -1;
        return qat_batchnorm(g, s->name, x, l->gamma, l->beta, s->momentum, s->epsilon);
    }
    case QAT_LAYER_RELU: return qat_relu(g, s->name, x);
    case QAT_LAYER_RELU6: return qat_relu6(g, s->name, x);
    case QAT_LAYER_MAXPOOL1D: return qat_maxpool1d(g, s->name, x, s->pool, s->padding);
    case QAT_LAYER_FLATTEN: return qat_flatten(g, s->name, x);
    case QAT_LAYER_DROPOUT: return qat_dropout(g, s->name, x, s->rate);
    case QAT_LAYER_CONV2D: return add_conv2d(m, i, x, last, masks);
    case QAT_LAYER_DEPTHWISE_CONV2D: return add_depthwise(m, i, x, last, masks);
    case QAT_LAYER_SEPARABLE_CONV2D: return add_separable(m, i, x, last, masks);
    case QAT_LAYER_MAXPOOL2D:
    case QAT_LAYER_AVGPOOL2D: return add_pool2d(m, i, x);
    case QAT_LAYER_GLOBAL_AVGPOOL: return qat_global_avgpool(g, s->name, x);
    case QAT_LAYER_KIND_COUNT: break;
    }
    QAT_ASSERT(!"unknown layer kind");
    return -1;
}

/* Adds every layer, checking each output against the shape routine the config validation
 * uses (a validated stack builds to exactly the shapes it was checked with). */
static int add_layers(qat_model *m, int x, int masks) {
    qat_shape shape = m->in;
    for (int i = 0; i < m->n_layers && x >= 0; i++) {
        char why[256];
        qat_shape next;
        QAT_ASSERT(qat_layer_output_shape(&m->spec[i], &shape, &next, why, sizeof why) == QAT_OK);
        x = m->layer[i].out = add_layer(m, i, x, masks);
        if (x < 0) break;
        const qat_node *n = &m->g.nodes[x];
        QAT_ASSERT(n->ndim == next.ndim);
        for (int d = 0; d < n->ndim; d++) QAT_ASSERT(n->dim[d] == next.dim[d]);
        shape = next;
    }
    return x;
}

static qat_status build(qat_model *m, const qat_layer_spec *layers, int n_layers,
                        const qat_shape *in, int n_classes, int max_batch, int masks,
                        qat_error *e) {
    memset(m, 0, sizeof *m);
    QAT_ASSERT(n_layers > 0 && n_layers <= QAT_MAX_LAYERS);
    QAT_ASSERT(in->ndim == 2 || in->ndim == 3);
    qat_graph_init(&m->g);
    memcpy(m->spec, layers, (size_t)n_layers * sizeof *layers);
    m->n_layers = n_layers;
    m->in = *in;
    m->channels = in->dim[in->ndim - 1];
    m->window = in->ndim == 3 ? in->dim[0] * in->dim[1] : in->dim[0];
    m->n_classes = n_classes;
    m->input = qat_graph_input(&m->g, "input", in->ndim, in->dim);
    int x = m->input < 0 ? -1 : add_layers(m, m->input, masks);
    m->logits = x;
    m->loss = x < 0 ? -1 : qat_softmax_xent(&m->g, "loss", x);
    if (m->loss < 0) {
        qat_graph_free(&m->g);
        return qat_error_set(e, QAT_ERR_NOMEM, "model: out of memory building the graph");
    }
    QAT_ASSERT(m->g.nodes[m->logits].ndim == 1 &&
               m->g.nodes[m->logits].dim[0] == n_classes);
    qat_status st = qat_graph_compile(&m->g, max_batch, e);
    if (st) qat_graph_free(&m->g);
    else qat_prune_reset(&m->g);
    return st;
}

qat_status qat_model_build_shape(qat_model *m, const qat_layer_spec *layers, int n_layers,
                                 const qat_shape *in, int n_classes, int max_batch, int masks,
                                 qat_error *e) {
    return build(m, layers, n_layers, in, n_classes, max_batch, masks, e);
}

qat_status qat_model_build(qat_model *m, const qat_layer_spec *layers, int n_layers, int window,
                           int channels, int n_classes, int max_batch, qat_error *e) {
    qat_shape in = qat_input_shape(0, 0, window, channels);
    return build(m, layers, n_layers, &in, n_classes, max_batch, 0, e);
}

qat_status qat_model_build_masked(qat_model *m, const qat_layer_spec *layers, int n_layers,
                                  int window, int channels, int n_classes, int max_batch,
                                  qat_error *e) {
    qat_shape in = qat_input_shape(0, 0, window, channels);
    return build(m, layers, n_layers, &in, n_classes, max_batch, 1, e);
}

void qat_model_free(qat_model *m) {
    qat_graph_free(&m->g);
}

static void glorot(qat_node *w, int fan_in, int fan_out, qat_rng *rng) {
    double limit = sqrt(6.0 / (fan_in + fan_out));
    for (size_t i = 0; i < w->size; i++)
        w->val[i] = (float)((2 * qat_rng_uniform(rng) - 1) * limit);
}

/* Keras' fans (tensorflow/python/keras/initializers/initializers_v2.py, _compute_fans):
 * for a kernel of shape (*receptive_field, in, out), fan_in = receptive·in and
 * fan_out = receptive·out. Ours are stored out-first: dense (O, I); conv1d (O, K, C);
 * conv2d (O, KH, KW, C). Keras' DepthwiseConv2D.build makes its kernel
 * (KH, KW, input_dim, depth_multiplier) — stored here (1, KH, KW, C·M) as TFLite does — so
 * its fan_in = KH·KW·C and fan_out = KH·KW·M. SeparableConv2D's two kernels are each
 * initialised by their own shapes the same way. */
void qat_model_fans(const qat_node *w, int depth_multiplier, int *fan_in, int *fan_out) {
    int receptive = 1;
    for (int d = 1; d < w->ndim - 1; d++) receptive *= w->dim[d];
    int in = w->dim[w->ndim - 1], out = w->dim[0];
    if (depth_multiplier > 0) { /* depthwise (1, KH, KW, C·M) */
        out = depth_multiplier;
        in /= depth_multiplier;
    }
    *fan_in = receptive * in;
    *fan_out = receptive * out;
}

static void init_kernel(qat_graph *g, int w, int depth_multiplier, qat_rng *rng) {
    if (w < 0) return;
    int fan_in, fan_out;
    qat_model_fans(&g->nodes[w], depth_multiplier, &fan_in, &fan_out);
    glorot(&g->nodes[w], fan_in, fan_out, rng);
}

void qat_model_init(qat_model *m, qat_rng *rng) {
    qat_graph *g = &m->g;
    memset(g->params, 0, g->n_params * sizeof(float));
    for (int i = 0; i < m->n_layers; i++) {
        const qat_model_layer *l = &m->layer[i];
        qat_layer_kind k = m->spec[i].kind;
        int dm = m->spec[i].depth_multiplier;
        init_kernel(g, l->dw, dm, rng); /* separable: the depthwise half first */
        init_kernel(g, l->w, k == QAT_LAYER_DEPTHWISE_CONV2D ? dm : 0, rng);
        if (l->gamma >= 0)
            for (size_t j = 0; j < g->nodes[l->gamma].size; j++) g->nodes[l->gamma].val[j] = 1;
    }
    /* Batch-norm state: running mean 0, running variance 1. */
    for (int i = 0; i < g->n_nodes; i++) {
        const qat_node *n = &g->nodes[i];
        if (n->op != QAT_OP_BATCHNORM) continue;
        size_t c = (size_t)n->dim[n->ndim - 1];
        for (size_t j = 0; j < c; j++) {
            g->state[n->offset + j] = 0;
            g->state[n->offset + c + j] = 1;
        }
    }
}

/* Inference on d's samples, copying per batch either the probabilities or the logits. */
static void infer(qat_model *m, const qat_dataset *d, float *out, int logits) {
    qat_graph *g = &m->g;
    for (int start = 0; start < d->n; start += g->max_batch) {
        int b = d->n - start < g->max_batch ? d->n - start : g->max_batch;
        qat_pass p = {.batch = b};
        qat_dataset_read(d, start, b, g->nodes[m->input].val);
        qat_graph_forward(g, &p, m->loss + 1);
        const float *y = logits ? g->nodes[g->nodes[m->loss].in[0]].val
                                : qat_softmax_xent_probs(g, m->loss);
        memcpy(out + (size_t)start * m->n_classes, y, (size_t)b * m->n_classes * sizeof(float));
    }
}

/* n samples of x as a dataset (a view: it owns nothing). */
static qat_dataset view(const qat_model *m, const float *x, int n) {
    return (qat_dataset){.n = n, .window = m->window, .channels = m->channels, .x = (float *)x};
}

void qat_model_predict(qat_model *m, const float *x, int n, float *probs) {
    qat_dataset d = view(m, x, n);
    infer(m, &d, probs, 0);
}

void qat_model_logits(qat_model *m, const float *x, int n, float *logits) {
    qat_dataset d = view(m, x, n);
    infer(m, &d, logits, 1);
}

void qat_model_predict_data(qat_model *m, const qat_dataset *d, float *probs) {
    infer(m, d, probs, 0);
}

void qat_model_logits_data(qat_model *m, const qat_dataset *d, float *logits) {
    infer(m, d, logits, 1);
}

void qat_model_evaluate(qat_model *m, const qat_dataset *d, double *loss, double *accuracy) {
    qat_graph *g = &m->g;
    double total = 0;
    int correct = 0;
    for (int start = 0; start < d->n; start += g->max_batch) {
        int b = d->n - start < g->max_batch ? d->n - start : g->max_batch;
        qat_pass p = {.batch = b, .labels = d->y + start};
        qat_dataset_read(d, start, b, g->nodes[m->input].val);
        qat_graph_forward(g, &p, m->loss + 1);
        total += g->nodes[m->loss].val[0] * b;
        correct += qat_model_correct(m, d->y + start, b);
    }
    *loss = d->n ? total / d->n : 0;
    *accuracy = d->n ? (double)correct / d->n : 0;
}

int qat_model_correct(const qat_model *m, const int *labels, int b) {
    const float *pr = qat_softmax_xent_probs(&m->g, m->loss);
    int k = m->n_classes, hits = 0;
    for (int i = 0; i < b; i++) {
        int best = 0;
        for (int j = 1; j < k; j++)
            if (pr[i * k + j] > pr[i * k + best]) best = j;
        hits += best == labels[i];
    }
    return hits;
}

long qat_model_layer_params(const qat_model *m, int i) {
    const qat_model_layer *l = &m->layer[i];
    int ids[5] = {l->w, l->b, l->gamma, l->beta, l->dw};
    long n = 0;
    for (int k = 0; k < 5; k++)
        if (ids[k] >= 0) n += (long)m->g.nodes[ids[k]].size;
    return n;
}

long qat_model_layer_macs(const qat_model *m, int i) {
    const qat_model_layer *l = &m->layer[i];
    if (l->linear < 0) return 0;
    /* Each output position multiplies the whole kernel (depthwise: one tap row per output
     * channel, which is its kernel's size again); a separable layer does both halves. */
    const qat_node *y = &m->g.nodes[l->linear];
    long positions = 1, taps = (long)m->g.nodes[l->w].size;
    for (int d = 0; d + 1 < y->ndim; d++) positions *= y->dim[d];
    if (l->dw >= 0) taps += (long)m->g.nodes[l->dw].size;
    return positions * taps;
}

long qat_model_macs(const qat_model *m) {
    long macs = 0;
    for (int i = 0; i < m->n_layers; i++) {
        int lin = m->layer[i].linear;
        if (lin < 0) continue;
        macs += qat_model_layer_macs(m, i);
    }
    return macs;
}
