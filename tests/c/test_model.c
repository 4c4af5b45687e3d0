/*
 * The engine's life cycle on real models (../shared/models, run from the
 * project root): load / prepare / set_arena / invoke give TFLM's outputs,
 * memory handed to the engine may be misaligned or dirty, and every call
 * made out of order or with too little memory is refused with a message
 * that names the problem.
 *
 * Expected outputs are TFLM's (pip tflite-micro) for the same inputs; the
 * kws / resnet / ad01 ones are the documented anchors of
 * ../shared/docs/perf-anchors.md (input byte i = (7 * i) mod 256).
 */
#define _POSIX_C_SOURCE 200112L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_harness.h"
#include "tinyml.h"

#define MODELS_DIR "../shared/models/"

typedef struct {
    uint8_t *bytes;
    size_t len;
} blob;

static blob read_model(const char *name) {
    blob b = {NULL, 0};
    char path[256];
    snprintf(path, sizeof path, MODELS_DIR "%s.tflite", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        CHECK(f != NULL, "cannot open %s (run from the project root; ../shared must exist)", path);
        return b;
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    b.bytes = malloc((size_t)n + 16);
    b.len = fread(b.bytes, 1, (size_t)n, f) == (size_t)n ? (size_t)n : 0;
    fclose(f);
    return b;
}

static void *alloc_aligned(size_t n) {
    void *p = NULL;
    return posix_memalign(&p, 16, n ? n : 1) == 0 ? p : NULL;
}

static int contains(const char *haystack, const char *needle) {
    return strstr(haystack, needle) != NULL;
}

/* A model taken all the way to "ready"; state and arena are heap blocks. */
typedef struct {
    tml_model m;
    void *state;
    void *arena;
    int ok;
} ready_model;

static ready_model make_ready(const blob *b) {
    ready_model r;
    memset(&r, 0, sizeof r);
    if (b->bytes == NULL) {
        return r;
    }
    tml_status st = tml_load(&r.m, b->bytes, b->len);
    CHECK(st == TML_OK, "tml_load: %s", r.m.error);
    if (st != TML_OK) {
        return r;
    }
    r.state = alloc_aligned(r.m.state_bytes);
    st = tml_prepare(&r.m, r.state, r.m.state_bytes);
    CHECK(st == TML_OK, "tml_prepare: %s", r.m.error);
    if (st != TML_OK) {
        return r;
    }
    r.arena = alloc_aligned(r.m.arena_bytes);
    st = tml_set_arena(&r.m, r.arena, r.m.arena_bytes);
    CHECK(st == TML_OK, "tml_set_arena: %s", r.m.error);
    r.ok = st == TML_OK;
    return r;
}

static void free_ready(ready_model *r) {
    free(r->state);
    free(r->arena);
}

static void fill_anchor_input(tml_tensor *t) {
    int8_t *x = t->data;
    for (uint32_t i = 0; i < t->bytes; i++) {
        x[i] = (int8_t)(uint8_t)((7u * i) % 256u);
    }
}

static void test_hello_world_int8(void) {
    blob b = read_model("hello_world_int8");
    ready_model r = make_ready(&b);
    if (r.ok) {
        CHECK_EQ_INT(r.m.num_inputs, 1);
        CHECK_EQ_INT(r.m.num_outputs, 1);
        CHECK_EQ_INT(tml_node_count(&r.m), 3);
        CHECK(strcmp(tml_node_op_name(&r.m, 0), "FULLY_CONNECTED") == 0, "node 0 is %s", tml_node_op_name(&r.m, 0));
        CHECK(tml_node_op_version(&r.m, 0) >= 1, "node 0 version %d", tml_node_op_version(&r.m, 0));
        tml_tensor *in = tml_input(&r.m, 0), *out = tml_output(&r.m, 0);
        CHECK(in != NULL && out != NULL, "input and output records");
        CHECK(tml_input(&r.m, 1) == NULL && tml_input(&r.m, -1) == NULL, "input index out of range gives NULL");
        CHECK(tml_output(&r.m, 1) == NULL, "output index out of range gives NULL");
        CHECK_EQ_INT(in->type, TML_INT8);
        CHECK(in->ndim == 2 && in->dims[0] == 1 && in->dims[1] == 1, "input shape [1, 1]");
        CHECK_EQ_INT(in->bytes, 1);
        CHECK_EQ_INT(in->zero_point, -128);
        CHECK(in->scale == 0.024480115622282028f, "input scale %.9g", (double)in->scale);
        CHECK_EQ_INT(out->zero_point, 5);

        size_t name_len = 0;
        const char *name = tml_tensor_name(&r.m, r.m.input_tensors[0], &name_len);
        const char *want_name = "serving_default_dense_input:0";
        CHECK(name != NULL && name_len == strlen(want_name) && memcmp(name, want_name, name_len) == 0,
            "input tensor name");
        CHECK(tml_tensor_name(&r.m, 9999, &name_len) == NULL, "name of tensor 9999");

        size_t meta_len = 0;
        const uint8_t *meta = tml_metadata(&r.m, "min_runtime_version", &meta_len);
        CHECK(meta != NULL && meta_len >= 6 && memcmp(meta, "1.14.0", 6) == 0, "min_runtime_version metadata");
        CHECK(tml_metadata(&r.m, "no_such_entry", &meta_len) == NULL, "absent metadata");

        /* TFLM's outputs for these inputs. */
        static const int8_t xs[] = {-128, -100, 0, 5, 127};
        static const int8_t ys[] = {4, 80, 4, -8, -9};
        for (int i = 0; i < 5; i++) {
            *(int8_t *)in->data = xs[i];
            tml_status st = tml_invoke(&r.m);
            CHECK(st == TML_OK, "invoke: %s", r.m.error);
            CHECK(*(int8_t *)out->data == ys[i], "x=%d: got %d, TFLM gives %d", xs[i], *(int8_t *)out->data, ys[i]);
        }
        CHECK_EQ_INT(tml_reset(&r.m), TML_OK);
    }
    free_ready(&r);
    free(b.bytes);
}

static void test_hello_world_float(void) {
    blob b = read_model("hello_world_float");
    ready_model r = make_ready(&b);
    if (r.ok) {
        static const float xs[] = {0.0f, 1.0f, 3.0f};
        static const float ys[] = {0.02640528976917267f, 0.8630436062812805f, 0.12764602899551392f};
        tml_tensor *in = tml_input(&r.m, 0), *out = tml_output(&r.m, 0);
        CHECK_EQ_INT(in->type, TML_FLOAT32);
        for (int i = 0; i < 3; i++) {
            memcpy(in->data, &xs[i], 4);
            CHECK_EQ_INT(tml_invoke(&r.m), TML_OK);
            float y;
            memcpy(&y, out->data, 4);
            CHECK(memcmp(&y, &ys[i], 4) == 0, "x=%g: got %.9g, TFLM gives %.9g", (double)xs[i], (double)y,
                (double)ys[i]);
        }
    }
    free_ready(&r);
    free(b.bytes);
}

static void check_anchor(const char *name, const int8_t *want, int count) {
    blob b = read_model(name);
    ready_model r = make_ready(&b);
    if (r.ok) {
        fill_anchor_input(tml_input(&r.m, 0));
        tml_status st = tml_invoke(&r.m);
        CHECK(st == TML_OK, "%s invoke: %s", name, r.m.error);
        const int8_t *y = tml_output(&r.m, 0)->data;
        int bad = 0;
        for (int i = 0; i < count; i++) {
            bad += y[i] != want[i];
        }
        CHECK(bad == 0, "%s: %d of %d anchor outputs differ (first: got %d, want %d)", name, bad, count, y[0], want[0]);
    }
    free_ready(&r);
    free(b.bytes);
}

static void test_documented_anchors(void) {
    static const int8_t kws[] = {-128, -128, -128, -128, -128, -128, -128, -128, -128, 122, -128, -122};
    static const int8_t resnet[] = {-128, -128, -128, 127, -128, -128, -128, -128, -128, -128};
    static const int8_t ad01[] = {-31, 23, 54, 72, 63, 60, 60, 76, 63, 57, 57, 52, 38, 37, 34, 36};
    check_anchor("kws_ref_model", kws, 12);
    check_anchor("pretrainedResnet_quant", resnet, 10);
    check_anchor("ad01_int8", ad01, 16);
}

/* The outputs must not depend on the memory's alignment or previous contents. */
static void test_misaligned_and_dirty_memory(void) {
    static const int8_t kws[] = {-128, -128, -128, -128, -128, -128, -128, -128, -128, 122, -128, -122};
    blob b = read_model("kws_ref_model");
    if (b.bytes == NULL) {
        return;
    }
    /* Model bytes at an odd address: constants are read from a misaligned buffer. */
    uint8_t *odd = malloc(b.len + 1);
    memcpy(odd + 1, b.bytes, b.len);
    tml_model m;
    tml_status st = tml_load(&m, odd + 1, b.len);
    CHECK(st == TML_OK, "load from an odd address: %s", m.error);
    if (st == TML_OK) {
        uint8_t *state = alloc_aligned(m.state_bytes);
        memset(state, 0xA5, m.state_bytes);
        st = tml_prepare(&m, state, m.state_bytes);
        CHECK(st == TML_OK, "prepare: %s", m.error);
        CHECK(m.state_used_bytes <= m.state_bytes, "state_used_bytes %u > state_bytes %u",
            (unsigned)m.state_used_bytes, (unsigned)m.state_bytes);
        /* The tail beyond state_used_bytes may be given back: poison it. */
        memset(state + m.state_used_bytes, 0x5A, m.state_bytes - m.state_used_bytes);
        /* Arena at base + 3 (the engine aligns it itself), full of garbage. */
        size_t arena_len = m.arena_bytes + TML_ALIGN;
        uint8_t *arena_block = alloc_aligned(arena_len + 3);
        memset(arena_block, 0xEE, arena_len + 3);
        if (st == TML_OK) {
            st = tml_set_arena(&m, arena_block + 3, arena_len);
            CHECK(st == TML_OK, "set_arena at an odd address with %u spare bytes: %s", TML_ALIGN, m.error);
        }
        if (st == TML_OK) {
            CHECK(((uintptr_t)m.arena & (TML_ALIGN - 1)) == 0, "arena used at an aligned address");
            for (int run = 0; run < 2; run++) {
                fill_anchor_input(tml_input(&m, 0));
                st = tml_invoke(&m);
                CHECK(st == TML_OK, "invoke: %s", m.error);
                CHECK(memcmp(tml_output(&m, 0)->data, kws, 12) == 0, "run %d: outputs differ from the anchor", run);
            }
            int tail_touched = 0;
            for (size_t i = m.state_used_bytes; i < m.state_bytes; i++) {
                tail_touched += state[i] != 0x5A;
            }
            CHECK(tail_touched == 0, "%d bytes past state_used_bytes changed after prepare", tail_touched);
        }
        free(arena_block);
        free(state);
    }
    free(odd);
    free(b.bytes);
}

static void test_profiling_hook(void);

static void test_call_order_and_memory_errors(void) {
    blob b = read_model("hello_world_int8");
    if (b.bytes == NULL) {
        return;
    }
    tml_model m;
    CHECK_EQ_INT(tml_load(&m, b.bytes, b.len), TML_OK);
    CHECK(m.state_bytes > 0, "state_bytes known after load");

    /* set_arena / invoke before prepare. */
    uint8_t arena_small[64];
    CHECK_EQ_INT(tml_set_arena(&m, arena_small, sizeof arena_small), TML_ERR_STATE);
    CHECK(contains(m.error, "prepare"), "message: %s", m.error);
    CHECK_EQ_INT(tml_invoke(&m), TML_ERR_STATE);
    CHECK(contains(m.error, "tml_set_arena"), "message: %s", m.error);

    /* State block one word too small: the message gives both sizes. */
    uint8_t *state = alloc_aligned(m.state_bytes);
    size_t given = m.state_bytes - 4;
    CHECK_EQ_INT(tml_prepare(&m, state, given), TML_ERR_ARENA);
    char want[96];
    snprintf(want, sizeof want, "needs %u bytes, given %u", (unsigned)m.state_bytes, (unsigned)given);
    CHECK(contains(m.error, want) && contains(m.error, "state"), "message: %s (want \"%s\")", m.error, want);
    /* ... and a model whose prepare failed has no arena to take. */
    CHECK_EQ_INT(tml_set_arena(&m, arena_small, sizeof arena_small), TML_ERR_STATE);

    /* Misaligned state. */
    CHECK_EQ_INT(tml_prepare(&m, state + 1, m.state_bytes - 1), TML_ERR_ARGUMENT);
    CHECK(contains(m.error, "aligned"), "message: %s", m.error);
    CHECK_EQ_INT(tml_prepare(&m, NULL, m.state_bytes), TML_ERR_ARGUMENT);

    /* The right block works after those refusals. */
    CHECK_EQ_INT(tml_prepare(&m, state, m.state_bytes), TML_OK);
    CHECK(m.arena_bytes > 0, "arena_bytes known after prepare");
    CHECK_EQ_INT(tml_prepare(&m, state, m.state_bytes), TML_ERR_STATE); /* twice */
    CHECK_EQ_INT(tml_invoke(&m), TML_ERR_STATE);
    CHECK(contains(m.error, "tml_set_arena"), "invoke before set_arena: %s", m.error);

    /* Arena one byte too small, aligned: the message gives both sizes. */
    uint8_t *arena = alloc_aligned(m.arena_bytes);
    CHECK_EQ_INT(tml_set_arena(&m, arena, m.arena_bytes - 1), TML_ERR_ARENA);
    snprintf(want, sizeof want, "needs %u bytes, given %u", (unsigned)m.arena_bytes, (unsigned)(m.arena_bytes - 1));
    CHECK(contains(m.error, want) && contains(m.error, "arena"), "message: %s (want \"%s\")", m.error, want);
    CHECK_EQ_INT(tml_set_arena(&m, NULL, m.arena_bytes), TML_ERR_ARENA);
    /* Exactly arena_bytes at a misaligned address is too small: alignment costs bytes. */
    uint8_t *arena_block = alloc_aligned(m.arena_bytes + TML_ALIGN);
    CHECK_EQ_INT(tml_set_arena(&m, arena_block + 1, m.arena_bytes), TML_ERR_ARENA);
    snprintf(want, sizeof want, "needs %u bytes", (unsigned)(m.arena_bytes + TML_ALIGN - 1));
    CHECK(contains(m.error, want), "message: %s (want \"%s\")", m.error, want);
    CHECK_EQ_INT(tml_invoke(&m), TML_ERR_STATE); /* still no arena */

    CHECK_EQ_INT(tml_set_arena(&m, arena, m.arena_bytes), TML_OK);
    CHECK_EQ_INT(tml_invoke(&m), TML_OK);
    /* A second arena may replace the first. */
    CHECK_EQ_INT(tml_set_arena(&m, arena_block, m.arena_bytes + TML_ALIGN), TML_OK);
    CHECK_EQ_INT(tml_invoke(&m), TML_OK);
    CHECK(m.error_node == -1, "error_node after success: %d", m.error_node);

    free(arena_block);
    free(arena);
    free(state);
    free(b.bytes);
    test_profiling_hook();
}

static uint32_t fake_ticks;
static uint32_t fake_clock(void) {
    return fake_ticks += 10;
}

static void test_profiling_hook(void) {
    blob b = read_model("hello_world_int8");
    ready_model r = make_ready(&b);
    if (r.ok) {
        uint32_t ticks[3] = {0, 0, 0};
        r.m.clock = fake_clock;
        r.m.op_ticks = ticks;
        CHECK_EQ_INT(tml_invoke(&r.m), TML_OK);
        CHECK(ticks[0] == 10 && ticks[1] == 10 && ticks[2] == 10, "op ticks %u %u %u, want 10 each",
            (unsigned)ticks[0], (unsigned)ticks[1], (unsigned)ticks[2]);
    }
    free_ready(&r);
    free(b.bytes);
}

static void test_load_errors(void) {
    tml_model m;
    CHECK_EQ_INT(tml_load(&m, NULL, 0), TML_ERR_MODEL);
    CHECK(contains(m.error, "too short"), "message: %s", m.error);
    static const uint8_t junk[64] = {0x10, 0, 0, 0, 'T', 'F', 'L', '2'};
    CHECK_EQ_INT(tml_load(&m, junk, sizeof junk), TML_ERR_MODEL);
    CHECK(contains(m.error, "TFL3"), "message: %s", m.error);
    /* A failed load leaves nothing to prepare. */
    uint8_t state[64];
    CHECK_EQ_INT(tml_prepare(&m, state, sizeof state), TML_ERR_STATE);
    CHECK_EQ_INT(tml_node_count(&m), 0);

    /* The hybrid KWS model (float activations, int8 weights), which TFLM
     * refuses, loads and prepares: errors are for models we cannot run. */
    blob b = read_model("kws_ref_model_float32");
    if (b.bytes != NULL) {
        tml_status st = tml_load(&m, b.bytes, b.len);
        if (st == TML_OK) {
            uint8_t *s = alloc_aligned(m.state_bytes);
            st = tml_prepare(&m, s, m.state_bytes);
            free(s);
        }
        CHECK(st == TML_OK, "hybrid model: status %s: %s", tml_status_name(st), m.error);
        CHECK(m.error_node == -1, "error_node %d, want -1", m.error_node);
    }
    free(b.bytes);
}

static void test_names_and_sizes(void) {
    CHECK(strcmp(tml_status_name(TML_OK), "ok") == 0, "status name of TML_OK: %s", tml_status_name(TML_OK));
    CHECK(tml_status_name((tml_status)99) != NULL, "status name of an unknown code");
    CHECK_EQ_INT(tml_dtype_size(TML_INT8), 1);
    CHECK_EQ_INT(tml_dtype_size(TML_INT16), 2);
    CHECK_EQ_INT(tml_dtype_size(TML_INT32), 4);
    CHECK_EQ_INT(tml_dtype_size(TML_FLOAT32), 4);
    CHECK_EQ_INT(tml_dtype_size(TML_UINT8), 1);
    CHECK_EQ_INT(tml_dtype_size(12345), 0);
    CHECK(strcmp(tml_dtype_name(TML_INT8), "int8") == 0, "dtype name: %s", tml_dtype_name(TML_INT8));
    CHECK(strcmp(tml_dtype_name(TML_FLOAT32), "float32") == 0, "dtype name: %s", tml_dtype_name(TML_FLOAT32));
    CHECK(strcmp(tml_builtin_name(3), "CONV_2D") == 0, "builtin 3: %s", tml_builtin_name(3));
    CHECK(strcmp(tml_builtin_name(9), "FULLY_CONNECTED") == 0, "builtin 9: %s", tml_builtin_name(9));
    CHECK(tml_builtin_name(-1) == NULL && tml_builtin_name(100000) == NULL, "out-of-range builtin codes");

    /* The operators the reference models need are all in this build. */
    static const char *const needed[] = {"ADD", "AVERAGE_POOL_2D", "CONV_2D", "DEPTHWISE_CONV_2D",
        "FULLY_CONNECTED", "RESHAPE", "SOFTMAX"};
    int found[7] = {0}, count = 0, version = 0;
    const char *op;
    while ((op = tml_supported_op(count, &version)) != NULL && count < 1000) {
        CHECK(version >= 1, "%s max version %d", op, version);
        for (int i = 0; i < 7; i++) {
            found[i] |= strcmp(op, needed[i]) == 0;
        }
        count++;
    }
    CHECK(count < 1000, "tml_supported_op never returned NULL");
    for (int i = 0; i < 7; i++) {
        CHECK(found[i], "%s missing from tml_supported_op", needed[i]);
    }
    CHECK(tml_supported_op(-1, &version) == NULL, "tml_supported_op(-1)");
}

static void test_per_channel_scales(void) {
    blob b = read_model("kws_ref_model");
    ready_model r = make_ready(&b);
    if (r.ok) {
        /* Find a per-channel tensor (the conv weights) and compare channel 0 with the record. */
        int seen = 0;
        for (int i = 0; i < r.m.num_tensors; i++) {
            const tml_tensor *t = &r.m.tensors[i];
            if (t->num_channels > 1) {
                seen++;
                CHECK(tml_tensor_channel_scale(&r.m, t, 0) == t->scale, "tensor %d channel 0 scale", i);
                CHECK(tml_tensor_channel_zero_point(&r.m, t, t->num_channels - 1) == 0,
                    "tensor %d: weights are symmetric", i);
                CHECK(tml_tensor_channel_scale(&r.m, t, t->num_channels - 1) > 0.0f, "tensor %d last channel", i);
                CHECK(t->dims[t->channels_dim] == t->num_channels, "tensor %d: %u channels along dim %u", i,
                    (unsigned)t->num_channels, (unsigned)t->channels_dim);
            }
        }
        CHECK(seen >= 9, "kws has 9 per-channel weight tensors (and their biases), found %d", seen);
    }
    free_ready(&r);
    free(b.bytes);
}

int main(void) {
    test_hello_world_int8();
    test_hello_world_float();
    test_documented_anchors();
    test_misaligned_and_dirty_memory();
    test_call_order_and_memory_errors();
    test_load_errors();
    test_names_and_sizes();
    test_per_channel_scales();
    return harness_finish();
}
