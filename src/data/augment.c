/* IMU augmentation: each sample's random transform (time warp, shift, rotation, scale, bias),
 * then Gaussian noise over all samples. The draw order is the header's; every transform is
 * computed in double and rounded once to float, with + − × / only (sin and cos included). */
#include <math.h>
#include <string.h>

#include "qat/augment.h"

/* No fused multiply-add, so the bytes do not depend on the compiler's flags: gcc's -std=c11
 * already means -ffp-contract=off (and it ignores this pragma); clang contracts unless told. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

#define AUG_PI 3.14159265358979323846
#define AUG_SHIFT_MAX 10000
#define AUG_AMPLITUDE_MAX 1e30

/* One sample's transform, drawn before any of it is applied. */
typedef struct aug_draw {
    double rate;  /* time warp: output step t reads input position t·rate */
    int shift;    /* output step t reads input step t − shift */
    double r[9];  /* rotation, row-major: v' = r·v */
    double gain;  /* amplitude factor */
} aug_draw;

int qat_augment_active(const qat_augment *a) {
    return a->rotate_deg > 0 || a->scale > 0 || a->time_warp > 0 || a->shift > 0 ||
           a->noise > 0 || a->bias > 0;
}

/* v within [lo, hi] (or [lo, hi) when hi_open); NaN fails every comparison, so it is
 * refused too. */
static qat_status check_key(const char *key, double v, double lo, double hi, int hi_open,
                            qat_error *e) {
    if (v >= lo && (hi_open ? v < hi : v <= hi)) return QAT_OK;
    return qat_error_set(e, QAT_ERR_CONFIG, "[augment] %s: %g (must be a finite number in "
                         "[%g, %g%c)", key, v, lo, hi, hi_open ? ')' : ']');
}

qat_status qat_augment_check(const qat_augment *a, int channels, qat_error *e) {
    qat_status s;
    if ((s = check_key("rotate_deg", a->rotate_deg, 0, 180, 0, e))) return s;
    if ((s = check_key("scale", a->scale, 0, 1, 1, e))) return s;
    if ((s = check_key("time_warp", a->time_warp, 0, 1, 1, e))) return s;
    if ((s = check_key("shift", a->shift, 0, AUG_SHIFT_MAX, 0, e))) return s;
    if ((s = check_key("noise", a->noise, 0, AUG_AMPLITUDE_MAX, 0, e))) return s;
    if ((s = check_key("bias", a->bias, 0, AUG_AMPLITUDE_MAX, 0, e))) return s;
    if (a->rotate_deg > 0 && (channels <= 0 || channels % 3 != 0))
        return qat_error_set(e, QAT_ERR_CONFIG, "[augment] rotate_deg: a rotation turns groups "
                             "of 3 axes (x, y, z), and the data has %d channel%s; set "
                             "rotate_deg = 0", channels, channels == 1 ? "" : "s");
    return QAT_OK;
}

/* Uniform in [lo, hi): lo + (hi − lo)·u, exactly lo when hi = lo. */
static double draw_between(qat_rng *rng, double lo, double hi) {
    return lo + (hi - lo) * qat_rng_uniform(rng);
}

/* Uniform integer in [-s, s] from one uniform draw (a fixed count, unlike qat_rng_below). */
static int draw_shift(qat_rng *rng, int s) {
    int k = (int)floor(qat_rng_uniform(rng) * (2.0 * s + 1)) - s;
    return k > s ? s : k; /* u < 1 keeps k <= s; the clamp only guards that */
}

/* c = a·b for row-major 3 × 3 matrices. */
static void mat3_mul(const double *a, const double *b, double *c) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            c[i * 3 + j] = a[i * 3] * b[j] + a[i * 3 + 1] * b[3 + j] + a[i * 3 + 2] * b[6 + j];
}

/* sin and cos of |a| <= pi by their Taylor series, 30 terms (past double precision): only + and
 * ×, so the same bytes on every machine (libm's sin and cos pick an FMA or a non-FMA code
 * path by processor, and need not agree in the last bit). */
static void sin_cos(double a, double *s, double *c) {
    double ts = a, tc = 1, sum_s = a, sum_c = 1;
    for (int k = 1; k <= 30; k++) {
        ts *= -a * a / ((2.0 * k) * (2.0 * k + 1));
        tc *= -a * a / ((2.0 * k - 1) * (2.0 * k));
        sum_s += ts;
        sum_c += tc;
    }
    *s = sum_s;
    *c = sum_c;
}

/* R = Rz(z)·Ry(y)·Rx(x), angles in degrees. */
static void rotation(double x, double y, double z, double *r) {
    double k = AUG_PI / 180, cx, sx, cy, sy, cz, sz;
    sin_cos(x * k, &sx, &cx);
    sin_cos(y * k, &sy, &cy);
    sin_cos(z * k, &sz, &cz);
    const double rx[9] = {1, 0, 0, 0, cx, -sx, 0, sx, cx};
    const double ry[9] = {cy, 0, sy, 0, 1, 0, -sy, 0, cy};
    const double rz[9] = {cz, -sz, 0, sz, cz, 0, 0, 0, 1};
    double ryx[9];
    mat3_mul(ry, rx, ryx);
    mat3_mul(rz, ryx, r);
}

/* The per-sample numbers but the biases, in the header's order: rate, shift, three angles,
 * scale. Drawn whether or not their transform is on. */
static void draw_sample(const qat_augment *a, qat_rng *rng, aug_draw *d) {
    d->rate = draw_between(rng, 1 - a->time_warp, 1 + a->time_warp);
    d->shift = draw_shift(rng, a->shift);
    double ax = draw_between(rng, -a->rotate_deg, a->rotate_deg);
    double ay = draw_between(rng, -a->rotate_deg, a->rotate_deg);
    double az = draw_between(rng, -a->rotate_deg, a->rotate_deg);
    rotation(ax, ay, az, d->r);
    d->gain = draw_between(rng, 1 - a->scale, 1 + a->scale);
}

/* Output step t is the input at position t·rate, linearly interpolated between the steps
 * either side; from position window − 1 on, the last step. */
static void time_warp(float *x, int window, int c, double rate, float *tmp) {
    for (int t = 0; t < window; t++) {
        double p = t * rate;
        float *out = tmp + (size_t)t * (size_t)c;
        if (p >= window - 1) {
            memcpy(out, x + (size_t)(window - 1) * (size_t)c, (size_t)c * sizeof *out);
            continue;
        }
        int i = (int)p;
        double f = p - i;
        const float *a = x + (size_t)i * (size_t)c, *b = a + c;
        for (int k = 0; k < c; k++) out[k] = (float)(a[k] + f * ((double)b[k] - a[k]));
    }
    memcpy(x, tmp, (size_t)window * (size_t)c * sizeof *x);
}

/* Output step t is input step t − k, clamped to the first and last steps. */
static void time_shift(float *x, int window, int c, int k, float *tmp) {
    for (int t = 0; t < window; t++) {
        int src = t - k < 0 ? 0 : t - k >= window ? window - 1 : t - k;
        memcpy(tmp + (size_t)t * (size_t)c, x + (size_t)src * (size_t)c, (size_t)c * sizeof *x);
    }
    memcpy(x, tmp, (size_t)window * (size_t)c * sizeof *x);
}

/* Every group of 3 channels at every step becomes r·v. */
static void rotate(float *x, size_t groups, const double *r) {
    for (size_t g = 0; g < groups; g++) {
        float *v = x + g * 3;
        double v0 = v[0], v1 = v[1], v2 = v[2];
        for (int i = 0; i < 3; i++)
            v[i] = (float)(r[i * 3] * v0 + r[i * 3 + 1] * v1 + r[i * 3 + 2] * v2);
    }
}

static void scale(float *x, size_t len, double gain) {
    for (size_t j = 0; j < len; j++) x[j] = (float)(x[j] * gain);
}

/* One offset per channel, drawn in channel order (always, as the header says), added at
 * every step when bias > 0. */
static void bias(float *x, int window, int c, double b, qat_rng *rng) {
    for (int k = 0; k < c; k++) {
        double o = draw_between(rng, -b, b);
        if (b <= 0) continue;
        for (int t = 0; t < window; t++) {
            float *v = x + (size_t)t * (size_t)c + (size_t)k;
            *v = (float)(*v + o);
        }
    }
}

static void noise(float *x, size_t len, double sd, qat_rng *rng) {
    for (size_t j = 0; j < len; j++) x[j] = (float)(x[j] + sd * qat_rng_normal(rng));
}

/* One sample's transforms but the noise, in the header's order of application. */
static void augment_sample(const qat_augment *a, qat_rng *rng, float *x, int window, int c,
                           float *tmp) {
    aug_draw d;
    draw_sample(a, rng, &d);
    size_t len = (size_t)window * (size_t)c;
    if (a->time_warp > 0) time_warp(x, window, c, d.rate, tmp);
    if (a->shift > 0 && d.shift != 0) time_shift(x, window, c, d.shift, tmp);
    if (a->rotate_deg > 0) rotate(x, len / 3, d.r);
    if (a->scale > 0) scale(x, len, d.gain);
    bias(x, window, c, a->bias, rng);
}

void qat_augment_apply(const qat_augment *a, qat_rng *rng, float *x, int n, int window,
                       int channels, float *scratch) {
    if (!qat_augment_active(a)) return;
    QAT_ASSERT(n >= 0 && window > 0 && channels > 0);
    QAT_ASSERT(a->rotate_deg <= 0 || channels % 3 == 0);
    size_t len = (size_t)window * (size_t)channels;
    for (int i = 0; i < n; i++)
        augment_sample(a, rng, x + (size_t)i * len, window, channels, scratch);
    /* The noise last, after every sample's other draws: switching it on shifts nothing. */
    if (a->noise > 0) noise(x, (size_t)n * len, a->noise, rng);
}
