/* IMU augmentation: each transform alone does what the header says and stays within its
 * bounds (and reaches near both ends of them, so a no-op or a halved range fails); the draws
 * follow the documented order, so switching one transform on changes no other's draws; a
 * seed gives the same bytes in every build; the settings check names the key it refuses. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qat/augment.h"
#include "qat/hash.h"

#define STREAM 11 /* any stream: the tests seed their own generators */

/* x[0..len) pseudo-random in [-2, -0.5] ∪ [0.5, 2] (never near 0: ratios are taken). */
static void fill_random(float *x, size_t len, uint32_t seed) {
    for (size_t j = 0; j < len; j++) {
        seed = seed * 1664525u + 1013904223u;
        float m = 0.5f + 1.5f * (float)(seed >> 8) / 16777216.0f;
        x[j] = (seed & 1) ? m : -m;
    }
}

static float *alloc_floats(size_t len) {
    float *x = malloc(len * sizeof *x);
    assert_non_null(x);
    return x;
}

/* Augments x (n × w × c) with a generator seeded from `seed`; returns its state after. */
static qat_rng augment(const qat_augment *a, uint64_t seed, float *x, int n, int w, int c) {
    qat_rng rng;
    qat_rng_seed(&rng, seed, STREAM);
    float *scratch = alloc_floats((size_t)w * (size_t)c);
    qat_augment_apply(a, &rng, x, n, w, c, scratch);
    free(scratch);
    return rng;
}

static double dot3(const double *a, const double *b) {
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
}

/* The angle between a and b in degrees, from atan2(|a × b|, a · b) (accurate at 0 too). */
static double angle_deg(const double *a, const double *b) {
    double x[3] = {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
    return atan2(sqrt(dot3(x, x)), dot3(a, b)) * 180 / 3.14159265358979323846;
}

/* Rotation alone keeps every 3-vector's length; each turns by at most 3·rotate_deg (three
 * rotations of at most rotate_deg each: the angles add up at most), and some by more than
 * half of rotate_deg (the rotation is not a no-op). */
static void check_rotation_norms(int c) {
    enum { N = 300, W = 8 };
    const double deg = 30;
    qat_augment a = {.rotate_deg = deg};
    size_t len = (size_t)N * W * c;
    float *x = alloc_floats(len), *y = alloc_floats(len);
    fill_random(x, len, 7u + (uint32_t)c);
    memcpy(y, x, len * sizeof *x);
    augment(&a, 42, y, N, W, c);
    double max_angle = 0;
    for (size_t g = 0; g < len / 3; g++) {
        double u[3] = {x[g * 3], x[g * 3 + 1], x[g * 3 + 2]};
        double v[3] = {y[g * 3], y[g * 3 + 1], y[g * 3 + 2]};
        double nu = sqrt(dot3(u, u)), nv = sqrt(dot3(v, v)), ang = angle_deg(u, v);
        assert_true(fabs(nv - nu) <= 1e-5 * nu);
        assert_true(ang <= 3 * deg + 1e-3);
        if (ang > max_angle) max_angle = ang;
    }
    assert_true(max_angle > 0.5 * deg);
    free(x);
    free(y);
}

static void test_rotation_keeps_norms(void **state) {
    (void)state;
    check_rotation_norms(3);
    check_rotation_norms(6);
}

/* With 9 channels holding the unit vectors e1, e2, e3 at every step, the output's groups are
 * R's columns: R is a proper rotation (orthonormal, det +1: no reflection), the same at every
 * step, and it decomposes as Rz(γ)·Ry(β)·Rx(α) with each angle within ±rotate_deg — and over
 * many samples each angle comes near both ends (the draws span the whole range). */
static void test_rotation_is_rz_ry_rx(void **state) {
    (void)state;
    enum { N = 400, W = 3, C = 9 };
    const double deg = 40, rad = deg * 3.14159265358979323846 / 180;
    qat_augment a = {.rotate_deg = deg};
    float *x = alloc_floats((size_t)N * W * C);
    for (size_t j = 0; j < (size_t)N * W * C; j++) x[j] = (j % C) % 4 == 0; /* e1 e2 e3 */
    augment(&a, 5, x, N, W, C);
    double lo[3] = {0, 0, 0}, hi[3] = {0, 0, 0};
    for (int i = 0; i < N; i++) {
        const float *s = x + (size_t)i * W * C;
        double r[3][3]; /* r[row][col]; column g is group g's output */
        for (int g = 0; g < 3; g++)
            for (int row = 0; row < 3; row++) r[row][g] = s[g * 3 + row];
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++) {
                double d = r[0][j] * r[0][k] + r[1][j] * r[1][k] + r[2][j] * r[2][k];
                assert_true(fabs(d - (j == k)) < 1e-6);
            }
        double det = r[0][0] * (r[1][1] * r[2][2] - r[1][2] * r[2][1]) -
                     r[0][1] * (r[1][0] * r[2][2] - r[1][2] * r[2][0]) +
                     r[0][2] * (r[1][0] * r[2][1] - r[1][1] * r[2][0]);
        assert_true(fabs(det - 1) < 1e-6);
        for (int t = 1; t < W; t++) assert_memory_equal(s, s + t * C, C * sizeof *s);
        /* Rz(γ)Ry(β)Rx(α): r20 = −sin β, r21 = cos β sin α, r22 = cos β cos α,
         * r10 = sin γ cos β, r00 = cos γ cos β (cos β > 0 for |β| < 90°) */
        double ang[3] = {atan2(r[2][1], r[2][2]), -asin(r[2][0]), atan2(r[1][0], r[0][0])};
        for (int k = 0; k < 3; k++) {
            assert_true(fabs(ang[k]) <= rad + 1e-5);
            if (ang[k] < lo[k]) lo[k] = ang[k];
            if (ang[k] > hi[k]) hi[k] = ang[k];
        }
    }
    for (int k = 0; k < 3; k++) assert_true(lo[k] < -0.9 * rad && hi[k] > 0.9 * rad);
    free(x);
}

/* The accelerometer and the gyroscope sit on one board: with equal inputs in both groups of 3,
 * the outputs are equal too (one R for both). */
static void test_groups_turn_together(void **state) {
    (void)state;
    enum { N = 50, W = 10, C = 6 };
    qat_augment a = {.rotate_deg = 90};
    float *x = alloc_floats((size_t)N * W * C), *ref = alloc_floats((size_t)N * W * C);
    fill_random(x, (size_t)N * W * C, 99);
    for (size_t r = 0; r < (size_t)N * W; r++) memcpy(x + r * C + 3, x + r * C, 3 * sizeof *x);
    memcpy(ref, x, (size_t)N * W * C * sizeof *x);
    augment(&a, 8, x, N, W, C);
    int moved = 0;
    for (size_t r = 0; r < (size_t)N * W; r++) {
        assert_memory_equal(x + r * C, x + r * C + 3, 3 * sizeof *x);
        moved += memcmp(x + r * C, ref + r * C, 3 * sizeof *x) != 0;
    }
    assert_true(moved > N * W / 2); /* the vectors did turn */
    free(x);
    free(ref);
}

/* Scale alone: output / input is one factor per sample, within [1 − s, 1 + s], and the
 * factors come near both ends. */
static void test_scale(void **state) {
    (void)state;
    enum { N = 300, W = 7, C = 4 };
    const double s = 0.2;
    qat_augment a = {.scale = s};
    size_t per = (size_t)W * C;
    float *x = alloc_floats(N * per), *y = alloc_floats(N * per);
    fill_random(x, N * per, 3);
    memcpy(y, x, N * per * sizeof *x);
    augment(&a, 17, y, N, W, C);
    double lo = 2, hi = 0;
    for (size_t i = 0; i < N; i++) {
        double f = (double)y[i * per] / x[i * per];
        assert_true(f >= 1 - s - 1e-6 && f <= 1 + s + 1e-6);
        for (size_t j = 0; j < per; j++)
            assert_true(fabs((double)y[i * per + j] / x[i * per + j] - f) <= 1e-6);
        if (f < lo) lo = f;
        if (f > hi) hi = f;
    }
    assert_true(lo < 1 - 0.9 * s && hi > 1 + 0.9 * s);
    free(x);
    free(y);
}

/* Bias alone: output − input is one constant per channel over time, within [−b, b]; the
 * channels of a sample get different offsets; the offsets come near both ends. */
static void test_bias(void **state) {
    (void)state;
    enum { N = 100, W = 9, C = 6 };
    const double b = 0.25;
    qat_augment a = {.bias = b};
    size_t per = (size_t)W * C;
    float *x = alloc_floats(N * per), *y = alloc_floats(N * per);
    fill_random(x, N * per, 4);
    memcpy(y, x, N * per * sizeof *x);
    augment(&a, 23, y, N, W, C);
    double lo = 1, hi = -1;
    for (size_t i = 0; i < N; i++) {
        const float *u = x + i * per, *v = y + i * per;
        for (size_t k = 0; k < C; k++) {
            double o = (double)v[k] - u[k];
            assert_true(fabs(o) <= b + 1e-6);
            for (size_t t = 1; t < W; t++)
                assert_true(fabs((double)v[t * C + k] - u[t * C + k] - o) <= 1e-6);
            if (k > 0) assert_true(o != (double)v[0] - u[0]);
            if (o < lo) lo = o;
            if (o > hi) hi = o;
        }
    }
    assert_true(lo < -0.9 * b && hi > 0.9 * b);
    free(x);
    free(y);
}

/* Shift alone: each sample is the input moved by one integer k (output step t = input step
 * t − k, the edge steps repeated), and every k in [−shift, shift] occurs. */
static void test_shift(void **state) {
    (void)state;
    enum { N = 400, W = 12, C = 2, S = 3 };
    qat_augment a = {.shift = S};
    float *x = alloc_floats((size_t)N * W * C);
    for (size_t j = 0; j < (size_t)N * W * C; j++) /* distinct values: 100·channel + step */
        x[j] = (float)(100 * (j % C) + (j / C) % W);
    augment(&a, 31, x, N, W, C);
    int seen[2 * S + 1] = {0};
    for (int i = 0; i < N; i++) {
        const float *s = x + (size_t)i * W * C;
        int found = 0;
        for (int k = -S; k <= S && !found; k++) {
            int ok = 1;
            for (int t = 0; t < W; t++) {
                int src = t - k < 0 ? 0 : t - k > W - 1 ? W - 1 : t - k;
                for (int c = 0; c < C; c++) ok &= s[t * C + c] == (float)(100 * c + src);
            }
            if (ok) seen[k + S]++, found = 1;
        }
        assert_true(found);
    }
    for (int k = 0; k < 2 * S + 1; k++) assert_true(seen[k] > 0);
    free(x);
}

/* Time warp alone on ramps (channel c: 10·c + (c + 1)·t): the output is the ramp read at t·r,
 * 10·c + (c + 1)·min(t·r, W − 1), with one rate r per sample in [1 − w, 1 + w] (measured on
 * channel 0, whose ramp starts at 0); the rates come near both ends. */
static void test_time_warp(void **state) {
    (void)state;
    enum { N = 300, W = 40, C = 3 };
    const double w = 0.25;
    qat_augment a = {.time_warp = w};
    float *x = alloc_floats((size_t)N * W * C);
    for (size_t j = 0; j < (size_t)N * W * C; j++) {
        size_t c = j % C, t = (j / C) % W;
        x[j] = (float)(10 * c + (c + 1) * t);
    }
    augment(&a, 47, x, N, W, C);
    double lo = 2, hi = 0;
    for (int i = 0; i < N; i++) {
        const float *s = x + (size_t)i * W * C;
        double r = s[C]; /* channel 0 at step 1: 1·r */
        assert_true(r >= 1 - w - 1e-6 && r <= 1 + w + 1e-6);
        for (int t = 0; t < W; t++)
            for (int c = 0; c < C; c++) {
                double p = t * r < W - 1 ? t * r : W - 1, want = 10 * c + (c + 1) * p;
                assert_true(fabs(s[t * C + c] - want) <= 1e-5 * (fabs(want) + 1));
            }
        if (r < lo) lo = r;
        if (r > hi) hi = r;
    }
    assert_true(lo < 1 - 0.9 * w && hi > 1 + 0.9 * w);
    free(x);
}

/* Noise alone on a constant: the differences have mean 0 and standard deviation `noise`, and
 * neighbours are uncorrelated. Over n values the mean's standard error is σ/√n, the sample
 * standard deviation's about σ/√(2n), the lag-1 correlation's 1/√n: each bound is 5 of them
 * (a false failure once in ~3.5 million seeds; the seed is fixed anyway). */
static void test_noise(void **state) {
    (void)state;
    enum { N = 200, W = 25, C = 6 };
    const double sd = 0.5;
    const size_t n = (size_t)N * W * C;
    qat_augment a = {.noise = sd};
    float *x = alloc_floats(n);
    for (size_t j = 0; j < n; j++) x[j] = 3.0f;
    augment(&a, 53, x, N, W, C);
    double sum = 0, sq = 0, lag = 0;
    for (size_t j = 0; j < n; j++) sum += x[j] - 3.0;
    double mean = sum / (double)n;
    for (size_t j = 0; j < n; j++) sq += (x[j] - 3.0 - mean) * (x[j] - 3.0 - mean);
    for (size_t j = 1; j < n; j++) lag += (x[j] - 3.0 - mean) * (x[j - 1] - 3.0 - mean);
    double std = sqrt(sq / (double)(n - 1)), rho = lag / sq;
    assert_true(fabs(mean) <= 5 * sd / sqrt((double)n));
    assert_true(fabs(std - sd) <= 5 * sd / sqrt(2.0 * (double)n));
    assert_true(fabs(rho) <= 5 / sqrt((double)n));
    free(x);
}

/* Every transform on at once. */
static const qat_augment ALL = {.rotate_deg = 20, .scale = 0.1, .time_warp = 0.1, .shift = 2,
                                .noise = 0.05, .bias = 0.1};

/* The same seed gives the same bytes and the same generator state; another seed other
 * bytes; nothing switched on leaves the bytes and the generator untouched. */
static void test_seeded(void **state) {
    (void)state;
    enum { N = 20, W = 30, C = 6 };
    size_t len = (size_t)N * W * C;
    float *x = alloc_floats(len), *y = alloc_floats(len), *z = alloc_floats(len);
    fill_random(x, len, 61);
    memcpy(y, x, len * sizeof *x);
    memcpy(z, x, len * sizeof *x);
    qat_rng ry = augment(&ALL, 1234, y, N, W, C), rz = augment(&ALL, 1234, z, N, W, C);
    assert_memory_equal(y, z, len * sizeof *y);
    assert_memory_equal(&ry, &rz, sizeof ry);
    assert_true(memcmp(x, y, len * sizeof *x) != 0);
    memcpy(z, x, len * sizeof *x);
    augment(&ALL, 1235, z, N, W, C);
    assert_true(memcmp(y, z, len * sizeof *y) != 0);

    qat_augment off = {0};
    qat_rng before;
    qat_rng_seed(&before, 1234, STREAM);
    memcpy(z, x, len * sizeof *x);
    assert_false(qat_augment_active(&off));
    qat_rng after = augment(&off, 1234, z, N, W, C);
    assert_memory_equal(z, x, len * sizeof *x);
    assert_memory_equal(&after, &before, sizeof after);
    free(x);
    free(y);
    free(z);
}

/* The draws follow the header's order: a twin generator predicts each sample's scale factor
 * (its 6th uniform) and channel offsets (the uniforms after it), then, after every sample's
 * numbers, the noise (one normal per value); the generator ends where the twin does. So the
 * noise, drawn last, leaves every other draw where it was. */
static void test_draw_order(void **state) {
    (void)state;
    enum { N = 6, W = 5, C = 3 };
    const size_t per = (size_t)W * C, len = N * per;
    const double s = 0.3, b = 0.5, sd = 1e-3;
    qat_augment a = {.scale = s, .bias = b, .noise = sd};
    float *x = alloc_floats(len), *y = alloc_floats(len);
    double *want = malloc(len * sizeof *want);
    assert_non_null(want);
    fill_random(x, len, 71);
    memcpy(y, x, len * sizeof *x);
    qat_rng done = augment(&a, 77, y, N, W, C), twin;
    qat_rng_seed(&twin, 77, STREAM);
    for (size_t i = 0; i < N; i++) {
        double u[6 + C];
        for (int d = 0; d < 6 + C; d++) u[d] = qat_rng_uniform(&twin);
        for (size_t j = 0; j < per; j++)
            want[i * per + j] =
                x[i * per + j] * (1 - s + 2 * s * u[5]) + (-b + 2 * b * u[6 + j % C]);
    }
    for (size_t j = 0; j < len; j++) want[j] += sd * qat_rng_normal(&twin);
    for (size_t j = 0; j < len; j++)
        assert_true(fabs(y[j] - want[j]) <= 1e-6 * (fabs(want[j]) + 1));
    assert_memory_equal(&done, &twin, sizeof done);
    free(x);
    free(y);
    free(want);
}

/* Switching transforms on changes no other's draws: on zeros, which time warp, shift,
 * rotation and scale leave zero, the bias alone and the bias with those four give the same
 * bytes. */
static void test_others_keep_bias(void **state) {
    (void)state;
    enum { N = 30, W = 6, C = 6 };
    size_t len = (size_t)N * W * C;
    float *y = calloc(len, sizeof *y), *z = calloc(len, sizeof *z);
    assert_non_null(y);
    assert_non_null(z);
    qat_augment bias = {.bias = 0.4}, more = ALL;
    more.noise = 0;
    more.bias = bias.bias;
    augment(&bias, 9, y, N, W, C);
    augment(&more, 9, z, N, W, C);
    assert_memory_equal(y, z, len * sizeof *y);
    assert_true(y[0] != 0);
    free(y);
    free(z);
}

/* The same bytes in every build (-O2 in build/, -O1 with the sanitizers in build-san/) and on
 * every x86-64 machine: the hash of one seeded run with every transform on, recorded when the
 * draw order was fixed. It changes when the draws or the arithmetic do: then every seeded run
 * changes too, and the value here is updated on purpose. */
static void test_golden_bytes(void **state) {
    (void)state;
    enum { N = 16, W = 50, C = 6 };
    size_t len = (size_t)N * W * C;
    float *x = alloc_floats(len);
    fill_random(x, len, 2024);
    augment(&ALL, 7, x, N, W, C);
    uint64_t h = qat_hash64(0, x, len * sizeof *x);
    assert_int_equal(h, 0x8d1b32f46fe9c993ull);
    free(x);
}

/* Each bad setting is refused with QAT_ERR_CONFIG and a message naming its key. */
static void test_check(void **state) {
    (void)state;
    const qat_augment ok = ALL;
    qat_error e = {0};
    assert_int_equal(qat_augment_check(&ok, 6, &e), QAT_OK);
    assert_int_equal(qat_augment_check(&(qat_augment){0}, 4, &e), QAT_OK);
    assert_int_equal(qat_augment_check(&(qat_augment){.rotate_deg = 180, .scale = 0.99,
                                                      .time_warp = 0.99, .shift = 10000,
                                                      .noise = 1e30, .bias = 1e30}, 3, &e),
                     QAT_OK);
    const struct {
        const char *key;
        qat_augment a;
        int channels;
    } bad[] = {
        {"rotate_deg", {.rotate_deg = NAN}, 6},      {"rotate_deg", {.rotate_deg = -1}, 6},
        {"rotate_deg", {.rotate_deg = 200}, 6},      {"rotate_deg", {.rotate_deg = 10}, 4},
        {"rotate_deg", {.rotate_deg = 10}, 0},       {"rotate_deg", {.rotate_deg = INFINITY}, 6},
        {"scale", {.scale = NAN}, 6},                {"scale", {.scale = -0.1}, 6},
        {"scale", {.scale = 1}, 6},                  {"time_warp", {.time_warp = NAN}, 6},
        {"time_warp", {.time_warp = -0.1}, 6},       {"time_warp", {.time_warp = 1}, 6},
        {"shift", {.shift = -1}, 6},                 {"shift", {.shift = 10001}, 6},
        {"noise", {.noise = NAN}, 6},                {"noise", {.noise = -1}, 6},
        {"noise", {.noise = INFINITY}, 6},           {"noise", {.noise = 2e30}, 6},
        {"bias", {.bias = NAN}, 6},                  {"bias", {.bias = -1}, 6},
        {"bias", {.bias = 2e30}, 6},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char key[64];
        qat_error err = {0};
        snprintf(key, sizeof key, "[augment] %s: ", bad[i].key);
        assert_int_equal(qat_augment_check(&bad[i].a, bad[i].channels, &err), QAT_ERR_CONFIG);
        assert_int_equal(err.status, QAT_ERR_CONFIG);
        if (!strstr(err.msg, key)) fail_msg("case %zu: '%s' does not name '%s'", i, err.msg, key);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rotation_keeps_norms),
        cmocka_unit_test(test_rotation_is_rz_ry_rx),
        cmocka_unit_test(test_groups_turn_together),
        cmocka_unit_test(test_scale),
        cmocka_unit_test(test_bias),
        cmocka_unit_test(test_shift),
        cmocka_unit_test(test_time_warp),
        cmocka_unit_test(test_noise),
        cmocka_unit_test(test_seeded),
        cmocka_unit_test(test_draw_order),
        cmocka_unit_test(test_others_keep_bias),
        cmocka_unit_test(test_golden_bytes),
        cmocka_unit_test(test_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
