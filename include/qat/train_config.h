/* qatrain — training hyper-parameters (defaults: the lesson's Keras recipe). */
#ifndef QAT_TRAIN_CONFIG_H
#define QAT_TRAIN_CONFIG_H

#include "qat/augment.h"
#include "qat/io.h"

typedef enum qat_optimizer_kind {
    QAT_OPT_ADAM, /* Keras defaults: lr 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7 */
    QAT_OPT_SGD,  /* with momentum (0 = plain) */
    QAT_OPT_COUNT
} qat_optimizer_kind;

typedef enum qat_monitor {
    QAT_MONITOR_VAL_LOSS,
    QAT_MONITOR_VAL_ACCURACY,
    QAT_MONITOR_COUNT
} qat_monitor;

/* Which samples validate (val_split > 0). */
typedef enum qat_val_select {
    QAT_VAL_STRATIFIED, /* a seeded stratified fraction of the training samples */
    QAT_VAL_LAST,       /* Keras's validation_split: the last fraction, before shuffling */
    QAT_VAL_SELECT_COUNT
} qat_val_select;

typedef struct qat_train_config {
    qat_optimizer_kind optimizer;
    double lr;
    double beta1, beta2, epsilon; /* Adam */
    double momentum;              /* SGD */
    int nesterov;                 /* SGD */
    int epochs;
    int batch;
    double val_split;   /* 0: validate on the test split (the lesson); else a fraction of train */
    qat_val_select val_select;
    qat_monitor monitor;          /* what early stopping and the best weights watch */
    qat_monitor plateau_monitor;  /* what learning-rate reduction watches (Keras: val_loss) */
    int plateau_patience;         /* 0 = no learning-rate reduction */
    double plateau_factor;        /* lr *= factor after patience epochs without improvement */
    double min_lr;
    int early_stop_patience;      /* 0 = no early stopping */
    int restore_best;             /* on early stop (or at the end), restore the best weights */
    qat_augment augment;          /* [augment]: applied to every training batch (all off: none) */
} qat_train_config;

/* [distill]: knowledge distillation (ops.h softmax_xent). The teacher is the run's own float
 * model (self: it teaches the QAT stages its quantized copy) or another config's model —
 * loaded from teacher_checkpoint, or trained first by its own [train] on this run's training
 * split. Its input window, channels and classes must be this run's. */
typedef struct qat_distill_config {
    int self;                    /* teacher = self */
    char teacher[QAT_PATH_MAX];  /* the teacher's config, resolved; "" when none / self */
    char checkpoint[QAT_PATH_MAX]; /* its float checkpoint, resolved; "" to train it */
    double temperature;          /* T (Hinton et al. 2015 use 1-20; default 4) */
    double alpha;                /* the soft term's weight (default 0.5) */
    int on_float, on_qat;        /* stages: float training; QAT (and the pruned model's QAT) */
} qat_distill_config;

/* A teacher is set. */
static inline int qat_distill_on(const qat_distill_config *d) {
    return d->self || d->teacher[0];
}

const char *qat_optimizer_name(qat_optimizer_kind k);
const char *qat_monitor_name(qat_monitor m);
const char *qat_val_select_name(qat_val_select v);

#endif
