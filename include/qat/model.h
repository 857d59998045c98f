/* qatrain — a model: the layer list of the config built into a graph, its trainable
 * parameters initialised as Keras does, and the input normalisation it was trained with.
 *
 * Graph per layer (activations are separate nodes here; lowering fuses them later):
 *   conv1d  → [conv] → [relu|relu6]          dense → [dense] → [relu|relu6]
 *   batchnorm, relu, relu6, maxpool1d, flatten, dropout → one node each
 * followed by the softmax cross-entropy loss on the last layer's logits. */
#ifndef QAT_MODEL_H
#define QAT_MODEL_H

#include "qat/data.h"
#include "qat/graph.h"
#include "qat/layer.h"

/* Where a layer lives in the graph (-1 where not applicable). */
typedef struct qat_model_layer {
    int out;    /* the layer's output node (after its activation) */
    int linear; /* kernel layers: the node before the activation (separable: the pointwise
                 * conv's output) */
    int w, b;   /* kernel and bias params (depthwise: (1, KH, KW, C·M); separable: the 1×1
                 * pointwise kernel (O, 1, 1, C·M) and its bias) */
    int gamma, beta; /* batchnorm params */
    int mask;   /* pruning mask node on w (prune.h), -1 when none */
    int dw;     /* separable: the depthwise kernel param (1, KH, KW, C·M), no bias (Keras) */
    int dw_mask; /* separable: the pruning mask node on dw, -1 when none */
    int mid;    /* separable: the depthwise output node, the int8 tensor between the halves */
} qat_model_layer;

/* A layer with no nodes yet (node 0 exists, so not the 0 of a memset). */
#define QAT_MODEL_LAYER_NONE ((qat_model_layer){-1, -1, -1, -1, -1, -1, -1, -1, -1, -1})

typedef struct qat_model {
    qat_graph g;
    int n_layers;
    qat_layer_spec spec[QAT_MAX_LAYERS];
    qat_model_layer layer[QAT_MAX_LAYERS];
    int window, channels, n_classes; /* window: positions per sample (T, or H·W for 2-D) */
    qat_shape in; /* one sample: (window, channels) or (height, width, channels) */
    int input;  /* input node, of shape `in` */
    int logits; /* last layer's output */
    int loss;   /* softmax cross-entropy */
    qat_norm norm; /* input normalisation, fitted on the training split */
} qat_model;

/* Builds and compiles the graph for batches of up to max_batch samples; parameters are
 * zero until qat_model_init. */
qat_status qat_model_build(qat_model *m, const qat_layer_spec *layers, int n_layers, int window,
                           int channels, int n_classes, int max_batch, qat_error *e);
/* The same with a pruning mask node on the kernel of every conv1d / dense layer whose
 * spec has prune = 1 (masks start all-ones). */
qat_status qat_model_build_masked(qat_model *m, const qat_layer_spec *layers, int n_layers,
                                  int window, int channels, int n_classes, int max_batch,
                                  qat_error *e);
/* Either of them for any input shape (1-D or 2-D): masks = 1 adds the pruning masks (on
 * every kernel of a prunable layer: both halves of a separable conv). */
qat_status qat_model_build_shape(qat_model *m, const qat_layer_spec *layers, int n_layers,
                                 const qat_shape *in, int n_classes, int max_batch, int masks,
                                 qat_error *e);
/* Keras defaults: Glorot-uniform kernels (fan_in = K·C_in, fan_out = K·C_out for conv; 2-D
 * kernels by their receptive field KH·KW, depthwise fan_out KH·KW·M),
 * zero biases, batch-norm gamma 1, beta 0, running mean 0, variance 1. */
void qat_model_init(qat_model *m, qat_rng *rng);
void qat_model_free(qat_model *m);

/* Inference (dropout off, running batch-norm statistics) on n samples of already
 * normalised x; writes n × n_classes softmax probabilities. */
void qat_model_predict(qat_model *m, const float *x, int n, float *probs);
/* The same, but writes the logits (the classifier's output before softmax). */
void qat_model_logits(qat_model *m, const float *x, int n, float *logits);
/* The same two on every sample of a dataset (already normalised; floats or bytes). */
void qat_model_predict_data(qat_model *m, const qat_dataset *d, float *probs);
void qat_model_logits_data(qat_model *m, const qat_dataset *d, float *logits);
/* Mean loss and accuracy on a labelled dataset (already normalised). */
void qat_model_evaluate(qat_model *m, const qat_dataset *d, double *loss, double *accuracy);

/* How many of the last forward pass's b predictions match labels[0..b). */
int qat_model_correct(const qat_model *m, const int *labels, int b);

/* Trainable parameters of layer i (kernel, bias, gamma, beta). */
long qat_model_layer_params(const qat_model *m, int i);

/* Multiply-accumulates of one inference of layer i (kernel layers), and of the model. */
long qat_model_layer_macs(const qat_model *m, int i);
long qat_model_macs(const qat_model *m);

/* Keras' Glorot fans of kernel w (depth_multiplier > 0: a depthwise kernel). */
void qat_model_fans(const qat_node *w, int depth_multiplier, int *fan_in, int *fan_out);

#endif
