/* Min/max normalisation, fitted on the training split and applied to every split, so the
 * deployed model sees inputs scaled exactly as in training. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "qat/data.h"

/* For bytes: how often each byte value occurs on each channel (count[k * 256 + v]). */
static void byte_histogram(const qat_dataset *d, uint64_t *count) {
    size_t c = (size_t)d->channels, len = (size_t)d->n * qat_dataset_sample_size(d);
    memset(count, 0, c * 256 * sizeof *count);
    for (size_t j = 0; j < len; j++) count[(j % c) * 256 + d->x8[j]]++;
}

/* The range of the values the bytes present read as. */
static qat_status byte_ranges(const qat_dataset *d, float *mn, float *mx, qat_error *e) {
    uint64_t count[QAT_MAX_CHANNELS * 256];
    byte_histogram(d, count);
    for (int k = 0; k < d->channels; k++)
        for (int v = 0; v < 256; v++) {
            float x = d->lut[k * 256 + v];
            if (!count[k * 256 + v]) continue;
            if (!isfinite(x))
                return qat_error_set(e, QAT_ERR_DATA, "normalisation: byte %d of axis %d reads "
                                     "as a value that is not finite", v, k);
            if (x < mn[k]) mn[k] = x;
            if (x > mx[k]) mx[k] = x;
        }
    return QAT_OK;
}

qat_status qat_data_axis_ranges(const qat_dataset *d, float *mn, float *mx, qat_error *e) {
    int c = d->channels;
    for (int k = 0; k < c; k++) {
        mn[k] = INFINITY;
        mx[k] = -INFINITY;
    }
    if (!d->x) return byte_ranges(d, mn, mx, e);
    size_t rows = (size_t)d->n * (size_t)d->window;
    for (size_t r = 0; r < rows; r++)
        for (int k = 0; k < c; k++) {
            float v = d->x[r * (size_t)c + (size_t)k];
            if (!isfinite(v))
                return qat_error_set(e, QAT_ERR_DATA,
                                     "normalisation: sample %zu, step %zu, axis %d is not finite",
                                     r / (size_t)d->window, r % (size_t)d->window, k);
            if (v < mn[k]) mn[k] = v;
            if (v > mx[k]) mx[k] = v;
        }
    return QAT_OK;
}

/* axis_zscore for bytes, from their histogram: each byte value's count times its value. */
static void byte_zscore(const qat_dataset *d, float *mn, float *mx) {
    size_t c = (size_t)d->channels;
    double rows = (double)d->n * d->window;
    static const size_t bins = 256;
    uint64_t count[QAT_MAX_CHANNELS * 256];
    byte_histogram(d, count);
    for (size_t k = 0; k < c; k++) {
        double sum = 0, sq = 0;
        for (size_t v = 0; v < bins; v++) sum += (double)count[k * bins + v] * d->lut[k * bins + v];
        sum /= rows;
        for (size_t v = 0; v < bins; v++) {
            double dv = d->lut[k * bins + v] - sum;
            sq += (double)count[k * bins + v] * dv * dv;
        }
        mn[k] = (float)sum;
        mx[k] = (float)(sum + sqrt(sq / rows));
    }
}

/* Per-axis mean and standard deviation over every sample and position, stored as min = mean
 * and max = mean + std so that the one formula (x − min)/(max − min) applies them. Sums in
 * double, in sample order: deterministic. */
static void axis_zscore(const qat_dataset *d, float *mn, float *mx) {
    int c = d->channels;
    double sum[QAT_MAX_CHANNELS] = {0}, sq[QAT_MAX_CHANNELS] = {0};
    size_t rows = (size_t)d->n * (size_t)d->window;
    if (!d->x) {
        byte_zscore(d, mn, mx);
        return;
    }
    for (size_t r = 0; r < rows; r++)
        for (int k = 0; k < c; k++) sum[k] += d->x[r * (size_t)c + (size_t)k];
    for (int k = 0; k < c; k++) sum[k] /= (double)rows;
    for (size_t r = 0; r < rows; r++)
        for (int k = 0; k < c; k++) {
            double v = d->x[r * (size_t)c + (size_t)k] - sum[k];
            sq[k] += v * v;
        }
    for (int k = 0; k < c; k++) {
        mn[k] = (float)sum[k];
        mx[k] = (float)(sum[k] + sqrt(sq[k] / (double)rows));
    }
}

/* One range for all axes, as the lesson's x' = (x - min) / (max - min). */
static void merge_axes(qat_norm *nm) {
    float lo = nm->min[0], hi = nm->max[0];
    for (int k = 1; k < nm->channels; k++) {
        if (nm->min[k] < lo) lo = nm->min[k];
        if (nm->max[k] > hi) hi = nm->max[k];
    }
    for (int k = 0; k < nm->channels; k++) {
        nm->min[k] = lo;
        nm->max[k] = hi;
    }
}

qat_status qat_norm_fit(const qat_dataset *d, qat_norm_kind kind, float scale, qat_norm *out,
                        qat_error *e) {
    memset(out, 0, sizeof *out);
    if ((unsigned)kind >= QAT_NORM_KIND_COUNT)
        return qat_error_set(e, QAT_ERR_CONFIG, "normalisation: unknown kind %d", (int)kind);
    if (d->channels <= 0 || d->channels > QAT_MAX_CHANNELS)
        return qat_error_set(e, QAT_ERR_DATA, "normalisation: %d channels (at most %d)",
                             d->channels, QAT_MAX_CHANNELS);
    out->kind = kind;
    out->channels = d->channels;
    for (int k = 0; k < d->channels; k++) out->max[k] = 1.0f; /* identity for QAT_NORM_NONE */
    if (kind == QAT_NORM_NONE) return QAT_OK;
    if (kind == QAT_NORM_SCALE) {
        if (!(scale > 0 && isfinite(scale)))
            return qat_error_set(e, QAT_ERR_CONFIG, "normalisation: scale %g (must be > 0)",
                                 (double)scale);
        for (int k = 0; k < d->channels; k++) out->max[k] = scale; /* min 0 */
        return QAT_OK;
    }
    if (d->n == 0) return qat_error_set(e, QAT_ERR_DATA, "normalisation: no training samples");
    qat_status s = qat_data_axis_ranges(d, out->min, out->max, e);
    if (s) return s;
    if (kind == QAT_NORM_MINMAX) merge_axes(out);
    if (kind == QAT_NORM_ZSCORE) {
        for (int k = 0; k < d->channels; k++)
            if (!(out->max[k] > out->min[k]))
                return qat_error_set(e, QAT_ERR_DATA, "normalisation: axis %d is constant (%g) in "
                                     "the training data; z-score scaling needs a spread", k,
                                     (double)out->min[k]);
        axis_zscore(d, out->min, out->max);
    }
    for (int k = 0; k < d->channels; k++)
        if (!(out->max[k] > out->min[k]))
            return qat_error_set(e, QAT_ERR_DATA,
                                 "normalisation: axis %d is constant (%g) in the training data; "
                                 "min/max scaling needs max > min",
                                 k, (double)out->min[k]);
    return QAT_OK;
}

static float normalised(const qat_norm *nm, int k, float v) {
    return (v - nm->min[k]) / (nm->max[k] - nm->min[k]);
}

void qat_norm_apply_values(const qat_norm *nm, float *x, size_t rows) {
    if (nm->kind == QAT_NORM_NONE) return;
    for (size_t r = 0; r < rows; r++)
        for (int k = 0; k < nm->channels; k++) {
            float *v = &x[r * (size_t)nm->channels + (size_t)k];
            *v = normalised(nm, k, *v);
        }
}

void qat_norm_invert_values(const qat_norm *nm, float *x, size_t rows) {
    if (nm->kind == QAT_NORM_NONE) return;
    for (size_t r = 0; r < rows; r++)
        for (int k = 0; k < nm->channels; k++) {
            float *v = &x[r * (size_t)nm->channels + (size_t)k];
            *v = nm->min[k] + *v * (nm->max[k] - nm->min[k]);
        }
}

void qat_norm_apply(const qat_norm *nm, qat_dataset *d) {
    if (nm->kind == QAT_NORM_NONE) return;
    QAT_ASSERT(nm->channels == d->channels);
    if (d->x) {
        qat_norm_apply_values(nm, d->x, (size_t)d->n * (size_t)d->window);
        return;
    }
    for (int k = 0; k < d->channels; k++) /* bytes: the lut, k-major (lut[k * 256 + v]) */
        for (int v = 0; v < 256; v++) d->lut[k * 256 + v] = normalised(nm, k, d->lut[k * 256 + v]);
}
