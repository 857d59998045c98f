/* The model of TFLite Micro's tensor arena (int8.h) against what TFLM measured.
 *
 * reference/tflm-golden (in $QATRAIN_TEST_DATA) gives, for 15 models, TFLM's
 * arena_used_bytes() after AllocateTensors and the smallest arena (16-byte steps) it accepts,
 * on a 64-bit host build. The 64-bit model must reproduce both exactly: it replays TFLM's
 * allocations one by one, so any difference is a missed allocation, a wrong struct size or
 * alignment, or a TFLM change to re-read — no tolerance hides it. hello_world's minimum
 * (1616) is above its arena_used_bytes (1184): the planner's bookkeeping, taken from the free
 * arena while AllocateTensors runs.
 *
 * Nothing measured the 32-bit figures: they are checked for consistency (same activations,
 * every part no larger than on 64 bits), as are models built here (every operator adds its
 * terms; the parts add up to arena_used_bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qat/int8.h"
#include "qat/io.h"
#include "qat/tflite.h"
#include "testdata.h"

static const char *const golden[] = {
    "gesture_act_none",        "gesture_base",           "gesture_bnfold_relu6",
    "gesture_conv_per_tensor", "gesture_fc_per_channel", "gesture_logits",
    "gesture_mixed_logits",    "gesture_pool_same_relu_clamp", "gesture_relu6",
    "gesture_same_pad",        "gesture_w4bit",          "gesture_w4bit_mixed",
    "tflm_hello_world_int8",   "tflm_micro_speech",      "tflm_person_detect",
};
#define N_GOLDEN (sizeof golden / sizeof golden[0])

/* The integer after "key": in meta.json (one number per key there). */
static long meta_int(const char *dir, const char *key) {
    char path[1024];
    snprintf(path, sizeof path, "%s/meta.json", dir);
    void *text;
    size_t len;
    qat_error e = {0};
    assert_int_equal(qat_read_file(path, &text, &len, &e), QAT_OK);
    char *s = realloc(text, len + 1);
    assert_non_null(s);
    s[len] = 0;
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *p = strstr(s, pattern);
    assert_non_null(p);
    long v = strtol(p + strlen(pattern), NULL, 10);
    free(s);
    return v;
}

static void estimate_file(const char *dir, qat_i8_tflm_arena *a) {
    char path[1024];
    snprintf(path, sizeof path, "%s/model.tflite", dir);
    qat_ir ir;
    qat_error e = {0};
    assert_int_equal(qat_tflite_read(path, &ir, &e), QAT_OK);
    for (int k = 0; k < QAT_I8_ABI_COUNT; k++)
        assert_int_equal(qat_i8_tflm_arena_estimate(&ir, (qat_i8_abi)k, &a[k], &e), QAT_OK);
    qat_ir_free(&ir);
}

/* The parts of the arena add up to arena_used_bytes; the minimum is at least that, 16-byte
 * granular; the recommendation is the minimum + 256 bytes + 1/16, rounded up to 16. */
static void check_sums(const qat_i8_tflm_arena *a) {
    assert_int_equal(a->used, a->activations + a->tensors + a->operators + a->kernel_data + a->runtime);
    assert_true(a->min >= a->used && a->min % 16 == 0);
    assert_true(a->recommended >= a->min + 256 + a->min / 16);
    assert_true(a->recommended < a->min + 256 + a->min / 16 + 16);
}

static void test_golden_64bit_exact(void **state) {
    (void)state;
    char root[1024], dir[1100];
    QAT_TEST_NEED_DATA(root, "reference/tflm-golden", "TFLM golden vectors");
    print_message("%-30s %9s %9s | %9s %9s | %9s %9s\n", "model", "TFLM used", "TFLM min",
                  "64b used", "64b min", "32b used", "32b min");
    for (size_t i = 0; i < N_GOLDEN; i++) {
        snprintf(dir, sizeof dir, "%s/%s", root, golden[i]);
        qat_i8_tflm_arena a[QAT_I8_ABI_COUNT];
        estimate_file(dir, a);
        const qat_i8_tflm_arena *a64 = &a[QAT_I8_ABI_LP64], *a32 = &a[QAT_I8_ABI_ILP32];
        const long used = meta_int(dir, "arena_used_bytes"), min = meta_int(dir, "min_arena_bytes");
        print_message("%-30s %9ld %9ld | %9zu %9zu | %9zu %9zu\n", golden[i], used, min, a64->used,
                      a64->min, a32->used, a32->min);
        if ((long)a64->used != used || (long)a64->min != min)
            fail_msg("%s: TFLM used %ld min %ld, the model says used %zu min %zu", golden[i], used,
                     min, a64->used, a64->min);
        check_sums(a64);
    }
}

/* Nothing measured a 32-bit build: the plan of the activations does not depend on the pointer
 * size, and no runtime structure grows when pointers shrink. */
static void test_golden_32bit_consistent(void **state) {
    (void)state;
    char root[1024], dir[1100];
    QAT_TEST_NEED_DATA(root, "reference/tflm-golden", "TFLM golden vectors");
    for (size_t i = 0; i < N_GOLDEN; i++) {
        snprintf(dir, sizeof dir, "%s/%s", root, golden[i]);
        qat_i8_tflm_arena a[QAT_I8_ABI_COUNT];
        estimate_file(dir, a);
        const qat_i8_tflm_arena *a64 = &a[QAT_I8_ABI_LP64], *a32 = &a[QAT_I8_ABI_ILP32];
        check_sums(a32);
        assert_int_equal(a32->activations, a64->activations);
        assert_true(a32->tensors > 0 && a32->tensors < a64->tensors);
        assert_true(a32->operators > 0 && a32->operators < a64->operators);
        assert_true(a32->kernel_data > 0 && a32->kernel_data <= a64->kernel_data);
        assert_true(a32->runtime > 0 && a32->runtime < a64->runtime);
        assert_true(a32->min <= a64->min);
    }
}

/* ---- models built here ----------------------------------------------------------------- */

static int act(qat_ir *ir, int c, float scale, int32_t zp) {
    qat_qparams q = {.n = 1, .qmin = -128, .qmax = 127, .scale = &scale, .zero_point = &zp};
    const int t = qat_ir_add_tensor(ir, "act", QAT_IR_INT8, 2, (int[]){1, c}, &q, NULL, 0);
    assert_true(t >= 0);
    return t;
}

/* A FULLY_CONNECTED layer c_in -> c_out (weights per channel or per tensor) after tensor x;
 * returns its output tensor. */
static int dense(qat_ir *ir, int x, int c_in, int c_out, int per_channel) {
    int8_t w[64 * 64] = {0};
    int32_t b[64] = {0}, zp[64] = {0};
    float ws[64], bs[64];
    for (int i = 0; i < c_out; i++) ws[i] = 0.01f, bs[i] = 0.0005f;
    const int nq = per_channel ? c_out : 1;
    qat_qparams wq = {.n = nq, .qmin = -127, .qmax = 127, .scale = ws, .zero_point = zp};
    qat_qparams bq = {.n = nq, .qmin = INT32_MIN, .qmax = INT32_MAX, .scale = bs, .zero_point = zp};
    const int wt = qat_ir_add_tensor(ir, "w", QAT_IR_INT8, 2, (int[]){c_out, c_in}, &wq, w,
                                     (size_t)(c_out * c_in));
    const int bt = qat_ir_add_tensor(ir, "b", QAT_IR_INT32, 1, (int[]){c_out}, &bq, b,
                                     (size_t)c_out * 4);
    const int y = act(ir, c_out, 0.05f, -128);
    assert_true(wt >= 0 && bt >= 0);
    const qat_ir_node n = {.op = QAT_IR_FULLY_CONNECTED, .n_in = 3, .in = {x, wt, bt}, .out = y,
                           .act = QAT_IR_ACT_RELU};
    assert_true(qat_ir_add_node(ir, &n) >= 0);
    return y;
}

/* [1,16] -> `layers` FULLY_CONNECTED 16 -> 16 (the last per channel when asked). */
static void chain(qat_ir *ir, int layers, int last_per_channel) {
    qat_ir_init(ir);
    int x = act(ir, 16, 0.05f, -128);
    ir->input = x;
    for (int i = 0; i < layers; i++) x = dense(ir, x, 16, 16, last_per_channel && i == layers - 1);
    ir->output = x;
}

static void estimate_ir(const qat_ir *ir, qat_i8_tflm_arena *a) {
    qat_error e = {0};
    qat_i8_engine eng;
    assert_int_equal(qat_i8_prepare(&eng, ir, "test", &e), QAT_OK); /* a model the engine runs */
    for (int k = 0; k < QAT_I8_ABI_COUNT; k++) {
        assert_int_equal(qat_i8_tflm_arena_estimate(ir, (qat_i8_abi)k, &a[k], &e), QAT_OK);
        check_sums(&a[k]);
        /* TFLM's head section is the engine's own plan */
        assert_int_equal(a[k].activations, eng.arena_bytes);
    }
    qat_i8_free(&eng);
}

/* Every operator adds a node, options and OpData, and its tensors add TfLiteEvalTensors; a
 * per-channel FULLY_CONNECTED adds multiplier and shift arrays on top. */
static void test_per_op_terms(void **state) {
    (void)state;
    qat_ir ir;
    qat_i8_tflm_arena two[QAT_I8_ABI_COUNT], three[QAT_I8_ABI_COUNT], pc[QAT_I8_ABI_COUNT];
    chain(&ir, 2, 0);
    estimate_ir(&ir, two);
    qat_ir_free(&ir);
    chain(&ir, 3, 0);
    estimate_ir(&ir, three);
    qat_ir_free(&ir);
    chain(&ir, 3, 1);
    estimate_ir(&ir, pc);
    qat_ir_free(&ir);
    for (int k = 0; k < QAT_I8_ABI_COUNT; k++) {
        assert_int_equal(three[k].activations, two[k].activations); /* [1,16] buffers alternate */
        assert_true(three[k].operators > two[k].operators);
        assert_true(three[k].kernel_data > two[k].kernel_data);
        assert_true(three[k].tensors > two[k].tensors);
        assert_int_equal(three[k].runtime, two[k].runtime);
        /* 16 multipliers and 16 shifts: two 64-byte arrays, 16-aligned */
        assert_int_equal(pc[k].kernel_data, three[k].kernel_data + 2 * 64);
        assert_int_equal(pc[k].operators, three[k].operators);
    }
}

/* Many small buffers: the planner's 40 bytes of bookkeeping per buffer, taken from the free
 * arena during AllocateTensors, outgrow the final head section, so the smallest arena is
 * above arena_used_bytes (as TFLM measured for hello_world). */
static void test_planner_bookkeeping(void **state) {
    (void)state;
    qat_ir ir;
    qat_i8_tflm_arena a[QAT_I8_ABI_COUNT];
    chain(&ir, 24, 0);
    estimate_ir(&ir, a);
    for (int k = 0; k < QAT_I8_ABI_COUNT; k++) assert_true(a[k].min > a[k].used);
    qat_ir_free(&ir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_64bit_exact),
        cmocka_unit_test(test_golden_32bit_consistent),
        cmocka_unit_test(test_per_op_terms),
        cmocka_unit_test(test_planner_bookkeeping),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
