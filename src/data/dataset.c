/* Dataset storage, the stratified split and index subsets. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qat/data.h"

/* Clears d, checks the size and allocates y and src (at least one element each, so an empty
 * dataset still has valid pointers); the values' storage is the caller's. */
static qat_status alloc_common(qat_dataset *d, int n, int window, int channels, int n_classes,
                               size_t elem, qat_error *e) {
    /* The whole struct is cleared, names included, so a dataset never holds stale text. */
    memset(d, 0, sizeof *d);
    if (n < 0 || window <= 0 || channels <= 0 || n_classes <= 0 || n_classes > QAT_MAX_CLASSES)
        return qat_error_set(e, QAT_ERR_DATA,
                             "dataset: invalid size (n %d, window %d, channels %d, classes %d)", n,
                             window, channels, n_classes);
    size_t per = (size_t)window * (size_t)channels;
    if ((size_t)n > SIZE_MAX / elem / per)
        return qat_error_set(e, QAT_ERR_NOMEM, "dataset: %d samples of %zu values is too large", n,
                             per);
    d->y = calloc(n ? (size_t)n : 1, sizeof *d->y);
    d->src = calloc(n ? (size_t)n : 1, sizeof *d->src);
    if (!d->y || !d->src) {
        qat_dataset_free(d);
        return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory for %d samples", n);
    }
    d->n = n;
    d->window = window;
    d->channels = channels;
    d->n_classes = n_classes;
    return QAT_OK;
}

qat_status qat_dataset_alloc(qat_dataset *d, int n, int window, int channels, int n_classes,
                             qat_error *e) {
    qat_status s = alloc_common(d, n, window, channels, n_classes, sizeof(float), e);
    if (s) return s;
    if (!(d->x = calloc(n ? (size_t)n * qat_dataset_sample_size(d) : 1, sizeof *d->x))) {
        qat_dataset_free(d);
        return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory for %d samples", n);
    }
    return QAT_OK;
}

qat_status qat_dataset_alloc_u8(qat_dataset *d, int n, int window, int channels, int n_classes,
                                qat_error *e) {
    qat_status s = alloc_common(d, n, window, channels, n_classes, 1, e);
    if (s) return s;
    d->x8 = calloc(n ? (size_t)n * qat_dataset_sample_size(d) : 1, 1);
    d->lut = malloc((size_t)channels * 256 * sizeof *d->lut);
    if (!d->x8 || !d->lut) {
        qat_dataset_free(d);
        return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory for %d images", n);
    }
    for (int k = 0; k < channels; k++)
        for (int v = 0; v < 256; v++) d->lut[k * 256 + v] = (float)v;
    return QAT_OK;
}

void qat_dataset_free(qat_dataset *d) {
    free(d->x);
    free(d->x8);
    free(d->lut);
    free(d->y);
    free(d->src);
    memset(d, 0, sizeof *d);
}

size_t qat_dataset_sample_size(const qat_dataset *d) {
    return (size_t)d->window * (size_t)d->channels;
}

/* Sample i's values into out. */
static void read_one(const qat_dataset *d, int i, float *out) {
    size_t per = qat_dataset_sample_size(d);
    if (d->x) {
        memcpy(out, d->x + (size_t)i * per, per * sizeof *out);
        return;
    }
    const uint8_t *b = d->x8 + (size_t)i * per;
    size_t c = (size_t)d->channels;
    for (size_t j = 0; j < per; j++) out[j] = d->lut[(j % c) * 256 + b[j]];
}

void qat_dataset_read(const qat_dataset *d, int first, int n, float *out) {
    size_t per = qat_dataset_sample_size(d);
    QAT_ASSERT(n <= 0 || per > 0); /* a dataset view without its sample shape reads nothing */
    if (d->x) {
        memcpy(out, d->x + (size_t)first * per, (size_t)n * per * sizeof *out);
        return;
    }
    for (int i = 0; i < n; i++) read_one(d, first + i, out + (size_t)i * per);
}

void qat_dataset_gather(const qat_dataset *d, const int *idx, int n, float *out) {
    size_t per = qat_dataset_sample_size(d);
    QAT_ASSERT(n <= 0 || per > 0);
    for (int i = 0; i < n; i++) read_one(d, idx[i], out + (size_t)i * per);
}

static qat_status check_labels(const qat_dataset *d, qat_error *e) {
    for (int i = 0; i < d->n; i++)
        if (d->y[i] < 0 || d->y[i] >= d->n_classes)
            return qat_error_set(e, QAT_ERR_DATA, "dataset: sample %d has label %d outside [0, %d)",
                                 i, d->y[i], d->n_classes);
    return QAT_OK;
}

qat_status qat_dataset_subset(const qat_dataset *src, const int *idx, int n, qat_dataset *out,
                              qat_error *e) {
    for (int i = 0; i < n; i++)
        if (idx[i] < 0 || idx[i] >= src->n)
            return qat_error_set(e, QAT_ERR_DATA, "dataset: subset index %d outside [0, %d)",
                                 idx[i], src->n);
    qat_status s = src->x ? qat_dataset_alloc(out, n, src->window, src->channels, src->n_classes, e)
                          : qat_dataset_alloc_u8(out, n, src->window, src->channels, src->n_classes, e);
    if (s) return s;
    out->height = src->height;
    out->width = src->width;
    memcpy(out->class_names, src->class_names, sizeof out->class_names);
    size_t per = qat_dataset_sample_size(src);
    if (src->x8) memcpy(out->lut, src->lut, (size_t)src->channels * 256 * sizeof *out->lut);
    for (int i = 0; i < n; i++) {
        if (src->x)
            memcpy(out->x + (size_t)i * per, src->x + (size_t)idx[i] * per, per * sizeof *out->x);
        else
            memcpy(out->x8 + (size_t)i * per, src->x8 + (size_t)idx[i] * per, per);
        out->y[i] = src->y[idx[i]];
        if (src->src) out->src[i] = src->src[idx[i]];
    }
    return QAT_OK;
}

int qat_split_count(int count, double frac) {
    return (int)(frac * count + 0.5);
}

int qat_split_tail_start(int n, double frac) {
    return (int)floor(n * (1.0 - frac)); /* Keras: int(num_samples * (1 - split)) */
}

/* Marks the test samples: per class, the first qat_split_count of a seeded shuffle of that
 * class's indices (qat_split_pick over every row). */
static qat_status mark_test(const qat_dataset *all, double frac, qat_rng *rng, char *is_test,
                            qat_error *e) {
    int *rows = malloc((size_t)(all->n ? all->n : 1) * sizeof *rows);
    if (!rows) return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory for the split");
    for (int i = 0; i < all->n; i++) rows[i] = i;
    qat_status s = qat_split_pick(all->y, all->n_classes, rows, all->n, frac, rng,
                                  (unsigned char *)is_test, 1, e);
    free(rows);
    return s;
}

/* Gathers the samples whose mark equals `want`, in original order. */
static qat_status gather(const qat_dataset *all, const char *is_test, int want, qat_dataset *out,
                         qat_error *e) {
    int *idx = malloc((size_t)(all->n ? all->n : 1) * sizeof *idx), n = 0;
    if (!idx) return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory for the split");
    for (int i = 0; i < all->n; i++)
        if (is_test[i] == want) idx[n++] = i;
    qat_status s = qat_dataset_subset(all, idx, n, out, e);
    free(idx);
    return s;
}

qat_status qat_dataset_split(const qat_dataset *all, double test_frac, qat_rng *rng,
                             qat_dataset *train, qat_dataset *test, qat_error *e) {
    memset(train, 0, sizeof *train);
    memset(test, 0, sizeof *test);
    if (!(test_frac >= 0.0 && test_frac < 1.0))
        return qat_error_set(e, QAT_ERR_CONFIG, "dataset: test split %g is outside [0, 1)",
                             test_frac);
    qat_status s = check_labels(all, e);
    if (s) return s;
    char *is_test = calloc((size_t)(all->n ? all->n : 1), 1);
    if (!is_test) return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory for the split");
    s = mark_test(all, test_frac, rng, is_test, e);
    if (!s) s = gather(all, is_test, 0, train, e);
    if (!s) s = gather(all, is_test, 1, test, e);
    free(is_test);
    if (s) {
        qat_dataset_free(train);
        qat_dataset_free(test);
    }
    return s;
}

/* Samples first .. first+n−1 of src, in order. */
static qat_status range(const qat_dataset *src, int first, int n, qat_dataset *out, qat_error *e) {
    int *idx = malloc((size_t)(n > 0 ? n : 1) * sizeof *idx);
    if (!idx) return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory");
    for (int i = 0; i < n; i++) idx[i] = first + i;
    qat_status s = qat_dataset_subset(src, idx, n, out, e);
    free(idx);
    return s;
}

qat_status qat_dataset_head(const qat_dataset *src, int n, qat_dataset *out, qat_error *e) {
    return range(src, 0, n, out, e);
}

qat_status qat_dataset_split_tail(const qat_dataset *all, double frac, qat_dataset *head,
                                  qat_dataset *tail, qat_error *e) {
    memset(head, 0, sizeof *head);
    memset(tail, 0, sizeof *tail);
    if (!(frac >= 0.0 && frac < 1.0))
        return qat_error_set(e, QAT_ERR_CONFIG, "dataset: split %g is outside [0, 1)", frac);
    qat_status s = check_labels(all, e);
    if (s) return s;
    int at = qat_split_tail_start(all->n, frac);
    s = range(all, 0, at, head, e);
    if (!s) s = range(all, at, all->n - at, tail, e);
    if (s) {
        qat_dataset_free(head);
        qat_dataset_free(tail);
    }
    return s;
}
