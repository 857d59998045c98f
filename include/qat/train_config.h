/* qatrain — training hyper-parameters (defaults: the lesson's Keras recipe). */
#ifndef QAT_TRAIN_CONFIG_H
#define QAT_TRAIN_CONFIG_H

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

typedef struct qat_train_config {
    qat_optimizer_kind optimizer;
    double lr;
    double beta1, beta2, epsilon; /* Adam */
    double momentum;              /* SGD */
    int nesterov;                 /* SGD */
    int epochs;
    int batch;
    double val_split;   /* 0: validate on the test split (the lesson); else a fraction of train */
    qat_monitor monitor;          /* what plateau / early stopping watch */
    int plateau_patience;         /* 0 = no learning-rate reduction */
    double plateau_factor;        /* lr *= factor after patience epochs without improvement */
    double min_lr;
    int early_stop_patience;      /* 0 = no early stopping */
    int restore_best;             /* on early stop (or at the end), restore the best weights */
} qat_train_config;

const char *qat_optimizer_name(qat_optimizer_kind k);
const char *qat_monitor_name(qat_monitor m);

#endif
