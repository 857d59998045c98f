/* qat_data_load: one entry point over the three sources, with the checks every source
 * shares (sizes, class names, at least one sample); the values are qat_data_validate's. */
#include <string.h>

#include "qat/data.h"

static qat_status check_shape(const qat_data_config *cfg, qat_error *e) {
    if (cfg->n_classes <= 0 || cfg->n_classes > QAT_MAX_CLASSES)
        return qat_error_set(e, QAT_ERR_CONFIG, "data: %d classes (1 to %d)", cfg->n_classes,
                             QAT_MAX_CLASSES);
    if (cfg->channels <= 0 || cfg->channels > QAT_MAX_CHANNELS)
        return qat_error_set(e, QAT_ERR_CONFIG, "data: %d channels (1 to %d)", cfg->channels,
                             QAT_MAX_CHANNELS);
    if (cfg->window <= 0) return qat_error_set(e, QAT_ERR_CONFIG, "data: window %d", cfg->window);
    return QAT_OK;
}

static qat_status load_source(const qat_data_config *cfg, uint64_t seed, qat_dataset *out,
                              qat_error *e) {
    qat_rng rng;
    switch (cfg->source) {
    case QAT_DATA_BUILTIN:
        qat_rng_seed(&rng, seed, QAT_STREAM_DATA);
        return qat_gesture_generate(cfg, &rng, out, e);
    case QAT_DATA_SHAPES:
        qat_rng_seed(&rng, seed, QAT_STREAM_DATA);
        return qat_shapes_generate(cfg, &rng, out, e);
    case QAT_DATA_NPY: return qat_data_load_npy_dir(cfg, out, e);
    case QAT_DATA_CSV: return qat_data_load_csv(cfg, out, e);
    case QAT_DATA_IDX:
    case QAT_DATA_NPY_IMAGES: return qat_data_load_images(cfg, 0, out, e);
    default:
        memset(out, 0, sizeof *out);
        return qat_error_set(e, QAT_ERR_CONFIG, "data: unknown source %d", (int)cfg->source);
    }
}

/* Class names, and no empty dataset. */
static qat_status finish(const qat_data_config *cfg, qat_dataset *out, qat_error *e) {
    for (int c = 0; c < cfg->n_classes; c++)
        snprintf(out->class_names[c], QAT_NAME_MAX, "%s", cfg->classes[c]);
    if (out->n > 0) return QAT_OK;
    qat_dataset_free(out);
    return qat_error_set(e, QAT_ERR_DATA, "data: the %s source gave no samples%s",
                         qat_data_source_name(cfg->source),
                         cfg->n_labels ? " of the classes picked by [data] labels" : "");
}

qat_status qat_data_load(const qat_data_config *cfg, uint64_t seed, qat_dataset *out,
                         qat_error *e) {
    memset(out, 0, sizeof *out);
    qat_status s = check_shape(cfg, e);
    if (!s) s = load_source(cfg, seed, out, e);
    return s ? s : finish(cfg, out, e);
}

qat_status qat_data_load_test(const qat_data_config *cfg, qat_dataset *out, qat_error *e) {
    memset(out, 0, sizeof *out);
    qat_status s = check_shape(cfg, e);
    if (!s) s = qat_data_load_images(cfg, 1, out, e);
    return s ? s : finish(cfg, out, e);
}
