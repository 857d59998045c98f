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

/* The kernel as the layer's op sees it: through a pruning mask when the model has them. */
static int kernel(qat_model *m, int i, int masks) {
    const qat_layer_spec *s = &m->spec[i];
    qat_model_layer *l = &m->layer[i];
    if (!masks || !s->prune) return l->w;
    char name[QAT_NODE_NAME_MAX];
    snprintf(name, sizeof name, "%s/mask", s->name);
    return l->mask = qat_mask(&m->g, name, l->w, s->prune_block);
}

/* Adds one layer on node x; returns its output node (or -1: out of memory). */
static int add_layer(qat_model *m, int i, int x, int masks) {
    const qat_layer_spec *s = &m->spec[i];
    qat_model_layer *l = &m->layer[i];
    qat_graph *g = &m->g;
    const qat_node *X = &g->nodes[x];
    int last = X->dim[X->ndim - 1];
    *l = (qat_model_layer){-1, -1, -1, -1, -1, -1, -1};
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
    case QAT_LAYER_KIND_COUNT: break;
    }
    QAT_ASSERT(!"unknown layer kind");
    return -1;
}

static qat_status build(qat_model *m, const qat_layer_spec *layers, int n_layers, int window,
                        int channels, int n_classes, int max_batch, int masks, qat_error *e) {
    memset(m, 0, sizeof *m);
    QAT_ASSERT(n_layers > 0 && n_layers <= QAT_MAX_LAYERS);
    qat_graph_init(&m->g);
    memcpy(m->spec, layers, (size_t)n_layers * sizeof *layers);
    m->n_layers = n_layers;
    m->window = window;
    m->channels = channels;
    m->n_classes = n_classes;
    int dim[2] = {window, channels};
    int x = m->input = qat_graph_input(&m->g, "input", 2, dim);
    for (int i = 0; i < n_layers && x >= 0; i++) x = m->layer[i].out = add_layer(m, i, x, masks);
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

qat_status qat_model_build(qat_model *m, const qat_layer_spec *layers, int n_layers, int window,
                           int channels, int n_classes, int max_batch, qat_error *e) {
    return build(m, layers, n_layers, window, channels, n_classes, max_batch, 0, e);
}

qat_status qat_model_build_masked(qat_model *m, const qat_layer_spec *layers, int n_layers,
                                  int window, int channels, int n_classes, int max_batch,
                                  qat_error *e) {
    return build(m, layers, n_layers, window, channels, n_classes, max_batch, 1, e);
}

void qat_model_free(qat_model *m) {
    qat_graph_free(&m->g);
}

static void glorot(qat_node *w, int fan_in, int fan_out, qat_rng *rng) {
    double limit = sqrt(6.0 / (fan_in + fan_out));
    for (size_t i = 0; i < w->size; i++)
        w->val[i] = (float)((2 * qat_rng_uniform(rng) - 1) * limit);
}

void qat_model_init(qat_model *m, qat_rng *rng) {
    qat_graph *g = &m->g;
    memset(g->params, 0, g->n_params * sizeof(float));
    for (int i = 0; i < m->n_layers; i++) {
        const qat_model_layer *l = &m->layer[i];
        if (l->w >= 0) {
            qat_node *w = &g->nodes[l->w];
            int recept = w->ndim == 3 ? w->dim[1] : 1, out = w->dim[0];
            int in = w->ndim == 3 ? w->dim[2] : w->dim[1];
            glorot(w, recept * in, recept * out, rng);
        }
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

/* Inference on n samples, copying per batch either the probabilities or the logits. */
static void infer(qat_model *m, const float *x, int n, float *out, int logits) {
    qat_graph *g = &m->g;
    size_t in = (size_t)m->window * m->channels;
    for (int start = 0; start < n; start += g->max_batch) {
        int b = n - start < g->max_batch ? n - start : g->max_batch;
        qat_pass p = {.batch = b};
        memcpy(g->nodes[m->input].val, x + start * in, b * in * sizeof(float));
        qat_graph_forward(g, &p, m->loss + 1);
        const float *y = logits ? g->nodes[g->nodes[m->loss].in[0]].val
                                : qat_softmax_xent_probs(g, m->loss);
        memcpy(out + (size_t)start * m->n_classes, y, (size_t)b * m->n_classes * sizeof(float));
    }
}

void qat_model_predict(qat_model *m, const float *x, int n, float *probs) {
    infer(m, x, n, probs, 0);
}

void qat_model_logits(qat_model *m, const float *x, int n, float *logits) {
    infer(m, x, n, logits, 1);
}

void qat_model_evaluate(qat_model *m, const qat_dataset *d, double *loss, double *accuracy) {
    qat_graph *g = &m->g;
    size_t in = (size_t)m->window * m->channels;
    double total = 0;
    int correct = 0;
    for (int start = 0; start < d->n; start += g->max_batch) {
        int b = d->n - start < g->max_batch ? d->n - start : g->max_batch;
        qat_pass p = {.batch = b, .labels = d->y + start};
        memcpy(g->nodes[m->input].val, d->x + start * in, b * in * sizeof(float));
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
    int ids[4] = {l->w, l->b, l->gamma, l->beta};
    long n = 0;
    for (int k = 0; k < 4; k++)
        if (ids[k] >= 0) n += (long)m->g.nodes[ids[k]].size;
    return n;
}

long qat_model_macs(const qat_model *m) {
    long macs = 0;
    for (int i = 0; i < m->n_layers; i++) {
        int lin = m->layer[i].linear;
        if (lin < 0) continue;
        const qat_node *y = &m->g.nodes[lin], *w = &m->g.nodes[m->layer[i].w];
        long rows = y->ndim == 2 ? y->dim[0] : 1;
        macs += rows * (long)w->size;
    }
    return macs;
}
