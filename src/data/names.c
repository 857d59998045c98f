/* Names of the data enums, as written in config files and reports. */
#include "qat/data.h"

const char *qat_data_source_name(qat_data_source s) {
    static const char *const names[] = {
        [QAT_DATA_BUILTIN] = "builtin",
        [QAT_DATA_NPY] = "npy",
        [QAT_DATA_CSV] = "csv",
        [QAT_DATA_SHAPES] = "shapes",
        [QAT_DATA_IDX] = "idx",
        [QAT_DATA_NPY_IMAGES] = "npy_images",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_DATA_SOURCE_COUNT, "source names");
    return (unsigned)s < QAT_DATA_SOURCE_COUNT ? names[s] : "unknown";
}

const char *qat_norm_kind_name(qat_norm_kind k) {
    static const char *const names[] = {
        [QAT_NORM_NONE] = "none",
        [QAT_NORM_MINMAX] = "minmax",
        [QAT_NORM_MINMAX_AXIS] = "minmax_axis",
        [QAT_NORM_ZSCORE] = "zscore",
        [QAT_NORM_SCALE] = "scale",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_NORM_KIND_COUNT, "norm kind names");
    return (unsigned)k < QAT_NORM_KIND_COUNT ? names[k] : "unknown";
}

const char *qat_source_use_name(qat_source_use u) {
    static const char *const names[] = {
        [QAT_USE_BOTH] = "both",
        [QAT_USE_TRAIN] = "train",
        [QAT_USE_TEST] = "test",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_USE_COUNT, "source use names");
    return (unsigned)u < QAT_USE_COUNT ? names[u] : "unknown";
}

const char *qat_unit_name(qat_unit u) {
    static const char *const names[] = {
        [QAT_UNIT_NONE] = "none",
        [QAT_UNIT_G] = "g",
        [QAT_UNIT_MS2] = "m/s2",
        [QAT_UNIT_MG] = "mg",
        [QAT_UNIT_DEG_S] = "deg/s",
        [QAT_UNIT_RAD_S] = "rad/s",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_UNIT_COUNT, "unit names");
    return (unsigned)u < QAT_UNIT_COUNT ? names[u] : "unknown";
}

const char *qat_cross_validate_name(qat_cross_validate c) {
    static const char *const names[] = {
        [QAT_CV_NONE] = "none",
        [QAT_CV_LEAVE_ONE_SOURCE_OUT] = "leave_one_source_out",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_CV_COUNT, "cross_validate names");
    return (unsigned)c < QAT_CV_COUNT ? names[c] : "unknown";
}

const char *qat_part_name(qat_part p) {
    static const char *const names[] = {
        [QAT_PART_TRAIN] = "train",
        [QAT_PART_VAL] = "val",
        [QAT_PART_TEST] = "test",
        [QAT_PART_UNUSED] = "unused",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_PART_COUNT, "part names");
    return (unsigned)p < QAT_PART_COUNT ? names[p] : "unknown";
}
