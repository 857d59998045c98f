/* qatrain — quantization: qparams math, observers, fake-quant graph, PTQ, lowering.
 *
 * The fake-quant graph is an exact simulation of the exported int8 graph: a fake-quant
 * node stands exactly where the int8 model has an int8 tensor — the input; each conv /
 * dense layer's weights after batch-norm folding (and its int32 bias); each layer's output
 * after its fused ReLU/ReLU6 — and computes the same scale, zero point, rounding and clamp
 * as lowering does, with the same functions. Max-pool, flatten and dropout pass the scale
 * through (a max of quantized values is a quantized value).
 *
 * Batch-norm folding (Keras / TFLite convention, reference/tflite-int8.md §9.2):
 *   m = γ / √(σ² + ε);  w' = w · m (per output channel);  b' = β + (b − μ) · m
 * During QAT the fold uses the running statistics (μ, σ²) carried over from float training:
 * they are frozen from the first QAT epoch unless bn_freeze_epoch > 0, in which case they
 * keep following the batch statistics (Keras momentum) until that epoch ends, after which
 * they are frozen. γ, β, w and b keep training through the fold. */
#ifndef QAT_QUANT_H
#define QAT_QUANT_H

#include "qat/ir.h"
#include "qat/model.h"
#include "qat/qparams.h"

typedef enum qat_observer_kind {
    QAT_OBS_MINMAX,     /* running min and max of everything seen */
    QAT_OBS_EMA,        /* min/max over the first `warmup` steps, then an EMA with `decay` */
    QAT_OBS_PERCENTILE, /* mean over batches of the batch's p-th / (100−p)-th percentiles */
    QAT_OBS_MSE,        /* PTQ only: the range whose grid quantizes the calibration set's
                           histogram with the least squared error (qat_calib_range) */
    QAT_OBS_KL,         /* PTQ only: TensorRT's entropy calibration, the clipping threshold
                           with the least KL divergence between the histogram and its
                           quantized copy (qat_calib_range) */
    QAT_OBS_COUNT
} qat_observer_kind;

/* A bit-width schedule over QAT epochs: step k holds from its epoch until the next step's
 * ("1:8, 11:6, 21:4": epochs 1-10 at 8 bits, 11-20 at 6, 21 on at 4). */
#define QAT_MAX_SCHEDULE 8
typedef struct qat_bits_schedule {
    int n;                              /* 0: no schedule */
    int epoch[QAT_MAX_SCHEDULE], bits[QAT_MAX_SCHEDULE];
} qat_bits_schedule;

/* How QAT sets an activation tensor's range: an observer tracks it, or it is learned by
 * gradient from the calibrated range on. */
typedef enum qat_act_quantizer {
    QAT_ACTQ_OBSERVER, /* qat_observer (EMA by default) */
    QAT_ACTQ_LSQ,      /* LSQ (Esser et al., ICLR 2020): the step size s is learned; the
                          zero point stays the calibrated one, so 0.0 stays exact */
    QAT_ACTQ_PACT,     /* PACT (Choi et al., 2018): the clipping value α of a ReLU / ReLU6
                          output is learned, the range is [0, α] nudged as qat_act_qparams
                          does; tensors without such an activation keep the observer */
    QAT_ACTQ_COUNT
} qat_act_quantizer;
/* ... and a kernel's scales: the largest magnitude per channel, or learned (LSQ). */
typedef enum qat_weight_quantizer {
    QAT_WQ_MAX,
    QAT_WQ_LSQ,
    QAT_WQ_COUNT
} qat_weight_quantizer;

/* Which training samples make the representative set. */
typedef enum qat_calib_select {
    QAT_CALIB_STRATIFIED, /* a seeded stratified subset: every class in proportion */
    QAT_CALIB_FIRST,      /* the first calib_samples (the quantization lab's x_train[:200]) */
    QAT_CALIB_SELECT_COUNT
} qat_calib_select;

typedef struct qat_quant_config {
    int enabled;                 /* run PTQ and QAT after float training */
    int calib_samples;           /* representative subset of the training split (lesson: 200) */
    qat_calib_select calib_select;
    int n_calib_classes;         /* 0: every class; else only these in the representative set */
    char calib_classes[QAT_MAX_CLASSES][QAT_NAME_MAX];
    qat_observer_kind ptq_observer;
    qat_observer_kind qat_observer;
    double ema_decay;            /* TF's default 0.999 */
    int ema_warmup;              /* steps of plain min/max before the EMA starts */
    double percentile;           /* e.g. 99.99 */
    int per_channel_conv;        /* 1: per output channel (TFLite default) */
    int per_channel_dense;       /* 0: per tensor (TFLite Micro compatible default) */
    int weight_mse;              /* 1: kernels' scales minimise their squared rounding error
                                    (qat_weight_scales_mse), in PTQ and QAT; 0: max |w| */
    int bias_correction;         /* 1: qat_qmodel_bias_correct after calibration */
    int sensitivity;             /* 1: qat_sensitivity_analyse after calibration */
    int auto_bits;               /* 0 none, 1 accuracy (auto_budget), 2 size (auto_weight_bytes):
                                    per-layer weight bits chosen by qat_auto_bits */
    double auto_budget;          /* accuracy points below all-8-bit allowed (default 0.5) */
    int auto_weight_bytes;       /* packed weight bytes to fit */
    int weight_bits, act_bits;   /* defaults for every layer, 2..8 */
    int epochs;                  /* QAT fine-tuning (lesson: 30) */
    double lr;                   /* (lesson: 1e-4) */
    int batch;                   /* (lesson: 16) */
    int early_stop_patience;     /* QAT's own callbacks (0 = none; the lesson has none): as */
    int plateau_patience;        /* [train]'s, watching [train] monitor on the same */
    double plateau_factor;       /* validation split */
    int observer_freeze_epoch;   /* 0 = never; else ranges stop moving after this QAT epoch */
    int bn_freeze_epoch;         /* 0 = frozen from the start; see above */
    int uint8_io;                /* 1: also export the QAT and PTQ models with uint8 input and
                                    output (QAT_LOWER_INT8_UINT8_IO), the converter's
                                    inference_input/output_type = tf.uint8 */
    /* Progressive and delayed quantization (both QAT stages: after PTQ and after pruning).
     * A layer is never simulated below its own bits: it runs at the larger of the
     * schedule's and its own, so the last step (which must be at most every layer's bits)
     * brings every layer to its own. Before *_start_epoch that kind of fake-quant passes
     * values through (activation observers keep observing), NNCF's staged scheme. */
    qat_bits_schedule weight_schedule, act_schedule;
    qat_act_quantizer act_quantizer;       /* QAT's activation ranges (learned ones start
                                              from the PTQ calibration) */
    qat_weight_quantizer weight_quantizer;
    int weight_start_epoch, act_start_epoch; /* 1: quantized from the first QAT epoch */
} qat_quant_config;

const char *qat_observer_name(qat_observer_kind k);
const char *qat_act_quantizer_name(qat_act_quantizer k);
const char *qat_weight_quantizer_name(qat_weight_quantizer k);
const char *qat_calib_select_name(qat_calib_select k);

/* ---- qparams math (shared by fake-quant and lowering) ---- */

/* Integer range of a bit width: weights symmetric narrow [-(2^(b-1)-1), 2^(b-1)-1],
 * activations [-2^(b-1), 2^(b-1)-1]. */
void qat_weight_range(int bits, int *qmin, int *qmax);
void qat_act_range(int bits, int *qmin, int *qmax);
/* Activation scale and zero point from an observed range, TF FakeQuant nudging: the range
 * is widened to include 0, scale = (max−min)/(qmax−qmin) in float32, zero point
 * round(qmin − min/scale) clamped to [qmin, qmax], so 0.0 is exact. Degenerate ranges give
 * scale 1, zero point qmin. */
void qat_act_qparams(float rmin, float rmax, int qmin, int qmax, float *scale, int32_t *zp);
/* float32 scale of symmetric weights with largest magnitude maxabs (1 when all zero). */
float qat_weight_scale(float maxabs, int qmax);
/* Quantize one weight: clamp(round_away((double)w / scale)), in double as the converter
 * (inline: the MSE weight-scale search runs it a hundred times a weight on every QAT step). */
static inline int32_t qat_quantize_weight(float w, float scale, int qmin, int qmax) {
    double q = qat_round_away((double)w / (double)scale);
    return q < qmin ? qmin : q > qmax ? qmax : (int32_t)q;
}
/* Bias scale s_in · s_w computed in double, stored as float32; bias value in int32. */
float qat_bias_scale(float s_in, float s_w);
int32_t qat_quantize_bias(float b, float scale);


/* ---- fake-quant graph ops (forward and backward in src/quant/fake_quant.c, fold.c) ---- */

/* The requantization an activation fake-quant after a conv / dense simulates. The int8
 * operator accumulates acc = Σ (x_q − z_in)·w_q + b_q in int32 and rounds acc·M twice
 * (MultiplyByQuantizedMultiplier, then the fused activation's clamp); rounding the float
 * value y = s_in·s_w·acc once differs from that whenever the first rounding makes a tie
 * (3 % of outputs at 4-bit weights). So the node recovers acc = round(y / (s_in·s_w)) from
 * the affine output — exact while float error stays below half a unit of acc — and applies
 * the engine's arithmetic to it. */
typedef struct qat_fq_requant {
    int pre;           /* the conv/dense output before the activation: s_in·s_w·acc */
    int in_fq;         /* the activation fake-quant whose grid the affine op's input is on */
    int w_fq;          /* the weight fake-quant (its per-channel or per-tensor scales) */
    qat_activation act;   /* the fused activation: none, relu, relu6 */
    int fc_per_tensor; /* a dense layer with one weight scale (qat_affine_multiplier) */
} qat_fq_requant;

typedef struct qat_fq_opts {
    int qmin, qmax;               /* activation integer range */
    qat_observer_kind observer;
    double decay, percentile;     /* EMA decay, percentile */
    int warmup;                   /* EMA warm-up steps */
    int freeze_epoch;             /* training stops updating the range after this epoch; 0 never */
    const qat_fq_requant *requant; /* NULL: quantize the input value (input, pools' inputs) */
    qat_act_quantizer quantizer;  /* LSQ / PACT: `learned` holds s / α */
    int learned;                  /* a (1) param node, or -1 */
} qat_fq_opts;

/* The fake-quant ops' parameters (a node's params, QAT_NODE_PARAMS). */
typedef struct qat_fake_quant_params {
    int qmin, qmax;
    qat_observer_kind observer;
    int freeze_epoch;
    double decay, percentile;
    int warmup;
    int requantizes;               /* 1: requant holds the affine op it follows */
    qat_fq_requant requant;
    int off;                       /* delayed quantization: observe, pass values through */
    int quantizer;                 /* qat_act_quantizer; learned ones read in[1] */
} qat_fake_quant_params;
/* How a kernel's weights share scales: one for the tensor, one per row along axis 0 (conv
 * (O, ...), dense (O, I)), or one per last-axis channel (depthwise (1, KH, KW, C·M): TFLite's
 * quantized_dimension 3). The kernel is viewed as rows × row values either way. */
typedef enum qat_weight_axis {
    QAT_WEIGHT_PER_TENSOR = 0,
    QAT_WEIGHT_PER_ROW = 1,
    QAT_WEIGHT_PER_LAST = 2
} qat_weight_axis;
/* The scale index of element k of a rows × row kernel. */
static inline int qat_weight_channel(int per_channel, size_t k, int row) {
    return per_channel == QAT_WEIGHT_PER_ROW    ? (int)(k / (size_t)row)
           : per_channel == QAT_WEIGHT_PER_LAST ? (int)(k % (size_t)row)
                                                : 0;
}
/* Scale group c of a rows × row kernel: its first value, how many it has and the step
 * between them — a row, a column (stride row) for QAT_WEIGHT_PER_LAST, or the whole kernel.
 * Every per-group loop (scales, MSE search, LSQ's start and gradient) walks groups so. */
typedef struct qat_weight_group {
    size_t first, count, stride;
} qat_weight_group;
static inline int qat_weight_group_count(int per_channel, int rows, int row) {
    return per_channel == QAT_WEIGHT_PER_LAST ? row : per_channel ? rows : 1;
}
static inline qat_weight_group qat_weight_group_of(int per_channel, int rows, int row, int c) {
    if (per_channel == QAT_WEIGHT_PER_LAST)
        return (qat_weight_group){(size_t)c, (size_t)rows, (size_t)row};
    if (per_channel == QAT_WEIGHT_PER_ROW)
        return (qat_weight_group){(size_t)c * (size_t)row, (size_t)row, 1};
    return (qat_weight_group){0, (size_t)rows * (size_t)row, 1};
}
typedef struct qat_fq_weight_params {
    int qmax, per_channel;         /* per_channel: a qat_weight_axis */
    int off;                       /* delayed quantization: pass the weights through */
    int learned;                   /* LSQ: in[1] holds the scales (one per scale group) */
    int mse;                       /* scales by qat_weight_scales_mse (else max |w|) */
} qat_fq_weight_params;
typedef struct qat_fq_bias_params {
    int in_fq, w_fq;               /* the nodes whose scales make the bias scale */
} qat_fq_bias_params;
typedef struct qat_fold_params {   /* fold_weight, fold_bias */
    int channels;
    int channel_last;              /* fold_weight: channels along the last axis (depthwise) */
    double epsilon;
} qat_fold_params;
typedef struct qat_bn_track_params {
    int freeze_epoch, channels;
    double epsilon, momentum;
} qat_bn_track_params;
QAT_PARAMS_FIT(qat_fake_quant_params);
QAT_PARAMS_FIT(qat_fq_weight_params);
QAT_PARAMS_FIT(qat_fq_bias_params);
QAT_PARAMS_FIT(qat_fold_params);
typedef struct qat_fq_avgpool_params {
    int in_fq;                     /* the fake-quant whose grid the pool's input is on */
} qat_fq_avgpool_params;
QAT_PARAMS_FIT(qat_bn_track_params);
QAT_PARAMS_FIT(qat_fq_avgpool_params);

/* Activation fake-quant, per tensor. Observes its input when the pass calibrates, or trains
 * before the freeze epoch; quantizes unless the pass calibrates (or nothing was observed
 * yet). Backward: the clipped straight-through estimator — dy inside the representable
 * range [(qmin−zp)·s, (qmax−zp)·s], 0 outside. Observer state: 3 floats in g->state.
 * A node switched off (qat_qmodel_set_stage) still observes but passes values through. */
int qat_fake_quant(qat_graph *g, const char *name, int x, const qat_fq_opts *o);
/* Symmetric weight fake-quant of a (O, ...) tensor, per tensor, per output channel along
 * axis 0 or along the last axis (per_channel: a qat_weight_axis). Backward: identity (the
 * range always covers every weight). */
int qat_fake_quant_weight(qat_graph *g, const char *name, int w, int qmax, int per_channel,
                          int scales);
/* Learned ranges (LSQ, PACT). A learned node uses its parameter once qat_qmodel_learn_init
 * has started it (a flag in g->state: PTQ calibrates and exports with the observers, and a
 * resumed run restores the flag); its forward pass is the plain fake-quant with that
 * scale, so lowering exports exactly what QAT simulated. Backward (surrogates, not
 * derivatives: the published straight-through rules):
 *   LSQ   ∂x̂/∂x = 1 inside the range, 0 outside; ∂x̂/∂s = round(v) − v inside (v = x/s − 0
 *         relative to the zero point), the level range's ends qmin − zp / qmax − zp outside;
 *         the step's gradient is scaled by 1/√(N·Qp) (N values per sample or per weight
 *         scale group, Qp = qmax − zp)
 *   PACT  ∂x̂/∂x = 1 for x < α, 0 above; ∂x̂/∂α = 1 for x ≥ α, 0 below
 * Weights under LSQ get the clipped straight-through estimator (0 outside ±qmax·s). */
double qat_lsq_step_grad(float x, float s, int32_t zp, int qmin, int qmax);
double qat_lsq_grad_scale(size_t n, int qp);
/* Bias rounded to int32 at scale s_in · s_w[c] (the input's and the weights' fake-quant
 * nodes give the scales). Backward: identity. */
int qat_fake_quant_bias(qat_graph *g, const char *name, int b, int in_fq, int w_fq);
/* Batch-norm folding of one output channel — the one routine: the fold ops below, the
 * dynamic-range model and the report's float kernels all fold with it, so they hold the
 * exported model's values. inv_std = 1/√(σ² + ε) in double; the kernel row is multiplied by
 * (float)(γ·inv_std); the bias is (float)(β + (b − μ)·γ·inv_std) in double. */
double qat_bn_inv_std(float var, double epsilon);
void qat_bn_fold_kernel(const float *w, size_t row, float gamma, double inv_std, float *out);
/* The same for output channel c of a whole kernel of `size` values whose channels are its
 * rows (last = 0) or its last axis (last = 1: a depthwise kernel (1, KH, KW, C·M)). */
void qat_bn_fold_kernel_channel(const float *w, size_t size, int channels, int last, int c,
                                float gamma, double inv_std, float *out);
float qat_bn_fold_bias_value(float b, float gamma, float beta, float mu, double inv_std);
/* Batch-norm folding (see above); bn_state is the offset of μ (C values) and σ² (C values)
 * in g->state. b may be -1 (no bias). The kernel's output channels are its rows (axis 0),
 * or its last axis when gamma's size is not w's first dimension (a depthwise kernel
 * (1, KH, KW, C·M) with C·M > 1). */
int qat_fold_weight(qat_graph *g, const char *name, int w, int gamma, size_t bn_state,
                    double epsilon);
int qat_fold_bias(qat_graph *g, const char *name, int b, int gamma, int beta, size_t bn_state,
                  double epsilon);
/* Identity on a conv/dense output with folded weights that, while training up to
 * freeze_epoch, moves the running statistics toward the batch statistics of the pre-BN
 * output, recovered from the folded one: y = (y' − β)/m + μ, so batch mean μ + (mean' − β)/m
 * and variance var'/m². The rule is Keras' for Conv1D / Dense inputs: running = momentum ·
 * running + (1 − momentum) · batch, with the biased batch variance. Backward: identity
 * (the statistics are not differentiated). */
int qat_bn_track(qat_graph *g, const char *name, int y, int beta, int gamma, size_t bn_state,
                 double momentum, double epsilon, int freeze_epoch);

/* Average pooling as the int8 AVERAGE_POOL_2D computes it. pool is an avgpool2d or
 * global_avgpool node whose input lies on the grid of the activation fake-quant in_fq
 * (scale s, zero point z); AVERAGE_POOL_2D keeps that grid for its output and averages the
 * raw int8 values q = x/s + z of each window's in-bounds cells with qat_i8_average_round
 * (half away from zero), which the float mean followed by a fake-quant would not match
 * (it rounds the mean of x, half away from the zero point, not from raw 0). So the node
 * recovers every q, sums them exactly in int32 and outputs (round(Σq / n) − z)·s. While
 * in_fq does not quantize (calibration, nothing observed yet) it passes the mean through.
 * Backward: identity into the pool (straight through). */
int qat_fq_avgpool(qat_graph *g, const char *name, int pool, int in_fq);
/* The scale and zero point an activation fake-quant node quantized with in its last forward
 * pass; 0 when it did not quantize (calibration, or nothing observed yet). */
int qat_fq_act_grid(const qat_graph *g, int node, float *scale, int32_t *zp);
/* The current qparams of an activation fake-quant node (from its observer state). */
void qat_fq_act_qparams(const qat_graph *g, int node, float *scale, int32_t *zp);
/* A weight fake-quant node's kernel seen as rows × row values: its channels are the rows, or
 * the row's columns when they run along the last axis (per_channel QAT_WEIGHT_PER_LAST). */
void qat_weight_layout(const qat_node *n, int per_channel, int *rows, int *row);
/* Scales of a weight fake-quant node after a forward pass (1 or one per channel). */
const float *qat_fq_weight_scales(const qat_graph *g, int node, int *n);
/* Scales of symmetric weights w (rows × row values): one for all, per row, or per column
 * (per_channel: a qat_weight_axis). */
void qat_weight_scales(const float *w, int rows, int row, int per_channel, int qmax,
                       float *scales);
/* ... each the scale among max|w|/qmax · f, f = 1, 0.99, ..., 0.01, whose quantization of
 * its group has the least squared error (clipping the largest weights when that pays; ties
 * keep the larger scale). */
void qat_weight_scales_mse(const float *w, int rows, int row, int per_channel, int qmax,
                           float *scales);

/* ---- histogram calibration (src/quant/calibrate.c) ---- */

#define QAT_CALIB_BINS 2048
/* Counts of a tensor's values in QAT_CALIB_BINS equal bins over [lo, hi] (which holds 0;
 * values outside go to the end bins), exact zeros apart: 0.0 is exact on every grid, so
 * they add no error to any range, and a ReLU output's zeros (half of it, say) would
 * otherwise dominate the bin they fall in — KL then prefers thresholds that keep that bin
 * unmerged, clipping a third or more of the range. */
typedef struct qat_histogram {
    double lo, hi, n;   /* n: every value, zeros included */
    double zeros;
    double count[QAT_CALIB_BINS];
} qat_histogram;
void qat_hist_init(qat_histogram *h, float lo, float hi);
void qat_hist_add(qat_histogram *h, const float *x, size_t n);
/* The range [lo, hi] method (QAT_OBS_MSE or QAT_OBS_KL; any other: the histogram's own)
 * chooses for a tensor with histogram h on the integer grid [qmin, qmax]:
 *   MSE  the histogram's range scaled by t = k/256, k = 256..1 (a one-sided tensor keeps
 *        lo = 0; a signed one the ratio of its ends), with the least mean squared error of
 *        the values (4 points a bin) rounded on the nudged grid qat_act_qparams gives
 *   KL   TensorRT's entropy calibration on |x|: thresholds from `levels` bins up, the
 *        reference P (mass beyond the threshold in its last bin) against Q, P merged into
 *        `levels` levels and spread back over the non-empty bins; levels = the grid's for a
 *        one-sided tensor, half of it for a signed one; the range is [lo, hi] ∩ [−T, T] */
void qat_calib_range(const qat_histogram *h, qat_observer_kind method, int qmin, int qmax,
                     float *lo, float *hi);

/* ---- the fake-quant model ---- */

/* One operator of the int8 model, and the graph nodes lowering reads it from. */
typedef struct qat_qlayer {
    int spec;           /* its (first) layer in the spec: conv1d, dense, maxpool1d, flatten */
    qat_layer_kind kind;
    int node;           /* the graph node of the operator (lowering reads its op and params):
                           the conv / dense output before its activation, the pool (the
                           qat_fq_avgpool node for average pools), the flatten */
    int in_fq;          /* fake-quant node whose qparams the input carries */
    int out_fq;         /* ... and the output (the same as in_fq for pool and flatten) */
    int w_real, b_real; /* conv1d / dense: kernel and bias after folding, before rounding
                           (b_real -1 when the layer has no bias) */
    int w_fq;           /* weight fake-quant node (its scales) */
    int weight_bits, act_bits, per_channel;
    qat_activation act; /* fused: relu / relu6 / none */
    int last;           /* the last layer of the spec this operator covers (conv, bn, relu) */
    int bn;             /* the folded batchnorm layer, -1 when none */
    size_t bn_state;    /* its running statistics in the graph's state block */
    int depthwise_half; /* 1: the depthwise half of a separable conv, whose int8 output (the
                           tensor "<name>/depthwise") the pointwise half (the next operator,
                           same spec) reads */
} qat_qlayer;

typedef struct qat_qmodel {
    qat_model m;        /* the fake-quant graph; trains with qat_train like a float model */
    int input_fq;
    int input_bits;     /* the input's activation bits ([quant] act_bits) */
    int n_q;
    qat_qlayer q[QAT_MAX_LAYERS];
} qat_qmodel;

/* What one QAT epoch simulates (progressive / delayed quantization). */
typedef struct qat_quant_stage {
    int weight_bits, act_bits; /* the schedule's bits at this epoch; 0: every layer's own */
    int weights_on, acts_on;   /* weights / activations fake-quantized (else passed through) */
} qat_quant_stage;

/* The stage of QAT epoch `epoch` (1-based) under qc's schedules and start epochs (epoch 0:
 * after training). Returns 1 when it is the final stage: everything quantized at each
 * layer's own bits, the model that is exported. */
int qat_quant_stage_at(const qat_quant_config *qc, int epoch, qat_quant_stage *s);
/* Puts every fake-quant node of qm in stage s. */
void qat_qmodel_set_stage(qat_qmodel *qm, const qat_quant_stage *s);
/* The bits QAT epoch `epoch` simulates, as history.csv and the curves show them: weights'
 * and activations' (the schedule's, else [quant] weight_bits / act_bits), 32 while that kind
 * is not quantized yet. */
void qat_quant_stage_bits(const qat_quant_config *qc, int epoch, int *weight_bits, int *act_bits);
/* Whether a config schedules anything (else every QAT epoch is the final stage). */
int qat_quant_staged(const qat_quant_config *qc);
/* A QAT training's epoch callback (train.h qat_epoch_fn; ctx: a qat_qmodel_schedule) that
 * puts the model in its epoch's stage and says whether that is the final one. After
 * training, put the model in the final stage (qat_quant_stage_at(qc, 0, ...)). */
typedef struct qat_qmodel_schedule {
    qat_qmodel *qm;
    const qat_quant_config *qc;
} qat_qmodel_schedule;
int qat_qmodel_stage_epoch(void *ctx, qat_model *m, int epoch);

/* ---- the int8 form of a layer stack ---- */

/* One int8 operator's share of the layer stack. */
typedef struct qat_int8_block_info {
    int bn;             /* the batchnorm folded into the conv1d / dense, -1 when none */
    qat_activation act; /* the fused activation: the layer's own, or a relu/relu6 layer's */
    int bad;            /* on failure: the layer that has no int8 form ... */
    const char *key;    /* ... and its key at fault ("type", "activation") */
} qat_int8_block_info;

/* How the layer stack spec[0..n) groups into int8 operators, one block at a time from layer
 * i: conv1d or dense, then optionally a batchnorm (folded; only when the layer's own
 * activation is none), then optionally a relu or relu6 layer (fused; only when there is no
 * activation yet) make one operator; maxpool1d, flatten and dropout pass their input's
 * scale through. Returns the first layer after the block, or -1 when layer b->bad has no
 * int8 form here (a batchnorm not directly after a conv1d/dense, two in a row, a
 * relu/relu6 with nothing to fuse into), with why (cap bytes) saying so and what to do. */
int qat_int8_block(const qat_layer_spec *spec, int n, int i, qat_int8_block_info *b, char *why,
                   size_t cap);

/* Builds the fake-quant graph for the float model's layer stack (grouped by
 * qat_int8_block) and copies its parameters, batch-norm statistics and normalisation.
 * Stacks that have no exact int8 form are a QAT_ERR_CONFIG naming the layer (config
 * validation refuses them first, with the file and line). */
qat_status qat_qmodel_build(qat_qmodel *qm, const qat_model *fm, const qat_quant_config *qc,
                            int max_batch, qat_error *e);
void qat_qmodel_free(qat_qmodel *qm);
/* Runs calibration passes over d (already normalised): every activation fake-quant node
 * observes its input with `observer`, values pass through unquantized (the float model).
 * MSE and KL: min/max first, then a second pass fills each node's histogram over that range
 * and qat_calib_range chooses the range. */
qat_status qat_qmodel_calibrate(qat_qmodel *qm, const qat_dataset *d, qat_observer_kind observer,
                                qat_error *e);
/* Empirical bias correction (Nagel et al., ICCV 2019, §4.2, as a sequential mean match):
 * after calibration, for each conv / dense operator in order, the mean over d of its
 * pre-activation output in the quantized model (every operator before it quantized and
 * corrected) is brought to the float model's, channel by channel, by adding the difference
 * to its bias — to β when a batch norm is folded in (b' = β + (b − μ)·m). Operators with
 * neither (a separable conv's depthwise half, no bias) keep their error. The activation
 * ranges stay the calibrated ones. *corrected gets how many operators were corrected. */
qat_status qat_qmodel_bias_correct(qat_qmodel *qm, const qat_dataset *d, int *corrected,
                                   qat_error *e);
/* Per-layer sensitivity: after calibration, each conv / dense operator's weights quantized
 * alone (every other fake-quant off: the float model around it) at 2, 4 and 8 bits, and
 * the whole model (every weight at those bits, activations at theirs), measured on d — a
 * held-out part of the training data, never the test split — as accuracy and as the SQNR
 * of the logits against the float model's. The model is left as it was (every node on at
 * its own bits) and a last inference pass over d refreshes the scales lowering reads. */
#define QAT_SENS_BITS 3 /* 2, 4, 8 */
typedef struct qat_layer_sensitivity {
    char name[QAT_NODE_NAME_MAX];  /* the layer ("<layer>/depthwise": a separable conv's half) */
    long weights;
    double accuracy[QAT_SENS_BITS], sqnr_db[QAT_SENS_BITS];
    int spec;                      /* its layer in the spec */
    int depthwise_half;            /* automatic mixed precision leaves it at 8 bits (one
                                      weight_bits per layer in a config) */
} qat_layer_sensitivity;
typedef struct qat_sensitivity {
    int n, samples;
    double float_accuracy;
    qat_layer_sensitivity layer[QAT_MAX_LAYERS];
    double all_accuracy[QAT_SENS_BITS], all_sqnr_db[QAT_SENS_BITS];
} qat_sensitivity;
qat_status qat_sensitivity_analyse(qat_qmodel *qm, const qat_dataset *d, qat_sensitivity *out,
                                   qat_error *e);
/* Automatic mixed precision: weight bits per layer (the sensitivity table's order) from
 * {8, 4, 2}. From all-8, the step down (8 → 4, 4 → 2) that costs a layer the least accuracy
 * alone per packed byte saved is tried on the whole model (eval: its accuracy with those
 * bits, activations quantized): with an accuracy budget (weight_bytes 0) a step that puts
 * the model more than `budget` below all-8 is undone and that layer keeps its bits; with a
 * byte budget steps are taken, cheapest first, until the packed bytes fit (the least loss the
 * greedy order finds). *accuracy: eval's figure for the bits returned. */
typedef struct qat_auto_goal {
    double budget;     /* accuracy points (as a fraction) allowed below all-8-bit */
    long weight_bytes; /* > 0: fit this many packed weight bytes instead */
} qat_auto_goal;
typedef double (*qat_auto_eval_fn)(void *ctx, const int *bits);
void qat_auto_bits(const qat_sensitivity *s, const qat_auto_goal *goal, qat_auto_eval_fn eval,
                   void *ctx, int *bits, double *accuracy);
/* Σ weights · bits / 8 over the table's layers (bits NULL: all at 8). */
long qat_auto_bits_bytes(const qat_sensitivity *s, const int *bits);
/* The whole model's accuracy on d with these weight bits per operator (the sensitivity
 * table's order) and activations quantized; the model is left as it was. */
double qat_qmodel_accuracy_at(qat_qmodel *qm, const qat_dataset *d, const int *bits);
/* Gives the operators these weight bits for good (QAT and lowering use them). */
void qat_qmodel_set_weight_bits(qat_qmodel *qm, const int *bits);
/* Switches the observer of every activation fake-quant node (PTQ → QAT). */
void qat_qmodel_set_observer(qat_qmodel *qm, qat_observer_kind observer);
/* Starts every learned quantizer: activations from the range in use now (the calibrated
 * observers: QAT starts from the PTQ model's activation grids exactly), kernels at LSQ's
 * initial step 2·mean|w|/√Qp per scale group (Esser et al. §2.1; starting from the
 * max-magnitude scales instead left 2-bit kernels mostly at 0 and learned little in 30
 * epochs: 80.2 % against 95.7 % on the lesson, seeds 1–5). */
void qat_qmodel_learn_init(qat_qmodel *qm);
/* Layer i of a float model is a SeparableConv2D when its pointwise conv reads a depthwise
 * conv built in the same layer (not the previous layer's output): returns that depthwise
 * node, else -1. */
int qat_separable_depthwise(const qat_model *fm, int i);
/* The kernel param behind conv op node `op` (past its weight fake-quant), and the pruning
 * mask between them (-1 when none). */
void qat_conv_kernel(const qat_graph *g, int op, int *param, int *mask);
/* Copies the fake-quant model's trained float parameters and batch-norm statistics back
 * into a float model of the same stack. */
void qat_qmodel_export_float(const qat_qmodel *qm, qat_model *fm);

/* What lowering produces. The int8 forms read the fake-quant nodes' qparams; the float
 * forms read only the folded float kernels and biases (lower a qmodel built from the float
 * model for those). */
typedef enum qat_lower_mode {
    QAT_LOWER_INT8,          /* int8 input and output: the file for TFLite Micro */
    QAT_LOWER_INT8_FLOAT_IO, /* the same int8 graph between QUANTIZE and DEQUANTIZE */
    QAT_LOWER_INT8_UINT8_IO, /* ... between QUANTIZE uint8 → int8 and QUANTIZE int8 → uint8,
                                as the converter writes with inference_input_type and
                                inference_output_type tf.uint8: each uint8 tensor has its int8
                                neighbour's scale and zero point + 128 */
    QAT_LOWER_FLOAT32,
    QAT_LOWER_DYNAMIC_RANGE, /* int8 kernels of >= 1024 weights, float activations (hybrid) */
    QAT_LOWER_FLOAT16,       /* float16 constants, DEQUANTIZE'd to float32 at load */
    QAT_LOWER_MODE_COUNT
} qat_lower_mode;

/* Lowers the model to the IR. Conv1D and MaxPool1D become height-1 CONV_2D / MAX_POOL_2D
 * between RESHAPEs (never EXPAND_DIMS, which TFLite Micro builds often lack). */
qat_status qat_lower(qat_qmodel *qm, qat_lower_mode mode, qat_ir *ir, qat_error *e);

/* The uint8-I/O form of an int8-I/O IR (what QAT_LOWER_INT8_UINT8_IO gives, and how a model
 * lowered earlier, such as the PTQ one, gets it): every tensor and node of ir, its input and
 * output tensors renamed "<name>_int8"; a uint8 tensor of each name on its int8 tensor's
 * scale with the zero point + 128; QUANTIZE uint8 → int8 before the first node and QUANTIZE
 * int8 → uint8 after the last. ir's input and output must be per-tensor int8. */
qat_status qat_ir_uint8_io(const qat_ir *ir, qat_ir *out, qat_error *e);

/* Runs an IR (int8 inside, int8, uint8 or float32 interface) with the integer engine over a
 * normalised dataset: inputs quantized to the input tensor's type with its qparams exactly as
 * firmware must (QUANTIZE's rule), predictions = first maximum of the output. preds (n entries) and
 * raw_out (n × classes bytes of the output tensor) may be NULL. arena_bytes gets the
 * engine's memory plan when non-NULL. */
qat_status qat_int8_evaluate(const qat_ir *ir, const qat_dataset *d, int *preds, void *raw_out,
                             double *accuracy, size_t *arena_bytes, qat_error *e);

/* The classes the int8 model ir answers for n rows of logits that the fake-quant graph
 * computed: each row is quantized with the IR's logits tensor (exactly: fake-quant put it on
 * that grid) and, when the IR ends in SOFTMAX, passed through the int8 softmax as the engine
 * runs it, so that the first maximum of the int8 output — where two different logits can
 * give equal probabilities — is the engine's. The IR's output must be int8. */
qat_status qat_int8_classify_logits(const qat_ir *ir, const float *logits, int n, int *pred,
                                    qat_error *e);

/* Turns a float model (a copy: it is modified) into the dynamic-range model simulated in
 * float: batch norm folded, kernels with >= min_elements weights (the converter uses
 * 1024) rounded to int8 — per channel for conv1d, per tensor for dense. */
qat_status qat_dynamic_range_apply(qat_model *m, int min_elements, qat_error *e);
/* ... or into the float16 model: batch norm folded, kernels and biases rounded to IEEE
 * half precision (round to nearest even), as the float16 .tflite stores them. */
void qat_float16_apply(qat_model *m);
/* IEEE half from float, round to nearest even; and back. */
uint16_t qat_float_to_half(float f);
float qat_half_to_float(uint16_t h);

/* Quantization error of each int8 activation tensor: SQNR = 10·log10(Σf² / Σ(f − q̂)²)
 * in dB between a float model's activations f and the int8 engine's tensors dequantized
 * q̂, over a dataset. Tensors are matched by layer: the IR tensor named after a layer
 * against that layer's output in the float model (after its folded BN and activation). */
typedef struct qat_tensor_sqnr {
    char name[QAT_IR_NAME_MAX];
    double sqnr_db;   /* +inf when the tensor is exact */
} qat_tensor_sqnr;

/* The SQNR of accumulated sums: 10·log10(Σf² / Σ(f − q̂)²), +inf when the error is 0 (the
 * per-tensor figures above and the sensitivity table's logits share it). */
static inline double qat_sqnr_db(double signal, double noise) {
    return noise > 0 ? 10 * log10(signal / noise) : INFINITY;
}

/* fm: the float reference (same layer stack as qm, whose lowering produced ir). Writes up
 * to QAT_MAX_LAYERS + 1 entries (the input first); returns the count in *n. */
qat_status qat_sqnr(const qat_ir *ir, const qat_qmodel *qm, qat_model *fm, const qat_dataset *d,
                    qat_tensor_sqnr *out, int *n, qat_error *e);

#endif
