/* Image files as datasets (source = idx, npy_images): the training or the test file read by
 * the IDX or image-array reader, the class subset picked by label, smaller images zero-padded
 * to the model's size, bytes kept as bytes (qat_dataset_alloc_u8). */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "qat/data.h"

/* MNIST's file names, the defaults inside [data] dir. */
static const char *const idx_names[2][2] = {
    {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"},
    {"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"},
};

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

int qat_data_has_test_file(const qat_data_config *cfg) {
    if (cfg->source == QAT_DATA_IDX) return cfg->test_images[0] || cfg->dir[0];
    return cfg->source == QAT_DATA_NPY_IMAGES && cfg->test_images[0];
}

/* The images and labels files of the training (test = 0) or test part. */
static qat_status file_paths(const qat_data_config *cfg, int test, char *images, char *labels,
                             qat_error *e) {
    const char *im = test ? cfg->test_images : cfg->train_images;
    const char *lb = test ? cfg->test_labels : cfg->train_labels;
    qat_status s = QAT_OK;
    if (im[0]) snprintf(images, QAT_PATH_MAX, "%s", im);
    else s = qat_path_join(images, QAT_PATH_MAX, cfg->dir, idx_names[test][0], e);
    if (s) return s;
    if (lb[0]) snprintf(labels, QAT_PATH_MAX, "%s", lb);
    else s = qat_path_join(labels, QAT_PATH_MAX, cfg->dir, idx_names[test][1], e);
    return s;
}

/* A missing file says so; one of MNIST's default names also says where Debian's package puts
 * Fashion-MNIST. */
static qat_status check_present(const char *path, int default_name, qat_error *e) {
    struct stat st;
    if (stat(path, &st) == 0 || errno != ENOENT) return QAT_OK; /* the reader says the rest */
    if (default_name)
        return qat_error_set(e, QAT_ERR_IO, "%s: no such file (Debian's dataset-fashion-mnist "
                             "package installs Fashion-MNIST in " FASHION_DIR ": apt-get "
                             "install dataset-fashion-mnist, or run scripts/setup.sh)", path);
    return qat_error_set(e, QAT_ERR_IO, "%s: no such file", path);
}

/* The training (test = 0) or test part's two files, each present (check_present). */
static qat_status part_files(const qat_data_config *cfg, int test, char *images, char *labels,
                             qat_error *e) {
    const char *im = test ? cfg->test_images : cfg->train_images;
    const char *lb = test ? cfg->test_labels : cfg->train_labels;
    qat_status s = file_paths(cfg, test, images, labels, e);
    if (!s) s = check_present(images, !im[0], e);
    if (!s) s = check_present(labels, !lb[0], e);
    return s;
}

qat_status qat_data_image_files(const qat_data_config *cfg, char paths[4][QAT_PATH_MAX], int *n,
                                qat_error *e) {
    *n = 0;
    for (int test = 0; test < 1 + qat_data_has_test_file(cfg); test++) {
        qat_status s = part_files(cfg, test, paths[*n], paths[*n + 1], e);
        if (s) return s;
        *n += 2;
    }
    return QAT_OK;
}

/* The class of a file label: its index in [data] labels, −1 when the subset leaves it out;
 * without a subset the label itself, which must name a class. */
static qat_status class_of(const qat_data_config *cfg, const char *path, int i, int label,
                           int *cls, qat_error *e) {
    *cls = -1;
    for (int k = 0; k < cfg->n_labels; k++)
        if (cfg->labels[k] == label) *cls = k;
    if (cfg->n_labels > 0) return QAT_OK;
    if (label >= 0 && label < cfg->n_classes) {
        *cls = label;
        return QAT_OK;
    }
    return qat_error_set(e, QAT_ERR_DATA, "%s: image %d has label %d, but [data] classes names "
                         "%d classes (list one class per label, or pick labels with "
                         "[data] labels)", path, i, label, cfg->n_classes);
}

/* The file's images must fit the model's input: the same channels, the same size, or smaller
 * with pad = true. */
static qat_status check_size(const qat_data_config *cfg, const qat_image_set *s,
                             const char *path, qat_error *e) {
    if (s->channels != cfg->channels)
        return qat_error_set(e, QAT_ERR_DATA, "%s: images have %d channel%s, [data] channels is "
                             "%d", path, s->channels, s->channels == 1 ? "" : "s", cfg->channels);
    if (s->height == cfg->height && s->width == cfg->width) return QAT_OK;
    if (s->height <= cfg->height && s->width <= cfg->width && cfg->pad) return QAT_OK;
    if (s->height <= cfg->height && s->width <= cfg->width)
        return qat_error_set(e, QAT_ERR_DATA, "%s: images are %d × %d, the model takes %d × %d "
                             "(set [data] pad = true to zero-pad them, or height = %d, width = "
                             "%d)", path, s->height, s->width, cfg->height, cfg->width,
                             s->height, s->width);
    return qat_error_set(e, QAT_ERR_DATA, "%s: images are %d × %d, larger than the model's %d × "
                         "%d input (set [data] height = %d, width = %d)", path, s->height,
                         s->width, cfg->height, cfg->width, s->height, s->width);
}

/* Image i of s into sample j of d, centred in d's frame (zero around it). */
static void place(const qat_image_set *s, int i, qat_dataset *d, int j) {
    int c = s->channels, top = (d->height - s->height) / 2, left = (d->width - s->width) / 2;
    size_t row = (size_t)s->width * (size_t)c, per = (size_t)s->height * row;
    size_t at = (size_t)j * qat_dataset_sample_size(d);
    for (int y = 0; y < s->height; y++) {
        size_t dst = at + ((size_t)(top + y) * (size_t)d->width + (size_t)left) * (size_t)c;
        size_t src = (size_t)i * per + (size_t)y * row;
        if (s->u8) memcpy(d->x8 + dst, s->u8 + src, row);
        else memcpy(d->x + dst, s->f32 + src, row * sizeof *d->x);
    }
}

static qat_status to_dataset(const qat_data_config *cfg, const qat_image_set *s, int test,
                             const char *path, qat_dataset *out, qat_error *e) {
    int n = 0, cls;
    qat_status st = check_size(cfg, s, path, e);
    for (int i = 0; i < s->n && !st; i++) {
        st = class_of(cfg, path, i, s->labels[i], &cls, e);
        n += cls >= 0;
    }
    if (st) return st;
    st = s->u8 ? qat_dataset_alloc_u8(out, n, cfg->window, cfg->channels, cfg->n_classes, e)
               : qat_dataset_alloc(out, n, cfg->window, cfg->channels, cfg->n_classes, e);
    if (st) return st;
    out->height = cfg->height;
    out->width = cfg->width;
    for (int i = 0, j = 0; i < s->n; i++) {
        class_of(cfg, path, i, s->labels[i], &cls, NULL);
        if (cls < 0) continue;
        place(s, i, out, j);
        out->y[j] = cls;
        out->src[j++] = (qat_sample_src){test, i};
    }
    return QAT_OK;
}

qat_status qat_data_load_images(const qat_data_config *cfg, int test, qat_dataset *out,
                                qat_error *e) {
    char images[QAT_PATH_MAX], labels[QAT_PATH_MAX];
    qat_image_set s = {0};
    int limit = test ? cfg->test_limit : cfg->train_limit;
    memset(out, 0, sizeof *out);
    qat_status st = part_files(cfg, test, images, labels, e);
    if (!st) st = cfg->source == QAT_DATA_IDX ? qat_idx_read(images, labels, limit, &s, e)
                                              : qat_image_npy_read(images, labels, limit, &s, e);
    if (!st) st = to_dataset(cfg, &s, test, images, out, e);
    qat_image_set_free(&s);
    return st;
}

void qat_data_image_name(const qat_data_config *cfg, qat_sample_src src, char *buf, size_t cap) {
    char images[QAT_PATH_MAX], labels[QAT_PATH_MAX];
    if (file_paths(cfg, src.file == 1, images, labels, NULL) != QAT_OK)
        snprintf(images, sizeof images, "%s", src.file == 1 ? "test file" : "training file");
    snprintf(buf, cap, "%s, image %d", images, src.line);
}
