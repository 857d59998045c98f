/* The content hash behind --resume's input check (hash.h): XXH64's published values where
 * the two coincide (inputs under 32 bytes), sensitivity to every bit of a longer input, and
 * the reason it is not CRC-32 — files ending in their own CRC all share one CRC. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "qat/hash.h"

/* XXH64 with seed 0 (xxHash's reference implementation; checked against libxxhash 0.8.1):
 * the empty input and "a" are the values xxHash's documentation and test suites quote. The
 * lengths cover each tail step: none, bytes, the 4-byte step, a word, all three. */
static void test_equals_xxh64_below_32_bytes(void **s) {
    (void)s;
    static const struct {
        const char *text;
        uint64_t xxh64;
    } v[] = {
        {"", 0xef46db3751d8e999ULL},
        {"a", 0xd24ec4f1a98c6e5bULL},
        {"abc", 0x44bc2cf5ad770999ULL},
        {"abcdefgh", 0x3ad351775b4634b7ULL},
        {"abcdefghijklmnopqrstuvwxyz01234", 0x16058c7b947da137ULL},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        assert_true(qat_hash64(0, v[i].text, strlen(v[i].text)) == v[i].xxh64);
}

static void fill(unsigned char *b, size_t n, unsigned seed) {
    for (size_t i = 0; i < n; i++) b[i] = (unsigned char)(((i + 977u * seed) * 2654435761u) >> 13);
}

/* Each of the 8 x 100 single-bit changes of a 100-byte input (words, a 4-byte step and
 * bytes) gives its own hash. */
static void test_every_bit_counts(void **s) {
    (void)s;
    enum { N = 100 };
    unsigned char b[N];
    static uint64_t h[8 * N + 1];
    fill(b, N, 1);
    h[8 * N] = qat_hash64(0, b, N);
    for (int i = 0; i < 8 * N; i++) {
        b[i / 8] ^= (unsigned char)(1u << (i % 8));
        h[i] = qat_hash64(0, b, N);
        b[i / 8] ^= (unsigned char)(1u << (i % 8));
    }
    for (int i = 0; i <= 8 * N; i++)
        for (int j = 0; j < i; j++) assert_true(h[i] != h[j]);
}

/* Two different files of one length, each ending in its own CRC-32 (as checkpoints and
 * masks files do): their CRC-32s are equal (CRC is affine), their hashes are not. */
static void test_tells_self_checksummed_files_apart(void **s) {
    (void)s;
    unsigned char a[68], b[68];
    fill(a, 64, 1);
    fill(b, 64, 2);
    assert_memory_not_equal(a, b, 64);
    unsigned char *f[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        uLong c = crc32(0L, f[k], 64);
        for (int i = 0; i < 4; i++) f[k][64 + i] = (unsigned char)(c >> (8 * i));
    }
    assert_true(crc32(0L, a, 68) == crc32(0L, b, 68));
    assert_true(qat_hash64(0, a, 68) != qat_hash64(0, b, 68));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equals_xxh64_below_32_bytes),
        cmocka_unit_test(test_every_bit_counts),
        cmocka_unit_test(test_tells_self_checksummed_files_apart),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
