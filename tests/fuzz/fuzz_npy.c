/* Fuzz target: the .npy reader (qat_npy_read) and the float32 conversion that checks every
 * value is finite (qat_npy_to_f32). */
#include <string.h>

#include "fuzz.h"
#include "qat/npy.h"

int qat_fuzz_npy(const uint8_t *data, size_t size) {
    const char *path = qat_fuzz_file(data, size);
    qat_npy a;
    qat_error e = {0};
    qat_status st = qat_npy_read(path, &a, &e);
    qat_fuzz_check_error(st, &e, path);
    if (st) {
        if (a.data || a.count) abort(); /* a failed read leaves the array empty */
        return 0;
    }
    size_t count = 1;
    for (int i = 0; i < a.ndim; i++) count *= a.shape[i];
    if (a.ndim < 0 || a.ndim > QAT_NPY_MAX_DIM || count != a.count) abort();
    st = qat_npy_to_f32(&a, path, &e);
    qat_fuzz_check_error(st, &e, path);
    qat_npy_free(&a);
    return 0;
}

QAT_FUZZ_MAIN(npy)
