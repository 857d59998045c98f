/* CONV_2D and DEPTHWISE_CONV_2D, int8 per-channel: TFLM's reference_integer_ops
 * ConvPerChannel / DepthwiseConvPerChannel arithmetic (reference/tflite-int8.md §7.3–§7.4).
 *
 * For each output (b, oy, ox, oc): acc = Σ w·(x − z_in) over the taps that fall inside the
 * image (taps in the padding are skipped, i.e. padding holds the input zero point), plus
 * bias, then MultiplyByQuantizedMultiplier, + z_out, clamp. int32 addition is exact, so
 * summing in a different order than TFLM's loops changes nothing. */
#include "qat/int8.h"

#include "kernel_util.h"

/* The valid filter-tap range [lo, hi) along one axis for a window starting at `origin`
 * (may be negative), so that origin + dilation·f lies in [0, size). */
static void tap_range(int origin, int dilation, int filter, int size, int *lo, int *hi) {
    int a = 0, b = filter;
    while (a < b && origin + dilation * a < 0) a++;
    while (b > a && origin + dilation * (b - 1) >= size) b--;
    *lo = a;
    *hi = b;
}

/* Where one output position's window meets the image: the valid tap ranges and the
 * input row of its first tap. Computed once per position, shared by every channel. */
typedef struct window {
    int fy0, fy1, fx0, fx1; /* valid taps [fy0, fy1) × [fx0, fx1) */
    int y0, x0;             /* input coordinates of tap (0, 0); may lie in the padding */
} window;

static window window_at(const qat_i8_conv_params *p, const int *in_shape, const int *filter_shape,
                        int oy, int ox) {
    window w = {.y0 = oy * p->stride_h - p->pad_h, .x0 = ox * p->stride_w - p->pad_w};
    tap_range(w.y0, p->dilation_h, filter_shape[1], in_shape[1], &w.fy0, &w.fy1);
    tap_range(w.x0, p->dilation_w, filter_shape[2], in_shape[2], &w.fx0, &w.fx1);
    return w;
}

/* ---- CONV_2D ------------------------------------------------------------------------ */

/* The geometry of grouped convolution: groups = in_c / fc, each with per_group output
 * channels, packed in blocks of QAT_I8_CONV_BLOCK. */
typedef struct conv_groups {
    int groups, per_group, blocks; /* blocks per group */
    size_t block_size;             /* bytes of one packed block: fh·fw·fc·16 */
} conv_groups;

static conv_groups groups_of(const int *filter_shape, int in_channels) {
    conv_groups g;
    g.groups = in_channels / filter_shape[3];
    g.per_group = filter_shape[0] / g.groups;
    g.blocks = (g.per_group + QAT_I8_CONV_BLOCK - 1) / QAT_I8_CONV_BLOCK;
    g.block_size = (size_t)filter_shape[1] * filter_shape[2] * filter_shape[3] * QAT_I8_CONV_BLOCK;
    return g;
}

size_t qat_i8_conv2d_packed_size(const int *filter_shape, int in_channels) {
    const conv_groups g = groups_of(filter_shape, in_channels);
    return (size_t)g.groups * g.blocks * g.block_size;
}

void qat_i8_conv2d_pack(const int *filter_shape, int in_channels, const int8_t *filter,
                        int8_t *packed) {
    const conv_groups g = groups_of(filter_shape, in_channels);
    const size_t taps = g.block_size / QAT_I8_CONV_BLOCK; /* fh·fw·fc, one OHWI filter row */
    for (int grp = 0; grp < g.groups; grp++)
        for (int blk = 0; blk < g.blocks; blk++) {
            int8_t *dst = packed + ((size_t)grp * g.blocks + blk) * g.block_size;
            for (int j = 0; j < QAT_I8_CONV_BLOCK; j++) {
                const int c = blk * QAT_I8_CONV_BLOCK + j; /* channel within the group */
                const int8_t *src = filter + ((size_t)grp * g.per_group + c) * taps;
                for (size_t k = 0; k < taps; k++)
                    dst[k * QAT_I8_CONV_BLOCK + j] = c < g.per_group ? src[k] : 0;
            }
        }
}

/* acc[j] += Σ_i w[i][j]·(x[i] − z_in) over n adjacent taps: 16 output channels at once,
 * each product exact in int16 (|w| <= 128, |x − z| <= 255), so the fixed-width inner loop
 * becomes 16-bit vector multiplies widened into the int32 lanes, which stay in registers. */
static inline void accumulate_taps(int32_t *acc, const int8_t *x, const int8_t *w, int n,
                                   int32_t input_offset) {
    for (int i = 0; i < n; i++) {
        const int16_t xv = (int16_t)(x[i] + input_offset);
        const int8_t *wr = w + (size_t)i * QAT_I8_CONV_BLOCK;
        for (int j = 0; j < QAT_I8_CONV_BLOCK; j++) acc[j] += (int16_t)(wr[j] * xv);
    }
}

/* Sums every in-image tap of window `w` into acc for one block: x is the image at the
 * block's first input channel, wb the packed block [fh][fw][fc][16]. With dilation 1 and no
 * groups, the taps of a filter row are adjacent in both, so a row is a single run. */
static void accumulate_window(int32_t *acc, const qat_i8_conv_params *p, const int *in_shape,
                              const int *filter_shape, const window *w, const int8_t *x,
                              const int8_t *wb) {
    const int in_w = in_shape[2], in_c = in_shape[3];
    const int fw = filter_shape[2], fc = filter_shape[3];
    const int row_run = p->dilation_w == 1 && fc == in_c;
    for (int fy = w->fy0; fy < w->fy1; fy++) {
        const int iy = w->y0 + p->dilation_h * fy;
        if (row_run) {
            accumulate_taps(acc, x + ((size_t)iy * in_w + w->x0 + w->fx0) * in_c,
                            wb + ((size_t)fy * fw + w->fx0) * fc * QAT_I8_CONV_BLOCK,
                            (w->fx1 - w->fx0) * fc, p->input_offset);
            continue;
        }
        for (int fx = w->fx0; fx < w->fx1; fx++) {
            const int ix = w->x0 + p->dilation_w * fx;
            accumulate_taps(acc, x + ((size_t)iy * in_w + ix) * in_c,
                            wb + ((size_t)fy * fw + fx) * fc * QAT_I8_CONV_BLOCK, fc,
                            p->input_offset);
        }
    }
}

/* One output pixel: every group, every block of output channels. */
static void conv_pixel(const qat_i8_conv_params *p, const conv_groups *g, const int *in_shape,
                       const int8_t *image, const int *filter_shape, const int8_t *packed,
                       const int32_t *bias, const window *w, int8_t *o) {
    for (int grp = 0; grp < g->groups; grp++)
        for (int blk = 0; blk < g->blocks; blk++) {
            const int oc0 = grp * g->per_group + blk * QAT_I8_CONV_BLOCK;
            const int rest = g->per_group - blk * QAT_I8_CONV_BLOCK;
            const int n = rest < QAT_I8_CONV_BLOCK ? rest : QAT_I8_CONV_BLOCK;
            int32_t acc[QAT_I8_CONV_BLOCK] = {0};
            accumulate_window(acc, p, in_shape, filter_shape, w,
                              image + (size_t)grp * filter_shape[3],
                              packed + ((size_t)grp * g->blocks + blk) * g->block_size);
            for (int j = 0; j < n; j++) {
                const int oc = oc0 + j;
                o[oc] = qat_i8_requantize_one(acc[j] + (bias ? bias[oc] : 0), p->multiplier[oc],
                                              p->shift[oc], p->output_offset, p->act_min,
                                              p->act_max);
            }
        }
}

void qat_i8_conv2d(const qat_i8_conv_params *p, const int *in_shape, const int8_t *in,
                   const int *filter_shape, const int8_t *packed_filter, const int32_t *bias,
                   const int *out_shape, int8_t *out) {
    const size_t image_size = (size_t)in_shape[1] * in_shape[2] * in_shape[3];
    const int out_h = out_shape[1], out_w = out_shape[2], out_c = out_shape[3];
    const conv_groups g = groups_of(filter_shape, in_shape[3]);
    for (int b = 0; b < in_shape[0]; b++)
        for (int oy = 0; oy < out_h; oy++)
            for (int ox = 0; ox < out_w; ox++) {
                const window w = window_at(p, in_shape, filter_shape, oy, ox);
                conv_pixel(p, &g, in_shape, in + (size_t)b * image_size, filter_shape,
                           packed_filter, bias, &w,
                           out + (((size_t)b * out_h + oy) * out_w + ox) * out_c);
            }
}

/* ---- DEPTHWISE_CONV_2D ---------------------------------------------------------------- */

/* One depthwise output (oc = ic·depth_multiplier + m): taps step through the input by
 * in_c and through the filter ([1, fh, fw, out_c]) by out_c, so each tap is one product. */
static int32_t depthwise_window(const qat_i8_conv_params *p, const int *in_shape,
                                const int *filter_shape, const window *w, const int8_t *x,
                                const int8_t *f, int out_c) {
    const int in_w = in_shape[2], in_c = in_shape[3], fw = filter_shape[2];
    int32_t acc = 0;
    for (int fy = w->fy0; fy < w->fy1; fy++) {
        const int iy = w->y0 + p->dilation_h * fy;
        for (int fx = w->fx0; fx < w->fx1; fx++) {
            const int ix = w->x0 + p->dilation_w * fx;
            const int32_t xv = x[((size_t)iy * in_w + ix) * in_c] + p->input_offset;
            acc += (int32_t)f[((size_t)fy * fw + fx) * out_c] * xv;
        }
    }
    return acc;
}

void qat_i8_depthwise_conv2d(const qat_i8_conv_params *p, const int *in_shape, const int8_t *in,
                             const int *filter_shape, const int8_t *filter, const int32_t *bias,
                             const int *out_shape, int8_t *out) {
    const int in_h = in_shape[1], in_w = in_shape[2], in_c = in_shape[3];
    const int out_h = out_shape[1], out_w = out_shape[2], out_c = out_shape[3];
    const int dm = p->depth_multiplier;
    for (int b = 0; b < in_shape[0]; b++) {
        const int8_t *image = in + (size_t)b * in_h * in_w * in_c;
        for (int oy = 0; oy < out_h; oy++) {
            for (int ox = 0; ox < out_w; ox++) {
                const window w = window_at(p, in_shape, filter_shape, oy, ox);
                int8_t *o = out + (((size_t)b * out_h + oy) * out_w + ox) * out_c;
                for (int oc = 0; oc < out_c; oc++) {
                    int32_t acc = depthwise_window(p, in_shape, filter_shape, &w, image + oc / dm,
                                                   filter + oc, out_c);
                    if (bias) acc += bias[oc];
                    o[oc] = qat_i8_requantize_one(acc, p->multiplier[oc], p->shift[oc],
                                                  p->output_offset, p->act_min, p->act_max);
                }
            }
        }
    }
}
