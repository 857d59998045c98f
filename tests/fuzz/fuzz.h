/* qatrain — fuzz targets, one per parser (tests/fuzz/README.md).
 *
 * Each qat_fuzz_<name> feeds arbitrary bytes to one parser and what follows it, and checks
 * what must hold on any input: no crash, no leak, no undefined behaviour (the sanitizers
 * see to those), and on failure one error line, with the status set, starting with the
 * file's name. A broken promise aborts. The functions return 0; they are called by the
 * libFuzzer wrappers (built with -DQAT_LIBFUZZER: `make fuzz`) and by the cmocka replay of
 * the corpora and regressions (tests/unit/test_fuzz_regressions.c: `make check`). */
#ifndef QAT_FUZZ_H
#define QAT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include "qat/error.h"

int qat_fuzz_ini(const uint8_t *data, size_t size);        /* qat_config_load, qat_config_set */
int qat_fuzz_npy(const uint8_t *data, size_t size);        /* qat_npy_read, qat_npy_to_f32 */
int qat_fuzz_csv(const uint8_t *data, size_t size);        /* qat_data_load_csv */
int qat_fuzz_checkpoint(const uint8_t *data, size_t size); /* qat_checkpoint_load */
int qat_fuzz_tflite(const uint8_t *data, size_t size);     /* parse, prepare, invoke */
int qat_fuzz_masks(const uint8_t *data, size_t size);      /* qat_mask_file_read */
int qat_fuzz_resume(const uint8_t *data, size_t size);     /* qat_resume_read */
int qat_fuzz_idx(const uint8_t *data, size_t size);        /* qat_idx_read, a pair of files */

/* The bytes as a file the library's readers open by name (a memfd seen through
 * /proc/self/fd, or a temporary file): the path stays valid until the next call. */
const char *qat_fuzz_file(const uint8_t *data, size_t size);
/* The same for file `which` (0 or 1; 0 is qat_fuzz_file's): for readers of two files. */
const char *qat_fuzz_file_at(int which, const uint8_t *data, size_t size);

/* The two models the checkpoint and mask targets load into: which 0 is the lesson's, 1 a tiny
 * one (make_seeds.sh's, whose files are small seeds); masked: with a pruning mask on every
 * conv1d / dense kernel. Built once and kept for the process. */
struct qat_model;
struct qat_model *qat_fuzz_model(int which, int masked);

/* Calls try(data, size), then try again on the bytes with their zlib CRC32 appended as a
 * little-endian integer of crc_bytes (4 or 8) bytes — how the checkpoint, mask and resume
 * files end — so mutations also get past the checksum into what it guards. */
void qat_fuzz_with_crc(const uint8_t *data, size_t size, int crc_bytes,
                       void (*try)(const uint8_t *data, size_t size));

/* Aborts unless a failed call left one non-empty line in e, with e->status == st, starting
 * with `prefix` (NULL: any start). Does nothing when st is QAT_OK. */
void qat_fuzz_check_error(qat_status st, const qat_error *e, const char *prefix);

#ifdef QAT_LIBFUZZER
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
#define QAT_FUZZ_MAIN(name)                                              \
    int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {       \
        return qat_fuzz_##name(data, size);                              \
    }
#else
#define QAT_FUZZ_MAIN(name)
#endif

#endif
