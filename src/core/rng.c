/* PCG32 (XSH-RR variant), from O'Neill's paper: state advances by a 64-bit LCG, the
 * output is the high bits xor-shifted and rotated by the top five bits of the state. */
#include "qat/rng.h"

#include <math.h>

#define PCG_MULT 6364136223846793005ULL

static uint32_t rotr32(uint32_t x, unsigned r) {
    return (x >> r) | (x << ((32 - r) & 31));
}

uint32_t qat_rng_u32(qat_rng *r) {
    uint64_t old = r->state;
    r->state = old * PCG_MULT + r->inc;
    uint32_t xorshifted = (uint32_t)(((old >> 18) ^ old) >> 27);
    return rotr32(xorshifted, (unsigned)(old >> 59));
}

void qat_rng_seed(qat_rng *r, uint64_t seed, uint64_t stream) {
    /* The reference initialisation: step once, add the seed, step again. */
    r->state = 0;
    r->inc = (stream << 1) | 1u;
    qat_rng_u32(r);
    r->state += seed;
    qat_rng_u32(r);
}

uint32_t qat_rng_below(qat_rng *r, uint32_t bound) {
    /* Reject the low values that would make x % bound uneven. */
    uint32_t threshold = (uint32_t)(-bound) % bound;
    for (;;) {
        uint32_t x = qat_rng_u32(r);
        if (x >= threshold) return x % bound;
    }
}

double qat_rng_uniform(qat_rng *r) {
    uint64_t hi = qat_rng_u32(r) >> 5, lo = qat_rng_u32(r) >> 6; /* 27 + 26 bits */
    return (double)(hi * 67108864u + lo) / 9007199254740992.0;
}

double qat_rng_normal(qat_rng *r) {
    double u1 = qat_rng_uniform(r), u2 = qat_rng_uniform(r);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void qat_rng_shuffle(qat_rng *r, int *idx, int n) {
    for (int i = n - 1; i > 0; i--) {
        int j = (int)qat_rng_below(r, (uint32_t)i + 1);
        int t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
}
