/* Images kept as bytes (qat_dataset_alloc_u8): every reader sees exactly the numbers a float
 * dataset of the same pixels would give — after subsets, Keras's validation split, and every
 * normalisation — and the scale normaliser is Keras's x / 255. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "qat/data.h"

#define N 37
#define H 3
#define W 4
#define C 2
#define PER (H * W * C)

/* The same pseudo-random pixels twice: as bytes (u8) and as floats (f). */
static void make_pair(qat_dataset *u8, qat_dataset *f) {
    qat_error e = {0};
    assert_int_equal(qat_dataset_alloc_u8(u8, N, H * W, C, 3, &e), QAT_OK);
    assert_int_equal(qat_dataset_alloc(f, N, H * W, C, 3, &e), QAT_OK);
    uint32_t s = 12345;
    for (size_t j = 0; j < (size_t)N * PER; j++) {
        s = s * 1664525u + 1013904223u;
        u8->x8[j] = (uint8_t)(s >> 24);
        f->x[j] = (float)u8->x8[j];
    }
    for (int i = 0; i < N; i++) u8->y[i] = f->y[i] = i % 3;
    u8->height = f->height = H;
    u8->width = f->width = W;
}

/* Every value of a equals b's, bit for bit. */
static void assert_same_values(const qat_dataset *a, const qat_dataset *b) {
    assert_int_equal(a->n, b->n);
    float *va = malloc((size_t)a->n * PER * sizeof *va + 4), *vb = malloc((size_t)b->n * PER * sizeof *vb + 4);
    assert_non_null(va);
    assert_non_null(vb);
    qat_dataset_read(a, 0, a->n, va);
    qat_dataset_read(b, 0, b->n, vb);
    assert_memory_equal(va, vb, (size_t)a->n * PER * sizeof *va);
    for (int i = 0; i < a->n; i++) assert_int_equal(a->y[i], b->y[i]);
    free(va);
    free(vb);
}

static void test_alloc_identity_lut(void **state) {
    (void)state;
    qat_dataset u8, f;
    make_pair(&u8, &f);
    assert_null(u8.x);
    assert_non_null(u8.x8);
    for (int k = 0; k < C; k++)
        for (int v = 0; v < 256; v++) assert_true(u8.lut[k * 256 + v] == (float)v);
    assert_same_values(&u8, &f);
    qat_dataset_free(&u8);
    qat_dataset_free(&f);
}

static void test_read_gather_subset(void **state) {
    (void)state;
    qat_dataset u8, f, su, sf;
    qat_error e = {0};
    make_pair(&u8, &f);
    const int idx[5] = {36, 0, 17, 17, 5};
    float a[5 * PER], b[5 * PER];
    qat_dataset_gather(&u8, idx, 5, a);
    qat_dataset_gather(&f, idx, 5, b);
    assert_memory_equal(a, b, sizeof a);
    for (int j = 0; j < PER; j++) assert_true(a[j] == (float)u8.x8[36 * PER + j]);
    qat_dataset_read(&u8, 30, 5, a);
    qat_dataset_read(&f, 30, 5, b);
    assert_memory_equal(a, b, sizeof a);
    assert_int_equal(qat_dataset_subset(&u8, idx, 5, &su, &e), QAT_OK);
    assert_int_equal(qat_dataset_subset(&f, idx, 5, &sf, &e), QAT_OK);
    assert_non_null(su.x8); /* a subset of bytes stays bytes */
    assert_int_equal(su.height, H);
    assert_same_values(&su, &sf);
    qat_dataset_free(&su);
    qat_dataset_free(&sf);
    qat_dataset_free(&u8);
    qat_dataset_free(&f);
}

/* Keras: split_at = int(n · (1 − split)); training x[:split_at], validation x[split_at:]. */
static void test_split_tail_is_keras(void **state) {
    (void)state;
    qat_dataset u8, f, head, tail, h2, t2;
    qat_error e = {0};
    make_pair(&u8, &f);
    assert_int_equal(qat_dataset_split_tail(&u8, 0.1, &head, &tail, &e), QAT_OK);
    assert_int_equal(head.n, 33); /* int(37 · 0.9) = int(33.3) */
    assert_int_equal(tail.n, 4);
    assert_memory_equal(head.x8, u8.x8, (size_t)33 * PER);
    assert_memory_equal(tail.x8, u8.x8 + (size_t)33 * PER, (size_t)4 * PER);
    assert_int_equal(qat_dataset_split_tail(&f, 0.1, &h2, &t2, &e), QAT_OK);
    assert_same_values(&head, &h2);
    assert_same_values(&tail, &t2);
    qat_dataset_free(&head);
    qat_dataset_free(&tail);
    qat_dataset_free(&h2);
    qat_dataset_free(&t2);
    assert_int_equal(qat_dataset_split_tail(&u8, 0, &head, &tail, &e), QAT_OK);
    assert_int_equal(head.n, N);
    assert_int_equal(tail.n, 0);
    qat_dataset_free(&head);
    qat_dataset_free(&tail);
    assert_int_equal(qat_dataset_split_tail(&u8, 1.0, &head, &tail, &e), QAT_ERR_CONFIG);
    assert_int_equal(qat_dataset_head(&u8, 7, &head, &e), QAT_OK);
    assert_int_equal(head.n, 7);
    assert_memory_equal(head.x8, u8.x8, (size_t)7 * PER);
    qat_dataset_free(&head);
    qat_dataset_free(&u8);
    qat_dataset_free(&f);
}

/* Each normaliser fits the same parameters on bytes as on floats and gives the same values. */
static void test_norm_on_bytes_equals_floats(void **state) {
    (void)state;
    const qat_norm_kind kinds[] = {QAT_NORM_MINMAX, QAT_NORM_MINMAX_AXIS, QAT_NORM_SCALE,
                                   QAT_NORM_NONE, QAT_NORM_ZSCORE};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        qat_dataset u8, f;
        qat_norm nu, nf;
        qat_error e = {0};
        make_pair(&u8, &f);
        assert_int_equal(qat_norm_fit(&u8, kinds[k], 255, &nu, &e), QAT_OK);
        assert_int_equal(qat_norm_fit(&f, kinds[k], 255, &nf, &e), QAT_OK);
        for (int c = 0; c < C; c++) {
            /* z-score sums in another order (a histogram): equal to float rounding */
            double tol = kinds[k] == QAT_NORM_ZSCORE ? 1e-4 : 0;
            assert_true(fabs(nu.min[c] - nf.min[c]) <= tol);
            assert_true(fabs(nu.max[c] - nf.max[c]) <= tol);
        }
        if (kinds[k] == QAT_NORM_ZSCORE) nu = nf; /* then apply the very same parameters */
        qat_norm_apply(&nu, &u8);
        qat_norm_apply(&nf, &f);
        assert_same_values(&u8, &f);
        qat_dataset_free(&u8);
        qat_dataset_free(&f);
    }
}

/* A subset of normalised bytes reads the normalised values (it carries the lut along). */
static void test_subset_after_norm(void **state) {
    (void)state;
    qat_dataset u8, f, su, sf;
    qat_norm nu, nf;
    qat_error e = {0};
    make_pair(&u8, &f);
    assert_int_equal(qat_norm_fit(&u8, QAT_NORM_MINMAX_AXIS, 0, &nu, &e), QAT_OK);
    assert_int_equal(qat_norm_fit(&f, QAT_NORM_MINMAX_AXIS, 0, &nf, &e), QAT_OK);
    qat_norm_apply(&nu, &u8);
    qat_norm_apply(&nf, &f);
    const int idx[3] = {4, 9, 30};
    assert_int_equal(qat_dataset_subset(&u8, idx, 3, &su, &e), QAT_OK);
    assert_int_equal(qat_dataset_subset(&f, idx, 3, &sf, &e), QAT_OK);
    assert_same_values(&su, &sf);
    qat_dataset_free(&su);
    qat_dataset_free(&sf);
    qat_dataset_free(&u8);
    qat_dataset_free(&f);
}

/* Ranges count only the bytes that occur: pixels in [10, 200] give min 10 and max 200 (not
 * 0 and 255, the lut's ends). */
static void test_ranges_of_bytes_present(void **state) {
    (void)state;
    qat_dataset u8;
    qat_norm nm;
    qat_error e = {0};
    assert_int_equal(qat_dataset_alloc_u8(&u8, 5, 4, 1, 2, &e), QAT_OK);
    for (int j = 0; j < 20; j++) u8.x8[j] = (uint8_t)(10 + j * 10 % 191);
    u8.x8[7] = 200;
    assert_int_equal(qat_norm_fit(&u8, QAT_NORM_MINMAX, 0, &nm, &e), QAT_OK);
    assert_true(nm.min[0] == 10.0f);
    assert_true(nm.max[0] == 200.0f);
    qat_dataset_free(&u8);
}

/* normalize = scale is Keras's x.astype('float32') / 255.0: a correctly rounded float
 * division, not a multiplication by 1/255 (which differs in the last bit for some bytes). */
static void test_scale_is_division(void **state) {
    (void)state;
    qat_dataset u8, f;
    qat_norm nm;
    qat_error e = {0};
    make_pair(&u8, &f);
    assert_int_equal(qat_norm_fit(&u8, QAT_NORM_SCALE, 255, &nm, &e), QAT_OK);
    assert_true(nm.min[0] == 0.0f && nm.max[0] == 255.0f);
    qat_norm_apply(&nm, &u8);
    int differs = 0;
    for (int v = 0; v < 256; v++) {
        volatile float x = (float)v, q = x / 255.0f, m = x * (1.0f / 255.0f);
        assert_true(u8.lut[v] == q);
        differs += q != m;
    }
    assert_true(differs > 0); /* the test can tell the two apart */
    assert_int_equal(qat_norm_fit(&u8, QAT_NORM_SCALE, 0, &nm, &e), QAT_ERR_CONFIG);
    qat_dataset_free(&u8);
    qat_dataset_free(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_identity_lut),
        cmocka_unit_test(test_read_gather_subset),
        cmocka_unit_test(test_split_tail_is_keras),
        cmocka_unit_test(test_norm_on_bytes_equals_floats),
        cmocka_unit_test(test_subset_after_norm),
        cmocka_unit_test(test_ranges_of_bytes_present),
        cmocka_unit_test(test_scale_is_division),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
