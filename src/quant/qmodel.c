/* The fake-quant model: the float layer stack rebuilt with fake-quant nodes exactly where
 * the int8 model has int8 tensors (see quant.h), its parameters copied from the float model. */
#include <stdio.h>
#include <string.h>

#include "qat/ops.h"
#include "qat/quant.h"

typedef struct builder {
    const int *masked; /* per layer: the float model prunes its kernel */
    qat_qmodel *qm;
    const qat_quant_config *qc;
    qat_graph *g;
    int x;      /* current node */
    int cur_fq; /* fake-quant node whose qparams x carries */
} builder;

static int param(builder *b, const char *layer, const char *what, int ndim, const int *dim) {
    char name[QAT_NODE_NAME_MAX];
    snprintf(name, sizeof name, "%s/%s", layer, what);
    return qat_graph_param(b->g, name, ndim, dim);
}

static int fq_act(builder *b, const char *name, int x, int bits, int freeze,
                  const qat_fq_requant *rq) {
    qat_fq_opts o = {0, 0, b->qc->ptq_observer, b->qc->ema_decay, b->qc->percentile,
                     b->qc->ema_warmup, freeze, rq};
    qat_act_range(bits, &o.qmin, &o.qmax);
    char nm[QAT_NODE_NAME_MAX];
    snprintf(nm, sizeof nm, "%s/fq", name);
    return qat_fake_quant(b->g, nm, x, &o);
}

static qat_status layer_error(const qat_layer_spec *s, qat_error *e, const char *why) {
    return qat_error_set(e, QAT_ERR_CONFIG, "layer '%s' (%s): %s", s->name,
                         qat_layer_kind_name(s->kind), why);
}

/* conv1d / dense [→ batchnorm] [→ relu | relu6]: one int8 operator. Returns the index of
 * the next unconsumed layer, or -1 (out of memory). */
static int affine_block(builder *b, int i) {
    qat_qmodel *qm = b->qm;
    const qat_layer_spec *s = &qm->m.spec[i];
    qat_model_layer *l = &qm->m.layer[i];
    qat_graph *g = b->g;
    const qat_node *X = &g->nodes[b->x];
    int conv = s->kind == QAT_LAYER_CONV1D, cin = X->dim[X->ndim - 1], j = i + 1;
    int bn = j < qm->m.n_layers && qm->m.spec[j].kind == QAT_LAYER_BATCHNORM ? j++ : -1;
    qat_activation act = s->activation == QAT_ACT_SOFTMAX ? QAT_ACT_NONE : s->activation;
    if (act == QAT_ACT_NONE && j < qm->m.n_layers &&
        (qm->m.spec[j].kind == QAT_LAYER_RELU || qm->m.spec[j].kind == QAT_LAYER_RELU6))
        act = qm->m.spec[j++].kind == QAT_LAYER_RELU ? QAT_ACT_RELU : QAT_ACT_RELU6;
    int wd[3] = {s->units, conv ? s->kernel : cin, cin}, bd[1] = {s->units};
    l->w = param(b, s->name, "kernel", conv ? 3 : 2, wd);
    l->b = s->use_bias ? param(b, s->name, "bias", 1, bd) : -1;
    if (b->masked[i]) { /* the float model's pruning mask comes along */
        char nm[QAT_NODE_NAME_MAX];
        snprintf(nm, sizeof nm, "%s/mask", s->name);
        l->mask = qat_mask(g, nm, l->w, s->prune_block);
    }
    int w_real = l->mask >= 0 ? l->mask : l->w, b_real = l->b;
    size_t bn_state = 0;
    if (bn >= 0) {
        const qat_layer_spec *sb = &qm->m.spec[bn];
        qat_model_layer *lb = &qm->m.layer[bn];
        lb->gamma = param(b, sb->name, "gamma", 1, bd);
        lb->beta = param(b, sb->name, "beta", 1, bd);
        bn_state = qat_graph_state(g, 2 * (size_t)s->units);
        w_real = qat_fold_weight(g, s->name, w_real, lb->gamma, bn_state, sb->epsilon);
        b_real = qat_fold_bias(g, s->name, l->b, lb->gamma, lb->beta, bn_state, sb->epsilon);
    }
    int wbits = s->weight_bits ? s->weight_bits : b->qc->weight_bits;
    int abits = s->act_bits ? s->act_bits : b->qc->act_bits;
    int per_channel = conv ? b->qc->per_channel_conv : b->qc->per_channel_dense, qmin, qmax;
    qat_weight_range(wbits, &qmin, &qmax);
    int wq = qat_fake_quant_weight(g, s->name, w_real, qmax, per_channel);
    int bq = b_real >= 0 ? qat_fake_quant_bias(g, s->name, b_real, b->cur_fq, wq) : -1;
    int y = conv ? qat_conv1d(g, s->name, b->x, wq, bq, s->padding)
                 : qat_dense(g, s->name, b->x, wq, bq);
    l->linear = y;
    if (bn >= 0 && b->qc->bn_freeze_epoch > 0)
        y = qat_bn_track(g, s->name, y, qm->m.layer[bn].beta, qm->m.layer[bn].gamma, bn_state,
                         qm->m.spec[bn].momentum, qm->m.spec[bn].epsilon, b->qc->bn_freeze_epoch);
    if (act == QAT_ACT_RELU) y = qat_relu(g, s->name, y);
    if (act == QAT_ACT_RELU6) y = qat_relu6(g, s->name, y);
    qat_fq_requant rq = {l->linear, b->cur_fq, wq, act, !conv && !per_channel};
    y = fq_act(b, s->name, y, abits, b->qc->observer_freeze_epoch, &rq);
    if (y < 0 || l->w < 0) return -1;
    qat_qlayer *q = &qm->q[qm->n_q++];
    *q = (qat_qlayer){i,     s->kind, b->cur_fq,   y,  w_real, b_real, wq, wbits, abits,
                      per_channel, act,     j - 1,       bn,      bn_state};
    for (int k = i; k < j; k++) qm->m.layer[k].out = y;
    b->x = b->cur_fq = y;
    return j;
}

/* Max-pool, flatten, dropout: values stay on their input's quantization grid. */
static int passthrough(builder *b, int i) {
    qat_qmodel *qm = b->qm;
    const qat_layer_spec *s = &qm->m.spec[i];
    qat_model_layer *l = &qm->m.layer[i];
    int y = s->kind == QAT_LAYER_MAXPOOL1D ? qat_maxpool1d(b->g, s->name, b->x, s->pool, s->padding)
            : s->kind == QAT_LAYER_FLATTEN ? qat_flatten(b->g, s->name, b->x)
                                           : qat_dropout(b->g, s->name, b->x, s->rate);
    if (y < 0) return -1;
    if (s->kind != QAT_LAYER_DROPOUT) {
        qat_qlayer *q = &qm->q[qm->n_q++];
        *q = (qat_qlayer){i, s->kind, b->cur_fq, b->cur_fq, -1, -1, -1, 0, 0, 0, QAT_ACT_NONE, i, -1, 0};
    }
    l->out = b->x = y;
    return i + 1;
}

static qat_status build_graph(builder *b, qat_error *e) {
    qat_qmodel *qm = b->qm;
    int dim[2] = {qm->m.window, qm->m.channels};
    b->x = qm->m.input = qat_graph_input(b->g, "input", 2, dim);
    b->x = b->cur_fq = qm->input_fq = fq_act(b, "input", b->x, b->qc->act_bits, b->qc->observer_freeze_epoch, NULL);
    for (int i = 0; i < qm->m.n_layers && b->x >= 0;) {
        const qat_layer_spec *s = &qm->m.spec[i];
        switch (s->kind) {
        case QAT_LAYER_CONV1D:
        case QAT_LAYER_DENSE:
            if (i + 1 < qm->m.n_layers && qm->m.spec[i + 1].kind == QAT_LAYER_BATCHNORM &&
                s->activation != QAT_ACT_NONE)
                return layer_error(s, e, "is followed by batchnorm but has an activation of its "
                                         "own: batch norm cannot be folded across it (set "
                                         "activation = none and add a relu/relu6 layer after "
                                         "the batchnorm)");
            i = affine_block(b, i);
            break;
        case QAT_LAYER_MAXPOOL1D:
        case QAT_LAYER_FLATTEN:
        case QAT_LAYER_DROPOUT: i = passthrough(b, i); break;
        default:
            return layer_error(s, e, "has no int8 form here: batchnorm and relu/relu6 layers "
                                     "must directly follow a conv1d or dense layer (with no "
                                     "activation of its own) to be folded and fused");
        }
        if (i < 0) b->x = -1;
    }
    qm->m.logits = b->x;
    qm->m.loss = b->x < 0 ? -1 : qat_softmax_xent(b->g, "loss", b->x);
    if (qm->m.loss < 0) return qat_error_set(e, QAT_ERR_NOMEM, "quantization: out of memory");
    return QAT_OK;
}

/* Copies a param node's values between two graphs (same shape by construction). */
static void copy_param(qat_graph *dst, int d, const qat_graph *src, int s) {
    if (d < 0 || s < 0) return;
    QAT_ASSERT(dst->nodes[d].size == src->nodes[s].size);
    memcpy(dst->nodes[d].val, src->nodes[s].val, src->nodes[s].size * sizeof(float));
}

/* Float model → fake-quant model (to_q) or back (!to_q): parameters and BN statistics. */
static void sync(qat_qmodel *qm, qat_model *fm, int to_q) {
    for (int i = 0; i < fm->n_layers; i++) {
        const qat_model_layer *fl = &fm->layer[i], *ql = &qm->m.layer[i];
        int fid[4] = {fl->w, fl->b, fl->gamma, fl->beta}, qid[4] = {ql->w, ql->b, ql->gamma, ql->beta};
        for (int k = 0; k < 4; k++)
            if (to_q) copy_param(&qm->m.g, qid[k], &fm->g, fid[k]);
            else copy_param(&fm->g, fid[k], &qm->m.g, qid[k]);
    }
    for (int i = 0; i < fm->n_layers; i++) {
        int fmask = fm->layer[i].mask, qmask = qm->m.layer[i].mask;
        if (fmask < 0 || qmask < 0) continue;
        const qat_node *f = &fm->g.nodes[fmask], *q = &qm->m.g.nodes[qmask];
        float *fs = fm->g.state + f->offset, *qs = qm->m.g.state + q->offset;
        memcpy(to_q ? qs : fs, to_q ? fs : qs, f->size * sizeof(float));
    }
    for (int i = 0; i < qm->n_q; i++) {
        const qat_qlayer *q = &qm->q[i];
        if (q->bn < 0) continue;
        const qat_node *bn = &fm->g.nodes[fm->layer[q->bn].out];
        size_t c2 = 2 * (size_t)bn->dim[bn->ndim - 1];
        float *fs = fm->g.state + bn->offset, *qs = qm->m.g.state + q->bn_state;
        memcpy(to_q ? qs : fs, to_q ? fs : qs, c2 * sizeof(float));
    }
}

qat_status qat_qmodel_build(qat_qmodel *qm, const qat_model *fm, const qat_quant_config *qc,
                            int max_batch, qat_error *e) {
    memset(qm, 0, sizeof *qm);
    qat_model *m = &qm->m;
    memcpy(m->spec, fm->spec, sizeof m->spec);
    m->n_layers = fm->n_layers;
    m->window = fm->window;
    m->channels = fm->channels;
    m->in = fm->in;
    m->n_classes = fm->n_classes;
    m->norm = fm->norm;
    qat_graph_init(&m->g);
    int masked[QAT_MAX_LAYERS];
    /* Every layer starts with no nodes (-1, not the 0 of the memset: node 0 exists); the
     * blocks fill in what they build. A relu/relu6 layer fused into the operator before it
     * keeps only its output. */
    for (int i = 0; i < fm->n_layers; i++) {
        m->layer[i] = QAT_MODEL_LAYER_NONE;
        masked[i] = fm->layer[i].mask >= 0;
    }
    builder b = {masked, qm, qc, &m->g, -1, -1};
    qat_status st = build_graph(&b, e);
    if (!st) st = qat_graph_compile(&m->g, max_batch, e);
    if (st) {
        qat_graph_free(&m->g);
        return st;
    }
    sync(qm, (qat_model *)fm, 1);
    return QAT_OK;
}

void qat_qmodel_free(qat_qmodel *qm) {
    qat_graph_free(&qm->m.g);
}

void qat_qmodel_export_float(const qat_qmodel *qm, qat_model *fm) {
    sync((qat_qmodel *)qm, fm, 0);
}

void qat_qmodel_set_observer(qat_qmodel *qm, qat_observer_kind observer) {
    for (int i = 0; i < qm->m.g.n_nodes; i++)
        if (qm->m.g.nodes[i].op == QAT_OP_FAKE_QUANT)
            QAT_NODE_PARAMS(qat_fake_quant_params, &qm->m.g.nodes[i], QAT_OP_FAKE_QUANT)->observer = observer;
}

void qat_qmodel_calibrate(qat_qmodel *qm, const qat_dataset *d, qat_observer_kind observer) {
    qat_graph *g = &qm->m.g;
    size_t in = (size_t)qm->m.window * qm->m.channels;
    qat_qmodel_set_observer(qm, observer);
    for (int start = 0; start < d->n; start += g->max_batch) {
        int b = d->n - start < g->max_batch ? d->n - start : g->max_batch;
        qat_pass p = {.batch = b, .calibrate = 1};
        memcpy(g->nodes[qm->m.input].val, d->x + start * in, b * in * sizeof(float));
        qat_graph_forward(g, &p, qm->m.logits + 1);
    }
}
