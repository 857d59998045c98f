/* input_quantized MODEL.tflite FLOAT.npy INT8.npy: INT8 must be FLOAT quantized with the
 * model's own input scale and zero point as the file states them:
 *     q = clamp(round(x / scale) + zero_point, -128, 127)
 * (for a uint8-input model, INT8 is a uint8 .npy and the clamp is to [0, 255])
 * with the division in float32 and ties away from zero, as TFLite's QUANTIZE (reference
 * AffineQuantize: std::round(x / scale) + zero_point). Written out here rather than calling
 * the library's qat_quantize_float, which is what produced INT8.
 * Exit 0: every value equal; 1: some differ (counted, the first named); 2: bad files. */
#include <math.h>
#include <stdio.h>

#include "qat/npy.h"
#include "qat/tflite.h"

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: input_quantized MODEL.tflite FLOAT.npy INT8.npy\n");
        return 2;
    }
    qat_error e = {0};
    qat_ir ir;
    qat_npy x = {0}, q = {0};
    if (qat_tflite_read(argv[1], &ir, &e) || qat_npy_read(argv[2], &x, &e) ||
        qat_npy_read(argv[3], &q, &e)) {
        fprintf(stderr, "input_quantized: %s\n", e.msg);
        return 2;
    }
    const qat_ir_tensor *in = &ir.tensors[ir.input];
    const int u8 = in->type == QAT_IR_UINT8, lo = u8 ? 0 : -128, hi = u8 ? 255 : 127;
    if ((in->type != QAT_IR_INT8 && !u8) || in->q.n != 1 || x.dtype != QAT_DTYPE_F32 ||
        q.dtype != (u8 ? QAT_DTYPE_U8 : QAT_DTYPE_I8) || x.count != q.count ||
        x.count % qat_ir_tensor_count(in)) {
        fprintf(stderr, "input_quantized: want an int8- or uint8-input model, float32 inputs and "
                        "int8 or uint8 ones (as the model's) of its input's size\n");
        return 2;
    }
    const float scale = in->q.scale[0], *xf = x.data;
    const int zp = (int)in->q.zero_point[0];
    size_t per = qat_ir_tensor_count(in), wrong = 0;
    for (size_t i = 0; i < x.count; i++) {
        float v = roundf(xf[i] / scale) + (float)zp; /* exact while |v| < 2^24; clamped below */
        int want = v < lo ? lo : v > hi ? hi : (int)v;
        int got = u8 ? ((const uint8_t *)q.data)[i] : ((const int8_t *)q.data)[i];
        if (want == got) continue;
        if (!wrong++)
            printf("%s: sample %zu value %zu: %d, want %d (x %.9g, scale %.9g, zero point %d)\n",
                   argv[3], i / per, i % per, got, want, (double)xf[i], (double)scale, zp);
    }
    printf("%s: %zu values, %zu differ from %s quantized with %s's input scale %.9g, zero point %d\n",
           argv[3], x.count, wrong, argv[2], argv[1], (double)scale, zp);
    qat_npy_free(&x);
    qat_npy_free(&q);
    qat_ir_free(&ir);
    return wrong ? 1 : 0;
}
