/*
 * The interface between the engine core and operator kernels.
 *
 * One file per operator in ops/ defines a `const tml_kernel tml_kernel_<NAME>`
 * with two functions:
 *   prepare: runs once, in tml_prepare. Checks types, shapes and options
 *            (tml_fail with a message that says what is wrong), and computes
 *            everything that does not depend on the data (multipliers,
 *            activation ranges, padding) into node->params. May ask for
 *            scratch memory (node->scratch_bytes), planned into the arena.
 *            Output shapes come from the model and are checked, not inferred.
 *   eval:    runs on every invoke; reads node->params and tensor data only.
 *
 * node->params is `kernel->params_size` bytes, followed by
 * `kernel->per_channel_bytes` bytes per output channel when the node's
 * weights (input 1) are quantized per channel; all zero-initialised.
 */
#ifndef TML_KERNEL_H
#define TML_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "tinyml.h"
#include "tml_fb.h"

typedef struct tml_node {
    const struct tml_kernel *kernel;
    void *params;            /* kernel's prepared parameters, in the state block */
    int16_t *inputs;         /* tensor indices of the inputs (-1 = optional input left
                              * out), then of the outputs: see tml_node_output */
    /* Arena memory of the node, valid during eval (like tensor data, the
     * planner's offset until tml_set_arena). */
    void *scratch;           /* scratch_bytes, contents undefined between invokes */
    void *persistent;        /* persistent_bytes kept across invokes; zeroed by tml_reset,
                              * then set up by kernel->reset */
    uint32_t scratch_bytes;     /* set by prepare */
    uint32_t persistent_bytes;  /* set by prepare: filter state, ... */
    uint32_t options_pos;    /* builtin options table position, 0 if absent */
    uint32_t custom_pos;     /* custom_options vector position, 0 if absent */
    uint8_t num_inputs;
    uint8_t num_outputs;
    uint8_t version;         /* operator version from the model */
    uint8_t in_place;        /* set by prepare, TML_IN_PLACE_*: may output 0 share input 0's memory? */
} tml_node;

typedef struct tml_kernel {
    const char *name;         /* TFLite's name: "CONV_2D", or the custom code: "SignalWindow" */
    int16_t builtin;          /* TFLite builtin operator code (32 = CUSTOM: matched by name) */
    uint8_t max_version;      /* highest operator version this kernel runs */
    uint8_t typed_input;      /* the input whose element type `types` lists (0 for most) */
    uint8_t per_channel_bytes;
    uint16_t params_size;
    /* The element types the kernel accepts for input `typed_input`, a
     * TML_TYPE_BIT per type, plus TML_TYPES_HYBRID if it also runs float32
     * input with int8 weights (input 1). tml_prepare refuses any other type
     * before the kernel's prepare runs, so the record is what the kernel
     * accepts; tml_supported_op_types() reports it (docs/operators.md). */
    uint32_t types;
    tml_status (*prepare)(tml_model *m, tml_node *node);
    tml_status (*eval)(tml_model *m, tml_node *node);
    /* Optional: sets up node->persistent after it was zeroed (tml_reset). */
    tml_status (*reset)(tml_model *m, tml_node *node);
} tml_kernel;

#define TML_BUILTIN_CUSTOM 32

/* Kernel records' `types` shorthands. */
#define TML_TYPES_FLOAT_INT8 (TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8))
#define TML_TYPES_FLOAT_INT8_INT16 (TML_TYPES_FLOAT_INT8 | TML_TYPE_BIT(TML_INT16))
#define TML_TYPES_FLOAT_INT8_INT16_INT32 (TML_TYPES_FLOAT_INT8_INT16 | TML_TYPE_BIT(TML_INT32))
/* Every type a tensor can have (tml_dtype_size != 0): kernels that only move bytes. */
#define TML_TYPES_ANY                                                                                             \
    (TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_FLOAT16) | TML_TYPE_BIT(TML_FLOAT64) | TML_TYPE_BIT(TML_INT8) | \
        TML_TYPE_BIT(TML_INT16) | TML_TYPE_BIT(TML_INT32) | TML_TYPE_BIT(TML_INT64) | TML_TYPE_BIT(TML_UINT8) |     \
        TML_TYPE_BIT(TML_UINT16) | TML_TYPE_BIT(TML_UINT32) | TML_TYPE_BIT(TML_UINT64) | TML_TYPE_BIT(TML_BOOL))

/* Fails with "<what> type X not supported (a, b, c are)" unless the bit of
 * `type` is in `allowed` (TML_TYPES_HYBRID is ignored). */
tml_status tml_check_type(tml_model *m, const char *what, int type, uint32_t allowed);

/* The registry (ops/registry.c): the kernel for a builtin operator code, or
 * NULL if this build does not carry it (see tml_config.h). */
const tml_kernel *tml_find_kernel(int builtin);
/* The kernel for a custom operator code (name of `len` bytes), or NULL. */
const tml_kernel *tml_find_custom_kernel(const char *name, uint32_t len);

/* Input/output tensor of a node; NULL for an optional input that is absent
 * (or an index out of range). */
static inline tml_tensor *tml_node_input(tml_model *m, const tml_node *n, int i) {
    if (i < 0 || i >= n->num_inputs || n->inputs[i] < 0) {
        return 0;
    }
    return &m->tensors[n->inputs[i]];
}
static inline tml_tensor *tml_node_output(tml_model *m, const tml_node *n, int i) {
    if (i < 0 || i >= n->num_outputs || n->inputs[n->num_inputs + i] < 0) {
        return 0;
    }
    return &m->tensors[n->inputs[n->num_inputs + i]];
}

/* The node's builtin options table (pos 0 if the model has none). */
static inline tml_fb_table tml_node_options(const tml_model *m, const tml_node *n) {
    tml_fb fb = {m->buf, (uint32_t)m->len};
    tml_fb_table t;
    if (!tml_fb_table_at(&fb, n->options_pos, &t)) {
        t.pos = 0;
    }
    return t;
}
static inline tml_fb tml_model_fb(const tml_model *m) {
    tml_fb fb = {m->buf, (uint32_t)m->len};
    return fb;
}

/* Records an error for the node being prepared/evaluated and returns `code`.
 * The message is prefixed with the operator's name and node index, e.g.
 * "CONV_2D (node 3): input type FLOAT16 not supported". printf-style, with
 * %d %u %s %c and %f (6 digits). */
tml_status tml_fail(tml_model *m, tml_status code, const char *fmt, ...);

/* Element count of a tensor (product of dims). */
static inline int32_t tml_numel(const tml_tensor *t) {
    int32_t n = 1;
    for (int i = 0; i < t->ndim; i++) {
        n *= t->dims[i];
    }
    return n;
}

/* Dimension i counted from the end when negative, as TFLite allows. */
static inline int32_t tml_dim(const tml_tensor *t, int i) {
    if (i < 0) {
        i += t->ndim;
    }
    return (i >= 0 && i < t->ndim) ? t->dims[i] : 1;
}

/* Same shape (rank and dims)? */
static inline bool tml_same_shape(const tml_tensor *a, const tml_tensor *b) {
    if (a->ndim != b->ndim) {
        return false;
    }
    for (int i = 0; i < a->ndim; i++) {
        if (a->dims[i] != b->dims[i]) {
            return false;
        }
    }
    return true;
}

/* node->in_place values. */
enum {
    TML_IN_PLACE_NEVER = 0,
    /* The kernel is correct when output 0 and input 0 alias: the planner lets
     * them share when input 0 is not read after this node. */
    TML_IN_PLACE_IF_DEAD = 1,
    /* Output 0 holds exactly input 0's bytes (a view such as RESHAPE): they
     * may always share, even when input 0 is read later. */
    TML_IN_PLACE_VIEW = 2,
};

/* Fused activations (TFLite ActivationFunctionType). */
enum {
    TML_ACT_NONE = 0,
    TML_ACT_RELU = 1,
    TML_ACT_RELU_N1_TO_1 = 2,
    TML_ACT_RELU6 = 3,
    TML_ACT_TANH = 4,
    TML_ACT_SIGN_BIT = 5,
};

/* Padding (TFLite Padding). */
enum { TML_PAD_SAME = 0, TML_PAD_VALID = 1 };

/* Output size along one spatial axis (TFLM ComputeOutSize); 0 if invalid. */
static inline int32_t tml_conv_out_size(int padding, int32_t in, int32_t filter, int32_t stride, int32_t dilation) {
    int32_t effective = (filter - 1) * dilation + 1;
    if (stride <= 0 || dilation <= 0 || filter <= 0) {
        return 0;
    }
    if (padding == TML_PAD_SAME) {
        return (in + stride - 1) / stride;
    }
    return in >= effective ? (in + stride - effective) / stride : 0;
}

/* Padding before the first element along one axis, for an output of size
 * `out` (TFLM ComputePaddingWithOffset; the odd extra pixel goes after). */
static inline int32_t tml_conv_padding(int32_t in, int32_t filter, int32_t stride, int32_t dilation, int32_t out) {
    int32_t effective = (filter - 1) * dilation + 1;
    int32_t total = (out - 1) * stride + effective - in;
    return total > 0 ? total / 2 : 0;
}

#endif /* TML_KERNEL_H */
