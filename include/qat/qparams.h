/* qatrain — quantization parameters and the integer arithmetic every path shares.
 *
 * real = scale · (q − zero_point). One qat_qparams describes a tensor for the observers,
 * the fake-quant nodes, lowering, the int8 kernels and the exporter alike; the fixed-point
 * helpers below are the only implementation of TFLite's rounding in qatrain, used by both
 * the float simulation and the integer engine (reference/tflite-int8.md §7). */
#ifndef QAT_QPARAMS_H
#define QAT_QPARAMS_H

#include <stdint.h>

typedef struct qat_qparams {
    int n;               /* number of scales: 0 = not quantized, 1 = per tensor, else per channel */
    int axis;            /* the quantized dimension when n > 1 */
    int qmin, qmax;      /* integer range: [-128, 127] activations, [-127, 127] 8-bit weights,
                            [-7, 7] 4-bit weights (stored as int8) */
    float *scale;        /* n scales, float32 exactly as a .tflite stores them; borrowed */
    int32_t *zero_point; /* n zero points; borrowed */
} qat_qparams;

/* round(x) with ties away from zero, as std::round / TfLiteRound. */
double qat_round_away(double x);

/* zp + round_away(x / scale), the division in float32 as TFLite's QUANTIZE, clamped to
 * [qmin, qmax]; NaN gives qmin. The one quantization of a real value into an activation
 * tensor: the int8 engine's QUANTIZE, its activation clamps and the fake-quant nodes. */
int32_t qat_quantize_float(float x, float scale, int32_t zp, int32_t qmin, int32_t qmax);

/* TFLite QuantizeMultiplier: m = M · 2^(shift − 31), M in [2^30, 2^31), shift > 0 is a
 * left shift; m == 0 gives (0, 0). */
void qat_quantize_multiplier(double m, int32_t *multiplier, int *shift);

/* The requantization multiplier of a conv / depthwise / fully-connected output channel, in
 * TFLM's expression order: (double)s_in·(double)s_w / (double)s_out
 * (PopulateConvolutionQuantizationParams), except for a fully-connected layer with one
 * weight scale (fc_per_tensor), where the product s_in·s_w is formed in float32 first
 * (GetQuantizedConvolutionMultipler). The int8 engine and the fake-quant graph both use it. */
void qat_affine_multiplier(float s_in, float s_w, float s_out, int fc_per_tensor,
                           int32_t *multiplier, int *shift);

/* gemmlowp SaturatingRoundingDoublingHighMul: round(a·b / 2^31), ties toward +inf. */
int32_t qat_srdhm(int32_t a, int32_t b);
/* gemmlowp RoundingDivideByPOT: round(x / 2^e), ties away from zero; 0 <= e <= 31. */
int32_t qat_rdbpot(int32_t x, int e);
/* TFLite MultiplyByQuantizedMultiplier, double rounding (TFLM's reference kernels). */
int32_t qat_mul_by_quantized_multiplier(int32_t x, int32_t multiplier, int shift);

#endif
