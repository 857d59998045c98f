/* Dataset storage, the stratified split, subsets, normalisation, enum names, and the
 * lessons' .npy folder layout (writer, loader, their errors). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tmpdir.h"
#include "qat/data.h"
#include "qat/npy.h"

static char tmpdir[256];

static int make_tmpdir(void **state) {
    (void)state;
    return qat_test_mkdtemp(tmpdir, sizeof tmpdir, "dataset");
}

static int remove_tmpdir(void **state) {
    (void)state;
    return qat_test_rmtree(tmpdir);
}

/* n samples of window 4 × 2 channels; sample i holds the value i everywhere, so it can be
 * recognised after a split; labels cycle through `counts`. */
static void make_dataset(qat_dataset *d, const int *counts, int n_classes) {
    int n = 0;
    for (int c = 0; c < n_classes; c++) n += counts[c];
    qat_error e = {0};
    assert_int_equal(qat_dataset_alloc(d, n, 4, 2, n_classes, &e), QAT_OK);
    int left[QAT_MAX_CLASSES];
    memcpy(left, counts, (size_t)n_classes * sizeof *left);
    for (int i = 0, c = 0; i < n; i++) {
        while (!left[c]) c = (c + 1) % n_classes;
        d->y[i] = c;
        left[c]--;
        c = (c + 1) % n_classes; /* interleave classes so order matters */
        for (int j = 0; j < 8; j++) d->x[i * 8 + j] = (float)i;
    }
    for (int c = 0; c < n_classes; c++) snprintf(d->class_names[c], QAT_NAME_MAX, "class%d", c);
}

static int count_label(const qat_dataset *d, int c) {
    int k = 0;
    for (int i = 0; i < d->n; i++) k += d->y[i] == c;
    return k;
}

/* ---- alloc / subset ---- */

static void test_alloc_free(void **state) {
    (void)state;
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_dataset_alloc(&d, 3, 50, 3, 3, &e), QAT_OK);
    assert_int_equal(d.n, 3);
    assert_non_null(d.x);
    for (int i = 0; i < 3 * 50 * 3; i++) assert_true(d.x[i] == 0.0f);
    for (int i = 0; i < 3; i++) assert_int_equal(d.y[i], 0);
    qat_dataset_free(&d);
    assert_null(d.x);
    assert_int_equal(d.n, 0);
    assert_int_equal(qat_dataset_alloc(&d, 3, 0, 3, 3, &e), QAT_ERR_DATA);
    assert_int_equal(qat_dataset_alloc(&d, 3, 5, 3, QAT_MAX_CLASSES + 1, &e), QAT_ERR_DATA);
    assert_int_equal(qat_dataset_alloc(&d, 0, 5, 3, 2, &e), QAT_OK); /* empty is allowed */
    qat_dataset_free(&d);
}

static void test_subset(void **state) {
    (void)state;
    const int counts[2] = {3, 3};
    qat_dataset d, s;
    make_dataset(&d, counts, 2);
    const int idx[3] = {4, 0, 4};
    qat_error e = {0};
    assert_int_equal(qat_dataset_subset(&d, idx, 3, &s, &e), QAT_OK);
    assert_int_equal(s.n, 3);
    assert_true(s.x[0] == 4.0f && s.x[8] == 0.0f && s.x[16 + 7] == 4.0f);
    assert_int_equal(s.y[0], d.y[4]);
    assert_string_equal(s.class_names[1], "class1");
    qat_dataset_free(&s);
    const int bad[1] = {6};
    assert_int_equal(qat_dataset_subset(&d, bad, 1, &s, &e), QAT_ERR_DATA);
    qat_dataset_free(&d);
}

/* ---- split ---- */

static void test_split_stratified_partition(void **state) {
    (void)state;
    const int counts[3] = {50, 30, 20};
    qat_dataset d, tr, te;
    make_dataset(&d, counts, 3);
    qat_rng r;
    qat_rng_seed(&r, 42, QAT_STREAM_SPLIT);
    qat_error e = {0};
    assert_int_equal(qat_dataset_split(&d, 0.2, &r, &tr, &te, &e), QAT_OK);
    /* Class proportions: round(0.2 * count) of each class in test. */
    assert_int_equal(count_label(&te, 0), 10);
    assert_int_equal(count_label(&te, 1), 6);
    assert_int_equal(count_label(&te, 2), 4);
    assert_int_equal(tr.n + te.n, d.n);
    /* Partition: every original sample appears exactly once, with its label. */
    int *seen = calloc((size_t)d.n, sizeof *seen);
    const qat_dataset *parts[2] = {&tr, &te};
    for (int p = 0; p < 2; p++)
        for (int i = 0; i < parts[p]->n; i++) {
            int id = (int)parts[p]->x[i * 8];
            assert_in_range(id, 0, d.n - 1);
            assert_int_equal(parts[p]->y[i], d.y[id]);
            seen[id]++;
            if (i) assert_true(parts[p]->x[i * 8] > parts[p]->x[(i - 1) * 8]); /* order kept */
        }
    for (int i = 0; i < d.n; i++) assert_int_equal(seen[i], 1);
    assert_string_equal(te.class_names[2], "class2");
    free(seen);
    qat_dataset_free(&tr);
    qat_dataset_free(&te);
    qat_dataset_free(&d);
}

/* The test split's ids as a string, for comparing splits. */
static void split_ids(const qat_dataset *d, uint64_t seed, char *out, size_t cap) {
    qat_rng r;
    qat_rng_seed(&r, seed, QAT_STREAM_SPLIT);
    qat_dataset tr, te;
    qat_error e = {0};
    assert_int_equal(qat_dataset_split(d, 0.25, &r, &tr, &te, &e), QAT_OK);
    out[0] = 0;
    for (int i = 0; i < te.n; i++)
        snprintf(out + strlen(out), cap - strlen(out), "%d,", (int)te.x[i * 8]);
    qat_dataset_free(&tr);
    qat_dataset_free(&te);
}

static void test_split_deterministic(void **state) {
    (void)state;
    const int counts[2] = {40, 40};
    qat_dataset d;
    make_dataset(&d, counts, 2);
    char a[512], b[512], c[512];
    split_ids(&d, 7, a, sizeof a);
    split_ids(&d, 7, b, sizeof b);
    split_ids(&d, 8, c, sizeof c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    qat_dataset_free(&d);
}

static void test_split_edges(void **state) {
    (void)state;
    const int counts[2] = {5, 5};
    qat_dataset d, tr, te;
    make_dataset(&d, counts, 2);
    qat_rng r;
    qat_rng_seed(&r, 1, QAT_STREAM_SPLIT);
    qat_error e = {0};
    assert_int_equal(qat_dataset_split(&d, 0.0, &r, &tr, &te, &e), QAT_OK);
    assert_int_equal(te.n, 0);
    assert_int_equal(tr.n, 10);
    qat_dataset_free(&tr);
    qat_dataset_free(&te);
    assert_int_equal(qat_dataset_split(&d, 1.0, &r, &tr, &te, &e), QAT_ERR_CONFIG);
    assert_int_equal(qat_dataset_split(&d, NAN, &r, &tr, &te, &e), QAT_ERR_CONFIG);
    d.y[3] = 2; /* a label outside [0, n_classes) */
    assert_int_equal(qat_dataset_split(&d, 0.2, &r, &tr, &te, &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "sample 3"));
    qat_dataset_free(&d);
}

/* ---- normalisation ---- */

static void fill_norm_data(qat_dataset *d) {
    qat_error e = {0};
    assert_int_equal(qat_dataset_alloc(d, 2, 2, 2, 1, &e), QAT_OK);
    /* axis 0 spans [-1, 3], axis 1 spans [10, 12] */
    const float v[8] = {-1, 10, 0, 11, 3, 12, 1, 10.5f};
    memcpy(d->x, v, sizeof v);
}

static void test_norm_global(void **state) {
    (void)state;
    qat_dataset d;
    fill_norm_data(&d);
    qat_norm nm;
    qat_error e = {0};
    assert_int_equal(qat_norm_fit(&d, QAT_NORM_MINMAX, 0, &nm, &e), QAT_OK);
    assert_true(nm.min[0] == -1.0f && nm.min[1] == -1.0f);
    assert_true(nm.max[0] == 12.0f && nm.max[1] == 12.0f);
    qat_norm_apply(&nm, &d);
    assert_float_equal(d.x[0], 0.0f, 1e-7);
    assert_float_equal(d.x[5], 1.0f, 1e-7);
    assert_float_equal(d.x[1], 11.0f / 13.0f, 1e-6);
    qat_dataset_free(&d);
}

static void test_norm_per_axis(void **state) {
    (void)state;
    qat_dataset d;
    fill_norm_data(&d);
    qat_norm nm;
    qat_error e = {0};
    assert_int_equal(qat_norm_fit(&d, QAT_NORM_MINMAX_AXIS, 0, &nm, &e), QAT_OK);
    assert_true(nm.min[0] == -1.0f && nm.max[0] == 3.0f);
    assert_true(nm.min[1] == 10.0f && nm.max[1] == 12.0f);
    qat_norm_apply(&nm, &d);
    assert_float_equal(d.x[2], 0.25f, 1e-7);  /* (0 - -1) / 4 */
    assert_float_equal(d.x[7], 0.25f, 1e-7);  /* (10.5 - 10) / 2 */
    qat_dataset_free(&d);
}

static void test_norm_none_and_errors(void **state) {
    (void)state;
    qat_dataset d;
    fill_norm_data(&d);
    qat_norm nm;
    qat_error e = {0};
    assert_int_equal(qat_norm_fit(&d, QAT_NORM_NONE, 0, &nm, &e), QAT_OK);
    qat_norm_apply(&nm, &d);
    assert_true(d.x[0] == -1.0f && d.x[5] == 12.0f);
    /* A constant axis fails per axis, but not globally while another axis varies. */
    for (int i = 0; i < 4; i++) d.x[i * 2 + 1] = 5.0f;
    assert_int_equal(qat_norm_fit(&d, QAT_NORM_MINMAX_AXIS, 0, &nm, &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "axis 1 is constant"));
    assert_int_equal(qat_norm_fit(&d, QAT_NORM_MINMAX, 0, &nm, &e), QAT_OK);
    for (int i = 0; i < 8; i++) d.x[i] = 2.0f;
    assert_int_equal(qat_norm_fit(&d, QAT_NORM_MINMAX, 0, &nm, &e), QAT_ERR_DATA);
    d.x[3] = NAN;
    assert_int_equal(qat_norm_fit(&d, QAT_NORM_MINMAX, 0, &nm, &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "not finite"));
    qat_dataset_free(&d);
}

static void test_names(void **state) {
    (void)state;
    assert_string_equal(qat_data_source_name(QAT_DATA_BUILTIN), "builtin");
    assert_string_equal(qat_data_source_name(QAT_DATA_NPY), "npy");
    assert_string_equal(qat_data_source_name(QAT_DATA_CSV), "csv");
    assert_string_equal(qat_data_source_name(QAT_DATA_SOURCE_COUNT), "unknown");
    assert_string_equal(qat_norm_kind_name(QAT_NORM_NONE), "none");
    assert_string_equal(qat_norm_kind_name(QAT_NORM_MINMAX), "minmax");
    assert_string_equal(qat_norm_kind_name(QAT_NORM_MINMAX_AXIS), "minmax_axis");
    assert_string_equal(qat_norm_kind_name(QAT_NORM_KIND_COUNT), "unknown");
}

/* ---- lesson .npy folder layout ---- */

static void npy_config(qat_data_config *cfg, const char *dir, int window) {
    memset(cfg, 0, sizeof *cfg);
    cfg->source = QAT_DATA_NPY;
    cfg->n_classes = 2;
    strcpy(cfg->classes[0], "class0");
    strcpy(cfg->classes[1], "class1");
    cfg->window = window;
    cfg->channels = 2;
    cfg->rate_hz = 50;
    snprintf(cfg->dir, sizeof cfg->dir, "%s", dir);
}

static void sub_path(char *out, size_t cap, const char *a, const char *b) {
    snprintf(out, cap, "%s/%s", a, b);
}

static void test_npy_dir_roundtrip(void **state) {
    (void)state;
    const int counts[2] = {3, 2};
    qat_dataset d, back;
    make_dataset(&d, counts, 2);
    char dir[300], file[400];
    sub_path(dir, sizeof dir, tmpdir, "rt");
    qat_error e = {0};
    assert_int_equal(qat_data_write_npy_dir(&d, dir, &e), QAT_OK);
    sub_path(file, sizeof file, dir, "class1/class1_0001.npy");
    qat_npy a;
    assert_int_equal(qat_npy_read(file, &a, &e), QAT_OK);
    assert_int_equal(a.dtype, QAT_DTYPE_F32);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 4);
    assert_int_equal(a.shape[1], 2);
    qat_npy_free(&a);

    qat_data_config cfg;
    npy_config(&cfg, dir, 4);
    assert_int_equal(qat_data_load_npy_dir(&cfg, &back, &e), QAT_OK);
    assert_int_equal(back.n, 5);
    assert_string_equal(back.class_names[1], "class1");
    /* Loaded grouped by class, files in name order = original order within each class. */
    const int want_ids[5] = {0, 2, 4, 1, 3};
    for (int i = 0; i < 5; i++) {
        assert_memory_equal(back.x + i * 8, d.x + want_ids[i] * 8, 8 * sizeof(float));
        assert_int_equal(back.y[i], d.y[want_ids[i]]);
    }
    qat_dataset_free(&back);

    /* Through qat_data_load too. */
    assert_int_equal(qat_data_load(&cfg, 0, &back, &e), QAT_OK);
    assert_int_equal(back.n, 5);
    qat_dataset_free(&back);
    qat_dataset_free(&d);
}

/* Writes a (t, c) float64 array as DIR/<cls>/<name>. */
static void put_f64(const char *dir, const char *cls, const char *name, int t, int c,
                    double first) {
    char folder[400], path[500];
    sub_path(folder, sizeof folder, dir, cls);
    mkdir(folder, 0777);
    sub_path(path, sizeof path, folder, name);
    double *v = calloc((size_t)(t * c) + 1, sizeof *v);
    for (int i = 0; i < t * c; i++) v[i] = first + i;
    size_t shape[2] = {(size_t)t, (size_t)c};
    qat_error e = {0};
    assert_int_equal(qat_npy_write(path, QAT_DTYPE_F64, 2, shape, v, &e), QAT_OK);
    free(v);
}

static void test_npy_dir_pad_truncate_sort(void **state) {
    (void)state;
    char dir[300];
    sub_path(dir, sizeof dir, tmpdir, "pad");
    mkdir(dir, 0777);
    put_f64(dir, "class0", "b.npy", 6, 2, 100); /* longer than the window: truncated */
    put_f64(dir, "class0", "a.npy", 2, 2, 1);   /* shorter: zero-padded; sorts first */
    put_f64(dir, "class1", "z.npy", 4, 2, 7);
    char junk[400];
    sub_path(junk, sizeof junk, dir, "class1/notes.txt"); /* ignored: not .npy */
    qat_error e = {0};
    assert_int_equal(qat_write_file(junk, "x", 1, &e), QAT_OK);
    qat_data_config cfg;
    npy_config(&cfg, dir, 4);
    qat_dataset d;
    assert_int_equal(qat_data_load_npy_dir(&cfg, &d, &e), QAT_OK);
    assert_int_equal(d.n, 3);
    const float a[8] = {1, 2, 3, 4, 0, 0, 0, 0};
    const float b[8] = {100, 101, 102, 103, 104, 105, 106, 107};
    assert_memory_equal(d.x, a, sizeof a);
    assert_memory_equal(d.x + 8, b, sizeof b);
    assert_true(d.x[16] == 7.0f);
    assert_int_equal(d.y[2], 1);
    qat_dataset_free(&d);
}

static void test_npy_dir_errors(void **state) {
    (void)state;
    char dir[300], path[500];
    sub_path(dir, sizeof dir, tmpdir, "bad");
    mkdir(dir, 0777);
    qat_data_config cfg;
    npy_config(&cfg, dir, 4);
    qat_dataset d;
    qat_error e = {0};
    /* Missing class folder. */
    put_f64(dir, "class0", "a.npy", 4, 2, 0);
    assert_int_equal(qat_data_load_npy_dir(&cfg, &d, &e), QAT_ERR_IO);
    assert_non_null(strstr(e.msg, "bad/class1"));
    /* Empty class folder. */
    sub_path(path, sizeof path, dir, "class1");
    mkdir(path, 0777);
    assert_int_equal(qat_data_load_npy_dir(&cfg, &d, &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "class1: class folder holds no .npy files"));
    /* Wrong channel count names the file and its shape. */
    put_f64(dir, "class1", "wide.npy", 4, 3, 0);
    assert_int_equal(qat_data_load_npy_dir(&cfg, &d, &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "wide.npy: shape (4, 3), expected (T, 2)"));
    assert_null(d.x);
    /* An integer file is not sample data. */
    sub_path(path, sizeof path, dir, "class1/wide.npy");
    const int32_t iv[8] = {0};
    size_t shape[2] = {4, 2};
    assert_int_equal(qat_npy_write(path, QAT_DTYPE_I32, 2, shape, iv, &e), QAT_OK);
    assert_int_equal(qat_data_load_npy_dir(&cfg, &d, &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "float32 or float64"));
    /* NaN inside a file names the file and the element. */
    float fv[8] = {0, 0, 0, 0, 0, NAN, 0, 0};
    assert_int_equal(qat_npy_write(path, QAT_DTYPE_F32, 2, shape, fv, &e), QAT_OK);
    assert_int_equal(qat_data_load_npy_dir(&cfg, &d, &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "wide.npy: element 5 [2, 1] is NaN"));
    /* A malformed file surfaces the reader's format error. */
    assert_int_equal(qat_write_file(path, "garbage", 7, &e), QAT_OK);
    assert_int_equal(qat_data_load_npy_dir(&cfg, &d, &e), QAT_ERR_FORMAT);
}

static void test_load_unknown_source(void **state) {
    (void)state;
    qat_data_config cfg;
    npy_config(&cfg, tmpdir, 4);
    cfg.source = QAT_DATA_SOURCE_COUNT;
    qat_dataset d;
    qat_error e = {0};
    assert_int_equal(qat_data_load(&cfg, 1, &d, &e), QAT_ERR_CONFIG);
    assert_null(d.x);
    cfg.source = QAT_DATA_NPY;
    cfg.n_classes = 0;
    assert_int_equal(qat_data_load(&cfg, 1, &d, &e), QAT_ERR_CONFIG);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_free),
        cmocka_unit_test(test_subset),
        cmocka_unit_test(test_split_stratified_partition),
        cmocka_unit_test(test_split_deterministic),
        cmocka_unit_test(test_split_edges),
        cmocka_unit_test(test_norm_global),
        cmocka_unit_test(test_norm_per_axis),
        cmocka_unit_test(test_norm_none_and_errors),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_npy_dir_roundtrip),
        cmocka_unit_test(test_npy_dir_pad_truncate_sort),
        cmocka_unit_test(test_npy_dir_errors),
        cmocka_unit_test(test_load_unknown_source),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
