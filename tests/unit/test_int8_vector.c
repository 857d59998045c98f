/* The vector int8 kernel families against the portable reference, byte for byte:
 *   - the requantization pass on its own, over edge values (INT32_MIN / INT32_MAX sums, the
 *     saturating INT32_MIN × INT32_MIN product, multipliers 0, 2^30 and 2^31 − 1, shifts from
 *     31 right to 31 left, zero points −128 and 127, partial blocks);
 *   - whole engines (qat_i8_prepare_isa) on random CONV_2D + MAX_POOL_2D graphs (1-D and 2-D,
 *     groups, strides, dilations, SAME and VALID padding, odd channel counts, batches, fused
 *     activations, per-channel multipliers spread over shifts of both signs, some just under
 *     2^31) and random FULLY_CONNECTED graphs (per-tensor and per-channel, several rows).
 * A family this processor lacks is left out (and said so); the portable path always runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qat/int8.h"
#include "qat/rng.h"

#include "../../src/int8/kernel_util.h"
#include "../../src/int8/vec.h"

static uint32_t below(qat_rng *r, uint32_t n) { return qat_rng_below(r, n); }
static int32_t pick(qat_rng *r, const int32_t *v, int n) { return v[below(r, (uint32_t)n)]; }

/* ---- the requantization pass --------------------------------------------------------- */

static int32_t edge_sum(qat_rng *r) {
    static const int32_t e[] = {INT32_MIN, INT32_MIN + 1, -1, 0, 1, INT32_MAX, 1 << 30, -(1 << 30),
                                (1 << 16) + 1, -(1 << 16) - 1, 255 * 128, -255 * 128};
    switch (below(r, 3)) {
    case 0: return pick(r, e, (int)(sizeof e / sizeof *e));
    case 1: return (int32_t)qat_rng_u32(r);
    default: return (int32_t)below(r, 200001) - 100000;
    }
}

static int32_t edge_multiplier(qat_rng *r) {
    static const int32_t e[] = {0, 1, 1 << 30, (1 << 30) + 1, INT32_MAX, INT32_MAX - 1, INT32_MIN};
    return below(r, 2) ? pick(r, e, (int)(sizeof e / sizeof *e))
                       : (int32_t)((1u << 30) + below(r, 1u << 30));
}

static void test_requant_edges(void **state) {
    (void)state;
    int families = 0;
    for (int isa = QAT_I8_ISA_AVX2; isa < QAT_I8_ISA_COUNT; isa++) {
        if (!qat_i8_isa_supported((qat_i8_isa)isa)) {
            printf("requantization: %s not on this processor\n", qat_i8_isa_name((qat_i8_isa)isa));
            continue;
        }
        const qat_i8_vec_kernels *k = qat_i8_vec_kernels_of((qat_i8_isa)isa);
        qat_rng r;
        qat_rng_seed(&r, 7, QAT_STREAM_INIT);
        static const int32_t zps[] = {-128, 127, 0, -1};
        for (int it = 0; it < 20000; it++) {
            int32_t acc[16], mult[16], left[16], right[16];
            int shift[16];
            const int32_t offset = below(&r, 2) ? pick(&r, zps, 4) : (int32_t)below(&r, 256) - 128;
            int32_t lo = (int32_t)below(&r, 256) - 128, hi = (int32_t)below(&r, 256) - 128;
            if (below(&r, 2)) lo = -128, hi = 127;
            if (lo > hi) { const int32_t t = lo; lo = hi; hi = t; }
            const int n = 1 + (int)below(&r, 16);
            for (int j = 0; j < 16; j++) {
                shift[j] = (int)below(&r, 63) - 31;
                mult[j] = edge_multiplier(&r);
                acc[j] = edge_sum(&r);
                if (below(&r, 16) == 0) acc[j] = mult[j] = INT32_MIN, shift[j] = -(int)below(&r, 32);
                left[j] = shift[j] > 0 ? shift[j] : 0;
                right[j] = shift[j] < 0 ? -shift[j] : 0;
                /* the kernels' contract (the engine's accumulator check): the requantized
                 * value plus the zero point stays in int32 */
                const int64_t q = qat_mul_by_quantized_multiplier(acc[j], mult[j], shift[j]);
                if (q + offset > INT32_MAX || q + offset < INT32_MIN) acc[j] = 0;
            }
            int8_t want[16], got[16];
            memset(got, 0x55, sizeof got);
            for (int j = 0; j < n; j++)
                want[j] = qat_i8_requantize_one(acc[j], mult[j], shift[j], offset, lo, hi);
            k->requant(acc, mult, left, right, offset, lo, hi, n, got);
            if (memcmp(want, got, (size_t)n)) {
                for (int j = 0; j < n; j++)
                    if (want[j] != got[j])
                        fail_msg("%s: sum %d, multiplier %d, shift %d, offset %d, clamp [%d, %d]: "
                                 "%d, portable %d", qat_i8_isa_name((qat_i8_isa)isa), (int)acc[j],
                                 (int)mult[j], shift[j], (int)offset, (int)lo, (int)hi, got[j],
                                 want[j]);
            }
            for (int j = n; j < 16; j++) assert_int_equal(got[j], 0x55); /* n lanes, no more */
        }
        families++;
    }
    printf("requantization: %d vector families equal to the portable pass on 20000 blocks each\n",
           families);
}

/* ---- whole engines on random graphs -------------------------------------------------- */

static int act(qat_ir *ir, const char *name, const int *dim, float scale, int32_t zp) {
    qat_qparams q = {.n = 1, .qmin = -128, .qmax = 127, .scale = &scale, .zero_point = &zp};
    const int t = qat_ir_add_tensor(ir, name, QAT_IR_INT8, 4, dim, &q, NULL, 0);
    assert_true(t >= 0);
    return t;
}

static int32_t zero_point(qat_rng *r) {
    static const int32_t e[] = {-128, 127, 0};
    return below(r, 2) ? pick(r, e, 3) : (int32_t)below(r, 256) - 128;
}

/* Weights [dim] with n_scales scales such that s_in·s_w/s_out = 2^e·m, e in [−20, 3] (shifts
 * of both signs), m just under 1 for some channels (multipliers next to 2^31); and a bias. */
static void weights_and_bias(qat_ir *ir, qat_rng *r, int ndim, const int *dim, int n_scales,
                             int channels, float s_in, float s_out, int *w_t, int *b_t) {
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)dim[i];
    int8_t *w = malloc(n);
    float *s = malloc((size_t)n_scales * sizeof *s), *bs = malloc((size_t)n_scales * sizeof *bs);
    int32_t *z = calloc((size_t)n_scales, sizeof *z), *b = malloc((size_t)channels * sizeof *b);
    for (size_t i = 0; i < n; i++) w[i] = (int8_t)((int)below(r, 255) - 127);
    if (below(r, 4) == 0) /* the extremes: every weight ±127 */
        for (size_t i = 0; i < n; i++) w[i] = below(r, 2) ? 127 : -127;
    for (int i = 0; i < n_scales; i++) {
        const double m = below(r, 4) == 0 ? 1.0 - 1e-7 * below(r, 4) : 0.5 + 0.5 * qat_rng_uniform(r);
        s[i] = (float)(ldexp(m, (int)below(r, 24) - 20) * s_out / s_in);
        bs[i] = s_in * s[i];
    }
    for (int i = 0; i < channels; i++) b[i] = (int32_t)below(r, 40001) - 20000;
    qat_qparams q = {.n = n_scales, .axis = 0, .qmin = -127, .qmax = 127, .scale = s, .zero_point = z};
    *w_t = qat_ir_add_tensor(ir, "w", QAT_IR_INT8, ndim, dim, &q, w, n);
    qat_qparams qb = {.n = n_scales, .qmin = INT32_MIN, .qmax = INT32_MAX, .scale = bs, .zero_point = z};
    *b_t = below(r, 5) ? qat_ir_add_tensor(ir, "b", QAT_IR_INT32, 1, &channels, &qb, b,
                                           (size_t)channels * 4)
                       : -1;
    assert_true(*w_t >= 0);
    free(w), free(s), free(bs), free(z), free(b);
}

static int out_size(int same, int in, int f, int stride, int dil) {
    const int eff = (f - 1) * dil + 1;
    return same ? (in + stride - 1) / stride : (in + stride - eff) / stride;
}

/* A random CONV_2D → MAX_POOL_2D graph; 0 when its random geometry has no output. */
static int random_conv(qat_ir *ir, qat_rng *r) {
    static const int32_t chans[] = {1, 2, 3, 5, 8, 16, 17, 24, 33};
    const int b = 1 + (int)below(r, 2), h = 1 + (int)below(r, 6), w = 1 + (int)below(r, 10);
    const int c = pick(r, chans, 9), groups = below(r, 3) == 0 && c % 2 == 0 ? 2 : 1;
    const int per_group = 1 + (int)below(r, 20), oc = groups * per_group;
    const int fh = 1 + (int)below(r, h < 3 ? h : 3), fw = 1 + (int)below(r, 5);
    const int sh = 1 + (int)below(r, 2), sw = 1 + (int)below(r, 3);
    const int dh = 1 + (int)below(r, 2), dw = 1 + (int)below(r, 2), same = (int)below(r, 2);
    const int oh = out_size(same, h, fh, sh, dh), ow = out_size(same, w, fw, sw, dw);
    if (oh < 1 || ow < 1) return 0;
    const float s_in = (float)(0.01 + 0.1 * qat_rng_uniform(r));
    const float s_out = (float)(0.01 + 0.1 * qat_rng_uniform(r));
    const int in_dim[4] = {b, h, w, c}, f_dim[4] = {oc, fh, fw, c / groups};
    const int out_dim[4] = {b, oh, ow, oc};
    const int32_t zp_out = zero_point(r);
    ir->input = act(ir, "in", in_dim, s_in, zero_point(r));
    int wt, bt;
    weights_and_bias(ir, r, 4, f_dim, below(r, 4) ? oc : 1, oc, s_in, s_out, &wt, &bt);
    const int conv_out = act(ir, "conv", out_dim, s_out, zp_out);
    qat_ir_node conv = {.op = QAT_IR_CONV_2D, .n_in = bt >= 0 ? 3 : 2, .in = {ir->input, wt, bt},
                        .out = conv_out, .padding = same ? QAT_IR_PAD_SAME : QAT_IR_PAD_VALID,
                        .stride_w = sw, .stride_h = sh, .dilation_w = dw, .dilation_h = dh,
                        .act = (qat_ir_act)below(r, QAT_IR_ACT_COUNT)};
    assert_true(qat_ir_add_node(ir, &conv) >= 0);
    const int pfh = 1 + (int)below(r, oh < 2 ? 1 : 2), pfw = 1 + (int)below(r, 3);
    const int psh = 1 + (int)below(r, 2), psw = 1 + (int)below(r, 2), psame = (int)below(r, 2);
    const int ph = out_size(psame, oh, pfh, psh, 1), pw = out_size(psame, ow, pfw, psw, 1);
    if (ph < 1 || pw < 1) {
        ir->output = conv_out;
        return 1;
    }
    const int pool_dim[4] = {b, ph, pw, oc};
    ir->output = act(ir, "pool", pool_dim, s_out, zp_out);
    qat_ir_node pool = {.op = QAT_IR_MAX_POOL_2D, .n_in = 1, .in = {conv_out, -1, -1},
                        .out = ir->output, .padding = psame ? QAT_IR_PAD_SAME : QAT_IR_PAD_VALID,
                        .stride_w = psw, .stride_h = psh, .filter_w = pfw, .filter_h = pfh,
                        .act = below(r, 2) ? QAT_IR_ACT_RELU : QAT_IR_ACT_NONE};
    assert_true(qat_ir_add_node(ir, &pool) >= 0);
    return 1;
}

/* A random FULLY_CONNECTED graph: rows × depth → rows × units. */
static int random_fc(qat_ir *ir, qat_rng *r) {
    const int rows = 1 + (int)below(r, 5), depth = 1 + (int)below(r, 400), units = 1 + (int)below(r, 40);
    const float s_in = (float)(0.01 + 0.1 * qat_rng_uniform(r));
    const float s_out = (float)(0.01 + 0.1 * qat_rng_uniform(r));
    const int in_dim[2] = {rows, depth}, w_dim[2] = {units, depth}, out_dim[2] = {rows, units};
    const int32_t zi = zero_point(r), zo = zero_point(r);
    qat_qparams qi = {.n = 1, .qmin = -128, .qmax = 127, .scale = (float[]){s_in}, .zero_point = (int32_t[]){zi}};
    qat_qparams qo = {.n = 1, .qmin = -128, .qmax = 127, .scale = (float[]){s_out}, .zero_point = (int32_t[]){zo}};
    ir->input = qat_ir_add_tensor(ir, "in", QAT_IR_INT8, 2, in_dim, &qi, NULL, 0);
    int wt, bt;
    weights_and_bias(ir, r, 2, w_dim, below(r, 2) ? units : 1, units, s_in, s_out, &wt, &bt);
    ir->output = qat_ir_add_tensor(ir, "out", QAT_IR_INT8, 2, out_dim, &qo, NULL, 0);
    qat_ir_node fc = {.op = QAT_IR_FULLY_CONNECTED, .n_in = bt >= 0 ? 3 : 2, .in = {ir->input, wt, bt},
                      .out = ir->output, .act = (qat_ir_act)below(r, QAT_IR_ACT_COUNT)};
    assert_true(qat_ir_add_node(ir, &fc) >= 0);
    return 1;
}

/* Runs `cases` random graphs through the portable engine and every vector family this
 * processor has, on random inputs (some all −128 or all 127), comparing the outputs. */
static void engines_agree(int (*make)(qat_ir *, qat_rng *), int cases, const char *what) {
    qat_rng r;
    qat_rng_seed(&r, 11, QAT_STREAM_DATA);
    int ran = 0, compared = 0;
    for (int it = 0; ran < cases && it < 20 * cases; it++) {
        qat_ir ir;
        qat_ir_init(&ir);
        qat_error e = {0};
        qat_i8_engine ref;
        if (!make(&ir, &r) || qat_i8_prepare_isa(&ref, &ir, QAT_I8_ISA_PORTABLE, what, &e)) {
            qat_ir_free(&ir); /* no output, or an accumulator that could overflow: not a model */
            continue;
        }
        const size_t n_in = qat_ir_tensor_count(&ir.tensors[ir.input]);
        const size_t n_out = qat_ir_tensor_count(&ir.tensors[ir.output]);
        int8_t *x = malloc(n_in), *want = malloc(n_out), *got = malloc(n_out);
        const int fill = (int)below(&r, 6);
        for (size_t i = 0; i < n_in; i++)
            x[i] = fill == 0 ? -128 : fill == 1 ? 127 : (int8_t)((int)below(&r, 256) - 128);
        qat_i8_invoke(&ref, x, want);
        for (int isa = QAT_I8_ISA_AVX2; isa < QAT_I8_ISA_COUNT; isa++) {
            if (!qat_i8_isa_supported((qat_i8_isa)isa)) continue;
            qat_i8_engine eng;
            assert_int_equal(qat_i8_prepare_isa(&eng, &ir, (qat_i8_isa)isa, what, &e), QAT_OK);
            assert_int_equal(eng.isa, isa);
            memset(got, 0x55, n_out);
            qat_i8_invoke(&eng, x, got);
            for (size_t i = 0; i < n_out; i++)
                if (got[i] != want[i])
                    fail_msg("%s case %d, %s: output %zu of %zu is %d, portable %d", what, ran,
                             qat_i8_isa_name((qat_i8_isa)isa), i, n_out, got[i], want[i]);
            qat_i8_free(&eng);
            compared++;
        }
        free(x), free(want), free(got);
        qat_i8_free(&ref);
        qat_ir_free(&ir);
        ran++;
    }
    assert_int_equal(ran, cases);
    printf("%s: %d random graphs, %d comparisons with vector families\n", what, ran, compared);
}

static void test_random_convs(void **state) {
    (void)state;
    engines_agree(random_conv, 600, "conv + max pool");
}

static void test_random_fc(void **state) {
    (void)state;
    engines_agree(random_fc, 300, "fully connected");
}

/* qat_i8_run_batch on 1, 2, 3 and 8 threads writes what one engine invoking the samples in
 * order writes, slot for slot. */
typedef struct batch_in {
    const int8_t *x;
    size_t isz;
} batch_in;

static void fill_from(void *ctx, int thread, size_t i, void *input) {
    (void)thread;
    const batch_in *b = ctx;
    memcpy(input, b->x + i * b->isz, b->isz);
}

static void test_batch_threads(void **state) {
    (void)state;
    qat_rng r;
    qat_rng_seed(&r, 5, QAT_STREAM_DATA);
    qat_ir ir;
    qat_i8_engine eng;
    qat_error e = {0};
    do {
        qat_ir_init(&ir);
        if (random_conv(&ir, &r) && !qat_i8_prepare(&eng, &ir, "batch", &e)) break;
        qat_ir_free(&ir);
    } while (1);
    const size_t n = 301, isz = qat_ir_tensor_count(&ir.tensors[ir.input]);
    const size_t osz = qat_ir_tensor_count(&ir.tensors[ir.output]);
    int8_t *x = malloc(n * isz), *want = malloc(n * osz), *got = malloc(n * osz);
    for (size_t i = 0; i < n * isz; i++) x[i] = (int8_t)((int)below(&r, 256) - 128);
    for (size_t i = 0; i < n; i++) qat_i8_invoke(&eng, x + i * isz, want + i * osz);
    batch_in b = {x, isz};
    static const int threads[] = {1, 2, 3, 8};
    for (int k = 0; k < 4; k++) {
        memset(got, 0x55, n * osz);
        assert_int_equal(qat_i8_run_batch(&ir, n, fill_from, &b, got, threads[k], "batch", &e), QAT_OK);
        assert_memory_equal(got, want, n * osz);
    }
    free(x), free(want), free(got);
    qat_i8_free(&eng);
    qat_ir_free(&ir);
}

/* The family named by QATRAIN_INT8 is the one qat_i8_prepare picks, and every family's name
 * is distinct. */
static void test_names(void **state) {
    (void)state;
    for (int a = 0; a < QAT_I8_ISA_COUNT; a++)
        for (int b = a + 1; b < QAT_I8_ISA_COUNT; b++)
            assert_string_not_equal(qat_i8_isa_name((qat_i8_isa)a), qat_i8_isa_name((qat_i8_isa)b));
    assert_true(qat_i8_isa_supported(QAT_I8_ISA_PORTABLE));
    assert_true(qat_i8_isa_supported(qat_i8_isa_used()));
    const char *env = getenv("QATRAIN_INT8");
    if (env && !strcmp(env, "portable")) assert_int_equal(qat_i8_isa_used(), QAT_I8_ISA_PORTABLE);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_requant_edges),
        cmocka_unit_test(test_random_convs),
        cmocka_unit_test(test_random_fc),
        cmocka_unit_test(test_batch_threads),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
