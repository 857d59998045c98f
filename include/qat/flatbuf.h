/* qatrain — a small FlatBuffers builder and a bounds-checked reader (tflite-int8.md §1).
 *
 * Builder. The buffer is built back to front, as FlatBuffers' own builders do: every object
 * is written below the ones already written, so a parent created after its children always
 * refers to them with a forward (positive) uoffset. An object is named by a qat_fb_ref, its
 * distance from the END of the buffer (stable while the buffer grows downward); 0 is never a
 * valid object. Alignment is kept relative to the end and the finished buffer is padded to a
 * multiple of the largest alignment used, so every alignment also holds from byte 0.
 * Everything is written byte by byte, little-endian; padding is zero, so the same calls give
 * the same bytes. Tables: qat_fb_table_start, any qat_fb_add_* (each field is written exactly
 * when added: an absent field is one never added, a default is written if added), then
 * qat_fb_table_end, which writes the vtable (identical vtables are shared). Strings, vectors
 * and tables cannot be created while a table is open. Allocation failure is sticky: later
 * calls do nothing and return 0, and qat_fb_finish reports it — callers check once, at the
 * end. Misuse (nested tables, a field id >= QAT_FB_MAX_FIELDS) is a programming error and
 * aborts.
 *
 * Reader. qat_fb_reader wraps an untrusted byte buffer; every accessor checks what it
 * touches — the uoffset is nonzero and lands inside the buffer, tables and uoffsets are
 * 4-aligned, vtables 2-aligned with an even size >= 4, each field lies inside its table's
 * inline size, scalars are aligned to their size, vector/string length prefixes are
 * 4-aligned and the elements (and a string's NUL) fit, nesting is at most QAT_FB_MAX_DEPTH —
 * so a malformed or truncated buffer yields an error, never an out-of-bounds read. Values
 * are read byte by byte, so a misaligned buffer in memory is harmless. Accessors return 0 on
 * success, -1 on failure; the first failure's description (a string literal) and byte offset
 * are kept in the reader for the caller's message. Nothing is allocated. */
#ifndef QAT_FLATBUF_H
#define QAT_FLATBUF_H

#include <stddef.h>
#include <stdint.h>

#define QAT_FB_MAX_FIELDS 64       /* field ids per table the builder supports */
#define QAT_FB_MAX_DEPTH 64        /* table nesting the reader accepts (FlatBuffers' limit) */
#define QAT_FB_MAX_SIZE 0x7fffffffu /* buffers must be smaller than 2 GiB */

typedef uint32_t qat_fb_ref; /* an object's distance from the buffer's end; 0 = none */

typedef struct qat_fb_builder {
    unsigned char *buf;  /* the bytes written so far live at buf[cap - size, cap) */
    size_t cap, size;
    size_t max_align;    /* largest alignment requested; the finished size is a multiple */
    int failed;          /* sticky: an allocation failed or the buffer passed 2 GiB */
    int in_table;        /* a table is open */
    size_t table_start;  /* size when the open table started */
    int n_fields;        /* highest field id added + 1 */
    uint32_t field[QAT_FB_MAX_FIELDS]; /* each added field's ref (0 = absent) */
    qat_fb_ref *vtables; /* every vtable written, for sharing */
    size_t n_vtables, cap_vtables;
} qat_fb_builder;

void qat_fb_builder_init(qat_fb_builder *b);
void qat_fb_builder_free(qat_fb_builder *b);

/* Strings: u32 length, the bytes, a NUL the length does not count. */
qat_fb_ref qat_fb_create_string(qat_fb_builder *b, const char *s);
qat_fb_ref qat_fb_create_string_n(qat_fb_builder *b, const char *s, size_t n);
/* Vectors of scalars: u32 count, then the elements. `align` (a power of two, or 0) raises
 * the alignment of the first byte, e.g. 16 for Buffer.data (force_align: 16). */
qat_fb_ref qat_fb_create_vec_u8(qat_fb_builder *b, const uint8_t *v, size_t n, size_t align);
qat_fb_ref qat_fb_create_vec_i32(qat_fb_builder *b, const int32_t *v, size_t n);
qat_fb_ref qat_fb_create_vec_f32(qat_fb_builder *b, const float *v, size_t n);
qat_fb_ref qat_fb_create_vec_i64(qat_fb_builder *b, const int64_t *v, size_t n);
/* Vector of tables or strings: each element a uoffset from its own position. */
qat_fb_ref qat_fb_create_vec_refs(qat_fb_builder *b, const qat_fb_ref *v, size_t n);

void qat_fb_table_start(qat_fb_builder *b);
void qat_fb_add_u8(qat_fb_builder *b, int id, uint8_t v);   /* also bool, ubyte, enums : byte */
void qat_fb_add_i8(qat_fb_builder *b, int id, int8_t v);
void qat_fb_add_u16(qat_fb_builder *b, int id, uint16_t v);
void qat_fb_add_i32(qat_fb_builder *b, int id, int32_t v);
void qat_fb_add_u32(qat_fb_builder *b, int id, uint32_t v);
void qat_fb_add_f32(qat_fb_builder *b, int id, float v);
void qat_fb_add_i64(qat_fb_builder *b, int id, int64_t v);
void qat_fb_add_u64(qat_fb_builder *b, int id, uint64_t v);
/* A uoffset field to a string, vector or table created before this table started. r == 0
 * (nothing, or an earlier failure) leaves the field absent. */
void qat_fb_add_ref(qat_fb_builder *b, int id, qat_fb_ref r);
/* A union: the u8 tag at field `type_id`, the member table's uoffset at `type_id + 1`. */
void qat_fb_add_union(qat_fb_builder *b, int type_id, uint8_t type, qat_fb_ref value);
qat_fb_ref qat_fb_table_end(qat_fb_builder *b);

/* Writes the root uoffset and the 4-byte file identifier (or none when ident is NULL),
 * pads to max_align and hands the finished bytes to the caller (*out, free() it; *len).
 * Returns 0, or -1 (nothing handed over) when an earlier allocation failed. The builder is
 * empty afterwards and may be reused. */
int qat_fb_finish(qat_fb_builder *b, qat_fb_ref root, const char *ident, unsigned char **out,
                  size_t *len);

typedef struct qat_fb_reader {
    const unsigned char *buf; /* borrowed */
    size_t len;
    const char *err;          /* first failure (a string literal), NULL while none */
    size_t err_at;            /* its byte offset */
} qat_fb_reader;

typedef struct qat_fb_table {
    qat_fb_reader *r;
    uint32_t pos;       /* table start (the soffset) */
    uint32_t vt;        /* vtable start */
    uint16_t vt_size;   /* vtable bytes */
    uint16_t obj_size;  /* inline table bytes */
    int depth;          /* 1 for the root */
} qat_fb_table;

typedef struct qat_fb_vec {
    qat_fb_reader *r;
    uint32_t pos;       /* first element */
    uint32_t n;         /* element count; 0 for an absent vector */
    uint32_t elem_size;
    int depth;          /* of the table holding it */
} qat_fb_vec;

/* Checks the size (12 bytes .. 2 GiB) and, when ident is non-NULL, the 4-byte identifier. */
int qat_fb_reader_init(qat_fb_reader *r, const void *buf, size_t len, const char *ident);
int qat_fb_root(qat_fb_reader *r, qat_fb_table *t);

/* 1 when field id has a (nonzero) vtable entry. */
int qat_fb_present(const qat_fb_table *t, int id);
/* Scalars: *v = the field's value, or def when absent. */
int qat_fb_read_u8(const qat_fb_table *t, int id, uint8_t def, uint8_t *v);
int qat_fb_read_i8(const qat_fb_table *t, int id, int8_t def, int8_t *v);
int qat_fb_read_i32(const qat_fb_table *t, int id, int32_t def, int32_t *v);
int qat_fb_read_u32(const qat_fb_table *t, int id, uint32_t def, uint32_t *v);
int qat_fb_read_f32(const qat_fb_table *t, int id, float def, float *v);
int qat_fb_read_i64(const qat_fb_table *t, int id, int64_t def, int64_t *v);
int qat_fb_read_u64(const qat_fb_table *t, int id, uint64_t def, uint64_t *v);
/* Sub-objects; *present (may be NULL) says whether the field was there. An absent vector
 * has n == 0, an absent string is "" with length 0. */
int qat_fb_read_table(const qat_fb_table *t, int id, qat_fb_table *sub, int *present);
int qat_fb_read_vec(const qat_fb_table *t, int id, size_t elem_size, qat_fb_vec *v, int *present);
int qat_fb_read_string(const qat_fb_table *t, int id, const char **s, uint32_t *n, int *present);

/* Elements of a checked vector; i < v->n is the caller's promise (asserted). */
uint8_t qat_fb_vec_u8(const qat_fb_vec *v, uint32_t i);
int32_t qat_fb_vec_i32(const qat_fb_vec *v, uint32_t i);
float qat_fb_vec_f32(const qat_fb_vec *v, uint32_t i);
int64_t qat_fb_vec_i64(const qat_fb_vec *v, uint32_t i);
const unsigned char *qat_fb_vec_data(const qat_fb_vec *v); /* n · elem_size bytes */
/* Elements of a vector of tables / strings (elem_size 4): each uoffset is checked. */
int qat_fb_vec_table(const qat_fb_vec *v, uint32_t i, qat_fb_table *t);
int qat_fb_vec_string(const qat_fb_vec *v, uint32_t i, const char **s, uint32_t *n);

#endif
