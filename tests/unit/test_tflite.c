/* TFLite writer and reader: a hand-built IR using every operator round-trips field by field;
 * the written bytes follow the format rules (identifier, version, sentinel buffer, aligned
 * constants, explicit options, both op-code fields, versions, min_runtime_version); op
 * versions follow TensorFlow's table; all 15 golden models read and match their meta.json,
 * and survive re-serialization; each malformation is a one-line QAT_ERR_FORMAT naming the
 * file; every truncation and byte mutation of a model fails cleanly or parses. Run from the
 * repository root. The golden models are external test data (tests/common/testdata.h:
 * $QATRAIN_TEST_DATA/reference/tflm-golden); the tests that read them are skipped, with the
 * reason, when it is absent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "qat/flatbuf.h"
#include "qat/io.h"
#include "qat/ir.h"
#include "qat/tflite.h"
#include "testdata.h"

/* ---- a hand-built IR with every operator -------------------------------------------- */

static int add(qat_ir *ir, const char *name, qat_ir_type type, int ndim, const int *dim, int nq,
               int axis, int qmin, int qmax, float s0, int zp0, const void *data, size_t bytes) {
    float sc[16];
    int32_t zp[16];
    for (int i = 0; i < nq; i++) {
        sc[i] = s0 * (1.0f + 0.25f * (float)i);
        zp[i] = zp0;
    }
    qat_qparams q = {
        .n = nq, .axis = axis, .qmin = qmin, .qmax = qmax, .scale = sc, .zero_point = zp};
    int t = qat_ir_add_tensor(ir, name, type, ndim, dim, nq ? &q : NULL, data, bytes);
    assert_true(t >= 0);
    return t;
}

static qat_ir_node node(qat_ir_opcode op, int n_in, int a, int b, int c, int out) {
    qat_ir_node n;
    memset(&n, 0, sizeof n);
    n.op = op;
    n.n_in = n_in;
    n.in[0] = a;
    n.in[1] = b;
    n.in[2] = c;
    n.out = out;
    return n;
}

/* float input → QUANTIZE → RESHAPE(+shape) → CONV_2D → DEPTHWISE → MAX_POOL →
 * AVERAGE_POOL → RESHAPE → FULLY_CONNECTED → SOFTMAX → DEQUANTIZE → float output; with
 * uint8_io, the interface the converter writes for inference_input_type / output_type
 * tf.uint8: uint8 input → QUANTIZE → ... SOFTMAX → QUANTIZE → uint8 output, each uint8 tensor
 * on its int8 neighbour's scale with the zero point + 128. */
static void build_ir_io(qat_ir *ir, int uint8_io) {
    qat_ir_init(ir);
    int8_t w1[36], w2[24], w3[24];
    int32_t b1[4] = {100, -200, 300, -400}, b2[8], b3[3] = {-7, 0, 7};
    for (int i = 0; i < 36; i++) w1[i] = (int8_t)(i * 7 % 255 - 127);
    for (int i = 0; i < 24; i++) w2[i] = (int8_t)(i * 11 % 255 - 127), w3[i] = (int8_t)(i - 12);
    for (int i = 0; i < 8; i++) b2[i] = i * 1000 - 3000;
    const int32_t shape_a[4] = {1, 1, 8, 3};
    const int d_in[] = {1, 8, 3}, d4[] = {4}, d_x[] = {1, 1, 8, 3}, d_w1[] = {4, 1, 3, 3},
              d_c[] = {1, 1, 6, 4}, d_w2[] = {1, 1, 3, 8}, d8[] = {8}, d_dw[] = {1, 1, 4, 8},
              d_mp[] = {1, 1, 2, 8}, d_ap[] = {1, 1, 1, 8}, d_fl[] = {1, 8}, d_w3[] = {3, 8},
              d3[] = {3}, d_o[] = {1, 3};
    const int A = -128, B = 127, I0 = INT32_MIN, I1 = INT32_MAX;
    if (uint8_io)
        add(ir, "input", QAT_IR_UINT8, 3, d_in, 1, 0, 0, 255, 0.05f, 125, NULL, 0); /* 0 */
    else
        add(ir, "input", QAT_IR_FLOAT32, 3, d_in, 0, 0, 0, 0, 0, 0, NULL, 0);      /* 0 */
    add(ir, "input_q", QAT_IR_INT8, 3, d_in, 1, 0, A, B, 0.05f, -3, NULL, 0);      /* 1 */
    add(ir, "reshape/shape", QAT_IR_INT32, 1, d4, 0, 0, 0, 0, 0, 0, shape_a, 16);  /* 2 */
    add(ir, "x4d", QAT_IR_INT8, 4, d_x, 1, 0, A, B, 0.05f, -3, NULL, 0);           /* 3 */
    add(ir, "conv/w", QAT_IR_INT8, 4, d_w1, 4, 0, -127, B, 0.002f, 0, w1, 36);     /* 4 */
    add(ir, "conv/b", QAT_IR_INT32, 1, d4, 4, 0, I0, I1, 0.0001f, 0, b1, 16);      /* 5 */
    add(ir, "conv/out", QAT_IR_INT8, 4, d_c, 1, 0, A, B, 0.04f, -128, NULL, 0);    /* 6 */
    add(ir, "dw/w", QAT_IR_INT8, 4, d_w2, 8, 3, -127, B, 0.003f, 0, w2, 24);       /* 7 */
    add(ir, "dw/b", QAT_IR_INT32, 1, d8, 8, 0, I0, I1, 0.00012f, 0, b2, 32);       /* 8 */
    add(ir, "dw/out", QAT_IR_INT8, 4, d_dw, 1, 0, A, B, 0.03f, -128, NULL, 0);     /* 9 */
    add(ir, "maxpool/out", QAT_IR_INT8, 4, d_mp, 1, 0, A, B, 0.03f, -128, NULL, 0);/* 10 */
    add(ir, "avgpool/out", QAT_IR_INT8, 4, d_ap, 1, 0, A, B, 0.03f, -128, NULL, 0);/* 11 */
    add(ir, "flat", QAT_IR_INT8, 2, d_fl, 1, 0, A, B, 0.03f, -128, NULL, 0);       /* 12 */
    add(ir, "fc/w", QAT_IR_INT8, 2, d_w3, 1, 0, -127, B, 0.01f, 0, w3, 24);        /* 13 */
    add(ir, "fc/b", QAT_IR_INT32, 1, d3, 1, 0, I0, I1, 0.0003f, 0, b3, 12);        /* 14 */
    add(ir, "logits", QAT_IR_INT8, 2, d_o, 1, 0, A, B, 0.09f, -12, NULL, 0);       /* 15 */
    add(ir, "probs", QAT_IR_INT8, 2, d_o, 1, 0, A, B, 1.0f / 256, -128, NULL, 0);  /* 16 */
    if (uint8_io)
        add(ir, "output", QAT_IR_UINT8, 2, d_o, 1, 0, 0, 255, 1.0f / 256, 0, NULL, 0); /* 17 */
    else
        add(ir, "output", QAT_IR_FLOAT32, 2, d_o, 0, 0, 0, 0, 0, 0, NULL, 0);      /* 17 */
    ir->input = 0;
    ir->output = 17;

    qat_ir_node n = node(QAT_IR_QUANTIZE, 1, 0, -1, -1, 1);
    assert_true(qat_ir_add_node(ir, &n) >= 0);
    n = node(QAT_IR_RESHAPE, 2, 1, 2, -1, 3);
    assert_true(qat_ir_add_node(ir, &n) >= 0);
    n = node(QAT_IR_CONV_2D, 3, 3, 4, 5, 6);
    n.padding = QAT_IR_PAD_VALID;
    n.stride_w = n.stride_h = 1;
    n.dilation_w = n.dilation_h = 1;
    n.act = QAT_IR_ACT_RELU;
    assert_true(qat_ir_add_node(ir, &n) >= 0);
    n = node(QAT_IR_DEPTHWISE_CONV_2D, 3, 6, 7, 8, 9);
    n.padding = QAT_IR_PAD_SAME;
    n.stride_w = 2;
    n.stride_h = 1;
    n.dilation_w = n.dilation_h = 1;
    n.depth_multiplier = 2;
    n.act = QAT_IR_ACT_RELU6;
    assert_true(qat_ir_add_node(ir, &n) >= 0);
    n = node(QAT_IR_MAX_POOL_2D, 1, 9, -1, -1, 10);
    n.padding = QAT_IR_PAD_VALID;
    n.stride_w = 2;
    n.stride_h = 1;
    n.filter_w = 2;
    n.filter_h = 1;
    assert_true(qat_ir_add_node(ir, &n) >= 0);
    n = node(QAT_IR_AVERAGE_POOL_2D, 1, 10, -1, -1, 11);
    n.padding = QAT_IR_PAD_SAME;
    n.stride_w = 2;
    n.stride_h = 1;
    n.filter_w = 2;
    n.filter_h = 1;
    n.act = QAT_IR_ACT_RELU;
    assert_true(qat_ir_add_node(ir, &n) >= 0);
    n = node(QAT_IR_RESHAPE, 1, 11, -1, -1, 12);
    assert_true(qat_ir_add_node(ir, &n) >= 0);
    n = node(QAT_IR_FULLY_CONNECTED, 3, 12, 13, 14, 15);
    assert_true(qat_ir_add_node(ir, &n) >= 0);
    n = node(QAT_IR_SOFTMAX, 1, 15, -1, -1, 16);
    n.beta = 1.0f;
    assert_true(qat_ir_add_node(ir, &n) >= 0);
    n = node(uint8_io ? QAT_IR_QUANTIZE : QAT_IR_DEQUANTIZE, 1, 16, -1, -1, 17);
    assert_true(qat_ir_add_node(ir, &n) >= 0);
}

static void build_ir(qat_ir *ir) { build_ir_io(ir, 0); }

/* Field-by-field equality of two IRs. */
static void assert_ir_equal(const qat_ir *a, const qat_ir *b) {
    assert_int_equal(a->n_tensors, b->n_tensors);
    assert_int_equal(a->n_nodes, b->n_nodes);
    assert_int_equal(a->input, b->input);
    assert_int_equal(a->output, b->output);
    for (int i = 0; i < a->n_tensors; i++) {
        const qat_ir_tensor *x = &a->tensors[i], *y = &b->tensors[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->type, y->type);
        assert_int_equal(x->ndim, y->ndim);
        for (int d = 0; d < x->ndim; d++) assert_int_equal(x->dim[d], y->dim[d]);
        assert_int_equal(x->q.n, y->q.n);
        if (x->q.n) {
            assert_int_equal(x->q.axis, y->q.axis);
            assert_int_equal(x->q.qmin, y->q.qmin);
            assert_int_equal(x->q.qmax, y->q.qmax);
            assert_memory_equal(x->q.scale, y->q.scale, (size_t)x->q.n * sizeof(float));
            assert_memory_equal(x->q.zero_point, y->q.zero_point, (size_t)x->q.n * sizeof(int32_t));
        }
        assert_int_equal(x->data != NULL, y->data != NULL);
        assert_int_equal(x->bytes, y->bytes);
        if (x->data) assert_memory_equal(x->data, y->data, x->bytes);
    }
    for (int k = 0; k < a->n_nodes; k++) {
        const qat_ir_node *x = &a->nodes[k], *y = &b->nodes[k];
        assert_int_equal(x->op, y->op);
        assert_int_equal(x->n_in, y->n_in);
        for (int j = 0; j < x->n_in; j++) assert_int_equal(x->in[j], y->in[j]);
        assert_int_equal(x->out, y->out);
        assert_int_equal(x->padding, y->padding);
        assert_int_equal(x->stride_w, y->stride_w);
        assert_int_equal(x->stride_h, y->stride_h);
        assert_int_equal(x->filter_w, y->filter_w);
        assert_int_equal(x->filter_h, y->filter_h);
        assert_int_equal(x->dilation_w, y->dilation_w);
        assert_int_equal(x->dilation_h, y->dilation_h);
        assert_int_equal(x->depth_multiplier, y->depth_multiplier);
        assert_int_equal(x->act, y->act);
        assert_memory_equal(&x->beta, &y->beta, sizeof x->beta);
        assert_int_equal(x->keep_num_dims, y->keep_num_dims);
    }
}

static void serialize(const qat_ir *ir, unsigned char **buf, size_t *len) {
    qat_error e = {0};
    qat_status s = qat_tflite_serialize(ir, "qatrain test", buf, len, &e);
    if (s) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(s, QAT_OK);
}

static void test_round_trip(void **state) {
    (void)state;
    qat_ir ir, back, again;
    build_ir(&ir);
    unsigned char *buf, *buf2;
    size_t len, len2;
    serialize(&ir, &buf, &len);
    qat_error e = {0};
    assert_int_equal(qat_tflite_parse(buf, len, "mem.tflite", &back, &e), QAT_OK);
    assert_ir_equal(&ir, &back);
    /* same IR, same bytes; and the read-back IR writes the same bytes */
    serialize(&back, &buf2, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    free(buf2);
    serialize(&ir, &buf2, &len2);
    assert_memory_equal(buf, buf2, len);
    free(buf2);
    /* through a file */
    char path[] = "/tmp/qat_test_tflite_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(qat_tflite_write(&ir, "qatrain test", path, &e), QAT_OK);
    void *fbuf;
    size_t flen;
    assert_int_equal(qat_read_file(path, &fbuf, &flen, &e), QAT_OK);
    assert_int_equal(flen, len);
    assert_memory_equal(fbuf, buf, len);
    free(fbuf);
    assert_int_equal(qat_tflite_read(path, &again, &e), QAT_OK);
    assert_ir_equal(&ir, &again);
    qat_ir_free(&again);
    unlink(path);
    assert_int_equal(qat_tflite_read(path, &again, &e), QAT_ERR_IO);
    assert_int_equal(strncmp(e.msg, path, strlen(path)), 0);
    free(buf);
    qat_ir_free(&ir);
    qat_ir_free(&back);
}

/* ---- byte-level checks on the written file ------------------------------------------ */

typedef struct model_view {
    qat_fb_reader r;
    qat_fb_table model, sg;
    qat_fb_vec opcodes, buffers, tensors, ops;
} model_view;

static void view(model_view *m, const unsigned char *buf, size_t len) {
    assert_int_equal(qat_fb_reader_init(&m->r, buf, len, "TFL3"), 0);
    assert_int_equal(qat_fb_root(&m->r, &m->model), 0);
    qat_fb_vec sgs;
    assert_int_equal(qat_fb_read_vec(&m->model, QAT_TFL_MODEL_SUBGRAPHS, 4, &sgs, NULL), 0);
    assert_int_equal(sgs.n, 1);
    assert_int_equal(qat_fb_vec_table(&sgs, 0, &m->sg), 0);
    assert_int_equal(
        qat_fb_read_vec(&m->model, QAT_TFL_MODEL_OPERATOR_CODES, 4, &m->opcodes, NULL), 0);
    assert_int_equal(qat_fb_read_vec(&m->model, QAT_TFL_MODEL_BUFFERS, 4, &m->buffers, NULL), 0);
    assert_int_equal(qat_fb_read_vec(&m->sg, QAT_TFL_SUBGRAPH_TENSORS, 4, &m->tensors, NULL), 0);
    assert_int_equal(qat_fb_read_vec(&m->sg, QAT_TFL_SUBGRAPH_OPERATORS, 4, &m->ops, NULL), 0);
}

static qat_fb_table vec_table(const qat_fb_vec *v, uint32_t i) {
    qat_fb_table t;
    assert_int_equal(qat_fb_vec_table(v, i, &t), 0);
    return t;
}

/* The byte offset of field id in table t (which must be present). */
static uint32_t field_at(const qat_fb_table *t, int id) {
    const unsigned char *b = t->r->buf;
    uint32_t o = (uint32_t)(b[t->vt + 4 + 2 * id] | b[t->vt + 5 + 2 * id] << 8);
    assert_true(o != 0);
    return t->pos + o;
}

static void test_file_layout(void **state) {
    (void)state;
    qat_ir ir;
    build_ir(&ir);
    unsigned char *buf;
    size_t len;
    serialize(&ir, &buf, &len);
    assert_memory_equal(buf + 4, "TFL3", 4);
    assert_int_equal(len % 16, 0);
    model_view m;
    view(&m, buf, len);
    uint32_t u;
    assert_int_equal(qat_fb_read_u32(&m.model, QAT_TFL_MODEL_VERSION, 0, &u), 0);
    assert_int_equal(u, 3);
    const char *s;
    uint32_t n;
    assert_int_equal(qat_fb_read_string(&m.model, QAT_TFL_MODEL_DESCRIPTION, &s, &n, NULL), 0);
    assert_string_equal(s, "qatrain test");
    assert_int_equal(qat_fb_read_string(&m.sg, QAT_TFL_SUBGRAPH_NAME, &s, &n, NULL), 0);
    assert_string_equal(s, "main");

    /* buffers: [0] empty, one per constant (7 here) + the metadata buffer */
    assert_int_equal(m.buffers.n, 1 + 7 + 1);
    qat_fb_table bt = vec_table(&m.buffers, 0);
    qat_fb_vec data;
    assert_int_equal(qat_fb_read_vec(&bt, QAT_TFL_BUFFER_DATA, 1, &data, NULL), 0);
    assert_int_equal(data.n, 0);
    for (uint32_t i = 1; i < m.buffers.n; i++) {
        bt = vec_table(&m.buffers, i);
        assert_int_equal(qat_fb_read_vec(&bt, QAT_TFL_BUFFER_DATA, 1, &data, NULL), 0);
        assert_true(data.n > 0);
        assert_int_equal(data.pos % 16, 0);
    }
    /* tensors: type always written, activations use buffer 0, constants their own */
    for (uint32_t i = 0; i < m.tensors.n; i++) {
        qat_fb_table t = vec_table(&m.tensors, i);
        assert_true(qat_fb_present(&t, QAT_TFL_TENSOR_TYPE));
        assert_true(qat_fb_present(&t, QAT_TFL_TENSOR_BUFFER));
        uint32_t bi;
        assert_int_equal(qat_fb_read_u32(&t, QAT_TFL_TENSOR_BUFFER, 99, &bi), 0);
        assert_int_equal(bi != 0, ir.tensors[i].data != NULL);
        int8_t ty;
        assert_int_equal(qat_fb_read_i8(&t, QAT_TFL_TENSOR_TYPE, -1, &ty), 0);
        assert_int_equal(ty, ir.tensors[i].type == QAT_IR_INT8    ? 9
                             : ir.tensors[i].type == QAT_IR_INT32 ? 2
                                                                  : 0);
        qat_fb_table q;
        int has_q;
        assert_int_equal(qat_fb_read_table(&t, QAT_TFL_TENSOR_QUANTIZATION, &q, &has_q), 0);
        assert_int_equal(has_q, ir.tensors[i].q.n > 0);
        if (has_q) {
            qat_fb_vec sc, zp;
            int32_t qd;
            assert_int_equal(qat_fb_read_vec(&q, QAT_TFL_QUANT_SCALE, 4, &sc, NULL), 0);
            assert_int_equal(qat_fb_read_vec(&q, QAT_TFL_QUANT_ZERO_POINT, 8, &zp, NULL), 0);
            assert_int_equal(sc.n, zp.n);
            assert_int_equal(sc.n, (uint32_t)ir.tensors[i].q.n);
            assert_int_equal(zp.pos % 8, 0);
            assert_int_equal(qat_fb_vec_i64(&zp, 0), ir.tensors[i].q.zero_point[0]);
            assert_true(qat_fb_present(&q, QAT_TFL_QUANT_QUANTIZED_DIMENSION));
            assert_int_equal(qat_fb_read_i32(&q, QAT_TFL_QUANT_QUANTIZED_DIMENSION, -1, &qd), 0);
            assert_int_equal(qd, ir.tensors[i].q.n > 1 ? ir.tensors[i].q.axis : 0);
        }
    }
    qat_fb_table t7 = vec_table(&m.tensors, 7);
    qat_fb_table q7;
    int32_t qd;
    assert_int_equal(qat_fb_read_table(&t7, QAT_TFL_TENSOR_QUANTIZATION, &q7, NULL), 0);
    assert_int_equal(qat_fb_read_i32(&q7, QAT_TFL_QUANT_QUANTIZED_DIMENSION, 0, &qd), 0);
    assert_int_equal(qd, 3); /* depthwise filter */

    /* operator codes: both fields, versions from §5, one per (op, version) */
    static const struct { int code, version; } want_codes[] = {
        {114, 1}, {22, 1}, {3, 3}, {4, 3}, {17, 2}, {1, 2}, {9, 4}, {25, 2}, {6, 2}};
    assert_int_equal(m.opcodes.n, 9);
    for (uint32_t i = 0; i < m.opcodes.n; i++) {
        qat_fb_table oc = vec_table(&m.opcodes, i);
        int8_t dep;
        int32_t code, ver;
        assert_true(qat_fb_present(&oc, QAT_TFL_OPCODE_DEPRECATED_BUILTIN_CODE));
        assert_true(qat_fb_present(&oc, QAT_TFL_OPCODE_BUILTIN_CODE));
        assert_int_equal(qat_fb_read_i8(&oc, QAT_TFL_OPCODE_DEPRECATED_BUILTIN_CODE, 0, &dep), 0);
        assert_int_equal(qat_fb_read_i32(&oc, QAT_TFL_OPCODE_BUILTIN_CODE, 0, &code), 0);
        assert_int_equal(qat_fb_read_i32(&oc, QAT_TFL_OPCODE_VERSION, 0, &ver), 0);
        assert_int_equal(code, want_codes[i].code);
        assert_int_equal(dep, code);
        assert_int_equal(ver, want_codes[i].version);
    }

    /* operators: every options table present, with the trap fields written explicitly */
    for (uint32_t k = 0; k < m.ops.n; k++) {
        qat_fb_table op = vec_table(&m.ops, k), opt;
        uint8_t tag;
        int has;
        assert_int_equal(qat_fb_read_u8(&op, QAT_TFL_OP_BUILTIN_OPTIONS_TYPE, 0, &tag), 0);
        assert_true(tag != 0);
        assert_int_equal(qat_fb_read_table(&op, QAT_TFL_OP_BUILTIN_OPTIONS, &opt, &has), 0);
        assert_true(has);
        switch (ir.nodes[k].op) {
        case QAT_IR_CONV_2D:
            assert_int_equal(tag, QAT_TFL_OPTIONS_CONV2D);
            assert_true(qat_fb_present(&opt, QAT_TFL_CONV_STRIDE_W));
            assert_true(qat_fb_present(&opt, QAT_TFL_CONV_STRIDE_H));
            assert_true(qat_fb_present(&opt, QAT_TFL_CONV_PADDING));
            assert_true(qat_fb_present(&opt, QAT_TFL_CONV_ACTIVATION));
            break;
        case QAT_IR_MAX_POOL_2D: {
            int32_t fw;
            int8_t pad;
            assert_int_equal(tag, QAT_TFL_OPTIONS_POOL2D);
            assert_int_equal(qat_fb_read_i32(&opt, QAT_TFL_POOL_FILTER_W, 0, &fw), 0);
            assert_int_equal(fw, 2);
            assert_int_equal(qat_fb_read_i8(&opt, QAT_TFL_POOL_PADDING, 0, &pad), 0);
            assert_int_equal(pad, QAT_TFL_PADDING_VALID);
            break;
        }
        case QAT_IR_SOFTMAX: {
            float beta;
            assert_true(qat_fb_present(&opt, QAT_TFL_SOFTMAX_BETA));
            assert_int_equal(qat_fb_read_f32(&opt, QAT_TFL_SOFTMAX_BETA, 0, &beta), 0);
            assert_true(beta == 1.0f);
            break;
        }
        case QAT_IR_RESHAPE: {
            qat_fb_vec ns, in;
            assert_int_equal(qat_fb_read_vec(&opt, QAT_TFL_RESHAPE_NEW_SHAPE, 4, &ns, NULL), 0);
            assert_int_equal(ns.n, (uint32_t)ir.tensors[ir.nodes[k].out].ndim);
            assert_int_equal(qat_fb_read_vec(&op, QAT_TFL_OP_INPUTS, 4, &in, NULL), 0);
            assert_int_equal(in.n, (uint32_t)ir.nodes[k].n_in);
            break;
        }
        default:
            break;
        }
    }

    /* min_runtime_version: a 16-byte NUL-padded string in the last buffer */
    qat_fb_vec md;
    assert_int_equal(qat_fb_read_vec(&m.model, QAT_TFL_MODEL_METADATA, 4, &md, NULL), 0);
    assert_int_equal(md.n, 1);
    qat_fb_table mt = vec_table(&md, 0);
    uint32_t mb;
    assert_int_equal(qat_fb_read_string(&mt, QAT_TFL_METADATA_NAME, &s, &n, NULL), 0);
    assert_string_equal(s, "min_runtime_version");
    assert_int_equal(qat_fb_read_u32(&mt, QAT_TFL_METADATA_BUFFER, 0, &mb), 0);
    assert_int_equal(mb, m.buffers.n - 1);
    bt = vec_table(&m.buffers, mb);
    assert_int_equal(qat_fb_read_vec(&bt, QAT_TFL_BUFFER_DATA, 1, &data, NULL), 0);
    assert_int_equal(data.n, 16);
    assert_memory_equal(qat_fb_vec_data(&data), "1.14.0\0\0\0\0\0\0\0\0\0\0", 16);
    free(buf);
    qat_ir_free(&ir);
}

/* ---- op versions (TensorFlow's op_version.cc / runtime_version.cc) -------------------- */

static int version_of(qat_ir_opcode op, qat_ir_type in, qat_ir_type w, int w_scales,
                      qat_ir_type out, int n_in, int keep, const char **rt) {
    qat_ir ir;
    qat_ir_init(&ir);
    const int d[] = {2, 2, 2, 2};
    add(&ir, "in", in, 4, d, in == QAT_IR_INT8 ? (op == QAT_IR_DEQUANTIZE ? w_scales : 1) : 0, 0,
        -128, 127, 0.1f, 0, NULL, 0);
    add(&ir, "w", w, 4, d, w == QAT_IR_INT8 ? w_scales : 0, 0, -127, 127, 0.1f, 0, NULL, 0);
    add(&ir, "out", out, 4, d, out == QAT_IR_INT8 ? (op == QAT_IR_QUANTIZE ? w_scales : 1) : 0, 0,
        -128, 127, 0.1f, 0, NULL, 0);
    qat_ir_node n = node(op, n_in, 0, n_in > 1 ? 1 : -1, -1, 2);
    n.keep_num_dims = keep;
    int v = qat_tflite_op_version(&ir, &n);
    *rt = qat_tflite_min_runtime(&ir, &n);
    qat_ir_free(&ir);
    return v;
}

static void test_op_versions(void **state) {
    (void)state;
    const qat_ir_type F = QAT_IR_FLOAT32, I = QAT_IR_INT8, H = QAT_IR_FLOAT16;
    const char *rt;
    assert_int_equal(version_of(QAT_IR_CONV_2D, I, I, 4, I, 3, 0, &rt), 3);
    assert_string_equal(rt, "1.14.0");
    assert_int_equal(version_of(QAT_IR_CONV_2D, F, F, 0, F, 3, 0, &rt), 1);
    assert_string_equal(rt, "1.5.0");
    assert_int_equal(version_of(QAT_IR_CONV_2D, F, I, 1, F, 3, 0, &rt), 2);
    assert_int_equal(version_of(QAT_IR_CONV_2D, F, I, 2, F, 3, 0, &rt), 5);
    assert_string_equal(rt, "2.4.0");
    assert_int_equal(version_of(QAT_IR_DEPTHWISE_CONV_2D, I, I, 2, I, 3, 0, &rt), 3);
    assert_int_equal(version_of(QAT_IR_DEPTHWISE_CONV_2D, F, F, 0, F, 3, 0, &rt), 1);
    assert_int_equal(version_of(QAT_IR_DEPTHWISE_CONV_2D, F, I, 1, F, 3, 0, &rt), 4);
    assert_int_equal(version_of(QAT_IR_DEPTHWISE_CONV_2D, F, I, 2, F, 3, 0, &rt), 6);
    assert_string_equal(rt, "2.3.0");
    assert_int_equal(version_of(QAT_IR_FULLY_CONNECTED, I, I, 1, I, 3, 0, &rt), 4);
    assert_int_equal(version_of(QAT_IR_FULLY_CONNECTED, I, I, 2, I, 3, 0, &rt), 4);
    assert_int_equal(version_of(QAT_IR_FULLY_CONNECTED, F, F, 0, F, 3, 0, &rt), 1);
    assert_int_equal(version_of(QAT_IR_FULLY_CONNECTED, F, I, 1, F, 3, 0, &rt), 3);
    assert_int_equal(version_of(QAT_IR_FULLY_CONNECTED, F, I, 2, F, 3, 0, &rt), 12);
    assert_string_equal(rt, "2.17.0");
    assert_int_equal(version_of(QAT_IR_FULLY_CONNECTED, I, I, 1, I, 2, 0, &rt), 6);
    assert_string_equal(rt, "2.1.0");
    assert_int_equal(version_of(QAT_IR_FULLY_CONNECTED, I, I, 1, I, 3, 1, &rt), 5);
    assert_string_equal(rt, "2.0.0");
    assert_int_equal(version_of(QAT_IR_MAX_POOL_2D, I, I, 0, I, 1, 0, &rt), 2);
    assert_int_equal(version_of(QAT_IR_AVERAGE_POOL_2D, F, F, 0, F, 1, 0, &rt), 1);
    assert_int_equal(version_of(QAT_IR_SOFTMAX, I, I, 0, I, 1, 0, &rt), 2);
    assert_int_equal(version_of(QAT_IR_SOFTMAX, F, F, 0, F, 1, 0, &rt), 1);
    assert_int_equal(version_of(QAT_IR_RESHAPE, I, I, 0, I, 1, 0, &rt), 1);
    assert_string_equal(rt, "1.5.0");
    assert_int_equal(version_of(QAT_IR_QUANTIZE, F, F, 1, I, 1, 0, &rt), 1);
    assert_string_equal(rt, "1.14.0");
    assert_int_equal(version_of(QAT_IR_QUANTIZE, F, F, 2, I, 1, 0, &rt), 3);
    assert_int_equal(version_of(QAT_IR_DEQUANTIZE, I, I, 1, F, 1, 0, &rt), 2);
    assert_int_equal(version_of(QAT_IR_DEQUANTIZE, I, I, 2, F, 1, 0, &rt), 5);
    assert_int_equal(version_of(QAT_IR_DEQUANTIZE, H, H, 0, F, 1, 0, &rt), 3);
    assert_string_equal(rt, "1.15.0");
    assert_int_equal(qat_tflite_builtin_code(QAT_IR_QUANTIZE), 114);
    assert_string_equal(qat_tflite_builtin_name(0), "ADD");
    assert_string_equal(qat_tflite_builtin_name(114), "QUANTIZE");
    assert_null(qat_tflite_builtin_name(100000));
}

/* ---- the golden models ---------------------------------------------------------------- */

static const char *const golden[] = {
    "gesture_act_none",       "gesture_base",          "gesture_bnfold_relu6",
    "gesture_conv_per_tensor", "gesture_fc_per_channel", "gesture_logits",
    "gesture_mixed_logits",   "gesture_pool_same_relu_clamp", "gesture_relu6",
    "gesture_same_pad",       "gesture_w4bit",         "gesture_w4bit_mixed",
    "tflm_hello_world_int8",  "tflm_micro_speech",     "tflm_person_detect",
};

/* The path of a golden model's file, e.g. golden_file("gesture_base", "model.tflite"); skips
 * the calling test when the golden models are absent. */
#define golden_file(model, file) golden_path(model, file, __func__)
static const char *golden_path(const char *model, const char *file, const char *test) {
    static char dir[512], path[640];
    qat_test_need_data(dir, sizeof dir, "reference/tflm-golden", "TFLM golden models", test);
    snprintf(path, sizeof path, "%s/%s/%s", dir, model, file);
    return path;
}

/* The whole file as a NUL-terminated string, in *text (caller frees). */
static void slurp(const char *path, char **text) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n >= 0);
    rewind(f);
    *text = malloc((size_t)n + 1);
    assert_non_null(*text);
    assert_int_equal(fread(*text, 1, (size_t)n, f), (size_t)n);
    (*text)[n] = 0;
    fclose(f);
}

/* The integer after `"key":` following position `from` (strstr-level parsing). */
static long json_int(const char *from, const char *key) {
    const char *p = strstr(from, key);
    assert_non_null(p);
    p = strchr(p, ':');
    assert_non_null(p);
    return strtol(p + 1, NULL, 10);
}

static void check_golden(const char *name, const char *test) {
    char path[640], meta_path[640];
    snprintf(path, sizeof path, "%s", golden_path(name, "model.tflite", test));
    snprintf(meta_path, sizeof meta_path, "%s", golden_path(name, "meta.json", test));
    qat_ir ir, back;
    qat_error e = {0};
    qat_status s = qat_tflite_read(path, &ir, &e);
    if (s) fprintf(stderr, "%s\n", e.msg);
    assert_int_equal(s, QAT_OK);

    char *meta;
    slurp(meta_path, &meta);
    assert_int_equal(ir.n_tensors, json_int(meta, "\"num_tensors\""));
    assert_int_equal(ir.input, json_int(strstr(meta, "\"input\""), "\"index\""));
    assert_int_equal(ir.output, json_int(strstr(meta, "\"output\""), "\"index\""));
    /* op_list, in order */
    const char *p = strstr(meta, "\"op_list\"");
    assert_non_null(p);
    const char *end = strchr(p, ']');
    p = strchr(p, '[');
    int k = 0;
    while ((p = strchr(p + 1, '"')) && p < end) {
        const char *q = strchr(p + 1, '"');
        assert_true(k < ir.n_nodes);
        const char *op = qat_ir_opcode_name(ir.nodes[k].op);
        assert_int_equal(strlen(op), (size_t)(q - p - 1));
        assert_memory_equal(op, p + 1, strlen(op));
        k++;
        p = q;
    }
    assert_int_equal(k, ir.n_nodes);
    /* the gesture models were written with TensorFlow's op versions: ours agree */
    if (strncmp(name, "gesture_", 8) == 0) {
        p = strstr(meta, "\"operators\"");
        for (k = 0; k < ir.n_nodes; k++) {
            p = strstr(p, "\"version\"");
            assert_non_null(p);
            assert_int_equal(qat_tflite_op_version(&ir, &ir.nodes[k]), json_int(p, "\"version\""));
            p++;
        }
    }
    free(meta);

    /* re-serialize and read back: the same IR */
    unsigned char *buf;
    size_t len;
    serialize(&ir, &buf, &len);
    assert_int_equal(qat_tflite_parse(buf, len, "re.tflite", &back, &e), QAT_OK);
    assert_ir_equal(&ir, &back);
    free(buf);
    qat_ir_free(&back);
    qat_ir_free(&ir);
}

static void test_golden_models(void **state) {
    (void)state;
    for (size_t i = 0; i < sizeof golden / sizeof golden[0]; i++) check_golden(golden[i], __func__);
}

static void test_golden_details(void **state) {
    (void)state;
    qat_ir ir;
    qat_error e = {0};
    /* gesture_base: per-channel conv filter and bias, per-tensor FC, narrow filters */
    assert_int_equal(qat_tflite_read(golden_file("gesture_base", "model.tflite"), &ir, &e),
                     QAT_OK);
    const qat_ir_tensor *w = &ir.tensors[ir.nodes[1].in[1]], *b = &ir.tensors[ir.nodes[1].in[2]];
    assert_int_equal(w->type, QAT_IR_INT8);
    assert_int_equal(w->q.n, 16);
    assert_int_equal(w->q.axis, 0);
    assert_int_equal(w->q.qmin, -127);
    assert_int_equal(w->q.qmax, 127);
    assert_int_equal(w->bytes, 16 * 5 * 3);
    assert_int_equal(b->type, QAT_IR_INT32);
    assert_int_equal(b->q.n, 16);
    assert_int_equal(ir.tensors[ir.nodes[1].out].q.qmin, -128);
    assert_int_equal(ir.nodes[0].n_in, 2); /* RESHAPE with its shape tensor */
    assert_non_null(ir.tensors[ir.nodes[0].in[1]].data);
    assert_int_equal(ir.nodes[1].padding, QAT_IR_PAD_VALID);
    assert_int_equal(ir.nodes[1].act, QAT_IR_ACT_RELU);
    assert_int_equal(ir.nodes[2].filter_w, 2);
    assert_int_equal(ir.nodes[2].filter_h, 1);
    assert_int_equal(ir.nodes[2].stride_w, 2);
    assert_int_equal(ir.tensors[ir.nodes[6].in[1]].q.n, 1);
    assert_true(ir.nodes[8].beta == 1.0f);
    assert_true(ir.tensors[ir.output].q.scale[0] == 1.0f / 256);
    assert_int_equal(ir.tensors[ir.output].q.zero_point[0], -128);
    qat_ir_free(&ir);
    /* person_detect: only deprecated codes; rank-1 biases with quantized_dimension 3 */
    assert_int_equal(qat_tflite_read(golden_file("tflm_person_detect", "model.tflite"), &ir, &e),
                     QAT_OK);
    assert_int_equal(ir.nodes[0].op, QAT_IR_DEPTHWISE_CONV_2D);
    assert_int_equal(ir.nodes[0].depth_multiplier, 8);
    assert_int_equal(ir.nodes[0].stride_w, 2);
    assert_int_equal(ir.nodes[0].act, QAT_IR_ACT_RELU6);
    assert_int_equal(ir.tensors[ir.nodes[0].in[1]].q.axis, 3);
    assert_int_equal(ir.tensors[ir.nodes[0].in[2]].q.n, 8);
    assert_int_equal(ir.tensors[ir.nodes[0].in[2]].q.axis, 0);
    assert_int_equal(ir.nodes[27].op, QAT_IR_AVERAGE_POOL_2D);
    assert_int_equal(ir.nodes[27].filter_w, 3);
    qat_ir_free(&ir);
    /* micro_speech: RESHAPE whose new_shape has a -1; output shapes come from the tensors */
    assert_int_equal(qat_tflite_read(golden_file("tflm_micro_speech", "model.tflite"), &ir, &e),
                     QAT_OK);
    assert_int_equal(ir.tensors[ir.nodes[0].out].dim[0], 1);
    assert_int_equal(ir.nodes[1].depth_multiplier, 8);
    assert_int_equal(ir.nodes[1].padding, QAT_IR_PAD_SAME);
    qat_ir_free(&ir);
}

/* ---- malformations -------------------------------------------------------------------- */

typedef struct fixture {
    unsigned char *good; /* a valid serialized model */
    size_t len;
    unsigned char *m;    /* the copy being damaged */
    model_view v;        /* a view into m */
} fixture;

static void fresh(fixture *f) {
    memcpy(f->m, f->good, f->len);
    view(&f->v, f->m, f->len);
}

static void put32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* Parses f->m and expects QAT_ERR_FORMAT with a message starting "bad.tflite: " and
 * containing `what`. */
static void expect_format_error(const fixture *f, size_t len, const char *what) {
    qat_ir ir;
    qat_error e = {0};
    unsigned char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, f->m, len);
    qat_status s = qat_tflite_parse(copy, len, "bad.tflite", &ir, &e);
    free(copy);
    if (s != QAT_ERR_FORMAT || strstr(e.msg, what) == NULL)
        fprintf(stderr, "want '%s', got %d: %s\n", what, s, e.msg);
    assert_int_equal(s, QAT_ERR_FORMAT);
    assert_int_equal(strncmp(e.msg, "bad.tflite: ", 12), 0);
    assert_null(strchr(e.msg, '\n'));
    assert_non_null(strstr(e.msg, what));
    assert_int_equal(ir.n_tensors, 0); /* left empty */
}

static int setup_fixture(void **state) {
    fixture *f = calloc(1, sizeof *f);
    qat_ir ir;
    build_ir(&ir);
    qat_error e = {0};
    if (qat_tflite_serialize(&ir, "x", &f->good, &f->len, &e)) return -1;
    qat_ir_free(&ir);
    f->m = malloc(f->len);
    *state = f;
    return f->m ? 0 : -1;
}

static int teardown_fixture(void **state) {
    fixture *f = *state;
    free(f->good);
    free(f->m);
    free(f);
    return 0;
}

static void test_malformed_models(void **state) {
    fixture *f = *state;
    qat_fb_table t, q, op, oc;
    qat_fb_vec v;

    fresh(f);
    memcpy(f->m + 4, "XXXX", 4);
    expect_format_error(f, f->len, "not a TFLite file");

    fresh(f);
    expect_format_error(f, 5, "too short");

    fresh(f);
    put32(f->m + field_at(&f->v.model, QAT_TFL_MODEL_VERSION), 2);
    expect_format_error(f, f->len, "schema version 2");

    fresh(f);
    expect_format_error(f, f->len / 2, "malformed flatbuffer");

    fresh(f); /* an offset out of range */
    put32(f->m + field_at(&f->v.model, QAT_TFL_MODEL_SUBGRAPHS), 0x7ffffff0u);
    expect_format_error(f, f->len, "offset outside the buffer");

    fresh(f); /* buffer index out of range */
    t = vec_table(&f->v.tensors, 2);
    put32(f->m + field_at(&t, QAT_TFL_TENSOR_BUFFER), 1000);
    expect_format_error(f, f->len, "tensor 2 'reshape/shape' refers to buffer 1000");

    fresh(f); /* constant size != prod(shape) · element size: conv/w shape [4,...] -> [5,...] */
    t = vec_table(&f->v.tensors, 4);
    assert_int_equal(qat_fb_read_vec(&t, QAT_TFL_TENSOR_SHAPE, 4, &v, NULL), 0);
    put32(f->m + v.pos, 5);
    expect_format_error(f, f->len, "holds 36 bytes but shape and type need 45");

    fresh(f); /* scale / zero_point length mismatch */
    t = vec_table(&f->v.tensors, 4);
    assert_int_equal(qat_fb_read_table(&t, QAT_TFL_TENSOR_QUANTIZATION, &q, NULL), 0);
    assert_int_equal(qat_fb_read_vec(&q, QAT_TFL_QUANT_ZERO_POINT, 8, &v, NULL), 0);
    put32(f->m + v.pos - 4, 3);
    expect_format_error(f, f->len, "4 scales but 3 zero points");

    fresh(f); /* quantized_dimension out of range */
    t = vec_table(&f->v.tensors, 4);
    assert_int_equal(qat_fb_read_table(&t, QAT_TFL_TENSOR_QUANTIZATION, &q, NULL), 0);
    put32(f->m + field_at(&q, QAT_TFL_QUANT_QUANTIZED_DIMENSION), 7);
    expect_format_error(f, f->len, "quantized_dimension 7 but rank 4");

    fresh(f); /* per-channel count that does not match the dimension */
    t = vec_table(&f->v.tensors, 4);
    assert_int_equal(qat_fb_read_table(&t, QAT_TFL_TENSOR_QUANTIZATION, &q, NULL), 0);
    put32(f->m + field_at(&q, QAT_TFL_QUANT_QUANTIZED_DIMENSION), 3);
    expect_format_error(f, f->len, "4 scales but dimension 3 is 3");

    fresh(f); /* ndim > 4 */
    t = vec_table(&f->v.tensors, 3);
    assert_int_equal(qat_fb_read_vec(&t, QAT_TFL_TENSOR_SHAPE, 4, &v, NULL), 0);
    put32(f->m + v.pos - 4, 5);
    expect_format_error(f, f->len, "has 5 dimensions");

    fresh(f); /* an unsupported tensor type */
    t = vec_table(&f->v.tensors, 2);
    f->m[field_at(&t, QAT_TFL_TENSOR_TYPE)] = 4;
    expect_format_error(f, f->len,
                        "tensor 2 'reshape/shape' has type INT64 (4), which qatrain does not "
                        "support");

    fresh(f); /* an unsupported operator: opcode 0 (QUANTIZE) becomes ADD */
    oc = vec_table(&f->v.opcodes, 0);
    put32(f->m + field_at(&oc, QAT_TFL_OPCODE_BUILTIN_CODE), 0);
    f->m[field_at(&oc, QAT_TFL_OPCODE_DEPRECATED_BUILTIN_CODE)] = 0;
    expect_format_error(f, f->len,
                        "bad.tflite: operator 0 uses ADD, which qatrain does not support");

    fresh(f); /* a code > 127 with the placeholder in the deprecated field */
    oc = vec_table(&f->v.opcodes, 0);
    put32(f->m + field_at(&oc, QAT_TFL_OPCODE_BUILTIN_CODE), 150);
    f->m[field_at(&oc, QAT_TFL_OPCODE_DEPRECATED_BUILTIN_CODE)] = 127;
    expect_format_error(f, f->len, "operator 0 uses GELU");

    fresh(f); /* a custom op */
    oc = vec_table(&f->v.opcodes, 0);
    put32(f->m + field_at(&oc, QAT_TFL_OPCODE_BUILTIN_CODE), 32);
    f->m[field_at(&oc, QAT_TFL_OPCODE_DEPRECATED_BUILTIN_CODE)] = 32;
    expect_format_error(f, f->len, "custom op");

    fresh(f); /* an opcode index out of range */
    op = vec_table(&f->v.ops, 2);
    put32(f->m + field_at(&op, QAT_TFL_OP_OPCODE_INDEX), 9);
    expect_format_error(f, f->len, "operator 2 uses opcode 9, but there are 9");

    fresh(f); /* an operator input index out of range */
    op = vec_table(&f->v.ops, 2);
    assert_int_equal(qat_fb_read_vec(&op, QAT_TFL_OP_INPUTS, 4, &v, NULL), 0);
    put32(f->m + v.pos + 4, 18);
    expect_format_error(f, f->len, "operator 2 (CONV_2D) input 1 is tensor 18");

    fresh(f); /* options missing where zeros would be fatal */
    op = vec_table(&f->v.ops, 2);
    f->m[field_at(&op, QAT_TFL_OP_BUILTIN_OPTIONS_TYPE)] = 0;
    expect_format_error(f, f->len, "operator 2 (CONV_2D) has no options table");

    fresh(f); /* options of the wrong union member */
    op = vec_table(&f->v.ops, 2);
    f->m[field_at(&op, QAT_TFL_OP_BUILTIN_OPTIONS_TYPE)] = QAT_TFL_OPTIONS_SOFTMAX;
    expect_format_error(f, f->len, "options of the wrong type");

    fresh(f); /* a stride of 0 */
    op = vec_table(&f->v.ops, 2);
    {
        qat_fb_table opt;
        assert_int_equal(qat_fb_read_table(&op, QAT_TFL_OP_BUILTIN_OPTIONS, &opt, NULL), 0);
        put32(f->m + field_at(&opt, QAT_TFL_CONV_STRIDE_W), 0);
    }
    expect_format_error(f, f->len, "stride");

    fresh(f); /* two subgraph inputs */
    assert_int_equal(qat_fb_read_vec(&f->v.sg, QAT_TFL_SUBGRAPH_INPUTS, 4, &v, NULL), 0);
    put32(f->m + v.pos - 4, 2);
    expect_format_error(f, f->len, "the model has 2 inputs; qatrain needs exactly one");

    fresh(f); /* no subgraph output */
    assert_int_equal(qat_fb_read_vec(&f->v.sg, QAT_TFL_SUBGRAPH_OUTPUTS, 4, &v, NULL), 0);
    put32(f->m + v.pos - 4, 0);
    expect_format_error(f, f->len, "the model has 0 outputs");
}

/* Sets int32 field `id` of operator k's options table to v. */
static void set_option(fixture *f, uint32_t k, int id, int32_t v) {
    qat_fb_table op = vec_table(&f->v.ops, k), opt;
    assert_int_equal(qat_fb_read_table(&op, QAT_TFL_OP_BUILTIN_OPTIONS, &opt, NULL), 0);
    put32(f->m + field_at(&opt, id), (uint32_t)v);
}

/* Numbers the reader range-checks where it parses them: each refusal names the tensor or
 * operator, and the value. */
static void test_reader_ranges(void **state) {
    fixture *f = *state;
    qat_fb_vec v;
    const int32_t dims[] = {0, -3, INT32_MIN};
    const char *const dim_msg[] = {"tensor 0 'input' has dimension 1 = 0; dimensions must be >= 1",
                                   "tensor 0 'input' has dimension 1 = -3",
                                   "tensor 0 'input' has dimension 1 = -2147483648"};
    for (int i = 0; i < 3; i++) { /* the model's input: [1, 8, 3] -> [1, d, 3] */
        fresh(f);
        qat_fb_table t = vec_table(&f->v.tensors, 0);
        assert_int_equal(qat_fb_read_vec(&t, QAT_TFL_TENSOR_SHAPE, 4, &v, NULL), 0);
        put32(f->m + v.pos + 4, (uint32_t)dims[i]);
        expect_format_error(f, f->len, dim_msg[i]);
    }
    fresh(f); /* a zero dimension in a constant's shape, too (conv/w [4,1,3,3] -> [0,...]) */
    qat_fb_table w = vec_table(&f->v.tensors, 4);
    assert_int_equal(qat_fb_read_vec(&w, QAT_TFL_TENSOR_SHAPE, 4, &v, NULL), 0);
    put32(f->m + v.pos, 0);
    expect_format_error(f, f->len, "tensor 4 'conv/w' has dimension 0 = 0");

    const int32_t bad[] = {0, -1, INT32_MIN};
    for (int i = 0; i < 3; i++) {
        fresh(f);
        set_option(f, 2, QAT_TFL_CONV_STRIDE_H, bad[i]);
        expect_format_error(f, f->len, "operator 2 (CONV_2D) has stride");
        fresh(f);
        set_option(f, 2, QAT_TFL_CONV_DILATION_W, bad[i]);
        expect_format_error(f, f->len, "operator 2 (CONV_2D) has dilation");
        fresh(f);
        set_option(f, 3, QAT_TFL_DW_DILATION_H, bad[i]);
        expect_format_error(f, f->len, "operator 3 (DEPTHWISE_CONV_2D) has dilation");
        fresh(f);
        set_option(f, 4, QAT_TFL_POOL_FILTER_W, bad[i]);
        expect_format_error(f, f->len, "operator 4 (MAX_POOL_2D) has filter");
        fresh(f);
        set_option(f, 5, QAT_TFL_POOL_STRIDE_W, bad[i]);
        expect_format_error(f, f->len, "operator 5 (AVERAGE_POOL_2D) has stride");
    }
    fresh(f);
    set_option(f, 3, QAT_TFL_DW_DEPTH_MULTIPLIER, -2);
    expect_format_error(f, f->len, "operator 3 (DEPTHWISE_CONV_2D) has depth_multiplier -2");
    fresh(f); /* padding is an enum of two values */
    {
        qat_fb_table op = vec_table(&f->v.ops, 2), opt;
        assert_int_equal(qat_fb_read_table(&op, QAT_TFL_OP_BUILTIN_OPTIONS, &opt, NULL), 0);
        f->m[field_at(&opt, QAT_TFL_CONV_PADDING)] = 7;
    }
    expect_format_error(f, f->len, "operator 2 (CONV_2D) has padding 7");
}

/* The uint8 interface: tensors of TensorType UINT8 (3), QUANTIZE to and from them v1 (as
 * op_version.cc), a uint8 zero point read in [0, 255]. */
static void test_round_trip_uint8_io(void **state) {
    (void)state;
    qat_ir ir, back;
    build_ir_io(&ir, 1);
    unsigned char *buf, *buf2;
    size_t len, len2;
    serialize(&ir, &buf, &len);
    qat_error e = {0};
    assert_int_equal(qat_tflite_parse(buf, len, "mem.tflite", &back, &e), QAT_OK);
    assert_ir_equal(&ir, &back);
    assert_int_equal(back.tensors[0].type, QAT_IR_UINT8);
    assert_int_equal(back.tensors[0].q.zero_point[0], 125);
    serialize(&back, &buf2, &len2);
    assert_int_equal(len, len2);
    assert_memory_equal(buf, buf2, len);
    free(buf2);
    qat_ir_free(&back);
    fixture f = {.good = buf, .len = len, .m = malloc(len)};
    assert_non_null(f.m);
    fresh(&f);
    for (int k = 0; k < 2; k++) {
        int8_t ty;
        qat_fb_table t = vec_table(&f.v.tensors, k ? 17 : 0);
        assert_int_equal(qat_fb_read_i8(&t, QAT_TFL_TENSOR_TYPE, -1, &ty), 0);
        assert_int_equal(ty, 3);
        assert_int_equal(qat_tflite_op_version(&ir, &ir.nodes[k ? ir.n_nodes - 1 : 0]), 1);
    }
    const int64_t zps[] = {255, 0, 256, -1};
    for (int k = 0; k < 4; k++) { /* the input's zero point set to zps[k] */
        fresh(&f);
        qat_fb_table t = vec_table(&f.v.tensors, 0), q;
        qat_fb_vec zv;
        assert_int_equal(qat_fb_read_table(&t, QAT_TFL_TENSOR_QUANTIZATION, &q, NULL), 0);
        assert_int_equal(qat_fb_read_vec(&q, QAT_TFL_QUANT_ZERO_POINT, 8, &zv, NULL), 0);
        for (int b = 0; b < 8; b++)
            f.m[zv.pos + (uint32_t)b] = (unsigned char)((uint64_t)zps[k] >> (8 * b));
        if (k >= 2) {
            expect_format_error(&f, len, k == 2 ? "'input' has zero_point[0] = 256, outside UINT8"
                                                : "'input' has zero_point[0] = -1, outside UINT8");
            continue;
        }
        assert_int_equal(qat_tflite_parse(f.m, len, "ok.tflite", &back, &e), QAT_OK);
        assert_int_equal(back.tensors[0].q.zero_point[0], zps[k]);
        qat_ir_free(&back);
    }
    free(f.m);
    free(buf);
    qat_ir_free(&ir);
}

static void parse_copy_is_clean(const unsigned char *src, size_t len, int *ok) {
    unsigned char *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, src, len);
    qat_ir ir;
    qat_error e = {0};
    qat_status s = qat_tflite_parse(copy, len, "fuzz.tflite", &ir, &e);
    free(copy);
    if (s == QAT_OK) {
        (*ok)++;
        qat_ir_free(&ir);
        return;
    }
    assert_int_equal(s, QAT_ERR_FORMAT);
    assert_int_equal(strncmp(e.msg, "fuzz.tflite: ", 13), 0);
    assert_null(strchr(e.msg, '\n'));
}

static void test_every_truncation_fails_cleanly(void **state) {
    fixture *f = *state;
    int ok = 0;
    for (size_t n = 0; n < f->len; n++) parse_copy_is_clean(f->good, n, &ok);
    assert_int_equal(ok, 0);
    ok = 0;
    parse_copy_is_clean(f->good, f->len, &ok);
    assert_int_equal(ok, 1);
}

static void test_every_byte_mutation_is_safe(void **state) {
    fixture *f = *state;
    static const unsigned char vals[] = {0x00, 0x01, 0x7f, 0x80, 0xff};
    int ok = 0;
    for (size_t i = 0; i < f->len; i++) {
        unsigned char keep = f->good[i];
        for (size_t k = 0; k < sizeof vals; k++) {
            f->good[i] = vals[k];
            parse_copy_is_clean(f->good, f->len, &ok);
        }
        f->good[i] = keep;
    }
    assert_true(ok > 0); /* many bytes are data, names or padding */
}

static void test_golden_truncations(void **state) {
    (void)state;
    void *p;
    size_t len;
    qat_error e = {0};
    assert_int_equal(qat_read_file(golden_file("tflm_micro_speech", "model.tflite"), &p, &len, &e),
                     QAT_OK);
    int ok = 0;
    for (size_t n = 0; n < len; n += 37) parse_copy_is_clean(p, n, &ok);
    assert_int_equal(ok, 0);
    free(p);
}

static void test_writer_rejects_bad_ir(void **state) {
    (void)state;
    qat_ir ir;
    unsigned char *buf;
    size_t len;
    qat_error e = {0};
    build_ir(&ir);
    ir.nodes[2].stride_w = 0;
    assert_int_equal(qat_tflite_serialize(&ir, NULL, &buf, &len, &e), QAT_ERR_DATA);
    assert_non_null(strstr(e.msg, "stride"));
    assert_null(buf);
    ir.nodes[2].stride_w = 1;
    ir.tensors[4].bytes = 35;
    assert_int_equal(qat_tflite_serialize(&ir, NULL, &buf, &len, &e), QAT_ERR_DATA);
    ir.tensors[4].bytes = 36;
    ir.nodes[8].beta = 0.0f;
    assert_int_equal(qat_tflite_serialize(&ir, NULL, &buf, &len, &e), QAT_ERR_DATA);
    ir.nodes[8].beta = 1.0f;
    ir.output = 99;
    assert_int_equal(qat_tflite_serialize(&ir, NULL, &buf, &len, &e), QAT_ERR_DATA);
    ir.output = 17;
    ir.nodes[2].in[1] = -1; /* a filter is not optional */
    assert_int_equal(qat_tflite_serialize(&ir, NULL, &buf, &len, &e), QAT_ERR_DATA);
    ir.nodes[2].in[1] = 4;
    assert_int_equal(qat_tflite_serialize(&ir, NULL, &buf, &len, &e), QAT_OK);
    free(buf);
    qat_ir_free(&ir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_round_trip_uint8_io),
        cmocka_unit_test(test_file_layout),
        cmocka_unit_test(test_op_versions),
        cmocka_unit_test(test_golden_models),
        cmocka_unit_test(test_golden_details),
        cmocka_unit_test_setup_teardown(test_malformed_models, setup_fixture, teardown_fixture),
        cmocka_unit_test_setup_teardown(test_reader_ranges, setup_fixture, teardown_fixture),
        cmocka_unit_test_setup_teardown(test_every_truncation_fails_cleanly, setup_fixture,
                                        teardown_fixture),
        cmocka_unit_test_setup_teardown(test_every_byte_mutation_is_safe, setup_fixture,
                                        teardown_fixture),
        cmocka_unit_test(test_golden_truncations),
        cmocka_unit_test(test_writer_rejects_bad_ir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
