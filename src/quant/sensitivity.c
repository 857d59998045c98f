/* Per-layer sensitivity (quant.h qat_sensitivity_analyse): each conv / dense operator's
 * weights quantized alone, at 2, 4 and 8 bits, everything else float; the damage measured
 * as accuracy and as the SQNR of the logits against the float model's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/quant.h"

static const int BITS[QAT_SENS_BITS] = {2, 4, 8};

/* Every fake-quant off (inference then computes the float model), then operator `only`'s
 * weights on at `bits` (only < 0: none; only = n_q: all at `bits`, activations on too). */
static void quantize_only(qat_qmodel *qm, int only, int bits) {
    qat_graph *g = &qm->m.g;
    int all = only == qm->n_q;
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == QAT_OP_FAKE_QUANT)
            QAT_NODE_PARAMS(qat_fake_quant_params, &g->nodes[i], QAT_OP_FAKE_QUANT)->off = !all;
    for (int i = 0; i < qm->n_q; i++) {
        if (qm->q[i].w_fq < 0) continue;
        qat_fq_weight_params *w = QAT_NODE_PARAMS(qat_fq_weight_params, &g->nodes[qm->q[i].w_fq], QAT_OP_FQ_WEIGHT);
        int qmin, on = all || i == only;
        w->off = !on;
        if (on) qat_weight_range(bits, &qmin, &w->qmax);
    }
}

/* The logits of every sample of d (n × classes) and the accuracy of their first maxima. */
static double logits_of(qat_qmodel *qm, const qat_dataset *d, float *out) {
    qat_graph *g = &qm->m.g;
    int k = qm->m.n_classes, hits = 0;
    for (int s = 0; s < d->n; s += g->max_batch) {
        int b = d->n - s < g->max_batch ? d->n - s : g->max_batch;
        qat_pass p = {.batch = b};
        qat_dataset_read(d, s, b, g->nodes[qm->m.input].val);
        qat_graph_forward(g, &p, qm->m.logits + 1);
        memcpy(out + (size_t)s * k, g->nodes[qm->m.logits].val, (size_t)b * k * sizeof(float));
        for (int i = 0; i < b; i++) {
            const float *l = out + (size_t)(s + i) * k;
            int best = 0;
            for (int j = 1; j < k; j++) best = l[j] > l[best] ? j : best;
            hits += best == d->y[s + i];
        }
    }
    return d->n ? (double)hits / d->n : 0;
}

/* The SQNR of q against the reference f (qat_sqnr_db). */
static double sqnr(const float *f, const float *q, size_t n) {
    double sf = 0, se = 0;
    for (size_t i = 0; i < n; i++) {
        sf += (double)f[i] * f[i];
        se += ((double)f[i] - q[i]) * ((double)f[i] - q[i]);
    }
    return qat_sqnr_db(sf, se);
}

static void measure(qat_qmodel *qm, const qat_dataset *d, const float *ref, float *buf,
                    double *acc, double *db) {
    *acc = logits_of(qm, d, buf);
    *db = sqnr(ref, buf, (size_t)d->n * (size_t)qm->m.n_classes);
}

/* Every operator with weights at bits[j] (j counts them in order), every fake-quant on. */
static void quantize_at(qat_qmodel *qm, const int *bits) {
    qat_graph *g = &qm->m.g;
    quantize_only(qm, qm->n_q, 8); /* everything on */
    for (int i = 0, j = 0; i < qm->n_q; i++) {
        if (qm->q[i].w_fq < 0) continue;
        int qmin;
        qat_weight_range(bits[j++], &qmin,
                         &QAT_NODE_PARAMS(qat_fq_weight_params, &g->nodes[qm->q[i].w_fq], QAT_OP_FQ_WEIGHT)->qmax);
    }
}

/* Every node on at its operator's own bits, and one pass over d: the weight nodes' scales,
 * which lowering reads, are then those of the model as it is. */
static void restore(qat_qmodel *qm, const qat_dataset *d, float *buf) {
    qat_quant_stage fin;
    qat_quant_stage_at(&(qat_quant_config){0}, 0, &fin);
    qat_qmodel_set_stage(qm, &fin);
    logits_of(qm, d, buf);
}

double qat_qmodel_accuracy_at(qat_qmodel *qm, const qat_dataset *d, const int *bits) {
    float *buf = malloc((size_t)d->n * (size_t)qm->m.n_classes * sizeof(float) + 1);
    if (!buf) return 0; /* out of memory: no step passes the check */
    quantize_at(qm, bits);
    double acc = logits_of(qm, d, buf);
    restore(qm, d, buf);
    free(buf);
    return acc;
}

void qat_qmodel_set_weight_bits(qat_qmodel *qm, const int *bits) {
    for (int i = 0, j = 0; i < qm->n_q; i++)
        if (qm->q[i].w_fq >= 0) qm->q[i].weight_bits = bits[j++];
    qat_quant_stage fin;
    qat_quant_stage_at(&(qat_quant_config){0}, 0, &fin);
    qat_qmodel_set_stage(qm, &fin);
}

qat_status qat_sensitivity_analyse(qat_qmodel *qm, const qat_dataset *d, qat_sensitivity *out,
                                   qat_error *e) {
    memset(out, 0, sizeof *out);
    size_t len = (size_t)d->n * (size_t)qm->m.n_classes;
    float *ref = malloc(2 * len * sizeof(float) + 1), *buf = ref + len;
    if (!ref) return qat_error_set(e, QAT_ERR_NOMEM, "sensitivity: out of memory");
    quantize_only(qm, -1, 8);
    out->float_accuracy = logits_of(qm, d, ref);
    out->samples = d->n;
    for (int i = 0; i < qm->n_q; i++) {
        const qat_qlayer *q = &qm->q[i];
        if (q->w_fq < 0) continue;
        qat_layer_sensitivity *l = &out->layer[out->n++];
        snprintf(l->name, sizeof l->name, "%s%s", qm->m.spec[q->spec].name,
                 q->depthwise_half ? "/depthwise" : "");
        l->weights = (long)qm->m.g.nodes[q->w_fq].size;
        l->spec = q->spec;
        l->depthwise_half = q->depthwise_half;
        for (int b = 0; b < QAT_SENS_BITS; b++) {
            quantize_only(qm, i, BITS[b]);
            measure(qm, d, ref, buf, &l->accuracy[b], &l->sqnr_db[b]);
        }
    }
    for (int b = 0; b < QAT_SENS_BITS; b++) {
        quantize_only(qm, qm->n_q, BITS[b]);
        measure(qm, d, ref, buf, &out->all_accuracy[b], &out->all_sqnr_db[b]);
    }
    restore(qm, d, buf); /* back to the model as it was */
    free(ref);
    return QAT_OK;
}
