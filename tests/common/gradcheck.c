#include "gradcheck.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/rng.h"

/* Measured noise, every backward correct (QAT_GRADCHECK_VERBOSE=1 on test_ops, test_fold,
 * test_quant and test_prune: 65 checked nodes, the composite stack of test_ops aside): the
 * worst norm error is 1.1e-5 (softmax_xent dL/dx, h = 1/16), the worst element error 9.3e-5
 * (batch-norm training dL/dx, h = 1/16); the linear ops stay near 1e-6. QAT_GC_TOL_NORM =
 * 1e-3 sits 90× above that noise and 10× below the 1e-2 that ×0.99 on one node gives;
 * QAT_GC_TOL_ELEM = 3e-3 sits 30× above the noise and 3× below what ×0.99 gives on a node's
 * largest entry, 0.01·|n|/(|n| + 0.1·rms(n)) ≥ 9.1e-3 (as max |n| ≥ rms(n)). */

void qat_fill_uniform(qat_node *n, int batch, unsigned seed, float lo, float hi) {
    qat_rng r;
    qat_rng_seed(&r, seed, 99);
    size_t len = qat_node_len(n, batch);
    for (size_t i = 0; i < len; i++) n->val[i] = lo + (hi - lo) * (float)qat_rng_uniform(&r);
}

void qat_fill_spaced(qat_node *n, int batch, unsigned seed, float step) {
    size_t len = qat_node_len(n, batch);
    int *idx = malloc(len * sizeof(int));
    for (size_t i = 0; i < len; i++) idx[i] = (int)i;
    qat_rng r;
    qat_rng_seed(&r, seed, 7);
    qat_rng_shuffle(&r, idx, (int)len);
    for (size_t i = 0; i < len; i++)
        n->val[i] = step * ((float)(idx[i] - (int)(len / 2)) + 0.5f);
    free(idx);
}

/* Dyadic weights (k − 30.5)/32 in [−0.95, 0.92], both signs, never 0, exact in float. */
static double weight(size_t i) {
    return ((double)((i * 37 + 11) % 61) - 30.5) / 32;
}

typedef struct fd_ctx {
    qat_graph *g;
    qat_pass *p;
    int out;
    const float *state; /* the state block as it was before the check */
} fd_ctx;

static double loss_of(const fd_ctx *c) {
    qat_graph *g = c->g;
    memcpy(g->state, c->state, g->n_state * sizeof(float));
    if (c->p->rng) qat_rng_seed(c->p->rng, 1234, QAT_STREAM_DROPOUT);
    qat_graph_forward(g, c->p, c->out + 1);
    const qat_node *o = &g->nodes[c->out];
    size_t len = qat_node_len(o, c->p->batch);
    if (len == 1 && !o->batched) return o->val[0];
    double s = 0;
    for (size_t i = 0; i < len; i++) s += weight(i) * o->val[i];
    return s;
}

/* Central difference of step s at *v, with the steps float32 really takes. */
static double central(const fd_ctx *c, float *v, double s) {
    float keep = *v, up = (float)(keep + s), down = (float)(keep - s);
    *v = up;
    double lu = loss_of(c);
    *v = down;
    double ld = loss_of(c);
    *v = keep;
    return (lu - ld) / ((double)up - (double)down);
}

static double richardson(const fd_ctx *c, float *v, double h) {
    double d1 = central(c, v, h), d2 = central(c, v, h / 2);
    return d2 + (d2 - d1) / 3;
}

typedef struct node_err {
    double norm_err, elem_err, norm;
} node_err;

static node_err compare(const float *a, const double *num, size_t len) {
    double diff2 = 0, n2 = 0;
    for (size_t i = 0; i < len; i++) {
        diff2 += (a[i] - num[i]) * (a[i] - num[i]);
        n2 += num[i] * num[i];
    }
    node_err e = {n2 > 0 ? sqrt(diff2 / n2) : (diff2 > 0 ? INFINITY : 0), 0, sqrt(n2)};
    double floor = 0.1 * sqrt(n2 / (double)len);
    for (size_t i = 0; i < len; i++) {
        double d = fabs(a[i] - num[i]), r = d == 0 ? 0 : d / (fabs(num[i]) + floor);
        if (r > e.elem_err) e.elem_err = r;
    }
    return e;
}

static qat_gc_result check(qat_graph *g, qat_pass *p, int out, const int *nodes, int n_nodes,
                           double h, int print) {
    float *state = malloc((g->n_state + 1) * sizeof(float));
    memcpy(state, g->state, g->n_state * sizeof(float));
    fd_ctx c = {g, p, out, state};
    loss_of(&c);
    qat_node *o = &g->nodes[out];
    size_t len = qat_node_len(o, p->batch);
    if (len == 1 && !o->batched)
        o->grad[0] = 1.0f;
    else
        for (size_t i = 0; i < len; i++) o->grad[i] = (float)weight(i);
    qat_graph_zero_grads(g);
    qat_graph_backward_from(g, p, out);
    qat_gc_result r = {0, 0, INFINITY};
    for (int k = 0; k < n_nodes; k++) {
        qat_node *n = &g->nodes[nodes[k]];
        size_t nl = qat_node_len(n, p->batch);
        float *analytic = malloc(nl * sizeof(float));
        double *num = malloc(nl * sizeof(double));
        memcpy(analytic, n->grad, nl * sizeof(float));
        for (size_t i = 0; i < nl; i++) num[i] = richardson(&c, &n->val[i], h);
        node_err e = compare(analytic, num, nl);
        if (print)
            fprintf(stderr, "gradcheck %-12s norm err %.2e  elem err %.2e  |grad| %.3g\n",
                    n->name, e.norm_err, e.elem_err, e.norm);
        r.norm_err = fmax(r.norm_err, e.norm_err);
        r.elem_err = fmax(r.elem_err, e.elem_err);
        r.min_norm = fmin(r.min_norm, e.norm);
        free(analytic);
        free(num);
    }
    memcpy(g->state, state, g->n_state * sizeof(float));
    free(state);
    return r;
}

static int verbose(void) {
    const char *v = getenv("QAT_GRADCHECK_VERBOSE");
    return v && *v && strcmp(v, "0");
}

qat_gc_result qat_gradcheck(qat_graph *g, qat_pass *p, int out, const int *check_nodes,
                            int n_check, double h) {
    return check(g, p, out, check_nodes, n_check, h, verbose());
}

static int within(const qat_gc_result *r) {
    return r->norm_err < QAT_GC_TOL_NORM && r->elem_err < QAT_GC_TOL_ELEM && r->min_norm > 0;
}

int qat_gradcheck_ok(qat_graph *g, qat_pass *p, int out, const int *check_nodes, int n_check,
                     double h) {
    qat_gc_result r = check(g, p, out, check_nodes, n_check, h, verbose());
    if (within(&r)) return 1;
    if (!verbose()) check(g, p, out, check_nodes, n_check, h, 1); /* say which node */
    fprintf(stderr, "gradcheck failed at %s: norm err %.2e (tol %.0e), elem err %.2e (tol %.0e)\n",
            g->nodes[out].name, r.norm_err, QAT_GC_TOL_NORM, r.elem_err, QAT_GC_TOL_ELEM);
    return 0;
}
