/* Golden values for the fixed-point helpers (reference/tflite-int8.md §7.1–§7.2), each
 * worked out by hand in its comment, plus a randomized check of the branch-free SRDHM and
 * of MultiplyByQuantizedMultiplier against gemmlowp's formulas written out literally. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <math.h>

#include "qat/gemm.h"
#include "qat/qparams.h"
#include "qat/quant.h"
#include "../../src/quant/fq_avx2.h"
#include "qat/rng.h"

static void expect_qm(double m, int32_t want_m, int want_shift) {
    int32_t got_m = -1;
    int got_shift = -99;
    qat_quantize_multiplier(m, &got_m, &got_shift);
    assert_int_equal(got_m, want_m);
    assert_int_equal(got_shift, want_shift);
}

static void test_round_away(void **state) {
    (void)state;
    assert_true(qat_round_away(0.5) == 1.0);
    assert_true(qat_round_away(-0.5) == -1.0);
    assert_true(qat_round_away(2.5) == 3.0);   /* not banker's rounding */
    assert_true(qat_round_away(-2.5) == -3.0);
    assert_true(qat_round_away(1.4999) == 1.0);
    assert_true(qat_round_away(-1.5001) == -2.0);
}

/* The inline rounding is C's round() bit for bit: halves and their neighbours, zeros of
 * both signs, the 2^52 edge, huge values, infinities, NaN, and a million random doubles of
 * every magnitude. */
static int same_double(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0 || (isnan(a) && isnan(b));
}

static void test_round_away_is_round(void **state) {
    (void)state;
    const double edge[] = {0.0, -0.0, 0.49999999999999994, -0.49999999999999994, 0.5, -0.5,
                           1.5, -1.5, 0.3, -0.3, 4503599627370495.5, -4503599627370495.5,
                           4503599627370496.0, -4503599627370496.0, 9007199254740993.0, 1e300,
                           -1e300, 5e-324, -5e-324, INFINITY, -INFINITY, NAN, 2147483647.5,
                           -2147483648.5, 9.2233720368547758e18, -9.2233720368547758e18};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++)
        if (!same_double(qat_round_away(edge[i]), round(edge[i])))
            fail_msg("qat_round_away(%.17g) = %.17g, round gives %.17g", edge[i],
                     qat_round_away(edge[i]), round(edge[i]));
    uint64_t s = 88172645463325252ull;
    for (int i = 0; i < 1000000; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        double x;
        uint64_t bits = s & ~(0x7ffull << 52); /* any mantissa and sign, exponent below: */
        bits |= (uint64_t)(1023 - 8 + (int)(s % 70)) << 52; /* 2^-8 .. 2^61 */
        memcpy(&x, &bits, sizeof x);
        if (!same_double(qat_round_away(x), round(x)))
            fail_msg("qat_round_away(%.17g) = %.17g, round gives %.17g", x, qat_round_away(x),
                     round(x));
    }
}

/* The fake-quant graph's requantization: the AVX2 row, and the AVX-512 row where the
 * processor has it, equal the portable one bit for bit, for every channel count (tails
 * included), on values that round on halves, saturate int32, shift left and right, and hit
 * the clamps. Skipped (counted) without AVX2. */
static void test_requant_rows_are_portable(void **state) {
    (void)state;
    if (!qat_gemm_isa_supported(QAT_GEMM_ISA_AVX2)) skip();
    const int avx512 = qat_gemm_isa_supported(QAT_GEMM_ISA_AVX512);
    enum { N = 37 };
    double inv[N];
    int32_t mult[N];
    int shift[N];
    float y[N], a[N], b[N];
    qat_rng r;
    qat_rng_seed(&r, 3, 0);
    for (int trial = 0; trial < 20000; trial++) {
        for (int c = 0; c < N; c++) {
            double m = ldexp(0.5 + 0.5 * qat_rng_uniform(&r), (int)qat_rng_below(&r, 40) - 34);
            qat_quantize_multiplier(m, &mult[c], &shift[c]);
            inv[c] = ldexp(1.0 + qat_rng_uniform(&r), (int)qat_rng_below(&r, 30) - 5);
            double v = (qat_rng_uniform(&r) - 0.5) * ldexp(1.0, (int)qat_rng_below(&r, 40) - 10);
            if (trial % 7 == 0) { /* an exact half: a power-of-two inv, a float y */
                inv[c] = ldexp(1.0, (int)qat_rng_below(&r, 20) - 5);
                v = ((int)qat_rng_below(&r, 200) - 100 + 0.5) / inv[c];
            }
            y[c] = (float)v;
        }
        int n = 1 + trial % N;
        qat_requant_row row = {inv, mult, shift, (int32_t)qat_rng_below(&r, 256) - 128,
                               -128, 127, (float)ldexp(1.0, -(int)qat_rng_below(&r, 10))};
        if (trial % 5 == 0) row.lo = 0, row.hi = 100;
        qat_requant_row_c(&row, y, 0, n, a);
        qat_requant_row_avx2(&row, y, n, b);
        if (memcmp(a, b, (size_t)n * sizeof a[0]))
            fail_msg("trial %d: AVX2 and portable requantization differ", trial);
        if (!avx512) continue;
        qat_requant_row_avx512(&row, y, n, b);
        if (memcmp(a, b, (size_t)n * sizeof a[0]))
            fail_msg("trial %d: AVX-512 and portable requantization differ", trial);
    }
}

/* Weight fake-quant: the AVX2 row equals qat_quantize_weight's value times the scale, bit
 * for bit, per column or per row, at 8, 4 and 2 bits, with exact halves and weights far
 * outside the range. */
static void test_fq_weight_avx2_is_portable(void **state) {
    (void)state;
    if (!qat_gemm_isa_supported(QAT_GEMM_ISA_AVX2)) skip();
    enum { N = 23 };
    float w[N], sc[N], out[N];
    qat_rng r;
    qat_rng_seed(&r, 5, 0);
    const int qmaxes[3] = {127, 7, 1};
    for (int trial = 0; trial < 20000; trial++) {
        int n = 1 + trial % N, per_column = trial % 2, qmax = qmaxes[trial % 3];
        for (int j = 0; j < N; j++) {
            sc[j] = (float)ldexp(1.0 + qat_rng_uniform(&r), -(int)qat_rng_below(&r, 12));
            w[j] = (float)((qat_rng_uniform(&r) - 0.5) * 4 * qmax * sc[per_column ? j : 0]);
            if (trial % 5 == 0) /* an exact half step */
                w[j] = ((int)qat_rng_below(&r, 2 * qmax + 4) - qmax - 2 + 0.5f) *
                       (float)ldexp(1.0, -(int)qat_rng_below(&r, 6)), sc[j] = sc[0] =
                       (float)ldexp(1.0, -(int)qat_rng_below(&r, 6));
        }
        qat_fq_weight_row_avx2(w, n, sc, per_column, qmax, out);
        for (int j = 0; j < n; j++) {
            float s = sc[per_column ? j : 0], want = (float)qat_quantize_weight(w[j], s, -qmax, qmax) * s;
            if (memcmp(&want, &out[j], sizeof want))
                fail_msg("trial %d, column %d: %g, want %g", trial, j, out[j], want);
        }
    }
}

/* Activation fake-quant without requantization: the AVX2 row equals qat_quantize_float's
 * value, back to real, bit for bit, at 8, 4 and 2 bits, on exact halves of a step, signed
 * zeros, values far outside the range, ±infinity and NaN, every length to 40. Skipped
 * (counted) without AVX2. */
static void test_fq_act_avx2_is_portable(void **state) {
    (void)state;
    if (!qat_gemm_isa_supported(QAT_GEMM_ISA_AVX2)) skip();
    enum { N = 40 };
    const float odd[6] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, 1e30f};
    const int32_t qmaxes[3] = {127, 7, 1};
    float x[N], out[N];
    qat_rng r;
    qat_rng_seed(&r, 11, 0);
    for (int trial = 0; trial < 20000; trial++) {
        size_t n = 1 + (size_t)(trial % N);
        int32_t qmax = qmaxes[trial % 3], qmin = -qmax - 1, zp = (int32_t)qat_rng_below(&r, 2 * qmax) - qmax;
        float scale = (float)ldexp(1.0 + qat_rng_uniform(&r), -(int)qat_rng_below(&r, 12));
        for (size_t j = 0; j < n; j++) {
            x[j] = (float)((qat_rng_uniform(&r) - 0.5) * 3 * (qmax - qmin) * scale);
            if (trial % 4 == 0) /* an exact half step: x / scale is k + 0.5 */
                x[j] = ((float)qat_rng_below(&r, 2 * qmax + 8) - qmax - 4 + 0.5f) * scale;
            if (qat_rng_below(&r, 10) == 0) x[j] = odd[qat_rng_below(&r, 6)];
        }
        qat_fq_act_row_avx2(x, n, scale, zp, qmin, qmax, out);
        for (size_t j = 0; j < n; j++) {
            float want = (float)(qat_quantize_float(x[j], scale, zp, qmin, qmax) - zp) * scale;
            if (memcmp(&want, &out[j], sizeof want))
                fail_msg("trial %d, value %zu (%g): %g, want %g", trial, j, x[j], out[j], want);
        }
    }
}

/* The observers' batch range: the SSE2 scan gives the portable scan's bits — signed zeros
 * (the first one met), NaNs (first: kept; later: skipped), ties, every length to 40. */
static void test_min_max_is_portable(void **state) {
    (void)state;
    enum { N = 40 };
    const float pool[8] = {-2.0f, -1.0f, -0.0f, 0.0f, 1.0f, 2.0f, NAN, 0.5f};
    float x[N];
    qat_rng r;
    qat_rng_seed(&r, 9, 0);
    for (int trial = 0; trial < 50000; trial++) {
        size_t n = 1 + (size_t)(trial % N);
        int spread = trial % 3; /* 0: random values; 1: ±0 and a few; 2: the whole pool */
        for (size_t j = 0; j < n; j++)
            x[j] = spread == 0 ? (float)(qat_rng_uniform(&r) - 0.5)
                 : spread == 1 ? pool[2 + qat_rng_below(&r, 3)] : pool[qat_rng_below(&r, 8)];
        float lo, hi, want_lo, want_hi;
        qat_fq_min_max(x, n, &lo, &hi);
        qat_fq_min_max_c(x, n, &want_lo, &want_hi);
        if (memcmp(&lo, &want_lo, sizeof lo) || memcmp(&hi, &want_hi, sizeof hi))
            fail_msg("trial %d (n %zu): [%g, %g], want [%g, %g]", trial, n, lo, hi, want_lo, want_hi);
    }
}

static void test_quantize_multiplier_examples(void **state) {
    (void)state;
    /* 1/3 = 0.666…·2^-1; round(0.666…·2^31) = 1431655765 */
    expect_qm(1.0 / 3.0, 1431655765, -1);
    /* 0.0123456 = 0.7901184·2^-6; 0.7901184·2^31 = 1696766343.6 → 1696766344 */
    expect_qm(0.0123456, 1696766344, -6);
    expect_qm(0.0, 0, 0);
}

static void test_quantize_multiplier_powers_of_two(void **state) {
    (void)state;
    /* 2^k = 0.5·2^(k+1): M = 2^30, shift = k + 1 */
    expect_qm(0.5, 1 << 30, 0);
    expect_qm(0.25, 1 << 30, -1);
    expect_qm(1.0, 1 << 30, 1);
    expect_qm(ldexp(1.0, -20), 1 << 30, -19);
    expect_qm(ldexp(1.0, -32), 1 << 30, -31); /* the smallest shift kept */
}

static void test_quantize_multiplier_above_one(void **state) {
    (void)state;
    /* m >= 1 gives a left shift: 3 = 0.75·2^2, 0.75·2^31 = 1610612736 */
    expect_qm(3.0, 1610612736, 2);
    expect_qm(1.5, 1610612736, 1);
    expect_qm(1000.0, 2097152000, 10); /* 1000 = 0.9765625·2^10 */
}

static void test_quantize_multiplier_tiny(void **state) {
    (void)state;
    /* 2^-33 = 0.5·2^-32: shift −32 < −31 flushes to (0, 0); so does anything smaller */
    expect_qm(ldexp(1.0, -33), 0, 0);
    expect_qm(ldexp(0.75, -40), 0, 0);
}

static void test_quantize_multiplier_rounds_to_two_pow_31(void **state) {
    (void)state;
    /* q = 1 − 2^-33: q·2^31 = 2^31 − 0.25 rounds to 2^31, so M halves to 2^30 and the
     * shift grows by one: m ≈ 2^-3 = 0.5·2^-2 */
    expect_qm(ldexp(1.0 - ldexp(1.0, -33), -3), 1 << 30, -2);
    /* just below the threshold: q·2^31 = 2^31 − 0.75 → 2^31 − 1 */
    expect_qm(ldexp(1.0 - 3 * ldexp(1.0, -33), -3), INT32_MAX, -3);
}

static void test_srdhm(void **state) {
    (void)state;
    /* the single overflowing product saturates */
    assert_int_equal(qat_srdhm(INT32_MIN, INT32_MIN), INT32_MAX);
    /* (−2^31)(2^31 − 1)/2^31 = −2^31 + 1 exactly */
    assert_int_equal(qat_srdhm(INT32_MIN, INT32_MAX), -2147483647);
    /* (2^31 − 1)^2 / 2^31 = 2^31 − 2 + 2^-31 → 2^31 − 2 */
    assert_int_equal(qat_srdhm(INT32_MAX, INT32_MAX), 2147483646);
    /* a·2^30 / 2^31 = a/2, ties toward +∞: 1.5 → 2, −1.5 → −1, −2.5 → −2, −0.5 → 0 */
    assert_int_equal(qat_srdhm(3, 1 << 30), 2);
    assert_int_equal(qat_srdhm(-3, 1 << 30), -1);
    assert_int_equal(qat_srdhm(-5, 1 << 30), -2);
    assert_int_equal(qat_srdhm(-1, 1 << 30), 0);
    assert_int_equal(qat_srdhm(-7, 1 << 30), -3); /* −3.5 → −3 */
}

static void test_rdbpot(void **state) {
    (void)state;
    assert_int_equal(qat_rdbpot(-3, 1), -2); /* −1.5 → −2, away from zero */
    assert_int_equal(qat_rdbpot(3, 1), 2);
    assert_int_equal(qat_rdbpot(-5, 2), -1); /* −1.25 → −1 */
    assert_int_equal(qat_rdbpot(-6, 2), -2); /* −1.5 → −2 */
    assert_int_equal(qat_rdbpot(5, 2), 1);   /* 1.25 → 1 */
    assert_int_equal(qat_rdbpot(1234, 0), 1234);
    assert_int_equal(qat_rdbpot(-1234, 0), -1234);
    /* e = 31: only ±0.5 and beyond survive */
    assert_int_equal(qat_rdbpot(1 << 30, 31), 1);        /* 0.5 → 1 */
    assert_int_equal(qat_rdbpot((1 << 30) - 1, 31), 0);  /* just under 0.5 */
    assert_int_equal(qat_rdbpot(-(1 << 30), 31), -1);    /* −0.5 → −1 */
    assert_int_equal(qat_rdbpot(INT32_MAX, 31), 1);
    assert_int_equal(qat_rdbpot(INT32_MIN, 31), -1);     /* exactly −1 */
}

static void test_mbqm_double_rounding(void **state) {
    (void)state;
    /* tensorflow#25087: the exact value 7984·1583594044/2^40 is 11.4991. SRDHM rounds
     * 7984·1583594044/2^31 = 5887.549 to 5888, and RDBPOT rounds 5888/2^9 = 11.5 away from
     * zero to 12 (double rounding); a single rounding of 11.4991 would give 11. */
    assert_int_equal(qat_srdhm(7984, 1583594044), 5888);
    assert_int_equal(qat_mul_by_quantized_multiplier(7984, 1583594044, -9), 12);
    /* a left shift: 3·2^2 = 12, times 2^30/2^31 = 6 */
    assert_int_equal(qat_mul_by_quantized_multiplier(3, 1 << 30, 2), 6);
    /* M = 2^30, shift 1 is ×1 exactly */
    assert_int_equal(qat_mul_by_quantized_multiplier(-123456, 1 << 30, 1), -123456);
    /* M = 0 (a flushed multiplier) gives 0 */
    assert_int_equal(qat_mul_by_quantized_multiplier(1000000, 0, 0), 0);
}

static void test_mbqm_saturation(void **state) {
    (void)state;
    assert_int_equal(qat_mul_by_quantized_multiplier(INT32_MIN, INT32_MIN, 0), INT32_MAX);
    assert_int_equal(qat_mul_by_quantized_multiplier(INT32_MAX, INT32_MAX, 0), 2147483646);
    assert_int_equal(qat_mul_by_quantized_multiplier(INT32_MIN, INT32_MAX, 0), -2147483647);
    /* the largest right shift: INT32_MAX · ~1 / 2^31 rounds to 1 */
    assert_int_equal(qat_mul_by_quantized_multiplier(INT32_MAX, INT32_MAX, -31), 1);
}

/* gemmlowp's SRDHM and RDBPOT exactly as written there (sign-dependent nudge, truncating
 * division; mask and threshold), to check the branch-free forms bit for bit. */
static int32_t srdhm_literal(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
    const int64_t ab = (int64_t)a * b;
    const int64_t nudge = ab >= 0 ? (1 << 30) : 1 - (1 << 30);
    return (int32_t)((ab + nudge) / (INT64_C(1) << 31));
}

static int32_t rdbpot_literal(int32_t x, int e) {
    const int64_t mask = (INT64_C(1) << e) - 1;
    const int64_t rem = x & mask;
    const int64_t threshold = (mask >> 1) + (x < 0);
    return (int32_t)((x >> e) + (rem > threshold));
}

static int32_t rand_i32(qat_rng *r) {
    switch (qat_rng_below(r, 4)) { /* mix small, medium and full-range values */
    case 0: return (int32_t)qat_rng_below(r, 2001) - 1000;
    case 1: return (int32_t)qat_rng_below(r, 1u << 24) - (1 << 23);
    default: return (int32_t)qat_rng_u32(r);
    }
}

static void test_random_against_literal(void **state) {
    (void)state;
    qat_rng r;
    qat_rng_seed(&r, 42, 1);
    for (int i = 0; i < 200000; i++) {
        const int32_t a = rand_i32(&r), b = rand_i32(&r);
        assert_int_equal(qat_srdhm(a, b), srdhm_literal(a, b));
        const int e = (int)qat_rng_below(&r, 32);
        assert_int_equal(qat_rdbpot(a, e), rdbpot_literal(a, e));
        /* MBQM with a realistic multiplier and a non-positive shift */
        const int32_t m = (int32_t)((1u << 30) + qat_rng_below(&r, 1u << 30));
        const int sh = -(int)qat_rng_below(&r, 32);
        assert_int_equal(qat_mul_by_quantized_multiplier(a, m, sh),
                         rdbpot_literal(srdhm_literal(a, m), -sh));
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_away),
        cmocka_unit_test(test_round_away_is_round),
        cmocka_unit_test(test_requant_rows_are_portable),
        cmocka_unit_test(test_fq_weight_avx2_is_portable),
        cmocka_unit_test(test_fq_act_avx2_is_portable),
        cmocka_unit_test(test_min_max_is_portable),
        cmocka_unit_test(test_quantize_multiplier_examples),
        cmocka_unit_test(test_quantize_multiplier_powers_of_two),
        cmocka_unit_test(test_quantize_multiplier_above_one),
        cmocka_unit_test(test_quantize_multiplier_tiny),
        cmocka_unit_test(test_quantize_multiplier_rounds_to_two_pow_31),
        cmocka_unit_test(test_srdhm),
        cmocka_unit_test(test_rdbpot),
        cmocka_unit_test(test_mbqm_double_rounding),
        cmocka_unit_test(test_mbqm_saturation),
        cmocka_unit_test(test_random_against_literal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
