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
