/*
 * Bounds-checked FlatBuffers reading.
 *
 * Every read goes through these functions, and every one of them checks its
 * offsets against the buffer length first: a truncated or hostile model can
 * make a read fail, never make it leave the buffer. Multi-byte values are
 * read with memcpy, so the model buffer may have any alignment.
 *
 * Positions are byte offsets from the start of the buffer; 0 means "absent"
 * (no table, vector or string can start at offset 0, where the root offset is).
 */
#ifndef TML_FB_H
#define TML_FB_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

typedef struct {
    const uint8_t *buf;
    uint32_t len;
} tml_fb;

/* A table whose vtable and inline extent have been checked. */
typedef struct {
    uint32_t pos;      /* table start; 0 if the table is absent */
    uint32_t vtable;   /* vtable start */
    uint16_t vt_len;   /* vtable length in bytes */
    uint16_t tbl_len;  /* inline table length in bytes */
} tml_fb_table;

/* A vector: `count` elements starting at `pos` (after the length word). */
typedef struct {
    uint32_t pos;
    uint32_t count;
} tml_fb_vec;

static inline uint32_t tml_rd_u32(const uint8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v; /* TFLite files are little-endian, as are all our targets */
}
static inline int32_t tml_rd_i32(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}
static inline uint16_t tml_rd_u16(const uint8_t *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
static inline float tml_rd_f32(const uint8_t *p) {
    float v;
    memcpy(&v, p, 4);
    return v;
}
static inline int64_t tml_rd_i64(const uint8_t *p) {
    int64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Is [pos, pos + size) inside the buffer? (Overflow-safe.) */
static inline bool tml_fb_in(const tml_fb *fb, uint32_t pos, uint32_t size) {
    return pos <= fb->len && size <= fb->len - pos;
}

/* Checks the table at `pos` and its vtable; false if either leaves the buffer. */
static inline bool tml_fb_table_at(const tml_fb *fb, uint32_t pos, tml_fb_table *t) {
    t->pos = 0;
    if (pos == 0 || (pos & 3) != 0 || !tml_fb_in(fb, pos, 4)) {
        return false;
    }
    int64_t vt = (int64_t)pos - (int64_t)tml_rd_i32(fb->buf + pos);
    if (vt < 4 || vt > (int64_t)fb->len - 4 || (vt & 1) != 0) {
        return false;
    }
    uint16_t vt_len = tml_rd_u16(fb->buf + vt);
    uint16_t tbl_len = tml_rd_u16(fb->buf + vt + 2);
    if (vt_len < 4 || (vt_len & 1) != 0 || !tml_fb_in(fb, (uint32_t)vt, vt_len) || tbl_len < 4 ||
        !tml_fb_in(fb, pos, tbl_len)) {
        return false;
    }
    t->pos = pos;
    t->vtable = (uint32_t)vt;
    t->vt_len = vt_len;
    t->tbl_len = tbl_len;
    return true;
}

/* Position of field `field` if present and `size` bytes of it lie inside the
 * table, else 0. */
static inline uint32_t tml_fb_field(const tml_fb *fb, const tml_fb_table *t, int field, uint32_t size) {
    uint32_t slot = 4u + 2u * (uint32_t)field;
    if (t->pos == 0 || slot + 2u > t->vt_len) {
        return 0;
    }
    uint16_t off = tml_rd_u16(fb->buf + t->vtable + slot);
    if (off == 0 || (uint32_t)off + size > t->tbl_len) {
        return 0;
    }
    return t->pos + off;
}

/* Scalar fields with defaults, as the schema gives them. */
static inline int32_t tml_fb_i32(const tml_fb *fb, const tml_fb_table *t, int field, int32_t dflt) {
    uint32_t p = tml_fb_field(fb, t, field, 4);
    return p ? tml_rd_i32(fb->buf + p) : dflt;
}
static inline uint32_t tml_fb_u32(const tml_fb *fb, const tml_fb_table *t, int field, uint32_t dflt) {
    uint32_t p = tml_fb_field(fb, t, field, 4);
    return p ? tml_rd_u32(fb->buf + p) : dflt;
}
static inline int64_t tml_fb_i64(const tml_fb *fb, const tml_fb_table *t, int field, int64_t dflt) {
    uint32_t p = tml_fb_field(fb, t, field, 8);
    return p ? tml_rd_i64(fb->buf + p) : dflt;
}
static inline float tml_fb_f32(const tml_fb *fb, const tml_fb_table *t, int field, float dflt) {
    uint32_t p = tml_fb_field(fb, t, field, 4);
    return p ? tml_rd_f32(fb->buf + p) : dflt;
}
static inline int tml_fb_u8(const tml_fb *fb, const tml_fb_table *t, int field, int dflt) {
    uint32_t p = tml_fb_field(fb, t, field, 1);
    return p ? fb->buf[p] : dflt;
}
static inline int tml_fb_i8(const tml_fb *fb, const tml_fb_table *t, int field, int dflt) {
    uint32_t p = tml_fb_field(fb, t, field, 1);
    return p ? (int)(int8_t)fb->buf[p] : dflt;
}
static inline bool tml_fb_bool(const tml_fb *fb, const tml_fb_table *t, int field, bool dflt) {
    uint32_t p = tml_fb_field(fb, t, field, 1);
    return p ? fb->buf[p] != 0 : dflt;
}

/* Follows the uoffset stored in a reference field; 0 if absent or out of range. */
static inline uint32_t tml_fb_ref(const tml_fb *fb, const tml_fb_table *t, int field) {
    uint32_t p = tml_fb_field(fb, t, field, 4);
    if (p == 0) {
        return 0;
    }
    uint32_t off = tml_rd_u32(fb->buf + p);
    if (off == 0 || off > fb->len - p) {
        return 0;
    }
    return p + off;
}

/* Sub-table field. Returns true and fills *out if present and valid; *out
 * has pos 0 if absent. `*bad` is set if present but invalid. */
static inline bool tml_fb_subtable(const tml_fb *fb, const tml_fb_table *t, int field, tml_fb_table *out) {
    out->pos = 0;
    uint32_t p = tml_fb_ref(fb, t, field);
    return p != 0 && tml_fb_table_at(fb, p, out);
}

/* Vector at `pos` (pointing at its length word) of `elem_size`-byte elements. */
static inline bool tml_fb_vec_at(const tml_fb *fb, uint32_t pos, uint32_t elem_size, tml_fb_vec *v) {
    v->pos = 0;
    v->count = 0;
    if (pos == 0 || !tml_fb_in(fb, pos, 4)) {
        return false;
    }
    uint32_t n = tml_rd_u32(fb->buf + pos);
    if (elem_size != 0 && n > (fb->len - pos - 4) / elem_size) {
        return false;
    }
    v->pos = pos + 4;
    v->count = n;
    return true;
}

/* Vector field; an absent field gives an empty vector and true. False only if
 * the field is present but leaves the buffer. */
static inline bool tml_fb_vector(const tml_fb *fb, const tml_fb_table *t, int field, uint32_t elem_size,
    tml_fb_vec *v) {
    v->pos = 0;
    v->count = 0;
    if (tml_fb_field(fb, t, field, 4) == 0) {
        return true;
    }
    uint32_t p = tml_fb_ref(fb, t, field);
    return p != 0 && tml_fb_vec_at(fb, p, elem_size, v);
}

/* Element i of a vector of tables. */
static inline bool tml_fb_vec_table(const tml_fb *fb, const tml_fb_vec *v, uint32_t i, tml_fb_table *out) {
    out->pos = 0;
    if (i >= v->count) {
        return false;
    }
    uint32_t slot = v->pos + 4u * i;
    uint32_t off = tml_rd_u32(fb->buf + slot);
    if (off == 0 || off > fb->len - slot) {
        return false;
    }
    return tml_fb_table_at(fb, slot + off, out);
}

/* String field: pointer to its bytes (not NUL-terminated) and length; NULL if
 * absent or invalid. */
static inline const char *tml_fb_string(const tml_fb *fb, const tml_fb_table *t, int field, uint32_t *len) {
    tml_fb_vec v;
    *len = 0;
    if (!tml_fb_vector(fb, t, field, 1, &v) || v.pos == 0) {
        return NULL;
    }
    *len = v.count;
    return (const char *)fb->buf + v.pos;
}

#endif /* TML_FB_H */
