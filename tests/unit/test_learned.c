/* Learned ranges (LSQ, PACT; quant.h): their gradients against the published straight-through
 * rules on hand-worked cases, finite differences where the rules are true derivatives (values
 * clipped at the range's end, away from every rounding step), and the start from the
 * calibrated model exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "qat/config.h"
#include "qat/quant.h"
#include "stacks.h"

/* LSQ eq. 3 by hand: s = 0.5; v = x/s; round half away from zero. */
static void test_lsq_step_rule(void **s) {
    (void)s;
    /* zero point 0, levels [-8, 7] (4-bit weights' range is [-7, 7]: both ends tested) */
    assert_float_equal(qat_lsq_step_grad(0.3f, 0.5f, 0, -8, 7), 1 - 0.6, 1e-7);   /* v 0.6 */
    assert_float_equal(qat_lsq_step_grad(-0.3f, 0.5f, 0, -8, 7), -1 + 0.6, 1e-7); /* v -0.6 */
    assert_float_equal(qat_lsq_step_grad(0.75f, 0.5f, 0, -8, 7), 2 - 1.5, 1e-7);  /* tie: away */
    assert_float_equal(qat_lsq_step_grad(10.0f, 0.5f, 0, -8, 7), 7, 0);           /* above: Qp */
    assert_float_equal(qat_lsq_step_grad(-10.0f, 0.5f, 0, -8, 7), -8, 0);         /* below: -Qn */
    assert_float_equal(qat_lsq_step_grad(3.5f, 0.5f, 0, -7, 7), 7, 0);            /* v = Qp */
    /* zero point -8 (a ReLU output on 4 bits): levels relative to it are [0, 15] */
    assert_float_equal(qat_lsq_step_grad(2.5f, 0.5f, -8, -8, 7), 0, 1e-12); /* v 5: on a level */
    assert_float_equal(qat_lsq_step_grad(2.6f, 0.5f, -8, -8, 7), 5 - 5.2, 1e-6);
    assert_float_equal(qat_lsq_step_grad(-0.2f, 0.5f, -8, -8, 7), 0, 0);           /* below: 0 */
    assert_float_equal(qat_lsq_step_grad(10.0f, 0.5f, -8, -8, 7), 15, 0);
    assert_float_equal(qat_lsq_grad_scale(60, 15), 1 / 30.0, 1e-15);
}

/* A bare graph: a (1, N) input or kernel param → its fake-quant with a learned parameter,
 * wrapped in a qat_qmodel so qat_qmodel_learn_init can start it. */
#define N 4

typedef struct bare {
    qat_qmodel qm;
    int x, v, y;
} bare;

static void act_graph(bare *b, qat_act_quantizer k) {
    memset(&b->qm, 0, sizeof b->qm);
    qat_graph *g = &b->qm.m.g;
    qat_graph_init(g);
    int dim[1] = {N}, one = 1;
    b->x = qat_graph_input(g, "x", 1, dim);
    g->nodes[b->x].needs_grad = 1;
    b->v = qat_graph_param(g, "step", 1, &one);
    qat_fq_opts o = {0, 0, QAT_OBS_MINMAX, 0.9, 99, 0, 0, NULL, k, b->v};
    qat_act_range(4, &o.qmin, &o.qmax);
    b->y = qat_fake_quant(g, "fq", b->x, &o);
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(g, 1, &e), QAT_OK);
}

static void pass(bare *b, const float *x, int calibrate, const float *dy) {
    qat_graph *g = &b->qm.m.g;
    memcpy(g->nodes[b->x].val, x, N * sizeof(float));
    qat_pass p = {.batch = 1, .training = !calibrate, .calibrate = calibrate, .epoch = 1};
    qat_graph_forward(g, &p, g->n_nodes);
    if (!dy) return;
    qat_graph_zero_grads(g);
    memcpy(g->nodes[b->y].grad, dy, N * sizeof(float));
    qat_graph_backward_from(g, &p, b->y);
}

/* Calibrated on [0, 7.5] (4 bits: s = 0.5, zp = −8): learning starts at s = 0.5 with the
 * observer's zero point; then LSQ's rules by hand at s = 0.5. */
static void test_lsq_activation(void **s) {
    (void)s;
    bare b;
    act_graph(&b, QAT_ACTQ_LSQ);
    qat_graph *g = &b.qm.m.g;
    const float calib[N] = {0, 7.5f, 1, 2};
    pass(&b, calib, 1, NULL);
    qat_qmodel_learn_init(&b.qm);
    assert_true(g->nodes[b.v].val[0] == 0.5f);
    float sc;
    int32_t zp;
    qat_fq_act_qparams(g, b.y, &sc, &zp);
    assert_true(sc == 0.5f);
    assert_int_equal(zp, -8);
    const float x[N] = {0.3f, 0.75f, -5, 10}, dy[N] = {1, 2, 3, 4}; /* -5 would move an observer */
    pass(&b, x, 0, dy);
    const float want_y[N] = {0.5f, 1.0f, 0, 7.5f};
    assert_memory_equal(g->nodes[b.y].val, want_y, sizeof want_y);
    const float want_dx[N] = {1, 2, 0, 0}; /* inside (0, 15) in steps */
    assert_memory_equal(g->nodes[b.x].grad, want_dx, sizeof want_dx);
    double ds = (1 * (1 - 0.6) + 2 * (2 - 1.5) + 3 * 0.0 + 4 * 15.0) / sqrt(N * 15.0);
    assert_float_equal(g->nodes[b.v].grad[0], ds, 1e-6);
    /* the learned step is what the node quantizes with (and lowering reads) */
    g->nodes[b.v].val[0] = 0.25f;
    pass(&b, x, 0, NULL);
    qat_fq_act_qparams(g, b.y, &sc, &zp);
    assert_true(sc == 0.25f);
    assert_int_equal(zp, -8);
    assert_true(g->nodes[b.y].val[3] == 15 * 0.25f);
    qat_graph_free(g);
}

/* Sum of the outputs as a function of the learned value v (every input clipped above the
 * range, where the rules are true derivatives). */
static double clipped_sum(bare *b, const float *x, float v) {
    qat_graph *g = &b->qm.m.g;
    g->nodes[b->v].val[0] = v;
    pass(b, x, 0, NULL);
    double s = 0;
    for (int i = 0; i < N; i++) s += g->nodes[b->y].val[i];
    return s;
}

/* LSQ: every value above the range: ∂Σŷ/∂s = N·Qp, the rule's value (its gradient scale
 * removed), by central differences. PACT the same with ∂Σŷ/∂α = N. */
static void clipped_fd(qat_act_quantizer k, double want_per_value) {
    bare b;
    act_graph(&b, k);
    qat_graph *g = &b.qm.m.g;
    const float calib[N] = {0, 7.5f, 1, 2}, x[N] = {20, 30, 40, 50}, dy[N] = {1, 1, 1, 1};
    pass(&b, calib, 1, NULL);
    qat_qmodel_learn_init(&b.qm);
    float v = g->nodes[b.v].val[0], h = v * 1e-2f;
    double fd = (clipped_sum(&b, x, v + h) - clipped_sum(&b, x, v - h)) / (2.0 * h);
    g->nodes[b.v].val[0] = v;
    pass(&b, x, 0, dy);
    double analytic = g->nodes[b.v].grad[0];
    if (k == QAT_ACTQ_LSQ) analytic /= qat_lsq_grad_scale(N, 15);
    assert_float_equal(analytic, N * want_per_value, 1e-6);
    assert_float_equal(fd, analytic, 1e-3 * fabs(analytic));
    for (int i = 0; i < N; i++) assert_true(g->nodes[b.x].grad[i] == 0);
    qat_graph_free(g);
}

static void test_lsq_clipped_fd(void **s) {
    (void)s;
    clipped_fd(QAT_ACTQ_LSQ, 15); /* Qp = qmax − zp = 7 + 8 */
}

static void test_pact_clipped_fd(void **s) {
    (void)s;
    clipped_fd(QAT_ACTQ_PACT, 1);
}

/* PACT by hand: α from the calibrated range's top (7.5); below α the input's gradient passes
 * and α gets none, at and above α the reverse. */
static void test_pact_rule(void **s) {
    (void)s;
    bare b;
    act_graph(&b, QAT_ACTQ_PACT);
    qat_graph *g = &b.qm.m.g;
    const float calib[N] = {0, 7.5f, 1, 2};
    pass(&b, calib, 1, NULL);
    qat_qmodel_learn_init(&b.qm);
    assert_true(g->nodes[b.v].val[0] == 7.5f);
    const float x[N] = {0.3f, 7.4f, 7.5f, 9}, dy[N] = {1, 2, 3, 4};
    pass(&b, x, 0, dy);
    const float want_dx[N] = {1, 2, 0, 0};
    assert_memory_equal(g->nodes[b.x].grad, want_dx, sizeof want_dx);
    assert_true(g->nodes[b.v].grad[0] == 3 + 4);
    qat_graph_free(g);
}

/* LSQ weights by hand: kernel {0.3, −0.3, 0.75, 10}, one learned scale 0.5, 4 bits (±7). */
static void test_lsq_weights(void **s) {
    (void)s;
    qat_qmodel qm;
    memset(&qm, 0, sizeof qm);
    qat_graph *g = &qm.m.g;
    qat_graph_init(g);
    int dim[1] = {N}, one = 1;
    int w = qat_graph_param(g, "w", 1, dim), sc = qat_graph_param(g, "wscale", 1, &one);
    int q = qat_fake_quant_weight(g, "wq", w, 7, QAT_WEIGHT_PER_TENSOR, sc);
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(g, 1, &e), QAT_OK);
    const float wv[N] = {0.3f, -0.3f, 0.75f, 10};
    memcpy(g->nodes[w].val, wv, sizeof wv);
    qat_pass p = {.batch = 1, .training = 1, .epoch = 1};
    qat_graph_forward(g, &p, g->n_nodes);
    qat_qmodel_learn_init(&qm); /* LSQ's start: 2·mean|w|/√7 */
    assert_float_equal(g->nodes[sc].val[0], 2 * (11.35 / 4) / sqrt(7.0), 1e-6);
    g->nodes[sc].val[0] = 0.5f;
    qat_graph_forward(g, &p, g->n_nodes);
    const float want[N] = {0.5f, -0.5f, 1.0f, 3.5f};
    assert_memory_equal(g->nodes[q].val, want, sizeof want);
    const float dy[N] = {1, 2, 3, 4};
    qat_graph_zero_grads(g);
    memcpy(g->nodes[q].grad, dy, sizeof dy);
    qat_graph_backward_from(g, &p, q);
    const float want_dw[N] = {1, 2, 3, 0}; /* clipped: the last one */
    assert_memory_equal(g->nodes[w].grad, want_dw, sizeof want_dw);
    double ds = (1 * 0.4 + 2 * -0.4 + 3 * 0.5 + 4 * 7.0) / sqrt(N * 7.0);
    assert_float_equal(g->nodes[sc].grad[0], ds, 1e-6);
    qat_graph_free(g);
}

/* The lesson with LSQ activations: starting to learn changes no output (QAT starts from the
 * PTQ model exactly); with LSQ weights too, every activation and kernel has its learned
 * parameter. */
static void test_start_is_ptq(void **s) {
    (void)s;
    qat_config c;
    qat_config_defaults(&c);
    c.quant.act_quantizer = QAT_ACTQ_LSQ;
    qat_model fm;
    qat_qmodel qm;
    assert_int_equal(qat_test_qmodel(&c, 8, 5, &fm, &qm), QAT_OK);
    qat_graph *g = &qm.m.g;
    qat_pass p = {.batch = 8};
    qat_graph_forward(g, &p, qm.m.logits + 1);
    float before[8 * 3], after[8 * 3];
    memcpy(before, g->nodes[qm.m.logits].val, sizeof before);
    qat_qmodel_learn_init(&qm);
    qat_graph_forward(g, &p, qm.m.logits + 1);
    memcpy(after, g->nodes[qm.m.logits].val, sizeof after);
    assert_memory_equal(before, after, sizeof before);
    qat_qmodel_free(&qm);
    qat_model_free(&fm);
    c.quant.weight_quantizer = QAT_WQ_LSQ;
    assert_int_equal(qat_test_qmodel(&c, 8, 5, &fm, &qm), QAT_OK);
    g = &qm.m.g;
    int learned = 0;
    for (int i = 0; i < g->n_nodes; i++) learned += g->nodes[i].n_in == 2 &&
        (g->nodes[i].op == QAT_OP_FAKE_QUANT || g->nodes[i].op == QAT_OP_FQ_WEIGHT);
    assert_int_equal(learned, 5 + 4); /* input + 4 layer outputs; 4 kernels */
    qat_qmodel_free(&qm);
    qat_model_free(&fm);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lsq_step_rule),   cmocka_unit_test(test_lsq_activation),
        cmocka_unit_test(test_lsq_clipped_fd),  cmocka_unit_test(test_pact_clipped_fd),
        cmocka_unit_test(test_pact_rule),       cmocka_unit_test(test_lsq_weights),
        cmocka_unit_test(test_start_is_ptq),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
