/* 2-D layers from the config to float training: parsing and validation of the 2-D keys, the
 * shape rule (SAME/VALID, stride 2 on odd and even sizes), the shapes generator, Keras'
 * Glorot fans, pruning masks on both separable halves, structured pruning of 2-D models,
 * checkpoints, and float training of the two shipped 2-D configs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qat/checkpoint.h"
#include "qat/config.h"
#include "qat/pipeline.h"
#include "qat/prune.h"

/* ---- config -------------------------------------------------------------------------- */

static char ini_path[64];

static const char *write_ini(const char *text) {
    snprintf(ini_path, sizeof ini_path, "/tmp/qat_layers2d_%d.ini", (int)getpid());
    FILE *f = fopen(ini_path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
    return ini_path;
}

static qat_config cfg; /* large: off the stack */

static qat_status load(const char *text, qat_error *e) {
    memset(e, 0, sizeof *e);
    qat_status s = qat_config_load(write_ini(text), &cfg, e);
    unlink(ini_path);
    return s;
}

#define DATA2D "[data]\nsource = shapes\nclasses = square, disk\nheight = 12\nwidth = 10\n" \
               "channels = 1\n"

/* Loading fails, and the message names file:line and contains `part`. */
static void expect_error(const char *text, int line, const char *part) {
    qat_error e;
    assert_int_equal(load(text, &e), QAT_ERR_CONFIG);
    char where[96];
    snprintf(where, sizeof where, "%s:%d: ", ini_path, line);
    if (line > 0 && strncmp(e.msg, where, strlen(where))) {
        print_error("message: %s\nexpected prefix: %s\n", e.msg, where);
        fail();
    }
    if (!strstr(e.msg, part)) {
        print_error("message: %s\nexpected to contain: %s\n", e.msg, part);
        fail();
    }
}

static void test_config_2d_keys(void **state) {
    (void)state;
    qat_error e;
    assert_int_equal(load(DATA2D
                          "[layer.c]\ntype = conv2d\nfilters = 4\nkernel = 3, 2\nstrides = 2, 1\n"
                          "padding = same\nactivation = relu6\nuse_bias = false\n"
                          "[layer.d]\ntype = depthwise_conv2d\nkernel = 3\ndepth_multiplier = 2\n"
                          "[layer.s]\ntype = separable_conv2d\nunits = 6\nkernel = 1, 3\n"
                          "[layer.p]\ntype = avgpool2d\npool = 2, 3\n"
                          "[layer.m]\ntype = maxpool2d\nstrides = 1\npool = 2\n"
                          "[layer.g]\ntype = global_avgpool\n"
                          "[layer.o]\ntype = dense\nunits = 2\n",
                          &e),
                     QAT_OK);
    assert_int_equal(cfg.data.window, 120); /* height × width */
    const qat_layer_spec *c = &cfg.layers[0], *d = &cfg.layers[1], *s = &cfg.layers[2];
    const qat_layer_spec *p = &cfg.layers[3], *m = &cfg.layers[4];
    assert_int_equal(c->kind, QAT_LAYER_CONV2D);
    assert_int_equal(c->kernel_h * 10 + c->kernel_w, 32);
    assert_int_equal(c->stride_h * 10 + c->stride_w, 21);
    assert_int_equal(c->padding, QAT_PAD_SAME);
    assert_int_equal(c->use_bias, 0);
    assert_int_equal(c->prune, 1);
    assert_int_equal(d->depth_multiplier, 2);
    assert_int_equal(d->stride_h * 10 + d->stride_w, 11); /* convs: stride 1 by default */
    assert_int_equal(s->units, 6);
    assert_int_equal(s->depth_multiplier, 1);
    assert_int_equal(p->pool_h * 10 + p->pool_w, 23);
    assert_int_equal(p->stride_h * 10 + p->stride_w, 23); /* pools: the pool size */
    assert_int_equal(m->stride_h * 10 + m->stride_w, 11); /* given strides stay */
    /* 1-D configs are untouched */
    assert_int_equal(load("[data]\nwindow = 40\n", &e), QAT_OK);
    assert_int_equal(cfg.data.height, 0);
    assert_int_equal(cfg.data.window, 40);
}

static void test_config_2d_errors(void **state) {
    (void)state;
    /* a 2-D layer on 1-D data, and a 1-D layer on images */
    expect_error("[layer.c]\ntype = conv2d\nfilters = 4\nkernel = 3\n[layer.o]\ntype = dense\n"
                 "units = 3\n", 1, "[layer.c] type: conv2d needs a 2-D (height, width, channels)");
    expect_error(DATA2D "[layer.c]\ntype = conv1d\nfilters = 4\nkernel = 3\n"
                 "[layer.o]\ntype = dense\nunits = 2\n", 7, "conv1d needs a 1-D (window, channels)");
    /* dense straight on a map */
    expect_error(DATA2D "[layer.c]\ntype = conv2d\nfilters = 4\nkernel = 3\n"
                 "[layer.o]\ntype = dense\nunits = 2\n", 11, "[layer.o] type: dense needs a flat input");
    /* the map shrinks below 1: 12×10, valid 3×3 stride 1 → 10×8, pool 4 → 2×2, kernel 3 */
    expect_error(DATA2D "[layer.c]\ntype = conv2d\nfilters = 4\nkernel = 3\n"
                 "[layer.p]\ntype = maxpool2d\npool = 4\n"
                 "[layer.k]\ntype = conv2d\nfilters = 4\nkernel = 3\n"
                 "[layer.f]\ntype = flatten\n[layer.o]\ntype = dense\nunits = 2\n",
                 14, "[layer.k] kernel: a 3×3 valid window does not fit the 2×2 input map");
    /* missing keys, ranges, pairs */
    expect_error(DATA2D "[layer.c]\ntype = conv2d\nfilters = 4\n[layer.f]\ntype = flatten\n"
                 "[layer.o]\ntype = dense\nunits = 2\n", 7, "[layer.c] kernel: missing");
    expect_error(DATA2D "[layer.c]\ntype = conv2d\nkernel = 3\n", 7, "[layer.c] filters: missing");
    expect_error(DATA2D "[layer.c]\ntype = conv2d\nkernel = 3, 2, 1\n", 9, "more than 2 numbers");
    expect_error(DATA2D "[layer.c]\ntype = conv2d\nstrides = 0\n", 9, "out of range");
    expect_error(DATA2D "[layer.c]\ntype = depthwise_conv2d\nfilters = 3\n", 9,
                 "not a key of depthwise_conv2d layers");
    expect_error(DATA2D "[layer.c]\ntype = maxpool2d\ndepth_multiplier = 2\n", 9,
                 "not a key of maxpool2d layers");
    /* the input shape */
    expect_error("[data]\nsource = shapes\nclasses = disk, cross\nheight = 12\nchannels = 1\n", 0,
                 "[data] width: missing (2-D input needs both height and width)");
    expect_error("[data]\nheight = 12\nwidth = 12\n", 0, "[data] source: builtin reads 1-D");
    expect_error("[data]\nsource = shapes\nclasses = disk, star\nheight = 12\nwidth = 12\n"
                 "channels = 1\n", 0, "'star' is not a shape of the generator");
    expect_error("[data]\nsource = shapes\nclasses = disk, cross\nheight = 12\nwidth = 12\n", 0,
                 "[data] channels: the shapes generator makes 1 channel");
}

/* ---- the shape rule ------------------------------------------------------------------ */

static qat_shape out_of(qat_layer_kind kind, int in_h, int in_w, int k, int stride, qat_padding pad) {
    qat_layer_spec s = {.kind = kind, .units = 5, .kernel_h = k, .kernel_w = k, .pool_h = k,
                        .pool_w = k, .stride_h = stride, .stride_w = stride, .padding = pad,
                        .depth_multiplier = 2};
    qat_shape in = qat_input_shape(in_h, in_w, 0, 3), out;
    char why[128];
    assert_int_equal(qat_layer_output_shape(&s, &in, &out, why, sizeof why), QAT_OK);
    assert_int_equal(out.ndim, 3);
    return out;
}

static void test_shape_rule(void **state) {
    (void)state;
    /* TensorFlow: SAME out = ceil(in / s); VALID out = floor((in - k) / s) + 1 */
    qat_shape a = out_of(QAT_LAYER_CONV2D, 7, 8, 3, 2, QAT_PAD_SAME);
    assert_int_equal(a.dim[0], 4); /* odd: ceil(7/2) */
    assert_int_equal(a.dim[1], 4); /* even: 8/2 */
    assert_int_equal(a.dim[2], 5); /* filters */
    qat_shape b = out_of(QAT_LAYER_CONV2D, 7, 8, 3, 2, QAT_PAD_VALID);
    assert_int_equal(b.dim[0], 3); /* (7-3)/2 + 1 */
    assert_int_equal(b.dim[1], 3); /* (8-3)/2 + 1 = 3 (floor) */
    qat_shape c = out_of(QAT_LAYER_DEPTHWISE_CONV2D, 9, 9, 3, 1, QAT_PAD_VALID);
    assert_int_equal(c.dim[0] * 100 + c.dim[1], 707);
    assert_int_equal(c.dim[2], 6); /* C·M */
    qat_shape d = out_of(QAT_LAYER_MAXPOOL2D, 5, 4, 2, 2, QAT_PAD_SAME);
    assert_int_equal(d.dim[0] * 100 + d.dim[1] * 10 + d.dim[2], 323);
    qat_shape e = out_of(QAT_LAYER_AVGPOOL2D, 5, 4, 2, 2, QAT_PAD_VALID);
    assert_int_equal(e.dim[0] * 100 + e.dim[1] * 10 + e.dim[2], 223);
    /* global average pooling: (H, W, C) → (C) and (T, C) → (C) */
    qat_layer_spec g = {.kind = QAT_LAYER_GLOBAL_AVGPOOL};
    qat_shape in = qat_input_shape(6, 5, 0, 7), in1 = qat_input_shape(0, 0, 9, 4), out;
    char why[128];
    assert_int_equal(qat_layer_output_shape(&g, &in, &out, why, sizeof why), QAT_OK);
    assert_int_equal(out.ndim * 100 + out.dim[0], 107);
    assert_int_equal(qat_layer_output_shape(&g, &in1, &out, why, sizeof why), QAT_OK);
    assert_int_equal(out.ndim * 100 + out.dim[0], 104);
    /* and the model builds exactly these shapes (it asserts the same routine) */
    qat_layer_spec l[3] = {
        {.name = "c", .kind = QAT_LAYER_CONV2D, .units = 3, .kernel_h = 3, .kernel_w = 2,
         .stride_h = 2, .stride_w = 2, .padding = QAT_PAD_SAME, .use_bias = 1},
        {.name = "f", .kind = QAT_LAYER_FLATTEN},
        {.name = "o", .kind = QAT_LAYER_DENSE, .units = 2, .use_bias = 1}};
    qat_model m;
    qat_error err;
    qat_shape img = qat_input_shape(7, 8, 0, 1);
    assert_int_equal(qat_model_build_shape(&m, l, 3, &img, 2, 4, 0, &err), QAT_OK);
    const qat_node *y = &m.g.nodes[m.layer[0].out];
    assert_int_equal(y->dim[0] * 100 + y->dim[1] * 10 + y->dim[2], 443);
    assert_int_equal(m.g.nodes[m.layer[1].out].dim[0], 48);
    assert_int_equal(m.window, 56);
    qat_model_free(&m);
}

/* ---- the generator ------------------------------------------------------------------- */

static void shapes_cfg(qat_data_config *d, int h, int w) {
    static const char *const names[] = {"square", "hollow", "disk", "cross", "hbar", "vbar"};
    memset(d, 0, sizeof *d);
    d->source = QAT_DATA_SHAPES;
    d->n_classes = 6;
    for (int i = 0; i < 6; i++) snprintf(d->classes[i], QAT_NAME_MAX, "%s", names[i]);
    d->height = h;
    d->width = w;
    d->window = h * w;
    d->channels = 1;
    d->samples_per_class = 20;
}

static void test_generator(void **state) {
    (void)state;
    qat_data_config dc;
    shapes_cfg(&dc, 12, 9);
    qat_dataset a, b, c;
    qat_error e;
    assert_int_equal(qat_data_load(&dc, 7, &a, &e), QAT_OK);
    assert_int_equal(qat_data_load(&dc, 7, &b, &e), QAT_OK);
    assert_int_equal(qat_data_load(&dc, 8, &c, &e), QAT_OK);
    assert_int_equal(a.n, 120);
    assert_int_equal(a.height * 100 + a.width, 1209);
    assert_int_equal(a.window, 108);
    assert_int_equal(a.channels, 1);
    size_t bytes = (size_t)a.n * 108 * sizeof(float);
    assert_memory_equal(a.x, b.x, bytes); /* the same seed: the same images */
    assert_memory_equal(a.y, b.y, (size_t)a.n * sizeof(int));
    assert_true(memcmp(a.x, c.x, bytes) != 0); /* another seed: others */
    for (int i = 0; i < a.n; i++) assert_int_equal(a.y[i], i / 20);
    /* The classes really differ: a bar's bright pixels lie along one axis. Per image,
     * the mean row- and column-spread of pixels above half the brightness: hbar images are
     * wider than tall, vbar images taller than wide, on average over their class. */
    double spread[6][2] = {{0}};
    for (int i = 0; i < a.n; i++) {
        const float *x = a.x + (size_t)i * 108;
        float top = 0;
        for (int k = 0; k < 108; k++) top = x[k] > top ? x[k] : top;
        int r0 = 99, r1 = -1, c0 = 99, c1 = -1;
        for (int r = 0; r < 12; r++)
            for (int q = 0; q < 9; q++)
                if (x[r * 9 + q] > 0.6f * top) {
                    r0 = r < r0 ? r : r0, r1 = r > r1 ? r : r1;
                    c0 = q < c0 ? q : c0, c1 = q > c1 ? q : c1;
                }
        spread[a.y[i]][0] += r1 - r0;
        spread[a.y[i]][1] += c1 - c0;
    }
    assert_true(spread[4][1] > 2 * spread[4][0]); /* hbar */
    assert_true(spread[5][0] > 2 * spread[5][1]); /* vbar */
    qat_dataset_free(&a);
    qat_dataset_free(&b);
    qat_dataset_free(&c);
}

/* ---- initialisers -------------------------------------------------------------------- */

/* Every weight within Keras' Glorot limit sqrt(6 / (fan_in + fan_out)), and the largest
 * close to it (the kernels are large enough that a uniform draw gets within 10 %). */
static void assert_glorot(const qat_node *w, int fan_in, int fan_out) {
    double limit = sqrt(6.0 / (fan_in + fan_out)), top = 0;
    for (size_t i = 0; i < w->size; i++) top = fabs(w->val[i]) > top ? fabs(w->val[i]) : top;
    if (!(top <= limit && top > 0.9 * limit)) {
        print_error("%s: max |w| %g, Glorot limit %g (fans %d, %d)\n", w->name, top, limit,
                    fan_in, fan_out);
        fail();
    }
}

static void test_init_fans(void **state) {
    (void)state;
    /* input 10×10×3; fans worked out by hand from Keras' compute_fans */
    qat_layer_spec l[5] = {
        {.name = "c", .kind = QAT_LAYER_CONV2D, .units = 40, .kernel_h = 3, .kernel_w = 5,
         .stride_h = 1, .stride_w = 1, .padding = QAT_PAD_SAME, .use_bias = 1},
        {.name = "d", .kind = QAT_LAYER_DEPTHWISE_CONV2D, .kernel_h = 5, .kernel_w = 5,
         .stride_h = 1, .stride_w = 1, .padding = QAT_PAD_SAME, .depth_multiplier = 3,
         .use_bias = 1},
        {.name = "s", .kind = QAT_LAYER_SEPARABLE_CONV2D, .units = 64, .kernel_h = 3,
         .kernel_w = 3, .stride_h = 1, .stride_w = 1, .depth_multiplier = 2, .use_bias = 1},
        {.name = "g", .kind = QAT_LAYER_GLOBAL_AVGPOOL},
        {.name = "o", .kind = QAT_LAYER_DENSE, .units = 2, .use_bias = 1}};
    qat_model m;
    qat_error e;
    qat_shape in = qat_input_shape(10, 10, 0, 3);
    assert_int_equal(qat_model_build_shape(&m, l, 5, &in, 2, 2, 0, &e), QAT_OK);
    qat_rng r;
    qat_rng_seed(&r, 3, QAT_STREAM_INIT);
    qat_model_init(&m, &r);
    const qat_node *n = m.g.nodes;
    assert_glorot(&n[m.layer[0].w], 3 * 5 * 3, 3 * 5 * 40);  /* conv2d (40, 3, 5, 3) */
    assert_glorot(&n[m.layer[1].w], 5 * 5 * 40, 5 * 5 * 3);  /* depthwise (5,5,C=40,M=3) */
    assert_glorot(&n[m.layer[2].dw], 3 * 3 * 120, 3 * 3 * 2); /* separable's depthwise */
    assert_glorot(&n[m.layer[2].w], 240, 64);                 /* its pointwise 1×1 */
    assert_int_equal(m.layer[2].mid >= 0, 1);
    assert_int_equal(n[m.layer[2].mid].dim[2], 240);
    /* parameters and MACs per layer: separable = depthwise 3·3·240 + pointwise 64·240 + 64 */
    assert_int_equal(qat_model_layer_params(&m, 2), 9 * 240 + 64 * 240 + 64);
    assert_int_equal(qat_model_layer_macs(&m, 2), 8L * 8 * (9 * 240 + 64 * 240));
    assert_int_equal(qat_model_layer_macs(&m, 1), 10L * 10 * 25 * 120);
    qat_model_free(&m);
}

/* ---- pruning ------------------------------------------------------------------------- */

static int sep_stack(qat_layer_spec *l) {
    memset(l, 0, 5 * sizeof *l);
    l[0] = (qat_layer_spec){.name = "c", .kind = QAT_LAYER_CONV2D, .units = 8, .kernel_h = 3,
                            .kernel_w = 3, .stride_h = 1, .stride_w = 1, .use_bias = 1,
                            .activation = QAT_ACT_RELU, .prune = 1};
    l[1] = (qat_layer_spec){.name = "s", .kind = QAT_LAYER_SEPARABLE_CONV2D, .units = 8,
                            .kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2,
                            .padding = QAT_PAD_SAME, .depth_multiplier = 2, .use_bias = 1,
                            .activation = QAT_ACT_RELU, .prune = 1};
    l[2] = (qat_layer_spec){.name = "d", .kind = QAT_LAYER_DEPTHWISE_CONV2D, .kernel_h = 2,
                            .kernel_w = 2, .stride_h = 1, .stride_w = 1, .depth_multiplier = 1,
                            .use_bias = 1, .prune = 1};
    l[3] = (qat_layer_spec){.name = "f", .kind = QAT_LAYER_FLATTEN};
    l[4] = (qat_layer_spec){.name = "o", .kind = QAT_LAYER_DENSE, .units = 3, .use_bias = 1};
    return 5;
}

static void random_params(qat_model *m, unsigned seed) {
    qat_rng r;
    qat_rng_seed(&r, seed, QAT_STREAM_INIT);
    qat_model_init(m, &r);
    for (int i = 0; i < m->n_layers; i++) /* nonzero biases, so dropped filters matter */
        if (m->layer[i].b >= 0)
            for (size_t k = 0; k < m->g.nodes[m->layer[i].b].size; k++)
                m->g.nodes[m->layer[i].b].val[k] = (float)(0.2 * qat_rng_normal(&r));
}

/* Magnitude pruning reaches both separable halves and the conv2d / depthwise kernels; the
 * mask file names each kernel. */
static void test_prune_masks_2d(void **state) {
    (void)state;
    qat_layer_spec l[5];
    qat_model m;
    qat_error e;
    qat_shape in = qat_input_shape(9, 8, 0, 2);
    assert_int_equal(qat_model_build_shape(&m, l, sep_stack(l), &in, 3, 4, 1, &e), QAT_OK);
    random_params(&m, 5);
    int masks[4] = {m.layer[0].mask, m.layer[1].dw_mask, m.layer[1].mask, m.layer[2].mask};
    for (int k = 0; k < 4; k++) assert_true(masks[k] >= 0);
    assert_int_equal(m.layer[4].mask, -1); /* prune = 0 */
    assert_int_equal(qat_prune_update(&m.g, 0.5), 0);
    qat_prune_enforce(&m.g, NULL);
    for (int k = 0; k < 4; k++) {
        const qat_node *n = &m.g.nodes[masks[k]];
        const qat_node *w = &m.g.nodes[n->in[0]];
        size_t zeros = 0;
        for (size_t j = 0; j < n->size; j++) {
            zeros += m.g.state[n->offset + j] == 0;
            if (m.g.state[n->offset + j] == 0) assert_true(w->val[j] == 0);
        }
        assert_int_equal(zeros, (size_t)llround(0.5 * (double)n->size));
    }
    char path[64];
    snprintf(path, sizeof path, "/tmp/qat_layers2d_%d.json", (int)getpid());
    assert_int_equal(qat_mask_json_write(&m.g, path, &e), QAT_OK);
    FILE *f = fopen(path, "r");
    char text[4096] = "";
    assert_non_null(f);
    size_t got = fread(text, 1, sizeof text - 1, f);
    text[got] = 0;
    fclose(f);
    unlink(path);
    assert_non_null(strstr(text, "\"layer\": \"s/depthwise\""));
    assert_non_null(strstr(text, "\"layer\": \"s\""));
    assert_non_null(strstr(text, "\"layer\": \"d\""));
    qat_model_free(&m);
}

static void logits(qat_model *m, const float *x, int n, float *out) {
    qat_model_logits(m, x, n, out);
}

/* Structured pruning of a 2-D model gives the logits of the original with the dropped
 * filters zeroed (kernel rows and biases): two filters of the conv2d and of the separable's
 * pointwise half are made clearly the weakest, so they are the ones dropped at 25 %; the
 * separable's depthwise half and the depthwise layer lose the matching channels. */
static void test_structured_2d(void **state) {
    (void)state;
    qat_layer_spec l[5];
    qat_model m, s;
    qat_error e;
    qat_shape in = qat_input_shape(9, 8, 0, 2);
    int n = sep_stack(l);
    assert_int_equal(qat_model_build_shape(&m, l, n, &in, 3, 4, 0, &e), QAT_OK);
    random_params(&m, 9);
    const int weak[2][2] = {{1, 6}, {0, 5}}; /* conv2d rows, pointwise rows */
    const int layer[2] = {0, 1};
    for (int k = 0; k < 2; k++) {
        qat_node *w = &m.g.nodes[m.layer[layer[k]].w];
        size_t row = w->size / (size_t)w->dim[0];
        for (int r = 0; r < 2; r++)
            for (size_t j = 0; j < row; j++) w->val[weak[k][r] * row + j] *= 1e-3f;
    }
    assert_int_equal(qat_prune_structured(&m, 0.25, 4, &s, &e), QAT_OK);
    assert_int_equal(s.g.nodes[s.layer[0].w].dim[0], 6);
    assert_int_equal(s.g.nodes[s.layer[1].dw].dim[3], 12); /* 6 channels × M 2 */
    assert_int_equal(s.g.nodes[s.layer[1].w].dim[0], 6);
    assert_int_equal(s.g.nodes[s.layer[2].w].dim[3], 6);   /* depthwise follows */
    /* the reference: the original with those filters zeroed */
    for (int k = 0; k < 2; k++) {
        qat_node *w = &m.g.nodes[m.layer[layer[k]].w];
        size_t row = w->size / (size_t)w->dim[0];
        for (int r = 0; r < 2; r++) {
            for (size_t j = 0; j < row; j++) w->val[weak[k][r] * row + j] = 0;
            m.g.nodes[m.layer[layer[k]].b].val[weak[k][r]] = 0;
        }
    }
    /* the depthwise layer after the separable loses those channels whole, bias included
     * (as a batch norm after a dropped conv1d filter loses its beta) */
    for (int r = 0; r < 2; r++) m.g.nodes[m.layer[2].b].val[weak[1][r]] = 0;
    float x[4 * 144], a[12], b[12]; /* 4 samples of 9×8×2 */
    qat_rng r;
    qat_rng_seed(&r, 4, 1);
    for (int i = 0; i < 4 * 144; i++) x[i] = (float)qat_rng_normal(&r);
    logits(&m, x, 4, a);
    logits(&s, x, 4, b);
    for (int i = 0; i < 12; i++) assert_float_equal(a[i], b[i], 1e-5 * (1 + fabs(a[i])));
    qat_model_free(&m);
    qat_model_free(&s);
}

/* A separable layer is Keras' depthwise (no bias, the layer's strides, padding and
 * multiplier) followed by a 1×1 conv2d with the bias and the activation: the same model
 * written as those two layers, with the weights copied, gives the same logits. */
static void test_separable_is_depthwise_then_pointwise(void **state) {
    (void)state;
    qat_layer_spec a[3] = {
        {.name = "s", .kind = QAT_LAYER_SEPARABLE_CONV2D, .units = 5, .kernel_h = 3,
         .kernel_w = 2, .stride_h = 2, .stride_w = 1, .padding = QAT_PAD_SAME,
         .depth_multiplier = 2, .use_bias = 1, .activation = QAT_ACT_RELU6},
        {.name = "f", .kind = QAT_LAYER_FLATTEN},
        {.name = "o", .kind = QAT_LAYER_DENSE, .units = 3, .use_bias = 1}};
    qat_layer_spec b[4] = {
        {.name = "d", .kind = QAT_LAYER_DEPTHWISE_CONV2D, .kernel_h = 3, .kernel_w = 2,
         .stride_h = 2, .stride_w = 1, .padding = QAT_PAD_SAME, .depth_multiplier = 2},
        {.name = "p", .kind = QAT_LAYER_CONV2D, .units = 5, .kernel_h = 1, .kernel_w = 1,
         .stride_h = 1, .stride_w = 1, .use_bias = 1, .activation = QAT_ACT_RELU6},
        {.name = "f", .kind = QAT_LAYER_FLATTEN},
        {.name = "o", .kind = QAT_LAYER_DENSE, .units = 3, .use_bias = 1}};
    qat_model ma, mb;
    qat_error e;
    qat_shape in = qat_input_shape(7, 6, 0, 3);
    assert_int_equal(qat_model_build_shape(&ma, a, 3, &in, 3, 4, 0, &e), QAT_OK);
    assert_int_equal(qat_model_build_shape(&mb, b, 4, &in, 3, 4, 0, &e), QAT_OK);
    random_params(&ma, 11);
    int from[4] = {ma.layer[0].dw, ma.layer[0].w, ma.layer[0].b, ma.layer[2].w};
    int to[4] = {mb.layer[0].w, mb.layer[1].w, mb.layer[1].b, mb.layer[3].w};
    for (int k = 0; k < 4; k++) {
        assert_int_equal(ma.g.nodes[from[k]].size, mb.g.nodes[to[k]].size);
        memcpy(mb.g.nodes[to[k]].val, ma.g.nodes[from[k]].val,
               ma.g.nodes[from[k]].size * sizeof(float));
    }
    memcpy(mb.g.nodes[mb.layer[3].b].val, ma.g.nodes[ma.layer[2].b].val, 3 * sizeof(float));
    float x[2 * 126], la[6], lb[6];
    qat_rng r;
    qat_rng_seed(&r, 6, 1);
    for (int i = 0; i < 2 * 126; i++) x[i] = (float)qat_rng_normal(&r);
    logits(&ma, x, 2, la);
    logits(&mb, x, 2, lb);
    for (int i = 0; i < 6; i++) assert_float_equal(la[i], lb[i], 1e-6 * (1 + fabs(la[i])));
    qat_model_free(&ma);
    qat_model_free(&mb);
}

/* ---- checkpoints --------------------------------------------------------------------- */

static void test_checkpoint_shape(void **state) {
    (void)state;
    qat_layer_spec l[5];
    qat_model a, b, c;
    qat_error e;
    int n = sep_stack(l);
    qat_shape in = qat_input_shape(9, 8, 0, 2), other = qat_input_shape(8, 9, 0, 2);
    assert_int_equal(qat_model_build_shape(&a, l, n, &in, 3, 4, 0, &e), QAT_OK);
    assert_int_equal(qat_model_build_shape(&b, l, n, &in, 3, 4, 0, &e), QAT_OK);
    random_params(&a, 2);
    char path[64];
    snprintf(path, sizeof path, "/tmp/qat_layers2d_%d.ckpt", (int)getpid());
    assert_int_equal(qat_checkpoint_save(&a, path, &e), QAT_OK);
    assert_int_equal(qat_checkpoint_load(&b, path, &e), QAT_OK);
    assert_memory_equal(a.g.params, b.g.params, a.g.n_params * sizeof(float));
    /* 8×9 has the same positions (window 72) and parameter count: the shape must tell */
    assert_int_equal(qat_model_build_shape(&c, l, n, &other, 3, 4, 0, &e), QAT_OK);
    assert_int_equal(c.g.n_params, a.g.n_params);
    assert_int_not_equal(qat_checkpoint_load(&c, path, &e), QAT_OK);
    /* and so must the strides */
    qat_model_free(&c);
    l[1].stride_h = l[1].stride_w = 1;
    assert_int_equal(qat_model_build_shape(&c, l, n, &in, 3, 4, 0, &e), QAT_OK);
    assert_int_not_equal(qat_checkpoint_load(&c, path, &e), QAT_OK);
    unlink(path);
    qat_model_free(&a);
    qat_model_free(&b);
    qat_model_free(&c);
}

/* ---- float training of the shipped 2-D configs ---------------------------------------- */

/* Trains the config's float phase (its QAT and pruning phases are not run here: the
 * principle tests cover them) and returns the test accuracy. */
static double train_config(const char *path) {
    static qat_pipeline p;
    qat_error e = {0};
    qat_status st = qat_config_load(path, &cfg, &e);
    if (st) print_error("%s\n", e.msg);
    assert_int_equal(st, QAT_OK);
    qat_pipeline_init(&p, &cfg);
    st = qat_pipeline_data(&p, &e);
    if (!st) st = qat_pipeline_build(&p, &e);
    if (!st) st = qat_pipeline_train(&p, NULL, NULL, &e);
    if (st) print_error("%s\n", e.msg);
    assert_int_equal(st, QAT_OK);
    assert_int_equal(p.model.in.ndim, 3);
    double acc = p.test_accuracy;
    qat_pipeline_free(&p);
    return acc;
}

/* Six classes (chance 1/6). Over seeds 1-5 the test accuracies were 0.925-0.989 (conv2d,
 * mean 0.971, sd 0.026) and 0.892-0.942 (separable, mean 0.919, sd 0.024); 0.75 sits more
 * than 5 sd below both means and far above chance, so a model that learns little (a broken
 * gradient, initialiser or data path) fails while seed noise does not. */
static void test_train_conv2d_shapes(void **state) {
    (void)state;
    double acc = train_config("configs/experiments/conv2d_shapes.ini");
    if (acc < 0.75) print_error("conv2d_shapes: test accuracy %g\n", acc);
    assert_true(acc >= 0.75);
}

static void test_train_separable_shapes(void **state) {
    (void)state;
    double acc = train_config("configs/experiments/separable_shapes.ini");
    if (acc < 0.75) print_error("separable_shapes: test accuracy %g\n", acc);
    assert_true(acc >= 0.75);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_2d_keys),
        cmocka_unit_test(test_config_2d_errors),
        cmocka_unit_test(test_shape_rule),
        cmocka_unit_test(test_generator),
        cmocka_unit_test(test_init_fans),
        cmocka_unit_test(test_prune_masks_2d),
        cmocka_unit_test(test_structured_2d),
        cmocka_unit_test(test_separable_is_depthwise_then_pointwise),
        cmocka_unit_test(test_checkpoint_shape),
        cmocka_unit_test(test_train_conv2d_shapes),
        cmocka_unit_test(test_train_separable_shapes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
