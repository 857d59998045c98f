/* Quantization: qparams math, observers, fake-quant forward and its straight-through
 * gradient, batch-norm folding (equal to the unfolded model in float; gradient-checked),
 * and lowering to the int8 IR. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gradcheck.h"
#include "stacks.h"
#include "qat/config.h"
#include "qat/int8.h"
#include "qat/ops.h"
#include "qat/quant.h"

/* Range [-1, 3] on 8 bits: scale 4/255; zero point -128 + 1/scale = -64.25 → -64. */
static void test_act_qparams(void **s) {
    (void)s;
    float scale;
    int32_t zp;
    qat_act_qparams(-1, 3, -128, 127, &scale, &zp);
    assert_float_equal(scale, 4.0f / 255, 1e-9);
    assert_int_equal(zp, -64);
    /* A range excluding 0 is widened to include it: ReLU outputs give zp = qmin. */
    qat_act_qparams(0.5f, 6, -128, 127, &scale, &zp);
    assert_float_equal(scale, 6.0f / 255, 1e-9);
    assert_int_equal(zp, -128);
    qat_act_qparams(-2, -1, -128, 127, &scale, &zp);
    assert_int_equal(zp, 127);
    /* Degenerate: scale 1, zero point qmin. */
    qat_act_qparams(0, 0, -128, 127, &scale, &zp);
    assert_float_equal(scale, 1, 0);
    assert_int_equal(zp, -128);
    /* 0.0 is exactly representable. */
    qat_act_qparams(-0.37f, 2.9f, -128, 127, &scale, &zp);
    assert_float_equal((float)(qat_quantize_float(0, scale, zp, -128, 127) - zp) * scale, 0, 0);
}

static void test_ranges_and_rounding(void **s) {
    (void)s;
    int lo, hi;
    qat_weight_range(8, &lo, &hi);
    assert_int_equal(lo, -127);
    assert_int_equal(hi, 127);
    qat_weight_range(4, &lo, &hi);
    assert_int_equal(lo, -7);
    qat_act_range(4, &lo, &hi);
    assert_int_equal(lo, -8);
    assert_int_equal(hi, 7);
    /* Ties round away from zero; results clamp. */
    assert_int_equal(qat_quantize_float(0.5f, 1, 0, -128, 127), 1);
    assert_int_equal(qat_quantize_float(-0.5f, 1, 0, -128, 127), -1);
    assert_int_equal(qat_quantize_float(1000, 1, 0, -128, 127), 127);
    assert_int_equal(qat_quantize_weight(-2.5f, 1, -127, 127), -3);
    assert_int_equal(qat_quantize_weight(-200, 1, -7, 7), -7);
    assert_float_equal(qat_weight_scale(1.27f, 127), 0.01f, 1e-9);
    assert_float_equal(qat_weight_scale(0, 127), 1, 0);
    /* Bias scale: the double product rounded once to float. */
    float si = 0.1f, sw = 0.003f;
    assert_true(qat_bias_scale(si, sw) == (float)((double)si * (double)sw));
    assert_int_equal(qat_quantize_bias(1.0f, 0.25f), 4);
}

static void test_weight_scales(void **s) {
    (void)s;
    float w[6] = {0.5f, -1.0f, 0.25f, 0.1f, -0.2f, 0.05f}, sc[2];
    qat_weight_scales(w, 2, 3, 1, 127, sc);
    assert_float_equal(sc[0], 1.0f / 127, 1e-9);
    assert_float_equal(sc[1], 0.2f / 127, 1e-9);
    qat_weight_scales(w, 2, 3, 0, 127, sc);
    assert_float_equal(sc[0], 1.0f / 127, 1e-9);
}

typedef struct fqgraph {
    qat_graph g;
    int x, y;
} fqgraph;

static void fq_graph(fqgraph *f, int n, qat_observer_kind obs, int warmup) {
    qat_graph_init(&f->g);
    int dim[1] = {n};
    f->x = qat_graph_input(&f->g, "x", 1, dim);
    f->g.nodes[f->x].needs_grad = 1;
    qat_fq_opts o = {-128, 127, obs, 0.9, 90, warmup, 0, NULL, QAT_ACTQ_OBSERVER, -1};
    f->y = qat_fake_quant(&f->g, "fq", f->x, &o);
    qat_error e;
    assert_int_equal(qat_graph_compile(&f->g, 4, &e), QAT_OK);
}

static void feed(fqgraph *f, const float *v, int n, int calibrate, int training) {
    memcpy(f->g.nodes[f->x].val, v, (size_t)n * sizeof(float));
    qat_pass p = {.batch = 1, .calibrate = calibrate, .training = training, .epoch = 1};
    qat_graph_forward(&f->g, &p, f->g.n_nodes);
}

/* Forward = quantize then dequantize with the node's qparams; backward passes dy inside
 * the representable range and 0 outside (analytic, no finite differences). */
static void test_fake_quant_forward_and_ste(void **s) {
    (void)s;
    fqgraph f;
    fq_graph(&f, 4, QAT_OBS_MINMAX, 0);
    float calib[4] = {-1, 0, 1, 3};
    feed(&f, calib, 4, 1, 0);
    for (int i = 0; i < 4; i++) assert_float_equal(f.g.nodes[f.y].val[i], calib[i], 0);
    float scale;
    int32_t zp;
    qat_fq_act_qparams(&f.g, f.y, &scale, &zp);
    assert_int_equal(zp, -64);
    float x[4] = {0.1f, -5, 2.0f, 7};
    feed(&f, x, 4, 0, 0);
    for (int i = 0; i < 4; i++) {
        int32_t q = qat_quantize_float(x[i], scale, zp, -128, 127);
        assert_float_equal(f.g.nodes[f.y].val[i], (float)(q - zp) * scale, 0);
    }
    assert_float_equal(f.g.nodes[f.y].val[1], (float)(-128 - zp) * scale, 0); /* clamped */
    qat_pass p = {.batch = 1};
    for (int i = 0; i < 4; i++) f.g.nodes[f.y].grad[i] = 1.0f + (float)i;
    qat_graph_backward_from(&f.g, &p, f.y);
    const float *dx = f.g.nodes[f.x].grad;
    assert_float_equal(dx[0], 1, 0);
    assert_float_equal(dx[1], 0, 0); /* below the range */
    assert_float_equal(dx[2], 3, 0);
    assert_float_equal(dx[3], 0, 0); /* above */
    qat_graph_free(&f.g);
}

static void test_observers(void **s) {
    (void)s;
    fqgraph f;
    float a[4] = {-1, 0, 1, 2}, b[4] = {-3, 0, 1, 10};
    fq_graph(&f, 4, QAT_OBS_MINMAX, 0);
    feed(&f, a, 4, 1, 0);
    feed(&f, b, 4, 1, 0);
    const float *st = f.g.state + f.g.nodes[f.y].offset;
    assert_float_equal(st[0], -3, 0);
    assert_float_equal(st[1], 10, 0);
    qat_graph_free(&f.g);
    /* EMA: plain min/max for `warmup` steps, then decay 0.9; inference does not observe. */
    fq_graph(&f, 4, QAT_OBS_EMA, 1);
    feed(&f, a, 4, 0, 1);
    feed(&f, b, 4, 0, 1);
    feed(&f, b, 4, 0, 0);
    st = f.g.state + f.g.nodes[f.y].offset;
    assert_float_equal(st[0], 0.9 * -1 + 0.1 * -3, 1e-6);
    assert_float_equal(st[1], 0.9 * 2 + 0.1 * 10, 1e-6);
    qat_graph_free(&f.g);
    /* Percentile 90 of 0..9 per batch (nearest rank): 8 and 1, averaged over batches. */
    fq_graph(&f, 10, QAT_OBS_PERCENTILE, 0);
    float r[10] = {9, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    feed(&f, r, 10, 1, 0);
    st = f.g.state + f.g.nodes[f.y].offset;
    assert_float_equal(st[0], 1, 0);
    assert_float_equal(st[1], 8, 0);
    qat_graph_free(&f.g);
}

/* Conv → BN (inference) equals conv with the folded kernel and bias, in float. */
static void test_fold_equals_unfolded(void **s) {
    (void)s;
    qat_graph g;
    qat_graph_init(&g);
    int xd[2] = {8, 3}, wd[3] = {4, 3, 3}, cd[1] = {4};
    int x = qat_graph_input(&g, "x", 2, xd);
    int w = qat_graph_param(&g, "w", 3, wd), b = qat_graph_param(&g, "b", 1, cd);
    int gam = qat_graph_param(&g, "g", 1, cd), bet = qat_graph_param(&g, "be", 1, cd);
    int y = qat_conv1d(&g, "c", x, w, b, QAT_PAD_SAME);
    int bn = qat_batchnorm(&g, "bn", y, gam, bet, 0.99, 1e-3);
    int fw = qat_fold_weight(&g, "fw", w, gam, g.nodes[bn].offset, 1e-3);
    int fb = qat_fold_bias(&g, "fb", b, gam, bet, g.nodes[bn].offset, 1e-3);
    int z = qat_conv1d(&g, "folded", x, fw, fb, QAT_PAD_SAME);
    qat_error e;
    assert_int_equal(qat_graph_compile(&g, 2, &e), QAT_OK);
    for (int i = 0; i < g.n_nodes; i++)
        if (g.nodes[i].op == QAT_OP_PARAM) qat_fill_uniform(&g.nodes[i], 1, 10 + (unsigned)i, -1, 1);
    qat_fill_uniform(&g.nodes[x], 2, 3, -1, 1);
    for (int c = 0; c < 4; c++) {
        g.state[g.nodes[bn].offset + c] = 0.1f * (float)c;     /* running mean */
        g.state[g.nodes[bn].offset + 4 + c] = 0.5f + (float)c; /* running variance */
    }
    qat_pass p = {.batch = 2};
    qat_graph_forward(&g, &p, g.n_nodes);
    for (size_t i = 0; i < 2 * 8 * 4; i++) assert_float_equal(g.nodes[z].val[i], g.nodes[bn].val[i], 1e-5);
    /* And the fold ops' gradients through the folded conv, by finite differences (inference
     * pass; every output is affine in each of w, b, gamma, beta: a large step). Training
     * passes, and each fold op alone: test_fold.c. */
    int check[4] = {w, b, gam, bet};
    assert_true(qat_gradcheck_ok(&g, &p, z, check, 4, 0.125));
    qat_graph_free(&g);
}

/* A trained-free lesson model, calibrated on random data (d: those 32 samples). */
static void lesson_qmodel(int weight_bits, qat_model *fm, qat_qmodel *qm, qat_dataset *d) {
    qat_config c;
    qat_config_defaults(&c);
    c.quant.weight_bits = weight_bits;
    qat_error e;
    assert_int_equal(qat_model_build(fm, c.layers, c.n_layers, 50, 3, 3, 16, &e), QAT_OK);
    qat_rng r;
    qat_rng_seed(&r, 1, QAT_STREAM_INIT);
    qat_model_init(fm, &r);
    assert_int_equal(qat_dataset_alloc(d, 32, 50, 3, 3, &e), QAT_OK);
    for (int i = 0; i < 32 * 150; i++) d->x[i] = (float)qat_rng_uniform(&r);
    for (int i = 0; i < 32; i++) d->y[i] = i % 3;
    assert_int_equal(qat_qmodel_build(qm, fm, &c.quant, 16, &e), QAT_OK);
    assert_int_equal(qat_qmodel_calibrate(qm, d, QAT_OBS_MINMAX, &e), QAT_OK);
}

/* Lowering gives the converter's op list, weights inside the bit width's range,
 * pass-through qparams on pools, and the softmax spec. */
static void lower_lesson(int weight_bits, qat_ir *ir) {
    qat_model fm;
    qat_qmodel qm;
    qat_dataset d;
    qat_error e;
    lesson_qmodel(weight_bits, &fm, &qm, &d);
    assert_int_equal(qat_lower(&qm, QAT_LOWER_INT8, ir, &e), QAT_OK);
    qat_qmodel_free(&qm);
    qat_model_free(&fm);
    qat_dataset_free(&d);
}

static void test_lowering_lesson(void **s) {
    (void)s;
    static const qat_ir_opcode ops[] = {QAT_IR_RESHAPE,     QAT_IR_CONV_2D, QAT_IR_MAX_POOL_2D,
                                        QAT_IR_CONV_2D,     QAT_IR_MAX_POOL_2D, QAT_IR_RESHAPE,
                                        QAT_IR_FULLY_CONNECTED, QAT_IR_FULLY_CONNECTED,
                                        QAT_IR_SOFTMAX};
    qat_ir ir;
    lower_lesson(8, &ir);
    assert_int_equal(ir.n_nodes, 9);
    for (int i = 0; i < 9; i++) assert_int_equal(ir.nodes[i].op, ops[i]);
    const qat_ir_tensor *in = &ir.tensors[ir.input], *out = &ir.tensors[ir.output];
    assert_int_equal(in->type, QAT_IR_INT8);
    assert_int_equal(in->dim[1], 50);
    assert_true(out->q.scale[0] == 1.0f / 256 && out->q.zero_point[0] == -128);
    const qat_ir_node *conv = &ir.nodes[1], *pool = &ir.nodes[2];
    const qat_ir_tensor *filt = &ir.tensors[conv->in[1]];
    assert_int_equal(filt->dim[0], 16);
    assert_int_equal(filt->dim[1], 1);
    assert_int_equal(filt->dim[2], 5);
    assert_int_equal(filt->q.n, 16); /* per channel */
    int at_max = 0;
    for (size_t i = 0; i < filt->bytes; i++) {
        int8_t v = ((const int8_t *)filt->data)[i];
        assert_true(v != -128); /* narrow range */
        at_max |= v == 127 || v == -127;
    }
    assert_true(at_max); /* symmetric scale: some weight hits the end of the range */
    assert_true(ir.tensors[pool->out].q.scale[0] == ir.tensors[pool->in[0]].q.scale[0]);
    assert_int_equal(ir.tensors[ir.nodes[6].in[1]].q.n, 1); /* dense per tensor */
    qat_i8_engine eng;
    qat_error e;
    assert_int_equal(qat_i8_prepare(&eng, &ir, "test", &e), QAT_OK);
    qat_i8_free(&eng);
    qat_ir_free(&ir);
    lower_lesson(4, &ir);
    const qat_ir_tensor *f4 = &ir.tensors[ir.nodes[3].in[1]];
    for (size_t i = 0; i < f4->bytes; i++) assert_in_range(((const int8_t *)f4->data)[i] + 7, 0, 14);
    qat_ir_free(&ir);
}

/* The same tensor, name aside: type, shape, qparams, constant bytes. */
static void assert_same_tensor(const qat_ir_tensor *a, const qat_ir_tensor *b) {
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->ndim, b->ndim);
    assert_memory_equal(a->dim, b->dim, (size_t)a->ndim * sizeof(int));
    assert_int_equal(a->q.n, b->q.n);
    if (a->q.n) {
        assert_memory_equal(a->q.scale, b->q.scale, (size_t)a->q.n * sizeof(float));
        assert_memory_equal(a->q.zero_point, b->q.zero_point, (size_t)a->q.n * sizeof(int32_t));
        assert_int_equal(a->q.qmin, b->q.qmin);
        assert_int_equal(a->q.qmax, b->q.qmax);
    }
    assert_int_equal(a->bytes, b->bytes);
    if (a->bytes) assert_memory_equal(a->data, b->data, a->bytes);
}

/* A uint8 interface tensor beside its int8 one: same shape and scale, zero point + 128. */
static void assert_uint8_twin(const qat_ir_tensor *u, const qat_ir_tensor *s8, const char *name) {
    assert_string_equal(u->name, name);
    assert_int_equal(u->type, QAT_IR_UINT8);
    assert_int_equal(u->ndim, s8->ndim);
    assert_memory_equal(u->dim, s8->dim, (size_t)u->ndim * sizeof(int));
    assert_int_equal(u->q.n, 1);
    assert_true(u->q.scale[0] == s8->q.scale[0]);
    assert_int_equal(u->q.zero_point[0], s8->q.zero_point[0] + 128);
    assert_int_equal(u->q.qmin, 0);
    assert_int_equal(u->q.qmax, 255);
    assert_null(u->data);
}

/* QAT_LOWER_INT8_UINT8_IO: QUANTIZE uint8 → int8, the int8 lowering's graph node for node and
 * tensor for tensor, QUANTIZE int8 → uint8; the engine's uint8 outputs are its int8 outputs
 * + 128 byte for byte, and qat_int8_evaluate predicts the same classes sample by sample. */
static void test_lowering_uint8_io(void **s) {
    (void)s;
    qat_model fm;
    qat_qmodel qm;
    qat_dataset d;
    qat_error e;
    qat_ir i8, u8;
    lesson_qmodel(8, &fm, &qm, &d);
    assert_int_equal(qat_lower(&qm, QAT_LOWER_INT8, &i8, &e), QAT_OK);
    assert_int_equal(qat_lower(&qm, QAT_LOWER_INT8_UINT8_IO, &u8, &e), QAT_OK);
    assert_int_equal(u8.n_nodes, i8.n_nodes + 2);
    const qat_ir_node *first = &u8.nodes[0], *last = &u8.nodes[u8.n_nodes - 1];
    assert_int_equal(first->op, QAT_IR_QUANTIZE);
    assert_int_equal(last->op, QAT_IR_QUANTIZE);
    assert_int_equal(first->in[0], u8.input);
    assert_int_equal(last->out, u8.output);
    const qat_ir_tensor *in_q = &u8.tensors[first->out], *out_q = &u8.tensors[last->in[0]];
    assert_string_equal(in_q->name, "input_int8");
    assert_string_equal(out_q->name, "probs_int8");
    assert_same_tensor(in_q, &i8.tensors[i8.input]);
    assert_same_tensor(out_q, &i8.tensors[i8.output]);
    assert_uint8_twin(&u8.tensors[u8.input], in_q, "input");
    assert_uint8_twin(&u8.tensors[u8.output], out_q, "probs");
    assert_int_equal(u8.tensors[u8.output].q.zero_point[0], 0); /* softmax: −128 + 128 */
    for (int k = 0; k < i8.n_nodes; k++) { /* the int8 graph between the two */
        const qat_ir_node *a = &i8.nodes[k], *b = &u8.nodes[k + 1];
        assert_int_equal(a->op, b->op);
        assert_int_equal(a->n_in, b->n_in);
        for (int j = 0; j < a->n_in; j++)
            if (a->in[j] >= 0) assert_same_tensor(&i8.tensors[a->in[j]], &u8.tensors[b->in[j]]);
        assert_same_tensor(&i8.tensors[a->out], &u8.tensors[b->out]);
    }
    /* through the engine: uint8 in and out, on the int8 model's own bytes + 128 */
    qat_i8_engine ea, eb;
    assert_int_equal(qat_i8_prepare(&ea, &i8, "int8", &e), QAT_OK);
    assert_int_equal(qat_i8_prepare(&eb, &u8, "uint8", &e), QAT_OK);
    const qat_ir_tensor *uin = &u8.tensors[u8.input];
    for (int i = 0; i < d.n; i++) {
        int8_t x8[150], y8[3];
        uint8_t xu[150], yu[3];
        qat_i8_quantize(d.x + 150 * i, 150, in_q->q.scale[0], in_q->q.zero_point[0], x8);
        qat_i8_quantize_to(QAT_IR_UINT8, d.x + 150 * i, 150, uin->q.scale[0], uin->q.zero_point[0], xu);
        for (int k = 0; k < 150; k++) assert_int_equal(xu[k], (uint8_t)(x8[k] + 128));
        qat_i8_invoke(&ea, x8, y8);
        qat_i8_invoke(&eb, xu, yu);
        for (int k = 0; k < 3; k++) assert_int_equal(yu[k], y8[k] + 128);
    }
    qat_i8_free(&ea);
    qat_i8_free(&eb);
    int pa[32], pb[32];
    int8_t ra[32 * 3];
    uint8_t rb[32 * 3];
    double acc_a, acc_b;
    assert_int_equal(qat_int8_evaluate(&i8, &d, pa, ra, &acc_a, NULL, &e), QAT_OK);
    assert_int_equal(qat_int8_evaluate(&u8, &d, pb, rb, &acc_b, NULL, &e), QAT_OK);
    assert_memory_equal(pa, pb, sizeof pa);
    for (int k = 0; k < 32 * 3; k++) assert_int_equal(rb[k], ra[k] + 128);
    assert_true(acc_a == acc_b);
    qat_ir_free(&i8);
    qat_ir_free(&u8);
    qat_qmodel_free(&qm);
    qat_model_free(&fm);
    qat_dataset_free(&d);
}

/* A batchnorm that cannot be folded is refused with the layer's name. */
static void test_unfoldable_stack(void **s) {
    (void)s;
    qat_config c;
    qat_config_defaults(&c);
    qat_layer_spec bn = {.name = "lonely_bn", .kind = QAT_LAYER_BATCHNORM, .momentum = 0.99, .epsilon = 1e-3};
    memmove(&c.layers[2], &c.layers[1], (size_t)(c.n_layers - 1) * sizeof c.layers[0]);
    c.layers[2] = bn; /* conv1, pool1, lonely_bn, ... */
    c.n_layers++;
    qat_model fm;
    qat_error e = {0};
    assert_int_equal(qat_model_build(&fm, c.layers, c.n_layers, 50, 3, 3, 16, &e), QAT_OK);
    qat_qmodel qm;
    assert_int_equal(qat_qmodel_build(&qm, &fm, &c.quant, 16, &e), QAT_ERR_CONFIG);
    assert_non_null(strstr(e.msg, "lonely_bn"));
    qat_model_free(&fm);
}

/* bn_freeze_epoch: the running statistics follow the batch through that epoch, then stay;
 * observer_freeze_epoch likewise for activation ranges. */
static void test_freeze_epochs(void **s) {
    (void)s;
    qat_config c;
    qat_test_lesson_bn_relu6(&c, 0.9); /* conv1 -> bn1 -> relu6 -> pool1 ... */
    c.quant.bn_freeze_epoch = 1;
    c.quant.observer_freeze_epoch = 1;
    qat_model fm;
    qat_error e;
    assert_int_equal(qat_model_build(&fm, c.layers, c.n_layers, 50, 3, 3, 8, &e), QAT_OK);
    qat_rng r;
    qat_rng_seed(&r, 5, QAT_STREAM_INIT);
    qat_model_init(&fm, &r);
    qat_qmodel qm;
    assert_int_equal(qat_qmodel_build(&qm, &fm, &c.quant, 8, &e), QAT_OK);
    qat_graph *g = &qm.m.g;
    for (int i = 0; i < 8 * 150; i++) g->nodes[qm.m.input].val[i] = 3 * (float)qat_rng_uniform(&r) - 1;
    int labels[8] = {0, 1, 2, 0, 1, 2, 0, 1};
    qat_pass cal = {.batch = 8, .calibrate = 1};
    qat_graph_forward(g, &cal, qm.m.logits + 1);
    float *before = malloc(g->n_state * sizeof(float)), *after1 = malloc(g->n_state * sizeof(float));
    memcpy(before, g->state, g->n_state * sizeof(float));
    qat_pass p = {.batch = 8, .training = 1, .labels = labels, .rng = &r, .epoch = 1};
    qat_graph_forward(g, &p, qm.m.loss + 1);
    memcpy(after1, g->state, g->n_state * sizeof(float));
    size_t bn_state = qm.q[0].bn_state;
    assert_true(memcmp(before + bn_state, after1 + bn_state, 32 * sizeof(float)) != 0); /* epoch 1: moves */
    int fq = qm.q[0].out_fq;
    size_t obs = g->nodes[fq].offset;
    assert_true(memcmp(before + obs, after1 + obs, 3 * sizeof(float)) != 0); /* observer moves */
    p.epoch = 2;
    qat_graph_forward(g, &p, qm.m.loss + 1);
    assert_memory_equal(after1, g->state, g->n_state * sizeof(float)); /* epoch 2: frozen */
    free(before);
    free(after1);
    qat_qmodel_free(&qm);
    qat_model_free(&fm);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_act_qparams),
        cmocka_unit_test(test_ranges_and_rounding),
        cmocka_unit_test(test_weight_scales),
        cmocka_unit_test(test_fake_quant_forward_and_ste),
        cmocka_unit_test(test_observers),
        cmocka_unit_test(test_fold_equals_unfolded),
        cmocka_unit_test(test_lowering_lesson),
        cmocka_unit_test(test_lowering_uint8_io),
        cmocka_unit_test(test_unfoldable_stack),
        cmocka_unit_test(test_freeze_epochs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
