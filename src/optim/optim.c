/* Adam and SGD with momentum, as Keras computes them (see optim.h). */
#include "qat/optim.h"

#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
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
    float *m = o->m, *v = o->v;
    size_t i = 0;
#if defined(__SSE2__)
    /* four at a time: the same float operations in the same order (SSE's sqrt and division
     * are IEEE's, as sqrtf and /), which gcc will not vectorise for fear of aliasing */
    const __m128 vb1 = _mm_set1_ps(b1), vb2 = _mm_set1_ps(b2), ve = _mm_set1_ps(eps),
                 va = _mm_set1_ps(alpha);
    for (; i + 4 <= o->n; i += 4) {
        __m128 gi = _mm_loadu_ps(g + i), mi = _mm_loadu_ps(m + i), vi = _mm_loadu_ps(v + i);
        mi = _mm_add_ps(mi, _mm_mul_ps(_mm_sub_ps(gi, mi), vb1));
        vi = _mm_add_ps(vi, _mm_mul_ps(_mm_sub_ps(_mm_mul_ps(gi, gi), vi), vb2));
        __m128 step = _mm_div_ps(_mm_mul_ps(va, mi), _mm_add_ps(_mm_sqrt_ps(vi), ve));
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        _mm_storeu_ps(p + i, _mm_sub_ps(_mm_loadu_ps(p + i), step));
    }
#endif
    for (; i < o->n; i++) {
        m[i] += (g[i] - m[i]) * b1;
        v[i] += (g[i] * g[i] - v[i]) * b2;
        p[i] -= alpha * m[i] / (sqrtf(v[i]) + eps);
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
