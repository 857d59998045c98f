/* The one principle, checked tensor by tensor (DESIGN.md): after QAT, the fake-quant graph
 * and the int8 engine running the lowered IR hold the same int8 value in every tensor —
 * the input, each conv/dense output after its fused activation, the logits — for every
 * test sample. Checked at 8-, 4- and 2-bit weights (smaller weight scales make the double
 * rounding of TFLM's requantization differ from a single rounding more often: 0.2 % of
 * outputs at 8 bits, 3 % at 4, 12 % at 2, each a one-step error the fake-quant graph must
 * reproduce), with batch norm folded and ReLU6, and with per-tensor dense weights (TFLM
 * forms that multiplier differently). A lesson shortened to seconds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qat/int8.h"
#include "qat/pipeline.h"
#include "stacks.h"

typedef struct compare {
    const qat_graph *g;
    const qat_ir *ir;
    long tensors, values, differ;
} compare;

/* The fake-quant node a tensor corresponds to: "<tensor>/fq" (an average pool's is its
 * rounding node, a separable conv's "<name>/depthwise" tensor the depthwise half's). */
static const qat_node *fq_node(const qat_graph *g, const char *tensor) {
    char nm[96];
    snprintf(nm, sizeof nm, "%s/fq", tensor);
    for (int i = 0; i < g->n_nodes; i++)
        if (!strcmp(g->nodes[i].name, nm)) return &g->nodes[i];
    return NULL;
}

static void trace(void *ctx, int node, int tensor, const void *data) {
    (void)node;
    compare *c = ctx;
    const qat_ir_tensor *t = &c->ir->tensors[tensor];
    const qat_node *n = t->type == QAT_IR_INT8 ? fq_node(c->g, t->name) : NULL;
    if (!n) return;
    size_t count = qat_ir_tensor_count(t);
    assert_int_equal(count, n->size);
    int8_t q[4096];
    assert_true(count <= sizeof q);
    /* The graph's values lie on the tensor's grid: quantizing them is exact. */
    qat_i8_quantize(n->val, count, t->q.scale[0], t->q.zero_point[0], q);
    c->tensors++;
    c->values += (long)count;
    for (size_t i = 0; i < count; i++) c->differ += q[i] != ((const int8_t *)data)[i];
}

static void check_min(qat_config *cfg, const char *what, long per_sample) {
    static qat_pipeline p;
    qat_error e = {0};
    cfg->data.samples_per_class = 60;
    cfg->train.epochs = 3;
    cfg->quant.epochs = 2;
    cfg->prune.enabled = 0;
    qat_pipeline_init(&p, cfg);
    assert_int_equal(qat_pipeline_data(&p, &e), QAT_OK);
    assert_int_equal(qat_pipeline_build(&p, &e), QAT_OK);
    assert_int_equal(qat_pipeline_train(&p, NULL, NULL, &e), QAT_OK);
    assert_int_equal(qat_pipeline_quantize(&p, NULL, NULL, &e), QAT_OK);
    qat_i8_engine eng;
    assert_int_equal(qat_i8_prepare(&eng, &p.ir_qat, "test", &e), QAT_OK);
    const qat_ir_tensor *in = &p.ir_qat.tensors[p.ir_qat.input];
    size_t n_in = qat_ir_tensor_count(in);
    compare c = {&p.qm.m.g, &p.ir_qat, 0, 0, 0};
    for (int i = 0; i < p.test.n; i++) {
        const float *x = p.test.x + (size_t)i * n_in;
        float logits[16];
        int8_t xq[4096], y[16];
        qat_model_logits(&p.qm.m, x, 1, logits);
        qat_i8_quantize(x, n_in, in->q.scale[0], in->q.zero_point[0], xq);
        qat_i8_invoke_traced(&eng, xq, y, trace, &c);
    }
    printf("%s: %d samples, %ld tensors, %ld int8 values, %ld differ\n", what, p.test.n,
           c.tensors, c.values, c.differ);
    assert_true(c.tensors >= per_sample * p.test.n);
    assert_int_equal(c.differ, 0);
    qat_i8_free(&eng);
    qat_pipeline_free(&p);
}

static void check(qat_config *cfg, const char *what) {
    check_min(cfg, what, 5); /* input, conv1, conv2, dense1, logits */
}

/* The 2-D experiments (tests run from the repository root): conv2d → maxpool2d → conv2d →
 * global average pooling → dense; the advanced chapter's separable block with its int8
 * tensor between the halves; depthwise (multiplier 2, 3×2 kernel, stride 2, BN folded) →
 * SAME average pooling → 1×1 conv2d → flatten → dense; at 8 and 4 bits. */
static void test_2d_configs(void **state) {
    (void)state;
    static const char *const paths[3] = {"configs/experiments/conv2d_shapes.ini",
                                         "configs/experiments/separable_shapes.ini",
                                         "configs/experiments/depthwise_shapes.ini"};
    static const long tensors[3] = {6, 6, 6}; /* conv2d: input, conv1, conv2, gap, out
                                                 (+pool1's max-pool has no fake-quant);
                                                 separable: input, conv1, sep1/depthwise,
                                                 sep1, gap, out; depthwise: input, conv1,
                                                 dw1, pool1, mix, out */
    for (int k = 0; k < 3; k++)
        for (int bits = 8; bits >= 4; bits -= 4) {
            static qat_config cfg;
            qat_error e = {0};
            qat_config_defaults(&cfg);
            assert_int_equal(qat_config_load(paths[k], &cfg, &e), QAT_OK);
            cfg.quant.enabled = 1;
            cfg.quant.weight_bits = bits;
            char what[96];
            snprintf(what, sizeof what, "%s, %d-bit weights", paths[k], bits);
            check_min(&cfg, what, tensors[k] - (k == 0));
        }
}

static void test_lesson_8_4_2_bits(void **state) {
    (void)state;
    static const int bits[] = {8, 4, 2};
    for (int i = 0; i < 3; i++) {
        static qat_config cfg;
        qat_config_defaults(&cfg);
        cfg.quant.weight_bits = bits[i];
        char what[32];
        snprintf(what, sizeof what, "lesson, %d-bit weights", bits[i]);
        check(&cfg, what);
    }
}

static void test_bn_relu6_per_channel_dense(void **state) {
    (void)state;
    static qat_config cfg;
    qat_test_lesson_bn_relu6(&cfg, 0.99);
    cfg.quant.weight_bits = 4;
    cfg.quant.per_channel_dense = 1;
    check(&cfg, "conv+BN+ReLU6, per-channel dense, 4-bit weights");
    qat_config_defaults(&cfg);
    cfg.quant.weight_bits = 3;
    cfg.quant.per_channel_conv = 0;
    check(&cfg, "per-tensor conv, 3-bit weights");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lesson_8_4_2_bits),
        cmocka_unit_test(test_bn_relu6_per_channel_dense),
        cmocka_unit_test(test_2d_configs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
