/* Image sets as NumPy users export them: X.npy of (N, H, W) or (N, H, W, C) pixels, uint8 or
 * float32 (float64 converted), and y.npy of N integer labels. Built on the .npy reader,
 * which checks each file against its header and reads only the rows asked for. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qat/data.h"
#include "qat/npy.h"

/* "(60000, 28, 28)": the shape the file declares (dimension 0 as the file has it, even when
 * fewer rows were read). */
static const char *shape_text(const qat_npy *a, char *buf, size_t cap) {
    size_t k = (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < a->ndim && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, i ? ", %zu" : "%zu",
                              i ? a->shape[i] : a->file_rows);
    if (k < cap) snprintf(buf + k, cap - k, a->ndim == 1 ? ",)" : ")");
    return buf;
}

static qat_status check_x(const qat_npy *x, const char *path, qat_error *e) {
    char sh[160];
    if (x->dtype != QAT_DTYPE_U8 && x->dtype != QAT_DTYPE_F32 && x->dtype != QAT_DTYPE_F64)
        return qat_error_set(e, QAT_ERR_DATA, "%s: %s images; expected uint8 or float32 (float64 "
                             "is converted)", path, qat_dtype_name(x->dtype));
    if (x->ndim != 3 && x->ndim != 4)
        return qat_error_set(e, QAT_ERR_DATA, "%s: shape %s; expected images (N, H, W) or "
                             "(N, H, W, C), channels last", path, shape_text(x, sh, sizeof sh));
    size_t c = x->ndim == 4 ? x->shape[3] : 1;
    if (x->file_rows < 1 || x->file_rows > QAT_IMAGE_MAX_N || x->shape[1] < 1 ||
        x->shape[1] > QAT_IMAGE_MAX_SIDE || x->shape[2] < 1 || x->shape[2] > QAT_IMAGE_MAX_SIDE ||
        c < 1 || c > QAT_MAX_CHANNELS)
        return qat_error_set(e, QAT_ERR_DATA,
                             "%s: shape %s; expected 1 to %d images of 1 to %d × 1 to %d pixels "
                             "and 1 to %d channels, channels last", path,
                             shape_text(x, sh, sizeof sh), QAT_IMAGE_MAX_N, QAT_IMAGE_MAX_SIDE,
                             QAT_IMAGE_MAX_SIDE, QAT_MAX_CHANNELS);
    return QAT_OK;
}

static qat_status check_y(const qat_npy *y, const char *path, qat_error *e) {
    char sh[160];
    if (y->dtype != QAT_DTYPE_U8 && y->dtype != QAT_DTYPE_I32 && y->dtype != QAT_DTYPE_I64)
        return qat_error_set(e, QAT_ERR_DATA, "%s: %s labels; expected uint8, int32 or int64",
                             path, qat_dtype_name(y->dtype));
    if (y->ndim != 1)
        return qat_error_set(e, QAT_ERR_DATA, "%s: shape %s; expected labels (N,)%s", path,
                             shape_text(y, sh, sizeof sh),
                             y->ndim == 2 && y->shape[1] == 1 ? " (save y.ravel())" : "");
    return QAT_OK;
}

/* Label i of y as a long long (y checked by check_y). */
static long long label_at(const qat_npy *y, size_t i) {
    switch (y->dtype) {
    case QAT_DTYPE_U8: return ((const uint8_t *)y->data)[i];
    case QAT_DTYPE_I32: return ((const int32_t *)y->data)[i];
    case QAT_DTYPE_I64: return ((const int64_t *)y->data)[i];
    default: QAT_ASSERT(0); return 0;
    }
}

static qat_status take_labels(const qat_npy *y, qat_image_set *out, const char *path,
                              qat_error *e) {
    if (!(out->labels = malloc(y->count * sizeof *out->labels)))
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory for %zu labels", path, y->count);
    for (size_t i = 0; i < y->count; i++) {
        long long v = label_at(y, i);
        if (v < 0 || v > INT_MAX)
            return qat_error_set(e, QAT_ERR_DATA, "%s: label [%zu] is %lld; labels are 0 to %d",
                                 path, i, v, INT_MAX);
        out->labels[i] = (int)v;
    }
    return QAT_OK;
}

/* Moves X's pixels into the set (float64 converted to float32 first). */
static qat_status take_pixels(qat_npy *x, qat_image_set *out, const char *path, qat_error *e) {
    if (x->dtype == QAT_DTYPE_F64) {
        qat_status s = qat_npy_to_f32(x, path, e);
        if (s) return s;
    }
    out->n = (int)x->shape[0];
    out->height = (int)x->shape[1];
    out->width = (int)x->shape[2];
    out->channels = x->ndim == 4 ? (int)x->shape[3] : 1;
    if (x->dtype == QAT_DTYPE_U8) out->u8 = x->data;
    else out->f32 = x->data;
    x->data = NULL;
    return QAT_OK;
}

/* y first (small: a mismatch or bad label costs no pixels), then X. */
static qat_status read_pair(const char *x_path, const char *y_path, size_t rows, qat_npy *x,
                            qat_npy *y, qat_error *e) {
    qat_status s = qat_npy_read_rows(y_path, rows, y, e);
    if (!s) s = check_y(y, y_path, e);
    if (!s) s = qat_npy_read_rows(x_path, rows, x, e);
    if (!s) s = check_x(x, x_path, e);
    if (!s && x->file_rows != y->file_rows)
        s = qat_error_set(e, QAT_ERR_DATA, "%s: %zu labels, but %s holds %zu images (each image "
                          "needs exactly one label)", y_path, y->file_rows, x_path, x->file_rows);
    return s;
}

qat_status qat_image_npy_read(const char *x_path, const char *y_path, int limit,
                              qat_image_set *out, qat_error *e) {
    memset(out, 0, sizeof *out);
    if (limit < 0)
        return qat_error_set(e, QAT_ERR_CONFIG, "%s: limit %d: expected 0 (all) or more", x_path,
                             limit);
    qat_npy x = {0}, y = {0};
    qat_status s = read_pair(x_path, y_path, limit > 0 ? (size_t)limit : SIZE_MAX, &x, &y, e);
    if (!s) s = take_labels(&y, out, y_path, e);
    if (!s) s = take_pixels(&x, out, x_path, e);
    qat_npy_free(&x);
    qat_npy_free(&y);
    if (s) qat_image_set_free(out);
    return s;
}
