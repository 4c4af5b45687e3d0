/*
 * tinyml engine: public API.
 *
 * Portable C99, no MicroPython includes. The engine runs a TFLite flatbuffer
 * and produces exactly the bytes TensorFlow Lite Micro's reference kernels
 * produce (see docs/engine.md).
 *
 * Life cycle, and who owns which memory:
 *
 *   tml_model m;
 *   tml_load(&m, model_bytes, model_len);        validates the flatbuffer; the
 *                                                 model bytes are used in place
 *                                                 and must outlive `m`.
 *   void *state = malloc(m.state_bytes);          per-tensor / per-node records,
 *   tml_prepare(&m, state, m.state_bytes);        quantization multipliers:
 *                                                 computed once, here.
 *                                                 Sets m.arena_bytes.
 *   void *arena = malloc(m.arena_bytes);          activations and scratch, laid
 *   tml_set_arena(&m, arena, m.arena_bytes);      out by the planner.
 *   ... write inputs through tml_tensor_info(...).data ...
 *   tml_invoke(&m);
 *
 * Every call returns TML_OK or an error code, and on error leaves a message
 * in m.error that names the problem (and the operator, where there is one).
 * A model that failed a step may not be used for later steps.
 */
#ifndef TINYML_H
#define TINYML_H

#include <stddef.h>
#include <stdint.h>

#define TML_VERSION_STRING "0.1.0"

/* Highest tensor rank the engine handles (TFLM: 6 for most kernels). */
#define TML_MAX_DIMS 6
/* State and arena blocks (and the pieces carved from them) are aligned to
 * this many bytes: enough for any element type. */
#define TML_ALIGN 8

typedef enum {
    TML_OK = 0,
    TML_ERR_MODEL,        /* corrupt, truncated or unsupported file structure */
    TML_ERR_UNSUPPORTED,  /* operator, version or type combination not implemented */
    TML_ERR_ARENA,        /* state or arena block too small */
    TML_ERR_ARGUMENT,     /* bad argument from the caller (index, buffer) */
    TML_ERR_STATE,        /* call out of order (invoke before set_arena, ...) */
    TML_ERR_RUNTIME,      /* a kernel failed while running */
} tml_status;

/* Element types; the numbers are TFLite's TensorType. */
typedef enum {
    TML_FLOAT32 = 0,
    TML_FLOAT16 = 1,
    TML_INT32 = 2,
    TML_UINT8 = 3,
    TML_INT64 = 4,
    TML_STRING = 5,
    TML_BOOL = 6,
    TML_INT16 = 7,
    TML_INT8 = 9,
    TML_FLOAT64 = 10,
    TML_UINT64 = 12,
    TML_UINT32 = 15,
    TML_UINT16 = 16,
    TML_INT4 = 17,
} tml_dtype;

/* A bit per element type, for type sets: TML_TYPE_BIT(TML_INT8) | ... */
#define TML_TYPE_BIT(t) (1u << (unsigned)(t))
/* In a type set: float32 input with int8 weights (LiteRT's hybrid arithmetic). */
#define TML_TYPES_HYBRID (1u << 31)

/* Where a tensor's bytes live. */
typedef enum {
    TML_TENSOR_ACTIVATION = 0, /* planned into the arena */
    TML_TENSOR_CONSTANT = 1,   /* in the model buffer (or a RAM copy, if misaligned) */
    TML_TENSOR_VARIABLE = 2,   /* persistent across invokes, in the arena */
    TML_TENSOR_UNUSED = 3,     /* no operator and no graph input/output refers to it */
} tml_tensor_kind;

/* Runtime record of one tensor. Lives in the state block. */
typedef struct tml_tensor {
    /* Constants: set by tml_prepare. Activations and variables: between
     * tml_prepare and tml_set_arena, the planner's offset from the arena
     * start (cast to a pointer); a pointer into the arena after. */
    void *data;
    uint32_t bytes;           /* element count * element size */
    const int32_t *dims;      /* ndim dimensions: the model's own shape vector (a copy if misaligned) */
    float scale;              /* per-tensor scale (first channel if per-channel); 0 if none */
    int32_t zero_point;       /* per-tensor zero point (first channel); 0 if none */
    uint8_t type;             /* tml_dtype */
    uint8_t ndim;
    uint8_t kind;             /* tml_tensor_kind */
    uint8_t channels_dim;     /* quantized_dimension for per-channel tensors */
    uint16_t num_channels;    /* number of scales (1 for per-tensor, 0 if not quantized):
                               * tml_tensor_channel_scale reads them from the model */
} tml_tensor;

struct tml_node;

/* Profiling hook: returns a free-running tick count (any unit). */
typedef uint32_t (*tml_clock_fn)(void);

typedef struct tml_model {
    /* The model bytes, used in place. */
    const uint8_t *buf;
    size_t len;

    /* Flatbuffer positions found by tml_load (offsets from buf). */
    uint32_t fb_model;        /* root Model table */
    uint32_t fb_subgraph;     /* subgraphs[0] table */
    uint32_t fb_tensors;      /* subgraph.tensors vector */
    uint32_t fb_operators;    /* subgraph.operators vector */
    uint32_t fb_opcodes;      /* model.operator_codes vector */
    uint32_t fb_buffers;      /* model.buffers vector */
    uint32_t fb_inputs;       /* subgraph.inputs vector */
    uint32_t fb_outputs;      /* subgraph.outputs vector */
    uint32_t fb_metadata;     /* model.metadata vector, 0 if absent */

    uint16_t num_tensors;
    uint16_t num_nodes;
    uint16_t num_inputs;
    uint16_t num_outputs;
    uint32_t num_io_refs;     /* sum of operator input+output counts */

    /* Sizes: state_bytes (what tml_prepare needs) after tml_load; the rest after
     * tml_prepare. The caller may shrink the state block to state_used_bytes
     * after tml_prepare (the tail was the planner's workspace). */
    size_t state_bytes;
    size_t state_used_bytes;
    size_t arena_bytes;
    size_t scratch_bytes;     /* part of arena_bytes used by kernel scratch */
    size_t lower_bound_bytes; /* liveness lower bound of the activation plan */

    /* Runtime records, in the state block (set by tml_prepare). */
    tml_tensor *tensors;
    struct tml_node *nodes;
    int16_t *input_tensors;   /* graph inputs, tensor indices */
    int16_t *output_tensors;  /* graph outputs, tensor indices */
    uint8_t *arena;

    /* Optional profiling: if both set, op_ticks[i] receives node i's ticks. */
    tml_clock_fn clock;
    uint32_t *op_ticks;

    uint8_t stage;            /* internal: which step succeeded last */
    int16_t error_node;       /* node the last error came from, -1 if none */
    char error[160];
} tml_model;

/* Life cycle (see the top of this file). */
tml_status tml_load(tml_model *m, const uint8_t *buf, size_t len);
tml_status tml_prepare(tml_model *m, void *state, size_t state_len);
tml_status tml_set_arena(tml_model *m, void *arena, size_t arena_len);
tml_status tml_invoke(tml_model *m);
/* Zeroes variable tensors (RNN/LSTM state). */
tml_status tml_reset(tml_model *m);

/* Graph inputs and outputs: tensor records, NULL if out of range. */
tml_tensor *tml_input(tml_model *m, int i);
tml_tensor *tml_output(tml_model *m, int i);

/* Tensor name from the model (points into the buffer, not NUL-terminated). */
const char *tml_tensor_name(const tml_model *m, int tensor_index, size_t *len);

/* Operators: builtin code, version, name of node i (after tml_load). */
int tml_node_count(const tml_model *m);
const char *tml_node_op_name(const tml_model *m, int node_index);
int tml_node_op_version(const tml_model *m, int node_index);

/* Per-channel quantization of a tensor (scales and zero points from the model). */
float tml_tensor_channel_scale(const tml_model *m, const tml_tensor *t, int channel);
int32_t tml_tensor_channel_zero_point(const tml_model *m, const tml_tensor *t, int channel);

/* Metadata entry by name (e.g. "min_runtime_version"): the buffer's bytes. */
const uint8_t *tml_metadata(const tml_model *m, const char *name, size_t *len);

/* Element size of a type in bytes, 0 for types the engine cannot hold. */
size_t tml_dtype_size(int type);
const char *tml_dtype_name(int type);

/* Operators this build carries: call with i = 0, 1, ... until it returns NULL. */
const char *tml_supported_op(int i, int *max_version);
/* The element types operator i accepts for its main input (input
 * *typed_input, 0 for most operators; may be NULL): TML_TYPE_BIT(t) for each
 * tml_dtype t, and TML_TYPES_HYBRID if it also runs float32 input with int8
 * weights. 0 past the end of the list. */
uint32_t tml_supported_op_types(int i, int *typed_input);
/* Name of a TFLite builtin operator code ("CONV_2D"), or NULL if unknown. */
const char *tml_builtin_name(int code);

const char *tml_status_name(tml_status s);

#endif /* TINYML_H */
