/* Image arrays as people export them from NumPy: X.npy of shape (N, H, W) or (N, H, W, C),
 * uint8 (kept as bytes) or float32 / float64 (as float32), and y.npy (N,) of integer labels.
 * The .npy reader (npy.c) checks the format; this checks that the two arrays are images and
 * their labels. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qat/data.h"
#include "qat/npy.h"

#define MAX_SIDE 4096

static qat_status check_images(const qat_npy *x, const char *path, qat_error *e) {
    if (x->ndim != 3 && x->ndim != 4)
        return qat_error_set(e, QAT_ERR_DATA, "%s: an array of %d dimension%s; images are (N, H, "
                             "W) or (N, H, W, C)", path, x->ndim, x->ndim == 1 ? "" : "s");
    size_t c = x->ndim == 4 ? x->shape[3] : 1;
    if (x->shape[1] < 1 || x->shape[1] > MAX_SIDE || x->shape[2] < 1 || x->shape[2] > MAX_SIDE ||
        c < 1 || c > QAT_MAX_CHANNELS)
        return qat_error_set(e, QAT_ERR_DATA, "%s: images of %zu × %zu × %zu (sides 1 to %d, 1 "
                             "to %d channels)", path, x->shape[1], x->shape[2], c, MAX_SIDE,
                             QAT_MAX_CHANNELS);
    if (x->file_rows < 1 || x->file_rows > INT_MAX / 2)
        return qat_error_set(e, QAT_ERR_DATA, "%s: %zu images (1 to %d)", path, x->file_rows,
                             INT_MAX / 2);
    if (x->dtype == QAT_DTYPE_U8 || x->dtype == QAT_DTYPE_F32 || x->dtype == QAT_DTYPE_F64)
        return QAT_OK;
    return qat_error_set(e, QAT_ERR_DATA, "%s: images of %s; uint8, float32 or float64 are read",
                         path, x->dtype == QAT_DTYPE_I8 ? "int8" : "integers wider than a byte");
}

/* Labels: one dimension, as many as the images, integers in [0, INT_MAX]. */
static qat_status take_labels(const qat_npy *y, const char *path, size_t total, const char *xp,
                              int *labels, qat_error *e) {
    if (y->ndim != 1)
        return qat_error_set(e, QAT_ERR_DATA, "%s: labels of %d dimensions; they are (N,)", path,
                             y->ndim);
    if (y->file_rows != total)
        return qat_error_set(e, QAT_ERR_DATA, "%s: %zu labels for the %zu images of %s", path,
                             y->file_rows, total, xp);
    for (size_t i = 0; i < y->count; i++) {
        int64_t v;
        switch (y->dtype) {
        case QAT_DTYPE_U8: v = ((const uint8_t *)y->data)[i]; break;
        case QAT_DTYPE_I8: v = ((const int8_t *)y->data)[i]; break;
        case QAT_DTYPE_I32: v = ((const int32_t *)y->data)[i]; break;
        case QAT_DTYPE_I64: v = ((const int64_t *)y->data)[i]; break;
        default:
            return qat_error_set(e, QAT_ERR_DATA, "%s: labels are floats; integer labels (uint8, "
                                 "int32, int64) are read", path);
        }
        if (v < 0 || v > INT_MAX)
            return qat_error_set(e, QAT_ERR_DATA, "%s: label %zu is %lld (labels are 0 or more)",
                                 path, i, (long long)v);
        labels[i] = (int)v;
    }
    return QAT_OK;
}

/* Moves x's payload into out: bytes as they are, floats converted to float32 (finite). */
static qat_status take_images(qat_npy *x, const char *path, qat_image_set *out, qat_error *e) {
    out->n = (int)x->shape[0];
    out->height = (int)x->shape[1];
    out->width = (int)x->shape[2];
    out->channels = x->ndim == 4 ? (int)x->shape[3] : 1;
    qat_status s = x->dtype == QAT_DTYPE_U8 ? QAT_OK : qat_npy_to_f32(x, path, e);
    if (s) return s;
    if (x->dtype == QAT_DTYPE_U8) out->u8 = x->data;
    else out->f32 = x->data;
    x->data = NULL;
    return QAT_OK;
}

qat_status qat_image_npy_read(const char *x_path, const char *y_path, int limit,
                              qat_image_set *out, qat_error *e) {
    qat_npy x, y;
    size_t rows = limit > 0 ? (size_t)limit : SIZE_MAX;
    memset(out, 0, sizeof *out);
    memset(&y, 0, sizeof y);
    qat_status s = qat_npy_read_rows(x_path, rows, &x, e);
    if (s) return s;
    s = check_images(&x, x_path, e);
    if (!s) s = take_images(&x, x_path, out, e);
    if (!s) s = qat_npy_read_rows(y_path, rows, &y, e);
    if (!s && !(out->labels = malloc(((size_t)out->n + 1) * sizeof *out->labels)))
        s = qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", y_path);
    if (!s) s = take_labels(&y, y_path, x.file_rows, x_path, out->labels, e);
    qat_npy_free(&x);
    qat_npy_free(&y);
    if (s) qat_image_set_free(out);
    return s;
}
