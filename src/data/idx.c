/* MNIST's IDX files (the format of yann.lecun.com/exdb/mnist, "FILE FORMATS FOR THE MNIST
 * DATABASE"): a big-endian header — magic 0x00000803 then the sizes n, rows, columns for
 * images (idx3), magic 0x00000801 then n for labels (idx1) — then the unsigned bytes,
 * row-major. Debian's Fashion-MNIST ships them gzip-compressed; every file is read through
 * zlib, which passes a plain file through unchanged, so the content decides, never the name.
 * A header is only a claim: a plain file's size is checked against it before anything is
 * allocated, and decompressed data goes into a buffer that grows as it arrives, so a small
 * file claiming 10^8 images reserves no gigabytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "qat/data.h"

#define IDX_IMAGES 0x00000803u
#define IDX_LABELS 0x00000801u
#define IDX_GROW_FIRST ((size_t)1 << 20) /* first buffer for compressed data: 1 MiB */
#define IDX_TRAILING_MAX ((uint64_t)1 << 20) /* trailing decompressed bytes counted at most */

typedef struct idx_file {
    const char *path;
    gzFile gz;
    uint64_t size;   /* bytes on disk */
    int plain;       /* not compressed: zlib passes the bytes through */
    int images;      /* an idx3 image file (else idx1 labels) */
    size_t header;   /* header bytes: 16 for images, 8 for labels */
    uint32_t n;      /* images or labels the header declares */
    uint32_t h, w;   /* image size (1, 1 for labels) */
} idx_file;

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static size_t item_bytes(const idx_file *f) {
    return (size_t)f->h * f->w;
}

/* "100 images of 28×28 pixels" or "100 labels", for messages. */
static const char *describe(const idx_file *f, uint64_t n, char *buf, size_t cap) {
    if (f->images)
        snprintf(buf, cap, "%llu images of %u×%u pixels", (unsigned long long)n, f->h, f->w);
    else
        snprintf(buf, cap, "%llu labels", (unsigned long long)n);
    return buf;
}

/* Opens path through qat_input_open (regular files only, never blocking) and hands its
 * descriptor to zlib. */
static qat_status idx_open(idx_file *f, const char *path, int images, qat_error *e) {
    memset(f, 0, sizeof *f);
    f->path = path;
    f->images = images;
    f->header = images ? 16 : 8;
    FILE *fp;
    qat_status s = qat_input_open(path, 0, &fp, &f->size, e);
    if (s) return s;
    int fd = fcntl(fileno(fp), F_DUPFD_CLOEXEC, 0), err = errno;
    fclose(fp);
    if (fd < 0) return qat_error_set(e, QAT_ERR_IO, "%s: cannot read: %s", path, strerror(err));
    if (!(f->gz = gzdopen(fd, "rb"))) {
        close(fd);
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory opening it", path);
    }
    gzbuffer(f->gz, 1u << 17); /* before the first read; 128 KiB reads instead of 8 KiB */
    return QAT_OK;
}

static void idx_close(idx_file *f) {
    if (f->gz) gzclose(f->gz);
    f->gz = NULL;
}

/* Reads up to n bytes into buf; *got gets how many arrived (fewer: the data ended). zlib's
 * refusals (not valid gzip, a corrupt stream, a read error) are errors; a compressed stream
 * that stops early is only an early end, which the caller reports with what it expected. */
static qat_status idx_read(idx_file *f, void *buf, size_t n, size_t *got, qat_error *e) {
    *got = 0;
    while (*got < n) {
        size_t left = n - *got;
        int r = gzread(f->gz, (char *)buf + *got, left > (1u << 30) ? 1u << 30 : (unsigned)left);
        if (r <= 0) break;
        *got += (size_t)r;
    }
    int code;
    const char *why = gzerror(f->gz, &code);
    if (code == Z_OK || code == Z_BUF_ERROR) return QAT_OK;
    if (code == Z_ERRNO)
        return qat_error_set(e, QAT_ERR_IO, "%s: read failed: %s", f->path, strerror(errno));
    if (code == Z_MEM_ERROR)
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory decompressing it", f->path);
    if (!strncmp(why, "<fd:", 4) && strstr(why, ": ")) why = strstr(why, ": ") + 2; /* its name */
    return qat_error_set(e, QAT_ERR_FORMAT, "%s: not valid gzip data (zlib: %s)", f->path, why);
}

/* What a compressed stream that stopped early said, for the truncation message. */
static const char *early_end(const idx_file *f) {
    int code;
    gzerror(f->gz, &code);
    return code == Z_BUF_ERROR ? "; the gzip stream is cut short" : "";
}

/* The element type byte of an IDX magic, for a file of another kind. */
static const char *idx_type_name(unsigned t) {
    switch (t) {
    case 0x08: return "unsigned bytes";
    case 0x09: return "signed bytes";
    case 0x0b: return "int16";
    case 0x0c: return "int32";
    case 0x0d: return "float32";
    case 0x0e: return "float64";
    default: return NULL;
    }
}

static qat_status wrong_magic(const idx_file *f, uint32_t magic, qat_error *e) {
    const uint32_t want = f->images ? IDX_IMAGES : IDX_LABELS;
    const char *kind = f->images ? "image" : "label";
    const char *layout = f->images ? "n × height × width unsigned bytes" : "n unsigned bytes";
    if (magic == IDX_IMAGES || magic == IDX_LABELS)
        return qat_error_set(e, QAT_ERR_FORMAT,
                             "%s: an IDX %s file (magic 0x%08x) given as the %ss; expected "
                             "0x%08x (%s)", f->path, magic == IDX_IMAGES ? "image" : "label",
                             magic, kind, want, layout);
    const char *type = idx_type_name(magic >> 8 & 0xff);
    if (magic >> 16 == 0 && type)
        return qat_error_set(e, QAT_ERR_FORMAT,
                             "%s: an IDX file of %s in %u dimensions (magic 0x%08x); expected "
                             "0x%08x (%s)", f->path, type, magic & 0xff, magic, want, layout);
    return qat_error_set(e, QAT_ERR_FORMAT,
                         "%s: not an IDX %s file (magic 0x%08x; expected 0x%08x, %s)", f->path,
                         kind, magic, want, layout);
}

static qat_status check_sizes(const idx_file *f, qat_error *e) {
    char what[96];
    if (f->n == 0)
        return qat_error_set(e, QAT_ERR_DATA, "%s: the header declares no %s", f->path,
                             f->images ? "images" : "labels");
    if (f->n <= QAT_IMAGE_MAX_N && f->h >= 1 && f->h <= QAT_IMAGE_MAX_SIDE && f->w >= 1 &&
        f->w <= QAT_IMAGE_MAX_SIDE)
        return QAT_OK;
    if (!f->images)
        return qat_error_set(e, QAT_ERR_DATA, "%s: the header declares %s; at most %d are read",
                             f->path, describe(f, f->n, what, sizeof what), QAT_IMAGE_MAX_N);
    return qat_error_set(e, QAT_ERR_DATA,
                         "%s: the header declares %s; at most %d images of 1 to %d × 1 to %d "
                         "pixels are read", f->path, describe(f, f->n, what, sizeof what),
                         QAT_IMAGE_MAX_N, QAT_IMAGE_MAX_SIDE, QAT_IMAGE_MAX_SIDE);
}

/* A plain file's size against its header, before anything is allocated. */
static qat_status check_file_size(const idx_file *f, qat_error *e) {
    uint64_t data = (uint64_t)f->n * item_bytes(f), want = f->header + data;
    char what[96];
    describe(f, f->n, what, sizeof what);
    if (f->size < want)
        return qat_error_set(e, QAT_ERR_FORMAT,
                             "%s: truncated: the header declares %s (%llu bytes with the "
                             "header), the file holds %llu bytes (%llu complete %s)", f->path,
                             what, (unsigned long long)want, (unsigned long long)f->size,
                             (unsigned long long)((f->size > f->header ? f->size - f->header
                                                                       : 0) / item_bytes(f)),
                             f->images ? "images" : "labels");
    if (f->size > want)
        return qat_error_set(e, QAT_ERR_FORMAT,
                             "%s: %llu unexpected bytes after the %s the header declares: not "
                             "the file it describes", f->path,
                             (unsigned long long)(f->size - want), what);
    return QAT_OK;
}

/* Reads and checks the header: magic, sizes, and (plain files) the file's size. */
static qat_status idx_header(idx_file *f, qat_error *e) {
    unsigned char b[16];
    size_t got;
    qat_status s = idx_read(f, b, 4, &got, e);
    if (s) return s;
    f->plain = gzdirect(f->gz);
    if (got == 4 && be32(b) != (f->images ? IDX_IMAGES : IDX_LABELS))
        return wrong_magic(f, be32(b), e);
    size_t more = 0;
    if (got == 4 && (s = idx_read(f, b + 4, f->header - 4, &more, e))) return s;
    if (got + more == 0)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: empty%s, not an IDX %s file", f->path,
                             f->plain ? " file" : " after decompression",
                             f->images ? "image" : "label");
    if (got + more < f->header)
        return qat_error_set(e, QAT_ERR_FORMAT,
                             "%s: truncated IDX header: %zu of its %zu bytes%s", f->path,
                             got + more, f->header, f->plain ? "" : " (decompressed)");
    f->n = be32(b + 4);
    f->h = f->images ? be32(b + 8) : 1;
    f->w = f->images ? be32(b + 12) : 1;
    if ((s = check_sizes(f, e))) return s;
    if ((uint64_t)f->n * item_bytes(f) > SIZE_MAX)
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: too large to hold in memory", f->path);
    return f->plain ? check_file_size(f, e) : QAT_OK;
}

/* Collects up to `bytes` bytes into a new buffer (*out, owned by the caller even on
 * failure); *got how many arrived. A plain file's size was checked, so its buffer is
 * allocated at once; decompressed data goes into one that doubles as it fills (from
 * IDX_GROW_FIRST), never more than twice what has arrived. */
static qat_status collect(idx_file *f, size_t bytes, unsigned char **out, size_t *got,
                          qat_error *e) {
    size_t cap = f->plain || bytes < IDX_GROW_FIRST ? bytes : IDX_GROW_FIRST;
    *got = 0;
    *out = malloc(cap ? cap : 1);
    for (;;) {
        if (!*out)
            return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory (%zu bytes)", f->path, cap);
        size_t n;
        qat_status s = idx_read(f, *out + *got, cap - *got, &n, e);
        *got += n;
        if (s || *got < cap || cap == bytes) return s;
        cap = cap > bytes / 2 ? bytes : 2 * cap;
        unsigned char *p = realloc(*out, cap);
        if (!p) free(*out);
        *out = p;
    }
}

/* After a whole compressed payload: anything more is not the file the header describes. */
static qat_status check_trailing(idx_file *f, qat_error *e) {
    unsigned char scratch[16384];
    uint64_t extra = 0;
    size_t n;
    do {
        qat_status s = idx_read(f, scratch, sizeof scratch, &n, e);
        if (s) return s;
        extra += n;
    } while (n == sizeof scratch && extra < IDX_TRAILING_MAX);
    char what[96];
    describe(f, f->n, what, sizeof what);
    if (!extra && *early_end(f))
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: truncated: the gzip stream is cut short "
                             "after the %s the header declares (its CRC-32 and length are "
                             "missing)", f->path, what);
    if (!extra) return QAT_OK;
    return qat_error_set(e, QAT_ERR_FORMAT,
                         "%s: %s%llu unexpected bytes (decompressed) after the %s the header "
                         "declares: not the file it describes", f->path,
                         n == sizeof scratch ? "at least " : "", (unsigned long long)extra,
                         what);
}

/* The first `count` items of the payload (the header read already) into *out. */
static qat_status idx_payload(idx_file *f, uint32_t count, unsigned char **out, qat_error *e) {
    size_t want = (size_t)count * item_bytes(f), got;
    qat_status s = collect(f, want, out, &got, e);
    if (!s && got < want) {
        char what[96];
        s = qat_error_set(e, QAT_ERR_FORMAT,
                          "%s: truncated: the header declares %s, the %sdata ends after %zu "
                          "bytes (%zu complete %s%s)", f->path,
                          describe(f, f->n, what, sizeof what),
                          f->plain ? "" : "decompressed ", got, got / item_bytes(f),
                          f->images ? "images" : "labels", early_end(f));
    }
    if (!s && count == f->n && !f->plain) s = check_trailing(f, e);
    if (s) {
        free(*out);
        *out = NULL;
    }
    return s;
}

static qat_status labels_to_int(const unsigned char *b, int n, qat_image_set *out,
                                const char *path, qat_error *e) {
    if (!(out->labels = malloc((size_t)n * sizeof *out->labels)))
        return qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory for %d labels", path, n);
    for (int i = 0; i < n; i++) out->labels[i] = b[i];
    return QAT_OK;
}

/* Both headers first (a mismatch is found before any payload is read), then the data. */
static qat_status read_pair(idx_file *im, idx_file *lb, int limit, qat_image_set *out,
                            qat_error *e) {
    qat_status s = idx_header(im, e);
    if (!s) s = idx_header(lb, e);
    if (!s && im->n != lb->n)
        return qat_error_set(e, QAT_ERR_DATA, "%s: %u labels, but %s holds %u images (each image "
                             "needs exactly one label)", lb->path, lb->n, im->path, im->n);
    if (s) return s;
    uint32_t count = limit > 0 && (uint32_t)limit < im->n ? (uint32_t)limit : im->n;
    out->n = (int)count;
    out->height = (int)im->h;
    out->width = (int)im->w;
    out->channels = 1;
    unsigned char *labels = NULL;
    if (!(s = idx_payload(im, count, &out->u8, e)) && !(s = idx_payload(lb, count, &labels, e)))
        s = labels_to_int(labels, out->n, out, lb->path, e);
    free(labels);
    return s;
}

qat_status qat_idx_read(const char *images_path, const char *labels_path, int limit,
                        qat_image_set *out, qat_error *e) {
    memset(out, 0, sizeof *out);
    if (limit < 0)
        return qat_error_set(e, QAT_ERR_CONFIG, "%s: limit %d: expected 0 (all) or more",
                             images_path, limit);
    idx_file im, lb;
    memset(&lb, 0, sizeof lb);
    qat_status s = idx_open(&im, images_path, 1, e);
    if (!s) s = idx_open(&lb, labels_path, 0, e);
    if (!s) s = read_pair(&im, &lb, limit, out, e);
    idx_close(&im);
    idx_close(&lb);
    if (s) qat_image_set_free(out);
    return s;
}

/* ---- the image set (both readers') ---- */

void qat_image_set_free(qat_image_set *s) {
    free(s->u8);
    free(s->f32);
    free(s->labels);
    memset(s, 0, sizeof *s);
}
