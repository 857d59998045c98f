/* qatrain — optimisers over the flat parameter block.
 *   Adam (Keras): m ← m + (1−β1)(g − m);  v ← v + (1−β2)(g² − v);
 *                 p ← p − lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε)
 *   SGD (Keras):  u ← μ·u − lr·g;  p ← p + u   (Nesterov: p ← p + μ·u − lr·g) */
#ifndef QAT_OPTIM_H
#define QAT_OPTIM_H

#include <stddef.h>

#include "qat/error.h"
#include "qat/train_config.h"

typedef struct qat_optim {
    qat_optimizer_kind kind;
    double lr, beta1, beta2, epsilon, momentum;
    int nesterov;
    long t;         /* steps taken */
    size_t n;       /* parameters */
    float *m, *v;   /* moments (Adam) / velocity in m (SGD); owned */
} qat_optim;

qat_status qat_optim_init(qat_optim *o, const qat_train_config *cfg, size_t n, qat_error *e);
void qat_optim_step(qat_optim *o, float *params, const float *grads);
void qat_optim_free(qat_optim *o);

#endif
