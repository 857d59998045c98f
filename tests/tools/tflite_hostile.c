/* tflite_hostile IN.tflite OUT.tflite CASE: a copy of a model with one hostile change that
 * the .tflite reader accepts (writes_const excepted: the reader refuses it) and the int8
 * engine must refuse, written through the library's reader and writer. The e2e tests feed the
 * results to `qatrain run` / `inspect` and expect one line naming the file and the operator.
 * Each case finds the operator it changes by its kind (the first CONV_2D, the first pool...),
 * so it applies to any model qatrain exports and to tests/fuzz/corpus/tflite/tiny_int8.tflite.
 *
 *   self_input      the first CONV_2D reads its own output
 *   read_later      the first CONV_2D reads a tensor only a later operator writes
 *   written_twice   the operator after the first pool writes the first CONV_2D's output again
 *   writes_const    the first pool writes into the CONV_2D's filter (a constant)
 *   pool_window     the first pool's window is one wider than its input (VALID padding)
 *   pool_window_max the first pool's window is 2147483647 x 2147483647
 *   pool_stride_max the first pool's stride is 2147483647 in width
 *   conv_stride_max the first CONV_2D's stride is 2147483647 in width
 *   conv_dilation_max  the first CONV_2D's dilation is 1073741824 in width
 *   scale_zero      the first CONV_2D's output scale is 0
 *   scale_tiny      ... is 1e-45 (a denormal)
 *   scale_huge      ... is 3e38
 *   filter_scale_zero  the first CONV_2D's filter scales are 0
 *   filter_zp       the first CONV_2D's filter zero points are 1 (weights must be symmetric)
 *   softmax_scale   the SOFTMAX output scale is 1/255
 *   bias_count      the first CONV_2D's bias has one value fewer than output channels
 *   no_operators    every operator removed (the output is then written by nobody)
 *   only_io         every operator removed and the output is the input
 *   batch0          every activation's first dimension is 0: no values anywhere
 *   input_const     the graph input is a constant tensor
 * Exit 0: written; 2: unreadable input, unknown case, or a model without the operator. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/tflite.h"

static int fail(const char *msg) {
    fprintf(stderr, "tflite_hostile: %s\n", msg);
    return 2;
}

static int find_op(const qat_ir *ir, qat_ir_opcode a, qat_ir_opcode b) {
    for (int i = 0; i < ir->n_nodes; i++)
        if (ir->nodes[i].op == a || ir->nodes[i].op == b) return i;
    return -1;
}

static void set_scales(qat_ir_tensor *t, float scale, int32_t zp_or_keep, int set_zp) {
    for (int i = 0; i < t->q.n; i++) {
        t->q.scale[i] = scale;
        if (set_zp) t->q.zero_point[i] = zp_or_keep;
    }
}

/* 0: applied; 1: the model lacks what the case changes; -1: unknown case. */
static int apply(qat_ir *ir, const char *what) {
    const int conv = find_op(ir, QAT_IR_CONV_2D, QAT_IR_CONV_2D);
    const int pool = find_op(ir, QAT_IR_MAX_POOL_2D, QAT_IR_AVERAGE_POOL_2D);
    const int soft = find_op(ir, QAT_IR_SOFTMAX, QAT_IR_SOFTMAX);
    qat_ir_node *c = conv >= 0 ? &ir->nodes[conv] : NULL, *p = pool >= 0 ? &ir->nodes[pool] : NULL;
    qat_ir_tensor *cout = c ? &ir->tensors[c->out] : NULL;
    if (!strcmp(what, "self_input")) {
        if (!c) return 1;
        c->in[0] = c->out;
    } else if (!strcmp(what, "read_later")) {
        if (!c || conv + 1 >= ir->n_nodes) return 1;
        c->in[0] = ir->nodes[ir->n_nodes - 1].out;
    } else if (!strcmp(what, "written_twice")) {
        if (!c || !p || pool < conv || pool + 1 >= ir->n_nodes) return 1;
        ir->nodes[pool + 1].out = c->out;
    } else if (!strcmp(what, "writes_const")) {
        if (!c || !p) return 1;
        p->out = c->in[1];
    } else if (!strcmp(what, "pool_window")) {
        if (!p) return 1;
        p->padding = QAT_IR_PAD_VALID;
        p->filter_w = ir->tensors[p->in[0]].dim[2] + 1;
    } else if (!strcmp(what, "pool_window_max")) {
        if (!p) return 1;
        p->filter_w = p->filter_h = INT32_MAX;
    } else if (!strcmp(what, "pool_stride_max")) {
        if (!p) return 1;
        p->stride_w = INT32_MAX;
    } else if (!strcmp(what, "conv_stride_max")) {
        if (!c) return 1;
        c->stride_w = INT32_MAX;
    } else if (!strcmp(what, "conv_dilation_max")) {
        if (!c) return 1;
        c->dilation_w = 1 << 30;
    } else if (!strcmp(what, "scale_zero") || !strcmp(what, "scale_tiny") ||
               !strcmp(what, "scale_huge")) {
        if (!c) return 1;
        set_scales(cout, what[6] == 'z' ? 0.0f : what[6] == 't' ? 1e-45f : 3e38f, 0, 0);
    } else if (!strcmp(what, "filter_scale_zero")) {
        if (!c) return 1;
        set_scales(&ir->tensors[c->in[1]], 0.0f, 0, 0);
    } else if (!strcmp(what, "filter_zp")) {
        if (!c) return 1;
        qat_ir_tensor *f = &ir->tensors[c->in[1]];
        set_scales(f, f->q.scale[0], 1, 1);
    } else if (!strcmp(what, "softmax_scale")) {
        if (soft < 0) return 1;
        ir->tensors[ir->nodes[soft].out].q.scale[0] = 1.0f / 255;
    } else if (!strcmp(what, "bias_count")) {
        if (!c || c->n_in < 3 || c->in[2] < 0) return 1;
        qat_ir_tensor *b = &ir->tensors[c->in[2]];
        b->dim[0]--;
        b->bytes -= 4;
        if (b->q.n > 1) b->q.n--;
    } else if (!strcmp(what, "no_operators") || !strcmp(what, "only_io")) {
        ir->n_nodes = 0;
        if (what[0] == 'o') ir->output = ir->input;
    } else if (!strcmp(what, "batch0")) {
        for (int t = 0; t < ir->n_tensors; t++)
            if (!ir->tensors[t].data && ir->tensors[t].ndim > 0) ir->tensors[t].dim[0] = 0;
    } else if (!strcmp(what, "input_const")) {
        qat_ir_tensor *in = &ir->tensors[ir->input];
        in->bytes = qat_ir_tensor_count(in) * qat_ir_type_size(in->type);
        in->data = calloc(1, in->bytes ? in->bytes : 1);
        if (!in->data) return 1;
    } else {
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 4) return fail("usage: tflite_hostile IN.tflite OUT.tflite CASE");
    qat_error e = {0};
    qat_ir ir;
    if (qat_tflite_read(argv[1], &ir, &e)) return fail(e.msg);
    int r = apply(&ir, argv[3]);
    if (r) {
        qat_ir_free(&ir);
        return fail(r < 0 ? "unknown case (see the comment at the top of tflite_hostile.c)"
                          : "the model has no operator this case changes");
    }
    qat_status s = qat_tflite_write(&ir, "hostile variant (tests/tools/tflite_hostile)", argv[2], &e);
    qat_ir_free(&ir);
    return s ? fail(e.msg) : 0;
}
