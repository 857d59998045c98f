/* QAT diagnostics (diagnose.h): one inference pass over the data counts, per activation
 * fake-quant, the values it clips and the integer levels it uses, and per folded batch norm
 * the pre-BN statistics of each channel; the kernels are checked as they are. */
#include "qat/diagnose.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One activation fake-quant node's counters. */
typedef struct act_stats {
    int node;
    char name[QAT_NODE_NAME_MAX];
    long values, clipped;
    unsigned char used[256]; /* integer levels seen, q + 128 */
} act_stats;

/* One folded batch norm: sums of its folded output y' per channel. */
typedef struct bn_stats {
    const qat_qlayer *q;
    double *sum, *sumsq; /* channels each */
    long rows;
} bn_stats;

typedef struct diag {
    qat_qmodel *qm;
    qat_diagnosis *out;
    int n_act, n_bn;
    act_stats act[QAT_MAX_LAYERS + 1];
    bn_stats bn[QAT_MAX_LAYERS];
} diag;

const char *qat_diag_kind_name(qat_diag_kind k) {
    static const char *const names[] = {"collapsed_range", "saturation", "dead_channels",
                                        "weight_outliers", "bn_drift"};
    _Static_assert(sizeof names / sizeof names[0] == QAT_DIAG_KIND_COUNT, "diagnosis names");
    return (unsigned)k < QAT_DIAG_KIND_COUNT ? names[k] : "unknown";
}

const char *qat_diag_remedy(qat_diag_kind k) {
    static const char *const remedy[] = {
        "the layer's outputs barely vary: check for dead ReLUs (a lower learning rate, BN before "
        "the activation) or remove the layer",
        "the range observer lags the data: use the minmax observer, a smaller ema_decay, or ReLU6 "
        "to bound the activation",
        "remove the dead filters (structured pruning) or retrain them from a new initialisation",
        "a few large weights set the scale: per-channel scales (per_channel_dense), more weight "
        "bits for this layer, or weight decay / clipping in float training",
        "re-estimate the statistics during QAT (bn_freeze_epoch = N) or fine-tune the float model "
        "longer before quantizing"};
    _Static_assert(sizeof remedy / sizeof remedy[0] == QAT_DIAG_KIND_COUNT, "remedies");
    return (unsigned)k < QAT_DIAG_KIND_COUNT ? remedy[k] : "";
}

__attribute__((format(printf, 5, 6)))
static void finding(diag *d, qat_diag_kind k, const char *tensor, double value, const char *fmt, ...) {
    qat_diagnosis *o = d->out;
    if (o->n == QAT_DIAG_MAX) {
        o->dropped++;
        return;
    }
    qat_diag_finding *f = &o->f[o->n++];
    f->kind = k;
    snprintf(f->tensor, sizeof f->tensor, "%s", tensor);
    f->value = value;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->detail, sizeof f->detail, fmt, ap);
    va_end(ap);
}

/* The name the report gives operator q's output: its layer, or "<layer>/depthwise". */
static void layer_name(const qat_qmodel *qm, const qat_qlayer *q, char *buf, size_t cap) {
    snprintf(buf, cap, "%s%s", qm->m.spec[q->spec].name, q->depthwise_half ? "/depthwise" : "");
}

static qat_status setup(diag *d, qat_error *e) {
    qat_qmodel *qm = d->qm;
    const qat_graph *g = &qm->m.g;
    d->act[d->n_act++] = (act_stats){.node = qm->input_fq, .name = "input"};
    for (int i = 0; i < qm->n_q; i++) {
        const qat_qlayer *q = &qm->q[i];
        if (q->w_fq < 0) continue; /* pools and flattens keep their input's tensor */
        act_stats *a = &d->act[d->n_act++];
        *a = (act_stats){.node = q->out_fq};
        layer_name(qm, q, a->name, sizeof a->name);
        if (q->bn < 0) continue;
        const qat_node *y = &g->nodes[q->node];
        size_t c = (size_t)y->dim[y->ndim - 1];
        bn_stats *b = &d->bn[d->n_bn++];
        *b = (bn_stats){q, calloc(c, sizeof(double)), calloc(c, sizeof(double)), 0};
        if (!b->sum || !b->sumsq)
            return qat_error_set(e, QAT_ERR_NOMEM, "QAT diagnostics: out of memory");
    }
    return QAT_OK;
}

static void count_act(const qat_graph *g, act_stats *a, int batch) {
    const qat_node *n = &g->nodes[a->node];
    const qat_fake_quant_params *p = QAT_NODE_PARAMS_CONST(qat_fake_quant_params, n, QAT_OP_FAKE_QUANT);
    float s;
    int32_t zp;
    if (!qat_fq_act_grid(g, a->node, &s, &zp)) return; /* not quantizing: nothing to count */
    /* clipped: beyond the range by more than half a step (closer, it rounds to the edge
     * level as it would inside the range) */
    const float *x = g->nodes[n->in[0]].val, lo = ((float)(p->qmin - zp) - 0.5f) * s,
                hi = ((float)(p->qmax - zp) + 0.5f) * s;
    size_t len = qat_node_len(n, batch);
    for (size_t i = 0; i < len; i++) {
        a->clipped += x[i] < lo || x[i] > hi;
        a->used[qat_quantize_float(x[i], s, zp, p->qmin, p->qmax) + 128] = 1;
    }
    a->values += (long)len;
}

static void count_bn(const qat_graph *g, bn_stats *b, int batch) {
    const qat_node *y = &g->nodes[b->q->node];
    int c = y->dim[y->ndim - 1];
    size_t rows = qat_node_len(y, batch) / (size_t)c;
    for (size_t r = 0; r < rows; r++)
        for (int k = 0; k < c; k++) {
            double v = y->val[r * (size_t)c + (size_t)k];
            b->sum[k] += v;
            b->sumsq[k] += v * v;
        }
    b->rows += (long)rows;
}

/* The inference pass: nothing observes or moves outside training and calibration. */
static void run(diag *d, const qat_dataset *ds) {
    qat_graph *g = &d->qm->m.g;
    for (int start = 0; start < ds->n; start += g->max_batch) {
        int b = ds->n - start < g->max_batch ? ds->n - start : g->max_batch;
        qat_pass p = {.batch = b};
        qat_dataset_read(ds, start, b, g->nodes[d->qm->m.input].val);
        qat_graph_forward(g, &p, d->qm->m.logits + 1);
        for (int i = 0; i < d->n_act; i++) count_act(g, &d->act[i], b);
        for (int i = 0; i < d->n_bn; i++) count_bn(g, &d->bn[i], b);
    }
}

static void judge_act(diag *d, const act_stats *a) {
    if (!a->values) return;
    int levels = 0;
    for (int k = 0; k < 256; k++) levels += a->used[k];
    double clipped = (double)a->clipped / (double)a->values;
    if (levels <= QAT_DIAG_FEW_LEVELS)
        finding(d, QAT_DIAG_COLLAPSED_RANGE, a->name, levels,
                "uses %d of its integer levels over %ld values", levels, a->values);
    if (clipped > QAT_DIAG_CLIPPED)
        finding(d, QAT_DIAG_SATURATION, a->name, clipped,
                "%.1f %% of its values fall more than half a step outside its range (clipped)",
                100 * clipped);
}

/* Per output channel of a kernel viewed as rows × row (channels: rows, or the row's columns
 * for PER_LAST): the largest magnitude and the sum of squares. */
static void channel_sums(const float *w, int rows, int row, int last, double *maxabs, double *ss) {
    int ch = last ? row : rows;
    for (int c = 0; c < ch; c++) maxabs[c] = ss[c] = 0;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < row; j++) {
            double v = fabs((double)w[(size_t)r * (size_t)row + (size_t)j]);
            int c = last ? j : r;
            maxabs[c] = v > maxabs[c] ? v : maxabs[c];
            ss[c] += v * v;
        }
}

/* Dead channels, then the fewest levels a scale group's RMS weight spans. */
static qat_status judge_kernel(diag *d, const qat_qlayer *q, const char *name, qat_error *e) {
    const qat_graph *g = &d->qm->m.g;
    const qat_node *n = &g->nodes[q->w_fq];
    const qat_fq_weight_params *p = QAT_NODE_PARAMS_CONST(qat_fq_weight_params, n, QAT_OP_FQ_WEIGHT);
    int last = p->per_channel == QAT_WEIGHT_PER_LAST, rows, row;
    qat_weight_layout(n, p->per_channel, &rows, &row);
    int ch = last ? row : rows;
    double *mx = malloc(2 * (size_t)ch * sizeof(double) + 1), *ss = mx + ch, top = 0;
    if (!mx) return qat_error_set(e, QAT_ERR_NOMEM, "QAT diagnostics: out of memory");
    channel_sums(g->nodes[n->in[0]].val, rows, row, last, mx, ss);
    int dead = 0;
    for (int c = 0; c < ch; c++) top = mx[c] > top ? mx[c] : top;
    for (int c = 0; c < ch; c++) dead += mx[c] <= QAT_DIAG_DEAD * top;
    if (dead)
        finding(d, QAT_DIAG_DEAD_CHANNELS, name, dead, "%d of %d output channels are dead "
                "(all zero or below %g of the largest)", dead, ch, QAT_DIAG_DEAD);
    /* scale groups: each channel, or the whole kernel (per-tensor) */
    double fewest = INFINITY, all_ss = 0;
    for (int c = 0; c < ch; c++) all_ss += ss[c];
    size_t per_ch = n->size / (size_t)ch;
    for (int c = 0; c < (p->per_channel ? ch : 1); c++) {
        double m = p->per_channel ? mx[c] : top, s = p->per_channel ? ss[c] : all_ss;
        double rms = sqrt(s / (double)(p->per_channel ? per_ch : n->size));
        if (m > QAT_DIAG_DEAD * top && m > 0) fewest = fmin(fewest, p->qmax * rms / m);
    }
    if (p->qmax >= QAT_DIAG_WEIGHT_MIN_QMAX && fewest < QAT_DIAG_WEIGHT_LEVELS)
        finding(d, QAT_DIAG_WEIGHT_OUTLIERS, name, fewest, "its RMS weight is %.2f of the %d "
                "levels of its %s scale", fewest, p->qmax, p->per_channel ? "channel's" : "tensor's");
    free(mx);
    return QAT_OK;
}

/* Pre-BN statistics from the folded output y' = m·(y − μ) + β (m = γ/√(σ²+ε)): the data's
 * mean μ + (mean' − β)/m and variance var'/m², against the running μ and σ². */
static void judge_bn(diag *d, const bn_stats *b) {
    const qat_qmodel *qm = d->qm;
    const qat_graph *g = &qm->m.g;
    const qat_qlayer *q = b->q;
    const qat_node *y = &g->nodes[q->node];
    int c = y->dim[y->ndim - 1], worst = -1;
    const float *gam = g->nodes[qm->m.layer[q->bn].gamma].val,
                *beta = g->nodes[qm->m.layer[q->bn].beta].val, *mu = g->state + q->bn_state,
                *var = mu + c;
    double eps = qm->m.spec[q->bn].epsilon, shift_max = 0, ratio_worst = 1;
    if (b->rows == 0) return;
    for (int k = 0; k < c; k++) {
        double inv = qat_bn_inv_std(var[k], eps), m = gam[k] * inv;
        if (m == 0) continue;
        double mean1 = b->sum[k] / (double)b->rows;
        double var1 = fmax(b->sumsq[k] / (double)b->rows - mean1 * mean1, 0);
        double shift = fabs((mean1 - beta[k]) / m) * inv; /* |mean − μ| / √(σ²+ε) */
        double ratio = sqrt(var1 / (m * m) + eps) * inv;  /* √(var+ε) / √(σ²+ε) */
        double off = fmax(ratio, 1 / ratio);
        if (shift > QAT_DIAG_BN_SHIFT || off > QAT_DIAG_BN_SCALE)
            if (worst < 0 || shift + off > shift_max + fmax(ratio_worst, 1 / ratio_worst))
                worst = k, shift_max = shift, ratio_worst = ratio;
    }
    if (worst < 0) return;
    char name[QAT_NODE_NAME_MAX];
    layer_name(qm, q, name, sizeof name);
    finding(d, QAT_DIAG_BN_DRIFT, qm->m.spec[q->bn].name, shift_max,
            "channel %d of %s: mean %.2f σ from the running mean, σ ×%.2f", worst, name,
            shift_max, ratio_worst);
}

static qat_status judge(diag *d, qat_error *e) {
    const qat_qmodel *qm = d->qm;
    for (int i = 0; i < d->n_act; i++) judge_act(d, &d->act[i]);
    for (int i = 0; i < qm->n_q; i++) {
        if (qm->q[i].w_fq < 0) continue;
        char name[QAT_NODE_NAME_MAX];
        layer_name(qm, &qm->q[i], name, sizeof name);
        qat_status st = judge_kernel(d, &qm->q[i], name, e);
        if (st) return st;
        d->out->kernels++;
    }
    for (int i = 0; i < d->n_bn; i++) judge_bn(d, &d->bn[i]);
    return QAT_OK;
}

qat_status qat_diagnose(qat_qmodel *qm, const qat_dataset *ds, qat_diagnosis *out, qat_error *e) {
    memset(out, 0, sizeof *out);
    diag *d = calloc(1, sizeof *d);
    if (!d) return qat_error_set(e, QAT_ERR_NOMEM, "QAT diagnostics: out of memory");
    d->qm = qm;
    d->out = out;
    qat_status st = setup(d, e);
    if (!st) {
        run(d, ds);
        st = judge(d, e);
    }
    out->activations = d->n_act;
    out->batchnorms = d->n_bn;
    out->samples = ds->n;
    for (int i = 0; i < d->n_bn; i++) {
        free(d->bn[i].sum);
        free(d->bn[i].sumsq);
    }
    free(d);
    return st;
}
