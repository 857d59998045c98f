/* Built-in gesture generator: shapes, determinism, physical plausibility, and that the
 * classes differ the way the gestures do (punch hits hardest, wave oscillates most, flex
 * turns gravity furthest). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qat/data.h"

enum { WAVE, PUNCH, FLEX };

static void lesson_config(qat_data_config *cfg, int per_class) {
    memset(cfg, 0, sizeof *cfg);
    cfg->source = QAT_DATA_BUILTIN;
    cfg->n_classes = 3;
    strcpy(cfg->classes[WAVE], "wave");
    strcpy(cfg->classes[PUNCH], "punch");
    strcpy(cfg->classes[FLEX], "flex");
    cfg->window = 50;
    cfg->channels = 3;
    cfg->rate_hz = 50;
    cfg->samples_per_class = per_class;
}

static void generate(const qat_data_config *cfg, uint64_t seed, qat_dataset *d) {
    qat_rng r;
    qat_rng_seed(&r, seed, QAT_STREAM_DATA);
    qat_error e = {0};
    if (qat_gesture_generate(cfg, &r, d, &e)) fail_msg("%s", e.msg);
}

static double norm3(const float *v) {
    return sqrt((double)v[0] * v[0] + (double)v[1] * v[1] + (double)v[2] * v[2]);
}

static void test_shape_and_labels(void **state) {
    (void)state;
    qat_data_config cfg;
    lesson_config(&cfg, 20);
    qat_dataset d;
    generate(&cfg, 1, &d);
    assert_int_equal(d.n, 60);
    assert_int_equal(d.window, 50);
    assert_int_equal(d.channels, 3);
    assert_int_equal(d.n_classes, 3);
    assert_string_equal(d.class_names[PUNCH], "punch");
    for (int i = 0; i < d.n; i++) assert_int_equal(d.y[i], i / 20);
    qat_dataset_free(&d);
}

static void test_deterministic(void **state) {
    (void)state;
    qat_data_config cfg;
    lesson_config(&cfg, 10);
    qat_dataset a, b, c;
    generate(&cfg, 42, &a);
    generate(&cfg, 42, &b);
    generate(&cfg, 43, &c);
    size_t bytes = (size_t)a.n * 50 * 3 * sizeof(float);
    assert_memory_equal(a.x, b.x, bytes);
    assert_memory_not_equal(a.x, c.x, bytes);
    /* qat_data_load seeds the data stream from the seed it is given. */
    qat_dataset l;
    qat_error e = {0};
    assert_int_equal(qat_data_load(&cfg, 42, &l, &e), QAT_OK);
    assert_memory_equal(a.x, l.x, bytes);
    qat_dataset_free(&a);
    qat_dataset_free(&b);
    qat_dataset_free(&c);
    qat_dataset_free(&l);
}

static void test_finite_and_plausible(void **state) {
    (void)state;
    qat_data_config cfg;
    lesson_config(&cfg, 200);
    qat_dataset d;
    generate(&cfg, 7, &d);
    double rest = 0;
    int rest_n = 0;
    for (int i = 0; i < d.n; i++)
        for (int t = 0; t < 50; t++) {
            const float *v = d.x + ((size_t)i * 50 + (size_t)t) * 3;
            for (int k = 0; k < 3; k++) assert_true(isfinite(v[k]));
            assert_true(norm3(v) < 8.0);
            if (t == 0) {
                rest += norm3(v);
                rest_n++;
            }
        }
    /* Before most gestures start the wrist is nearly still: |a| is about 1 g on average. */
    assert_float_equal(rest / rest_n, 1.0, 0.15);
    qat_dataset_free(&d);
}

/* Peak |a| of one recording. */
static double peak(const float *x) {
    double p = 0;
    for (int t = 0; t < 50; t++) p = fmax(p, norm3(x + t * 3));
    return p;
}

/* Swings of the most active axis (mean removed), counted with 0.3 g hysteresis. */
static int swings(const float *x) {
    int axis = 0;
    double best = -1, mean[3] = {0};
    for (int k = 0; k < 3; k++) {
        double v = 0;
        for (int t = 0; t < 50; t++) mean[k] += x[t * 3 + k] / 50.0;
        for (int t = 0; t < 50; t++) v += pow(x[t * 3 + k] - mean[k], 2);
        if (v > best) best = v, axis = k;
    }
    int side = 0, n = 0;
    for (int t = 0; t < 50; t++) {
        double v = x[t * 3 + axis] - mean[axis];
        int s = v > 0.3 ? 1 : v < -0.3 ? -1 : side;
        if (side && s != side) n++;
        side = s;
    }
    return n;
}

/* Largest angle (degrees) between the first reading and any later one: gravity turning. */
static double turn(const float *x) {
    double best = 0;
    for (int t = 1; t < 50; t++) {
        const float *v = x + t * 3;
        double c = (x[0] * v[0] + x[1] * v[1] + x[2] * v[2]) / (norm3(x) * norm3(v) + 1e-9);
        best = fmax(best, acos(fmax(-1, fmin(1, c))) * 57.29577951308232);
    }
    return best;
}

static void test_classes_differ(void **state) {
    (void)state;
    qat_data_config cfg;
    lesson_config(&cfg, 300);
    qat_dataset d;
    generate(&cfg, 11, &d);
    double pk[3] = {0}, sw[3] = {0}, tu[3] = {0};
    for (int i = 0; i < d.n; i++) {
        const float *x = d.x + (size_t)i * 150;
        pk[d.y[i]] += peak(x) / 300;
        sw[d.y[i]] += swings(x) / 300.0;
        tu[d.y[i]] += turn(x) / 300;
    }
    assert_true(pk[PUNCH] > pk[WAVE] && pk[PUNCH] > pk[FLEX]);
    assert_true(sw[WAVE] > sw[PUNCH] + 0.5 && sw[WAVE] > sw[FLEX] + 0.5);
    assert_true(tu[FLEX] > tu[WAVE] + 20 && tu[FLEX] > tu[PUNCH] + 20);
    /* Every class moves: a mean peak well above the 1 g of gravity. */
    for (int c = 0; c < 3; c++) assert_true(pk[c] > 1.5);
    qat_dataset_free(&d);
}

static void test_class_order_follows_config(void **state) {
    (void)state;
    qat_data_config cfg;
    lesson_config(&cfg, 100);
    cfg.n_classes = 2;
    strcpy(cfg.classes[0], "punch");
    strcpy(cfg.classes[1], "flex");
    qat_dataset d;
    generate(&cfg, 3, &d);
    double p0 = 0, p1 = 0;
    for (int i = 0; i < 100; i++) p0 += peak(d.x + (size_t)i * 150);
    for (int i = 100; i < 200; i++) p1 += peak(d.x + (size_t)i * 150);
    assert_true(p0 > p1); /* label 0 is punch now */
    assert_string_equal(d.class_names[0], "punch");
    qat_dataset_free(&d);
}

static void test_other_rates_and_windows(void **state) {
    (void)state;
    qat_data_config cfg;
    lesson_config(&cfg, 5);
    cfg.window = 128;
    cfg.rate_hz = 100;
    qat_dataset d;
    generate(&cfg, 5, &d);
    assert_int_equal(d.window, 128);
    for (size_t i = 0; i < (size_t)d.n * 128 * 3; i++) assert_true(isfinite(d.x[i]));
    qat_dataset_free(&d);
}

static void test_config_errors(void **state) {
    (void)state;
    qat_data_config cfg;
    lesson_config(&cfg, 5);
    strcpy(cfg.classes[1], "clap");
    qat_rng r;
    qat_rng_seed(&r, 1, QAT_STREAM_DATA);
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_gesture_generate(&cfg, &r, &d, &e), QAT_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "'clap'"));
    assert_null(d.x);
    lesson_config(&cfg, 5);
    cfg.channels = 6;
    assert_int_equal(qat_gesture_generate(&cfg, &r, &d, &e), QAT_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "channels is 6"));
    lesson_config(&cfg, 0);
    assert_int_equal(qat_gesture_generate(&cfg, &r, &d, &e), QAT_ERR_CONFIG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_and_labels),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_finite_and_plausible),
        cmocka_unit_test(test_classes_differ),
        cmocka_unit_test(test_class_order_follows_config),
        cmocka_unit_test(test_other_rates_and_windows),
        cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
