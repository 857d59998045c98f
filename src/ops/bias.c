/* The bias of conv1d, conv2d and dense, forward and backward (op_impl.h): y[r][c] += b[c],
 * and db[c] plus dY's column c summed over its rows, row after row — the scalar loop's order
 * for each c — four columns at a time in SSE2 registers instead of a load and store per
 * value (the pointers could alias, as far as the compiler knows). */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stddef.h>

#include "op_impl.h"

void qat_bias_grad_add(float *db, const float *dy, int rows, int cols) {
    int c = 0;
#if defined(__SSE2__)
    for (; c + 4 <= cols; c += 4) {
        __m128 acc = _mm_loadu_ps(db + c);
        for (int r = 0; r < rows; r++) acc = _mm_add_ps(acc, _mm_loadu_ps(dy + (size_t)r * cols + c));
        _mm_storeu_ps(db + c, acc);
    }
#endif
    for (; c < cols; c++) {
        float acc = db[c];
        for (int r = 0; r < rows; r++) acc += dy[(size_t)r * cols + c];
        db[c] = acc;
    }
}

void qat_bias_add(float *y, const float *b, int rows, int cols) {
    for (int r = 0; r < rows; r++, y += cols) {
        int c = 0;
#if defined(__SSE2__)
        for (; c + 4 <= cols; c += 4) _mm_storeu_ps(y + c, _mm_add_ps(_mm_loadu_ps(y + c), _mm_loadu_ps(b + c)));
#endif
        for (; c < cols; c++) y[c] += b[c];
    }
}
