/* Private helpers shared by the int8 kernels (conv.c, fully_connected.c). */
#ifndef QAT_INT8_KERNEL_UTIL_H
#define QAT_INT8_KERNEL_UTIL_H

#include <stdint.h>

#include "qat/qparams.h"

/* Σ w[i]·(x[i] + x_offset) over a block of exactly `len` taps. Every product fits int16
 * (|w| <= 128, |x + offset| <= 255) and the compiler knows the trip count, so -O2's cheap
 * vectoriser can use 16-bit multiply-adds into int32 lanes. */
#define QAT_I8_DOT_BLOCK(len)                                                              \
    do {                                                                                   \
        int32_t block = 0;                                                                 \
        for (int k = 0; k < (len); k++)                                                    \
            block += (int32_t)(int16_t)w[i + k] * (int16_t)(x[i + k] + offset16);          \
        acc += block;                                                                      \
        i += (len);                                                                        \
    } while (0)

/* Σ w[i]·(x[i] + x_offset) over n contiguous taps: the reference kernels' accumulation,
 * exact in int32 (the order of int32 additions does not matter). Blocks of 16, then at
 * most one of 8 and one of 4, then single taps: short runs (a 5×3 Conv1D window) stay
 * vectorised too. */
static inline int32_t qat_i8_dot(const int8_t *w, const int8_t *x, int n, int32_t x_offset) {
    const int16_t offset16 = (int16_t)x_offset; /* −zero point, in [-127, 128] */
    int32_t acc = 0;
    int i = 0;
    while (i + 16 <= n) QAT_I8_DOT_BLOCK(16);
    if (i + 8 <= n) QAT_I8_DOT_BLOCK(8);
    if (i + 4 <= n) QAT_I8_DOT_BLOCK(4);
    for (; i < n; i++) acc += (int32_t)w[i] * ((int32_t)x[i] + x_offset);
    return acc;
}

/* The common epilogue: requantize (double rounding), add the output zero point, clamp. */
static inline int8_t qat_i8_requantize_one(int32_t acc, int32_t multiplier, int shift,
                                           int32_t output_offset, int32_t act_min,
                                           int32_t act_max) {
    acc = qat_mul_by_quantized_multiplier(acc, multiplier, shift) + output_offset;
    if (acc < act_min) acc = act_min;
    if (acc > act_max) acc = act_max;
    return (int8_t)acc;
}

#endif
