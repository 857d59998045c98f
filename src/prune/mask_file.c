/* Mask files and their JSON summary (see prune.h).
 *   "QATMASK1"  u32 layer count
 *   per mask node: u32 name length, name bytes, u32 ndim, u32 dims[ndim],
 *                  ceil(n/8) bytes of bits (1 = kept), least significant bit first
 *   u32 crc32 (zlib) of every byte before it; all integers little-endian */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "qat/io.h"
#include "qat/json.h"
#include "qat/ops.h"
#include "qat/prune.h"

static const char MAGIC[8] = {'Q', 'A', 'T', 'M', 'A', 'S', 'K', '1'};

static void put_u32(FILE *f, uint32_t v, uLong *crc) {
    unsigned char b[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    fwrite(b, 1, 4, f);
    *crc = crc32(*crc, b, 4);
}

static void put(FILE *f, const void *p, size_t n, uLong *crc) {
    fwrite(p, 1, n, f);
    *crc = crc32(*crc, p, (uInt)n);
}

/* The kernel a mask node masks, by the layer's name: "conv1/mask" → "conv1"; a separable
 * layer's depthwise half "sep1/depthwise_mask" → "sep1/depthwise" (its pointwise half is
 * "sep1"). */
static void layer_name(const qat_node *n, char *out, size_t cap) {
    snprintf(out, cap, "%s", n->name);
    char *slash = strrchr(out, '/');
    size_t len = strlen(out);
    if (slash && strcmp(slash, "/mask") && len > 5 && !strcmp(out + len - 5, "_mask"))
        out[len - 5] = 0;
    else if (slash)
        *slash = 0;
}

qat_status qat_mask_file_write(const qat_graph *g, const char *path, qat_error *e) {
    qat_afile a;
    qat_status st = qat_afile_open(&a, path, e);
    if (st) return st;
    uLong crc = crc32(0L, Z_NULL, 0);
    uint32_t count = 0;
    for (int i = 0; i < g->n_nodes; i++) count += g->nodes[i].op == QAT_OP_MASK;
    put(a.f, MAGIC, 8, &crc);
    put_u32(a.f, count, &crc);
    for (int i = 0; i < g->n_nodes; i++) {
        const qat_node *n = &g->nodes[i];
        if (n->op != QAT_OP_MASK) continue;
        char name[QAT_NODE_NAME_MAX];
        layer_name(n, name, sizeof name);
        put_u32(a.f, (uint32_t)strlen(name), &crc);
        put(a.f, name, strlen(name), &crc);
        put_u32(a.f, (uint32_t)n->ndim, &crc);
        for (int d = 0; d < n->ndim; d++) put_u32(a.f, (uint32_t)n->dim[d], &crc);
        for (size_t k = 0; k < n->size; k += 8) {
            unsigned char byte = 0;
            for (size_t b = 0; b < 8 && k + b < n->size; b++)
                byte |= (unsigned char)((g->state[n->offset + k + b] != 0) << b);
            put(a.f, &byte, 1, &crc);
        }
    }
    uLong body = crc;
    put_u32(a.f, (uint32_t)body, &crc);
    return qat_afile_commit(&a, e);
}

qat_status qat_mask_json_write(const qat_graph *g, const char *path, qat_error *e) {
    qat_afile a;
    qat_status st = qat_afile_open(&a, path, e);
    if (st) return st;
    qat_json j;
    qat_json_begin(&j, a.f);
    qat_json_num(&j, "sparsity", qat_prune_measured(g));
    qat_json_array(&j, "layers");
    for (int i = 0; i < g->n_nodes; i++) {
        const qat_node *n = &g->nodes[i];
        if (n->op != QAT_OP_MASK) continue;
        char name[QAT_NODE_NAME_MAX];
        layer_name(n, name, sizeof name);
        size_t zeros = 0;
        for (size_t k = 0; k < n->size; k++) zeros += g->state[n->offset + k] == 0;
        qat_json_object(&j, NULL);
        qat_json_str(&j, "layer", name);
        qat_json_array(&j, "shape");
        for (int d = 0; d < n->ndim; d++) qat_json_int(&j, NULL, n->dim[d]);
        qat_json_close(&j);
        qat_json_int(&j, "weights", (long)n->size);
        qat_json_int(&j, "pruned", (long)zeros);
        qat_json_num(&j, "sparsity", (double)zeros / (double)n->size);
        qat_json_int(&j, "block", qat_mask_block(n));
        qat_json_close(&j);
    }
    qat_json_close(&j);
    qat_json_end(&j);
    return qat_afile_commit(&a, e);
}

/* A bounds-checked little-endian cursor. */
typedef struct cursor {
    const unsigned char *p;
    size_t n, at;
} cursor;

static int get_u32(cursor *c, uint32_t *v) {
    if (c->n - c->at < 4) return 0;
    const unsigned char *b = c->p + c->at;
    *v = b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
    c->at += 4;
    return 1;
}

/* Checks one record against mask node n and copies its bits into masks (n->size floats). */
static qat_status read_layer(cursor *c, const qat_node *n, float *masks, const char *path,
                             qat_error *e) {
    uint32_t len, ndim, dim;
    char name[QAT_NODE_NAME_MAX], want[QAT_NODE_NAME_MAX];
    layer_name(n, want, sizeof want);
    if (!get_u32(c, &len) || len >= sizeof name || c->n - c->at < len) goto truncated;
    memcpy(name, c->p + c->at, len);
    name[len] = 0;
    c->at += len;
    int bad = strlen(name) != len; /* an embedded NUL: not a name */
    for (uint32_t k = 0; k < len; k++)
        if (name[k] && (name[k] < 0x20 || name[k] == 0x7f)) name[k] = '?', bad = 1; /* one-line messages */
    if (bad || strcmp(name, want))
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: masks for layer '%s' where this model has '%s' "
                             "(a mask file from another model?)", path, name, want);
    if (!get_u32(c, &ndim)) goto truncated;
    if (ndim != (uint32_t)n->ndim)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: layer '%s' mask has %u dimensions, the model's "
                             "kernel %d", path, name, ndim, n->ndim);
    for (int d = 0; d < n->ndim; d++) {
        if (!get_u32(c, &dim)) goto truncated;
        if (dim != (uint32_t)n->dim[d])
            return qat_error_set(e, QAT_ERR_FORMAT, "%s: layer '%s' mask has dimension %d of %u, the "
                                 "model's kernel %d (a mask file from another model?)", path, name,
                                 d, dim, n->dim[d]);
    }
    size_t bytes = (n->size + 7) / 8;
    if (c->n - c->at < bytes) goto truncated;
    for (size_t k = 0; k < n->size; k++) masks[k] = (float)((c->p[c->at + k / 8] >> (k % 8)) & 1);
    c->at += bytes;
    return QAT_OK;
truncated:
    return qat_error_set(e, QAT_ERR_FORMAT, "%s: truncated mask file", path);
}

/* The largest mask file of g's masks, plus 1 MiB so that a file of a somewhat larger model
 * is still read far enough to say whose it is; anything larger is refused unread. */
static uint64_t max_bytes(const qat_graph *g) {
    uint64_t n = 8 + 4 + 4 + (1u << 20);
    for (int i = 0; i < g->n_nodes; i++) {
        const qat_node *m = &g->nodes[i];
        if (m->op == QAT_OP_MASK)
            n += 4 + QAT_NODE_NAME_MAX + 4 + 4 * (uint64_t)m->ndim + (m->size + 7) / 8;
    }
    return n;
}

qat_status qat_mask_file_read(qat_graph *g, const char *path, qat_error *e) {
    void *data;
    size_t n;
    qat_status st = qat_read_file_max(path, max_bytes(g), &data, &n, e);
    if (st) return st;
    cursor c = {data, n, 8};
    uint32_t count, want = 0, crc = 0;
    for (int i = 0; i < g->n_nodes; i++) want += g->nodes[i].op == QAT_OP_MASK;
    float *masks = malloc((g->n_state + 1) * sizeof(float));
    if (!masks) st = qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", path);
    else if (n < 8 || memcmp(data, MAGIC, 8))
        st = qat_error_set(e, QAT_ERR_FORMAT, "%s: not a qatrain mask file (bad magic)", path);
    else if (!get_u32(&c, &count))
        st = qat_error_set(e, QAT_ERR_FORMAT, "%s: truncated mask file", path);
    else if (count != want)
        st = qat_error_set(e, QAT_ERR_FORMAT, "%s: masks for %u layers, this model prunes %u "
                           "(a mask file from another model?)", path, count, want);
    for (int i = 0; !st && i < g->n_nodes; i++)
        if (g->nodes[i].op == QAT_OP_MASK)
            st = read_layer(&c, &g->nodes[i], masks + g->nodes[i].offset, path, e);
    size_t body = c.at;
    if (!st && !get_u32(&c, &crc)) st = qat_error_set(e, QAT_ERR_FORMAT, "%s: truncated mask file", path);
    if (!st && c.at != n) st = qat_error_set(e, QAT_ERR_FORMAT, "%s: unexpected bytes after the checksum", path);
    if (!st && crc != (uint32_t)crc32(0L, data, (uInt)body))
        st = qat_error_set(e, QAT_ERR_FORMAT, "%s: checksum mismatch (file corrupted)", path);
    for (int i = 0; !st && i < g->n_nodes; i++) {
        const qat_node *m = &g->nodes[i];
        if (m->op == QAT_OP_MASK)
            memcpy(g->state + m->offset, masks + m->offset, m->size * sizeof(float));
    }
    free(masks);
    free(data);
    return st;
}
