/* Histogram calibration (quant.h qat_calib_range: MSE, KL) on hand-built histograms with
 * known optima, the MSE weight scales, and the model's MSE / KL calibration. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/config.h"
#include "qat/quant.h"
#include "stacks.h"

static qat_histogram *hist(float lo, float hi) {
    qat_histogram *h = calloc(1, sizeof *h);
    assert_non_null(h);
    qat_hist_init(h, lo, hi);
    return h;
}

static void set_bin(qat_histogram *h, int k, double c) {
    h->n += c - h->count[k];
    h->count[k] = c;
}

/* Uniform values over the whole range: clipping only adds error, both keep all of it. */
static void test_uniform_keeps_range(void **s) {
    (void)s;
    qat_histogram *h = hist(0, 4);
    for (int k = 0; k < QAT_CALIB_BINS; k++) set_bin(h, k, 10);
    float lo, hi;
    qat_calib_range(h, QAT_OBS_MSE, -128, 127, &lo, &hi);
    assert_true(lo == 0 && hi == 4);
    qat_calib_range(h, QAT_OBS_KL, -128, 127, &lo, &hi);
    assert_true(lo == 0 && hi == 4);
    free(h);
}

/* Every value at 0.9 on [0, 1] and a 2-bit grid (4 levels, lo = 0: s = hi/3): the error
 * vanishes where 0.9 is a level, hi = 0.9 (0.9 = 3s; 2s and s would need hi > 1); MSE finds
 * it to a bin. */
static void test_mse_point_mass(void **s) {
    (void)s;
    qat_histogram *h = hist(0, 1);
    float x = 0.9f;
    qat_hist_add(h, &x, 1);
    h->count[(int)(0.9 * QAT_CALIB_BINS)] = 1000, h->n = 1000;
    float lo, hi;
    qat_calib_range(h, QAT_OBS_MSE, -2, 1, &lo, &hi);
    assert_true(lo == 0);
    assert_float_equal(hi, 0.9, 1.0 / 256);
    free(h);
}

/* A million values in [0, 1) and one at 100 (the histogram spans [0, 100]). Clipping at T
 * costs the outlier 10⁻⁶·(100 − T)² and saves the rest rounding error (T/255)²/12 (the
 * continuous model): least at T = 78.03/1.7803 = 43.8; MSE clips to within 15 % of it (its
 * four points a bin round the bulk less evenly than a continuum). KL judges only the shape:
 * the lone outlier past an empty gap is exact at every threshold that keeps it and
 * infinitely costly folded into an empty bin, so KL keeps the whole range. */
static void test_outlier_clipped(void **s) {
    (void)s;
    qat_histogram *h = hist(0, 100);
    int bulk = QAT_CALIB_BINS / 100; /* the bins of [0, 1) */
    for (int k = 0; k < bulk; k++) set_bin(h, k, 1e6 / bulk);
    set_bin(h, QAT_CALIB_BINS - 1, 1);
    float lo, hi;
    qat_calib_range(h, QAT_OBS_MSE, -128, 127, &lo, &hi);
    assert_true(lo == 0);
    assert_true(hi >= 43.8f * 0.85f && hi <= 43.8f * 1.15f);
    qat_calib_range(h, QAT_OBS_KL, -128, 127, &lo, &hi);
    assert_true(lo == 0 && hi == 100);
    free(h);
}

/* A tail falling off exponentially clips under KL; exact zeros (a ReLU's) change nothing:
 * they are counted apart. Signed tensors are clipped symmetrically on |x|. */
static void test_kl_tail_and_zeros(void **s) {
    (void)s;
    qat_histogram *h = hist(0, 10);
    for (int k = 0; k < QAT_CALIB_BINS; k++) set_bin(h, k, 1e6 * exp(-k / 150.0));
    float lo, hi, lo2, hi2;
    qat_calib_range(h, QAT_OBS_KL, -128, 127, &lo, &hi);
    assert_true(hi > 5 && hi < 10);
    float zeros[64] = {0};
    for (int i = 0; i < 1000; i++) qat_hist_add(h, zeros, 64);
    assert_true(h->zeros == 64000);
    qat_calib_range(h, QAT_OBS_KL, -128, 127, &lo2, &hi2);
    assert_true(lo2 == lo && hi2 == hi);
    qat_histogram *g = hist(-10, 10); /* the same tail on both sides */
    for (int k = 0; k < QAT_CALIB_BINS / 2; k++) {
        set_bin(g, QAT_CALIB_BINS / 2 + k, 1e6 * exp(-k / 75.0));
        set_bin(g, QAT_CALIB_BINS / 2 - 1 - k, 1e6 * exp(-k / 75.0));
    }
    qat_calib_range(g, QAT_OBS_KL, -128, 127, &lo, &hi);
    assert_true(hi > 5 && hi < 10);
    assert_true(lo == -hi);
    free(g);
    free(h);
}

/* Kernels at 4 bits (±7): a row already on the max-magnitude grid keeps it (ties keep the
 * larger scale); a row of 255 weights spread over [−1, 1] and one at 2.5 gets a smaller
 * scale (255·s²/12 against the clipped outlier's (2.5 − 7s)²: least at s = 35/140.5 = 0.25,
 * against max's 2.5/7 = 0.357) with less squared error. */
#define ROW 256
static void test_weight_mse(void **s) {
    (void)s;
    float w[2 * ROW], sm[2], sx[2];
    for (int j = 0; j < ROW; j++) w[j] = (float)(j % 15 - 7);        /* −7..7: the grid of 1 */
    for (int j = 0; j < ROW - 1; j++) w[ROW + j] = (float)((j * 37) % 201 - 100) / 100;
    w[2 * ROW - 1] = 2.5f;
    qat_weight_scales(w, 2, ROW, QAT_WEIGHT_PER_ROW, 7, sx);
    qat_weight_scales_mse(w, 2, ROW, QAT_WEIGHT_PER_ROW, 7, sm);
    assert_true(sm[0] == sx[0]);
    assert_true(sm[1] > 0.2f && sm[1] < 0.32f);
    double em = 0, ex = 0;
    for (int j = ROW; j < 2 * ROW; j++) {
        double dm = w[j] - qat_quantize_weight(w[j], sm[1], -7, 7) * (double)sm[1];
        double dx = w[j] - qat_quantize_weight(w[j], sx[1], -7, 7) * (double)sx[1];
        em += dm * dm, ex += dx * dx;
    }
    assert_true(em < ex);
}

/* The search's answer is the definition's: for each scale group, the candidate max|w|/qmax · f
 * (f = 1, 0.99, ..., 0.01) with the least full squared error, ties to the larger scale — here
 * summed over every weight of every candidate, with no bound. Random kernels with a few large
 * weights (so clipping wins somewhere), per row and per last axis, at 2, 4 and 8 bits. */
static void test_weight_mse_is_full_search(void **s) {
    (void)s;
    enum { R = 6, C = 40 };
    float w[R * C], got[C], max[C];
    uint32_t r = 12345;
    for (int k = 0; k < R * C; k++) {
        r = r * 1664525u + 1013904223u;
        w[k] = ((float)(r >> 8) / 16777216.0f - 0.5f) * (k % 17 == 0 ? 8.0f : 1.0f);
    }
    int axes[2] = {QAT_WEIGHT_PER_ROW, QAT_WEIGHT_PER_LAST}, bits[3] = {2, 4, 8}, clipped = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 3; b++) {
            int qmax = (1 << (bits[b] - 1)) - 1, last = axes[a] == QAT_WEIGHT_PER_LAST;
            int groups = last ? C : R, count = last ? R : C;
            qat_weight_scales(w, R, C, axes[a], qmax, max);
            qat_weight_scales_mse(w, R, C, axes[a], qmax, got);
            for (int g = 0; g < groups; g++) {
                double best = INFINITY;
                float want = max[g];
                for (int f = 100; f >= 1; f--) {
                    float sc = (float)((double)max[g] * f / 100);
                    double e = 0;
                    for (int i = 0; i < count; i++) {
                        float x = w[last ? i * C + g : g * C + i];
                        double d = x - (double)qat_quantize_weight(x, sc, -qmax, qmax) * sc;
                        e += d * d;
                    }
                    if (e < best) best = e, want = sc;
                }
                assert_true(got[g] == want);
                clipped += want < max[g];
            }
        }
    assert_true(clipped > 10); /* the searches did choose clipping scales */
}

/* The lesson calibrated with MSE and KL: every range lies within min/max's (the searches
 * only clip), and MSE leaves the input (uniform-ish random values) nearly whole. */
static void test_model_calibration(void **s) {
    (void)s;
    qat_config c;
    qat_config_defaults(&c);
    qat_model fm;
    qat_qmodel qm;
    assert_int_equal(qat_test_qmodel(&c, 16, 4, &fm, &qm), QAT_OK);
    qat_graph *g = &qm.m.g;
    qat_dataset d;
    qat_error e;
    assert_int_equal(qat_dataset_alloc(&d, 16, 50, 3, 3, &e), QAT_OK);
    memcpy(d.x, g->nodes[qm.m.input].val, 16 * 150 * sizeof(float));
    float ref[QAT_MAX_LAYERS + 1][2];
    int n = 0;
    assert_int_equal(qat_qmodel_calibrate(&qm, &d, QAT_OBS_MINMAX, &e), QAT_OK);
    for (int i = 0; i < g->n_nodes; i++)
        if (g->nodes[i].op == QAT_OP_FAKE_QUANT) {
            ref[n][0] = g->state[g->nodes[i].offset], ref[n][1] = g->state[g->nodes[i].offset + 1];
            n++;
        }
    qat_observer_kind methods[2] = {QAT_OBS_MSE, QAT_OBS_KL};
    for (int m = 0; m < 2; m++) {
        qat_qmodel_free(&qm);
        assert_int_equal(qat_qmodel_build(&qm, &fm, &c.quant, 16, &e), QAT_OK);
        g = &qm.m.g;
        assert_int_equal(qat_qmodel_calibrate(&qm, &d, methods[m], &e), QAT_OK);
        int k = 0, shrunk = 0;
        for (int i = 0; i < g->n_nodes; i++)
            if (g->nodes[i].op == QAT_OP_FAKE_QUANT) {
                float lo = g->state[g->nodes[i].offset], hi = g->state[g->nodes[i].offset + 1];
                assert_true(lo >= fminf(ref[k][0], 0) && hi <= fmaxf(ref[k][1], 0));
                shrunk += hi < ref[k][1];
                k++;
            }
        assert_int_equal(k, n);
        assert_true(shrunk > 0);
        /* QAT's EMA starts from the chosen ranges: one training batch moves a clipped
         * range by (1 − decay) of the way, not back to min/max (an EMA warm-up would) */
        float before[QAT_MAX_LAYERS + 1];
        k = 0;
        for (int i = 0; i < g->n_nodes; i++)
            if (g->nodes[i].op == QAT_OP_FAKE_QUANT) before[k++] = g->state[g->nodes[i].offset + 1];
        qat_qmodel_set_observer(&qm, QAT_OBS_EMA);
        qat_dataset_read(&d, 0, 16, g->nodes[qm.m.input].val);
        qat_rng r;
        qat_rng_seed(&r, 1, QAT_STREAM_DROPOUT);
        qat_pass p = {.batch = 16, .training = 1, .rng = &r, .epoch = 1};
        qat_graph_forward(g, &p, qm.m.logits + 1);
        k = 0;
        for (int i = 0; i < g->n_nodes; i++)
            if (g->nodes[i].op == QAT_OP_FAKE_QUANT) {
                float hi = g->state[g->nodes[i].offset + 1];
                if (before[k] < ref[k][1]) /* clipped: it stays near the clip */
                    assert_true(hi < before[k] + 0.01f * (ref[k][1] - before[k]));
                k++;
            }
    }
    qat_dataset_free(&d);
    qat_qmodel_free(&qm);
    qat_model_free(&fm);
}

/* Per-channel means of operator q's pre-activation output over d, float or quantized. */
static void means(qat_qmodel *qm, const qat_qlayer *q, const qat_dataset *d, int calibrate,
                  double *m) {
    qat_graph *g = &qm->m.g;
    float *st = malloc(g->n_state * sizeof(float));
    memcpy(st, g->state, g->n_state * sizeof(float));
    const qat_node *y = &g->nodes[q->node];
    int c = y->dim[y->ndim - 1];
    qat_pass p = {.batch = d->n, .calibrate = calibrate};
    qat_dataset_read(d, 0, d->n, g->nodes[qm->m.input].val);
    qat_graph_forward(g, &p, q->node + 1);
    size_t rows = qat_node_len(y, d->n) / (size_t)c;
    for (int k = 0; k < c; k++) m[k] = 0;
    for (size_t r = 0; r < rows; r++)
        for (int k = 0; k < c; k++) m[k] += y->val[r * (size_t)c + (size_t)k] / (double)rows;
    memcpy(g->state, st, g->n_state * sizeof(float)); /* the float pass observed */
    free(st);
}

/* The lesson at 4 bits: before correction some operator's quantized mean is off its float
 * mean (the float model's, taken before: the correction moves the biases both read); after,
 * every operator's matches to the int32 bias rounding, and the observers did not move. */
static void test_bias_correction(void **s) {
    (void)s;
    qat_config c;
    qat_config_defaults(&c);
    c.quant.weight_bits = 4;
    qat_model fm;
    qat_qmodel qm;
    assert_int_equal(qat_test_qmodel(&c, 16, 6, &fm, &qm), QAT_OK);
    qat_graph *g = &qm.m.g;
    qat_dataset d;
    qat_error e;
    assert_int_equal(qat_dataset_alloc(&d, 16, 50, 3, 3, &e), QAT_OK);
    memcpy(d.x, g->nodes[qm.m.input].val, 16 * 150 * sizeof(float));
    double f[QAT_MAX_LAYERS][64], z[64], before = 0, after = 0;
    for (int i = 0; i < qm.n_q; i++) {
        if (qm.q[i].w_fq < 0) continue;
        means(&qm, &qm.q[i], &d, 1, f[i]);
        means(&qm, &qm.q[i], &d, 0, z);
        const qat_node *y = &g->nodes[qm.q[i].node];
        for (int k = 0; k < y->dim[y->ndim - 1]; k++) before = fmax(before, fabs(f[i][k] - z[k]));
    }
    float *st = malloc(g->n_state * sizeof(float));
    memcpy(st, g->state, g->n_state * sizeof(float));
    int corrected;
    assert_int_equal(qat_qmodel_bias_correct(&qm, &d, &corrected, &e), QAT_OK);
    assert_int_equal(corrected, 4);
    assert_memory_equal(st, g->state, g->n_state * sizeof(float));
    for (int i = 0; i < qm.n_q; i++) {
        if (qm.q[i].w_fq < 0) continue;
        means(&qm, &qm.q[i], &d, 0, z);
        const qat_node *y = &g->nodes[qm.q[i].node];
        for (int k = 0; k < y->dim[y->ndim - 1]; k++) after = fmax(after, fabs(f[i][k] - z[k]));
    }
    print_message("largest per-channel mean error: %g before, %g after\n", before, after);
    assert_true(before > 1e-2);
    assert_true(after < before / 20);
    free(st);
    qat_dataset_free(&d);
    qat_qmodel_free(&qm);
    qat_model_free(&fm);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_uniform_keeps_range), cmocka_unit_test(test_mse_point_mass),
        cmocka_unit_test(test_outlier_clipped),     cmocka_unit_test(test_kl_tail_and_zeros),
        cmocka_unit_test(test_weight_mse),
        cmocka_unit_test(test_weight_mse_is_full_search),          cmocka_unit_test(test_model_calibration),
        cmocka_unit_test(test_bias_correction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
