/* The one principle on 2-D layers (DESIGN.md), tensor by tensor: a float model with
 * Conv2D (SAME, stride 2 on odd and even sizes), DepthwiseConv2D (depth multiplier 2) with
 * batch norm folded and ReLU6 fused, MaxPool2D, AveragePool2D (SAME: windows of unequal
 * counts), a 1×1 Conv2D, global average pooling and Dense — and the advanced chapter's
 * block with a pruned SeparableConv2D, BN folded into its pointwise half — calibrated,
 * quantized and lowered:
 * the int8 engine running the IR holds in every int8 tensor exactly the values the
 * fake-quant graph holds there, for every sample; the .tflite written from that IR reads
 * back into an IR the engine runs to the same bytes. The float model is built from the ops
 * directly, so this checks quantization and lowering alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model2d.h"
#include "qat/int8.h"
#include "qat/ops.h"
#include "qat/quant.h"
#include "qat/tflite.h"

enum { SAMPLES = 40, MAX_IN = 1024, MAX_CLASSES = 10 };

/* The stacks checked and what their IR must hold. */
typedef struct stack {
    const char *what;
    int separable;   /* qat_m2d_separable (masked), else qat_m2d_mixed */
    int int8_tensors; /* per sample, the engine's int8 tensors with a graph counterpart */
    int depthwise, avg_pools, max_pools, convs, dw_channels, multiplier;
} stack;

/* mixed: input, c1, d1, p1, a1, c2, g1, fc; separable: input, conv1, sep/depthwise, sep,
 * gap, fc */
static const stack MIXED = {"mixed stack", 0, 8, 1, 2, 1, 2, 8, 2};
static const stack SEPARABLE = {"separable block", 1, 6, 1, 1, 0, 2, 16, 1};

static void build_float(qat_model *m, const stack *k, unsigned seed) {
    if (k->separable) qat_m2d_separable(m, 1);
    else qat_m2d_mixed(m, 3);
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(&m->g, 8, &e), QAT_OK);
    qat_m2d_init(m, seed);
}

/* ---- tensor-by-tensor comparison ---- */

typedef struct compare {
    const qat_graph *g;
    const qat_ir *ir;
    long tensors, values, differ;
} compare;

/* The graph node a tensor's int8 values correspond to: its fake-quant "<tensor>/fq", or for
 * a max-pool (no fake-quant: it keeps its input's grid) the pool node itself. */
static const qat_node *node_of(const qat_graph *g, const char *tensor) {
    char nm[96];
    snprintf(nm, sizeof nm, "%s/fq", tensor);
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, nm)) return &g->nodes[i];
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, tensor) && g->nodes[i].op == QAT_OP_MAXPOOL2D)
            return &g->nodes[i];
    return NULL;
}

static void trace(void *ctx, int node, int tensor, const void *data) {
    (void)node;
    compare *c = ctx;
    const qat_ir_tensor *t = &c->ir->tensors[tensor];
    const qat_node *n = t->type == QAT_IR_INT8 ? node_of(c->g, t->name) : NULL;
    if (!n) return;
    size_t count = qat_ir_tensor_count(t);
    assert_int_equal(count, n->size);
    static int8_t q[8192];
    assert_true(count <= sizeof q);
    qat_i8_quantize(n->val, count, t->q.scale[0], t->q.zero_point[0], q);
    c->tensors++;
    c->values += (long)count;
    for (size_t i = 0; i < count; i++) c->differ += q[i] != ((const int8_t *)data)[i];
}

static void run_engine(const qat_ir *ir, const float *x, int8_t *out, compare *c) {
    qat_i8_engine eng;
    qat_error e = {0};
    qat_status st = qat_i8_prepare(&eng, ir, "test", &e);
    if (st) printf("%s\n", e.msg);
    assert_int_equal(st, QAT_OK);
    const qat_ir_tensor *in = &ir->tensors[ir->input];
    size_t n_in = qat_ir_tensor_count(in), n_out = qat_ir_tensor_count(&ir->tensors[ir->output]);
    for (int i = 0; i < SAMPLES; i++) {
        int8_t xq[MAX_IN];
        assert_true(n_in <= MAX_IN);
        qat_i8_quantize(x + (size_t)i * n_in, n_in, in->q.scale[0], in->q.zero_point[0], xq);
        if (c) {
            float logits[MAX_CLASSES];
            qat_model_logits((qat_model *)c->g, x + (size_t)i * n_in, 1, logits);
            qat_i8_invoke_traced(&eng, xq, out + (size_t)i * n_out, trace, c);
        } else {
            qat_i8_invoke(&eng, xq, out + (size_t)i * n_out);
        }
    }
    qat_i8_free(&eng);
}

static int ir_has(const qat_ir *ir, qat_ir_opcode op) {
    int n = 0;
    for (int i = 0; i < ir->n_nodes; i++) n += ir->nodes[i].op == op;
    return n;
}

/* The float model's and the fake-quant model's state of the mask node named name agree. */
static void same_mask(const qat_graph *a, const qat_graph *b, const char *name) {
    const qat_node *na = NULL, *nb = NULL;
    for (int i = 0; i < a->n_nodes; i++)
        if (!strcmp(a->nodes[i].name, name)) na = &a->nodes[i];
    for (int i = 0; i < b->n_nodes; i++)
        if (!strcmp(b->nodes[i].name, name)) nb = &b->nodes[i];
    assert_non_null(na);
    assert_non_null(nb);
    assert_int_equal(na->op, QAT_OP_MASK);
    assert_int_equal(nb->op, QAT_OP_MASK);
    assert_memory_equal(a->state + na->offset, b->state + nb->offset, na->size * sizeof(float));
}

static void check(const stack *k, int weight_bits, int per_channel_conv) {
    static qat_model fm;
    static qat_qmodel qm;
    build_float(&fm, k, 100u + (unsigned)weight_bits);
    const size_t per = fm.g.nodes[fm.input].size, classes = (size_t)fm.n_classes;
    qat_quant_config qc = {0};
    qc.ptq_observer = qc.qat_observer = QAT_OBS_MINMAX;
    qc.per_channel_conv = per_channel_conv;
    qc.weight_bits = weight_bits;
    qc.act_bits = 8;
    qat_error e = {0};
    assert_int_equal(qat_qmodel_build(&qm, &fm, &qc, 8, &e), QAT_OK);
    if (k->separable) { /* both halves' pruning masks came along */
        same_mask(&fm.g, &qm.m.g, "sep/depthwise_mask");
        same_mask(&fm.g, &qm.m.g, "sep/mask");
    }
    float *x = malloc(sizeof(float) * SAMPLES * per);
    assert_non_null(x);
    qat_dataset d = {.n = SAMPLES, .window = fm.window, .channels = fm.channels, .x = x};
    for (size_t i = 0; i < (size_t)SAMPLES * per; i++)
        x[i] = (float)sin(0.37 * (double)i + weight_bits) * 1.5f + 0.2f;
    assert_int_equal(qat_qmodel_calibrate(&qm, &d, QAT_OBS_MINMAX, &e), QAT_OK);
    qat_ir ir;
    assert_int_equal(qat_lower(&qm, QAT_LOWER_INT8, &ir, &e), QAT_OK);
    assert_int_equal(ir_has(&ir, QAT_IR_DEPTHWISE_CONV_2D), k->depthwise);
    assert_int_equal(ir_has(&ir, QAT_IR_AVERAGE_POOL_2D), k->avg_pools); /* global: over the map */
    assert_int_equal(ir_has(&ir, QAT_IR_MAX_POOL_2D), k->max_pools);
    assert_int_equal(ir_has(&ir, QAT_IR_CONV_2D), k->convs);
    /* the depthwise kernel: per channel along its last axis when the config asks */
    for (int i = 0; i < ir.n_nodes; i++)
        if (ir.nodes[i].op == QAT_IR_DEPTHWISE_CONV_2D) {
            const qat_ir_tensor *kt = &ir.tensors[ir.nodes[i].in[1]];
            assert_int_equal(kt->q.n, per_channel_conv ? k->dw_channels : 1);
            if (per_channel_conv) assert_int_equal(kt->q.axis, 3);
            assert_int_equal(ir.nodes[i].depth_multiplier, k->multiplier);
        }
    /* TFLM's arena for it: every operator's input and output live at once in the plan */
    for (int abi = 0; abi < QAT_I8_ABI_COUNT; abi++) {
        qat_i8_tflm_arena a;
        assert_int_equal(qat_i8_tflm_arena_estimate(&ir, (qat_i8_abi)abi, &a, &e), QAT_OK);
        for (int i = 0; i < ir.n_nodes; i++) {
            const qat_ir_node *n = &ir.nodes[i];
            size_t both = qat_ir_tensor_count(&ir.tensors[n->in[0]]) +
                          qat_ir_tensor_count(&ir.tensors[n->out]);
            assert_true(a.activations >= both);
        }
        assert_true(a.min >= a.used && a.used > a.activations);
    }
    int8_t *y = malloc((size_t)SAMPLES * classes), *y2 = malloc((size_t)SAMPLES * classes);
    assert_non_null(y);
    assert_non_null(y2);
    compare c = {&qm.m.g, &ir, 0, 0, 0};
    run_engine(&ir, x, y, &c);
    printf("%s, %d-bit weights, %s conv: %d samples, %ld tensors, %ld int8 values, "
           "%ld differ\n", k->what, weight_bits, per_channel_conv ? "per-channel" : "per-tensor",
           SAMPLES, c.tensors, c.values, c.differ);
    assert_int_equal(c.tensors, (long)k->int8_tensors * SAMPLES);
    assert_int_equal(c.differ, 0);
    /* the .tflite of that IR runs to the same bytes */
    unsigned char *buf;
    size_t len;
    qat_ir back;
    assert_int_equal(qat_tflite_serialize(&ir, NULL, &buf, &len, &e), QAT_OK);
    assert_int_equal(qat_tflite_parse(buf, len, "sim2d", &back, &e), QAT_OK);
    run_engine(&back, x, y2, NULL);
    assert_memory_equal(y, y2, (size_t)SAMPLES * classes);
    free(buf);
    free(y);
    free(y2);
    free(x);
    qat_ir_free(&back);
    qat_ir_free(&ir);
    qat_qmodel_free(&qm);
    qat_graph_free(&fm.g);
}

static void test_2d_stack_8bit(void **s) {
    (void)s;
    check(&MIXED, 8, 1);
}

static void test_2d_stack_4bit_per_tensor(void **s) {
    (void)s;
    check(&MIXED, 4, 0);
    check(&MIXED, 4, 1);
}

/* Separable: the depthwise half's int8 output "sep/depthwise" is a tensor of its own, BN
 * folds into the pointwise half, both kernels pruned. */
static void test_separable_block(void **s) {
    (void)s;
    check(&SEPARABLE, 8, 1);
    check(&SEPARABLE, 4, 0);
}

/* The float16 and dynamic-range models the report scores hold what those exports store:
 * the separable conv's depthwise kernel too is in half precision, or on its int8 grid per
 * last-axis channel (min_elements 1: every kernel quantized). */
static void test_separable_float_forms(void **s) {
    (void)s;
    static qat_model m;
    build_float(&m, &SEPARABLE, 7);
    int dw = qat_separable_depthwise(&m, 3), param, mask;
    assert_true(dw >= 0);
    qat_conv_kernel(&m.g, dw, &param, &mask);
    assert_true(mask >= 0);
    const qat_node *D = &m.g.nodes[param];
    int ch = D->dim[3], exact = 0;
    qat_float16_apply(&m);
    for (size_t k = 0; k < D->size; k++)
        exact += qat_half_to_float(qat_float_to_half(D->val[k])) == D->val[k];
    assert_int_equal(exact, (int)D->size);
    qat_graph_free(&m.g);
    build_float(&m, &SEPARABLE, 7); /* a new graph: find the kernel again */
    qat_conv_kernel(&m.g, qat_separable_depthwise(&m, 3), &param, &mask);
    D = &m.g.nodes[param];
    qat_error e = {0};
    assert_int_equal(qat_dynamic_range_apply(&m, 1, &e), QAT_OK);
    float scales[64];
    assert_true(ch <= 64);
    qat_weight_scales(D->val, (int)(D->size / (size_t)ch), ch, QAT_WEIGHT_PER_LAST, 127, scales);
    for (size_t k = 0; k < D->size; k++) {
        float q = D->val[k] / scales[k % (size_t)ch];
        assert_true(fabsf(q - roundf(q)) < 1e-3f);
    }
    qat_graph_free(&m.g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_2d_stack_8bit),
        cmocka_unit_test(test_2d_stack_4bit_per_tensor),
        cmocka_unit_test(test_separable_block),
        cmocka_unit_test(test_separable_float_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
