/* The fake-quant graph's 2-D pieces (quant.h): per-channel weights along the last axis
 * (depthwise kernels, TFLite's quantized_dimension 3), batch-norm folding into a depthwise
 * kernel, and average pooling rounded exactly as the int8 AVERAGE_POOL_2D kernel rounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "qat/int8.h"
#include "qat/ops.h"
#include "qat/quant.h"

/* A depthwise kernel (1, 3, 2, C·M) = 1 × 6 rows of 4 channels, its largest magnitude per
 * channel planted in a different row each, so a scale taken along any other axis differs. */
static void test_fq_weight_last_axis(void **s) {
    (void)s;
    qat_graph g;
    qat_graph_init(&g);
    int wd[4] = {1, 3, 2, 4};
    int w = qat_graph_param(&g, "w", 4, wd);
    int q = qat_fake_quant_weight(&g, "wq", w, 127, QAT_WEIGHT_PER_LAST, -1);
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(&g, 1, &e), QAT_OK);
    float *v = g.nodes[w].val;
    qat_fill_uniform(&g.nodes[w], 1, 3, -0.1f, 0.1f);
    const float peak[4] = {0.9f, -2.5f, 0.3f, 1.7f};
    for (int c = 0; c < 4; c++) v[(size_t)(c + 1) * 4 + c] = peak[c]; /* row c + 1 */
    qat_pass p = {.batch = 1};
    qat_graph_forward(&g, &p, q + 1);
    int ns;
    const float *sc = qat_fq_weight_scales(&g, q, &ns);
    assert_int_equal(ns, 4);
    for (int c = 0; c < 4; c++) assert_true(sc[c] == qat_weight_scale(fabsf(peak[c]), 127));
    for (size_t k = 0; k < 24; k++) {
        float sk = sc[k % 4];
        assert_true(g.nodes[q].val[k] == (float)qat_quantize_weight(v[k], sk, -127, 127) * sk);
    }
    /* the same scales from the plain routine lowering uses */
    float again[4];
    qat_weight_scales(v, 6, 4, QAT_WEIGHT_PER_LAST, 127, again);
    assert_memory_equal(again, sc, sizeof again);
    qat_graph_free(&g);
}

/* x (5, 4, 2) → depthwise (M = 2) with kernel fold_weight(w (1, 3, 3, 4), γ) and bias
 * fold_bias(b, γ, β): the folded kernel is w·γ_c/√(σ²_c + ε) per last-axis channel c, and
 * every gradient (x, w, b, γ, β) checks by finite differences. */
static void test_fold_depthwise(void **s) {
    (void)s;
    enum { CM = 4 };
    qat_graph g;
    qat_graph_init(&g);
    int xd[3] = {5, 4, 2}, wd[4] = {1, 3, 3, CM}, cd[1] = {CM};
    int x = qat_graph_input(&g, "x", 3, xd);
    g.nodes[x].needs_grad = 1;
    int w = qat_graph_param(&g, "w", 4, wd), b = qat_graph_param(&g, "b", 1, cd);
    int gam = qat_graph_param(&g, "gamma", 1, cd), bet = qat_graph_param(&g, "beta", 1, cd);
    size_t bn = qat_graph_state(&g, 2 * CM);
    int fw = qat_fold_weight(&g, "fw", w, gam, bn, 1e-3);
    int fb = qat_fold_bias(&g, "fb", b, gam, bet, bn, 1e-3);
    qat_conv2d_params cp = {.stride_h = 2, .stride_w = 1, .padding = QAT_PAD_SAME,
                            .depth_multiplier = 2};
    int y = qat_depthwise_conv2d(&g, "dw", x, fw, fb, &cp);
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(&g, 2, &e), QAT_OK);
    qat_fill_uniform(&g.nodes[w], 1, 21, -0.5f, 0.5f);
    qat_fill_uniform(&g.nodes[b], 1, 22, -0.5f, 0.5f);
    qat_fill_uniform(&g.nodes[bet], 1, 23, -0.5f, 0.5f);
    qat_fill_uniform(&g.nodes[x], 2, 24, -1, 1);
    const float gv[CM] = {0.8f, -1.3f, 1.1f, 0.6f}, mu[CM] = {1.5f, -2, 1, -1},
                var[CM] = {4, 0.05f, 2.5f, 0.1f};
    memcpy(g.nodes[gam].val, gv, sizeof gv);
    memcpy(g.state + bn, mu, sizeof mu);
    memcpy(g.state + bn + CM, var, sizeof var);
    qat_pass p = {.batch = 2};
    qat_graph_forward(&g, &p, y + 1);
    for (size_t k = 0; k < 36; k++) {
        int c = (int)(k % CM);
        float m = (float)(gv[c] * qat_bn_inv_std(var[c], 1e-3));
        assert_true(g.nodes[fw].val[k] == g.nodes[w].val[k] * m);
    }
    int check[5] = {x, w, b, gam, bet};
    assert_true(qat_gradcheck_ok(&g, &p, y, check, 5, 0.125));
    qat_graph_free(&g);
}

/* ---- average pooling as the int8 kernel rounds it ---- */

typedef struct pooled {
    qat_graph g;
    int x, fq, pool, out;
} pooled;

/* x (H, W, C) → fake-quant → avgpool2d (pool_h × pool_w, strides, padding) or global
 * average pooling (pool_h = 0) → fq_avgpool; observed on the input, then quantizing. */
static void build_pool(pooled *t, int h, int w, int c, int pool_h, int pool_w, int stride,
                       qat_padding pad, int batch) {
    qat_graph *g = &t->g;
    qat_graph_init(g);
    int xd[3] = {h, w, c};
    t->x = qat_graph_input(g, "x", 3, xd);
    g->nodes[t->x].needs_grad = 1;
    qat_fq_opts o = {-128, 127, QAT_OBS_MINMAX, 0.999, 99.99, 0, 0, NULL, QAT_ACTQ_OBSERVER, -1};
    t->fq = qat_fake_quant(g, "in/fq", t->x, &o);
    qat_pool2d_params pp = {pool_h, pool_w, stride, stride, pad, 0, 0};
    t->pool = pool_h ? qat_avgpool2d(g, "pool", t->fq, &pp) : qat_global_avgpool(g, "gap", t->fq);
    t->out = qat_fq_avgpool(g, "pool/round", t->pool, t->fq);
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(g, batch, &e), QAT_OK);
    /* a range whose zero point is far from 0, where the two roundings disagree most */
    qat_fill_uniform(&g->nodes[t->x], batch, 31, -0.3f, 2.2f);
    qat_pass cal = {.batch = batch, .calibrate = 1};
    qat_graph_forward(g, &cal, t->out + 1);
    qat_pass p = {.batch = batch};
    qat_graph_forward(g, &p, t->out + 1);
}

/* The engine's AVERAGE_POOL_2D on the fake-quant input's int8 values gives exactly the
 * fake-quant output's grid values; returns how many outputs a plain fake-quant of the float
 * mean would have put elsewhere. */
static int check_against_engine(pooled *t, int pool_h, int pool_w, int stride, qat_padding pad,
                                int batch) {
    qat_graph *g = &t->g;
    const qat_node *X = &g->nodes[t->fq], *Y = &g->nodes[t->out];
    float s;
    int32_t z;
    assert_true(qat_fq_act_grid(g, t->fq, &s, &z));
    size_t nx = X->size * (size_t)batch, ny = Y->size * (size_t)batch;
    int8_t q[4096], o[1024];
    assert_true(nx <= sizeof q && ny <= sizeof o);
    for (size_t i = 0; i < nx; i++) q[i] = (int8_t)qat_quantize_float(X->val[i], s, z, -128, 127);
    int h = X->dim[0], w = X->dim[1], c = X->dim[2];
    int ph = pool_h ? pool_h : h, pw = pool_h ? pool_w : w, st = pool_h ? stride : 1;
    qat_padding pd = pool_h ? pad : QAT_PAD_VALID;
    qat_window_axis ah = qat_window(h, ph, st, pd), aw = qat_window(w, pw, st, pd);
    qat_i8_pool_params ip = {st, st, pw, ph, aw.pad_before, ah.pad_before, -128, 127};
    int in_shape[4] = {batch, h, w, c}, out_shape[4] = {batch, ah.out, aw.out, c};
    assert_int_equal((size_t)ah.out * aw.out * c, Y->size);
    qat_i8_average_pool(&ip, in_shape, q, out_shape, o);
    int plain_differs = 0;
    const float *mean = g->nodes[t->pool].val;
    for (size_t i = 0; i < ny; i++) {
        assert_true(Y->val[i] == (float)(o[i] - z) * s);
        plain_differs += qat_quantize_float(mean[i], s, z, -128, 127) != o[i];
    }
    return plain_differs;
}

static void test_fq_avgpool_matches_engine(void **s) {
    (void)s;
    /* SAME stride 2 on odd and even sizes (the extra padding at the end, windows of 2, 4 and
     * 6 in-bounds cells), VALID with stride != pool, rectangular pools */
    const struct { int h, w, c, ph, pw, stride; qat_padding pad; } cases[] = {
        {7, 5, 3, 3, 3, 2, QAT_PAD_SAME}, {6, 8, 2, 3, 2, 2, QAT_PAD_SAME},
        {6, 6, 4, 2, 2, 2, QAT_PAD_VALID}, {7, 6, 3, 3, 2, 1, QAT_PAD_VALID},
        {5, 5, 2, 2, 3, 3, QAT_PAD_SAME},
    };
    int differs = 0;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        pooled t;
        build_pool(&t, cases[k].h, cases[k].w, cases[k].c, cases[k].ph, cases[k].pw,
                   cases[k].stride, cases[k].pad, 3);
        differs += check_against_engine(&t, cases[k].ph, cases[k].pw, cases[k].stride,
                                        cases[k].pad, 3);
        qat_graph_free(&t.g);
    }
    /* the rounding is what this op adds: a plain fake-quant of the mean misses some */
    assert_true(differs > 0);
}

static void test_fq_global_avgpool_matches_engine(void **s) {
    (void)s;
    const int shapes[][3] = {{8, 8, 3}, {5, 7, 4}, {1, 9, 2}};
    for (int k = 0; k < 3; k++) {
        pooled t;
        build_pool(&t, shapes[k][0], shapes[k][1], shapes[k][2], 0, 0, 1, QAT_PAD_VALID, 4);
        check_against_engine(&t, 0, 0, 1, QAT_PAD_VALID, 4);
        qat_graph_free(&t.g);
    }
}

/* Straight through: the gradient reaching x is the float average pool's. */
static void test_fq_avgpool_backward(void **s) {
    (void)s;
    pooled t;
    build_pool(&t, 5, 6, 2, 3, 3, 2, QAT_PAD_SAME, 2);
    qat_graph *g = &t.g;
    qat_pass p = {.batch = 2, .training = 1};
    qat_graph_forward(g, &p, t.out + 1);
    size_t ny = g->nodes[t.out].size * 2, nx = g->nodes[t.x].size * 2;
    qat_graph_zero_grads(g);
    for (size_t i = 0; i < ny; i++) g->nodes[t.out].grad[i] = (float)(i % 7) - 3;
    qat_graph_backward_from(g, &p, t.out);
    float dx[256];
    assert_true(nx <= 256);
    memcpy(dx, g->nodes[t.x].grad, nx * sizeof(float));
    /* the same upstream gradient fed at the float pool directly */
    qat_graph_zero_grads(g);
    for (size_t i = 0; i < ny; i++) g->nodes[t.pool].grad[i] = (float)(i % 7) - 3;
    qat_graph_backward_from(g, &p, t.pool);
    double nz = 0;
    for (size_t i = 0; i < nx; i++) {
        assert_true(dx[i] == g->nodes[t.x].grad[i]);
        nz += fabs(dx[i]);
    }
    assert_true(nz > 0);
    qat_graph_free(g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fq_weight_last_axis),
        cmocka_unit_test(test_fold_depthwise),
        cmocka_unit_test(test_fq_avgpool_matches_engine),
        cmocka_unit_test(test_fq_global_avgpool_matches_engine),
        cmocka_unit_test(test_fq_avgpool_backward),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
