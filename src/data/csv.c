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
 *   - each file belongs to a source ([source.NAME] or [files]) whose format keys (rate, rows
 *     per gesture, columns) default to [data]'s; a source that declares its units is
 *     converted into [data] units as each value is read (g → m/s² ...), so sources recorded
 *     in different units can be pooled;
 *   - fields are split at every comma; a quoted field containing a comma reads as a ragged
 *     row (an error), never as silently shifted columns;
 *   - the file is streamed, one line at a time (at most CSV_LINE_MAX bytes, CSV_MAX_FIELDS
 *     fields), and of each gesture only the rows the resampler reaches are kept: memory is
 *     bounded by the samples made, not by the file (a 1 GB recording of one gesture costs a
 *     window). Every line is still parsed and checked, used or not;
 *   - values must be finite and within ±QAT_DATA_VALUE_MAX, rates within [QAT_RATE_HZ_MIN,
 *     QAT_RATE_HZ_MAX]; a value out of range is named by file, line and column. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "qat/data.h"

#define CSV_MAX_FIELDS 256
#define CSV_LINE_MAX 65536       /* bytes per line, without its end */
#define CSV_BLOCK (1 << 16)      /* bytes read at a time */

/* Growing store of finished samples across files. */
typedef struct sample_buf {
    float *x;
    int *y;
    qat_sample_src *src;
    int n, cap;
} sample_buf;

typedef struct line_ctx {
    const char *path;
    long line; /* 1-based, for messages */
    qat_error *e;
} line_ctx;

/* ---- lines: a bounded buffered reader ---- */

typedef struct line_in {
    FILE *f;
    char *buf;        /* CSV_LINE_MAX + CSV_BLOCK + 1 bytes */
    size_t start, end; /* unread bytes are buf[start, end) */
    int eof;
} line_in;

/* The next line (its end removed, NUL-terminated, modifiable) in *line, its length in *len;
 * *line is NULL at the end of the file. */
static qat_status next_line(line_in *r, const line_ctx *lc, char **line, size_t *len) {
    *line = NULL;
    for (;;) {
        char *at = r->buf + r->start;
        size_t have = r->end - r->start;
        char *nl = memchr(at, '\n', have);
        if (nl || (r->eof && have)) {
            *len = nl ? (size_t)(nl - at) : have;
            if (*len > CSV_LINE_MAX) break;
            at[*len] = 0;
            r->start += *len + (nl != NULL);
            *line = at;
            return QAT_OK;
        }
        if (r->eof) return QAT_OK;
        if (have > CSV_LINE_MAX) break;
        memmove(r->buf, at, have);
        r->start = 0;
        r->end = have + fread(r->buf + have, 1, CSV_BLOCK, r->f);
        if (r->end == have) {
            if (ferror(r->f))
                return qat_error_set(lc->e, QAT_ERR_IO, "%s:%ld: read failed", lc->path,
                                     lc->line + 1);
            r->eof = 1;
        }
    }
    return qat_error_set(lc->e, QAT_ERR_FORMAT, "%s:%ld: line longer than %d bytes", lc->path,
                         lc->line + 1, CSV_LINE_MAX);
}

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
        return qat_error_set(lc->e, QAT_ERR_FORMAT, "%s:%ld: column %s: '%.40s' is not a number",
                             lc->path, lc->line, col, text);
    if (!isfinite(v))
        return qat_error_set(lc->e, QAT_ERR_DATA, "%s:%ld: column %s: '%.40s' is not finite",
                             lc->path, lc->line, col, text);
    if (fabs(v) > QAT_DATA_VALUE_MAX)
        return qat_error_set(lc->e, QAT_ERR_DATA,
                             "%s:%ld: column %s: '%.40s' is outside [-%g, %g] (float32, with room "
                             "for normalisation)",
                             lc->path, lc->line, col, text, QAT_DATA_VALUE_MAX,
                             QAT_DATA_VALUE_MAX);
    *out = v;
    return QAT_OK;
}

/* How one file is read: its source's settings, or [data]'s where the source leaves them. */
typedef struct csv_format {
    double rate_hz;                              /* recording rate */
    int gesture_rows;                            /* 0: split at blank lines */
    const char (*columns)[QAT_NAME_MAX];         /* `channels` header names */
    double factor[QAT_MAX_CHANNELS];             /* unit conversion per channel */
} csv_format;

static csv_format file_format(const qat_data_config *cfg, int file) {
    int src = cfg->csv[file].source;
    const qat_source_spec *s = src >= 0 && src < cfg->n_sources ? &cfg->sources[src] : NULL;
    csv_format f = {cfg->csv_rate_hz, cfg->csv_gesture_rows, cfg->csv_columns, {0}};
    if (s && s->csv_rate_hz > 0) f.rate_hz = s->csv_rate_hz;
    if (s && s->csv_gesture_rows >= 0) f.gesture_rows = s->csv_gesture_rows;
    if (s && s->csv_columns[0][0]) f.columns = s->csv_columns;
    for (int k = 0; k < QAT_MAX_CHANNELS; k++)
        f.factor[k] = s ? qat_unit_factor(s->units[k], cfg->units[k]) : 1.0;
    return f;
}

/* Maps each wanted column name to its index in the header. */
static qat_status find_columns(const qat_data_config *cfg, const csv_format *fmt, char **fields,
                               int n, int *col, const line_ctx *lc) {
    for (int k = 0; k < cfg->channels; k++) {
        col[k] = -1;
        for (int i = 0; i < n && col[k] < 0; i++)
            if (!strcmp(fields[i], fmt->columns[k])) col[k] = i;
        if (col[k] < 0)
            return qat_error_set(lc->e, QAT_ERR_DATA,
                                 "%s:%ld: no column '%s' in the header (first field '%.20s')",
                                 lc->path, lc->line, fmt->columns[k], n ? fields[0] : "");
    }
    return QAT_OK;
}

/* ---- resampling ---- */

/* Linear interpolation of one gesture (rows × channels at rate_in) onto the model's time
 * grid (rate_out), keeping the first `window` points; later points stay zero. Output point
 * k sits at input position k * rate_in / rate_out; points past the last input row are not
 * produced, so a gesture of 119 rows at 119 Hz yields 50 points at 50 Hz. Rates are within
 * [QAT_RATE_HZ_MIN, QAT_RATE_HZ_MAX] (check_config), so every position is finite. */
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

/* Rows of a gesture that resample() reads: the last point sits at (window - 1) * step, and
 * interpolation reads the row after it. Rows past these change nothing, so they are not
 * kept (a gesture's rows beyond this bound are only counted). */
static int rows_used(const qat_data_config *cfg, const csv_format *fmt) {
    double last = (cfg->window - 1) * (fmt->rate_hz / cfg->rate_hz);
    return last < INT_MAX - 2 ? (int)last + 2 : INT_MAX;
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

/* ---- one file, streamed ---- */

/* Parser state while walking the lines of one file. */
typedef struct csv_parse {
    const qat_data_config *cfg;
    csv_format fmt;
    line_ctx lc;
    int file;                     /* the file's index in the config's list */
    int cls;                      /* the file's class */
    long gest_line;               /* the line of the current gesture's first row */
    int n_header;                 /* 0 until the header is read */
    int col[QAT_MAX_CHANNELS];    /* picked column indices */
    int in_gesture;               /* blank-line mode: the previous line was a data row */
    long long rows;               /* data rows so far */
    long long gest_rows;          /* rows of the current gesture so far */
    double *kept;                 /* its first rows (at most `used`) × channels */
    int n_kept, cap_kept, used;
    sample_buf *out;
} csv_parse;

/* Resamples the current gesture (if any) into a new sample. */
static qat_status finish_gesture(csv_parse *p) {
    if (p->gest_rows == 0) return QAT_OK;
    const qat_data_config *cfg = p->cfg;
    size_t per = (size_t)cfg->window * (size_t)cfg->channels;
    qat_status s = buf_reserve(p->out, 1, per, p->lc.e);
    if (s) return s;
    float *dst = p->out->x + (size_t)p->out->n * per;
    memset(dst, 0, per * sizeof *dst);
    resample(p->kept, p->n_kept, cfg->channels, p->fmt.rate_hz, cfg->rate_hz, cfg->window, dst);
    p->out->y[p->out->n] = p->cls;
    p->out->src[p->out->n++] = (qat_sample_src){p->file, (int)p->gest_line};
    p->gest_rows = 0;
    p->n_kept = 0;
    return QAT_OK;
}

/* Adds a data row to the current gesture, keeping it only when resampling reads it. */
static qat_status add_row(csv_parse *p, const double *row) {
    int ch = p->cfg->channels;
    if (p->gest_rows++ == 0) p->gest_line = p->lc.line;
    p->rows++;
    if (p->n_kept >= p->used) return QAT_OK;
    if (p->n_kept == p->cap_kept) {
        int cap = p->cap_kept > p->used / 2 ? p->used : p->cap_kept ? 2 * p->cap_kept : 256;
        if (cap > p->used) cap = p->used;
        double *v = realloc(p->kept, (size_t)cap * (size_t)ch * sizeof *v);
        if (!v) return qat_error_set(p->lc.e, QAT_ERR_NOMEM, "%s: out of memory", p->lc.path);
        p->kept = v;
        p->cap_kept = cap;
    }
    memcpy(p->kept + (size_t)p->n_kept++ * (size_t)ch, row, (size_t)ch * sizeof *row);
    return QAT_OK;
}

static qat_status parse_line(csv_parse *p, char *line) {
    char *fields[CSV_MAX_FIELDS];
    int n = split_fields(line, fields, CSV_MAX_FIELDS);
    if (n < 0)
        return qat_error_set(p->lc.e, QAT_ERR_FORMAT, "%s:%ld: more than %d fields", p->lc.path,
                             p->lc.line, CSV_MAX_FIELDS);
    if (all_empty(fields, n)) { /* blank line or a row of empty fields: a separator */
        p->in_gesture = 0;
        return p->fmt.gesture_rows == 0 ? finish_gesture(p) : QAT_OK;
    }
    if (!p->n_header) {
        p->n_header = n;
        return find_columns(p->cfg, &p->fmt, fields, n, p->col, &p->lc);
    }
    if (n != p->n_header)
        return qat_error_set(p->lc.e, QAT_ERR_FORMAT, "%s:%ld: %d fields, the header has %d",
                             p->lc.path, p->lc.line, n, p->n_header);
    double row[QAT_MAX_CHANNELS];
    for (int k = 0; k < p->cfg->channels; k++) {
        qat_status s = parse_number(&p->lc, p->fmt.columns[k], fields[p->col[k]], &row[k]);
        if (s) return s;
        row[k] *= p->fmt.factor[k];
    }
    int per = p->fmt.gesture_rows;
    p->in_gesture = 1;
    if (per > 0 && p->gest_rows == per) { /* fixed-row mode: this row starts the next one */
        qat_status s = finish_gesture(p);
        if (s) return s;
    }
    return add_row(p, row);
}

/* Walks the lines of an open file; at the end, the last gesture is finished. */
static qat_status parse_stream(csv_parse *p, line_in *r) {
    char *line;
    size_t len;
    for (;;) {
        qat_status s = next_line(r, &p->lc, &line, &len);
        if (s) return s;
        if (!line) break;
        p->lc.line++;
        if (memchr(line, 0, len))
            return qat_error_set(p->lc.e, QAT_ERR_FORMAT,
                                 "%s:%ld: binary data (a NUL byte) in a CSV file", p->lc.path,
                                 p->lc.line);
        if (p->lc.line == 1 && !strncmp(line, "\xEF\xBB\xBF", 3))
            line += 3; /* a UTF-8 byte order mark, as Excel writes */
        if ((s = parse_line(p, line))) return s;
    }
    const char *path = p->lc.path;
    if (!p->n_header)
        return qat_error_set(p->lc.e, QAT_ERR_DATA, "%s: empty file (no header)", path);
    int per = p->fmt.gesture_rows;
    if (per > 0 && p->rows % per)
        return qat_error_set(p->lc.e, QAT_ERR_DATA,
                             "%s: %lld data rows is not a multiple of csv_gesture_rows %d "
                             "(%lld rows left over)",
                             path, p->rows, per, p->rows % per);
    if (p->rows == 0)
        return qat_error_set(p->lc.e, QAT_ERR_DATA, "%s: no gestures (no data rows)", path);
    return finish_gesture(p);
}

static qat_status check_rate(const char *key, double hz, qat_error *e) {
    if (hz >= QAT_RATE_HZ_MIN && hz <= QAT_RATE_HZ_MAX) return QAT_OK;
    return qat_error_set(e, QAT_ERR_CONFIG,
                         "csv: [data] %s = %g is outside [%g, %g] Hz, the rates the resampler "
                         "takes", key, hz, QAT_RATE_HZ_MIN, QAT_RATE_HZ_MAX);
}

/* A source's own settings get the checks [data]'s get (the library may be called without the
 * config parser). */
static qat_status check_format(const qat_data_config *cfg, const csv_format *fmt, const char *path,
                               qat_error *e) {
    qat_status s = check_rate("csv_rate_hz", fmt->rate_hz, e);
    if (s) return s;
    if (fmt->gesture_rows < 0)
        return qat_error_set(e, QAT_ERR_CONFIG, "%s: csv_gesture_rows (%d) must be >= 0", path,
                             fmt->gesture_rows);
    for (int k = 0; k < cfg->channels; k++) {
        if (!fmt->columns[k][0]) /* an empty name would match an empty spacer column */
            return qat_error_set(e, QAT_ERR_CONFIG,
                                 "%s: csv_columns names %d columns, channels is %d", path, k,
                                 cfg->channels);
        if (!(fmt->factor[k] != 0.0))
            return qat_error_set(e, QAT_ERR_CONFIG, "%s: channel %d's unit cannot be converted "
                                 "into [data] units", path, k + 1);
    }
    return QAT_OK;
}

static qat_status load_file(const qat_data_config *cfg, int i, sample_buf *b, qat_error *e) {
    const qat_csv_file *f = &cfg->csv[i];
    csv_format fmt = file_format(cfg, i);
    qat_status s = check_format(cfg, &fmt, f->path, e);
    if (s) return s;
    line_in r = {0};
    s = qat_input_open(f->path, 0, &r.f, NULL, e);
    if (s) return s;
    csv_parse p = {.cfg = cfg, .fmt = fmt, .lc = {f->path, 0, e}, .file = i,
                   .cls = f->cls, .out = b};
    p.used = rows_used(cfg, &p.fmt);
    if (!(r.buf = malloc(CSV_LINE_MAX + CSV_BLOCK + 1)))
        s = qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", f->path);
    if (!s) s = parse_stream(&p, &r);
    free(p.kept);
    free(r.buf);
    fclose(r.f);
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
    qat_status s = check_rate("rate_hz", cfg->rate_hz, e);
    if (s) return s;
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
