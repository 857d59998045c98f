/* qatrain — layer specifications: the model as the config describes it, Keras-style.
 * A model is a list of layers applied in order to a (window, channels) or a
 * (height, width, channels) input; the last layer is a Dense with one unit per class, whose
 * softmax is fused into the loss. */
#ifndef QAT_LAYER_H
#define QAT_LAYER_H

#include <stddef.h>

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
    /* 2-D layers, on (H, W, C) maps; kernels OHWI as TFLite stores them */
    QAT_LAYER_CONV2D,           /* units filters of kernel_h × kernel_w */
    QAT_LAYER_DEPTHWISE_CONV2D, /* depth_multiplier filters per input channel */
    QAT_LAYER_SEPARABLE_CONV2D, /* depthwise (no bias) then a 1×1 conv2d of units filters */
    QAT_LAYER_MAXPOOL2D,        /* pool_h × pool_w windows */
    QAT_LAYER_AVGPOOL2D,        /* the same, averaging the in-bounds cells */
    QAT_LAYER_GLOBAL_AVGPOOL,   /* (T, C) or (H, W, C) → (C): the mean over positions */
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
    int units;                 /* conv1d / conv2d / separable (pointwise) filters, dense units */
    int kernel;                /* conv1d kernel width */
    int kernel_h, kernel_w;    /* conv2d, depthwise, separable kernel */
    int stride_h, stride_w;    /* 2-D convs (default 1) and pools (default: the pool size) */
    int pool;                  /* maxpool1d size and stride */
    int pool_h, pool_w;        /* maxpool2d, avgpool2d (default 2 × 2) */
    int depth_multiplier;      /* depthwise, separable (default 1) */
    qat_padding padding;       /* conv1d, maxpool1d and the 2-D convs and pools */
    qat_activation activation; /* conv1d, dense and the 2-D convs (separable: after the
                                * pointwise half, as Keras) */
    int use_bias;              /* conv1d, dense, conv2d, depthwise, separable's pointwise
                                * (default 1) */
    double rate;               /* dropout */
    double momentum;           /* batchnorm running-average momentum (Keras 0.99) */
    double epsilon;            /* batchnorm epsilon (Keras 1e-3) */
    int weight_bits, act_bits; /* kernel layers: quantization bit widths, 0 = [quant] default */
    int prune;                 /* kernel layers: the kernel(s) pruned when pruning runs (1) */
    int prune_block;           /* kernel layers: weights pruned together, 0 = [prune] block
                                * (the pruning stage resolves it) */
    int line;                  /* INI line of the section header, 0 when built in */
    int strides_given;         /* config: `strides` was set, so `pool` no longer sets them */
} qat_layer_spec;

/* The shape of one sample at some point of the model: (T, C) or (H, W, C) or (N). */
typedef struct qat_shape {
    int ndim;
    int dim[3];
} qat_shape;

/* The input shape of a dataset or config: (height, width, channels) when height > 0, else
 * (window, channels). */
qat_shape qat_input_shape(int height, int width, int window, int channels);

/* The one routine computing a layer's output shape (the model builds to it, the config
 * validation checks it): QAT_OK, or QAT_ERR_CONFIG with `why` saying what is wrong (the
 * layer needs a 2-D input, the map shrinks below 1, ...) — no prefix, the caller adds the
 * section and line. */
qat_status qat_layer_output_shape(const qat_layer_spec *s, const qat_shape *in, qat_shape *out,
                                  char *why, size_t cap);
/* A fresh layer of `kind` with Keras's defaults (pools 2, strides 1 or the pool, depth
 * multiplier 1, valid padding, no activation, a bias, BN momentum 0.99 and epsilon 1e-3),
 * keeping its name and line. Zero filters/units/kernel and a negative dropout rate mean
 * "not given": the config's validation asks for them. */
void qat_layer_reset(qat_layer_spec *l, qat_layer_kind kind);
/* Kernel layers (conv1d, dense, the 2-D convs): what pruning and quantization act on. */
int qat_layer_has_kernel(qat_layer_kind k);
/* The 2-D layers (they need a (H, W, C) input). */
int qat_layer_is_2d(qat_layer_kind k);

const char *qat_layer_kind_name(qat_layer_kind k);
const char *qat_activation_name(qat_activation a);
const char *qat_padding_name(qat_padding p);

#endif
