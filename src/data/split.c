/* Which loaded sample goes where (see data.h, qat_data_assign): the test split by source use,
 * by a stratified fraction or by an index file; validation likewise; the rest trains. All
 * decisions are made on row numbers of the loaded data, so they can be written out and read
 * back as index files. */
#include <stdlib.h>
#include <string.h>

#include "qat/data.h"
#include "qat/npy.h"

qat_status qat_split_pick(const int *y, int n_classes, const int *rows, int n, double frac,
                          qat_rng *rng, unsigned char *part, unsigned char mark, qat_error *e) {
    int *idx = malloc((size_t)(n > 0 ? n : 1) * sizeof *idx);
    if (!idx) return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory for the split");
    for (int c = 0; c < n_classes; c++) {
        int count = 0;
        for (int i = 0; i < n; i++)
            if (y[rows[i]] == c) idx[count++] = rows[i];
        qat_rng_shuffle(rng, idx, count);
        int k = qat_split_count(count, frac);
        for (int j = 0; j < k; j++) part[idx[j]] = mark;
    }
    free(idx);
    return QAT_OK;
}

/* Rows whose part is `want` (and, when src_use >= 0, whose source has that use). */
static int rows_where(const qat_data_config *cfg, const qat_dataset *all, const unsigned char *part,
                      int want, int src_use, int *rows) {
    int n = 0;
    for (int i = 0; i < all->n; i++) {
        if (part[i] != want) continue;
        int s = qat_data_sample_source(cfg, all, i);
        qat_source_use use = s >= 0 ? cfg->sources[s].use : QAT_USE_BOTH;
        if (src_use < 0 || (int)use == src_use) rows[n++] = i;
    }
    return n;
}

/* An index file: a 1-D array of int32 / int64 row numbers, each in [0, n) and once; each row
 * goes from part `from` to `to` (a row already elsewhere is in two files). */
static qat_status read_index(const char *path, const char *key, int n, unsigned char *part,
                             unsigned char from, unsigned char to, qat_error *e) {
    qat_npy a;
    qat_status s = qat_npy_read(path, &a, e);
    if (s) return s;
    if (a.ndim != 1 || (a.dtype != QAT_DTYPE_I32 && a.dtype != QAT_DTYPE_I64))
        s = qat_error_set(e, QAT_ERR_DATA, "%s: [data] %s: expected a 1-D int32 or int64 array of "
                          "row numbers, got %s with %d dimension%s", path, key,
                          qat_dtype_name(a.dtype), a.ndim, a.ndim == 1 ? "" : "s");
    for (size_t i = 0; !s && i < a.count; i++) {
        long long r = a.dtype == QAT_DTYPE_I32 ? ((const int32_t *)a.data)[i]
                                               : ((const int64_t *)a.data)[i];
        if (r < 0 || r >= n)
            s = qat_error_set(e, QAT_ERR_DATA, "%s: [data] %s: element %zu is row %lld, outside "
                              "[0, %d) (the rows of the loaded data)", path, key, i, r, n);
        else if (part[r] == to)
            s = qat_error_set(e, QAT_ERR_DATA, "%s: [data] %s: element %zu: row %lld is listed "
                              "twice", path, key, i, r);
        else if (part[r] != from)
            s = qat_error_set(e, QAT_ERR_DATA, "%s: [data] %s: element %zu: row %lld is already in "
                              "the %s split", path, key, i, r, qat_part_name((qat_part)part[r]));
        else
            part[r] = to;
    }
    qat_npy_free(&a);
    return s;
}

/* The test split: index file, else test sources plus a fraction of the shared ones. */
static qat_status assign_test(const qat_data_config *cfg, const qat_dataset *all, qat_rng *rng,
                              unsigned char *part, int *rows, qat_error *e) {
    if (cfg->test_index[0])
        return read_index(cfg->test_index, "test_index", all->n, part, QAT_PART_TRAIN,
                          QAT_PART_TEST, e);
    if (qat_data_has_test_file(cfg)) return QAT_OK;
    for (int i = 0; i < all->n; i++) {
        int s = qat_data_sample_source(cfg, all, i);
        if (s >= 0 && cfg->sources[s].use == QAT_USE_TEST) part[i] = QAT_PART_TEST;
    }
    int n = rows_where(cfg, all, part, QAT_PART_TRAIN, QAT_USE_BOTH, rows);
    return qat_split_pick(all->y, all->n_classes, rows, n, cfg->test_split, rng, part,
                          QAT_PART_TEST, e);
}

/* Validation from the training rows: Keras's last fraction, or a stratified one. */
static qat_status assign_val(const qat_data_config *cfg, const qat_dataset *all, double val_split,
                             int val_last, qat_rng *rng, unsigned char *part, int *rows,
                             qat_error *e) {
    if (!(val_split > 0)) return QAT_OK;
    int n = rows_where(cfg, all, part, QAT_PART_TRAIN, -1, rows);
    if (!val_last)
        return qat_split_pick(all->y, all->n_classes, rows, n, val_split, rng, part, QAT_PART_VAL,
                              e);
    for (int i = qat_split_tail_start(n, val_split); i < n; i++) part[rows[i]] = QAT_PART_VAL;
    return QAT_OK;
}

/* Training: with train_index, only its rows (the others are unused). */
static qat_status assign_train(const qat_data_config *cfg, const qat_dataset *all,
                               unsigned char *part, qat_error *e) {
    if (!cfg->train_index[0]) return QAT_OK;
    for (int i = 0; i < all->n; i++)
        if (part[i] == QAT_PART_TRAIN) part[i] = QAT_PART_UNUSED;
    return read_index(cfg->train_index, "train_index", all->n, part, QAT_PART_UNUSED,
                      QAT_PART_TRAIN, e);
}

qat_status qat_data_assign(const qat_data_config *cfg, const qat_dataset *all, double val_split,
                           int val_last, qat_rng *rng, unsigned char *part, qat_error *e) {
    for (int i = 0; i < all->n; i++)
        if (all->y[i] < 0 || all->y[i] >= all->n_classes)
            return qat_error_set(e, QAT_ERR_DATA, "dataset: sample %d has label %d outside [0, %d)",
                                 i, all->y[i], all->n_classes);
    memset(part, QAT_PART_TRAIN, (size_t)all->n);
    int *rows = malloc((size_t)(all->n > 0 ? all->n : 1) * sizeof *rows);
    if (!rows) return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory for the split");
    qat_status s = assign_test(cfg, all, rng, part, rows, e);
    if (!s && cfg->val_index[0])
        s = read_index(cfg->val_index, "val_index", all->n, part, QAT_PART_TRAIN, QAT_PART_VAL, e);
    if (!s) s = assign_train(cfg, all, part, e);
    if (!s && !cfg->val_index[0])
        s = assign_val(cfg, all, val_split, val_last, rng, part, rows, e);
    free(rows);
    return s;
}

qat_status qat_dataset_part(const qat_dataset *all, const unsigned char *part, qat_part want,
                            qat_dataset *out, int **rows, int *n, qat_error *e) {
    int *idx = malloc((size_t)(all->n > 0 ? all->n : 1) * sizeof *idx), k = 0;
    if (!idx) return qat_error_set(e, QAT_ERR_NOMEM, "dataset: out of memory for the split");
    for (int i = 0; i < all->n; i++)
        if (part[i] == want) idx[k++] = i;
    qat_status s = qat_dataset_subset(all, idx, k, out, e);
    if (s || !rows) {
        free(idx);
        return s;
    }
    *rows = idx;
    *n = k;
    return QAT_OK;
}
