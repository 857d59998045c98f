/* qatrain — layer specifications: the model as the config describes it, Keras-style.
 * A model is a list of layers applied in order to a (window, channels) input; the last
 * layer is a Dense with one unit per class, whose softmax is fused into the loss. */
#ifndef QAT_LAYER_H
#define QAT_LAYER_H

#include "qat/data.h"

#define QAT_MAX_LAYERS 32

typedef enum qat_layer_kind {
    QAT_LAYER_CONV1D,    /* units filters of width kernel, stride 1 */
    QAT_LAYER_DENSE,     /* units outputs */
    QAT_LAYER_BATCHNORM, /* per channel (last axis) */
    QAT_LAYER_RELU,
    QAT_LAYER_RELU6,
    QAT_LAYER_MAXPOOL1D, /* window pool, stride pool */
    QAT_LAYER_FLATTEN,
    QAT_LAYER_DROPOUT,   /* inverted dropout with rate */
    QAT_LAYER_KIND_COUNT
} qat_layer_kind;

typedef enum qat_activation {
    QAT_ACT_NONE,
    QAT_ACT_RELU,
    QAT_ACT_RELU6,
    QAT_ACT_SOFTMAX, /* only on the last layer: the classifier's output */
    QAT_ACT_COUNT
} qat_activation;

typedef enum qat_padding {
    QAT_PAD_VALID,
    QAT_PAD_SAME,
    QAT_PAD_COUNT
} qat_padding;

typedef struct qat_layer_spec {
    char name[QAT_NAME_MAX];   /* from the INI section [layer.NAME]; names tensors on export */
    qat_layer_kind kind;
    int units;                 /* conv1d filters, dense units */
    int kernel;                /* conv1d kernel width */
    int pool;                  /* maxpool1d size and stride */
    qat_padding padding;       /* conv1d, maxpool1d */
    qat_activation activation; /* conv1d, dense */
    int use_bias;              /* conv1d, dense (default 1) */
    double rate;               /* dropout */
    double momentum;           /* batchnorm running-average momentum (Keras 0.99) */
    double epsilon;            /* batchnorm epsilon (Keras 1e-3) */
    int weight_bits, act_bits; /* conv1d, dense: quantization bit widths, 0 = [quant] default */
    int prune;                 /* conv1d, dense: the kernel is pruned when pruning runs (1) */
    int prune_block;           /* conv1d, dense: weights pruned together, 0 = [prune] block
                                * (the pruning stage resolves it) */
    int line;                  /* INI line of the section header, 0 when built in */
} qat_layer_spec;

const char *qat_layer_kind_name(qat_layer_kind k);
const char *qat_activation_name(qat_activation a);
const char *qat_padding_name(qat_padding p);

#endif
