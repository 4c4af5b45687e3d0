/*
 * Bounds-checked reading of FlexBuffers maps: the custom options of custom
 * operators (TFLM's signal operators store theirs as one map of scalars,
 * e.g. {"fft_length": 512, "T": 7}).
 *
 * FlexBuffers layout, as far as a map of scalars needs it: the buffer ends
 * with the root value, its packed type byte and its width byte. A map value
 * is an unsigned offset back to its values vector; before the values sit
 * (each `width` bytes) the offset back to the keys vector, the keys' width
 * and the element count; after the values, one packed type byte per value
 * (type << 2 | bit width code). Keys are offsets back to NUL-terminated
 * strings, sorted. Every offset and every byte read here is checked against
 * the buffer: a hostile model gets "bad custom options", never a read
 * outside the options.
 */
#ifndef TML_FLEXBUFFERS_H
#define TML_FLEXBUFFERS_H

#include <stdbool.h>
#include <stdint.h>

#include "tml_kernel.h"

/* FlexBuffers value types (flexbuffers.h: FBT_*) this reader understands. */
enum {
    TML_FLEX_INT = 1,
    TML_FLEX_UINT = 2,
    TML_FLEX_MAP = 9,
    TML_FLEX_BOOL = 26,
};

typedef struct {
    const uint8_t *buf;
    uint32_t len;
    uint32_t values;     /* position of the first value */
    uint32_t count;      /* number of entries */
    uint32_t keys;       /* position of the first key offset */
    uint8_t width;       /* bytes per value */
    uint8_t key_width;   /* bytes per key offset */
} tml_flex_map;

/* Unsigned little-endian integer of `width` bytes (1, 2, 4 or 8) at p. */
static inline uint64_t tml_flex_read_u(const uint8_t *p, uint32_t width) {
    uint64_t v = 0;
    for (uint32_t i = width; i-- > 0;) {
        v = (v << 8) | p[i];
    }
    return v;
}

static inline bool tml_flex_valid_width(uint32_t w) {
    return w == 1 || w == 2 || w == 4 || w == 8;
}

/* The position `offset` bytes before `pos`, if [that, that + size) is inside. */
static inline bool tml_flex_back(const tml_flex_map *map, uint32_t pos, uint64_t offset, uint32_t size, uint32_t *out) {
    if (offset > pos || size > map->len || pos - (uint32_t)offset > map->len - size) {
        return false;
    }
    *out = pos - (uint32_t)offset;
    return true;
}

/* Reads the root of the `len` bytes at buf as a map; false if it is not one
 * or any part of it lies outside the buffer. */
static inline bool tml_flex_root_map(const uint8_t *buf, uint32_t len, tml_flex_map *map) {
    map->buf = buf;
    map->len = len;
    map->count = 0;
    if (len < 3) {
        return false;
    }
    const uint32_t root_width = buf[len - 1];
    const uint8_t root_type = buf[len - 2];
    if (!tml_flex_valid_width(root_width) || len - 2 < root_width || (root_type >> 2) != TML_FLEX_MAP) {
        return false;
    }
    const uint32_t root_pos = len - 2 - root_width;
    const uint32_t width = 1u << (root_type & 3);
    uint32_t values;
    if (!tml_flex_back(map, root_pos, tml_flex_read_u(buf + root_pos, root_width), 0, &values) || values < 3 * width) {
        return false;
    }
    const uint64_t count = tml_flex_read_u(buf + values - width, width);
    const uint64_t key_width = tml_flex_read_u(buf + values - 2 * width, width);
    const uint32_t keys_field = values - 3 * width;
    uint32_t keys;
    /* The values and their type bytes, then the keys (with their count before them). */
    if (count > (len - values) / (width + 1) || !tml_flex_valid_width((uint32_t)key_width) || count * key_width > len ||
        !tml_flex_back(map, keys_field, tml_flex_read_u(buf + keys_field, width), (uint32_t)(count * key_width), &keys)) {
        return false;
    }
    map->values = values;
    map->count = (uint32_t)count;
    map->keys = keys;
    map->width = (uint8_t)width;
    map->key_width = (uint8_t)key_width;
    return true;
}

/* Does the NUL-terminated key string at `pos` equal `name`? */
static inline bool tml_flex_key_is(const tml_flex_map *map, uint32_t pos, const char *name) {
    uint32_t i = 0;
    for (; pos + i < map->len && name[i] != 0; i++) {
        if (map->buf[pos + i] != (uint8_t)name[i]) {
            return false;
        }
    }
    return name[i] == 0 && pos + i < map->len && map->buf[pos + i] == 0;
}

/* Looks up `key` and reads it as an integer (inline int, uint or bool).
 * Returns 1 if found and read, 0 if the key is absent, -1 if present but not
 * an integer or malformed. */
static inline int tml_flex_map_int(const tml_flex_map *map, const char *key, int64_t *out) {
    for (uint32_t i = 0; i < map->count; i++) {
        const uint32_t slot = map->keys + i * map->key_width;
        uint32_t key_pos;
        if (!tml_flex_back(map, slot, tml_flex_read_u(map->buf + slot, map->key_width), 1, &key_pos)) {
            return -1;
        }
        if (!tml_flex_key_is(map, key_pos, key)) {
            continue;
        }
        const uint8_t type = map->buf[map->values + map->count * map->width + i] >> 2;
        const uint64_t raw = tml_flex_read_u(map->buf + map->values + i * map->width, map->width);
        if (type == TML_FLEX_INT) {
            /* Sign-extend from the value's width. */
            const uint32_t unused_bits = 64u - 8u * map->width;
            *out = (int64_t)(raw << unused_bits) >> unused_bits;
        } else if (type == TML_FLEX_UINT || type == TML_FLEX_BOOL) {
            if (raw > (uint64_t)INT64_MAX) {
                return -1;
            }
            *out = (int64_t)raw;
        } else {
            return -1;
        }
        return 1;
    }
    return 0;
}

/* The node's custom options as a map; tml_fail (naming the problem) if the
 * node has none or they are not a well-formed map. */
static inline tml_status tml_custom_options(tml_model *m, const tml_node *node, tml_flex_map *map) {
    tml_fb fb = tml_model_fb(m);
    tml_fb_vec v;
    memset(map, 0, sizeof(*map));
    if (node->custom_pos == 0 || !tml_fb_vec_at(&fb, node->custom_pos, 1, &v) ||
        !tml_flex_root_map(m->buf + v.pos, v.count, map)) {
        return tml_fail(m, TML_ERR_MODEL, "custom options are missing or not a FlexBuffers map");
    }
    return TML_OK;
}

/* Integer option `key`, which must be present and within [lo, hi]. */
static inline tml_status tml_custom_int(tml_model *m, const tml_flex_map *map, const char *key, int32_t lo, int32_t hi,
    int32_t *out) {
    int64_t v = 0;
    const int found = tml_flex_map_int(map, key, &v);
    if (found == 0) {
        return tml_fail(m, TML_ERR_MODEL, "custom option '%s' is missing", key);
    }
    if (found < 0) {
        return tml_fail(m, TML_ERR_MODEL, "custom option '%s' is not an integer", key);
    }
    if (v < lo || v > hi) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "custom option '%s' is %d, must be in [%d, %d]", key,
            (int)(v < INT32_MIN ? INT32_MIN : v > INT32_MAX ? INT32_MAX : v), (int)lo, (int)hi);
    }
    *out = (int32_t)v;
    return TML_OK;
}

#endif /* TML_FLEXBUFFERS_H */
