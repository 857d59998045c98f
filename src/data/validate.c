/* The checks between loading and training: every property of the data that the later stages
 * assume, checked once, each failure one message naming where the data came from and the
 * setting to change. What each stage would otherwise do with bad data:
 *   - a value that is not finite poisons every range and every gradient;
 *   - a recording that is all zero is a dead sensor (or an empty capture): it teaches the
 *     model that silence is that class, and a source of nothing but such recordings leaves
 *     min/max normalisation no range at all;
 *   - a class with no training sample cannot be learnt and leaves the representative set
 *     without it; a class with no test sample is never measured, and an empty test split
 *     leaves every accuracy undefined (the measurements read sample 0 of it);
 *   - min/max normalisation divides by max − min: per axis for minmax_axis, over all axes
 *     together for minmax.
 * An axis that is constant where nothing divides by its range (normalize = none, or minmax
 * with other axes varying) trains fine and is only worth a warning. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qat/data.h"

/* ---- naming where data came from ---- */

void qat_data_sample_name(const qat_data_config *cfg, const qat_dataset *d, int i, char *buf,
                          size_t cap) {
    int c = d->y[i];
    qat_sample_src src = d->src ? d->src[i] : (qat_sample_src){-1, 0};
    const char *cls = c >= 0 && c < cfg->n_classes ? cfg->classes[c] : "?";
    char **names = NULL;
    int n = 0;
    switch (cfg->source) {
    case QAT_DATA_NPY: /* the file: the class folder's listing in name order, as loaded */
        if (src.file >= 0 && qat_data_npy_list(cfg, c, &names, &n, NULL) == QAT_OK &&
            src.file < n) {
            char folder[QAT_PATH_MAX];
            if (qat_path_join(folder, sizeof folder, cfg->dir, cls, NULL) == QAT_OK &&
                qat_path_join(buf, cap, folder, names[src.file], NULL) == QAT_OK) {
                qat_data_names_free(names, n);
                return;
            }
        }
        qat_data_names_free(names, n);
        snprintf(buf, cap, "%s/%s (recording %d)", cfg->dir, cls, src.file);
        return;
    case QAT_DATA_CSV:
        if (src.file >= 0 && src.file < cfg->n_csv) {
            snprintf(buf, cap, "%s:%d", cfg->csv[src.file].path, src.line);
            return;
        }
        snprintf(buf, cap, "CSV data, class %s (gesture %d)", cls, i);
        return;
    case QAT_DATA_IDX:
    case QAT_DATA_NPY_IMAGES: qat_data_image_name(cfg, src, buf, cap); return;
    default: snprintf(buf, cap, "built-in generator, %s recording %d", cls, src.file); return;
    }
}

/* The whole data source, or (cls >= 0) one class's part of it. */
static void source_name(const qat_data_config *cfg, int cls, char *buf, size_t cap) {
    switch (cfg->source) {
    case QAT_DATA_NPY:
        if (cls < 0 || qat_path_join(buf, cap, cfg->dir, cfg->classes[cls], NULL) != QAT_OK)
            snprintf(buf, cap, "%s", cfg->dir);
        return;
    case QAT_DATA_CSV: {
        int first = -1, n = 0;
        for (int i = 0; i < cfg->n_csv; i++)
            if (cls < 0 || cfg->csv[i].cls == cls) {
                if (first < 0) first = i;
                n++;
            }
        if (first < 0) snprintf(buf, cap, "CSV data");
        else if (n == 1) snprintf(buf, cap, "%s", cfg->csv[first].path);
        else snprintf(buf, cap, "%s and %d more CSV file%s", cfg->csv[first].path, n - 1,
                      n > 2 ? "s" : "");
        return;
    }
    case QAT_DATA_IDX:
    case QAT_DATA_NPY_IMAGES:
        snprintf(buf, cap, "%s", cfg->train_images[0] ? cfg->train_images : cfg->dir);
        return;
    default: snprintf(buf, cap, "built-in generator"); return;
    }
}

/* " (aZ)" for a CSV column, "" otherwise. */
static void axis_label(const qat_data_config *cfg, int k, char *buf, size_t cap) {
    if (cfg->source == QAT_DATA_CSV && cfg->csv_columns[k][0])
        snprintf(buf, cap, " (%s)", cfg->csv_columns[k]);
    else
        buf[0] = '\0';
}

/* ---- every recording ---- */

/* Bytes are always finite, and a black image is an image, not a dead sensor: float samples
 * are checked for finite values, and 1-D recordings for being all zero. */
static qat_status check_samples(const qat_data_config *cfg, const qat_dataset *d, qat_error *e) {
    size_t per = (size_t)d->window * (size_t)d->channels;
    char where[QAT_PATH_MAX + 64];
    for (int i = 0; d->x && i < d->n; i++) {
        const float *x = d->x + (size_t)i * per;
        int any = 0;
        for (size_t j = 0; j < per; j++) {
            if (!isfinite(x[j])) {
                qat_data_sample_name(cfg, d, i, where, sizeof where);
                return qat_error_set(e, QAT_ERR_DATA, "%s: step %zu, axis %zu is not finite "
                                     "(fix or remove the recording)", where,
                                     j / (size_t)d->channels, j % (size_t)d->channels);
            }
            any |= x[j] != 0.0f;
        }
        if (!any && d->height == 0) {
            qat_data_sample_name(cfg, d, i, where, sizeof where);
            return qat_error_set(e, QAT_ERR_DATA, "%s: this %s recording is all 0 (%d steps "
                                 "x %d axes: a dead sensor or an empty capture); remove it "
                                 "from the data", where, cfg->classes[d->y[i]],
                                 d->window, d->channels);
        }
    }
    return QAT_OK;
}

/* ---- the splits ---- */

static void count_classes(const qat_dataset *d, int *count) {
    memset(count, 0, QAT_MAX_CLASSES * sizeof *count);
    for (int i = 0; d && i < d->n; i++) count[d->y[i]]++;
}

/* Samples a class needs so that each split gets one: the smallest n (up to a limit; 0
 * beyond it) whose test, validation (when val > 0) and training shares are all >= 1. */
static int min_class_size(double test, double val) {
    for (int n = 1; n <= 1000000; n++) {
        int t = qat_split_count(n, test), rest = n - t;
        int v = val > 0 ? qat_split_count(rest, val) : 1;
        if (t >= 1 && v >= 1 && rest - (val > 0 ? v : 0) >= 1) return n;
    }
    return 0;
}

static qat_status split_error(const qat_data_config *cfg, const qat_data_splits *s, int c,
                              int total, const int *n, qat_error *e) {
    char src[QAT_PATH_MAX + 64], val[160] = "", need[64] = "more than a million";
    source_name(cfg, c, src, sizeof src);
    if (s->val)
        snprintf(val, sizeof val, ", [train] val_split = %g puts %d of the other %d in the "
                 "validation split", s->val_split, n[1], total - n[2]);
    int least = min_class_size(cfg->test_split, s->val ? s->val_split : 0);
    if (least) snprintf(need, sizeof need, "%d", least);
    const char *fix = cfg->source == QAT_DATA_BUILTIN ? "raise [data] samples_per_class"
                                                      : "add recordings of the class";
    return qat_error_set(e, QAT_ERR_DATA, "%s: class '%s' has %d sample%s; [data] test_split = "
                         "%g puts %d in the test split%s, leaving %d for training: a sample of "
                         "each class in every split takes at least %s per class here (%s, or "
                         "change [data] test_split%s)", src, cfg->classes[c], total,
                         total == 1 ? "" : "s", cfg->test_split, n[2], val, n[0], need, fix,
                         s->val ? " / [train] val_split" : "");
}

/* Whether the test split is chosen (test sources, a test_index file) rather than a stratified
 * fraction: then it may lack a class (a held-out person who never recorded it). */
static int test_chosen(const qat_data_config *cfg) {
    int chosen = cfg->test_index[0] != 0;
    for (int i = 0; i < cfg->n_sources; i++) chosen |= cfg->sources[i].use == QAT_USE_TEST;
    return chosen;
}

static qat_status chosen_split_error(const qat_data_config *cfg, int c, const char *part,
                                     qat_error *e) {
    return qat_error_set(e, QAT_ERR_DATA, "data: class '%s' has no sample in the %s split (the "
                         "test split is chosen by %s; add recordings of the class to the other "
                         "sources)", cfg->classes[c], part,
                         cfg->test_index[0] ? "[data] test_index" : "[source.*] use = test");
}

/* Classes a chosen test split lacks: a warning, not an error. */
static void missing_in_test(const qat_data_config *cfg, const int *n, char *warning, size_t cap) {
    size_t len = strlen(warning);
    int first = 1;
    for (int c = 0; c < cfg->n_classes; c++) {
        if (n[c]) continue;
        snprintf(warning + len, cap - len, "%s%s", first ? (len ? "; the test split has no "
                 "sample of " : "the test split has no sample of ") : ", ", cfg->classes[c]);
        len = strlen(warning);
        first = 0;
    }
}

static qat_status check_splits(const qat_data_config *cfg, const qat_dataset *all,
                               const qat_data_splits *s, char *warning, size_t cap, qat_error *e) {
    int total[QAT_MAX_CLASSES], n[3][QAT_MAX_CLASSES];
    count_classes(all, total);
    count_classes(s->train, n[0]);
    count_classes(s->val, n[1]);
    count_classes(s->test, n[2]);
    if (test_chosen(cfg)) {
        if (s->test->n == 0)
            return qat_error_set(e, QAT_ERR_DATA, "data: the test split is empty (%s)",
                                 cfg->test_index[0] ? cfg->test_index
                                                    : "the test sources gave no sample");
        for (int c = 0; c < cfg->n_classes; c++)
            if (n[0][c] < 1 || (s->val && n[1][c] < 1))
                return chosen_split_error(cfg, c, n[0][c] < 1 ? "training" : "validation", e);
        missing_in_test(cfg, n[2], warning, cap);
        return QAT_OK;
    }
    for (int c = 0; c < cfg->n_classes; c++)
        if (n[0][c] < 1 || n[2][c] < 1 || (s->val && n[1][c] < 1))
            return split_error(cfg, s, c, total[c], (int[3]){n[0][c], n[1][c], n[2][c]}, e);
    return QAT_OK;
}

/* ---- normalisation ---- */

/* The axes constant over the training split, as " 0, 2 (aZ)", into buf; returns how many. */
static int constant_axes(const qat_data_config *cfg, const float *mn, const float *mx, int c,
                         char *buf, size_t cap) {
    int count = 0;
    buf[0] = '\0';
    for (int k = 0; k < c; k++) {
        if (mx[k] > mn[k]) continue;
        char label[QAT_NAME_MAX + 4];
        axis_label(cfg, k, label, sizeof label);
        size_t len = strlen(buf);
        snprintf(buf + len, cap - len, "%s %d%s = %g", count ? "," : "", k, label, (double)mn[k]);
        count++;
    }
    return count;
}

static qat_status check_ranges(const qat_data_config *cfg, const qat_dataset *train,
                               char *warning, size_t cap, qat_error *e) {
    float mn[QAT_MAX_CHANNELS], mx[QAT_MAX_CHANNELS];
    char src[QAT_PATH_MAX + 64], axes[256];
    if (train->n == 0 || train->channels > QAT_MAX_CHANNELS) return QAT_OK;
    qat_status st = qat_data_axis_ranges(train, mn, mx, e); /* the normaliser's own ranges */
    if (st) return st;
    int flat = constant_axes(cfg, mn, mx, train->channels, axes, sizeof axes);
    if (!flat) return QAT_OK;
    source_name(cfg, -1, src, sizeof src);
    int all = flat == train->channels;
    int same = all; /* every value of the split the same number */
    for (int k = 1; same && k < train->channels; k++) same = mn[k] == mn[0];
    if (cfg->normalize == QAT_NORM_MINMAX_AXIS)
        return qat_error_set(e, QAT_ERR_DATA, "%s: constant over the %d training samples: %s%s; "
                             "[data] normalize = minmax_axis divides by each axis' range: use "
                             "normalize = minmax or none, or leave the axis out", src, train->n,
                             flat > 1 ? "axes" : "axis", axes);
    if (cfg->normalize == QAT_NORM_MINMAX && same)
        return qat_error_set(e, QAT_ERR_DATA, "%s: every value of the %d training samples is %g; "
                             "[data] normalize = minmax divides by their range: use normalize = "
                             "none", src, train->n, (double)mn[0]);
    size_t len = strlen(warning);
    snprintf(warning + len, cap - len, "%s%s: constant over the %d training samples, so carrying "
             "no information: %s%s", len ? "; " : "", src, train->n, flat > 1 ? "axes" : "axis",
             axes);
    return QAT_OK;
}

qat_status qat_data_validate(const qat_data_config *cfg, const qat_dataset *all,
                             const qat_data_splits *s, char *warning, size_t cap, qat_error *e) {
    warning[0] = '\0';
    qat_status st = check_samples(cfg, all, e);
    if (!st && s) st = check_splits(cfg, all, s, warning, cap, e);
    if (!st && s) st = check_ranges(cfg, s->train, warning, cap, e);
    return st;
}

int qat_data_sample_source(const qat_data_config *cfg, const qat_dataset *d, int i) {
    if (cfg->source != QAT_DATA_CSV || !d->src) return -1;
    int f = d->src[i].file;
    return f >= 0 && f < cfg->n_csv ? cfg->csv[f].source : -1;
}
