/* Fuzz target: the resume-file reader (qat_resume_read, pipeline.h). The run id the reader
 * expects is taken from the input itself (bytes 16..23), and each input is also tried with
 * a valid checksum appended (as fuzz_checkpoint.c does), so mutations reach past both
 * checks into the phase records and the training snapshot. */
#include <stdlib.h>

#include "fuzz.h"
#include "qat/pipeline.h"

static void load(const uint8_t *data, size_t size) {
    uint64_t id = 0;
    for (int i = 0; i < 8 && 16 + (size_t)i < size; i++) id |= (uint64_t)data[16 + i] << (8 * i);
    const char *path = qat_fuzz_file(data, size);
    qat_resume r;
    qat_error e = {0};
    qat_status st = qat_resume_read(&r, path, id, &e);
    qat_fuzz_check_error(st, &e, path);
    if (!st) {
        if (r.n_done < 0 || r.n_done >= QAT_MAX_PHASES) abort();
        qat_resume_free(&r);
    }
}

int qat_fuzz_resume(const uint8_t *data, size_t size) {
    qat_fuzz_with_crc(data, size, 8, load);
    return 0;
}

QAT_FUZZ_MAIN(resume)
