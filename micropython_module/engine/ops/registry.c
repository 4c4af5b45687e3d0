/*
 * The operators this build carries (tml_config.h chooses them).
 *
 * Lookups are switch statements over the X-macro list rather than a table of
 * pointers, so the native module needs no data relocations for them.
 */
#include "tml_config.h"
#include "tml_kernel.h"

#define DECLARE_KERNEL(NAME) extern const tml_kernel tml_kernel_##NAME;
TML_FOR_EACH_OP(DECLARE_KERNEL)

/* Kernel i of the list, or NULL if i is past the end or NAME is compiled out. */
static const tml_kernel *kernel_at(int i) {
    int index = 0;
#define KERNEL_AT(NAME)                          \
    if (TML_OP_##NAME && index++ == i) {         \
        return &tml_kernel_##NAME;               \
    }
    TML_FOR_EACH_OP(KERNEL_AT)
#undef KERNEL_AT
    return NULL;
}

const tml_kernel *tml_find_kernel(int builtin) {
    for (int i = 0;; i++) {
        const tml_kernel *k = kernel_at(i);
        if (k == NULL || (k->builtin == builtin && builtin != TML_BUILTIN_CUSTOM)) {
            return k;
        }
    }
}

static bool same_name(const char *a, const char *b, uint32_t len) {
    uint32_t i = 0;
    while (i < len && a[i] != 0 && a[i] == b[i]) {
        i++;
    }
    return i == len && a[i] == 0;
}

const tml_kernel *tml_find_custom_kernel(const char *name, uint32_t len) {
    for (int i = 0;; i++) {
        const tml_kernel *k = kernel_at(i);
        if (k == NULL || (k->builtin == TML_BUILTIN_CUSTOM && same_name(k->name, name, len))) {
            return k;
        }
    }
}

const char *tml_supported_op(int i, int *max_version) {
    const tml_kernel *k = kernel_at(i);
    if (k == NULL) {
        return NULL;
    }
    if (max_version) {
        *max_version = k->max_version;
    }
    return k->name;
}

uint32_t tml_supported_op_types(int i, int *typed_input) {
    const tml_kernel *k = kernel_at(i);
    if (k == NULL) {
        return 0;
    }
    if (typed_input) {
        *typed_input = k->typed_input;
    }
    return k->types;
}
