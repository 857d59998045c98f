/* Histogram calibration of activation ranges (quant.h: QAT_OBS_MSE, QAT_OBS_KL) and the
 * MSE-optimal weight scales. The searches judge a candidate range by what the model will do
 * with it: the nudged scale and zero point qat_act_qparams gives, the engine's rounding. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/quant.h"
#include "fq_state.h"

void qat_hist_init(qat_histogram *h, float lo, float hi) {
    memset(h, 0, sizeof *h);
    h->lo = lo < 0 ? lo : 0; /* every range holds 0 (nudging puts it on the grid) */
    h->hi = hi > 0 ? hi : 0;
}

void qat_hist_add(qat_histogram *h, const float *x, size_t n) {
    double w = (h->hi - h->lo) / QAT_CALIB_BINS;
    for (size_t i = 0; i < n; i++) {
        if (x[i] == 0) { /* exact on every grid: a ReLU's zeros would swamp their bin */
            h->zeros += 1;
            continue;
        }
        double k = w > 0 ? floor((x[i] - h->lo) / w) : 0;
        int b = k < 0 ? 0 : k >= QAT_CALIB_BINS ? QAT_CALIB_BINS - 1 : (int)k;
        h->count[b] += 1;
    }
    h->n += (double)n;
}

/* ---- MSE ---- */

#define SUB 4 /* points per bin: each bin's values taken as spread evenly over it */

/* The mean squared error of quantizing the histogram's values on [a, b]'s grid. */
static double range_mse(const qat_histogram *h, float a, float b, int qmin, int qmax) {
    float s;
    int32_t zp;
    qat_act_qparams(a, b, qmin, qmax, &s, &zp);
    double w = (h->hi - h->lo) / QAT_CALIB_BINS, err = 0;
    for (int k = 0; k < QAT_CALIB_BINS; k++) {
        if (!h->count[k]) continue;
        double e = 0;
        for (int j = 0; j < SUB; j++) {
            float x = (float)(h->lo + w * (k + (j + 0.5) / SUB));
            double d = x - (double)(qat_quantize_float(x, s, zp, qmin, qmax) - zp) * s;
            e += d * d;
        }
        err += h->count[k] * e / SUB;
    }
    return h->n > 0 ? err / h->n : 0;
}

#define MSE_STEPS 256 /* candidate ranges: t·[lo, hi], t = k / MSE_STEPS */

/* Scales the whole observed range by t ∈ (0, 1] (a one-sided tensor keeps lo = 0, a signed
 * one keeps the ratio of its ends, so its zero point stays about where min/max put it) and
 * keeps the t with the least error; ties go to the wider range. */
static void mse_range(const qat_histogram *h, int qmin, int qmax, float *lo, float *hi) {
    double best = INFINITY;
    for (int k = MSE_STEPS; k >= 1; k--) {
        double t = (double)k / MSE_STEPS;
        float a = (float)(h->lo * t), b = (float)(h->hi * t);
        double e = range_mse(h, a, b, qmin, qmax);
        if (e < best) best = e, *lo = a, *hi = b;
    }
}

/* ---- KL divergence (TensorRT's entropy calibration) ---- */

/* |x|'s histogram in QAT_CALIB_BINS bins over [0, max |x|] (a one-sided tensor's own). */
static double magnitude_hist(const qat_histogram *h, double *m) {
    double w = (h->hi - h->lo) / QAT_CALIB_BINS, top = fmax(-h->lo, h->hi), mw = top / QAT_CALIB_BINS;
    for (int k = 0; k < QAT_CALIB_BINS; k++) m[k] = 0;
    for (int k = 0; k < QAT_CALIB_BINS; k++) {
        if (!h->count[k]) continue;
        double c = fabs(h->lo + w * (k + 0.5)); /* the bin's centre, folded */
        int j = mw > 0 ? (int)(c / mw) : 0;
        m[j < QAT_CALIB_BINS ? j : QAT_CALIB_BINS - 1] += h->count[k];
    }
    return mw;
}

/* KL(P ‖ Q) for the first i bins of m quantized to `levels` levels: P is m[0..i) with the
 * mass beyond added to its last bin; Q spreads each level's total of m evenly over the
 * level's bins where P is not empty (the outliers' bin counts: onnxruntime's and TVM's
 * reading of TensorRT's algorithm); both normalised, empty bins of Q smoothed. */
static double kl_at(const double *m, int i, int levels, double *p, double *q) {
    double outliers = 0;
    for (int k = i; k < QAT_CALIB_BINS; k++) outliers += m[k];
    for (int k = 0; k < i; k++) p[k] = m[k];
    p[i - 1] += outliers;
    for (int l = 0; l < levels; l++) {
        int a = (int)((long)l * i / levels), b = (int)((long)(l + 1) * i / levels);
        double sum = 0;
        int nz = 0;
        for (int k = a; k < b; k++) sum += m[k], nz += p[k] > 0;
        for (int k = a; k < b; k++) q[k] = p[k] > 0 ? sum / nz : 0;
    }
    double sp = 0, sq = 0, kl = 0;
    for (int k = 0; k < i; k++) sp += p[k], sq += q[k];
    if (sp <= 0 || sq <= 0) return INFINITY;
    for (int k = 0; k < i; k++) {
        if (p[k] <= 0) continue;
        double pk = p[k] / sp, qk = q[k] > 0 ? q[k] / sq : 1e-12;
        kl += pk * log(pk / qk);
    }
    return kl;
}

/* The threshold T on |x| with the least KL(P ‖ Q), over thresholds from `levels` bins up;
 * the range is [lo, hi] clipped to [−T, T]. Levels: the grid's (qmax − qmin + 1) for a
 * one-sided tensor, half of it for a signed one (TensorRT's 128 of int8 for |x|). */
static void kl_range(const qat_histogram *h, int qmin, int qmax, float *lo, float *hi) {
    double *m = malloc(3 * QAT_CALIB_BINS * sizeof(double)), *p = m + QAT_CALIB_BINS,
           *q = p + QAT_CALIB_BINS;
    *lo = (float)h->lo;
    *hi = (float)h->hi;
    if (!m) return; /* out of memory: min/max, as the model had */
    double mw = magnitude_hist(h, m), best = INFINITY;
    int levels = (qmax - qmin + 1) / (h->lo < 0 ? 2 : 1), best_i = QAT_CALIB_BINS;
    for (int i = levels; i <= QAT_CALIB_BINS; i++) {
        double kl = kl_at(m, i, levels, p, q);
        if (kl < best) best = kl, best_i = i;
    }
    double t = best_i * mw;
    *lo = (float)fmax(h->lo, -t);
    *hi = (float)fmin(h->hi, t);
    free(m);
}

void qat_calib_range(const qat_histogram *h, qat_observer_kind method, int qmin, int qmax,
                     float *lo, float *hi) {
    *lo = (float)h->lo;
    *hi = (float)h->hi;
    if (h->n <= 0 || !(h->hi > h->lo)) return;
    if (method == QAT_OBS_MSE) mse_range(h, qmin, qmax, lo, hi);
    if (method == QAT_OBS_KL) kl_range(h, qmin, qmax, lo, hi);
}

/* ---- the model's calibration ---- */

static void passes(qat_qmodel *qm, const qat_dataset *d, qat_histogram *h, const int *fq, int n) {
    qat_graph *g = &qm->m.g;
    for (int start = 0; start < d->n; start += g->max_batch) {
        int b = d->n - start < g->max_batch ? d->n - start : g->max_batch;
        qat_pass p = {.batch = b, .calibrate = 1};
        qat_dataset_read(d, start, b, g->nodes[qm->m.input].val);
        qat_graph_forward(g, &p, qm->m.logits + 1);
        for (int i = 0; h && i < n; i++) {
            const qat_node *x = &g->nodes[g->nodes[fq[i]].in[0]];
            qat_hist_add(&h[i], x->val, qat_node_len(x, b));
        }
    }
}

/* MSE / KL: the min/max pass (the observers do it), then one pass filling a histogram per
 * activation fake-quant over that range, then each node's range chosen from it. */
static qat_status histogram_ranges(qat_qmodel *qm, const qat_dataset *d, qat_observer_kind method,
                                   qat_error *e) {
    qat_graph *g = &qm->m.g;
    int fq[QAT_MAX_LAYERS + 1] = {0}, n = 0; /* the input's and one per operator at most */
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == QAT_OP_FAKE_QUANT) {
            QAT_ASSERT(n < QAT_MAX_LAYERS + 1);
            fq[n++] = i;
        }
    qat_histogram *h = malloc((size_t)n * sizeof *h + 1);
    if (!h) return qat_error_set(e, QAT_ERR_NOMEM, "calibration: out of memory for histograms");
    for (int i = 0; i < n; i++) {
        const float *st = g->state + g->nodes[fq[i]].offset;
        qat_hist_init(&h[i], st[OBS_LO], st[OBS_HI]);
    }
    float steps = n ? g->state[g->nodes[fq[0]].offset + OBS_STEPS] : 0;
    passes(qm, d, h, fq, n); /* (the observers see the same data again: same min/max) */
    for (int i = 0; i < n; i++) {
        const qat_fake_quant_params *q = QAT_NODE_PARAMS_CONST(qat_fake_quant_params, &g->nodes[fq[i]], QAT_OP_FAKE_QUANT);
        float *st = g->state + g->nodes[fq[i]].offset;
        qat_calib_range(&h[i], method, q->qmin, q->qmax, &st[OBS_LO], &st[OBS_HI]);
        /* the chosen range is the start: QAT's EMA moves on from it at once, where the
         * min/max steps of its warm-up would widen it back to min/max in one batch */
        st[OBS_STEPS] = steps > q->warmup ? steps : (float)q->warmup;
    }
    free(h);
    return QAT_OK;
}

qat_status qat_qmodel_calibrate(qat_qmodel *qm, const qat_dataset *d, qat_observer_kind observer,
                                qat_error *e) {
    qat_qmodel_set_observer(qm, observer);
    passes(qm, d, NULL, NULL, 0);
    if (observer == QAT_OBS_MSE || observer == QAT_OBS_KL) return histogram_ranges(qm, d, observer, e);
    return QAT_OK;
}

/* ---- weights ---- */

#define WEIGHT_CLIPS 100 /* candidate scales: max|w|/qmax · f, f = 1, 0.99, ..., 0.01 */

/* The squared error of a scale group's weights at scale s, summed only until it reaches
 * `bound` (the best so far: a sum of squares never shrinks, so a candidate past it cannot win
 * and the search's answer is the full one's). The search runs on every QAT forward pass: this
 * and the inline qat_quantize_weight halve its time. */
static double weight_error(const float *w, qat_weight_group gr, float s, int qmax, double bound) {
    double e = 0;
    for (size_t i = 0, k = gr.first; i < gr.count && e < bound; i++, k += gr.stride) {
        double d = w[k] - (double)qat_quantize_weight(w[k], s, -qmax, qmax) * s;
        e += d * d;
    }
    return e;
}

void qat_weight_scales_mse(const float *w, int rows, int row, int per_channel, int qmax,
                           float *scales) {
    qat_weight_scales(w, rows, row, per_channel, qmax, scales); /* the max-magnitude ones */
    for (int c = 0; c < qat_weight_group_count(per_channel, rows, row); c++) {
        qat_weight_group gr = qat_weight_group_of(per_channel, rows, row, c);
        float s_max = scales[c], best_s = s_max;
        double best = weight_error(w, gr, s_max, qmax, INFINITY);
        for (int f = WEIGHT_CLIPS - 1; f >= 1; f--) {
            float s = (float)((double)s_max * f / WEIGHT_CLIPS);
            double e = weight_error(w, gr, s, qmax, best);
            if (e < best) best = e, best_s = s;
        }
        scales[c] = best_s;
    }
}
