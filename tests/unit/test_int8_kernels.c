/* The int8 kernels on small cases computed by hand (the arithmetic is in each comment),
 * then on random shapes against naive loops written the way TFLM's reference kernels
 * are (reference/tflite-int8.md §7), and softmax against a float softmax. */
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

#define HALF (1 << 30) /* M = 2^30: with shift 0 the multiplier is 0.5, shift −1 0.25, 1 1.0 */

/* ---- helpers -------------------------------------------------------------------------- */

static void expect_bytes(const int8_t *got, const int8_t *want, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i]) print_error("byte %zu: got %d, want %d\n", i, got[i], want[i]);
        assert_int_equal(got[i], want[i]);
    }
}

/* conv2d through the packing the engine does in prepare */
static void conv2d(const qat_i8_conv_params *p, const int *in_shape, const int8_t *in,
                   const int *filter_shape, const int8_t *filter, const int32_t *bias,
                   const int *out_shape, int8_t *out) {
    int8_t *packed = malloc(qat_i8_conv2d_packed_size(filter_shape, in_shape[3]));
    assert_non_null(packed);
    qat_i8_conv2d_pack(filter_shape, in_shape[3], filter, packed);
    qat_i8_conv2d(p, in_shape, in, filter_shape, packed, bias, out_shape, out);
    free(packed);
}

static qat_i8_conv_params conv_params(int32_t in_zp, int32_t out_zp, const int32_t *m,
                                      const int *sh) {
    return (qat_i8_conv_params){.input_offset = -in_zp, .output_offset = out_zp, .stride_w = 1,
                                .stride_h = 1, .dilation_w = 1, .dilation_h = 1,
                                .depth_multiplier = 1, .act_min = -128, .act_max = 127,
                                .multiplier = m, .shift = sh};
}

/* ---- CONV_2D ---------------------------------------------------------------------------- */

static void test_conv_valid_zero_point_per_channel(void **state) {
    (void)state;
    /* input [1,1,4,2], zero point 3: x − z = [−2,−1] [0,1] [2,3] [4,5] */
    const int in_shape[4] = {1, 1, 4, 2}, f_shape[4] = {2, 1, 2, 2}, out_shape[4] = {1, 1, 3, 2};
    const int8_t in[] = {1, 2, 3, 4, 5, 6, 7, 8};
    /* OHWI: oc0 taps [1,0] [0,1]; oc1 taps [2,−1] [−3,1] */
    const int8_t filter[] = {1, 0, 0, 1, 2, -1, -3, 1};
    const int32_t bias[] = {10, -20};
    /* oc0 × 0.5, oc1 × 0.25 */
    const int32_t m[] = {HALF, HALF};
    const int sh[] = {0, -1};
    qat_i8_conv_params p = conv_params(3, -5, m, sh);
    /* oc0: −2+1 = −1, 0+3 = 3, 2+5 = 7; + 10 → 9, 13, 17; × 0.5 (ties up) → 5, 7, 9
     * oc1: −4+1+0+1 = −2, 0−1−6+3 = −4, 4−3−12+5 = −6; − 20 → −22, −24, −26;
     *      SRDHM → −11, −12, −13; RDBPOT(·, 1) → −6, −6, −7: −5.5 and −6.5 round away from
     *      zero there (SRDHM alone rounds ties up)
     * + out zp −5 */
    const int8_t want[] = {0, -11, 2, -11, 4, -12};
    int8_t out[6];
    conv2d(&p, in_shape, in, f_shape, filter, bias, out_shape, out);
    expect_bytes(out, want, 6);
}

static void test_conv_same_stride2_relu(void **state) {
    (void)state;
    /* input [1,1,5,1] zp 10: x − z = 0 10 20 30 40; filter [1,1,3,1] = 1 2 3; bias −100.
     * SAME, stride 2: out 3, total pad (3−1)·2 + 3 − 5 = 2, pad_before 1.
     * ox0 taps at −1 (skipped), 0, 1: 2·0 + 3·10 = 30; ox1 at 1,2,3: 10+40+90 = 140;
     * ox2 at 3,4,5 (skipped): 30 + 80 = 110. − 100 → −70, 40, 10; × 0.5 → −35, 20, 5;
     * + out zp −20 → −55, 0, −15 */
    const int in_shape[4] = {1, 1, 5, 1}, f_shape[4] = {1, 1, 3, 1}, out_shape[4] = {1, 1, 3, 1};
    const int8_t in[] = {10, 20, 30, 40, 50}, filter[] = {1, 2, 3};
    const int32_t bias[] = {-100}, m[] = {HALF};
    const int sh[] = {0};
    qat_i8_conv_params p = conv_params(10, -20, m, sh);
    p.stride_w = 2;
    p.pad_w = 1;
    int8_t out[3];
    conv2d(&p, in_shape, in, f_shape, filter, bias, out_shape, out);
    expect_bytes(out, (const int8_t[]){-55, 0, -15}, 3);
    /* fused RELU with output scale 0.5, zp −20: clamp [max(−128, −20), 127] */
    qat_i8_activation_range(QAT_IR_ACT_RELU, 0.5f, -20, &p.act_min, &p.act_max);
    assert_int_equal(p.act_min, -20);
    assert_int_equal(p.act_max, 127);
    conv2d(&p, in_shape, in, f_shape, filter, bias, out_shape, out);
    expect_bytes(out, (const int8_t[]){-20, 0, -15}, 3);
    /* RELU6: Q(6) = −20 + 6/0.5 = −8 */
    qat_i8_activation_range(QAT_IR_ACT_RELU6, 0.5f, -20, &p.act_min, &p.act_max);
    assert_int_equal(p.act_max, -8);
    conv2d(&p, in_shape, in, f_shape, filter, bias, out_shape, out);
    expect_bytes(out, (const int8_t[]){-20, -8, -15}, 3);
}

static void test_conv_same_odd_padding_2d(void **state) {
    (void)state;
    /* input [1,2,4,1] (rows 1 2 3 4 / 5 6 7 8), zp 0; filter [1,2,3,1] of ones; bias 0;
     * SAME stride 2 both ways: out h = 1, w = 2; pad h: (1−1)·2 + 2 − 2 = 0; pad w:
     * (2−1)·2 + 3 − 4 = 1 → pad_before 0, the odd pad at the end. ox0 columns 0..2:
     * 1+2+3+5+6+7 = 24; ox1 columns 2,3 (4 skipped): 3+4+7+8 = 22; × 1.0 */
    const int in_shape[4] = {1, 2, 4, 1}, f_shape[4] = {1, 2, 3, 1}, out_shape[4] = {1, 1, 2, 1};
    const int8_t in[] = {1, 2, 3, 4, 5, 6, 7, 8}, filter[] = {1, 1, 1, 1, 1, 1};
    const int32_t m[] = {HALF};
    const int sh[] = {1};
    qat_i8_conv_params p = conv_params(0, 0, m, sh);
    p.stride_w = p.stride_h = 2;
    int8_t out[2];
    conv2d(&p, in_shape, in, f_shape, filter, NULL, out_shape, out);
    expect_bytes(out, (const int8_t[]){24, 22}, 2);
}

/* ---- DEPTHWISE_CONV_2D ------------------------------------------------------------------ */

static void test_depthwise_multiplier_2(void **state) {
    (void)state;
    /* input [1,1,3,2] zp 1: x − z = [0,1] [2,3] [4,5]; depth multiplier 2 → 4 channels,
     * oc = ic·2 + m; filter [1,1,2,4]: tap0 [1,2,3,4], tap1 [−1,0,1,2]; bias 1 each.
     * ox0: oc0 1·0 − 1·2 = −2, oc1 2·0 + 0 = 0, oc2 3·1 + 1·3 = 6, oc3 4·1 + 2·3 = 10
     * ox1: oc0 2 − 4 = −2, oc1 4, oc2 9 + 5 = 14, oc3 12 + 10 = 22; + 1 →
     * [−1, 1, 7, 11] [−1, 5, 15, 23]; multipliers 1, 0.5, 1, 0.5 (0.5 rounds ties up):
     * [−1, 1, 7, 6] [−1, 3, 15, 12] */
    const int in_shape[4] = {1, 1, 3, 2}, f_shape[4] = {1, 1, 2, 4}, out_shape[4] = {1, 1, 2, 4};
    const int8_t in[] = {1, 2, 3, 4, 5, 6};
    const int8_t filter[] = {1, 2, 3, 4, -1, 0, 1, 2};
    const int32_t bias[] = {1, 1, 1, 1}, m[] = {HALF, HALF, HALF, HALF};
    const int sh[] = {1, 0, 1, 0};
    qat_i8_conv_params p = conv_params(1, 0, m, sh);
    p.depth_multiplier = 2;
    int8_t out[8];
    qat_i8_depthwise_conv2d(&p, in_shape, in, f_shape, filter, bias, out_shape, out);
    expect_bytes(out, (const int8_t[]){-1, 1, 7, 6, -1, 3, 15, 12}, 8);
}

/* ---- FULLY_CONNECTED ------------------------------------------------------------------- */

static void test_fc_per_tensor_and_per_channel(void **state) {
    (void)state;
    /* 2 rows × depth 3, zp −1: x − z = [2,3,4] [0,−1,−2]; weights [[1,0,−1],[2,2,2]];
     * bias [5, −5]. Row 0: 2 − 4 + 5 = 3, 18 − 5 = 13; row 1: 2 + 5 = 7, −6 − 5 = −11 */
    const int8_t in[] = {1, 2, 3, -1, -2, -3}, w[] = {1, 0, -1, 2, 2, 2};
    const int32_t bias[] = {5, -5};
    int8_t out[4];
    /* per tensor × 0.5 (ties up): 2, 7, 4, −5; + out zp 3 */
    const int32_t m1[] = {HALF, HALF};
    const int sh1[] = {0, 0};
    qat_i8_conv_params p = conv_params(-1, 3, m1, sh1);
    qat_i8_fully_connected(&p, 2, 3, 2, in, w, bias, out);
    expect_bytes(out, (const int8_t[]){5, 10, 7, -2}, 4);
    /* per channel × [1, 0.25]: oc0 3, 7; oc1 13 → SRDHM 7 (6.5) → RDBPOT 4 (3.5), where
     * 13/4 = 3.25 would round once to 3; −11 → −5 (−5.5 up) → −3 (−2.5 away); + 3 */
    const int32_t m2[] = {HALF, HALF};
    const int sh2[] = {1, -1};
    p.multiplier = m2;
    p.shift = sh2;
    qat_i8_fully_connected(&p, 2, 3, 2, in, w, bias, out);
    expect_bytes(out, (const int8_t[]){6, 7, 10, 0}, 4);
    /* no bias, clamp to [0, 5] */
    p.act_min = 0;
    p.act_max = 5;
    qat_i8_fully_connected(&p, 2, 3, 2, in, w, NULL, out);
    /* row 0: −2 → −2 + 3 = 1; 18 → 9 → 5 (4.5 away) + 3 = 8 → 5; row 1: 2 + 3 = 5;
     * −6 → −3 → −2 (−1.5 away) + 3 = 1 */
    expect_bytes(out, (const int8_t[]){1, 5, 5, 1}, 4);
}

/* ---- pools --------------------------------------------------------------------------------- */

static void test_max_pool_same_edge(void **state) {
    (void)state;
    /* [1,1,5,2], filter 1×2 stride 2 SAME: out 3, total pad (3−1)·2 + 2 − 5 = 1, pad_before
     * 0; windows {0,1} {2,3} {4} (the last tap lies in the padding and is skipped) */
    const int in_shape[4] = {1, 1, 5, 2}, out_shape[4] = {1, 1, 3, 2};
    const int8_t in[] = {1, -128, 5, -100, -3, -50, 2, -60, 7, -70};
    qat_i8_pool_params p = {.stride_w = 2, .stride_h = 1, .filter_w = 2, .filter_h = 1,
                            .act_min = -128, .act_max = 127};
    int8_t out[6];
    qat_i8_max_pool(&p, in_shape, in, out_shape, out);
    expect_bytes(out, (const int8_t[]){5, -100, 2, -50, 7, -70}, 6);
    p.act_min = -60; /* e.g. a fused RELU with zero point −60 */
    qat_i8_max_pool(&p, in_shape, in, out_shape, out);
    expect_bytes(out, (const int8_t[]){5, -60, 2, -50, 7, -60}, 6);
}

static void test_average_pool_rounding(void **state) {
    (void)state;
    /* 1×2 stride 2 VALID over [−1,−2 | 3,−4 | 1,2]: sums −3, −1, 3 over 2 →
     * −1.5 → −2, −0.5 → −1, 1.5 → 2 (half away from zero) */
    const int in_shape[4] = {1, 1, 6, 1}, out_shape[4] = {1, 1, 3, 1};
    const int8_t in[] = {-1, -2, 3, -4, 1, 2};
    qat_i8_pool_params p = {.stride_w = 2, .stride_h = 1, .filter_w = 2, .filter_h = 1,
                            .act_min = -128, .act_max = 127};
    int8_t out[3];
    qat_i8_average_pool(&p, in_shape, in, out_shape, out);
    expect_bytes(out, (const int8_t[]){-2, -1, 2}, 3);
    /* 1×3 stride 2 SAME over 4: out 2, total pad 1 → pad_before 0; windows {0,1,2} and
     * {2,3} (count 2, padding excluded): [−1,−2,−2] → −5/3 → −2; [−2, 5] → 3/2 → 2 */
    const int in2[4] = {1, 1, 4, 1}, out2[4] = {1, 1, 2, 1};
    const int8_t x2[] = {-1, -2, -2, 5};
    p.filter_w = 3;
    qat_i8_average_pool(&p, in2, x2, out2, out);
    expect_bytes(out, (const int8_t[]){-2, 2}, 2);
}

/* ---- softmax ----------------------------------------------------------------------------- */

static void test_softmax_prepare(void **state) {
    (void)state;
    /* s_in = 0.1: 0.1·2^26 = 6710886.4 = 0.8·2^23 → M = round(0.8·2^31) = 1717986918, L = 23;
     * diff_min = −floor(31·2^26 / 2^23) = −248 */
    qat_i8_softmax_params p;
    qat_i8_softmax_prepare(0.1, 1.0, &p);
    assert_int_equal(p.input_multiplier, 1717986918);
    assert_int_equal(p.input_left_shift, 23);
    assert_int_equal(p.diff_min, -248);
}

static void test_softmax_equal_row(void **state) {
    (void)state;
    /* equal inputs: every exp is exp(0) ≈ 1, each probability 1/n, output 256/n − 128 */
    qat_i8_softmax_params p;
    qat_i8_softmax_prepare((double)0.05f, 1.0, &p);
    int8_t in[4] = {17, 17, 17, 17}, out[4];
    qat_i8_softmax(&p, 1, 4, in, out);
    expect_bytes(out, (const int8_t[]){-64, -64, -64, -64}, 4);
    int8_t in3[3] = {-128, -128, -128}, out3[3];
    qat_i8_softmax(&p, 1, 3, in3, out3); /* 256/3 = 85.3 → 85 */
    expect_bytes(out3, (const int8_t[]){-43, -43, -43}, 3);
}

static void test_softmax_below_diff_min(void **state) {
    (void)state;
    /* s_in = 0.1: diff_min = −248. [127, −128, 0]: −128 − 127 = −255 < −248 → exactly −128;
     * 0 − 127 = −127 → exp(−12.7) ≈ 3e-6, also −128 after rounding; the max gets
     * probability ≈ 1 → 256 − 128 = 128, saturated to 127 */
    qat_i8_softmax_params p;
    qat_i8_softmax_prepare((double)0.1f, 1.0, &p);
    int8_t in[3] = {127, -128, 0}, out[3];
    qat_i8_softmax(&p, 1, 3, in, out);
    expect_bytes(out, (const int8_t[]){127, -128, -128}, 3);
}

static void test_softmax_against_float(void **state) {
    (void)state;
    qat_rng r;
    qat_rng_seed(&r, 7, 3);
    const float scales[] = {0.02f, 0.0625f, 0.1f, 0.25f};
    for (int trial = 0; trial < 400; trial++) {
        const float s = scales[trial % 4];
        const int depth = 2 + (int)qat_rng_below(&r, 15);
        int8_t in[16], out[16];
        for (int c = 0; c < depth; c++) in[c] = (int8_t)((int)qat_rng_below(&r, 256) - 128);
        qat_i8_softmax_params p;
        qat_i8_softmax_prepare((double)s, 1.0, &p);
        qat_i8_softmax(&p, 1, depth, in, out);
        double max = -1e9, sum = 0;
        for (int c = 0; c < depth; c++) max = fmax(max, s * in[c]);
        for (int c = 0; c < depth; c++) sum += exp(s * in[c] - max);
        for (int c = 0; c < depth; c++) {
            double q = round(256.0 * exp(s * in[c] - max) / sum) - 128;
            q = fmin(127, fmax(-128, q));
            if (fabs(q - out[c]) > 1) print_error("trial %d c %d: %d vs %g\n", trial, c, out[c], q);
            assert_true(fabs(q - out[c]) <= 1);
        }
    }
}

/* ---- quantize / dequantize / requantize / activation range ------------------------------ */

static void test_quantize_rounding_and_clamping(void **state) {
    (void)state;
    /* scale 0.5: x/0.5 = 0.5 → 1, −0.5 → −1, 1.5 → 2, −1.5 → −2 (ties away from zero);
     * 100 and −100 clamp; zp 10 shifts everything by 10 before clamping */
    const float x[] = {0.25f, -0.25f, 0.75f, -0.75f, 100.0f, -100.0f, 0.0f, 0.2f};
    int8_t q[8];
    qat_i8_quantize(x, 8, 0.5f, 0, q);
    expect_bytes(q, (const int8_t[]){1, -1, 2, -2, 127, -128, 0, 0}, 8);
    qat_i8_quantize(x, 8, 0.5f, 10, q);
    expect_bytes(q, (const int8_t[]){11, 9, 12, 8, 127, -128, 10, 10}, 8);
    /* 58.0 / 0.5 + 10 = 126, 58.5 → 127, 59 clamps */
    qat_i8_quantize((const float[]){58.0f, 58.5f, 59.0f}, 3, 0.5f, 10, q);
    expect_bytes(q, (const int8_t[]){126, 127, 127}, 3);
}

static void test_dequantize(void **state) {
    (void)state;
    float x[3];
    qat_i8_dequantize((const int8_t[]){-128, 0, 127}, 3, 0.1f, -128, x);
    assert_true(x[0] == 0.0f);
    assert_true(x[1] == (float)((double)0.1f * 128));
    assert_true(x[2] == (float)((double)0.1f * 255));
}

static void test_requantize(void **state) {
    (void)state;
    /* s_in/s_out = 0.5/0.25 = 2 → (2^30, 2); (q − 5)·2 + (−3), clamped */
    qat_i8_requantize_params p = {.in_type = QAT_IR_INT8, .out_type = QAT_IR_INT8, .in_zp = 5,
                                  .out_zp = -3};
    qat_quantize_multiplier((double)0.5f / (double)0.25f, &p.multiplier, &p.shift);
    assert_int_equal(p.multiplier, HALF);
    assert_int_equal(p.shift, 2);
    int8_t out[4];
    qat_i8_requantize(&p, 4, (const int8_t[]){5, 7, 100, -128}, out);
    expect_bytes(out, (const int8_t[]){-3, 1, 127, -128}, 4);
}

/* The uint8 interface of a full-int8 model, by hand from TFLM's Prepare (QuantizeMultiplier of
 * (double)s_in / (double)s_out) and Requantize (clamp(MBQM(q − z_in) + z_out) to the output
 * type; its fast path for equal scales and zero points 128 apart flips the top bit). */
static void test_requantize_uint8(void **state) {
    (void)state;
    /* equal scales: (2^30, 1), MBQM(x) = round(2x · 2^30 / 2^31) = x */
    qat_i8_requantize_params in = {.in_type = QAT_IR_UINT8, .out_type = QAT_IR_INT8, .in_zp = 133,
                                   .out_zp = 5};
    qat_quantize_multiplier((double)0.02f / (double)0.02f, &in.multiplier, &in.shift);
    assert_int_equal(in.multiplier, HALF);
    assert_int_equal(in.shift, 1);
    const uint8_t u[] = {0, 1, 127, 128, 133, 200, 255};
    int8_t s8[7];
    qat_i8_requantize(&in, 7, u, s8); /* q − 133 + 5 */
    expect_bytes(s8, (const int8_t[]){-128, -127, -1, 0, 5, 72, 127}, 7);
    qat_i8_requantize_params out = {.in_type = QAT_IR_INT8, .out_type = QAT_IR_UINT8, .in_zp = 5,
                                    .out_zp = 133, .multiplier = in.multiplier, .shift = in.shift};
    uint8_t back[8];
    qat_i8_requantize(&out, 7, s8, back);
    assert_memory_equal(back, u, 7);
    /* every byte: the fast path's top-bit flip, both ways */
    for (int v = 0; v < 256; v++) {
        const uint8_t b = (uint8_t)v;
        int8_t i8;
        uint8_t u8;
        qat_i8_requantize(&in, 1, &b, &i8);
        assert_int_equal((uint8_t)i8, b ^ 0x80);
        qat_i8_requantize(&out, 1, &i8, &u8);
        assert_int_equal(u8, b);
    }
    /* uint8 → int8, s_in/s_out = 2: (2^30, 2), (q − 130)·2 + 3 clamped to [-128, 127] */
    in = (qat_i8_requantize_params){.in_type = QAT_IR_UINT8, .out_type = QAT_IR_INT8, .in_zp = 130,
                                    .out_zp = 3, .multiplier = HALF, .shift = 2};
    qat_i8_requantize(&in, 6, (const uint8_t[]){130, 131, 100, 255, 0, 190}, s8);
    expect_bytes(s8, (const int8_t[]){3, 5, -57, 127, -128, 123}, 6);
    /* int8 → uint8, s_in/s_out = 0.5: (2^30, 0), MBQM(x) = round(x / 2) with ties up (SRDHM);
     * x = q + 1, then + 128 */
    qat_quantize_multiplier((double)0.25f / (double)0.5f, &out.multiplier, &out.shift);
    assert_int_equal(out.multiplier, HALF);
    assert_int_equal(out.shift, 0);
    out.in_zp = -1, out.out_zp = 128;
    qat_i8_requantize(&out, 8, (const int8_t[]){-128, -3, -2, -1, 0, 1, 3, 127}, back);
    assert_memory_equal(back, ((const uint8_t[]){65, 127, 128, 128, 129, 129, 130, 192}), 8);
    /* int8 → uint8, ×2: clamped to [0, 255] */
    out = (qat_i8_requantize_params){.in_type = QAT_IR_INT8, .out_type = QAT_IR_UINT8, .in_zp = 0,
                                     .out_zp = 128, .multiplier = HALF, .shift = 2};
    qat_i8_requantize(&out, 3, (const int8_t[]){-128, 127, 10}, back);
    assert_memory_equal(back, ((const uint8_t[]){0, 255, 148}), 3);
}

/* float → uint8 with the input tensor's qparams: QUANTIZE's rule, clamped to [0, 255]. */
static void test_quantize_uint8(void **state) {
    (void)state;
    const float x[] = {0.0f, 0.01f, 0.015f, -0.015f, 1.0f, -1.0f, 5.0f};
    uint8_t u[7];
    int8_t s8[7];
    qat_i8_quantize_to(QAT_IR_UINT8, x, 7, 0.01f, 128, u);
    assert_memory_equal(u, ((const uint8_t[]){128, 129, 130, 126, 228, 28, 255}), 7);
    qat_i8_quantize(x, 7, 0.01f, 0, s8); /* the int8 quantizer: the same values − 128 */
    for (int i = 0; i < 7; i++) assert_int_equal(u[i], (uint8_t)(s8[i] ^ 0x80));
}

static void test_activation_range(void **state) {
    (void)state;
    int32_t lo, hi;
    qat_i8_activation_range(QAT_IR_ACT_NONE, 0.1f, -10, &lo, &hi);
    assert_int_equal(lo, -128), assert_int_equal(hi, 127);
    qat_i8_activation_range(QAT_IR_ACT_RELU, 0.1f, -10, &lo, &hi);
    assert_int_equal(lo, -10), assert_int_equal(hi, 127);
    qat_i8_activation_range(QAT_IR_ACT_RELU6, 0.1f, -10, &lo, &hi);
    assert_int_equal(lo, -10), assert_int_equal(hi, 50); /* 6/0.1f ≈ 59.9999991 is 60.0f */
    /* 6/4 = 1.5 rounds away from zero to 2 */
    qat_i8_activation_range(QAT_IR_ACT_RELU6, 4.0f, 0, &lo, &hi);
    assert_int_equal(lo, 0), assert_int_equal(hi, 2);
    /* Q(6) beyond 127 keeps the type's bound; zero point below −128 too */
    qat_i8_activation_range(QAT_IR_ACT_RELU6, 0.01f, -128, &lo, &hi);
    assert_int_equal(lo, -128), assert_int_equal(hi, 127);
}

/* ---- random shapes against naive TFLM-order loops ---------------------------------------- */

typedef struct conv_case {
    int in_shape[4], f_shape[4], out_shape[4];
    qat_i8_conv_params p;
    int32_t m[64];
    int sh[64];
    int8_t *in, *filter;
    int32_t bias[64];
} conv_case;

static int out_dim(int same, int in, int f, int stride, int dil, int *pad) {
    const int eff = (f - 1) * dil + 1;
    const int out = same ? (in + stride - 1) / stride : (in + stride - eff) / stride;
    const int total = (out - 1) * stride + eff - in;
    *pad = total > 0 ? total / 2 : 0;
    return out;
}

static int8_t *random_bytes(qat_rng *r, size_t n, int lo, int hi) {
    int8_t *b = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) b[i] = (int8_t)(lo + (int)qat_rng_below(r, (uint32_t)(hi - lo + 1)));
    return b;
}

static size_t count4(const int *s) { return (size_t)s[0] * s[1] * s[2] * s[3]; }

/* A random conv / depthwise geometry whose VALID or SAME output is non-empty. */
static void random_case(qat_rng *r, conv_case *c, int depthwise) {
    memset(c, 0, sizeof *c);
    int in_c, oc, fc, dm = 1;
    const int groups = depthwise ? 1 : 1 + (int)qat_rng_below(r, 2);
    if (depthwise) {
        in_c = 1 + (int)qat_rng_below(r, 6);
        dm = 1 + (int)qat_rng_below(r, 3);
        oc = in_c * dm;
        fc = oc;
    } else {
        fc = 1 + (int)qat_rng_below(r, 20);
        in_c = fc * groups;
        oc = groups * (1 + (int)qat_rng_below(r, 20)); /* up to 40: several blocks of 16 */
    }
    const int same = (int)qat_rng_below(r, 2);
    for (;;) {
        const int h = 1 + (int)qat_rng_below(r, 7), w = 1 + (int)qat_rng_below(r, 9);
        const int fh = 1 + (int)qat_rng_below(r, 3), fw = 1 + (int)qat_rng_below(r, 4);
        const int sh = 1 + (int)qat_rng_below(r, 2), sw = 1 + (int)qat_rng_below(r, 3);
        const int dh = 1 + (int)qat_rng_below(r, 2), dw = 1 + (int)qat_rng_below(r, 2);
        const int oh = out_dim(same, h, fh, sh, dh, &c->p.pad_h);
        const int ow = out_dim(same, w, fw, sw, dw, &c->p.pad_w);
        if (oh < 1 || ow < 1) continue;
        memcpy(c->in_shape, (int[4]){1 + (int)qat_rng_below(r, 2), h, w, in_c}, sizeof c->in_shape);
        if (depthwise)
            memcpy(c->f_shape, (int[4]){1, fh, fw, oc}, sizeof c->f_shape);
        else
            memcpy(c->f_shape, (int[4]){oc, fh, fw, fc}, sizeof c->f_shape);
        memcpy(c->out_shape, (int[4]){c->in_shape[0], oh, ow, oc}, sizeof c->out_shape);
        c->p.stride_h = sh, c->p.stride_w = sw, c->p.dilation_h = dh, c->p.dilation_w = dw;
        break;
    }
    c->p.depth_multiplier = dm;
    c->p.input_offset = -((int)qat_rng_below(r, 256) - 128);
    c->p.output_offset = (int)qat_rng_below(r, 256) - 128;
    c->p.act_min = -128 + (int)qat_rng_below(r, 40);
    c->p.act_max = 127 - (int)qat_rng_below(r, 40);
    for (int i = 0; i < oc; i++) {
        qat_quantize_multiplier(ldexp(0.5 + qat_rng_uniform(r) / 2, -7 - (int)qat_rng_below(r, 8)),
                                &c->m[i], &c->sh[i]);
        c->bias[i] = (int32_t)qat_rng_below(r, 20001) - 10000;
    }
    c->p.multiplier = c->m;
    c->p.shift = c->sh;
    c->in = random_bytes(r, count4(c->in_shape), -128, 127);
    c->filter = random_bytes(r, count4(c->f_shape), -127, 127);
}

static int8_t finish(const qat_i8_conv_params *p, int32_t acc, int oc) {
    acc = qat_mul_by_quantized_multiplier(acc, p->multiplier[oc], p->shift[oc]) + p->output_offset;
    return (int8_t)(acc < p->act_min ? p->act_min : acc > p->act_max ? p->act_max : acc);
}

/* TFLM's ConvPerChannel / DepthwiseConvPerChannel loops, written plainly. */
static void naive_conv(const conv_case *c, int depthwise, int8_t *out) {
    const qat_i8_conv_params *p = &c->p;
    const int *is = c->in_shape, *fs = c->f_shape, *os = c->out_shape;
    const int fc = depthwise ? 1 : fs[3], per_group = depthwise ? 1 : os[3] / (is[3] / fc);
    for (int b = 0; b < os[0]; b++)
        for (int oy = 0; oy < os[1]; oy++)
            for (int ox = 0; ox < os[2]; ox++)
                for (int oc = 0; oc < os[3]; oc++) {
                    int32_t acc = 0;
                    for (int fy = 0; fy < fs[1]; fy++)
                        for (int fx = 0; fx < fs[2]; fx++) {
                            const int iy = oy * p->stride_h - p->pad_h + p->dilation_h * fy;
                            const int ix = ox * p->stride_w - p->pad_w + p->dilation_w * fx;
                            if (iy < 0 || iy >= is[1] || ix < 0 || ix >= is[2]) continue;
                            const int8_t *x = c->in + (((size_t)b * is[1] + iy) * is[2] + ix) * is[3];
                            if (depthwise) {
                                const int32_t xv = x[oc / p->depth_multiplier] + p->input_offset;
                                acc += c->filter[((size_t)fy * fs[2] + fx) * fs[3] + oc] * xv;
                                continue;
                            }
                            const int g = oc / per_group;
                            for (int ic = 0; ic < fc; ic++)
                                acc += c->filter[(((size_t)oc * fs[1] + fy) * fs[2] + fx) * fc + ic] *
                                       (x[g * fc + ic] + p->input_offset);
                        }
                    out[(((size_t)b * os[1] + oy) * os[2] + ox) * os[3] + oc] =
                        finish(p, acc + c->bias[oc], oc);
                }
}

static void test_conv_random_against_naive(void **state) {
    (void)state;
    qat_rng r;
    qat_rng_seed(&r, 11, 2);
    for (int trial = 0; trial < 300; trial++) {
        const int depthwise = trial % 3 == 2;
        conv_case c;
        random_case(&r, &c, depthwise);
        const size_t n = count4(c.out_shape);
        int8_t *got = malloc(n), *want = malloc(n);
        naive_conv(&c, depthwise, want);
        if (depthwise)
            qat_i8_depthwise_conv2d(&c.p, c.in_shape, c.in, c.f_shape, c.filter, c.bias,
                                    c.out_shape, got);
        else
            conv2d(&c.p, c.in_shape, c.in, c.f_shape, c.filter, c.bias, c.out_shape, got);
        expect_bytes(got, want, n);
        free(got), free(want), free(c.in), free(c.filter);
    }
}

static void naive_pool(const qat_i8_pool_params *p, const int *is, const int8_t *in,
                       const int *os, int average, int8_t *out) {
    for (int b = 0; b < os[0]; b++)
        for (int oy = 0; oy < os[1]; oy++)
            for (int ox = 0; ox < os[2]; ox++)
                for (int ch = 0; ch < os[3]; ch++) {
                    int32_t acc = average ? 0 : -128, count = 0;
                    for (int fy = 0; fy < p->filter_h; fy++)
                        for (int fx = 0; fx < p->filter_w; fx++) {
                            const int iy = oy * p->stride_h - p->pad_h + fy;
                            const int ix = ox * p->stride_w - p->pad_w + fx;
                            if (iy < 0 || iy >= is[1] || ix < 0 || ix >= is[2]) continue;
                            const int32_t v = in[(((size_t)b * is[1] + iy) * is[2] + ix) * is[3] + ch];
                            acc = average ? acc + v : (v > acc ? v : acc);
                            count++;
                        }
                    if (average)
                        acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    acc = acc < p->act_min ? p->act_min : acc > p->act_max ? p->act_max : acc;
                    out[(((size_t)b * os[1] + oy) * os[2] + ox) * os[3] + ch] = (int8_t)acc;
                }
}

static void test_pool_random_against_naive(void **state) {
    (void)state;
    qat_rng r;
    qat_rng_seed(&r, 12, 2);
    for (int trial = 0; trial < 300; trial++) {
        const int same = trial % 2, average = (trial / 2) % 2;
        qat_i8_pool_params p = {.filter_h = 1 + (int)qat_rng_below(&r, 3),
                                .filter_w = 1 + (int)qat_rng_below(&r, 4),
                                .stride_h = 1 + (int)qat_rng_below(&r, 2),
                                .stride_w = 1 + (int)qat_rng_below(&r, 3),
                                .act_min = -128 + (int)qat_rng_below(&r, 30),
                                .act_max = 127 - (int)qat_rng_below(&r, 30)};
        int is[4] = {1 + (int)qat_rng_below(&r, 2), 1 + (int)qat_rng_below(&r, 6),
                     1 + (int)qat_rng_below(&r, 9), 1 + (int)qat_rng_below(&r, 40)};
        int os[4] = {is[0], out_dim(same, is[1], p.filter_h, p.stride_h, 1, &p.pad_h),
                     out_dim(same, is[2], p.filter_w, p.stride_w, 1, &p.pad_w), is[3]};
        if (os[1] < 1 || os[2] < 1) continue;
        int8_t *in = random_bytes(&r, count4(is), -128, 127);
        int8_t *got = malloc(count4(os)), *want = malloc(count4(os));
        naive_pool(&p, is, in, os, average, want);
        (average ? qat_i8_average_pool : qat_i8_max_pool)(&p, is, in, os, got);
        expect_bytes(got, want, count4(os));
        free(in), free(got), free(want);
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv_valid_zero_point_per_channel),
        cmocka_unit_test(test_conv_same_stride2_relu),
        cmocka_unit_test(test_conv_same_odd_padding_2d),
        cmocka_unit_test(test_depthwise_multiplier_2),
        cmocka_unit_test(test_fc_per_tensor_and_per_channel),
        cmocka_unit_test(test_max_pool_same_edge),
        cmocka_unit_test(test_average_pool_rounding),
        cmocka_unit_test(test_softmax_prepare),
        cmocka_unit_test(test_softmax_equal_row),
        cmocka_unit_test(test_softmax_below_diff_min),
        cmocka_unit_test(test_softmax_against_float),
        cmocka_unit_test(test_quantize_rounding_and_clamping),
        cmocka_unit_test(test_dequantize),
        cmocka_unit_test(test_requantize),
        cmocka_unit_test(test_requantize_uint8),
        cmocka_unit_test(test_quantize_uint8),
        cmocka_unit_test(test_activation_range),
        cmocka_unit_test(test_conv_random_against_naive),
        cmocka_unit_test(test_pool_random_against_naive),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
