/* Recorded IMU CSV: the Arduino workshop format ("aX,aY,aZ,gX,gY,gZ" header, one sample
 * per row, gestures separated by blank lines) and the variants found in the wild:
 *   - CRLF line ends, a missing final newline, a UTF-8 byte order mark;
 *   - every field double-quoted, separators written as a row of empty quoted fields
 *     ("","","",...) — any row whose fields are all empty is a separator;
 *   - no separators at all, or a blank line after every row: set csv_gesture_rows to the
 *     rows per gesture, and separators are then ignored;
 *   - extra columns (even repeated names: the first column of that name is used).
 * Channels are picked by header name, each gesture is resampled from csv_rate_hz to rate_hz
 * by linear interpolation, then truncated or zero-padded to the window.
 *
 * Choices worth knowing:
 *   - in blank-line mode a gesture shorter than the others is kept (zero-padded), because
 *     capture sketches legitimately stop early; in fixed-row mode a row count that is not a
 *     multiple of csv_gesture_rows is an error, because the split would be misaligned;
 *   - only the picked columns are parsed as numbers; other columns are only counted, so a
 *     file with an empty spacer column still loads;
 *   - units are not converted (some recordings are in g, some in m/s^2): do not mix such
 *     files in one dataset; min/max normalisation makes either usable alone;
 *   - fields are split at every comma; a quoted field containing a comma reads as a ragged
 *     row (an error), never as silently shifted columns. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/data.h"

/* One file's picked columns: rows × channels values, and where each gesture starts. */
typedef struct csv_table {
    double *v;
    int rows, cap_rows;
    int *gest; /* gest[g] = first row of gesture g; gest[n_gest] = rows */
    int *gest_line; /* gest_line[g] = the file line of that row */
    int n_gest, cap_gest;
} csv_table;

/* Growing store of finished samples across files. */
typedef struct sample_buf {
    float *x;
    int *y;
    qat_sample_src *src;
    int n, cap;
} sample_buf;

typedef struct line_ctx {
    const char *path;
    int line; /* 1-based, for messages */
    qat_error *e;
} line_ctx;

/* ---- fields ---- */

/* Trims whitespace and one pair of surrounding double quotes, in place. */
static char *strip_field(char *s) {
    while (*s == ' ' || *s == '\t') s++;
    char *end = s + strlen(s);
    while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r')) *--end = 0;
    if (end - s >= 2 && s[0] == '"' && end[-1] == '"') {
        *--end = 0;
        s++;
        while (*s == ' ' || *s == '\t') s++;
        while (end > s && (end[-1] == ' ' || end[-1] == '\t')) *--end = 0;
    }
    return s;
}

/* Splits a line (modified in place) at commas into stripped fields; returns the count,
 * or -1 when there are more than `cap`. */
static int split_fields(char *line, char **fields, int cap) {
    int n = 0;
    for (char *p = line;;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = 0;
        if (n == cap) return -1;
        fields[n++] = strip_field(p);
        if (!comma) return n;
        p = comma + 1;
    }
}

static int all_empty(char **fields, int n) {
    for (int i = 0; i < n; i++)
        if (fields[i][0]) return 0;
    return 1;
}

static qat_status parse_number(const line_ctx *lc, const char *col, const char *text, double *out) {
    char *end;
    double v = strtod(text, &end);
    if (!text[0] || *end)
        return qat_error_set(lc->e, QAT_ERR_FORMAT, "%s:%d: column %s: '%.40s' is not a number",
                             lc->path, lc->line, col, text);
    if (!isfinite(v))
        return qat_error_set(lc->e, QAT_ERR_DATA, "%s:%d: column %s: '%.40s' is not finite",
                             lc->path, lc->line, col, text);
    if (fabs(v) > FLT_MAX) /* samples are float32: it would become Inf */
        return qat_error_set(lc->e, QAT_ERR_DATA, "%s:%d: column %s: '%.40s' is beyond the "
                             "float32 range (magnitude at most %g)", lc->path, lc->line, col,
                             text, (double)FLT_MAX);
    *out = v;
    return QAT_OK;
}

/* ---- table building ---- */

static void table_free(csv_table *t) {
    free(t->v);
    free(t->gest);
    free(t->gest_line);
    memset(t, 0, sizeof *t);
}

static qat_status table_add_row(csv_table *t, int channels, const double *row, const char *path,
                                qat_error *e) {
    if (t->rows == t->cap_rows) {
        int cap = t->cap_rows ? 2 * t->cap_rows : 1024;
        double *v = realloc(t->v, (size_t)cap * (size_t)channels * sizeof *v);
        if (!v) return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", path);
        t->v = v;
        t->cap_rows = cap;
    }
    memcpy(t->v + (size_t)t->rows++ * (size_t)channels, row, (size_t)channels * sizeof *row);
    return QAT_OK;
}

/* Records that a gesture starts at row `start`, read from line `line`. */
static qat_status table_mark(csv_table *t, int start, int line, const char *path, qat_error *e) {
    if (t->n_gest + 1 >= t->cap_gest) {
        int cap = t->cap_gest ? 2 * t->cap_gest : 64;
        int *g = realloc(t->gest, (size_t)cap * sizeof *g);
        if (g) t->gest = g;
        int *l = g ? realloc(t->gest_line, (size_t)cap * sizeof *l) : NULL;
        if (!l) return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", path);
        t->gest_line = l;
        t->cap_gest = cap;
    }
    t->gest_line[t->n_gest] = line;
    t->gest[t->n_gest++] = start;
    return QAT_OK;
}

/* Maps each wanted column name to its index in the header. */
static qat_status find_columns(const qat_data_config *cfg, char **fields, int n, int *col,
                               const line_ctx *lc) {
    for (int k = 0; k < cfg->channels; k++) {
        col[k] = -1;
        for (int i = 0; i < n && col[k] < 0; i++)
            if (!strcmp(fields[i], cfg->csv_columns[k])) col[k] = i;
        if (col[k] < 0)
            return qat_error_set(lc->e, QAT_ERR_DATA,
                                 "%s:%d: no column '%s' in the header (first field '%.20s')",
                                 lc->path, lc->line, cfg->csv_columns[k], n ? fields[0] : "");
    }
    return QAT_OK;
}

/* Parser state while walking the lines of one file. */
typedef struct csv_parse {
    const qat_data_config *cfg;
    line_ctx lc;
    int n_header;                 /* 0 until the header is read */
    int col[QAT_MAX_CHANNELS];    /* picked column indices */
    int in_gesture;               /* blank-line mode: the previous line was a data row */
    csv_table *t;
} csv_parse;

#define CSV_MAX_FIELDS 256

static qat_status parse_line(csv_parse *p, char *line) {
    char *fields[CSV_MAX_FIELDS];
    int n = split_fields(line, fields, CSV_MAX_FIELDS);
    if (n < 0)
        return qat_error_set(p->lc.e, QAT_ERR_FORMAT, "%s:%d: more than %d fields", p->lc.path,
                             p->lc.line, CSV_MAX_FIELDS);
    if (all_empty(fields, n)) { /* blank line or a row of empty fields: a separator */
        p->in_gesture = 0;
        return QAT_OK;
    }
    if (!p->n_header) {
        p->n_header = n;
        return find_columns(p->cfg, fields, n, p->col, &p->lc);
    }
    if (n != p->n_header)
        return qat_error_set(p->lc.e, QAT_ERR_FORMAT, "%s:%d: %d fields, the header has %d",
                             p->lc.path, p->lc.line, n, p->n_header);
    double row[QAT_MAX_CHANNELS];
    for (int k = 0; k < p->cfg->channels; k++) {
        qat_status s = parse_number(&p->lc, p->cfg->csv_columns[k], fields[p->col[k]], &row[k]);
        if (s) return s;
    }
    int rows_per = p->cfg->csv_gesture_rows;
    if (rows_per ? p->t->rows % rows_per == 0 : !p->in_gesture) { /* a gesture starts here */
        qat_status s = table_mark(p->t, p->t->rows, p->lc.line, p->lc.path, p->lc.e);
        if (s) return s;
    }
    p->in_gesture = 1;
    return table_add_row(p->t, p->cfg->channels, row, p->lc.path, p->lc.e);
}

/* Fixed-row mode: every csv_gesture_rows rows is a gesture (marked as they were read). */
static qat_status check_fixed(const csv_table *t, int rows_per, const char *path, qat_error *e) {
    if (t->rows % rows_per)
        return qat_error_set(e, QAT_ERR_DATA,
                             "%s: %d data rows is not a multiple of csv_gesture_rows %d "
                             "(%d rows left over)",
                             path, t->rows, rows_per, t->rows % rows_per);
    return QAT_OK;
}

/* Parses the text of one file (NUL-terminated, modified in place) into gestures. */
static qat_status parse_text(const qat_data_config *cfg, const char *path, char *text,
                             csv_table *t, qat_error *e) {
    csv_parse p = {.cfg = cfg, .lc = {path, 0, e}, .t = t};
    if (!strncmp(text, "\xEF\xBB\xBF", 3)) text += 3; /* a UTF-8 byte order mark, as Excel writes */
    for (char *line = text; line;) {
        char *nl = strchr(line, '\n');
        if (nl) *nl = 0;
        p.lc.line++;
        qat_status s = parse_line(&p, line);
        if (s) return s;
        line = nl ? nl + 1 : NULL;
    }
    if (!p.n_header) return qat_error_set(e, QAT_ERR_DATA, "%s: empty file (no header)", path);
    if (cfg->csv_gesture_rows > 0) {
        qat_status s = check_fixed(t, cfg->csv_gesture_rows, path, e);
        if (s) return s;
    }
    if (t->rows == 0) return qat_error_set(e, QAT_ERR_DATA, "%s: no gestures (no data rows)", path);
    t->gest[t->n_gest] = t->rows; /* table_mark keeps room for this end marker */
    return QAT_OK;
}

/* ---- resampling ---- */

/* Linear interpolation of one gesture (rows × channels at rate_in) onto the model's time
 * grid (rate_out), keeping the first `window` points; later points stay zero. Output point
 * k sits at input position k * rate_in / rate_out; points past the last input row are not
 * produced, so a gesture of 119 rows at 119 Hz yields 50 points at 50 Hz. */
static void resample(const double *v, int rows, int channels, double rate_in, double rate_out,
                     int window, float *dst) {
    double step = rate_in / rate_out;
    for (int k = 0; k < window; k++) {
        double pos = k * step;
        if (pos > rows - 1 + 1e-9) break;
        int i = (int)pos;
        double f = pos - i;
        if (i >= rows - 1) {
            i = rows - 1;
            f = 0.0;
        }
        for (int c = 0; c < channels; c++) {
            double a = v[(size_t)i * (size_t)channels + (size_t)c];
            double b = f > 0.0 ? v[(size_t)(i + 1) * (size_t)channels + (size_t)c] : a;
            dst[(size_t)k * (size_t)channels + (size_t)c] = (float)(a + (b - a) * f);
        }
    }
}

static qat_status buf_reserve(sample_buf *b, int more, size_t per, qat_error *e) {
    if (b->n + more <= b->cap) return QAT_OK;
    int cap = b->cap ? b->cap : 64;
    while (cap < b->n + more) cap *= 2;
    float *x = realloc(b->x, (size_t)cap * per * sizeof *x);
    if (x) b->x = x;
    int *y = x ? realloc(b->y, (size_t)cap * sizeof *y) : NULL;
    if (y) b->y = y;
    qat_sample_src *src = y ? realloc(b->src, (size_t)cap * sizeof *src) : NULL;
    if (!src) return qat_error_set(e, QAT_ERR_NOMEM, "csv: out of memory for %d gestures", cap);
    b->src = src;
    b->cap = cap;
    return QAT_OK;
}

static qat_status append_gestures(const qat_data_config *cfg, const csv_table *t, int file,
                                  sample_buf *b, qat_error *e) {
    size_t per = (size_t)cfg->window * (size_t)cfg->channels;
    qat_status s = buf_reserve(b, t->n_gest, per, e);
    if (s) return s;
    for (int g = 0; g < t->n_gest; g++, b->n++) {
        float *dst = b->x + (size_t)b->n * per;
        memset(dst, 0, per * sizeof *dst);
        resample(t->v + (size_t)t->gest[g] * (size_t)cfg->channels, t->gest[g + 1] - t->gest[g],
                 cfg->channels, cfg->csv_rate_hz, cfg->rate_hz, cfg->window, dst);
        b->y[b->n] = cfg->csv[file].cls;
        b->src[b->n] = (qat_sample_src){file, t->gest_line[g]};
    }
    return QAT_OK;
}

static qat_status load_file(const qat_data_config *cfg, int i, sample_buf *b, qat_error *e) {
    const qat_csv_file *f = &cfg->csv[i];
    void *text;
    size_t n;
    qat_status s = qat_read_file(f->path, &text, &n, e);
    if (s) return s;
    if (memchr(text, 0, n))
        s = qat_error_set(e, QAT_ERR_FORMAT, "%s: binary data (a NUL byte) in a CSV file", f->path);
    csv_table t = {0};
    if (!s) s = parse_text(cfg, f->path, text, &t, e);
    if (!s) s = append_gestures(cfg, &t, i, b, e);
    table_free(&t);
    free(text);
    return s;
}

static qat_status check_config(const qat_data_config *cfg, qat_error *e) {
    if (cfg->n_csv <= 0 || cfg->n_csv > QAT_MAX_CSV_FILES)
        return qat_error_set(e, QAT_ERR_CONFIG, "csv: %d files listed (1 to %d)", cfg->n_csv,
                             QAT_MAX_CSV_FILES);
    if (cfg->n_classes <= 0 || cfg->n_classes > QAT_MAX_CLASSES || cfg->channels <= 0 ||
        cfg->channels > QAT_MAX_CHANNELS || cfg->window <= 0)
        return qat_error_set(e, QAT_ERR_CONFIG, "csv: bad classes/channels/window (%d, %d, %d)",
                             cfg->n_classes, cfg->channels, cfg->window);
    if (!(cfg->csv_rate_hz > 0) || !(cfg->rate_hz > 0) || cfg->csv_gesture_rows < 0)
        return qat_error_set(e, QAT_ERR_CONFIG,
                             "csv: csv_rate_hz (%g) and rate_hz (%g) must be > 0, "
                             "csv_gesture_rows (%d) >= 0",
                             cfg->csv_rate_hz, cfg->rate_hz, cfg->csv_gesture_rows);
    for (int k = 0; k < cfg->channels; k++)
        if (!cfg->csv_columns[k][0]) /* an empty name would match an empty spacer column */
            return qat_error_set(e, QAT_ERR_CONFIG,
                                 "csv: csv_columns names %d columns, channels is %d", k,
                                 cfg->channels);
    for (int i = 0; i < cfg->n_csv; i++)
        if (cfg->csv[i].cls < 0 || cfg->csv[i].cls >= cfg->n_classes)
            return qat_error_set(e, QAT_ERR_CONFIG, "%s: class index %d outside [0, %d)",
                                 cfg->csv[i].path, cfg->csv[i].cls, cfg->n_classes);
    for (int c = 0; c < cfg->n_classes; c++) {
        int files = 0;
        for (int i = 0; i < cfg->n_csv; i++) files += cfg->csv[i].cls == c;
        if (!files)
            return qat_error_set(e, QAT_ERR_CONFIG, "csv: no files for class '%s'",
                                 cfg->classes[c]);
    }
    return QAT_OK;
}

static qat_status to_dataset(const qat_data_config *cfg, const sample_buf *b, qat_dataset *out,
                             qat_error *e) {
    qat_status s = qat_dataset_alloc(out, b->n, cfg->window, cfg->channels, cfg->n_classes, e);
    if (s) return s;
    memcpy(out->x, b->x,
           (size_t)b->n * (size_t)cfg->window * (size_t)cfg->channels * sizeof *out->x);
    memcpy(out->y, b->y, (size_t)b->n * sizeof *out->y);
    memcpy(out->src, b->src, (size_t)b->n * sizeof *out->src);
    for (int c = 0; c < cfg->n_classes; c++)
        snprintf(out->class_names[c], QAT_NAME_MAX, "%s", cfg->classes[c]);
    return QAT_OK;
}

qat_status qat_data_load_csv(const qat_data_config *cfg, qat_dataset *out, qat_error *e) {
    memset(out, 0, sizeof *out);
    qat_status s = check_config(cfg, e);
    sample_buf b = {0};
    /* Files are read in config order, so samples come grouped as the config lists them. */
    for (int i = 0; !s && i < cfg->n_csv; i++) s = load_file(cfg, i, &b, e);
    if (!s) s = to_dataset(cfg, &b, out, e);
    free(b.x);
    free(b.y);
    free(b.src);
    return s;
}
