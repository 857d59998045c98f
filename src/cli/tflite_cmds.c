/* `qatrain inspect FILE.tflite` and `qatrain run FILE.tflite INPUT.npy [OUTPUT.npy]`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "qat/int8.h"
#include "qat/io.h"
#include "qat/npy.h"
#include "qat/tflite.h"

static void print_shape(const qat_ir_tensor *t) {
    putchar('[');
    for (int i = 0; i < t->ndim; i++) printf("%s%d", i ? ", " : "", t->dim[i]);
    putchar(']');
}

static void print_quant(const qat_ir_tensor *t) {
    const qat_qparams *q = &t->q;
    if (q->n == 0) return;
    if (q->n == 1) {
        printf("  scale %.9g zero_point %d", q->scale[0], (int)q->zero_point[0]);
        return;
    }
    float lo = q->scale[0], hi = q->scale[0];
    int zeros = 1;
    for (int i = 0; i < q->n; i++) {
        lo = q->scale[i] < lo ? q->scale[i] : lo;
        hi = q->scale[i] > hi ? q->scale[i] : hi;
        zeros &= q->zero_point[i] == 0;
    }
    printf("  per-channel x%d (axis %d) scale %.3g..%.3g zero_point %s", q->n, q->axis, lo, hi,
           zeros ? "all 0" : "mixed");
}

static void print_node(const qat_ir *ir, int i) {
    const qat_ir_node *n = &ir->nodes[i];
    printf("  %2d %-18s v%d  in (", i, qat_ir_opcode_name(n->op), qat_tflite_op_version(ir, n));
    for (int k = 0; k < n->n_in; k++) printf("%s%d", k ? ", " : "", n->in[k]);
    printf(") -> %d", n->out);
    switch (n->op) {
    case QAT_IR_CONV_2D:
    case QAT_IR_DEPTHWISE_CONV_2D:
        printf("  %s stride %dx%d dilation %dx%d %s", n->padding == QAT_IR_PAD_SAME ? "SAME" : "VALID",
               n->stride_h, n->stride_w, n->dilation_h, n->dilation_w, qat_ir_act_name(n->act));
        if (n->op == QAT_IR_DEPTHWISE_CONV_2D) printf(" depth_multiplier %d", n->depth_multiplier);
        break;
    case QAT_IR_MAX_POOL_2D:
    case QAT_IR_AVERAGE_POOL_2D:
        printf("  %s filter %dx%d stride %dx%d %s", n->padding == QAT_IR_PAD_SAME ? "SAME" : "VALID",
               n->filter_h, n->filter_w, n->stride_h, n->stride_w, qat_ir_act_name(n->act));
        break;
    case QAT_IR_FULLY_CONNECTED:
        printf("  %s keep_num_dims %d", qat_ir_act_name(n->act), n->keep_num_dims);
        break;
    case QAT_IR_SOFTMAX: printf("  beta %g", n->beta); break;
    default: break;
    }
    putchar('\n');
}

/* TFLite Micro's tensor arena for both pointer sizes: the smallest arena, then where it goes. */
static qat_status print_arena(const qat_ir *ir, qat_error *e) {
    qat_i8_tflm_arena a[QAT_I8_ABI_COUNT];
    for (int k = 0; k < QAT_I8_ABI_COUNT; k++)
        if (qat_i8_tflm_arena_estimate(ir, (qat_i8_abi)k, &a[k], e)) return e->status;
    printf("tensor arena estimate: %zu bytes on a %s, %zu on a %s (the smallest arena TFLite "
           "Micro's AllocateTensors accepts, reference kernels)\n",
           a[QAT_I8_ABI_LP64].min, qat_i8_abi_name(QAT_I8_ABI_LP64), a[QAT_I8_ABI_ILP32].min,
           qat_i8_abi_name(QAT_I8_ABI_ILP32));
    printf("  %-42s%14s%14s\n", "", qat_i8_abi_name(QAT_I8_ABI_LP64),
           qat_i8_abi_name(QAT_I8_ABI_ILP32));
#define ROW(label, field) \
    printf("  %-42s%14zu%14zu\n", label, a[QAT_I8_ABI_LP64].field, a[QAT_I8_ABI_ILP32].field)
    ROW("activations (greedy memory plan)", activations);
    ROW("TfLiteEvalTensors, input/output tensors", tensors);
    ROW("nodes and builtin options", operators);
    ROW("kernel data (OpData, per-channel arrays)", kernel_data);
    ROW("interpreter (allocators, planner)", runtime);
    ROW("arena_used_bytes() after AllocateTensors", used);
    ROW("smallest arena AllocateTensors accepts", min);
    ROW("recommended (+256 bytes +1/16)", recommended);
#undef ROW
    return QAT_OK;
}

int qat_cmd_inspect(const char *path) {
    qat_ir ir;
    qat_error e = {0};
    if (qat_tflite_read(path, &ir, &e)) return qat_cli_fail(e.msg);
    size_t const_bytes = 0;
    printf("%s: %d tensors, %d operators, input %d, output %d\n\ntensors:\n", path, ir.n_tensors,
           ir.n_nodes, ir.input, ir.output);
    for (int i = 0; i < ir.n_tensors; i++) {
        const qat_ir_tensor *t = &ir.tensors[i];
        printf("  %2d %-28s %-7s ", i, t->name, qat_ir_type_name(t->type));
        print_shape(t);
        if (t->data) printf("  const %zu bytes", t->bytes);
        print_quant(t);
        putchar('\n');
        const_bytes += t->bytes;
    }
    printf("\noperators:\n");
    for (int i = 0; i < ir.n_nodes; i++) print_node(&ir, i);
    printf("\nconstant data: %zu bytes\nTFLite Micro op resolver:", const_bytes);
    for (int op = 0; op < QAT_IR_OPCODE_COUNT; op++)
        for (int i = 0; i < ir.n_nodes; i++)
            if (ir.nodes[i].op == (qat_ir_opcode)op) {
                printf(" %s", qat_ir_opcode_name((qat_ir_opcode)op));
                break;
            }
    qat_i8_engine eng;
    qat_status st = qat_i8_prepare(&eng, &ir, path, &e);
    if (st == QAT_OK) {
        qat_i8_free(&eng);
        putchar('\n');
        if (print_arena(&ir, &e)) printf("tensor arena: %s\n", e.msg);
    } else {
        printf("\nint8 engine: cannot run this model (%s)\n", e.msg);
    }
    qat_ir_free(&ir);
    /* A float or hybrid model is a valid file the int8 engine does not run; any other
     * refusal means no runtime could run it, and inspect says so as an error. */
    return st == QAT_OK || st == QAT_ERR_UNSUPPORTED ? 0 : qat_cli_fail(e.msg);
}

/* Input samples: an .npy of the model input's type, shaped (N, input shape without its
 * leading 1) or (N, full input shape). The engine has checked that the input holds values. */
static int check_input(const qat_ir_tensor *in, const qat_npy *x, const char *path,
                       const char *model, size_t *n) {
    const size_t per = qat_ir_tensor_count(in);
    qat_dtype want;
    const int known = qat_tflite_npy_dtype(in->type, &want);
    char shape[64];
    size_t k = 0;
    for (int d = 0; d < in->ndim && k < sizeof shape; d++)
        k += (size_t)snprintf(shape + k, sizeof shape - k, d ? ", %d" : "%d", in->dim[d]);
    if (!known || x->dtype != want) {
        fprintf(stderr, "qatrain: %s: holds %s data; the input of %s is %s [%s]\n", path,
                qat_dtype_name(x->dtype), model, known ? qat_dtype_name(want) : qat_ir_type_name(in->type),
                shape);
        return 2;
    }
    QAT_ASSERT(per > 0);
    if (x->ndim < 1 || x->count % per != 0 || x->count / per != x->shape[0]) {
        fprintf(stderr, "qatrain: %s: shape does not hold whole samples of %zu values (the input "
                        "of %s is [%s])\n", path, per, model, shape);
        return 2;
    }
    *n = x->shape[0];
    return 0;
}

/* `run`'s default output, INPUT_out.npy beside INPUT: the file name's extension (from its last
 * dot; a hidden file's leading dot is not one, nor a dot in a folder's name) replaced, trailing
 * slashes dropped. 0, or 2 when the name does not fit. */
static int default_output(const char *input, char *out, size_t cap) {
    size_t len = strlen(input);
    while (len > 1 && input[len - 1] == '/') len--;
    size_t base = len;
    while (base > 0 && input[base - 1] != '/') base--;
    size_t stem = len;
    for (size_t i = len; i > base + 1; i--)
        if (input[i - 1] == '.') {
            stem = i - 1;
            break;
        }
    if ((size_t)snprintf(out, cap, "%.*s_out.npy", (int)stem, input) < cap) return 0;
    fprintf(stderr, "qatrain: %s: path too long for the default output name (give OUTPUT.npy)\n",
            input);
    return 2;
}

int qat_cmd_run(const char *model, const char *input, const char *output) {
    char default_out[QAT_PATH_MAX];
    if (!output) {
        if (default_output(input, default_out, sizeof default_out)) return 2;
        output = default_out;
    }
    qat_ir ir;
    qat_error e = {0};
    qat_npy x = {0};
    qat_i8_engine eng;
    if (qat_tflite_read(model, &ir, &e)) return qat_cli_fail(e.msg);
    int rc = 0;
    if (qat_i8_prepare(&eng, &ir, model, &e)) {
        rc = qat_cli_fail(e.msg);
        goto done_ir;
    }
    if (qat_npy_read(input, &x, &e)) {
        rc = qat_cli_fail(e.msg);
        goto done;
    }
    size_t n;
    const qat_ir_tensor *in = &ir.tensors[ir.input], *out = &ir.tensors[ir.output];
    if ((rc = check_input(in, &x, input, model, &n))) goto done;
    size_t in_bytes = qat_ir_tensor_count(in) * qat_ir_type_size(in->type);
    size_t out_bytes = qat_ir_tensor_count(out) * qat_ir_type_size(out->type);
    unsigned char *y = malloc(n * out_bytes + 1);
    if (!y) {
        rc = qat_cli_fail("out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        qat_i8_invoke(&eng, (const unsigned char *)x.data + i * in_bytes, y + i * out_bytes);
    size_t shape[QAT_IR_MAX_DIM + 1] = {n};
    int nd = 1;
    for (int d = out->dim[0] == 1 ? 1 : 0; d < out->ndim; d++) shape[nd++] = (size_t)out->dim[d];
    qat_dtype t;
    const int known = qat_tflite_npy_dtype(out->type, &t);
    QAT_ASSERT(known); /* the engine's outputs are int8, uint8 or float32 */
    if (qat_npy_write(output, t, nd, shape, y, &e)) rc = qat_cli_fail(e.msg);
    else printf("%s: %zu samples through %s -> %s\n", input, n, model, output);
    free(y);
done:
    qat_npy_free(&x);
    qat_i8_free(&eng);
done_ir:
    qat_ir_free(&ir);
    return rc;
}
