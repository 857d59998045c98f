/* Model building, optimisers, the training loop and checkpoints. */
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

#include "qat/checkpoint.h"
#include "qat/config.h"
#include "qat/optim.h"
#include "qat/train.h"

/* A small two-class problem a conv net separates: a rising versus a falling ramp on
 * axis 0, noisy, over a random offset. */
static void toy_data(qat_dataset *d, int n, unsigned seed) {
    qat_error e;
    assert_int_equal(qat_dataset_alloc(d, n, 12, 2, 2, &e), QAT_OK);
    qat_rng r;
    qat_rng_seed(&r, seed, 1);
    for (int i = 0; i < n; i++) {
        d->y[i] = i % 2;
        float off = (float)qat_rng_uniform(&r);
        for (int t = 0; t < 12; t++) {
            float ramp = (d->y[i] ? 1 : -1) * (float)t / 12;
            d->x[(i * 12 + t) * 2] = off + ramp + 0.1f * (float)qat_rng_normal(&r);
            d->x[(i * 12 + t) * 2 + 1] = (float)qat_rng_uniform(&r);
        }
    }
}

static int small_stack(qat_layer_spec *l) {
    memset(l, 0, 5 * sizeof *l);
    l[0] = (qat_layer_spec){.name = "c", .kind = QAT_LAYER_CONV1D, .units = 4, .kernel = 3,
                            .activation = QAT_ACT_RELU, .use_bias = 1};
    l[1] = (qat_layer_spec){.name = "p", .kind = QAT_LAYER_MAXPOOL1D, .pool = 2};
    l[2] = (qat_layer_spec){.name = "f", .kind = QAT_LAYER_FLATTEN};
    l[3] = (qat_layer_spec){.name = "d", .kind = QAT_LAYER_DROPOUT, .rate = 0.1};
    l[4] = (qat_layer_spec){.name = "o", .kind = QAT_LAYER_DENSE, .units = 2,
                            .activation = QAT_ACT_SOFTMAX, .use_bias = 1};
    return 5;
}

static qat_train_config adam_cfg(int epochs) {
    qat_config c;
    qat_config_defaults(&c);
    c.train.epochs = epochs;
    c.train.batch = 8;
    c.train.lr = 0.01;
    return c.train;
}

static void build(qat_model *m, unsigned seed) {
    qat_layer_spec l[5];
    qat_error e;
    assert_int_equal(qat_model_build(m, l, small_stack(l), 12, 2, 2, 16, &e), QAT_OK);
    qat_rng r;
    qat_rng_seed(&r, seed, QAT_STREAM_INIT);
    qat_model_init(m, &r);
}

/* Lesson shapes: 12,195 parameters, 53,632 MACs (reference/performance.md). */
static void test_lesson_model_size(void **s) {
    (void)s;
    qat_config c;
    qat_config_defaults(&c);
    qat_model m;
    qat_error e;
    assert_int_equal(qat_model_build(&m, c.layers, c.n_layers, 50, 3, 3, 16, &e), QAT_OK);
    assert_int_equal(m.g.n_params, 12195);
    assert_int_equal(qat_model_macs(&m), 53632);
    qat_model_free(&m);
}

/* Glorot-uniform limits, zero biases. */
static void test_init(void **s) {
    (void)s;
    qat_model m;
    build(&m, 3);
    const qat_node *w = &m.g.nodes[m.layer[0].w], *b = &m.g.nodes[m.layer[0].b];
    double limit = sqrt(6.0 / (3 * 2 + 3 * 4)), mx = 0;
    for (size_t i = 0; i < w->size; i++) mx = fmax(mx, fabs(w->val[i]));
    assert_true(mx <= limit && mx > 0.5 * limit);
    for (size_t i = 0; i < b->size; i++) assert_float_equal(b->val[i], 0, 0);
    qat_model_free(&m);
}

/* The timed passes (bench_train's per-op profile) compute what the plain ones do, bit for
 * bit, and put each op node's seconds in its own slot: none for inputs and parameters. */
static void test_timed_passes(void **s) {
    (void)s;
    qat_model a, b;
    build(&a, 5);
    build(&b, 5);
    qat_dataset d;
    toy_data(&d, 8, 2);
    qat_rng ra, rb;
    qat_rng_seed(&ra, 1, QAT_STREAM_DROPOUT);
    qat_rng_seed(&rb, 1, QAT_STREAM_DROPOUT);
    qat_pass pa = {.batch = 8, .training = 1, .labels = d.y, .rng = &ra},
             pb = {.batch = 8, .training = 1, .labels = d.y, .rng = &rb};
    memcpy(a.g.nodes[a.input].val, d.x, 8 * 12 * 2 * sizeof(float));
    memcpy(b.g.nodes[b.input].val, d.x, 8 * 12 * 2 * sizeof(float));
    int nn = a.g.n_nodes;
    double *sec = calloc(2 * (size_t)nn, sizeof *sec);
    assert_non_null(sec);
    qat_graph_times tm = {sec, sec + nn, 0};
    for (int step = 0; step < 2; step++) {
        qat_graph_forward(&a.g, &pa, a.loss + 1);
        qat_graph_zero_grads(&a.g);
        qat_graph_backward(&a.g, &pa, a.loss);
        qat_graph_forward_timed(&b.g, &pb, b.loss + 1, &tm);
        qat_graph_zero_grads(&b.g);
        qat_graph_backward_timed(&b.g, &pb, b.loss, &tm);
        assert_memory_equal(a.g.grads, b.g.grads, a.g.n_params * sizeof(float));
        assert_memory_equal(a.g.nodes[a.loss].val, b.g.nodes[b.loss].val, sizeof(float));
    }
    double total = tm.zero;
    for (int i = 0; i < nn; i++) {
        qat_op op = a.g.nodes[i].op;
        assert_true(sec[i] >= 0 && sec[nn + i] >= 0);
        if (op == QAT_OP_INPUT || op == QAT_OP_PARAM) assert_true(sec[i] == 0 && sec[nn + i] == 0);
        total += sec[i] + sec[nn + i];
    }
    assert_true(total > 0 && tm.zero >= 0);
    free(sec);
    qat_dataset_free(&d);
    qat_model_free(&a);
    qat_model_free(&b);
}

/* One Adam step moves each parameter by lr against its gradient's sign (m/√v = ±1). */
static void test_adam_first_step(void **s) {
    (void)s;
    qat_train_config c = adam_cfg(1);
    qat_optim o;
    qat_error e;
    assert_int_equal(qat_optim_init(&o, &c, 2, &e), QAT_OK);
    float p[2] = {1, 1}, g[2] = {0.5f, -2};
    qat_optim_step(&o, p, g);
    assert_float_equal(p[0], 1 - 0.01, 1e-6);
    assert_float_equal(p[1], 1 + 0.01, 1e-6);
    qat_optim_free(&o);
}

/* Adam over 11 parameters (vector lanes and the scalar tail): three steps agree with the
 * update written out in double (Keras's form: alpha_t = lr·sqrt(1 − β2^t) / (1 − β1^t)), and
 * a parameter in the vector part and one in the tail given the same gradients end equal
 * bit for bit. */
static void test_adam_lanes_and_tail(void **s) {
    (void)s;
    qat_train_config c = adam_cfg(1);
    qat_optim o;
    qat_error e;
    enum { N = 11 };
    assert_int_equal(qat_optim_init(&o, &c, N, &e), QAT_OK);
    float p[N];
    double rp[N], rm[N] = {0}, rv[N] = {0};
    for (int i = 0; i < N; i++) rp[i] = p[i] = 1.0f + 0.125f * (float)(i % 8);
    for (int t = 1; t <= 3; t++) {
        float g[N];
        for (int i = 0; i < N; i++) g[i] = (float)((i % 8) - 3) * 0.37f * (float)t;
        qat_optim_step(&o, p, g);
        double alpha = c.lr * sqrt(1 - pow(c.beta2, t)) / (1 - pow(c.beta1, t));
        for (int i = 0; i < N; i++) {
            rm[i] += (g[i] - rm[i]) * (1 - c.beta1);
            rv[i] += ((double)g[i] * g[i] - rv[i]) * (1 - c.beta2);
            rp[i] -= alpha * rm[i] / (sqrt(rv[i]) + c.epsilon);
        }
    }
    for (int i = 0; i < N; i++) assert_float_equal(p[i], rp[i], 1e-6);
    for (int i = 8; i < N; i++) assert_memory_equal(&p[i], &p[i - 8], sizeof p[i]);
    qat_optim_free(&o);
}

/* SGD with momentum 0.9, lr 0.1, constant gradient 1: steps 0.1, then 0.19. */
static void test_sgd_momentum(void **s) {
    (void)s;
    qat_train_config c = adam_cfg(1);
    c.optimizer = QAT_OPT_SGD;
    c.lr = 0.1;
    c.momentum = 0.9;
    qat_optim o;
    qat_error e;
    assert_int_equal(qat_optim_init(&o, &c, 1, &e), QAT_OK);
    float p[1] = {0}, g[1] = {1};
    qat_optim_step(&o, p, g);
    assert_float_equal(p[0], -0.1, 1e-6);
    qat_optim_step(&o, p, g);
    assert_float_equal(p[0], -0.29, 1e-6);
    qat_optim_free(&o);
}

static void test_training_learns_and_is_deterministic(void **s) {
    (void)s;
    qat_dataset train, val;
    toy_data(&train, 128, 1);
    toy_data(&val, 64, 2);
    qat_train_config c = adam_cfg(15);
    qat_model a, b;
    build(&a, 5);
    build(&b, 5);
    qat_epoch_stats ha[15], hb[15];
    qat_train_log la = {.history = ha}, lb = {.history = hb};
    qat_error e;
    assert_int_equal(qat_train(&a, &c, &train, &val, 9, &la, NULL, &e), QAT_OK);
    assert_int_equal(qat_train(&b, &c, &train, &val, 9, &lb, NULL, &e), QAT_OK);
    assert_int_equal(la.epochs_run, 15);
    assert_true(ha[14].loss < 0.5 * ha[0].loss);
    assert_true(ha[14].val_accuracy > 0.9);
    assert_memory_equal(a.g.params, b.g.params, a.g.n_params * sizeof(float));
    qat_model_free(&a);
    qat_model_free(&b);
    qat_dataset_free(&train);
    qat_dataset_free(&val);
}

/* A run at lr ~0 (validation loss never improves), early stopping after 4 epochs without
 * improvement, the plateau rule halving lr after 2, with the callbacks cb (may be NULL). */
static void lr0_run(const qat_train_callbacks *cb, qat_epoch_stats h[50], qat_train_log *log) {
    qat_dataset train, val;
    toy_data(&train, 32, 3);
    toy_data(&val, 16, 4);
    qat_train_config c = adam_cfg(50);
    c.lr = 1e-12;
    c.early_stop_patience = 4;
    c.plateau_patience = 2;
    c.plateau_factor = 0.5;
    qat_model m;
    build(&m, 6);
    *log = (qat_train_log){.history = h};
    qat_error e;
    assert_int_equal(qat_train(&m, &c, &train, &val, 1, log, cb, &e), QAT_OK);
    qat_model_free(&m);
    qat_dataset_free(&train);
    qat_dataset_free(&val);
}

/* lr 0: validation loss never improves, so early stopping ends after `patience` epochs
 * past the first; the plateau rule halves lr after each patience window. */
static void test_early_stopping_and_plateau(void **s) {
    (void)s;
    qat_epoch_stats h[50];
    qat_train_log log;
    lr0_run(NULL, h, &log);
    assert_true(log.stopped_early);
    assert_int_equal(log.epochs_run, 5);
    assert_int_equal(log.best_epoch, 1);
    assert_float_equal(h[2].lr, 1e-12, 1e-20);  /* epochs 2, 3 without improvement... */
    assert_float_equal(h[3].lr, 0.5e-12, 1e-20); /* ...halve the rate from epoch 4 */
    assert_float_equal(h[4].lr, 0.5e-12, 1e-20);
}

/* An epoch callback that calls epochs 1-3 transitional (progressive quantization) and
 * records which epochs it saw. */
typedef struct epoch_seen {
    int calls, epoch[64];
} epoch_seen;

static int transitional_3(void *ctx, qat_model *m, int epoch) {
    (void)m;
    epoch_seen *s = ctx;
    s->epoch[s->calls++] = epoch;
    return epoch > 3;
}

/* The same lr-0 run with epochs 1-3 transitional: those never count as best, early stopping
 * and the plateau start counting at epoch 4, so the run stops at 4 + 4 (without the rule:
 * best 1, stopped at 5). The callback sees every epoch once, in order. */
static void test_transitional_epochs(void **s) {
    (void)s;
    qat_epoch_stats h[50];
    qat_train_log log;
    epoch_seen seen = {0};
    qat_train_callbacks cb = {.before_epoch = transitional_3, .epoch_ctx = &seen};
    lr0_run(&cb, h, &log);
    assert_true(log.stopped_early);
    assert_int_equal(log.epochs_run, 8);
    assert_int_equal(log.best_epoch, 4);
    assert_int_equal(seen.calls, 8);
    for (int i = 0; i < seen.calls; i++) assert_int_equal(seen.epoch[i], i + 1);
    assert_float_equal(h[5].lr, 1e-12, 1e-20);  /* epochs 5, 6 without improvement... */
    assert_float_equal(h[6].lr, 0.5e-12, 1e-20); /* ...halve the rate from epoch 7 */
}

/* The two callbacks watch their own metrics (the advanced chapter: early stopping on
 * val_accuracy, ReduceLROnPlateau on val_loss). On the toy task validation accuracy reaches
 * 1 within a few epochs and then stays, while the loss keeps falling: a plateau watching the
 * accuracy cuts the rate, one watching the loss does not, and early stopping on the loss
 * does not stop either way. */
static void test_plateau_monitor(void **s) {
    (void)s;
    qat_dataset train, val;
    toy_data(&train, 128, 1);
    toy_data(&val, 64, 2);
    double last_lr[2];
    for (int k = 0; k < 2; k++) {
        qat_train_config c = adam_cfg(15);
        c.monitor = QAT_MONITOR_VAL_LOSS;
        c.early_stop_patience = 3;
        c.plateau_monitor = k ? QAT_MONITOR_VAL_ACCURACY : QAT_MONITOR_VAL_LOSS;
        c.plateau_patience = 2;
        c.plateau_factor = 0.5;
        qat_model m;
        build(&m, 5);
        qat_epoch_stats h[15];
        qat_train_log log = {.history = h};
        qat_error e;
        assert_int_equal(qat_train(&m, &c, &train, &val, 9, &log, NULL, &e), QAT_OK);
        assert_int_equal(log.epochs_run, 15);
        assert_false(log.stopped_early);
        assert_true(h[14].val_accuracy == 1.0);
        last_lr[k] = h[14].lr;
        qat_model_free(&m);
    }
    assert_true(last_lr[0] == adam_cfg(15).lr); /* the loss kept improving */
    assert_true(last_lr[1] < 0.3 * adam_cfg(15).lr); /* the accuracy did not */
    qat_dataset_free(&train);
    qat_dataset_free(&val);
}

static void test_nan_loss_stops(void **s) {
    (void)s;
    qat_dataset train;
    toy_data(&train, 64, 5);
    qat_train_config c = adam_cfg(20);
    c.lr = 1e36; /* Adam steps by about lr: the weights overflow at once */
    qat_model m;
    build(&m, 7);
    qat_epoch_stats h[20];
    qat_train_log log = {.history = h};
    qat_error e = {0};
    assert_int_equal(qat_train(&m, &c, &train, &train, 1, &log, NULL, &e), QAT_ERR_NUMERIC);
    assert_non_null(strstr(e.msg, "loss is"));
    assert_non_null(strstr(e.msg, "epoch"));
    assert_non_null(strstr(e.msg, "in layer 'o' (its output)")); /* the logits overflow first */
    assert_non_null(strstr(e.msg, "lower the learning rate"));
    qat_model_free(&m);
    qat_dataset_free(&train);
}

static void tmp_path(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "/tmp/qat_test_%ld_%s", (long)getpid(), name);
}

static void test_checkpoint_round_trip(void **s) {
    (void)s;
    qat_model a, b;
    build(&a, 8);
    build(&b, 9);
    a.norm = (qat_norm){QAT_NORM_MINMAX, 2, {-1, -1}, {3, 3}};
    a.g.state[0] = 0; /* no state in this model, but the block exists */
    char path[256];
    tmp_path(path, sizeof path, "a.ckpt");
    qat_error e;
    assert_int_equal(qat_checkpoint_save(&a, path, &e), QAT_OK);
    assert_int_equal(qat_checkpoint_load(&b, path, &e), QAT_OK);
    assert_memory_equal(a.g.params, b.g.params, a.g.n_params * sizeof(float));
    assert_float_equal(b.norm.max[1], 3, 0);
    unlink(path);
    qat_model_free(&a);
    qat_model_free(&b);
}

/* Truncation, a flipped byte and a different model are each refused with their reason,
 * and leave the model untouched. */
static void test_checkpoint_bad_files(void **s) {
    (void)s;
    qat_model a, other;
    build(&a, 10);
    qat_config c;
    qat_config_defaults(&c);
    qat_error e;
    assert_int_equal(qat_model_build(&other, c.layers, c.n_layers, 50, 3, 3, 16, &e), QAT_OK);
    char path[256];
    tmp_path(path, sizeof path, "b.ckpt");
    assert_int_equal(qat_checkpoint_save(&a, path, &e), QAT_OK);
    void *data;
    size_t n;
    assert_int_equal(qat_read_file(path, &data, &n, &e), QAT_OK);
    float before = a.g.params[0];

    assert_int_equal(qat_write_file(path, data, n - 7, &e), QAT_OK);
    assert_int_equal(qat_checkpoint_load(&a, path, &e), QAT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "truncated"));
    assert_non_null(strstr(e.msg, path));

    ((unsigned char *)data)[n / 2] ^= 0x40;
    assert_int_equal(qat_write_file(path, data, n, &e), QAT_OK);
    assert_int_equal(qat_checkpoint_load(&a, path, &e), QAT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "checksum"));
    assert_float_equal(a.g.params[0], before, 0);

    ((unsigned char *)data)[n / 2] ^= 0x40;
    assert_int_equal(qat_write_file(path, data, n, &e), QAT_OK);
    assert_int_equal(qat_checkpoint_load(&other, path, &e), QAT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "another model"));

    memcpy(data, "NOTCKPT", 8);
    assert_int_equal(qat_write_file(path, data, n, &e), QAT_OK);
    assert_int_equal(qat_checkpoint_load(&a, path, &e), QAT_ERR_FORMAT);
    assert_non_null(strstr(e.msg, "magic"));

    assert_int_equal(qat_checkpoint_load(&a, "/nonexistent/x.ckpt", &e), QAT_ERR_IO);
    free(data);
    unlink(path);
    qat_model_free(&a);
    qat_model_free(&other);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lesson_model_size),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_timed_passes),
        cmocka_unit_test(test_adam_first_step),
        cmocka_unit_test(test_adam_lanes_and_tail),
        cmocka_unit_test(test_sgd_momentum),
        cmocka_unit_test(test_training_learns_and_is_deterministic),
        cmocka_unit_test(test_early_stopping_and_plateau),
        cmocka_unit_test(test_plateau_monitor),
        cmocka_unit_test(test_transitional_epochs),
        cmocka_unit_test(test_nan_loss_stops),
        cmocka_unit_test(test_checkpoint_round_trip),
        cmocka_unit_test(test_checkpoint_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
