/* MNIST's IDX files: a big-endian header — two zero bytes, the element type (0x08: unsigned
 * byte), the number of dimensions, then each dimension as a 32-bit count — and the elements
 * in C order. Images are idx3 (n, rows, columns), labels idx1 (n). Either file may be
 * gzip-compressed (as MNIST and Debian's dataset-fashion-mnist ship them): zlib reads both,
 * and the gzip magic decides how much may be allocated before the data arrives. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "qat/data.h"

#define IDX_MAX_N 100000000 /* images per file */
#define IDX_MAX_SIDE 4096
#define CHUNK (16u << 20) /* gzip: the buffer grows by at most this much per read */

typedef struct idx_file {
    const char *path;
    gzFile gz;
    int gzipped;
    uint64_t size; /* of the file as stored */
    int ndim;
    uint32_t dim[3];
} idx_file;

static qat_status open_idx(idx_file *f, const char *path, qat_error *e) {
    FILE *in;
    memset(f, 0, sizeof *f);
    f->path = path;
    qat_status s = qat_input_open(path, 0, &in, &f->size, e);
    if (s) return s;
    unsigned char magic[2] = {0, 0};
    f->gzipped = fread(magic, 1, 2, in) == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    int fd = dup(fileno(in));
    fclose(in);
    if (fd < 0 || lseek(fd, 0, SEEK_SET) != 0 || !(f->gz = gzdopen(fd, "rb"))) {
        if (fd >= 0) close(fd);
        return qat_error_set(e, QAT_ERR_IO, "%s: cannot read", path);
    }
    return QAT_OK;
}

/* Reads exactly n bytes; 0 when the data ends first. A broken gzip stream is an error. */
static qat_status read_exact(idx_file *f, void *buf, size_t n, size_t *got, qat_error *e) {
    *got = 0;
    while (*got < n) {
        unsigned want = n - *got > CHUNK ? CHUNK : (unsigned)(n - *got);
        int r = gzread(f->gz, (char *)buf + *got, want);
        if (r < 0) {
            int code;
            const char *msg = gzerror(f->gz, &code);
            return qat_error_set(e, QAT_ERR_DATA, "%s: not a valid gzip file (%s)", f->path, msg);
        }
        if (r == 0) break;
        *got += (size_t)r;
    }
    return QAT_OK;
}

static uint32_t be32(const unsigned char *b) {
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/* The header: magic 0x000008NN with NN = ndim dimensions of unsigned bytes. */
static qat_status read_header(idx_file *f, int ndim, const char *what, qat_error *e) {
    unsigned char h[16];
    size_t got, len = 4 + 4 * (size_t)ndim;
    qat_status s = read_exact(f, h, len, &got, e);
    if (s) return s;
    uint32_t magic = got >= 4 ? be32(h) : 0, want = 0x800u | (uint32_t)ndim;
    if (got < 4 || (magic & 0xffff0000u) || (magic >> 8 & 0xff) < 0x08 || (magic >> 8 & 0xff) > 0x0e)
        return qat_error_set(e, QAT_ERR_DATA, "%s: not an IDX file (magic 0x%08x; an IDX %s "
                             "file starts 0x%08x)", f->path, got >= 4 ? magic : 0, what, want);
    if (magic != want)
        return qat_error_set(e, QAT_ERR_DATA, "%s: an IDX file of %u dimension%s of type 0x%02x, "
                             "not %s (0x%08x: %d dimension%s of unsigned bytes)", f->path,
                             magic & 0xff, (magic & 0xff) == 1 ? "" : "s", magic >> 8 & 0xff,
                             what, want, ndim, ndim == 1 ? "" : "s");
    if (got < len)
        return qat_error_set(e, QAT_ERR_DATA, "%s: truncated in its header", f->path);
    f->ndim = ndim;
    for (int d = 0; d < ndim; d++) f->dim[d] = be32(h + 4 + 4 * d);
    if (f->dim[0] < 1 || f->dim[0] > IDX_MAX_N)
        return qat_error_set(e, QAT_ERR_DATA, "%s: %u items (1 to %d)", f->path, f->dim[0],
                             IDX_MAX_N);
    for (int d = 1; d < ndim; d++)
        if (f->dim[d] < 1 || f->dim[d] > IDX_MAX_SIDE)
            return qat_error_set(e, QAT_ERR_DATA, "%s: images of %u × %u (each side 1 to %d)",
                                 f->path, f->dim[1], f->dim[2], IDX_MAX_SIDE);
    return QAT_OK;
}

/* Nothing may follow the items the header announces (for a plain file its size says so). */
static qat_status check_end(idx_file *f, qat_error *e) {
    unsigned char extra;
    size_t n;
    qat_status s = f->gzipped ? read_exact(f, &extra, 1, &n, e) : QAT_OK;
    if (!s && f->gzipped && n)
        s = qat_error_set(e, QAT_ERR_DATA, "%s: trailing bytes after the %u items its header "
                          "announces", f->path, f->dim[0]);
    return s;
}

/* The first `items` items of `item` bytes each, into *out (caller frees). A plain file must
 * hold exactly what its header says; a gzip file is read as it inflates, the buffer growing
 * with the data, so a small file claiming a huge array allocates little. */
static qat_status read_items(idx_file *f, size_t items, size_t item, uint8_t **out,
                             qat_error *e) {
    size_t header = 4 + 4 * (size_t)f->ndim, all = (size_t)f->dim[0] * item;
    if (!f->gzipped && f->size != header + all)
        return qat_error_set(e, QAT_ERR_DATA, "%s: %llu bytes, but its header promises %zu "
                             "(%u items of %zu bytes after a %zu-byte header)%s", f->path,
                             (unsigned long long)f->size, header + all, f->dim[0], item, header,
                             f->size < header + all ? ": truncated" : ": trailing bytes");
    size_t want = items * item, cap = 0, got = 0;
    uint8_t *buf = NULL;
    qat_status s = QAT_OK;
    while (!s && got < want) {
        size_t step = want - got > CHUNK ? CHUNK : want - got, n;
        uint8_t *grown = realloc(buf, (cap = got + step) ? cap : 1);
        if (!grown) {
            s = qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", f->path);
            break;
        }
        buf = grown;
        s = read_exact(f, buf + got, step, &n, e);
        got += n;
        if (!s && n < step)
            s = qat_error_set(e, QAT_ERR_DATA, "%s: truncated: %zu of its %u items complete",
                              f->path, got / item, f->dim[0]);
    }
    if (!s && items == f->dim[0]) s = check_end(f, e);
    if (s) {
        free(buf);
        return s;
    }
    *out = buf ? buf : malloc(1);
    return *out ? QAT_OK : qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", f->path);
}

static void close_idx(idx_file *f) {
    if (f->gz) gzclose(f->gz);
    f->gz = NULL;
}

static qat_status read_images(const char *path, int limit, qat_image_set *out,
                              uint32_t *total, qat_error *e) {
    idx_file f;
    qat_status s = open_idx(&f, path, e);
    if (!s) s = read_header(&f, 3, "image", e);
    if (!s) {
        *total = f.dim[0];
        out->n = limit > 0 && (uint32_t)limit < f.dim[0] ? limit : (int)f.dim[0];
        out->height = (int)f.dim[1];
        out->width = (int)f.dim[2];
        out->channels = 1;
        s = read_items(&f, (size_t)out->n, (size_t)f.dim[1] * f.dim[2], &out->u8, e);
    }
    close_idx(&f);
    return s;
}

static qat_status read_labels(const char *path, const char *images, uint32_t total, int n,
                              qat_image_set *out, qat_error *e) {
    idx_file f;
    uint8_t *b = NULL;
    qat_status s = open_idx(&f, path, e);
    if (!s) s = read_header(&f, 1, "label", e);
    if (!s && f.dim[0] != total)
        s = qat_error_set(e, QAT_ERR_DATA, "%s: %u labels for the %u images of %s", path,
                          f.dim[0], total, images);
    if (!s) s = read_items(&f, (size_t)n, 1, &b, e);
    if (!s && !(out->labels = malloc((size_t)n * sizeof *out->labels)))
        s = qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", path);
    for (int i = 0; !s && i < n; i++) out->labels[i] = b[i];
    free(b);
    close_idx(&f);
    return s;
}

qat_status qat_idx_read(const char *images_path, const char *labels_path, int limit,
                        qat_image_set *out, qat_error *e) {
    uint32_t total = 0;
    memset(out, 0, sizeof *out);
    qat_status s = read_images(images_path, limit, out, &total, e);
    if (!s) s = read_labels(labels_path, images_path, total, out->n, out, e);
    if (s) qat_image_set_free(out);
    return s;
}

void qat_image_set_free(qat_image_set *s) {
    free(s->u8);
    free(s->f32);
    free(s->labels);
    memset(s, 0, sizeof *s);
}
