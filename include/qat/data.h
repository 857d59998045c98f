/* qatrain — datasets: where samples come from and how they are prepared.
 *
 * A dataset is n windows of `window` time steps × `channels` axes (row-major, channels
 * last, as Keras' (N, T, C)), with integer labels in config class order. Sources:
 *   builtin  the seeded gesture generator (wave / punch / flex), the embedded default;
 *   npy      the lessons' folder layout DIR/<class>/NAME.npy, each (T, C) float32/float64,
 *            truncated or zero-padded to the window;
 *   csv      recorded IMU CSV (Arduino workshop format and its relatives), channels picked
 *            by column name, resampled from the recording rate to the model rate.
 * Preparation: a stratified seeded split, and min/max normalisation fitted on the
 * training split only and stored with the model. */
#ifndef QAT_DATA_H
#define QAT_DATA_H

#include <stdint.h>

#include "qat/error.h"
#include "qat/io.h"
#include "qat/rng.h"

#define QAT_MAX_CLASSES 16
#define QAT_MAX_CHANNELS 16
#define QAT_NAME_MAX 32
#define QAT_MAX_CSV_FILES 64

typedef struct qat_dataset {
    int n;                                        /* number of samples */
    int window;                                   /* positions per sample: time steps, or
                                                   * height·width for images */
    int channels;                                 /* values per position (axes, colours) */
    int height, width;                            /* images (height, width, channels); 0, 0
                                                   * for 1-D (window, channels) samples */
    int n_classes;                                /* labels are in [0, n_classes) */
    char class_names[QAT_MAX_CLASSES][QAT_NAME_MAX];
    float *x;                                     /* n * window * channels, owned */
    int *y;                                       /* n labels, owned */
} qat_dataset;

typedef enum qat_data_source {
    QAT_DATA_BUILTIN,
    QAT_DATA_NPY,
    QAT_DATA_CSV,
    QAT_DATA_SHAPES, /* the seeded generator of simple 2-D shapes (images) */
    QAT_DATA_SOURCE_COUNT
} qat_data_source;

typedef enum qat_norm_kind {
    QAT_NORM_NONE,
    QAT_NORM_MINMAX,      /* one min and max over all axes, as the lesson does */
    QAT_NORM_MINMAX_AXIS, /* a min and max per axis */
    QAT_NORM_ZSCORE,      /* per axis: (x − mean) / std, stored as min = mean, max = mean + std */
    QAT_NORM_KIND_COUNT
} qat_norm_kind;

typedef struct qat_csv_file {
    int cls;                  /* class index */
    char path[QAT_PATH_MAX];  /* resolved against the config's folder */
} qat_csv_file;

typedef struct qat_data_config {
    qat_data_source source;
    int n_classes;
    char classes[QAT_MAX_CLASSES][QAT_NAME_MAX]; /* label order */
    int window;                 /* time steps per sample (lesson: 50); for images the
                                 * validation sets it to height·width */
    int channels;               /* axes (lesson: 3), or image channels */
    int height, width;          /* images: both > 0; 1-D data: both 0 */
    double rate_hz;             /* model sampling rate (lesson: 50) */
    double test_split;          /* fraction held out for test (lesson: 0.2) */
    qat_norm_kind normalize;
    int samples_per_class;      /* builtin, shapes: samples generated per class */
    char dir[QAT_PATH_MAX];     /* npy: the folder holding one sub-folder per class */
    /* csv */
    int n_csv;
    qat_csv_file csv[QAT_MAX_CSV_FILES];
    double csv_rate_hz;         /* recording rate of the CSV files */
    int csv_gesture_rows;       /* rows per gesture; 0 = split at blank lines */
    char csv_columns[QAT_MAX_CHANNELS][QAT_NAME_MAX]; /* header names picked, `channels` of them */
} qat_data_config;

typedef struct qat_norm {
    qat_norm_kind kind;
    int channels;
    float min[QAT_MAX_CHANNELS]; /* per axis; all equal for QAT_NORM_MINMAX */
    float max[QAT_MAX_CHANNELS];
} qat_norm;

/* Allocates x and y for n samples (contents zero). Class names are left to the caller. */
qat_status qat_dataset_alloc(qat_dataset *d, int n, int window, int channels, int n_classes,
                             qat_error *e);
void qat_dataset_free(qat_dataset *d);

/* Loads (or generates) the whole dataset the config describes. `seed` drives the
 * generator's stream. Every sample is checked finite. */
qat_status qat_data_load(const qat_data_config *cfg, uint64_t seed, qat_dataset *out,
                         qat_error *e);

/* The built-in generator: cfg->samples_per_class recordings of each class. */
qat_status qat_gesture_generate(const qat_data_config *cfg, qat_rng *rng, qat_dataset *out,
                                qat_error *e);
/* The built-in shapes generator: cfg->samples_per_class images (height × width × 1) of each
 * class; class names pick the shapes (qat_shapes_class_names lists them). */
qat_status qat_shapes_generate(const qat_data_config *cfg, qat_rng *rng, qat_dataset *out,
                               qat_error *e);
/* The shape classes the generator draws, in its default order, comma-separated. */
const char *qat_shapes_class_names(void);
/* Lesson layout loader and CSV loader (used by qat_data_load). */
qat_status qat_data_load_npy_dir(const qat_data_config *cfg, qat_dataset *out, qat_error *e);
qat_status qat_data_load_csv(const qat_data_config *cfg, qat_dataset *out, qat_error *e);
/* The .npy files of class c's folder (cfg->dir/<class>), sorted by name: the files and the
 * order qat_data_load_npy_dir reads them in. The caller owns names[0..n) and frees them with
 * qat_data_names_free. */
qat_status qat_data_npy_list(const qat_data_config *cfg, int c, char ***names, int *n,
                             qat_error *e);
void qat_data_names_free(char **names, int n);
/* Writes a dataset in the lesson layout: DIR/<class>/<class>_NNNN.npy, float32 (T, C). */
qat_status qat_data_write_npy_dir(const qat_dataset *d, const char *dir, qat_error *e);

/* Stratified split: within each class, a seeded shuffle puts round(test_frac * count)
 * samples in `test` and the rest in `train`; original order is kept inside each part. */
qat_status qat_dataset_split(const qat_dataset *all, double test_frac, qat_rng *rng,
                             qat_dataset *train, qat_dataset *test, qat_error *e);
/* Copies the samples idx[0..n) of src into a new dataset. */
qat_status qat_dataset_subset(const qat_dataset *src, const int *idx, int n, qat_dataset *out,
                              qat_error *e);

/* Fits normalisation on (training) data; a constant signal is an error. */
qat_status qat_norm_fit(const qat_dataset *d, qat_norm_kind kind, qat_norm *out, qat_error *e);
/* x' = (x - min) / (max - min), per axis. */
void qat_norm_apply(const qat_norm *nm, qat_dataset *d);

const char *qat_data_source_name(qat_data_source s);
const char *qat_norm_kind_name(qat_norm_kind k);

#endif
