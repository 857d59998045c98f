/* Progressive and delayed quantization (quant.h qat_quant_stage): the schedule changes bit
 * widths at the right epochs, a layer never drops below its own bits, switched-off
 * fake-quant nodes pass values through (activations still observe), and the final stage is
 * the model lowering exports. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/config.h"
#include "qat/quant.h"
#include "stacks.h"

static qat_quant_config scheduled(void) {
    qat_config c;
    qat_config_defaults(&c);
    qat_quant_config q = c.quant;
    q.weight_bits = 4;
    q.weight_schedule = (qat_bits_schedule){3, {1, 11, 21}, {8, 6, 4}};
    q.act_start_epoch = 3;
    return q;
}

static void expect_stage(const qat_quant_config *q, int epoch, int wbits, int abits, int won,
                         int aon, int final) {
    qat_quant_stage s;
    assert_int_equal(qat_quant_stage_at(q, epoch, &s), final);
    assert_int_equal(s.weight_bits, wbits);
    assert_int_equal(s.act_bits, abits);
    assert_int_equal(s.weights_on, won);
    assert_int_equal(s.acts_on, aon);
}

/* 1:8, 11:6, 21:4 with activations from epoch 3: each step holds until the next; only the
 * last step with everything on is final; after training (epoch 0) everything is on at each
 * layer's own bits. */
static void test_stage_at(void **s) {
    (void)s;
    qat_quant_config q = scheduled();
    assert_true(qat_quant_staged(&q));
    expect_stage(&q, 1, 8, 0, 1, 0, 0);
    expect_stage(&q, 2, 8, 0, 1, 0, 0);
    expect_stage(&q, 3, 8, 0, 1, 1, 0);
    expect_stage(&q, 10, 8, 0, 1, 1, 0);
    expect_stage(&q, 11, 6, 0, 1, 1, 0);
    expect_stage(&q, 20, 6, 0, 1, 1, 0);
    expect_stage(&q, 21, 0, 0, 1, 1, 1);
    expect_stage(&q, 30, 0, 0, 1, 1, 1);
    expect_stage(&q, 0, 0, 0, 1, 1, 1);
    int wb, ab; /* what history.csv shows */
    qat_quant_stage_bits(&q, 2, &wb, &ab);
    assert_int_equal(wb, 8);
    assert_int_equal(ab, 32);
    qat_quant_stage_bits(&q, 25, &wb, &ab);
    assert_int_equal(wb, 4);
    assert_int_equal(ab, 8);
    qat_config c; /* the lesson: nothing staged, every epoch final */
    qat_config_defaults(&c);
    assert_false(qat_quant_staged(&c.quant));
    expect_stage(&c.quant, 1, 0, 0, 1, 1, 1);
    c.quant.weight_start_epoch = 2;
    assert_true(qat_quant_staged(&c.quant));
    expect_stage(&c.quant, 1, 0, 0, 0, 1, 0);
    expect_stage(&c.quant, 2, 0, 0, 1, 1, 1);
}

/* The lesson's model at 4-bit weights, conv2 at 8 (a mixed-precision layer), calibrated on
 * random inputs. */
static void lesson(qat_model *fm, qat_qmodel *qm, qat_quant_config *q) {
    qat_config c;
    qat_config_defaults(&c);
    c.quant.weight_bits = 4;
    for (int i = 0; i < c.n_layers; i++)
        if (!strcmp(c.layers[i].name, "conv2")) c.layers[i].weight_bits = 8;
    *q = c.quant;
    assert_int_equal(qat_test_qmodel(&c, 8, 3, fm, qm), QAT_OK);
}

static const qat_qlayer *layer_named(const qat_qmodel *qm, const char *name) {
    for (int i = 0; i < qm->n_q; i++)
        if (!strcmp(qm->m.spec[qm->q[i].spec].name, name)) return &qm->q[i];
    fail_msg("no layer %s", name);
    return NULL;
}

/* The largest |w/s| of a weight fake-quant node's output after a forward pass: the integer
 * range it used (the values are integers times the scales). */
static int largest_level(const qat_graph *g, int w_fq) {
    int ns;
    const float *sc = qat_fq_weight_scales(g, w_fq, &ns);
    const qat_node *n = &g->nodes[w_fq];
    int rows = n->dim[0], row = (int)(n->size / (size_t)rows), big = 0;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < row; j++) {
            double v = n->val[r * row + j] / sc[ns > 1 ? r : 0];
            assert_true(fabs(v - nearbyint(v)) < 1e-3); /* on the grid */
            big = fabs(v) > big ? (int)nearbyint(fabs(v)) : big;
        }
    return big;
}

static void forward(qat_qmodel *qm, int epoch) {
    int labels[8] = {0, 1, 2, 0, 1, 2, 0, 1};
    qat_rng r;
    qat_rng_seed(&r, 1, QAT_STREAM_DROPOUT);
    qat_pass p = {.batch = 8, .training = 1, .labels = labels, .rng = &r, .epoch = epoch};
    qat_graph_forward(&qm->m.g, &p, qm->m.loss + 1);
}

/* Stage 8 bits: a 4-bit layer runs at 8 (levels beyond 7 appear), the 8-bit layer at 8;
 * the final stage puts the 4-bit layer back at its 4 bits (levels up to 7 only). */
static void test_stage_bits_per_layer(void **s) {
    (void)s;
    qat_model fm;
    qat_qmodel qm;
    qat_quant_config q;
    lesson(&fm, &qm, &q);
    const qat_graph *g = &qm.m.g;
    const qat_qlayer *c1 = layer_named(&qm, "conv1"), *c2 = layer_named(&qm, "conv2");
    qat_quant_stage st = {8, 0, 1, 1};
    qat_qmodel_set_stage(&qm, &st);
    forward(&qm, 1);
    assert_true(largest_level(g, c1->w_fq) > 7);
    assert_int_equal(largest_level(g, c1->w_fq), 127);
    assert_int_equal(largest_level(g, c2->w_fq), 127);
    st = (qat_quant_stage){6, 0, 1, 1};
    qat_qmodel_set_stage(&qm, &st);
    forward(&qm, 11);
    assert_int_equal(largest_level(g, c1->w_fq), 31);
    assert_int_equal(largest_level(g, c2->w_fq), 127); /* never below its own 8 */
    qat_quant_stage_at(&q, 0, &st);
    qat_qmodel_set_stage(&qm, &st);
    forward(&qm, 21);
    assert_int_equal(largest_level(g, c1->w_fq), 7);
    assert_int_equal(largest_level(g, c2->w_fq), 127);
    qat_qmodel_free(&qm);
    qat_model_free(&fm);
}

/* Weights off: the weight fake-quant passes the kernel through and the biases are not
 * rounded. Activations off: every activation fake-quant passes its input through, and its
 * observer still moves (so the range is ready when quantization starts). */
static void test_stage_off_passes_through(void **s) {
    (void)s;
    qat_model fm;
    qat_qmodel qm;
    qat_quant_config q;
    lesson(&fm, &qm, &q);
    qat_graph *g = &qm.m.g;
    const qat_qlayer *c1 = layer_named(&qm, "conv1");
    qat_quant_stage st = {0, 0, 0, 1};
    qat_qmodel_set_stage(&qm, &st);
    forward(&qm, 1);
    const qat_node *w = &g->nodes[c1->w_fq];
    assert_memory_equal(w->val, g->nodes[w->in[0]].val, w->size * sizeof(float));
    st = (qat_quant_stage){0, 0, 1, 0};
    qat_qmodel_set_stage(&qm, &st);
    const qat_node *a = &g->nodes[c1->out_fq];
    float *obs = malloc(3 * sizeof(float));
    memcpy(obs, g->state + a->offset, 3 * sizeof(float));
    forward(&qm, 2);
    assert_memory_equal(a->val, g->nodes[a->in[0]].val, qat_node_len(a, 8) * sizeof(float));
    assert_true(memcmp(obs, g->state + a->offset, 3 * sizeof(float)) != 0);
    qat_quant_stage_at(&q, 0, &st); /* final: the output is on the activation grid again */
    qat_qmodel_set_stage(&qm, &st);
    forward(&qm, 3);
    float sc;
    int32_t zp;
    assert_true(qat_fq_act_grid(g, c1->out_fq, &sc, &zp));
    int differs = 0;
    for (size_t i = 0; i < qat_node_len(a, 8); i++) {
        double v = a->val[i] / sc;
        assert_true(fabs(v - nearbyint(v)) < 1e-3);
        differs |= a->val[i] != g->nodes[a->in[0]].val[i];
    }
    assert_true(differs);
    free(obs);
    qat_qmodel_free(&qm);
    qat_model_free(&fm);
}

/* Sensitivity: each layer's logits SQNR grows with its bits, 8-bit layers alone stay close
 * to float, and the model is left computing what it computed before, bit for bit. */
static void test_sensitivity(void **s) {
    (void)s;
    qat_model fm;
    qat_qmodel qm;
    qat_quant_config q;
    lesson(&fm, &qm, &q);
    qat_graph *g = &qm.m.g;
    qat_dataset d;
    qat_error e;
    assert_int_equal(qat_dataset_alloc(&d, 8, 50, 3, 3, &e), QAT_OK);
    memcpy(d.x, g->nodes[qm.m.input].val, 8 * 150 * sizeof(float));
    for (int i = 0; i < 8; i++) d.y[i] = i % 3;
    qat_pass p = {.batch = 8};
    qat_graph_forward(g, &p, qm.m.logits + 1);
    float before[24], after[24];
    memcpy(before, g->nodes[qm.m.logits].val, sizeof before);
    qat_sensitivity *sens = malloc(sizeof *sens);
    assert_int_equal(qat_sensitivity_analyse(&qm, &d, sens, &e), QAT_OK);
    assert_int_equal(sens->n, 4);
    assert_string_equal(sens->layer[0].name, "conv1");
    assert_int_equal(sens->layer[0].weights, 16 * 5 * 3);
    for (int i = 0; i < sens->n; i++) {
        const double *db = sens->layer[i].sqnr_db;
        assert_true(db[0] < db[1] && db[1] < db[2]);
        assert_true(db[2] > 30);
    }
    assert_true(sens->all_sqnr_db[2] < sens->layer[0].sqnr_db[2]); /* all layers: the most error */
    qat_graph_forward(g, &p, qm.m.logits + 1);
    memcpy(after, g->nodes[qm.m.logits].val, sizeof after);
    assert_memory_equal(before, after, sizeof before);
    free(sens);
    qat_dataset_free(&d);
    qat_qmodel_free(&qm);
    qat_model_free(&fm);
}

/* A hand-built table of three layers, and a model whose accuracy is 0.95 minus each layer's
 * drop alone (the drops add up): the accuracy goal takes the cheap steps and refuses the
 * one over budget; the size goal stops as soon as the bytes fit. */
static const qat_sensitivity *table(void) {
    static qat_sensitivity s;
    s = (qat_sensitivity){.n = 3};
    /* weights; accuracy alone at 2 / 4 / 8 bits */
    const long w[3] = {100, 1000, 10000};
    const double acc[3][3] = {{0.94, 0.95, 0.95}, {0.60, 0.949, 0.95}, {0.50, 0.946, 0.95}};
    for (int i = 0; i < 3; i++) {
        s.layer[i].weights = w[i];
        memcpy(s.layer[i].accuracy, acc[i], sizeof acc[i]);
    }
    return &s;
}

static double additive(void *ctx, const int *bits) {
    const qat_sensitivity *s = ctx;
    double a = 0.95;
    for (int i = 0; i < s->n; i++) a -= 0.95 - s->layer[i].accuracy[bits[i] == 2 ? 0 : bits[i] == 4 ? 1 : 2];
    return a;
}

static void test_auto_bits(void **s) {
    (void)s;
    const qat_sensitivity *t = table();
    int bits[3];
    double acc;
    /* budget 0.5 points: layer 2 to 4 bits (0.004 for 4,500 B) and layer 1 (0.001 for 500 B)
     * fit (0.005 in all); layer 0's 8 → 4 is free; no 4 → 2 step fits */
    qat_auto_bits(t, &(qat_auto_goal){0.005, 0}, additive, (void *)t, bits, &acc);
    assert_int_equal(bits[0], 4);
    assert_int_equal(bits[1], 4);
    assert_int_equal(bits[2], 4);
    assert_float_equal(acc, 0.945, 1e-12);
    /* budget 0.3 points: layer 0's free step, then layer 2's (0.4 points: refused, it stays
     * at 8), layer 1's (0.1); the 4 → 2 steps (1 and 34.9 points) are refused */
    qat_auto_bits(t, &(qat_auto_goal){0.003, 0}, additive, (void *)t, bits, &acc);
    assert_int_equal(bits[0], 4);
    assert_int_equal(bits[1], 4);
    assert_int_equal(bits[2], 8);
    assert_float_equal(acc, 0.949, 1e-12);
    int four[3] = {4, 4, 4};
    assert_int_equal(qat_auto_bits_bytes(t, four), 50 + 500 + 5000);
    /* 6,000 packed bytes: the cheapest steps until they fit */
    qat_auto_bits(t, &(qat_auto_goal){0, 6000}, additive, (void *)t, bits, &acc);
    assert_true(qat_auto_bits_bytes(t, bits) <= 6000);
    assert_int_equal(bits[2], 4);
    /* 10,600 bytes: per byte saved layer 2's step is cheaper than layer 1's (8e-7 against
     * 2e-6 a byte), so layer 2 goes to 4 bits and the budget is met with layer 1 at 8 */
    qat_auto_bits(t, &(qat_auto_goal){0, 10600}, additive, (void *)t, bits, &acc);
    assert_int_equal(bits[1], 8);
    assert_int_equal(bits[2], 4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_at),
        cmocka_unit_test(test_stage_bits_per_layer),
        cmocka_unit_test(test_stage_off_passes_through),
        cmocka_unit_test(test_sensitivity),
        cmocka_unit_test(test_auto_bits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
