#include "gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/rng.h"

void qat_fill_uniform(qat_node *n, int batch, unsigned seed, float lo, float hi) {
    qat_rng r;
    qat_rng_seed(&r, seed, 99);
    size_t len = qat_node_len(n, batch);
    for (size_t i = 0; i < len; i++) n->val[i] = lo + (hi - lo) * (float)qat_rng_uniform(&r);
}

static double weight(size_t i) {
    return 0.5 + 0.5 * sin(1.7 * (double)i + 0.3); /* fixed, non-uniform, positive */
}

static double loss_of(qat_graph *g, qat_pass *p, int out, uint64_t seed) {
    if (p->rng) qat_rng_seed(p->rng, seed, QAT_STREAM_DROPOUT);
    qat_graph_forward(g, p, out + 1);
    const qat_node *o = &g->nodes[out];
    size_t len = qat_node_len(o, p->batch);
    if (len == 1 && !o->batched) return o->val[0];
    double s = 0;
    for (size_t i = 0; i < len; i++) s += weight(i) * o->val[i];
    return s;
}

double qat_gradcheck(qat_graph *g, qat_pass *p, int out, const int *check, int n_check,
                     double eps) {
    const uint64_t seed = 1234;
    /* Batch-norm running statistics change on every training forward: snapshot them. */
    float *state = malloc((g->n_state + 1) * sizeof(float));
    memcpy(state, g->state, g->n_state * sizeof(float));
    loss_of(g, p, out, seed);
    qat_node *o = &g->nodes[out];
    size_t len = qat_node_len(o, p->batch);
    if (len == 1 && !o->batched)
        o->grad[0] = 1.0f;
    else
        for (size_t i = 0; i < len; i++) o->grad[i] = (float)weight(i);
    qat_graph_zero_grads(g);
    qat_graph_backward_from(g, p, out);
    double worst = 0;
    for (int c = 0; c < n_check; c++) {
        qat_node *n = &g->nodes[check[c]];
        size_t nl = qat_node_len(n, p->batch);
        float *analytic = malloc(nl * sizeof(float));
        memcpy(analytic, n->grad, nl * sizeof(float));
        for (size_t i = 0; i < nl; i++) {
            float keep = n->val[i];
            n->val[i] = keep + (float)eps;
            double up = loss_of(g, p, out, seed);
            n->val[i] = keep - (float)eps;
            double down = loss_of(g, p, out, seed);
            n->val[i] = keep;
            double num = (up - down) / (2 * eps), a = analytic[i];
            double rel = fabs(a - num) / fmax(fabs(a) + fabs(num), 1e-2);
            if (rel > worst) worst = rel;
        }
        free(analytic);
    }
    memcpy(g->state, state, g->n_state * sizeof(float));
    free(state);
    if (getenv("QAT_GRADCHECK_VERBOSE")) fprintf(stderr, "gradcheck worst %.2e\n", worst);
    return worst;
}
