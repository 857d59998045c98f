/* Batch-norm folding under QAT (quant.h): the fold ops' gradients by finite differences —
 * each op alone, and conv / dense layers with folded kernels and biases in training passes,
 * where bn_track moves the running statistics the fold reads — and bn_track's running
 * statistics against values worked out by hand and against the batchnorm op. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "gradcheck.h"
#include "qat/ops.h"
#include "qat/quant.h"

/* w' = w·γ/√(σ² + ε) and b' = β + (b − μ)·γ/√(σ² + ε) are affine in each of w, b, γ, β
 * (one value moves at a time), and so is a conv / dense output in x: a large step. */
#define H 0.125
#define C 4 /* channels (filters / units) */

typedef struct folded {
    qat_graph g;
    qat_rng rng;
    qat_pass pass;
    int x, w, b, gam, bet, fw, fb, y, out;
    size_t bn; /* μ (C values) then σ² (C values) in g.state */
} folded;

/* x → conv1d or dense with kernel fold_weight(w, γ) and bias fold_bias(b, γ, β) (b = -1:
 * no bias) → bn_track (momentum 0.9, tracking through epoch 1). */
static void build(folded *f, int conv, int use_bias, qat_padding pad, int batch) {
    qat_graph *g = &f->g;
    qat_graph_init(g);
    int xc[2] = {9, 3}, xd[1] = {7}, wc[3] = {C, 5, 3}, wd[2] = {C, 7}, cd[1] = {C};
    f->x = conv ? qat_graph_input(g, "x", 2, xc) : qat_graph_input(g, "x", 1, xd);
    g->nodes[f->x].needs_grad = 1;
    f->w = conv ? qat_graph_param(g, "w", 3, wc) : qat_graph_param(g, "w", 2, wd);
    f->b = use_bias ? qat_graph_param(g, "b", 1, cd) : -1;
    f->gam = qat_graph_param(g, "gamma", 1, cd);
    f->bet = qat_graph_param(g, "beta", 1, cd);
    f->bn = qat_graph_state(g, 2 * C);
    f->fw = qat_fold_weight(g, "fold_w", f->w, f->gam, f->bn, 1e-3);
    f->fb = qat_fold_bias(g, "fold_b", f->b, f->gam, f->bet, f->bn, 1e-3);
    f->y = conv ? qat_conv1d(g, "conv", f->x, f->fw, f->fb, pad) : qat_dense(g, "fc", f->x, f->fw, f->fb);
    f->out = qat_bn_track(g, "track", f->y, f->bet, f->gam, f->bn, 0.9, 1e-3, 1);
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(g, batch, &e), QAT_OK);
    f->pass = (qat_pass){.batch = batch, .training = 1, .rng = &f->rng, .epoch = 1};
    qat_fill_uniform(&g->nodes[f->w], 1, 11, -0.5f, 0.5f);
    if (use_bias) qat_fill_uniform(&g->nodes[f->b], 1, 12, -0.5f, 0.5f);
    qat_fill_uniform(&g->nodes[f->bet], 1, 13, -0.5f, 0.5f);
    const float gam[C] = {0.8f, -1.3f, 1.1f, 0.6f};
    memcpy(g->nodes[f->gam].val, gam, sizeof gam);
    /* Running statistics far from the batch's (mean ≈ 0, variance ≈ 0.2–0.5), so that a
     * training pass moves them a lot. */
    const float mu[C] = {1.5f, -2, 1, -1}, var[C] = {4, 0.05f, 2.5f, 0.1f};
    memcpy(g->state + f->bn, mu, sizeof mu);
    memcpy(g->state + f->bn + C, var, sizeof var);
    qat_fill_uniform(&g->nodes[f->x], batch, 14, -1, 1);
}

static int all_grads_ok(folded *f, int out) {
    int check[5], n = 0;
    check[n++] = f->x;
    check[n++] = f->w;
    if (f->b >= 0) check[n++] = f->b;
    check[n++] = f->gam;
    check[n++] = f->bet;
    return qat_gradcheck_ok(&f->g, &f->pass, out, check, n, H);
}

/* Each fold op alone (its output is the checked node): dw, dγ from fold_weight; db, dγ,
 * dβ from fold_bias, with and without b — so a slip in one op's share of dγ cannot hide
 * behind the other's. */
static void test_fold_weight_alone(void **s) {
    (void)s;
    for (int conv = 0; conv <= 1; conv++) {
        folded f;
        build(&f, conv, 1, QAT_PAD_SAME, 2);
        int check[2] = {f.w, f.gam};
        assert_true(qat_gradcheck_ok(&f.g, &f.pass, f.fw, check, 2, H));
        qat_graph_free(&f.g);
    }
}

static void test_fold_bias_alone(void **s) {
    (void)s;
    for (int use_bias = 0; use_bias <= 1; use_bias++) {
        folded f;
        build(&f, 0, use_bias, QAT_PAD_VALID, 2);
        int check[3] = {f.gam, f.bet, f.b}, n = use_bias ? 3 : 2;
        assert_true(qat_gradcheck_ok(&f.g, &f.pass, f.fb, check, n, H));
        qat_graph_free(&f.g);
    }
}

/* Training passes: bn_track moves μ and σ² (momentum 0.9, far from the batch's statistics)
 * during the forward, after the fold has read them; the gradients must be those of the
 * forward that ran. */
static void test_folded_conv_training(void **s) {
    (void)s;
    folded f;
    build(&f, 1, 1, QAT_PAD_SAME, 3);
    assert_true(all_grads_ok(&f, f.out));
    qat_graph_free(&f.g);
}

static void test_folded_conv_valid_no_bias_training(void **s) {
    (void)s;
    folded f;
    build(&f, 1, 0, QAT_PAD_VALID, 3);
    assert_true(all_grads_ok(&f, f.out));
    qat_graph_free(&f.g);
}

static void test_folded_dense_training(void **s) {
    (void)s;
    folded f;
    build(&f, 0, 1, QAT_PAD_VALID, 5);
    assert_true(all_grads_ok(&f, f.out));
    qat_graph_free(&f.g);
}

/* ... and the statistics did move in those passes (else the tests above prove little). */
static void test_training_moves_statistics(void **s) {
    (void)s;
    folded f;
    build(&f, 1, 1, QAT_PAD_SAME, 3);
    float before[2 * C];
    memcpy(before, f.g.state + f.bn, sizeof before);
    qat_graph_forward(&f.g, &f.pass, f.g.n_nodes);
    for (int c = 0; c < 2 * C; c++) assert_true(fabsf(f.g.state[f.bn + c] - before[c]) > 0.01f);
    qat_graph_free(&f.g);
}

/* bn_track by hand. Dense 1 → 2 units, batch x = {1, 3}, ε = 1, momentum 0.9.
 *   unit 0: w 2, b 0.5, γ 1, β 0.25, μ 0.5, σ² 3  → m = γ/√(σ² + ε) = 1/2
 *   unit 1: w −1, b 0,  γ −2, β 1,   μ −1,  σ² 0  → m = −2
 * Pre-BN outputs y = w·x + b: unit 0 {2.5, 6.5} (mean 4.5, biased variance 4), unit 1
 * {−1, −3} (mean −2, variance 1); the folded layer outputs (y − μ)·m + β: {1.25, 3.25} and
 * {1, 5}. bn_track recovers the pre-BN batch statistics from those (mean μ + (mean' − β)/m,
 * variance var'/m²) and moves the running ones as Keras does, momentum·running +
 * (1 − momentum)·batch with the biased variance (Keras' tf.nn.moments path, which it takes
 * for the 2-D and 3-D inputs of Dense and Conv1D):
 *   step 1: μ = 0.9·0.5 + 0.1·4.5 = 0.9,   σ² = 0.9·3 + 0.1·4 = 3.1
 *           μ = 0.9·−1 + 0.1·−2 = −1.1,    σ² = 0.9·0 + 0.1·1 = 0.1
 *   step 2 (the pre-BN statistics do not depend on μ, σ²):
 *           μ = 0.9·0.9 + 0.45 = 1.26,     σ² = 0.9·3.1 + 0.4 = 3.19
 *           μ = 0.9·−1.1 − 0.2 = −1.19,    σ² = 0.9·0.1 + 0.1 = 0.19
 * Without the 1/m² the variances would be 2.8 and 0.4 after step 1; with the unbiased
 * variance, 3.5 and 0.2. */
typedef struct tiny {
    qat_graph g;
    int x, w, b, gam, bet, y, out;
    size_t bn;
} tiny;

static void tiny_build(tiny *t, int fold) {
    qat_graph *g = &t->g;
    qat_graph_init(g);
    int xd[1] = {1}, wd[2] = {2, 1}, cd[1] = {2};
    t->x = qat_graph_input(g, "x", 1, xd);
    t->w = qat_graph_param(g, "w", 2, wd);
    t->b = qat_graph_param(g, "b", 1, cd);
    t->gam = qat_graph_param(g, "gamma", 1, cd);
    t->bet = qat_graph_param(g, "beta", 1, cd);
    if (fold) {
        t->bn = qat_graph_state(g, 4);
        int fw = qat_fold_weight(g, "fw", t->w, t->gam, t->bn, 1.0);
        int fb = qat_fold_bias(g, "fb", t->b, t->gam, t->bet, t->bn, 1.0);
        t->y = qat_dense(g, "fc", t->x, fw, fb);
        t->out = qat_bn_track(g, "track", t->y, t->bet, t->gam, t->bn, 0.9, 1.0, 1);
    } else { /* the unfolded layer: dense, then the batchnorm op in training mode */
        t->y = qat_dense(g, "fc", t->x, t->w, t->b);
        t->out = qat_batchnorm(g, "bn", t->y, t->gam, t->bet, 0.9, 1.0);
        t->bn = g->nodes[t->out].offset;
    }
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(g, 2, &e), QAT_OK);
    const float x[2] = {1, 3}, w[2] = {2, -1}, b[2] = {0.5f, 0}, gam[2] = {1, -2}, bet[2] = {0.25f, 1};
    const float state[4] = {0.5f, -1, 3, 0}; /* μ, then σ² */
    memcpy(g->nodes[t->x].val, x, sizeof x);
    memcpy(g->nodes[t->w].val, w, sizeof w);
    memcpy(g->nodes[t->b].val, b, sizeof b);
    memcpy(g->nodes[t->gam].val, gam, sizeof gam);
    memcpy(g->nodes[t->bet].val, bet, sizeof bet);
    memcpy(g->state + t->bn, state, sizeof state);
}

static void expect_state(const tiny *t, const float want[4]) {
    for (int i = 0; i < 4; i++) assert_float_equal(t->g.state[t->bn + i], want[i], 2e-6);
}

static void test_bn_track_by_hand(void **s) {
    (void)s;
    tiny t;
    tiny_build(&t, 1);
    qat_pass p = {.batch = 2, .training = 1, .epoch = 1};
    qat_graph_forward(&t.g, &p, t.g.n_nodes);
    const float want[4] = {1.25f, 1, 3.25f, 5}; /* batch-major: (x = 1: u0, u1), (x = 3: …) */
    for (int i = 0; i < 4; i++) {
        assert_float_equal(t.g.nodes[t.y].val[i], want[i], 1e-6);
        assert_true(t.g.nodes[t.out].val[i] == t.g.nodes[t.y].val[i]); /* identity */
    }
    const float step1[4] = {0.9f, -1.1f, 3.1f, 0.1f}, step2[4] = {1.26f, -1.19f, 3.19f, 0.19f};
    expect_state(&t, step1);
    qat_graph_forward(&t.g, &p, t.g.n_nodes);
    expect_state(&t, step2);
    p.training = 0; /* inference: no update */
    qat_graph_forward(&t.g, &p, t.g.n_nodes);
    expect_state(&t, step2);
    p.training = 1;
    p.epoch = 2; /* past the tracking epoch: frozen */
    qat_graph_forward(&t.g, &p, t.g.n_nodes);
    expect_state(&t, step2);
    qat_graph_free(&t.g);
}

/* The same two steps through the unfolded layer (dense, then batchnorm in training mode)
 * give the same running statistics: folding does not change what is tracked. */
static void test_bn_track_equals_batchnorm(void **s) {
    (void)s;
    tiny a, b;
    tiny_build(&a, 1);
    tiny_build(&b, 0);
    qat_pass p = {.batch = 2, .training = 1, .epoch = 1};
    for (int step = 0; step < 2; step++) {
        qat_graph_forward(&a.g, &p, a.g.n_nodes);
        qat_graph_forward(&b.g, &p, b.g.n_nodes);
        for (int i = 0; i < 4; i++)
            assert_float_equal(a.g.state[a.bn + i], b.g.state[b.bn + i], 2e-6);
    }
    qat_graph_free(&a.g);
    qat_graph_free(&b.g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fold_weight_alone),
        cmocka_unit_test(test_fold_bias_alone),
        cmocka_unit_test(test_folded_conv_training),
        cmocka_unit_test(test_folded_conv_valid_no_bias_training),
        cmocka_unit_test(test_folded_dense_training),
        cmocka_unit_test(test_training_moves_statistics),
        cmocka_unit_test(test_bn_track_by_hand),
        cmocka_unit_test(test_bn_track_equals_batchnorm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
