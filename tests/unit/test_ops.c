/* Finite-difference gradient checks for every op's backward, and a few exact forward
 * values computed by hand. */
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

#define TOL 1e-2
#define EPS 1e-2

/* Distinct values 0.05 apart (shuffled, never 0), so no finite difference of size EPS
 * crosses a ReLU kink or changes a max-pool winner. */
static void fill_spaced(qat_node *n, int batch, unsigned seed) {
    size_t len = qat_node_len(n, batch);
    int *idx = malloc(len * sizeof(int));
    for (size_t i = 0; i < len; i++) idx[i] = (int)i;
    qat_rng r;
    qat_rng_seed(&r, seed, 7);
    qat_rng_shuffle(&r, idx, (int)len);
    for (size_t i = 0; i < len; i++) n->val[i] = 0.05f * ((float)idx[i] - (float)len / 2) + 0.025f;
    free(idx);
}

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

static double check_eps(fixture *f, int out, double eps) {
    int check[8], n = 0;
    check[n++] = f->x;
    for (int i = 0; i < f->g.n_nodes && n < 8; i++)
        if (f->g.nodes[i].op == QAT_OP_PARAM) check[n++] = i;
    return qat_gradcheck(&f->g, &f->pass, out, check, n, eps);
}

static double check_all(fixture *f, int out) {
    return check_eps(f, out, EPS);
}

static void conv_case(qat_padding pad, int use_bias) {
    fixture f;
    int xd[2] = {9, 3}, wd[3] = {4, 5, 3}, bd[1] = {4};
    start(&f, 2, xd);
    int w = param(&f, "w", 3, wd), b = use_bias ? param(&f, "b", 1, bd) : -1;
    int y = qat_conv1d(&f.g, "conv", f.x, w, b, pad);
    assert_int_equal(f.g.nodes[y].dim[0], pad == QAT_PAD_VALID ? 5 : 9);
    finish(&f, 3, 1);
    randomize_params(&f);
    qat_fill_uniform(&f.g.nodes[f.x], 3, 1, -1, 1);
    double err = check_all(&f, y);
    assert_true(err < TOL);
    qat_graph_free(&f.g);
}

static void test_conv1d_valid(void **s) {
    (void)s;
    conv_case(QAT_PAD_VALID, 1);
}

static void test_conv1d_same(void **s) {
    (void)s;
    conv_case(QAT_PAD_SAME, 1);
}

static void test_conv1d_no_bias(void **s) {
    (void)s;
    conv_case(QAT_PAD_SAME, 0);
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

static void test_dense(void **s) {
    (void)s;
    fixture f;
    int xd[1] = {7}, wd[2] = {4, 7}, bd[1] = {4};
    start(&f, 1, xd);
    int y = qat_dense(&f.g, "fc", f.x, param(&f, "w", 2, wd), param(&f, "b", 1, bd));
    finish(&f, 5, 1);
    randomize_params(&f);
    qat_fill_uniform(&f.g.nodes[f.x], 5, 2, -1, 1);
    assert_true(check_all(&f, y) < TOL);
    qat_graph_free(&f.g);
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
    for (int j = 0; j < 4; j++) f.g.state[4 + j] = 0.5f + 0.1f * (float)j; /* running var */
    qat_fill_uniform(&f.g.nodes[f.x], 4, 3, -2, 2);
    assert_true(check_all(&f, y) < TOL);
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

/* Training normalises with batch statistics and moves the running ones by 1 − momentum. */
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
    f.g.state[1] = 1; /* running var */
    f.g.nodes[f.x].val[0] = 1;
    f.g.nodes[f.x].val[1] = 3; /* mean 2, biased var 1 */
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    assert_float_equal(f.g.nodes[y].val[0], -1, 1e-6);
    assert_float_equal(f.g.nodes[y].val[1], 1, 1e-6);
    assert_float_equal(f.g.state[0], 0.2, 1e-6);
    assert_float_equal(f.g.state[1], 1.0, 1e-6);
    qat_graph_free(&f.g);
}

static void act_case(int six) {
    fixture f;
    int xd[2] = {10, 3};
    start(&f, 2, xd);
    int y = six ? qat_relu6(&f.g, "r", f.x) : qat_relu(&f.g, "r", f.x);
    finish(&f, 3, 1);
    fill_spaced(&f.g.nodes[f.x], 3, 4);
    for (int i = 0; i < 90; i++) f.g.nodes[f.x].val[i] *= 4; /* spans −9..9: both clamps */
    assert_true(check_all(&f, y) < TOL);
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

static void pool_case(qat_padding pad, int T, int expect) {
    fixture f;
    int xd[2] = {T, 2};
    start(&f, 2, xd);
    int y = qat_maxpool1d(&f.g, "pool", f.x, 2, pad);
    assert_int_equal(f.g.nodes[y].dim[0], expect);
    finish(&f, 2, 1);
    fill_spaced(&f.g.nodes[f.x], 2, 5);
    assert_true(check_all(&f, y) < TOL);
    qat_graph_free(&f.g);
}

static void test_maxpool_valid(void **s) {
    (void)s;
    pool_case(QAT_PAD_VALID, 7, 3);
}

static void test_maxpool_same(void **s) {
    (void)s;
    pool_case(QAT_PAD_SAME, 7, 4);
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
    assert_true(check_all(&f, y) < TOL);
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
    assert_true(check_all(&f, y) < TOL);
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
    assert_true(check_all(&f, y) < TOL);
    /* Equal logits: loss log 3, probabilities 1/3. */
    for (int i = 0; i < 12; i++) f.g.nodes[f.x].val[i] = 5;
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    assert_float_equal(f.g.nodes[y].val[0], log(3.0), 1e-6);
    assert_float_equal(qat_softmax_xent_probs(&f.g, y)[4], 1.0 / 3, 1e-6);
    qat_graph_free(&f.g);
}

/* The lesson's whole stack end to end, with BN and ReLU6 too: gradients compose. */
static void test_stack(void **s) {
    (void)s;
    fixture f;
    int xd[2] = {12, 3}, w1[3] = {4, 3, 3}, c4[1] = {4}, w2[2] = {3, 20}, c3[1] = {3};
    start(&f, 2, xd);
    int h = qat_conv1d(&f.g, "c", f.x, param(&f, "w1", 3, w1), param(&f, "b1", 1, c4), QAT_PAD_VALID);
    h = qat_batchnorm(&f.g, "bn", h, param(&f, "g", 1, c4), param(&f, "be", 1, c4), 0.99, 1e-3);
    h = qat_relu6(&f.g, "r", h);
    h = qat_maxpool1d(&f.g, "p", h, 2, QAT_PAD_VALID);
    h = qat_flatten(&f.g, "f", h);
    h = qat_dropout(&f.g, "d", h, 0.2);
    h = qat_dense(&f.g, "fc", h, param(&f, "w2", 2, w2), param(&f, "b2", 1, c3));
    int loss = qat_softmax_xent(&f.g, "loss", h);
    finish(&f, 3, 1);
    int labels[3] = {1, 0, 2};
    f.pass.labels = labels;
    randomize_params(&f);
    qat_fill_uniform(&f.g.nodes[f.x], 3, 9, -1, 1);
    /* Max-pool near-ties and ReLU6 kinks: a small step keeps differences off them. */
    assert_true(check_eps(&f, loss, 1e-3) < 2e-2);
    qat_graph_free(&f.g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv1d_valid),       cmocka_unit_test(test_conv1d_same),
        cmocka_unit_test(test_conv1d_no_bias),     cmocka_unit_test(test_conv1d_forward_values),
        cmocka_unit_test(test_dense),              cmocka_unit_test(test_batchnorm_training),
        cmocka_unit_test(test_batchnorm_training_dense), cmocka_unit_test(test_batchnorm_inference),
        cmocka_unit_test(test_batchnorm_running_stats), cmocka_unit_test(test_relu),
        cmocka_unit_test(test_relu6),              cmocka_unit_test(test_maxpool_valid),
        cmocka_unit_test(test_maxpool_same),       cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_dropout),            cmocka_unit_test(test_softmax_xent),
        cmocka_unit_test(test_stack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
