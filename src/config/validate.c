/* Cross-key checks of a whole configuration: what no single key can see on its own
 * (the data source's needs, the layer stack against the input shape and the classes).
 * Single values were range-checked when they were set. */
#include "qat/config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define PROBLEM_MAX 384

/* Messages start "PATH:LINE: " when the line is known (layers), "PATH: " otherwise, and
 * "built-in config: " for the defaults (possibly changed by --set). */
__attribute__((format(printf, 4, 5)))
static qat_status config_error(const qat_config *cfg, int line, qat_error *e, const char *fmt,
                               ...) {
    char problem[PROBLEM_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    if (!cfg->path[0]) return qat_error_set(e, QAT_ERR_CONFIG, "built-in config: %s", problem);
    if (line > 0) return qat_error_set(e, QAT_ERR_CONFIG, "%s:%d: %s", cfg->path, line, problem);
    return qat_error_set(e, QAT_ERR_CONFIG, "%s: %s", cfg->path, problem);
}

/* ---- data ---------------------------------------------------------------------------- */

static qat_status check_builtin(const qat_config *cfg, qat_error *e) {
    static const char *const gestures[] = {"wave", "punch", "flex"};
    const qat_data_config *d = &cfg->data;
    if (d->channels != 3)
        return config_error(cfg, 0, e, "[data] channels: the builtin generator makes 3 axes, "
                            "not %d (use source = npy or csv for other data)", d->channels);
    for (int i = 0; i < d->n_classes; i++) {
        int known = 0;
        for (int g = 0; g < 3; g++) known |= !strcmp(d->classes[i], gestures[g]);
        if (!known)
            return config_error(cfg, 0, e, "[data] classes: '%s' is not a built-in gesture "
                                "(builtin: wave, punch, flex; use source = npy or csv)",
                                d->classes[i]);
    }
    return QAT_OK;
}

/* How many of a channel list's entries are set (names non-empty, units not NONE). */
static int count_columns(const char cols[QAT_MAX_CHANNELS][QAT_NAME_MAX]) {
    int n = 0;
    while (n < QAT_MAX_CHANNELS && cols[n][0]) n++;
    return n;
}

static int count_units(const qat_unit *u) {
    int n = 0;
    while (n < QAT_MAX_CHANNELS && u[n] != QAT_UNIT_NONE) n++;
    return n;
}

/* One source's format and units against [data]'s channels and units. */
static qat_status check_source(const qat_config *cfg, const qat_source_spec *s, qat_error *e) {
    const qat_data_config *d = &cfg->data;
    int columns = count_columns(s->csv_columns), units = count_units(s->units);
    char sec[QAT_NAME_MAX + 16];
    snprintf(sec, sizeof sec, strcmp(s->name, "files") ? "[source.%s]" : "[data]", s->name);
    if (columns && columns != d->channels)
        return config_error(cfg, s->line, e, "%s csv_columns: %d columns for %d channels", sec,
                            columns, d->channels);
    if (units && units != d->channels)
        return config_error(cfg, s->line, e, "%s units: %d units for %d channels", sec, units,
                            d->channels);
    if (units && !count_units(d->units))
        return config_error(cfg, s->line, e, "%s units: set [data] units too (the model's units, "
                            "into which this source is converted)", sec);
    for (int k = 0; k < units; k++)
        if (qat_unit_factor(s->units[k], d->units[k]) == 0.0)
            return config_error(cfg, s->line, e, "%s units: channel %d is in %s, the model's in %s "
                                "(not the same quantity)", sec, k + 1, qat_unit_name(s->units[k]),
                                qat_unit_name(d->units[k]));
    int files = 0;
    for (int i = 0; i < d->n_csv; i++) files += d->csv[i].source == (int)(s - d->sources);
    if (!files)
        return config_error(cfg, s->line, e, "%s: no files (add 'CLASS = recording.csv')", sec);
    return QAT_OK;
}

/* Which sources train and which test: something must train; cross-validation needs two. */
static qat_status check_uses(const qat_config *cfg, qat_error *e) {
    const qat_data_config *d = &cfg->data;
    int train = 0;
    for (int i = 0; i < d->n_sources; i++) train += d->sources[i].use != QAT_USE_TEST;
    if (d->cross_validate == QAT_CV_LEAVE_ONE_SOURCE_OUT) {
        if (d->n_sources < 2)
            return config_error(cfg, 0, e, "[data] cross_validate: leave_one_source_out needs at "
                                "least 2 sources ([source.NAME] sections), got %d", d->n_sources);
        return QAT_OK;
    }
    if (!train)
        return config_error(cfg, 0, e, "[source.*] use: every source is 'test': nothing trains");
    return QAT_OK;
}

static qat_status check_csv(const qat_config *cfg, qat_error *e) {
    const qat_data_config *d = &cfg->data;
    int columns = count_columns(d->csv_columns);
    if (columns != d->channels)
        return config_error(cfg, 0, e, "[data] csv_columns: %d column%s for %d channels (name "
                            "one CSV column per channel)", columns, columns == 1 ? "" : "s",
                            d->channels);
    int units = count_units(d->units);
    if (units && units != d->channels)
        return config_error(cfg, 0, e, "[data] units: %d units for %d channels", units,
                            d->channels);
    if (d->n_csv < 0 || d->n_csv > QAT_MAX_CSV_FILES)
        return config_error(cfg, 0, e, "[files]: %d files (at most %d)", d->n_csv,
                            QAT_MAX_CSV_FILES);
    for (int i = 0; i < d->n_csv; i++)
        if (d->csv[i].cls < 0 || d->csv[i].cls >= d->n_classes || d->csv[i].source < 0 ||
            d->csv[i].source >= d->n_sources)
            return config_error(cfg, 0, e, "[files]: '%s' belongs to no class", d->csv[i].path);
    for (int c = 0; c < d->n_classes; c++) {
        int n = 0;
        for (int i = 0; i < d->n_csv; i++) n += d->csv[i].cls == c;
        if (!n)
            return config_error(cfg, 0, e, "[files] %s: no CSV file for class '%s' (add "
                                "'%s = recording.csv' under [files] or a [source.NAME])",
                                d->classes[c], d->classes[c], d->classes[c]);
    }
    for (int i = 0; i < d->n_sources; i++) {
        qat_status st = check_source(cfg, &d->sources[i], e);
        if (st) return st;
    }
    return check_uses(cfg, e);
}

/* Keys that only make sense for some sources. */
static qat_status check_source_keys(const qat_config *cfg, qat_error *e) {
    const qat_data_config *d = &cfg->data;
    if (d->source != QAT_DATA_CSV && d->n_sources)
        return config_error(cfg, d->sources[0].line, e, "[%s%s]: sources hold CSV recordings "
                            "(source = csv), this config reads source = %s",
                            strcmp(d->sources[0].name, "files") ? "source." : "",
                            d->sources[0].name, qat_data_source_name(d->source));
    if (d->source != QAT_DATA_CSV && d->cross_validate != QAT_CV_NONE)
        return config_error(cfg, 0, e, "[data] cross_validate: over CSV sources only (source = "
                            "csv with [source.NAME] sections)");
    int index = d->train_index[0] || d->val_index[0] || d->test_index[0];
    if (index && d->cross_validate != QAT_CV_NONE)
        return config_error(cfg, 0, e, "[data] cross_validate: the folds are the sources; drop "
                            "the *_index files");
    if (d->test_index[0] && qat_data_has_test_file(d))
        return config_error(cfg, 0, e, "[data] test_index: the data set has its own test file");
    return QAT_OK;
}

/* Augmentation works on 1-D recordings, in the data's units. */
static qat_status check_augment(const qat_config *cfg, qat_error *e) {
    const qat_augment *a = &cfg->train.augment;
    if (!qat_augment_active(a)) return QAT_OK;
    if (cfg->data.height)
        return config_error(cfg, 0, e, "[augment]: IMU augmentation is for 1-D recordings, not "
                            "images");
    qat_error why = {0};
    if (qat_augment_check(a, cfg->data.channels, &why))
        return config_error(cfg, 0, e, "%s", why.msg);
    return QAT_OK;
}

/* The shapes generator: 1-channel images at least 8×8, classes among its shapes. */
static qat_status check_shapes(const qat_config *cfg, qat_error *e) {
    const qat_data_config *d = &cfg->data;
    if (d->height < 8 || d->width < 8)
        return config_error(cfg, 0, e, "[data] height: source = shapes needs height and width "
                            "of at least 8 (got %d × %d)", d->height, d->width);
    if (d->channels != 1)
        return config_error(cfg, 0, e, "[data] channels: the shapes generator makes 1 channel, "
                            "not %d", d->channels);
    const char *names = qat_shapes_class_names();
    for (int i = 0; i < d->n_classes; i++) {
        size_t n = strlen(d->classes[i]);
        const char *at = strstr(names, d->classes[i]);
        int known = 0;
        for (; at && !known; at = strstr(at + 1, d->classes[i]))
            known = (at == names || at[-1] == ' ') && (at[n] == ',' || at[n] == '\0');
        if (!known)
            return config_error(cfg, 0, e, "[data] classes: '%s' is not a shape of the "
                                "generator (shapes: %s)", d->classes[i], names);
    }
    return QAT_OK;
}

/* Image files: where they are (idx: a folder of MNIST's names, or the files; npy_images: the
 * files), test images and labels together, one label per class when a subset is picked. */
static qat_status check_image_files(const qat_config *cfg, qat_error *e) {
    const qat_data_config *d = &cfg->data;
    const char *src = qat_data_source_name(d->source);
    if (d->source == QAT_DATA_NPY_IMAGES && (!d->train_images[0] || !d->train_labels[0]))
        return config_error(cfg, 0, e, "[data] %s: missing (source = npy_images needs "
                            "train_images = X.npy and train_labels = y.npy)",
                            d->train_images[0] ? "train_labels" : "train_images");
    if (d->source == QAT_DATA_IDX && !d->dir[0] && (!d->train_images[0] || !d->train_labels[0]))
        return config_error(cfg, 0, e, "[data] dir: missing (source = idx needs the folder of "
                            "the IDX files, or train_images and train_labels)");
    if (!d->test_images[0] != !d->test_labels[0])
        return config_error(cfg, 0, e, "[data] %s: missing (test_images and test_labels go "
                            "together)", d->test_images[0] ? "test_labels" : "test_images");
    if (d->n_labels > 0 && d->n_labels != d->n_classes)
        return config_error(cfg, 0, e, "[data] labels: %d labels for %d classes (one file "
                            "label per class, in class order)", d->n_labels, d->n_classes);
    if (d->source == QAT_DATA_IDX && d->channels != 1)
        return config_error(cfg, 0, e, "[data] channels: %s images have 1 channel, not %d", src,
                            d->channels);
    return QAT_OK;
}

static int reads_images(qat_data_source s) {
    return s == QAT_DATA_SHAPES || s == QAT_DATA_IDX || s == QAT_DATA_NPY_IMAGES;
}

/* 2-D input: height and width both given (window follows as height·width), and a source
 * that reads images. */
static qat_status check_input_shape(const qat_config *cfg, qat_error *e) {
    const qat_data_config *d = &cfg->data;
    if ((d->height > 0) != (d->width > 0))
        return config_error(cfg, 0, e, "[data] %s: missing (2-D input needs both height and "
                            "width)", d->height > 0 ? "width" : "height");
    if (d->height > 0 && d->window != d->height * d->width)
        return config_error(cfg, 0, e, "[data] window: %d, but 2-D input has height × width = "
                            "%d positions (leave window out for images)", d->window,
                            d->height * d->width);
    if (d->height > 0 && !reads_images(d->source))
        return config_error(cfg, 0, e, "[data] source: %s reads 1-D (window, channels) samples, "
                            "not %d × %d images (use source = shapes, idx or npy_images, or "
                            "drop height/width)", qat_data_source_name(d->source), d->height,
                            d->width);
    if (d->height == 0 && reads_images(d->source))
        return config_error(cfg, 0, e, "[data] height: missing (source = %s reads 2-D "
                            "images: give height and width)", qat_data_source_name(d->source));
    return QAT_OK;
}

static qat_status check_data(const qat_config *cfg, qat_error *e) {
    const qat_data_config *d = &cfg->data;
    if (d->n_classes < 2 || d->n_classes > QAT_MAX_CLASSES)
        return config_error(cfg, 0, e, "[data] classes: %d classes (need 2 to %d)", d->n_classes,
                            QAT_MAX_CLASSES);
    qat_status st = check_input_shape(cfg, e);
    if (!st) st = check_source_keys(cfg, e);
    if (!st) st = check_augment(cfg, e);
    if (st) return st;
    switch (d->source) {
    case QAT_DATA_SHAPES: return check_shapes(cfg, e);
    case QAT_DATA_BUILTIN: return check_builtin(cfg, e);
    case QAT_DATA_NPY:
        if (!d->dir[0])
            return config_error(cfg, 0, e, "[data] dir: missing (source = npy needs the folder "
                                "holding one sub-folder per class)");
        return QAT_OK;
    case QAT_DATA_CSV: return check_csv(cfg, e);
    case QAT_DATA_IDX:
    case QAT_DATA_NPY_IMAGES: return check_image_files(cfg, e);
    default: return config_error(cfg, 0, e, "[data] source: unknown source %d", (int)d->source);
    }
}

/* ---- layers -------------------------------------------------------------------------- */

__attribute__((format(printf, 5, 6)))
static qat_status layer_error(const qat_config *cfg, const qat_layer_spec *l, const char *key,
                              qat_error *e, const char *fmt, ...) {
    char problem[PROBLEM_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    return config_error(cfg, l->line, e, "[layer.%s] %s: %s", l->name, key, problem);
}

/* Keys a layer cannot do without (zero / negative: not given). */
static qat_status required_keys(const qat_config *cfg, const qat_layer_spec *l, qat_error *e) {
    const char *kind = qat_layer_kind_name(l->kind);
    switch (l->kind) {
    case QAT_LAYER_CONV1D:
        if (l->units < 1) return layer_error(cfg, l, "filters", e, "missing (conv1d needs "
                                             "filters and kernel)");
        if (l->kernel < 1) return layer_error(cfg, l, "kernel", e, "missing (conv1d needs "
                                              "filters and kernel)");
        return QAT_OK;
    case QAT_LAYER_CONV2D:
    case QAT_LAYER_SEPARABLE_CONV2D:
        if (l->units < 1) return layer_error(cfg, l, "filters", e, "missing (%s needs filters "
                                             "and kernel)", kind);
        /* fall through */
    case QAT_LAYER_DEPTHWISE_CONV2D:
        if (l->kernel_h < 1) return layer_error(cfg, l, "kernel", e, "missing (%s needs a "
                                                "kernel: 3, or height, width)", kind);
        return QAT_OK;
    case QAT_LAYER_MAXPOOL1D:
        if (l->pool < 1) return layer_error(cfg, l, "pool", e, "missing (maxpool1d needs a pool)");
        return QAT_OK;
    case QAT_LAYER_DENSE:
        if (l->units < 1) return layer_error(cfg, l, "units", e, "missing (dense needs units)");
        return QAT_OK;
    case QAT_LAYER_DROPOUT:
        if (l->rate < 0) return layer_error(cfg, l, "rate", e, "missing (dropout needs a rate "
                                            "in [0, 1))");
        if (l->rate >= 1) return layer_error(cfg, l, "rate", e, "%g is out of range (must be in "
                                             "[0, 1))", l->rate);
        return QAT_OK;
    default:
        if ((unsigned)l->kind >= QAT_LAYER_KIND_COUNT)
            return layer_error(cfg, l, "type", e, "unknown layer kind %d", (int)l->kind);
        return QAT_OK;
    }
}

/* The 1-D layers' own wording for the mistakes the lessons make most (kept as it was). */
static qat_status check_1d(const qat_config *cfg, const qat_layer_spec *l, const qat_shape *s,
                           qat_error *e) {
    int conv = l->kind == QAT_LAYER_CONV1D;
    if ((conv || l->kind == QAT_LAYER_MAXPOOL1D) && s->ndim == 1)
        return layer_error(cfg, l, "type", e, "%s needs a (time, channels) input but comes "
                           "after a flatten (move it before the flatten)",
                           qat_layer_kind_name(l->kind));
    if (s->ndim != 2) return QAT_OK;
    if (l->kind == QAT_LAYER_DENSE)
        return layer_error(cfg, l, "type", e, "dense needs a 1-D input but gets (%d, %d) (add "
                           "a flatten layer before it)", s->dim[0], s->dim[1]);
    if (l->padding != QAT_PAD_VALID) return QAT_OK;
    if (conv && l->kernel > s->dim[0])
        return layer_error(cfg, l, "kernel", e, "%d does not fit the %d time steps left here "
                           "(use padding = same or a smaller kernel)", l->kernel, s->dim[0]);
    if (l->kind == QAT_LAYER_MAXPOOL1D && l->pool > s->dim[0])
        return layer_error(cfg, l, "pool", e, "%d is longer than the %d time steps left here "
                           "(use padding = same or a smaller pool)", l->pool, s->dim[0]);
    return QAT_OK;
}

/* Advances the shape through one layer (qat_layer_output_shape, the routine the model
 * builds with), or says why the layer cannot take it. */
static qat_status layer_shape(const qat_config *cfg, const qat_layer_spec *l, qat_shape *s,
                              qat_error *e) {
    qat_status st = required_keys(cfg, l, e);
    if (!st) st = check_1d(cfg, l, s, e);
    if (st) return st;
    char why[256];
    qat_shape out;
    if (qat_layer_output_shape(l, s, &out, why, sizeof why) == QAT_OK) {
        *s = out;
        return QAT_OK;
    }
    /* a window that does not fit names its key; a wrong input dimension the type */
    const char *key = "type";
    if (s->ndim == 3 && qat_layer_is_2d(l->kind))
        key = l->kind == QAT_LAYER_MAXPOOL2D || l->kind == QAT_LAYER_AVGPOOL2D ? "pool" : "kernel";
    return layer_error(cfg, l, key, e, "%s", why);
}

static double shape_size(const qat_shape *s) {
    double n = 1;
    for (int d = 0; d < s->ndim; d++) n *= s->dim[d];
    return n;
}

/* Trainable parameters of a layer from its input and output shapes (for the size check). */
static double layer_weights(const qat_layer_spec *l, const qat_shape *in, const qat_shape *out) {
    double cin = in->dim[in->ndim - 1], b = l->use_bias ? l->units : 0;
    double k2 = (double)l->kernel_h * l->kernel_w, cm = cin * l->depth_multiplier;
    switch (l->kind) {
    case QAT_LAYER_CONV1D: return (double)l->units * l->kernel * cin + l->units;
    case QAT_LAYER_DENSE: return (double)l->units * shape_size(in) + l->units;
    case QAT_LAYER_CONV2D: return l->units * k2 * cin + b;
    case QAT_LAYER_DEPTHWISE_CONV2D: return k2 * cm + (l->use_bias ? cm : 0);
    case QAT_LAYER_SEPARABLE_CONV2D: return k2 * cm + l->units * cm + b;
    default: (void)out; return 0;
    }
}

/* The model ends in the classifier: a dense with one unit per class, softmax or linear
 * (the softmax is fused into the loss either way). */
static qat_status check_output(const qat_config *cfg, const qat_layer_spec *l, qat_error *e) {
    if (l->kind != QAT_LAYER_DENSE)
        return layer_error(cfg, l, "type", e, "the last layer must be dense with one unit per "
                           "class, not %s", qat_layer_kind_name(l->kind));
    if (l->units != cfg->data.n_classes)
        return layer_error(cfg, l, "units", e, "%d units for %d classes (the last layer gives "
                           "one output per class)", l->units, cfg->data.n_classes);
    if (l->activation != QAT_ACT_SOFTMAX && l->activation != QAT_ACT_NONE)
        return layer_error(cfg, l, "activation", e, "%s on the output layer (use softmax or "
                           "none)", qat_activation_name(l->activation));
    return QAT_OK;
}

/* Every model is lowered (the float .tflite too): the stack must group into int8
 * operators, by the very routine the fake-quant graph builder follows. */
static qat_status check_int8_form(const qat_config *cfg, qat_error *e) {
    for (int i = 0; i < cfg->n_layers;) {
        qat_int8_block_info b;
        char why[PROBLEM_MAX];
        i = qat_int8_block(cfg->layers, cfg->n_layers, i, &b, why, sizeof why);
        if (i < 0) return layer_error(cfg, &cfg->layers[b.bad], b.key, e, "%s", why);
    }
    return QAT_OK;
}

static qat_status check_layers(const qat_config *cfg, qat_error *e) {
    if (cfg->n_layers < 1) return config_error(cfg, 0, e, "no layers (add [layer.NAME] sections)");
    if (cfg->n_layers > QAT_MAX_LAYERS)
        return config_error(cfg, 0, e, "%d layers (at most %d)", cfg->n_layers, QAT_MAX_LAYERS);
    const qat_data_config *d = &cfg->data;
    qat_shape s = qat_input_shape(d->height, d->width, d->window, d->channels);
    double params = 0, acts = 0, biggest = -1;
    const qat_layer_spec *big = NULL;
    for (int i = 0; i < cfg->n_layers; i++) {
        const qat_layer_spec *l = &cfg->layers[i];
        int last = i == cfg->n_layers - 1;
        if (!last && l->activation == QAT_ACT_SOFTMAX)
            return layer_error(cfg, l, "activation", e, "softmax is only allowed on the last "
                               "layer (the classifier's output)");
        qat_shape in = s;
        qat_status st = layer_shape(cfg, l, &s, e);
        if (st) return st;
        double out = shape_size(&s), w = layer_weights(l, &in, &s);
        params += w;
        acts += out;
        if (w + out > biggest) biggest = w + out, big = l;
    }
    /* Parameters with gradients and Adam moments; activations with gradients and scratch,
     * for the largest batch the run uses. A stack past this would fail deep inside (or
     * swap for minutes); say so here, naming the layer that weighs most. */
    int batch = cfg->train.batch > 64 ? cfg->train.batch : 64;
    double bytes = 16 * params + 12 * acts * (cfg->quant.batch > batch ? cfg->quant.batch : batch);
    if (bytes > 4.0 * 1024 * 1024 * 1024)
        return layer_error(cfg, big, "type", e, "the model needs about %.0f GiB (%.3g parameters, "
                           "%.3g activations per sample; this layer weighs most): use fewer "
                           "filters / units or a shorter window", bytes / (1024.0 * 1024 * 1024),
                           params, acts);
    qat_status st = check_output(cfg, &cfg->layers[cfg->n_layers - 1], e);
    return st ? st : check_int8_form(cfg, e);
}

/* ---- training ------------------------------------------------------------------------ */

static qat_status check_train(const qat_config *cfg, qat_error *e) {
    const qat_train_config *t = &cfg->train;
    if (t->plateau_patience > 0 && t->min_lr > t->lr)
        return config_error(cfg, 0, e, "[train] min_lr: %g is above lr %g (reducing the "
                            "learning rate would raise it)", t->min_lr, t->lr);
    return QAT_OK;
}

/* A schedule's last step (from which every layer runs at its own bits) starts within the
 * QAT epochs and asks for no more bits than any layer has. */
static qat_status check_schedule(const qat_config *cfg, const qat_bits_schedule *s,
                                 const char *key, int weights, qat_error *e) {
    const qat_quant_config *q = &cfg->quant;
    if (s->n == 0) return QAT_OK;
    int last = s->epoch[s->n - 1], bits = s->bits[s->n - 1];
    if (last > q->epochs)
        return config_error(cfg, 0, e, "[quant] %s: the last step starts at epoch %d, after the "
                            "%d QAT epochs (the model would never train at its own bits)",
                            key, last, q->epochs);
    int own = weights ? q->weight_bits : q->act_bits;
    if (bits > own)
        return config_error(cfg, 0, e, "[quant] %s: the last step's %d bits are above [quant] %s "
                            "%d (the schedule must end at the bits the model exports)", key,
                            bits, weights ? "weight_bits" : "act_bits", own);
    for (int i = 0; i < cfg->n_layers; i++) {
        const qat_layer_spec *l = &cfg->layers[i];
        int lb = weights ? l->weight_bits : l->act_bits;
        if (qat_layer_has_kernel(l->kind) && lb && bits > lb)
            return config_error(cfg, 0, e, "[quant] %s: the last step's %d bits are above layer "
                                "'%s' %s %d (the schedule must end at the bits the model "
                                "exports)", key, bits, l->name, weights ? "weight_bits" : "act_bits", lb);
    }
    return QAT_OK;
}

static qat_status check_start(const qat_config *cfg, int start, const char *key, qat_error *e) {
    if (start <= cfg->quant.epochs || start == 1) return QAT_OK;
    return config_error(cfg, 0, e, "[quant] %s: %d is after the %d QAT epochs (the model would "
                        "never train quantized)", key, start, cfg->quant.epochs);
}

static qat_status check_quant(const qat_config *cfg, qat_error *e) {
    const qat_quant_config *q = &cfg->quant;
    qat_status st = check_schedule(cfg, &q->weight_schedule, "weight_bits_schedule", 1, e);
    if (!st) st = check_schedule(cfg, &q->act_schedule, "act_bits_schedule", 0, e);
    if (!st) st = check_start(cfg, q->weight_start_epoch, "weight_quant_start_epoch", e);
    if (!st) st = check_start(cfg, q->act_start_epoch, "act_quant_start_epoch", e);
    if (st) return st;
    for (int i = 0; i < q->n_calib_classes; i++) {
        int found = 0;
        for (int c = 0; c < cfg->data.n_classes; c++) found |= !strcmp(q->calib_classes[i], cfg->data.classes[c]);
        if (!found)
            return config_error(cfg, 0, e, "[quant] calib_classes: '%s' is not one of [data] classes",
                                q->calib_classes[i]);
    }
    if (q->qat_observer == QAT_OBS_MSE || q->qat_observer == QAT_OBS_KL)
        return config_error(cfg, 0, e, "[quant] qat_observer: %s calibrates once, on a histogram "
                            "of the representative set (ptq_observer); QAT's observer must be "
                            "minmax, ema or percentile", qat_observer_name(q->qat_observer));
    if (q->uint8_io && !q->enabled)
        return config_error(cfg, 0, e, "[quant] uint8_io: the uint8-I/O models are full-int8 "
                            "exports; set [quant] enabled = true or uint8_io = false");
    return QAT_OK;
}

static qat_status check_distill(const qat_config *cfg, qat_error *e) {
    const qat_distill_config *d = &cfg->distill;
    if (!qat_distill_on(d)) return QAT_OK;
    if (d->self && d->on_float)
        return config_error(cfg, 0, e, "[distill] stages: with teacher = self the float model "
                            "teaches its quantized copy; it cannot teach its own float training "
                            "(stages = qat)");
    if (!d->on_float && !d->on_qat)
        return config_error(cfg, 0, e, "[distill] stages: none given (float, qat)");
    if (d->on_qat && !cfg->quant.enabled)
        return config_error(cfg, 0, e, "[distill] stages: qat, but [quant] enabled = false");
    return QAT_OK;
}

static qat_status check_auto_bits(const qat_config *cfg, qat_error *e) {
    const qat_quant_config *q = &cfg->quant;
    if (!q->auto_bits) return QAT_OK;
    if (q->auto_bits == 2 && !q->auto_weight_bytes)
        return config_error(cfg, 0, e, "[quant] auto_bits: size needs auto_weight_bytes (the "
                            "packed weight bytes to fit)");
    if (!cfg->n_layers || cfg->layers[0].line == 0)
        return config_error(cfg, 0, e, "[quant] auto_bits: the chosen bits are written into a "
                            "copy of the config's [layer.*] sections; write the layer stack out "
                            "(as configs/gesture_cnn.ini does)");
    if (qat_quant_staged(q))
        return config_error(cfg, 0, e, "[quant] auto_bits: choose the bits first, then schedule "
                            "them (a bit-width schedule is not applied with auto_bits)");
    return QAT_OK;
}

static qat_status check_target(const qat_config *cfg, qat_error *e) {
    if (qat_target_set(&cfg->target) && !cfg->quant.enabled)
        return config_error(cfg, 0, e, "[target]: the target is checked against the int8 models; "
                            "set [quant] enabled = true or remove [target]");
    return QAT_OK;
}

/* [search]: a space the data allows, a budget to search under, and a validation split (the
 * search never looks at the test split). */
static qat_status check_search(const qat_config *cfg, qat_error *e) {
    const qat_search_config *s = &cfg->search;
    if (!s->enabled) return QAT_OK;
    qat_target_limits l = qat_target_limits_of(&cfg->target);
    if (s->min_blocks > s->max_blocks)
        return config_error(cfg, 0, e, "[search] min_blocks: %d is more than max_blocks (%d)",
                            s->min_blocks, s->max_blocks);
    if (cfg->data.height == 0 && (s->ops & ~(1u << QAT_SEARCH_CONV)))
        return config_error(cfg, 0, e, "[search] ops: separable and depthwise convolutions need "
                            "2-D data (height, width); 1-D windows take ops = conv");
    if (s->elite >= s->population || s->tournament > s->population)
        return config_error(cfg, 0, e, "[search] elite (%d) must be below and tournament (%d) at "
                            "most the population (%d)", s->elite, s->tournament, s->population);
    if (cfg->train.val_split <= 0 && !cfg->data.val_index[0])
        return config_error(cfg, 0, e, "[search]: candidates are scored on a validation split, "
                            "never the test split; set [train] val_split (e.g. 0.2)");
    if (l.flash_bytes <= 0 || l.arena_bytes <= 0)
        return config_error(cfg, 0, e, "[search]: set a [target] with flash and arena limits "
                            "(a profile, or flash_bytes and arena_bytes): the search keeps "
                            "what fits and scores the headroom");
    if (!cfg->quant.enabled)
        return config_error(cfg, 0, e, "[search]: candidates are checked as int8 models; set "
                            "[quant] enabled = true");
    if (cfg->data.cross_validate)
        return config_error(cfg, 0, e, "[search]: not with [data] cross_validate (search once, "
                            "then cross-validate the architecture it wrote)");
    if (cfg->quant.auto_bits)
        return config_error(cfg, 0, e, "[search]: not with [quant] auto_bits (choose the bits "
                            "for the architecture the search wrote, in a second run)");
    return QAT_OK;
}

static qat_status check_prune(const qat_config *cfg, qat_error *e) {
    const qat_prune_config *p = &cfg->prune;
    if (p->end_step > 0 && p->end_step <= p->begin_step)
        return config_error(cfg, 0, e, "[prune] end_step: %ld is not after begin_step %ld",
                            p->end_step, p->begin_step);
    if (p->schedule == QAT_PRUNE_POLYNOMIAL && p->initial_sparsity > p->final_sparsity)
        return config_error(cfg, 0, e, "[prune] initial_sparsity: %g is above final_sparsity %g",
                            p->initial_sparsity, p->final_sparsity);
    if (p->enabled && !cfg->quant.enabled)
        return config_error(cfg, 0, e, "[prune] enabled: pruning runs with QAT; set [quant] "
                            "enabled = true or [prune] enabled = false");
    if (p->structured && p->block > 1)
        return config_error(cfg, 0, e, "[prune] block: %d applies to unstructured pruning; "
                            "structured = true removes whole filters / units", p->block);
    int any = 0;
    for (int i = 0; i < cfg->n_layers; i++) {
        const qat_layer_spec *l = &cfg->layers[i];
        any |= l->prune;
        if (p->structured && l->prune_block > 1)
            return config_error(cfg, l->line, e, "[layer.%s] prune_block: %d applies to "
                                "unstructured pruning, and [prune] structured = true", l->name,
                                l->prune_block);
    }
    if (p->enabled && !any)
        return config_error(cfg, 0, e, "[prune] enabled: no layer has prune = true");
    return QAT_OK;
}

qat_status qat_config_validate(const qat_config *cfg, qat_error *e) {
    qat_status s = check_data(cfg, e);
    /* a search chooses the layers: the built-in ones need not fit its data */
    int searched = cfg->search.enabled && cfg->n_layers > 0 && cfg->layers[0].line == 0;
    if (!s && !searched) s = check_layers(cfg, e);
    if (!s) s = check_train(cfg, e);
    if (!s) s = check_quant(cfg, e);
    if (!s) s = check_target(cfg, e);
    if (!s) s = check_distill(cfg, e);
    if (!s) s = check_auto_bits(cfg, e);
    if (!s) s = check_search(cfg, e);
    if (!s) s = check_prune(cfg, e);
    return s;
}
