/* Finite-difference gradient checks for every op's backward (gradcheck.h: a 1 % error in
 * any one input's or parameter's gradient fails), and exact forward values by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "qat/ops.h"

/* Steps (Richardson's extrapolation uses h and h/2). Linear and piecewise-linear ops have
 * no truncation error and their float32 noise shrinks as 1/h: h = 1/8, the largest that
 * keeps every test point (0.25 or more from each kink) clear. Curved ops (batch norm in
 * training, softmax): truncation showed from h = 1/4 (2e-5 on batch-norm dL/dx over 4
 * rows); at 1/16 it is 4⁴ = 256× smaller, below the noise. */
#define H_LINEAR 0.125
#define H_CURVED 0.0625
#define H_STACK 0.0625

typedef struct fixture {
    qat_graph g;
    qat_rng rng;
    qat_pass pass;
    int x;
} fixture;

static void start(fixture *f, int ndim, const int *dim) {
    qat_graph_init(&f->g);
    f->x = qat_graph_input(&f->g, "x", ndim, dim);
    f->g.nodes[f->x].needs_grad = 1; /* so the checks see dL/dx too */
}

static void finish(fixture *f, int batch, int training) {
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(&f->g, batch, &e), QAT_OK);
    f->pass = (qat_pass){.batch = batch, .training = training, .rng = &f->rng};
}

static int param(fixture *f, const char *name, int ndim, const int *dim) {
    return qat_graph_param(&f->g, name, ndim, dim);
}

static void randomize_params(fixture *f) {
    for (int i = 0; i < f->g.n_nodes; i++)
        if (f->g.nodes[i].op == QAT_OP_PARAM)
            qat_fill_uniform(&f->g.nodes[i], 1, 100 + (unsigned)i, -0.5f, 0.5f);
}

/* dL/dx and dL/dθ for every parameter θ, each node judged on its own. */
static int grads_ok(fixture *f, int out, double h) {
    int check[8], n = 0;
    check[n++] = f->x;
    for (int i = 0; i < f->g.n_nodes && n < 8; i++)
        if (f->g.nodes[i].op == QAT_OP_PARAM) check[n++] = i;
    return qat_gradcheck_ok(&f->g, &f->pass, out, check, n, h);
}

static void conv_case(qat_padding pad, int kernel, int use_bias) {
    fixture f;
    int xd[2] = {9, 3}, wd[3] = {4, kernel, 3}, bd[1] = {4};
    start(&f, 2, xd);
    int w = param(&f, "w", 3, wd), b = use_bias ? param(&f, "b", 1, bd) : -1;
    int y = qat_conv1d(&f.g, "conv", f.x, w, b, pad);
    assert_int_equal(f.g.nodes[y].dim[0], pad == QAT_PAD_VALID ? 9 - kernel + 1 : 9);
    finish(&f, 3, 1);
    randomize_params(&f);
    qat_fill_uniform(&f.g.nodes[f.x], 3, 1, -1, 1);
    assert_true(grads_ok(&f, y, H_LINEAR));
    qat_graph_free(&f.g);
}

static void test_conv1d_valid(void **s) {
    (void)s;
    conv_case(QAT_PAD_VALID, 5, 1);
}

static void test_conv1d_same(void **s) {
    (void)s;
    conv_case(QAT_PAD_SAME, 5, 1);
}

/* An even kernel pads unevenly under 'same' (1 left, 2 right for K = 4). */
static void test_conv1d_same_even(void **s) {
    (void)s;
    conv_case(QAT_PAD_SAME, 4, 1);
}

static void test_conv1d_no_bias(void **s) {
    (void)s;
    conv_case(QAT_PAD_SAME, 5, 0);
}

/* y[t] = Σ_k w[k] x[t+k-1] with 'same' padding: edges see zeros. */
static void test_conv1d_forward_values(void **s) {
    (void)s;
    fixture f;
    int xd[2] = {4, 1}, wd[3] = {1, 3, 1};
    start(&f, 2, xd);
    int w = param(&f, "w", 3, wd);
    int y = qat_conv1d(&f.g, "conv", f.x, w, -1, QAT_PAD_SAME);
    finish(&f, 1, 0);
    float xs[4] = {1, 2, 3, 4}, ws[3] = {1, 10, 100};
    memcpy(f.g.nodes[f.x].val, xs, sizeof xs);
    memcpy(f.g.nodes[w].val, ws, sizeof ws);
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    const float *v = f.g.nodes[y].val;
    assert_float_equal(v[0], 0 * 1 + 1 * 10 + 2 * 100, 1e-4);
    assert_float_equal(v[1], 1 * 1 + 2 * 10 + 3 * 100, 1e-4);
    assert_float_equal(v[3], 3 * 1 + 4 * 10 + 0 * 100, 1e-4);
    qat_graph_free(&f.g);
}

static void dense_case(int use_bias) {
    fixture f;
    int xd[1] = {7}, wd[2] = {4, 7}, bd[1] = {4};
    start(&f, 1, xd);
    int w = param(&f, "w", 2, wd), b = use_bias ? param(&f, "b", 1, bd) : -1;
    int y = qat_dense(&f.g, "fc", f.x, w, b);
    finish(&f, 5, 1);
    randomize_params(&f);
    qat_fill_uniform(&f.g.nodes[f.x], 5, 2, -1, 1);
    assert_true(grads_ok(&f, y, H_LINEAR));
    qat_graph_free(&f.g);
}

static void test_dense(void **s) {
    (void)s;
    dense_case(1);
}

static void test_dense_no_bias(void **s) {
    (void)s;
    dense_case(0);
}

static void bn_case(int training, int ndim) {
    fixture f;
    int xd[2] = {6, 4}, cd[1] = {4};
    if (ndim == 1) xd[0] = 4;
    start(&f, ndim, xd);
    int gam = param(&f, "gamma", 1, cd), bet = param(&f, "beta", 1, cd);
    int y = qat_batchnorm(&f.g, "bn", f.x, gam, bet, 0.99, 1e-3);
    finish(&f, 4, training);
    randomize_params(&f);
    for (int j = 0; j < 4; j++) {
        f.g.state[j] = 0.2f * (float)j - 0.3f;      /* running mean */
        f.g.state[4 + j] = 0.5f + 0.1f * (float)j; /* running var */
    }
    qat_fill_uniform(&f.g.nodes[f.x], 4, 3, -2, 2);
    /* Training normalises with the batch's statistics: curved in x. Inference is affine. */
    assert_true(grads_ok(&f, y, training ? H_CURVED : H_LINEAR));
    qat_graph_free(&f.g);
}

static void test_batchnorm_training(void **s) {
    (void)s;
    bn_case(1, 2);
}

static void test_batchnorm_training_dense(void **s) {
    (void)s;
    bn_case(1, 1);
}

static void test_batchnorm_inference(void **s) {
    (void)s;
    bn_case(0, 2);
}

static void test_batchnorm_inference_dense(void **s) {
    (void)s;
    bn_case(0, 1);
}

/* Training normalises with batch statistics and moves the running ones by 1 − momentum
 * (Keras: running = momentum · running + (1 − momentum) · batch, with the batch's biased
 * variance — tf.nn.moments, as Keras uses for 2-D and 3-D inputs). By hand, x = {1, 3}:
 * mean 2, biased variance 1 (unbiased would be 2). Step 1 from (0, 4): mean 0.9·0 + 0.1·2
 * = 0.2, variance 0.9·4 + 0.1·1 = 3.7; step 2: 0.9·0.2 + 0.2 = 0.38, 0.9·3.7 + 0.1 = 3.43.
 * Inference leaves them. */
static void test_batchnorm_running_stats(void **s) {
    (void)s;
    fixture f;
    int xd[1] = {1}, cd[1] = {1};
    start(&f, 1, xd);
    int gam = param(&f, "gamma", 1, cd), bet = param(&f, "beta", 1, cd);
    int y = qat_batchnorm(&f.g, "bn", f.x, gam, bet, 0.9, 0.0);
    finish(&f, 2, 1);
    f.g.nodes[gam].val[0] = 1;
    f.g.nodes[bet].val[0] = 0;
    f.g.state[1] = 4; /* running var */
    f.g.nodes[f.x].val[0] = 1;
    f.g.nodes[f.x].val[1] = 3;
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    assert_float_equal(f.g.nodes[y].val[0], -1, 1e-6);
    assert_float_equal(f.g.nodes[y].val[1], 1, 1e-6);
    assert_float_equal(f.g.state[0], 0.2, 1e-6);
    assert_float_equal(f.g.state[1], 3.7, 1e-6);
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    assert_float_equal(f.g.state[0], 0.38, 1e-6);
    assert_float_equal(f.g.state[1], 3.43, 1e-6);
    f.pass.training = 0;
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    assert_float_equal(f.g.state[0], 0.38, 1e-6);
    assert_float_equal(f.g.state[1], 3.43, 1e-6);
    /* ... and normalises with them: (1 − 0.38)/√3.43. */
    assert_float_equal(f.g.nodes[y].val[0], (1 - 0.38) / sqrt(3.43), 1e-6);
    qat_graph_free(&f.g);
}

static void act_case(int six) {
    fixture f;
    int xd[2] = {10, 3};
    start(&f, 2, xd);
    int y = six ? qat_relu6(&f.g, "r", f.x) : qat_relu(&f.g, "r", f.x);
    finish(&f, 3, 1);
    /* ±0.25, ±0.75, … ±22.25: both clamps, every point 0.25 > h from the kinks 0 and 6. */
    qat_fill_spaced(&f.g.nodes[f.x], 3, 4, 0.5f);
    assert_true(grads_ok(&f, y, H_LINEAR));
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    for (int i = 0; i < 90; i++) {
        float x = f.g.nodes[f.x].val[i], v = f.g.nodes[y].val[i];
        assert_float_equal(v, x < 0 ? 0 : (six && x > 6 ? 6 : x), 0);
    }
    qat_graph_free(&f.g);
}

static void test_relu(void **s) {
    (void)s;
    act_case(0);
}

static void test_relu6(void **s) {
    (void)s;
    act_case(1);
}

/* Exactly at a kink the gradient is TensorFlow's: ReluGrad passes dy where x > 0,
 * Relu6Grad where 0 < x < 6 — so 0 at x = 0 and at x = 6, dy just inside. */
static void test_activation_kinks(void **s) {
    (void)s;
    for (int six = 0; six <= 1; six++) {
        fixture f;
        int xd[1] = {6};
        start(&f, 1, xd);
        int y = six ? qat_relu6(&f.g, "r", f.x) : qat_relu(&f.g, "r", f.x);
        finish(&f, 1, 1);
        float x[6] = {0.0f, -0.0f, 1e-30f, 6.0f, nextafterf(6, 0), nextafterf(6, 7)};
        memcpy(f.g.nodes[f.x].val, x, sizeof x);
        qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
        for (int i = 0; i < 6; i++) f.g.nodes[y].grad[i] = 1.5f + (float)i;
        qat_graph_backward_from(&f.g, &f.pass, y);
        const float *dx = f.g.nodes[f.x].grad;
        assert_true(dx[0] == 0 && dx[1] == 0 && dx[2] == 3.5f && dx[4] == 5.5f);
        assert_true(dx[3] == (six ? 0 : 4.5f) && dx[5] == (six ? 0 : 6.5f));
        qat_graph_free(&f.g);
    }
}

static void pool_case(qat_padding pad, int pool, int T, int expect) {
    fixture f;
    int xd[2] = {T, 2};
    start(&f, 2, xd);
    int y = qat_maxpool1d(&f.g, "pool", f.x, pool, pad);
    assert_int_equal(f.g.nodes[y].dim[0], expect);
    finish(&f, 2, 1);
    /* Distinct values 0.25 apart: a step of h < 0.25 never changes a window's winner. */
    qat_fill_spaced(&f.g.nodes[f.x], 2, 5, 0.25f);
    assert_true(grads_ok(&f, y, H_LINEAR));
    qat_graph_free(&f.g);
}

static void test_maxpool_valid(void **s) {
    (void)s;
    pool_case(QAT_PAD_VALID, 2, 7, 3);
}

/* T = 7, pool 2: one padded cell on the right. */
static void test_maxpool_same(void **s) {
    (void)s;
    pool_case(QAT_PAD_SAME, 2, 7, 4);
}

/* T = 7, pool 3: padding 1 left and 1 right (TensorFlow's split, left half rounded down). */
static void test_maxpool_same_both_sides(void **s) {
    (void)s;
    pool_case(QAT_PAD_SAME, 3, 7, 3);
}

/* Padded cells never win, even over negative values: windows {pad, x0, x1}, {x2, x3, x4},
 * {x5, x6, pad}. */
static void test_maxpool_padding_values(void **s) {
    (void)s;
    fixture f;
    int xd[2] = {7, 1};
    start(&f, 2, xd);
    int y = qat_maxpool1d(&f.g, "pool", f.x, 3, QAT_PAD_SAME);
    finish(&f, 1, 0);
    float x[7] = {-5, -4, 1, -1, -2, -3, -6};
    memcpy(f.g.nodes[f.x].val, x, sizeof x);
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    const float *v = f.g.nodes[y].val;
    assert_true(v[0] == -4 && v[1] == 1 && v[2] == -3);
    for (int i = 0; i < 3; i++) f.g.nodes[y].grad[i] = 2.0f + (float)i;
    qat_graph_backward_from(&f.g, &f.pass, y);
    const float want[7] = {0, 2, 3, 0, 0, 4, 0};
    assert_memory_equal(f.g.nodes[f.x].grad, want, sizeof want);
    qat_graph_free(&f.g);
}

static void test_flatten(void **s) {
    (void)s;
    fixture f;
    int xd[2] = {5, 3};
    start(&f, 2, xd);
    int y = qat_flatten(&f.g, "flat", f.x);
    assert_int_equal(f.g.nodes[y].dim[0], 15);
    finish(&f, 2, 1);
    qat_fill_uniform(&f.g.nodes[f.x], 2, 6, -1, 1);
    assert_true(grads_ok(&f, y, H_LINEAR));
    qat_graph_free(&f.g);
}

static void test_dropout(void **s) {
    (void)s;
    fixture f;
    int xd[1] = {200};
    start(&f, 1, xd);
    int y = qat_dropout(&f.g, "drop", f.x, 0.3);
    finish(&f, 2, 1);
    qat_fill_uniform(&f.g.nodes[f.x], 2, 7, 0.5f, 1);
    assert_true(grads_ok(&f, y, H_LINEAR));
    /* Kept elements are scaled by 1/(1−rate); the dropped fraction is near the rate. */
    qat_rng_seed(&f.rng, 1, QAT_STREAM_DROPOUT);
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    int dropped = 0;
    for (int i = 0; i < 400; i++) {
        float v = f.g.nodes[y].val[i], x = f.g.nodes[f.x].val[i];
        if (v == 0) dropped++;
        else assert_float_equal(v, x / 0.7f, 1e-5);
    }
    assert_in_range(dropped, 90, 150);
    f.pass.training = 0; /* identity at inference */
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    for (int i = 0; i < 400; i++) assert_float_equal(f.g.nodes[y].val[i], f.g.nodes[f.x].val[i], 0);
    qat_graph_free(&f.g);
}

static void test_softmax_xent(void **s) {
    (void)s;
    fixture f;
    int xd[1] = {3};
    start(&f, 1, xd);
    int y = qat_softmax_xent(&f.g, "loss", f.x);
    finish(&f, 4, 1);
    int labels[4] = {0, 2, 1, 2};
    f.pass.labels = labels;
    qat_fill_uniform(&f.g.nodes[f.x], 4, 8, -3, 3);
    assert_true(grads_ok(&f, y, H_CURVED));
    /* Equal logits: loss log 3, probabilities 1/3. */
    for (int i = 0; i < 12; i++) f.g.nodes[f.x].val[i] = 5;
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    assert_float_equal(f.g.nodes[y].val[0], log(3.0), 1e-6);
    assert_float_equal(qat_softmax_xent_probs(&f.g, y)[4], 1.0 / 3, 1e-6);
    qat_graph_free(&f.g);
}

/* Distillation's loss (ops.h softmax_xent): by hand for one sample, its gradient by finite
 * differences, and α = 0 exactly the plain cross-entropy. */
static void test_softmax_xent_distill(void **s) {
    (void)s;
    fixture f;
    int xd[1] = {2};
    start(&f, 1, xd);
    int y = qat_softmax_xent(&f.g, "loss", f.x);
    finish(&f, 1, 1);
    int label[1] = {0};
    const float q[2] = {0.25f, 0.75f};
    f.pass.labels = label;
    f.pass.soft = q;
    f.pass.distill_alpha = 0.5f;
    f.pass.distill_t = 2;
    f.g.nodes[f.x].val[0] = 1;
    f.g.nodes[f.x].val[1] = 0;
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    /* CE = log(e + 1) − 1; r = softmax([1/2, 0]); KL(q ‖ r) = Σ q log(q / r) */
    double ce = log(exp(1.0) + 1) - 1, r0 = exp(0.5) / (exp(0.5) + 1), r1 = 1 - r0;
    double kl = 0.25 * log(0.25 / r0) + 0.75 * log(0.75 / r1);
    assert_float_equal(f.g.nodes[y].val[0], 0.5 * ce + 0.5 * 4 * kl, 1e-6);
    qat_graph_free(&f.g);

    start(&f, 1, (int[1]){3});
    y = qat_softmax_xent(&f.g, "loss", f.x);
    finish(&f, 4, 1);
    int labels[4] = {0, 2, 1, 2};
    float soft[12];
    for (int i = 0; i < 4; i++) { /* teacher probabilities, each row summing to 1 */
        soft[3 * i] = 0.2f + 0.1f * (float)i, soft[3 * i + 1] = 0.5f - 0.1f * (float)i;
        soft[3 * i + 2] = 1 - soft[3 * i] - soft[3 * i + 1];
    }
    f.pass.labels = labels;
    f.pass.soft = soft;
    f.pass.distill_alpha = 0.7f;
    f.pass.distill_t = 3;
    qat_fill_uniform(&f.g.nodes[f.x], 4, 9, -3, 3);
    assert_true(grads_ok(&f, y, H_CURVED));
    f.pass.distill_alpha = 0; /* the soft term weighs nothing: plain cross-entropy */
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    float with = f.g.nodes[y].val[0];
    qat_graph_zero_grads(&f.g);
    f.g.nodes[y].grad[0] = 1;
    qat_graph_backward_from(&f.g, &f.pass, y);
    float g0[12];
    memcpy(g0, f.g.nodes[f.x].grad, sizeof g0);
    f.pass.soft = NULL;
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    assert_true(with == f.g.nodes[y].val[0]);
    qat_graph_zero_grads(&f.g);
    f.g.nodes[y].grad[0] = 1;
    qat_graph_backward_from(&f.g, &f.pass, y);
    assert_memory_equal(g0, f.g.nodes[f.x].grad, sizeof g0);
    qat_graph_free(&f.g);
}

/* The lesson's whole stack end to end, with BN and ReLU6 too: gradients compose, the norm
 * error held to the same 1 % standard as each op alone. Random data would put ReLU6 inputs
 * and max-pool runners-up within any usable step of a kink, so the point is built away
 * from them: inputs alternate in sign along time and the kernels respond to that
 * alternation, so in every pool window one time step leads the other by a wide margin;
 * BN's beta puts channels 0 and 3 inside ReLU6's linear range, channel 1 below 0 and
 * channel 2 above 6 (no gradient), all far from the kinks. The test asserts those margins
 * (a step across a kink would show as an error of order 1, not 1e-4). */
static void test_stack(void **s) {
    (void)s;
    fixture f;
    int xd[2] = {12, 3}, w1[3] = {4, 3, 3}, c4[1] = {4}, w2[2] = {3, 20}, c3[1] = {3};
    start(&f, 2, xd);
    int wc = param(&f, "w1", 3, w1), bc = param(&f, "b1", 1, c4);
    int gam = param(&f, "g", 1, c4), bet = param(&f, "be", 1, c4);
    int wd = param(&f, "w2", 2, w2), bd = param(&f, "b2", 1, c3);
    int bn = qat_batchnorm(&f.g, "bn", qat_conv1d(&f.g, "c", f.x, wc, bc, QAT_PAD_VALID), gam, bet,
                           0.99, 1e-3);
    int h = qat_relu6(&f.g, "r", bn);
    h = qat_maxpool1d(&f.g, "p", h, 2, QAT_PAD_VALID);
    h = qat_flatten(&f.g, "f", h);
    h = qat_dropout(&f.g, "d", h, 0.2);
    h = qat_dense(&f.g, "fc", h, wd, bd);
    int loss = qat_softmax_xent(&f.g, "loss", h);
    finish(&f, 3, 1);
    int labels[3] = {1, 0, 2};
    f.pass.labels = labels;
    randomize_params(&f);
    float *x = f.g.nodes[f.x].val, *w = f.g.nodes[wc].val;
    qat_fill_uniform(&f.g.nodes[f.x], 3, 9, -1, 1);
    for (int i = 0; i < 3 * 12 * 3; i++) x[i] += i / 3 % 12 % 2 ? 1.0f : -1.0f; /* (−1)^(t+1) */
    for (int i = 0; i < 36; i++) w[i] += i / 3 % 3 % 2 ? -0.3f : 0.3f;        /* 0.3 (−1)^k */
    const float g0[4] = {1, 0.4f, 0.5f, -1}, b0[4] = {3, -4, 9, 3};
    memcpy(f.g.nodes[gam].val, g0, sizeof g0);
    memcpy(f.g.nodes[bet].val, b0, sizeof b0);
    qat_graph_forward(&f.g, &f.pass, loss + 1);
    const float *v = f.g.nodes[bn].val; /* 3 × 10 × 4, ReLU6's input */
    float relu_margin = INFINITY, pool_margin = INFINITY; /* measured: 1.50 and 1.46 */
    for (int i = 0; i < 3 * 10 * 4; i++)
        relu_margin = fminf(relu_margin, fminf(fabsf(v[i]), fabsf(v[i] - 6)));
    for (int i = 0; i < 3 * 10 * 4; i += 8) /* each window's two time steps, live channels */
        for (int c = 0; c < 4; c += 3) pool_margin = fminf(pool_margin, fabsf(v[i + c] - v[i + 4 + c]));
    assert_true(relu_margin > 0.5f && pool_margin > 0.5f);
    /* b1 is left out: a bias before batch norm in training has no gradient (the batch mean
     * absorbs it), so there is nothing to compare. */
    int check[6] = {f.x, wc, gam, bet, wd, bd};
    /* Every value moves with every x through BN and the loss is one float32, so the noise
     * is larger than an op's alone (measured at h = 1/16: norm error 1.9e-4 on dL/dx, element
     * error 2.3e-3 on its near-zero entries): the norm error keeps the 1 % standard, the
     * element error gets 1e-2. */
    qat_gc_result r = qat_gradcheck(&f.g, &f.pass, loss, check, 6, H_STACK);
    if (!(r.norm_err < QAT_GC_TOL_NORM && r.elem_err < 1e-2 && r.min_norm > 0))
        qat_gradcheck_ok(&f.g, &f.pass, loss, check, 6, H_STACK); /* prints every node */
    assert_true(r.norm_err < QAT_GC_TOL_NORM && r.elem_err < 1e-2 && r.min_norm > 0);
    qat_graph_free(&f.g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv1d_valid),
        cmocka_unit_test(test_conv1d_same),
        cmocka_unit_test(test_conv1d_same_even),
        cmocka_unit_test(test_conv1d_no_bias),
        cmocka_unit_test(test_conv1d_forward_values),
        cmocka_unit_test(test_dense),
        cmocka_unit_test(test_dense_no_bias),
        cmocka_unit_test(test_batchnorm_training),
        cmocka_unit_test(test_batchnorm_training_dense),
        cmocka_unit_test(test_batchnorm_inference),
        cmocka_unit_test(test_batchnorm_inference_dense),
        cmocka_unit_test(test_batchnorm_running_stats),
        cmocka_unit_test(test_relu),
        cmocka_unit_test(test_relu6),
        cmocka_unit_test(test_activation_kinks),
        cmocka_unit_test(test_maxpool_valid),
        cmocka_unit_test(test_maxpool_same),
        cmocka_unit_test(test_maxpool_same_both_sides),
        cmocka_unit_test(test_maxpool_padding_values),
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_dropout),
        cmocka_unit_test(test_softmax_xent),
        cmocka_unit_test(test_softmax_xent_distill),
        cmocka_unit_test(test_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
