/* The run configuration: the lesson's defaults, the INI file parser and --set overrides.
 *
 * How a file is read (libinih 55 as Debian builds it, fed by our own line reader):
 *  - Debian's inih gives handlers no line numbers, so read_line() hands inih one line at a
 *    time and counts them; it also tracks the [section] headers itself, which gives every
 *    layer its header line and catches empty or unknown sections inih would pass silently.
 *  - Comments: a line whose first non-blank character is ';' or '#', and anything after a
 *    blank followed by ';' or '#' ("lr = 0.01  # note"). read_line() cuts them, so a value
 *    can never contain " ;" or " #".
 *  - Indentation is dropped before inih sees a line. That switches off inih's multi-line
 *    values (an indented line would otherwise be appended to the previous key): a stray
 *    continuation line is a syntax error, and indented keys are ordinary keys.
 *  - "key = value" and "key: value" both work. Section and key names are case-sensitive;
 *    enum names (adam, conv1d, ...) and booleans (true/false/yes/no/1/0) are not.
 *  - A line holds at most 199 characters (inih's line buffer).
 *  - The first error stops the parse; only that one is reported.
 *  - Each section appears once and each key once per section, except in [files], where a
 *    class may be repeated to continue its list of files across lines.
 *  - [layer.NAME]: `type` must be the first key, so no key is checked against a type that
 *    has not been chosen yet. The first [layer.*] section drops the default layers.
 *  - [files]: keys are class names, resolved after the whole file is read, so [files] may
 *    come before or after the [data] classes key.
 *  - Paths in the file resolve against the file's folder; paths given with --set resolve
 *    against the current directory, where the user typed them. */
#include "qat/config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SECTION_MAX 64                 /* "layer." + a name, with room to report a long one */
#define SEEN_MAX 64                    /* keys remembered per section (no section has more) */
#define WHERE_MAX (QAT_PATH_MAX + 128) /* "PATH:LINE: [section] key" */
#define PROBLEM_MAX 384
#define SHOW "'%.60s'" /* how a value is quoted in messages */

/* Enums are stored through int pointers by the generic setter. */
_Static_assert(sizeof(qat_activation) == sizeof(int), "enum size");
_Static_assert(sizeof(qat_padding) == sizeof(int), "enum size");
_Static_assert(sizeof(qat_optimizer_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(qat_monitor) == sizeof(int), "enum size");
_Static_assert(sizeof(qat_val_select) == sizeof(int), "enum size");
_Static_assert(sizeof(qat_calib_select) == sizeof(int), "enum size");
_Static_assert(sizeof(qat_data_source) == sizeof(int), "enum size");
_Static_assert(sizeof(qat_norm_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(qat_observer_kind) == sizeof(int), "enum size");
_Static_assert(sizeof(qat_prune_schedule) == sizeof(int), "enum size");
_Static_assert(sizeof(qat_source_use) == sizeof(int), "enum size");
_Static_assert(sizeof(qat_cross_validate) == sizeof(int), "enum size");

typedef enum section_kind {
    SEC_NONE, /* before any header, or an unknown one */
    SEC_RUN,
    SEC_DATA,
    SEC_FILES,
    SEC_TRAIN,
    SEC_QUANT,
    SEC_PRUNE,
    SEC_AUGMENT,
    SEC_TARGET,
    SEC_DISTILL,
    SEC_SEARCH,
    SEC_SOURCE, /* [source.NAME] */
    SEC_LAYER
} section_kind;

/* State shared by the file parser and --set; reaches inih's callbacks as the user pointer. */
typedef struct parse_ctx {
    qat_config *cfg;
    qat_error *e;
    qat_status status;         /* first failure (e may be NULL, so it is kept here too) */
    const char *base_dir;      /* relative paths in values resolve here */
    int from_file;             /* 0 for --set */
    const char *path;          /* the file, for messages */
    const char *text;          /* its contents, consumed by read_line */
    size_t len, pos;
    int line;                  /* number of the line last read */
    int err_line;              /* line of the first error, 0 while none */
    char where[WHERE_MAX];     /* message prefix naming what is being set */
    section_kind sec;          /* the section being read */
    char section[SECTION_MAX];
    int layer;                 /* SEC_LAYER: index in cfg->layers; SEC_SOURCE: in
                                  cfg->data.sources */
    int has_type;              /* SEC_LAYER: its `type` was read */
    int n_seen;                /* keys set so far in this section, for duplicates */
    char seen[SEEN_MAX][QAT_NAME_MAX];
    int seen_line[SEEN_MAX];
    int fixed_line[SEC_SOURCE]; /* header line of [run], [data], [files], [train]... once seen */
    int file_layers;           /* the first [layer.*] section cleared the defaults */
    char file_class[QAT_MAX_CSV_FILES][QAT_NAME_MAX]; /* [files] keys awaiting resolution */
    int file_line[QAT_MAX_CSV_FILES];
} parse_ctx;

/* ---- defaults ------------------------------------------------------------------------ */

static qat_layer_spec *add_layer(qat_config *cfg, const char *name, qat_layer_kind kind) {
    qat_layer_spec *l = &cfg->layers[cfg->n_layers++];
    memset(l, 0, sizeof *l);
    snprintf(l->name, sizeof l->name, "%s", name);
    qat_layer_reset(l, kind);
    return l;
}

static void add_conv(qat_config *cfg, const char *name, int filters, int kernel) {
    qat_layer_spec *l = add_layer(cfg, name, QAT_LAYER_CONV1D);
    l->units = filters;
    l->kernel = kernel;
    l->activation = QAT_ACT_RELU;
}

static void add_dense(qat_config *cfg, const char *name, int units, qat_activation act) {
    qat_layer_spec *l = add_layer(cfg, name, QAT_LAYER_DENSE);
    l->units = units;
    l->activation = act;
}

static void default_data(qat_data_config *d) {
    static const char *const classes[] = {"wave", "punch", "flex"};
    static const char *const columns[] = {"aX", "aY", "aZ"};
    d->source = QAT_DATA_BUILTIN;
    d->n_classes = 3;
    for (int i = 0; i < 3; i++) {
        snprintf(d->classes[i], sizeof d->classes[i], "%s", classes[i]);
        snprintf(d->csv_columns[i], sizeof d->csv_columns[i], "%s", columns[i]);
    }
    d->window = 50;
    d->channels = 3;
    d->rate_hz = 50;
    d->test_split = 0.2;
    d->normalize = QAT_NORM_MINMAX;
    d->samples_per_class = 500;
    d->csv_rate_hz = 119; /* the Arduino Nano 33 BLE IMU */
    d->csv_gesture_rows = 0;
    d->scale = 255; /* pixels / 255, as the image lessons */
}

static void default_train(qat_train_config *t) {
    t->optimizer = QAT_OPT_ADAM;
    t->lr = 1e-3;
    t->beta1 = 0.9;
    t->beta2 = 0.999;
    t->epsilon = 1e-7;
    t->momentum = 0;
    t->nesterov = 0;
    t->epochs = 80;
    t->batch = 16;
    t->val_split = 0; /* the lesson validates on the test split */
    t->monitor = QAT_MONITOR_VAL_LOSS;
    t->plateau_monitor = QAT_MONITOR_VAL_LOSS;
    t->plateau_patience = 0;
    t->plateau_factor = 0.5;
    t->min_lr = 0;
    t->early_stop_patience = 0;
    t->restore_best = 1;
}

static void default_quant(qat_quant_config *q) {
    q->enabled = 1;
    q->calib_samples = 200;
    q->ptq_observer = QAT_OBS_MINMAX; /* what the TFLite converter's calibration does */
    q->qat_observer = QAT_OBS_EMA;    /* TFMOT's MovingAverageQuantizer */
    q->ema_decay = 0.999;
    q->ema_warmup = 16;
    q->percentile = 99.99;
    q->per_channel_conv = 1;
    q->per_channel_dense = 0;
    q->weight_bits = 8;
    q->act_bits = 8;
    q->epochs = 30; /* the lesson's QAT recipe */
    q->lr = 1e-4;
    q->batch = 16;
    q->observer_freeze_epoch = 0;
    q->bn_freeze_epoch = 0;
    q->plateau_factor = 0.5;
    q->uint8_io = 0; /* the lesson exports int8 I/O only */
    q->weight_schedule.n = q->act_schedule.n = 0; /* the lesson quantizes at once */
    q->weight_start_epoch = q->act_start_epoch = 1;
    q->act_quantizer = QAT_ACTQ_OBSERVER; /* TFMOT's: EMA ranges, max-magnitude weight scales */
    q->weight_quantizer = QAT_WQ_MAX;
}

static void default_prune(qat_prune_config *c) {
    c->enabled = 1; /* the lesson ends with pruning */
    c->schedule = QAT_PRUNE_POLYNOMIAL;
    c->initial_sparsity = 0.30;
    c->final_sparsity = 0.70;
    c->begin_step = 0;
    c->end_step = 0;
    c->frequency = 100; /* TFMOT's default */
    c->power = 3;
    c->epochs = 20;
    c->lr = 1e-3;
    c->block = 1;
    c->structured = 0;
    c->n_sweep = 0;
}

void qat_config_defaults(qat_config *cfg) {
    memset(cfg, 0, sizeof *cfg);
    cfg->seed = 42;
    snprintf(cfg->out_dir, sizeof cfg->out_dir, "out/gesture_cnn");
    default_data(&cfg->data);
    add_conv(cfg, "conv1", 16, 5);
    add_layer(cfg, "pool1", QAT_LAYER_MAXPOOL1D);
    add_conv(cfg, "conv2", 32, 3);
    add_layer(cfg, "pool2", QAT_LAYER_MAXPOOL1D);
    add_layer(cfg, "flatten", QAT_LAYER_FLATTEN);
    add_dense(cfg, "dense1", 32, QAT_ACT_RELU);
    add_layer(cfg, "dropout", QAT_LAYER_DROPOUT)->rate = 0.3;
    add_dense(cfg, "dense2", 3, QAT_ACT_SOFTMAX);
    default_train(&cfg->train);
    default_quant(&cfg->quant);
    cfg->quant.auto_budget = 0.5;
    cfg->distill.temperature = 4;
    cfg->distill.alpha = 0.5;
    cfg->distill.on_qat = 1; /* with teacher = self, the stage it can teach */
    qat_search_defaults(&cfg->search);
    default_prune(&cfg->prune);
}

/* ---- messages ------------------------------------------------------------------------ */

/* Records a config error "<where>: <problem>" (where names the file, line, section, key). */
__attribute__((format(printf, 2, 3)))
static qat_status key_error(parse_ctx *p, const char *fmt, ...) {
    char problem[PROBLEM_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    p->status = QAT_ERR_CONFIG;
    return qat_error_set(p->e, QAT_ERR_CONFIG, "%s: %s", p->where, problem);
}

/* Appends ", name" (or "name" first) to a list being built in buf. */
static void list_add(char *buf, size_t cap, const char *name) {
    size_t n = strlen(buf);
    if (n < cap) snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", name);
}

static void range_text(char *buf, size_t cap, double lo, int lo_open, double hi, int hi_open) {
    if (isinf(hi))
        snprintf(buf, cap, "must be %s %.10g", lo_open ? ">" : ">=", lo);
    else
        snprintf(buf, cap, "must be in %c%.10g, %.10g%c", lo_open ? '(' : '[', lo, hi,
                 hi_open ? ')' : ']');
}

/* ---- value parsers ------------------------------------------------------------------- */

/* strtod/strtol accept more than a config should (blanks, "inf", "nan", hex): only plain
 * decimal text gets through to them. */
static int only_chars(const char *s, const char *allowed) {
    return s[0] && s[strspn(s, allowed)] == '\0';
}

static int parse_double_text(const char *s, double *out) {
    if (!only_chars(s, "0123456789+-.eE")) return 0;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (end == s || *end) return 0;
    *out = x;
    return 1;
}

static int in_range(double x, double lo, int lo_open, double hi, int hi_open) {
    if (lo_open ? !(x > lo) : !(x >= lo)) return 0;
    return hi_open ? x < hi : x <= hi;
}

static qat_status parse_double(parse_ctx *p, const char *v, double lo, int lo_open, double hi,
                               int hi_open, double *out) {
    double x;
    if (!parse_double_text(v, &x)) return key_error(p, SHOW " is not a number", v);
    if (!isfinite(x) || !in_range(x, lo, lo_open, hi, hi_open)) {
        char r[96];
        range_text(r, sizeof r, lo, lo_open, hi, hi_open);
        return key_error(p, SHOW " is out of range (%s)", v, r);
    }
    *out = x;
    return QAT_OK;
}

static qat_status parse_int(parse_ctx *p, const char *v, double lo, double hi, int *out) {
    double d;
    if (!only_chars(v, "0123456789+-") || v[strspn(v, "+-")] == '\0' ||
        strspn(v, "+-") > 1) {
        if (parse_double_text(v, &d)) return key_error(p, SHOW " is not a whole number", v);
        return key_error(p, SHOW " is not a number", v);
    }
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (*end) return key_error(p, SHOW " is not a number", v);
    if (errno == ERANGE || x < lo || x > hi) {
        char r[96];
        range_text(r, sizeof r, lo, 0, hi, 0);
        return key_error(p, SHOW " is out of range (%s)", v, r);
    }
    *out = (int)x;
    return QAT_OK;
}

static qat_status parse_bool(parse_ctx *p, const char *v, int *out) {
    static const char *const yes[] = {"true", "yes", "1"};
    static const char *const no[] = {"false", "no", "0"};
    for (int i = 0; i < 3; i++) {
        if (!strcasecmp(v, yes[i])) return *out = 1, QAT_OK;
        if (!strcasecmp(v, no[i])) return *out = 0, QAT_OK;
    }
    return key_error(p, SHOW " is not a boolean (true, false, yes, no, 1, 0)", v);
}

/* An enum seen through its public name function, so parsing uses the printing table. */
typedef struct enum_desc {
    int count;
    const char *(*name)(int value);
} enum_desc;

static const char *kind_name(int v) { return qat_layer_kind_name((qat_layer_kind)v); }
static const char *act_name(int v) { return qat_activation_name((qat_activation)v); }
static const char *pad_name(int v) { return qat_padding_name((qat_padding)v); }
static const char *opt_name(int v) { return qat_optimizer_name((qat_optimizer_kind)v); }
static const char *mon_name(int v) { return qat_monitor_name((qat_monitor)v); }
static const char *src_name(int v) { return qat_data_source_name((qat_data_source)v); }
static const char *norm_name(int v) { return qat_norm_kind_name((qat_norm_kind)v); }
static const char *obs_name(int v) { return qat_observer_name((qat_observer_kind)v); }
static const char *actq_name(int v) { return qat_act_quantizer_name((qat_act_quantizer)v); }
static const char *wq_name(int v) { return qat_weight_quantizer_name((qat_weight_quantizer)v); }
static const char *wcal_name(int v) { return v == 0 ? "max" : v == 1 ? "mse" : "unknown"; }
static const char *auto_name(int v) {
    return v == 0 ? "none" : v == 1 ? "accuracy" : v == 2 ? "size" : "unknown";
}
static const char *profile_name(int v) {
    const qat_target_profile *p = qat_target_profile_at(v);
    return p ? p->name : "unknown";
}
static const char *val_name(int v) { return qat_val_select_name((qat_val_select)v); }
static const char *calib_name(int v) { return qat_calib_select_name((qat_calib_select)v); }
static const char *use_name(int v) { return qat_source_use_name((qat_source_use)v); }
static const char *cv_name(int v) { return qat_cross_validate_name((qat_cross_validate)v); }
static const char *unit_name(int v) { return qat_unit_name((qat_unit)v); }
static const char *sched_name(int v) { return qat_prune_schedule_name((qat_prune_schedule)v); }

static const char *sop_name(int v) { return qat_search_op_name((qat_search_op)v); }
static const char *shead_name(int v) { return qat_search_head_name((qat_search_head)v); }
static const char *sbn_name(int v) { return qat_search_bn_name((qat_search_bn)v); }
static const char *sfit_name(int v) { return qat_search_fitness_name((qat_search_fitness)v); }
static const char *sacc_name(int v) { return qat_search_accuracy_name((qat_search_accuracy)v); }
static const char *sact_name(int v) { return v == QAT_ACT_RELU ? "relu" : v == QAT_ACT_RELU6 ? "relu6" : ""; }

static const enum_desc kind_enum = {QAT_LAYER_KIND_COUNT, kind_name};
static const enum_desc sop_enum = {QAT_SEARCH_OP_COUNT, sop_name};
static const enum_desc shead_enum = {QAT_SEARCH_HEAD_COUNT, shead_name};
static const enum_desc sbn_enum = {QAT_SEARCH_BN_COUNT, sbn_name};
static const enum_desc sfit_enum = {QAT_FITNESS_COUNT, sfit_name};
static const enum_desc sacc_enum = {QAT_SEARCH_ACC_COUNT, sacc_name};
static const enum_desc sact_enum = {QAT_ACT_COUNT, sact_name};
static const enum_desc act_enum = {QAT_ACT_COUNT, act_name};
static const enum_desc pad_enum = {QAT_PAD_COUNT, pad_name};
static const enum_desc opt_enum = {QAT_OPT_COUNT, opt_name};
static const enum_desc mon_enum = {QAT_MONITOR_COUNT, mon_name};
static const enum_desc src_enum = {QAT_DATA_SOURCE_COUNT, src_name};
static const enum_desc norm_enum = {QAT_NORM_KIND_COUNT, norm_name};
static const enum_desc obs_enum = {QAT_OBS_COUNT, obs_name};
static const enum_desc actq_enum = {QAT_ACTQ_COUNT, actq_name};
static const enum_desc wcal_enum = {2, wcal_name};
static const enum_desc auto_enum = {3, auto_name};
static const enum_desc profile_enum = {QAT_TARGET_PROFILES, profile_name};
static const enum_desc wq_enum = {QAT_WQ_COUNT, wq_name};
static const enum_desc sched_enum = {QAT_PRUNE_SCHEDULE_COUNT, sched_name};
static const enum_desc val_enum = {QAT_VAL_SELECT_COUNT, val_name};
static const enum_desc calib_enum = {QAT_CALIB_SELECT_COUNT, calib_name};
static const enum_desc use_enum = {QAT_USE_COUNT, use_name};
static const enum_desc cv_enum = {QAT_CV_COUNT, cv_name};
static const enum_desc unit_enum = {QAT_UNIT_COUNT, unit_name};

#define ALL_VALUES (~0u)

/* Accepts the names whose bit is set in `allowed`; the message lists exactly those. */
static qat_status parse_enum(parse_ctx *p, const char *v, const enum_desc *en, unsigned allowed,
                             int *out) {
    char names[256] = "";
    for (int i = 0; i < en->count; i++) {
        if (!(allowed & (1u << i))) continue;
        if (!strcasecmp(v, en->name(i))) return *out = i, QAT_OK;
        list_add(names, sizeof names, en->name(i));
    }
    return key_error(p, SHOW " is not one of: %s", v, names);
}

/* Iterates over the trimmed items of a comma-separated list ("a, b,c"). */
typedef struct list_iter {
    const char *s;
    int done;
} list_iter;

static int list_next(list_iter *it, const char **item, int *n) {
    if (it->done) return 0;
    const char *comma = strchr(it->s, ',');
    const char *end = comma ? comma : it->s + strlen(it->s);
    const char *b = it->s;
    while (b < end && isspace((unsigned char)*b)) b++;
    while (end > b && isspace((unsigned char)end[-1])) end--;
    *item = b;
    *n = (int)(end - b);
    if (comma)
        it->s = comma + 1;
    else
        it->done = 1;
    return 1;
}

static int name_chars_ok(const char *s, int n, const char *extra) {
    for (int i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr(extra, s[i])) return 0;
    return n > 0;
}

/* Checks one list item as a name (non-empty, short enough and, when `strict`, only
 * [A-Za-z0-9_-] since class names become folder names) and copies it to out. */
static qat_status list_name(parse_ctx *p, const char *what, const char *item, int n,
                            int strict, char out[QAT_NAME_MAX]) {
    if (n == 0) return key_error(p, "empty %s in the list", what);
    if (n >= QAT_NAME_MAX)
        return key_error(p, "%s '%.*s' is longer than %d characters", what, n, item,
                         QAT_NAME_MAX - 1);
    if (strict && !name_chars_ok(item, n, "_-"))
        return key_error(p, "%s '%.*s' may only use letters, digits, '_' and '-'", what, n,
                         item);
    memcpy(out, item, (size_t)n);
    out[n] = '\0';
    return QAT_OK;
}

/* ---- custom setters ------------------------------------------------------------------ */

typedef qat_status (*key_setter)(parse_ctx *p, void *base, const char *value);

#define U64_RANGE "must be in [0, 18446744073709551615]"

/* Any number of digits is read whole (leading zeros included): a seed is never cut. */
static qat_status parse_seed(parse_ctx *p, const char *v, uint64_t *out) {
    if (v[0] == '-' && only_chars(v + 1, "0123456789"))
        return key_error(p, SHOW " is out of range (" U64_RANGE ")", v);
    if (!only_chars(v, "0123456789"))
        return key_error(p, SHOW " is not a seed (digits only, in [0, 18446744073709551615])", v);
    char *end;
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno == ERANGE || *end) return key_error(p, SHOW " is out of range (" U64_RANGE ")", v);
    *out = (uint64_t)x;
    return QAT_OK;
}

static qat_status set_seed(parse_ctx *p, void *base, const char *v) {
    return parse_seed(p, v, &((qat_config *)base)->seed);
}

/* [data] split_seed: the splits' own seed, so the initialisation can change without them. */
static qat_status set_split_seed(parse_ctx *p, void *base, const char *v) {
    qat_data_config *d = base;
    qat_status s = parse_seed(p, v, &d->split_seed);
    if (!s) d->has_split_seed = 1;
    return s;
}

static qat_status set_out(parse_ctx *p, void *base, const char *v) {
    qat_config *cfg = base;
    if (!v[0]) return key_error(p, "empty path (give the output folder)");
    if (strlen(v) >= sizeof cfg->out_dir) return key_error(p, "path too long");
    snprintf(cfg->out_dir, sizeof cfg->out_dir, "%s", v);
    return QAT_OK;
}

static qat_status set_dir(parse_ctx *p, void *base, const char *v) {
    qat_data_config *d = base;
    char path[QAT_PATH_MAX];
    if (!v[0]) return key_error(p, "empty path (give the folder holding one folder per class)");
    if (qat_path_join(path, sizeof path, p->base_dir, v, NULL) != QAT_OK)
        return key_error(p, "path too long");
    memcpy(d->dir, path, sizeof path);
    return QAT_OK;
}

/* An image file of source = idx / npy_images, resolved against the config's folder. */
static qat_status set_file(parse_ctx *p, char *dst, const char *v) {
    char path[QAT_PATH_MAX];
    if (!v[0]) return key_error(p, "empty path");
    if (qat_path_join(path, sizeof path, p->base_dir, v, NULL) != QAT_OK)
        return key_error(p, "path too long");
    memcpy(dst, path, sizeof path);
    return QAT_OK;
}

static qat_status set_train_images(parse_ctx *p, void *base, const char *v) {
    return set_file(p, ((qat_data_config *)base)->train_images, v);
}

static qat_status set_train_labels(parse_ctx *p, void *base, const char *v) {
    return set_file(p, ((qat_data_config *)base)->train_labels, v);
}

static qat_status set_test_images(parse_ctx *p, void *base, const char *v) {
    return set_file(p, ((qat_data_config *)base)->test_images, v);
}

static qat_status set_test_labels(parse_ctx *p, void *base, const char *v) {
    return set_file(p, ((qat_data_config *)base)->test_labels, v);
}

static qat_status set_train_index(parse_ctx *p, void *base, const char *v) {
    return set_file(p, ((qat_data_config *)base)->train_index, v);
}

static qat_status set_val_index(parse_ctx *p, void *base, const char *v) {
    return set_file(p, ((qat_data_config *)base)->val_index, v);
}

static qat_status set_test_index(parse_ctx *p, void *base, const char *v) {
    return set_file(p, ((qat_data_config *)base)->test_index, v);
}

/* labels = 0, 2, 6: the file labels taken, in class order (each in [0, 255], distinct). */
static qat_status set_labels(parse_ctx *p, void *base, const char *v) {
    qat_data_config *d = base;
    int vals[QAT_MAX_CLASSES], n = 0, len;
    const char *item;
    list_iter it = {v, 0};
    while (list_next(&it, &item, &len)) {
        char num[16];
        if (n == QAT_MAX_CLASSES) return key_error(p, "more than %d labels", QAT_MAX_CLASSES);
        if (len <= 0 || len >= (int)sizeof num) return key_error(p, SHOW " is not a list of "
                                                                 "numbers", v);
        memcpy(num, item, (size_t)len);
        num[len] = '\0';
        qat_status s = parse_int(p, num, 0, 255, &vals[n]);
        if (s) return s;
        for (int i = 0; i < n; i++)
            if (vals[i] == vals[n]) return key_error(p, "label %d is listed twice", vals[n]);
        n++;
    }
    if (n == 0) return key_error(p, "empty list (give the file labels of the classes)");
    memcpy(d->labels, vals, sizeof vals[0] * (size_t)n);
    d->n_labels = n;
    return QAT_OK;
}

static int find_name(char names[][QAT_NAME_MAX], int n, const char *name) {
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

/* New class list: CSV files already tied to classes follow their class by name, so
 * reordering classes with --set cannot silently relabel recordings. */
static qat_status remap_csv_classes(parse_ctx *p, qat_data_config *d,
                                    char names[][QAT_NAME_MAX], int n) {
    int cls[QAT_MAX_CSV_FILES];
    for (int i = 0; i < d->n_csv; i++) {
        cls[i] = d->csv[i].cls;
        if (cls[i] < 0 || cls[i] >= d->n_classes) continue; /* resolved after the file */
        cls[i] = find_name(names, n, d->classes[d->csv[i].cls]);
        if (cls[i] < 0)
            return key_error(p, "class '%s' has files in [files] (keep the class or drop them)",
                             d->classes[d->csv[i].cls]);
    }
    for (int i = 0; i < d->n_csv; i++) d->csv[i].cls = cls[i];
    return QAT_OK;
}

/* A comma-separated list of distinct names (at most max) into names; *n gets the count.
 * `what` names an item in messages ("class"), `whats` several ("classes"); strict: letters,
 * digits, '_' and '-' only. */
static qat_status parse_names(parse_ctx *p, const char *v, int max, const char *what,
                              const char *whats, int strict, char names[][QAT_NAME_MAX], int *n) {
    int len;
    const char *item;
    char label[32];
    snprintf(label, sizeof label, "%s name", what);
    list_iter it = {v, 0};
    *n = 0;
    while (v[0] && list_next(&it, &item, &len)) {
        if (*n == max) return key_error(p, "more than %d %s", max, whats);
        qat_status s = list_name(p, label, item, len, strict, names[*n]);
        if (s) return s;
        if (find_name(names, *n, names[*n]) >= 0)
            return key_error(p, "%s '%s' is listed twice", what, names[*n]);
        (*n)++;
    }
    return QAT_OK;
}

static qat_status set_classes(parse_ctx *p, void *base, const char *v) {
    qat_data_config *d = base;
    char names[QAT_MAX_CLASSES][QAT_NAME_MAX];
    int n;
    qat_status st = parse_names(p, v, QAT_MAX_CLASSES, "class", "classes", 1, names, &n);
    if (st) return st;
    if (n < 2) return key_error(p, "needs at least 2 classes, got %d", n);
    qat_status s = remap_csv_classes(p, d, names, n);
    if (s) return s;
    memcpy(d->classes, names, sizeof names[0] * (size_t)n);
    memset(d->classes[n], 0, sizeof names[0] * (size_t)(QAT_MAX_CLASSES - n));
    d->n_classes = n;
    return QAT_OK;
}

static qat_status parse_columns(parse_ctx *p, const char *v,
                                char columns[QAT_MAX_CHANNELS][QAT_NAME_MAX]) {
    char names[QAT_MAX_CHANNELS][QAT_NAME_MAX];
    int n;
    qat_status st = parse_names(p, v, QAT_MAX_CHANNELS, "column", "columns", 0, names, &n);
    if (st) return st;
    memset(columns, 0, sizeof names);
    memcpy(columns, names, sizeof names[0] * (size_t)n);
    return QAT_OK;
}

static qat_status set_csv_columns(parse_ctx *p, void *base, const char *v) {
    return parse_columns(p, v, ((qat_data_config *)base)->csv_columns);
}

static qat_status set_source_columns(parse_ctx *p, void *base, const char *v) {
    return parse_columns(p, v, ((qat_source_spec *)base)->csv_columns);
}

/* units = g, g, g, deg/s, deg/s, deg/s: one unit per channel ("m/s^2" reads as m/s2). */
static qat_status parse_units(parse_ctx *p, const char *v, qat_unit units[QAT_MAX_CHANNELS]) {
    qat_unit got[QAT_MAX_CHANNELS] = {0};
    int n = 0, len;
    const char *item;
    list_iter it = {v, 0};
    while (list_next(&it, &item, &len)) {
        char name[QAT_NAME_MAX];
        if (n == QAT_MAX_CHANNELS) return key_error(p, "more than %d units", QAT_MAX_CHANNELS);
        if (len <= 0 || len >= QAT_NAME_MAX) return key_error(p, SHOW " is not a list of units", v);
        snprintf(name, sizeof name, "%.*s", len, item);
        if (!strcmp(name, "m/s^2")) snprintf(name, sizeof name, "m/s2");
        int u;
        qat_status s = parse_enum(p, name, &unit_enum, ALL_VALUES & ~1u, &u);
        if (s) return s;
        got[n++] = (qat_unit)u;
    }
    memcpy(units, got, sizeof got);
    return QAT_OK;
}

static qat_status set_data_units(parse_ctx *p, void *base, const char *v) {
    return parse_units(p, v, ((qat_data_config *)base)->units);
}

static qat_status set_source_units(parse_ctx *p, void *base, const char *v) {
    return parse_units(p, v, ((qat_source_spec *)base)->units);
}

static qat_status set_type(parse_ctx *p, void *base, const char *v) {
    int kind;
    qat_status s = parse_enum(p, v, &kind_enum, ALL_VALUES, &kind);
    if (s) return s;
    qat_layer_reset(base, (qat_layer_kind)kind);
    p->has_type = 1;
    return QAT_OK;
}

/* "3" or "3, 2": a (height, width) pair, each in [1, 4096]; one number means both. */
static qat_status parse_pair(parse_ctx *p, const char *v, int *h, int *w) {
    int vals[2], n = 0, len;
    const char *item;
    list_iter it = {v, 0};
    while (list_next(&it, &item, &len)) {
        if (n == 2) return key_error(p, SHOW " has more than 2 numbers (one, or height, width)", v);
        char buf[64];
        snprintf(buf, sizeof buf, "%.*s", len < 63 ? len : 63, item);
        qat_status s = parse_int(p, buf, 1, 4096, &vals[n++]);
        if (s) return s;
    }
    *h = vals[0];
    *w = n == 2 ? vals[1] : vals[0];
    return QAT_OK;
}

static qat_status set_kernel2d(parse_ctx *p, void *base, const char *v) {
    qat_layer_spec *l = base;
    return parse_pair(p, v, &l->kernel_h, &l->kernel_w);
}

static qat_status set_strides(parse_ctx *p, void *base, const char *v) {
    qat_layer_spec *l = base;
    qat_status s = parse_pair(p, v, &l->stride_h, &l->stride_w);
    if (!s) l->strides_given = 1;
    return s;
}

/* 2-D pools: the pool size, and the strides too until `strides` is given (Keras: strides
 * default to pool_size). */
static qat_status set_pool2d(parse_ctx *p, void *base, const char *v) {
    qat_layer_spec *l = base;
    qat_status s = parse_pair(p, v, &l->pool_h, &l->pool_w);
    if (!s && !l->strides_given) {
        l->stride_h = l->pool_h;
        l->stride_w = l->pool_w;
    }
    return s;
}

/* Images: height and width set the window (positions per sample) to height·width. */
static void image_window(qat_data_config *d) {
    if (d->height > 0 && d->width > 0) d->window = d->height * d->width;
}

static qat_status set_height(parse_ctx *p, void *base, const char *v) {
    qat_data_config *d = base;
    qat_status s = parse_int(p, v, 1, 4096, &d->height);
    if (!s) image_window(d);
    return s;
}

static qat_status set_width(parse_ctx *p, void *base, const char *v) {
    qat_data_config *d = base;
    qat_status s = parse_int(p, v, 1, 4096, &d->width);
    if (!s) image_window(d);
    return s;
}

/* ---- [files] ------------------------------------------------------------------------- */

static void class_list(const qat_data_config *d, char *buf, size_t cap) {
    buf[0] = '\0';
    for (int i = 0; i < d->n_classes; i++) list_add(buf, cap, d->classes[i]);
}

/* Checks every path of the list and counts them, without storing anything yet. */
static qat_status count_paths(parse_ctx *p, const char *v, int *count) {
    char path[QAT_PATH_MAX];
    const char *item;
    int len;
    list_iter it = {v, 0};
    *count = 0;
    while (list_next(&it, &item, &len)) {
        if (len == 0) return key_error(p, "empty path in the list");
        char name[QAT_PATH_MAX];
        if (len >= QAT_PATH_MAX) return key_error(p, "path too long");
        snprintf(name, sizeof name, "%.*s", len, item);
        if (qat_path_join(path, sizeof path, p->base_dir, name, NULL) != QAT_OK)
            return key_error(p, "path too long");
        ++*count;
    }
    return QAT_OK;
}

static void append_paths(parse_ctx *p, const char *v, int cls, int source, const char *key) {
    qat_data_config *d = &p->cfg->data;
    const char *item;
    int len;
    list_iter it = {v, 0};
    while (list_next(&it, &item, &len)) {
        char name[QAT_PATH_MAX];
        snprintf(name, sizeof name, "%.*s", len, item);
        qat_csv_file *f = &d->csv[d->n_csv];
        qat_path_join(f->path, sizeof f->path, p->base_dir, name, NULL); /* checked before */
        f->cls = cls;
        f->source = source;
        if (cls < 0) { /* from a file: resolved once the whole file is read */
            snprintf(p->file_class[d->n_csv], QAT_NAME_MAX, "%s", key);
            p->file_line[d->n_csv] = p->line;
        }
        d->n_csv++;
    }
}

/* Drops one source's files of one class (a --set replaces a class's list). */
static void drop_class_files(qat_data_config *d, int cls, int source) {
    int n = 0;
    for (int i = 0; i < d->n_csv; i++)
        if (d->csv[i].cls != cls || d->csv[i].source != source) d->csv[n++] = d->csv[i];
    d->n_csv = n;
}

static int class_files(const qat_data_config *d, int cls, int source) {
    int n = 0;
    for (int i = 0; i < d->n_csv; i++) n += d->csv[i].cls == cls && d->csv[i].source == source;
    return n;
}

/* ---- sources ------------------------------------------------------------------------- */

static int find_source(const qat_data_config *d, const char *name) {
    for (int i = 0; i < d->n_sources; i++)
        if (!strcmp(d->sources[i].name, name)) return i;
    return -1;
}

/* A new source with every format key unset (taken from [data]); -1 when there are too many. */
static int add_source(qat_data_config *d, const char *name, int line) {
    if (d->n_sources == QAT_MAX_SOURCES) return -1;
    qat_source_spec *s = &d->sources[d->n_sources];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->line = line;
    s->use = QAT_USE_BOTH;
    s->csv_gesture_rows = -1;
    return d->n_sources++;
}

/* [files] is the source named "files", made when first used. */
static qat_status files_source(parse_ctx *p, int *source) {
    qat_data_config *d = &p->cfg->data;
    *source = find_source(d, "files");
    if (*source < 0) *source = add_source(d, "files", p->from_file ? p->line : 0);
    if (*source < 0) return key_error(p, "more than %d sources", QAT_MAX_SOURCES);
    return QAT_OK;
}

/* key = path[, path ...]: the class `key`'s files in `source`. */
static qat_status set_files(parse_ctx *p, const char *key, const char *v, int source) {
    qat_data_config *d = &p->cfg->data;
    int cls = -1, count;
    if (strlen(key) >= QAT_NAME_MAX || !name_chars_ok(key, (int)strlen(key), "_-"))
        return key_error(p, "'%.60s' is not a class name", key);
    if (!p->from_file) { /* --set: the classes are known now */
        cls = find_name(d->classes, d->n_classes, key);
        if (cls < 0) {
            char names[256];
            class_list(d, names, sizeof names);
            return key_error(p, "'%s' is not a class (classes: %s)", key, names);
        }
    }
    qat_status s = count_paths(p, v, &count);
    if (s) return s;
    int kept = d->n_csv - (cls >= 0 ? class_files(d, cls, source) : 0);
    if (kept + count > QAT_MAX_CSV_FILES)
        return key_error(p, "more than %d CSV files in all", QAT_MAX_CSV_FILES);
    if (cls >= 0) drop_class_files(d, cls, source);
    append_paths(p, v, cls, source, key);
    return QAT_OK;
}

/* ---- key tables ---------------------------------------------------------------------- */

typedef enum key_type { K_INT, K_DOUBLE, K_BOOL, K_ENUM, K_CUSTOM } key_type;

typedef struct key_def {
    const char *name;
    key_type type;
    size_t off;             /* the field's offset in its section's struct */
    double lo, hi;          /* K_INT, K_DOUBLE: allowed range */
    int lo_open, hi_open;   /* K_DOUBLE: exclusive bounds */
    const enum_desc *names; /* K_ENUM */
    unsigned allowed;       /* K_ENUM: bit mask of the values accepted */
    unsigned kinds;         /* layer keys: bit mask of the layer kinds having the key;
                               0 in the other sections, whose keys always apply */
    key_setter set;         /* K_CUSTOM */
} key_def;

#define F_INT(st, f, l, h) .type = K_INT, .off = offsetof(st, f), .lo = (l), .hi = (h)
#define F_DBL(st, f, l, lo_x, h, hi_x)                                                      \
    .type = K_DOUBLE, .off = offsetof(st, f), .lo = (l), .lo_open = (lo_x), .hi = (h),      \
    .hi_open = (hi_x)
#define F_BOOL(st, f) .type = K_BOOL, .off = offsetof(st, f)
#define F_ENUM(st, f, en, mask)                                                              \
    .type = K_ENUM, .off = offsetof(st, f), .names = &(en), .allowed = (mask)
#define F_CUSTOM(fn) .type = K_CUSTOM, .set = (fn)
#define OPEN 1
#define CLOSED 0
/* Limits of the keys that would otherwise be open-ended. Each keeps what the arithmetic
 * downstream can carry, with room beyond any sensible setting:
 *   sampling rates: the resampler steps by csv_rate_hz / rate_hz and the generator spans
 *     window / rate_hz seconds, both finite and non-zero within these;
 *   learning rates: the optimisers work in float; past 100 every step diverges anyway;
 *   epsilons: Adam divides by sqrt(v) + epsilon and batch norm by sqrt(var + epsilon) in
 *     float: a smaller one rounds to 0 (0 / 0 on a zero gradient or a constant channel),
 *     a larger one flattens the layer (Inception's Adam uses 1.0). */
#define RATE_MIN QAT_RATE_HZ_MIN
#define RATE_MAX QAT_RATE_HZ_MAX
#define LR_MAX 100
#define EPS_MIN 1e-30
#define BN_EPS_MIN 1e-12
#define EPS_MAX 1000
#define BIT(k) (1u << (k))

static const key_def run_keys[] = {
    {.name = "seed", F_CUSTOM(set_seed)},
    {.name = "out", F_CUSTOM(set_out)},
};

static const key_def data_keys[] = {
    {.name = "source", F_ENUM(qat_data_config, source, src_enum, ALL_VALUES)},
    {.name = "classes", F_CUSTOM(set_classes)},
    {.name = "window", F_INT(qat_data_config, window, 1, 4096)},
    {.name = "height", F_CUSTOM(set_height)},
    {.name = "width", F_CUSTOM(set_width)},
    {.name = "channels", F_INT(qat_data_config, channels, 1, QAT_MAX_CHANNELS)},
    {.name = "rate_hz", F_DBL(qat_data_config, rate_hz, RATE_MIN, CLOSED, RATE_MAX, CLOSED)},
    {.name = "test_split", F_DBL(qat_data_config, test_split, 0, OPEN, 1, OPEN)},
    {.name = "normalize", F_ENUM(qat_data_config, normalize, norm_enum, ALL_VALUES)},
    {.name = "samples_per_class", F_INT(qat_data_config, samples_per_class, 1, 100000)},
    {.name = "dir", F_CUSTOM(set_dir)},
    {.name = "csv_rate_hz",
     F_DBL(qat_data_config, csv_rate_hz, RATE_MIN, CLOSED, RATE_MAX, CLOSED)},
    {.name = "csv_gesture_rows", F_INT(qat_data_config, csv_gesture_rows, 0, 100000)},
    {.name = "csv_columns", F_CUSTOM(set_csv_columns)},
    {.name = "train_images", F_CUSTOM(set_train_images)},
    {.name = "train_labels", F_CUSTOM(set_train_labels)},
    {.name = "test_images", F_CUSTOM(set_test_images)},
    {.name = "test_labels", F_CUSTOM(set_test_labels)},
    {.name = "labels", F_CUSTOM(set_labels)},
    {.name = "pad", F_BOOL(qat_data_config, pad)},
    {.name = "train_limit", F_INT(qat_data_config, train_limit, 0, 100000000)},
    {.name = "test_limit", F_INT(qat_data_config, test_limit, 0, 100000000)},
    {.name = "scale", F_DBL(qat_data_config, scale, 0, OPEN, QAT_DATA_VALUE_MAX, CLOSED)},
    {.name = "units", F_CUSTOM(set_data_units)},
    {.name = "cross_validate", F_ENUM(qat_data_config, cross_validate, cv_enum, ALL_VALUES)},
    {.name = "split_seed", F_CUSTOM(set_split_seed)},
    {.name = "train_index", F_CUSTOM(set_train_index)},
    {.name = "val_index", F_CUSTOM(set_val_index)},
    {.name = "test_index", F_CUSTOM(set_test_index)},
};

/* [source.NAME]: these keys, and any other key is a class with its files. */
static const key_def source_keys[] = {
    {.name = "use", F_ENUM(qat_source_spec, use, use_enum, ALL_VALUES)},
    {.name = "csv_rate_hz",
     F_DBL(qat_source_spec, csv_rate_hz, RATE_MIN, CLOSED, RATE_MAX, CLOSED)},
    {.name = "csv_gesture_rows", F_INT(qat_source_spec, csv_gesture_rows, 0, 100000)},
    {.name = "csv_columns", F_CUSTOM(set_source_columns)},
    {.name = "units", F_CUSTOM(set_source_units)},
};

#define NOISE_MAX 1e30 /* beyond any sensor's range, and finite after float conversion */
/* teacher = self | a config file (train_config.h qat_distill_config). */
static qat_status set_teacher(parse_ctx *p, void *base, const char *v) {
    qat_distill_config *d = base;
    d->self = !strcmp(v, "self");
    d->teacher[0] = '\0';
    return d->self || !v[0] ? QAT_OK : set_file(p, d->teacher, v);
}

static qat_status set_teacher_checkpoint(parse_ctx *p, void *base, const char *v) {
    qat_distill_config *d = base;
    d->checkpoint[0] = '\0';
    return v[0] ? set_file(p, d->checkpoint, v) : QAT_OK;
}

/* stages = float, qat: the trainings the teacher teaches. */
static qat_status set_stages(parse_ctx *p, void *base, const char *v) {
    qat_distill_config *d = base;
    const char *item;
    int len, fl = 0, qa = 0;
    list_iter it = {v, 0};
    while (v[0] && list_next(&it, &item, &len)) {
        if (len == 5 && !strncmp(item, "float", 5)) fl = 1;
        else if (len == 3 && !strncmp(item, "qat", 3)) qa = 1;
        else return key_error(p, "'%.*s' is not a stage (float, qat)", len < 40 ? len : 40, item);
    }
    d->on_float = fl;
    d->on_qat = qa;
    return QAT_OK;
}

/* [search]: a list of integers in [lo, hi] (at most QAT_SEARCH_MAX_CHOICES, no repeats). */
static qat_status parse_choices(parse_ctx *p, const char *v, int lo, int hi, int *n, int *out) {
    const char *item;
    int len, k = 0, vals[QAT_SEARCH_MAX_CHOICES];
    list_iter it = {v, 0};
    if (!v[0]) return key_error(p, "empty list");
    while (list_next(&it, &item, &len)) {
        char buf[64];
        if (k == QAT_SEARCH_MAX_CHOICES) return key_error(p, "more than %d values", QAT_SEARCH_MAX_CHOICES);
        snprintf(buf, sizeof buf, "%.*s", len < 63 ? len : 63, item);
        qat_status st = parse_int(p, buf, lo, hi, &vals[k]);
        if (st) return st;
        for (int j = 0; j < k; j++)
            if (vals[j] == vals[k]) return key_error(p, "%d is listed twice", vals[k]);
        k++;
    }
    *n = k;
    memcpy(out, vals, (size_t)k * sizeof vals[0]);
    return QAT_OK;
}

/* A list of an enum's names as a bit mask (each at most once). */
static qat_status parse_name_set(parse_ctx *p, const char *v, const enum_desc *en,
                                 unsigned allowed, unsigned *out) {
    const char *item;
    int len;
    unsigned mask = 0;
    list_iter it = {v, 0};
    if (!v[0]) return key_error(p, "empty list");
    while (list_next(&it, &item, &len)) {
        char buf[64];
        int k;
        snprintf(buf, sizeof buf, "%.*s", len < 63 ? len : 63, item);
        qat_status st = parse_enum(p, buf, en, allowed, &k);
        if (st) return st;
        if (mask & BIT(k)) return key_error(p, "'%s' is listed twice", buf);
        mask |= BIT(k);
    }
    *out = mask;
    return QAT_OK;
}

static qat_status set_search_filters(parse_ctx *p, void *base, const char *v) {
    qat_search_config *c = base;
    return parse_choices(p, v, 1, 1024, &c->n_filters, c->filters);
}

static qat_status set_search_kernels(parse_ctx *p, void *base, const char *v) {
    qat_search_config *c = base;
    return parse_choices(p, v, 1, 15, &c->n_kernels, c->kernels);
}

static qat_status set_search_dense(parse_ctx *p, void *base, const char *v) {
    qat_search_config *c = base;
    return parse_choices(p, v, 0, 4096, &c->n_dense, c->dense);
}

static qat_status set_search_ops(parse_ctx *p, void *base, const char *v) {
    return parse_name_set(p, v, &sop_enum, ALL_VALUES, &((qat_search_config *)base)->ops);
}

static qat_status set_search_heads(parse_ctx *p, void *base, const char *v) {
    return parse_name_set(p, v, &shead_enum, ALL_VALUES, &((qat_search_config *)base)->heads);
}

static qat_status set_search_acts(parse_ctx *p, void *base, const char *v) {
    return parse_name_set(p, v, &sact_enum, BIT(QAT_ACT_RELU) | BIT(QAT_ACT_RELU6),
                          &((qat_search_config *)base)->acts);
}

/* [search]: the architecture search (search.h). */
static const key_def search_keys[] = {
    {.name = "enabled", F_BOOL(qat_search_config, enabled)},
    {.name = "population", F_INT(qat_search_config, population, 2, QAT_SEARCH_MAX_POPULATION)},
    {.name = "generations", F_INT(qat_search_config, generations, 1, QAT_SEARCH_MAX_GENERATIONS)},
    {.name = "min_blocks", F_INT(qat_search_config, min_blocks, 1, QAT_SEARCH_MAX_BLOCKS)},
    {.name = "max_blocks", F_INT(qat_search_config, max_blocks, 1, QAT_SEARCH_MAX_BLOCKS)},
    {.name = "ops", F_CUSTOM(set_search_ops)},
    {.name = "filters", F_CUSTOM(set_search_filters)},
    {.name = "kernels", F_CUSTOM(set_search_kernels)},
    {.name = "activations", F_CUSTOM(set_search_acts)},
    {.name = "batchnorm", F_ENUM(qat_search_config, bn, sbn_enum, ALL_VALUES)},
    {.name = "heads", F_CUSTOM(set_search_heads)},
    {.name = "dense", F_CUSTOM(set_search_dense)},
    {.name = "dropout", F_DBL(qat_search_config, dropout, 0, CLOSED, 1, OPEN)},
    {.name = "epochs", F_INT(qat_search_config, epochs, 1, 100000)},
    {.name = "patience", F_INT(qat_search_config, patience, 0, 100000)},
    {.name = "batch", F_INT(qat_search_config, batch, 1, 65536)},
    {.name = "fitness", F_ENUM(qat_search_config, fitness, sfit_enum, ALL_VALUES)},
    {.name = "accuracy", F_ENUM(qat_search_config, accuracy, sacc_enum, ALL_VALUES)},
    {.name = "accuracy_weight", F_DBL(qat_search_config, accuracy_weight, 0, CLOSED, 1, CLOSED)},
    {.name = "tournament", F_INT(qat_search_config, tournament, 1, 16)},
    {.name = "elite", F_INT(qat_search_config, elite, 0, QAT_SEARCH_MAX_POPULATION)},
    {.name = "mutation_rate", F_DBL(qat_search_config, mutation_rate, 0, CLOSED, 1, CLOSED)},
    {.name = "workers", F_INT(qat_search_config, workers, 0, 64)},
};

static const key_def distill_keys[] = {
    {.name = "teacher", F_CUSTOM(set_teacher)},
    {.name = "teacher_checkpoint", F_CUSTOM(set_teacher_checkpoint)},
    {.name = "temperature", F_DBL(qat_distill_config, temperature, 0, OPEN, 100, CLOSED)},
    {.name = "alpha", F_DBL(qat_distill_config, alpha, 0, CLOSED, 1, CLOSED)},
    {.name = "stages", F_CUSTOM(set_stages)},
};

/* [target]: a device profile and / or explicit limits (target.h). */
static const key_def target_keys[] = {
    {.name = "profile", F_ENUM(qat_target_config, profile, profile_enum, ALL_VALUES)},
    {.name = "flash_bytes", F_INT(qat_target_config, flash_bytes, 0, 2147483647)},
    {.name = "arena_bytes", F_INT(qat_target_config, arena_bytes, 0, 2147483647)},
    {.name = "macs", F_INT(qat_target_config, macs, 0, 2147483647)},
    {.name = "params", F_INT(qat_target_config, params, 0, 2147483647)},
    {.name = "stop_when_met", F_BOOL(qat_target_config, stop_when_met)},
};

static const key_def augment_keys[] = {
    {.name = "rotate_deg", F_DBL(qat_augment, rotate_deg, 0, CLOSED, 180, CLOSED)},
    {.name = "scale", F_DBL(qat_augment, scale, 0, CLOSED, 1, OPEN)},
    {.name = "time_warp", F_DBL(qat_augment, time_warp, 0, CLOSED, 1, OPEN)},
    {.name = "shift", F_INT(qat_augment, shift, 0, 10000)},
    {.name = "noise", F_DBL(qat_augment, noise, 0, CLOSED, NOISE_MAX, CLOSED)},
    {.name = "bias", F_DBL(qat_augment, bias, 0, CLOSED, NOISE_MAX, CLOSED)},
};

static const key_def train_keys[] = {
    {.name = "optimizer", F_ENUM(qat_train_config, optimizer, opt_enum, ALL_VALUES)},
    {.name = "lr", F_DBL(qat_train_config, lr, 0, OPEN, LR_MAX, CLOSED)},
    {.name = "beta1", F_DBL(qat_train_config, beta1, 0, CLOSED, 1, OPEN)},
    {.name = "beta2", F_DBL(qat_train_config, beta2, 0, CLOSED, 1, OPEN)},
    {.name = "epsilon", F_DBL(qat_train_config, epsilon, EPS_MIN, CLOSED, EPS_MAX, CLOSED)},
    {.name = "momentum", F_DBL(qat_train_config, momentum, 0, CLOSED, 1, OPEN)},
    {.name = "nesterov", F_BOOL(qat_train_config, nesterov)},
    {.name = "epochs", F_INT(qat_train_config, epochs, 1, 100000)},
    {.name = "batch", F_INT(qat_train_config, batch, 1, 65536)},
    {.name = "val_split", F_DBL(qat_train_config, val_split, 0, CLOSED, 1, OPEN)},
    {.name = "val_select", F_ENUM(qat_train_config, val_select, val_enum, ALL_VALUES)},
    {.name = "monitor", F_ENUM(qat_train_config, monitor, mon_enum, ALL_VALUES)},
    {.name = "plateau_monitor", F_ENUM(qat_train_config, plateau_monitor, mon_enum, ALL_VALUES)},
    {.name = "plateau_patience", F_INT(qat_train_config, plateau_patience, 0, 1000000)},
    {.name = "plateau_factor", F_DBL(qat_train_config, plateau_factor, 0, OPEN, 1, OPEN)},
    {.name = "min_lr", F_DBL(qat_train_config, min_lr, 0, CLOSED, LR_MAX, CLOSED)},
    {.name = "early_stop_patience", F_INT(qat_train_config, early_stop_patience, 0, 1000000)},
    {.name = "restore_best", F_BOOL(qat_train_config, restore_best)},
};

static qat_status set_step(parse_ctx *p, const char *v, long *out) {
    int x;
    qat_status s = parse_int(p, v, 0, 100000000, &x);
    if (!s) *out = x;
    return s;
}

static qat_status set_begin_step(parse_ctx *p, void *base, const char *v) {
    return set_step(p, v, &((qat_prune_config *)base)->begin_step);
}

static qat_status set_end_step(parse_ctx *p, void *base, const char *v) {
    return set_step(p, v, &((qat_prune_config *)base)->end_step);
}

/* calib_classes = wave, punch: a representative set drawn from these classes only (the
 * lessons' "missing class" experiment); empty for all. Checked against [data] classes in
 * validation, since the sections may come in any order. */
static qat_status set_calib_classes(parse_ctx *p, void *base, const char *v) {
    qat_quant_config *q = base;
    char names[QAT_MAX_CLASSES][QAT_NAME_MAX];
    int n;
    qat_status st = parse_names(p, v, QAT_MAX_CLASSES, "class", "classes", 0, names, &n);
    if (st) return st;
    q->n_calib_classes = n;
    memcpy(q->calib_classes, names, sizeof names[0] * (size_t)n);
    return QAT_OK;
}

/* weight_bits_schedule = 1:8, 11:6, 21:4: EPOCH:BITS steps, the first at QAT epoch 1,
 * epochs increasing, bits 2..8 and never increasing; empty for none. Whether the last step
 * fits every layer and the QAT epochs is checked in validation. */
static qat_status parse_schedule(parse_ctx *p, const char *v, qat_bits_schedule *out) {
    qat_bits_schedule sc = {0};
    const char *item;
    int len;
    list_iter it = {v, 0};
    while (v[0] && list_next(&it, &item, &len)) {
        char buf[64], *colon;
        snprintf(buf, sizeof buf, "%.*s", len < 63 ? len : 63, item);
        if (!(colon = strchr(buf, ':')))
            return key_error(p, SHOW " is not EPOCH:BITS (e.g. 1:8, 11:6, 21:4)", buf);
        *colon = '\0';
        if (sc.n == QAT_MAX_SCHEDULE) return key_error(p, "more than %d steps", QAT_MAX_SCHEDULE);
        int *ep = &sc.epoch[sc.n], *bits = &sc.bits[sc.n];
        qat_status st = parse_int(p, buf, 1, 100000, ep);
        if (!st) st = parse_int(p, colon + 1, 2, 8, bits);
        if (st) return st;
        if (sc.n == 0 && *ep != 1)
            return key_error(p, "the first step must start at epoch 1 (it says %d)", *ep);
        if (sc.n > 0 && *ep <= sc.epoch[sc.n - 1])
            return key_error(p, "step epochs must increase (%d after %d)", *ep, sc.epoch[sc.n - 1]);
        if (sc.n > 0 && *bits > sc.bits[sc.n - 1])
            return key_error(p, "bits must not increase (%d after %d)", *bits, sc.bits[sc.n - 1]);
        sc.n++;
    }
    *out = sc;
    return QAT_OK;
}

static qat_status set_weight_schedule(parse_ctx *p, void *base, const char *v) {
    return parse_schedule(p, v, &((qat_quant_config *)base)->weight_schedule);
}

static qat_status set_act_schedule(parse_ctx *p, void *base, const char *v) {
    return parse_schedule(p, v, &((qat_quant_config *)base)->act_schedule);
}

static const key_def quant_keys[] = {
    {.name = "calib_classes", F_CUSTOM(set_calib_classes)},
    {.name = "enabled", F_BOOL(qat_quant_config, enabled)},
    {.name = "calib_samples", F_INT(qat_quant_config, calib_samples, 1, 1000000)},
    {.name = "calib_select", F_ENUM(qat_quant_config, calib_select, calib_enum, ALL_VALUES)},
    {.name = "early_stop_patience", F_INT(qat_quant_config, early_stop_patience, 0, 1000000)},
    {.name = "plateau_patience", F_INT(qat_quant_config, plateau_patience, 0, 1000000)},
    {.name = "plateau_factor", F_DBL(qat_quant_config, plateau_factor, 0, OPEN, 1, OPEN)},
    {.name = "ptq_observer", F_ENUM(qat_quant_config, ptq_observer, obs_enum, ALL_VALUES)},
    {.name = "qat_observer", F_ENUM(qat_quant_config, qat_observer, obs_enum, ALL_VALUES)},
    {.name = "ema_decay", F_DBL(qat_quant_config, ema_decay, 0, OPEN, 1, OPEN)},
    {.name = "ema_warmup", F_INT(qat_quant_config, ema_warmup, 0, 1000000)},
    {.name = "percentile", F_DBL(qat_quant_config, percentile, 50, OPEN, 100, CLOSED)},
    {.name = "per_channel_conv", F_BOOL(qat_quant_config, per_channel_conv)},
    {.name = "per_channel_dense", F_BOOL(qat_quant_config, per_channel_dense)},
    {.name = "weight_calibration", F_ENUM(qat_quant_config, weight_mse, wcal_enum, ALL_VALUES)},
    {.name = "bias_correction", F_BOOL(qat_quant_config, bias_correction)},
    {.name = "sensitivity", F_BOOL(qat_quant_config, sensitivity)},
    {.name = "auto_bits", F_ENUM(qat_quant_config, auto_bits, auto_enum, ALL_VALUES)},
    {.name = "auto_budget", F_DBL(qat_quant_config, auto_budget, 0, CLOSED, 100, CLOSED)},
    {.name = "auto_weight_bytes", F_INT(qat_quant_config, auto_weight_bytes, 1, 2147483647)},
    {.name = "weight_bits", F_INT(qat_quant_config, weight_bits, 2, 8)},
    {.name = "act_bits", F_INT(qat_quant_config, act_bits, 2, 8)},
    {.name = "epochs", F_INT(qat_quant_config, epochs, 0, 100000)},
    {.name = "lr", F_DBL(qat_quant_config, lr, 0, OPEN, LR_MAX, CLOSED)},
    {.name = "batch", F_INT(qat_quant_config, batch, 1, 65536)},
    {.name = "observer_freeze_epoch", F_INT(qat_quant_config, observer_freeze_epoch, 0, 100000)},
    {.name = "bn_freeze_epoch", F_INT(qat_quant_config, bn_freeze_epoch, 0, 100000)},
    {.name = "uint8_io", F_BOOL(qat_quant_config, uint8_io)},
    {.name = "act_quantizer", F_ENUM(qat_quant_config, act_quantizer, actq_enum, ALL_VALUES)},
    {.name = "weight_quantizer", F_ENUM(qat_quant_config, weight_quantizer, wq_enum, ALL_VALUES)},
    {.name = "weight_bits_schedule", F_CUSTOM(set_weight_schedule)},
    {.name = "act_bits_schedule", F_CUSTOM(set_act_schedule)},
    {.name = "weight_quant_start_epoch", F_INT(qat_quant_config, weight_start_epoch, 1, 100000)},
    {.name = "act_quant_start_epoch", F_INT(qat_quant_config, act_start_epoch, 1, 100000)},
};

/* sweep = 0.5, 0.7, 0.9: the lessons' sparsity exercise; empty for none. */
static qat_status set_sweep(parse_ctx *p, void *base, const char *v) {
    qat_prune_config *c = base;
    double vals[QAT_MAX_SWEEP];
    int n = 0, len;
    if (!v[0]) { /* "sweep =": none */
        c->n_sweep = 0;
        return QAT_OK;
    }
    const char *item;
    list_iter it = {v, 0};
    while (list_next(&it, &item, &len)) {
        if (n == QAT_MAX_SWEEP) return key_error(p, "more than %d sparsities", QAT_MAX_SWEEP);
        char buf[64];
        snprintf(buf, sizeof buf, "%.*s", len < 63 ? len : 63, item);
        qat_status s = parse_double(p, buf, 0, CLOSED, 1, OPEN, &vals[n]);
        if (s) return s;
        n++;
    }
    c->n_sweep = n;
    memcpy(c->sweep, vals, (size_t)n * sizeof vals[0]);
    return QAT_OK;
}

static qat_status set_masks(parse_ctx *p, void *base, const char *v) {
    qat_prune_config *c = base;
    char path[QAT_PATH_MAX];
    if (!v[0]) {
        c->masks[0] = 0;
        return QAT_OK;
    }
    if (qat_path_join(path, sizeof path, p->base_dir, v, NULL) != QAT_OK || strlen(path) >= sizeof c->masks)
        return key_error(p, "path too long");
    strcpy(c->masks, path);
    return QAT_OK;
}

static const key_def prune_keys[] = {
    {.name = "masks", F_CUSTOM(set_masks)},
    {.name = "enabled", F_BOOL(qat_prune_config, enabled)},
    {.name = "schedule", F_ENUM(qat_prune_config, schedule, sched_enum, ALL_VALUES)},
    {.name = "initial_sparsity", F_DBL(qat_prune_config, initial_sparsity, 0, CLOSED, 1, OPEN)},
    {.name = "final_sparsity", F_DBL(qat_prune_config, final_sparsity, 0, CLOSED, 1, OPEN)},
    {.name = "begin_step", F_CUSTOM(set_begin_step)},
    {.name = "end_step", F_CUSTOM(set_end_step)},
    {.name = "frequency", F_INT(qat_prune_config, frequency, 1, 1000000)},
    {.name = "power", F_DBL(qat_prune_config, power, 0, OPEN, 100, CLOSED)},
    {.name = "epochs", F_INT(qat_prune_config, epochs, 1, 100000)},
    {.name = "lr", F_DBL(qat_prune_config, lr, 0, OPEN, LR_MAX, CLOSED)},
    {.name = "block", F_INT(qat_prune_config, block, 1, 1024)},
    {.name = "structured", F_BOOL(qat_prune_config, structured)},
    {.name = "sweep", F_CUSTOM(set_sweep)},
};

#define CONV BIT(QAT_LAYER_CONV1D)
#define DENSE BIT(QAT_LAYER_DENSE)
#define POOL BIT(QAT_LAYER_MAXPOOL1D)
#define DROPOUT BIT(QAT_LAYER_DROPOUT)
#define BN BIT(QAT_LAYER_BATCHNORM)
#define CONV2D BIT(QAT_LAYER_CONV2D)
#define DW BIT(QAT_LAYER_DEPTHWISE_CONV2D)
#define SEP BIT(QAT_LAYER_SEPARABLE_CONV2D)
#define POOL2D (BIT(QAT_LAYER_MAXPOOL2D) | BIT(QAT_LAYER_AVGPOOL2D))
#define CONVS2D (CONV2D | DW | SEP)
#define KERNEL (CONV | DENSE | CONVS2D)
#define ACT_HIDDEN (BIT(QAT_ACT_NONE) | BIT(QAT_ACT_RELU) | BIT(QAT_ACT_RELU6))

/* A name may appear twice with different kinds (activation: softmax is dense-only). */
static const key_def layer_keys[] = {
    {.name = "type", F_CUSTOM(set_type), .kinds = ALL_VALUES},
    {.name = "filters", F_INT(qat_layer_spec, units, 1, 65536), .kinds = CONV | CONV2D | SEP},
    {.name = "kernel", F_INT(qat_layer_spec, kernel, 1, 4096), .kinds = CONV},
    {.name = "kernel", F_CUSTOM(set_kernel2d), .kinds = CONVS2D},
    {.name = "units", F_INT(qat_layer_spec, units, 1, 65536), .kinds = DENSE | CONV2D | SEP},
    {.name = "strides", F_CUSTOM(set_strides), .kinds = CONVS2D | POOL2D},
    {.name = "depth_multiplier", F_INT(qat_layer_spec, depth_multiplier, 1, 256),
     .kinds = DW | SEP},
    {.name = "padding", F_ENUM(qat_layer_spec, padding, pad_enum, ALL_VALUES),
     .kinds = CONV | POOL | CONVS2D | POOL2D},
    {.name = "activation", F_ENUM(qat_layer_spec, activation, act_enum, ACT_HIDDEN),
     .kinds = CONV | CONVS2D},
    {.name = "activation", F_ENUM(qat_layer_spec, activation, act_enum, ALL_VALUES),
     .kinds = DENSE},
    {.name = "use_bias", F_BOOL(qat_layer_spec, use_bias), .kinds = KERNEL},
    {.name = "weight_bits", F_INT(qat_layer_spec, weight_bits, 2, 8), .kinds = KERNEL},
    {.name = "act_bits", F_INT(qat_layer_spec, act_bits, 2, 8), .kinds = KERNEL},
    {.name = "prune", F_BOOL(qat_layer_spec, prune), .kinds = KERNEL},
    {.name = "prune_block", F_INT(qat_layer_spec, prune_block, 1, 1024), .kinds = KERNEL},
    {.name = "pool", F_INT(qat_layer_spec, pool, 1, 4096), .kinds = POOL},
    {.name = "pool", F_CUSTOM(set_pool2d), .kinds = POOL2D},
    {.name = "rate", F_DBL(qat_layer_spec, rate, 0, CLOSED, 1, OPEN), .kinds = DROPOUT},
    {.name = "momentum", F_DBL(qat_layer_spec, momentum, 0, OPEN, 1, OPEN), .kinds = BN},
    {.name = "epsilon", F_DBL(qat_layer_spec, epsilon, BN_EPS_MIN, CLOSED, EPS_MAX, CLOSED),
     .kinds = BN},
};

typedef struct section_def {
    const char *name;
    const key_def *keys;
    int n_keys;
} section_def;

#define KEYS(t) t, (int)(sizeof t / sizeof t[0])
static const section_def sections[] = {
    [SEC_NONE] = {"", NULL, 0},
    [SEC_RUN] = {"run", KEYS(run_keys)},
    [SEC_DATA] = {"data", KEYS(data_keys)},
    [SEC_FILES] = {"files", NULL, 0},
    [SEC_TRAIN] = {"train", KEYS(train_keys)},
    [SEC_QUANT] = {"quant", KEYS(quant_keys)},
    [SEC_PRUNE] = {"prune", KEYS(prune_keys)},
    [SEC_AUGMENT] = {"augment", KEYS(augment_keys)},
    [SEC_TARGET] = {"target", KEYS(target_keys)},
    [SEC_DISTILL] = {"distill", KEYS(distill_keys)},
    [SEC_SEARCH] = {"search", KEYS(search_keys)},
    [SEC_SOURCE] = {"source", KEYS(source_keys)},
    [SEC_LAYER] = {"layer", KEYS(layer_keys)},
};

#define SECTION_LIST "run, data, files, source.NAME, train, quant, prune, augment, target, distill, search, layer.NAME"

/* ---- applying one key (shared by the file and --set) --------------------------------- */

static qat_status store_value(parse_ctx *p, const key_def *k, void *base, const char *v) {
    char *field = (char *)base + k->off;
    switch (k->type) {
    case K_INT: return parse_int(p, v, k->lo, k->hi, (int *)field);
    case K_DOUBLE:
        return parse_double(p, v, k->lo, k->lo_open, k->hi, k->hi_open, (double *)field);
    case K_BOOL: return parse_bool(p, v, (int *)field);
    case K_ENUM: return parse_enum(p, v, k->names, k->allowed, (int *)field);
    case K_CUSTOM: return k->set(p, base, v);
    }
    QAT_ASSERT(0);
    return QAT_ERR_CONFIG;
}

static int key_applies(const key_def *k, unsigned kinds) {
    return k->kinds == 0 || (k->kinds & kinds);
}

/* The key of that name valid for `kinds` (layer kind bits; ignored in other sections). */
static const key_def *find_key(const section_def *sd, const char *name, unsigned kinds) {
    for (int i = 0; i < sd->n_keys; i++)
        if (!strcmp(sd->keys[i].name, name) && key_applies(&sd->keys[i], kinds))
            return &sd->keys[i];
    return NULL;
}

static qat_status unknown_key(parse_ctx *p, const section_def *sd, const char *key,
                              unsigned kinds, const char *kind) {
    char names[320] = "";
    for (int i = 0; i < sd->n_keys; i++)
        if (key_applies(&sd->keys[i], kinds)) list_add(names, sizeof names, sd->keys[i].name);
    if (kind && find_key(sd, key, ALL_VALUES))
        return key_error(p, "not a key of %s layers (%s keys: %s)", kind, kind, names);
    if (kind) return key_error(p, "unknown key (%s keys: %s)", kind, names);
    return key_error(p, "unknown key ([%s] keys: %s)", sd->name, names);
}

/* The struct a section's key offsets are relative to. */
static void *section_base(qat_config *cfg, section_kind sec, int layer) {
    switch (sec) {
    case SEC_RUN: return cfg;
    case SEC_DATA: return &cfg->data;
    case SEC_TRAIN: return &cfg->train;
    case SEC_QUANT: return &cfg->quant;
    case SEC_PRUNE: return &cfg->prune;
    case SEC_AUGMENT: return &cfg->train.augment;
    case SEC_TARGET: return &cfg->target;
    case SEC_DISTILL: return &cfg->distill;
    case SEC_SEARCH: return &cfg->search;
    case SEC_SOURCE: return &cfg->data.sources[layer];
    case SEC_LAYER: return &cfg->layers[layer];
    default: QAT_ASSERT(0); return NULL;
    }
}

static qat_status apply_key(parse_ctx *p, section_kind sec, int layer, const char *key,
                            const char *value) {
    qat_config *cfg = p->cfg;
    if (sec == SEC_FILES) {
        int source;
        qat_status s = files_source(p, &source);
        return s ? s : set_files(p, key, value, source);
    }
    const section_def *sd = &sections[sec];
    if (sec == SEC_SOURCE && !find_key(sd, key, ALL_VALUES)) return set_files(p, key, value, layer);
    unsigned kinds = ALL_VALUES;
    const char *kind = NULL;
    void *base = section_base(cfg, sec, layer);
    if (sec == SEC_LAYER && p->has_type) {
        kinds = BIT(cfg->layers[layer].kind);
        kind = qat_layer_kind_name(cfg->layers[layer].kind);
    }
    if (sec == SEC_LAYER && !p->has_type && strcmp(key, "type"))
        return key_error(p, "'type' must be the first key of a layer section");
    const key_def *k = find_key(sd, key, kinds);
    if (!k) return unknown_key(p, sd, key, kinds, kind);
    return store_value(p, k, base, value);
}

/* ---- sections ------------------------------------------------------------------------ */

static section_kind section_lookup(const char *name) {
    for (int s = SEC_RUN; s < SEC_SOURCE; s++)
        if (!strcmp(name, sections[s].name)) return (section_kind)s;
    if (!strncmp(name, "source.", 7)) return SEC_SOURCE;
    return strncmp(name, "layer.", 6) ? SEC_NONE : SEC_LAYER;
}

static int find_layer(const qat_config *cfg, const char *name) {
    for (int i = 0; i < cfg->n_layers; i++)
        if (!strcmp(cfg->layers[i].name, name)) return i;
    return -1;
}

/* Errors found by the reader are tied to the line just read (or an earlier header). */
__attribute__((format(printf, 3, 4)))
static qat_status line_error(parse_ctx *p, int line, const char *fmt, ...) {
    char problem[PROBLEM_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problem, sizeof problem, fmt, ap);
    va_end(ap);
    p->err_line = line;
    p->status = qat_error_set(p->e, QAT_ERR_CONFIG, "%s:%d: %s", p->path, line, problem);
    return p->status;
}

/* A layer section without keys never reaches the key handler: catch it at its end. */
static qat_status finish_section(parse_ctx *p) {
    if (p->sec != SEC_LAYER || p->has_type) return QAT_OK;
    const qat_layer_spec *l = &p->cfg->layers[p->layer];
    char kinds[160] = "";
    for (int i = 0; i < QAT_LAYER_KIND_COUNT; i++) list_add(kinds, sizeof kinds, kind_name(i));
    return line_error(p, l->line, "[layer.%s] type: missing (one of: %s)", l->name, kinds);
}

static qat_status begin_layer(parse_ctx *p, const char *name) {
    qat_config *cfg = p->cfg;
    if (!p->file_layers) { /* the file describes its own model: drop the lesson's */
        cfg->n_layers = 0;
        p->file_layers = 1;
    }
    int n = (int)strlen(name);
    if (n == 0 || n >= QAT_NAME_MAX || !name_chars_ok(name, n, "_"))
        return line_error(p, p->line, "[%s]: layer name '%s' must be 1 to %d letters, digits "
                          "or '_'", p->section, name, QAT_NAME_MAX - 1);
    int old = find_layer(cfg, name);
    if (old >= 0)
        return line_error(p, p->line, "[%s]: duplicate layer name (first on line %d)",
                          p->section, cfg->layers[old].line);
    if (cfg->n_layers == QAT_MAX_LAYERS)
        return line_error(p, p->line, "[%s]: more than %d layers", p->section, QAT_MAX_LAYERS);
    qat_layer_spec *l = add_layer(cfg, name, QAT_LAYER_DENSE);
    l->line = p->line;
    p->layer = cfg->n_layers - 1;
    return QAT_OK;
}

static qat_status begin_source(parse_ctx *p, const char *name) {
    qat_data_config *d = &p->cfg->data;
    int n = (int)strlen(name);
    if (n == 0 || n >= QAT_NAME_MAX || !name_chars_ok(name, n, "_-"))
        return line_error(p, p->line, "[%s]: source name '%s' must be 1 to %d letters, digits, "
                          "'_' or '-'", p->section, name, QAT_NAME_MAX - 1);
    if (!strcmp(name, "files"))
        return line_error(p, p->line, "[%s]: the name 'files' is [files]'s: choose another",
                          p->section);
    int old = find_source(d, name);
    if (old >= 0)
        return line_error(p, p->line, "[%s]: duplicate source name (first on line %d)",
                          p->section, d->sources[old].line);
    p->layer = add_source(d, name, p->line);
    if (p->layer < 0)
        return line_error(p, p->line, "[%s]: more than %d sources", p->section, QAT_MAX_SOURCES);
    return QAT_OK;
}

/* header is a cleaned line starting with '['. A header inih rejects (no ']') is left to
 * inih, which reports it as a syntax error. */
static qat_status begin_section(parse_ctx *p, const char *header) {
    const char *close = strchr(header, ']');
    if (!close) return QAT_OK;
    qat_status s = finish_section(p);
    if (s) return s;
    const char *b = header + 1, *end = close;
    while (b < end && isspace((unsigned char)*b)) b++;
    while (end > b && isspace((unsigned char)end[-1])) end--;
    snprintf(p->section, sizeof p->section, "%.*s", (int)(end - b), b);
    p->sec = section_lookup(p->section);
    p->has_type = 0;
    p->n_seen = 0;
    if (close[1])
        return line_error(p, p->line, "[%s]: unexpected text after ']'", p->section);
    if (p->sec == SEC_NONE)
        return line_error(p, p->line, "[%s]: unknown section (sections: " SECTION_LIST ")",
                          p->section);
    if (p->sec == SEC_LAYER) return begin_layer(p, p->section + 6);
    if (p->sec == SEC_SOURCE) return begin_source(p, p->section + 7);
    if (p->fixed_line[p->sec])
        return line_error(p, p->line, "[%s]: section appears twice (first on line %d)",
                          p->section, p->fixed_line[p->sec]);
    p->fixed_line[p->sec] = p->line;
    return QAT_OK;
}

/* ---- reading the file ---------------------------------------------------------------- */

/* Trims a raw line to what inih should see: no BOM, indentation, CR or comment. */
static size_t clean_line(const char **s, size_t n, int first) {
    const char *b = *s;
    if (first && n >= 3 && !memcmp(b, "\xEF\xBB\xBF", 3)) b += 3, n -= 3;
    while (n && isspace((unsigned char)*b)) b++, n--;
    if (n && (*b == ';' || *b == '#')) n = 0; /* a whole-line comment */
    for (size_t i = 1; i < n; i++)
        if ((b[i] == ';' || b[i] == '#') && isspace((unsigned char)b[i - 1])) n = i;
    while (n && isspace((unsigned char)b[n - 1])) n--;
    *s = b;
    return n;
}

/* Next raw line of the text (without its newline); advances *pos. */
static size_t next_raw_line(const char *text, size_t len, size_t *pos, const char **line) {
    const char *s = text + *pos;
    const char *nl = memchr(s, '\n', len - *pos);
    size_t n = nl ? (size_t)(nl - s) : len - *pos;
    *pos += n + (nl != NULL);
    *line = s;
    return n;
}

/* inih's fgets-like reader: one cleaned line per call, counted, so handlers know where
 * they are. Returning NULL ends the parse: after the first error, nothing more is read. */
static char *read_line(char *str, int num, void *stream) {
    parse_ctx *p = stream;
    if (p->err_line || p->pos >= p->len) return NULL;
    const char *s;
    size_t n = next_raw_line(p->text, p->len, &p->pos, &s);
    p->line++;
    if (memchr(s, '\0', n)) return line_error(p, p->line, "contains a NUL byte"), NULL;
    n = clean_line(&s, n, p->line == 1);
    if (n > (size_t)num - 1)
        return line_error(p, p->line, "line longer than %d characters", num - 1), NULL;
    memcpy(str, s, n);
    str[n] = '\0';
    if (str[0] == '[') begin_section(p, str);
    return p->err_line ? NULL : str;
}

/* Builds "PATH:LINE: [section] key", the prefix of every message about this key. */
static void set_where_file(parse_ctx *p, const char *key) {
    char section[SECTION_MAX + 2] = "";
    if (p->section[0]) snprintf(section, sizeof section, "[%s]", p->section);
    snprintf(p->where, sizeof p->where, "%s:%d: %s%s%s", p->path, p->line, section,
             section[0] && key[0] ? " " : "", key);
}

static int seen_index(const parse_ctx *p, const char *key) {
    for (int i = 0; i < p->n_seen; i++)
        if (!strcmp(p->seen[i], key)) return i;
    return -1;
}

static qat_status file_key(parse_ctx *p, const char *key, const char *value) {
    if (p->sec == SEC_NONE)
        return key_error(p, "key outside any section (sections: " SECTION_LIST ")");
    if (!key[0]) return key_error(p, "missing key name before '='");
    /* class keys ([files], and in [source.*] whatever is not a format key) may repeat */
    int lists = p->sec == SEC_FILES ||
                (p->sec == SEC_SOURCE && !find_key(&sections[SEC_SOURCE], key, ALL_VALUES));
    int dup = lists ? -1 : seen_index(p, key);
    if (dup >= 0) return key_error(p, "duplicate key (first on line %d)", p->seen_line[dup]);
    qat_status s = apply_key(p, p->sec, p->layer, key, value);
    if (s == QAT_OK && !lists && p->n_seen < SEEN_MAX) {
        snprintf(p->seen[p->n_seen], QAT_NAME_MAX, "%s", key); /* valid keys are short */
        p->seen_line[p->n_seen++] = p->line;
    }
    return s;
}

/* inih's handler. We ignore its `section`: read_line tracks sections in full (inih cuts
 * names at 49 characters). Returning 0 makes inih count this line as an error. */
static int on_key(void *user, const char *section, const char *name, const char *value) {
    parse_ctx *p = user;
    (void)section;
    if (!name || !value || p->err_line) return 1;
    set_where_file(p, name);
    if (file_key(p, name, value) != QAT_OK) {
        p->err_line = p->line;
        return 0;
    }
    return 1;
}

/* inih reported line `line` malformed: say why, from the line itself. */
static void syntax_error(parse_ctx *p, int line) {
    size_t pos = 0, n = 0;
    const char *s = p->text;
    for (int i = 1; i <= line && pos < p->len; i++) n = next_raw_line(p->text, p->len, &pos, &s);
    n = clean_line(&s, n, line == 1);
    p->status = QAT_ERR_CONFIG;
    if (n && s[0] == '[')
        qat_error_set(p->e, QAT_ERR_CONFIG, "%s:%d: syntax error: section header without ']'",
                      p->path, line);
    else
        qat_error_set(p->e, QAT_ERR_CONFIG,
                      "%s:%d: syntax error: '%.*s' is not 'key = value' or '[section]' "
                      "(values cannot continue on the next line)",
                      p->path, line, (int)(n > 60 ? 60 : n), s);
}

/* [files] keys name classes; with the whole file read, the class list is final. */
static void resolve_files(parse_ctx *p) {
    qat_data_config *d = &p->cfg->data;
    for (int i = 0; i < d->n_csv && !p->err_line; i++) {
        if (d->csv[i].cls >= 0) continue;
        d->csv[i].cls = find_name(d->classes, d->n_classes, p->file_class[i]);
        if (d->csv[i].cls >= 0) continue;
        char names[256];
        class_list(d, names, sizeof names);
        const char *src = d->sources[d->csv[i].source].name;
        if (strcmp(src, "files"))
            line_error(p, p->file_line[i], "[source.%s] %s: neither a class (classes: %s) nor "
                       "a key (keys: use, csv_rate_hz, csv_gesture_rows, csv_columns, units)",
                       src, p->file_class[i], names);
        else
            line_error(p, p->file_line[i], "[files] %s: '%s' is not a class (classes: %s)",
                       p->file_class[i], p->file_class[i], names);
    }
}

static void parse_text(parse_ctx *p) {
    int rc = ini_parse_stream(read_line, p, on_key, p);
    if (rc == -2) {
        p->status = qat_error_set(p->e, QAT_ERR_NOMEM, "%s: out of memory", p->path);
        return;
    }
    if (rc > 0 && (!p->err_line || rc < p->err_line)) {
        syntax_error(p, rc);
        return;
    }
    if (!p->err_line) finish_section(p);
    if (!p->err_line) resolve_files(p);
}

qat_status qat_config_load(const char *path, qat_config *cfg, qat_error *e) {
    qat_config_defaults(cfg);
    if (strlen(path) >= sizeof cfg->path)
        return qat_error_set(e, QAT_ERR_IO, "%.100s...: path too long", path);
    snprintf(cfg->path, sizeof cfg->path, "%s", path);
    qat_path_dir(cfg->base_dir, sizeof cfg->base_dir, path);
    void *text;
    size_t len;
    qat_status s = qat_read_file(path, &text, &len, e);
    if (s) return s;
    parse_ctx p = {.cfg = cfg, .e = e, .base_dir = cfg->base_dir, .from_file = 1,
                   .path = path, .text = text, .len = len};
    parse_text(&p);
    s = p.status;
    free(text);
    return s ? s : qat_config_validate(cfg, e);
}

/* ---- --set --------------------------------------------------------------------------- */

static void trim_copy(char *dst, size_t cap, const char *b, const char *end) {
    while (b < end && isspace((unsigned char)*b)) b++;
    while (end > b && isspace((unsigned char)end[-1])) end--;
    snprintf(dst, cap, "%.*s", (int)(end - b), b);
}

static qat_status set_layer_section(parse_ctx *p, const char *section, int *layer) {
    *layer = find_layer(p->cfg, section + 6);
    if (*layer >= 0) return QAT_OK;
    char names[QAT_MAX_LAYERS * 8] = "";
    for (int i = 0; i < p->cfg->n_layers; i++)
        list_add(names, sizeof names, p->cfg->layers[i].name);
    return key_error(p, "no layer named '%s' (layers: %s; --set cannot add layers)", section + 6,
                     names);
}

static qat_status set_assignment(parse_ctx *p, const char *left, const char *value) {
    const char *dot = strrchr(left, '.');
    if (!dot || dot == left || !dot[1])
        return key_error(p, "expected section.key=value (e.g. train.lr=0.01)");
    char section[SECTION_MAX];
    snprintf(section, sizeof section, "%.*s", (int)(dot - left), left);
    section_kind sec = section_lookup(section);
    int layer = -1;
    if (sec == SEC_NONE)
        return key_error(p, "unknown section [%s] (sections: " SECTION_LIST ")", section);
    if (sec == SEC_LAYER) {
        qat_status s = set_layer_section(p, section, &layer);
        if (s) return s;
        p->has_type = 1;
    }
    if (sec == SEC_SOURCE && (layer = find_source(&p->cfg->data, section + 7)) < 0)
        return key_error(p, "no source named '%s' (--set cannot add sources)", section + 7);
    return apply_key(p, sec, layer, dot + 1, value);
}

qat_status qat_config_set_option(qat_config *cfg, const char *option, const char *key,
                                 const char *value, qat_error *e) {
    parse_ctx ctx = {.cfg = cfg, .e = e, .base_dir = ""};
    snprintf(ctx.where, sizeof ctx.where, "%s", option);
    const char *dot = strchr(key, '.');
    char section[SECTION_MAX];
    snprintf(section, sizeof section, "%.*s", dot ? (int)(dot - key) : 0, key);
    section_kind sec = dot ? section_lookup(section) : SEC_NONE;
    QAT_ASSERT(sec != SEC_NONE && sec != SEC_LAYER && sec != SEC_FILES); /* the CLI's own keys */
    return apply_key(&ctx, sec, -1, dot + 1, value);
}

qat_status qat_config_set(qat_config *cfg, const char *assignment, qat_error *e) {
    parse_ctx ctx = {.cfg = cfg, .e = e, .base_dir = ""};
    const char *eq = strchr(assignment, '=');
    const char *end = eq ? eq : assignment + strlen(assignment);
    char left[SECTION_MAX + QAT_NAME_MAX];
    trim_copy(left, sizeof left, assignment, end);
    snprintf(ctx.where, sizeof ctx.where, "--set %s", left);
    if (!eq) return key_error(&ctx, "expected section.key=value (e.g. train.lr=0.01)");
    if (strlen(left) >= sizeof left - 1) return key_error(&ctx, "name too long");
    size_t n = strlen(eq); /* "=value": room for the trimmed value and its terminator */
    char *value = malloc(n);
    if (!value) return qat_error_set(e, QAT_ERR_NOMEM, "--set %s: out of memory", left);
    trim_copy(value, n, eq + 1, eq + n);
    qat_status s = set_assignment(&ctx, left, value);
    free(value);
    return s;
}
