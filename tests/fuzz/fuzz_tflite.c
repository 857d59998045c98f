/* Fuzz target: the .tflite reader (qat_tflite_parse) and everything that takes what it
 * accepts: the op versions inspect prints, the writer (whose output the reader must read
 * back), qat_i8_prepare, and when prepare accepts the model, one qat_i8_invoke on a zero
 * input. Prepare is the engine's only gate: no IR it accepts may crash the kernels. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "qat/int8.h"
#include "qat/tflite.h"

#define NAME "fuzz.tflite"

static size_t tensor_bytes(const qat_ir_tensor *t) {
    return qat_ir_tensor_count(t) * qat_ir_type_size(t->type);
}

/* What the writer makes of a parsed IR, the reader must read back. */
static void round_trip(const qat_ir *ir) {
    unsigned char *buf;
    size_t len;
    qat_error e = {0};
    if (qat_tflite_serialize(ir, NULL, &buf, &len, &e)) return; /* the writer may refuse */
    qat_ir back;
    qat_status st = qat_tflite_parse(buf, len, "rewritten", &back, &e);
    if (st) {
        fprintf(stderr, "fuzz: the reader refuses what the writer wrote: %s\n", e.msg);
        abort();
    }
    if (back.n_tensors != ir->n_tensors || back.n_nodes != ir->n_nodes) abort();
    qat_ir_free(&back);
    free(buf);
}

int qat_fuzz_tflite(const uint8_t *data, size_t size) {
    qat_ir ir;
    qat_error e = {0};
    qat_status st = qat_tflite_parse(data, size, NAME, &ir, &e);
    qat_fuzz_check_error(st, &e, NAME);
    if (st) return 0;
    if (ir.input < 0 || ir.input >= ir.n_tensors || ir.output < 0 || ir.output >= ir.n_tensors)
        abort();
    for (int i = 0; i < ir.n_nodes; i++) /* what inspect prints for every operator */
        if (qat_tflite_op_version(&ir, &ir.nodes[i]) < 1 || !qat_tflite_min_runtime(&ir, &ir.nodes[i]))
            abort();
    round_trip(&ir);
    qat_i8_engine eng;
    st = qat_i8_prepare(&eng, &ir, NAME, &e);
    qat_fuzz_check_error(st, &e, NULL);
    if (!st) {
        size_t in_bytes = tensor_bytes(&ir.tensors[ir.input]);
        size_t out_bytes = tensor_bytes(&ir.tensors[ir.output]);
        void *in = calloc(1, in_bytes ? in_bytes : 1), *out = malloc(out_bytes ? out_bytes : 1);
        if (in && out) qat_i8_invoke(&eng, in, out);
        free(in);
        free(out);
        qat_i8_free(&eng);
    }
    qat_ir_free(&ir);
    return 0;
}

QAT_FUZZ_MAIN(tflite)
