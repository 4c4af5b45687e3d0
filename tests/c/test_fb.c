/*
 * tml_fb.h on hand-made buffers: well-formed tables, vectors and strings
 * read back correctly, and every offset that leaves the buffer (or would
 * overflow on the way) is refused instead of followed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "test_harness.h"
#include "tml_fb.h"

static uint8_t mem[256];

static void put_u16(uint32_t pos, uint16_t v) {
    memcpy(mem + pos, &v, 2);
}
static void put_u32(uint32_t pos, uint32_t v) {
    memcpy(mem + pos, &v, 4);
}

/*
 * Layout of the reference buffer (all little-endian):
 *   0: root uoffset -> 24
 *   8: vtable: vt_len 14, tbl_len 24, field offsets {4, 8, 0 (absent), 12, 16}
 *  24: table: soffset 16 (-> vtable at 8)
 *      +4  field 0: int32 -7
 *      +8  field 1: uoffset -> vector at 64
 *      +12 field 3: uoffset -> string at 96
 *      +16 field 4: int64 0x1122334455667788 (8 bytes, table ends at +24)
 *  64: vector of 3 uint32 {10, 20, 30}
 *  80: vector of 1 table offset (filled in by test_vector_of_tables)
 *  96: string "conv" (length 4)
 */
static tml_fb reference(void) {
    memset(mem, 0, sizeof mem);
    put_u32(0, 24);
    put_u16(8, 14);
    put_u16(10, 24);
    put_u16(12, 4);
    put_u16(14, 8);
    put_u16(16, 0);
    put_u16(18, 12);
    put_u16(20, 16);
    put_u32(24, 16);
    put_u32(28, (uint32_t)-7);
    put_u32(32, 64 - 32);
    put_u32(36, 96 - 36);
    put_u32(40, 0x55667788u);
    put_u32(44, 0x11223344u);
    put_u32(64, 3);
    put_u32(68, 10);
    put_u32(72, 20);
    put_u32(76, 30);
    put_u32(80, 1); /* its element offset is set by test_vector_of_tables */
    put_u32(96, 4);
    memcpy(mem + 100, "conv", 4);
    tml_fb fb = {mem, 104};
    return fb;
}

static void test_well_formed_reads(void) {
    tml_fb fb = reference();
    tml_fb_table t;
    CHECK(tml_fb_table_at(&fb, 24, &t), "table at 24 should be valid");
    CHECK_EQ_INT(t.pos, 24);
    CHECK_EQ_INT(t.vtable, 8);
    CHECK_EQ_INT(t.vt_len, 14);
    CHECK_EQ_INT(t.tbl_len, 24);
    CHECK_EQ_INT(tml_fb_i32(&fb, &t, 0, 99), -7);
    CHECK_EQ_INT(tml_fb_i32(&fb, &t, 2, 99), 99);  /* offset 0 in the vtable: default */
    CHECK_EQ_INT(tml_fb_i32(&fb, &t, 5, 123), 123); /* past the vtable: default */
    CHECK_EQ_INT(tml_fb_i32(&fb, &t, 400, 5), 5);
    CHECK(tml_fb_i64(&fb, &t, 4, 0) == 0x1122334455667788ll, "int64 field");
    CHECK_EQ_INT(tml_fb_u8(&fb, &t, 0, 0), 0xF9); /* low byte of -7 */
    CHECK_EQ_INT(tml_fb_i8(&fb, &t, 0, 0), -7);
    CHECK(tml_fb_bool(&fb, &t, 0, false), "nonzero byte reads as true");
    CHECK(tml_fb_bool(&fb, &t, 2, true), "absent bool gives its default");

    tml_fb_vec v;
    CHECK(tml_fb_vector(&fb, &t, 1, 4, &v), "vector field 1");
    CHECK_EQ_INT(v.count, 3);
    CHECK_EQ_INT(v.pos, 68);
    CHECK_EQ_INT(tml_rd_u32(fb.buf + v.pos + 8), 30);
    CHECK(tml_fb_vector(&fb, &t, 2, 4, &v) && v.count == 0 && v.pos == 0, "absent vector is empty and valid");

    uint32_t len = 99;
    const char *s = tml_fb_string(&fb, &t, 3, &len);
    CHECK(s != NULL && len == 4 && memcmp(s, "conv", 4) == 0, "string field 3");
    s = tml_fb_string(&fb, &t, 2, &len);
    CHECK(s == NULL && len == 0, "absent string");
}

static void test_table_checks(void) {
    tml_fb fb = reference();
    tml_fb_table t;
    CHECK(!tml_fb_table_at(&fb, 0, &t) && t.pos == 0, "position 0 means absent");
    CHECK(!tml_fb_table_at(&fb, 26, &t), "misaligned table");
    CHECK(!tml_fb_table_at(&fb, 104, &t), "table at the end of the buffer");
    CHECK(!tml_fb_table_at(&fb, 0xFFFFFFFCu, &t), "table far past the end");

    put_u32(24, 24); /* vtable at 0: below the smallest legal position */
    CHECK(!tml_fb_table_at(&fb, 24, &t), "vtable at offset 0");
    put_u32(24, (uint32_t)-200); /* vtable after the end */
    CHECK(!tml_fb_table_at(&fb, 24, &t), "vtable past the end");
    put_u32(24, 0x80000000u); /* vtable far before the start (would wrap in 32 bits) */
    CHECK(!tml_fb_table_at(&fb, 24, &t), "vtable offset INT32_MIN");
    put_u32(24, 0x7FFFFFFFu);
    CHECK(!tml_fb_table_at(&fb, 24, &t), "vtable offset INT32_MAX");
    put_u32(24, 15); /* odd vtable position */
    CHECK(!tml_fb_table_at(&fb, 24, &t), "odd vtable position");

    fb = reference();
    put_u16(8, 3);
    CHECK(!tml_fb_table_at(&fb, 24, &t), "vtable length below 4");
    put_u16(8, 15);
    CHECK(!tml_fb_table_at(&fb, 24, &t), "odd vtable length");
    put_u16(8, 200);
    CHECK(!tml_fb_table_at(&fb, 24, &t), "vtable longer than the buffer");

    fb = reference();
    put_u16(10, 2);
    CHECK(!tml_fb_table_at(&fb, 24, &t), "inline table length below 4");
    put_u16(10, 90);
    CHECK(!tml_fb_table_at(&fb, 24, &t), "inline table longer than the buffer");

    /* A field whose offset lies inside the vtable but whose bytes leave the table. */
    fb = reference();
    put_u16(12, 22); /* field 0 at +22: 4 bytes would end at +26 > 24 */
    CHECK(tml_fb_table_at(&fb, 24, &t), "table itself still valid");
    CHECK_EQ_INT(tml_fb_field(&fb, &t, 0, 4), 0);
    CHECK_EQ_INT(tml_fb_i32(&fb, &t, 0, 77), 77);
    CHECK(tml_fb_field(&fb, &t, 0, 2) == 24 + 22, "a 2-byte read at +22 still fits");
    put_u16(20, 20); /* the int64 at +20 would end at +28 */
    CHECK_EQ_INT(tml_fb_i64(&fb, &t, 4, -1), -1);

    /* A table cut short by the buffer end. */
    fb = reference();
    fb.len = 40;
    CHECK(!tml_fb_table_at(&fb, 24, &t), "table extends past a 40-byte buffer");
}

static void test_reference_checks(void) {
    tml_fb fb = reference();
    tml_fb_table t, sub;
    tml_fb_vec v;
    tml_fb_table_at(&fb, 24, &t);

    put_u32(32, 0); /* uoffset 0 */
    CHECK_EQ_INT(tml_fb_ref(&fb, &t, 1), 0);
    CHECK(!tml_fb_vector(&fb, &t, 1, 4, &v), "present vector with offset 0 is invalid");
    put_u32(32, 200); /* past the end */
    CHECK_EQ_INT(tml_fb_ref(&fb, &t, 1), 0);
    CHECK(!tml_fb_vector(&fb, &t, 1, 4, &v), "vector offset past the end");
    put_u32(32, 0xFFFFFFF0u); /* wraps around in 32 bits */
    CHECK_EQ_INT(tml_fb_ref(&fb, &t, 1), 0);
    put_u32(32, 104 - 32); /* exactly at the end: no room for the length word */
    CHECK(!tml_fb_vector(&fb, &t, 1, 4, &v), "vector length word past the end");

    fb = reference();
    put_u32(64, 10); /* 10 elements of 4 bytes do not fit */
    CHECK(!tml_fb_vector(&fb, &t, 1, 4, &v), "vector count larger than the buffer");
    put_u32(64, 0x40000001u); /* count * 4 overflows 32 bits to 4 */
    CHECK(!tml_fb_vector(&fb, &t, 1, 4, &v), "vector count * size overflow");
    put_u32(64, 36); /* 36 bytes fit exactly (68 + 36 = 104) */
    CHECK(tml_fb_vector(&fb, &t, 1, 1, &v) && v.count == 36, "byte vector reaching the end exactly");
    put_u32(64, 37);
    CHECK(!tml_fb_vector(&fb, &t, 1, 1, &v), "byte vector one past the end");

    /* String whose length runs off the end. */
    fb = reference();
    put_u32(96, 5);
    uint32_t len = 1;
    CHECK(tml_fb_string(&fb, &t, 3, &len) == NULL && len == 0, "truncated string");

    /* Sub-table through a reference: field 1 pointed at the table itself. */
    fb = reference();
    put_u32(32, (uint32_t)(24 - 32)); /* negative uoffset: not allowed (unsigned, would wrap) */
    CHECK(!tml_fb_subtable(&fb, &t, 1, &sub) && sub.pos == 0, "backward uoffset");
}

static void test_vector_of_tables(void) {
    tml_fb fb = reference();
    tml_fb_vec v;
    tml_fb_table elem;
    /* Vector at 80 with one uoffset. Offsets are unsigned and forward only,
     * so point it at a second copy of the table placed after it. */
    put_u32(84, 112 - 84);
    put_u32(112, (uint32_t)(112 - 8)); /* soffset back to the same vtable */
    put_u32(116, 5);
    fb.len = 136;
    CHECK(tml_fb_vec_at(&fb, 80, 4, &v) && v.count == 1, "vector of tables");
    CHECK(tml_fb_vec_table(&fb, &v, 0, &elem) && elem.pos == 112, "element 0");
    CHECK(!tml_fb_vec_table(&fb, &v, 1, &elem) && elem.pos == 0, "element 1 is out of range");
    CHECK(!tml_fb_vec_table(&fb, &v, 0xFFFFFFFFu, &elem), "huge element index");
    put_u32(84, 0);
    CHECK(!tml_fb_vec_table(&fb, &v, 0, &elem), "element offset 0");
    put_u32(84, 1000);
    CHECK(!tml_fb_vec_table(&fb, &v, 0, &elem), "element offset past the end");
    put_u32(84, 112 - 84 + 2);
    CHECK(!tml_fb_vec_table(&fb, &v, 0, &elem), "misaligned element table");
    CHECK(!tml_fb_vec_at(&fb, 0, 4, &v), "vector at position 0");
    CHECK(!tml_fb_vec_at(&fb, 134, 4, &v), "vector length word cut by the end");
}

static void test_in_range(void) {
    tml_fb fb = {mem, 100};
    CHECK(tml_fb_in(&fb, 0, 100), "whole buffer");
    CHECK(tml_fb_in(&fb, 100, 0), "empty range at the end");
    CHECK(!tml_fb_in(&fb, 100, 1), "one byte past the end");
    CHECK(!tml_fb_in(&fb, 101, 0), "position past the end");
    CHECK(!tml_fb_in(&fb, 4, 0xFFFFFFFFu), "size overflow");
    CHECK(!tml_fb_in(&fb, 0xFFFFFFFFu, 2), "position overflow");
}

/* Reads at every truncation of the reference buffer stay inside it: each
 * truncation is copied into a heap block of exactly that size, so the
 * sanitizer build catches any byte read outside [0, len). */
static void test_truncations_stay_inside(void) {
    int valid_tables = 0;
    for (uint32_t len = 0; len <= 104; len++) {
        reference();
        uint8_t *copy = malloc(len ? len : 1);
        memcpy(copy, mem, len);
        tml_fb fb = {copy, len};
        tml_fb_table t;
        tml_fb_vec v;
        uint32_t slen;
        if (tml_fb_table_at(&fb, 24, &t)) {
            valid_tables++;
            (void)tml_fb_i64(&fb, &t, 4, 0);
            (void)tml_fb_vector(&fb, &t, 1, 4, &v);
            (void)tml_fb_string(&fb, &t, 3, &slen);
        }
        free(copy);
    }
    CHECK_EQ_INT(valid_tables, 104 - 48 + 1); /* the table needs bytes [8, 48) */
}

int main(void) {
    test_well_formed_reads();
    test_table_checks();
    test_reference_checks();
    test_vector_of_tables();
    test_in_range();
    test_truncations_stay_inside();
    return harness_finish();
}
