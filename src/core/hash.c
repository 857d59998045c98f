/* The 64-bit content hash (see hash.h): xxHash64's code path for inputs under 32 bytes
 * (its primes, word round, 4-byte and byte steps, avalanche), applied to any length. */
#include "qat/hash.h"

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static uint64_t rotl(uint64_t x, int r) { return x << r | x >> (64 - r); }

static uint64_t load(const unsigned char *b, int n) { /* n bytes, little-endian */
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)b[i] << (8 * i);
    return v;
}

uint64_t qat_hash64(uint64_t h, const void *data, size_t n) {
    const unsigned char *b = data;
    h = (h ^ P5) + (uint64_t)n;
    for (; n >= 8; b += 8, n -= 8) {
        h ^= rotl(load(b, 8) * P2, 31) * P1;
        h = rotl(h, 27) * P1 + P4;
    }
    if (n >= 4) {
        h ^= load(b, 4) * P1;
        h = rotl(h, 23) * P2 + P3;
        b += 4;
        n -= 4;
    }
    for (; n; b++, n--) {
        h ^= *b * P5;
        h = rotl(h, 11) * P1;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    return h ^ (h >> 32);
}
