/* The int8 engine over hand-built IRs: the gesture CNN (and variants) against a slow
 * reference written from first principles (TFLM's loops and Prepare formulas), the
 * float-interface wrappers, Prepare's validation messages, and the memory plan. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/int8.h"
#include "qat/rng.h"

/* ---- IR building -------------------------------------------------------------------------- */

static int act(qat_ir *ir, const char *name, int ndim, const int *dim, float scale, int32_t zp) {
    qat_qparams q = {.n = 1, .qmin = -128, .qmax = 127, .scale = &scale, .zero_point = &zp};
    const int t = qat_ir_add_tensor(ir, name, QAT_IR_INT8, ndim, dim, &q, NULL, 0);
    assert_true(t >= 0);
    return t;
}

static int act_f32(qat_ir *ir, const char *name, int ndim, const int *dim) {
    const int t = qat_ir_add_tensor(ir, name, QAT_IR_FLOAT32, ndim, dim, NULL, NULL, 0);
    assert_true(t >= 0);
    return t;
}

static size_t count(int ndim, const int *dim) {
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)dim[i];
    return n;
}

/* Random symmetric int8 weights with n_scales scales along `axis`. */
static int weights(qat_ir *ir, qat_rng *r, const char *name, int ndim, const int *dim, int n_scales,
                   int axis) {
    const size_t n = count(ndim, dim);
    int8_t *w = malloc(n);
    float *s = malloc((size_t)n_scales * sizeof *s);
    int32_t *z = calloc((size_t)n_scales, sizeof *z);
    for (size_t i = 0; i < n; i++) w[i] = (int8_t)((int)qat_rng_below(r, 255) - 127);
    for (int i = 0; i < n_scales; i++) s[i] = (float)(0.002 + 0.008 * qat_rng_uniform(r));
    qat_qparams q = {.n = n_scales, .axis = axis, .qmin = -127, .qmax = 127, .scale = s,
                     .zero_point = z};
    const int t = qat_ir_add_tensor(ir, name, QAT_IR_INT8, ndim, dim, &q, w, n);
    free(w), free(s), free(z);
    assert_true(t >= 0);
    return t;
}

/* An int32 bias for `weights_t`, scale s_in·s_w[c] (float32), random values. */
static int bias(qat_ir *ir, qat_rng *r, const char *name, int n, int input_t, int weights_t) {
    const qat_ir_tensor *w = &ir->tensors[weights_t];
    const float s_in = ir->tensors[input_t].q.scale[0];
    int32_t *b = malloc((size_t)n * sizeof *b), *z = calloc((size_t)w->q.n, sizeof *z);
    float *s = malloc((size_t)w->q.n * sizeof *s);
    for (int i = 0; i < n; i++) b[i] = (int32_t)qat_rng_below(r, 4001) - 2000;
    for (int i = 0; i < w->q.n; i++) s[i] = (float)((double)s_in * w->q.scale[i]);
    qat_qparams q = {.n = w->q.n, .qmin = INT32_MIN, .qmax = INT32_MAX, .scale = s, .zero_point = z};
    const int t = qat_ir_add_tensor(ir, name, QAT_IR_INT32, 1, &n, &q, b, (size_t)n * 4);
    free(b), free(s), free(z);
    assert_true(t >= 0);
    return t;
}

static void add(qat_ir *ir, qat_ir_node n) {
    if (!n.dilation_w) n.dilation_w = n.dilation_h = 1;
    assert_true(qat_ir_add_node(ir, &n) >= 0);
}

/* The gesture CNN of the lesson (reference/tflm-golden README): [1,50,3] → RESHAPE →
 * CONV_2D 16×5 → MAX_POOL /2 → CONV_2D 32×3 → MAX_POOL /2 → RESHAPE → FC 32 → FC 3 →
 * SOFTMAX, with a few switches for the variants. */
typedef struct gesture_cfg {
    qat_ir_padding conv_pad, pool_pad;
    qat_ir_act act;    /* convs and FC1 */
    int fc_per_channel;
    int conv_per_tensor;
    int softmax;
    int32_t in_zp;
} gesture_cfg;

static void build_gesture(qat_ir *ir, const gesture_cfg *cfg, unsigned seed) {
    qat_rng r;
    qat_rng_seed(&r, seed, 5);
    qat_ir_init(ir);
    const int same_conv = cfg->conv_pad == QAT_IR_PAD_SAME, same_pool = cfg->pool_pad == QAT_IR_PAD_SAME;
    const int w1 = same_conv ? 50 : 46, p1 = same_pool ? (w1 + 1) / 2 : w1 / 2;
    const int w2 = same_conv ? p1 : p1 - 2, p2 = same_pool ? (w2 + 1) / 2 : w2 / 2;
    const int flat = p2 * 32;
    const int32_t post = cfg->act == QAT_IR_ACT_NONE ? 5 : -128; /* zp after the activation */
    const int x = act(ir, "input", 3, (int[]){1, 50, 3}, 0.05f, cfg->in_zp);
    const int x4 = act(ir, "input_4d", 4, (int[]){1, 1, 50, 3}, 0.05f, cfg->in_zp);
    const int shape4 = qat_ir_add_tensor(ir, "shape_4d", QAT_IR_INT32, 1, (int[]){4}, NULL,
                                         (int32_t[]){1, 1, 50, 3}, 16);
    const int c1w = weights(ir, &r, "conv1/filter", 4, (int[]){16, 1, 5, 3},
                            cfg->conv_per_tensor ? 1 : 16, 0);
    const int c1b = bias(ir, &r, "conv1/bias", 16, x4, c1w);
    const int c1 = act(ir, "conv1", 4, (int[]){1, 1, w1, 16}, 0.06f, post);
    const int m1 = act(ir, "pool1", 4, (int[]){1, 1, p1, 16}, 0.06f, post);
    const int c2w = weights(ir, &r, "conv2/filter", 4, (int[]){32, 1, 3, 16},
                            cfg->conv_per_tensor ? 1 : 32, 0);
    const int c2b = bias(ir, &r, "conv2/bias", 32, m1, c2w);
    const int c2 = act(ir, "conv2", 4, (int[]){1, 1, w2, 32}, 0.08f, post);
    const int m2 = act(ir, "pool2", 4, (int[]){1, 1, p2, 32}, 0.08f, post);
    const int fl = act(ir, "flatten", 2, (int[]){1, flat}, 0.08f, post);
    const int f1w = weights(ir, &r, "fc1/weights", 2, (int[]){32, flat}, cfg->fc_per_channel ? 32 : 1, 0);
    const int f1b = bias(ir, &r, "fc1/bias", 32, fl, f1w);
    const int f1 = act(ir, "fc1", 2, (int[]){1, 32}, 0.15f, post);
    const int f2w = weights(ir, &r, "fc2/weights", 2, (int[]){3, 32}, cfg->fc_per_channel ? 3 : 1, 0);
    const int f2b = bias(ir, &r, "fc2/bias", 3, f1, f2w);
    const int logits = act(ir, "logits", 2, (int[]){1, 3}, 0.12f, -12);
    add(ir, (qat_ir_node){.op = QAT_IR_RESHAPE, .n_in = 2, .in = {x, shape4, -1}, .out = x4});
    add(ir, (qat_ir_node){.op = QAT_IR_CONV_2D, .n_in = 3, .in = {x4, c1w, c1b}, .out = c1,
                          .padding = cfg->conv_pad, .stride_w = 1, .stride_h = 1, .act = cfg->act});
    add(ir, (qat_ir_node){.op = QAT_IR_MAX_POOL_2D, .n_in = 1, .in = {c1, -1, -1}, .out = m1,
                          .padding = cfg->pool_pad, .stride_w = 2, .stride_h = 1, .filter_w = 2,
                          .filter_h = 1});
    add(ir, (qat_ir_node){.op = QAT_IR_CONV_2D, .n_in = 3, .in = {m1, c2w, c2b}, .out = c2,
                          .padding = cfg->conv_pad, .stride_w = 1, .stride_h = 1, .act = cfg->act});
    add(ir, (qat_ir_node){.op = QAT_IR_MAX_POOL_2D, .n_in = 1, .in = {c2, -1, -1}, .out = m2,
                          .padding = cfg->pool_pad, .stride_w = 2, .stride_h = 1, .filter_w = 2,
                          .filter_h = 1});
    add(ir, (qat_ir_node){.op = QAT_IR_RESHAPE, .n_in = 1, .in = {m2, -1, -1}, .out = fl});
    add(ir, (qat_ir_node){.op = QAT_IR_FULLY_CONNECTED, .n_in = 3, .in = {fl, f1w, f1b}, .out = f1,
                          .act = cfg->act});
    add(ir, (qat_ir_node){.op = QAT_IR_FULLY_CONNECTED, .n_in = 3, .in = {f1, f2w, f2b},
                          .out = logits});
    ir->input = x;
    ir->output = logits;
    if (cfg->softmax) {
        const int probs = act(ir, "probs", 2, (int[]){1, 3}, 1.0f / 256, -128);
        add(ir, (qat_ir_node){.op = QAT_IR_SOFTMAX, .n_in = 1, .in = {logits, -1, -1},
                              .out = probs, .beta = 1.0f});
        ir->output = probs;
    }
}

/* ---- the slow reference: TFLM's loops and Prepare formulas, written out plainly ------------ */

static int8_t *tensor_buf(const qat_ir *ir, int8_t **vals, int t) {
    return ir->tensors[t].data ? (int8_t *)ir->tensors[t].data : vals[t];
}

static int8_t clamp_act(int32_t v, qat_ir_act a, const qat_ir_tensor *out) {
    int32_t lo, hi;
    qat_i8_activation_range(a, out->q.scale[0], out->q.zero_point[0], &lo, &hi);
    return (int8_t)(v < lo ? lo : v > hi ? hi : v);
}

static int pad_of(qat_ir_padding pad, int in, int f, int stride, int out) {
    const int total = (out - 1) * stride + f - in;
    return pad == QAT_IR_PAD_SAME && total > 0 ? total / 2 : 0;
}

static void ref_conv(const qat_ir *ir, const qat_ir_node *n, int8_t **vals) {
    const qat_ir_tensor *in = &ir->tensors[n->in[0]], *f = &ir->tensors[n->in[1]];
    const qat_ir_tensor *b = &ir->tensors[n->in[2]], *out = &ir->tensors[n->out];
    const int8_t *x = vals[n->in[0]], *w = f->data;
    const int32_t *bias_v = b->data;
    const int ph = pad_of(n->padding, in->dim[1], f->dim[1], n->stride_h, out->dim[1]);
    const int pw = pad_of(n->padding, in->dim[2], f->dim[2], n->stride_w, out->dim[2]);
    for (int oy = 0; oy < out->dim[1]; oy++)
        for (int ox = 0; ox < out->dim[2]; ox++)
            for (int oc = 0; oc < out->dim[3]; oc++) {
                int32_t acc = 0;
                for (int fy = 0; fy < f->dim[1]; fy++)
                    for (int fx = 0; fx < f->dim[2]; fx++) {
                        const int iy = oy * n->stride_h - ph + fy, ix = ox * n->stride_w - pw + fx;
                        if (iy < 0 || iy >= in->dim[1] || ix < 0 || ix >= in->dim[2]) continue;
                        for (int ic = 0; ic < f->dim[3]; ic++)
                            acc += w[((oc * f->dim[1] + fy) * f->dim[2] + fx) * f->dim[3] + ic] *
                                   (x[(iy * in->dim[2] + ix) * in->dim[3] + ic] - in->q.zero_point[0]);
                    }
                const double s_w = f->q.scale[f->q.n == 1 ? 0 : oc];
                int32_t m;
                int sh;
                qat_quantize_multiplier((double)in->q.scale[0] * s_w / (double)out->q.scale[0], &m, &sh);
                const int32_t v = qat_mul_by_quantized_multiplier(acc + bias_v[oc], m, sh) +
                                  out->q.zero_point[0];
                vals[n->out][(oy * out->dim[2] + ox) * out->dim[3] + oc] = clamp_act(v, n->act, out);
            }
}

static void ref_max_pool(const qat_ir *ir, const qat_ir_node *n, int8_t **vals) {
    const qat_ir_tensor *in = &ir->tensors[n->in[0]], *out = &ir->tensors[n->out];
    const int pw = pad_of(n->padding, in->dim[2], n->filter_w, n->stride_w, out->dim[2]);
    for (int ox = 0; ox < out->dim[2]; ox++)
        for (int c = 0; c < out->dim[3]; c++) {
            int32_t m = -128;
            for (int fx = 0; fx < n->filter_w; fx++) {
                const int ix = ox * n->stride_w - pw + fx;
                if (ix >= 0 && ix < in->dim[2] && vals[n->in[0]][ix * in->dim[3] + c] > m)
                    m = vals[n->in[0]][ix * in->dim[3] + c];
            }
            vals[n->out][ox * out->dim[3] + c] = clamp_act(m, n->act, out);
        }
}

static void ref_fc(const qat_ir *ir, const qat_ir_node *n, int8_t **vals) {
    const qat_ir_tensor *in = &ir->tensors[n->in[0]], *w = &ir->tensors[n->in[1]];
    const qat_ir_tensor *out = &ir->tensors[n->out];
    const int depth = w->dim[1];
    for (int oc = 0; oc < w->dim[0]; oc++) {
        int32_t acc = ((const int32_t *)ir->tensors[n->in[2]].data)[oc];
        for (int d = 0; d < depth; d++)
            acc += ((const int8_t *)w->data)[oc * depth + d] *
                   (vals[n->in[0]][d] - in->q.zero_point[0]);
        double real;
        if (w->q.n == 1) /* GetQuantizedConvolutionMultipler: the product in float32 */
            real = (double)(in->q.scale[0] * w->q.scale[0]) / (double)out->q.scale[0];
        else
            real = (double)in->q.scale[0] * (double)w->q.scale[oc] / (double)out->q.scale[0];
        int32_t m;
        int sh;
        qat_quantize_multiplier(real, &m, &sh);
        vals[n->out][oc] = clamp_act(qat_mul_by_quantized_multiplier(acc, m, sh) + out->q.zero_point[0],
                                     n->act, out);
    }
}

/* Runs the IR node by node; softmax through the kernel (its fixed-point polynomials are
 * tested in test_int8_kernels.c against a float softmax). */
static void reference(const qat_ir *ir, const int8_t *input, int8_t *output) {
    int8_t **vals = calloc((size_t)ir->n_tensors, sizeof *vals);
    for (int t = 0; t < ir->n_tensors; t++)
        if (!ir->tensors[t].data) vals[t] = calloc(qat_ir_tensor_count(&ir->tensors[t]), 1);
    memcpy(vals[ir->input], input, qat_ir_tensor_count(&ir->tensors[ir->input]));
    for (int i = 0; i < ir->n_nodes; i++) {
        const qat_ir_node *n = &ir->nodes[i];
        switch (n->op) {
        case QAT_IR_RESHAPE:
            memcpy(vals[n->out], vals[n->in[0]], qat_ir_tensor_count(&ir->tensors[n->out]));
            break;
        case QAT_IR_CONV_2D: ref_conv(ir, n, vals); break;
        case QAT_IR_MAX_POOL_2D: ref_max_pool(ir, n, vals); break;
        case QAT_IR_FULLY_CONNECTED: ref_fc(ir, n, vals); break;
        case QAT_IR_SOFTMAX: {
            qat_i8_softmax_params p;
            qat_i8_softmax_prepare((double)ir->tensors[n->in[0]].q.scale[0], 1.0, &p);
            qat_i8_softmax(&p, 1, 3, vals[n->in[0]], vals[n->out]);
            break;
        }
        default: fail_msg("reference: unexpected op %d", (int)n->op);
        }
    }
    memcpy(output, tensor_buf(ir, vals, ir->output), qat_ir_tensor_count(&ir->tensors[ir->output]));
    for (int t = 0; t < ir->n_tensors; t++) free(vals[t]);
    free(vals);
}

/* ---- engine vs reference ------------------------------------------------------------------ */

static void random_input(qat_rng *r, int8_t *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = (int8_t)((int)qat_rng_below(r, 256) - 128);
}

static void check_against_reference(const gesture_cfg *cfg, unsigned seed) {
    qat_ir ir;
    build_gesture(&ir, cfg, seed);
    qat_i8_engine eng;
    qat_error e = {0};
    if (qat_i8_prepare(&eng, &ir, "test", &e) != QAT_OK) fail_msg("prepare: %s", e.msg);
    qat_rng r;
    qat_rng_seed(&r, seed, 9);
    int distinct = 0;
    int8_t first[3] = {0};
    for (int s = 0; s < 30; s++) {
        int8_t x[150], got[3], want[3];
        random_input(&r, x, 150);
        qat_i8_invoke(&eng, x, got);
        reference(&ir, x, want);
        for (int k = 0; k < 3; k++) assert_int_equal(got[k], want[k]);
        if (s == 0) memcpy(first, got, 3);
        distinct += memcmp(first, got, 3) != 0;
    }
    assert_true(distinct > 0); /* the outputs actually depend on the input */
    qat_i8_free(&eng);
    qat_ir_free(&ir);
}

static void test_gesture_base(void **state) {
    (void)state;
    check_against_reference(&(gesture_cfg){QAT_IR_PAD_VALID, QAT_IR_PAD_VALID, QAT_IR_ACT_RELU,
                                           0, 0, 1, 3}, 1);
}

static void test_gesture_logits(void **state) {
    (void)state;
    check_against_reference(&(gesture_cfg){QAT_IR_PAD_VALID, QAT_IR_PAD_VALID, QAT_IR_ACT_RELU,
                                           0, 0, 0, -7}, 2);
}

static void test_gesture_same_relu6_per_channel_fc(void **state) {
    (void)state;
    check_against_reference(&(gesture_cfg){QAT_IR_PAD_SAME, QAT_IR_PAD_SAME, QAT_IR_ACT_RELU6,
                                           1, 0, 0, 20}, 3);
}

static void test_gesture_per_tensor_conv_no_act(void **state) {
    (void)state;
    check_against_reference(&(gesture_cfg){QAT_IR_PAD_VALID, QAT_IR_PAD_SAME, QAT_IR_ACT_NONE,
                                           1, 1, 1, -128}, 4);
}

/* ir between a QUANTIZE from tensor fin into its input and, after its output, `last` (a
 * DEQUANTIZE or QUANTIZE) into tensor fout: the interface of an exported model. */
static void wrap(qat_ir *ir, int fin, int fout, qat_ir_opcode last) {
    const int in_q = ir->input, out_q = ir->output;
    /* QUANTIZE first: the IR's node order is the execution order */
    qat_ir_node *nodes = malloc((size_t)(ir->n_nodes + 1) * sizeof *nodes);
    nodes[0] = (qat_ir_node){.op = QAT_IR_QUANTIZE, .n_in = 1, .in = {fin, -1, -1}, .out = in_q};
    memcpy(nodes + 1, ir->nodes, (size_t)ir->n_nodes * sizeof *nodes);
    const int n = ir->n_nodes + 1;
    ir->n_nodes = 0;
    for (int i = 0; i < n; i++) add(ir, nodes[i]);
    free(nodes);
    add(ir, (qat_ir_node){.op = last, .n_in = 1, .in = {out_q, -1, -1}, .out = fout});
    ir->input = fin;
    ir->output = fout;
}

/* QUANTIZE (float → int8) … DEQUANTIZE (int8 → float) around the int8 graph: the
 * float-interface variant of an exported model. */
static void test_float_interface(void **state) {
    (void)state;
    const gesture_cfg cfg = {QAT_IR_PAD_VALID, QAT_IR_PAD_VALID, QAT_IR_ACT_RELU, 0, 0, 1, 3};
    qat_ir ir, int8_ir; /* the same seed gives the same weights: int8_ir is the reference */
    build_gesture(&ir, &cfg, 5);
    build_gesture(&int8_ir, &cfg, 5);
    const int fin = act_f32(&ir, "input_f32", 3, (int[]){1, 50, 3});
    const int fout = act_f32(&ir, "probs_f32", 2, (int[]){1, 3});
    wrap(&ir, fin, fout, QAT_IR_DEQUANTIZE);
    qat_i8_engine eng;
    qat_error e = {0};
    if (qat_i8_prepare(&eng, &ir, "test", &e) != QAT_OK) fail_msg("prepare: %s", e.msg);
    qat_rng r;
    qat_rng_seed(&r, 3, 3);
    for (int s = 0; s < 10; s++) {
        float x[150], got[3], want[3];
        int8_t xq[150], yq[3];
        for (int i = 0; i < 150; i++) x[i] = (float)(qat_rng_uniform(&r) * 12 - 6);
        qat_i8_invoke(&eng, x, got);
        qat_i8_quantize(x, 150, 0.05f, 3, xq);
        reference(&int8_ir, xq, yq);
        qat_i8_dequantize(yq, 3, 1.0f / 256, -128, want);
        for (int k = 0; k < 3; k++) assert_true(got[k] == want[k]);
    }
    qat_i8_free(&eng);
    qat_ir_free(&ir);
    qat_ir_free(&int8_ir);
}

static int act_u8(qat_ir *ir, const char *name, int ndim, const int *dim, float scale, int32_t zp) {
    qat_qparams q = {.n = 1, .qmin = 0, .qmax = 255, .scale = &scale, .zero_point = &zp};
    const int t = qat_ir_add_tensor(ir, name, QAT_IR_UINT8, ndim, dim, &q, NULL, 0);
    assert_true(t >= 0);
    return t;
}

/* The uint8 interface the converter writes for inference_input_type / output_type
 * tf.uint8: QUANTIZE uint8 → int8 (same scale, zero point 3 + 128), the int8 graph, QUANTIZE
 * int8 → uint8 (1/256, −128 + 128). The outputs are the int8 graph's + 128, byte for byte,
 * on every input byte. */
static void test_uint8_interface(void **state) {
    (void)state;
    const gesture_cfg cfg = {QAT_IR_PAD_VALID, QAT_IR_PAD_VALID, QAT_IR_ACT_RELU, 0, 0, 1, 3};
    qat_ir ir, int8_ir;
    build_gesture(&ir, &cfg, 5);
    build_gesture(&int8_ir, &cfg, 5);
    const int uin = act_u8(&ir, "input_u8", 3, (int[]){1, 50, 3}, 0.05f, 131);
    const int uout = act_u8(&ir, "probs_u8", 2, (int[]){1, 3}, 1.0f / 256, 0);
    wrap(&ir, uin, uout, QAT_IR_QUANTIZE);
    qat_i8_engine eng;
    qat_error e = {0};
    if (qat_i8_prepare(&eng, &ir, "test", &e) != QAT_OK) fail_msg("prepare: %s", e.msg);
    qat_rng r;
    qat_rng_seed(&r, 3, 4);
    for (int s = 0; s < 12; s++) {
        uint8_t x[150], got[3];
        int8_t xq[150], want[3];
        for (int i = 0; i < 150; i++) /* all 0, all 255, then random bytes */
            x[i] = (uint8_t)(s < 2 ? 255u * (unsigned)s : qat_rng_below(&r, 256));
        for (int i = 0; i < 150; i++) xq[i] = (int8_t)(x[i] - 128);
        qat_i8_invoke(&eng, x, got);
        reference(&int8_ir, xq, want);
        for (int k = 0; k < 3; k++) assert_int_equal(got[k], want[k] + 128);
    }
    qat_i8_free(&eng);
    qat_ir_free(&ir);
    qat_ir_free(&int8_ir);
}

static void test_requantize_node(void **state) {
    (void)state;
    qat_ir ir;
    qat_ir_init(&ir);
    const int a = act(&ir, "a", 2, (int[]){1, 256}, 0.02f, 7);
    const int b = act(&ir, "b", 2, (int[]){1, 256}, 0.03f, -20);
    add(&ir, (qat_ir_node){.op = QAT_IR_QUANTIZE, .n_in = 1, .in = {a, -1, -1}, .out = b});
    ir.input = a, ir.output = b;
    qat_i8_engine eng;
    qat_error e = {0};
    assert_int_equal(qat_i8_prepare(&eng, &ir, "test", &e), QAT_OK);
    int8_t x[256], got[256];
    for (int i = 0; i < 256; i++) x[i] = (int8_t)(i - 128);
    qat_i8_invoke(&eng, x, got);
    int32_t m;
    int sh;
    qat_quantize_multiplier((double)0.02f / (double)0.03f, &m, &sh);
    for (int i = 0; i < 256; i++) {
        int32_t v = qat_mul_by_quantized_multiplier(x[i] - 7, m, sh) - 20;
        v = v < -128 ? -128 : v > 127 ? 127 : v;
        assert_int_equal(got[i], v);
    }
    qat_i8_free(&eng);
    qat_ir_free(&ir);
}

/* ---- validation messages --------------------------------------------------------------------- */

/* Prepare must fail with `status` and one line starting with want1 (the source name,
 * "test", and the operator) and containing want2; the engine is left zeroed. */
static void expect_refused(const qat_ir *ir, qat_status status, const char *want1,
                           const char *want2) {
    qat_i8_engine eng;
    qat_error e = {0};
    assert_int_equal(qat_i8_prepare(&eng, ir, "test", &e), status);
    assert_int_equal(e.status, status);
    if (strncmp(e.msg, want1, strlen(want1)) || (want2 && !strstr(e.msg, want2)))
        fail_msg("message \"%s\" does not start with \"%s\" or lacks \"%s\"", e.msg, want1,
                 want2 ? want2 : "");
    assert_null(strchr(e.msg, '\n'));
    assert_null(eng.nodes);
    assert_null(eng.arena);
    qat_i8_free(&eng); /* harmless on a zeroed engine */
}

/* A malformed model: QAT_ERR_FORMAT. */
static void expect_rejected(const qat_ir *ir, const char *want1, const char *want2) {
    expect_refused(ir, QAT_ERR_FORMAT, want1, want2);
}

static qat_ir gesture(void) {
    qat_ir ir;
    build_gesture(&ir, &(gesture_cfg){QAT_IR_PAD_VALID, QAT_IR_PAD_VALID, QAT_IR_ACT_RELU, 0, 0, 1, 3},
                  1);
    return ir;
}

static int find(const qat_ir *ir, const char *name) {
    for (int t = 0; t < ir->n_tensors; t++)
        if (!strcmp(ir->tensors[t].name, name)) return t;
    fail_msg("no tensor %s", name);
    return -1;
}

static void test_reject_softmax_scale(void **state) {
    (void)state;
    qat_ir ir = gesture();
    ir.tensors[find(&ir, "probs")].q.scale[0] = 1.0f / 255;
    expect_rejected(&ir, "test: operator 8 (SOFTMAX): ", "'probs'");
    ir.tensors[find(&ir, "probs")].q.scale[0] = 1.0f / 256;
    ir.tensors[find(&ir, "probs")].q.zero_point[0] = 0;
    expect_rejected(&ir, "test: operator 8 (SOFTMAX): ", "zero point -128");
    qat_ir_free(&ir);
}

static void test_reject_pool_qparams(void **state) {
    (void)state;
    qat_ir ir = gesture();
    ir.tensors[find(&ir, "pool1")].q.scale[0] = 0.07f;
    expect_rejected(&ir, "test: operator 2 (MAX_POOL_2D): ", "'pool1'");
    ir.tensors[find(&ir, "pool1")].q.scale[0] = 0.06f;
    ir.tensors[find(&ir, "pool1")].q.zero_point[0] = -127;
    expect_rejected(&ir, "test: operator 2 (MAX_POOL_2D): ", "'conv1'");
    qat_ir_free(&ir);
}

static void test_reject_reshape_qparams(void **state) {
    (void)state;
    qat_ir ir = gesture();
    ir.tensors[find(&ir, "flatten")].q.zero_point[0] = 0;
    expect_rejected(&ir, "test: operator 5 (RESHAPE): ", "'flatten'");
    qat_ir_free(&ir);
}

static void test_reject_bias_count(void **state) {
    (void)state;
    qat_ir ir = gesture();
    qat_ir_tensor *b = &ir.tensors[find(&ir, "conv2/bias")];
    b->dim[0] = 31;
    b->bytes = 31 * 4;
    expect_rejected(&ir, "test: operator 3 (CONV_2D): ", "bias 'conv2/bias' has 31 values for 32 output channels");
    qat_ir_free(&ir);
}

static void test_reject_per_channel_count(void **state) {
    (void)state;
    qat_ir ir = gesture();
    ir.tensors[find(&ir, "conv1/filter")].q.n = 15;
    expect_rejected(&ir, "test: operator 1 (CONV_2D): ", "filter 'conv1/filter' has 15 scales for 16");
    ir.tensors[find(&ir, "conv1/filter")].q.n = 0;
    expect_rejected(&ir, "test: operator 1 (CONV_2D): ", "no quantization");
    qat_ir_free(&ir);
}

static void test_reject_shape_mismatch(void **state) {
    (void)state;
    qat_ir ir = gesture();
    ir.tensors[find(&ir, "conv1")].dim[2] = 45;
    expect_rejected(&ir, "test: operator 1 (CONV_2D): ", "output 'conv1' has shape [1,1,45,16], expected [1,1,46,16]");
    qat_ir_free(&ir);
    ir = gesture();
    ir.tensors[find(&ir, "fc1/weights")].dim[1] = 319;
    ir.tensors[find(&ir, "fc1/weights")].bytes = 32 * 319;
    expect_rejected(&ir, "test: operator 6 (FULLY_CONNECTED): ", "'flatten'");
    qat_ir_free(&ir);
    ir = gesture();
    ir.tensors[find(&ir, "input_4d")].dim[2] = 49;
    expect_rejected(&ir, "test: operator 0 (RESHAPE): ", "'input_4d'");
    qat_ir_free(&ir);
}

static void test_reject_float_conv(void **state) {
    (void)state;
    qat_ir ir;
    qat_ir_init(&ir);
    const int x = act_f32(&ir, "x", 4, (int[]){1, 1, 8, 2});
    const float w[12] = {0};
    const int f = qat_ir_add_tensor(&ir, "w", QAT_IR_FLOAT32, 4, (int[]){2, 1, 3, 2}, NULL, w, sizeof w);
    const int y = act_f32(&ir, "y", 4, (int[]){1, 1, 6, 2});
    add(&ir, (qat_ir_node){.op = QAT_IR_CONV_2D, .n_in = 2, .in = {x, f, -1}, .out = y,
                           .padding = QAT_IR_PAD_VALID, .stride_w = 1, .stride_h = 1});
    ir.input = x, ir.output = y;
    /* a valid float model: unsupported, not malformed (inspect exits 0 on it) */
    expect_refused(&ir, QAT_ERR_UNSUPPORTED,
                   "test: operator 0 (CONV_2D): float32 kernels are not supported by the int8 engine", "'x'");
    qat_ir_free(&ir);
}

static void test_reject_wiring(void **state) {
    (void)state;
    static const struct {
        int node, input, out; /* the change: node's input 0 or its output becomes this tensor */
        const char *tensor, *want1, *want2;
    } cases[] = {
        {3, 1, 0, "pool2", "test: operator 3 (CONV_2D): ", "'pool2' is read before"},
        {8, 1, 0, "probs", "test: operator 8 (SOFTMAX): ", "input 0 'probs' is its own output"},
        {2, 1, 0, "pool1", "test: operator 2 (MAX_POOL_2D): ", "'pool1' is its own output"},
        {6, 1, 0, "fc1", "test: operator 6 (FULLY_CONNECTED): ", "'fc1' is its own output"},
        {0, 1, 0, "input_4d", "test: operator 0 (RESHAPE): ", "'input_4d' is its own output"},
        {2, 0, 1, "conv1", "test: operator 2 (MAX_POOL_2D): ", "'conv1' is its own output"},
        {3, 0, 1, "conv1", "test: operator 3 (CONV_2D): ", "'conv1' is written twice"},
        {6, 0, 1, "conv2", "test: operator 6 (FULLY_CONNECTED): ", "'conv2' is written twice"},
        {1, 0, 1, "input", "test: operator 1 (CONV_2D): ", "'input' is written twice (by an "
                                                           "earlier operator or as the model's input)"},
        {4, 0, 1, "conv2/filter", "test: operator 4 (MAX_POOL_2D): ", "'conv2/filter' is a constant"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qat_ir ir = gesture();
        if (cases[i].input) ir.nodes[cases[i].node].in[0] = find(&ir, cases[i].tensor);
        else ir.nodes[cases[i].node].out = find(&ir, cases[i].tensor);
        expect_rejected(&ir, cases[i].want1, cases[i].want2);
        qat_ir_free(&ir);
    }
    qat_ir ir = gesture();
    ir.nodes[6].in[1] = 999;
    expect_rejected(&ir, "test: operator 6 (FULLY_CONNECTED): ", "tensor 999");
    ir.nodes[6].in[1] = -1;
    expect_rejected(&ir, "test: operator 6 (FULLY_CONNECTED): ", "input 1 refers to tensor -1");
    qat_ir_free(&ir);
}

/* What is wrong with the model as a whole names the source, with no operator. */
static void test_reject_model(void **state) {
    (void)state;
    qat_ir ir = gesture();
    const int n_nodes = ir.n_nodes;
    ir.n_nodes = 0;
    expect_rejected(&ir, "test: the model has no operators", NULL);
    ir.output = ir.input; /* a copy: still nothing to run */
    expect_rejected(&ir, "test: the model has no operators", NULL);
    ir.n_nodes = n_nodes;
    ir.output = find(&ir, "fc2/bias");
    expect_rejected(&ir, "test: the model's output 'fc2/bias' is a constant tensor", NULL);
    ir.output = ir.n_tensors;
    expect_rejected(&ir, "test: the model's input (0) or output (", "is not a tensor");
    ir.output = -1;
    expect_rejected(&ir, "test: the model's input (0) or output (-1) is not a tensor", NULL);
    qat_ir_free(&ir);
    ir = gesture();
    const int orphan = act(&ir, "orphan", 2, (int[]){1, 3}, 0.1f, 0);
    ir.output = orphan;
    expect_rejected(&ir, "test: no operator writes the model's output 'orphan'", NULL);
    ir.output = find(&ir, "probs");
    ir.input = find(&ir, "shape_4d");
    expect_rejected(&ir, "test: the model's input 'shape_4d' is a constant tensor", NULL);
    qat_ir_free(&ir);
}

/* Tensors with a dimension 0 hold no values: the graph input (where `run` would divide by
 * the sample size) or any operator's output, whatever else agrees with the empty shape. */
static void test_reject_no_values(void **state) {
    (void)state;
    qat_ir ir = gesture();
    for (int t = 0; t < ir.n_tensors; t++)
        if (!ir.tensors[t].data) ir.tensors[t].dim[0] = 0; /* a batch of 0 everywhere */
    expect_rejected(&ir, "test: the model's input 'input' has shape [0,50,3]: no values", NULL);
    qat_ir_free(&ir);
    ir = gesture();
    ir.tensors[find(&ir, "fc1")].dim[1] = 0;
    expect_rejected(&ir, "test: operator 6 (FULLY_CONNECTED): output 'fc1' has shape [1,0]: no values",
                    NULL);
    qat_ir_free(&ir);
    ir = gesture();
    ir.tensors[find(&ir, "input")].dim[1] = 0;
    ir.tensors[find(&ir, "input_4d")].dim[2] = 0;
    expect_rejected(&ir, "test: the model's input 'input' has shape [1,0,3]: no values", NULL);
    qat_ir_free(&ir);
}

/* Windows and strides the reader accepts: larger than the input, or large enough to
 * overflow the kernels' int coordinates. */
static void test_reject_windows(void **state) {
    (void)state;
    static const struct {
        int node, filter_w, filter_h, stride_w, dilation_w;
        const char *want1, *want2;
    } cases[] = {
        {2, 47, 0, 0, 0, "test: operator 2 (MAX_POOL_2D): ", "window 1x47 does not fit input 'conv1' (1x46)"},
        {4, 0, 2, 0, 0, "test: operator 4 (MAX_POOL_2D): ", "window 2x2 does not fit input 'conv2'"},
        {2, INT32_MAX, INT32_MAX, 0, 0, "test: operator 2 (MAX_POOL_2D): ", "is too large"},
        {2, 0, 0, INT32_MAX, 0, "test: operator 2 (MAX_POOL_2D): ", "stride 1x2147483647"},
        {2, INT32_MAX - 20, 0, 0, 0, "test: operator 2 (MAX_POOL_2D): ", "is too large"},
        {1, 0, 0, INT32_MAX, 0, "test: operator 1 (CONV_2D): ", "is too large"},
        {3, 0, 0, INT32_MAX - 50, 0, "test: operator 3 (CONV_2D): ", "expected [1,1,1,32]"},
        {1, 0, 0, 0, 1 << 30, "test: operator 1 (CONV_2D): ", "dilation 1x1073741824"},
        {1, 0, 0, 0, 100, "test: operator 1 (CONV_2D): ", "window 1x5 does not fit input 'input_4d'"},
        {1, 0, 0, -1, 0, "test: operator 1 (CONV_2D): ", "strides 1x-1 must be >= 1"},
        {2, -3, 0, 0, 0, "test: operator 2 (MAX_POOL_2D): ", "filter 1x-3 must be >= 1"},
        {3, 0, 0, 0, -2, "test: operator 3 (CONV_2D): ", "dilations 1x-2 must be >= 1"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qat_ir ir = gesture();
        qat_ir_node *n = &ir.nodes[cases[i].node];
        if (cases[i].filter_w) n->filter_w = cases[i].filter_w;
        if (cases[i].filter_h) n->filter_h = cases[i].filter_h;
        if (cases[i].stride_w) n->stride_w = cases[i].stride_w;
        if (cases[i].dilation_w) n->dilation_w = cases[i].dilation_w;
        expect_rejected(&ir, cases[i].want1, cases[i].want2);
        qat_ir_free(&ir);
    }
}

/* Scales and zero points the reader accepts (finite, non-negative, zero points in range for
 * their own type) that the engine refuses: with the operator that meets them first. */
static void test_reject_extreme_qparams(void **state) {
    (void)state;
    static const struct {
        const char *tensor;
        float scale; /* 0: keep */
        int32_t zp;  /* INT32_MIN: keep */
        const char *want1, *want2;
    } cases[] = {
        {"conv1", -1.0f, INT32_MIN, "test: operator 1 (CONV_2D): ", "output 'conv1' has invalid scale -1"},
        {"conv1", 1e-45f, INT32_MIN, "test: operator 1 (CONV_2D): ", "could overflow the int32 accumulator"},
        {"conv1", 3e38f, INT32_MIN, "test: operator 2 (MAX_POOL_2D): ", "must keep input 'conv1'"},
        {"conv1/filter", -1.0f, INT32_MIN, "test: operator 1 (CONV_2D): ", "filter 'conv1/filter' has invalid scale"},
        {"conv1/filter", INFINITY, INT32_MIN, "test: operator 1 (CONV_2D): ", "has invalid scale inf"},
        {"fc1/weights", NAN, INT32_MIN, "test: operator 6 (FULLY_CONNECTED): ", "has invalid scale nan"},
        {"fc1/weights", 3e38f, INT32_MIN, "test: operator 6 (FULLY_CONNECTED): ", "bias 'fc1/bias' scale"},
        {"conv1", 0, 128, "test: operator 1 (CONV_2D): ", "zero point 128 is outside [-128, 127]"},
        {"input", 0, -1000, "test: operator 0 (RESHAPE): ", "zero point -1000 is outside"},
        {"conv2/filter", 0, 1, "test: operator 3 (CONV_2D): ", "zero point 1, expected 0"},
        {"logits", 0, INT32_MAX, "test: operator 7 (FULLY_CONNECTED): ", "zero point 2147483647"},
        {"input", 1e-30f, INT32_MIN, "test: operator 0 (RESHAPE): ", "must keep input 'input'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        qat_ir ir = gesture();
        qat_ir_tensor *t = &ir.tensors[find(&ir, cases[i].tensor)];
        for (int k = 0; k < t->q.n; k++) {
            if (cases[i].scale != 0) t->q.scale[k] = cases[i].scale;
            if (cases[i].zp != INT32_MIN) t->q.zero_point[k] = cases[i].zp;
        }
        expect_rejected(&ir, cases[i].want1, cases[i].want2);
        qat_ir_free(&ir);
    }
    qat_ir ir = gesture(); /* scale 0 on the first activation some kernel divides by */
    ir.tensors[find(&ir, "conv1")].q.scale[0] = 0.0f;
    ir.tensors[find(&ir, "pool1")].q.scale[0] = 0.0f;
    expect_rejected(&ir, "test: operator 1 (CONV_2D): ", "output 'conv1' has invalid scale 0");
    qat_ir_free(&ir);
}

/* Every scale and zero point of the model, one at a time, set to an extreme: prepare either
 * refuses with one line naming the source and an operator, or the model runs (here and under
 * ASan/UBSan: no overflow, no out-of-range access) on a zero and a full-range input. */
static void test_extreme_qparams_sweep(void **state) {
    (void)state;
    static const float scales[] = {0.0f, 1e-45f, 1e-30f, 1e-6f, 1e6f, 1e30f, 3.4e38f, INFINITY, NAN};
    static const int32_t zps[] = {-129, -128, 127, 128, INT32_MIN, INT32_MAX};
    int refused = 0, ran = 0;
    qat_ir base = gesture();
    for (int t = 0; t < base.n_tensors; t++) {
        if (base.tensors[t].q.n == 0) continue;
        const int n_cases = (int)(sizeof scales / sizeof scales[0] + sizeof zps / sizeof zps[0]);
        for (int c = 0; c < n_cases; c++) {
            qat_ir ir = gesture();
            qat_qparams *q = &ir.tensors[t].q;
            for (int k = 0; k < q->n; k++)
                if (c < (int)(sizeof scales / sizeof scales[0])) q->scale[k] = scales[c];
                else q->zero_point[k] = zps[c - (int)(sizeof scales / sizeof scales[0])];
            qat_i8_engine eng;
            qat_error e = {0};
            if (qat_i8_prepare(&eng, &ir, "test", &e) == QAT_OK) {
                int8_t x[150], y[3];
                memset(x, 0, sizeof x);
                qat_i8_invoke(&eng, x, y);
                for (int i = 0; i < 150; i++) x[i] = (int8_t)(i % 2 ? 127 : -128);
                qat_i8_invoke(&eng, x, y);
                qat_i8_free(&eng);
                ran++;
            } else {
                if (strncmp(e.msg, "test: ", 6) || strchr(e.msg, '\n'))
                    fail_msg("tensor %s case %d: message \"%s\"", base.tensors[t].name, c, e.msg);
                assert_null(eng.nodes);
                refused++;
            }
            qat_ir_free(&ir);
        }
    }
    qat_ir_free(&base);
    print_message("extreme qparams: %d refused, %d ran\n", refused, ran);
    assert_true(refused > 0 && ran > 0);
}

static void test_reject_softmax_beta(void **state) {
    (void)state;
    qat_ir ir = gesture();
    ir.nodes[8].beta = 0.0f; /* a missing SoftmaxOptions leaves beta 0 */
    expect_rejected(&ir, "test: operator 8 (SOFTMAX): ", "beta 0");
    qat_ir_free(&ir);
}

/* ---- memory plan ------------------------------------------------------------------------------- */

static size_t bytes_of(const qat_ir_tensor *t) { return qat_ir_tensor_count(t) * qat_ir_type_size(t->type); }

/* What TFLM's QUANTIZE does not do is refused, naming the operator: float → uint8,
 * uint8 → uint8; a uint8 zero point outside [0, 255]; uint8 into another kernel. */
static void test_reject_uint8(void **state) {
    (void)state;
    qat_ir ir;
    qat_ir_init(&ir);
    const int f = act_f32(&ir, "f", 2, (int[]){1, 4});
    const int u = act_u8(&ir, "u", 2, (int[]){1, 4}, 0.1f, 128);
    const int v = act_u8(&ir, "v", 2, (int[]){1, 4}, 0.1f, 128);
    const int w = act_u8(&ir, "w", 2, (int[]){1, 4}, 0.1f, 256);
    const int s8 = act(&ir, "s8", 2, (int[]){1, 4}, 0.1f, 0);
    add(&ir, (qat_ir_node){.op = QAT_IR_QUANTIZE, .n_in = 1, .in = {f, -1, -1}, .out = u});
    ir.input = f, ir.output = u;
    expect_refused(&ir, QAT_ERR_UNSUPPORTED,
                   "test: operator 0 (QUANTIZE): QUANTIZE from FLOAT32 ('f') to UINT8 ('u') is not "
                   "supported", NULL);
    ir.nodes[0].in[0] = v, ir.input = v;
    expect_refused(&ir, QAT_ERR_UNSUPPORTED, "test: operator 0 (QUANTIZE): QUANTIZE from UINT8 ('v')",
                   "to UINT8 ('u') is not supported");
    ir.nodes[0] = (qat_ir_node){.op = QAT_IR_QUANTIZE, .n_in = 1, .in = {s8, -1, -1}, .out = w};
    ir.input = s8, ir.output = w;
    expect_rejected(&ir, "test: operator 0 (QUANTIZE): output 'w' zero point 256 is outside [0, 255]",
                    NULL);
    ir.nodes[0] = (qat_ir_node){.op = QAT_IR_SOFTMAX, .n_in = 1, .in = {u, -1, -1}, .out = s8,
                                .beta = 1};
    ir.input = u, ir.output = s8;
    expect_refused(&ir, QAT_ERR_UNSUPPORTED, "test: operator 0 (SOFTMAX): uint8 kernels are not supported",
                   "'u' is UINT8");
    qat_ir_free(&ir);
}

static void test_memory_plan(void **state) {
    (void)state;
    qat_ir ir = gesture();
    qat_i8_engine eng;
    qat_error e = {0};
    assert_int_equal(qat_i8_prepare(&eng, &ir, "test", &e), QAT_OK);
    size_t sum = 0, pair = 0;
    int first[64], last[64];
    for (int t = 0; t < ir.n_tensors; t++) {
        first[t] = last[t] = -1;
        if (!ir.tensors[t].data) sum += bytes_of(&ir.tensors[t]);
    }
    first[ir.input] = 0;
    for (int i = 0; i < ir.n_nodes; i++) {
        const qat_ir_node *n = &ir.nodes[i];
        const size_t io = bytes_of(&ir.tensors[n->in[0]]) + bytes_of(&ir.tensors[n->out]);
        if (io > pair) pair = io;
        for (int k = 0; k < n->n_in; k++)
            if (n->in[k] >= 0 && !ir.tensors[n->in[k]].data) last[n->in[k]] = i;
        first[n->out] = last[n->out] = i;
    }
    last[ir.output] = ir.n_nodes;
    assert_true(eng.arena_bytes >= pair);
    assert_true(eng.arena_bytes <= sum);
    assert_true(eng.arena_bytes % 16 == 0);
    assert_true(((uintptr_t)eng.arena) % 16 == 0);
    /* every activation sits 16-aligned inside the arena, apart from those it lives with */
    for (int a = 0; a < ir.n_tensors; a++) {
        if (ir.tensors[a].data) continue;
        assert_true(eng.offset[a] % 16 == 0);
        assert_true(eng.offset[a] + bytes_of(&ir.tensors[a]) <= eng.arena_bytes);
        for (int b = a + 1; b < ir.n_tensors; b++) {
            if (ir.tensors[b].data || last[a] < first[b] || last[b] < first[a]) continue;
            const int apart = eng.offset[a] + bytes_of(&ir.tensors[a]) <= eng.offset[b] ||
                              eng.offset[b] + bytes_of(&ir.tensors[b]) <= eng.offset[a];
            if (!apart) fail_msg("%s and %s overlap", ir.tensors[a].name, ir.tensors[b].name);
        }
    }
    print_message("gesture arena: %zu bytes (largest in+out pair %zu, all activations %zu)\n",
                  eng.arena_bytes, pair, sum);
    qat_i8_free(&eng);
    qat_ir_free(&ir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gesture_base),
        cmocka_unit_test(test_gesture_logits),
        cmocka_unit_test(test_gesture_same_relu6_per_channel_fc),
        cmocka_unit_test(test_gesture_per_tensor_conv_no_act),
        cmocka_unit_test(test_float_interface),
        cmocka_unit_test(test_uint8_interface),
        cmocka_unit_test(test_requantize_node),
        cmocka_unit_test(test_reject_softmax_scale),
        cmocka_unit_test(test_reject_pool_qparams),
        cmocka_unit_test(test_reject_reshape_qparams),
        cmocka_unit_test(test_reject_bias_count),
        cmocka_unit_test(test_reject_per_channel_count),
        cmocka_unit_test(test_reject_shape_mismatch),
        cmocka_unit_test(test_reject_float_conv),
        cmocka_unit_test(test_reject_wiring),
        cmocka_unit_test(test_reject_model),
        cmocka_unit_test(test_reject_no_values),
        cmocka_unit_test(test_reject_windows),
        cmocka_unit_test(test_reject_extreme_qparams),
        cmocka_unit_test(test_extreme_qparams_sweep),
        cmocka_unit_test(test_reject_softmax_beta),
        cmocka_unit_test(test_reject_uint8),
        cmocka_unit_test(test_memory_plan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
