/* The built-in gesture generator: synthetic 3-axis accelerometer recordings (in g) of a
 * wrist-worn sensor, for the lesson's three gestures, so the default run needs no files.
 *
 * Physics. Each class is a trajectory of the wrist: a position p(t) in metres and the
 * forearm's pitch and roll. The accelerometer measures specific force: the wrist's linear
 * acceleration (the second derivative of p, taken numerically) plus 1 g pointing up,
 * expressed in the sensor's frame, i.e. rotated by the forearm's attitude and then by how
 * the sensor sits on the forearm. Then the sensor adds a bias per axis, white noise,
 * saturation at its full scale and, rarely, glitches.
 *   wave   the hand swings side to side at 2-3 Hz under a smooth envelope, rolling the
 *          forearm with it;
 *   punch  a fast minimum-jerk extension forwards (sharp acceleration, then deceleration),
 *          a short hold, and a slower retraction, often with a twist of the forearm;
 *   flex   a curl: the forearm pitches up about the elbow along a minimum-jerk path, so
 *          gravity turns in the sensor frame, and usually comes back down.
 * Every recording draws its own amplitude, tempo, onset, forearm posture and mounting.
 *
 * Difficulty. The GEN_* constants below set how much the classes overlap; the defaults aim
 * at a small 1-D CNN scoring in the mid-nineties, not 100 %. The overlap comes from weak
 * gestures, late onsets that push part of a gesture out of the window, slow punches (a
 * push, flex-like), one-swing waves (punch-like), random posture and sensor placement, and
 * glitches. Raise the fractions or spreads to make the task harder. Measured before the
 * engine existed, with a throwaway float trainer of the lesson's CNN (conv 16x5, conv 32x3,
 * dense 32, Adam 1e-3, batch 16, 80 epochs, 500 per class, 20 % test): 94-96 % test accuracy
 * over four seeds; GEN_MOUNT_DEG 20 with half the fractions gave 97-98 %. */
#include <math.h>
#include <string.h>

#include "qat/data.h"

#define PI 3.14159265358979323846
#define DEG (PI / 180.0)
#define G_MS2 9.80665

/* ---- difficulty knobs (tune here) ---- */
#define GEN_POSTURE_PITCH_DEG 30.0 /* forearm pitch drawn in [-this, +this] around level */
#define GEN_POSTURE_ROLL_DEG 45.0  /* forearm roll drawn in [-this, +this] */
#define GEN_MOUNT_DEG 45.0         /* sensor on the wrist: random axis, angle up to this */
#define GEN_TEMPO_SD 0.15          /* log-normal spread of every duration */
#define GEN_ONSET_MAX 0.30         /* onset drawn in [0, this] of the window */
#define GEN_LATE_FRAC 0.10         /* fraction with a late onset (gesture partly cut off) */
#define GEN_WEAK_FRAC 0.15         /* fraction performed weakly (amplitude x 0.3-0.6) */
#define GEN_SLOW_PUNCH_FRAC 0.12   /* punches performed as slow pushes (flex-like) */
#define GEN_ONE_SWING_FRAC 0.12    /* waves with a single swing (punch-like) */
#define GEN_NOISE_MIN 0.005        /* white noise sd range, g */
#define GEN_NOISE_MAX 0.03
#define GEN_BIAS_SD 0.03           /* per-axis offset, g (calibration error) */
#define GEN_GLITCH_PROB 0.05       /* chance a recording has a glitch (spike or dropout) */
#define GEN_SENSOR_RANGE_G 4.0     /* full scale: the Nano 33 BLE's LSM9DS1 defaults to 4 g */

/* ---- gesture shapes, typical values ---- */
#define WAVE_FREQ_MIN 2.0 /* Hz */
#define WAVE_FREQ_MAX 3.0
#define WAVE_ACC_MIN 0.8  /* peak lateral acceleration, g */
#define WAVE_ACC_MAX 2.5
#define PUNCH_ACC_MIN 2.5 /* peak forward acceleration, g */
#define PUNCH_ACC_MAX 4.5
#define FLEX_ARC_MIN 70.0 /* curl angle, degrees */
#define FLEX_ARC_MAX 120.0
#define FOREARM_M 0.28    /* elbow to wrist */
#define MINJERK_PEAK 5.7735 /* max |s''| of the minimum-jerk profile over unit time and distance */

typedef enum gesture_kind { GESTURE_WAVE, GESTURE_PUNCH, GESTURE_FLEX, GESTURE_COUNT } gesture_kind;

static const char *const gesture_names[] = {
    [GESTURE_WAVE] = "wave", [GESTURE_PUNCH] = "punch", [GESTURE_FLEX] = "flex"};
_Static_assert(sizeof gesture_names / sizeof gesture_names[0] == GESTURE_COUNT, "gesture names");

/* One recording's motion; fields not used by a kind stay zero. */
typedef struct motion {
    gesture_kind kind;
    double t0;            /* onset, s */
    double pitch0, roll0; /* resting forearm attitude, rad */
    double amp;           /* wave: lateral displacement (m); punch: reach (m); flex: arc (rad) */
    double dur;           /* punch / flex: duration of the main stroke, s */
    double hold;          /* punch / flex: pause before returning, s */
    double back;          /* punch / flex: fraction of the stroke undone; duration factor */
    double freq, cycles;  /* wave: Hz and number of cycles under the envelope */
    double phase;         /* wave: rad */
    double twist;         /* roll change during the gesture, rad */
} motion;

typedef struct pose {
    double p[3];          /* wrist position, m (x forward, y left, z up) */
    double pitch, roll;   /* forearm attitude, rad */
} pose;

static double uniform(qat_rng *r, double lo, double hi) {
    return lo + (hi - lo) * qat_rng_uniform(r);
}

/* Minimum-jerk position profile: 0 before, 1 after, smooth in between. */
static double minjerk(double u) {
    if (u <= 0) return 0;
    if (u >= 1) return 1;
    return u * u * u * (10 - 15 * u + 6 * u * u);
}

/* ---- trajectories ---- */

static void wave_pose(const motion *m, double u, pose *o) {
    double len = m->cycles / m->freq;
    double env = (u > 0 && u < len) ? pow(sin(PI * u / len), 2) : 0;
    double w = 2 * PI * m->freq * u + m->phase;
    o->p[1] = m->amp * env * sin(w);
    o->p[2] = 0.15 * m->amp * env * sin(2 * w); /* the hand bobs at twice the swing rate */
    o->roll = m->roll0 + m->twist * env * sin(w);
}

static void punch_pose(const motion *m, double u, pose *o) {
    double s = minjerk(u / m->dur) - minjerk((u - m->dur - m->hold) / (m->dur * m->back));
    o->p[0] = m->amp * s;
    o->p[2] = 0.1 * m->amp * s; /* fists rise slightly on the way out */
    o->roll = m->roll0 + m->twist * s;
}

static void flex_pose(const motion *m, double u, pose *o) {
    double down = m->back > 0 ? minjerk((u - m->dur - m->hold) / (1.2 * m->dur)) : 0;
    o->pitch = m->pitch0 + m->amp * (minjerk(u / m->dur) - m->back * down);
    /* The wrist travels on a circle about the elbow. */
    o->p[0] = FOREARM_M * (cos(o->pitch) - cos(m->pitch0));
    o->p[2] = FOREARM_M * (sin(o->pitch) - sin(m->pitch0));
    o->roll = m->roll0 + m->twist * minjerk(u / m->dur);
}

static void eval_pose(const motion *m, double t, pose *o) {
    memset(o, 0, sizeof *o);
    o->pitch = m->pitch0;
    o->roll = m->roll0;
    double u = t - m->t0;
    switch (m->kind) {
    case GESTURE_WAVE: wave_pose(m, u, o); break;
    case GESTURE_PUNCH: punch_pose(m, u, o); break;
    case GESTURE_FLEX: flex_pose(m, u, o); break;
    default: QAT_ASSERT(0);
    }
}

/* ---- per-class parameter draws ---- */

static double tempo(qat_rng *r) {
    return exp(GEN_TEMPO_SD * qat_rng_normal(r));
}

static void draw_wave(qat_rng *r, motion *m) {
    m->freq = uniform(r, WAVE_FREQ_MIN, WAVE_FREQ_MAX) / tempo(r);
    double acc = uniform(r, WAVE_ACC_MIN, WAVE_ACC_MAX) * G_MS2;
    m->amp = acc / pow(2 * PI * m->freq, 2);
    m->cycles =
        qat_rng_uniform(r) < GEN_ONE_SWING_FRAC ? uniform(r, 0.5, 0.8) : uniform(r, 1.5, 3.0);
    m->phase = uniform(r, 0, 2 * PI);
    m->twist = uniform(r, 10, 35) * DEG;
}

static void draw_punch(qat_rng *r, motion *m) {
    double reach = uniform(r, 0.2, 0.4), acc = uniform(r, PUNCH_ACC_MIN, PUNCH_ACC_MAX) * G_MS2;
    m->amp = reach;
    m->dur = sqrt(MINJERK_PEAK * reach / acc) * tempo(r); /* duration that gives that peak */
    if (qat_rng_uniform(r) < GEN_SLOW_PUNCH_FRAC) m->dur *= uniform(r, 2.0, 3.0);
    m->hold = uniform(r, 0.02, 0.2);
    m->back = uniform(r, 1.3, 2.2); /* retraction is slower than the strike */
    m->twist = (qat_rng_uniform(r) < 0.5 ? 1 : -1) * uniform(r, 0, 70) * DEG;
}

static void draw_flex(qat_rng *r, motion *m) {
    m->amp = uniform(r, FLEX_ARC_MIN, FLEX_ARC_MAX) * DEG;
    m->dur = uniform(r, 0.35, 0.65) * tempo(r);
    m->hold = uniform(r, 0.0, 0.15);
    m->back = qat_rng_uniform(r) < 0.75 ? uniform(r, 0.7, 1.0) : 0.0;
    m->twist = uniform(r, -20, 20) * DEG;
}

static void draw_motion(qat_rng *r, gesture_kind kind, double span, motion *m) {
    memset(m, 0, sizeof *m);
    m->kind = kind;
    m->pitch0 = uniform(r, -GEN_POSTURE_PITCH_DEG, GEN_POSTURE_PITCH_DEG) * DEG;
    m->roll0 = uniform(r, -GEN_POSTURE_ROLL_DEG, GEN_POSTURE_ROLL_DEG) * DEG;
    m->t0 = uniform(r, 0, GEN_ONSET_MAX) * span;
    if (qat_rng_uniform(r) < GEN_LATE_FRAC) m->t0 = uniform(r, 0.5, 0.8) * span;
    if (kind == GESTURE_WAVE) draw_wave(r, m);
    else if (kind == GESTURE_PUNCH) draw_punch(r, m);
    else draw_flex(r, m);
    if (qat_rng_uniform(r) < GEN_WEAK_FRAC) {
        double k = uniform(r, 0.3, 0.6);
        m->amp *= k;
        m->twist *= k;
    }
}

/* ---- rotations ---- */

typedef double mat3[3][3];

static void mat_mul(const mat3 a, const mat3 b, mat3 out) {
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            out[i][j] = a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j];
}

/* out = a^T v: a vector given in the frame a maps from, expressed in a's own frame. */
static void mat_tmul(const mat3 a, const double v[3], double out[3]) {
    for (int i = 0; i < 3; i++) out[i] = a[0][i] * v[0] + a[1][i] * v[1] + a[2][i] * v[2];
}

/* Rotation by `angle` about the unit axis (Rodrigues). */
static void axis_angle(const double ax[3], double angle, mat3 out) {
    double c = cos(angle), s = sin(angle), t = 1 - c;
    double x = ax[0], y = ax[1], z = ax[2];
    mat3 r = {{t * x * x + c, t * x * y - s * z, t * x * z + s * y},
              {t * x * y + s * z, t * y * y + c, t * y * z - s * x},
              {t * x * z - s * y, t * y * z + s * x, t * z * z + c}};
    memcpy(out, r, sizeof r);
}

/* The forearm's attitude: pitch raises the hand (about -y), roll turns about the forearm. */
static void attitude(double pitch, double roll, mat3 out) {
    const double y[3] = {0, -1, 0}, x[3] = {1, 0, 0};
    mat3 p, r;
    axis_angle(y, pitch, p);
    axis_angle(x, roll, r);
    mat_mul(p, r, out);
}

/* How the sensor sits on the forearm: a uniformly random axis, an angle up to GEN_MOUNT_DEG.
 * This mixes the axes between recordings, the main source of overlap between classes. */
static void draw_mount(qat_rng *r, mat3 out) {
    double ax[3], n;
    do {
        for (int i = 0; i < 3; i++) ax[i] = qat_rng_normal(r);
        n = sqrt(ax[0] * ax[0] + ax[1] * ax[1] + ax[2] * ax[2]);
    } while (n < 1e-9);
    for (int i = 0; i < 3; i++) ax[i] /= n;
    axis_angle(ax, uniform(r, 0, GEN_MOUNT_DEG) * DEG, out);
}

/* ---- the sensor ---- */

/* Specific force at time t in the sensor frame, in g. */
static void specific_force(const motion *m, const mat3 mount, double t, double out[3]) {
    const double h = 0.002; /* step of the numerical second derivative, s */
    pose a, b, c;
    eval_pose(m, t - h, &a);
    eval_pose(m, t, &b);
    eval_pose(m, t + h, &c);
    double f[3], fa[3];
    for (int i = 0; i < 3; i++) f[i] = (a.p[i] - 2 * b.p[i] + c.p[i]) / (h * h) / G_MS2;
    f[2] += 1.0; /* the accelerometer reads +1 g upwards at rest */
    mat3 att;
    attitude(b.pitch, b.roll, att);
    mat_tmul(att, f, fa);
    mat_tmul(mount, fa, out);
}

static double clamp_range(double v) {
    return v > GEN_SENSOR_RANGE_G ? GEN_SENSOR_RANGE_G
           : v < -GEN_SENSOR_RANGE_G ? -GEN_SENSOR_RANGE_G : v;
}

/* A glitch: a one-sample spike on one axis, or a dropout (readings frozen or zero). */
static void add_glitch(qat_rng *r, float *x, int window) {
    int at = (int)qat_rng_below(r, (uint32_t)window);
    if (qat_rng_uniform(r) < 0.5) {
        int axis = (int)qat_rng_below(r, 3);
        x[at * 3 + axis] = (float)clamp_range(x[at * 3 + axis] + 2.0 * qat_rng_normal(r));
        return;
    }
    int len = 1 + (int)qat_rng_below(r, 3), zero = qat_rng_uniform(r) < 0.3;
    for (int k = at; k < at + len && k < window; k++)
        for (int i = 0; i < 3; i++) x[k * 3 + i] = zero || k == 0 ? 0.0f : x[(k - 1) * 3 + i];
}

static void render(qat_rng *r, const motion *m, int window, double rate, float *x) {
    mat3 mount;
    draw_mount(r, mount);
    double bias[3], noise = uniform(r, GEN_NOISE_MIN, GEN_NOISE_MAX);
    for (int i = 0; i < 3; i++) bias[i] = GEN_BIAS_SD * qat_rng_normal(r);
    for (int k = 0; k < window; k++) {
        double f[3];
        specific_force(m, (const double(*)[3])mount, k / rate, f);
        for (int i = 0; i < 3; i++)
            x[k * 3 + i] = (float)clamp_range(f[i] + bias[i] + noise * qat_rng_normal(r));
    }
    if (qat_rng_uniform(r) < GEN_GLITCH_PROB) add_glitch(r, x, window);
}

/* ---- entry point ---- */

static qat_status class_kinds(const qat_data_config *cfg, gesture_kind *kinds, qat_error *e) {
    for (int c = 0; c < cfg->n_classes; c++) {
        int k = 0;
        while (k < GESTURE_COUNT && strcmp(cfg->classes[c], gesture_names[k])) k++;
        if (k == GESTURE_COUNT)
            return qat_error_set(e, QAT_ERR_CONFIG,
                                 "builtin data: no generator for class '%s' (known: wave, punch, "
                                 "flex)",
                                 cfg->classes[c]);
        kinds[c] = (gesture_kind)k;
    }
    return QAT_OK;
}

static qat_status check_config(const qat_data_config *cfg, qat_error *e) {
    if (cfg->channels != 3)
        return qat_error_set(e, QAT_ERR_CONFIG,
                             "builtin data: channels is %d; the generator makes 3 (ax, ay, az)",
                             cfg->channels);
    if (cfg->n_classes <= 0 || cfg->n_classes > QAT_MAX_CLASSES || cfg->window <= 0 ||
        cfg->samples_per_class <= 0 || !(cfg->rate_hz > 0))
        return qat_error_set(e, QAT_ERR_CONFIG,
                             "builtin data: bad classes %d, window %d, samples_per_class %d or "
                             "rate_hz %g",
                             cfg->n_classes, cfg->window, cfg->samples_per_class, cfg->rate_hz);
    if (cfg->samples_per_class > (1 << 30) / cfg->n_classes)
        return qat_error_set(e, QAT_ERR_CONFIG, "builtin data: samples_per_class %d is too large",
                             cfg->samples_per_class);
    return QAT_OK;
}

qat_status qat_gesture_generate(const qat_data_config *cfg, qat_rng *rng, qat_dataset *out,
                                qat_error *e) {
    memset(out, 0, sizeof *out);
    gesture_kind kinds[QAT_MAX_CLASSES];
    qat_status s = check_config(cfg, e);
    if (!s) s = class_kinds(cfg, kinds, e);
    int per_class = cfg->samples_per_class, n = cfg->n_classes * per_class;
    if (!s) s = qat_dataset_alloc(out, n, cfg->window, 3, cfg->n_classes, e);
    if (s) return s;
    for (int c = 0; c < cfg->n_classes; c++)
        snprintf(out->class_names[c], QAT_NAME_MAX, "%s", cfg->classes[c]);
    double span = cfg->window / cfg->rate_hz;
    /* Samples are grouped by class, in config order; each draws from the same stream in turn,
     * so the data depend only on the seed and the config. */
    for (int i = 0; i < n; i++) {
        int c = i / per_class;
        motion m;
        draw_motion(rng, kinds[c], span, &m);
        render(rng, &m, cfg->window, cfg->rate_hz, out->x + (size_t)i * (size_t)cfg->window * 3);
        out->y[i] = c;
        out->src[i].file = i % per_class;
    }
    return QAT_OK;
}
