/* QAT diagnostics (diagnose.h): each check finds the fault planted for it and stays quiet on
 * the healthy model; the analysis moves nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/diagnose.h"
#include "stacks.h"

#define BATCH 16

typedef struct fixture {
    qat_config c;
    qat_model fm;
    qat_qmodel qm;
    qat_dataset d; /* the calibration inputs: nothing there lies outside the ranges */
} fixture;

/* The lesson (bn: with conv1 → bn1 → ReLU6) calibrated on BATCH random inputs, which are
 * the data diagnosed. With bn, one training pass (momentum 0, statistics tracked in epoch
 * 1) makes bn1's running statistics those of the data: a healthy model. */
static void setup(fixture *f, int bn) {
    if (bn) qat_test_lesson_bn_relu6(&f->c, 0.0);
    else qat_config_defaults(&f->c);
    f->c.quant.bn_freeze_epoch = bn;
    assert_int_equal(qat_test_qmodel(&f->c, BATCH, 7, &f->fm, &f->qm), QAT_OK);
    qat_error e;
    assert_int_equal(qat_dataset_alloc(&f->d, BATCH, 50, 3, 3, &e), QAT_OK);
    memcpy(f->d.x, f->qm.m.g.nodes[f->qm.m.input].val, BATCH * 150 * sizeof(float));
    for (int i = 0; i < BATCH; i++) f->d.y[i] = i % 3;
    if (!bn) return;
    qat_rng r;
    qat_rng_seed(&r, 1, QAT_STREAM_DROPOUT);
    qat_pass p = {.batch = BATCH, .training = 1, .labels = f->d.y, .rng = &r, .epoch = 1};
    qat_graph_forward(&f->qm.m.g, &p, f->qm.m.loss + 1);
    qat_pass cal = {.batch = BATCH, .calibrate = 1}; /* the ranges of the refolded model */
    qat_graph_forward(&f->qm.m.g, &cal, f->qm.m.logits + 1);
}

static void teardown(fixture *f) {
    qat_dataset_free(&f->d);
    qat_qmodel_free(&f->qm);
    qat_model_free(&f->fm);
}

/* The findings of `kind` (and the first one: findings come in layer order). */
static int count(const qat_diagnosis *d, qat_diag_kind kind, const qat_diag_finding **first) {
    int n = 0;
    for (int i = 0; i < d->n; i++)
        if (d->f[i].kind == kind && !n++ && first) *first = &d->f[i];
    return n;
}

static void diagnose(fixture *f, qat_diagnosis *d) {
    qat_error e;
    assert_int_equal(qat_diagnose(&f->qm, &f->d, d, &e), QAT_OK);
}

static float *param_of(fixture *f, const char *layer, int bias) {
    for (int i = 0; i < f->qm.m.n_layers; i++)
        if (!strcmp(f->qm.m.spec[i].name, layer))
            return f->qm.m.g.nodes[bias ? f->qm.m.layer[i].b : f->qm.m.layer[i].w].val;
    fail_msg("no layer %s", layer);
    return NULL;
}

/* The healthy model: nothing to report, and the pass changes no parameter or state. */
static void test_healthy_and_untouched(void **s) {
    (void)s;
    fixture f;
    setup(&f, 1);
    qat_graph *g = &f.qm.m.g;
    float *p = malloc(g->n_params * sizeof(float)), *st = malloc(g->n_state * sizeof(float));
    memcpy(p, g->params, g->n_params * sizeof(float));
    memcpy(st, g->state, g->n_state * sizeof(float));
    qat_diagnosis d;
    diagnose(&f, &d);
    for (int i = 0; i < d.n; i++) print_message("unexpected: %s %s\n", d.f[i].tensor, d.f[i].detail);
    assert_int_equal(d.n, 0);
    assert_int_equal(d.activations, 5);
    assert_int_equal(d.kernels, 4);
    assert_int_equal(d.batchnorms, 1);
    assert_int_equal(d.samples, BATCH);
    assert_memory_equal(p, g->params, g->n_params * sizeof(float));
    assert_memory_equal(st, g->state, g->n_state * sizeof(float));
    free(p);
    free(st);
    teardown(&f);
}

/* Inputs three times wider than the calibration's: the input tensor saturates. */
static void test_saturation(void **s) {
    (void)s;
    fixture f;
    setup(&f, 0);
    for (int i = 0; i < BATCH * 150; i++) f.d.x[i] *= 3;
    qat_diagnosis d;
    diagnose(&f, &d);
    int input = 0;
    for (int i = 0; i < d.n; i++)
        input |= d.f[i].kind == QAT_DIAG_SATURATION && !strcmp(d.f[i].tensor, "input") &&
                 d.f[i].value > 0.3; /* 2/3 of 3x-wide uniform values fall outside */
    assert_true(input);
    teardown(&f);
}

/* One conv1 filter zeroed: one dead channel; the whole kernel and bias zeroed: conv1's
 * output is all zero, one integer level (a collapsed range, and so are the layers after it,
 * whose input is constant) and every channel dead. */
static void test_dead_and_collapsed(void **s) {
    (void)s;
    fixture f;
    setup(&f, 0);
    float *w = param_of(&f, "conv1", 0), *b = param_of(&f, "conv1", 1);
    memset(w, 0, 15 * sizeof(float)); /* filter 0: kernel (16, 5, 3) */
    qat_diagnosis d;
    const qat_diag_finding *x = NULL;
    diagnose(&f, &d);
    assert_int_equal(count(&d, QAT_DIAG_DEAD_CHANNELS, &x), 1);
    assert_string_equal(x->tensor, "conv1");
    assert_true(x->value == 1);
    assert_int_equal(count(&d, QAT_DIAG_COLLAPSED_RANGE, NULL), 0);
    memset(w, 0, 16 * 15 * sizeof(float));
    memset(b, 0, 16 * sizeof(float));
    diagnose(&f, &d);
    assert_int_equal(count(&d, QAT_DIAG_DEAD_CHANNELS, &x), 1);
    assert_true(x->value == 16);
    assert_int_equal(count(&d, QAT_DIAG_COLLAPSED_RANGE, &x), 4);
    assert_string_equal(x->tensor, "conv1");
    assert_true(x->value == 1);
    teardown(&f);
}

/* One dense1 weight 1000 times the largest: the 8-bit per-tensor scale leaves the typical
 * weight about one level (127 · RMS / max ≈ 127 / √10240). */
static void test_weight_outliers(void **s) {
    (void)s;
    fixture f;
    setup(&f, 0);
    float *w = param_of(&f, "dense1", 0), big = 0;
    for (int i = 0; i < 32 * 320; i++) big = fabsf(w[i]) > big ? fabsf(w[i]) : big;
    w[5] = 1000 * big;
    qat_diagnosis d;
    const qat_diag_finding *x = NULL;
    diagnose(&f, &d);
    assert_int_equal(count(&d, QAT_DIAG_WEIGHT_OUTLIERS, &x), 1);
    assert_string_equal(x->tensor, "dense1");
    assert_true(x->value > 1.0 && x->value < 1.5);
    teardown(&f);
}

/* bn1's running mean of channel 3 moved by 5 running standard deviations: the data's
 * pre-BN mean is about 5 σ away from it. */
static void test_bn_drift(void **s) {
    (void)s;
    fixture f;
    setup(&f, 1);
    const qat_qlayer *q = &f.qm.q[0];
    assert_true(q->bn >= 0);
    float *mu = f.qm.m.g.state + q->bn_state, *var = mu + 16;
    mu[3] += 5 * sqrtf(var[3] + 1e-3f);
    qat_diagnosis d;
    const qat_diag_finding *x = NULL;
    diagnose(&f, &d);
    assert_int_equal(count(&d, QAT_DIAG_BN_DRIFT, &x), 1);
    assert_string_equal(x->tensor, "bn1");
    assert_true(x->value > 4.5 && x->value < 5.5);
    assert_non_null(strstr(x->detail, "channel 3 of conv1"));
    teardown(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_healthy_and_untouched),
        cmocka_unit_test(test_saturation),
        cmocka_unit_test(test_dead_and_collapsed),
        cmocka_unit_test(test_weight_outliers),
        cmocka_unit_test(test_bn_drift),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
