/* The straight-through estimators of the fake-quant nodes, exactly. Their forward is a
 * staircase, so finite differences say nothing; the backward is specified instead:
 *   activations  dx = dy where (qmin − zp)·s ≤ x ≤ (qmax − zp)·s, else 0 — both edges
 *                inclusive, as TensorFlow's FakeQuantWithMinMaxVarsGradient
 *                (gradients · (inputs >= min && inputs <= max), on the nudged range);
 *   weights      dw = dy for every weight: the symmetric range is the weights' own
 *                max |w| (per channel or per tensor), so they are all inside it and the
 *                largest sit exactly on its edge — inclusive, they get dy too;
 *   biases       db = dy (the int32 range is never reached in practice).
 * The range itself gets no gradient: qatrain's ranges are observer state, not trainable
 * (as TFMOT's non-trainable min/max variables), and backward leaves that state alone.
 * Every check is exact equality, so a scaled (×0.9, ×0.99) or dropped gradient fails, and
 * so does an edge counted on the wrong side. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "qat/ops.h"
#include "qat/quant.h"

/* 15 values: the vector path takes the first twelve four at a time, the scalar tail the last
 * three, and both see the edges. */
#define N 15

typedef struct act {
    qat_graph g;
    int x, y;
} act;

static void act_build(act *a, int bits) {
    qat_graph_init(&a->g);
    int dim[1] = {N};
    a->x = qat_graph_input(&a->g, "x", 1, dim);
    a->g.nodes[a->x].needs_grad = 1;
    qat_fq_opts o = {0, 0, QAT_OBS_MINMAX, 0.9, 99, 0, 0, NULL, QAT_ACTQ_OBSERVER, -1};
    qat_act_range(bits, &o.qmin, &o.qmax);
    a->y = qat_fake_quant(&a->g, "fq", a->x, &o);
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(&a->g, 1, &e), QAT_OK);
}

/* One forward of v and one backward of dy_i = 1.5 + i; returns dx. */
static const float *act_pass(act *a, const float *v, int calibrate) {
    memcpy(a->g.nodes[a->x].val, v, N * sizeof(float));
    qat_pass p = {.batch = 1, .calibrate = calibrate};
    qat_graph_forward(&a->g, &p, a->g.n_nodes);
    for (int i = 0; i < N; i++) a->g.nodes[a->y].grad[i] = 1.5f + (float)i;
    qat_graph_backward_from(&a->g, &p, a->y);
    return a->g.nodes[a->x].grad;
}

/* An observed range whose qparams are exact dyadic numbers, so the edges are known by hand:
 *   8 bits, [−1, 223/32]: s = (223/32 + 1)/255 = 1/32, zp = −128 + 1·32 = −96,
 *     representable [(−128 + 96)/32, (127 + 96)/32] = [−1, 6.96875];
 *   4 bits, [−2, 1.75]: s = 3.75/15 = 0.25, zp = −8 + 8 = 0, representable [−2, 1.75]. */
static void act_edges(int bits, float lo, float hi, float scale, int32_t zp) {
    act a;
    act_build(&a, bits);
    float calib[N] = {lo, hi, 0, 0.5f, lo, hi, 0, 0, 0, 0, 0, 0};
    act_pass(&a, calib, 1);
    float s;
    int32_t z;
    qat_fq_act_qparams(&a.g, a.y, &s, &z);
    assert_true(s == scale);
    assert_int_equal(z, zp);
    float below = nextafterf(lo, -INFINITY), above = nextafterf(hi, INFINITY);
    float x[N] = {lo, hi, below, above, 0, scale / 3, lo + scale / 2, hi - scale / 2,
                  nextafterf(lo, 0), nextafterf(hi, 0), -50, 50, hi, above, lo};
    const int inside[N] = {1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 1, 0, 1};
    float state[3];
    memcpy(state, a.g.state + a.g.nodes[a.y].offset, sizeof state);
    const float *dx = act_pass(&a, x, 0);
    for (int i = 0; i < N; i++) assert_true(dx[i] == (inside[i] ? 1.5f + (float)i : 0.0f));
    assert_memory_equal(state, a.g.state + a.g.nodes[a.y].offset, sizeof state); /* no range update */
    /* Forward: the edges are grid points; beyond them the output stays on the edge. */
    const float *y = a.g.nodes[a.y].val;
    assert_true(y[0] == lo && y[1] == hi && y[2] == lo && y[3] == hi && y[10] == lo && y[11] == hi);
    qat_graph_free(&a.g);
}

static void test_act_ste_8bit(void **s) {
    (void)s;
    act_edges(8, -1, 6.96875f, 0.03125f, -96);
}

static void test_act_ste_4bit(void **s) {
    (void)s;
    act_edges(4, -2, 1.75f, 0.25f, 0);
}

/* Before anything was observed, and in calibration passes, values and gradients pass
 * through untouched, however large. */
static void test_act_ste_inactive(void **s) {
    (void)s;
    act a;
    act_build(&a, 8);
    float x[N];
    for (int i = 0; i < N; i++) x[i] = 100.0f * (float)(i - 6) + 0.3f;
    const float *dx = act_pass(&a, x, 0); /* nothing observed yet */
    for (int i = 0; i < N; i++) {
        assert_true(a.g.nodes[a.y].val[i] == x[i]);
        assert_true(dx[i] == 1.5f + (float)i);
    }
    float small[N] = {-1, 1};
    act_pass(&a, small, 1); /* range now [-1, 1] */
    dx = act_pass(&a, x, 1);  /* a calibration pass still passes everything */
    for (int i = 0; i < N; i++) assert_true(dx[i] == 1.5f + (float)i);
    qat_graph_free(&a.g);
}

/* Weights: rows with both edges (±1), a negative extreme, and ties at the extreme. */
static void weight_ste(int bits, int per_channel) {
    qat_graph g;
    qat_graph_init(&g);
    int wd[2] = {3, 4};
    int w = qat_graph_param(&g, "w", 2, wd);
    int qmin, qmax;
    qat_weight_range(bits, &qmin, &qmax);
    int q = qat_fake_quant_weight(&g, "wq", w, qmax, per_channel, -1);
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(&g, 1, &e), QAT_OK);
    const float wv[12] = {0.5f, -1.0f, 0.25f, 1.0f, -0.3f, 0.1f, 0.2f, -0.05f, 0.7f, 0.7f, -0.7f, 0.1f};
    memcpy(g.nodes[w].val, wv, sizeof wv);
    qat_pass p = {.batch = 1, .training = 1};
    qat_graph_forward(&g, &p, g.n_nodes);
    /* The extremes land exactly on ±qmax·s: they sit on the clamp edge. */
    int ns;
    const float *sc = qat_fq_weight_scales(&g, q, &ns);
    const int extreme[12] = {0, 1, 0, 1, 1, 0, 0, 0, 1, 1, 1, 0};
    for (int i = 0; i < 12; i++)
        if (per_channel ? extreme[i] : fabsf(wv[i]) == 1.0f)
            assert_true(fabsf(g.nodes[q].val[i]) == (float)qmax * sc[per_channel ? i / 4 : 0]);
    for (int i = 0; i < 12; i++) g.nodes[q].grad[i] = 0.5f + (float)i;
    qat_graph_zero_grads(&g);
    qat_graph_backward_from(&g, &p, q);
    for (int i = 0; i < 12; i++) assert_true(g.nodes[w].grad[i] == 0.5f + (float)i);
    qat_graph_free(&g);
}

static void test_weight_ste(void **s) {
    (void)s;
    for (int pc = 0; pc <= 1; pc++) {
        weight_ste(8, pc);
        weight_ste(4, pc);
    }
}

/* Bias: rounded at s_in·s_w[c]; db = dy, and the nodes the scales come from get nothing. */
static void test_bias_ste(void **s) {
    (void)s;
    qat_graph g;
    qat_graph_init(&g);
    int xd[1] = {3}, wd[2] = {2, 3}, bd[1] = {2};
    int x = qat_graph_input(&g, "x", 1, xd);
    g.nodes[x].needs_grad = 1;
    qat_fq_opts o = {-128, 127, QAT_OBS_MINMAX, 0.9, 99, 0, 0, NULL, QAT_ACTQ_OBSERVER, -1};
    int xq = qat_fake_quant(&g, "xq", x, &o);
    int w = qat_graph_param(&g, "w", 2, wd), b = qat_graph_param(&g, "b", 1, bd);
    int wq = qat_fake_quant_weight(&g, "wq", w, 127, 1, -1);
    int bq = qat_fake_quant_bias(&g, "bq", b, xq, wq);
    int y = qat_dense(&g, "fc", xq, wq, bq);
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(&g, 2, &e), QAT_OK);
    const float xv[6] = {-1, 0.5f, 2, 0.25f, -0.75f, 1}, wv[6] = {0.3f, -0.2f, 0.1f, 0.5f, 0.4f, -0.6f};
    const float bv[2] = {0.123456f, -0.654321f};
    memcpy(g.nodes[x].val, xv, sizeof xv);
    memcpy(g.nodes[w].val, wv, sizeof wv);
    memcpy(g.nodes[b].val, bv, sizeof bv);
    qat_pass cal = {.batch = 2, .calibrate = 1}, p = {.batch = 2, .training = 1, .epoch = 1};
    qat_graph_forward(&g, &cal, g.n_nodes);
    qat_graph_forward(&g, &p, y + 1);
    assert_true(g.nodes[bq].val[0] != bv[0]); /* rounded: the node is active */
    const float dy[2] = {0.75f, -1.25f};
    memcpy(g.nodes[bq].grad, dy, sizeof dy);
    qat_graph_zero_grads(&g);
    qat_graph_backward_from(&g, &p, bq);
    assert_true(g.nodes[b].grad[0] == dy[0] && g.nodes[b].grad[1] == dy[1]);
    for (int i = 0; i < 6; i++) assert_true(g.nodes[w].grad[i] == 0 && g.nodes[x].grad[i] == 0);
    qat_graph_free(&g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_act_ste_8bit),   cmocka_unit_test(test_act_ste_4bit),
        cmocka_unit_test(test_act_ste_inactive), cmocka_unit_test(test_weight_ste),
        cmocka_unit_test(test_bias_ste),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
