/* Names of the layer and training enums, as written in config files and reports.
 * One table per enum, indexed by it and sized by its _COUNT: the config parser looks names
 * up through these same functions, so printing and parsing cannot drift apart.
 * (The data enums' names live beside them in src/data/names.c.) */
#include "qat/layer.h"
#include "qat/search.h"
#include "qat/train_config.h"

const char *qat_layer_kind_name(qat_layer_kind k) {
    static const char *const names[] = {
        [QAT_LAYER_CONV1D] = "conv1d",
        [QAT_LAYER_DENSE] = "dense",
        [QAT_LAYER_BATCHNORM] = "batchnorm",
        [QAT_LAYER_RELU] = "relu",
        [QAT_LAYER_RELU6] = "relu6",
        [QAT_LAYER_MAXPOOL1D] = "maxpool1d",
        [QAT_LAYER_FLATTEN] = "flatten",
        [QAT_LAYER_DROPOUT] = "dropout",
        [QAT_LAYER_CONV2D] = "conv2d",
        [QAT_LAYER_DEPTHWISE_CONV2D] = "depthwise_conv2d",
        [QAT_LAYER_SEPARABLE_CONV2D] = "separable_conv2d",
        [QAT_LAYER_MAXPOOL2D] = "maxpool2d",
        [QAT_LAYER_AVGPOOL2D] = "avgpool2d",
        [QAT_LAYER_GLOBAL_AVGPOOL] = "global_avgpool",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_LAYER_KIND_COUNT, "layer kind names");
    return (unsigned)k < QAT_LAYER_KIND_COUNT ? names[k] : "unknown";
}

const char *qat_activation_name(qat_activation a) {
    static const char *const names[] = {
        [QAT_ACT_NONE] = "none",
        [QAT_ACT_RELU] = "relu",
        [QAT_ACT_RELU6] = "relu6",
        [QAT_ACT_SOFTMAX] = "softmax",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_ACT_COUNT, "activation names");
    return (unsigned)a < QAT_ACT_COUNT ? names[a] : "unknown";
}

const char *qat_padding_name(qat_padding p) {
    static const char *const names[] = {
        [QAT_PAD_VALID] = "valid",
        [QAT_PAD_SAME] = "same",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_PAD_COUNT, "padding names");
    return (unsigned)p < QAT_PAD_COUNT ? names[p] : "unknown";
}

const char *qat_val_select_name(qat_val_select v) {
    static const char *const names[] = {
        [QAT_VAL_STRATIFIED] = "stratified",
        [QAT_VAL_LAST] = "last",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_VAL_SELECT_COUNT, "val_select names");
    return (unsigned)v < QAT_VAL_SELECT_COUNT ? names[v] : "unknown";
}

const char *qat_optimizer_name(qat_optimizer_kind k) {
    static const char *const names[] = {
        [QAT_OPT_ADAM] = "adam",
        [QAT_OPT_SGD] = "sgd",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_OPT_COUNT, "optimizer names");
    return (unsigned)k < QAT_OPT_COUNT ? names[k] : "unknown";
}

const char *qat_monitor_name(qat_monitor m) {
    static const char *const names[] = {
        [QAT_MONITOR_VAL_LOSS] = "val_loss",
        [QAT_MONITOR_VAL_ACCURACY] = "val_accuracy",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_MONITOR_COUNT, "monitor names");
    return (unsigned)m < QAT_MONITOR_COUNT ? names[m] : "unknown";
}

const char *qat_search_op_name(qat_search_op o) {
    static const char *const names[] = {
        [QAT_SEARCH_CONV] = "conv",
        [QAT_SEARCH_SEPARABLE] = "separable",
        [QAT_SEARCH_DEPTHWISE] = "depthwise",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_SEARCH_OP_COUNT, "search op names");
    return (unsigned)o < QAT_SEARCH_OP_COUNT ? names[o] : "unknown";
}

const char *qat_search_head_name(qat_search_head h) {
    static const char *const names[] = {
        [QAT_SEARCH_HEAD_GAP] = "gap",
        [QAT_SEARCH_HEAD_FLATTEN] = "flatten",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_SEARCH_HEAD_COUNT, "search head names");
    return (unsigned)h < QAT_SEARCH_HEAD_COUNT ? names[h] : "unknown";
}

const char *qat_search_bn_name(qat_search_bn b) {
    static const char *const names[] = {
        [QAT_SEARCH_BN_OPTIONAL] = "optional",
        [QAT_SEARCH_BN_ALWAYS] = "always",
        [QAT_SEARCH_BN_NEVER] = "never",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_SEARCH_BN_COUNT, "search bn names");
    return (unsigned)b < QAT_SEARCH_BN_COUNT ? names[b] : "unknown";
}

const char *qat_search_fitness_name(qat_search_fitness f) {
    static const char *const names[] = {
        [QAT_FITNESS_WEIGHTED] = "weighted",
        [QAT_FITNESS_PARETO] = "pareto",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_FITNESS_COUNT, "fitness names");
    return (unsigned)f < QAT_FITNESS_COUNT ? names[f] : "unknown";
}

const char *qat_search_accuracy_name(qat_search_accuracy a) {
    static const char *const names[] = {
        [QAT_SEARCH_ACC_FLOAT] = "float",
        [QAT_SEARCH_ACC_INT8] = "int8",
    };
    _Static_assert(sizeof names / sizeof names[0] == QAT_SEARCH_ACC_COUNT, "search accuracy names");
    return (unsigned)a < QAT_SEARCH_ACC_COUNT ? names[a] : "unknown";
}
