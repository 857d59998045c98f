/* The lessons' folder layout: one folder per class under DIR, one .npy file per recording,
 * each a (T, C) array. */
#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/data.h"
#include "qat/npy.h"

typedef struct file_list {
    char **names; /* file names inside one class folder, sorted */
    int n, cap;
} file_list;

static void list_free(file_list *l) {
    for (int i = 0; i < l->n; i++) free(l->names[i]);
    free(l->names);
    memset(l, 0, sizeof *l);
}

static int has_npy_suffix(const char *name) {
    size_t n = strlen(name);
    return n > 4 && !strcmp(name + n - 4, ".npy");
}

static qat_status list_push(file_list *l, const char *name, const char *folder, qat_error *e) {
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        char **p = realloc(l->names, (size_t)cap * sizeof *p);
        if (!p) return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory listing files", folder);
        l->names = p;
        l->cap = cap;
    }
    size_t len = strlen(name) + 1;
    if (!(l->names[l->n] = malloc(len)))
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory listing files", folder);
    memcpy(l->names[l->n++], name, len);
    return QAT_OK;
}

static int cmp_names(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .npy files of one class folder, sorted by name: readdir order is filesystem-specific,
 * and the dataset must not depend on it. */
static qat_status list_npy(const char *folder, file_list *l, qat_error *e) {
    memset(l, 0, sizeof *l);
    DIR *dir;
    qat_status s = qat_input_opendir(folder, &dir, e);
    if (s) return s;
    for (struct dirent *ent; !s && (ent = readdir(dir));)
        if (has_npy_suffix(ent->d_name)) s = list_push(l, ent->d_name, folder, e);
    closedir(dir);
    if (!s && l->n == 0)
        s = qat_error_set(e, QAT_ERR_DATA, "%s: class folder holds no .npy files", folder);
    if (s) list_free(l);
    else qsort(l->names, (size_t)l->n, sizeof *l->names, cmp_names);
    return s;
}

/* Checks a recording is (T, C) float with C == channels ((T,) is accepted when C is 1). */
static qat_status check_recording(const qat_npy *a, int channels, const char *path, qat_error *e) {
    if (a->dtype != QAT_DTYPE_F32 && a->dtype != QAT_DTYPE_F64)
        return qat_error_set(e, QAT_ERR_DATA, "%s: samples must be float32 or float64", path);
    int ok = (a->ndim == 2 && a->shape[1] == (size_t)channels) || (a->ndim == 1 && channels == 1);
    if (ok && a->shape[0] > 0) return QAT_OK;
    char shape[96] = "(";
    for (int i = 0; i < a->ndim; i++) /* as the file says: only the rows used were read */
        snprintf(shape + strlen(shape), sizeof shape - strlen(shape), i ? ", %zu" : "%zu",
                 i ? a->shape[i] : a->file_rows);
    snprintf(shape + strlen(shape), sizeof shape - strlen(shape), a->ndim == 1 ? ",)" : ")");
    return qat_error_set(e, QAT_ERR_DATA, "%s: shape %s, expected (T, %d) with T > 0", path, shape,
                         channels);
}

/* Values (finite already) within ±QAT_DATA_VALUE_MAX, so the normaliser's range fits. */
static qat_status check_range(const qat_npy *a, int channels, const char *path, qat_error *e) {
    const float *v = a->data;
    for (size_t i = 0; i < a->count; i++)
        if (fabsf(v[i]) > QAT_DATA_VALUE_MAX)
            return qat_error_set(e, QAT_ERR_DATA,
                                 "%s: element [%zu, %zu] = %g is outside [-%g, %g] (float32, "
                                 "with room for normalisation)",
                                 path, i / (size_t)channels, i % (size_t)channels, (double)v[i],
                                 QAT_DATA_VALUE_MAX, QAT_DATA_VALUE_MAX);
    return QAT_OK;
}

/* Reads one recording into dst (window × channels), truncating or zero-padding the time axis
 * as the lesson does; dst is already zeroed. Only the rows used are read. */
static qat_status load_recording(const char *path, int window, int channels, float *dst,
                                 qat_error *e) {
    qat_npy a;
    qat_status s = qat_npy_read_rows(path, (size_t)window, &a, e);
    if (!s) s = check_recording(&a, channels, path, e);
    if (!s) s = qat_npy_to_f32(&a, path, e);
    if (!s) s = check_range(&a, channels, path, e);
    if (!s) {
        size_t t = a.shape[0] < (size_t)window ? a.shape[0] : (size_t)window;
        memcpy(dst, a.data, t * (size_t)channels * sizeof *dst);
    }
    qat_npy_free(&a);
    return s;
}

static qat_status class_folder(const qat_data_config *cfg, int c, char *dst, qat_error *e) {
    return qat_path_join(dst, QAT_PATH_MAX, cfg->dir, cfg->classes[c], e);
}

qat_status qat_data_npy_list(const qat_data_config *cfg, int c, char ***names, int *n,
                             qat_error *e) {
    char folder[QAT_PATH_MAX];
    file_list l = {0};
    *names = NULL;
    *n = 0;
    qat_status s = class_folder(cfg, c, folder, e);
    if (!s) s = list_npy(folder, &l, e);
    if (s) return s;
    *names = l.names;
    *n = l.n;
    return QAT_OK;
}

void qat_data_names_free(char **names, int n) {
    file_list l = {names, n, n};
    list_free(&l);
}

static void free_lists(file_list *lists, int n) {
    for (int c = 0; c < n; c++) list_free(&lists[c]);
}

static qat_status load_all(const qat_data_config *cfg, const file_list *lists, qat_dataset *out,
                           qat_error *e) {
    size_t per = (size_t)cfg->window * (size_t)cfg->channels;
    int i = 0;
    for (int c = 0; c < cfg->n_classes; c++) {
        char folder[QAT_PATH_MAX], path[QAT_PATH_MAX];
        qat_status s = class_folder(cfg, c, folder, e);
        for (int f = 0; !s && f < lists[c].n; f++, i++) {
            s = qat_path_join(path, sizeof path, folder, lists[c].names[f], e);
            if (!s)
                s = load_recording(path, cfg->window, cfg->channels, out->x + (size_t)i * per, e);
            out->y[i] = c;
            out->src[i].file = f;
        }
        if (s) return s;
    }
    return QAT_OK;
}

qat_status qat_data_load_npy_dir(const qat_data_config *cfg, qat_dataset *out, qat_error *e) {
    memset(out, 0, sizeof *out);
    if (cfg->n_classes <= 0 || cfg->n_classes > QAT_MAX_CLASSES)
        return qat_error_set(e, QAT_ERR_CONFIG, "%s: %d classes (1 to %d)", cfg->dir,
                             cfg->n_classes, QAT_MAX_CLASSES);
    file_list lists[QAT_MAX_CLASSES] = {{0}};
    int total = 0;
    qat_status s = QAT_OK;
    for (int c = 0; !s && c < cfg->n_classes; c++) {
        s = qat_data_npy_list(cfg, c, &lists[c].names, &lists[c].n, e);
        lists[c].cap = lists[c].n;
        total += lists[c].n;
    }
    if (!s) s = qat_dataset_alloc(out, total, cfg->window, cfg->channels, cfg->n_classes, e);
    if (!s) {
        for (int c = 0; c < cfg->n_classes; c++)
            snprintf(out->class_names[c], QAT_NAME_MAX, "%s", cfg->classes[c]);
        s = load_all(cfg, lists, out, e);
    }
    free_lists(lists, cfg->n_classes);
    if (s) qat_dataset_free(out);
    return s;
}

/* Digits needed so that every file name of a class has the same width and name order is
 * sample order (at least four, as <class>_0000.npy). */
static int name_digits(int count) {
    int d = 4;
    for (long lim = 10000; count > lim; lim *= 10) d++;
    return d;
}

static qat_status write_class(const qat_dataset *d, int c, const char *dir, qat_error *e) {
    const char *name = d->class_names[c];
    if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
        return qat_error_set(e, QAT_ERR_DATA, "%s: class %d has no usable folder name ('%s')", dir,
                             c, name);
    char folder[QAT_PATH_MAX], file[QAT_PATH_MAX], path[QAT_PATH_MAX];
    qat_status s = qat_path_join(folder, sizeof folder, dir, name, e);
    if (!s) s = qat_mkdir_p(folder, e);
    int count = 0;
    for (int i = 0; i < d->n; i++) count += d->y[i] == c;
    int digits = name_digits(count);
    size_t per = (size_t)d->window * (size_t)d->channels;
    size_t shape[2] = {(size_t)d->window, (size_t)d->channels};
    for (int i = 0, k = 0; !s && i < d->n; i++) {
        if (d->y[i] != c) continue;
        int len = snprintf(file, sizeof file, "%s_%0*d.npy", name, digits, k++);
        s = len > 0 && (size_t)len < sizeof file
                ? qat_path_join(path, sizeof path, folder, file, e)
                : qat_error_set(e, QAT_ERR_IO, "%s: name too long", folder);
        if (!s) s = qat_npy_write(path, QAT_DTYPE_F32, 2, shape, d->x + (size_t)i * per, e);
    }
    return s;
}

qat_status qat_data_write_npy_dir(const qat_dataset *d, const char *dir, qat_error *e) {
    qat_status s = qat_mkdir_p(dir, e);
    for (int c = 0; !s && c < d->n_classes; c++) s = write_class(d, c, dir, e);
    return s;
}
