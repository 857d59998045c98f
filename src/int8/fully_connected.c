/* FULLY_CONNECTED int8, per-tensor or per-channel weights: TFLM's reference_integer_ops
 * FullyConnected / FullyConnectedPerChannel arithmetic (reference/tflite-int8.md §7.5).
 * The per-tensor and per-channel kernels differ only in where the multiplier comes from,
 * which the engine resolves by repeating the per-tensor value for every output unit. */
#include "qat/int8.h"

#include "kernel_util.h"

void qat_i8_fully_connected(const qat_i8_conv_params *p, int batches, int depth, int out_depth,
                            const int8_t *in, const int8_t *weights, const int32_t *bias,
                            int8_t *out) {
    for (int b = 0; b < batches; b++) {
        const int8_t *x = in + (size_t)b * depth;
        for (int oc = 0; oc < out_depth; oc++) {
            /* weights are symmetric (zero point 0), so only the input offset appears */
            int32_t acc = qat_i8_dot(weights + (size_t)oc * depth, x, depth, p->input_offset);
            if (bias) acc += bias[oc];
            out[(size_t)b * out_depth + oc] = qat_i8_requantize_one(
                acc, p->multiplier[oc], p->shift[oc], p->output_offset, p->act_min, p->act_max);
        }
    }
}
