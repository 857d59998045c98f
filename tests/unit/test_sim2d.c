/* The one principle on 2-D layers (DESIGN.md), tensor by tensor: a float model with
 * Conv2D (SAME, stride 2 on odd and even sizes), DepthwiseConv2D (depth multiplier 2) with
 * batch norm folded and ReLU6 fused, MaxPool2D, AveragePool2D (SAME: windows of unequal
 * counts), a 1×1 Conv2D, global average pooling and Dense, calibrated, quantized and lowered:
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

#include "gradcheck.h"
#include "qat/int8.h"
#include "qat/ops.h"
#include "qat/quant.h"
#include "qat/tflite.h"

enum { H = 9, W = 10, C = 2, CLASSES = 3, SAMPLES = 40 };

/* ---- the float model, layer by layer ---- */

static int pnode(qat_graph *g, const char *layer, const char *what, int ndim, const int *dim) {
    char nm[QAT_NODE_NAME_MAX];
    snprintf(nm, sizeof nm, "%s/%s", layer, what);
    return qat_graph_param(g, nm, ndim, dim);
}

/* Appends layer `name`; kind matters only where the quantizer reads it (batchnorm, relu6,
 * a conv's own activation): the op is what the graph says. */
static qat_model_layer *add(qat_model *m, const char *name, qat_layer_kind kind,
                            qat_activation act) {
    qat_layer_spec *s = &m->spec[m->n_layers];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->kind = kind;
    s->activation = act;
    s->use_bias = 1;
    s->momentum = 0.99;
    s->epsilon = 1e-3;
    qat_model_layer *l = &m->layer[m->n_layers++];
    *l = (qat_model_layer){-1, -1, -1, -1, -1, -1, -1};
    return l;
}

static int conv(qat_model *m, int x, const char *name, int depthwise, int o, int k, int stride,
                qat_padding pad, qat_activation act) {
    qat_graph *g = &m->g;
    int cin = g->nodes[x].dim[2];
    qat_model_layer *l = add(m, name, QAT_LAYER_CONV1D, act);
    int wd[4] = {depthwise ? 1 : o, k, k, depthwise ? cin * o : cin};
    int bd[1] = {depthwise ? cin * o : o};
    l->w = pnode(g, name, "kernel", 4, wd);
    l->b = pnode(g, name, "bias", 1, bd);
    qat_conv2d_params cp = {stride, stride, pad, depthwise ? o : 1, 0, 0};
    l->linear = depthwise ? qat_depthwise_conv2d(g, name, x, l->w, l->b, &cp)
                          : qat_conv2d(g, name, x, l->w, l->b, &cp);
    l->out = act == QAT_ACT_RELU ? qat_relu(g, name, l->linear) : l->linear;
    return l->out;
}

static int batchnorm(qat_model *m, int x, const char *name) {
    qat_model_layer *l = add(m, name, QAT_LAYER_BATCHNORM, QAT_ACT_NONE);
    int cd[1] = {m->g.nodes[x].dim[2]};
    l->gamma = pnode(&m->g, name, "gamma", 1, cd);
    l->beta = pnode(&m->g, name, "beta", 1, cd);
    return l->out = qat_batchnorm(&m->g, name, x, l->gamma, l->beta, 0.99, 1e-3);
}

/* A pool (kind: not a batchnorm or activation, so the quantizer passes it through). */
static int pool(qat_model *m, int x, const char *name, qat_op op, int ph, int pw, int stride,
                qat_padding pad) {
    qat_model_layer *l = add(m, name, QAT_LAYER_FLATTEN, QAT_ACT_NONE);
    qat_pool2d_params pp = {ph, pw, stride, stride, pad, 0, 0};
    return l->out = op == QAT_OP_MAXPOOL2D ? qat_maxpool2d(&m->g, name, x, &pp)
                    : op == QAT_OP_AVGPOOL2D ? qat_avgpool2d(&m->g, name, x, &pp)
                                             : qat_global_avgpool(&m->g, name, x);
}

/* input (9, 10, 2) → c1 conv2d 4 3×3 s2 SAME relu (5, 5, 4) → d1 depthwise ×2 3×3 SAME
 * (5, 5, 8) → b1 batchnorm → r1 relu6 → p1 maxpool 2×2 s2 SAME (3, 3, 8) → a1 avgpool 3×2
 * s1 SAME (3, 3, 8) → c2 conv2d 5 1×1 relu (3, 3, 5) → g1 global avgpool (5) → fc dense 3. */
static void build_float(qat_model *m, unsigned seed) {
    memset(m, 0, sizeof *m);
    qat_graph *g = &m->g;
    qat_graph_init(g);
    int in[3] = {H, W, C};
    int x = m->input = qat_graph_input(g, "input", 3, in);
    x = conv(m, x, "c1", 0, 4, 3, 2, QAT_PAD_SAME, QAT_ACT_RELU);
    x = conv(m, x, "d1", 1, 2, 3, 1, QAT_PAD_SAME, QAT_ACT_NONE);
    x = batchnorm(m, x, "b1");
    x = add(m, "r1", QAT_LAYER_RELU6, QAT_ACT_NONE)->out = qat_relu6(g, "r1", x);
    x = pool(m, x, "p1", QAT_OP_MAXPOOL2D, 2, 2, 2, QAT_PAD_SAME);
    x = pool(m, x, "a1", QAT_OP_AVGPOOL2D, 3, 2, 1, QAT_PAD_SAME);
    x = conv(m, x, "c2", 0, 5, 1, 1, QAT_PAD_VALID, QAT_ACT_RELU);
    x = pool(m, x, "g1", QAT_OP_GLOBAL_AVGPOOL, 0, 0, 0, QAT_PAD_VALID);
    qat_model_layer *l = add(m, "fc", QAT_LAYER_DENSE, QAT_ACT_SOFTMAX);
    int wd[2] = {CLASSES, g->nodes[x].dim[0]}, bd[1] = {CLASSES};
    l->w = pnode(g, "fc", "kernel", 2, wd);
    l->b = pnode(g, "fc", "bias", 1, bd);
    x = l->out = l->linear = qat_dense(g, "fc", x, l->w, l->b);
    m->logits = x;
    m->loss = qat_softmax_xent(g, "loss", x);
    m->window = H * W; /* window · channels: the per-sample input size model.c copies */
    m->channels = C;
    m->n_classes = CLASSES;
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(g, 8, &e), QAT_OK);
    /* weights with both signs, biases, BN statistics far from identity */
    for (int i = 0; i < m->n_layers; i++) {
        const qat_model_layer *L = &m->layer[i];
        if (L->w >= 0) qat_fill_uniform(&g->nodes[L->w], 1, seed + 10 * i, -0.6f, 0.6f);
        if (L->b >= 0) qat_fill_uniform(&g->nodes[L->b], 1, seed + 10 * i + 1, -0.2f, 0.3f);
        if (L->gamma >= 0) {
            qat_fill_uniform(&g->nodes[L->gamma], 1, seed + 10 * i + 2, 0.5f, 1.5f);
            qat_fill_uniform(&g->nodes[L->beta], 1, seed + 10 * i + 3, -0.3f, 0.3f);
            qat_node *bn = &g->nodes[L->out];
            float *st = g->state + bn->offset;
            for (int c = 0; c < 8; c++) {
                st[c] = 0.1f * (float)(c % 3) - 0.1f;     /* μ */
                st[8 + c] = 0.3f + 0.2f * (float)(c % 4); /* σ² */
            }
        }
    }
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
    int8_t q[1024];
    assert_true(count <= sizeof q);
    qat_i8_quantize(n->val, count, t->q.scale[0], t->q.zero_point[0], q);
    c->tensors++;
    c->values += (long)count;
    for (size_t i = 0; i < count; i++) c->differ += q[i] != ((const int8_t *)data)[i];
}

static void run_engine(const qat_ir *ir, const float *x, int8_t *out, compare *c) {
    qat_i8_engine eng;
    qat_error e = {0};
    qat_status st = qat_i8_prepare(&eng, ir, &e);
    if (st) printf("%s\n", e.msg);
    assert_int_equal(st, QAT_OK);
    const qat_ir_tensor *in = &ir->tensors[ir->input];
    size_t n_in = qat_ir_tensor_count(in), n_out = qat_ir_tensor_count(&ir->tensors[ir->output]);
    for (int i = 0; i < SAMPLES; i++) {
        int8_t xq[H * W * C];
        qat_i8_quantize(x + (size_t)i * n_in, n_in, in->q.scale[0], in->q.zero_point[0], xq);
        if (c) {
            float logits[CLASSES];
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

static void check(int weight_bits, int per_channel_conv) {
    static qat_model fm;
    static qat_qmodel qm;
    build_float(&fm, 100u + (unsigned)weight_bits);
    qat_quant_config qc = {0};
    qc.ptq_observer = qc.qat_observer = QAT_OBS_MINMAX;
    qc.per_channel_conv = per_channel_conv;
    qc.weight_bits = weight_bits;
    qc.act_bits = 8;
    qat_error e = {0};
    assert_int_equal(qat_qmodel_build(&qm, &fm, &qc, 8, &e), QAT_OK);
    float *x = malloc(sizeof(float) * SAMPLES * H * W * C);
    assert_non_null(x);
    qat_dataset d = {.n = SAMPLES, .x = x};
    for (size_t i = 0; i < (size_t)SAMPLES * H * W * C; i++)
        x[i] = (float)sin(0.37 * (double)i + weight_bits) * 1.5f + 0.2f;
    qat_qmodel_calibrate(&qm, &d, QAT_OBS_MINMAX);
    qat_ir ir;
    assert_int_equal(qat_lower(&qm, QAT_LOWER_INT8, &ir, &e), QAT_OK);
    assert_int_equal(ir_has(&ir, QAT_IR_DEPTHWISE_CONV_2D), 1);
    assert_int_equal(ir_has(&ir, QAT_IR_AVERAGE_POOL_2D), 2); /* a1, and g1 over the map */
    assert_int_equal(ir_has(&ir, QAT_IR_MAX_POOL_2D), 1);
    assert_int_equal(ir_has(&ir, QAT_IR_CONV_2D), 2);
    /* the depthwise kernel: per channel along its last axis when the config asks */
    for (int i = 0; i < ir.n_nodes; i++)
        if (ir.nodes[i].op == QAT_IR_DEPTHWISE_CONV_2D) {
            const qat_ir_tensor *k = &ir.tensors[ir.nodes[i].in[1]];
            assert_int_equal(k->q.n, per_channel_conv ? 8 : 1);
            if (per_channel_conv) assert_int_equal(k->q.axis, 3);
            assert_int_equal(ir.nodes[i].depth_multiplier, 2);
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
    int8_t *y = malloc((size_t)SAMPLES * CLASSES), *y2 = malloc((size_t)SAMPLES * CLASSES);
    assert_non_null(y);
    assert_non_null(y2);
    compare c = {&qm.m.g, &ir, 0, 0, 0};
    run_engine(&ir, x, y, &c);
    printf("2-D stack, %d-bit weights, %s conv: %d samples, %ld tensors, %ld int8 values, "
           "%ld differ\n", weight_bits, per_channel_conv ? "per-channel" : "per-tensor", SAMPLES,
           c.tensors, c.values, c.differ);
    /* input, c1, d1, p1, a1, c2, g1, fc */
    assert_int_equal(c.tensors, 8L * SAMPLES);
    assert_int_equal(c.differ, 0);
    /* the .tflite of that IR runs to the same bytes */
    unsigned char *buf;
    size_t len;
    qat_ir back;
    assert_int_equal(qat_tflite_serialize(&ir, NULL, &buf, &len, &e), QAT_OK);
    assert_int_equal(qat_tflite_parse(buf, len, "sim2d", &back, &e), QAT_OK);
    run_engine(&back, x, y2, NULL);
    assert_memory_equal(y, y2, (size_t)SAMPLES * CLASSES);
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
    check(8, 1);
}

static void test_2d_stack_4bit_per_tensor(void **s) {
    (void)s;
    check(4, 0);
    check(4, 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_2d_stack_8bit),
        cmocka_unit_test(test_2d_stack_4bit_per_tensor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
