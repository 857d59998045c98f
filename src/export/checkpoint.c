/* Checkpoint files (format in checkpoint.h). Serialised into memory, checksummed, then
 * written atomically; parsed with a bounds-checked cursor. */
#include "qat/checkpoint.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "qat/io.h"

static const char MAGIC[8] = "QATCKPT";

/* What kind of model a checkpoint holds: the fake-quant (QAT) graph has the float model's
 * layers and parameters but other state, and a file of one kind never loads into the other. */
static uint32_t model_kind(const qat_model *m) {
    for (int i = 0; i < m->g.n_nodes; i++)
        if (m->g.nodes[i].op == QAT_OP_FAKE_QUANT) return QAT_CHECKPOINT_FAKE_QUANT;
    return 0;
}

static const char *kind_text(uint32_t kind) {
    return kind & QAT_CHECKPOINT_FAKE_QUANT ? "a QAT model (the fake-quant graph, as qat.ckpt)"
                                            : "a float model (as float.ckpt)";
}

static uint64_t fnv(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return h;
}

static uint64_t fnv_int(uint64_t h, long v) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)((unsigned long)v >> (8 * i));
    return fnv(h, b, 8);
}

uint64_t qat_model_signature(const qat_model *m) {
    uint64_t h = 14695981039346656037ULL;
    h = fnv_int(h, m->window);
    h = fnv_int(h, m->channels);
    h = fnv_int(h, m->n_classes);
    h = fnv_int(h, m->n_layers);
    for (int i = 0; i < m->n_layers; i++) {
        const qat_layer_spec *s = &m->spec[i];
        h = fnv(h, s->name, strlen(s->name));
        long f[7] = {s->kind, s->units, s->kernel, s->pool, s->padding, s->activation, s->use_bias};
        for (int j = 0; j < 7; j++) h = fnv_int(h, f[j]);
        if (m->in.ndim != 3) continue; /* 1-D models keep the signatures they always had */
        long g[7] = {s->kernel_h, s->kernel_w, s->stride_h, s->stride_w, s->pool_h, s->pool_w,
                     s->depth_multiplier};
        for (int j = 0; j < 7; j++) h = fnv_int(h, g[j]);
    }
    if (m->in.ndim == 3) { /* images: the (height, width) the window (H·W) came from */
        h = fnv_int(h, m->in.dim[0]);
        h = fnv_int(h, m->in.dim[1]);
    }
    h = fnv_int(h, (long)m->g.n_params);
    return fnv_int(h, (long)m->g.n_state);
}

/* A growing little-endian byte buffer. */
typedef struct wbuf {
    unsigned char *p;
    size_t n, cap;
    int oom;
} wbuf;

static void put(wbuf *b, const void *data, size_t n) {
    if (b->oom) return;
    if (b->n + n > b->cap) {
        size_t cap = (b->n + n) * 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_u32(wbuf *b, uint32_t v) {
    unsigned char x[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16),
                          (unsigned char)(v >> 24)};
    put(b, x, 4);
}

static void put_u64(wbuf *b, uint64_t v) {
    put_u32(b, (uint32_t)v);
    put_u32(b, (uint32_t)(v >> 32));
}

static void put_f32s(wbuf *b, const float *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &v[i], 4);
        put_u32(b, u);
    }
}

qat_status qat_checkpoint_save(const qat_model *m, const char *path, qat_error *e) {
    wbuf b = {0};
    put(&b, MAGIC, 8);
    put_u32(&b, QAT_CHECKPOINT_VERSION);
    put_u32(&b, model_kind(m));
    put_u64(&b, qat_model_signature(m));
    put_u32(&b, (uint32_t)m->window);
    put_u32(&b, (uint32_t)m->channels);
    put_u32(&b, (uint32_t)m->n_classes);
    put_u32(&b, (uint32_t)m->n_layers);
    put_u64(&b, m->g.n_params);
    put_u64(&b, m->g.n_state);
    put_u32(&b, (uint32_t)m->norm.kind);
    put_u32(&b, (uint32_t)m->norm.channels);
    put_f32s(&b, m->norm.min, (size_t)m->norm.channels);
    put_f32s(&b, m->norm.max, (size_t)m->norm.channels);
    put_f32s(&b, m->g.params, m->g.n_params);
    put_f32s(&b, m->g.state, m->g.n_state);
    if (!b.oom) put_u32(&b, (uint32_t)crc32(0L, b.p, (uInt)b.n));
    qat_status st = b.oom ? qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", path)
                          : qat_write_file(path, b.p, b.n, e);
    free(b.p);
    return st;
}

/* A bounds-checked reader: every get fails once the data runs out. */
typedef struct rbuf {
    const unsigned char *p;
    size_t n, at;
} rbuf;

static int get(rbuf *r, void *dst, size_t n) {
    if (r->n - r->at < n) return 0;
    memcpy(dst, r->p + r->at, n);
    r->at += n;
    return 1;
}

static int get_u32(rbuf *r, uint32_t *v) {
    unsigned char x[4];
    if (!get(r, x, 4)) return 0;
    *v = x[0] | (uint32_t)x[1] << 8 | (uint32_t)x[2] << 16 | (uint32_t)x[3] << 24;
    return 1;
}

static int get_u64(rbuf *r, uint64_t *v) {
    uint32_t lo, hi;
    if (!get_u32(r, &lo) || !get_u32(r, &hi)) return 0;
    *v = lo | (uint64_t)hi << 32;
    return 1;
}

static int get_f32s(rbuf *r, float *v, size_t n) {
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        if (!get_u32(r, &u)) return 0;
        memcpy(&v[i], &u, 4);
    }
    return 1;
}

/* The signature differs: say how the file's model differs from this one. */
static qat_status another_model(const qat_model *m, const char *path, const uint32_t *dims,
                                uint64_t np, uint64_t ns, qat_error *e) {
    static const char *const what[4] = {"window", "channel count", "class count",
                                        "layer count"};
    const long mine[4] = {m->window, m->channels, m->n_classes, m->n_layers};
    char diff[200];
    int i = 0;
    while (i < 4 && (long)dims[i] == mine[i]) i++;
    if (i < 4)
        snprintf(diff, sizeof diff, "its %s is %u, this config's %ld", what[i], dims[i], mine[i]);
    else if (np != m->g.n_params)
        snprintf(diff, sizeof diff, "it has %llu parameters, this config's %zu",
                 (unsigned long long)np, m->g.n_params);
    else if (ns != m->g.n_state)
        snprintf(diff, sizeof diff, "it has %llu state values, this config's %zu (another kind "
                 "of model with the same layers)", (unsigned long long)ns, m->g.n_state);
    else
        snprintf(diff, sizeof diff, "the same sizes, but other layers (names, kinds, kernels, "
                 "padding or activations)");
    return qat_error_set(e, QAT_ERR_FORMAT, "%s: checkpoint is from another model: %s", path,
                         diff);
}

static qat_status parse(qat_model *m, const char *path, rbuf *r, float *params, float *state,
                        qat_norm *norm, qat_error *e) {
    char magic[8];
    uint32_t version, flags, dims[4], kind, nch;
    uint64_t sig, np, ns;
    if (!get(r, magic, 8) || memcmp(magic, MAGIC, 8) != 0)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: not a qatrain checkpoint (bad magic)", path);
    if (!get_u32(r, &version) || !get_u32(r, &flags)) goto truncated;
    if (version != QAT_CHECKPOINT_VERSION)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: checkpoint version %u, this qatrain reads %u",
                             path, version, QAT_CHECKPOINT_VERSION);
    if (flags & ~QAT_CHECKPOINT_FAKE_QUANT) /* a file that sets another needs a newer reader */
        return qat_error_set(e, QAT_ERR_FORMAT,
                             "%s: checkpoint flags 0x%x are unknown to this qatrain", path, flags);
    if (flags != model_kind(m))
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: holds %s; this needs %s", path,
                             kind_text(flags), kind_text(model_kind(m)));
    if (!get_u64(r, &sig)) goto truncated;
    for (int i = 0; i < 4; i++)
        if (!get_u32(r, &dims[i])) goto truncated;
    if (!get_u64(r, &np) || !get_u64(r, &ns) || !get_u32(r, &kind) || !get_u32(r, &nch))
        goto truncated;
    if (sig != qat_model_signature(m) || np != m->g.n_params || ns != m->g.n_state)
        return another_model(m, path, dims, np, ns, e);
    if (kind >= QAT_NORM_KIND_COUNT || nch > QAT_MAX_CHANNELS)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: bad normalisation record", path);
    norm->kind = (qat_norm_kind)kind;
    norm->channels = (int)nch;
    if (!get_f32s(r, norm->min, nch) || !get_f32s(r, norm->max, nch) ||
        !get_f32s(r, params, np) || !get_f32s(r, state, ns))
        goto truncated;
    uint32_t crc;
    size_t body = r->at;
    if (!get_u32(r, &crc)) goto truncated;
    if (r->at != r->n)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: %zu unexpected bytes after the checksum", path,
                             r->n - r->at);
    if (crc != (uint32_t)crc32(0L, r->p, (uInt)body))
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: checksum mismatch (file corrupted)", path);
    /* intact, but not what qat_norm_fit makes and qat_norm_apply relies on */
    if (kind != QAT_NORM_NONE && nch != (uint32_t)m->channels)
        return qat_error_set(e, QAT_ERR_FORMAT, "%s: bad normalisation record (%u channels, the "
                             "model has %d)", path, nch, m->channels);
    for (uint32_t k = 0; kind != QAT_NORM_NONE && k < nch; k++)
        if (!isfinite(norm->min[k]) || !isfinite(norm->max[k]) || !(norm->max[k] > norm->min[k]))
            return qat_error_set(e, QAT_ERR_FORMAT, "%s: bad normalisation record (axis %u: "
                                 "min %g, max %g)", path, k, (double)norm->min[k],
                                 (double)norm->max[k]);
    return QAT_OK;
truncated:
    return qat_error_set(e, QAT_ERR_FORMAT, "%s: truncated checkpoint (%zu bytes)", path, r->n);
}

/* The largest checkpoint of m (a full normalisation record), plus 1 MiB so that a file of a
 * somewhat larger model is still read far enough to say whose it is; anything larger is
 * refused unread (memory stays bounded by the model, whatever file is named). */
static uint64_t max_bytes(const qat_model *m) {
    uint64_t fixed = 8 + 4 + 4 + 8 + 4 * 4 + 8 + 8 + 4 + 4 + 8 * QAT_MAX_CHANNELS + 4;
    return fixed + 4 * ((uint64_t)m->g.n_params + m->g.n_state) + (1u << 20);
}

/* Trained weights are finite: a file whose CRC holds over NaN or infinite ones was saved
 * from a diverged run, and training from it would only diverge again. */
static qat_status check_finite(const float *params, size_t n, const char *path, qat_error *e) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(params[i]))
            return qat_error_set(e, QAT_ERR_FORMAT, "%s: parameter %zu of %zu is %s", path, i, n,
                                 isnan(params[i]) ? "NaN" : "infinite");
    return QAT_OK;
}

qat_status qat_checkpoint_load(qat_model *m, const char *path, qat_error *e) {
    void *data;
    size_t n;
    qat_status st = qat_read_file_max(path, max_bytes(m), &data, &n, e);
    if (st) return st;
    rbuf r = {data, n, 0};
    float *params = malloc((m->g.n_params + 1) * sizeof(float));
    float *state = malloc((m->g.n_state + 1) * sizeof(float));
    qat_norm norm = {0};
    if (!params || !state)
        st = qat_error_set(e, QAT_ERR_NOMEM, "%s: out of memory", path);
    else
        st = parse(m, path, &r, params, state, &norm, e);
    if (!st) st = check_finite(params, m->g.n_params, path, e);
    if (!st) {
        memcpy(m->g.params, params, m->g.n_params * sizeof(float));
        memcpy(m->g.state, state, m->g.n_state * sizeof(float));
        m->norm = norm;
    }
    free(params);
    free(state);
    free(data);
    return st;
}
