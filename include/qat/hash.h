/* qatrain — a 64-bit content hash: what identifies a run's config and input files for
 * --resume (pipeline.h). The single-lane form of xxHash64 (Collet): xxHash64's short-input
 * code path — each 8-byte little-endian word through its round, then a 4-byte step, the
 * last bytes one by one, its avalanche — for any length (so it equals XXH64 with seed 0
 * below 32 bytes, and differs from it, which runs four lanes, from there). About 2.5 GB/s.
 * Not CRC-32: a CRC is affine, so every file that ends in its own CRC-32 (a checkpoint, a
 * masks file) has the same CRC as any other file of its length.
 *
 * Part of the resume file format: changing the function makes every saved digest differ. */
#ifndef QAT_HASH_H
#define QAT_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The hash of data[0..n) continuing from h (0 to start; chain buffers by passing the
 * previous result: the value then depends on how the bytes were split). */
uint64_t qat_hash64(uint64_t h, const void *data, size_t n);

#endif
