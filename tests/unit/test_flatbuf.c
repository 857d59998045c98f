/* FlatBuffers builder and reader: byte layouts worked out by hand (tflite-int8.md §1), read
 * back through the checked reader, and the reader on truncated, mutated, garbage and
 * deliberately malformed buffers — each must fail cleanly or succeed, never read out of
 * bounds (run under ASan: every buffer handed to the reader is a fresh allocation of exactly
 * its length). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qat/flatbuf.h"

static void finish(qat_fb_builder *b, qat_fb_ref root, const char *ident, unsigned char **out,
                   size_t *len) {
    assert_int_equal(qat_fb_finish(b, root, ident, out, len), 0);
}

static void assert_bytes(const unsigned char *got, size_t n, const unsigned char *want,
                         size_t wn) {
    if (n != wn || memcmp(got, want, n) != 0) {
        for (size_t i = 0; i < n; i++) fprintf(stderr, "%02x%s", got[i], i % 16 == 15 ? "\n" : " ");
        fprintf(stderr, "\n");
    }
    assert_int_equal(n, wn);
    assert_memory_equal(got, want, n);
}

/* A table {0: int 0x11223344, 1: absent, 2: ubyte 0xAB} with identifier "TEST":
 *   0  root uoffset 20          4  "TEST"         8  2 bytes padding
 *  10  vtable [10, 12, 8, 0, 7] (size, table size, field offsets; field 1 absent = 0)
 *  20  soffset 10 (vtable at 20 - 10)             24 3 bytes padding
 *  27  0xAB                     28  0x11223344 */
static void test_table_two_scalars_one_absent(void **state) {
    (void)state;
    qat_fb_builder b;
    qat_fb_builder_init(&b);
    qat_fb_table_start(&b);
    qat_fb_add_i32(&b, 0, 0x11223344);
    qat_fb_add_u8(&b, 2, 0xAB);
    qat_fb_ref t = qat_fb_table_end(&b);
    unsigned char *buf;
    size_t len;
    finish(&b, t, "TEST", &buf, &len);
    static const unsigned char want[] = {
        0x14, 0, 0, 0, 'T', 'E', 'S', 'T', 0, 0, 0x0a, 0, 0x0c, 0, 0x08, 0,
        0, 0, 0x07, 0, 0x0a, 0, 0, 0, 0, 0, 0, 0xab, 0x44, 0x33, 0x22, 0x11};
    assert_bytes(buf, len, want, sizeof want);

    qat_fb_reader r;
    qat_fb_table root;
    assert_int_equal(qat_fb_reader_init(&r, buf, len, "TEST"), 0);
    assert_int_equal(qat_fb_root(&r, &root), 0);
    int32_t a;
    uint8_t c;
    uint32_t absent;
    assert_int_equal(qat_fb_read_i32(&root, 0, 0, &a), 0);
    assert_int_equal(a, 0x11223344);
    assert_int_equal(qat_fb_read_u32(&root, 1, 77, &absent), 0);
    assert_int_equal(absent, 77);
    assert_int_equal(qat_fb_read_u8(&root, 2, 0, &c), 0);
    assert_int_equal(c, 0xAB);
    assert_true(qat_fb_present(&root, 0));
    assert_false(qat_fb_present(&root, 1));
    assert_false(qat_fb_present(&root, 9)); /* past the vtable's end */
    assert_int_not_equal(qat_fb_reader_init(&r, buf, len, "TFL3"), 0);
    free(buf);
}

/* A table whose field 0 is the vector [1, -2, 3] (no identifier):
 *   0 root 12   4 pad   6 vtable [6, 8, 4]   12 soffset 6   16 uoffset 4 -> 20
 *  20 count 3   24 1, -2, 3 */
static void test_vector_of_ints(void **state) {
    (void)state;
    qat_fb_builder b;
    qat_fb_builder_init(&b);
    const int32_t v[] = {1, -2, 3};
    qat_fb_ref vec = qat_fb_create_vec_i32(&b, v, 3);
    qat_fb_table_start(&b);
    qat_fb_add_ref(&b, 0, vec);
    qat_fb_ref t = qat_fb_table_end(&b);
    unsigned char *buf;
    size_t len;
    finish(&b, t, NULL, &buf, &len);
    static const unsigned char want[] = {
        0x0c, 0, 0, 0, 0, 0, 0x06, 0, 0x08, 0, 0x04, 0, 0x06, 0, 0, 0, 0x04, 0, 0,
        0,    3, 0, 0, 0, 1, 0, 0,    0, 0xfe, 0xff, 0xff, 0xff, 3, 0, 0, 0};
    assert_bytes(buf, len, want, sizeof want);

    qat_fb_reader r;
    qat_fb_table root;
    qat_fb_vec rv;
    int present;
    assert_int_equal(qat_fb_reader_init(&r, buf, len, NULL), 0);
    assert_int_equal(qat_fb_root(&r, &root), 0);
    assert_int_equal(qat_fb_read_vec(&root, 0, 4, &rv, &present), 0);
    assert_true(present);
    assert_int_equal(rv.n, 3);
    assert_int_equal(qat_fb_vec_i32(&rv, 0), 1);
    assert_int_equal(qat_fb_vec_i32(&rv, 1), -2);
    assert_int_equal(qat_fb_vec_i32(&rv, 2), 3);
    assert_int_equal(qat_fb_read_vec(&root, 1, 4, &rv, &present), 0);
    assert_false(present);
    assert_int_equal(rv.n, 0);
    free(buf);
}

/* A table whose field 0 is the string "hi":
 *   0 root 12   4 pad   6 vtable [6, 8, 4]   12 soffset 6   16 uoffset 4 -> 20
 *  20 length 2   24 'h' 'i' NUL   27 pad */
static void test_string_with_nul(void **state) {
    (void)state;
    qat_fb_builder b;
    qat_fb_builder_init(&b);
    qat_fb_ref s = qat_fb_create_string(&b, "hi");
    qat_fb_table_start(&b);
    qat_fb_add_ref(&b, 0, s);
    qat_fb_ref t = qat_fb_table_end(&b);
    unsigned char *buf;
    size_t len;
    finish(&b, t, NULL, &buf, &len);
    static const unsigned char want[] = {0x0c, 0, 0, 0, 0, 0, 0x06, 0, 0x08, 0, 0x04, 0, 0x06, 0,
                                         0,    0, 0x04, 0, 0, 0, 2,  0, 0, 0, 'h', 'i', 0, 0};
    assert_bytes(buf, len, want, sizeof want);

    qat_fb_reader r;
    qat_fb_table root;
    const char *str;
    uint32_t n;
    assert_int_equal(qat_fb_reader_init(&r, buf, len, NULL), 0);
    assert_int_equal(qat_fb_root(&r, &root), 0);
    assert_int_equal(qat_fb_read_string(&root, 0, &str, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(str, "hi");
    /* without its NUL the string is rejected */
    buf[26] = 'x';
    assert_int_equal(qat_fb_reader_init(&r, buf, len, NULL), 0);
    assert_int_equal(qat_fb_root(&r, &root), 0);
    assert_int_not_equal(qat_fb_read_string(&root, 0, &str, &n, NULL), 0);
    assert_non_null(r.err);
    free(buf);
}

/* A parent whose union (tag field 0, value field 1) holds a child table {0: float 1.0}:
 *   0 root 12   4 parent vtable [8, 10, 9, 4]   12 soffset 8   16 uoffset 12 -> 28
 *  20 pad   21 tag 9   22 child vtable [6, 8, 4]   28 soffset 6   32 1.0f */
static void test_union(void **state) {
    (void)state;
    qat_fb_builder b;
    qat_fb_builder_init(&b);
    qat_fb_table_start(&b);
    qat_fb_add_f32(&b, 0, 1.0f);
    qat_fb_ref child = qat_fb_table_end(&b);
    qat_fb_table_start(&b);
    qat_fb_add_union(&b, 0, 9, child);
    qat_fb_ref t = qat_fb_table_end(&b);
    unsigned char *buf;
    size_t len;
    finish(&b, t, NULL, &buf, &len);
    static const unsigned char want[] = {
        0x0c, 0, 0, 0, 0x08, 0, 0x0a, 0, 0x09, 0, 0x04, 0, 0x08, 0, 0, 0,    0x0c, 0,
        0,    0, 0, 9, 0x06, 0, 0x08, 0, 0x04, 0, 0x06, 0, 0,    0, 0, 0, 0x80, 0x3f};
    assert_bytes(buf, len, want, sizeof want);

    qat_fb_reader r;
    qat_fb_table root, sub;
    uint8_t tag;
    float f;
    int present;
    assert_int_equal(qat_fb_reader_init(&r, buf, len, NULL), 0);
    assert_int_equal(qat_fb_root(&r, &root), 0);
    assert_int_equal(qat_fb_read_u8(&root, 0, 0, &tag), 0);
    assert_int_equal(tag, 9);
    assert_int_equal(qat_fb_read_table(&root, 1, &sub, &present), 0);
    assert_true(present);
    assert_int_equal(sub.depth, 2);
    assert_int_equal(qat_fb_read_f32(&sub, 0, 0.0f, &f), 0);
    assert_true(f == 1.0f);
    free(buf);
}

/* Buffer.data (force_align 16): the data start is 16-aligned from byte 0 whatever came
 * before it, its length prefix sits just below, and the file is a multiple of 16. */
static void test_aligned_byte_vector(void **state) {
    (void)state;
    for (size_t pre = 0; pre < 20; pre++) {
        qat_fb_builder b;
        qat_fb_builder_init(&b);
        char junk[32];
        memset(junk, 'j', sizeof junk);
        qat_fb_ref s = qat_fb_create_string_n(&b, junk, pre);
        uint8_t data[5] = {1, 2, 3, 4, 5};
        qat_fb_ref d = qat_fb_create_vec_u8(&b, data, sizeof data, 16);
        qat_fb_table_start(&b);
        qat_fb_add_u8(&b, 2, 1);
        qat_fb_add_ref(&b, 0, d);
        qat_fb_add_ref(&b, 1, s);
        qat_fb_ref t = qat_fb_table_end(&b);
        unsigned char *buf;
        size_t len;
        finish(&b, t, "ABCD", &buf, &len);
        assert_int_equal(len % 16, 0);
        qat_fb_reader r;
        qat_fb_table root;
        qat_fb_vec v;
        assert_int_equal(qat_fb_reader_init(&r, buf, len, "ABCD"), 0);
        assert_int_equal(qat_fb_root(&r, &root), 0);
        assert_int_equal(qat_fb_read_vec(&root, 0, 1, &v, NULL), 0);
        assert_int_equal(v.pos % 16, 0);
        assert_int_equal(v.n, 5);
        assert_memory_equal(qat_fb_vec_data(&v), data, 5);
        assert_int_equal(buf[v.pos - 4], 5); /* the length prefix */
        free(buf);
    }
}

/* int64 vectors are 8-aligned; identical vtables are shared (the second table's vtable
 * lies above it: a negative soffset), and both read back. Alignment padding before a
 * table's first field counts in its inline size, so only equally aligned tables share. */
static void test_i64_and_shared_vtables(void **state) {
    (void)state;
    qat_fb_builder b;
    qat_fb_builder_init(&b);
    const int64_t z[] = {-128, (int64_t)1 << 40};
    qat_fb_ref zv = qat_fb_create_vec_i64(&b, z, 2);
    qat_fb_ref kids[2];
    for (int i = 0; i < 2; i++) {
        qat_fb_table_start(&b); /* 12-byte table + 8-byte vtable: the next one stays aligned */
        qat_fb_add_i32(&b, 0, 100 + i);
        qat_fb_add_i32(&b, 1, -i);
        kids[i] = qat_fb_table_end(&b);
    }
    qat_fb_ref kv = qat_fb_create_vec_refs(&b, kids, 2);
    qat_fb_table_start(&b);
    qat_fb_add_ref(&b, 0, zv);
    qat_fb_add_ref(&b, 1, kv);
    qat_fb_ref t = qat_fb_table_end(&b);
    assert_int_equal(b.n_vtables, 1); /* the kids and the root all have layout [8, 12, 8, 4] */
    unsigned char *buf;
    size_t len;
    finish(&b, t, NULL, &buf, &len);
    assert_int_equal(len % 8, 0);
    qat_fb_reader r;
    qat_fb_table root, k;
    qat_fb_vec v;
    assert_int_equal(qat_fb_reader_init(&r, buf, len, NULL), 0);
    assert_int_equal(qat_fb_root(&r, &root), 0);
    assert_int_equal(qat_fb_read_vec(&root, 0, 8, &v, NULL), 0);
    assert_int_equal(v.pos % 8, 0);
    assert_int_equal(qat_fb_vec_i64(&v, 0), -128);
    assert_int_equal(qat_fb_vec_i64(&v, 1), (int64_t)1 << 40);
    assert_int_equal(qat_fb_read_vec(&root, 1, 4, &v, NULL), 0);
    assert_int_equal(v.n, 2);
    uint32_t vts[2];
    for (uint32_t i = 0; i < 2; i++) {
        int32_t x;
        assert_int_equal(qat_fb_vec_table(&v, i, &k), 0);
        assert_int_equal(qat_fb_read_i32(&k, 0, 0, &x), 0);
        assert_int_equal(x, 100 + (int)i);
        vts[i] = k.vt;
    }
    assert_int_equal(vts[0], vts[1]);
    free(buf);
}

/* ---- a richer buffer, walked completely, for the truncation and mutation loops ------- */

static unsigned char *make_sample(size_t *len) {
    qat_fb_builder b;
    qat_fb_builder_init(&b);
    const int32_t ints[] = {7, 8, 9, 10};
    const float fl[] = {0.5f, -2.0f};
    const int64_t big[] = {1, -1};
    qat_fb_ref names[3];
    qat_fb_ref kids[3];
    for (int i = 0; i < 3; i++) {
        char nm[24];
        snprintf(nm, sizeof nm, "name-%d", i);
        names[i] = qat_fb_create_string(&b, nm);
        qat_fb_ref f = qat_fb_create_vec_f32(&b, fl, 2);
        qat_fb_table_start(&b);
        qat_fb_add_ref(&b, 0, names[i]);
        qat_fb_add_ref(&b, 1, f);
        qat_fb_add_i64(&b, 2, -5 - i);
        qat_fb_add_u8(&b, 3, (uint8_t)i);
        kids[i] = qat_fb_table_end(&b);
    }
    qat_fb_ref kv = qat_fb_create_vec_refs(&b, kids, 3);
    qat_fb_ref sv = qat_fb_create_vec_refs(&b, names, 3);
    qat_fb_ref iv = qat_fb_create_vec_i32(&b, ints, 4);
    qat_fb_ref lv = qat_fb_create_vec_i64(&b, big, 2);
    uint8_t raw[7] = {1, 2, 3, 4, 5, 6, 7};
    qat_fb_ref dv = qat_fb_create_vec_u8(&b, raw, 7, 16);
    qat_fb_ref desc = qat_fb_create_string(&b, "sample");
    qat_fb_table_start(&b);
    qat_fb_add_u32(&b, 0, 3);
    qat_fb_add_ref(&b, 1, kv);
    qat_fb_add_ref(&b, 2, sv);
    qat_fb_add_ref(&b, 3, iv);
    qat_fb_add_ref(&b, 4, lv);
    qat_fb_add_ref(&b, 5, dv);
    qat_fb_add_ref(&b, 6, desc);
    qat_fb_add_f32(&b, 7, 3.5f);
    qat_fb_ref root = qat_fb_table_end(&b);
    unsigned char *buf;
    finish(&b, root, "SMPL", &buf, len);
    return buf;
}

static uint32_t fbits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* Reads every field of the sample; 0 when all was well-formed, -1 at the first error.
 * `sum` folds in every value read so the reads cannot be optimised away. */
static int walk_sample(const unsigned char *buf, size_t len, uint64_t *sum) {
    qat_fb_reader r;
    qat_fb_table root, k;
    qat_fb_vec v, e;
    const char *s;
    uint32_t n, u;
    float f;
    int64_t l;
    uint8_t c;
    if (qat_fb_reader_init(&r, buf, len, "SMPL") || qat_fb_root(&r, &root)) return -1;
    if (qat_fb_read_u32(&root, 0, 0, &u) || qat_fb_read_f32(&root, 7, 0, &f)) return -1;
    *sum += u + fbits(f);
    if (qat_fb_read_vec(&root, 1, 4, &v, NULL)) return -1;
    for (uint32_t i = 0; i < v.n; i++) {
        if (qat_fb_vec_table(&v, i, &k)) return -1;
        if (qat_fb_read_string(&k, 0, &s, &n, NULL)) return -1;
        for (uint32_t j = 0; j < n; j++) *sum += (unsigned char)s[j];
        if (qat_fb_read_vec(&k, 1, 4, &e, NULL)) return -1;
        for (uint32_t j = 0; j < e.n; j++) *sum += fbits(qat_fb_vec_f32(&e, j));
        if (qat_fb_read_i64(&k, 2, 0, &l) || qat_fb_read_u8(&k, 3, 0, &c)) return -1;
        *sum += (uint64_t)l + c;
    }
    if (qat_fb_read_vec(&root, 2, 4, &v, NULL)) return -1;
    for (uint32_t i = 0; i < v.n; i++) {
        if (qat_fb_vec_string(&v, i, &s, &n)) return -1;
        *sum += n ? (unsigned char)s[n - 1] : 0;
    }
    if (qat_fb_read_vec(&root, 3, 4, &v, NULL)) return -1;
    for (uint32_t i = 0; i < v.n; i++) *sum += (uint32_t)qat_fb_vec_i32(&v, i);
    if (qat_fb_read_vec(&root, 4, 8, &v, NULL)) return -1;
    for (uint32_t i = 0; i < v.n; i++) *sum += (uint64_t)qat_fb_vec_i64(&v, i);
    if (qat_fb_read_vec(&root, 5, 1, &v, NULL)) return -1;
    for (uint32_t i = 0; i < v.n; i++) *sum += qat_fb_vec_u8(&v, i);
    if (qat_fb_read_string(&root, 6, &s, &n, NULL)) return -1;
    *sum += n;
    return 0;
}

/* Runs the walk on an exact-size private copy (so ASan sees any over-read). */
static int walk_copy(const unsigned char *src, size_t len, uint64_t *sum) {
    unsigned char *p = malloc(len ? len : 1);
    assert_non_null(p);
    if (len) memcpy(p, src, len);
    int rc = walk_sample(len ? p : NULL, len, sum);
    free(p);
    return rc;
}

static void test_sample_reads(void **state) {
    (void)state;
    size_t len;
    unsigned char *buf = make_sample(&len);
    uint64_t sum = 0;
    assert_int_equal(walk_copy(buf, len, &sum), 0);
    free(buf);
}

static void test_every_truncation_fails_cleanly(void **state) {
    (void)state;
    size_t len;
    unsigned char *buf = make_sample(&len);
    uint64_t sum = 0;
    /* the last bytes may be alignment padding no object uses: losing them is harmless */
    for (size_t n = 0; n < len; n++) {
        int rc = walk_copy(buf, n, &sum);
        if (n + 4 <= len) assert_int_not_equal(rc, 0);
    }
    assert_int_equal(walk_copy(buf, len, &sum), 0);
    free(buf);
}

static void test_every_byte_mutation_is_safe(void **state) {
    (void)state;
    size_t len;
    unsigned char *buf = make_sample(&len);
    static const unsigned char vals[] = {0x00, 0x01, 0x02, 0x04, 0x7f, 0x80, 0xfe, 0xff};
    uint64_t sum = 0;
    int failed = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char keep = buf[i];
        for (size_t v = 0; v < sizeof vals; v++) {
            buf[i] = vals[v];
            failed += walk_copy(buf, len, &sum) != 0;
        }
        buf[i] = (unsigned char)(keep ^ 0x10);
        failed += walk_copy(buf, len, &sum) != 0;
        buf[i] = keep;
    }
    assert_true(failed > 0); /* the loop did reach error paths */
    free(buf);
}

static void test_garbage_is_safe(void **state) {
    (void)state;
    uint64_t x = 0x9e3779b97f4a7c15ull, sum = 0;
    unsigned char g[512];
    for (int trial = 0; trial < 4000; trial++) {
        size_t n = (size_t)(trial % 200) + 1;
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            g[i] = (unsigned char)x;
        }
        if (n > 8) memcpy(g + 4, "SMPL", 4);
        if (n > 4 && trial % 2) { /* a root offset that lands inside, to get further */
            g[0] = (unsigned char)((x >> 8) % n & ~3u);
            g[1] = g[2] = g[3] = 0;
        }
        (void)walk_copy(g, n, &sum);
    }
}

/* Specific malformations on a hand-made buffer: each is reported, none crashes. */
static void test_malformations(void **state) {
    (void)state;
    unsigned char *buf;
    size_t len;
    qat_fb_builder b;
    qat_fb_builder_init(&b);
    const int32_t v[] = {1, 2};
    qat_fb_ref vec = qat_fb_create_vec_i32(&b, v, 2);
    qat_fb_table_start(&b);
    qat_fb_add_ref(&b, 0, vec);
    qat_fb_add_i32(&b, 1, 5);
    qat_fb_ref t = qat_fb_table_end(&b);
    finish(&b, t, NULL, &buf, &len);

    qat_fb_reader r;
    qat_fb_table root;
    qat_fb_vec rv;
    int32_t x;
    assert_int_equal(qat_fb_reader_init(&r, buf, len, NULL), 0);
    assert_int_equal(qat_fb_root(&r, &root), 0);
    uint32_t tpos = root.pos, vt = root.vt;
    uint16_t o_vec = (uint16_t)(buf[vt + 4] | buf[vt + 5] << 8);
    unsigned char *m = malloc(len);
    assert_non_null(m);

#define FRESH() (memcpy(m, buf, len), qat_fb_reader_init(&r, m, len, NULL))
    /* zero root offset */
    FRESH();
    memset(m, 0, 4);
    assert_int_not_equal(qat_fb_root(&r, &root), 0);
    assert_string_equal(r.err, "zero offset");
    /* root offset past the end */
    FRESH();
    m[0] = (unsigned char)len;
    assert_int_not_equal(qat_fb_root(&r, &root), 0);
    /* misaligned table */
    FRESH();
    m[0] = (unsigned char)(tpos + 2);
    assert_int_not_equal(qat_fb_root(&r, &root), 0);
    assert_string_equal(r.err, "misaligned table");
    /* soffset pointing outside */
    FRESH();
    m[tpos] = 0x00;
    m[tpos + 1] = 0x00;
    m[tpos + 2] = 0x00;
    m[tpos + 3] = 0x80;
    assert_int_not_equal(qat_fb_root(&r, &root), 0);
    /* odd vtable size */
    FRESH();
    m[vt] = 7;
    assert_int_not_equal(qat_fb_root(&r, &root), 0);
    assert_string_equal(r.err, "bad vtable size");
    /* table size past the end */
    FRESH();
    m[vt + 2] = 0xff;
    m[vt + 3] = 0x7f;
    assert_int_not_equal(qat_fb_root(&r, &root), 0);
    /* a field outside its table's inline size */
    FRESH();
    m[vt + 6] = m[vt + 2];
    m[vt + 7] = m[vt + 3];
    assert_int_equal(qat_fb_root(&r, &root), 0);
    assert_int_not_equal(qat_fb_read_i32(&root, 1, 0, &x), 0);
    assert_string_equal(r.err, "field outside its table");
    /* a misaligned scalar (field 0 moved one byte down, still inside the table) */
    FRESH();
    m[vt + 4] = (unsigned char)(o_vec - 1);
    assert_int_equal(qat_fb_root(&r, &root), 0);
    assert_int_not_equal(qat_fb_read_i32(&root, 0, 0, &x), 0);
    assert_string_equal(r.err, "misaligned field");
    /* a vector whose count runs past the end */
    FRESH();
    {
        uint32_t p = tpos + o_vec;
        uint32_t vp = p + (uint32_t)(m[p] | m[p + 1] << 8);
        m[vp] = 0xff;
        m[vp + 1] = 0xff;
        assert_int_equal(qat_fb_root(&r, &root), 0);
        assert_int_not_equal(qat_fb_read_vec(&root, 0, 4, &rv, NULL), 0);
        /* and one whose count overflows 32 bits once multiplied */
        FRESH();
        m[vp] = m[vp + 1] = m[vp + 2] = m[vp + 3] = 0xff;
        assert_int_equal(qat_fb_root(&r, &root), 0);
        assert_int_not_equal(qat_fb_read_vec(&root, 0, 8, &rv, NULL), 0);
    }
    /* a uoffset field of zero */
    FRESH();
    memset(m + tpos + o_vec, 0, 4);
    assert_int_equal(qat_fb_root(&r, &root), 0);
    assert_int_not_equal(qat_fb_read_vec(&root, 0, 4, &rv, NULL), 0);
    /* too short, too large, wrong identifier */
    assert_int_not_equal(qat_fb_reader_init(&r, buf, 11, NULL), 0);
    assert_int_not_equal(qat_fb_reader_init(&r, buf, (size_t)QAT_FB_MAX_SIZE + 1, NULL), 0);
    assert_int_not_equal(qat_fb_reader_init(&r, buf, len, "XXXX"), 0);
#undef FRESH
    free(m);
    free(buf);
}

/* A chain of nested tables: 64 levels read, the 65th is refused. */
static void test_max_depth(void **state) {
    (void)state;
    qat_fb_builder b;
    qat_fb_builder_init(&b);
    qat_fb_ref t = 0;
    for (int i = 0; i < 70; i++) {
        qat_fb_table_start(&b);
        qat_fb_add_ref(&b, 0, t); /* t == 0 leaves the innermost field absent */
        t = qat_fb_table_end(&b);
    }
    unsigned char *buf;
    size_t len;
    finish(&b, t, NULL, &buf, &len);
    qat_fb_reader r;
    qat_fb_table cur, next;
    assert_int_equal(qat_fb_reader_init(&r, buf, len, NULL), 0);
    assert_int_equal(qat_fb_root(&r, &cur), 0);
    int depth = 1, rc = 0, present = 1;
    while (present && (rc = qat_fb_read_table(&cur, 0, &next, &present)) == 0 && present) {
        cur = next;
        depth++;
    }
    assert_int_not_equal(rc, 0);
    assert_int_equal(depth, QAT_FB_MAX_DEPTH);
    assert_string_equal(r.err, "tables nested too deeply");
    free(buf);
}

/* An empty vector and an empty string as the very first objects. */
static void test_empty_first_objects(void **state) {
    (void)state;
    qat_fb_builder b;
    qat_fb_builder_init(&b);
    qat_fb_ref v = qat_fb_create_vec_i32(&b, NULL, 0);
    qat_fb_ref s = qat_fb_create_string(&b, "");
    assert_true(v != 0 && s != 0);
    qat_fb_table_start(&b);
    qat_fb_add_ref(&b, 0, v);
    qat_fb_add_ref(&b, 1, s);
    qat_fb_ref t = qat_fb_table_end(&b);
    unsigned char *buf;
    size_t len;
    finish(&b, t, NULL, &buf, &len);
    qat_fb_reader r;
    qat_fb_table root;
    qat_fb_vec rv;
    const char *str;
    uint32_t n;
    int present;
    assert_int_equal(qat_fb_reader_init(&r, buf, len, NULL), 0);
    assert_int_equal(qat_fb_root(&r, &root), 0);
    assert_int_equal(qat_fb_read_vec(&root, 0, 4, &rv, &present), 0);
    assert_true(present);
    assert_int_equal(rv.n, 0);
    assert_int_equal(qat_fb_read_string(&root, 1, &str, &n, &present), 0);
    assert_true(present);
    assert_int_equal(n, 0);
    assert_string_equal(str, "");
    free(buf);
}

/* Same calls, same bytes; a reused builder starts clean. */
static void test_deterministic(void **state) {
    (void)state;
    size_t l1, l2;
    unsigned char *a = make_sample(&l1), *b2 = make_sample(&l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, b2, l1);
    free(a);
    free(b2);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_two_scalars_one_absent),
        cmocka_unit_test(test_vector_of_ints),
        cmocka_unit_test(test_string_with_nul),
        cmocka_unit_test(test_union),
        cmocka_unit_test(test_aligned_byte_vector),
        cmocka_unit_test(test_i64_and_shared_vtables),
        cmocka_unit_test(test_sample_reads),
        cmocka_unit_test(test_every_truncation_fails_cleanly),
        cmocka_unit_test(test_every_byte_mutation_is_safe),
        cmocka_unit_test(test_garbage_is_safe),
        cmocka_unit_test(test_malformations),
        cmocka_unit_test(test_max_depth),
        cmocka_unit_test(test_empty_first_objects),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
