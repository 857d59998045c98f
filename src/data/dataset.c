/* Dataset storage, the stratified split and index subsets. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qat/data.h"

qat_status qat_dataset_alloc(qat_dataset *d, int n, int window, int channels, int n_classes,
                             qat_error *e) {
    /* The whole struct is cleared, names included, so a dataset never holds stale text. */
    memset(d, 0, sizeof *d);
    if (n < 0 || window <= 0 || channels <= 0 || n_classes <= 0 || n_classes > QAT_MAX_CLASSES)
        return qat_error_set(e, QAT_ERR_DATA,
                             "dataset: invalid size (n %d, window %d, channels %d, classes %d)", n,
                             window, channels, n_classes);
    size_t per = (size_t)window * (size_t)channels;
    if ((size_t)n > SIZE_MAX / sizeof(float) / per)
        return qat_error_set(e, QAT_ERR_NOMEM, "dataset: %d samples of %zu values is too large", n,
                             per);
    /* At least one element each, so that an empty dataset still has valid pointers. */
    d->x = calloc(n ? (size_t)n * per : 1, sizeof *d->x);
    d->y = calloc(n ? (size_t)n : 1, sizeof *d->y);
    d->src = calloc(n ? (size_t)n : 1, sizeof *d->src);
    if (!d->x || !d->y || !d->src) {
        qat_dataset_free(d);
        return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory for %d samples", n);
    }
    d->n = n;
    d->window = window;
    d->channels = channels;
    d->n_classes = n_classes;
    return QAT_OK;
}

void qat_dataset_free(qat_dataset *d) {
    free(d->x);
    free(d->y);
    free(d->src);
    memset(d, 0, sizeof *d);
}

static size_t sample_size(const qat_dataset *d) {
    return (size_t)d->window * (size_t)d->channels;
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
    qat_status s = qat_dataset_alloc(out, n, src->window, src->channels, src->n_classes, e);
    if (s) return s;
    out->height = src->height;
    out->width = src->width;
    memcpy(out->class_names, src->class_names, sizeof out->class_names);
    size_t per = sample_size(src);
    for (int i = 0; i < n; i++) {
        memcpy(out->x + (size_t)i * per, src->x + (size_t)idx[i] * per, per * sizeof *out->x);
        out->y[i] = src->y[idx[i]];
        if (src->src) out->src[i] = src->src[idx[i]];
    }
    return QAT_OK;
}

int qat_split_count(int count, double frac) {
    return (int)(frac * count + 0.5);
}

/* Marks the test samples: per class, the first qat_split_count of a seeded shuffle of that
 * class's indices. Classes are visited in label order so the draws are reproducible. */
static qat_status mark_test(const qat_dataset *all, double frac, qat_rng *rng, char *is_test,
                            qat_error *e) {
    int *idx = malloc((size_t)(all->n ? all->n : 1) * sizeof *idx);
    if (!idx) return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory for the split");
    for (int c = 0; c < all->n_classes; c++) {
        int count = 0;
        for (int i = 0; i < all->n; i++)
            if (all->y[i] == c) idx[count++] = i;
        qat_rng_shuffle(rng, idx, count);
        int k = qat_split_count(count, frac);
        for (int j = 0; j < k; j++) is_test[idx[j]] = 1;
    }
    free(idx);
    return QAT_OK;
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
