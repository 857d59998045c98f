/* The defined-result GEMM (gemm.h): every kernel this processor runs gives the scalar
 * definition's bits on shapes that exercise every tile size, both vector widths, the
 * k-blocking, transposes, strides and accumulation; the definition is a product (against a
 * double-precision sum, and a case worked out by hand); the fused chain is really fused and
 * ordered (a case where a plain multiply-add or another order gives other bits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/gemm.h"
#include "qat/rng.h"

typedef struct problem {
    qat_gemm_args g;
    float *a, *b, *c0; /* c0: C before the product (accumulation) */
    size_t c_len;
} problem;

static float *random_floats(qat_rng *r, size_t n) {
    float *x = malloc(n * sizeof *x + 1);
    for (size_t i = 0; i < n; i++) x[i] = (float)(qat_rng_uniform(r) * 2.0 - 1.0);
    return x;
}

static problem make(qat_rng *r, int m, int n, int k, int ta, int tb, int acc, int pad) {
    problem P;
    memset(&P, 0, sizeof P);
    qat_gemm_args *g = &P.g;
    g->ta = ta ? QAT_GEMM_T : QAT_GEMM_N;
    g->tb = tb ? QAT_GEMM_T : QAT_GEMM_N;
    g->m = m, g->n = n, g->k = k, g->accumulate = acc;
    g->lda = (ta ? m : k) + pad;
    g->ldb = (tb ? k : n) + pad;
    g->ldc = n + pad;
    P.a = random_floats(r, (size_t)(ta ? k : m) * g->lda);
    P.b = random_floats(r, (size_t)(tb ? n : k) * g->ldb);
    P.c_len = (size_t)m * g->ldc;
    P.c0 = random_floats(r, P.c_len);
    g->a = P.a, g->b = P.b;
    return P;
}

static void drop(problem *P) {
    free(P->a), free(P->b), free(P->c0);
}

/* C from the given kernel, or NULL when the processor lacks it. */
static float *run(problem *P, qat_gemm_isa isa) {
    float *c = malloc(P->c_len * sizeof *c + 1);
    memcpy(c, P->c0, P->c_len * sizeof *c);
    P->g.c = c;
    if (!qat_gemm_with(isa, &P->g)) {
        free(c);
        return NULL;
    }
    return c;
}

static int kernels_tested;

static void same_bits_on(problem *P) {
    float *ref = run(P, QAT_GEMM_ISA_SCALAR);
    for (int isa = QAT_GEMM_ISA_SCALAR + 1; isa < QAT_GEMM_ISA_COUNT; isa++) {
        float *c = run(P, (qat_gemm_isa)isa);
        if (!c) continue;
        kernels_tested++;
        if (memcmp(c, ref, P->c_len * sizeof *c) != 0) {
            for (size_t i = 0; i < P->c_len; i++)
                if (memcmp(&c[i], &ref[i], sizeof *c))
                    fail_msg("%s: m=%d n=%d k=%d ta=%d tb=%d acc=%d: C[%zu] %a != %a",
                             qat_gemm_isa_name((qat_gemm_isa)isa), P->g.m, P->g.n, P->g.k,
                             P->g.ta, P->g.tb, P->g.accumulate, i, c[i], ref[i]);
        }
        free(c);
    }
    free(ref);
}

static void test_kernels_match_definition(void **state) {
    (void)state;
    qat_rng r;
    qat_rng_seed(&r, 2026, 1);
    /* m covers every tile height up to 24 and beyond; n every vector remainder of both
     * widths; k below, at and across the k-block (128). */
    static const int ms[] = {1, 2, 5, 6, 7, 11, 12, 13, 23, 24, 25, 37, 50};
    static const int ns[] = {1, 3, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 48, 70};
    static const int ks[] = {1, 2, 15, 127, 128, 129, 300};
    int cases = 0;
    for (size_t a = 0; a < sizeof ms / sizeof *ms; a++)
        for (size_t b = 0; b < sizeof ns / sizeof *ns; b++) {
            int k = ks[(a * 3 + b) % (sizeof ks / sizeof *ks)];
            int ta = (int)(a + b) & 1, tb = (int)(a + 2 * b) >> 1 & 1, acc = (int)b & 1;
            problem P = make(&r, ms[a], ns[b], k, ta, tb, acc, (int)(a % 3));
            same_bits_on(&P);
            drop(&P);
            cases++;
        }
    /* The lesson's shapes (batch 16) in all four transpose combinations, both modes. */
    static const int lesson[][3] = {{736, 16, 15}, {336, 32, 48}, {16, 32, 320},
                                    {32, 48, 336}, {336, 48, 32}, {32, 320, 16}};
    for (size_t s = 0; s < sizeof lesson / sizeof *lesson; s++)
        for (int t = 0; t < 8; t++) {
            problem P = make(&r, lesson[s][0], lesson[s][1], lesson[s][2], t & 1, t >> 1 & 1,
                             t >> 2, 0);
            same_bits_on(&P);
            drop(&P);
            cases++;
        }
    if (!kernels_tested) {
        printf("SKIP: %s: this processor runs no vector GEMM kernel (no AVX2)\n", __func__);
        skip();
    }
    printf("%d shapes, %d kernel comparisons\n", cases, kernels_tested);
}

/* The definition is a matrix product: within float32 rounding of a double-precision sum. */
static void test_definition_is_a_product(void **state) {
    (void)state;
    qat_rng r;
    qat_rng_seed(&r, 7, 1);
    problem P = make(&r, 9, 13, 200, 1, 0, 1, 2);
    float *c = run(&P, QAT_GEMM_ISA_SCALAR);
    for (int i = 0; i < 9; i++)
        for (int j = 0; j < 13; j++) {
            double s = P.c0[(size_t)i * P.g.ldc + j], mag = fabs(s);
            for (int p = 0; p < 200; p++) {
                double t = (double)P.a[(size_t)p * P.g.lda + i] * P.b[(size_t)p * P.g.ldb + j];
                s += t, mag += fabs(t);
            }
            assert_true(fabs(c[(size_t)i * P.g.ldc + j] - s) <= 201 * 0x1p-24 * mag);
        }
    free(c);
    drop(&P);
}

/* By hand: [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50]; accumulating onto 1 adds 1; k = 0
 * leaves C (accumulate) or zeroes it. */
static void test_by_hand(void **state) {
    (void)state;
    const float a[4] = {1, 2, 3, 4}, b[4] = {5, 6, 7, 8};
    for (int isa = 0; isa < QAT_GEMM_ISA_COUNT; isa++) {
        float c[4] = {1, 1, 1, 1};
        qat_gemm_args g = {QAT_GEMM_N, QAT_GEMM_N, 2, 2, 2, a, 2, b, 2, 0, c, 2};
        if (!qat_gemm_with((qat_gemm_isa)isa, &g)) continue;
        assert_true(c[0] == 19 && c[1] == 22 && c[2] == 43 && c[3] == 50);
        g.accumulate = 1;
        qat_gemm_with((qat_gemm_isa)isa, &g);
        assert_true(c[0] == 38 && c[1] == 44 && c[2] == 86 && c[3] == 100);
        g.k = 0;
        qat_gemm_with((qat_gemm_isa)isa, &g);
        assert_true(c[0] == 38 && c[3] == 100);
        g.accumulate = 0;
        qat_gemm_with((qat_gemm_isa)isa, &g);
        assert_true(c[0] == 0 && c[1] == 0 && c[2] == 0 && c[3] == 0);
    }
}

/* The chain is fused and runs p upwards. With u = 2⁻¹², a = (1, 1+u), b = (−1, 1+u): fused,
 * −1 + (1+u)² = 2u + u² = 2⁻¹¹ + 2⁻²⁴ exactly; a rounded product (1+u)² → 1 + 2⁻¹¹ (the
 * 2⁻²⁴ is half an ulp, ties to even) would give 2⁻¹¹. And a = (1, 2²⁴, −2²⁴), b = (1, 1, 1):
 * upwards 1 + 2²⁴ rounds to 2²⁴ (ties to even), then 0; downwards it would be 1. */
static void test_fused_and_ordered(void **state) {
    (void)state;
    const float u = 0x1p-12f;
    const float a1[2] = {1, 1 + u}, b1[2] = {-1, 1 + u};
    const float a2[3] = {1, 0x1p24f, -0x1p24f}, b2[3] = {1, 1, 1};
    for (int isa = 0; isa < QAT_GEMM_ISA_COUNT; isa++) {
        float c = 5;
        qat_gemm_args g = {QAT_GEMM_N, QAT_GEMM_N, 1, 1, 2, a1, 2, b1, 1, 0, &c, 1};
        if (!qat_gemm_with((qat_gemm_isa)isa, &g)) continue;
        assert_true(c == 0x1p-11f + 0x1p-24f);
        g.k = 3, g.lda = 3, g.a = a2, g.b = b2;
        qat_gemm_with((qat_gemm_isa)isa, &g);
        assert_true(c == 0.0f);
    }
}

/* The kernel choice falls back to what the processor runs and names itself. */
static void test_choice(void **state) {
    (void)state;
    qat_gemm_isa used = qat_gemm_isa_used();
    assert_true(qat_gemm_isa_supported(used));
    assert_true(qat_gemm_isa_supported(QAT_GEMM_ISA_SCALAR));
    assert_string_equal(qat_gemm_isa_name(QAT_GEMM_ISA_AVX512), "avx512");
    printf("kernel in use: %s\n", qat_gemm_isa_name(used));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernels_match_definition),
        cmocka_unit_test(test_definition_is_a_product),
        cmocka_unit_test(test_by_hand),
        cmocka_unit_test(test_fused_and_ordered),
        cmocka_unit_test(test_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
