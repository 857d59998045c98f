/* Recorded-CSV loader: the fixture files in tests/data/csv (Arduino blank-line format,
 * all-quoted format, fixed rows per gesture), variants and malformations written to a
 * temporary folder, resampling, and real recordings from the external test data
 * ($QATRAIN_TEST_DATA/datasets/real-gestures, see tests/common/testdata.h) with the gesture
 * counts its SOURCES.md states; those tests are skipped, with the reason, when it is absent.
 * Tests run from the repository root. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "testdata.h"
#include "tmpdir.h"
#include "qat/data.h"

#define FIXTURES "tests/data/csv/"

static char tmpdir[256];

static int make_tmpdir(void **state) {
    (void)state;
    return qat_test_mkdtemp(tmpdir, sizeof tmpdir, "csv");
}

static int remove_tmpdir(void **state) {
    (void)state;
    return qat_test_rmtree(tmpdir);
}

/* A config with one file per class (paths[i] is class i), aX,aY,aZ, rates equal. */
static void csv_config(qat_data_config *cfg, int n_files, const char *const *paths, int window) {
    memset(cfg, 0, sizeof *cfg);
    cfg->source = QAT_DATA_CSV;
    cfg->n_classes = n_files;
    for (int i = 0; i < n_files; i++) {
        snprintf(cfg->classes[i], QAT_NAME_MAX, "c%d", i);
        cfg->csv[i].cls = i;
        snprintf(cfg->csv[i].path, QAT_PATH_MAX, "%s", paths[i]);
    }
    cfg->n_csv = n_files;
    cfg->window = window;
    cfg->channels = 3;
    cfg->rate_hz = 100;
    cfg->csv_rate_hz = 100;
    strcpy(cfg->csv_columns[0], "aX");
    strcpy(cfg->csv_columns[1], "aY");
    strcpy(cfg->csv_columns[2], "aZ");
}

/* Writes n bytes to a temporary file; returns its path (static, two slots). */
static const char *tmp_bytes(const char *name, const char *text, size_t n) {
    static char buf[2][400];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", tmpdir, name);
    FILE *f = fopen(buf[which], "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    fclose(f);
    return buf[which];
}

static const char *tmp_csv(const char *name, const char *text) {
    return tmp_bytes(name, text, strlen(text));
}

static qat_status load_one(const char *path, int window, qat_dataset *d, qat_error *e) {
    qat_data_config cfg;
    csv_config(&cfg, 1, &path, window);
    return qat_data_load_csv(&cfg, d, e);
}

/* Loads text that must fail with `status` and a message containing `needle`. */
static void expect_error(const char *name, const char *text, qat_status status,
                         const char *needle) {
    const char *path = tmp_csv(name, text);
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(load_one(path, 4, &d, &e), status);
    if (!strstr(e.msg, needle)) fail_msg("message '%s' lacks '%s'", e.msg, needle);
    assert_non_null(strstr(e.msg, name));
    assert_null(d.x);
}

static void assert_row(const qat_dataset *d, int sample, int step, float a, float b, float c) {
    const float *x = d->x + ((size_t)sample * (size_t)d->window + (size_t)step) * 3;
    assert_float_equal(x[0], a, 1e-6);
    assert_float_equal(x[1], b, 1e-6);
    assert_float_equal(x[2], c, 1e-6);
}

/* ---- fixtures ---- */

static void test_blank_line_separated(void **state) {
    (void)state;
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(load_one(FIXTURES "blank_sep.csv", 4, &d, &e), QAT_OK);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.channels, 3);
    assert_string_equal(d.class_names[0], "c0");
    assert_row(&d, 0, 0, 1, 2, 3);
    assert_row(&d, 0, 3, 4, 5, 6);
    assert_row(&d, 1, 2, -3, -4, -5);
    /* The short last gesture is kept and zero-padded. */
    assert_row(&d, 2, 1, 0.5f, 0.25f, 0.125f);
    assert_row(&d, 2, 2, 0, 0, 0);
    assert_row(&d, 2, 3, 0, 0, 0);
    for (int i = 0; i < 3; i++) assert_int_equal(d.y[i], 0);
    qat_dataset_free(&d);
}

static void test_columns_by_name(void **state) {
    (void)state;
    const char *path = FIXTURES "blank_sep.csv";
    qat_data_config cfg;
    csv_config(&cfg, 1, &path, 2);
    cfg.channels = 2;
    strcpy(cfg.csv_columns[0], "gZ");
    strcpy(cfg.csv_columns[1], "aX");
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_OK);
    assert_int_equal(d.channels, 2);
    assert_float_equal(d.x[0], 30, 0);
    assert_float_equal(d.x[1], 1, 0);
    assert_float_equal(d.x[3], 2, 0);
    qat_dataset_free(&d);
}

static void test_quoted_fields(void **state) {
    (void)state;
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(load_one(FIXTURES "quoted.csv", 3, &d, &e), QAT_OK);
    assert_int_equal(d.n, 2);
    assert_row(&d, 0, 0, 1.5f, 2, 3);
    assert_row(&d, 0, 1, 2.5f, 3, 4);
    assert_row(&d, 1, 0, 7, 8, 9);
    assert_row(&d, 1, 1, 0, 0, 0);
    qat_dataset_free(&d);
}

static void test_fixed_rows(void **state) {
    (void)state;
    const char *path = FIXTURES "fixed_rows.csv";
    qat_data_config cfg;
    csv_config(&cfg, 1, &path, 3);
    cfg.csv_gesture_rows = 3;
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_OK);
    assert_int_equal(d.n, 2);
    assert_row(&d, 0, 2, 3, 0, 0);
    assert_row(&d, 1, 0, 4, 0, 0);
    qat_dataset_free(&d);
    /* Without the row count the same file is one long gesture, truncated to the window. */
    cfg.csv_gesture_rows = 0;
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_OK);
    assert_int_equal(d.n, 1);
    qat_dataset_free(&d);
    /* 6 rows do not split into gestures of 4. */
    cfg.csv_gesture_rows = 4;
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "fixed_rows.csv: 6 data rows is not a multiple"));
    assert_non_null(strstr(e.msg, "2 rows left over"));
}

/* ---- variants found in the wild ---- */

static void test_blank_after_every_row(void **state) {
    (void)state;
    const char *path = tmp_csv("every.csv", "aX,aY,aZ\n\n1,0,0\n\n2,0,0\n\n3,0,0\n\n4,0,0\n\n");
    qat_data_config cfg;
    csv_config(&cfg, 1, &path, 2);
    cfg.csv_gesture_rows = 2; /* blank lines are ignored when the row count is given */
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_OK);
    assert_int_equal(d.n, 2);
    assert_row(&d, 1, 1, 4, 0, 0);
    qat_dataset_free(&d);
}

static void test_crlf_bom_spacer_column(void **state) {
    (void)state;
    /* CRLF ends, a byte order mark, no final newline, a repeated header with an empty spacer
     * column (the first column of a name is used), spaces around fields. */
    const char *path = tmp_csv("crlf.csv", "\xEF\xBB\xBF"
                                           "aX,aY,aZ,,aX,aY,aZ\r\n"
                                           " 1 , 2,3,, 9,9,9\r\n"
                                           "\r\n"
                                           "4,5,6,,9,9,9");
    qat_dataset d;
    qat_error e = {0};
    if (load_one(path, 2, &d, &e)) fail_msg("%s", e.msg);
    assert_int_equal(d.n, 2);
    assert_row(&d, 0, 0, 1, 2, 3);
    assert_row(&d, 1, 0, 4, 5, 6);
    qat_dataset_free(&d);
}

static void test_several_files_and_classes(void **state) {
    (void)state;
    qat_data_config cfg;
    const char *paths[2] = {FIXTURES "quoted.csv", FIXTURES "blank_sep.csv"};
    csv_config(&cfg, 2, paths, 4);
    /* A third file for class 0, listed last. */
    cfg.n_csv = 3;
    cfg.csv[2].cls = 0;
    snprintf(cfg.csv[2].path, QAT_PATH_MAX, "%s", FIXTURES "fixed_rows.csv");
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load(&cfg, 0, &d, &e), QAT_OK);
    assert_int_equal(d.n, 2 + 3 + 1);
    const int labels[6] = {0, 0, 1, 1, 1, 0};
    for (int i = 0; i < 6; i++) assert_int_equal(d.y[i], labels[i]);
    assert_string_equal(d.class_names[1], "c1");
    qat_dataset_free(&d);
}

/* ---- resampling ---- */

/* A ramp: aX = row index, rows rows, written once per test. */
static const char *ramp(const char *name, int rows) {
    static char text[1 << 16];
    size_t n = (size_t)snprintf(text, sizeof text, "aX,aY,aZ\n");
    for (int i = 0; i < rows; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "%d,%d,1\n", i, -i);
    return tmp_csv(name, text);
}

static void test_resample_down(void **state) {
    (void)state;
    const char *path = ramp("ramp119.csv", 119);
    qat_data_config cfg;
    csv_config(&cfg, 1, &path, 60);
    cfg.csv_rate_hz = 119;
    cfg.rate_hz = 50;
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_OK);
    /* 119 rows at 119 Hz cover 118/119 s: 50 points at 50 Hz, the rest zero. */
    for (int k = 0; k < 50; k++) {
        assert_float_equal(d.x[k * 3], k * 119.0 / 50.0, 1e-4);
        assert_float_equal(d.x[k * 3 + 1], -k * 119.0 / 50.0, 1e-4);
        assert_float_equal(d.x[k * 3 + 2], 1.0, 1e-6);
    }
    for (int k = 50; k < 60; k++) assert_float_equal(d.x[k * 3 + 2], 0.0, 0);
    qat_dataset_free(&d);
}

static void test_resample_up_and_truncate(void **state) {
    (void)state;
    const char *path = ramp("ramp4.csv", 4);
    qat_data_config cfg;
    csv_config(&cfg, 1, &path, 10);
    cfg.csv_rate_hz = 25;
    cfg.rate_hz = 50;
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_OK);
    const float want[10] = {0, 0.5f, 1, 1.5f, 2, 2.5f, 3, 0, 0, 0};
    for (int k = 0; k < 10; k++) assert_float_equal(d.x[k * 3], want[k], 1e-6);
    assert_float_equal(d.x[7 * 3 + 2], 0.0, 0); /* padding, not the last value held */
    qat_dataset_free(&d);
    /* 140 rows at 100 Hz -> 70 points at 50 Hz, truncated to a window of 50. */
    path = ramp("ramp140.csv", 140);
    csv_config(&cfg, 1, &path, 50);
    cfg.rate_hz = 50;
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_OK);
    assert_float_equal(d.x[49 * 3], 98.0, 1e-6);
    qat_dataset_free(&d);
}

/* ---- malformations ---- */

static void test_ragged_row(void **state) {
    (void)state;
    expect_error("ragged.csv", "aX,aY,aZ,gX\n1,2,3,4\n1,2,3\n", QAT_ERR_FORMAT,
                 "ragged.csv:3: 3 fields, the header has 4");
}

static void test_non_numeric(void **state) {
    (void)state;
    expect_error("text.csv", "aX,aY,aZ\n1,2,3\n1,abc,3\n", QAT_ERR_FORMAT,
                 "text.csv:3: column aY: 'abc' is not a number");
    expect_error("empty_field.csv", "aX,aY,aZ\n1,,3\n", QAT_ERR_FORMAT,
                 "empty_field.csv:2: column aY: '' is not a number");
    expect_error("comma.csv", "aX,aY,aZ\n1,2,3.5x\n", QAT_ERR_FORMAT, "comma.csv:2: column aZ");
}

static void test_not_finite(void **state) {
    (void)state;
    expect_error("nan.csv", "aX,aY,aZ\n1,2,3\n\nnan,2,3\n", QAT_ERR_DATA,
                 "nan.csv:4: column aX: 'nan' is not finite");
    expect_error("inf.csv", "aX,aY,aZ\n1,-inf,3\n", QAT_ERR_DATA, "inf.csv:2: column aY");
    expect_error("huge.csv", "aX,aY,aZ\n1,2,1e999\n", QAT_ERR_DATA, "huge.csv:2: column aZ");
}

static void test_missing_column(void **state) {
    (void)state;
    expect_error("nocol.csv", "aX,aY,az\n1,2,3\n", QAT_ERR_DATA,
                 "nocol.csv:1: no column 'aZ'");
    expect_error("noheader.csv", "0.1,0.2,0.3\n1,2,3\n", QAT_ERR_DATA, "noheader.csv:1: no column");
}

static void test_no_gestures(void **state) {
    (void)state;
    expect_error("header_only.csv", "aX,aY,aZ\n\n\n", QAT_ERR_DATA, "header_only.csv: no gestures");
    expect_error("empty.csv", "", QAT_ERR_DATA, "empty.csv: empty file");
    const char bin[] = "aX,aY,aZ\n1,2\0003\n";
    const char *path = tmp_bytes("binary.csv", bin, sizeof bin - 1);
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(load_one(path, 4, &d, &e), QAT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "binary.csv:2: binary data"));
}

static void test_config_errors(void **state) {
    (void)state;
    const char *paths[2] = {FIXTURES "quoted.csv", FIXTURES "quoted.csv"};
    qat_data_config cfg;
    csv_config(&cfg, 2, paths, 4);
    cfg.csv[1].cls = 0; /* class c1 has no file */
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "no files for class 'c1'"));
    csv_config(&cfg, 1, paths, 4);
    cfg.channels = 4; /* only three column names given */
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "csv_columns names 3 columns, channels is 4"));
    csv_config(&cfg, 1, paths, 4);
    cfg.csv_rate_hz = 0;
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_ERR_CONFIG);
    csv_config(&cfg, 1, paths, 4);
    snprintf(cfg.csv[0].path, QAT_PATH_MAX, "%s/missing.csv", tmpdir);
    assert_int_equal(qat_data_load_csv(&cfg, &d, &e), QAT_ERR_IO);
    assert_non_null(strstr(e.msg, "missing.csv"));
}

/* ---- real recordings (counts from SOURCES.md) ---- */

/* The real recordings' folder; skips the calling test when it is absent. */
#define need_real() need_real_in(__func__)
static char real[QAT_PATH_MAX / 2];
static void need_real_in(const char *test) {
    qat_test_need_data(real, sizeof real, "datasets/real-gestures", "real recordings", test);
}

/* Loads one real file as a one-class dataset at the lesson's 50 Hz x 50 window. */
static int real_count(const char *rel, double rate, int rows, qat_error *e) {
    char path[QAT_PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", real, rel);
    const char *p = path;
    qat_data_config cfg;
    csv_config(&cfg, 1, &p, 50);
    cfg.rate_hz = 50;
    cfg.csv_rate_hz = rate;
    cfg.csv_gesture_rows = rows;
    qat_dataset d;
    if (qat_data_load(&cfg, 0, &d, e)) return -1;
    int n = d.n;
    for (size_t i = 0; i < (size_t)d.n * 150; i++) assert_true(fabsf(d.x[i]) < 40.0f);
    qat_dataset_free(&d);
    return n;
}

static void test_real_recordings(void **state) {
    (void)state;
    need_real();
    static const struct {
        const char *file;
        double rate;
        int rows, gestures;
    } cases[] = {
        {"habitslab-ce2022/wave.csv", 119, 0, 29},       /* blank-line separated */
        {"habitslab-ce2022/punch.csv", 119, 0, 14},
        {"habitslab-ce2022/flex.csv", 119, 0, 18},
        {"bharatr1993-nano33ble/punch.csv", 119, 0, 10}, /* quoted, "" separator rows */
        {"chiahong95-gesture/punch.csv", 119, 119, 20},  /* no separators */
        {"yankunm-ml-arduino/punch.csv", 119, 119, 13},  /* a blank after every row */
        {"hydraninja1-cps-lab/flex.csv", 119, 119, 10},  /* 13 columns, names repeated */
        {"anuj-gesture-no-camera/wave.csv", 100, 140, 100}, /* m/s^2, 140 rows each */
        {"ranjith-ms-mpu6050/flex.csv", 20, 0, 43},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qat_error e = {0};
        int n = real_count(cases[i].file, cases[i].rate, cases[i].rows, &e);
        if (n != cases[i].gestures)
            fail_msg("%s: %d gestures, SOURCES.md says %d (%s)", cases[i].file, n,
                     cases[i].gestures, e.msg);
    }
}

static void test_real_misaligned_rows(void **state) {
    (void)state;
    need_real();
    /* SOURCES.md: fall.csv holds 33 x 119 rows + 4 stray rows. */
    qat_error e = {0};
    assert_int_equal(real_count("safesteps/fall.csv", 119, 119, &e), -1);
    assert_non_null(strstr(e.msg, "4 rows left over"));
}

static void test_real_lesson_set(void **state) {
    (void)state;
    need_real();
    /* The recommended real set: three files of one recording session and format. */
    qat_data_config cfg;
    char files[3][QAT_PATH_MAX];
    const char *paths[3] = {files[0], files[1], files[2]}, *names[3] = {"wave", "punch", "flex"};
    for (int c = 0; c < 3; c++)
        snprintf(files[c], sizeof files[c], "%s/anuj-gesture-no-camera/%s.csv", real, names[c]);
    csv_config(&cfg, 3, paths, 50);
    strcpy(cfg.classes[0], "wave");
    strcpy(cfg.classes[1], "punch");
    strcpy(cfg.classes[2], "flex");
    cfg.rate_hz = 50;
    cfg.csv_rate_hz = 100;
    cfg.csv_gesture_rows = 140;
    qat_dataset d;
    qat_error e = {0};
    if (qat_data_load(&cfg, 0, &d, &e)) fail_msg("%s", e.msg);
    assert_int_equal(d.n, 300);
    for (int c = 0; c < 3; c++) {
        int k = 0;
        for (int i = 0; i < d.n; i++) k += d.y[i] == c;
        assert_int_equal(k, 100);
    }
    qat_dataset_free(&d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blank_line_separated),
        cmocka_unit_test(test_columns_by_name),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_fixed_rows),
        cmocka_unit_test(test_blank_after_every_row),
        cmocka_unit_test(test_crlf_bom_spacer_column),
        cmocka_unit_test(test_several_files_and_classes),
        cmocka_unit_test(test_resample_down),
        cmocka_unit_test(test_resample_up_and_truncate),
        cmocka_unit_test(test_ragged_row),
        cmocka_unit_test(test_non_numeric),
        cmocka_unit_test(test_not_finite),
        cmocka_unit_test(test_missing_column),
        cmocka_unit_test(test_no_gestures),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_real_recordings),
        cmocka_unit_test(test_real_misaligned_rows),
        cmocka_unit_test(test_real_lesson_set),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
