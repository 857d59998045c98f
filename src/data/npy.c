/* NumPy .npy files: "\x93NUMPY", version, header length, a Python dict literal naming
 * descr / fortran_order / shape, then the raw little-endian C-order payload.
 * Format reference: numpy/lib/format.py (NEP 1). The header is checked against the file's
 * size (so truncation is exact) and only the payload asked for is read: a recording of which
 * the model uses 50 rows costs 50 rows of memory, however long it is. */
#include "qat/npy.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "qat/io.h"

#define NPY_MAGIC "\x93NUMPY"
#define NPY_MAGIC_LEN 6
#define NPY_ALIGN 64 /* NumPy pads the header so the payload starts on this boundary */

typedef struct dtype_info {
    const char *code; /* descr without its byte-order character */
    size_t size;
    const char *name; /* NumPy's name, for messages */
} dtype_info;

static const dtype_info dtypes[] = {
    [QAT_DTYPE_F32] = {"f4", 4, "float32"}, [QAT_DTYPE_F64] = {"f8", 8, "float64"},
    [QAT_DTYPE_I8] = {"i1", 1, "int8"},     [QAT_DTYPE_I32] = {"i4", 4, "int32"},
    [QAT_DTYPE_I64] = {"i8", 8, "int64"},   [QAT_DTYPE_U8] = {"u1", 1, "uint8"},
};
_Static_assert(sizeof dtypes / sizeof dtypes[0] == QAT_DTYPE_COUNT, "dtype table");

size_t qat_dtype_size(qat_dtype t) {
    QAT_ASSERT((unsigned)t < QAT_DTYPE_COUNT);
    return dtypes[t].size;
}

const char *qat_dtype_name(qat_dtype t) {
    QAT_ASSERT((unsigned)t < QAT_DTYPE_COUNT);
    return dtypes[t].name;
}

/* ---- byte order: the payload is little-endian whatever the host ---- */

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static void swap_elements(void *data, size_t count, size_t size) {
    unsigned char *p = data;
    if (size == 1 || host_is_little_endian()) return;
    for (size_t i = 0; i < count; i++, p += size)
        for (size_t a = 0, b = size - 1; a < b; a++, b--) {
            unsigned char t = p[a];
            p[a] = p[b];
            p[b] = t;
        }
}

/* ---- header dict parser: a tiny recursive-descent reader of the Python literal ---- */

typedef struct cursor {
    const char *p, *end;
    const char *path;
    qat_error *e;
} cursor;

typedef struct npy_header {
    int have_descr, have_fortran, have_shape;
    char descr[16];
    int fortran;
    int ndim;
    size_t shape[QAT_NPY_MAX_DIM];
} npy_header;

static void skip_ws(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static qat_status bad_header(cursor *c, const char *what) {
    /* Quote a few bytes of context; non-printables become '?' so the message stays one line. */
    char near[16];
    size_t n = 0;
    for (const char *q = c->p; q < c->end && n < 12; q++)
        near[n++] = (*q >= ' ' && *q <= '~') ? *q : '?';
    near[n] = 0;
    return qat_error_set(c->e, QAT_ERR_FORMAT, "%s: npy header: %s near '%s'", c->path, what,
                         n ? near : "<end>");
}

/* Consumes `ch` after optional whitespace; returns 1 if it was there. */
static int accept(cursor *c, char ch) {
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string, single or double quotes (no escapes: none occur in these headers). */
static qat_status parse_string(cursor *c, char *out, size_t cap) {
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return bad_header(c, "expected a string");
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (n + 1 >= cap) return bad_header(c, "string too long");
        out[n++] = *c->p++;
    }
    if (c->p >= c->end) return bad_header(c, "unterminated string");
    c->p++;
    out[n] = 0;
    return QAT_OK;
}

static qat_status parse_bool(cursor *c, int *out) {
    skip_ws(c);
    size_t left = (size_t)(c->end - c->p);
    if (left >= 4 && !memcmp(c->p, "True", 4)) {
        c->p += 4;
        *out = 1;
    } else if (left >= 5 && !memcmp(c->p, "False", 5)) {
        c->p += 5;
        *out = 0;
    } else {
        return bad_header(c, "expected True or False");
    }
    return QAT_OK;
}

static qat_status parse_dim(cursor *c, size_t *out) {
    skip_ws(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return bad_header(c, "expected a dimension");
    size_t v = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        size_t d = (size_t)(*c->p++ - '0');
        if (v > (SIZE_MAX - d) / 10) return bad_header(c, "dimension too large");
        v = v * 10 + d;
    }
    if (c->p < c->end && *c->p == 'L') c->p++; /* Python 2 long literal, written by old NumPy */
    *out = v;
    return QAT_OK;
}

/* "()", "(50,)", "(3, 50)", "(3, 50,)". */
static qat_status parse_shape(cursor *c, npy_header *h) {
    if (!accept(c, '(')) return bad_header(c, "expected '(' for shape");
    h->ndim = 0;
    if (accept(c, ')')) return QAT_OK;
    for (;;) {
        if (h->ndim == QAT_NPY_MAX_DIM) return bad_header(c, "too many dimensions");
        qat_status s = parse_dim(c, &h->shape[h->ndim++]);
        if (s) return s;
        if (accept(c, ')')) return QAT_OK;
        if (!accept(c, ',')) return bad_header(c, "expected ',' or ')' in shape");
        if (accept(c, ')')) return QAT_OK;
    }
}

static qat_status parse_entry(cursor *c, npy_header *h) {
    char key[32];
    qat_status s = parse_string(c, key, sizeof key);
    if (s) return s;
    if (!accept(c, ':')) return bad_header(c, "expected ':'");
    int *seen = !strcmp(key, "descr")           ? &h->have_descr
                : !strcmp(key, "fortran_order") ? &h->have_fortran
                : !strcmp(key, "shape")         ? &h->have_shape
                                                : NULL;
    if (!seen)
        return qat_error_set(c->e, QAT_ERR_FORMAT, "%s: npy header: unknown key '%s'", c->path,
                             key);
    if (*seen)
        return qat_error_set(c->e, QAT_ERR_FORMAT, "%s: npy header: key '%s' appears twice",
                             c->path, key);
    *seen = 1;
    if (seen == &h->have_descr) return parse_string(c, h->descr, sizeof h->descr);
    if (seen == &h->have_fortran) return parse_bool(c, &h->fortran);
    return parse_shape(c, h);
}

static qat_status parse_dict(cursor *c, npy_header *h) {
    memset(h, 0, sizeof *h);
    if (!accept(c, '{')) return bad_header(c, "expected '{'");
    while (!accept(c, '}')) {
        qat_status s = parse_entry(c, h);
        if (s) return s;
        if (!accept(c, ',') && !(skip_ws(c), c->p < c->end && *c->p == '}'))
            return bad_header(c, "expected ',' or '}'");
    }
    skip_ws(c);
    if (c->p != c->end) return bad_header(c, "unexpected text after the dict");
    if (!h->have_descr || !h->have_fortran || !h->have_shape)
        return qat_error_set(c->e, QAT_ERR_FORMAT, "%s: npy header: missing key '%s'", c->path,
                             !h->have_descr     ? "descr"
                             : !h->have_fortran ? "fortran_order"
                                                : "shape");
    return QAT_OK;
}

/* '<f4', '|i1', '=f8'... '=' is native order; NumPy never writes it, and every host we
 * target is little-endian, so it is read as little-endian. */
static qat_status parse_descr(const char *descr, const char *path, qat_dtype *out, qat_error *e) {
    char order = descr[0];
    if (order == '>')
        return qat_error_set(e, QAT_ERR_FORMAT,
                             "%s: dtype '%s' is big-endian; only little-endian is read", path,
                             descr);
    if (order == '<' || order == '|' || order == '=')
        for (int t = 0; t < QAT_DTYPE_COUNT; t++)
            if (!strcmp(descr + 1, dtypes[t].code) && (order != '|' || dtypes[t].size == 1)) {
                *out = (qat_dtype)t;
                return QAT_OK;
            }
    return qat_error_set(e, QAT_ERR_FORMAT,
                         "%s: unsupported dtype '%s' (expected <f4, <f8, |i1, |u1, <i4 or <i8)", path,
                         descr);
}

/* Magic, version and header length from the file's first bytes (buf, n of them; `total`
 * the file's size); *hdr / *hlen get where the dict text starts and its length. */
static qat_status parse_preamble(const unsigned char *buf, size_t n, uint64_t total,
                                 const char *path, size_t *hdr, size_t *hlen, qat_error *e) {
    if (n < NPY_MAGIC_LEN + 2 || memcmp(buf, NPY_MAGIC, NPY_MAGIC_LEN))
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: not a .npy file (bad magic)", path);
    unsigned major = buf[6], minor = buf[7];
    if (major < 1 || major > 3 || minor != 0)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: unsupported .npy version %u.%u", path, major,
                             minor);
    size_t lenbytes = major == 1 ? 2 : 4;
    if (n < 8 + lenbytes)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: truncated .npy header", path);
    size_t len = 0;
    for (size_t i = 0; i < lenbytes; i++) len |= (size_t)buf[8 + i] << (8 * i);
    *hdr = 8 + lenbytes;
    if (len > total - *hdr)
        return qat_error_set(e, QAT_ERR_FORMAT,
                             "%s: truncated .npy header: header says %zu bytes, file holds %llu",
                             path, len, (unsigned long long)(total - *hdr));
    if (len > QAT_NPY_HEADER_MAX)
        return qat_error_set(e, QAT_ERR_FORMAT,
                             "%s: .npy header of %zu bytes; at most %d are read (NumPy writes "
                             "a few hundred)", path, len, QAT_NPY_HEADER_MAX);
    *hlen = len;
    return QAT_OK;
}

static qat_status check_payload(const npy_header *h, qat_npy *out, uint64_t avail,
                                const char *path, qat_error *e) {
    size_t count = 1, size = dtypes[out->dtype].size;
    for (int i = 0; i < h->ndim; i++) {
        if (h->shape[i] && count > SIZE_MAX / h->shape[i])
            return qat_error_set(e, QAT_ERR_FORMAT, "%s: shape overflows: too many elements", path);
        count *= h->shape[i];
        out->shape[i] = h->shape[i];
    }
    if (count > SIZE_MAX / size)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: shape overflows: too many bytes", path);
    if (avail < count * size)
        return qat_error_set(
            e, QAT_ERR_FORMAT,
            "%s: truncated: header says %zu values (%zu bytes), file holds %llu bytes", path,
            count, count * size, (unsigned long long)avail);
    if (avail > count * size)
        return qat_error_set(e, QAT_ERR_FORMAT,
                             "%s: %llu unexpected bytes after the %zu values the header declares",
                             path, (unsigned long long)(avail - count * size), count);
    out->ndim = h->ndim;
    out->count = count;
    return QAT_OK;
}

/* The header (preamble and dict) of the open file f of `total` bytes: out gets dtype, ndim,
 * shape and count, checked against the file's size; f is left at the payload. */
static qat_status read_header(FILE *f, uint64_t total, const char *path, qat_npy *out,
                              qat_error *e) {
    unsigned char pre[12];
    size_t hdr = 0, hlen = 0, got = fread(pre, 1, sizeof pre, f);
    qat_status s = parse_preamble(pre, got, total, path, &hdr, &hlen, e);
    if (s) return s;
    char *text = malloc(hlen + 1);
    if (!text) return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", path);
    if (fseek(f, (long)hdr, SEEK_SET) != 0 || fread(text, 1, hlen, f) != hlen) {
        free(text);
        return qat_error_set(e, QAT_ERR_IO, "%s: read failed", path);
    }
    cursor c = {text, text + hlen, path, e};
    npy_header h;
    if (!(s = parse_dict(&c, &h))) s = parse_descr(h.descr, path, &out->dtype, e);
    free(text);
    if (s) return s;
    if (h.fortran)
        return qat_error_set(e, QAT_ERR_FORMAT,
                             "%s: fortran_order is True; save the array in C order", path);
    return check_payload(&h, out, total - hdr - hlen, path, e);
}

/* The payload's first `rows` rows (all of it when the array has no rows). */
static qat_status read_payload(FILE *f, size_t rows, const char *path, qat_npy *out,
                               qat_error *e) {
    out->file_rows = out->ndim > 0 ? out->shape[0] : 0;
    if (out->ndim > 0 && rows < out->shape[0]) {
        out->count = out->shape[0] ? out->count / out->shape[0] * rows : 0;
        out->shape[0] = rows;
    }
    size_t bytes = out->count * dtypes[out->dtype].size;
    out->data = malloc(bytes ? bytes : 1);
    if (!out->data)
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory (%zu bytes)", path, bytes);
    if (fread(out->data, 1, bytes, f) != bytes)
        return qat_error_set(e, QAT_ERR_IO, "%s: read failed", path);
    swap_elements(out->data, out->count, dtypes[out->dtype].size);
    return QAT_OK;
}

qat_status qat_npy_read_rows(const char *path, size_t max_rows, qat_npy *out, qat_error *e) {
    memset(out, 0, sizeof *out);
    FILE *f;
    uint64_t total;
    qat_status s = qat_input_open(path, 0, &f, &total, e);
    if (s) return s;
    s = read_header(f, total, path, out, e);
    if (!s) s = read_payload(f, max_rows, path, out, e);
    fclose(f);
    if (s) qat_npy_free(out);
    return s;
}

qat_status qat_npy_read(const char *path, qat_npy *out, qat_error *e) {
    return qat_npy_read_rows(path, SIZE_MAX, out, e);
}

void qat_npy_free(qat_npy *a) {
    free(a->data);
    memset(a, 0, sizeof *a);
}

/* ---- conversion ---- */

static double element(const qat_npy *a, size_t i) {
    switch (a->dtype) {
    case QAT_DTYPE_F32: return ((const float *)a->data)[i];
    case QAT_DTYPE_F64: return ((const double *)a->data)[i];
    case QAT_DTYPE_I8: return ((const int8_t *)a->data)[i];
    case QAT_DTYPE_U8: return ((const uint8_t *)a->data)[i];
    case QAT_DTYPE_I32: return ((const int32_t *)a->data)[i];
    default: QAT_ASSERT(0); return 0;
    }
}

/* "[12, 2]" for flat index i of the array's shape: what a NumPy user would type. */
static void format_index(const qat_npy *a, size_t i, char *buf, size_t cap) {
    size_t idx[QAT_NPY_MAX_DIM];
    for (int d = a->ndim - 1; d >= 0; d--) {
        idx[d] = a->shape[d] ? i % a->shape[d] : 0;
        i = a->shape[d] ? i / a->shape[d] : 0;
    }
    size_t len = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < a->ndim && len < cap; d++)
        len += (size_t)snprintf(buf + len, cap - len, d ? ", %zu" : "%zu", idx[d]);
    if (len < cap) snprintf(buf + len, cap - len, "]");
}

static qat_status not_finite(const qat_npy *a, size_t i, double v, const char *path, qat_error *e) {
    char where[160];
    format_index(a, i, where, sizeof where);
    const char *what = isnan(v) ? "NaN" : isinf(v) ? "Inf" : "a value beyond float32 range";
    return qat_error_set(e, QAT_ERR_DATA, "%s: element %zu %s is %s", path, i, where, what);
}

qat_status qat_npy_to_f32(qat_npy *a, const char *path, qat_error *e) {
    if (a->dtype == QAT_DTYPE_I64)
        return qat_error_set(e, QAT_ERR_DATA, "%s: int64 data cannot be used as float32 samples",
                             path);
    float *f = malloc(a->count ? a->count * sizeof *f : 1);
    if (!f) return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < a->count; i++) {
        double v = element(a, i);
        f[i] = (float)v;
        if (!isfinite(f[i])) {
            free(f);
            return not_finite(a, i, v, path, e);
        }
    }
    free(a->data);
    a->data = f;
    a->dtype = QAT_DTYPE_F32;
    return QAT_OK;
}

/* ---- writer ---- */

/* The dict NumPy writes, padded with spaces and a final '\n' so that the payload starts at a
 * multiple of NPY_ALIGN. Returns its length. */
static size_t format_header(char *buf, size_t cap, qat_dtype dtype, int ndim, const size_t *shape) {
    size_t len = (size_t)snprintf(buf, cap, "{'descr': '%c%s', 'fortran_order': False, 'shape': (",
                                  dtypes[dtype].size == 1 ? '|' : '<', dtypes[dtype].code);
    for (int i = 0; i < ndim; i++)
        len += (size_t)snprintf(buf + len, cap - len, i ? ", %zu" : "%zu", shape[i]);
    len += (size_t)snprintf(buf + len, cap - len, "%s), }", ndim == 1 ? "," : "");
    size_t total = NPY_MAGIC_LEN + 4 + len + 1;
    size_t padded = (total + NPY_ALIGN - 1) / NPY_ALIGN * NPY_ALIGN;
    memset(buf + len, ' ', padded - total);
    len += padded - total;
    buf[len++] = '\n';
    return len;
}

static qat_status write_payload(qat_afile *a, qat_dtype dtype, size_t count, const void *data) {
    size_t size = dtypes[dtype].size;
    if (count == 0) return QAT_OK;
    if (host_is_little_endian() || size == 1)
        return fwrite(data, size, count, a->f) == count ? QAT_OK : QAT_ERR_IO;
    const unsigned char *p = data;
    for (size_t i = 0; i < count; i++, p += size)
        for (size_t b = size; b-- > 0;)
            if (fputc(p[b], a->f) == EOF) return QAT_ERR_IO;
    return QAT_OK;
}

qat_status qat_npy_write(const char *path, qat_dtype dtype, int ndim, const size_t *shape,
                         const void *data, qat_error *e) {
    QAT_ASSERT((unsigned)dtype < QAT_DTYPE_COUNT && ndim >= 0 && ndim <= QAT_NPY_MAX_DIM);
    char hdr[512]; /* 8 dims of 20 digits fit well within this, padding included */
    size_t hlen = format_header(hdr, sizeof hdr, dtype, ndim, shape), count = 1;
    for (int i = 0; i < ndim; i++) count *= shape[i];
    unsigned char pre[NPY_MAGIC_LEN + 4] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    pre[8] = (unsigned char)(hlen & 0xff); /* header length, little-endian uint16 */
    pre[9] = (unsigned char)(hlen >> 8);
    qat_afile a;
    qat_status s = qat_afile_open(&a, path, e);
    if (s) return s;
    if (fwrite(pre, 1, sizeof pre, a.f) != sizeof pre || fwrite(hdr, 1, hlen, a.f) != hlen ||
        write_payload(&a, dtype, count, data)) {
        qat_afile_abort(&a);
        return qat_error_set(e, QAT_ERR_IO, "%s: write failed", path);
    }
    return qat_afile_commit(&a, e);
}
