/* Image-set readers: IDX files (MNIST's format), plain and gzip-compressed, and NumPy image
 * arrays, read back exactly (pixels, labels, sizes, limit); one test per malformation, each
 * giving its status and one line naming the file. Files are written into a temporary
 * folder (gzip through zlib, as the gzip tool would). Debian's Fashion-MNIST
 * (dataset-fashion-mnist) is read when installed, and the test is skipped, with the reason,
 * when it is not. */
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

#include "tmpdir.h"
#include "qat/data.h"
#include "qat/io.h"
#include "qat/npy.h"

#define FASHION_MNIST "/usr/share/datasets/fashion-mnist"

static char tmpdir[256];

static int make_tmpdir(void **state) {
    (void)state;
    return qat_test_mkdtemp(tmpdir, sizeof tmpdir, "images");
}

static int remove_tmpdir(void **state) {
    (void)state;
    return qat_test_rmtree(tmpdir);
}

/* The path of `name` in the temporary folder: the last 16 stay valid. */
static const char *tmp_path(const char *name) {
    static char buf[16][400];
    static int which;
    which = (which + 1) % 16;
    snprintf(buf[which], sizeof buf[which], "%s/%s", tmpdir, name);
    return buf[which];
}

/* ---- writing IDX files ---- */

static void put_be32(unsigned char *p, uint32_t v) {
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* Writes n bytes to path: as they are, or (gz) gzip-compressed. */
static void write_bytes(const char *path, int gz, const void *data, size_t n) {
    if (!gz) {
        qat_error e = {0};
        if (qat_write_file(path, data, n, &e)) fail_msg("%s", e.msg);
        return;
    }
    gzFile g = gzopen(path, "wb9");
    assert_non_null(g);
    if (n) assert_int_equal(gzwrite(g, data, (unsigned)n), (int)n);
    assert_int_equal(gzclose(g), Z_OK);
}

/* An IDX file: magic, the nd sizes, then `len` payload bytes followed by `extra` more
 * (0x5a); len may be less than the sizes declare (a truncated file). */
static void write_idx(const char *path, int gz, uint32_t magic, const uint32_t *dims, int nd,
                      const void *payload, size_t len, size_t extra) {
    size_t hdr = 4 + 4 * (size_t)nd, total = hdr + len + extra;
    unsigned char *b = malloc(total);
    assert_non_null(b);
    put_be32(b, magic);
    for (int i = 0; i < nd; i++) put_be32(b + 4 + 4 * i, dims[i]);
    if (len) memcpy(b + hdr, payload, len);
    memset(b + hdr + len, 0x5a, extra);
    write_bytes(path, gz, b, total);
    free(b);
}

/* n images of h × w with pixels pix (n·h·w bytes) and their labels. */
static void write_images(const char *path, int gz, uint32_t n, uint32_t h, uint32_t w,
                         const uint8_t *pix) {
    const uint32_t dims[3] = {n, h, w};
    write_idx(path, gz, 0x803, dims, 3, pix, (size_t)n * h * w, 0);
}

static void write_labels(const char *path, int gz, uint32_t n, const uint8_t *labels) {
    write_idx(path, gz, 0x801, &n, 1, labels, n, 0);
}

/* Deterministic pixels: every byte value, in an order that shows a swapped row or image. */
static uint8_t *pixels(size_t n) {
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(i * 37 + i / 251 + 11);
    return p;
}

static void expect_set(const qat_image_set *s, int n, int h, int w, int c, const uint8_t *pix,
                       const uint8_t *labels) {
    assert_int_equal(s->n, n);
    assert_int_equal(s->height, h);
    assert_int_equal(s->width, w);
    assert_int_equal(s->channels, c);
    assert_non_null(s->u8);
    assert_null(s->f32);
    assert_memory_equal(s->u8, pix, (size_t)n * (size_t)(h * w * c));
    for (int i = 0; i < n; i++) assert_int_equal(s->labels[i], labels[i]);
}

static const uint8_t LABELS[6] = {3, 0, 255, 9, 1, 7};

/* ---- IDX: reading back ---- */

static void roundtrip(int gz_images, int gz_labels, const char *img_name, const char *lab_name) {
    uint8_t *pix = pixels(3 * 4 * 5);
    const char *img = tmp_path(img_name), *lab = tmp_path(lab_name);
    write_images(img, gz_images, 3, 4, 5, pix);
    write_labels(lab, gz_labels, 3, LABELS);
    qat_image_set s;
    qat_error e = {0};
    if (qat_idx_read(img, lab, 0, &s, &e)) fail_msg("%s", e.msg);
    expect_set(&s, 3, 4, 5, 1, pix, LABELS);
    qat_image_set_free(&s);
    assert_null(s.u8);
    assert_null(s.labels);
    assert_int_equal(s.n, 0);
    free(pix);
}

static void test_idx_plain(void **state) {
    (void)state;
    roundtrip(0, 0, "plain-images-idx3-ubyte", "plain-labels-idx1-ubyte");
}

/* The content decides, not the name: gzip without .gz, plain with .gz, mixed. */
static void test_idx_gzip(void **state) {
    (void)state;
    roundtrip(1, 1, "gz-images-idx3-ubyte.gz", "gz-labels-idx1-ubyte.gz");
    roundtrip(1, 0, "gz-images-no-suffix", "plain-labels.gz");
}

static void test_idx_limit(void **state) {
    (void)state;
    uint8_t *pix = pixels(6 * 2 * 3);
    for (int gz = 0; gz <= 1; gz++) {
        const char *img = tmp_path(gz ? "lim-img.gz" : "lim-img"), *lab = tmp_path("lim-lab");
        write_images(img, gz, 6, 2, 3, pix);
        write_labels(lab, gz, 6, LABELS);
        static const int limits[] = {1, 4, 6, 7, 0};
        for (int k = 0; k < 5; k++) {
            qat_image_set s;
            qat_error e = {0};
            if (qat_idx_read(img, lab, limits[k], &s, &e)) fail_msg("%s", e.msg);
            int n = limits[k] > 0 && limits[k] < 6 ? limits[k] : 6;
            expect_set(&s, n, 2, 3, 1, pix, LABELS);
            qat_image_set_free(&s);
        }
    }
    free(pix);
}

/* 66,051 (0x010203) one-pixel images: every byte of the count but the top one matters. */
static void test_idx_header_byte_order(void **state) {
    (void)state;
    const uint32_t n = 0x010203;
    uint8_t *pix = pixels(n);
    const char *img = tmp_path("order-img"), *lab = tmp_path("order-lab.gz");
    write_images(img, 0, n, 1, 1, pix);
    write_labels(lab, 1, n, pix);
    qat_image_set s;
    qat_error e = {0};
    if (qat_idx_read(img, lab, 0, &s, &e)) fail_msg("%s", e.msg);
    expect_set(&s, (int)n, 1, 1, 1, pix, pix);
    qat_image_set_free(&s);
    free(pix);
}

/* Decompressed data larger than the first buffer (1 MiB): it grows twice, and every byte
 * arrives in place. */
static void test_idx_gzip_growth(void **state) {
    (void)state;
    const uint32_t n = 4000; /* 4000 × 28 × 28 = 3.1 MB */
    uint8_t *pix = pixels((size_t)n * 28 * 28), *lab8 = pixels(n);
    const char *img = tmp_path("big-img.gz"), *lab = tmp_path("big-lab.gz");
    write_images(img, 1, n, 28, 28, pix);
    write_labels(lab, 1, n, lab8);
    qat_image_set s;
    qat_error e = {0};
    if (qat_idx_read(img, lab, 0, &s, &e)) fail_msg("%s", e.msg);
    expect_set(&s, (int)n, 28, 28, 1, pix, lab8);
    qat_image_set_free(&s);
    free(pix);
    free(lab8);
}

/* ---- IDX: refusals ---- */

/* A reader's refusal: status `status` (got), a message naming `who` and holding `needle`, on
 * one line, and the set left empty. */
static void check_refusal(qat_status got, const qat_image_set *s, const qat_error *e,
                          qat_status status, const char *who, const char *needle) {
    assert_int_equal(got, status);
    assert_int_equal(e->status, status);
    if (strncmp(e->msg, who, strlen(who)) != 0)
        fail_msg("message '%s' does not start with '%s'", e->msg, who);
    if (!strstr(e->msg, needle)) fail_msg("message '%s' lacks '%s'", e->msg, needle);
    assert_null(strchr(e->msg, '\n'));
    assert_null(s->u8);
    assert_null(s->f32);
    assert_null(s->labels);
    assert_int_equal(s->n, 0);
    print_message("%s\n", e->msg);
}

/* Reads images/labels, which must be refused (check_refusal). */
static void expect_idx_error(const char *images, const char *labels, qat_status status,
                             const char *who, const char *needle) {
    qat_image_set s;
    memset(&s, 0x7f, sizeof s);
    qat_error e = {0};
    qat_status got = qat_idx_read(images, labels, 0, &s, &e);
    check_refusal(got, &s, &e, status, who, needle);
}

/* A good pair (3 images of 4 × 5, 3 labels), in plain and gzip form. */
static const char *good_images(int gz) {
    static uint8_t pix[60];
    for (int i = 0; i < 60; i++) pix[i] = (uint8_t)i;
    static char p[2][400];
    snprintf(p[gz], sizeof p[gz], "%s/%s", tmpdir, gz ? "good-img.gz" : "good-img");
    write_images(p[gz], gz, 3, 4, 5, pix);
    return p[gz];
}

static const char *good_labels(int gz) {
    static char p[2][400];
    snprintf(p[gz], sizeof p[gz], "%s/%s", tmpdir, gz ? "good-lab.gz" : "good-lab");
    write_labels(p[gz], gz, 3, LABELS);
    return p[gz];
}

static void test_idx_wrong_magic(void **state) {
    (void)state;
    const char *bad = tmp_path("zip");
    write_bytes(bad, 0, "PK\x03\x04 not idx at all", 20);
    expect_idx_error(bad, good_labels(0), QAT_ERR_FORMAT, bad,
                     "not an IDX image file (magic 0x504b0304; expected 0x00000803");
    expect_idx_error(good_images(0), bad, QAT_ERR_FORMAT, bad,
                     "not an IDX label file (magic 0x504b0304; expected 0x00000801");
    for (int gz = 0; gz <= 1; gz++) { /* swapped, plain and compressed */
        const char *img = good_images(gz), *lab = good_labels(gz);
        expect_idx_error(lab, lab, QAT_ERR_FORMAT, lab,
                         "an IDX label file (magic 0x00000801) given as the images");
        expect_idx_error(img, img, QAT_ERR_FORMAT, img,
                         "an IDX image file (magic 0x00000803) given as the labels");
    }
    const char *f32 = tmp_path("float-idx");
    const uint32_t dims[3] = {1, 1, 1};
    write_idx(f32, 0, 0x00000d03, dims, 3, "\0\0\0\0", 4, 0);
    expect_idx_error(f32, good_labels(0), QAT_ERR_FORMAT, f32,
                     "an IDX file of float32 in 3 dimensions (magic 0x00000d03)");
}

static void test_idx_truncated_header(void **state) {
    (void)state;
    const char *p = tmp_path("short-hdr");
    const uint32_t dims[3] = {3, 4, 5};
    for (int gz = 0; gz <= 1; gz++) {
        write_idx(p, gz, 0x803, dims, 1, NULL, 0, 0); /* magic and count only: 8 bytes */
        expect_idx_error(p, good_labels(0), QAT_ERR_FORMAT, p,
                         "truncated IDX header: 8 of its 16 bytes");
        write_bytes(p, gz, "\0\0", 2);
        expect_idx_error(good_images(0), p, QAT_ERR_FORMAT, p,
                         "truncated IDX header: 2 of its 8 bytes");
        write_bytes(p, gz, "", 0);
        expect_idx_error(p, good_labels(0), QAT_ERR_FORMAT, p,
                         gz ? "empty after decompression" : "empty file");
    }
}

/* A compressed labels file that declares n labels and holds none: the partner of an image
 * file whose claim is tested (its header passes, the counts agree, the images are read). */
static const char *claimed_labels(uint32_t n) {
    const char *p = tmp_path("claimed-labels.gz");
    write_idx(p, 1, 0x801, &n, 1, NULL, 0, 0);
    return p;
}

/* The sizes, each of its four bytes read in its place (seen in the message), and bounded. */
static void test_idx_bad_sizes(void **state) {
    (void)state;
    const char *p = tmp_path("sizes");
    struct { uint32_t n, h, w; qat_status st; const char *needle; } cases[] = {
        {0, 28, 28, QAT_ERR_DATA, "the header declares no images"},
        {3, 0, 5, QAT_ERR_DATA, "3 images of 0×5 pixels; at most 100000000 images of 1 to 4096"},
        {3, 4, 4097, QAT_ERR_DATA, "3 images of 4×4097 pixels; at most"},
        {0x06000000, 28, 28, QAT_ERR_DATA, "100663296 images of 28×28 pixels; at most"},
        {0x05000000, 0x0f01, 0x0e02, QAT_ERR_FORMAT, "83886080 images of 3841×3586 pixels"},
        {0x00040302, 1, 1, QAT_ERR_FORMAT, "262914 images of 1×1 pixels"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int gz = 0; gz <= 1; gz++) {
            const uint32_t dims[3] = {cases[i].n, cases[i].h, cases[i].w};
            write_idx(p, gz, 0x803, dims, 3, "abc", 3, 0);
            expect_idx_error(p, claimed_labels(cases[i].n), cases[i].st, p, cases[i].needle);
        }
    const uint32_t zero = 0, many = 100000001;
    write_idx(p, 0, 0x801, &zero, 1, NULL, 0, 0);
    expect_idx_error(good_images(0), p, QAT_ERR_DATA, p, "the header declares no labels");
    write_idx(p, 1, 0x801, &many, 1, NULL, 0, 0);
    expect_idx_error(good_images(0), p, QAT_ERR_DATA, p,
                     "100000001 labels; at most 100000000 are read");
}

/* A header's claim is not an allocation: 10^8 images of 4096 × 4096 (1.6 PB) in 100 bytes
 * of gzip (or plain) is a truncated file, not an out-of-memory one. */
static void test_idx_claim_without_data(void **state) {
    (void)state;
    const char *p = tmp_path("claim.gz");
    const uint32_t dims[3] = {100000000, 4096, 4096};
    uint8_t *pix = pixels(5000);
    for (int gz = 0; gz <= 1; gz++) {
        write_idx(p, gz, 0x803, dims, 3, pix, 5000, 0);
        expect_idx_error(p, claimed_labels(dims[0]), QAT_ERR_FORMAT, p,
                         "truncated: the header declares 100000000 images of 4096×4096 pixels");
        expect_idx_error(p, claimed_labels(dims[0]), QAT_ERR_FORMAT, p, "(0 complete images");
    }
    free(pix);
}

static void test_idx_truncated_data(void **state) {
    (void)state;
    uint8_t pix[60] = {0};
    const uint32_t dims[3] = {3, 4, 5};
    const char *p = tmp_path("cut"), *lab = good_labels(0);
    write_idx(p, 0, 0x803, dims, 3, pix, 50, 0);
    expect_idx_error(p, lab, QAT_ERR_FORMAT, p,
                     "truncated: the header declares 3 images of 4×5 pixels (76 bytes with the "
                     "header), the file holds 66 bytes (2 complete images)");
    write_idx(p, 1, 0x803, dims, 3, pix, 50, 0);
    expect_idx_error(p, lab, QAT_ERR_FORMAT, p,
                     "truncated: the header declares 3 images of 4×5 pixels, the decompressed "
                     "data ends after 50 bytes (2 complete images)");
    const uint32_t n = 3;
    write_idx(p, 0, 0x801, &n, 1, LABELS, 2, 0);
    expect_idx_error(good_images(0), p, QAT_ERR_FORMAT, p, "(2 complete labels)");
}

/* A gzip stream cut short (the gzip tool's "unexpected end of file"). */
static void test_idx_gzip_cut(void **state) {
    (void)state;
    uint8_t *pix = pixels(4000 * 28);
    const char *full = tmp_path("whole.gz"), *cut = tmp_path("cut.gz"), *lab = tmp_path("4k");
    write_images(full, 1, 4000, 28, 1, pix);
    write_labels(lab, 0, 4000, pix);
    void *data;
    size_t n;
    qat_error e = {0};
    assert_int_equal(qat_read_file(full, &data, &n, &e), QAT_OK);
    write_bytes(cut, 0, data, n / 2);
    expect_idx_error(cut, lab, QAT_ERR_FORMAT, cut, "the gzip stream is cut short)");
    /* every image there, the trailer (CRC-32, length) cut: the data is unchecked */
    write_bytes(cut, 0, data, n - 4);
    expect_idx_error(cut, lab, QAT_ERR_FORMAT, cut,
                     "truncated: the gzip stream is cut short after the 4000 images of 28×1 "
                     "pixels the header declares");
    write_bytes(cut, 0, data, n - 8);
    expect_idx_error(cut, lab, QAT_ERR_FORMAT, cut, "cut short after the 4000 images");
    qat_image_set s; /* what a limit leaves unread is not looked at */
    if (qat_idx_read(cut, lab, 3999, &s, &e)) fail_msg("%s", e.msg);
    qat_image_set_free(&s);
    free(data);
    free(pix);
}

static void test_idx_trailing_bytes(void **state) {
    (void)state;
    uint8_t pix[60] = {0};
    const uint32_t dims[3] = {3, 4, 5}, n = 3;
    const char *p = tmp_path("trail"), *lab = good_labels(1);
    write_idx(p, 0, 0x803, dims, 3, pix, 60, 3);
    expect_idx_error(p, lab, QAT_ERR_FORMAT, p,
                     "3 unexpected bytes after the 3 images of 4×5 pixels the header declares: "
                     "not the file it describes");
    write_idx(p, 1, 0x803, dims, 3, pix, 60, 3);
    expect_idx_error(p, lab, QAT_ERR_FORMAT, p,
                     "3 unexpected bytes (decompressed) after the 3 images of 4×5 pixels");
    write_idx(p, 1, 0x801, &n, 1, LABELS, 3, 1);
    expect_idx_error(good_images(1), p, QAT_ERR_FORMAT, p,
                     "1 unexpected bytes (decompressed) after the 3 labels");
    write_idx(p, 0, 0x801, &n, 1, LABELS, 3, 70000);
    expect_idx_error(good_images(0), p, QAT_ERR_FORMAT, p, "70000 unexpected bytes after");
    /* a plain file's size is checked whatever the limit */
    write_idx(p, 0, 0x803, dims, 3, pix, 60, 1);
    qat_image_set s;
    qat_error e = {0};
    assert_int_equal(qat_idx_read(p, good_labels(0), 1, &s, &e), QAT_ERR_FORMAT);
}

static void test_idx_corrupt_gzip(void **state) {
    (void)state;
    const char *p = tmp_path("corrupt.gz");
    /* a gzip header, then a deflate block of reserved type 3 */
    const unsigned char bad[] = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff,
                                 0, 0, 0, 0, 0, 0};
    write_bytes(p, 0, bad, sizeof bad);
    expect_idx_error(p, good_labels(0), QAT_ERR_FORMAT, p, "not valid gzip data (zlib: ");
    /* a good stream with a flipped byte in its middle: the data or its CRC is wrong */
    uint8_t *pix = pixels(3000);
    const char *lab = tmp_path("ten");
    write_images(p, 1, 10, 20, 15, pix);
    write_labels(lab, 0, 10, pix);
    void *data;
    size_t n;
    qat_error e = {0};
    assert_int_equal(qat_read_file(p, &data, &n, &e), QAT_OK);
    ((unsigned char *)data)[n / 2] ^= 0x55;
    write_bytes(p, 0, data, n);
    qat_image_set s;
    assert_int_equal(qat_idx_read(p, lab, 0, &s, &e), QAT_ERR_FORMAT);
    print_message("%s\n", e.msg);
    assert_non_null(strstr(e.msg, p));
    free(data);
    /* the data intact, its CRC-32 wrong */
    write_images(p, 1, 10, 20, 15, pix);
    assert_int_equal(qat_read_file(p, &data, &n, &e), QAT_OK);
    ((unsigned char *)data)[n - 8] ^= 1;
    write_bytes(p, 0, data, n);
    expect_idx_error(p, lab, QAT_ERR_FORMAT, p, "not valid gzip data (zlib: incorrect data check)");
    free(data);
    free(pix);
}

static void test_idx_count_mismatch(void **state) {
    (void)state;
    const char *img = good_images(1), *lab = tmp_path("two-labels");
    write_labels(lab, 0, 2, LABELS);
    expect_idx_error(img, lab, QAT_ERR_DATA, lab, "2 labels, but ");
    char want[600];
    snprintf(want, sizeof want, "but %s holds 3 images (each image needs exactly one label)", img);
    expect_idx_error(img, lab, QAT_ERR_DATA, lab, want);
    qat_image_set s; /* also with a limit: the headers disagree */
    qat_error e = {0};
    assert_int_equal(qat_idx_read(img, lab, 1, &s, &e), QAT_ERR_DATA);
}

static void test_idx_not_regular_files(void **state) {
    (void)state;
    const char *lab = good_labels(0), *missing = tmp_path("no-such-file");
    expect_idx_error(missing, lab, QAT_ERR_IO, missing, "cannot open");
    expect_idx_error(tmpdir, lab, QAT_ERR_IO, tmpdir, "not a regular file (a folder)");
    const char *fifo = tmp_path("fifo");
    assert_int_equal(mkfifo(fifo, 0600), 0);
    expect_idx_error(good_images(0), fifo, QAT_ERR_IO, fifo, "not a regular file (a named pipe)");
    qat_image_set s;
    qat_error e = {0};
    assert_int_equal(qat_idx_read(good_images(0), lab, -1, &s, &e), QAT_ERR_CONFIG);
    assert_null(s.u8);
}

/* Debian's dataset-fashion-mnist: the t10k set, first 100 images, then all 10,000 (1,000 of
 * each class). */
static void test_fashion_mnist(void **state) {
    (void)state;
    const char *img = FASHION_MNIST "/t10k-images-idx3-ubyte.gz";
    const char *lab = FASHION_MNIST "/t10k-labels-idx1-ubyte.gz";
    if (access(img, R_OK) != 0 || access(lab, R_OK) != 0) {
        printf("SKIP: %s: real IDX files (%s not found; apt install dataset-fashion-mnist)\n",
               __func__, img);
        fflush(stdout);
        skip();
    }
    qat_image_set s;
    qat_error e = {0};
    if (qat_idx_read(img, lab, 100, &s, &e)) fail_msg("%s", e.msg);
    assert_int_equal(s.n, 100);
    assert_int_equal(s.height, 28);
    assert_int_equal(s.width, 28);
    assert_int_equal(s.channels, 1);
    for (int i = 0; i < s.n; i++) assert_in_range(s.labels[i], 0, 9);
    qat_image_set_free(&s);
    if (qat_idx_read(img, lab, 0, &s, &e)) fail_msg("%s", e.msg);
    assert_int_equal(s.n, 10000);
    int count[10] = {0};
    for (int i = 0; i < s.n; i++) {
        assert_in_range(s.labels[i], 0, 9);
        count[s.labels[i]]++;
    }
    for (int c = 0; c < 10; c++) assert_int_equal(count[c], 1000);
    qat_image_set_free(&s);
}

/* ---- NumPy image arrays ---- */

static const char *npy(const char *name, qat_dtype t, int nd, const size_t *shape,
                       const void *data) {
    const char *p = tmp_path(name);
    qat_error e = {0};
    if (qat_npy_write(p, t, nd, shape, data, &e)) fail_msg("%s", e.msg);
    return p;
}

static void test_npy_u8_3d(void **state) {
    (void)state;
    uint8_t *pix = pixels(3 * 4 * 5);
    const size_t xs[3] = {3, 4, 5}, ys[1] = {3};
    const char *x = npy("x3.npy", QAT_DTYPE_U8, 3, xs, pix);
    const char *y = npy("y3.npy", QAT_DTYPE_U8, 1, ys, LABELS);
    qat_image_set s;
    qat_error e = {0};
    if (qat_image_npy_read(x, y, 0, &s, &e)) fail_msg("%s", e.msg);
    expect_set(&s, 3, 4, 5, 1, pix, LABELS);
    qat_image_set_free(&s);
    if (qat_image_npy_read(x, y, 2, &s, &e)) fail_msg("%s", e.msg); /* limit */
    expect_set(&s, 2, 4, 5, 1, pix, LABELS);
    qat_image_set_free(&s);
    free(pix);
}

static void test_npy_f32_4d(void **state) {
    (void)state;
    float v[2 * 3 * 4 * 2];
    for (int i = 0; i < 48; i++) v[i] = (float)i * 0.25f - 3.0f;
    const int64_t lab[2] = {7, 2147483647};
    const size_t xs[4] = {2, 3, 4, 2}, ys[1] = {2};
    const char *x = npy("x4.npy", QAT_DTYPE_F32, 4, xs, v);
    const char *y = npy("y4.npy", QAT_DTYPE_I64, 1, ys, lab);
    qat_image_set s;
    qat_error e = {0};
    if (qat_image_npy_read(x, y, 0, &s, &e)) fail_msg("%s", e.msg);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.height, 3);
    assert_int_equal(s.width, 4);
    assert_int_equal(s.channels, 2);
    assert_null(s.u8);
    assert_non_null(s.f32);
    assert_memory_equal(s.f32, v, sizeof v);
    assert_int_equal(s.labels[0], 7);
    assert_int_equal(s.labels[1], 2147483647);
    qat_image_set_free(&s);
    /* uint8 4-D with int32 labels, float64 converted to float32 */
    double d[48];
    for (int i = 0; i < 48; i++) d[i] = v[i];
    const int32_t l32[2] = {0, 5};
    x = npy("x4d.npy", QAT_DTYPE_F64, 4, xs, d);
    y = npy("y4i.npy", QAT_DTYPE_I32, 1, ys, l32);
    if (qat_image_npy_read(x, y, 1, &s, &e)) fail_msg("%s", e.msg);
    assert_int_equal(s.n, 1);
    assert_memory_equal(s.f32, v, 24 * sizeof(float));
    assert_int_equal(s.labels[0], 0);
    qat_image_set_free(&s);
    uint8_t *pix = pixels(48);
    x = npy("x4u.npy", QAT_DTYPE_U8, 4, xs, pix);
    if (qat_image_npy_read(x, y, 0, &s, &e)) fail_msg("%s", e.msg);
    assert_int_equal(s.channels, 2);
    assert_memory_equal(s.u8, pix, 48);
    assert_int_equal(s.labels[1], 5);
    qat_image_set_free(&s);
    free(pix);
}

static void expect_npy_error(const char *x, const char *y, qat_status status, const char *who,
                             const char *needle) {
    qat_image_set s;
    memset(&s, 0x7f, sizeof s);
    qat_error e = {0};
    qat_status got = qat_image_npy_read(x, y, 0, &s, &e);
    check_refusal(got, &s, &e, status, who, needle);
}

static void test_npy_bad_dtypes_and_shapes(void **state) {
    (void)state;
    uint8_t z[2 * 3 * 4 * 32] = {0};
    const size_t s3[3] = {2, 3, 4}, s2[2] = {2, 12}, s1[1] = {2}, sc[4] = {2, 3, 4, 32};
    const size_t s21[2] = {2, 1}, s0[3] = {0, 3, 4}, s01[1] = {0};
    const char *x = npy("ok-x.npy", QAT_DTYPE_U8, 3, s3, z);
    const char *y = npy("ok-y.npy", QAT_DTYPE_U8, 1, s1, LABELS);
    const char *p = npy("i8-x.npy", QAT_DTYPE_I8, 3, s3, z);
    expect_npy_error(p, y, QAT_ERR_DATA, p, "int8 images; expected uint8 or float32");
    p = npy("i4-x.npy", QAT_DTYPE_I32, 1, s1, z);
    expect_npy_error(p, y, QAT_ERR_DATA, p, "int32 images");
    p = npy("2d-x.npy", QAT_DTYPE_U8, 2, s2, z);
    expect_npy_error(p, y, QAT_ERR_DATA, p,
                     "shape (2, 12); expected images (N, H, W) or (N, H, W, C), channels last");
    p = npy("chw-x.npy", QAT_DTYPE_U8, 4, sc, z);
    expect_npy_error(p, y, QAT_ERR_DATA, p, "shape (2, 3, 4, 32); expected 1 to 100000000 images");
    p = npy("f-y.npy", QAT_DTYPE_F32, 1, s1, z);
    expect_npy_error(x, p, QAT_ERR_DATA, p, "float32 labels; expected uint8, int32 or int64");
    p = npy("col-y.npy", QAT_DTYPE_U8, 2, s21, z);
    expect_npy_error(x, p, QAT_ERR_DATA, p, "shape (2, 1); expected labels (N,) (save y.ravel())");
    p = npy("empty-x.npy", QAT_DTYPE_U8, 3, s0, z);
    expect_npy_error(p, npy("empty-y.npy", QAT_DTYPE_U8, 1, s01, z), QAT_ERR_DATA, p,
                     "shape (0, 3, 4); expected 1 to");
    const char *missing = tmp_path("missing.npy");
    expect_npy_error(missing, y, QAT_ERR_IO, missing, "cannot open");
    expect_npy_error(x, missing, QAT_ERR_IO, missing, "cannot open");
}

static void test_npy_bad_labels_and_counts(void **state) {
    (void)state;
    uint8_t z[3 * 3 * 4] = {0};
    const size_t s3[3] = {3, 3, 4}, s1[1] = {3}, s2[1] = {2};
    const char *x = npy("lab-x.npy", QAT_DTYPE_U8, 3, s3, z);
    const int32_t neg[3] = {0, -1, 2};
    const char *p = npy("neg-y.npy", QAT_DTYPE_I32, 1, s1, neg);
    expect_npy_error(x, p, QAT_ERR_DATA, p, "label [1] is -1; labels are 0 to 2147483647");
    const int64_t big[3] = {0, 1, 2147483648LL};
    p = npy("big-y.npy", QAT_DTYPE_I64, 1, s1, big);
    expect_npy_error(x, p, QAT_ERR_DATA, p, "label [2] is 2147483648");
    const int64_t neg64[3] = {-5, 1, 2};
    p = npy("neg64-y.npy", QAT_DTYPE_I64, 1, s1, neg64);
    expect_npy_error(x, p, QAT_ERR_DATA, p, "label [0] is -5");
    p = npy("two-y.npy", QAT_DTYPE_U8, 1, s2, LABELS);
    char want[600];
    snprintf(want, sizeof want, "2 labels, but %s holds 3 images (each image needs exactly one "
             "label)", x);
    expect_npy_error(x, p, QAT_ERR_DATA, p, want);
    qat_image_set s; /* the files' counts, whatever the limit */
    qat_error e = {0};
    assert_int_equal(qat_image_npy_read(x, p, 1, &s, &e), QAT_ERR_DATA);
    assert_int_equal(qat_image_npy_read(x, npy("ok3.npy", QAT_DTYPE_U8, 1, s1, LABELS), -2, &s,
                                        &e), QAT_ERR_CONFIG);
    /* float64 pixels must fit float32 */
    const double huge[12] = {0, 1, 1e300};
    const size_t s13[3] = {1, 3, 4}, s11[1] = {1};
    p = npy("inf-x.npy", QAT_DTYPE_F64, 3, s13, huge);
    expect_npy_error(p, npy("one-y.npy", QAT_DTYPE_U8, 1, s11, LABELS), QAT_ERR_DATA, p,
                     "element 2 [0, 0, 2] is a value beyond float32 range");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idx_plain),
        cmocka_unit_test(test_idx_gzip),
        cmocka_unit_test(test_idx_limit),
        cmocka_unit_test(test_idx_header_byte_order),
        cmocka_unit_test(test_idx_gzip_growth),
        cmocka_unit_test(test_idx_wrong_magic),
        cmocka_unit_test(test_idx_truncated_header),
        cmocka_unit_test(test_idx_bad_sizes),
        cmocka_unit_test(test_idx_claim_without_data),
        cmocka_unit_test(test_idx_truncated_data),
        cmocka_unit_test(test_idx_gzip_cut),
        cmocka_unit_test(test_idx_trailing_bytes),
        cmocka_unit_test(test_idx_corrupt_gzip),
        cmocka_unit_test(test_idx_count_mismatch),
        cmocka_unit_test(test_idx_not_regular_files),
        cmocka_unit_test(test_fashion_mnist),
        cmocka_unit_test(test_npy_u8_3d),
        cmocka_unit_test(test_npy_f32_4d),
        cmocka_unit_test(test_npy_bad_dtypes_and_shapes),
        cmocka_unit_test(test_npy_bad_labels_and_counts),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
