/* MAX_POOL_2D and AVERAGE_POOL_2D int8: TFLM's reference_integer_ops MaxPool / AveragePool
 * (reference/tflite-int8.md §7.6–§7.7). Input and output share scale and zero point, so the
 * raw int8 values are pooled directly. Windows are clipped to the image: padded positions
 * never take part, neither in the max nor in the average's count. Channels are innermost
 * in NHWC, so each pixel is reduced over its window 16 channels at a time. */
#include "qat/int8.h"

#define LANES 16

/* The clipped window along one axis: taps [lo, hi) with origin + f inside [0, size). */
static void clip(int origin, int filter, int size, int *lo, int *hi) {
    *lo = origin < 0 ? -origin : 0;
    *hi = size - origin < filter ? size - origin : filter;
    if (*hi < *lo) *hi = *lo; /* a window wholly in the padding is empty */
}

static int8_t clamp8(int32_t v, int32_t lo, int32_t hi) {
    return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

/* One output pixel from the rows × cols in-image taps starting at x (channel 0), taps
 * `row_stride` apart vertically and c apart horizontally. */
typedef void (*pool_pixel)(const qat_i8_pool_params *p, const int8_t *x, int row_stride,
                           int rows, int cols, int c, int8_t *o);

/* Max over the window, starting from −128 as TFLM does, then the activation clamp. */
static void max_pixel(const qat_i8_pool_params *p, const int8_t *x, int row_stride, int rows,
                      int cols, int c, int8_t *o) {
    for (int c0 = 0; c0 < c; c0 += LANES) {
        const int n = c - c0 < LANES ? c - c0 : LANES;
        int8_t m[LANES];
        for (int j = 0; j < LANES; j++) m[j] = INT8_MIN;
        for (int fy = 0; fy < rows; fy++)
            for (int fx = 0; fx < cols; fx++) {
                const int8_t *t = x + (size_t)fy * row_stride + (size_t)fx * c + c0;
                if (n == LANES) /* fixed width: the compiler can use vector max */
                    for (int j = 0; j < LANES; j++) m[j] = t[j] > m[j] ? t[j] : m[j];
                else
                    for (int j = 0; j < n; j++) m[j] = t[j] > m[j] ? t[j] : m[j];
            }
        for (int j = 0; j < n; j++) o[c0 + j] = clamp8(m[j], p->act_min, p->act_max);
    }
}

/* Sum of the in-image taps divided by their count, rounding half away from zero with C's
 * truncating division as the reference kernel does, then the activation clamp. */
static void average_pixel(const qat_i8_pool_params *p, const int8_t *x, int row_stride, int rows,
                          int cols, int c, int8_t *o) {
    const int32_t count = rows * cols;
    for (int c0 = 0; c0 < c; c0 += LANES) {
        const int n = c - c0 < LANES ? c - c0 : LANES;
        int32_t acc[LANES] = {0};
        for (int fy = 0; fy < rows; fy++)
            for (int fx = 0; fx < cols; fx++) {
                const int8_t *t = x + (size_t)fy * row_stride + (size_t)fx * c + c0;
                for (int j = 0; j < n; j++) acc[j] += t[j];
            }
        for (int j = 0; j < n; j++) {
            int32_t v = 0; /* an empty window cannot occur for shapes the engine accepts */
            if (count > 0) v = qat_i8_average_round(acc[j], count);
            o[c0 + j] = clamp8(v, p->act_min, p->act_max);
        }
    }
}

/* Visits every output pixel with its clipped window; shared by max and average so the
 * geometry is written once. */
static void pool(const qat_i8_pool_params *p, const int *in_shape, const int8_t *in,
                 const int *out_shape, int8_t *out, pool_pixel pixel) {
    const int in_h = in_shape[1], in_w = in_shape[2], c = in_shape[3];
    const int out_h = out_shape[1], out_w = out_shape[2];
    for (int b = 0; b < in_shape[0]; b++) {
        for (int oy = 0; oy < out_h; oy++) {
            const int y0 = oy * p->stride_h - p->pad_h;
            int fy0, fy1;
            clip(y0, p->filter_h, in_h, &fy0, &fy1);
            for (int ox = 0; ox < out_w; ox++) {
                const int x0 = ox * p->stride_w - p->pad_w;
                int fx0, fx1;
                clip(x0, p->filter_w, in_w, &fx0, &fx1);
                const int8_t *x = in + (((size_t)b * in_h + (size_t)(y0 + fy0)) * in_w +
                                        (size_t)(x0 + fx0)) * c;
                pixel(p, x, in_w * c, fy1 - fy0, fx1 - fx0, c,
                      out + (((size_t)b * out_h + oy) * out_w + ox) * c);
            }
        }
    }
}

void qat_i8_max_pool(const qat_i8_pool_params *p, const int *in_shape, const int8_t *in,
                     const int *out_shape, int8_t *out) {
    pool(p, in_shape, in, out_shape, out, max_pixel);
}

void qat_i8_average_pool(const qat_i8_pool_params *p, const int *in_shape, const int8_t *in,
                         const int *out_shape, int8_t *out) {
    pool(p, in_shape, in, out_shape, out, average_pixel);
}
