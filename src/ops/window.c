/* The geometry of one spatial axis of a window op (2-D convolutions and pools), TensorFlow's
 * rule, which TFLite Micro's ComputePaddingHeightWidth repeats (dilation 1): the odd extra
 * padding row or column goes at the end, where out-of-range taps are simply skipped. */
#include "qat/ops.h"

qat_window_axis qat_window(int in, int k, int stride, qat_padding pad) {
    QAT_ASSERT(in > 0 && k > 0 && stride > 0);
    if (pad == QAT_PAD_VALID) return (qat_window_axis){in < k ? 0 : (in - k) / stride + 1, 0};
    int out = (in + stride - 1) / stride, total = (out - 1) * stride + k - in;
    return (qat_window_axis){out, total > 0 ? total / 2 : 0};
}
