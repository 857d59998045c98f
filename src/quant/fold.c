/* Batch-norm folding as graph ops (see quant.h):
 *   m = γ / √(σ² + ε),   w' = w · m,   b' = β + (b − μ) · m
 *   dw += dw' · m                  dγ += Σ dw' · w / √(σ² + ε)
 *   db += db' · m;  dβ += db';     dγ += db' · (b − μ) / √(σ² + ε)
 * μ and σ² are running statistics (state), not differentiated. Forward keeps the
 * 1/√(σ² + ε) (and μ) it folded with in the node's aux, and backward uses those: a bn_track
 * node later in the same training pass moves the state, and the gradient must be that of
 * the forward that ran. */
#include <math.h>
#include <string.h>

#include "../ops/op_impl.h"
#include "qat/quant.h"

double qat_bn_inv_std(float var, double epsilon) {
    return 1.0 / sqrt((double)var + epsilon);
}

void qat_bn_fold_kernel(const float *w, size_t row, float gamma, double inv_std, float *out) {
    float m = (float)(gamma * inv_std);
    for (size_t i = 0; i < row; i++) out[i] = w[i] * m;
}

void qat_bn_fold_kernel_channel(const float *w, size_t size, int channels, int last, int c,
                                float gamma, double inv_std, float *out) {
    if (!last) {
        size_t row = size / (size_t)channels;
        qat_bn_fold_kernel(w + (size_t)c * row, row, gamma, inv_std, out + (size_t)c * row);
        return;
    }
    float m = (float)(gamma * inv_std);
    for (size_t k = (size_t)c; k < size; k += (size_t)channels) out[k] = w[k] * m;
}

float qat_bn_fold_bias_value(float b, float gamma, float beta, float mu, double inv_std) {
    return (float)(beta + ((double)b - (double)mu) * (gamma * inv_std));
}

/* 1/√(σ² + ε) of channel c, from the running variance in g->state (μ at n->offset, then σ²). */
static double inv_std(const qat_graph *g, const qat_node *n, int channels, double epsilon, int c) {
    return qat_bn_inv_std(g->state[n->offset + channels + c], epsilon);
}

static double fold_inv_std(const qat_graph *g, qat_node *n, qat_op op, int c) {
    const qat_fold_params *f = QAT_NODE_PARAMS(qat_fold_params, n, op);
    return inv_std(g, n, f->channels, f->epsilon, c);
}

int qat_fold_weight(qat_graph *g, const char *name, int w, int gamma, size_t bn_state,
                    double epsilon) {
    if (w < 0 || gamma < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *W = &g->nodes[w];
    int ndim = W->ndim, dim[QAT_MAX_DIM], in[2] = {w, gamma};
    memcpy(dim, W->dim, sizeof dim);
    int c = (int)g->nodes[gamma].size, last = c != dim[0];
    QAT_ASSERT(c == (last ? dim[ndim - 1] : dim[0]));
    int id = qat_op_node(g, QAT_OP_FOLD_WEIGHT, name, 2, in, ndim, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    n->batched = 0;
    n->offset = bn_state;
    /* dim, not W->dim: adding the node may have moved g->nodes */
    *QAT_NODE_PARAMS(qat_fold_params, n, QAT_OP_FOLD_WEIGHT) = (qat_fold_params){c, last, epsilon};
    n->aux_fixed = (size_t)c * sizeof(double); /* 1/√(σ² + ε) per channel */
    return id;
}

/* The kernel as rows × row values whose channel is the row (axis 0) or the column (last
 * axis, a depthwise kernel); each run of `run` adjacent values shares one channel. */
typedef struct fold_layout {
    int channels, last;
    size_t run, runs;
} fold_layout;

static fold_layout layout(const qat_node *n) {
    const qat_fold_params *f = QAT_NODE_PARAMS_CONST(qat_fold_params, n, QAT_OP_FOLD_WEIGHT);
    size_t run = f->channel_last ? 1 : n->size / (size_t)f->channels;
    return (fold_layout){f->channels, f->channel_last, run, n->size / run};
}

void qat_fold_weight_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    (void)p;
    const float *w = qat_in(g, n, 0)->val, *gam = qat_in(g, n, 1)->val;
    fold_layout f = layout(n);
    double *is = (double *)n->aux;
    for (int c = 0; c < f.channels; c++) is[c] = fold_inv_std(g, n, QAT_OP_FOLD_WEIGHT, c);
    for (int c = 0; c < f.channels; c++)
        qat_bn_fold_kernel_channel(w, n->size, f.channels, f.last, c, gam[c], is[c], n->val);
}

void qat_fold_weight_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    (void)p;
    qat_node *W = qat_in(g, n, 0), *G = qat_in(g, n, 1);
    fold_layout f = layout(n);
    const double *inv = (const double *)n->aux;
    for (int c = 0; c < f.channels; c++) {
        double is = inv[c], dg = 0;
        float m = (float)(G->val[c] * is);
        /* channel c's values: run `run` from row c, or every channels-th value from c */
        size_t first = f.last ? (size_t)c : (size_t)c * f.run, step = f.last ? (size_t)f.channels : 1;
        size_t count = f.last ? f.runs / (size_t)f.channels : f.run;
        for (size_t i = 0, k = first; i < count; i++, k += step) {
            W->grad[k] += n->grad[k] * m;
            dg += (double)n->grad[k] * W->val[k];
        }
        G->grad[c] += (float)(dg * is);
    }
}

int qat_fold_bias(qat_graph *g, const char *name, int b, int gamma, int beta, size_t bn_state,
                  double epsilon) {
    if (gamma < 0 || beta < 0) return -1; /* an earlier builder ran out of memory */
    int c = (int)g->nodes[gamma].size, dim[1] = {c};
    int in[3] = {gamma, beta, b};
    int id = qat_op_node(g, QAT_OP_FOLD_BIAS, name, b >= 0 ? 3 : 2, in, 1, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    n->batched = 0;
    n->offset = bn_state;
    *QAT_NODE_PARAMS(qat_fold_params, n, QAT_OP_FOLD_BIAS) = (qat_fold_params){c, 0, epsilon};
    n->aux_fixed = 2 * (size_t)c * sizeof(double); /* 1/√(σ² + ε), then μ, per channel */
    return id;
}

void qat_fold_bias_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    (void)p;
    const float *gam = qat_in(g, n, 0)->val, *bet = qat_in(g, n, 1)->val;
    const float *b = n->n_in == 3 ? qat_in(g, n, 2)->val : NULL, *mu = g->state + n->offset;
    double *is = (double *)n->aux, *mu_used = is + n->dim[0];
    for (int c = 0; c < n->dim[0]; c++) {
        is[c] = fold_inv_std(g, n, QAT_OP_FOLD_BIAS, c);
        mu_used[c] = mu[c];
        n->val[c] = qat_bn_fold_bias_value(b ? b[c] : 0, gam[c], bet[c], mu[c], is[c]);
    }
}

void qat_fold_bias_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    (void)p;
    qat_node *G = qat_in(g, n, 0), *B = qat_in(g, n, 1), *Bias = n->n_in == 3 ? qat_in(g, n, 2) : NULL;
    const double *inv = (const double *)n->aux, *mu = inv + n->dim[0];
    for (int c = 0; c < n->dim[0]; c++) {
        double is = inv[c], d = n->grad[c];
        B->grad[c] += (float)d;
        G->grad[c] += (float)(d * ((Bias ? Bias->val[c] : 0) - mu[c]) * is);
        if (Bias && Bias->needs_grad) Bias->grad[c] += (float)(d * G->val[c] * is);
    }
}

/* ---- running statistics under folding ---- */

int qat_bn_track(qat_graph *g, const char *name, int y, int beta, int gamma, size_t bn_state,
                 double momentum, double epsilon, int freeze_epoch) {
    if (y < 0 || beta < 0 || gamma < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *Y = &g->nodes[y];
    int ndim = Y->ndim, dim[QAT_MAX_DIM];
    memcpy(dim, Y->dim, sizeof dim);
    int in[3] = {y, beta, gamma};
    int id = qat_op_node(g, QAT_OP_BN_TRACK, name, 3, in, ndim, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    n->offset = bn_state;
    /* dim, not Y->dim: adding the node may have moved g->nodes */
    *QAT_NODE_PARAMS(qat_bn_track_params, n, QAT_OP_BN_TRACK) =
        (qat_bn_track_params){freeze_epoch, dim[ndim - 1], epsilon, momentum};
    return id;
}

void qat_bn_track_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const float *y = qat_in(g, n, 0)->val, *bet = qat_in(g, n, 1)->val;
    const float *gam = qat_in(g, n, 2)->val;
    size_t len = qat_node_len(n, p->batch);
    memcpy(n->val, y, len * sizeof(float));
    const qat_bn_track_params *t = QAT_NODE_PARAMS(qat_bn_track_params, n, QAT_OP_BN_TRACK);
    if (!p->training || p->epoch > t->freeze_epoch) return;
    int c = t->channels;
    size_t rows = len / (size_t)c;
    float *mu = g->state + n->offset, *var = mu + c;
    double mom = t->momentum;
    for (int j = 0; j < c; j++) {
        double s = 0, ss = 0;
        for (size_t i = 0; i < rows; i++) s += y[i * c + j];
        double mean = s / (double)rows;
        for (size_t i = 0; i < rows; i++) ss += (y[i * c + j] - mean) * (y[i * c + j] - mean);
        /* y' = (y − μ_run)·m + β ⇒ pre-BN batch mean μ_run + (mean' − β)/m, var var'/m². */
        double m = gam[j] * inv_std(g, n, c, t->epsilon, j);
        if (fabs(m) < 1e-12) continue;
        double pre_mean = mu[j] + (mean - bet[j]) / m, pre_var = ss / (double)rows / (m * m);
        mu[j] = (float)(mom * mu[j] + (1 - mom) * pre_mean);
        var[j] = (float)(mom * var[j] + (1 - mom) * pre_var);
    }
}

void qat_bn_track_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    qat_node *Y = qat_in(g, n, 0);
    size_t len = qat_node_len(n, p->batch);
    for (size_t i = 0; i < len; i++) Y->grad[i] += n->grad[i];
}
