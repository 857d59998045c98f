/* Sources and splits: [source.NAME] sections read through the config parser, each with its
 * own format and units; test sources, leave-one-source-out folds and index files deciding
 * the splits (qat_data_assign); the split seed apart from the initialisation seed; and the
 * config errors of all of these. CSV files are written to a temporary folder. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tmpdir.h"
#include "qat/config.h"
#include "qat/npy.h"
#include "qat/pipeline.h"

#define G 9.80665
#define GESTURES 6 /* per class and source */

static char dir[256];

/* Value of gesture g, step t, axis k of class c: distinct everywhere, in g. */
static double value(int c, int g, int t, int k) {
    return 0.25 * c + 0.01 * g + 0.001 * t - 0.3 * k + 0.5;
}

/* A: 50 Hz, blank-line separated, in g. B: 100 Hz, 40 rows per gesture, no separators, in
 * m/s² (every other row is the one a 50 Hz grid reads; the rows between hold junk). */
static void write_csv(const char *name, int c, int scale_ms2) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "aX,aY,aZ\n");
    for (int g = 0; g < GESTURES; g++) {
        for (int t = 0; t < 20; t++) {
            double v[3];
            for (int k = 0; k < 3; k++) v[k] = value(c, g, t, k) * (scale_ms2 ? G : 1.0);
            fprintf(f, "%.17g,%.17g,%.17g\n", v[0], v[1], v[2]);
            if (scale_ms2) fprintf(f, "%.17g,%.17g,%.17g\n", v[0] + 0.05, v[1], v[2]);
        }
        if (!scale_ms2) fprintf(f, "\n");
    }
    fclose(f);
}

static int setup(void **state) {
    (void)state;
    if (qat_test_mkdtemp(dir, sizeof dir, "sources")) return -1;
    write_csv("a_wave.csv", 0, 0);
    write_csv("a_punch.csv", 1, 0);
    write_csv("b_wave.csv", 0, 1);
    write_csv("b_punch.csv", 1, 1);
    write_csv("c_wave.csv", 0, 0);
    write_csv("c_punch.csv", 1, 0);
    return 0;
}

static int teardown(void **state) {
    (void)state;
    return qat_test_rmtree(dir);
}

#define HEAD                                                                                  \
    "[data]\nsource = csv\nclasses = wave, punch\nwindow = 20\nchannels = 3\nrate_hz = 50\n" \
    "csv_columns = aX, aY, aZ\nunits = g, g, g\n"
#define SRC_A "[source.a]\ncsv_rate_hz = 50\nwave = a_wave.csv\npunch = a_punch.csv\n"
#define SRC_B                                                                                 \
    "[source.b]\ncsv_rate_hz = 100\ncsv_gesture_rows = 40\nunits = m/s2, m/s2, m/s^2\n"       \
    "wave = b_wave.csv\npunch = b_punch.csv\n"
#define SRC_C "[source.c]\ncsv_rate_hz = 50\nwave = c_wave.csv\npunch = c_punch.csv\n"

/* Writes text, then a small model for two classes, as DIR/t.ini and loads it; returns the
 * status (the message in e). */
static qat_status load(const char *text, qat_config *cfg, qat_error *e) {
    char path[512];
    snprintf(path, sizeof path, "%s/t.ini", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fputs("\n[layer.flat]\ntype = flatten\n[layer.out]\ntype = dense\nunits = 2\n"
          "activation = softmax\n", f);
    fclose(f);
    return qat_config_load(path, cfg, e);
}

static void load_ok(const char *text, qat_config *cfg) {
    qat_error e = {0};
    qat_status s = load(text, cfg, &e);
    if (s) fail_msg("%s", e.msg);
}

/* Each source's own rate, rows and units: B's samples (m/s², 100 Hz, fixed rows) equal A's
 * (g, 50 Hz, blank lines) up to the conversion's rounding. */
static void test_formats_and_units(void **state) {
    (void)state;
    static qat_config cfg;
    load_ok(HEAD SRC_A SRC_B, &cfg);
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load(&cfg.data, 1, &d, &e), QAT_OK);
    assert_int_equal(d.n, 4 * GESTURES);
    int per = 60, half = 2 * GESTURES;
    for (int i = 0; i < half; i++) {
        assert_int_equal(qat_data_sample_source(&cfg.data, &d, i), 0);
        assert_int_equal(qat_data_sample_source(&cfg.data, &d, half + i), 1);
        assert_int_equal(d.y[i], d.y[half + i]);
        for (int j = 0; j < per; j++) {
            float a = d.x[(size_t)i * per + j], b = d.x[(size_t)(half + i) * per + j];
            assert_true(fabsf(a - b) <= 1e-6f * fabsf(a) + 1e-7f);
        }
    }
    qat_dataset_free(&d);
}

static qat_status assign(const qat_config *cfg, const qat_dataset *d, unsigned char *part,
                         qat_error *e) {
    qat_rng r;
    qat_rng_seed(&r, 7, QAT_STREAM_SPLIT);
    return qat_data_assign(&cfg->data, d, cfg->train.val_split, 0, &r, part, e);
}

/* use = test: exactly that source's samples are the test split, none of them trains or
 * validates; as each fold of leave-one-source-out sets it. */
static void test_test_sources(void **state) {
    (void)state;
    static qat_config cfg;
    load_ok(HEAD "[train]\nval_split = 0.25\n" SRC_A SRC_B SRC_C, &cfg);
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load(&cfg.data, 1, &d, &e), QAT_OK);
    unsigned char part[64];
    for (int k = 0; k < 3; k++) {
        for (int s = 0; s < 3; s++) cfg.data.sources[s].use = s == k ? QAT_USE_TEST : QAT_USE_TRAIN;
        assert_int_equal(assign(&cfg, &d, part, &e), QAT_OK);
        int val = 0;
        for (int i = 0; i < d.n; i++) {
            int held = qat_data_sample_source(&cfg.data, &d, i) == k;
            assert_int_equal(part[i] == QAT_PART_TEST, held);
            val += part[i] == QAT_PART_VAL;
        }
        assert_int_equal(val, 2 * 3); /* a quarter of each class's 12 training samples */
    }
    qat_dataset_free(&d);
}

static void write_index(const char *name, const int *rows, int n, int wide) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t shape[1] = {(size_t)n};
    qat_error e = {0};
    if (!wide) {
        assert_int_equal(qat_npy_write(path, QAT_DTYPE_I32, 1, shape, rows, &e), QAT_OK);
        return;
    }
    /* int64: written by hand, as NumPy's default integer arrays are */
    char header[128];
    int len = snprintf(header, sizeof header,
                       "{'descr': '<i8', 'fortran_order': False, 'shape': (%d,), }", n);
    int total = 10 + len + 1, pad = (64 - total % 64) % 64;
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    uint16_t hl = (uint16_t)(len + pad + 1);
    fputc(hl & 0xff, f);
    fputc(hl >> 8, f);
    fputs(header, f);
    for (int i = 0; i < pad; i++) fputc(' ', f);
    fputc('\n', f);
    for (int i = 0; i < n; i++) {
        int64_t v = rows[i];
        fwrite(&v, sizeof v, 1, f);
    }
    fclose(f);
}

/* The rows of one part. */
static int rows_of(const unsigned char *part, int n, int want, int *rows) {
    int k = 0;
    for (int i = 0; i < n; i++)
        if (part[i] == want) rows[k++] = i;
    return k;
}

/* A split written as index files (int32 and int64) and read back is the same split, whatever
 * the split seed. */
static void test_index_round_trip(void **state) {
    (void)state;
    static qat_config cfg, back;
    load_ok(HEAD "[train]\nval_split = 0.25\n" SRC_A SRC_C, &cfg);
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load(&cfg.data, 1, &d, &e), QAT_OK);
    unsigned char part[64], again[64];
    assert_int_equal(assign(&cfg, &d, part, &e), QAT_OK);
    const char *names[3] = {"train.npy", "val.npy", "test.npy"};
    for (int k = 0; k < 3; k++) {
        int rows[64], n = rows_of(part, d.n, k, rows);
        assert_true(n > 0);
        write_index(names[k], rows, n, k == 1);
    }
    load_ok(HEAD "train_index = train.npy\nval_index = val.npy\ntest_index = test.npy\n"
            "split_seed = 999\n[train]\nval_split = 0.25\n" SRC_A SRC_C, &back);
    assert_int_equal(assign(&back, &d, again, &e), QAT_OK);
    assert_memory_equal(part, again, (size_t)d.n);
    qat_dataset_free(&d);
}

static void expect_assign_error(const char *keys, const char *pattern) {
    static qat_config cfg;
    char text[2048];
    snprintf(text, sizeof text, HEAD "%s[train]\nval_split = 0.25\n" SRC_A SRC_C, keys);
    load_ok(text, &cfg);
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load(&cfg.data, 1, &d, &e), QAT_OK);
    unsigned char part[64];
    assert_int_equal(assign(&cfg, &d, part, &e), QAT_ERR_DATA);
    if (!strstr(e.msg, pattern)) fail_msg("message '%s' lacks '%s'", e.msg, pattern);
    qat_dataset_free(&d);
}

/* Each index file error names the file, the key and the element. */
static void test_index_errors(void **state) {
    (void)state;
    int out[2] = {1, 24}, twice[3] = {1, 2, 1}, a[2] = {0, 1}, b[2] = {1, 2};
    write_index("out.npy", out, 2, 0);
    write_index("twice.npy", twice, 3, 1);
    write_index("a.npy", a, 2, 0);
    write_index("b.npy", b, 2, 0);
    expect_assign_error("test_index = out.npy\n", "out.npy: [data] test_index: element 1 is row "
                        "24, outside [0, 24)");
    expect_assign_error("test_index = twice.npy\n", "element 2: row 1 is listed twice");
    expect_assign_error("test_index = a.npy\ntrain_index = b.npy\n",
                        "b.npy: [data] train_index: element 0: row 1 is already in the test split");
    expect_assign_error("test_index = a.npy\nval_index = b.npy\n",
                        "val_index: element 0: row 1 is already in the test split");
    char path[512];
    snprintf(path, sizeof path, "%s/f.npy", dir);
    float f[2] = {0, 1};
    size_t shape[1] = {2};
    qat_error e = {0};
    assert_int_equal(qat_npy_write(path, QAT_DTYPE_F32, 1, shape, f, &e), QAT_OK);
    expect_assign_error("test_index = f.npy\n", "expected a 1-D int32 or int64 array of row "
                        "numbers, got float32");
}

/* A pipeline up to the initialised model. */
static void build(qat_config *cfg, qat_pipeline *p) {
    qat_error e = {0};
    qat_pipeline_init(p, cfg);
    if (qat_pipeline_data(p, &e) || qat_pipeline_build(p, &e)) fail_msg("%s", e.msg);
}

/* split_seed moves the split and not the initial weights; the run's seed moves the initial
 * weights and not the split. */
static void test_split_seed_apart(void **state) {
    (void)state;
    static qat_config c1, c2, c3;
    static qat_pipeline p1, p2, p3;
    qat_config_defaults(&c1);
    c1.data.samples_per_class = 20;
    c1.train.val_split = 0.25;
    c1.seed = 1;
    c1.data.has_split_seed = 1;
    c1.data.split_seed = 5;
    c2 = c1;
    c2.seed = 2;
    c3 = c1;
    c3.data.split_seed = 6;
    build(&c1, &p1);
    build(&c2, &p2);
    build(&c3, &p3);
    for (int k = 0; k < 3; k++) {
        assert_int_equal(p1.n_rows[k], p2.n_rows[k]);
        assert_memory_equal(p1.rows[k], p2.rows[k], (size_t)p1.n_rows[k] * sizeof(int));
    }
    assert_true(memcmp(p1.rows[2], p3.rows[2], (size_t)p1.n_rows[2] * sizeof(int)) != 0);
    size_t n = p1.model.g.n_params * sizeof(float);
    assert_memory_equal(p1.model.g.params, p3.model.g.params, n);
    assert_true(memcmp(p1.model.g.params, p2.model.g.params, n) != 0);
    qat_pipeline_free(&p1);
    qat_pipeline_free(&p2);
    qat_pipeline_free(&p3);
}

static void expect_config_error(const char *text, const char *pattern) {
    static qat_config cfg;
    qat_error e = {0};
    assert_int_equal(load(text, &cfg, &e), QAT_ERR_CONFIG);
    if (!strstr(e.msg, pattern)) fail_msg("message '%s' lacks '%s'", e.msg, pattern);
}

static void test_config_errors(void **state) {
    (void)state;
    expect_config_error(HEAD SRC_A "[source.a]\nwave = a_wave.csv\n",
                        "[source.a]: duplicate source name");
    expect_config_error(HEAD "[source.files]\nwave = a_wave.csv\n", "the name 'files' is [files]'s");
    expect_config_error(HEAD SRC_A "[source.b]\njump = a_wave.csv\n",
                        "[source.b] jump: neither a class (classes: wave, punch) nor a key");
    expect_config_error(HEAD SRC_A "[source.b]\nunits = g, g\nwave = a_wave.csv\n",
                        "[source.b] units: 2 units for 3 channels");
    expect_config_error(HEAD SRC_A "[source.b]\nunits = g, g, deg/s\nwave = a_wave.csv\n",
                        "channel 3 is in deg/s, the model's in g (not the same quantity)");
    expect_config_error(HEAD SRC_A "[source.b]\nunits = g, g, furlong\nwave = a_wave.csv\n",
                        "'furlong' is not one of: g, m/s2, mg, deg/s, rad/s");
    expect_config_error("[data]\nsource = csv\nclasses = wave, punch\nwindow = 20\n"
                        SRC_A SRC_B, "units: set [data] units too");
    expect_config_error(HEAD SRC_A "[source.b]\nuse = train\n", "[source.b]: no files");
    expect_config_error(HEAD "[source.a]\nuse = test\nwave = a_wave.csv\npunch = a_punch.csv\n",
                        "every source is 'test': nothing trains");
    expect_config_error(HEAD "cross_validate = leave_one_source_out\n" SRC_A,
                        "needs at least 2 sources");
    expect_config_error(HEAD "cross_validate = leave_one_source_out\ntest_index = x.npy\n" SRC_A
                        SRC_C, "the folds are the sources; drop the *_index files");
    expect_config_error("[data]\nsource = builtin\n[source.a]\nwave = a.csv\n",
                        "sources hold CSV recordings (source = csv)");
    expect_config_error(HEAD SRC_A "[augment]\nrotate_deg = 200\n", "[augment] rotate_deg");
    expect_config_error(HEAD SRC_A "[augment]\nscale = 1\n", "[augment] scale");
    static qat_config cfg;
    load_ok(HEAD SRC_A SRC_C, &cfg);
    qat_error e = {0};
    assert_int_equal(qat_config_set(&cfg, "source.c.use=test", &e), QAT_OK);
    assert_int_equal(cfg.data.sources[1].use, QAT_USE_TEST);
    assert_int_equal(qat_config_set(&cfg, "source.zz.use=test", &e), QAT_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "no source named 'zz'"));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_formats_and_units), cmocka_unit_test(test_test_sources),
        cmocka_unit_test(test_index_round_trip),  cmocka_unit_test(test_index_errors),
        cmocka_unit_test(test_split_seed_apart),  cmocka_unit_test(test_config_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
