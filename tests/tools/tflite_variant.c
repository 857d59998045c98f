/* tflite_variant IN.tflite OUT.tflite logits|float_io|uint8_io: a variant of an int8-I/O
 * model that the LiteRT and TFLM tests need and qatrain does not export (for that model),
 * written through the library's reader and writer with every other tensor, operator and
 * constant byte kept.
 *   logits    without its final SOFTMAX: the output is the logits (the last operator's
 *             int8 input to the softmax); prints their scale and zero point "SCALE ZP"
 *   float_io  between a QUANTIZE (float32 input) and a DEQUANTIZE (float32 output), the
 *             form LiteRT 2.5.3 accepts (it refuses int8 I/O), as the exporter's
 *             model_*_float_io.tflite
 *   uint8_io  between a QUANTIZE uint8 → int8 and a QUANTIZE int8 → uint8 (zero points
 *             + 128), made by the library's qat_ir_uint8_io, as model_uint8_io.tflite
 * Exit 0: written; 2: unreadable input, or a model not of that shape. */
#include <stdio.h>
#include <string.h>

#include "qat/quant.h"
#include "qat/tflite.h"

static int fail(const char *msg) {
    fprintf(stderr, "tflite_variant: %s\n", msg);
    return 2;
}

static int copy_tensor(qat_ir *out, const qat_ir_tensor *t) {
    return qat_ir_add_tensor(out, t->name, t->type, t->ndim, t->dim, &t->q, t->data, t->bytes);
}

/* out = ir without its last node (the SOFTMAX) and that node's output tensor. */
static int drop_softmax(const qat_ir *ir, qat_ir *out) {
    const qat_ir_node *sm = &ir->nodes[ir->n_nodes - 1];
    int gone = sm->out;
    qat_ir_init(out);
    for (int i = 0; i < ir->n_tensors; i++)
        if (i != gone && copy_tensor(out, &ir->tensors[i]) < 0) return -1;
    for (int i = 0; i < ir->n_nodes - 1; i++) {
        qat_ir_node n = ir->nodes[i];
        for (int k = 0; k < n.n_in; k++) n.in[k] -= n.in[k] > gone;
        n.out -= n.out > gone;
        if (qat_ir_add_node(out, &n) < 0) return -1;
    }
    out->input = ir->input - (ir->input > gone);
    out->output = sm->in[0] - (sm->in[0] > gone);
    return 0;
}

/* out = QUANTIZE, ir's nodes, DEQUANTIZE; two new float32 tensors at the end. */
static int wrap_float(const qat_ir *ir, qat_ir *out) {
    const qat_ir_tensor *in = &ir->tensors[ir->input], *o = &ir->tensors[ir->output];
    char name[QAT_IR_NAME_MAX + 8];
    qat_ir_init(out);
    for (int i = 0; i < ir->n_tensors; i++)
        if (copy_tensor(out, &ir->tensors[i]) < 0) return -1;
    snprintf(name, sizeof name, "%.50s_float", in->name);
    int fin = qat_ir_add_tensor(out, name, QAT_IR_FLOAT32, in->ndim, in->dim, NULL, NULL, 0);
    snprintf(name, sizeof name, "%.50s_float", o->name);
    int fout = qat_ir_add_tensor(out, name, QAT_IR_FLOAT32, o->ndim, o->dim, NULL, NULL, 0);
    qat_ir_node q = {.op = QAT_IR_QUANTIZE, .n_in = 1, .in = {fin, -1, -1}, .out = ir->input};
    qat_ir_node d = {.op = QAT_IR_DEQUANTIZE, .n_in = 1, .in = {ir->output, -1, -1}, .out = fout};
    if (fin < 0 || fout < 0 || qat_ir_add_node(out, &q) < 0) return -1;
    for (int i = 0; i < ir->n_nodes; i++)
        if (qat_ir_add_node(out, &ir->nodes[i]) < 0) return -1;
    if (qat_ir_add_node(out, &d) < 0) return -1;
    out->input = fin;
    out->output = fout;
    return 0;
}

int main(int argc, char **argv) {
    int logits = argc == 4 && !strcmp(argv[3], "logits");
    int uint8_io = argc == 4 && !strcmp(argv[3], "uint8_io");
    if (argc != 4 || (!logits && !uint8_io && strcmp(argv[3], "float_io")))
        return fail("usage: tflite_variant IN.tflite OUT.tflite logits|float_io|uint8_io");
    qat_error e = {0};
    qat_ir ir, out;
    if (qat_tflite_read(argv[1], &ir, &e)) return fail(e.msg);
    const qat_ir_tensor *in = &ir.tensors[ir.input], *o = &ir.tensors[ir.output];
    if (in->type != QAT_IR_INT8 || o->type != QAT_IR_INT8) return fail("not an int8-I/O model");
    if (uint8_io && (in->q.n != 1 || o->q.n != 1))
        return fail("the model's input or output is not quantized per tensor");
    const qat_ir_node *last = &ir.nodes[ir.n_nodes - 1];
    if (logits && (last->op != QAT_IR_SOFTMAX || last->out != ir.output ||
                   ir.tensors[last->in[0]].q.n != 1))
        return fail("the model does not end in a SOFTMAX of per-tensor int8 logits");
    if (uint8_io ? qat_ir_uint8_io(&ir, &out, &e) != QAT_OK
                 : (logits ? drop_softmax(&ir, &out) : wrap_float(&ir, &out)))
        return fail("out of memory");
    const char *what = logits     ? "logits variant (tests/tools/tflite_variant)"
                       : uint8_io ? "uint8-I/O variant (tests/tools/tflite_variant)"
                                  : "float-interface variant (tests/tools/tflite_variant)";
    if (qat_tflite_write(&out, what, argv[2], &e)) return fail(e.msg);
    if (logits) {
        const qat_ir_tensor *l = &out.tensors[out.output];
        printf("%.9g %d\n", (double)l->q.scale[0], (int)l->q.zero_point[0]);
    }
    qat_ir_free(&out);
    qat_ir_free(&ir);
    return 0;
}
