/* qat_data_validate (what the later stages assume of the data, checked once), the split
 * arithmetic it reasons with, and qat_int8_block (which layer stacks have an int8 form). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "qat/config.h"
#include "qat/data.h"
#include "qat/quant.h"

#define PER 6 /* samples per class */
#define W 4
#define C 3

/* The built-in source's config (classes wave, punch, flex). */
static qat_data_config data_config(qat_norm_kind norm) {
    qat_config cfg;
    qat_config_defaults(&cfg);
    cfg.data.normalize = norm;
    return cfg.data;
}

/* PER samples of each class, W steps x C axes, every axis varying; recordings numbered
 * within their class as the generator numbers them. */
static void make_data(qat_dataset *d, int n_classes) {
    qat_error e = {0};
    assert_int_equal(qat_dataset_alloc(d, PER * n_classes, W, C, n_classes, &e), QAT_OK);
    for (int i = 0; i < d->n; i++) {
        d->y[i] = i / PER;
        d->src[i].file = i % PER;
        for (int j = 0; j < W * C; j++) d->x[i * W * C + j] = (float)(1 + i + j);
    }
}

/* Splits d as the pipeline does: test, then (val_frac > 0) validation from the rest. */
typedef struct splits {
    qat_dataset train, val, test;
    qat_data_splits s;
} splits;

static void split(const qat_dataset *d, double test_frac, double val_frac, splits *sp) {
    qat_rng rng;
    qat_rng_seed(&rng, 7, 0);
    qat_error e = {0};
    memset(sp, 0, sizeof *sp);
    if (val_frac > 0) {
        qat_dataset rest = {0};
        assert_int_equal(qat_dataset_split(d, test_frac, &rng, &rest, &sp->test, &e), QAT_OK);
        assert_int_equal(qat_dataset_split(&rest, val_frac, &rng, &sp->train, &sp->val, &e),
                         QAT_OK);
        qat_dataset_free(&rest);
    } else {
        assert_int_equal(qat_dataset_split(d, test_frac, &rng, &sp->train, &sp->test, &e), QAT_OK);
    }
    sp->s = (qat_data_splits){&sp->train, val_frac > 0 ? &sp->val : NULL, &sp->test, val_frac};
}

static void free_splits(splits *sp) {
    qat_dataset_free(&sp->train);
    qat_dataset_free(&sp->val);
    qat_dataset_free(&sp->test);
}

/* Validates d split by [data] test_split = test_frac and [train] val_split = val_frac; returns the status, message in e, warning in w. */
static qat_status check(const qat_data_config *cfg, const qat_dataset *d, double test_frac,
                        double val_frac, char *w, size_t cap, qat_error *e) {
    splits sp;
    split(d, test_frac, val_frac, &sp);
    qat_data_config c = *cfg; /* as configured: the message quotes the setting */
    c.test_split = test_frac;
    qat_status st = qat_data_validate(&c, d, &sp.s, w, cap, e);
    free_splits(&sp);
    return st;
}

static void assert_contains(const char *s, const char *part) {
    if (!strstr(s, part)) fail_msg("'%s' does not contain '%s'", s, part);
}

static void test_good_data_passes(void **state) {
    (void)state;
    qat_data_config cfg = data_config(QAT_NORM_MINMAX_AXIS);
    qat_dataset d;
    make_data(&d, 3);
    qat_error e = {0};
    char w[256];
    assert_int_equal(check(&cfg, &d, 0.2, 0, w, sizeof w, &e), QAT_OK);
    assert_string_equal(w, "");
    assert_int_equal(check(&cfg, &d, 0.2, 0.25, w, sizeof w, &e), QAT_OK);
    assert_int_equal(qat_data_validate(&cfg, &d, NULL, w, sizeof w, &e), QAT_OK);
    qat_dataset_free(&d);
}

/* One recording all zero, anywhere: refused, naming it; a single non-zero value saves it. */
static void test_all_zero_recording(void **state) {
    (void)state;
    qat_data_config cfg = data_config(QAT_NORM_NONE);
    qat_dataset d;
    make_data(&d, 3);
    int dead = PER + 4; /* punch recording 4 */
    memset(d.x + dead * W * C, 0, W * C * sizeof *d.x);
    qat_error e = {0};
    char w[256];
    assert_int_equal(qat_data_validate(&cfg, &d, NULL, w, sizeof w, &e), QAT_ERR_DATA);
    assert_string_equal(e.msg, "built-in generator, punch recording 4: this punch recording is "
                               "all 0 (4 steps x 3 axes: a dead sensor or an empty capture); "
                               "remove it from the data");
    d.x[dead * W * C + W * C - 1] = 1e-30f;
    assert_int_equal(qat_data_validate(&cfg, &d, NULL, w, sizeof w, &e), QAT_OK);
    qat_dataset_free(&d);
}

static void test_not_finite(void **state) {
    (void)state;
    qat_data_config cfg = data_config(QAT_NORM_NONE);
    const float bad[3] = {NAN, INFINITY, -INFINITY};
    for (int k = 0; k < 3; k++) {
        qat_dataset d;
        make_data(&d, 3);
        d.x[(2 * PER + 1) * W * C + 2 * C + 1] = bad[k]; /* flex 1, step 2, axis 1 */
        qat_error e = {0};
        char w[256];
        assert_int_equal(qat_data_validate(&cfg, &d, NULL, w, sizeof w, &e), QAT_ERR_DATA);
        assert_string_equal(e.msg, "built-in generator, flex recording 1: step 2, axis 1 is not "
                                   "finite (fix or remove the recording)");
        qat_dataset_free(&d);
    }
}

/* Each split must hold every class: too few samples for the fractions is refused. */
static void test_splits_need_every_class(void **state) {
    (void)state;
    qat_data_config cfg = data_config(QAT_NORM_NONE);
    qat_dataset d;
    make_data(&d, 3);
    qat_error e = {0};
    char w[256];
    /* 6 samples: 0.05 puts none in test, 0.95 none in training */
    assert_int_equal(check(&cfg, &d, 0.05, 0, w, sizeof w, &e), QAT_ERR_DATA);
    assert_contains(e.msg, "built-in generator: class 'wave' has 6 samples; [data] test_split = "
                           "0.05 puts 0 in the test split, leaving 6 for training");
    assert_contains(e.msg, "raise [data] samples_per_class");
    assert_int_equal(check(&cfg, &d, 0.95, 0, w, sizeof w, &e), QAT_ERR_DATA);
    assert_contains(e.msg, "puts 6 in the test split, leaving 0 for training");
    /* validation asked for: 0.05 of the other 5 is none */
    assert_int_equal(check(&cfg, &d, 0.2, 0.05, w, sizeof w, &e), QAT_ERR_DATA);
    assert_contains(e.msg, "[train] val_split = 0.05 puts 0 of the other 5 in the validation "
                           "split");
    assert_contains(e.msg, "change [data] test_split / [train] val_split");
    /* the same fractions without validation are fine */
    assert_int_equal(check(&cfg, &d, 0.2, 0, w, sizeof w, &e), QAT_OK);
    qat_dataset_free(&d);
}

/* Only one class short: the message names that class, not the first. */
static void test_split_names_the_short_class(void **state) {
    (void)state;
    qat_data_config cfg = data_config(QAT_NORM_NONE);
    qat_dataset d;
    make_data(&d, 3);
    d.y[2 * PER - 1] = 2; /* punch 5 samples... */
    for (int i = 2 * PER; i < 3 * PER - 1; i++) d.y[i] = 1; /* ...flex 1 */
    qat_error e = {0};
    char w[256];
    assert_int_equal(check(&cfg, &d, 0.2, 0, w, sizeof w, &e), QAT_ERR_DATA);
    assert_contains(e.msg, "class 'flex' has 2 samples; [data] test_split = 0.2 puts 0 in the "
                           "test split");
    assert_contains(e.msg, "at least 3 per class here");
    qat_dataset_free(&d);
}

/* Axis 1 constant: an error where something divides by its range, else a warning. */
static void test_constant_axis(void **state) {
    (void)state;
    qat_dataset d;
    make_data(&d, 3);
    for (int r = 0; r < d.n * W; r++) d.x[r * C + 1] = 5.0f;
    qat_error e = {0};
    char w[256];
    qat_data_config cfg = data_config(QAT_NORM_MINMAX_AXIS);
    assert_int_equal(check(&cfg, &d, 0.2, 0, w, sizeof w, &e), QAT_ERR_DATA);
    assert_contains(e.msg, "built-in generator: constant over the 15 training samples: axis 1 = "
                           "5; [data] normalize = minmax_axis divides by each axis' range");
    const qat_norm_kind fine[2] = {QAT_NORM_NONE, QAT_NORM_MINMAX};
    for (int k = 0; k < 2; k++) {
        cfg = data_config(fine[k]);
        assert_int_equal(check(&cfg, &d, 0.2, 0, w, sizeof w, &e), QAT_OK);
        assert_string_equal(w, "built-in generator: constant over the 15 training samples, so "
                               "carrying no information: axis 1 = 5");
    }
    qat_dataset_free(&d);
}

/* Constant only in the training split is enough to divide by zero. */
static void test_constant_in_training_only(void **state) {
    (void)state;
    qat_dataset d;
    make_data(&d, 3);
    splits sp;
    split(&d, 0.2, 0, &sp);
    for (int r = 0; r < sp.train.n * W; r++) sp.train.x[r * C] = -2.0f;
    qat_data_config cfg = data_config(QAT_NORM_MINMAX_AXIS);
    qat_error e = {0};
    char w[256];
    assert_int_equal(qat_data_validate(&cfg, &d, &sp.s, w, sizeof w, &e), QAT_ERR_DATA);
    assert_contains(e.msg, "axis 0 = -2;");
    free_splits(&sp);
    qat_dataset_free(&d);
}

/* Every value the same: min/max over all axes has no range either. */
static void test_every_value_the_same(void **state) {
    (void)state;
    qat_dataset d;
    make_data(&d, 3);
    for (int j = 0; j < d.n * W * C; j++) d.x[j] = 3.0f;
    qat_error e = {0};
    char w[256];
    qat_data_config cfg = data_config(QAT_NORM_MINMAX);
    assert_int_equal(check(&cfg, &d, 0.2, 0, w, sizeof w, &e), QAT_ERR_DATA);
    assert_string_equal(e.msg, "built-in generator: every value of the 15 training samples is 3; "
                               "[data] normalize = minmax divides by their range: use normalize = "
                               "none");
    cfg = data_config(QAT_NORM_NONE);
    assert_int_equal(check(&cfg, &d, 0.2, 0, w, sizeof w, &e), QAT_OK);
    assert_contains(w, "axes 0 = 3, 1 = 3, 2 = 3");
    qat_dataset_free(&d);
}

static void test_split_count(void **state) {
    (void)state;
    assert_int_equal(qat_split_count(5, 0.1), 1); /* halves up */
    assert_int_equal(qat_split_count(5, 0.05), 0);
    assert_int_equal(qat_split_count(6, 0.95), 6);
    assert_int_equal(qat_split_count(500, 0.2), 100);
    assert_int_equal(qat_split_count(0, 0.5), 0);
}

/* ---- qat_int8_block ---- */

static qat_layer_spec layer(qat_layer_kind k, qat_activation a, const char *name) {
    qat_layer_spec s = {.kind = k, .activation = a};
    snprintf(s.name, sizeof s.name, "%s", name);
    return s;
}

#define CONV(a) layer(QAT_LAYER_CONV1D, a, "c")
#define BN layer(QAT_LAYER_BATCHNORM, QAT_ACT_NONE, "bn")
#define RELU layer(QAT_LAYER_RELU, QAT_ACT_NONE, "r")
#define POOL layer(QAT_LAYER_MAXPOOL1D, QAT_ACT_NONE, "p")
#define DROP layer(QAT_LAYER_DROPOUT, QAT_ACT_NONE, "d")

/* Walks a stack block by block: the index of the first layer with no int8 form, or -1. */
static int first_bad(const qat_layer_spec *s, int n, char *why, size_t cap) {
    for (int i = 0; i < n;) {
        qat_int8_block_info b;
        int j = qat_int8_block(s, n, i, &b, why, cap);
        if (j < 0) return b.bad;
        assert_true(j > i);
        i = j;
    }
    return -1;
}

static void test_int8_blocks(void **state) {
    (void)state;
    char why[512];
    qat_int8_block_info b;
    qat_layer_spec good[] = {CONV(QAT_ACT_NONE), BN, RELU, POOL, DROP, CONV(QAT_ACT_RELU6)};
    assert_int_equal(qat_int8_block(good, 6, 0, &b, why, sizeof why), 3);
    assert_int_equal(b.bn, 1);
    assert_int_equal(b.act, QAT_ACT_RELU);
    assert_int_equal(qat_int8_block(good, 6, 3, &b, why, sizeof why), 4);
    assert_int_equal(qat_int8_block(good, 6, 5, &b, why, sizeof why), 6);
    assert_int_equal(b.bn, -1);
    assert_int_equal(b.act, QAT_ACT_RELU6);
    assert_int_equal(first_bad(good, 6, why, sizeof why), -1);

    qat_layer_spec bnfirst[] = {BN, CONV(QAT_ACT_NONE)};
    assert_int_equal(first_bad(bnfirst, 2, why, sizeof why), 0);
    assert_contains(why, "batchnorm as the first layer has no int8 form");
    qat_layer_spec bnbn[] = {CONV(QAT_ACT_NONE), BN, BN};
    assert_int_equal(first_bad(bnbn, 3, why, sizeof why), 2);
    assert_contains(why, "remove one of the two");
    qat_layer_spec bnpool[] = {CONV(QAT_ACT_NONE), POOL, BN};
    assert_int_equal(first_bad(bnpool, 3, why, sizeof why), 2);
    assert_contains(why, "batchnorm after maxpool1d 'p'");
    qat_layer_spec bndrop[] = {CONV(QAT_ACT_NONE), DROP, BN};
    assert_int_equal(first_bad(bndrop, 3, why, sizeof why), 2);
    qat_layer_spec bnact[] = {CONV(QAT_ACT_RELU), BN};
    assert_int_equal(first_bad(bnact, 2, why, sizeof why), 0);
    assert_int_equal(qat_int8_block(bnact, 2, 0, &b, why, sizeof why), -1);
    assert_string_equal(b.key, "activation");
    qat_layer_spec relurelu[] = {CONV(QAT_ACT_RELU), RELU};
    assert_int_equal(first_bad(relurelu, 2, why, sizeof why), 1);
    assert_contains(why, "'c' already applies activation = relu");
    qat_layer_spec relupool[] = {CONV(QAT_ACT_NONE), POOL, RELU};
    assert_int_equal(first_bad(relupool, 3, why, sizeof why), 2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_data_passes),
        cmocka_unit_test(test_all_zero_recording),
        cmocka_unit_test(test_not_finite),
        cmocka_unit_test(test_splits_need_every_class),
        cmocka_unit_test(test_split_names_the_short_class),
        cmocka_unit_test(test_constant_axis),
        cmocka_unit_test(test_constant_in_training_only),
        cmocka_unit_test(test_every_value_the_same),
        cmocka_unit_test(test_split_count),
        cmocka_unit_test(test_int8_blocks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
