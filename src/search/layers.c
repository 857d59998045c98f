/* A genome as the [layer.*] list a config would hold (search.h qat_genome_layers). */
#include <stdio.h>
#include <string.h>

#include "qat/search.h"

static qat_layer_spec *add(qat_layer_spec *l, int *n, qat_layer_kind kind, const char *fmt, int i) {
    qat_layer_spec *s = &l[(*n)++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, fmt, i);
    qat_layer_reset(s, kind);
    return s;
}

static qat_layer_kind conv_kind(int op, int two_d) {
    if (!two_d) return QAT_LAYER_CONV1D;
    return op == QAT_SEARCH_SEPARABLE ? QAT_LAYER_SEPARABLE_CONV2D
         : op == QAT_SEARCH_DEPTHWISE ? QAT_LAYER_DEPTHWISE_CONV2D
                                      : QAT_LAYER_CONV2D;
}

/* conv [→ batchnorm → relu|relu6], "same" padding; with batch norm the conv has no bias
 * (the norm's beta is one) and the activation is its own layer. */
static void add_block(qat_layer_spec *l, int *n, const qat_gene_block *b, int two_d, int i) {
    qat_layer_spec *c = add(l, n, conv_kind(b->op, two_d), "b%d_conv", i);
    c->units = b->filters;
    c->kernel = b->kernel;
    c->kernel_h = c->kernel_w = b->kernel;
    c->padding = QAT_PAD_SAME;
    c->activation = b->bn ? QAT_ACT_NONE : (qat_activation)b->act;
    c->use_bias = !b->bn;
    if (!b->bn) return;
    add(l, n, QAT_LAYER_BATCHNORM, "b%d_bn", i);
    add(l, n, b->act == QAT_ACT_RELU6 ? QAT_LAYER_RELU6 : QAT_LAYER_RELU, "b%d_act", i);
}

/* The map's size along its pooled axes is at least 2 (a pool would not shrink it below 1). */
static int poolable(const qat_shape *s) {
    return s->ndim == 3 ? s->dim[0] >= 2 && s->dim[1] >= 2 : s->ndim == 2 && s->dim[0] >= 2;
}

static qat_status shape_through(const qat_layer_spec *l, int from, int to, qat_shape *s,
                                qat_error *e) {
    for (int k = from; k < to; k++) {
        char why[160];
        qat_shape out;
        if (qat_layer_output_shape(&l[k], s, &out, why, sizeof why))
            return qat_error_set(e, QAT_ERR_CONFIG, "layer %s: %s", l[k].name, why);
        *s = out;
    }
    return QAT_OK;
}

qat_status qat_genome_layers(const qat_search_space *sp, const qat_genome *g,
                             qat_layer_spec *l, int *n_layers, qat_error *e) {
    const qat_search_config *c = sp->cfg;
    int two_d = sp->in.ndim == 3, n = 0, pools = 0;
    qat_shape s = sp->in;
    qat_status st = QAT_OK;
    for (int i = 0; i < g->n_blocks && !st; i++) {
        int first = n;
        add_block(l, &n, &g->b[i], two_d, i + 1);
        st = shape_through(l, first, n, &s, e);
        if (!st && i % 2 == 1 && poolable(&s)) {
            add(l, &n, two_d ? QAT_LAYER_MAXPOOL2D : QAT_LAYER_MAXPOOL1D, "pool%d", ++pools);
            st = shape_through(l, n - 1, n, &s, e);
        }
    }
    if (st) return st;
    add(l, &n, g->head == QAT_SEARCH_HEAD_GAP ? QAT_LAYER_GLOBAL_AVGPOOL : QAT_LAYER_FLATTEN,
        g->head == QAT_SEARCH_HEAD_GAP ? "gap" : "flatten", 0);
    if (g->dense > 0) {
        qat_layer_spec *d = add(l, &n, QAT_LAYER_DENSE, "dense", 0);
        d->units = g->dense;
        d->activation = QAT_ACT_RELU;
    }
    if (c->dropout > 0) add(l, &n, QAT_LAYER_DROPOUT, "dropout", 0)->rate = c->dropout;
    qat_layer_spec *out = add(l, &n, QAT_LAYER_DENSE, "output", 0);
    out->units = sp->n_classes;
    out->activation = QAT_ACT_SOFTMAX;
    *n_layers = n;
    return QAT_OK;
}
