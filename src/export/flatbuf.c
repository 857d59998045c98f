/* FlatBuffers: a back-to-front builder and a reader that checks every byte it touches
 * (format: google/flatbuffers docs/source/internals.md; summary in tflite-int8.md §1). */
#include "qat/flatbuf.h"

#include <stdlib.h>
#include <string.h>

#include "qat/error.h"

/* ---- little-endian bytes ---------------------------------------------------------- */

static void put_le(unsigned char *p, uint64_t v, size_t n) {
    for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le(const unsigned char *p, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static uint32_t f32_bits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static float bits_f32(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* ---- builder ---------------------------------------------------------------------- */

void qat_fb_builder_init(qat_fb_builder *b) {
    memset(b, 0, sizeof *b);
    b->max_align = 1;
}

void qat_fb_builder_free(qat_fb_builder *b) {
    free(b->buf);
    free(b->vtables);
    qat_fb_builder_init(b);
}

/* Makes room for n more bytes below the current data; sets `failed` when it cannot. */
static int reserve(qat_fb_builder *b, size_t n) {
    if (b->failed) return 0;
    if (n > QAT_FB_MAX_SIZE || b->size > QAT_FB_MAX_SIZE - n) {
        b->failed = 1;
        return 0;
    }
    if (b->buf && b->cap - b->size >= n) return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->size < n) cap *= 2;
    unsigned char *nb = malloc(cap);
    if (!nb) {
        b->failed = 1;
        return 0;
    }
    if (b->size) memcpy(nb + cap - b->size, b->buf + b->cap - b->size, b->size);
    free(b->buf);
    b->buf = nb;
    b->cap = cap;
    return 1;
}

/* Claims n bytes below the data and returns their first byte (NULL after a failure). */
static unsigned char *claim(qat_fb_builder *b, size_t n) {
    if (!reserve(b, n)) return NULL;
    b->size += n;
    return b->buf + b->cap - b->size;
}

/* Zero padding so that after `extra` more bytes the size is a multiple of align. */
static void prep(qat_fb_builder *b, size_t align, size_t extra) {
    if (b->failed) return;
    if (align > b->max_align) b->max_align = align;
    size_t pad = (align - ((b->size + extra) & (align - 1))) & (align - 1);
    if (!pad) return;
    unsigned char *p = claim(b, pad);
    if (p) memset(p, 0, pad);
}

static void push_le(qat_fb_builder *b, uint64_t v, size_t n) {
    unsigned char *p = claim(b, n);
    if (p) put_le(p, v, n);
}

static void check_not_in_table(const qat_fb_builder *b) {
    QAT_ASSERT(!b->in_table); /* strings, vectors and tables are created between tables */
}

qat_fb_ref qat_fb_create_string_n(qat_fb_builder *b, const char *s, size_t n) {
    check_not_in_table(b);
    if (n >= QAT_FB_MAX_SIZE) b->failed = 1;
    prep(b, 4, n + 1);
    unsigned char *p = claim(b, n + 1);
    if (!p) return 0;
    if (n) memcpy(p, s, n);
    p[n] = 0;
    push_le(b, n, 4);
    return b->failed ? 0 : (qat_fb_ref)b->size;
}

qat_fb_ref qat_fb_create_string(qat_fb_builder *b, const char *s) {
    return qat_fb_create_string_n(b, s, strlen(s));
}

/* Claims an aligned element block for n elements of es bytes and returns its first byte;
 * the caller fills it and then calls vec_end. */
static unsigned char *vec_begin(qat_fb_builder *b, size_t es, size_t n, size_t align) {
    check_not_in_table(b);
    if (b->failed) return NULL;
    if (n > QAT_FB_MAX_SIZE / es) {
        b->failed = 1;
        return NULL;
    }
    size_t a = es > 4 ? es : 4;
    if (align > a) a = align;
    QAT_ASSERT((a & (a - 1)) == 0);
    prep(b, a, n * es);
    return claim(b, n * es);
}

static qat_fb_ref vec_end(qat_fb_builder *b, size_t n) {
    push_le(b, n, 4);
    return b->failed ? 0 : (qat_fb_ref)b->size;
}

qat_fb_ref qat_fb_create_vec_u8(qat_fb_builder *b, const uint8_t *v, size_t n, size_t align) {
    unsigned char *p = vec_begin(b, 1, n, align);
    if (!p) return 0;
    if (n) memcpy(p, v, n);
    return vec_end(b, n);
}

qat_fb_ref qat_fb_create_vec_i32(qat_fb_builder *b, const int32_t *v, size_t n) {
    unsigned char *p = vec_begin(b, 4, n, 0);
    if (!p) return 0;
    for (size_t i = 0; i < n; i++) put_le(p + 4 * i, (uint32_t)v[i], 4);
    return vec_end(b, n);
}

qat_fb_ref qat_fb_create_vec_f32(qat_fb_builder *b, const float *v, size_t n) {
    unsigned char *p = vec_begin(b, 4, n, 0);
    if (!p) return 0;
    for (size_t i = 0; i < n; i++) put_le(p + 4 * i, f32_bits(v[i]), 4);
    return vec_end(b, n);
}

qat_fb_ref qat_fb_create_vec_i64(qat_fb_builder *b, const int64_t *v, size_t n) {
    unsigned char *p = vec_begin(b, 8, n, 0);
    if (!p) return 0;
    for (size_t i = 0; i < n; i++) put_le(p + 8 * i, (uint64_t)v[i], 8);
    return vec_end(b, n);
}

qat_fb_ref qat_fb_create_vec_refs(qat_fb_builder *b, const qat_fb_ref *v, size_t n) {
    size_t before = b->size;
    unsigned char *p = vec_begin(b, 4, n, 0);
    if (!p) return 0;
    for (size_t i = 0; i < n; i++) {
        /* element i starts at distance size - 4i from the end; its target lies higher */
        QAT_ASSERT(v[i] != 0 && v[i] <= before);
        put_le(p + 4 * i, (uint32_t)(b->size - 4 * i - v[i]), 4);
    }
    return vec_end(b, n);
}

void qat_fb_table_start(qat_fb_builder *b) {
    check_not_in_table(b);
    b->in_table = 1;
    b->table_start = b->size;
    b->n_fields = 0;
    memset(b->field, 0, sizeof b->field);
}

static void add_field(qat_fb_builder *b, int id, uint64_t v, size_t n) {
    QAT_ASSERT(b->in_table && id >= 0 && id < QAT_FB_MAX_FIELDS && b->field[id] == 0);
    prep(b, n, 0);
    push_le(b, v, n);
    if (b->failed) return;
    b->field[id] = (uint32_t)b->size;
    if (id >= b->n_fields) b->n_fields = id + 1;
}

void qat_fb_add_u8(qat_fb_builder *b, int id, uint8_t v) { add_field(b, id, v, 1); }
void qat_fb_add_i8(qat_fb_builder *b, int id, int8_t v) { add_field(b, id, (uint8_t)v, 1); }
void qat_fb_add_u16(qat_fb_builder *b, int id, uint16_t v) { add_field(b, id, v, 2); }
void qat_fb_add_i32(qat_fb_builder *b, int id, int32_t v) { add_field(b, id, (uint32_t)v, 4); }
void qat_fb_add_u32(qat_fb_builder *b, int id, uint32_t v) { add_field(b, id, v, 4); }
void qat_fb_add_f32(qat_fb_builder *b, int id, float v) { add_field(b, id, f32_bits(v), 4); }
void qat_fb_add_i64(qat_fb_builder *b, int id, int64_t v) { add_field(b, id, (uint64_t)v, 8); }
void qat_fb_add_u64(qat_fb_builder *b, int id, uint64_t v) { add_field(b, id, v, 8); }

void qat_fb_add_ref(qat_fb_builder *b, int id, qat_fb_ref r) {
    QAT_ASSERT(b->in_table);
    if (b->failed || r == 0) return;
    QAT_ASSERT(r <= b->table_start); /* made before this table started */
    prep(b, 4, 0);
    /* the field will sit at distance size + 4 from the end; the target at distance r */
    add_field(b, id, (uint32_t)(b->size + 4 - r), 4);
}

void qat_fb_add_union(qat_fb_builder *b, int type_id, uint8_t type, qat_fb_ref value) {
    qat_fb_add_u8(b, type_id, type);
    qat_fb_add_ref(b, type_id + 1, value);
}

qat_fb_ref qat_fb_table_end(qat_fb_builder *b) {
    QAT_ASSERT(b->in_table);
    b->in_table = 0;
    prep(b, 4, 0);
    push_le(b, 0, 4); /* soffset to the vtable, patched below */
    if (b->failed) return 0;
    size_t t = b->size, obj = t - b->table_start;
    size_t vt_size = 4 + 2 * (size_t)b->n_fields;
    if (obj > 0xffff) {
        b->failed = 1;
        return 0;
    }
    unsigned char vt[4 + 2 * QAT_FB_MAX_FIELDS];
    put_le(vt, vt_size, 2);
    put_le(vt + 2, obj, 2);
    for (int i = 0; i < b->n_fields; i++)
        put_le(vt + 4 + 2 * i, b->field[i] ? t - b->field[i] : 0, 2);
    /* share an identical vtable written earlier (it lies above: negative soffset) */
    for (size_t i = 0; i < b->n_vtables; i++) {
        const unsigned char *old = b->buf + b->cap - b->vtables[i];
        if (get_le(old, 2) == vt_size && memcmp(old, vt, vt_size) == 0) {
            put_le(b->buf + b->cap - t, (uint32_t)(int32_t)((int64_t)b->vtables[i] - (int64_t)t),
                   4);
            return (qat_fb_ref)t;
        }
    }
    unsigned char *p = claim(b, vt_size); /* size stays 2-aligned: t is 4-aligned, vt even */
    if (!p) return 0;
    memcpy(p, vt, vt_size);
    put_le(b->buf + b->cap - t, (uint32_t)(b->size - t), 4);
    if (b->n_vtables == b->cap_vtables) {
        size_t c = b->cap_vtables ? 2 * b->cap_vtables : 32;
        qat_fb_ref *nv = realloc(b->vtables, c * sizeof *nv);
        if (!nv) { /* not sharing would still be valid, but the same model must give the same bytes */
            b->failed = 1;
            return 0;
        }
        b->vtables = nv;
        b->cap_vtables = c;
    }
    b->vtables[b->n_vtables++] = (qat_fb_ref)b->size;
    return (qat_fb_ref)t;
}

int qat_fb_finish(qat_fb_builder *b, qat_fb_ref root, const char *ident, unsigned char **out,
                  size_t *len) {
    check_not_in_table(b);
    *out = NULL;
    *len = 0;
    size_t head = ident ? 8 : 4;
    prep(b, b->max_align > 4 ? b->max_align : 4, head);
    if (ident) {
        unsigned char *p = claim(b, 4);
        if (p) memcpy(p, ident, 4);
    }
    if (!b->failed) {
        QAT_ASSERT(root != 0 && root <= b->size);
        push_le(b, (uint32_t)(b->size + 4 - root), 4);
    }
    if (b->failed) {
        qat_fb_builder_free(b);
        return -1;
    }
    memmove(b->buf, b->buf + b->cap - b->size, b->size);
    *out = b->buf;
    *len = b->size;
    b->buf = NULL;
    qat_fb_builder_free(b);
    return 0;
}

/* ---- reader ----------------------------------------------------------------------- */

static int fail(qat_fb_reader *r, const char *why, size_t at) {
    if (!r->err) {
        r->err = why;
        r->err_at = at;
    }
    return -1;
}

static int in_range(const qat_fb_reader *r, uint64_t pos, uint64_t n) {
    return pos <= r->len && n <= r->len - pos;
}

int qat_fb_reader_init(qat_fb_reader *r, const void *buf, size_t len, const char *ident) {
    r->buf = buf;
    r->len = len;
    r->err = NULL;
    r->err_at = 0;
    if (!buf || len < 12) return fail(r, "shorter than the 12-byte minimum", 0);
    if (len > QAT_FB_MAX_SIZE) return fail(r, "larger than 2 GiB", 0);
    if (ident && memcmp(r->buf + 4, ident, 4) != 0) return fail(r, "wrong file identifier", 4);
    return 0;
}

/* Checks the table at pos and its vtable. */
static int table_at(qat_fb_reader *r, uint64_t pos, int depth, qat_fb_table *t) {
    if (depth > QAT_FB_MAX_DEPTH) return fail(r, "tables nested too deeply", (size_t)pos);
    if (pos % 4) return fail(r, "misaligned table", (size_t)pos);
    if (!in_range(r, pos, 4)) return fail(r, "table outside the buffer", (size_t)pos);
    int32_t so = (int32_t)(uint32_t)get_le(r->buf + pos, 4);
    int64_t vt = (int64_t)pos - (int64_t)so;
    if (vt < 0 || !in_range(r, (uint64_t)vt, 4))
        return fail(r, "vtable outside the buffer", (size_t)pos);
    if (vt % 2) return fail(r, "misaligned vtable", (size_t)vt);
    uint16_t vt_size = (uint16_t)get_le(r->buf + vt, 2), obj = (uint16_t)get_le(r->buf + vt + 2, 2);
    if (vt_size < 4 || vt_size % 2) return fail(r, "bad vtable size", (size_t)vt);
    if (!in_range(r, (uint64_t)vt, vt_size))
        return fail(r, "vtable outside the buffer", (size_t)vt);
    if (obj < 4) return fail(r, "bad table size", (size_t)vt);
    if (!in_range(r, pos, obj)) return fail(r, "table outside the buffer", (size_t)pos);
    t->r = r;
    t->pos = (uint32_t)pos;
    t->vt = (uint32_t)vt;
    t->vt_size = vt_size;
    t->obj_size = obj;
    t->depth = depth;
    return 0;
}

/* Follows the uoffset at p (already known to be 4 aligned and inside the buffer). */
static int follow(qat_fb_reader *r, uint64_t p, uint64_t *target) {
    uint32_t off = (uint32_t)get_le(r->buf + p, 4);
    if (off == 0) return fail(r, "zero offset", (size_t)p);
    if (off > QAT_FB_MAX_SIZE || p + off >= r->len)
        return fail(r, "offset outside the buffer", (size_t)p);
    *target = p + off;
    return 0;
}

int qat_fb_root(qat_fb_reader *r, qat_fb_table *t) {
    if (r->err) return -1;
    uint64_t target;
    if (follow(r, 0, &target)) return -1;
    return table_at(r, target, 1, t);
}

/* 1 and *p = the field's byte offset when present, 0 when absent, -1 when malformed. */
static int field_pos(const qat_fb_table *t, int id, size_t size, uint64_t *p) {
    QAT_ASSERT(id >= 0);
    size_t slot = 4 + 2 * (size_t)id;
    if (slot + 2 > t->vt_size) return 0;
    uint16_t o = (uint16_t)get_le(t->r->buf + t->vt + slot, 2);
    if (o == 0) return 0;
    if (o < 4 || o + size > t->obj_size) return fail(t->r, "field outside its table", t->pos);
    *p = (uint64_t)t->pos + o;
    if (*p % size) return fail(t->r, "misaligned field", (size_t)*p);
    return 1;
}

int qat_fb_present(const qat_fb_table *t, int id) {
    size_t slot = 4 + 2 * (size_t)id;
    return id >= 0 && slot + 2 <= t->vt_size && get_le(t->r->buf + t->vt + slot, 2) != 0;
}

static int read_scalar(const qat_fb_table *t, int id, size_t size, uint64_t def, uint64_t *v) {
    uint64_t p;
    int k = field_pos(t, id, size, &p);
    if (k < 0) return -1;
    *v = k ? get_le(t->r->buf + p, size) : def;
    return 0;
}

int qat_fb_read_u8(const qat_fb_table *t, int id, uint8_t def, uint8_t *v) {
    uint64_t x;
    if (read_scalar(t, id, 1, def, &x)) return -1;
    *v = (uint8_t)x;
    return 0;
}

int qat_fb_read_i8(const qat_fb_table *t, int id, int8_t def, int8_t *v) {
    uint64_t x;
    if (read_scalar(t, id, 1, (uint8_t)def, &x)) return -1;
    *v = (int8_t)(uint8_t)x;
    return 0;
}

int qat_fb_read_i32(const qat_fb_table *t, int id, int32_t def, int32_t *v) {
    uint64_t x;
    if (read_scalar(t, id, 4, (uint32_t)def, &x)) return -1;
    *v = (int32_t)(uint32_t)x;
    return 0;
}

int qat_fb_read_u32(const qat_fb_table *t, int id, uint32_t def, uint32_t *v) {
    uint64_t x;
    if (read_scalar(t, id, 4, def, &x)) return -1;
    *v = (uint32_t)x;
    return 0;
}

int qat_fb_read_f32(const qat_fb_table *t, int id, float def, float *v) {
    uint64_t x;
    if (read_scalar(t, id, 4, f32_bits(def), &x)) return -1;
    *v = bits_f32((uint32_t)x);
    return 0;
}

int qat_fb_read_i64(const qat_fb_table *t, int id, int64_t def, int64_t *v) {
    uint64_t x;
    if (read_scalar(t, id, 8, (uint64_t)def, &x)) return -1;
    *v = (int64_t)x;
    return 0;
}

int qat_fb_read_u64(const qat_fb_table *t, int id, uint64_t def, uint64_t *v) {
    return read_scalar(t, id, 8, def, v);
}

/* The uoffset field id: 1 and *target when present, 0 when absent, -1 when malformed. */
static int ref_field(const qat_fb_table *t, int id, uint64_t *target) {
    uint64_t p;
    int k = field_pos(t, id, 4, &p);
    if (k <= 0) return k;
    return follow(t->r, p, target) ? -1 : 1;
}

int qat_fb_read_table(const qat_fb_table *t, int id, qat_fb_table *sub, int *present) {
    uint64_t target;
    int k = ref_field(t, id, &target);
    if (present) *present = k > 0;
    if (k <= 0) return k;
    return table_at(t->r, target, t->depth + 1, sub);
}

/* Checks a vector's length prefix at pos and that its n · es bytes (+ extra) fit. */
static int vec_at(qat_fb_reader *r, uint64_t pos, size_t es, size_t extra, int depth,
                  qat_fb_vec *v) {
    if (pos % 4) return fail(r, "misaligned vector or string", (size_t)pos);
    if (!in_range(r, pos, 4)) return fail(r, "vector or string outside the buffer", (size_t)pos);
    uint32_t n = (uint32_t)get_le(r->buf + pos, 4);
    if (!in_range(r, pos + 4, (uint64_t)n * es + extra))
        return fail(r, "vector or string runs past the end of the buffer", (size_t)pos);
    v->r = r;
    v->pos = (uint32_t)(pos + 4);
    v->n = n;
    v->elem_size = (uint32_t)es;
    v->depth = depth;
    return 0;
}

int qat_fb_read_vec(const qat_fb_table *t, int id, size_t elem_size, qat_fb_vec *v, int *present) {
    QAT_ASSERT(elem_size == 1 || elem_size == 2 || elem_size == 4 || elem_size == 8);
    memset(v, 0, sizeof *v);
    v->r = t->r;
    v->elem_size = (uint32_t)elem_size;
    v->depth = t->depth;
    uint64_t target;
    int k = ref_field(t, id, &target);
    if (present) *present = k > 0;
    if (k <= 0) return k;
    return vec_at(t->r, target, elem_size, 0, t->depth, v);
}

static int string_at(qat_fb_reader *r, uint64_t pos, const char **s, uint32_t *n) {
    qat_fb_vec v;
    if (vec_at(r, pos, 1, 1, 0, &v)) return -1;
    if (r->buf[v.pos + v.n] != 0) return fail(r, "string without its NUL", (size_t)pos);
    *s = (const char *)r->buf + v.pos;
    *n = v.n;
    return 0;
}

int qat_fb_read_string(const qat_fb_table *t, int id, const char **s, uint32_t *n, int *present) {
    *s = "";
    *n = 0;
    uint64_t target;
    int k = ref_field(t, id, &target);
    if (present) *present = k > 0;
    if (k <= 0) return k;
    return string_at(t->r, target, s, n);
}

static uint64_t elem(const qat_fb_vec *v, uint32_t i, size_t es) {
    QAT_ASSERT(i < v->n && v->elem_size == es);
    return get_le(v->r->buf + v->pos + (size_t)i * es, es);
}

uint8_t qat_fb_vec_u8(const qat_fb_vec *v, uint32_t i) { return (uint8_t)elem(v, i, 1); }
int32_t qat_fb_vec_i32(const qat_fb_vec *v, uint32_t i) { return (int32_t)(uint32_t)elem(v, i, 4); }
float qat_fb_vec_f32(const qat_fb_vec *v, uint32_t i) { return bits_f32((uint32_t)elem(v, i, 4)); }
int64_t qat_fb_vec_i64(const qat_fb_vec *v, uint32_t i) { return (int64_t)elem(v, i, 8); }

const unsigned char *qat_fb_vec_data(const qat_fb_vec *v) {
    return v->n ? v->r->buf + v->pos : NULL;
}

int qat_fb_vec_table(const qat_fb_vec *v, uint32_t i, qat_fb_table *t) {
    QAT_ASSERT(i < v->n && v->elem_size == 4);
    uint64_t target;
    if (follow(v->r, (uint64_t)v->pos + 4 * (uint64_t)i, &target)) return -1;
    return table_at(v->r, target, v->depth + 1, t);
}

int qat_fb_vec_string(const qat_fb_vec *v, uint32_t i, const char **s, uint32_t *n) {
    QAT_ASSERT(i < v->n && v->elem_size == 4);
    uint64_t target;
    if (follow(v->r, (uint64_t)v->pos + 4 * (uint64_t)i, &target)) return -1;
    return string_at(v->r, target, s, n);
}
