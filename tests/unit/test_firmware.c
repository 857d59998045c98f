/* The firmware files of an int8-I/O model and of its uint8-I/O form (qat_ir_uint8_io, as
 * model_uint8_io is made): the array named as asked, and the info header's interface, whose
 * qat_prepare_input writes the model input's type — signed char clamped to [-128, 127] for
 * int8 (the text it always had), uint8_t clamped to [0, 255] for uint8 — with the input's
 * own zero point. tests/e2e/test_firmware.sh compiles such headers and runs them on an
 * export's data. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/firmware.h"
#include "qat/io.h"
#include "qat/quant.h"
#include "qat/tflite.h"
#include "tmpdir.h"

static char dir[256];

static int group_setup(void **state) {
    (void)state;
    return qat_test_mkdtemp(dir, sizeof dir, "firmware");
}

static int group_teardown(void **state) {
    (void)state;
    return qat_test_rmtree(dir);
}

/* input int8 [1, 4, 2] (0.05, -3) → RESHAPE [1, 8] → SOFTMAX (1/256, −128) */
static void build(qat_ir *ir) {
    float s_in = 0.05f, s_out = 1.0f / 256;
    int32_t z_in = -3, z_out = -128, shape[2] = {1, 8};
    const qat_qparams q_in = {1, 0, -128, 127, &s_in, &z_in}, q_out = {1, 0, -128, 127, &s_out, &z_out};
    qat_ir_init(ir);
    const int x = qat_ir_add_tensor(ir, "input", QAT_IR_INT8, 3, (int[]){1, 4, 2}, &q_in, NULL, 0);
    const int sh = qat_ir_add_tensor(ir, "flat/shape", QAT_IR_INT32, 1, (int[]){2}, NULL, shape, 8);
    const int f = qat_ir_add_tensor(ir, "flat", QAT_IR_INT8, 2, (int[]){1, 8}, &q_in, NULL, 0);
    const int p = qat_ir_add_tensor(ir, "probs", QAT_IR_INT8, 2, (int[]){1, 8}, &q_out, NULL, 0);
    assert_true(x >= 0 && sh >= 0 && f >= 0 && p >= 0);
    const qat_ir_node r = {.op = QAT_IR_RESHAPE, .n_in = 2, .in = {x, sh, -1}, .out = f};
    const qat_ir_node s = {.op = QAT_IR_SOFTMAX, .n_in = 1, .in = {f, -1, -1}, .out = p, .beta = 1};
    assert_true(qat_ir_add_node(ir, &r) >= 0 && qat_ir_add_node(ir, &s) >= 0);
    ir->input = x;
    ir->output = p;
}

/* Writes ir's firmware files as <stem> with array <symbol>; returns <stem>_info.h's text
 * (and the .c's in *array_c); the caller frees both. */
static char *write_firmware(const qat_ir *ir, const char *stem, const char *symbol,
                            char **array_c) {
    static const char *const classes[] = {"a", "b", "c", "d", "e", "f", "g", "h"};
    const qat_norm norm = {QAT_NORM_MINMAX, 2, {-4, -4}, {4, 4}};
    const qat_firmware_info info = {symbol, "test.ini", classes, 8, 4, 2, 50, &norm};
    qat_error e = {0};
    unsigned char *buf;
    size_t len;
    assert_int_equal(qat_tflite_serialize(ir, "test", &buf, &len, &e), QAT_OK);
    if (qat_firmware_write(ir, buf, len, &info, dir, stem, &e)) fail_msg("%s", e.msg);
    free(buf);
    char path[512];
    void *text, *c_text;
    size_t n;
    snprintf(path, sizeof path, "%s/%s_info.h", dir, stem);
    assert_int_equal(qat_read_file(path, &text, &n, &e), QAT_OK);
    snprintf(path, sizeof path, "%s/%s.c", dir, stem);
    assert_int_equal(qat_read_file(path, &c_text, &n, &e), QAT_OK);
    *array_c = c_text;
    return text;
}

static void expect_line(const char *text, const char *line) {
    if (!strstr(text, line)) fail_msg("no \"%s\" in the header", line);
}

static void test_prepare_input_by_input_type(void **state) {
    (void)state;
    qat_ir i8, u8;
    qat_error e = {0};
    build(&i8);
    assert_int_equal(qat_ir_uint8_io(&i8, &u8, &e), QAT_OK);
    char *c8, *cu;
    char *h8 = write_firmware(&i8, "model_int8", "g_model_int8", &c8);
    char *hu = write_firmware(&u8, "model_uint8_io", "g_model_uint8_io", &cu);
    expect_line(h8, "/* int8 input and output: real = scale * (q - zero_point). */\n");
    expect_line(h8, "#define QAT_INPUT_ZERO_POINT -3\n");
    expect_line(h8, "#define QAT_OUTPUT_ZERO_POINT -128\n");
    expect_line(h8, "/* One window of raw samples (units as recorded for training) -> the int8 input,\n");
    expect_line(h8, "                                     signed char out[QAT_WINDOW * QAT_AXES]) {\n");
    expect_line(h8, "        out[i] = (signed char)(q < -128 ? -128 : q > 127 ? 127 : q);\n");
    expect_line(c8, "const unsigned char g_model_int8[] = {");
    expect_line(hu, "/* uint8 input and output: real = scale * (q - zero_point). */\n");
    expect_line(hu, "#define QAT_INPUT_ZERO_POINT 125\n");
    expect_line(hu, "#define QAT_OUTPUT_ZERO_POINT 0\n");
    expect_line(hu, "/* One window of raw samples (units as recorded for training) -> the uint8 input,\n");
    expect_line(hu, "                                     uint8_t out[QAT_WINDOW * QAT_AXES]) {\n");
    expect_line(hu, "        out[i] = (uint8_t)(q < 0 ? 0 : q > 255 ? 255 : q);\n");
    expect_line(hu, "(r).AddQuantize();");
    expect_line(cu, "const unsigned char g_model_uint8_io[] = {");
    assert_null(strstr(hu, "signed char"));
    free(h8), free(hu), free(c8), free(cu);
    qat_ir_free(&i8);
    qat_ir_free(&u8);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prepare_input_by_input_type),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
