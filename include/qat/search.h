/* qatrain — architecture search under a microcontroller budget ([search]): the chapter's
 * evolutionary NAS, for real.
 *
 * A genome is a block list (2..6 blocks, each a conv / separable conv / depthwise conv of
 * 1-D or 2-D as the data, with its filters, kernel, ReLU or ReLU6 and optional batch norm; a
 * max-pool after every second block) and a head (global average pooling or flatten, an
 * optional hidden Dense, Dropout, the classifier). qat_genome_layers turns it into the
 * [layer.*] list any config could hold.
 *
 * The search is generational: a seeded random population, each generation's candidates
 * trained briefly (early stopping) and scored on the validation split — never the test
 * split — then tournament selection, elitism, crossover of block lists and mutation. Every
 * candidate is checked against the target before any training, exactly, on its lowered
 * int8 model (flash = the .tflite's bytes, arena = TFLite Micro's recommended arena): one
 * that cannot ship is never trained. Fitness is the chapter's weighted sum
 * (accuracy_weight · accuracy + (1 − accuracy_weight) · efficiency, efficiency = the mean
 * headroom left in flash and arena), or Pareto: rank by non-domination over (accuracy,
 * flash, arena), ties by crowding distance (NSGA-II). A candidate's training is seeded by
 * the run's seed and its genome alone, so its result does not depend on when, where or
 * alongside what it runs: the search is the same whatever the number of workers, and the
 * same when its candidates run as job folders on other machines (src/search/jobs.c).
 *
 * The driver (qat_search_run) is pure logic over two callbacks — the exact constraint check
 * and the batch training — so the pipeline, the job path and the tests drive the same
 * search. */
#ifndef QAT_SEARCH_H
#define QAT_SEARCH_H

#include <signal.h>
#include <stdint.h>

#include "qat/data.h"
#include "qat/error.h"
#include "qat/layer.h"
#include "qat/quant.h"
#include "qat/rng.h"
#include "qat/target.h"
#include "qat/train_config.h"

#define QAT_SEARCH_MAX_BLOCKS 6
#define QAT_SEARCH_MAX_CHOICES 8
#define QAT_SEARCH_MAX_POPULATION 256
#define QAT_SEARCH_MAX_GENERATIONS 100
#define QAT_GENOME_TEXT 160 /* the longest text form, with its NUL */

typedef enum qat_search_op {
    QAT_SEARCH_CONV,      /* conv1d / conv2d */
    QAT_SEARCH_SEPARABLE, /* separable_conv2d (2-D data only) */
    QAT_SEARCH_DEPTHWISE, /* depthwise_conv2d (2-D data only; keeps the channel count) */
    QAT_SEARCH_OP_COUNT
} qat_search_op;

typedef enum qat_search_fitness {
    QAT_FITNESS_WEIGHTED, /* the chapter's 0.7 · accuracy + 0.3 · efficiency */
    QAT_FITNESS_PARETO,   /* non-dominated rank over accuracy, flash, arena; then crowding */
    QAT_FITNESS_COUNT
} qat_search_fitness;

typedef enum qat_search_accuracy {
    QAT_SEARCH_ACC_FLOAT, /* the float model's validation accuracy */
    QAT_SEARCH_ACC_INT8,  /* the int8 PTQ model's, on the integer engine: what will ship */
    QAT_SEARCH_ACC_COUNT
} qat_search_accuracy;

typedef enum qat_search_bn {
    QAT_SEARCH_BN_OPTIONAL, /* a gene */
    QAT_SEARCH_BN_ALWAYS,
    QAT_SEARCH_BN_NEVER,
    QAT_SEARCH_BN_COUNT
} qat_search_bn;

typedef enum qat_search_head {
    QAT_SEARCH_HEAD_GAP,     /* global average pooling */
    QAT_SEARCH_HEAD_FLATTEN,
    QAT_SEARCH_HEAD_COUNT
} qat_search_head;

typedef struct qat_search_config {
    int enabled;
    int population, generations;
    int min_blocks, max_blocks;  /* 1..QAT_SEARCH_MAX_BLOCKS */
    unsigned ops;                /* bit per qat_search_op */
    unsigned heads;              /* bit per qat_search_head */
    unsigned acts;               /* bit per qat_activation (relu, relu6) */
    int bn;                      /* qat_search_bn */
    int n_filters, filters[QAT_SEARCH_MAX_CHOICES];
    int n_kernels, kernels[QAT_SEARCH_MAX_CHOICES];
    int n_dense, dense[QAT_SEARCH_MAX_CHOICES]; /* hidden Dense units; 0 = none */
    double dropout;              /* before the classifier; 0 = none */
    int epochs, patience, batch; /* each candidate's training ([train] for the rest) */
    int fitness;                 /* qat_search_fitness */
    int accuracy;                /* qat_search_accuracy */
    double accuracy_weight;      /* weighted fitness */
    int tournament, elite;
    double mutation_rate;        /* chance that a child is mutated (one gene) */
    int workers;                 /* candidates trained at once; 0 = QATRAIN_THREADS, else one
                                    per processor (int8.h qat_i8_threads) */
} qat_search_config;

/* Names as configs and reports write them (src/config/enums.c). */
const char *qat_search_op_name(qat_search_op o);
const char *qat_search_head_name(qat_search_head h);
const char *qat_search_bn_name(qat_search_bn b);
const char *qat_search_fitness_name(qat_search_fitness f);
const char *qat_search_accuracy_name(qat_search_accuracy a);

/* The search config's defaults (the chapter's: population 20, 10 generations, 2..6 blocks,
 * filters 8/16/32/64, kernels 3/5, Dense 16/32/64, 10 epochs, patience 3, batch 32,
 * 0.7 / 0.3, tournament 3, elite 2). */
void qat_search_defaults(qat_search_config *s);

typedef struct qat_gene_block {
    int op;      /* qat_search_op */
    int filters; /* conv, separable; depthwise: 0 (it keeps its input's channels) */
    int kernel;
    int act;     /* QAT_ACT_RELU or QAT_ACT_RELU6 */
    int bn;      /* batch norm between the conv and its activation */
} qat_gene_block;

typedef struct qat_genome {
    int n_blocks;
    qat_gene_block b[QAT_SEARCH_MAX_BLOCKS];
    int head;    /* qat_search_head */
    int dense;   /* hidden Dense units, 0 = none */
} qat_genome;

/* The search space a run draws from: the config and the data's shape. */
typedef struct qat_search_space {
    const qat_search_config *cfg;
    qat_shape in;   /* one sample */
    int n_classes;
} qat_search_space;

/* A random genome of the space (valid as layers: qat_genome_layers succeeds). */
void qat_genome_random(const qat_search_space *sp, qat_rng *r, qat_genome *g);
/* One gene changed: a block's op, filters, kernel, activation or batch norm, a block added
 * or removed (within min..max blocks), the head or the Dense units. */
void qat_genome_mutate(const qat_search_space *sp, qat_rng *r, qat_genome *g);
/* The chapter's one-point crossover: a's first blocks, b's from the cut on; b's head. */
void qat_genome_crossover(const qat_search_space *sp, qat_rng *r, const qat_genome *a,
                          const qat_genome *b, qat_genome *child);
/* The layer list (names b1_conv, b1_bn, b1_act, pool1, ..., head, dense, dropout, output);
 * QAT_ERR_CONFIG when the blocks do not fit the input (a map would shrink below 1). */
qat_status qat_genome_layers(const qat_search_space *sp, const qat_genome *g,
                             qat_layer_spec *layers, int *n_layers, qat_error *e);
/* The text form, e.g. "c16k5r c32k3r6b s64k3rb | gap d32" (op letter c / s / d, filters,
 * k kernel, r relu or r6 relu6, b batch norm; head gap or flat; d units or d0), and back
 * (QAT_ERR_FORMAT naming what is wrong). */
void qat_genome_format(const qat_genome *g, char *buf, size_t cap);
qat_status qat_genome_parse(const char *text, qat_genome *g, qat_error *e);
int qat_genome_equal(const qat_genome *a, const qat_genome *b);

/* What the exact check measures on the lowered int8 model (before training). */
typedef struct qat_candidate_cost {
    long flash_bytes, arena_bytes, macs, params;
    int fits; /* every limit of the target */
} qat_candidate_cost;

/* One evaluated candidate. */
typedef struct qat_candidate {
    qat_genome g;
    char text[QAT_GENOME_TEXT];
    qat_candidate_cost cost;
    int epochs_run;
    int val_n, val_float_correct, val_int8_correct; /* on the validation split */
    double fitness;  /* weighted: the score; Pareto: -rank (higher is better) */
    double crowding; /* Pareto only */
    int generation;  /* first evaluated in */
    int evaluated;   /* 0: the batch callback left it pending (job path) */
} qat_candidate;

/* The accuracy the fitness uses, and the efficiency term (mean headroom, clamped to 0). */
double qat_candidate_accuracy(const qat_search_config *s, const qat_candidate *c);
double qat_candidate_efficiency(long flash_limit, long arena_limit, const qat_candidate_cost *c);

/* The callbacks: the exact check of one genome (sequential; cheap), and the training of a
 * batch (filling val_* and epochs_run; may leave some unevaluated: the search then stops,
 * returning with pending > 0). */
typedef qat_status (*qat_search_check_fn)(void *ctx, const qat_genome *g, qat_candidate_cost *c,
                                          qat_error *e);
typedef qat_status (*qat_search_train_fn)(void *ctx, qat_candidate *batch, int n, qat_error *e);

typedef struct qat_search_result {
    int n, cap;
    qat_candidate *all;   /* every distinct candidate, in the order first evaluated (owned) */
    int best;             /* index in all: the winner (weighted: best fitness; Pareto: the
                             most accurate of the front, then the smaller flash) */
    int n_front;
    int *front;           /* the non-dominated set over all candidates, by flash (owned) */
    int rejected;         /* genomes drawn that did not fit the target (never trained) */
    int generations_done;
    int pending;          /* job path: candidates still to run */
    double gen_fitness[QAT_SEARCH_MAX_GENERATIONS]; /* per generation: the population's best
                                                       fitness (weighted; Pareto: front size) */
    double gen_accuracy[QAT_SEARCH_MAX_GENERATIONS]; /* ... and its best accuracy */
} qat_search_result;

/* The whole search; flash and arena limits must be set (> 0) for the weighted fitness. */
qat_status qat_search_run(const qat_search_space *sp, uint64_t seed, long flash_limit,
                          long arena_limit, qat_search_check_fn check,
                          qat_search_train_fn train, void *ctx, qat_search_result *r,
                          qat_error *e);
void qat_search_result_free(qat_search_result *r);

/* ---- evaluating candidates on data (src/search/candidate.c, workers.c) ---------------- */

typedef struct qat_search_data {
    const qat_search_space *sp;
    qat_train_config train;       /* [train] with [search] epochs, patience (restoring the best
                                     weights) and batch */
    const qat_quant_config *quant;
    const qat_dataset *train_set, *val, *calib; /* normalised; never the test split */
    qat_target_limits limits;
    const char *description;      /* written into each .tflite (its bytes count in flash) */
    uint64_t seed;                /* the run's */
    int workers;                  /* threads training candidates at once (>= 1) */
    const volatile sig_atomic_t *stop; /* the caller's stop flag, or NULL */
} qat_search_data;

/* The seed of a genome's training: the run's seed and its text form, nothing else. */
uint64_t qat_candidate_seed(uint64_t run_seed, const char *text);
/* The exact check: the genome built, initialised, calibrated on the first samples of the
 * calibration set and lowered to int8; flash = the serialised .tflite's bytes, arena = TFLite
 * Micro's recommended arena on a 32-bit MCU, MACs and parameters of the model. */
qat_status qat_candidate_check(const qat_search_data *d, const qat_genome *g,
                               qat_candidate_cost *c, qat_error *e);
/* Trains one candidate (c->g, c->text set) and scores it on the validation split: the float
 * model, and its int8 PTQ model ([quant]'s observer and options) on the integer engine; the
 * cost is measured again on the trained model. */
qat_status qat_candidate_train(const qat_search_data *d, qat_candidate *c, qat_error *e);
/* A batch on d->workers threads; the result is the same whatever their number. An error
 * reported is the one of the first failing candidate in batch order; QAT_ERR_INTERRUPTED
 * when *d->stop was set. */
qat_status qat_candidate_train_batch(const qat_search_data *d, qat_candidate *batch, int n,
                                     qat_error *e);

#endif
