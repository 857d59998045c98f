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
#define QAT_MAX_SOURCES 16

/* Where one sample came from, for messages (qat_data_sample_name spells it out):
 *   builtin  file = the recording's number within its class, line = 0
 *   npy      file = the file's index in its class folder (name order), line = 0
 *   csv      file = the CSV's index in the config's [files] list, line = the line of the
 *            gesture's first row */
typedef struct qat_sample_src {
    int file;
    int line;
} qat_sample_src;

/* Limits on the numbers the data readers take in (each refusal names the file, line or
 * element, and the limits): sample rates (rate_hz, csv_rate_hz) within [QAT_RATE_HZ_MIN,
 * QAT_RATE_HZ_MAX], so that every resampling position is finite; recorded values within
 * ±QAT_DATA_VALUE_MAX, so that they and the normaliser's max − min fit float32. */
#define QAT_RATE_HZ_MIN 1e-3
#define QAT_RATE_HZ_MAX 1e6
#define QAT_DATA_VALUE_MAX 1e38

typedef struct qat_dataset {
    int n;                                        /* number of samples */
    int window;                                   /* positions per sample: time steps, or
                                                   * height·width for images */
    int channels;                                 /* values per position (axes, colours) */
    int height, width;                            /* images (height, width, channels); 0, 0
                                                   * for 1-D (window, channels) samples */
    int n_classes;                                /* labels are in [0, n_classes) */
    char class_names[QAT_MAX_CLASSES][QAT_NAME_MAX];
    float *x;                                     /* n * window * channels values, owned;
                                                   * NULL when x8 holds the samples */
    uint8_t *x8;                                  /* images kept as bytes (x == NULL):
                                                   * n * window * channels, owned */
    float *lut;                                   /* with x8: the value of byte v on channel
                                                   * k is lut[k * 256 + v], owned */
    int *y;                                       /* n labels, owned */
    qat_sample_src *src;                          /* n origins (zero unless the loader
                                                     records them), owned */
} qat_dataset;

typedef enum qat_data_source {
    QAT_DATA_BUILTIN,
    QAT_DATA_NPY,
    QAT_DATA_CSV,
    QAT_DATA_SHAPES, /* the seeded generator of simple 2-D shapes (images) */
    QAT_DATA_IDX,    /* MNIST's IDX files (plain or .gz): images and labels, train and test */
    QAT_DATA_NPY_IMAGES, /* image arrays X.npy (N, H, W[, C]) uint8/float32 with y.npy */
    QAT_DATA_SOURCE_COUNT
} qat_data_source;

typedef enum qat_norm_kind {
    QAT_NORM_NONE,
    QAT_NORM_MINMAX,      /* one min and max over all axes, as the lesson does */
    QAT_NORM_MINMAX_AXIS, /* a min and max per axis */
    QAT_NORM_ZSCORE,      /* per axis: (x − mean) / std, stored as min = mean, max = mean + std */
    QAT_NORM_SCALE,       /* x / scale (pixels / 255, as the image lessons), stored as min = 0,
                           * max = scale */
    QAT_NORM_KIND_COUNT
} qat_norm_kind;

typedef struct qat_csv_file {
    int cls;                  /* class index */
    int source;               /* index in qat_data_config.sources */
    char path[QAT_PATH_MAX];  /* resolved against the config's folder */
} qat_csv_file;

/* What a source's samples are for. */
typedef enum qat_source_use {
    QAT_USE_BOTH,  /* split by test_split (stratified), as a single source is */
    QAT_USE_TRAIN, /* training and validation only */
    QAT_USE_TEST,  /* the test split only: a person, device or session never trained on */
    QAT_USE_COUNT
} qat_source_use;

/* Physical units of a channel, so that sources recorded in different units can be pooled. */
typedef enum qat_unit {
    QAT_UNIT_NONE,  /* not declared: no conversion */
    QAT_UNIT_G,     /* acceleration: standard gravity, 9.80665 m/s² */
    QAT_UNIT_MS2,   /* m/s² */
    QAT_UNIT_MG,    /* milli-g */
    QAT_UNIT_DEG_S, /* angular rate: degrees per second */
    QAT_UNIT_RAD_S, /* radians per second */
    QAT_UNIT_COUNT
} qat_unit;

/* One source of CSV recordings (a person, a device, a session): a [source.NAME] section, or
 * [files] (the source named "files"). Format keys left unset take [data]'s. */
typedef struct qat_source_spec {
    char name[QAT_NAME_MAX];
    int line;                   /* its section header's line (0: none) */
    qat_source_use use;
    double csv_rate_hz;         /* 0: [data] csv_rate_hz */
    int csv_gesture_rows;       /* -1: [data] csv_gesture_rows */
    char csv_columns[QAT_MAX_CHANNELS][QAT_NAME_MAX]; /* empty: [data] csv_columns */
    qat_unit units[QAT_MAX_CHANNELS]; /* per channel; NONE: recorded in [data] units */
} qat_source_spec;

/* Cross-validation over the sources. */
typedef enum qat_cross_validate {
    QAT_CV_NONE,
    QAT_CV_LEAVE_ONE_SOURCE_OUT, /* each source in turn is the test split, the others train */
    QAT_CV_COUNT
} qat_cross_validate;

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
    int n_sources;
    qat_source_spec sources[QAT_MAX_SOURCES];
    qat_unit units[QAT_MAX_CHANNELS]; /* the model's units per channel; NONE: no conversion */
    qat_cross_validate cross_validate;
    /* splits */
    int has_split_seed;            /* split_seed given; else the run's seed splits */
    uint64_t split_seed;
    char train_index[QAT_PATH_MAX], val_index[QAT_PATH_MAX], test_index[QAT_PATH_MAX];
                                   /* .npy row indices into the loaded data ("" = none) */
    double csv_rate_hz;         /* recording rate of the CSV files */
    int csv_gesture_rows;       /* rows per gesture; 0 = split at blank lines */
    char csv_columns[QAT_MAX_CHANNELS][QAT_NAME_MAX]; /* header names picked, `channels` of them */
    /* idx, npy_images: the files (resolved against the config's folder; for idx, missing
     * names default to MNIST's inside `dir`); no test files: test_split of the training file */
    char train_images[QAT_PATH_MAX], train_labels[QAT_PATH_MAX];
    char test_images[QAT_PATH_MAX], test_labels[QAT_PATH_MAX];
    int n_labels;                  /* > 0: the file labels taken, class i = labels[i] (a class
                                    * subset); 0: labels 0 .. n_classes − 1, all of them */
    int labels[QAT_MAX_CLASSES];
    int pad;                       /* zero-pad smaller images to height × width, centred */
    int train_limit, test_limit;   /* read only the first N images of each file (0 = all) */
    double scale;                  /* normalize = scale: x / scale (255 for pixels) */
} qat_data_config;

typedef struct qat_norm {
    qat_norm_kind kind;
    int channels;
    float min[QAT_MAX_CHANNELS]; /* per axis; all equal for QAT_NORM_MINMAX */
    float max[QAT_MAX_CHANNELS];
} qat_norm;

/* Allocates x, y and src for n samples (contents zero). Class names are left to the
 * caller. */
qat_status qat_dataset_alloc(qat_dataset *d, int n, int window, int channels, int n_classes,
                             qat_error *e);
/* The same for samples kept as bytes: x8 (zero) and an identity lut (byte v reads as v.0f)
 * instead of x. A quarter of the memory: 60,000 28×28 images are 47 MB, not 188 MB. */
qat_status qat_dataset_alloc_u8(qat_dataset *d, int n, int window, int channels, int n_classes,
                                qat_error *e);
/* The float values of samples first .. first+n−1 (n·window·channels of them), whatever the
 * storage: bytes go through the lut, so every reader sees the same numbers. */
void qat_dataset_read(const qat_dataset *d, int first, int n, float *out);
/* The same for the samples idx[0..n), in that order. */
void qat_dataset_gather(const qat_dataset *d, const int *idx, int n, float *out);
/* Values per sample: window · channels. */
size_t qat_dataset_sample_size(const qat_dataset *d);
void qat_dataset_free(qat_dataset *d);

/* Loads (or generates) the whole dataset the config describes, recording each sample's
 * origin. `seed` drives the generator's stream. The values are not judged here: that is
 * qat_data_validate's, once the splits are known. */
qat_status qat_data_load(const qat_data_config *cfg, uint64_t seed, qat_dataset *out,
                         qat_error *e);

/* The test split's own file (source = idx or npy_images with test files), loaded as
 * qat_data_load loads the training file. */
qat_status qat_data_load_test(const qat_data_config *cfg, qat_dataset *out, qat_error *e);
/* Whether the config names a test file (then no test_split is taken from the training file). */
int qat_data_has_test_file(const qat_data_config *cfg);
/* source = idx / npy_images: the training (test = 0) or test file's images, the classes
 * picked by cfg->labels, zero-padded to height × width when cfg->pad; bytes stay bytes. */
qat_status qat_data_load_images(const qat_data_config *cfg, int test, qat_dataset *out,
                                qat_error *e);
/* The image and label files the config reads (training, then test when it names a test
 * file): paths[0..*n), at most 4; a missing one is an error (naming the Debian package for
 * MNIST's default names), as when loading. */
qat_status qat_data_image_files(const qat_data_config *cfg, char paths[4][QAT_PATH_MAX], int *n,
                                qat_error *e);
/* "FILE, image I" for a sample of an image file (src.file 0: training, 1: test). */
void qat_data_image_name(const qat_data_config *cfg, qat_sample_src src, char *buf, size_t cap);
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

/* Stratified split: within each class, a seeded shuffle puts qat_split_count(count,
 * test_frac) samples in `test` and the rest in `train`; original order is kept inside each
 * part. */
qat_status qat_dataset_split(const qat_dataset *all, double test_frac, qat_rng *rng,
                             qat_dataset *train, qat_dataset *test, qat_error *e);
/* The first n samples of src, in order. */
qat_status qat_dataset_head(const qat_dataset *src, int n, qat_dataset *out, qat_error *e);
/* Keras's validation_split: the first floor(n · (1 − frac)) samples in `head`, the rest (the
 * last fraction, in order, before any shuffling) in `tail`. */
qat_status qat_dataset_split_tail(const qat_dataset *all, double frac, qat_dataset *head,
                                  qat_dataset *tail, qat_error *e);
/* How many of a class's `count` samples a split of fraction frac takes: round(frac · count),
 * halves up. */
int qat_split_count(int count, double frac);
/* Where Keras's validation_split starts: floor(n · (1 − frac)). */
int qat_split_tail_start(int n, double frac);
/* Copies the samples idx[0..n) of src into a new dataset. */
qat_status qat_dataset_subset(const qat_dataset *src, const int *idx, int n, qat_dataset *out,
                              qat_error *e);

/* ---- splits as row numbers of the loaded data ---- */

typedef enum qat_part {
    QAT_PART_TRAIN,
    QAT_PART_VAL,
    QAT_PART_TEST,
    QAT_PART_UNUSED, /* outside a train_index file */
    QAT_PART_COUNT
} qat_part;

const char *qat_part_name(qat_part p);
/* The one stratified pick every split uses: among rows[0..n) (labels y), per class in label
 * order, a seeded shuffle of that class's rows; the first qat_split_count(count, frac) get
 * part[row] = mark. */
qat_status qat_split_pick(const int *y, int n_classes, const int *rows, int n, double frac,
                          qat_rng *rng, unsigned char *part, unsigned char mark, qat_error *e);
/* Assigns each sample of `all` (as qat_data_load returned it) to a part (part: all->n bytes):
 *   test        the rows of test_index when given; else the samples of use = test sources
 *               and a stratified test_split of use = both ones (data without sources count
 *               as both); none when the data set has its own test file;
 *   validation  (val_split > 0, or val_index) the rows of val_index, else from the training
 *               rows a stratified val_split (rng) or its last fraction (val_last: Keras's
 *               validation_split);
 *   training    the rows of train_index when given (the others are UNUSED), else the rest.
 * Index files are 1-D .npy arrays of int32 / int64 row numbers in [0, n), no row twice nor in
 * two parts; a violation is QAT_ERR_DATA naming the file, the key and the element. */
qat_status qat_data_assign(const qat_data_config *cfg, const qat_dataset *all, double val_split,
                           int val_last, qat_rng *rng, unsigned char *part, qat_error *e);
/* The samples of one part, in loading order, into out; with rows non-NULL, also their row
 * numbers (*rows, *n: the caller frees *rows). */
qat_status qat_dataset_part(const qat_dataset *all, const unsigned char *part, qat_part want,
                            qat_dataset *out, int **rows, int *n, qat_error *e);

/* Fits normalisation on (training) data; a constant signal is an error. `scale` is the
 * divisor of QAT_NORM_SCALE (> 0), unused by the other kinds. */
qat_status qat_norm_fit(const qat_dataset *d, qat_norm_kind kind, float scale, qat_norm *out,
                        qat_error *e);
/* Per-axis min and max over every sample and time step of d (channels <= QAT_MAX_CHANNELS);
 * a value that is not finite is refused, as it would make the range meaningless. */
qat_status qat_data_axis_ranges(const qat_dataset *d, float *mn, float *mx, qat_error *e);
/* x' = (x - min) / (max - min), per axis; for bytes, on the lut (the same numbers). */
void qat_norm_apply(const qat_norm *nm, qat_dataset *d);
/* The same on `rows` time steps of nm->channels values (channels last), and its inverse (back
 * to the data's units: what augmentation of a normalised batch works in). */
void qat_norm_apply_values(const qat_norm *nm, float *x, size_t rows);
void qat_norm_invert_values(const qat_norm *nm, float *x, size_t rows);

/* ---- validation: what the later stages assume, checked once before anything trains ---- */

/* The splits qat_data_validate judges; val is NULL when there is none (val_split 0). */
typedef struct qat_data_splits {
    const qat_dataset *train, *val, *test;
    double val_split; /* the fraction of the non-test samples that made val */
} qat_data_splits;

/* Checks a loaded dataset (`all`, in the order qat_data_load returned it) and, unless s is
 * NULL, its splits, against what training and quantization assume. The first failure is a
 * QAT_ERR_DATA naming the data (file and line, folder, or the built-in generator) and the
 * setting to change:
 *   - every value finite; no recording all zero (a dead sensor, an empty capture);
 *   - every class has a sample in each split: test, training, and validation when s->val;
 *   - min/max normalisation has a range to divide by: for normalize = minmax_axis no axis
 *     is constant over the training split, for minmax not every value is the same.
 * An axis constant where nothing divides by its range (normalize = none, or minmax with
 * other axes varying) is no error: `warning` (cap > 0 bytes; "" when none) says so. */
qat_status qat_data_validate(const qat_data_config *cfg, const qat_dataset *all,
                             const qat_data_splits *s, char *warning, size_t cap, qat_error *e);
/* Names sample i of d for messages, from d->src: "DIR/wave/wave_0003.npy" (npy),
 * "rec/wave.csv:120" (csv: the gesture's first line), "built-in generator, wave recording 3". */
void qat_data_sample_name(const qat_data_config *cfg, const qat_dataset *d, int i, char *buf,
                          size_t cap);

const char *qat_data_source_name(qat_data_source s);
const char *qat_norm_kind_name(qat_norm_kind k);
const char *qat_source_use_name(qat_source_use u);
const char *qat_unit_name(qat_unit u);
const char *qat_cross_validate_name(qat_cross_validate c);
/* The factor that turns a value in unit `from` into unit `to` (1 when either is NONE); 0 when
 * they measure different things (an acceleration as an angular rate). */
double qat_unit_factor(qat_unit from, qat_unit to);
/* The source the sample came from (csv: its file's source), or -1. */
int qat_data_sample_source(const qat_data_config *cfg, const qat_dataset *d, int i);

/* ---- image sets as files hold them: IDX (MNIST's format) and NumPy arrays ----
 * Pixels stay in the file's type, so 60,000 28×28 byte images cost 47 MB, not 188 MB as
 * float. Labels are returned as stored: checking them against a class count, and turning
 * pixels into samples, is the caller's. Every refusal is one line naming the file:
 * QAT_ERR_IO when it cannot be opened (or is no regular file), QAT_ERR_FORMAT when its bytes
 * are not what its format says (magic, header, truncated, trailing bytes, corrupt gzip),
 * QAT_ERR_DATA when it is well formed but unusable here (no images, sizes beyond the limits
 * below, a dtype or shape that is not an image set, negative labels, image and label counts
 * that differ), QAT_ERR_CONFIG for a negative limit. */

#define QAT_IMAGE_MAX_N 100000000 /* images in a set, at most */
#define QAT_IMAGE_MAX_SIDE 4096   /* height and width, at most (channels: QAT_MAX_CHANNELS) */

/* A set of images as a file holds them: n images of height × width × channels (channels
 * last), pixels as bytes (u8, uint8 files) or floats (f32, float32 .npy), one label each. */
typedef struct qat_image_set {
    int n, height, width, channels;
    uint8_t *u8;   /* n·h·w·c bytes, or NULL; owned */
    float *f32;    /* n·h·w·c floats, or NULL; owned */
    int *labels;   /* n labels as stored (not yet checked against any class count); owned */
} qat_image_set;

/* MNIST's IDX format: images_path holds an idx3 (n, h, w) uint8 array (magic 0x00000803),
 * labels_path an idx1 (n) uint8 array (0x00000801); either may be gzip-compressed (read
 * through zlib, recognised by its content, not its name). limit > 0 reads only the first
 * `limit` images and labels (0 = all). Both headers are checked in full, and a plain file's
 * size against its header; the part of a compressed file past the limit is not read, so its
 * truncation or trailing bytes go unnoticed. channels is 1. On failure *out is empty. */
qat_status qat_idx_read(const char *images_path, const char *labels_path, int limit,
                        qat_image_set *out, qat_error *e);
/* NumPy arrays as people export them: X (N, H, W) or (N, H, W, C), uint8 (→ u8) or float32
 * (→ f32; float64 is converted to f32, and must then be finite); y (N,) of uint8 / int32 /
 * int64 labels, each in [0, INT_MAX]. Same limit (only the rows used are read). */
qat_status qat_image_npy_read(const char *x_path, const char *y_path, int limit,
                              qat_image_set *out, qat_error *e);
/* Frees what a reader allocated and empties the set; safe on an emptied set. */
void qat_image_set_free(qat_image_set *s);

#endif
