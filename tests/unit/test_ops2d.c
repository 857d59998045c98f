/* The 2-D ops: finite-difference gradient checks of every backward output (gradcheck.h: a
 * 1 % error in any one input's or parameter's gradient fails), and forward values worked
 * out by hand for TensorFlow's SAME padding (the odd extra row/column at the end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "gradcheck.h"
#include "qat/ops.h"

/* Linear and piecewise-linear ops: h = 1/8 (test_ops.c); batch norm in training: 1/16. */
#define H_LINEAR 0.125
#define H_CURVED 0.0625

typedef struct fixture {
    qat_graph g;
    qat_rng rng;
    qat_pass pass;
    int x;
} fixture;

static void start(fixture *f, int ndim, const int *dim) {
    qat_graph_init(&f->g);
    f->x = qat_graph_input(&f->g, "x", ndim, dim);
    f->g.nodes[f->x].needs_grad = 1; /* so the checks see dL/dx too */
}

static void finish(fixture *f, int batch, int training) {
    qat_error e = {0};
    assert_int_equal(qat_graph_compile(&f->g, batch, &e), QAT_OK);
    f->pass = (qat_pass){.batch = batch, .training = training, .rng = &f->rng};
}

static int param(fixture *f, const char *name, int ndim, const int *dim) {
    return qat_graph_param(&f->g, name, ndim, dim);
}

static void randomize_params(fixture *f) {
    for (int i = 0; i < f->g.n_nodes; i++)
        if (f->g.nodes[i].op == QAT_OP_PARAM)
            qat_fill_uniform(&f->g.nodes[i], 1, 100 + (unsigned)i, -0.5f, 0.5f);
}

/* dL/dx and dL/dθ for every parameter θ, each node judged on its own. */
static int grads_ok(fixture *f, int out, double h) {
    int check[8], n = 0;
    check[n++] = f->x;
    for (int i = 0; i < f->g.n_nodes && n < 8; i++)
        if (f->g.nodes[i].op == QAT_OP_PARAM) check[n++] = i;
    return qat_gradcheck_ok(&f->g, &f->pass, out, check, n, h);
}

static void forward(fixture *f) {
    qat_graph_forward(&f->g, &f->pass, f->g.n_nodes);
}

/* x[r][c] = r·W + c + 1 on one channel: each cell names itself. */
static void fill_counting(fixture *f) {
    qat_node *X = &f->g.nodes[f->x];
    for (size_t i = 0; i < X->size; i++) X->val[i] = (float)(i + 1);
}

/* ---- the window rule ------------------------------------------------------------------ */

/* TensorFlow's rule by hand: SAME out = ceil(in/s), total = (out−1)s + k − in, half (rounded
 * down) before; VALID out = floor((in − k)/s) + 1. */
static void test_window(void **s) {
    (void)s;
    qat_window_axis a = qat_window(7, 3, 2, QAT_PAD_SAME); /* total 2: 1 before, 1 after */
    assert_int_equal(a.out, 4);
    assert_int_equal(a.pad_before, 1);
    a = qat_window(8, 3, 2, QAT_PAD_SAME); /* total 1: 0 before, the extra 1 after */
    assert_int_equal(a.out, 4);
    assert_int_equal(a.pad_before, 0);
    a = qat_window(6, 4, 1, QAT_PAD_SAME); /* total 3: 1 before, 2 after */
    assert_int_equal(a.out, 6);
    assert_int_equal(a.pad_before, 1);
    a = qat_window(5, 1, 3, QAT_PAD_SAME); /* total 0 */
    assert_int_equal(a.out, 2);
    assert_int_equal(a.pad_before, 0);
    a = qat_window(7, 3, 2, QAT_PAD_VALID);
    assert_int_equal(a.out, 3);
    assert_int_equal(a.pad_before, 0);
    a = qat_window(8, 3, 3, QAT_PAD_VALID);
    assert_int_equal(a.out, 2);
    assert_int_equal(qat_window(2, 3, 1, QAT_PAD_VALID).out, 0); /* does not fit */
}

/* ---- conv2d ----------------------------------------------------------------------------- */

typedef struct conv_shape {
    int h, w, c, o, kh, kw, sh, sw;
    qat_padding pad;
    int bias;
} conv_shape;

static void conv2d_case(conv_shape cs) {
    fixture f;
    int xd[3] = {cs.h, cs.w, cs.c}, wd[4] = {cs.o, cs.kh, cs.kw, cs.c}, bd[1] = {cs.o};
    start(&f, 3, xd);
    int w = param(&f, "w", 4, wd), b = cs.bias ? param(&f, "b", 1, bd) : -1;
    qat_conv2d_params p = {cs.sh, cs.sw, cs.pad, 1, 0, 0};
    int y = qat_conv2d(&f.g, "conv", f.x, w, b, &p);
    qat_window_axis ah = qat_window(cs.h, cs.kh, cs.sh, cs.pad);
    qat_window_axis aw = qat_window(cs.w, cs.kw, cs.sw, cs.pad);
    assert_int_equal(f.g.nodes[y].dim[0], ah.out);
    assert_int_equal(f.g.nodes[y].dim[1], aw.out);
    assert_int_equal(f.g.nodes[y].dim[2], cs.o);
    finish(&f, 2, 1);
    randomize_params(&f);
    qat_fill_uniform(&f.g.nodes[f.x], 2, 1, -1, 1);
    assert_true(grads_ok(&f, y, H_LINEAR));
    qat_graph_free(&f.g);
}

static void test_conv2d_valid(void **s) {
    (void)s;
    conv2d_case((conv_shape){6, 5, 3, 4, 3, 3, 1, 1, QAT_PAD_VALID, 1});
}

static void test_conv2d_same(void **s) {
    (void)s;
    conv2d_case((conv_shape){6, 5, 3, 4, 3, 3, 1, 1, QAT_PAD_SAME, 1});
}

static void test_conv2d_valid_stride2(void **s) {
    (void)s;
    conv2d_case((conv_shape){7, 6, 2, 3, 3, 3, 2, 2, QAT_PAD_VALID, 1});
}

/* SAME at stride 2 on odd sizes pads one before and one after ... */
static void test_conv2d_same_stride2_odd(void **s) {
    (void)s;
    conv2d_case((conv_shape){7, 5, 2, 3, 3, 3, 2, 2, QAT_PAD_SAME, 1});
}

/* ... and on even sizes only after. */
static void test_conv2d_same_stride2_even(void **s) {
    (void)s;
    conv2d_case((conv_shape){6, 8, 2, 3, 3, 3, 2, 2, QAT_PAD_SAME, 1});
}

static void test_conv2d_rect_3x2(void **s) {
    (void)s;
    conv2d_case((conv_shape){6, 5, 2, 3, 3, 2, 1, 2, QAT_PAD_SAME, 1});
}

static void test_conv2d_rect_1x3(void **s) {
    (void)s;
    conv2d_case((conv_shape){5, 6, 2, 3, 1, 3, 2, 1, QAT_PAD_VALID, 1});
}

static void test_conv2d_no_bias(void **s) {
    (void)s;
    conv2d_case((conv_shape){5, 5, 3, 4, 3, 3, 1, 1, QAT_PAD_SAME, 0});
}

/* 1×1 at stride 1 skips im2col; at stride 2 it does not. */
static void test_conv2d_1x1(void **s) {
    (void)s;
    conv2d_case((conv_shape){4, 5, 6, 3, 1, 1, 1, 1, QAT_PAD_SAME, 1});
    conv2d_case((conv_shape){5, 5, 3, 4, 1, 1, 2, 2, QAT_PAD_SAME, 0});
}

/* 4×4 image 1..16, a 3×3 kernel of ones, bias 0.5, SAME at stride 2: out 2×2, total
 * padding (2−1)·2 + 3 − 4 = 1 on each axis, all of it after. So output (0,0) sums rows
 * and columns 0..2 and (1,1) rows and columns 2..3 (4 is padding):
 *   y00 = 1+2+3+5+6+7+9+10+11 = 54     y01 = 3+4+7+8+11+12 = 45
 *   y10 = 9+10+11+13+14+15 = 72        y11 = 11+12+15+16 = 54
 * (Padding before instead would give y00 = 1+2+5+6 = 14.) */
static void test_conv2d_same_stride2_values(void **s) {
    (void)s;
    fixture f;
    int xd[3] = {4, 4, 1}, wd[4] = {1, 3, 3, 1}, bd[1] = {1};
    start(&f, 3, xd);
    int w = param(&f, "w", 4, wd), b = param(&f, "b", 1, bd);
    qat_conv2d_params p = {2, 2, QAT_PAD_SAME, 1, 0, 0};
    int y = qat_conv2d(&f.g, "conv", f.x, w, b, &p);
    const qat_conv2d_params *cp = QAT_NODE_PARAMS(qat_conv2d_params, &f.g.nodes[y], QAT_OP_CONV2D);
    assert_int_equal(cp->pad_top, 0);
    assert_int_equal(cp->pad_left, 0);
    finish(&f, 1, 0);
    fill_counting(&f);
    for (int i = 0; i < 9; i++) f.g.nodes[w].val[i] = 1;
    f.g.nodes[b].val[0] = 0.5f;
    forward(&f);
    const float *v = f.g.nodes[y].val;
    assert_float_equal(v[0], 54.5, 1e-4);
    assert_float_equal(v[1], 45.5, 1e-4);
    assert_float_equal(v[2], 72.5, 1e-4);
    assert_float_equal(v[3], 54.5, 1e-4);
    qat_graph_free(&f.g);
}

/* The kernel layout (O, KH, KW, C): a 3×2 kernel w[u][v] = 1..6 (row-major) over a 3×3
 * image 1..9, VALID: y00 = Σ w[u][v] x[u][v] = 1·1+2·2+3·4+4·5+5·7+6·8 = 120,
 * y01 = Σ w[u][v] x[u][v+1] = 1·2+2·3+3·5+4·6+5·8+6·9 = 141. Two channels in, two out:
 * x (1,1,2) = {1, 2}, w = {{1, 10}, {100, 1000}} → {21, 2100}. */
static void test_conv2d_layout_values(void **s) {
    (void)s;
    fixture f;
    int xd[3] = {3, 3, 1}, wd[4] = {1, 3, 2, 1};
    start(&f, 3, xd);
    int w = param(&f, "w", 4, wd);
    qat_conv2d_params p = {1, 1, QAT_PAD_VALID, 1, 0, 0};
    int y = qat_conv2d(&f.g, "conv", f.x, w, -1, &p);
    finish(&f, 1, 0);
    fill_counting(&f);
    for (int i = 0; i < 6; i++) f.g.nodes[w].val[i] = (float)(i + 1);
    forward(&f);
    assert_int_equal(f.g.nodes[y].size, 2);
    assert_float_equal(f.g.nodes[y].val[0], 120, 1e-4);
    assert_float_equal(f.g.nodes[y].val[1], 141, 1e-4);
    qat_graph_free(&f.g);

    int xd2[3] = {1, 1, 2}, wd2[4] = {2, 1, 1, 2};
    start(&f, 3, xd2);
    w = param(&f, "w", 4, wd2);
    y = qat_conv2d(&f.g, "conv", f.x, w, -1, &p);
    finish(&f, 1, 0);
    fill_counting(&f);
    float ws[4] = {1, 10, 100, 1000};
    memcpy(f.g.nodes[w].val, ws, sizeof ws);
    forward(&f);
    assert_float_equal(f.g.nodes[y].val[0], 21, 1e-4);
    assert_float_equal(f.g.nodes[y].val[1], 2100, 1e-4);
    qat_graph_free(&f.g);
}

/* A 1×T image through conv2d with a (O, 1, K, C) kernel is conv1d on (T, C): the same
 * im2col rows, the same GEMM, so the same bits, forward and backward (valid and same,
 * odd and even K: an independent check of the 2-D window rule against conv1d's). */
static void test_conv2d_matches_conv1d(void **s) {
    (void)s;
    for (int k = 3; k <= 4; k++)
        for (int same = 0; same <= 1; same++) {
            qat_graph g;
            qat_graph_init(&g);
            int x1d[2] = {9, 3}, x2d[3] = {1, 9, 3}, w1d[3] = {4, k, 3}, w2d[4] = {4, 1, k, 3};
            int bd[1] = {4};
            qat_padding pad = same ? QAT_PAD_SAME : QAT_PAD_VALID;
            int x1 = qat_graph_input(&g, "x1", 2, x1d), x2 = qat_graph_input(&g, "x2", 3, x2d);
            g.nodes[x1].needs_grad = g.nodes[x2].needs_grad = 1;
            int w1 = qat_graph_param(&g, "w1", 3, w1d), w2 = qat_graph_param(&g, "w2", 4, w2d);
            int b1 = qat_graph_param(&g, "b1", 1, bd), b2 = qat_graph_param(&g, "b2", 1, bd);
            int y1 = qat_conv1d(&g, "c1", x1, w1, b1, pad);
            qat_conv2d_params p = {1, 1, pad, 1, 0, 0};
            int y2 = qat_conv2d(&g, "c2", x2, w2, b2, &p);
            qat_error e = {0};
            assert_int_equal(qat_graph_compile(&g, 2, &e), QAT_OK);
            qat_pass pass = {.batch = 2, .training = 1};
            qat_fill_uniform(&g.nodes[x1], 2, 12, -1, 1);
            qat_fill_uniform(&g.nodes[w1], 1, 13, -1, 1);
            qat_fill_uniform(&g.nodes[b1], 1, 14, -1, 1);
            memcpy(g.nodes[x2].val, g.nodes[x1].val, 2 * 27 * sizeof(float));
            memcpy(g.nodes[w2].val, g.nodes[w1].val, g.nodes[w1].size * sizeof(float));
            memcpy(g.nodes[b2].val, g.nodes[b1].val, 4 * sizeof(float));
            qat_graph_forward(&g, &pass, g.n_nodes);
            size_t len = qat_node_len(&g.nodes[y1], 2);
            assert_int_equal(len, qat_node_len(&g.nodes[y2], 2));
            assert_memory_equal(g.nodes[y1].val, g.nodes[y2].val, len * sizeof(float));
            for (size_t i = 0; i < len; i++)
                g.nodes[y1].grad[i] = g.nodes[y2].grad[i] = (float)((int)(i % 7) - 3) / 4;
            /* backward_from clears every earlier activation gradient: one conv at a time */
            float dx1[54], dw1[48], db1[4];
            qat_graph_zero_grads(&g);
            qat_graph_backward_from(&g, &pass, y1);
            memcpy(dx1, g.nodes[x1].grad, sizeof dx1);
            memcpy(dw1, g.nodes[w1].grad, g.nodes[w1].size * sizeof(float));
            memcpy(db1, g.nodes[b1].grad, sizeof db1);
            qat_graph_zero_grads(&g);
            qat_graph_backward_from(&g, &pass, y2);
            assert_memory_equal(dx1, g.nodes[x2].grad, sizeof dx1);
            assert_memory_equal(dw1, g.nodes[w2].grad, g.nodes[w1].size * sizeof(float));
            assert_memory_equal(db1, g.nodes[b2].grad, sizeof db1);
            qat_graph_free(&g);
        }
}

/* ---- depthwise conv2d ------------------------------------------------------------------ */

static void depthwise_case(conv_shape cs, int mult) {
    fixture f;
    int cm = cs.c * mult;
    int xd[3] = {cs.h, cs.w, cs.c}, wd[4] = {1, cs.kh, cs.kw, cm}, bd[1] = {cm};
    start(&f, 3, xd);
    int w = param(&f, "w", 4, wd), b = cs.bias ? param(&f, "b", 1, bd) : -1;
    qat_conv2d_params p = {cs.sh, cs.sw, cs.pad, mult, 0, 0};
    int y = qat_depthwise_conv2d(&f.g, "dw", f.x, w, b, &p);
    assert_int_equal(f.g.nodes[y].dim[0], qat_window(cs.h, cs.kh, cs.sh, cs.pad).out);
    assert_int_equal(f.g.nodes[y].dim[1], qat_window(cs.w, cs.kw, cs.sw, cs.pad).out);
    assert_int_equal(f.g.nodes[y].dim[2], cm);
    finish(&f, 2, 1);
    randomize_params(&f);
    qat_fill_uniform(&f.g.nodes[f.x], 2, 4, -1, 1);
    assert_true(grads_ok(&f, y, H_LINEAR));
    qat_graph_free(&f.g);
}

static void test_depthwise_valid(void **s) {
    (void)s;
    depthwise_case((conv_shape){6, 5, 3, 0, 3, 3, 1, 1, QAT_PAD_VALID, 1}, 1);
}

static void test_depthwise_same(void **s) {
    (void)s;
    depthwise_case((conv_shape){6, 5, 3, 0, 3, 3, 1, 1, QAT_PAD_SAME, 1}, 1);
}

static void test_depthwise_mult2(void **s) {
    (void)s;
    depthwise_case((conv_shape){5, 6, 3, 0, 3, 3, 1, 1, QAT_PAD_SAME, 1}, 2);
    depthwise_case((conv_shape){6, 6, 2, 0, 3, 2, 1, 1, QAT_PAD_VALID, 0}, 2);
}

static void test_depthwise_stride2(void **s) {
    (void)s;
    depthwise_case((conv_shape){7, 5, 2, 0, 3, 3, 2, 2, QAT_PAD_SAME, 1}, 1); /* odd */
    depthwise_case((conv_shape){6, 8, 2, 0, 3, 3, 2, 2, QAT_PAD_SAME, 1}, 2); /* even */
    depthwise_case((conv_shape){7, 6, 2, 0, 3, 3, 2, 1, QAT_PAD_VALID, 0}, 1);
}

/* Depthwise is conv2d with a kernel that is zero off its channel: output channel c·M + m
 * of conv2d's (C·M, KH, KW, C) kernel holds the depthwise taps at input channel c only.
 * Two independent implementations (direct loops against im2col + GEMM) of the same sums,
 * in different orders: equal to float rounding, over strides, paddings and multipliers. */
static void test_depthwise_matches_conv2d(void **s) {
    (void)s;
    const conv_shape shapes[] = {{7, 6, 3, 0, 3, 3, 2, 2, QAT_PAD_SAME, 1},
                                 {6, 8, 2, 0, 3, 2, 2, 1, QAT_PAD_SAME, 1},
                                 {7, 5, 2, 0, 2, 3, 1, 2, QAT_PAD_VALID, 1}};
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int mult = 1; mult <= 2; mult++) {
            conv_shape cs = shapes[k];
            int cm = cs.c * mult;
            qat_graph g;
            qat_graph_init(&g);
            int xd[3] = {cs.h, cs.w, cs.c}, dwd[4] = {1, cs.kh, cs.kw, cm};
            int cwd[4] = {cm, cs.kh, cs.kw, cs.c}, bd[1] = {cm};
            int x = qat_graph_input(&g, "x", 3, xd);
            int dw = qat_graph_param(&g, "dw", 4, dwd), cw = qat_graph_param(&g, "cw", 4, cwd);
            int b = qat_graph_param(&g, "b", 1, bd);
            qat_conv2d_params pd = {cs.sh, cs.sw, cs.pad, mult, 0, 0};
            qat_conv2d_params pc = {cs.sh, cs.sw, cs.pad, 1, 0, 0};
            int yd = qat_depthwise_conv2d(&g, "d", x, dw, b, &pd);
            int yc = qat_conv2d(&g, "c", x, cw, b, &pc);
            qat_error e = {0};
            assert_int_equal(qat_graph_compile(&g, 2, &e), QAT_OK);
            qat_pass pass = {.batch = 2};
            qat_fill_uniform(&g.nodes[x], 2, 15, -1, 1);
            qat_fill_uniform(&g.nodes[dw], 1, 16, -1, 1);
            qat_fill_uniform(&g.nodes[b], 1, 17, -1, 1);
            float *cwv = g.nodes[cw].val;
            memset(cwv, 0, g.nodes[cw].size * sizeof(float));
            for (int t = 0; t < cs.kh * cs.kw; t++)
                for (int o = 0; o < cm; o++)
                    cwv[((size_t)o * cs.kh * cs.kw + t) * cs.c + o / mult] =
                        g.nodes[dw].val[t * cm + o];
            qat_graph_forward(&g, &pass, g.n_nodes);
            size_t len = qat_node_len(&g.nodes[yd], 2);
            assert_int_equal(len, qat_node_len(&g.nodes[yc], 2));
            for (size_t i = 0; i < len; i++)
                assert_float_equal(g.nodes[yd].val[i], g.nodes[yc].val[i], 1e-5);
            qat_graph_free(&g);
        }
}

/* 4×4 image, two channels: channel 0 counts 1..16, channel 1 is 10× that; multiplier 2;
 * a 3×3 kernel of constant k + 1 on output channel k; SAME at stride 2 (all padding
 * after, as for conv2d above). With S the window sums of channel 0 (54, 45, 72, 54, see
 * test_conv2d_same_stride2_values), output channels c·2 + m read input channel c:
 * y = {1·S, 2·S, 3·10·S, 4·10·S}. (Reading channel m·C + c instead would give 20·S on
 * output channel 1.) */
static void test_depthwise_same_stride2_values(void **s) {
    (void)s;
    fixture f;
    int xd[3] = {4, 4, 2}, wd[4] = {1, 3, 3, 4};
    start(&f, 3, xd);
    int w = param(&f, "w", 4, wd);
    qat_conv2d_params p = {2, 2, QAT_PAD_SAME, 2, 0, 0};
    int y = qat_depthwise_conv2d(&f.g, "dw", f.x, w, -1, &p);
    finish(&f, 1, 0);
    for (int i = 0; i < 16; i++) {
        f.g.nodes[f.x].val[2 * i] = (float)(i + 1);
        f.g.nodes[f.x].val[2 * i + 1] = 10.0f * (float)(i + 1);
    }
    for (int t = 0; t < 9; t++)
        for (int k = 0; k < 4; k++) f.g.nodes[w].val[t * 4 + k] = (float)(k + 1);
    forward(&f);
    const float sums[4] = {54, 45, 72, 54}, scale[4] = {1, 2, 30, 40};
    for (int pos = 0; pos < 4; pos++)
        for (int k = 0; k < 4; k++)
            assert_float_equal(f.g.nodes[y].val[pos * 4 + k], sums[pos] * scale[k], 1e-3);
    qat_graph_free(&f.g);
}

/* ---- pooling ----------------------------------------------------------------------------- */

typedef struct pool_shape {
    int h, w, c, ph, pw, sh, sw;
    qat_padding pad;
} pool_shape;

static void pool_case(pool_shape ps, int max) {
    fixture f;
    int xd[3] = {ps.h, ps.w, ps.c};
    start(&f, 3, xd);
    qat_pool2d_params p = {ps.ph, ps.pw, ps.sh, ps.sw, ps.pad, 0, 0};
    int y = max ? qat_maxpool2d(&f.g, "pool", f.x, &p) : qat_avgpool2d(&f.g, "pool", f.x, &p);
    assert_int_equal(f.g.nodes[y].dim[0], qat_window(ps.h, ps.ph, ps.sh, ps.pad).out);
    assert_int_equal(f.g.nodes[y].dim[1], qat_window(ps.w, ps.pw, ps.sw, ps.pad).out);
    assert_int_equal(f.g.nodes[y].dim[2], ps.c);
    finish(&f, 2, 1);
    /* Max: distinct values 0.5 apart, so no step of h = 1/8 (or 1/4 between the two
     * evaluations of a difference) changes which cell wins. */
    if (max)
        qat_fill_spaced(&f.g.nodes[f.x], 2, 5, 0.5f);
    else
        qat_fill_uniform(&f.g.nodes[f.x], 2, 5, -1, 1);
    assert_true(grads_ok(&f, y, H_LINEAR));
    qat_graph_free(&f.g);
}

static const pool_shape pool_shapes[] = {
    {7, 6, 2, 3, 3, 2, 2, QAT_PAD_SAME},  /* odd rows: one before, one after */
    {6, 8, 3, 3, 3, 2, 2, QAT_PAD_SAME},  /* even: the one padding row/column after */
    {5, 5, 2, 2, 2, 2, 2, QAT_PAD_SAME},  /* odd, pool 2: the last window one cell wide */
    {7, 7, 2, 2, 2, 2, 2, QAT_PAD_VALID}, /* the last row and column dropped */
    {6, 7, 2, 3, 2, 1, 2, QAT_PAD_SAME},  /* rectangular pool, stride ≠ pool */
    {7, 5, 3, 2, 3, 3, 1, QAT_PAD_VALID}, /* stride larger than the pool on rows */
};

static void test_maxpool2d(void **s) {
    (void)s;
    for (size_t i = 0; i < sizeof pool_shapes / sizeof pool_shapes[0]; i++)
        pool_case(pool_shapes[i], 1);
}

static void test_avgpool2d(void **s) {
    (void)s;
    for (size_t i = 0; i < sizeof pool_shapes / sizeof pool_shapes[0]; i++)
        pool_case(pool_shapes[i], 0);
}

/* 3×3 pools at stride 2, SAME, on the 4×4 image: windows as in
 * test_conv2d_same_stride2_values (all padding after). Max on the negated image −1..−16,
 * so a padded 0 would win if it could: y = {−1, −3, −9, −11}. Average on 1..16 divides by
 * the in-bounds cells, 9, 6, 6 and 4: y = {54/9, 45/6, 72/6, 54/4} = {6, 7.5, 12, 13.5}
 * (dividing by 9 everywhere would give 5, 8, 6). */
static void test_pool2d_same_stride2_values(void **s) {
    (void)s;
    for (int max = 0; max <= 1; max++) {
        fixture f;
        int xd[3] = {4, 4, 1};
        start(&f, 3, xd);
        qat_pool2d_params p = {3, 3, 2, 2, QAT_PAD_SAME, 0, 0};
        int y = max ? qat_maxpool2d(&f.g, "pool", f.x, &p) : qat_avgpool2d(&f.g, "pool", f.x, &p);
        const qat_pool2d_params *pp =
            QAT_NODE_PARAMS(qat_pool2d_params, &f.g.nodes[y], f.g.nodes[y].op);
        assert_int_equal(pp->pad_top, 0);
        assert_int_equal(pp->pad_left, 0);
        finish(&f, 1, 0);
        fill_counting(&f);
        if (max)
            for (int i = 0; i < 16; i++) f.g.nodes[f.x].val[i] *= -1;
        forward(&f);
        const float want_max[4] = {-1, -3, -9, -11}, want_avg[4] = {6, 7.5f, 12, 13.5f};
        for (int i = 0; i < 4; i++)
            assert_float_equal(f.g.nodes[y].val[i], max ? want_max[i] : want_avg[i], 1e-5);
        qat_graph_free(&f.g);
    }
}

/* Max-pool routes dy to the winner only: the cell of each window's maximum. */
static void test_maxpool2d_routes_to_argmax(void **s) {
    (void)s;
    fixture f;
    int xd[3] = {4, 4, 1};
    start(&f, 3, xd);
    qat_pool2d_params p = {2, 2, 2, 2, QAT_PAD_VALID, 0, 0};
    int y = qat_maxpool2d(&f.g, "pool", f.x, &p);
    finish(&f, 1, 0);
    fill_counting(&f); /* each 2×2 window's maximum is its bottom-right cell */
    forward(&f);
    for (int i = 0; i < 4; i++) f.g.nodes[y].grad[i] = (float)(i + 1);
    qat_graph_zero_grads(&f.g);
    memset(f.g.nodes[f.x].grad, 0, 16 * sizeof(float));
    qat_graph_backward_from(&f.g, &f.pass, y);
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) {
            float want = (r % 2 && c % 2) ? (float)((r / 2) * 2 + c / 2 + 1) : 0;
            assert_float_equal(f.g.nodes[f.x].grad[r * 4 + c], want, 0);
        }
    qat_graph_free(&f.g);
}

static void global_case(int ndim) {
    fixture f;
    int xd[3] = {5, 4, 3};
    if (ndim == 2) xd[1] = 3;
    start(&f, ndim, xd);
    int y = qat_global_avgpool(&f.g, "gap", f.x);
    assert_int_equal(f.g.nodes[y].ndim, 1);
    assert_int_equal(f.g.nodes[y].dim[0], 3);
    finish(&f, 3, 1);
    qat_fill_uniform(&f.g.nodes[f.x], 3, 6, -1, 1);
    assert_true(grads_ok(&f, y, H_LINEAR));
    /* The mean over all positions of each channel, by a plain sum here. */
    forward(&f);
    size_t per = f.g.nodes[f.x].size, P = per / 3;
    for (int b = 0; b < 3; b++)
        for (int c = 0; c < 3; c++) {
            double sum = 0;
            for (size_t q = 0; q < P; q++) sum += f.g.nodes[f.x].val[b * per + q * 3 + c];
            assert_float_equal(f.g.nodes[y].val[b * 3 + c], sum / (double)P, 1e-6);
        }
    qat_graph_free(&f.g);
}

static void test_global_avgpool_1d(void **s) {
    (void)s;
    global_case(2);
}

static void test_global_avgpool_2d(void **s) {
    (void)s;
    global_case(3);
}

/* ---- the shape-agnostic ops on (H, W, C) ------------------------------------------------- */

static const int hwc[3] = {3, 4, 2};

static void assert_hwc(const qat_node *n) {
    assert_int_equal(n->ndim, 3);
    for (int d = 0; d < 3; d++) assert_int_equal(n->dim[d], hwc[d]);
}

static void test_flatten_hwc(void **s) {
    (void)s;
    fixture f;
    start(&f, 3, hwc);
    int y = qat_flatten(&f.g, "flat", f.x);
    assert_int_equal(f.g.nodes[y].ndim, 1);
    assert_int_equal(f.g.nodes[y].dim[0], 24);
    finish(&f, 2, 1);
    qat_fill_uniform(&f.g.nodes[f.x], 2, 8, -1, 1);
    assert_true(grads_ok(&f, y, H_LINEAR));
    /* Row-major, channels last: element (r, c, k) lands at (r·4 + c)·2 + k. */
    forward(&f);
    for (int i = 0; i < 48; i++) assert_float_equal(f.g.nodes[y].val[i], f.g.nodes[f.x].val[i], 0);
    qat_graph_free(&f.g);
}

static void bn_hwc_case(int training) {
    fixture f;
    int cd[1] = {2};
    start(&f, 3, hwc);
    int gam = param(&f, "gamma", 1, cd), bet = param(&f, "beta", 1, cd);
    int y = qat_batchnorm(&f.g, "bn", f.x, gam, bet, 0.99, 1e-3);
    assert_hwc(&f.g.nodes[y]);
    finish(&f, 2, training);
    randomize_params(&f);
    for (int j = 0; j < 2; j++) {
        f.g.state[j] = 0.1f * (float)j - 0.2f;     /* running mean */
        f.g.state[2 + j] = 0.6f + 0.2f * (float)j; /* running var */
    }
    qat_fill_uniform(&f.g.nodes[f.x], 2, 9, -2, 2);
    assert_true(grads_ok(&f, y, training ? H_CURVED : H_LINEAR));
    if (training) { /* statistics over batch and all positions: each channel's output has
                       mean β over the 2·3·4 values of that channel */
        forward(&f);
        for (int j = 0; j < 2; j++) {
            double sum = 0;
            for (int i = 0; i < 24; i++) sum += f.g.nodes[y].val[i * 2 + j];
            assert_float_equal(sum / 24, f.g.nodes[bet].val[j], 1e-5);
        }
    }
    qat_graph_free(&f.g);
}

static void test_batchnorm_hwc(void **s) {
    (void)s;
    bn_hwc_case(1);
    bn_hwc_case(0);
}

static void test_relu_hwc(void **s) {
    (void)s;
    for (int six = 0; six <= 1; six++) {
        fixture f;
        start(&f, 3, hwc);
        int y = six ? qat_relu6(&f.g, "r", f.x) : qat_relu(&f.g, "r", f.x);
        assert_hwc(&f.g.nodes[y]);
        finish(&f, 2, 1);
        qat_fill_spaced(&f.g.nodes[f.x], 2, 10, 0.5f); /* ±0.25 … ±11.75: both clamps */
        assert_true(grads_ok(&f, y, H_LINEAR));
        qat_graph_free(&f.g);
    }
}

static void test_dropout_hwc(void **s) {
    (void)s;
    fixture f;
    start(&f, 3, hwc);
    int y = qat_dropout(&f.g, "drop", f.x, 0.3);
    assert_hwc(&f.g.nodes[y]);
    finish(&f, 2, 1);
    qat_fill_uniform(&f.g.nodes[f.x], 2, 11, 0.5f, 1);
    assert_true(grads_ok(&f, y, H_LINEAR));
    qat_graph_free(&f.g);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_conv2d_valid),
        cmocka_unit_test(test_conv2d_same),
        cmocka_unit_test(test_conv2d_valid_stride2),
        cmocka_unit_test(test_conv2d_same_stride2_odd),
        cmocka_unit_test(test_conv2d_same_stride2_even),
        cmocka_unit_test(test_conv2d_rect_3x2),
        cmocka_unit_test(test_conv2d_rect_1x3),
        cmocka_unit_test(test_conv2d_no_bias),
        cmocka_unit_test(test_conv2d_1x1),
        cmocka_unit_test(test_conv2d_same_stride2_values),
        cmocka_unit_test(test_conv2d_layout_values),
        cmocka_unit_test(test_conv2d_matches_conv1d),
        cmocka_unit_test(test_depthwise_valid),
        cmocka_unit_test(test_depthwise_same),
        cmocka_unit_test(test_depthwise_mult2),
        cmocka_unit_test(test_depthwise_stride2),
        cmocka_unit_test(test_depthwise_same_stride2_values),
        cmocka_unit_test(test_depthwise_matches_conv2d),
        cmocka_unit_test(test_maxpool2d),
        cmocka_unit_test(test_avgpool2d),
        cmocka_unit_test(test_pool2d_same_stride2_values),
        cmocka_unit_test(test_maxpool2d_routes_to_argmax),
        cmocka_unit_test(test_global_avgpool_1d),
        cmocka_unit_test(test_global_avgpool_2d),
        cmocka_unit_test(test_flatten_hwc),
        cmocka_unit_test(test_batchnorm_hwc),
        cmocka_unit_test(test_relu_hwc),
        cmocka_unit_test(test_dropout_hwc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
