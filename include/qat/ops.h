/* qatrain — operations: graph builders for each op (shape rules here, maths in
 * src/ops/<op>.c with forward and backward side by side). All take and return node
 * indices; -1 means out of memory. x is (T, C) per sample unless said otherwise. */
#ifndef QAT_OPS_H
#define QAT_OPS_H

#include "qat/graph.h"
#include "qat/layer.h"

/* The ops' parameters (a node's params, QAT_NODE_PARAMS). */
typedef struct qat_conv1d_params {
    int pad_left;          /* zeros before the signal: (K−1)/2 for same, 0 for valid */
    qat_padding padding;
} qat_conv1d_params;
typedef struct qat_maxpool1d_params {
    int pool;              /* window and stride */
    int pad_left;          /* same padding: half the total, the rest at the end */
} qat_maxpool1d_params;
typedef struct qat_batchnorm_params {
    double momentum, epsilon;
} qat_batchnorm_params;
typedef struct qat_dropout_params {
    double rate;
} qat_dropout_params;
typedef struct qat_mask_params {
    int block;             /* weights along an output row pruned together; 0 or 1: one */
} qat_mask_params;
typedef struct qat_conv2d_params {
    int stride_h, stride_w;
    qat_padding padding;
    int depth_multiplier;  /* depthwise only, else 1 */
    int pad_top, pad_left; /* set by the builder (qat_window) */
} qat_conv2d_params;
typedef struct qat_pool2d_params {
    int pool_h, pool_w, stride_h, stride_w;
    qat_padding padding;
    int pad_top, pad_left; /* set by the builder (qat_window) */
} qat_pool2d_params;
QAT_PARAMS_FIT(qat_conv1d_params);
QAT_PARAMS_FIT(qat_conv2d_params);
QAT_PARAMS_FIT(qat_pool2d_params);
QAT_PARAMS_FIT(qat_maxpool1d_params);
QAT_PARAMS_FIT(qat_batchnorm_params);
QAT_PARAMS_FIT(qat_dropout_params);
QAT_PARAMS_FIT(qat_mask_params);

/* x (T, C), w (O, K, C), b (O) or -1 → (T', O); T' = T-K+1 (valid) or T (same). */
int qat_conv1d(qat_graph *g, const char *name, int x, int w, int b, qat_padding pad);
/* One spatial axis of a window op (2-D conv, pool), as TensorFlow and TFLite Micro compute
 * it: VALID out = floor((in − k)/stride) + 1 and no padding; SAME out = ceil(in/stride),
 * total padding max((out − 1)·stride + k − in, 0), pad_before = total/2 rounded down, the
 * rest (the odd extra row or column) at the end. out is 0 when a VALID window does not fit. */
typedef struct qat_window_axis {
    int out, pad_before;
} qat_window_axis;
qat_window_axis qat_window(int in, int k, int stride, qat_padding pad);

/* x (H, W, C), w (O, KH, KW, C) — TFLite's OHWI — b (O) or -1 → (H', W', O); Keras'
 * Conv2D with dilation 1. p's strides and padding are read; pad_top, pad_left are set here. */
int qat_conv2d(qat_graph *g, const char *name, int x, int w, int b, const qat_conv2d_params *p);
/* x (H, W, C), w (1, KH, KW, C·M) — TFLite's layout: output channel c·M + m reads input
 * channel c (M = p->depth_multiplier) — b (C·M) or -1 → (H', W', C·M). */
int qat_depthwise_conv2d(qat_graph *g, const char *name, int x, int w, int b,
                         const qat_conv2d_params *p);
/* x (H, W, C) → (H', W', C): the maximum over a window's in-bounds cells (padding never wins). */
int qat_maxpool2d(qat_graph *g, const char *name, int x, const qat_pool2d_params *p);
/* ... the mean over a window's in-bounds cells (TensorFlow's and TFLite Micro's divisor). */
int qat_avgpool2d(qat_graph *g, const char *name, int x, const qat_pool2d_params *p);
/* (T, C) or (H, W, C) → (C): the mean over all positions. */
int qat_global_avgpool(qat_graph *g, const char *name, int x);
/* x (I), w (O, I) — TFLite's layout, Keras' kernel transposed — b (O) or -1 → (O). */
int qat_dense(qat_graph *g, const char *name, int x, int w, int b);
/* Per last-axis channel; statistics over batch and every position (time, or H and W).
 * gamma, beta (C). */
int qat_batchnorm(qat_graph *g, const char *name, int x, int gamma, int beta, double momentum,
                  double epsilon);
int qat_relu(qat_graph *g, const char *name, int x);
int qat_relu6(qat_graph *g, const char *name, int x);
/* Window and stride `pool`; T' = floor(T/pool) (valid) or ceil(T/pool) (same). */
int qat_maxpool1d(qat_graph *g, const char *name, int x, int pool, qat_padding pad);
/* Any per-sample shape → (size), row-major (channels last, as Keras' Flatten). */
int qat_flatten(qat_graph *g, const char *name, int x);
int qat_dropout(qat_graph *g, const char *name, int x, double rate);
/* The pruning mask: y = w ⊙ mask, the mask (w's size, 0 or 1) at node->offset in g->state,
 * set by src/prune (qat_prune_reset: all ones); `block` weights along an output row are
 * pruned together (0 or 1: one by one). */
int qat_mask(qat_graph *g, const char *name, int w, int block);
/* A mask node's block size (at least 1). */
int qat_mask_block(const qat_node *n);
/* logits (K) → scalar mean cross-entropy against qat_pass.labels; keeps the softmax
 * probabilities (batch × K) in the node's aux for accuracy. */
int qat_softmax_xent(qat_graph *g, const char *name, int logits);
/* The probabilities the last forward pass of a softmax_xent node computed. */
const float *qat_softmax_xent_probs(const qat_graph *g, int loss);
/* softmax(x / t) of k logits into out (the distillation targets' and the loss's one routine);
 * returns the log-normaliser log Σ exp(x/t). */
double qat_softmax_t(const float *x, int k, double t, float *out);

#endif
