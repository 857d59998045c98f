/* Softmax cross-entropy, fused (as Keras' softmax output + categorical cross-entropy, but
 * computed from the logits with log-sum-exp, so it never takes the log of 0):
 *   p = softmax(x),  L = −(1/N) Σ_n log p[n, y_n],  dx += dL · (p − onehot(y)) / N */
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
    g->nodes[id].aux_sample = (size_t)k * sizeof(float);
    return id;
}

const float *qat_softmax_xent_probs(const qat_graph *g, int loss) {
    return (const float *)g->nodes[loss].aux;
}

void qat_softmax_xent_forward(qat_graph *g, qat_node *n, const qat_pass *p) {
    const qat_node *X = qat_in(g, n, 0);
    int k = (int)X->size;
    float *prob = (float *)n->aux;
    double loss = 0;
    for (int b = 0; b < p->batch; b++) {
        const float *x = X->val + (size_t)b * k;
        float *pr = prob + (size_t)b * k;
        float mx = x[0];
        for (int j = 1; j < k; j++) mx = x[j] > mx ? x[j] : mx;
        double s = 0;
        for (int j = 0; j < k; j++) s += exp((double)x[j] - mx);
        for (int j = 0; j < k; j++) pr[j] = (float)(exp((double)x[j] - mx) / s);
        if (p->labels) loss += log(s) - ((double)x[p->labels[b]] - mx);
    }
    n->val[0] = (float)(loss / p->batch);
}

void qat_softmax_xent_backward(qat_graph *g, qat_node *n, const qat_pass *p) {
    qat_node *X = qat_in(g, n, 0);
    QAT_ASSERT(p->labels);
    int k = (int)X->size;
    const float *prob = (const float *)n->aux;
    float scale = n->grad[0] / (float)p->batch;
    for (int b = 0; b < p->batch; b++)
        for (int j = 0; j < k; j++) {
            size_t i = (size_t)b * k + j;
            X->grad[i] += scale * (prob[i] - (j == p->labels[b] ? 1.0f : 0.0f));
        }
}
