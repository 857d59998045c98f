/* The fake-quant model: the float layer stack rebuilt with fake-quant nodes exactly where
 * the int8 model has int8 tensors (see quant.h), its parameters copied from the float model. */
#include <stdio.h>
#include <string.h>

#include "qat/ops.h"
#include "qat/quant.h"

typedef struct builder {
    const qat_model *fm; /* the float model: its layers' ops, shapes and masks */
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

/* The activation fake-quant of tensor `name` (the affine op it follows: rq, else NULL). A
 * learned range gets its parameter "<name>/step" (LSQ) or "<name>/alpha" (PACT: only after
 * a ReLU / ReLU6; other tensors keep the observer). */
static int fq_act(builder *b, const char *name, int x, int bits, int freeze,
                  const qat_fq_requant *rq) {
    qat_act_quantizer k = b->qc->act_quantizer;
    if (k == QAT_ACTQ_PACT && !(rq && rq->act != QAT_ACT_NONE)) k = QAT_ACTQ_OBSERVER;
    int one = 1, learned = k == QAT_ACTQ_OBSERVER ? -1
                                                   : param(b, name, k == QAT_ACTQ_PACT ? "alpha" : "step", 1, &one);
    qat_fq_opts o = {0, 0, b->qc->ptq_observer, b->qc->ema_decay, b->qc->percentile,
                     b->qc->ema_warmup, freeze, rq, k, learned};
    qat_act_range(bits, &o.qmin, &o.qmax);
    char nm[QAT_NODE_NAME_MAX];
    snprintf(nm, sizeof nm, "%s/fq", name);
    return qat_fake_quant(b->g, nm, x, &o);
}

/* LSQ weights: the learned scales "<name>/wscale", one per scale group; else -1. */
static int learned_scales(builder *b, const char *name, int w_real, int per_channel) {
    if (b->qc->weight_quantizer != QAT_WQ_LSQ || w_real < 0) return -1;
    const qat_node *W = &b->g->nodes[w_real];
    int n = per_channel == QAT_WEIGHT_PER_LAST ? W->dim[W->ndim - 1] : per_channel ? W->dim[0] : 1;
    return param(b, name, "wscale", 1, &n);
}

static qat_status layer_error(const qat_layer_spec *s, qat_error *e, const char *why) {
    return qat_error_set(e, QAT_ERR_CONFIG, "layer '%s': %s", s->name, why);
}

/* The float model's node for layer i's operator (its geometry is copied from there). */
static const qat_node *float_node(const builder *b, int node) {
    return &b->fm->g.nodes[node];
}

/* The affine op of a conv / dense layer, built like the float model's (same op, same
 * geometry params) on input x with kernel w and bias bias. */
static int affine_op(builder *b, const qat_node *F, const char *name, int x, int w, int bias) {
    qat_graph *g = b->g;
    switch (F->op) {
    case QAT_OP_CONV1D:
        return qat_conv1d(g, name, x, w, bias,
                          QAT_NODE_PARAMS_CONST(qat_conv1d_params, F, QAT_OP_CONV1D)->padding);
    case QAT_OP_CONV2D:
        return qat_conv2d(g, name, x, w, bias, QAT_NODE_PARAMS_CONST(qat_conv2d_params, F, F->op));
    case QAT_OP_DEPTHWISE_CONV2D:
        return qat_depthwise_conv2d(g, name, x, w, bias,
                                    QAT_NODE_PARAMS_CONST(qat_conv2d_params, F, F->op));
    default: return qat_dense(g, name, x, w, bias);
    }
}

/* How the op's kernel shares weight scales: per output channel (axis 0; the last axis of a
 * depthwise kernel) for convolutions when the config says so, per_channel_dense for dense. */
static int weight_axis(const builder *b, qat_op op) {
    if (op == QAT_OP_DENSE) return b->qc->per_channel_dense ? QAT_WEIGHT_PER_ROW : QAT_WEIGHT_PER_TENSOR;
    if (!b->qc->per_channel_conv) return QAT_WEIGHT_PER_TENSOR;
    return op == QAT_OP_DEPTHWISE_CONV2D ? QAT_WEIGHT_PER_LAST : QAT_WEIGHT_PER_ROW;
}

/* A param of the float node `f`'s shape. */
static int param_like(builder *b, const char *layer, const char *what, int f) {
    const qat_node *F = float_node(b, f);
    int dim[QAT_MAX_DIM], ndim = F->ndim;
    memcpy(dim, F->dim, sizeof dim);
    return param(b, layer, what, ndim, dim);
}

/* The pruning mask on kernel param w, as the float model has one there. */
static int mask_of(builder *b, const char *layer, const char *what, int w, int block) {
    char nm[QAT_NODE_NAME_MAX];
    snprintf(nm, sizeof nm, "%s/%s", layer, what);
    return qat_mask(b->g, nm, w, block);
}

/* conv1d / conv2d / depthwise / dense [→ batchnorm] [→ relu | relu6]: one int8 operator on
 * the current tensor. fi: the float model's op node; w_param, w_real: the kernel param and
 * what the op reads (the mask's output when pruned); bias: the bias param or -1. */
typedef struct affine_in {
    int fi, w_real, bias, bn, last;
    qat_activation act;
    const char *name;
} affine_in;

static int affine_operator(builder *b, int i, const affine_in *in) {
    qat_qmodel *qm = b->qm;
    const qat_layer_spec *s = &qm->m.spec[i];
    qat_graph *g = b->g;
    qat_op op = float_node(b, in->fi)->op;
    int w_real = in->w_real, b_real = in->bias;
    size_t bn_state = 0;
    if (in->bn >= 0) {
        const qat_layer_spec *sb = &qm->m.spec[in->bn];
        qat_model_layer *lb = &qm->m.layer[in->bn];
        lb->gamma = param_like(b, sb->name, "gamma", b->fm->layer[in->bn].gamma);
        lb->beta = param_like(b, sb->name, "beta", b->fm->layer[in->bn].beta);
        /* the float model's γ: this graph's may be -1 (out of memory) */
        bn_state = qat_graph_state(g, 2 * float_node(b, b->fm->layer[in->bn].gamma)->size);
        w_real = qat_fold_weight(g, in->name, w_real, lb->gamma, bn_state, sb->epsilon);
        b_real = qat_fold_bias(g, in->name, in->bias, lb->gamma, lb->beta, bn_state, sb->epsilon);
    }
    int wbits = s->weight_bits ? s->weight_bits : b->qc->weight_bits;
    int abits = s->act_bits ? s->act_bits : b->qc->act_bits;
    int per_channel = weight_axis(b, op), qmin, qmax;
    qat_weight_range(wbits, &qmin, &qmax);
    int ws = learned_scales(b, in->name, w_real, per_channel);
    int wq = qat_fake_quant_weight(g, in->name, w_real, qmax, per_channel, ws);
    if (wq >= 0)
        QAT_NODE_PARAMS(qat_fq_weight_params, &g->nodes[wq], QAT_OP_FQ_WEIGHT)->mse = b->qc->weight_mse;
    int bq = b_real >= 0 ? qat_fake_quant_bias(g, in->name, b_real, b->cur_fq, wq) : -1;
    int y = affine_op(b, float_node(b, in->fi), in->name, b->x, wq, bq), lin = y;
    if (in->bn >= 0 && b->qc->bn_freeze_epoch > 0)
        y = qat_bn_track(g, in->name, y, qm->m.layer[in->bn].beta, qm->m.layer[in->bn].gamma,
                         bn_state, qm->m.spec[in->bn].momentum, qm->m.spec[in->bn].epsilon,
                         b->qc->bn_freeze_epoch);
    if (in->act == QAT_ACT_RELU) y = qat_relu(g, in->name, y);
    if (in->act == QAT_ACT_RELU6) y = qat_relu6(g, in->name, y);
    qat_fq_requant rq = {lin, b->cur_fq, wq, in->act,
                         op == QAT_OP_DENSE && per_channel == QAT_WEIGHT_PER_TENSOR};
    y = fq_act(b, in->name, y, abits, b->qc->observer_freeze_epoch, &rq);
    if (y < 0 || w_real < 0) return -1;
    qat_qlayer *q = &qm->q[qm->n_q++];
    *q = (qat_qlayer){i,     s->kind, lin,         b->cur_fq,  y,         w_real, b_real, wq,
                      wbits, abits,   per_channel, in->act,    in->last, in->bn, bn_state, 0};
    b->x = b->cur_fq = y;
    return 0;
}

void qat_conv_kernel(const qat_graph *g, int op, int *param, int *mask) {
    int k = g->nodes[op].in[1];
    if (g->nodes[k].op == QAT_OP_FQ_WEIGHT) k = g->nodes[k].in[0];
    *mask = g->nodes[k].op == QAT_OP_MASK ? k : -1;
    *param = *mask >= 0 ? g->nodes[k].in[0] : k;
}

int qat_separable_depthwise(const qat_model *fm, int i) {
    const qat_graph *g = &fm->g;
    if (fm->layer[i].linear < 0) return -1;
    int in = g->nodes[fm->layer[i].linear].in[0], prev = i > 0 ? fm->layer[i - 1].out : fm->input;
    return g->nodes[in].op == QAT_OP_DEPTHWISE_CONV2D && in != prev ? in : -1;
}

/* The depthwise half of separable layer i (float node fd): its kernel (and mask) → the
 * depthwise conv with no bias and no fused activation → the fake-quant of the int8 tensor
 * "<name>/depthwise" between the halves. */
static int depthwise_half(builder *b, int i, int fd) {
    const qat_layer_spec *s = &b->qm->m.spec[i];
    int fparam, fmask;
    qat_conv_kernel(&b->fm->g, fd, &fparam, &fmask);
    qat_model_layer *l = &b->qm->m.layer[i];
    int w = l->dw = param_like(b, s->name, "depthwise_kernel", fparam);
    if (fmask >= 0)
        w = l->dw_mask = mask_of(b, s->name, "depthwise_mask", w,
                    QAT_NODE_PARAMS_CONST(qat_mask_params, float_node(b, fmask), QAT_OP_MASK)->block);
    char nm[QAT_NODE_NAME_MAX];
    snprintf(nm, sizeof nm, "%s/depthwise", s->name);
    affine_in in = {fd, w, -1, -1, i, QAT_ACT_NONE, nm};
    if (affine_operator(b, i, &in)) return -1;
    b->qm->q[b->qm->n_q - 1].depthwise_half = 1;
    l->mid = b->qm->q[b->qm->n_q - 1].node;
    return 0;
}

/* A conv / dense layer [→ batchnorm] [→ relu | relu6], layers i..j-1 as qat_int8_block
 * grouped them (a separable conv: its depthwise half, then the pointwise conv with the
 * folding and the activation). Returns j, or -1 (out of memory). */
static int affine_block(builder *b, int i, int j, const qat_int8_block_info *blk) {
    qat_qmodel *qm = b->qm;
    const qat_layer_spec *s = &qm->m.spec[i];
    const qat_model_layer *fl = &b->fm->layer[i];
    qat_model_layer *l = &qm->m.layer[i];
    int fd = qat_separable_depthwise(b->fm, i);
    if (fd >= 0 && depthwise_half(b, i, fd)) return -1;
    l->w = param_like(b, s->name, "kernel", fl->w);
    l->b = fl->b >= 0 ? param_like(b, s->name, "bias", fl->b) : -1;
    if (fl->mask >= 0) l->mask = mask_of(b, s->name, "mask", l->w, s->prune_block);
    affine_in in = {fl->linear, l->mask >= 0 ? l->mask : l->w, l->b, blk->bn, j - 1, blk->act,
                    s->name};
    if (affine_operator(b, i, &in)) return -1;
    l->linear = qm->q[qm->n_q - 1].node;
    for (int k = i; k < j; k++) qm->m.layer[k].out = b->x;
    return j;
}

/* Max-pool, average pool, flatten, dropout: values stay on their input's quantization grid;
 * an average pool's output is rounded there as the int8 kernel does (qat_fq_avgpool). */
static int passthrough(builder *b, int i) {
    qat_qmodel *qm = b->qm;
    const qat_layer_spec *s = &qm->m.spec[i];
    qat_model_layer *l = &qm->m.layer[i];
    const qat_node *F = float_node(b, b->fm->layer[i].out);
    qat_graph *g = b->g;
    int y;
    char nm[QAT_NODE_NAME_MAX];
    switch (F->op) {
    case QAT_OP_MAXPOOL1D: y = qat_maxpool1d(g, s->name, b->x, s->pool, s->padding); break;
    case QAT_OP_MAXPOOL2D:
        y = qat_maxpool2d(g, s->name, b->x, QAT_NODE_PARAMS_CONST(qat_pool2d_params, F, F->op));
        break;
    case QAT_OP_AVGPOOL2D:
    case QAT_OP_GLOBAL_AVGPOOL:
        y = F->op == QAT_OP_AVGPOOL2D
                ? qat_avgpool2d(g, s->name, b->x, QAT_NODE_PARAMS_CONST(qat_pool2d_params, F, F->op))
                : qat_global_avgpool(g, s->name, b->x);
        snprintf(nm, sizeof nm, "%s/fq", s->name); /* the int8 tensor's grid, as fq_act */
        y = qat_fq_avgpool(g, nm, y, b->cur_fq);
        break;
    case QAT_OP_FLATTEN: y = qat_flatten(g, s->name, b->x); break;
    default: y = qat_dropout(g, s->name, b->x, s->rate); break;
    }
    if (y < 0) return -1;
    if (F->op != QAT_OP_DROPOUT) {
        qat_qlayer *q = &qm->q[qm->n_q++];
        *q = (qat_qlayer){i, s->kind, y, b->cur_fq, b->cur_fq, -1, -1, -1, 0, 0, 0,
                          QAT_ACT_NONE, i, -1, 0, 0};
    }
    l->out = b->x = y;
    return i + 1;
}

static qat_status build_graph(builder *b, qat_error *e) {
    qat_qmodel *qm = b->qm;
    const qat_node *FI = float_node(b, b->fm->input);
    int dim[QAT_MAX_DIM], ndim = FI->ndim;
    memcpy(dim, FI->dim, sizeof dim);
    b->x = qm->m.input = qat_graph_input(b->g, "input", ndim, dim);
    qm->input_bits = b->qc->act_bits;
    b->x = b->cur_fq = qm->input_fq = fq_act(b, "input", b->x, b->qc->act_bits, b->qc->observer_freeze_epoch, NULL);
    for (int i = 0; i < qm->m.n_layers && b->x >= 0;) {
        const qat_layer_spec *s = &qm->m.spec[i];
        qat_int8_block_info blk;
        char why[QAT_ERROR_MAX];
        int j = qat_int8_block(qm->m.spec, qm->m.n_layers, i, &blk, why, sizeof why);
        if (j < 0) return layer_error(&qm->m.spec[blk.bad], e, why);
        i = qat_layer_has_kernel(s->kind) ? affine_block(b, i, j, &blk) : passthrough(b, i);
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
    for (int i = 0; i < qm->n_q; i++) { /* separable convs' depthwise kernels and masks */
        const qat_qlayer *q = &qm->q[i];
        if (!q->depthwise_half) continue;
        int fp, fk, qp, qk;
        qat_conv_kernel(&fm->g, qat_separable_depthwise(fm, q->spec), &fp, &fk);
        qat_conv_kernel(&qm->m.g, q->node, &qp, &qk);
        if (to_q) copy_param(&qm->m.g, qp, &fm->g, fp);
        else copy_param(&fm->g, fp, &qm->m.g, qp);
        if (fk >= 0 && qk >= 0) {
            float *fs = fm->g.state + fm->g.nodes[fk].offset, *qs = qm->m.g.state + qm->m.g.nodes[qk].offset;
            memcpy(to_q ? qs : fs, to_q ? fs : qs, fm->g.nodes[fk].size * sizeof(float));
        }
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
    /* Every layer starts with no nodes (-1, not the 0 of the memset: node 0 exists); the
     * blocks fill in what they build. A relu/relu6 layer fused into the operator before it
     * keeps only its output. */
    for (int i = 0; i < fm->n_layers; i++) m->layer[i] = QAT_MODEL_LAYER_NONE;
    builder b = {fm, qm, qc, &m->g, -1, -1};
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
