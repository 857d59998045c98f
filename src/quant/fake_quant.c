/* Fake-quant ops: activations (with their observer), weights and biases. Forward rounds
 * exactly as lowering will (qmath.c); backward is the straight-through estimator. */
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "../ops/op_impl.h"
#include "qat/gemm.h"
#include "qat/int8.h"
#include "qat/quant.h"
#include "fq_avx2.h"
#include "fq_state.h"

/* What an activation fake-quant node computed in its last forward pass. */
typedef struct act_aux {
    float scale;
    int32_t zp;
    float lo, hi;  /* the representable float range: the STE passes gradients inside it */
    int active;    /* values were quantized */
} act_aux;



/* Where the requantization's per-channel constants start in aux (after act_aux, 8-aligned):
 * 1/(s_in·s_w) as doubles, then the multipliers, then the shifts. */
#define AUX_REQUANT ((sizeof(act_aux) + 7) & ~(size_t)7)

int qat_fake_quant(qat_graph *g, const char *name, int x, const qat_fq_opts *o) {
    if (x < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x];
    int ndim = X->ndim, dim[QAT_MAX_DIM];
    memcpy(dim, X->dim, sizeof dim);
    int learned = o->quantizer != QAT_ACTQ_OBSERVER && o->learned >= 0, in[2] = {x, o->learned};
    int id = qat_op_node(g, QAT_OP_FAKE_QUANT, name, 1 + learned, in, ndim, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    qat_fake_quant_params *q = QAT_NODE_PARAMS(qat_fake_quant_params, n, QAT_OP_FAKE_QUANT);
    *q = (qat_fake_quant_params){o->qmin,       o->qmax, o->observer, o->freeze_epoch, o->decay,
                                 o->percentile, o->warmup, o->requant != NULL, {0}, 0,
                                 learned ? (int)o->quantizer : QAT_ACTQ_OBSERVER};
    n->offset = qat_graph_state(g, OBS_SIZE + (size_t)learned);
    n->aux_fixed = sizeof(act_aux);
    if (o->requant) {
        q->requant = *o->requant;
        /* per output channel: 1 / (s_in·s_w), multiplier, shift (X may have moved: dim) */
        n->aux_fixed = AUX_REQUANT + (size_t)dim[ndim - 1] * (sizeof(double) + 8);
    }
    if (o->observer == QAT_OBS_PERCENTILE) qat_need_scratch(g, n->size * sizeof(float));
    return id;
}

/* A learned node that has started learning (qat_qmodel_learn_init). */
static int learning(const qat_graph *g, const qat_node *n) {
    const qat_fake_quant_params *q = QAT_NODE_PARAMS_CONST(qat_fake_quant_params, n, QAT_OP_FAKE_QUANT);
    return q->quantizer != QAT_ACTQ_OBSERVER && g->state[n->offset + OBS_LEARNING] != 0;
}

/* The learned value (LSQ's step, PACT's α), kept positive. */
static float learned_value(const qat_graph *g, const qat_node *n) {
    float v = g->nodes[n->in[1]].val[0];
    return v > MIN_LEARNED ? v : MIN_LEARNED;
}

void qat_fq_act_qparams(const qat_graph *g, int node, float *scale, int32_t *zp) {
    const qat_node *n = &g->nodes[node];
    const qat_fake_quant_params *q = QAT_NODE_PARAMS_CONST(qat_fake_quant_params, n, QAT_OP_FAKE_QUANT);
    const float *st = g->state + n->offset;
    if (learning(g, n) && q->quantizer == QAT_ACTQ_PACT) { /* [0, α], nudged */
        qat_act_qparams(0, learned_value(g, n), q->qmin, q->qmax, scale, zp);
        return;
    }
    qat_act_qparams(st[OBS_LO], st[OBS_HI], q->qmin, q->qmax, scale, zp); /* LSQ: its zp */
    if (learning(g, n)) *scale = learned_value(g, n);
}

int qat_fq_act_grid(const qat_graph *g, int node, float *scale, int32_t *zp) {
    const act_aux *a = (const act_aux *)g->nodes[node].aux;
    *scale = a->scale;
    *zp = a->zp;
    return a->active;
}

static const qat_fake_quant_params *params(const qat_node *n) {
    return QAT_NODE_PARAMS_CONST(qat_fake_quant_params, n, QAT_OP_FAKE_QUANT);
}

static int cmp_float(const void *a, const void *b) {
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The batch's low and high statistic for the observer kind. */
void qat_fq_min_max_c(const float *x, size_t len, float *lo, float *hi) {
    float l = x[0], h = x[0];
    for (size_t i = 1; i < len; i++) {
        l = x[i] < l ? x[i] : l;
        h = x[i] > h ? x[i] : h;
    }
    *lo = l;
    *hi = h;
}

/* minps / maxps keep their second operand unless the first is strictly beyond it: the
 * scan's predicate lane by lane. Lanes then combine in the scan's way, which finds the
 * extreme's value; a nonzero float value has one bit pattern, and a zero extreme is then
 * taken from the first element equal to it, as the scan would keep it. */
void qat_fq_min_max(const float *x, size_t len, float *lo, float *hi) {
#if defined(__SSE2__)
    if (len >= 8) {
        __m128 vl = _mm_set1_ps(x[0]), vh = vl;
        size_t i = 1;
        for (; i + 4 <= len; i += 4) {
            __m128 v = _mm_loadu_ps(x + i);
            vl = _mm_min_ps(v, vl);
            vh = _mm_max_ps(v, vh);
        }
        float a[4], b[4], l, h;
        _mm_storeu_ps(a, vl);
        _mm_storeu_ps(b, vh);
        l = a[0], h = b[0]; /* every lane started at x[0]: NaN in all of them or in none */
        for (int k = 1; k < 4; k++) {
            l = a[k] < l ? a[k] : l;
            h = b[k] > h ? b[k] : h;
        }
        for (; i < len; i++) { /* the tail */
            l = x[i] < l ? x[i] : l;
            h = x[i] > h ? x[i] : h;
        }
        for (size_t k = 0; l == 0 && k < len; k++)
            if (x[k] == 0) { l = x[k]; break; }
        for (size_t k = 0; h == 0 && k < len; k++)
            if (x[k] == 0) { h = x[k]; break; }
        *lo = l;
        *hi = h;
        return;
    }
#endif
    qat_fq_min_max_c(x, len, lo, hi);
}

static void batch_range(qat_graph *g, const qat_node *n, const float *x, size_t len, float *lo,
                        float *hi) {
    const qat_fake_quant_params *o = params(n);
    if (o->observer != QAT_OBS_PERCENTILE) {
        qat_fq_min_max(x, len, lo, hi);
        return;
    }
    float *s = (float *)g->scratch;
    memcpy(s, x, len * sizeof(float));
    qsort(s, len, sizeof(float), cmp_float);
    double q = o->percentile / 100.0;
    *hi = s[(size_t)floor(q * (double)(len - 1) + 0.5)];
    *lo = s[(size_t)floor((1 - q) * (double)(len - 1) + 0.5)];
}

static void observe(qat_graph *g, qat_node *n, const float *x, size_t len) {
    const qat_fake_quant_params *o = params(n);
    float *st = g->state + n->offset, lo, hi;
    batch_range(g, n, x, len, &lo, &hi);
    float steps = st[OBS_STEPS];
    if (steps == 0) {
        st[OBS_LO] = lo;
        st[OBS_HI] = hi;
    } else if (o->observer == QAT_OBS_PERCENTILE) { /* running mean of batch percentiles */
        st[OBS_LO] += (lo - st[OBS_LO]) / (steps + 1);
        st[OBS_HI] += (hi - st[OBS_HI]) / (steps + 1);
    } else if (o->observer != QAT_OBS_EMA || steps < o->warmup) { /* min/max (MSE, KL too) */
        st[OBS_LO] = lo < st[OBS_LO] ? lo : st[OBS_LO];
        st[OBS_HI] = hi > st[OBS_HI] ? hi : st[OBS_HI];
    } else {
        float d = (float)o->decay;
        st[OBS_LO] = d * st[OBS_LO] + (1 - d) * lo;
        st[OBS_HI] = d * st[OBS_HI] + (1 - d) * hi;
    }
    st[OBS_STEPS] = steps + 1;
}

static qat_ir_act ir_act(qat_activation a) {
    return a == QAT_ACT_RELU ? QAT_IR_ACT_RELU : a == QAT_ACT_RELU6 ? QAT_IR_ACT_RELU6 : QAT_IR_ACT_NONE;
}

void qat_requant_row_c(const qat_requant_row *r, const float *y, int first, int n, float *out) {
    /* locals, not r->…: stores to out[] could alias them, and reloading after every store
     * would chain each value's latency to the last */
    const double *inv = r->inv;
    const int32_t *mult = r->mult, zp = r->zp, lo = r->lo, hi = r->hi;
    const int *shift = r->shift;
    const float scale = r->scale;
    for (int c = first; c < n; c++) {
        double acc = qat_round_away((double)y[c] * inv[c]);
        acc = acc < INT32_MIN ? INT32_MIN : acc > INT32_MAX ? INT32_MAX : acc;
        int32_t q = qat_mul_by_quantized_multiplier((int32_t)acc, mult[c], shift[c]) + zp;
        q = q < lo ? lo : q > hi ? hi : q;
        out[c] = (float)(q - zp) * scale;
    }
}

void qat_fq_act_row_c(const float *x, size_t first, size_t n, float scale, int32_t zp, int32_t qmin,
                      int32_t qmax, float *out) {
    for (size_t i = first; i < n; i++)
        out[i] = (float)(qat_quantize_float(x[i], scale, zp, qmin, qmax) - zp) * scale;
}

/* The vector rows run where the GEMM's vector kernels do, the AVX-512 requantization where
 * its AVX-512 kernel does (gemm.h: decided once per process, QATRAIN_GEMM = scalar forces
 * the portable loops too, so test_cross_kernel.sh compares the paths on whole runs). */
static int vector_rows(void) {
    return qat_gemm_isa_used() >= QAT_GEMM_ISA_AVX2;
}

static int weights_off(const qat_graph *g, int w_fq) {
    return QAT_NODE_PARAMS_CONST(qat_fq_weight_params, &g->nodes[w_fq], QAT_OP_FQ_WEIGHT)->off;
}

/* The engine's requantization of the affine output (qat_fq_requant), or 0 when the
 * affine op's input or weights are not quantized (yet): then the value is quantized as it
 * is. */
static int requantize(qat_graph *g, qat_node *n, const qat_pass *p, const act_aux *a) {
    const qat_fake_quant_params *o = params(n);
    const qat_fq_requant *r = &o->requant;
    if (!o->requantizes || !((const act_aux *)g->nodes[r->in_fq].aux)->active ||
        weights_off(g, r->w_fq))
        return 0;
    const act_aux *in = (const act_aux *)g->nodes[r->in_fq].aux;
    int ns, ch = n->dim[n->ndim - 1];
    const float *sw = qat_fq_weight_scales(g, r->w_fq, &ns);
    double *inv = (double *)(n->aux + AUX_REQUANT);
    int32_t *mult = (int32_t *)(inv + ch), lo, hi;
    int *shift = (int *)(mult + ch);
    for (int c = 0; c < ch; c++) {
        float s = sw[ns > 1 ? c : 0];
        qat_affine_multiplier(in->scale, s, a->scale, r->fc_per_tensor, &mult[c], &shift[c]);
        inv[c] = 1.0 / ((double)in->scale * (double)s);
    }
    qat_i8_activation_range(ir_act(r->act), a->scale, a->zp, &lo, &hi);
    lo = lo > o->qmin ? lo : o->qmin;
    hi = hi < o->qmax ? hi : o->qmax;
    const qat_requant_row row = {inv, mult, shift, a->zp, lo, hi, a->scale};
    const float *y = g->nodes[r->pre].val;
    float *out = n->val;
    size_t rows = qat_node_len(n, p->batch) / (size_t)ch;
    qat_gemm_isa isa = qat_gemm_isa_used();
    for (size_t k = 0; k < rows; k++, y += ch, out += ch)
        if (isa >= QAT_GEMM_ISA_AVX512) qat_requant_row_avx512(&row, y, ch, out);
        else if (isa >= QAT_GEMM_ISA_AVX2) qat_requant_row_avx2(&row, y, ch, out);
        else qat_requant_row_c(&row, y, 0, ch, out);
    return 1;
}

void qat_fake_quant_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const float *x = qat_in(g, n, 0)->val;
    size_t len = qat_node_len(n, p->batch);
    const qat_fake_quant_params *o = params(n);
    int frozen = o->freeze_epoch > 0 && p->epoch > o->freeze_epoch;
    if (p->calibrate || (p->training && !frozen && !learning(g, n))) observe(g, n, x, len);
    act_aux *a = (act_aux *)n->aux;
    a->active = !p->calibrate && !o->off && g->state[n->offset + OBS_STEPS] > 0;
    if (!a->active) {
        memcpy(n->val, x, len * sizeof(float));
        return;
    }
    int qmin = o->qmin, qmax = o->qmax;
    qat_fq_act_qparams(g, (int)(n - g->nodes), &a->scale, &a->zp);
    a->lo = (float)(qmin - a->zp) * a->scale;
    a->hi = (float)(qmax - a->zp) * a->scale;
    if (requantize(g, n, p, a)) return;
    if (vector_rows()) qat_fq_act_row_avx2(x, len, a->scale, a->zp, qmin, qmax, n->val);
    else qat_fq_act_row_c(x, 0, len, a->scale, a->zp, qmin, qmax, n->val);
}

/* LSQ / PACT backward (quant.h): the input's straight-through gradient and the learned
 * value's. */
static void learned_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const qat_fake_quant_params *o = params(n);
    const act_aux *a = (const act_aux *)n->aux;
    qat_node *X = qat_in(g, n, 0);
    size_t len = qat_node_len(n, p->batch);
    const float *x = X->val, *dy = n->grad;
    float *dx = X->grad; /* NULL for the input's node: only the learned value has a gradient */
    double dv = 0;
    if (o->quantizer == QAT_ACTQ_PACT) {
        for (size_t i = 0; i < len; i++) {
            if (x[i] >= a->hi) dv += dy[i];
            else if (x[i] >= a->lo && dx) dx[i] += dy[i];
        }
    } else {
        double lo = (double)(o->qmin - a->zp), hi = (double)(o->qmax - a->zp);
        for (size_t i = 0; i < len; i++) {
            double v = (double)x[i] / a->scale;
            if (v > lo && v < hi && dx) dx[i] += dy[i];
            dv += dy[i] * qat_lsq_step_grad(x[i], a->scale, a->zp, o->qmin, o->qmax);
        }
        dv *= qat_lsq_grad_scale(n->size, o->qmax - a->zp);
    }
    g->nodes[n->in[1]].grad[0] += (float)dv;
}

void qat_fake_quant_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    if (learning(g, n) && ((const act_aux *)n->aux)->active) {
        learned_backward(g, n, p);
        return;
    }
    qat_node *X = qat_in(g, n, 0);
    const act_aux *a = (const act_aux *)n->aux;
    size_t len = qat_node_len(n, p->batch);
    const float *x = X->val, *dy = n->grad, lo = a->active ? a->lo : -INFINITY,
                hi = a->active ? a->hi : INFINITY;
    float *dx = X->grad;
    size_t i = 0;
#if defined(__SSE2__) /* the same sum per value, four at a time (no branch on data) */
    const __m128 vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
    for (; i + 4 <= len; i += 4) {
        __m128 v = _mm_loadu_ps(x + i);
        __m128 pass = _mm_and_ps(_mm_cmpge_ps(v, vlo), _mm_cmple_ps(v, vhi));
        _mm_storeu_ps(dx + i, _mm_add_ps(_mm_loadu_ps(dx + i), _mm_and_ps(pass, _mm_loadu_ps(dy + i))));
    }
#endif
    for (; i < len; i++) dx[i] += x[i] >= lo && x[i] <= hi ? dy[i] : 0.0f;
}

/* ---- weights ---- */

void qat_fq_weight_row_c(const float *w, int first, int n, const float *s, int per_column,
                         int qmax, float *out) {
    for (int j = first; j < n; j++) {
        float sj = s[per_column ? j : 0];
        out[j] = (float)qat_quantize_weight(w[j], sj, -qmax, qmax) * sj;
    }
}

/* The largest of m and every |w[j]|: `v > m ? v : m` (fmaxf without libm's call; a NaN never
 * wins), four lanes at a time — a maximum is exact in any order. */
static float max_abs(const float *w, int n, float m) {
    int j = 0;
#if defined(__SSE2__)
    const __m128 sign = _mm_set1_ps(-0.0f);
    __m128 acc = _mm_set1_ps(m);
    for (; j + 4 <= n; j += 4) acc = _mm_max_ps(_mm_andnot_ps(sign, _mm_loadu_ps(w + j)), acc);
    float lane[4];
    _mm_storeu_ps(lane, acc);
    for (int k = 0; k < 4; k++) m = lane[k] > m ? lane[k] : m;
#endif
    for (; j < n; j++) {
        float v = fabsf(w[j]);
        m = v > m ? v : m;
    }
    return m;
}

/* m[j] = the largest of m[j] and |w[j]|, for j < n (per-column scales). */
static void max_abs_columns(const float *w, int n, float *m) {
    int j = 0;
#if defined(__SSE2__)
    const __m128 sign = _mm_set1_ps(-0.0f);
    for (; j + 4 <= n; j += 4)
        _mm_storeu_ps(m + j, _mm_max_ps(_mm_andnot_ps(sign, _mm_loadu_ps(w + j)),
                                        _mm_loadu_ps(m + j)));
#endif
    for (; j < n; j++) {
        float v = fabsf(w[j]);
        m[j] = v > m[j] ? v : m[j];
    }
}

void qat_weight_scales(const float *w, int rows, int row, int per_channel, int qmax,
                       float *scales) {
    int last = per_channel == QAT_WEIGHT_PER_LAST, ns = qat_weight_group_count(per_channel, rows, row);
    float *m = scales; /* the largest magnitude of each channel, then its scale */
    for (int c = 0; c < ns; c++) m[c] = 0;
    for (int r = 0; r < rows; r++, w += row) /* the channel of w[j]: r, j or 0, no division */
        if (last) max_abs_columns(w, row, m);
        else m[per_channel ? r : 0] = max_abs(w, row, m[per_channel ? r : 0]);
    for (int c = 0; c < ns; c++) scales[c] = qat_weight_scale(m[c], qmax);
}

void qat_weight_layout(const qat_node *n, int per_channel, int *rows, int *row) {
    *row = per_channel == QAT_WEIGHT_PER_LAST ? n->dim[n->ndim - 1]
                                              : (int)(n->size / (size_t)n->dim[0]);
    *rows = (int)(n->size / (size_t)*row);
}

int qat_fake_quant_weight(qat_graph *g, const char *name, int w, int qmax, int per_channel,
                          int scales) {
    if (w < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *W = &g->nodes[w];
    int ndim = W->ndim, dim[QAT_MAX_DIM], in[2] = {w, scales}, learned = scales >= 0;
    memcpy(dim, W->dim, sizeof dim);
    int id = qat_op_node(g, QAT_OP_FQ_WEIGHT, name, 1 + learned, in, ndim, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    n->batched = 0;
    *QAT_NODE_PARAMS(qat_fq_weight_params, n, QAT_OP_FQ_WEIGHT) =
        (qat_fq_weight_params){qmax, per_channel, 0, learned, 0};
    if (learned) n->offset = qat_graph_state(g, 1); /* 1 once learning started */
    int channels = per_channel == QAT_WEIGHT_PER_LAST ? dim[ndim - 1] : dim[0];
    n->aux_fixed = (size_t)channels * sizeof(float);
    return id;
}

const float *qat_fq_weight_scales(const qat_graph *g, int node, int *n) {
    const qat_node *q = &g->nodes[node];
    int pc = QAT_NODE_PARAMS_CONST(qat_fq_weight_params, q, QAT_OP_FQ_WEIGHT)->per_channel, rows, row;
    qat_weight_layout(q, pc, &rows, &row);
    *n = qat_weight_group_count(pc, rows, row);
    return (const float *)q->aux;
}

/* LSQ weights that have started learning (qat_qmodel_learn_init). */
static int weights_learning(const qat_graph *g, const qat_node *n) {
    return QAT_NODE_PARAMS_CONST(qat_fq_weight_params, n, QAT_OP_FQ_WEIGHT)->learned &&
           g->state[n->offset] != 0;
}

void qat_fq_weight_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const float *w = qat_in(g, n, 0)->val;
    float *scales = (float *)n->aux;
    const qat_fq_weight_params *wp = QAT_NODE_PARAMS(qat_fq_weight_params, n, QAT_OP_FQ_WEIGHT);
    int rows, row, qmax = wp->qmax, per_channel = wp->per_channel, ns;
    qat_weight_layout(n, per_channel, &rows, &row);
    qat_fq_weight_scales(g, (int)(n - g->nodes), &ns);
    if (weights_learning(g, n))
        for (int c = 0; c < ns; c++) {
            float v = g->nodes[n->in[1]].val[c];
            scales[c] = v > MIN_LEARNED ? v : MIN_LEARNED;
        }
    else if (wp->mse) qat_weight_scales_mse(w, rows, row, per_channel, qmax, scales);
    else qat_weight_scales(w, rows, row, per_channel, qmax, scales);
    if (p->calibrate || wp->off) { /* PTQ calibrates on the float model, as the converter does */
        memcpy(n->val, w, n->size * sizeof(float));
        return;
    }
    float *out = n->val;
    int avx2 = vector_rows(), last = per_channel == QAT_WEIGHT_PER_LAST;
    for (int r = 0; r < rows; r++, w += row, out += row) { /* channels as in qat_weight_scales */
        const float *s = scales + (per_channel == QAT_WEIGHT_PER_ROW ? r : 0);
        if (avx2) qat_fq_weight_row_avx2(w, row, s, last, qmax, out);
        else qat_fq_weight_row_c(w, 0, row, s, last, qmax, out);
    }
}

/* LSQ: the clipped straight-through gradient into the kernel, the step rule into each
 * scale group's learned scale. */
static void weights_learned_backward(qat_graph *g, qat_node *n) {
    const qat_fq_weight_params *wp = QAT_NODE_PARAMS_CONST(qat_fq_weight_params, n, QAT_OP_FQ_WEIGHT);
    const float *w = qat_in(g, n, 0)->val, *s = (const float *)n->aux, *dy = n->grad;
    float *dw = qat_in(g, n, 0)->grad, *ds = g->nodes[n->in[1]].grad;
    int rows, row, q = wp->qmax;
    qat_weight_layout(n, wp->per_channel, &rows, &row);
    int ns = qat_weight_group_count(wp->per_channel, rows, row);
    for (int c = 0; c < ns; c++) {
        qat_weight_group gr = qat_weight_group_of(wp->per_channel, rows, row, c);
        double acc = 0;
        for (size_t i = 0, k = gr.first; i < gr.count; i++, k += gr.stride) {
            double v = (double)w[k] / s[c];
            if (v > -q && v < q) dw[k] += dy[k];
            acc += dy[k] * qat_lsq_step_grad(w[k], s[c], 0, -q, q);
        }
        ds[c] += (float)(acc * qat_lsq_grad_scale(gr.count, q));
    }
}

void qat_fq_weight_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    (void)p;
    if (weights_learning(g, n)) {
        weights_learned_backward(g, n);
        return;
    }
    float *dw = qat_in(g, n, 0)->grad;
    for (size_t i = 0; i < n->size; i++) dw[i] += n->grad[i];
}

/* ---- biases ---- */

int qat_fake_quant_bias(qat_graph *g, const char *name, int b, int in_fq, int w_fq) {
    if (b < 0 || in_fq < 0 || w_fq < 0) return -1; /* an earlier builder ran out of memory */
    int in[3] = {b, in_fq, w_fq}, dim[1] = {g->nodes[b].dim[0]};
    /* The scale sources are read, not differentiated: only b is an input for gradients. */
    int id = qat_op_node(g, QAT_OP_FQ_BIAS, name, 1, in, 1, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    n->batched = 0;
    *QAT_NODE_PARAMS(qat_fq_bias_params, n, QAT_OP_FQ_BIAS) = (qat_fq_bias_params){in_fq, w_fq};
    return id;
}

void qat_fq_bias_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const float *b = qat_in(g, n, 0)->val;
    const qat_fq_bias_params *bp = QAT_NODE_PARAMS(qat_fq_bias_params, n, QAT_OP_FQ_BIAS);
    const act_aux *in = (const act_aux *)g->nodes[bp->in_fq].aux;
    int ns;
    const float *sw = qat_fq_weight_scales(g, bp->w_fq, &ns);
    if (p->calibrate || !in->active || weights_off(g, bp->w_fq)) { /* not quantized (yet) */
        memcpy(n->val, b, n->size * sizeof(float));
        return;
    }
    for (size_t c = 0; c < n->size; c++) {
        float s = qat_bias_scale(in->scale, sw[ns > 1 ? c : 0]);
        n->val[c] = (float)((double)qat_quantize_bias(b[c], s) * s);
    }
}

void qat_fq_bias_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    (void)p;
    float *db = qat_in(g, n, 0)->grad;
    for (size_t i = 0; i < n->size; i++) db[i] += n->grad[i];
}
