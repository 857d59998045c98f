/* qatrain — NumPy .npy files (format versions 1.0, 2.0 and 3.0; little-endian; C order).
 * Read: float32, float64 (converted to float32), int8, uint8 (images, labels), int32, int64
 * (labels).
 * Write: version 1.0, float32 / int8 / int32. */
#ifndef QAT_NPY_H
#define QAT_NPY_H

#include <stddef.h>
#include <stdint.h>

#include "qat/error.h"

#define QAT_NPY_MAX_DIM 8
#define QAT_NPY_HEADER_MAX (1 << 20) /* bytes of header dict read at most */

typedef enum qat_dtype {
    QAT_DTYPE_F32,
    QAT_DTYPE_F64,
    QAT_DTYPE_I8,
    QAT_DTYPE_I32,
    QAT_DTYPE_I64,
    QAT_DTYPE_U8, /* "|u1": image pixels and labels as people export them */
    QAT_DTYPE_COUNT
} qat_dtype;

typedef struct qat_npy {
    qat_dtype dtype;             /* element type as stored in the file */
    int ndim;                    /* 0 for a scalar */
    size_t shape[QAT_NPY_MAX_DIM];
    size_t count;                /* product of shape */
    size_t file_rows;            /* shape[0] as the file declares it (qat_npy_read_rows may
                                    read fewer; shape[0] says how many it read) */
    void *data;                  /* count elements of dtype, owned; free with qat_npy_free */
} qat_npy;

size_t qat_dtype_size(qat_dtype t);
/* NumPy's name of the type: "float32", "uint8"... */
const char *qat_dtype_name(qat_dtype t);
/* Reads a whole .npy; every malformation (magic, version, header, dtype, fortran order,
 * shape overflow, truncated data) is a QAT_ERR_FORMAT naming the file. */
qat_status qat_npy_read(const char *path, qat_npy *out, qat_error *e);
/* The same checks (the whole file's size must match its header), but only the first
 * max_rows rows (along dimension 0) are read: out->shape[0] and out->count describe what
 * was read. For recordings of which the model uses a window. */
qat_status qat_npy_read_rows(const char *path, size_t max_rows, qat_npy *out, qat_error *e);
/* Converts the payload to float32 in place (F32, F64, I8, U8, I32 accepted); checks finite. */
qat_status qat_npy_to_f32(qat_npy *a, const char *path, qat_error *e);
void qat_npy_free(qat_npy *a);
/* Writes atomically (see io.h). */
qat_status qat_npy_write(const char *path, qat_dtype dtype, int ndim, const size_t *shape,
                         const void *data, qat_error *e);

#endif
