/* .npy reader and writer: round trips, NumPy's exact header layout, the header dict
 * variants NumPy and others write, and one test per malformation. Bad files are made in a
 * temporary folder rather than committed. */
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

#include "tmpdir.h"
#include "qat/io.h"
#include "qat/npy.h"

static char tmpdir[256];

static int make_tmpdir(void **state) {
    (void)state;
    return qat_test_mkdtemp(tmpdir, sizeof tmpdir, "npy");
}

static int remove_tmpdir(void **state) {
    (void)state;
    return qat_test_rmtree(tmpdir);
}

static const char *tmp_path(const char *name) {
    static char buf[2][400];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", tmpdir, name);
    return buf[which];
}

/* Writes magic + version + header length + dict (padded with spaces and '\n' to a multiple
 * of 64, as NumPy does) + payload. */
static void write_npy(const char *path, int major, const char *dict, const void *payload,
                      size_t n) {
    size_t lenbytes = major == 1 ? 2 : 4, pre = 8 + lenbytes, dl = strlen(dict);
    size_t total = (pre + dl + 1 + 63) / 64 * 64, hlen = total - pre;
    unsigned char *buf = calloc(1, total + n);
    assert_non_null(buf);
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    for (size_t i = 0; i < lenbytes; i++) buf[8 + i] = (unsigned char)(hlen >> (8 * i));
    memcpy(buf + pre, dict, dl);
    memset(buf + pre + dl, ' ', hlen - dl - 1);
    buf[total - 1] = '\n';
    if (n) memcpy(buf + total, payload, n);
    qat_error e = {0};
    assert_int_equal(qat_write_file(path, buf, total + n, &e), QAT_OK);
    free(buf);
}

/* Reads a file that must fail with `status`, and whose message must contain `needle`. */
static void expect_error(const char *path, qat_status status, const char *needle) {
    qat_npy a;
    qat_error e = {0};
    assert_int_equal(qat_npy_read(path, &a, &e), status);
    assert_int_equal(e.status, status);
    assert_non_null(strstr(e.msg, path));
    if (!strstr(e.msg, needle)) fail_msg("message '%s' lacks '%s'", e.msg, needle);
    assert_null(strchr(e.msg, '\n'));
    assert_null(a.data);
}

static const float six[6] = {0.0f, 1.5f, -2.25f, 3.0f, 1e-3f, -7.0f};

/* ---- round trips and the writer's exact bytes ---- */

static void test_roundtrip_f32(void **state) {
    (void)state;
    const char *path = tmp_path("rt.npy");
    size_t shape[2] = {2, 3};
    qat_error e = {0};
    assert_int_equal(qat_npy_write(path, QAT_DTYPE_F32, 2, shape, six, &e), QAT_OK);
    qat_npy a;
    assert_int_equal(qat_npy_read(path, &a, &e), QAT_OK);
    assert_int_equal(a.dtype, QAT_DTYPE_F32);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 2);
    assert_int_equal(a.shape[1], 3);
    assert_int_equal(a.count, 6);
    assert_memory_equal(a.data, six, sizeof six);
    qat_npy_free(&a);
    assert_null(a.data);
}

static void test_writer_matches_numpy_layout(void **state) {
    (void)state;
    const char *path = tmp_path("layout.npy");
    size_t shape[1] = {50};
    float zeros[50] = {0};
    qat_error e = {0};
    assert_int_equal(qat_npy_write(path, QAT_DTYPE_F32, 1, shape, zeros, &e), QAT_OK);
    void *buf;
    size_t n;
    assert_int_equal(qat_read_file(path, &buf, &n, &e), QAT_OK);
    const unsigned char *b = buf;
    /* What np.save(np.zeros(50, np.float32)) writes: version 1.0, payload at 128. */
    const char dict[] = "{'descr': '<f4', 'fortran_order': False, 'shape': (50,), }";
    assert_memory_equal(b, "\x93NUMPY\x01\x00", 8);
    size_t hlen = b[8] | (size_t)b[9] << 8;
    assert_int_equal((10 + hlen) % 64, 0);
    assert_int_equal(10 + hlen, 128);
    assert_memory_equal(b + 10, dict, strlen(dict));
    for (size_t i = 10 + strlen(dict); i < 10 + hlen - 1; i++) assert_int_equal(b[i], ' ');
    assert_int_equal(b[10 + hlen - 1], '\n');
    assert_int_equal(n, 128 + sizeof zeros);
    free(buf);
}

static void test_roundtrip_int_and_scalar(void **state) {
    (void)state;
    qat_error e = {0};
    qat_npy a;
    const int8_t i8[5] = {-128, -1, 0, 1, 127};
    size_t s5[1] = {5};
    assert_int_equal(qat_npy_write(tmp_path("i8.npy"), QAT_DTYPE_I8, 1, s5, i8, &e), QAT_OK);
    assert_int_equal(qat_npy_read(tmp_path("i8.npy"), &a, &e), QAT_OK);
    assert_int_equal(a.dtype, QAT_DTYPE_I8);
    assert_memory_equal(a.data, i8, sizeof i8);
    qat_npy_free(&a);

    const uint8_t u8[5] = {0, 1, 127, 128, 255}; /* written as '|u1', as NumPy does */
    assert_int_equal(qat_npy_write(tmp_path("u8.npy"), QAT_DTYPE_U8, 1, s5, u8, &e), QAT_OK);
    assert_int_equal(qat_npy_read(tmp_path("u8.npy"), &a, &e), QAT_OK);
    assert_int_equal(a.dtype, QAT_DTYPE_U8);
    assert_memory_equal(a.data, u8, sizeof u8);
    qat_npy_free(&a);

    const int32_t i32[1] = {-123456789};
    assert_int_equal(qat_npy_write(tmp_path("s.npy"), QAT_DTYPE_I32, 0, NULL, i32, &e), QAT_OK);
    assert_int_equal(qat_npy_read(tmp_path("s.npy"), &a, &e), QAT_OK);
    assert_int_equal(a.ndim, 0);
    assert_int_equal(a.count, 1);
    assert_int_equal(((int32_t *)a.data)[0], -123456789);
    qat_npy_free(&a);
}

static void test_empty_array(void **state) {
    (void)state;
    qat_error e = {0};
    qat_npy a;
    size_t shape[2] = {0, 3};
    assert_int_equal(qat_npy_write(tmp_path("empty.npy"), QAT_DTYPE_F32, 2, shape, NULL, &e),
                     QAT_OK);
    assert_int_equal(qat_npy_read(tmp_path("empty.npy"), &a, &e), QAT_OK);
    assert_int_equal(a.count, 0);
    assert_int_equal(a.shape[1], 3);
    qat_npy_free(&a);
}

/* ---- header variants ---- */

static void test_versions_2_and_3(void **state) {
    (void)state;
    for (int major = 2; major <= 3; major++) {
        const char *path = tmp_path(major == 2 ? "v2.npy" : "v3.npy");
        write_npy(path, major, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", six,
                  sizeof six);
        qat_npy a;
        qat_error e = {0};
        assert_int_equal(qat_npy_read(path, &a, &e), QAT_OK);
        assert_int_equal(a.ndim, 1);
        assert_int_equal(a.shape[0], 6);
        assert_memory_equal(a.data, six, sizeof six);
        qat_npy_free(&a);
    }
}

static void test_dict_variants(void **state) {
    (void)state;
    static const char *const dicts[] = {
        "{'shape': (2, 3), 'fortran_order': False, 'descr': '<f4'}",       /* any order */
        "{ \"descr\" : \"<f4\" ,'fortran_order':False,'shape':( 2 ,3 , ) , }", /* spacing */
        "{'descr': '=f4', 'fortran_order': False, 'shape': (2L, 3L), }",   /* '=', py2 longs */
    };
    for (size_t i = 0; i < sizeof dicts / sizeof dicts[0]; i++) {
        const char *path = tmp_path("variant.npy");
        write_npy(path, 1, dicts[i], six, sizeof six);
        qat_npy a;
        qat_error e = {0};
        if (qat_npy_read(path, &a, &e)) fail_msg("dict %zu: %s", i, e.msg);
        assert_int_equal(a.ndim, 2);
        assert_int_equal(a.shape[0], 2);
        assert_int_equal(a.shape[1], 3);
        assert_memory_equal(a.data, six, sizeof six);
        qat_npy_free(&a);
    }
}

static void test_dtypes_to_f32(void **state) {
    (void)state;
    qat_error e = {0};
    qat_npy a;
    const double f8[3] = {0.5, -1.25, 1e10};
    write_npy(tmp_path("f8.npy"), 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
              f8, sizeof f8);
    assert_int_equal(qat_npy_read(tmp_path("f8.npy"), &a, &e), QAT_OK);
    assert_int_equal(a.dtype, QAT_DTYPE_F64);
    assert_int_equal(qat_npy_to_f32(&a, "f8.npy", &e), QAT_OK);
    assert_int_equal(a.dtype, QAT_DTYPE_F32);
    assert_true(((float *)a.data)[1] == -1.25f);
    assert_true(((float *)a.data)[2] == 1e10f);
    qat_npy_free(&a);

    const int8_t i1[2] = {-5, 7};
    write_npy(tmp_path("i1.npy"), 1, "{'descr': '|i1', 'fortran_order': False, 'shape': (2,), }",
              i1, sizeof i1);
    assert_int_equal(qat_npy_read(tmp_path("i1.npy"), &a, &e), QAT_OK);
    assert_int_equal(qat_npy_to_f32(&a, "i1.npy", &e), QAT_OK);
    assert_true(((float *)a.data)[0] == -5.0f && ((float *)a.data)[1] == 7.0f);
    qat_npy_free(&a);

    const int32_t i4[2] = {-70000, 3};
    write_npy(tmp_path("i4.npy"), 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }",
              i4, sizeof i4);
    assert_int_equal(qat_npy_read(tmp_path("i4.npy"), &a, &e), QAT_OK);
    assert_int_equal(a.dtype, QAT_DTYPE_I32);
    assert_int_equal(qat_npy_to_f32(&a, "i4.npy", &e), QAT_OK);
    assert_true(((float *)a.data)[0] == -70000.0f);
    qat_npy_free(&a);

    /* uint8 (images as NumPy users save them): 255 stays 255, not -1. */
    const uint8_t u1[3] = {0, 128, 255};
    write_npy(tmp_path("u1.npy"), 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }",
              u1, sizeof u1);
    assert_int_equal(qat_npy_read(tmp_path("u1.npy"), &a, &e), QAT_OK);
    assert_int_equal(a.dtype, QAT_DTYPE_U8);
    assert_memory_equal(a.data, u1, sizeof u1);
    assert_int_equal(qat_npy_to_f32(&a, "u1.npy", &e), QAT_OK);
    assert_true(((float *)a.data)[1] == 128.0f && ((float *)a.data)[2] == 255.0f);
    qat_npy_free(&a);

    /* int64 is read (labels) but is not sample data. */
    const int64_t i8[2] = {1, 2};
    write_npy(tmp_path("i8.npy"), 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
              i8, sizeof i8);
    assert_int_equal(qat_npy_read(tmp_path("i8.npy"), &a, &e), QAT_OK);
    assert_int_equal(a.dtype, QAT_DTYPE_I64);
    assert_int_equal(((int64_t *)a.data)[1], 2);
    assert_int_equal(qat_npy_to_f32(&a, "i8.npy", &e), QAT_ERR_DATA);
    qat_npy_free(&a);
}

static void test_dtype_sizes(void **state) {
    (void)state;
    assert_int_equal(qat_dtype_size(QAT_DTYPE_F32), 4);
    assert_int_equal(qat_dtype_size(QAT_DTYPE_F64), 8);
    assert_int_equal(qat_dtype_size(QAT_DTYPE_I8), 1);
    assert_int_equal(qat_dtype_size(QAT_DTYPE_I32), 4);
    assert_int_equal(qat_dtype_size(QAT_DTYPE_I64), 8);
    assert_int_equal(qat_dtype_size(QAT_DTYPE_U8), 1);
}

/* ---- NaN / Inf ---- */

static void test_nan_names_file_and_index(void **state) {
    (void)state;
    float v[6] = {0, 1, 2, 3, 4, 5};
    v[5] = NAN;
    write_npy(tmp_path("nan.npy"), 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
              v, sizeof v);
    qat_npy a;
    qat_error e = {0};
    assert_int_equal(qat_npy_read(tmp_path("nan.npy"), &a, &e), QAT_OK);
    assert_int_equal(qat_npy_to_f32(&a, "data/wave/x.npy", &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "data/wave/x.npy"));
    assert_non_null(strstr(e.msg, "[1, 2]"));
    assert_non_null(strstr(e.msg, "NaN"));
    qat_npy_free(&a);

    const double big[2] = {1.0, 1e300}; /* finite in float64, not in float32 */
    write_npy(tmp_path("big.npy"), 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
              big, sizeof big);
    assert_int_equal(qat_npy_read(tmp_path("big.npy"), &a, &e), QAT_OK);
    assert_int_equal(qat_npy_to_f32(&a, "big.npy", &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "element 1"));
    qat_npy_free(&a);

    const double inf[1] = {-INFINITY};
    write_npy(tmp_path("inf.npy"), 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
              inf, sizeof inf);
    assert_int_equal(qat_npy_read(tmp_path("inf.npy"), &a, &e), QAT_OK);
    assert_int_equal(qat_npy_to_f32(&a, "inf.npy", &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "Inf"));
    qat_npy_free(&a);
}

/* ---- malformations ---- */

static void bad_dict(const char *name, const char *dict, size_t payload, const char *needle) {
    float data[8] = {0};
    const char *path = tmp_path(name);
    write_npy(path, 1, dict, data, payload);
    expect_error(path, QAT_ERR_FORMAT, needle);
}

static void test_bad_magic_and_version(void **state) {
    (void)state;
    const char *path = tmp_path("magic.npy");
    qat_error e = {0};
    assert_int_equal(qat_write_file(path, "PK\x03\x04 not numpy", 14, &e), QAT_OK);
    expect_error(path, QAT_ERR_FORMAT, "bad magic");
    write_npy(path, 4, "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", six, 4);
    expect_error(path, QAT_ERR_FORMAT, "version 4.0");
    assert_int_equal(qat_write_file(path, "\x93NUMPY\x01\x00\x10", 9, &e), QAT_OK);
    expect_error(path, QAT_ERR_FORMAT, "truncated");
}

static void test_header_length_past_end(void **state) {
    (void)state;
    const char *path = tmp_path("hlen.npy");
    unsigned char b[20] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, 0xff, 0x00, '{'};
    qat_error e = {0};
    assert_int_equal(qat_write_file(path, b, sizeof b, &e), QAT_OK);
    expect_error(path, QAT_ERR_FORMAT, "header says 255 bytes");
}

static void test_big_endian_and_unknown_dtype(void **state) {
    (void)state;
    bad_dict("be.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", 8,
             "big-endian");
    bad_dict("c8.npy", "{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", 8,
             "unsupported dtype '<c8'");
    bad_dict("pf4.npy", "{'descr': '|f4', 'fortran_order': False, 'shape': (1,), }", 4,
             "unsupported dtype");
}

static void test_fortran_order(void **state) {
    (void)state;
    bad_dict("fo.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", 24,
             "fortran_order");
}

static void test_bad_dicts(void **state) {
    (void)state;
    bad_dict("miss.npy", "{'descr': '<f4', 'shape': (2,), }", 8, "missing key 'fortran_order'");
    bad_dict("dup.npy", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,)}",
             8, "appears twice");
    bad_dict("unk.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8,
             "unknown key 'x'");
    bad_dict("brace.npy", "'descr': '<f4', 'fortran_order': False, 'shape': (2,)", 8,
             "expected '{'");
    bad_dict("comma.npy", "{'descr': '<f4' 'fortran_order': False, 'shape': (2,)}", 8,
             "expected ',' or '}'");
    bad_dict("bool.npy", "{'descr': '<f4', 'fortran_order': false, 'shape': (2,)}", 8,
             "True or False");
    bad_dict("str.npy", "{'descr': '<f4, 'fortran_order': False, 'shape': (2,)}", 8,
             "npy header");
    bad_dict("shape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': [2]}", 8,
             "expected '('");
    bad_dict("neg.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", 8,
             "expected a dimension");
    bad_dict("after.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,)} x", 8,
             "after the dict");
    bad_dict("dims.npy",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,2)}", 8,
             "too many dimensions");
}

static void test_shape_overflow(void **state) {
    (void)state;
    bad_dict("ovf.npy",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16)}",
             8, "overflows");
    bad_dict("ovf2.npy",
             "{'descr': '<f8', 'fortran_order': False, 'shape': (4611686018427387904,)}", 8,
             "overflows");
    bad_dict("digits.npy",
             "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,)}", 8,
             "too large");
}

static void test_truncated_and_trailing_data(void **state) {
    (void)state;
    bad_dict("trunc.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (150,), }", 12,
             "truncated: header says 150 values (600 bytes), file holds 12 bytes");
    bad_dict("extra.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 8,
             "4 unexpected bytes");
}

static void test_missing_file(void **state) {
    (void)state;
    expect_error(tmp_path("nope.npy"), QAT_ERR_IO, "nope.npy");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_f32),
        cmocka_unit_test(test_writer_matches_numpy_layout),
        cmocka_unit_test(test_roundtrip_int_and_scalar),
        cmocka_unit_test(test_empty_array),
        cmocka_unit_test(test_versions_2_and_3),
        cmocka_unit_test(test_dict_variants),
        cmocka_unit_test(test_dtypes_to_f32),
        cmocka_unit_test(test_dtype_sizes),
        cmocka_unit_test(test_nan_names_file_and_index),
        cmocka_unit_test(test_bad_magic_and_version),
        cmocka_unit_test(test_header_length_past_end),
        cmocka_unit_test(test_big_endian_and_unknown_dtype),
        cmocka_unit_test(test_fortran_order),
        cmocka_unit_test(test_bad_dicts),
        cmocka_unit_test(test_shape_overflow),
        cmocka_unit_test(test_truncated_and_trailing_data),
        cmocka_unit_test(test_missing_file),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
