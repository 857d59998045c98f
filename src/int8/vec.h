/* Internal to src/int8: the vector forms of CONV_2D / FULLY_CONNECTED and MAX_POOL_2D.
 *
 * A convolution runs over a widened copy of its input: int16 values x − z_in, with the
 * padding written out as zeros (a tap in the padding adds w·0, exactly what skipping it,
 * as TFLM does, adds). Every window is then whole, and each of its filter rows (or, with
 * groups or a horizontal dilation, each filter tap) is one run of adjacent values at a fixed
 * offset from the window's origin. The filter is packed per block of 16 output channels as
 * pairs of adjacent taps, [group][block][run][pair][16 channels][2 taps] int16, so one
 * 16-bit pair multiply-add (vpmaddwd / vpdpwssd) adds two taps to 16 (or 8) int32 lanes.
 * A run of odd length ends in a pair whose second weight is 0: its value is whatever follows
 * the run in the image (the buffer has a spare element at the end), times 0. Each product
 * |w·(x − z)| <= 128·255 and a pair's sum fit their lanes; the engine's accumulator check
 * bounds the rest, so every lane holds TFLM's sum exactly, in whatever order it was formed.
 *
 * FULLY_CONNECTED is the same kernel: a rows × 1 image of depth channels, a 1×1 filter. */
#ifndef QAT_INT8_VEC_H
#define QAT_INT8_VEC_H

#include <stddef.h>
#include <stdint.h>

#include "qat/int8.h"

#define QAT_I8_VEC_LANES 16 /* output channels per packed block */
#define QAT_I8_VEC_TILE 4   /* output pixels whose sums a kernel forms side by side */

typedef struct qat_i8_vec_conv {
    int batches, in_h, in_w, in_c;   /* the int8 input [batches, in_h, in_w, in_c] */
    int pad_h, pad_w;                /* zeros before the image in the widened copy */
    int hp, wp;                      /* the widened image: hp × wp × in_c int16 */
    int out_h, out_w, out_c;
    int step_y, step_x;              /* int16 offsets between windows: stride_h·wp·in_c, stride_w·in_c */
    int groups, per_group, blocks, fc; /* fc input channels per group; blocks of 16 per group */
    int runs, pairs;                 /* runs per window and pairs per run (ceil(run length / 2)) */
    int *run_offset;                 /* owned, [runs]: int16 offset of each run from the origin */
    int16_t *w;                      /* owned, [groups][blocks][runs][pairs][16][2] */
    int32_t *bias, *mult, *left, *right; /* owned, [groups·blocks·16], 0 past per_group:
                                         bias, multiplier, left shift max(shift, 0), right
                                         shift max(−shift, 0) */
    int32_t input_offset, output_offset, act_min, act_max;
} qat_i8_vec_conv;

/* Packs a CONV_2D (shapes as qat_i8_conv2d, OHWI filter, bias may be NULL); -1 when out of
 * memory (v is then freed). */
int qat_i8_vec_conv_init(qat_i8_vec_conv *v, const qat_i8_conv_params *p, const int *in_shape,
                         const int8_t *filter, const int *filter_shape, const int32_t *bias,
                         const int *out_shape);
/* FULLY_CONNECTED as a convolution (shapes as qat_i8_fully_connected). */
int qat_i8_vec_fc_init(qat_i8_vec_conv *v, const qat_i8_conv_params *p, int batches, int depth,
                       int out_depth, const int8_t *weights, const int32_t *bias);
void qat_i8_vec_conv_free(qat_i8_vec_conv *v);
/* int16 elements of scratch qat_i8_vec_conv_run needs: one widened image and a spare. */
size_t qat_i8_vec_conv_scratch(const qat_i8_vec_conv *v);
/* out = the convolution of in with family isa (not QAT_I8_ISA_PORTABLE). */
void qat_i8_vec_conv_run(qat_i8_isa isa, const qat_i8_vec_conv *v, const int8_t *in,
                         int16_t *scratch, int8_t *out);

/* Requantizes n <= 16 int32 sums (bias included) as the conv kernels' output pass does:
 * out[j] = clamp(MultiplyByQuantizedMultiplier(acc[j], mult[j], shift) + offset, lo, hi),
 * shift = left[j] − right[j] (one of them 0; left <= 31, right <= 31). Arrays of 16. */
typedef void qat_i8_vec_requant_fn(const int32_t *acc, const int32_t *mult, const int32_t *left,
                                   const int32_t *right, int32_t offset, int32_t lo, int32_t hi,
                                   int n, int8_t *out);

/* One family's kernels. */
typedef struct qat_i8_vec_kernels {
    void (*conv)(const qat_i8_vec_conv *v, const int16_t *image, int8_t *out); /* one batch */
    qat_i8_vec_requant_fn *requant;
    void (*max_pool)(const qat_i8_pool_params *p, const int *in_shape, const int8_t *in,
                     const int *out_shape, int8_t *out);
    void (*widen)(const int8_t *s, size_t n, int16_t offset, int16_t *d); /* d = s + offset */
} qat_i8_vec_kernels;

/* The kernels of a vector family (NULL for QAT_I8_ISA_PORTABLE). */
const qat_i8_vec_kernels *qat_i8_vec_kernels_of(qat_i8_isa isa);
extern const qat_i8_vec_kernels qat_i8_vec_avx2, qat_i8_vec_avxvnni, qat_i8_vec_avx512;

#endif
