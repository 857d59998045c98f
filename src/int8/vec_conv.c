/* The vector convolution's portable half (vec.h): packing the filter and the requantization
 * parameters once, widening each input image, choosing the family's kernels. */
#include "vec.h"

#include <stdlib.h>
#include <string.h>

const qat_i8_vec_kernels *qat_i8_vec_kernels_of(qat_i8_isa isa) {
    switch (isa) {
    case QAT_I8_ISA_AVX2: return &qat_i8_vec_avx2;
    case QAT_I8_ISA_AVXVNNI: return &qat_i8_vec_avxvnni;
    case QAT_I8_ISA_AVX512: return &qat_i8_vec_avx512;
    default: return NULL;
    }
}

void qat_i8_vec_conv_free(qat_i8_vec_conv *v) {
    free(v->run_offset);
    free(v->w);
    free(v->bias);
    free(v->mult);
    free(v->left);
    free(v->right);
    memset(v, 0, sizeof *v);
}

/* The filter value of tap i of run r for output channel oc (OHWI; 0 past the run). A row
 * run (runs == fh) holds a filter row's fw·fc taps, otherwise a run is one tap's fc. */
static int16_t tap(const qat_i8_vec_conv *v, const int8_t *filter, const int *fs, int oc, int r,
                   int i, int len) {
    if (i >= len) return 0;
    const int fy = v->runs == fs[1] ? r : r / fs[2];
    const int fx = v->runs == fs[1] ? i / v->fc : r % fs[2];
    const int ci = v->runs == fs[1] ? i % v->fc : i;
    return filter[(((size_t)oc * fs[1] + fy) * fs[2] + fx) * v->fc + ci];
}

static void pack_weights(qat_i8_vec_conv *v, const int8_t *filter, const int *fs, int len) {
    int16_t *d = v->w;
    for (int g = 0; g < v->groups; g++)
        for (int blk = 0; blk < v->blocks; blk++)
            for (int r = 0; r < v->runs; r++)
                for (int pr = 0; pr < v->pairs; pr++)
                    for (int j = 0; j < QAT_I8_VEC_LANES; j++, d += 2) {
                        const int c = blk * QAT_I8_VEC_LANES + j;
                        const int oc = g * v->per_group + c;
                        d[0] = c < v->per_group ? tap(v, filter, fs, oc, r, 2 * pr, len) : 0;
                        d[1] = c < v->per_group ? tap(v, filter, fs, oc, r, 2 * pr + 1, len) : 0;
                    }
}

/* Bias, multiplier and the two shifts per packed lane. */
static void pack_params(qat_i8_vec_conv *v, const qat_i8_conv_params *p, const int32_t *bias) {
    for (int g = 0; g < v->groups; g++)
        for (int c = 0; c < v->blocks * QAT_I8_VEC_LANES; c++) {
            const size_t k = (size_t)g * v->blocks * QAT_I8_VEC_LANES + c;
            const int oc = g * v->per_group + c;
            const int in = c < v->per_group;
            v->bias[k] = in && bias ? bias[oc] : 0;
            v->mult[k] = in ? p->multiplier[oc] : 0;
            v->left[k] = in && p->shift[oc] > 0 ? p->shift[oc] : 0;
            v->right[k] = in && p->shift[oc] < 0 ? -p->shift[oc] : 0;
        }
}

int qat_i8_vec_conv_init(qat_i8_vec_conv *v, const qat_i8_conv_params *p, const int *in_shape,
                         const int8_t *filter, const int *fs, const int32_t *bias,
                         const int *out_shape) {
    memset(v, 0, sizeof *v);
    v->batches = in_shape[0], v->in_h = in_shape[1], v->in_w = in_shape[2], v->in_c = in_shape[3];
    v->out_h = out_shape[1], v->out_w = out_shape[2], v->out_c = out_shape[3];
    v->pad_h = p->pad_h, v->pad_w = p->pad_w;
    v->hp = (v->out_h - 1) * p->stride_h + (fs[1] - 1) * p->dilation_h + 1;
    v->wp = (v->out_w - 1) * p->stride_w + (fs[2] - 1) * p->dilation_w + 1;
    v->step_y = p->stride_h * v->wp * v->in_c, v->step_x = p->stride_w * v->in_c;
    v->fc = fs[3];
    v->groups = v->in_c / v->fc;
    v->per_group = fs[0] / v->groups;
    v->blocks = (v->per_group + QAT_I8_VEC_LANES - 1) / QAT_I8_VEC_LANES;
    const int row_run = p->dilation_w == 1 && v->groups == 1;
    v->runs = row_run ? fs[1] : fs[1] * fs[2];
    const int len = row_run ? fs[2] * v->fc : v->fc;
    v->pairs = (len + 1) / 2;
    v->input_offset = p->input_offset, v->output_offset = p->output_offset;
    v->act_min = p->act_min, v->act_max = p->act_max;
    const size_t lanes = (size_t)v->groups * v->blocks * QAT_I8_VEC_LANES;
    v->run_offset = malloc((size_t)v->runs * sizeof *v->run_offset);
    v->w = malloc(lanes * v->runs * v->pairs * 2 * sizeof *v->w);
    v->bias = malloc(lanes * sizeof *v->bias);
    v->mult = malloc(lanes * sizeof *v->mult);
    v->left = malloc(lanes * sizeof *v->left);
    v->right = malloc(lanes * sizeof *v->right);
    if (!v->run_offset || !v->w || !v->bias || !v->mult || !v->left || !v->right) {
        qat_i8_vec_conv_free(v);
        return -1;
    }
    for (int r = 0; r < v->runs; r++) {
        const int fy = row_run ? r : r / fs[2], fx = row_run ? 0 : r % fs[2];
        v->run_offset[r] = (fy * p->dilation_h * v->wp + fx * p->dilation_w) * v->in_c;
    }
    pack_weights(v, filter, fs, len);
    pack_params(v, p, bias);
    return 0;
}

int qat_i8_vec_fc_init(qat_i8_vec_conv *v, const qat_i8_conv_params *p, int batches, int depth,
                       int out_depth, const int8_t *weights, const int32_t *bias) {
    const int in_shape[4] = {1, batches, 1, depth}, fs[4] = {out_depth, 1, 1, depth};
    const int out_shape[4] = {1, batches, 1, out_depth};
    qat_i8_conv_params q = *p;
    q.stride_w = q.stride_h = q.dilation_w = q.dilation_h = 1;
    q.pad_w = q.pad_h = 0;
    return qat_i8_vec_conv_init(v, &q, in_shape, weights, fs, bias, out_shape);
}

size_t qat_i8_vec_conv_scratch(const qat_i8_vec_conv *v) {
    return (size_t)v->hp * v->wp * v->in_c + 2;
}

/* The widened image: x − z_in inside the input, 0 in the padding, and a spare 0 at the end
 * (read, times a zero weight, by a run of odd length that ends the image). */
static void widen(const qat_i8_vec_kernels *k, const qat_i8_vec_conv *v, const int8_t *in,
                  int16_t *img) {
    const size_t row = (size_t)v->wp * v->in_c;
    const int16_t off = (int16_t)v->input_offset;
    for (int py = 0; py < v->hp; py++) {
        int16_t *d = img + py * row;
        const int iy = py - v->pad_h;
        if (iy < 0 || iy >= v->in_h) {
            memset(d, 0, row * sizeof *d);
            continue;
        }
        /* columns [x0, x1) of the widened row lie inside the image */
        const int x0 = v->pad_w < v->wp ? v->pad_w : v->wp;
        const int x1 = v->pad_w + v->in_w < v->wp ? v->pad_w + v->in_w : v->wp;
        memset(d, 0, (size_t)x0 * v->in_c * sizeof *d);
        const int8_t *s = in + (size_t)iy * v->in_w * v->in_c;
        const size_t n = (size_t)(x1 - x0) * v->in_c;
        k->widen(s, n, off, d + (size_t)x0 * v->in_c);
        memset(d + (size_t)x1 * v->in_c, 0, (size_t)(v->wp - x1) * v->in_c * sizeof *d);
    }
    img[(size_t)v->hp * row] = img[(size_t)v->hp * row + 1] = 0;
}

void qat_i8_vec_conv_run(qat_i8_isa isa, const qat_i8_vec_conv *v, const int8_t *in,
                         int16_t *scratch, int8_t *out) {
    const qat_i8_vec_kernels *k = qat_i8_vec_kernels_of(isa);
    QAT_ASSERT(k);
    const size_t in_size = (size_t)v->in_h * v->in_w * v->in_c;
    const size_t out_size = (size_t)v->out_h * v->out_w * v->out_c;
    for (int b = 0; b < v->batches; b++) {
        widen(k, v, in + b * in_size, scratch);
        k->conv(v, scratch, out + b * out_size);
    }
}
