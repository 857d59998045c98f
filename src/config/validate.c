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

static qat_status check_csv(const qat_config *cfg, qat_error *e) {
    const qat_data_config *d = &cfg->data;
    int columns = 0;
    while (columns < QAT_MAX_CHANNELS && d->csv_columns[columns][0]) columns++;
    if (columns != d->channels)
        return config_error(cfg, 0, e, "[data] csv_columns: %d column%s for %d channels (name "
                            "one CSV column per channel)", columns, columns == 1 ? "" : "s",
                            d->channels);
    if (d->n_csv < 0 || d->n_csv > QAT_MAX_CSV_FILES)
        return config_error(cfg, 0, e, "[files]: %d files (at most %d)", d->n_csv,
                            QAT_MAX_CSV_FILES);
    for (int i = 0; i < d->n_csv; i++)
        if (d->csv[i].cls < 0 || d->csv[i].cls >= d->n_classes)
            return config_error(cfg, 0, e, "[files]: '%s' belongs to no class", d->csv[i].path);
    for (int c = 0; c < d->n_classes; c++) {
        int n = 0;
        for (int i = 0; i < d->n_csv; i++) n += d->csv[i].cls == c;
        if (!n)
            return config_error(cfg, 0, e, "[files] %s: no CSV file for class '%s' (add "
                                "'%s = recording.csv' under [files])", d->classes[c],
                                d->classes[c], d->classes[c]);
    }
    return QAT_OK;
}

static qat_status check_data(const qat_config *cfg, qat_error *e) {
    const qat_data_config *d = &cfg->data;
    if (d->n_classes < 2 || d->n_classes > QAT_MAX_CLASSES)
        return config_error(cfg, 0, e, "[data] classes: %d classes (need 2 to %d)", d->n_classes,
                            QAT_MAX_CLASSES);
    switch (d->source) {
    case QAT_DATA_BUILTIN: return check_builtin(cfg, e);
    case QAT_DATA_NPY:
        if (!d->dir[0])
            return config_error(cfg, 0, e, "[data] dir: missing (source = npy needs the folder "
                                "holding one sub-folder per class)");
        return QAT_OK;
    case QAT_DATA_CSV: return check_csv(cfg, e);
    default: return config_error(cfg, 0, e, "[data] source: unknown source %d", (int)d->source);
    }
}

/* ---- layers -------------------------------------------------------------------------- */

/* The activation shape flowing through the stack: (t, c) until a flatten, then n. */
typedef struct shape {
    int t, c;
    int flat;
    int n;
} shape;

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

static qat_status needs_time_axis(const qat_config *cfg, const qat_layer_spec *l,
                                  const shape *s, qat_error *e) {
    if (!s->flat) return QAT_OK;
    return layer_error(cfg, l, "type", e, "%s needs a (time, channels) input but comes after "
                       "a flatten (move it before the flatten)", qat_layer_kind_name(l->kind));
}

static qat_status conv_shape(const qat_config *cfg, const qat_layer_spec *l, shape *s,
                             qat_error *e) {
    if (l->units < 1) return layer_error(cfg, l, "filters", e, "missing (conv1d needs filters "
                                         "and kernel)");
    if (l->kernel < 1) return layer_error(cfg, l, "kernel", e, "missing (conv1d needs filters "
                                          "and kernel)");
    qat_status st = needs_time_axis(cfg, l, s, e);
    if (st) return st;
    if (l->padding == QAT_PAD_VALID) {
        if (l->kernel > s->t)
            return layer_error(cfg, l, "kernel", e, "%d does not fit the %d time steps left "
                               "here (use padding = same or a smaller kernel)", l->kernel, s->t);
        s->t -= l->kernel - 1;
    }
    s->c = l->units;
    return QAT_OK;
}

static qat_status pool_shape(const qat_config *cfg, const qat_layer_spec *l, shape *s,
                             qat_error *e) {
    if (l->pool < 1) return layer_error(cfg, l, "pool", e, "missing (maxpool1d needs a pool)");
    qat_status st = needs_time_axis(cfg, l, s, e);
    if (st) return st;
    if (l->padding == QAT_PAD_VALID && l->pool > s->t)
        return layer_error(cfg, l, "pool", e, "%d is longer than the %d time steps left here "
                           "(use padding = same or a smaller pool)", l->pool, s->t);
    s->t = l->padding == QAT_PAD_VALID ? s->t / l->pool : (s->t + l->pool - 1) / l->pool;
    return QAT_OK;
}

static qat_status dense_shape(const qat_config *cfg, const qat_layer_spec *l, shape *s,
                              qat_error *e) {
    if (l->units < 1) return layer_error(cfg, l, "units", e, "missing (dense needs units)");
    if (!s->flat)
        return layer_error(cfg, l, "type", e, "dense needs a 1-D input but gets (%d, %d) (add "
                           "a flatten layer before it)", s->t, s->c);
    s->n = l->units;
    return QAT_OK;
}

/* Advances the shape through one layer, or says why the layer cannot take it. */
static qat_status layer_shape(const qat_config *cfg, const qat_layer_spec *l, shape *s,
                              qat_error *e) {
    switch (l->kind) {
    case QAT_LAYER_CONV1D: return conv_shape(cfg, l, s, e);
    case QAT_LAYER_MAXPOOL1D: return pool_shape(cfg, l, s, e);
    case QAT_LAYER_DENSE: return dense_shape(cfg, l, s, e);
    case QAT_LAYER_FLATTEN:
        if (!s->flat) s->n = s->t * s->c; /* flattening a 1-D input changes nothing */
        s->flat = 1;
        return QAT_OK;
    case QAT_LAYER_DROPOUT:
        if (l->rate < 0) return layer_error(cfg, l, "rate", e, "missing (dropout needs a rate "
                                            "in [0, 1))");
        if (l->rate >= 1) return layer_error(cfg, l, "rate", e, "%g is out of range (must be in "
                                             "[0, 1))", l->rate);
        return QAT_OK;
    case QAT_LAYER_BATCHNORM:
    case QAT_LAYER_RELU:
    case QAT_LAYER_RELU6: return QAT_OK;
    default: return layer_error(cfg, l, "type", e, "unknown layer kind %d", (int)l->kind);
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
    shape s = {cfg->data.window, cfg->data.channels, 0, 0};
    double params = 0, acts = 0, biggest = -1;
    const qat_layer_spec *big = NULL;
    for (int i = 0; i < cfg->n_layers; i++) {
        const qat_layer_spec *l = &cfg->layers[i];
        int last = i == cfg->n_layers - 1;
        if (!last && l->activation == QAT_ACT_SOFTMAX)
            return layer_error(cfg, l, "activation", e, "softmax is only allowed on the last "
                               "layer (the classifier's output)");
        double in = s.flat ? s.n : (double)s.t * s.c, cin = s.flat ? s.n : s.c;
        qat_status st = layer_shape(cfg, l, &s, e);
        if (st) return st;
        double out = s.flat ? s.n : (double)s.t * s.c, w = 0;
        if (l->kind == QAT_LAYER_CONV1D) w = (double)l->units * l->kernel * cin + l->units;
        if (l->kind == QAT_LAYER_DENSE) w = (double)l->units * in + l->units;
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

static qat_status check_quant(const qat_config *cfg, qat_error *e) {
    const qat_quant_config *q = &cfg->quant;
    for (int i = 0; i < q->n_calib_classes; i++) {
        int found = 0;
        for (int c = 0; c < cfg->data.n_classes; c++) found |= !strcmp(q->calib_classes[i], cfg->data.classes[c]);
        if (!found)
            return config_error(cfg, 0, e, "[quant] calib_classes: '%s' is not one of [data] classes",
                                q->calib_classes[i]);
    }
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
    if (!s) s = check_layers(cfg, e);
    if (!s) s = check_train(cfg, e);
    if (!s) s = check_quant(cfg, e);
    if (!s) s = check_prune(cfg, e);
    return s;
}
