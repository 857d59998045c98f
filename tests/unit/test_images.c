/* The image readers: MNIST's IDX files (plain and gzip) and NumPy image arrays read back
 * exactly, with a limit, and every malformed file refused with QAT_ERR_DATA naming it. The
 * real Fashion-MNIST files are read when Debian's dataset-fashion-mnist is installed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cmocka.h>

#include "tmpdir.h"
#include "qat/data.h"
#include "qat/npy.h"

static char tmpdir[256];

static int make_tmpdir(void **state) {
    (void)state;
    return qat_test_mkdtemp(tmpdir, sizeof tmpdir, "images");
}

static int remove_tmpdir(void **state) {
    (void)state;
    return qat_test_rmtree(tmpdir);
}

static const char *path_of(const char *name) {
    static char buf[4][512];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

static void put_be32(unsigned char *b, uint32_t v) {
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

/* Writes bytes as a plain file, or through zlib as gzip. */
static void write_bytes(const char *name, const void *data, size_t n, int gz) {
    if (gz) {
        gzFile f = gzopen(path_of(name), "wb");
        assert_non_null(f);
        assert_int_equal(gzwrite(f, data, (unsigned)n), (int)n);
        assert_int_equal(gzclose(f), Z_OK);
        return;
    }
    FILE *f = fopen(path_of(name), "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

/* An idx3 file of n h×w images (the k-th pixel is k·7 mod 256) plus `extra` bytes, cut to
 * `cut` bytes when cut > 0; magic as given. */
static void write_images(const char *name, uint32_t magic, int n, int h, int w, int extra,
                           size_t cut, int gz) {
    size_t len = 16 + (size_t)n * h * w + (size_t)extra;
    if (cut) len = cut; /* only what is written */
    unsigned char *b = calloc(len, 1);
    assert_non_null(b);
    put_be32(b, magic);
    put_be32(b + 4, (uint32_t)n);
    put_be32(b + 8, (uint32_t)h);
    put_be32(b + 12, (uint32_t)w);
    for (size_t j = 16; j < len; j++) b[j] = (unsigned char)((j - 16) * 7 % 256);
    write_bytes(name, b, len, gz);
    free(b);
}

static void write_labels(const char *name, uint32_t magic, int n, int gz) {
    unsigned char *b = calloc(8 + (size_t)n, 1);
    assert_non_null(b);
    put_be32(b, magic);
    put_be32(b + 4, (uint32_t)n);
    for (int i = 0; i < n; i++) b[8 + i] = (unsigned char)(i % 10);
    write_bytes(name, b, 8 + (size_t)n, gz);
    free(b);
}

static void check_set(const qat_image_set *s, int n, int h, int w) {
    assert_int_equal(s->n, n);
    assert_int_equal(s->height, h);
    assert_int_equal(s->width, w);
    assert_int_equal(s->channels, 1);
    assert_non_null(s->u8);
    assert_null(s->f32);
    for (size_t j = 0; j < (size_t)n * h * w; j++) assert_int_equal(s->u8[j], j * 7 % 256);
    for (int i = 0; i < n; i++) assert_int_equal(s->labels[i], i % 10);
}

static void test_idx_plain_and_gzip(void **state) {
    (void)state;
    for (int gz = 0; gz < 2; gz++) {
        qat_image_set s;
        qat_error e = {0};
        write_images("im", 0x803, 13, 5, 3, 0, 0, gz);
        write_labels("lb", 0x801, 13, gz);
        assert_int_equal(qat_idx_read(path_of("im"), path_of("lb"), 0, &s, &e), QAT_OK);
        check_set(&s, 13, 5, 3);
        qat_image_set_free(&s);
        assert_null(s.u8);
        assert_int_equal(qat_idx_read(path_of("im"), path_of("lb"), 4, &s, &e), QAT_OK);
        check_set(&s, 4, 5, 3); /* the first 4 */
        qat_image_set_free(&s);
        assert_int_equal(qat_idx_read(path_of("im"), path_of("lb"), 99, &s, &e), QAT_OK);
        check_set(&s, 13, 5, 3); /* a limit beyond the file reads it all */
        qat_image_set_free(&s);
    }
}

/* Each malformed pair: the status and a fragment of the message, which names the file. */
static void expect_idx(const char *im, const char *lb, int limit, qat_status want,
                       const char *fragment) {
    qat_image_set s;
    qat_error e = {0};
    assert_int_equal(qat_idx_read(path_of(im), path_of(lb), limit, &s, &e), want);
    if (!strstr(e.msg, fragment)) fail_msg("message '%s' lacks '%s'", e.msg, fragment);
    assert_null(s.u8);
    assert_null(s.labels);
}

static void test_idx_errors(void **state) {
    (void)state;
    for (int gz = 0; gz < 2; gz++) {
        write_labels("lb", 0x801, 6, gz);
        write_images("im", 0x803, 6, 4, 4, 0, 0, gz);
        write_images("bad", 0x12345678, 6, 4, 4, 0, 0, gz);
        expect_idx("bad", "lb", 0, QAT_ERR_DATA, "not an IDX file (magic 0x12345678");
        expect_idx("lb", "lb", 0, QAT_ERR_DATA, "/lb: an IDX file of 1 dimension");
        expect_idx("im", "im", 0, QAT_ERR_DATA, "/im: an IDX file of 3 dimensions");
        write_images("float", 0xd03, 6, 4, 4, 0, 0, gz);
        expect_idx("float", "lb", 0, QAT_ERR_DATA, "of type 0x0d");
        write_images("cut", 0x803, 6, 4, 4, 0, 16 + 5 * 16 + 3, gz);
        expect_idx("cut", "lb", 0, QAT_ERR_DATA, "truncated");
        if (!gz) expect_idx("cut", "lb", 5, QAT_ERR_DATA, "truncated"); /* its size says so */
        else { /* a compressed file is checked as far as it is read: 5 whole images */
            qat_image_set s;
            qat_error e = {0};
            assert_int_equal(qat_idx_read(path_of("cut"), path_of("lb"), 5, &s, &e), QAT_OK);
            assert_int_equal(s.n, 5);
            qat_image_set_free(&s);
        }
        write_images("cuthead", 0x803, 6, 4, 4, 0, 10, gz);
        expect_idx("cuthead", "lb", 0, QAT_ERR_DATA, "truncated in its header");
        write_images("long", 0x803, 6, 4, 4, 5, 0, gz);
        expect_idx("long", "lb", 0, QAT_ERR_DATA, "trailing bytes");
        write_images("zero", 0x803, 0, 4, 4, 0, 0, gz);
        expect_idx("zero", "lb", 0, QAT_ERR_DATA, "0 items");
        write_images("wide", 0x803, 1, 5000, 4, 0, 0, gz);
        expect_idx("wide", "lb", 0, QAT_ERR_DATA, "images of 5000");
        write_labels("lb7", 0x801, 7, gz);
        expect_idx("im", "lb7", 0, QAT_ERR_DATA, "7 labels for the 6 images of");
        expect_idx("im", "lb7", 2, QAT_ERR_DATA, "7 labels for the 6 images of");
        expect_idx("im", "missing", 0, QAT_ERR_IO, "missing");
    }
    /* a huge claim in a small gzip file: refused as truncated, without allocating the claim */
    write_images("huge", 0x803, 100000000, 28, 28, 0, 16 + 1000, 1);
    expect_idx("huge", "lb", 0, QAT_ERR_DATA, "truncated: 1 of its 100000000 items");
    /* gzip magic, then garbage */
    const unsigned char junk[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff};
    write_bytes("junk", junk, sizeof junk, 0);
    expect_idx("junk", "lb", 0, QAT_ERR_DATA, "not a valid gzip file");
}

/* X (N, H, W[, C]) uint8 or float32 with y of any integer type, as NumPy writes them. */
static void test_npy_images(void **state) {
    (void)state;
    qat_error e = {0};
    uint8_t px[5 * 3 * 2 * 2];
    float fx[5 * 3 * 2 * 2];
    for (size_t j = 0; j < sizeof px; j++) px[j] = (uint8_t)(j * 11), fx[j] = 0.5f * (float)j;
    int64_t y64[5] = {0, 4, 2, 9, 1};
    uint8_t y8[5] = {0, 4, 2, 9, 1};
    const size_t s3[3] = {5, 3, 4}, s4[4] = {5, 3, 2, 2}, sy[1] = {5};
    assert_int_equal(qat_npy_write(path_of("x3.npy"), QAT_DTYPE_U8, 3, s3, px, &e), QAT_OK);
    assert_int_equal(qat_npy_write(path_of("x4.npy"), QAT_DTYPE_F32, 4, s4, fx, &e), QAT_OK);
    assert_int_equal(qat_npy_write(path_of("y8.npy"), QAT_DTYPE_U8, 1, sy, y8, &e), QAT_OK);
    qat_image_set s;
    assert_int_equal(qat_image_npy_read(path_of("x3.npy"), path_of("y8.npy"), 0, &s, &e), QAT_OK);
    assert_int_equal(s.n, 5);
    assert_int_equal(s.height, 3);
    assert_int_equal(s.width, 4);
    assert_int_equal(s.channels, 1);
    assert_memory_equal(s.u8, px, sizeof px);
    for (int i = 0; i < 5; i++) assert_int_equal(s.labels[i], y8[i]);
    qat_image_set_free(&s);
    FILE *f = fopen(path_of("y64.npy"), "wb"); /* int64 labels: NumPy's default integer */
    assert_non_null(f);
    static const char hdr[] = "\x93NUMPY\x01\x00\x76\x00{'descr': '<i8', 'fortran_order': False, 'shape': (5,), }";
    char h[128];
    memset(h, ' ', sizeof h);
    memcpy(h, hdr, sizeof hdr - 1);
    h[127] = '\n';
    assert_int_equal(fwrite(h, 1, 128, f), 128);
    assert_int_equal(fwrite(y64, 8, 5, f), 5);
    fclose(f);
    assert_int_equal(qat_image_npy_read(path_of("x4.npy"), path_of("y64.npy"), 2, &s, &e), QAT_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.channels, 2);
    assert_non_null(s.f32);
    assert_memory_equal(s.f32, fx, 2 * 3 * 2 * 2 * sizeof(float));
    assert_int_equal(s.labels[1], 4);
    qat_image_set_free(&s);
}

static void expect_npy(const char *x, const char *y, const char *fragment) {
    qat_image_set s;
    qat_error e = {0};
    assert_int_equal(qat_image_npy_read(path_of(x), path_of(y), 0, &s, &e), QAT_ERR_DATA);
    if (!strstr(e.msg, fragment)) fail_msg("message '%s' lacks '%s'", e.msg, fragment);
    assert_null(s.u8);
    assert_null(s.f32);
    assert_null(s.labels);
}

static void test_npy_image_errors(void **state) {
    (void)state;
    qat_error e = {0};
    uint8_t px[60] = {0};
    int32_t y[6] = {0, 1, 2, -3, 0, 0};
    float fy[5] = {0};
    const size_t s2[2] = {5, 12}, s3[3] = {5, 3, 4}, sy5[1] = {5}, sy6[1] = {6};
    int8_t sx[60] = {0};
    assert_int_equal(qat_npy_write(path_of("x2.npy"), QAT_DTYPE_U8, 2, s2, px, &e), QAT_OK);
    assert_int_equal(qat_npy_write(path_of("x3.npy"), QAT_DTYPE_U8, 3, s3, px, &e), QAT_OK);
    assert_int_equal(qat_npy_write(path_of("xi8.npy"), QAT_DTYPE_I8, 3, s3, sx, &e), QAT_OK);
    assert_int_equal(qat_npy_write(path_of("y5.npy"), QAT_DTYPE_I32, 1, sy5, y, &e), QAT_OK);
    assert_int_equal(qat_npy_write(path_of("y6.npy"), QAT_DTYPE_I32, 1, sy6, y, &e), QAT_OK);
    assert_int_equal(qat_npy_write(path_of("yf.npy"), QAT_DTYPE_F32, 1, sy5, fy, &e), QAT_OK);
    expect_npy("x2.npy", "y5.npy", "x2.npy: an array of 2 dimensions");
    expect_npy("xi8.npy", "y5.npy", "xi8.npy: images of int8");
    expect_npy("x3.npy", "y6.npy", "y6.npy: 6 labels for the 5 images of");
    expect_npy("x3.npy", "yf.npy", "yf.npy: labels are floats");
    expect_npy("x3.npy", "x3.npy", "x3.npy: labels of 3 dimensions");
    int32_t yneg[5] = {0, 1, 2, -3, 0};
    assert_int_equal(qat_npy_write(path_of("yneg.npy"), QAT_DTYPE_I32, 1, sy5, yneg, &e), QAT_OK);
    expect_npy("x3.npy", "yneg.npy", "yneg.npy: label 3 is -3");
}

/* Debian's dataset-fashion-mnist, when installed: 10,000 test images of 28×28, labels 0–9. */
static void test_fashion_mnist(void **state) {
    (void)state;
    static const char *const dir = "/usr/share/datasets/fashion-mnist";
    char im[256], lb[256];
    snprintf(im, sizeof im, "%s/t10k-images-idx3-ubyte.gz", dir);
    snprintf(lb, sizeof lb, "%s/t10k-labels-idx1-ubyte.gz", dir);
    if (access(im, R_OK) != 0 || access(lb, R_OK) != 0) {
        printf("SKIP: test_fashion_mnist: needs Debian's dataset-fashion-mnist (%s not found; "
               "scripts/setup.sh installs it)\n", im);
        skip();
    }
    qat_image_set s;
    qat_error e = {0};
    assert_int_equal(qat_idx_read(im, lb, 0, &s, &e), QAT_OK);
    assert_int_equal(s.n, 10000);
    assert_int_equal(s.height, 28);
    assert_int_equal(s.width, 28);
    int count[10] = {0};
    for (int i = 0; i < s.n; i++) {
        assert_in_range(s.labels[i], 0, 9);
        count[s.labels[i]]++;
    }
    for (int c = 0; c < 10; c++) assert_int_equal(count[c], 1000); /* balanced, as published */
    qat_image_set_free(&s);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx_plain_and_gzip),
        cmocka_unit_test(test_idx_errors),
        cmocka_unit_test(test_npy_images),
        cmocka_unit_test(test_npy_image_errors),
        cmocka_unit_test(test_fashion_mnist),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
