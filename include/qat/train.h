/* qatrain — the training loop: shuffled minibatches, forward, backward, optimiser step,
 * validation each epoch, optional learning-rate reduction on plateau and early stopping
 * with best-weights restore (Keras' ReduceLROnPlateau and EarlyStopping semantics,
 * min_delta 1e-4). Reports progress through a callback; never prints. */
#ifndef QAT_TRAIN_H
#define QAT_TRAIN_H

#include <signal.h>
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
/* Called before each epoch's first step (a resumed epoch's too); returns 1 when the epoch
 * trains the final model, 0 for a transitional one (progressive or delayed quantization).
 * Only final epochs count for plateau, early stopping and the best weights; their trackers
 * start afresh at the first final epoch. */
typedef int (*qat_epoch_fn)(void *ctx, qat_model *m, int epoch);
/* Knowledge distillation: the teacher's probabilities at the distillation temperature for
 * the batch's inputs x (batch samples, normalised, augmented as the student sees them) into
 * soft (batch × classes). */
typedef void (*qat_soft_fn)(void *ctx, const float *x, int batch, float *soft);



typedef struct qat_train_log {
    qat_epoch_stats *history; /* caller-provided, room for cfg->epochs entries */
    int epochs_run;
    int best_epoch;           /* by the monitored metric; 0 when not tracked */
    int stopped_early;
    int restored_best;
    double seconds;           /* whole training */
} qat_train_log;

/* Everything a training run needs to continue exactly where it stopped: the model's
 * numbers, the optimiser's moments, both random streams, this epoch's sample order and
 * partial sums, the plateau / early-stopping trackers and the history so far. */
typedef struct qat_train_snapshot {
    int epoch;               /* the epoch in progress, 1-based */
    int step;                /* its steps already done */
    long global_step;        /* optimiser steps since the start */
    double sum;              /* this epoch's loss sum and correct count so far */
    int hits;
    double lr;
    double plateau_best, stop_best;
    int plateau_wait, stop_wait;
    qat_rng shuffle, dropout;
    long opt_t;
    int n_order;
    int *order;              /* this epoch's sample order */
    size_t n_params, n_state;
    float *params, *state;   /* the model */
    float *m, *v;            /* the optimiser's moments (n_params each) */
    int has_best;            /* early stopping keeps the best weights */
    float *best_params, *best_state;
    int epochs;              /* entries of history */
    qat_epoch_stats *history;
    qat_train_log log;       /* counters (its history pointer is not used) */
} qat_train_snapshot;

void qat_train_snapshot_free(qat_train_snapshot *s);

typedef struct qat_train_callbacks {
    qat_progress_fn progress; /* may be NULL */
    void *progress_ctx;
    qat_step_fn after_step;   /* may be NULL */
    void *step_ctx;
    qat_epoch_fn before_epoch; /* may be NULL: every epoch is final */
    void *epoch_ctx;
    qat_soft_fn soft_targets;  /* may be NULL: no distillation (ops.h softmax_xent) */
    void *soft_ctx;
    float distill_alpha, distill_t;
    /* Set (by a signal handler) to stop after the current step: the state goes to *save
     * (which must then be non-NULL) and qat_train returns QAT_ERR_INTERRUPTED. */
    const volatile sig_atomic_t *stop;
    qat_train_snapshot *save;
    const qat_train_snapshot *resume; /* continue from this instead of starting afresh */
} qat_train_callbacks;

/* Trains m on train (normalised), validating on val each epoch. `seed` drives the
 * shuffle and dropout streams. cb may be NULL. A non-finite loss stops with
 * QAT_ERR_NUMERIC. */
qat_status qat_train(qat_model *m, const qat_train_config *cfg, const qat_dataset *train,
                     const qat_dataset *val, uint64_t seed, qat_train_log *log,
                     const qat_train_callbacks *cb, qat_error *e);

#endif
