/* qatrain — what a firmware project includes: the model as a C array, and a header with
 * everything the device must do to feed the model exactly as training did.
 *
 * <stem>.h / <stem>.c   the .tflite bytes as `const unsigned char <symbol>[]`, 16-byte
 *                       aligned (an unaligned model array is a known silent failure on
 *                       Cortex-M), and its length — like `xxd -i`, but aligned and const
 * <stem>_info.h         window length and axes, sampling rate, normalisation constants,
 *                       input and output scale / zero point, class labels, the ops to
 *                       register in a TFLite Micro op resolver, the tensor arena TFLite
 *                       Micro needs (int8.h's model, for 32- and 64-bit builds) and an
 *                       inline function turning raw samples into the int8 (or uint8)
 *                       input */
#ifndef QAT_FIRMWARE_H
#define QAT_FIRMWARE_H

#include <stddef.h>

#include "qat/data.h"
#include "qat/error.h"
#include "qat/ir.h"

typedef struct qat_firmware_info {
    const char *symbol;        /* C identifier of the array, e.g. "g_gesture_model" */
    const char *source;        /* what produced it, for the comment: config path */
    const char *const *classes;
    int n_classes;
    int window, channels;
    double rate_hz;
    const qat_norm *norm;
} qat_firmware_info;

/* Writes dir/<stem>.h, dir/<stem>.c (the bytes) and dir/<stem>_info.h (from the int8 IR
 * with int8 or uint8 input and output, which qat_i8_prepare accepts: qat_prepare_input
 * then makes signed char or uint8_t values), each atomically. */
qat_status qat_firmware_write(const qat_ir *ir, const unsigned char *model, size_t len,
                              const qat_firmware_info *info, const char *dir, const char *stem,
                              qat_error *e);

#endif
