/*
 * libFuzzer target: any byte string through the whole life cycle.
 *
 * tml_load; if it accepts, tml_prepare into a heap state block of exactly
 * state_bytes; if that works and the arena is small enough to be worth it,
 * tml_set_arena with exactly arena_bytes and tml_invoke. Every block is its
 * own heap allocation of the exact size, so AddressSanitizer sees any access
 * past what the engine asked for. Build and run with scripts/fuzz.sh.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tinyml.h"

/* Larger arenas are skipped: they cost time, not coverage. */
#define FUZZ_MAX_ARENA (4u * 1024u * 1024u)
#define FUZZ_MAX_STATE (16u * 1024u * 1024u)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    /* The model bytes in their own exact-size block (libFuzzer's may be larger). */
    uint8_t *model_bytes = malloc(size ? size : 1);
    if (model_bytes == NULL) {
        return 0;
    }
    memcpy(model_bytes, data, size);

    tml_model m;
    if (tml_load(&m, model_bytes, size) != TML_OK) {
        if (m.error[0] == '\0' || memchr(m.error, '\0', sizeof m.error) == NULL) {
            abort(); /* every refusal must leave a terminated message */
        }
        free(model_bytes);
        return 0;
    }
    if (m.state_bytes == 0 || m.state_bytes > FUZZ_MAX_STATE) {
        free(model_bytes);
        return 0;
    }
    void *state = malloc(m.state_bytes);
    if (state != NULL && tml_prepare(&m, state, m.state_bytes) == TML_OK && m.arena_bytes <= FUZZ_MAX_ARENA) {
        size_t arena_len = m.arena_bytes ? m.arena_bytes : 1;
        uint8_t *arena = malloc(arena_len);
        if (arena != NULL && tml_set_arena(&m, arena, m.arena_bytes) == TML_OK) {
            /* Inputs: a fixed pattern, so runs are reproducible. */
            for (int i = 0; i < m.num_inputs; i++) {
                tml_tensor *t = tml_input(&m, i);
                if (t != NULL && t->data != NULL) {
                    memset(t->data, 0x5A, t->bytes);
                }
            }
            (void)tml_invoke(&m);
            (void)tml_invoke(&m); /* twice: eval must not depend on state left by the first run */
        }
        free(arena);
    }
    free(state);
    free(model_bytes);
    return 0;
}
