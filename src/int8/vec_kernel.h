/* The vector convolution and requantization (vec.h), written once over a family's
 * primitives. The including file defines:
 *   VI, NV          the int32 vector type; vectors per block of 16 lanes (16 / lanes)
 *   FN(name)        the family's name for a function
 *   vzero(), vload(p), vadd(a, b), vmax(a, b), vmin(a, b), vset(x)
 *   vpair(p)        the int16 pair at p (any alignment) in every 32-bit lane
 *   vdot(acc, x, w) acc + the pairwise 16-bit products x·w summed per 32-bit lane
 *   vmbqm(x, m, left, right)  TFLite's MultiplyByQuantizedMultiplier per lane
 *   vstore16(out, v, n)       the low bytes of the 16 lanes of v[NV] (in [-128, 127]), n of them
 * The kernels only compute: no allocation, nothing kept between calls. */
#include "vec_pool.h"

/* Requantizes one block: acc[NV] (bias included) with the block's parameters, then the
 * output zero point and the activation clamp; n lanes stored. */
static inline void FN(requant_block)(const VI *acc, const int32_t *mult, const int32_t *left,
                                     const int32_t *right, int32_t offset, int32_t lo, int32_t hi,
                                     int n, int8_t *out) {
    VI r[NV];
    for (int k = 0; k < NV; k++) {
        const int o = k * (QAT_I8_VEC_LANES / NV);
        VI q = vmbqm(acc[k], vload(mult + o), vload(left + o), vload(right + o));
        r[k] = vmin(vmax(vadd(q, vset(offset)), vset(lo)), vset(hi));
    }
    vstore16(out, r, n);
}

static void FN(requant)(const int32_t *acc, const int32_t *mult, const int32_t *left,
                        const int32_t *right, int32_t offset, int32_t lo, int32_t hi, int n,
                        int8_t *out) {
    VI a[NV];
    for (int k = 0; k < NV; k++) a[k] = vload(acc + k * (QAT_I8_VEC_LANES / NV));
    FN(requant_block)(a, mult, left, right, offset, lo, hi, n, out);
}

/* One block of 16 output channels for `tiles` (1 or QAT_I8_VEC_TILE, a constant once
 * inlined) windows at x[t]: the sums over every run, plus the bias, requantized and stored
 * out_c bytes apart. The loops over windows and vectors unroll, so the sums stay in
 * registers. */
static inline __attribute__((always_inline)) void
FN(block)(const qat_i8_vec_conv *v, const int16_t *const *x, int tiles, const int16_t *w,
          size_t lane0, int8_t *out, int n) {
    VI acc[QAT_I8_VEC_TILE][NV];
#pragma GCC unroll 4
    for (int t = 0; t < tiles; t++)
#pragma GCC unroll 2
        for (int k = 0; k < NV; k++) acc[t][k] = vload(v->bias + lane0 + k * (QAT_I8_VEC_LANES / NV));
    for (int r = 0; r < v->runs; r++) {
        const int off = v->run_offset[r];
        for (int pr = 0; pr < v->pairs; pr++, w += 2 * QAT_I8_VEC_LANES) {
            VI wv[NV];
#pragma GCC unroll 2
            for (int k = 0; k < NV; k++) wv[k] = vload(w + k * 2 * (QAT_I8_VEC_LANES / NV));
#pragma GCC unroll 4
            for (int t = 0; t < tiles; t++) {
                const VI xv = vpair(x[t] + off + 2 * pr);
#pragma GCC unroll 2
                for (int k = 0; k < NV; k++) acc[t][k] = vdot(acc[t][k], xv, wv[k]);
            }
        }
    }
#pragma GCC unroll 4
    for (int t = 0; t < tiles; t++)
        FN(requant_block)(acc[t], v->mult + lane0, v->left + lane0, v->right + lane0,
                          v->output_offset, v->act_min, v->act_max, n, out + (size_t)t * v->out_c);
}

/* Every output pixel of one batch: QAT_I8_VEC_TILE windows at a time, then the rest one by
 * one. */
static void FN(conv)(const qat_i8_vec_conv *v, const int16_t *image, int8_t *out) {
    const int pixels = v->out_h * v->out_w;
    const size_t block_w = (size_t)v->runs * v->pairs * 2 * QAT_I8_VEC_LANES;
    for (int p0 = 0; p0 < pixels;) {
        const int tiles = pixels - p0 >= QAT_I8_VEC_TILE ? QAT_I8_VEC_TILE : 1;
        const int16_t *x[QAT_I8_VEC_TILE];
        for (int t = 0; t < tiles; t++) {
            const int pix = p0 + t;
            x[t] = image + (size_t)(pix / v->out_w) * v->step_y + (size_t)(pix % v->out_w) * v->step_x;
        }
        for (int g = 0; g < v->groups; g++) {
            const int16_t *xg[QAT_I8_VEC_TILE];
            for (int t = 0; t < tiles; t++) xg[t] = x[t] + g * v->fc;
            for (int blk = 0; blk < v->blocks; blk++) {
                const int c0 = blk * QAT_I8_VEC_LANES, rest = v->per_group - c0;
                const int n = rest < QAT_I8_VEC_LANES ? rest : QAT_I8_VEC_LANES;
                const size_t lane0 = ((size_t)g * v->blocks + blk) * QAT_I8_VEC_LANES;
                const int16_t *w = v->w + ((size_t)g * v->blocks + blk) * block_w;
                int8_t *o = out + (size_t)p0 * v->out_c + g * v->per_group + c0;
                if (tiles == QAT_I8_VEC_TILE)
                    FN(block)(v, xg, QAT_I8_VEC_TILE, w, lane0, o, n);
                else
                    FN(block)(v, xg, 1, w, lane0, o, n);
            }
        }
        p0 += tiles;
    }
}
