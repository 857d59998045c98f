/* Softmax cross-entropy, fused (as Keras' softmax output + categorical cross-entropy, but
 * computed from the logits with log-sum-exp, so it never takes the log of 0):
 *   p = softmax(x),  L = −(1/N) Σ_n log p[n, y_n],  dx += dL · (p − onehot(y)) / N
 * With a teacher's softened probabilities q = softmax(t/T) in the pass (knowledge
 * distillation, Hinton et al. 2015), with weight α on them:
 *   r = softmax(x/T),  L = (1/N) Σ_n [(1 − α)·CE(y_n, p_n) + α·T²·KL(q_n ‖ r_n)],
 *   dx += dL · [(1 − α)(p − onehot(y)) + α·T·(r − q)] / N
 * (T² keeps the soft term's gradient on the hard term's scale as T changes). */
#include <math.h>

#include "op_impl.h"
#include "qat/ops.h"

int qat_softmax_xent(qat_graph *g, const char *name, int logits) {
    if (logits < 0) return -1; /* an earlier builder ran out of memory */
    QAT_ASSERT(g->nodes[logits].ndim == 1);
    int k = (int)g->nodes[logits].size, dim[1] = {1};
    int id = qat_op_node(g, QAT_OP_SOFTMAX_XENT, name, 1, &logits, 1, dim);
    if (id < 0) return -1;
    g->nodes[id].batched = 0;
    g->nodes[id].aux_sample = 2 * (size_t)k * sizeof(float); /* p, then r (distillation) */
    return id;
}

const float *qat_softmax_xent_probs(const qat_graph *g, int loss) {
    return (const float *)g->nodes[loss].aux;
}

double qat_softmax_t(const float *x, int k, double t, float *out) {
    double mx = x[0] / t, s = 0;
    for (int j = 1; j < k; j++) mx = x[j] / t > mx ? x[j] / t : mx;
    for (int j = 0; j < k; j++) s += exp(x[j] / t - mx);
    for (int j = 0; j < k; j++) out[j] = (float)(exp(x[j] / t - mx) / s);
    return log(s) + mx;
}

/* KL(q ‖ r) of one sample from r's log-normaliser lse (r_j = exp(x_j/t − lse)). */
static double kl(const float *q, const float *x, int k, double t, double lse) {
    double d = 0;
    for (int j = 0; j < k; j++)
        if (q[j] > 0) d += q[j] * (log((double)q[j]) - (x[j] / t - lse));
    return d;
}

void qat_softmax_xent_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const qat_node *X = qat_in(g, n, 0);
    int k = (int)X->size;
    float *prob = (float *)n->aux, *soft = prob + (size_t)p->batch * k;
    double loss = 0, a = p->soft ? p->distill_alpha : 0, t = p->distill_t;
    for (int b = 0; b < p->batch; b++) {
        const float *x = X->val + (size_t)b * k;
        double lse = qat_softmax_t(x, k, 1, prob + (size_t)b * k);
        if (p->labels) loss += (1 - a) * (lse - x[p->labels[b]]);
        if (p->soft) {
            double lt = qat_softmax_t(x, k, t, soft + (size_t)b * k);
            loss += a * t * t * kl(p->soft + (size_t)b * k, x, k, t, lt);
        }
    }
    n->val[0] = (float)(loss / p->batch);
}

void qat_softmax_xent_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    qat_node *X = qat_in(g, n, 0);
    QAT_ASSERT(p->labels);
    int k = (int)X->size;
    const float *prob = (const float *)n->aux, *soft = prob + (size_t)p->batch * k;
    float scale = n->grad[0] / (float)p->batch;
    if (!p->soft) {
        for (int b = 0; b < p->batch; b++)
            for (int j = 0; j < k; j++) {
                size_t i = (size_t)b * k + j;
                X->grad[i] += scale * (prob[i] - (j == p->labels[b] ? 1.0f : 0.0f));
            }
        return;
    }
    float hard = 1 - p->distill_alpha, st = p->distill_alpha * p->distill_t;
    for (int b = 0; b < p->batch; b++)
        for (int j = 0; j < k; j++) {
            size_t i = (size_t)b * k + j;
            X->grad[i] += scale * (hard * (prob[i] - (j == p->labels[b] ? 1.0f : 0.0f)) +
                                   st * (soft[i] - p->soft[i]));
        }
}
