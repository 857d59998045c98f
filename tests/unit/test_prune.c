/* Pruning: schedules, magnitude masks, enforcement on weights and optimiser state,
 * masks surviving QAT into the int8 weights, and mask files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gradcheck.h"
#include "stacks.h"
#include "qat/config.h"
#include "qat/ops.h"
#include "qat/prune.h"
#include "qat/train.h"

static qat_prune_config lesson(void) {
    qat_config c;
    qat_config_defaults(&c);
    return c.prune;
}

/* TFMOT PolynomialDecay: initial at begin, final at end, cubic in between; updates every
 * `frequency` steps inside [begin, end]. */
static void test_polynomial_schedule(void **s) {
    (void)s;
    qat_prune_config c = lesson();
    int upd;
    assert_float_equal(qat_prune_sparsity_at(&c, 1500, 0, &upd), 0.30, 1e-12);
    assert_true(upd);
    assert_float_equal(qat_prune_sparsity_at(&c, 1500, 1500, &upd), 0.70, 1e-12);
    assert_true(upd);
    double mid = 0.70 + (0.30 - 0.70) * pow(0.5, 3);
    assert_float_equal(qat_prune_sparsity_at(&c, 1500, 750, &upd), mid, 1e-12);
    assert_false(upd); /* 750 is not a multiple of 100 */
    qat_prune_sparsity_at(&c, 1500, 800, &upd);
    assert_true(upd);
    assert_float_equal(qat_prune_sparsity_at(&c, 1500, 4000, &upd), 0.70, 1e-12);
    assert_false(upd); /* past end_step: masks stay */
    c.begin_step = 200;
    assert_float_equal(qat_prune_sparsity_at(&c, 1500, 100, &upd), 0, 0);
    assert_false(upd);
    c.schedule = QAT_PRUNE_CONSTANT;
    assert_float_equal(qat_prune_sparsity_at(&c, 1500, 300, &upd), 0.70, 0);
}

typedef struct net {
    qat_graph g;
    int x, w, m, y;
} net;

static void dense_net(net *n, int out, int in, int block) {
    qat_graph_init(&n->g);
    int xd[1] = {in}, wd[2] = {out, in};
    n->x = qat_graph_input(&n->g, "x", 1, xd);
    n->g.nodes[n->x].needs_grad = 1;
    n->w = qat_graph_param(&n->g, "d/kernel", 2, wd);
    n->m = qat_mask(&n->g, "d/mask", n->w, block);
    n->y = qat_dense(&n->g, "d", n->x, n->m, -1);
    qat_error e;
    assert_int_equal(qat_graph_compile(&n->g, 2, &e), QAT_OK);
    qat_prune_reset(&n->g);
}

static void small_net(net *n) { dense_net(n, 2, 4, 0); }

/* round(s·n) smallest magnitudes go (3 of 8 here); ties keep the lower index. */
static void test_update_keeps_largest(void **s) {
    (void)s;
    net n;
    small_net(&n);
    float w[8] = {0.5f, -0.1f, 0.3f, -0.9f, 0.2f, 0.2f, -0.05f, 0.7f};
    memcpy(n.g.nodes[n.w].val, w, sizeof w);
    qat_prune_update(&n.g, 0.375);
    const float *mask = n.g.state + n.g.nodes[n.m].offset;
    float want[8] = {1, 0, 1, 1, 1, 0, 0, 1}; /* 0.2 at 4 kept, 0.2 at 5 dropped */
    for (int i = 0; i < 8; i++) assert_float_equal(mask[i], want[i], 0);
    assert_float_equal(qat_prune_measured(&n.g), 0.375, 0);
    qat_graph_free(&n.g);
}

/* Blocks of 4 along a row of 10 (the last block 2 long), ranked by mean |w|: at 0.7 the
 * 0.1-block and the short 0.25-block go whole, and the 0.6-block only loses its smallest
 * weight, so exactly 7 of 10 are pruned. */
static void test_block_update(void **s) {
    (void)s;
    net n;
    dense_net(&n, 1, 10, 4);
    float w[10] = {0.1f, -0.1f, 0.1f, 0.1f, 0.9f, -0.8f, 0.05f, 0.7f, 0.2f, -0.3f};
    memcpy(n.g.nodes[n.w].val, w, sizeof w);
    qat_prune_update(&n.g, 0.7);
    const float *mask = n.g.state + n.g.nodes[n.m].offset;
    float want[10] = {0, 0, 0, 0, 1, 1, 0, 1, 0, 0};
    for (int i = 0; i < 10; i++) assert_float_equal(mask[i], want[i], 0);
    qat_graph_free(&n.g);
}

/* Random rows of 10 in blocks of 3: every sparsity prunes exactly round(s·n) weights, at
 * most one block is cut part-way, and no kept whole block has a smaller mean than a pruned
 * whole block. */
static void test_block_properties(void **s) {
    (void)s;
    net n;
    dense_net(&n, 3, 10, 3);
    qat_fill_uniform(&n.g.nodes[n.w], 1, 7, -1, 1);
    const float *w = n.g.nodes[n.w].val, *mask = n.g.state + n.g.nodes[n.m].offset;
    for (int pct = 0; pct <= 95; pct += 5) {
        qat_prune_reset(&n.g);
        qat_prune_update(&n.g, pct / 100.0);
        int zeros = 0, partial = 0;
        float max_pruned = 0, min_kept = INFINITY;
        for (int b = 0; b < 12; b++) {
            int start = b / 4 * 10 + b % 4 * 3, len = b % 4 == 3 ? 1 : 3, z = 0;
            float sum = 0;
            for (int j = start; j < start + len; j++) z += mask[j] == 0, sum += fabsf(w[j]);
            zeros += z;
            partial += z > 0 && z < len;
            if (z == len && sum / len > max_pruned) max_pruned = sum / len;
            if (z == 0 && sum / len < min_kept) min_kept = sum / len;
        }
        assert_int_equal(zeros, (int)lround(pct * 30 / 100.0));
        assert_true(partial <= 1);
        assert_true(max_pruned <= min_kept);
    }
    qat_graph_free(&n.g);
}

/* Forward sees w ⊙ mask, backward masks dw, enforcement zeroes weights and moments. */
static void test_mask_op_and_enforce(void **s) {
    (void)s;
    net n;
    small_net(&n);
    qat_fill_uniform(&n.g.nodes[n.w], 1, 3, -1, 1);
    qat_fill_uniform(&n.g.nodes[n.x], 2, 4, -1, 1);
    qat_prune_update(&n.g, 0.5);
    int check[2] = {n.x, n.w};
    qat_pass p = {.batch = 2};
    assert_true(qat_gradcheck_ok(&n.g, &p, n.y, check, 2, 0.125)); /* linear: a large step */
    const float *mask = n.g.state + n.g.nodes[n.m].offset;
    for (int i = 0; i < 8; i++)
        if (mask[i] == 0) assert_float_equal(n.g.grads[n.g.nodes[n.w].offset + i], 0, 0);
    qat_config c;
    qat_config_defaults(&c);
    qat_optim o;
    qat_error e;
    assert_int_equal(qat_optim_init(&o, &c.train, n.g.n_params, &e), QAT_OK);
    for (size_t i = 0; i < n.g.n_params; i++) o.m[i] = o.v[i] = 1;
    qat_prune_enforce(&n.g, &o);
    for (int i = 0; i < 8; i++) {
        float wv = n.g.nodes[n.w].val[i];
        if (mask[i] == 0) {
            assert_float_equal(wv, 0, 0);
            assert_float_equal(o.m[i], 0, 0);
            assert_float_equal(o.v[i], 0, 0);
        } else {
            assert_float_equal(o.m[i], 1, 0);
        }
    }
    qat_optim_free(&o);
    qat_graph_free(&n.g);
}

/* A pruned model of config c through QAT: pruned weights are exactly 0 in the int8 kernels,
 * and only they are (for these weights), from the masks inside the fake-quant graph alone:
 * training runs without the pruner's enforcement, and nothing re-zeroes the weights before
 * lowering. The fake-quant model masks the same layers as the float model, and a layer fused
 * into the operator before it (batchnorm, relu, relu6) has no kernel and no mask of its own. */
static void masks_survive_qat(const qat_config *config) {
    qat_config c = *config;
    qat_model fm;
    qat_error e;
    assert_int_equal(qat_model_build_masked(&fm, c.layers, c.n_layers, 50, 3, 3, 16, &e), QAT_OK);
    qat_rng r;
    qat_rng_seed(&r, 2, QAT_STREAM_INIT);
    qat_model_init(&fm, &r);
    qat_prune_update(&fm.g, 0.7);
    qat_prune_enforce(&fm.g, NULL);
    qat_dataset d;
    assert_int_equal(qat_dataset_alloc(&d, 32, 50, 3, 3, &e), QAT_OK);
    for (int i = 0; i < 32 * 150; i++) d.x[i] = (float)qat_rng_uniform(&r);
    for (int i = 0; i < 32; i++) d.y[i] = i % 3;
    qat_qmodel qm;
    assert_int_equal(qat_qmodel_build(&qm, &fm, &c.quant, 16, &e), QAT_OK);
    assert_int_equal(qat_qmodel_calibrate(&qm, &d, QAT_OBS_MINMAX, &e), QAT_OK);
    /* A few QAT steps, no enforcement: nothing drifts back. */
    qat_train_config t = c.train;
    t.epochs = 2;
    t.lr = 1e-2;
    qat_epoch_stats h[2];
    qat_train_log log = {.history = h};
    qat_train_callbacks cb = {0};
    assert_int_equal(qat_train(&qm.m, &t, &d, &d, 1, &log, &cb, &e), QAT_OK);
    qat_ir ir;
    assert_int_equal(qat_lower(&qm, QAT_LOWER_INT8, &ir, &e), QAT_OK);
    int masked = 0;
    for (int i = 0; i < qm.m.n_layers; i++) {
        int mask = qm.m.layer[i].mask, affine = c.layers[i].kind == QAT_LAYER_CONV1D ||
                                                c.layers[i].kind == QAT_LAYER_DENSE;
        assert_int_equal(mask >= 0, fm.layer[i].mask >= 0);
        if (!affine) assert_int_equal(qm.m.layer[i].w, -1);
        if (mask < 0) continue;
        masked++;
        const qat_node *mn = &qm.m.g.nodes[mask];
        const qat_ir_tensor *k = NULL;
        char name[80];
        snprintf(name, sizeof name, "%s/kernel", qm.m.spec[i].name);
        for (int t2 = 0; t2 < ir.n_tensors; t2++)
            if (!strcmp(ir.tensors[t2].name, name)) k = &ir.tensors[t2];
        assert_non_null(k);
        size_t zeros = 0;
        for (size_t j = 0; j < mn->size; j++) {
            int pruned = qm.m.g.state[mn->offset + j] == 0;
            if (pruned) assert_int_equal(((const int8_t *)k->data)[j], 0);
            zeros += ((const int8_t *)k->data)[j] == 0;
        }
        size_t target = (size_t)llround(0.7 * (double)mn->size);
        assert_true(zeros >= target && zeros <= target + 1); /* the target, within one weight */
    }
    assert_int_equal(masked, 4); /* conv1, conv2, dense1, dense2 */
    qat_ir_free(&ir);
    qat_qmodel_free(&qm);
    qat_model_free(&fm);
    qat_dataset_free(&d);
}

static void test_masks_survive_qat(void **s) {
    (void)s;
    qat_config c;
    qat_config_defaults(&c);
    masks_survive_qat(&c);
}

/* A standalone relu / relu6 layer after a conv, with and without batch norm between them
 * (the pruning stage aborted on these: the fused activation's layer entry was left with
 * node 0 as its "mask"). */
static void test_masks_survive_qat_fused(void **s) {
    (void)s;
    qat_config c;
    qat_test_lesson_bn_relu6(&c, 0.99); /* conv1 -> bn1 -> act1 (relu6) -> pool1 ... */
    masks_survive_qat(&c);
    c.layers[2].kind = QAT_LAYER_RELU;
    masks_survive_qat(&c);
    memmove(&c.layers[1], &c.layers[2], (size_t)(c.n_layers - 2) * sizeof c.layers[0]);
    c.n_layers--; /* conv1 -> act1 (relu) */
    assert_int_equal(c.layers[1].kind, QAT_LAYER_RELU);
    masks_survive_qat(&c);
    c.layers[1].kind = QAT_LAYER_RELU6;
    masks_survive_qat(&c);
}

/* conv1 → bn1 (no activation layer): batch norm is folded into the kernel, and the mask
 * must come before the fold. */
static void test_masks_survive_folded_qat(void **s) {
    (void)s;
    qat_config c;
    qat_test_lesson_bn_relu6(&c, 0.99);
    memmove(&c.layers[2], &c.layers[3], (size_t)(c.n_layers - 3) * sizeof c.layers[0]);
    c.n_layers--; /* drop act1 */
    masks_survive_qat(&c);
}

static void tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "/tmp/qat_test_prune_%ld_%s", (long)getpid(), name);
}

static void test_mask_files(void **s) {
    (void)s;
    qat_config c;
    qat_config_defaults(&c);
    qat_model a, b, other;
    qat_error e = {0};
    assert_int_equal(qat_model_build_masked(&a, c.layers, c.n_layers, 50, 3, 3, 16, &e), QAT_OK);
    assert_int_equal(qat_model_build_masked(&b, c.layers, c.n_layers, 50, 3, 3, 16, &e), QAT_OK);
    c.layers[0].units = 8; /* conv1 with 8 filters: another model */
    assert_int_equal(qat_model_build_masked(&other, c.layers, c.n_layers, 50, 3, 3, 16, &e), QAT_OK);
    qat_rng r;
    qat_rng_seed(&r, 3, QAT_STREAM_INIT);
    qat_model_init(&a, &r);
    qat_prune_update(&a.g, 0.6);
    char path[256], json[256];
    tmp_path(path, sizeof path, "m.bin");
    tmp_path(json, sizeof json, "m.json");
    assert_int_equal(qat_mask_file_write(&a.g, path, &e), QAT_OK);
    assert_int_equal(qat_mask_json_write(&a.g, json, &e), QAT_OK);
    assert_int_equal(qat_mask_file_read(&b.g, path, &e), QAT_OK);
    assert_memory_equal(a.g.state, b.g.state, a.g.n_state * sizeof(float));
    assert_int_equal(qat_mask_file_read(&other.g, path, &e), QAT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "another model"));
    void *data;
    size_t n;
    assert_int_equal(qat_read_file(path, &data, &n, &e), QAT_OK);
    assert_int_equal(qat_write_file(path, data, n - 9, &e), QAT_OK);
    assert_int_equal(qat_mask_file_read(&b.g, path, &e), QAT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "truncated"));
    ((unsigned char *)data)[n - 8] ^= 1; /* a mask bit of the last layer */
    assert_int_equal(qat_write_file(path, data, n, &e), QAT_OK);
    assert_int_equal(qat_mask_file_read(&b.g, path, &e), QAT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "checksum"));
    memcpy(data, "NOTAMASK", 8);
    assert_int_equal(qat_write_file(path, data, n, &e), QAT_OK);
    assert_int_equal(qat_mask_file_read(&b.g, path, &e), QAT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "magic"));
    void *js;
    size_t jn;
    assert_int_equal(qat_read_file(json, &js, &jn, &e), QAT_OK);
    assert_non_null(strstr(js, "\"layer\": \"dense1\""));
    assert_non_null(strstr(js, "\"sparsity\": 0.6"));
    free(js);
    free(data);
    unlink(path);
    unlink(json);
    qat_model_free(&a);
    qat_model_free(&b);
    qat_model_free(&other);
}

/* Structured pruning is exact: the shrunk model computes what the original computes once
 * the removed channels' outgoing weights are zeroed (BN and flatten in between). */
static void test_structured_is_exact(void **s) {
    (void)s;
    qat_config c;
    qat_test_lesson_bn_relu6(&c, 0.99); /* conv1 -> bn1 -> relu6 -> pool1 ... */
    qat_model m, small;
    qat_error e;
    assert_int_equal(qat_model_build(&m, c.layers, c.n_layers, 50, 3, 3, 8, &e), QAT_OK);
    qat_rng r;
    qat_rng_seed(&r, 4, QAT_STREAM_INIT);
    qat_model_init(&m, &r);
    for (int i = 0; i < c.n_layers; i++) /* make biases and BN state non-trivial */
        if (m.layer[i].b >= 0) qat_fill_uniform(&m.g.nodes[m.layer[i].b], 1, 10 + (unsigned)i, -0.2f, 0.2f);
    for (size_t k = 0; k < m.g.n_state; k++) m.g.state[k] = 0.5f + 0.01f * (float)(k % 7);
    assert_int_equal(qat_prune_structured(&m, 0.5, 8, &small, &e), QAT_OK);
    assert_int_equal(small.spec[0].units, 8);  /* conv1 16 -> 8 */
    assert_int_equal(small.spec[4].units, 16); /* conv2 32 -> 16 */
    assert_int_equal(small.spec[7].units, 16); /* dense1 32 -> 16 */
    assert_int_equal(small.spec[9].units, 3);  /* the classifier keeps its classes */
    const int consumers[3][2] = {{0, 4}, {4, 7}, {7, 9}}; /* (pruned layer, its consumer) */
    /* The reference: the original model with masks zeroing every consumer column that reads
     * a removed channel, so removed channels cannot influence anything downstream — which
     * is what the small model computes. */
    qat_model z;
    assert_int_equal(qat_model_build_masked(&z, c.layers, c.n_layers, 50, 3, 3, 8, &e), QAT_OK);
    memcpy(z.g.params, m.g.params, m.g.n_params * sizeof(float));
    for (int i = 0; i < c.n_layers; i++)
        if (c.layers[i].kind == QAT_LAYER_BATCHNORM) {
            const qat_node *a = &m.g.nodes[m.layer[i].out], *b = &z.g.nodes[z.layer[i].out];
            memcpy(z.g.state + b->offset, m.g.state + a->offset, 2 * 16 * sizeof(float));
        }
    float *in = malloc(8 * 150 * sizeof(float)), *pz = malloc(8 * 3 * sizeof(float)), *ps = malloc(8 * 3 * sizeof(float));
    for (int i = 0; i < 8 * 150; i++) in[i] = (float)qat_rng_uniform(&r);
    /* Which old channels survive each pruned layer: match small's rows by their biases. */
    for (int k = 0; k < 3; k++) {
        int pl = consumers[k][0], cl = consumers[k][1];
        int rows = m.spec[pl].units, srows = small.spec[pl].units;
        const float *bo = m.g.nodes[m.layer[pl].b].val, *bs = small.g.nodes[small.layer[pl].b].val;
        const qat_node *mc = &z.g.nodes[z.layer[cl].mask];
        float *mask = z.g.state + mc->offset;
        int O = mc->dim[0], inner = (int)(mc->size / (size_t)O), C = mc->ndim == 3 ? mc->dim[2] : rows;
        for (int ch = 0; ch < rows; ch++) {
            int kept = 0;
            for (int j = 0; j < srows; j++) kept |= bo[ch] == bs[j];
            if (kept) continue;
            for (int o = 0; o < O; o++)
                for (int q = 0; q < inner; q++)
                    if (q % C == ch % C && (mc->ndim == 3 || q % rows == ch)) mask[(size_t)o * inner + q] = 0;
        }
    }
    qat_model_predict(&z, in, 8, pz);
    qat_model_predict(&small, in, 8, ps);
    for (int i = 0; i < 24; i++) assert_float_equal(pz[i], ps[i], 1e-5);
    free(in);
    free(pz);
    free(ps);
    qat_model_free(&z);
    qat_model_free(&small);
    qat_model_free(&m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_polynomial_schedule), cmocka_unit_test(test_update_keeps_largest),
        cmocka_unit_test(test_block_update),        cmocka_unit_test(test_block_properties),
        cmocka_unit_test(test_mask_op_and_enforce), cmocka_unit_test(test_masks_survive_qat),
        cmocka_unit_test(test_masks_survive_qat_fused),
        cmocka_unit_test(test_masks_survive_folded_qat),
        cmocka_unit_test(test_mask_files),       cmocka_unit_test(test_structured_is_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
