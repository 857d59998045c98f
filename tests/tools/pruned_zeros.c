/* pruned_zeros MODEL.tflite MASKS.bin: every weight masks.bin marks as pruned must be 0 in
 * the written file's int8 kernel, layer by layer.
 *
 * Independent of the pipeline's own check (prune_stage.c compares the masks in memory with
 * the IR it lowered): this reads what was written, the .tflite through the library's reader
 * and masks.bin with its own parser here (format: src/prune/mask_file.c; CRC checked).
 * Layouts: a mask has its float kernel's shape, Conv1D (O, K, C) and Dense (O, I); the file
 * holds CONV_2D filters as OHWI = (O, 1, K, C) and FULLY_CONNECTED weights as (O, I), the
 * same elements in the same order once H = 1 is dropped, which is checked shape by shape.
 * 2-D kernels have the file's shape as they are: Conv2D (O, KH, KW, C), a depthwise kernel
 * (1, KH, KW, C·M); a separable conv's two masks are named "<layer>/depthwise" and
 * "<layer>", its kernels "<layer>/depthwise/kernel" and "<layer>/kernel".
 * Prints one line per layer. Exit 0: every pruned weight is 0; 1: one is not (the first is
 * named); 2: a file is unreadable, or the two do not describe the same model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "qat/io.h"
#include "qat/tflite.h"

static const char *masks_path;

static void bad(const char *what) {
    fprintf(stderr, "pruned_zeros: %s: %s\n", masks_path, what);
    exit(2);
}

typedef struct cursor {
    const unsigned char *p;
    size_t n, at;
} cursor;

static uint32_t u32(cursor *c) {
    if (c->n - c->at < 4) bad("truncated");
    const unsigned char *b = c->p + c->at;
    c->at += 4;
    return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static const qat_ir_tensor *kernel_of(const qat_ir *ir, const char *layer) {
    char name[256 + 8];
    snprintf(name, sizeof name, "%s/kernel", layer);
    for (int i = 0; i < ir->n_tensors; i++)
        if (!strcmp(ir->tensors[i].name, name)) return &ir->tensors[i];
    return NULL;
}

/* The mask's shape against the file's kernel: (O, K, C) ~ (O, 1, K, C), (O, I) ~ (O, I),
 * a 4-D mask ~ the same 4-D kernel. */
static int same_layout(const uint32_t *dim, uint32_t ndim, const qat_ir_tensor *t) {
    if (ndim == 4) {
        int same = t->ndim == 4;
        for (int d = 0; same && d < 4; d++) same = (uint32_t)t->dim[d] == dim[d];
        return same;
    }
    if (ndim == 3)
        return t->ndim == 4 && t->dim[1] == 1 && (uint32_t)t->dim[0] == dim[0] &&
               (uint32_t)t->dim[2] == dim[1] && (uint32_t)t->dim[3] == dim[2];
    if (ndim == 2) return t->ndim == 2 && (uint32_t)t->dim[0] == dim[0] && (uint32_t)t->dim[1] == dim[1];
    return 0;
}

/* One layer's record: returns the number of pruned weights that are not 0 in the file. */
static long check_layer(cursor *c, const qat_ir *ir) {
    uint32_t len = u32(c), ndim, dim[4];
    char layer[256];
    if (len >= sizeof layer || c->n - c->at < len) bad("bad layer name");
    memcpy(layer, c->p + c->at, len);
    layer[len] = 0;
    c->at += len;
    if ((ndim = u32(c)) < 2 || ndim > 4) bad("a mask of neither 2, 3 nor 4 dimensions");
    size_t n = 1;
    for (uint32_t d = 0; d < ndim; d++) n *= dim[d] = u32(c);
    if (c->n - c->at < (n + 7) / 8) bad("truncated");
    const unsigned char *bits = c->p + c->at;
    c->at += (n + 7) / 8;
    const qat_ir_tensor *t = kernel_of(ir, layer);
    if (!t || t->type != QAT_IR_INT8 || !t->data || !same_layout(dim, ndim, t)) {
        fprintf(stderr, "pruned_zeros: masks.bin layer '%s' has no int8 kernel of its shape in the "
                        "model\n", layer);
        exit(2);
    }
    const int8_t *w = t->data;
    size_t pruned = 0, kept_zero = 0;
    long wrong = 0;
    for (size_t k = 0; k < n; k++) {
        int keep = bits[k / 8] >> (k % 8) & 1;
        pruned += !keep;
        kept_zero += keep && w[k] == 0;
        if (!keep && w[k] != 0 && !wrong++)
            printf("%s: pruned weight %zu (output %zu) is %d in the file, not 0\n", layer, k,
                   k / (n / dim[0]), w[k]);
    }
    printf("%s: %zu of %zu weights pruned, %ld of them not 0 in the file; %zu kept weights are 0\n",
           layer, pruned, n, wrong, kept_zero);
    return wrong;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: pruned_zeros MODEL.tflite MASKS.bin\n");
        return 2;
    }
    masks_path = argv[2];
    qat_error e = {0};
    qat_ir ir;
    void *data;
    size_t n;
    if (qat_tflite_read(argv[1], &ir, &e) || qat_read_file(argv[2], &data, &n, &e)) {
        fprintf(stderr, "pruned_zeros: %s\n", e.msg);
        return 2;
    }
    if (n < 16 || memcmp(data, "QATMASK1", 8)) bad("not a mask file");
    cursor c = {data, n, n - 4};
    if (crc32(0L, data, (uInt)(n - 4)) != u32(&c)) bad("checksum mismatch");
    c = (cursor){data, n - 4, 8};
    uint32_t layers = u32(&c);
    long wrong = 0;
    for (uint32_t i = 0; i < layers; i++) wrong += check_layer(&c, &ir);
    if (c.at != c.n) bad("bytes left after the last layer");
    if (layers == 0) bad("no pruned layer");
    free(data);
    qat_ir_free(&ir);
    return wrong ? 1 : 0;
}
