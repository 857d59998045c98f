/* Batch normalisation over the last axis (Keras BatchNormalization, axis -1).
 * Training: statistics of the batch (over batch and time), biased variance, and
 *   running = momentum · running + (1 − momentum) · batch      (Keras' update rule).
 * Inference: the running statistics.
 *   x̂ = (x − μ) · r,  r = 1/√(σ² + ε),  y = γ x̂ + β
 *   dγ += Σ dy x̂      dβ += Σ dy
 *   training:  dx += r/M · (M·dx̂ − Σdx̂ − x̂ Σ(dx̂ x̂)),  dx̂ = γ dy
 *   inference: dx += γ r dy
 * State layout at node->offset in g->state: running mean (C), then running variance (C). */
#include <math.h>
#include <string.h>

#include "op_impl.h"
#include "qat/ops.h"

int qat_batchnorm(qat_graph *g, const char *name, int x, int gamma, int beta, double momentum,
                  double epsilon) {
    if (x < 0 || gamma < 0 || beta < 0) return -1; /* an earlier builder ran out of memory */
    const qat_node *X = &g->nodes[x];
    int c = X->dim[X->ndim - 1], ndim = X->ndim, dim[QAT_MAX_DIM];
    QAT_ASSERT(g->nodes[gamma].size == (size_t)c && g->nodes[beta].size == (size_t)c);
    memcpy(dim, X->dim, sizeof dim);
    int in[3] = {x, gamma, beta};
    int id = qat_op_node(g, QAT_OP_BATCHNORM, name, 3, in, ndim, dim);
    if (id < 0) return -1;
    qat_node *n = &g->nodes[id];
    *QAT_NODE_PARAMS(qat_batchnorm_params, n, QAT_OP_BATCHNORM) =
        (qat_batchnorm_params){momentum, epsilon};
    n->offset = qat_graph_state(g, 2 * (size_t)c);
    n->aux_sample = n->size * sizeof(float);      /* x̂ */
    n->aux_fixed = 2 * (size_t)c * sizeof(float); /* μ and r used by this pass */
    return id;
}

static int channels(const qat_node *n) {
    return n->dim[n->ndim - 1];
}

void qat_batchnorm_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    int c = channels(n);
    size_t rows = qat_node_len(n, p->batch) / (size_t)c;
    const float *x = qat_in(g, n, 0)->val, *gam = qat_in(g, n, 1)->val,
                *bet = qat_in(g, n, 2)->val;
    float *xhat = (float *)n->aux, *mu = xhat + n->size * (size_t)g->max_batch, *r = mu + c;
    float *run_mean = g->state + n->offset, *run_var = run_mean + c;
    const qat_batchnorm_params *bp = QAT_NODE_PARAMS(qat_batchnorm_params, n, QAT_OP_BATCHNORM);
    for (int j = 0; j < c; j++) {
        double mean = run_mean[j], var = run_var[j];
        if (p->training) {
            double s = 0, ss = 0;
            for (size_t i = 0; i < rows; i++) s += x[i * c + j];
            mean = s / (double)rows;
            for (size_t i = 0; i < rows; i++) {
                double d = x[i * c + j] - mean;
                ss += d * d;
            }
            var = ss / (double)rows;
            double mom = bp->momentum;
            run_mean[j] = (float)(mom * run_mean[j] + (1 - mom) * mean);
            run_var[j] = (float)(mom * run_var[j] + (1 - mom) * var);
        }
        mu[j] = (float)mean;
        r[j] = (float)(1.0 / sqrt(var + bp->epsilon));
    }
    for (size_t i = 0; i < rows; i++)
        for (int j = 0; j < c; j++) {
            float h = (x[i * c + j] - mu[j]) * r[j];
            xhat[i * c + j] = h;
            n->val[i * c + j] = gam[j] * h + bet[j];
        }
}

void qat_batchnorm_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    int c = channels(n);
    size_t rows = qat_node_len(n, p->batch) / (size_t)c;
    qat_node *X = qat_in(g, n, 0), *G = qat_in(g, n, 1), *B = qat_in(g, n, 2);
    const float *xhat = (const float *)n->aux, *dy = n->grad;
    const float *r = xhat + n->size * (size_t)g->max_batch + c;
    for (int j = 0; j < c; j++) {
        double sdy = 0, sdyx = 0;
        for (size_t i = 0; i < rows; i++) {
            sdy += dy[i * c + j];
            sdyx += (double)dy[i * c + j] * xhat[i * c + j];
        }
        if (G->needs_grad) G->grad[j] += (float)sdyx;
        if (B->needs_grad) B->grad[j] += (float)sdy;
        if (!X->needs_grad) continue;
        double gr = (double)G->val[j] * r[j];
        if (!p->training) {
            for (size_t i = 0; i < rows; i++) X->grad[i * c + j] += (float)(gr * dy[i * c + j]);
            continue;
        }
        /* Σdx̂ = γ Σdy and Σdx̂ x̂ = γ Σ dy x̂: the γ folds into gr. */
        double m = (double)rows;
        for (size_t i = 0; i < rows; i++)
            X->grad[i * c + j] +=
                (float)(gr / m * (m * dy[i * c + j] - sdy - xhat[i * c + j] * sdyx));
    }
}
