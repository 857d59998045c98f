/* qatrain — PCG32 random numbers (O'Neill 2014, "PCG: A Family of Simple Fast
 * Space-Efficient Statistically Good Algorithms for Random Number Generation"):
 * 64-bit LCG state, XSH-RR output permutation, selectable stream.
 *
 * One config seed drives every consumer; each consumer gets its own stream
 * (QAT_STREAM_*), so adding draws in one place never shifts another's sequence. */
#ifndef QAT_RNG_H
#define QAT_RNG_H

#include <stdint.h>

typedef struct qat_rng {
    uint64_t state; /* LCG state */
    uint64_t inc;   /* stream selector, always odd */
} qat_rng;

typedef enum qat_stream {
    QAT_STREAM_INIT,    /* weight initialisation */
    QAT_STREAM_SHUFFLE, /* minibatch order */
    QAT_STREAM_DROPOUT, /* dropout masks */
    QAT_STREAM_SPLIT,   /* train/test split */
    QAT_STREAM_DATA,    /* built-in gesture generator */
    QAT_STREAM_CALIB,   /* calibration subset */
    QAT_STREAM_AUGMENT, /* training-data augmentation (one generator per sample and epoch) */
    QAT_STREAM_SEARCH,  /* architecture search: draws, selection, crossover, mutation */
    QAT_STREAM_COUNT
} qat_stream;

void qat_rng_seed(qat_rng *r, uint64_t seed, uint64_t stream);
uint32_t qat_rng_u32(qat_rng *r);
/* Uniform integer in [0, bound), without modulo bias; bound > 0. */
uint32_t qat_rng_below(qat_rng *r, uint32_t bound);
/* Uniform double in [0, 1) with 53 random bits. */
double qat_rng_uniform(qat_rng *r);
/* Standard normal (Box-Muller, both draws used in turn is avoided: stateless, one pair per call). */
double qat_rng_normal(qat_rng *r);
/* Fisher-Yates shuffle of idx[0..n). */
void qat_rng_shuffle(qat_rng *r, int *idx, int n);

#endif
