/* qatrain — the training loop: shuffled minibatches, forward, backward, optimiser step,
 * validation each epoch, optional learning-rate reduction on plateau and early stopping
 * with best-weights restore (Keras' ReduceLROnPlateau and EarlyStopping semantics,
 * min_delta 1e-4). Reports progress through a callback; never prints. */
#ifndef QAT_TRAIN_H
#define QAT_TRAIN_H

#include <stdint.h>

#include "qat/data.h"
#include "qat/model.h"
#include "qat/optim.h"
#include "qat/train_config.h"

typedef struct qat_epoch_stats {
    int epoch;        /* 1-based */
    double loss;      /* mean training loss over the epoch's batches (dropout on) */
    double accuracy;  /* training accuracy over the epoch's batches */
    double val_loss, val_accuracy;
    double lr;        /* learning rate used in this epoch */
    double seconds;   /* wall time of the epoch, validation included */
} qat_epoch_stats;

typedef struct qat_progress {
    int epoch, epochs;   /* 1-based current epoch, total planned */
    int step, steps;     /* batches done in this epoch, batches per epoch */
    double loss, accuracy; /* running means over this epoch so far */
    const qat_epoch_stats *done; /* non-NULL once, at the end of each epoch */
} qat_progress;

typedef void (*qat_progress_fn)(void *ctx, const qat_progress *p);
/* Called after every optimiser step (step counts from 0); pruning uses it to update and
 * enforce its masks. */
typedef void (*qat_step_fn)(void *ctx, qat_model *m, qat_optim *o, long step);

typedef struct qat_train_callbacks {
    qat_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    qat_step_fn after_step;   /* may be NULL */
    void *step_ctx;
} qat_train_callbacks;

typedef struct qat_train_log {
    qat_epoch_stats *history; /* caller-provided, room for cfg->epochs entries */
    int epochs_run;
    int best_epoch;           /* by the monitored metric; 0 when not tracked */
    int stopped_early;
    int restored_best;
    double seconds;           /* whole training */
} qat_train_log;

/* Trains m on train (normalised), validating on val each epoch. `seed` drives the
 * shuffle and dropout streams. cb may be NULL. A non-finite loss stops with
 * QAT_ERR_NUMERIC. */
qat_status qat_train(qat_model *m, const qat_train_config *cfg, const qat_dataset *train,
                     const qat_dataset *val, uint64_t seed, qat_train_log *log,
                     const qat_train_callbacks *cb, qat_error *e);

#endif
