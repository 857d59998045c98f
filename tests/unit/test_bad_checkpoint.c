/* The checkpoint part of the bad-input catalogue (no command reads checkpoints yet, so it
 * lives here rather than in tests/e2e/test_bad_input_catalogue.sh): a checkpoint cut at
 * every length, a bit flipped in every byte, other versions, trailing bytes, another model, and
 * intact (checksummed) files whose normalisation record is not one qat_norm_fit makes. Each
 * is refused with QAT_ERR_FORMAT and one line starting with the path, and leaves the model
 * exactly as it was. test_train.c has the round trip and the first few of these. */
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
#include <zlib.h>

#include <cmocka.h>

#include "qat/checkpoint.h"
#include "qat/io.h"

#define OFF_VERSION 8
#define OFF_FLAGS 12
#define OFF_NORM_KIND 56 /* magic 8, version 4, flags 4, signature 8, 4 dims, 2 counts */
#define OFF_NORM_CHANNELS 60
#define OFF_NORM_MIN 64

typedef struct fixture {
    qat_model m;
    char path[256];
    unsigned char *good; /* the saved checkpoint */
    size_t n;
    float *params;       /* the model's parameters before any load */
} fixture;

/* Conv1D(4, 3) → MaxPool(2) → Flatten → Dense(classes): window 12, 2 channels. */
static void build(qat_model *m, int classes) {
    qat_layer_spec l[4];
    memset(l, 0, sizeof l);
    l[0] = (qat_layer_spec){.name = "c", .kind = QAT_LAYER_CONV1D, .units = 4, .kernel = 3,
                            .activation = QAT_ACT_RELU, .use_bias = 1};
    l[1] = (qat_layer_spec){.name = "p", .kind = QAT_LAYER_MAXPOOL1D, .pool = 2};
    l[2] = (qat_layer_spec){.name = "f", .kind = QAT_LAYER_FLATTEN};
    l[3] = (qat_layer_spec){.name = "o", .kind = QAT_LAYER_DENSE, .units = classes,
                            .activation = QAT_ACT_SOFTMAX, .use_bias = 1};
    qat_error e;
    assert_int_equal(qat_model_build(m, l, 4, 12, 2, classes, 4, &e), QAT_OK);
    qat_rng r;
    qat_rng_seed(&r, 5, QAT_STREAM_INIT);
    qat_model_init(m, &r);
    m->norm = (qat_norm){QAT_NORM_MINMAX_AXIS, 2, {-1, -2}, {3, 4}};
}

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    build(&f->m, 2);
    snprintf(f->path, sizeof f->path, "/tmp/qat_test_bad_ckpt_%ld.ckpt", (long)getpid());
    qat_error e;
    void *data;
    if (qat_checkpoint_save(&f->m, f->path, &e) || qat_read_file(f->path, &data, &f->n, &e))
        return -1;
    f->good = data;
    f->params = malloc(f->m.g.n_params * sizeof(float));
    if (!f->params) return -1;
    memcpy(f->params, f->m.g.params, f->m.g.n_params * sizeof(float));
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    unlink(f->path);
    qat_model_free(&f->m);
    free(f->good);
    free(f->params);
    free(f);
    return 0;
}

/* Loading bytes[0..n) must fail with FORMAT, one line starting with the path and holding
 * `want` (when not NULL), and leave the model untouched. */
static void refused(fixture *f, const unsigned char *bytes, size_t n, const char *want) {
    qat_error e = {0};
    assert_int_equal(qat_write_file(f->path, bytes, n, &e), QAT_OK);
    qat_status st = qat_checkpoint_load(&f->m, f->path, &e);
    if (st != QAT_ERR_FORMAT) fail_msg("%zu bytes: status %d (%s)", n, (int)st, e.msg);
    assert_int_equal(e.status, QAT_ERR_FORMAT);
    assert_int_equal(strncmp(e.msg, f->path, strlen(f->path)), 0);
    assert_null(strchr(e.msg, '\n'));
    if (want && !strstr(e.msg, want)) fail_msg("'%s' does not say '%s'", e.msg, want);
    assert_memory_equal(f->m.g.params, f->params, f->m.g.n_params * sizeof(float));
    assert_int_equal(f->m.norm.kind, QAT_NORM_MINMAX_AXIS);
    assert_float_equal(f->m.norm.max[1], 4, 0);
}

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* A copy of the good file, with room for a few more bytes. */
static unsigned char *copy(const fixture *f) {
    unsigned char *b = malloc(f->n + 8);
    assert_non_null(b);
    memcpy(b, f->good, f->n);
    return b;
}

/* A fresh checksum over the n - 4 bytes before it. */
static void reseal(unsigned char *b, size_t n) {
    put_u32(b + n - 4, (uint32_t)crc32(0L, b, (uInt)(n - 4)));
}

static void test_good_file_loads(void **state) {
    fixture *f = *state;
    qat_error e;
    assert_int_equal(qat_write_file(f->path, f->good, f->n, &e), QAT_OK);
    assert_int_equal(qat_checkpoint_load(&f->m, f->path, &e), QAT_OK);
}

static void test_cut_at_every_length(void **state) {
    fixture *f = *state;
    for (size_t n = 0; n < f->n; n++)
        refused(f, f->good, n, n < 8 ? "bad magic" : "truncated checkpoint");
}

static void test_a_bit_flip_in_every_byte(void **state) {
    fixture *f = *state;
    unsigned char *b = copy(f);
    for (size_t i = 0; i < f->n; i++) { /* byte i, bit i mod 8 */
        b[i] ^= (unsigned char)(1 << (i % 8));
        refused(f, b, f->n, NULL);
        b[i] ^= (unsigned char)(1 << (i % 8));
    }
    free(b);
}

/* Other versions, flags this reader does not know, bytes after the checksum. */
static void test_versions_and_trailing_bytes(void **state) {
    fixture *f = *state;
    unsigned char *b = copy(f);
    const uint32_t versions[] = {0, 2, 0xffffffffu};
    for (int i = 0; i < 3; i++) {
        put_u32(b + OFF_VERSION, versions[i]);
        reseal(b, f->n);
        refused(f, b, f->n, "checkpoint version");
    }
    memcpy(b, f->good, f->n);
    put_u32(b + OFF_FLAGS, 4);
    reseal(b, f->n);
    refused(f, b, f->n, "checkpoint flags 0x4 are unknown");
    memcpy(b, f->good, f->n);
    b[f->n] = 0;
    refused(f, b, f->n + 1, "1 unexpected bytes after the checksum");
    free(b);
}

static void test_another_model(void **state) {
    fixture *f = *state;
    qat_model three;
    build(&three, 3); /* the same layers, one more class */
    qat_error e;
    char path[300];
    snprintf(path, sizeof path, "%s.3", f->path);
    assert_int_equal(qat_checkpoint_save(&three, path, &e), QAT_OK);
    void *data;
    size_t n;
    assert_int_equal(qat_read_file(path, &data, &n, &e), QAT_OK);
    refused(f, data, n, "from another model");
    free(data);
    unlink(path);
    qat_model_free(&three);
}

/* Checksummed files whose normalisation record qat_norm_fit would never write. */
static void test_bad_normalisation_records(void **state) {
    fixture *f = *state;
    unsigned char *b = copy(f);
    put_u32(b + OFF_NORM_KIND, QAT_NORM_KIND_COUNT);
    reseal(b, f->n);
    refused(f, b, f->n, "bad normalisation record");

    memcpy(b, f->good, f->n);
    put_u32(b + OFF_NORM_CHANNELS, QAT_MAX_CHANNELS + 1);
    reseal(b, f->n);
    refused(f, b, f->n, "bad normalisation record");

    /* one channel where the model has two: shift everything after the first min and max */
    unsigned char *c = malloc(f->n);
    assert_non_null(c);
    memcpy(c, f->good, OFF_NORM_MIN);
    put_u32(c + OFF_NORM_CHANNELS, 1);
    size_t n = OFF_NORM_MIN;
    memcpy(c + n, f->good + OFF_NORM_MIN, 4), n += 4;     /* min[0] */
    memcpy(c + n, f->good + OFF_NORM_MIN + 8, 4), n += 4; /* max[0] */
    memcpy(c + n, f->good + OFF_NORM_MIN + 16, f->n - OFF_NORM_MIN - 16), n += f->n - OFF_NORM_MIN - 16;
    reseal(c, n);
    refused(f, c, n, "1 channels, the model has 2");
    free(c);

    const float mins[] = {3.0f, NAN, -INFINITY};
    for (int i = 0; i < 3; i++) { /* max == min, a NaN and an infinite minimum on axis 0 */
        memcpy(b, f->good, f->n);
        memcpy(b + OFF_NORM_MIN, &mins[i], 4);
        reseal(b, f->n);
        refused(f, b, f->n, "bad normalisation record (axis 0");
    }
    free(b);
}

static void test_not_a_file(void **state) {
    fixture *f = *state;
    char dir[300];
    snprintf(dir, sizeof dir, "%s.d", f->path);
    assert_int_equal(mkdir(dir, 0700), 0);
    qat_error e;
    assert_int_equal(qat_checkpoint_load(&f->m, dir, &e), QAT_ERR_IO);
    assert_non_null(strstr(e.msg, "not a regular file"));
    rmdir(dir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file_loads),
        cmocka_unit_test(test_cut_at_every_length),
        cmocka_unit_test(test_a_bit_flip_in_every_byte),
        cmocka_unit_test(test_versions_and_trailing_bytes),
        cmocka_unit_test(test_another_model),
        cmocka_unit_test(test_bad_normalisation_records),
        cmocka_unit_test(test_not_a_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
