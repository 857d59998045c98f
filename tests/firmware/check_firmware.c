/* What a firmware project gets from an export, checked as firmware would use it. Run by
 * tests/e2e/test_firmware.sh, which compiles this file as C99, C11 and C++ (so it is
 * written in their common subset) with -Wall -Wextra -Werror -pedantic, the export's folder
 * on the include path:
 *     check_firmware MODEL.tflite RAW.npy INT8.npy
 * - g_model_int8 is declared 16-byte aligned: __alignof__ of its definition, included here
 *   (the address alone proves nothing on x86-64, whose ABI aligns every array of 16 bytes or
 *   more), and its address is a multiple of 16;
 * - it is MODEL.tflite byte for byte, and both its size and g_model_int8_len are the file's;
 * - qat_prepare_input (model_int8_info.h) on every window of RAW (float32, the test split
 *   before normalisation) gives exactly that row of INT8 (the int8 inputs the export wrote).
 * Compiled with -DQAT_UINT8_IO it checks the uint8-I/O export instead: model_uint8_io.c and
 * model_uint8_io_info.h, g_model_uint8_io, qat_prepare_input making uint8_t values, and
 * INT8 a uint8 .npy (test_inputs_uint8_io.npy).
 * The .npy reader is the minimum these files need: version 1.0, '<f4', '|i1' or '|u1', C
 * order. */
#ifdef QAT_UINT8_IO
#include "model_uint8_io.c"
#include "model_uint8_io_info.h"
#define G_MODEL g_model_uint8_io
#define G_MODEL_LEN g_model_uint8_io_len
#define Q_DESCR "|u1"
typedef uint8_t q_type; /* what qat_prepare_input writes */
#else
#include "model_int8.c"
#include "model_int8_info.h"
#define G_MODEL g_model_int8
#define G_MODEL_LEN g_model_int8_len
#define Q_DESCR "|i1"
typedef signed char q_type;
#endif

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifndef QAT_INPUT_SIZE /* a 1-D model's header: one window of QAT_WINDOW samples */
#define QAT_INPUT_SIZE (QAT_WINDOW * QAT_AXES)
#endif

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    long len;
    if (!f) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = (unsigned char *)malloc((size_t)len + 1);
        if (buf && fread(buf, 1, (size_t)len, f) != (size_t)len) {
            free(buf);
            buf = NULL;
        }
        *n = (size_t)len;
    }
    fclose(f);
    return buf;
}

/* The payload of a version-1.0 .npy with dtype `descr`; *count elements, *rows = shape[0]. */
static const unsigned char *npy_payload(const unsigned char *b, size_t n, const char *descr,
                                        size_t *count, size_t *rows) {
    char want[32];
    const char *h, *s;
    size_t hl;
    if (n < 10 || memcmp(b, "\x93NUMPY\x01\x00", 8)) return NULL;
    hl = (size_t)b[8] | (size_t)b[9] << 8;
    if (n < 10 + hl) return NULL;
    h = (const char *)b + 10;
    sprintf(want, "'descr': '%s'", descr);
    if (!strstr(h, want) || !strstr(h, "'fortran_order': False") || !(s = strstr(h, "'shape': (")))
        return NULL;
    s += strlen("'shape': (");
    *count = 1;
    *rows = (size_t)strtoul(s, NULL, 10);
    while (*s != ')') {
        char *end;
        unsigned long d = strtoul(s, &end, 10);
        if (end == s) return NULL;
        *count *= d;
        s = end;
        while (*s == ',' || *s == ' ') s++;
    }
    return b + 10 + hl;
}

static int fail(const char *what) {
    fprintf(stderr, "check_firmware: %s\n", what);
    return 1;
}

int main(int argc, char **argv) {
    size_t model_n = 0, raw_n = 0, q_n = 0, raw_count, q_count, raw_rows, q_rows, i, k;
    unsigned char *model, *raw_file, *q_file;
    const unsigned char *raw, *q;
    const size_t per = QAT_INPUT_SIZE;
    long wrong = 0;
    if (argc != 4) return fail("usage: check_firmware MODEL.tflite RAW.npy INT8.npy");
    if (__alignof__(G_MODEL) < 16) return fail("the model array is not declared 16-byte aligned");
    if ((uintptr_t)G_MODEL % 16) return fail("the model array is not at a 16-byte boundary");
    model = slurp(argv[1], &model_n);
    raw_file = slurp(argv[2], &raw_n);
    q_file = slurp(argv[3], &q_n);
    if (!model || !raw_file || !q_file) return fail("cannot read an input file");
    if (model_n != G_MODEL_LEN || sizeof G_MODEL != model_n)
        return fail("the model array or its _len is not the .tflite's size");
    if (memcmp(model, G_MODEL, model_n)) return fail("the model array differs from the .tflite");
    raw = npy_payload(raw_file, raw_n, "<f4", &raw_count, &raw_rows);
    q = npy_payload(q_file, q_n, Q_DESCR, &q_count, &q_rows);
    if (!raw || !q || raw_count != raw_rows * per || q_count != q_rows * per || raw_rows != q_rows)
        return fail("RAW and INT8 must be .npy of float32 and " Q_DESCR " windows, as many of each");
    for (i = 0; i < raw_rows; i++) {
        float x[QAT_INPUT_SIZE];
        q_type got[QAT_INPUT_SIZE];
        long diff = 0;
        memcpy(x, raw + i * per * sizeof(float), sizeof x);
        qat_prepare_input(x, got);
        for (k = 0; k < per; k++)
            if (got[k] != (q_type)q[i * per + k] && !diff++ && !wrong)
                fprintf(stderr, "check_firmware: window %lu value %lu: qat_prepare_input gives %d, "
                                "the export %d (raw %.9g)\n", (unsigned long)i, (unsigned long)k,
                        (int)got[k], (int)(q_type)q[i * per + k], (double)x[k]);
        wrong += diff > 0;
    }
    printf("%lu-byte model array equal to the .tflite, declared and placed 16-byte aligned; "
           "qat_prepare_input gives the exported %s inputs on %lu of %lu windows\n",
           (unsigned long)model_n, Q_DESCR[1] == 'u' ? "uint8" : "int8",
           (unsigned long)raw_rows - (unsigned long)wrong,
           (unsigned long)raw_rows);
    free(model);
    free(raw_file);
    free(q_file);
    return wrong ? 1 : 0;
}
