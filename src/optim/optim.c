/* Adam and SGD with momentum, as Keras computes them (see optim.h). */
#include "qat/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

qat_status qat_optim_init(qat_optim *o, const qat_train_config *cfg, size_t n, qat_error *e) {
    memset(o, 0, sizeof *o);
    o->kind = cfg->optimizer;
    o->lr = cfg->lr;
    o->beta1 = cfg->beta1;
    o->beta2 = cfg->beta2;
    o->epsilon = cfg->epsilon;
    o->momentum = cfg->momentum;
    o->nesterov = cfg->nesterov;
    o->n = n;
    o->m = calloc(n + 1, sizeof(float));
    o->v = calloc(n + 1, sizeof(float));
    if (!o->m || !o->v) {
        qat_optim_free(o);
        return qat_error_set(e, QAT_ERR_NOMEM, "optimizer: out of memory");
    }
    return QAT_OK;
}

void qat_optim_free(qat_optim *o) {
    free(o->m);
    free(o->v);
    o->m = o->v = NULL;
}

static void adam(qat_optim *o, float *p, const float *g) {
    double t = (double)o->t;
    float alpha = (float)(o->lr * sqrt(1 - pow(o->beta2, t)) / (1 - pow(o->beta1, t)));
    float b1 = (float)(1 - o->beta1), b2 = (float)(1 - o->beta2), eps = (float)o->epsilon;
    for (size_t i = 0; i < o->n; i++) {
        o->m[i] += (g[i] - o->m[i]) * b1;
        o->v[i] += (g[i] * g[i] - o->v[i]) * b2;
        p[i] -= alpha * o->m[i] / (sqrtf(o->v[i]) + eps);
    }
}

static void sgd(qat_optim *o, float *p, const float *g) {
    float lr = (float)o->lr, mu = (float)o->momentum;
    for (size_t i = 0; i < o->n; i++) {
        o->m[i] = mu * o->m[i] - lr * g[i];
        p[i] += o->nesterov ? mu * o->m[i] - lr * g[i] : o->m[i];
    }
}

void qat_optim_step(qat_optim *o, float *params, const float *grads) {
    o->t++;
    if (o->kind == QAT_OPT_ADAM)
        adam(o, params, grads);
    else
        sgd(o, params, grads);
}
