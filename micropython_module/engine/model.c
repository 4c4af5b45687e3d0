/*
 * The engine core: loading and validating a model, laying out the state
 * block, preparing nodes, binding the arena, invoking.
 *
 * Loading reads every part of the flatbuffer the engine will ever use and
 * checks it against the buffer bounds, so later steps (and kernels) can trust
 * the records built from it.
 */
#include <stdarg.h>
#include <string.h>

#include "tml_kernel.h"
#include "tml_plan.h"

/* TFLite schema field numbers (schema.fbs), for the tables the core reads. */
enum { MODEL_VERSION = 0, MODEL_OPERATOR_CODES = 1, MODEL_SUBGRAPHS = 2, MODEL_BUFFERS = 4, MODEL_METADATA = 6 };
enum { OPCODE_DEPRECATED_BUILTIN = 0, OPCODE_CUSTOM_CODE = 1, OPCODE_VERSION = 2, OPCODE_BUILTIN = 3 };
enum { SUBGRAPH_TENSORS = 0, SUBGRAPH_INPUTS = 1, SUBGRAPH_OUTPUTS = 2, SUBGRAPH_OPERATORS = 3 };
enum {
    TENSOR_SHAPE = 0,
    TENSOR_TYPE = 1,
    TENSOR_BUFFER = 2,
    TENSOR_NAME = 3,
    TENSOR_QUANTIZATION = 4,
    TENSOR_IS_VARIABLE = 5,
    TENSOR_SPARSITY = 6,
};
enum { QUANT_SCALE = 2, QUANT_ZERO_POINT = 3, QUANT_DETAILS_TYPE = 4, QUANT_DIMENSION = 6 };
enum { BUFFER_DATA = 0, BUFFER_OFFSET = 1, BUFFER_SIZE = 2 };
enum {
    OP_OPCODE_INDEX = 0,
    OP_INPUTS = 1,
    OP_OUTPUTS = 2,
    OP_BUILTIN_OPTIONS_TYPE = 3,
    OP_BUILTIN_OPTIONS = 4,
    OP_CUSTOM_OPTIONS = 5,
    OP_LARGE_CUSTOM_OFFSET = 9,
};
enum { METADATA_NAME = 0, METADATA_BUFFER = 1 };

enum { STAGE_NONE = 0, STAGE_LOADED, STAGE_PREPARED, STAGE_READY };

#define TML_SCHEMA_VERSION 3u
#define MAX_TENSORS 32767u
#define MAX_NODES 32767u
#define MAX_NODE_IO 255u

static size_t align_up(size_t n, size_t a) {
    return (n + a - 1) & ~(a - 1);
}

/* ---- error messages --------------------------------------------------- */

typedef struct {
    char *out;
    size_t cap;
    size_t len;
} msg_buf;

static void put_char(msg_buf *b, char c) {
    if (b->len + 1 < b->cap) {
        b->out[b->len] = c;
    }
    b->len++;
}

static void put_str(msg_buf *b, const char *s, size_t n) {
    for (size_t i = 0; i < n && s[i]; i++) {
        put_char(b, s[i]);
    }
}

static void put_uint(msg_buf *b, uint32_t v, unsigned base) {
    char digits[12];
    int n = 0;
    do {
        unsigned d = v % base;
        digits[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
        v /= base;
    } while (v);
    while (n) {
        put_char(b, digits[--n]);
    }
}

/* %f with six significant decimals (enough to tell scales apart in messages). */
static void put_float(msg_buf *b, double v) {
    if (v != v) {
        put_str(b, "nan", 3);
        return;
    }
    if (v < 0) {
        put_char(b, '-');
        v = -v;
    }
    if (v > 4e9) {
        put_str(b, "inf", 3);
        return;
    }
    uint32_t whole = (uint32_t)v;
    double frac = v - whole;
    put_uint(b, whole, 10);
    put_char(b, '.');
    for (int i = 0; i < 6; i++) {
        frac *= 10;
        int d = (int)frac;
        put_char(b, (char)('0' + d));
        frac -= d;
    }
}

/* A small vsnprintf: %d %u %x %s %.*s %c %f, always NUL-terminated. */
static void format(msg_buf *b, const char *fmt, va_list ap) {
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            put_char(b, *p);
            continue;
        }
        p++;
        int precision = -1;
        if (p[0] == '.' && p[1] == '*') {
            precision = va_arg(ap, int);
            p += 2;
        }
        switch (*p) {
            case 'd': {
                int v = va_arg(ap, int);
                if (v < 0) {
                    put_char(b, '-');
                    put_uint(b, (uint32_t)0 - (uint32_t)v, 10);
                } else {
                    put_uint(b, (uint32_t)v, 10);
                }
                break;
            }
            case 'u':
                put_uint(b, va_arg(ap, unsigned), 10);
                break;
            case 'x':
                put_uint(b, va_arg(ap, unsigned), 16);
                break;
            case 'c':
                put_char(b, (char)va_arg(ap, int));
                break;
            case 'f':
                put_float(b, va_arg(ap, double));
                break;
            case 's': {
                const char *s = va_arg(ap, const char *);
                if (s == NULL) {
                    s = "(null)";
                }
                put_str(b, s, precision >= 0 ? (size_t)precision : (size_t)-1);
                break;
            }
            case '%':
                put_char(b, '%');
                break;
            default:
                put_char(b, '?');
                break;
        }
        if (*p == 0) {
            break;
        }
    }
    b->out[b->len < b->cap ? b->len : b->cap - 1] = 0;
}

static tml_status fail_v(tml_model *m, tml_status code, const char *fmt, va_list ap) {
    msg_buf b = {m->error, sizeof(m->error), 0};
    if (m->error_node >= 0) {
        char prefix[80];
        msg_buf pb = {prefix, sizeof(prefix), 0};
        const char *name = tml_node_op_name(m, m->error_node);
        put_str(&pb, name ? name : "operator", 64);
        put_str(&pb, " (node ", 7);
        put_uint(&pb, (uint32_t)m->error_node, 10);
        put_str(&pb, "): ", 3);
        prefix[pb.len < sizeof(prefix) ? pb.len : sizeof(prefix) - 1] = 0;
        put_str(&b, prefix, sizeof(prefix));
    }
    format(&b, fmt, ap);
    return code;
}

tml_status tml_fail(tml_model *m, tml_status code, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fail_v(m, code, fmt, ap);
    va_end(ap);
    return code;
}

/* Errors found while loading name no node unless given one. */
/* Builtin operators that run other subgraphs (IF, WHILE, CALL_ONCE and their
 * StableHLO forms). The engine loads subgraph 0 only, so these get their own
 * message rather than the generic "operator not supported". */
static bool is_subgraph_control_flow(int builtin) {
    enum { CALL = 31, IF = 118, WHILE = 119, CALL_ONCE = 129, STABLEHLO_WHILE = 200, STABLEHLO_COMPOSITE = 206,
        STABLEHLO_CASE = 209 };
    return builtin == CALL || builtin == IF || builtin == WHILE || builtin == CALL_ONCE || builtin == STABLEHLO_WHILE ||
           builtin == STABLEHLO_COMPOSITE || builtin == STABLEHLO_CASE;
}

static tml_status model_error(tml_model *m, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    m->error_node = -1;
    msg_buf b = {m->error, sizeof(m->error), 0};
    put_str(&b, "model: ", 7);
    format(&b, fmt, ap);
    va_end(ap);
    return TML_ERR_MODEL;
}

/* Builtins that run other subgraphs: CALL (31), IF (118), WHILE (119), CALL_ONCE (129). */

/* ---- types ------------------------------------------------------------- */

tml_status tml_check_type(tml_model *m, const char *what, int type, uint32_t allowed) {
    allowed &= ~TML_TYPES_HYBRID;
    if (type >= 0 && type < 31 && (allowed & TML_TYPE_BIT(type)) != 0) {
        return TML_OK;
    }
    /* Listed in this order: floats, then signed and unsigned integers by width. */
    static const uint8_t order[] = {TML_FLOAT32, TML_INT8, TML_INT16, TML_INT32, TML_INT64, TML_UINT8, TML_UINT16,
        TML_UINT32, TML_UINT64, TML_BOOL, TML_FLOAT16, TML_FLOAT64};
    char list[112];
    size_t len = 0;
    for (size_t i = 0; i < sizeof(order); i++) {
        const int t = order[i];
        if ((allowed & TML_TYPE_BIT(t)) == 0) {
            continue;
        }
        const char *name = tml_dtype_name(t);
        size_t n = 0;
        while (name[n] != 0) { /* no strlen: native modules have no libc */
            n++;
        }
        if (len + n + 3 >= sizeof(list)) {
            break;
        }
        if (len > 0) {
            list[len++] = ',';
            list[len++] = ' ';
        }
        memcpy(list + len, name, n);
        len += n;
    }
    list[len] = '\0';
    return tml_fail(m, TML_ERR_UNSUPPORTED, "%s type %s not supported (%s are)", what, tml_dtype_name(type), list);
}

/* The kernel record's types (tml_kernel.types), checked before its prepare:
 * the main input's type, and float32 input with constant int8 weights (input 1) only
 * where the record says hybrid. */
static tml_status check_node_types(tml_model *m, const tml_node *n) {
    const tml_kernel *k = n->kernel;
    const tml_tensor *in = tml_node_input(m, n, k->typed_input);
    if (in == NULL) {
        return TML_OK; /* the kernel's arity check names what is missing */
    }
    tml_status st = tml_check_type(m, "input", in->type, k->types);
    const tml_tensor *weights = k->typed_input == 1 ? NULL : tml_node_input(m, n, 1);
    if (st == TML_OK && (k->types & TML_TYPES_HYBRID) == 0 && in->type == TML_FLOAT32 && weights != NULL &&
        weights->kind == TML_TENSOR_CONSTANT && weights->type == TML_INT8) {
        st = tml_fail(m, TML_ERR_UNSUPPORTED, "float32 input with int8 input 1 (hybrid) not supported");
    }
    return st;
}

size_t tml_dtype_size(int type) {
    switch (type) {
        case TML_FLOAT32:
        case TML_INT32:
        case TML_UINT32:
            return 4;
        case TML_FLOAT16:
        case TML_INT16:
        case TML_UINT16:
            return 2;
        case TML_UINT8:
        case TML_INT8:
        case TML_BOOL:
            return 1;
        case TML_INT64:
        case TML_UINT64:
        case TML_FLOAT64:
            return 8;
        default:
            return 0;
    }
}

const char *tml_dtype_name(int type) {
    switch (type) {
        case TML_FLOAT32:
            return "float32";
        case TML_FLOAT16:
            return "float16";
        case TML_INT32:
            return "int32";
        case TML_UINT8:
            return "uint8";
        case TML_INT64:
            return "int64";
        case TML_STRING:
            return "string";
        case TML_BOOL:
            return "bool";
        case TML_INT16:
            return "int16";
        case TML_INT8:
            return "int8";
        case TML_FLOAT64:
            return "float64";
        case TML_UINT32:
            return "uint32";
        case TML_UINT64:
            return "uint64";
        case TML_UINT16:
            return "uint16";
        case TML_INT4:
            return "int4";
        case 8:
            return "complex64";
        case 11:
            return "complex128";
        case 13:
            return "resource";
        case 14:
            return "variant";
        case 18:
            return "bfloat16";
        default:
            return "unknown";
    }
}

const char *tml_status_name(tml_status s) {
    switch (s) {
        case TML_OK:
            return "ok";
        case TML_ERR_MODEL:
            return "invalid model";
        case TML_ERR_UNSUPPORTED:
            return "unsupported";
        case TML_ERR_ARENA:
            return "memory too small";
        case TML_ERR_ARGUMENT:
            return "invalid argument";
        case TML_ERR_STATE:
            return "wrong call order";
        case TML_ERR_RUNTIME:
            return "runtime error";
        default:
            return "unknown error";
    }
}

/* ---- loading ------------------------------------------------------------ */

/* What the loader learns about one tensor from the flatbuffer. */
typedef struct {
    tml_fb_table table;
    tml_fb_vec shape;
    int type;
    uint32_t buffer;
    bool is_variable;
    tml_fb_table quant;
    tml_fb_vec scales;
    tml_fb_vec zero_points;
    int quant_dim;
    const uint8_t *data; /* constant data in the model, NULL if none */
    uint32_t data_len;
} tensor_view;

static tml_fb model_fb(const tml_model *m) {
    tml_fb fb = {m->buf, (uint32_t)m->len};
    return fb;
}

/* The data of buffer `index`: inline vector, or (large models) offset/size
 * relative to the start of the file. */
static tml_status read_buffer(tml_model *m, uint32_t index, const uint8_t **data, uint32_t *len, int tensor) {
    tml_fb fb = model_fb(m);
    tml_fb_vec buffers;
    tml_fb_table buf;
    *data = NULL;
    *len = 0;
    tml_fb_vec_at(&fb, m->fb_buffers, 4, &buffers);
    if (index >= buffers.count) {
        return model_error(m, "tensor %d refers to buffer %u, but the model has %u buffers", tensor, index,
            buffers.count);
    }
    if (!tml_fb_vec_table(&fb, &buffers, index, &buf)) {
        return model_error(m, "buffer %u is corrupt (table out of bounds)", index);
    }
    tml_fb_vec v;
    if (!tml_fb_vector(&fb, &buf, BUFFER_DATA, 1, &v)) {
        return model_error(m, "buffer %u data runs past the end of the file", index);
    }
    if (v.count > 0) {
        *data = fb.buf + v.pos;
        *len = v.count;
        return TML_OK;
    }
    uint64_t offset = (uint64_t)tml_fb_i64(&fb, &buf, BUFFER_OFFSET, 0);
    uint64_t size = (uint64_t)tml_fb_i64(&fb, &buf, BUFFER_SIZE, 0);
    if (offset > 1 && size > 0) {
        if (offset > m->len || size > m->len - offset) {
            return model_error(m, "buffer %u (offset %u, size %u) lies outside the %u-byte file", index,
                (unsigned)offset, (unsigned)size, (unsigned)m->len);
        }
        *data = fb.buf + offset;
        *len = (uint32_t)size;
    }
    return TML_OK;
}

static tml_status read_tensor(tml_model *m, int index, tensor_view *t) {
    tml_fb fb = model_fb(m);
    tml_fb_vec tensors;
    tml_fb_vec_at(&fb, m->fb_tensors, 4, &tensors);
    memset(t, 0, sizeof(*t));
    if (!tml_fb_vec_table(&fb, &tensors, (uint32_t)index, &t->table)) {
        return model_error(m, "tensor %d is corrupt (table out of bounds)", index);
    }
    if (!tml_fb_vector(&fb, &t->table, TENSOR_SHAPE, 4, &t->shape)) {
        return model_error(m, "tensor %d shape runs past the end of the file", index);
    }
    if (t->shape.count > TML_MAX_DIMS) {
        return model_error(m, "tensor %d has %u dimensions; at most %d are supported", index, t->shape.count,
            TML_MAX_DIMS);
    }
    t->type = tml_fb_u8(&fb, &t->table, TENSOR_TYPE, 0);
    t->buffer = tml_fb_u32(&fb, &t->table, TENSOR_BUFFER, 0);
    t->is_variable = tml_fb_bool(&fb, &t->table, TENSOR_IS_VARIABLE, false);
    if (tml_fb_field(&fb, &t->table, TENSOR_SPARSITY, 4)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "tensor %d is sparse; sparse tensors are not supported", index);
    }
    if (tml_fb_field(&fb, &t->table, TENSOR_QUANTIZATION, 4)) {
        if (!tml_fb_subtable(&fb, &t->table, TENSOR_QUANTIZATION, &t->quant)) {
            return model_error(m, "tensor %d quantization table is corrupt", index);
        }
        if (!tml_fb_vector(&fb, &t->quant, QUANT_SCALE, 4, &t->scales) ||
            !tml_fb_vector(&fb, &t->quant, QUANT_ZERO_POINT, 8, &t->zero_points)) {
            return model_error(m, "tensor %d quantization parameters run past the end of the file", index);
        }
        if (t->zero_points.count != t->scales.count && !(t->zero_points.count == 0 && t->scales.count == 0)) {
            return model_error(m, "tensor %d has %u scales but %u zero points", index, t->scales.count,
                t->zero_points.count);
        }
        if (tml_fb_u8(&fb, &t->quant, QUANT_DETAILS_TYPE, 0) != 0) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "tensor %d uses custom quantization details", index);
        }
        t->quant_dim = tml_fb_i32(&fb, &t->quant, QUANT_DIMENSION, 0);
        if (t->scales.count > 1 && (t->quant_dim < 0 || (uint32_t)t->quant_dim >= t->shape.count)) {
            return model_error(m, "tensor %d quantized_dimension %d is out of range for rank %u", index,
                t->quant_dim, t->shape.count);
        }
        if (t->scales.count > 65535) {
            return model_error(m, "tensor %d has too many quantization channels (%u)", index, t->scales.count);
        }
    }
    return read_buffer(m, t->buffer, &t->data, &t->data_len, index);
}

/* Element count and byte size of a tensor; fails on negative dims or overflow. */
static tml_status tensor_size(tml_model *m, int index, const tensor_view *t, uint32_t *bytes) {
    size_t elem = tml_dtype_size(t->type);
    if (elem == 0) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "tensor %d has type %s (TFLite type %d), which the engine does not support",
            index, tml_dtype_name(t->type), t->type);
    }
    uint64_t n = elem;
    for (uint32_t i = 0; i < t->shape.count; i++) {
        int32_t d = tml_rd_i32(m->buf + t->shape.pos + 4 * i);
        if (d < 0) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "tensor %d has a dynamic dimension (%d); shapes must be fixed",
                index, d);
        }
        n *= (uint64_t)d;
        if (n > 0x7FFFFFFFu) {
            return model_error(m, "tensor %d is larger than 2 GB", index);
        }
    }
    *bytes = (uint32_t)n;
    return TML_OK;
}

/* Checks the index vector `v` (int32 tensor indices, -1 allowed if `optional`). */
static tml_status check_indices(tml_model *m, tml_fb_vec v, bool optional, const char *what, int node) {
    for (uint32_t i = 0; i < v.count; i++) {
        int32_t t = tml_rd_i32(m->buf + v.pos + 4 * i);
        if (t == -1 && optional) {
            continue;
        }
        if (t < 0 || t >= m->num_tensors) {
            if (node >= 0) {
                return model_error(m, "operator %d %s %u refers to tensor %d, but there are %u tensors", node, what,
                    i, t, m->num_tensors);
            }
            return model_error(m, "graph %s %u refers to tensor %d, but there are %u tensors", what, i, t,
                m->num_tensors);
        }
    }
    return TML_OK;
}

/* Operator code of node i: builtin code, version, custom name. */
static tml_status node_opcode(tml_model *m, int node, tml_fb_table *op, int *builtin, int *version,
    const char **custom, uint32_t *custom_len) {
    tml_fb fb = model_fb(m);
    tml_fb_vec ops, codes;
    tml_fb_table code;
    tml_fb_vec_at(&fb, m->fb_operators, 4, &ops);
    tml_fb_vec_at(&fb, m->fb_opcodes, 4, &codes);
    if (!tml_fb_vec_table(&fb, &ops, (uint32_t)node, op)) {
        return model_error(m, "operator %d is corrupt (table out of bounds)", node);
    }
    uint32_t index = tml_fb_u32(&fb, op, OP_OPCODE_INDEX, 0);
    if (index >= codes.count) {
        return model_error(m, "operator %d uses operator code %u, but the model has %u", node, index, codes.count);
    }
    if (!tml_fb_vec_table(&fb, &codes, index, &code)) {
        return model_error(m, "operator code %u is corrupt (table out of bounds)", index);
    }
    int deprecated = tml_fb_i8(&fb, &code, OPCODE_DEPRECATED_BUILTIN, 0);
    int full = tml_fb_i32(&fb, &code, OPCODE_BUILTIN, 0);
    *builtin = deprecated > full ? deprecated : full;
    *version = tml_fb_i32(&fb, &code, OPCODE_VERSION, 1);
    *custom = tml_fb_string(&fb, &code, OPCODE_CUSTOM_CODE, custom_len);
    return TML_OK;
}

tml_status tml_load(tml_model *m, const uint8_t *buf, size_t len) {
    memset(m, 0, sizeof(*m));
    m->error_node = -1;
    m->buf = buf;
    m->len = len;
    if (buf == NULL || len < 8) {
        return model_error(m, "file is %u bytes, too short to be a TFLite model", (unsigned)len);
    }
    if (len > 0x7FFFFFFFu) {
        return model_error(m, "file is larger than 2 GB");
    }
    if (buf[4] != 'T' || buf[5] != 'F' || buf[6] != 'L' || buf[7] != '3') {
        return model_error(m, "not a TFLite model (file identifier is not \"TFL3\")");
    }
    tml_fb fb = model_fb(m);
    tml_fb_table root, subgraph;
    if (!tml_fb_table_at(&fb, tml_rd_u32(buf), &root)) {
        return model_error(m, "root table is corrupt");
    }
    m->fb_model = root.pos;
    uint32_t version = tml_fb_u32(&fb, &root, MODEL_VERSION, 0);
    if (version != TML_SCHEMA_VERSION) {
        return model_error(m, "schema version %u is not supported (expected %u)", version, TML_SCHEMA_VERSION);
    }
    tml_fb_vec subgraphs, codes, buffers, tensors, ops, inputs, outputs, metadata;
    if (!tml_fb_vector(&fb, &root, MODEL_SUBGRAPHS, 4, &subgraphs) ||
        !tml_fb_vector(&fb, &root, MODEL_OPERATOR_CODES, 4, &codes) ||
        !tml_fb_vector(&fb, &root, MODEL_BUFFERS, 4, &buffers) ||
        !tml_fb_vector(&fb, &root, MODEL_METADATA, 4, &metadata)) {
        return model_error(m, "model tables run past the end of the file");
    }
    if (subgraphs.count == 0) {
        return model_error(m, "model has no subgraph");
    }
    if (!tml_fb_vec_table(&fb, &subgraphs, 0, &subgraph)) {
        return model_error(m, "subgraph 0 is corrupt");
    }
    if (!tml_fb_vector(&fb, &subgraph, SUBGRAPH_TENSORS, 4, &tensors) ||
        !tml_fb_vector(&fb, &subgraph, SUBGRAPH_OPERATORS, 4, &ops) ||
        !tml_fb_vector(&fb, &subgraph, SUBGRAPH_INPUTS, 4, &inputs) ||
        !tml_fb_vector(&fb, &subgraph, SUBGRAPH_OUTPUTS, 4, &outputs)) {
        return model_error(m, "subgraph 0 tables run past the end of the file");
    }
    if (tensors.count > MAX_TENSORS || ops.count > MAX_NODES || inputs.count > MAX_TENSORS ||
        outputs.count > MAX_TENSORS) {
        return model_error(m, "model is too large (%u tensors, %u operators)", tensors.count, ops.count);
    }
    /* Positions of vectors are kept pointing at their length words. */
    m->fb_subgraph = subgraph.pos;
    m->fb_tensors = tensors.count ? tensors.pos - 4 : 0;
    m->fb_operators = ops.count ? ops.pos - 4 : 0;
    m->fb_opcodes = codes.count ? codes.pos - 4 : 0;
    m->fb_buffers = buffers.count ? buffers.pos - 4 : 0;
    m->fb_inputs = inputs.count ? inputs.pos - 4 : 0;
    m->fb_outputs = outputs.count ? outputs.pos - 4 : 0;
    m->fb_metadata = metadata.count ? metadata.pos - 4 : 0;
    m->num_tensors = (uint16_t)tensors.count;
    m->num_nodes = (uint16_t)ops.count;
    m->num_inputs = (uint16_t)inputs.count;
    m->num_outputs = (uint16_t)outputs.count;
    if (outputs.count == 0) {
        return model_error(m, "subgraph 0 has no outputs");
    }
    tml_status st;
    if ((st = check_indices(m, inputs, false, "input", -1)) != TML_OK ||
        (st = check_indices(m, outputs, false, "output", -1)) != TML_OK) {
        return st;
    }

    /* Tensors: shapes, types, buffers, quantization. */
    size_t copies = 0;
    for (int i = 0; i < m->num_tensors; i++) {
        tensor_view t;
        uint32_t bytes;
        if ((st = read_tensor(m, i, &t)) != TML_OK || (st = tensor_size(m, i, &t, &bytes)) != TML_OK) {
            return st;
        }
        if (t.shape.count > 0 && ((uintptr_t)(buf + t.shape.pos) & 3) != 0) {
            copies += align_up(4 * t.shape.count, TML_ALIGN); /* misaligned model: shape kept in RAM */
        }
        if (t.data != NULL) {
            if (t.data_len != bytes) {
                return model_error(m, "tensor %d needs %u bytes of data, its buffer has %u", i, bytes, t.data_len);
            }
            size_t align = tml_dtype_size(t.type);
            if (((uintptr_t)t.data & (align - 1)) != 0) {
                copies += align_up(bytes, TML_ALIGN); /* kept aligned in RAM */
            }
        }
    }

    /* Operators: opcodes, kernels, versions, tensor references. */
    size_t params = 0;
    uint32_t io_refs = 0;
    for (int i = 0; i < m->num_nodes; i++) {
        tml_fb_table op;
        int builtin, version;
        const char *custom;
        uint32_t custom_len;
        if ((st = node_opcode(m, i, &op, &builtin, &version, &custom, &custom_len)) != TML_OK) {
            return st;
        }
        tml_fb_vec in, out;
        if (!tml_fb_vector(&fb, &op, OP_INPUTS, 4, &in) || !tml_fb_vector(&fb, &op, OP_OUTPUTS, 4, &out)) {
            return model_error(m, "operator %d inputs/outputs run past the end of the file", i);
        }
        if (in.count > MAX_NODE_IO || out.count > MAX_NODE_IO) {
            return model_error(m, "operator %d has too many inputs or outputs", i);
        }
        if ((st = check_indices(m, in, true, "input", i)) != TML_OK ||
            (st = check_indices(m, out, false, "output", i)) != TML_OK) {
            return st;
        }
        for (uint32_t o = 0; o < out.count; o++) {
            int32_t t = tml_rd_i32(fb.buf + out.pos + 4 * o);
            for (uint32_t j = 0; j < in.count; j++) {
                if (tml_rd_i32(fb.buf + in.pos + 4 * j) == t) {
                    return model_error(m, "operator %d writes tensor %d, which is also one of its inputs", i, t);
                }
            }
        }
        io_refs += in.count + out.count;
        const tml_kernel *k;
        const char *name;
        if (builtin == TML_BUILTIN_CUSTOM) {
            k = tml_find_custom_kernel(custom ? custom : "", custom_len);
            if (k == NULL) {
                return tml_fail(m, TML_ERR_UNSUPPORTED, "custom operator '%.*s' (operator %d) is not supported",
                    (int)(custom_len > 60 ? 60 : custom_len), custom ? custom : "", i);
            }
            name = k->name;
        } else {
            k = tml_find_kernel(builtin);
            name = tml_builtin_name(builtin);
        }
        if (k == NULL && is_subgraph_control_flow(builtin)) {
            return tml_fail(m, TML_ERR_UNSUPPORTED,
                "operator %s (operator %d) is control flow between subgraphs, which tinyml does not support "
                "(the model has %u subgraphs; tinyml runs one graph)",
                name, i, (unsigned)subgraphs.count);
        }
        if (k == NULL) {
            if (name != NULL) {
                return tml_fail(m, TML_ERR_UNSUPPORTED, "operator %s version %d (operator %d) is not supported",
                    name, version, i);
            }
            return tml_fail(m, TML_ERR_UNSUPPORTED, "unknown builtin operator code %d (operator %d)", builtin, i);
        }
        if (version < 1 || version > k->max_version) {
            return tml_fail(m, TML_ERR_UNSUPPORTED,
                "operator %s version %d (operator %d) is not supported; this build runs versions 1 to %d", name,
                version, i, k->max_version);
        }
        if (tml_fb_field(&fb, &op, OP_BUILTIN_OPTIONS, 4)) {
            tml_fb_table options;
            if (!tml_fb_subtable(&fb, &op, OP_BUILTIN_OPTIONS, &options)) {
                return model_error(m, "operator %d (%s) options table is corrupt", i, name);
            }
        }
        tml_fb_vec custom_options;
        if (!tml_fb_vector(&fb, &op, OP_CUSTOM_OPTIONS, 1, &custom_options)) {
            return model_error(m, "operator %d custom options run past the end of the file", i);
        }
        params += align_up(k->params_size, TML_ALIGN);
        if (k->per_channel_bytes && in.count > 1) {
            int32_t w = tml_rd_i32(fb.buf + in.pos + 4);
            if (w >= 0) {
                tensor_view wt;
                if ((st = read_tensor(m, w, &wt)) != TML_OK) {
                    return st;
                }
                if (wt.scales.count > 1) {
                    params += align_up((size_t)k->per_channel_bytes * wt.scales.count, TML_ALIGN);
                }
            }
        }
    }
    m->num_io_refs = io_refs;

    size_t plan_work = tml_plan_workspace_bytes(m->num_tensors, m->num_nodes);
    m->state_bytes = align_up(sizeof(tml_tensor) * m->num_tensors, TML_ALIGN) +
                     align_up(sizeof(tml_node) * m->num_nodes, TML_ALIGN) +
                     align_up(sizeof(int16_t) * (io_refs + m->num_inputs + m->num_outputs), TML_ALIGN) + params +
                     copies;
    m->state_used_bytes = m->state_bytes;
    m->state_bytes += plan_work;
    m->stage = STAGE_LOADED;
    return TML_OK;
}

/* ---- preparing ---------------------------------------------------------- */

/* Hands out aligned pieces of the state block. */
typedef struct {
    uint8_t *next;
    uint8_t *end;
} carver;

static void *carve(carver *c, size_t bytes) {
    bytes = align_up(bytes, TML_ALIGN);
    if ((size_t)(c->end - c->next) < bytes) {
        return NULL; /* cannot happen when the block is state_bytes long */
    }
    void *p = c->next;
    c->next += bytes;
    return p;
}

static void read_index_vector(const tml_model *m, tml_fb_vec v, int16_t *out) {
    for (uint32_t i = 0; i < v.count; i++) {
        out[i] = (int16_t)tml_rd_i32(m->buf + v.pos + 4 * i);
    }
}

tml_status tml_prepare(tml_model *m, void *state, size_t state_len) {
    if (m->stage != STAGE_LOADED) {
        return tml_fail(m, TML_ERR_STATE, "tml_prepare needs a freshly loaded model");
    }
    m->error_node = -1;
    uint8_t *base = (uint8_t *)state;
    if (state == NULL || ((uintptr_t)base & (TML_ALIGN - 1)) != 0) {
        return tml_fail(m, TML_ERR_ARGUMENT, "state block must be %d-byte aligned", TML_ALIGN);
    }
    if (state_len < m->state_bytes) {
        return tml_fail(m, TML_ERR_ARENA, "state block too small: needs %u bytes, given %u",
            (unsigned)m->state_bytes, (unsigned)state_len);
    }
    memset(base, 0, m->state_bytes);
    carver c = {base, base + m->state_bytes};
    tml_fb fb = model_fb(m);
    tml_status st;

    m->tensors = carve(&c, sizeof(tml_tensor) * m->num_tensors);
    m->nodes = carve(&c, sizeof(tml_node) * m->num_nodes);
    int16_t *refs = carve(&c, sizeof(int16_t) * (m->num_io_refs + m->num_inputs + m->num_outputs));
    m->input_tensors = refs + m->num_io_refs;
    m->output_tensors = m->input_tensors + m->num_inputs;
    tml_fb_vec v;
    tml_fb_vec_at(&fb, m->fb_inputs, 4, &v);
    read_index_vector(m, v, m->input_tensors);
    tml_fb_vec_at(&fb, m->fb_outputs, 4, &v);
    read_index_vector(m, v, m->output_tensors);

    /* Tensor records. Every tensor starts UNUSED until something refers to it. */
    for (int i = 0; i < m->num_tensors; i++) {
        tensor_view t;
        tml_tensor *r = &m->tensors[i];
        if ((st = read_tensor(m, i, &t)) != TML_OK || (st = tensor_size(m, i, &t, &r->bytes)) != TML_OK) {
            return st;
        }
        r->type = (uint8_t)t.type;
        r->ndim = (uint8_t)t.shape.count;
        const uint8_t *shape = m->buf + t.shape.pos;
        if (((uintptr_t)shape & 3) != 0) {
            int32_t *copy = carve(&c, 4 * t.shape.count);
            memcpy(copy, shape, 4 * t.shape.count);
            r->dims = copy;
        } else {
            r->dims = (const int32_t *)(const void *)shape;
        }
        r->kind = TML_TENSOR_UNUSED;
        if (t.scales.count > 0) {
            r->num_channels = (uint16_t)t.scales.count;
            r->channels_dim = (uint8_t)(t.scales.count > 1 ? t.quant_dim : 0);
            r->scale = tml_rd_f32(m->buf + t.scales.pos);
            r->zero_point = t.zero_points.count ? (int32_t)tml_rd_i64(m->buf + t.zero_points.pos) : 0;
        }
        if (t.data != NULL) {
            r->kind = TML_TENSOR_CONSTANT;
            size_t align = tml_dtype_size(t.type);
            if (((uintptr_t)t.data & (align - 1)) != 0) {
                void *copy = carve(&c, r->bytes);
                memcpy(copy, t.data, r->bytes);
                r->data = copy;
            } else {
                r->data = (void *)t.data; /* read-only: kernels never write inputs */
            }
        } else if (t.is_variable) {
            r->kind = TML_TENSOR_VARIABLE;
        }
    }

    /* Node records. */
    int16_t *next_ref = refs;
    for (int i = 0; i < m->num_nodes; i++) {
        tml_fb_table op;
        int builtin, version;
        const char *custom;
        uint32_t custom_len;
        if ((st = node_opcode(m, i, &op, &builtin, &version, &custom, &custom_len)) != TML_OK) {
            return st;
        }
        tml_node *n = &m->nodes[i];
        n->kernel = builtin == TML_BUILTIN_CUSTOM ? tml_find_custom_kernel(custom, custom_len) : tml_find_kernel(builtin);
        n->version = (uint8_t)version;
        tml_fb_vec in, out;
        tml_fb_vector(&fb, &op, OP_INPUTS, 4, &in);
        tml_fb_vector(&fb, &op, OP_OUTPUTS, 4, &out);
        n->inputs = next_ref;
        n->num_inputs = (uint8_t)in.count;
        read_index_vector(m, in, n->inputs);
        n->num_outputs = (uint8_t)out.count;
        read_index_vector(m, out, n->inputs + in.count);
        next_ref += in.count + out.count;
        tml_fb_table options;
        n->options_pos = tml_fb_subtable(&fb, &op, OP_BUILTIN_OPTIONS, &options) ? options.pos : 0;
        tml_fb_vec custom_options;
        tml_fb_vector(&fb, &op, OP_CUSTOM_OPTIONS, 1, &custom_options);
        n->custom_pos = custom_options.count ? custom_options.pos - 4 : 0;
        size_t pbytes = n->kernel->params_size;
        tml_tensor *w = tml_node_input(m, n, 1);
        if (n->kernel->per_channel_bytes && w != NULL && w->num_channels > 1) {
            pbytes = align_up(pbytes, TML_ALIGN) + (size_t)n->kernel->per_channel_bytes * w->num_channels;
        }
        n->params = pbytes ? carve(&c, pbytes) : NULL;
        for (int j = 0; j < n->num_inputs; j++) {
            tml_tensor *t = tml_node_input(m, n, j);
            if (t != NULL && t->kind == TML_TENSOR_UNUSED) {
                t->kind = TML_TENSOR_ACTIVATION;
            }
        }
        for (int j = 0; j < n->num_outputs; j++) {
            tml_tensor *t = tml_node_output(m, n, j);
            if (t->kind == TML_TENSOR_CONSTANT) {
                m->error_node = (int16_t)i;
                return tml_fail(m, TML_ERR_MODEL, "output %d (tensor %d) is a constant", j,
                    n->inputs[n->num_inputs + j]);
            }
            if (t->kind == TML_TENSOR_UNUSED) {
                t->kind = TML_TENSOR_ACTIVATION;
            }
        }
    }
    for (int i = 0; i < m->num_inputs + m->num_outputs; i++) {
        tml_tensor *t = &m->tensors[m->input_tensors[i]];
        if (t->kind == TML_TENSOR_UNUSED) {
            t->kind = TML_TENSOR_ACTIVATION;
        }
    }
    for (int i = 0; i < m->num_inputs; i++) {
        if (m->tensors[m->input_tensors[i]].kind == TML_TENSOR_CONSTANT) {
            return model_error(m, "graph input %d (tensor %d) is a constant", i, m->input_tensors[i]);
        }
    }

    /* Kernels check their nodes and precompute what they can. */
    for (int i = 0; i < m->num_nodes; i++) {
        tml_node *n = &m->nodes[i];
        m->error_node = (int16_t)i;
        if ((st = check_node_types(m, n)) != TML_OK || (st = n->kernel->prepare(m, n)) != TML_OK) {
            return st;
        }
    }
    m->error_node = -1;

    /* The memory plan, using the rest of the state block as workspace. */
    if ((st = tml_plan(m, c.next, (size_t)(base + m->state_bytes - c.next))) != TML_OK) {
        return st;
    }
    m->state_used_bytes = (size_t)(c.next - base);
    m->stage = STAGE_PREPARED;
    return TML_OK;
}

/* ---- arena and invoke ----------------------------------------------------- */

/* Moves an arena pointer from the arena at `old` (NULL: the pointer holds the
 * planner's offset) to the one at `base`. */
static void *rebase(void *p, uint8_t *old, uint8_t *base) {
    uintptr_t offset = (uintptr_t)p - (uintptr_t)old;
    return base + offset;
}

tml_status tml_set_arena(tml_model *m, void *arena, size_t arena_len) {
    if (m->stage < STAGE_PREPARED) {
        return tml_fail(m, TML_ERR_STATE, "tml_set_arena needs a prepared model");
    }
    m->error_node = -1;
    uint8_t *base = (uint8_t *)arena;
    size_t skip = base ? (size_t)((TML_ALIGN - ((uintptr_t)base & (TML_ALIGN - 1))) & (TML_ALIGN - 1)) : 0;
    if (base == NULL || arena_len < skip || arena_len - skip < m->arena_bytes) {
        return tml_fail(m, TML_ERR_ARENA, "arena too small: needs %u bytes, given %u", (unsigned)(m->arena_bytes + skip),
            (unsigned)arena_len);
    }
    base += skip;
    /* Arena pointers hold offsets from the old arena (NULL before the first call). */
    uint8_t *old = m->arena;
    for (int i = 0; i < m->num_tensors; i++) {
        tml_tensor *t = &m->tensors[i];
        if (t->kind == TML_TENSOR_ACTIVATION || t->kind == TML_TENSOR_VARIABLE) {
            t->data = rebase(t->data, old, base);
        }
    }
    for (int i = 0; i < m->num_nodes; i++) {
        tml_node *n = &m->nodes[i];
        n->scratch = n->scratch_bytes ? rebase(n->scratch, old, base) : NULL;
        n->persistent = n->persistent_bytes ? rebase(n->persistent, old, base) : NULL;
    }
    m->arena = base;
    m->stage = STAGE_READY;
    return tml_reset(m);
}

tml_status tml_reset(tml_model *m) {
    if (m->stage != STAGE_READY) {
        return tml_fail(m, TML_ERR_STATE, "the model has no arena yet (tml_set_arena)");
    }
    for (int i = 0; i < m->num_tensors; i++) {
        tml_tensor *t = &m->tensors[i];
        if (t->kind == TML_TENSOR_VARIABLE) {
            /* TFLM resets int8 state to its zero point (the quantized 0.0). */
            memset(t->data, t->type == TML_INT8 ? (int)(uint8_t)t->zero_point : 0, t->bytes);
        }
    }
    for (int i = 0; i < m->num_nodes; i++) {
        tml_node *n = &m->nodes[i];
        if (n->persistent_bytes) {
            memset(n->persistent, 0, n->persistent_bytes);
        }
        if (n->kernel->reset != NULL) {
            m->error_node = (int16_t)i;
            tml_status st = n->kernel->reset(m, n);
            if (st != TML_OK) {
                return st;
            }
        }
    }
    m->error_node = -1;
    return TML_OK;
}

tml_status tml_invoke(tml_model *m) {
    if (m->stage != STAGE_READY) {
        return tml_fail(m, TML_ERR_STATE, "invoke before the model has an arena (tml_set_arena)");
    }
    bool profile = m->clock != NULL && m->op_ticks != NULL;
    for (int i = 0; i < m->num_nodes; i++) {
        tml_node *n = &m->nodes[i];
        uint32_t start = profile ? m->clock() : 0;
        m->error_node = (int16_t)i;
        tml_status st = n->kernel->eval(m, n);
        if (st != TML_OK) {
            return st;
        }
        if (profile) {
            m->op_ticks[i] = m->clock() - start;
        }
    }
    m->error_node = -1;
    return TML_OK;
}

/* ---- introspection ------------------------------------------------------- */

tml_tensor *tml_input(tml_model *m, int i) {
    if (m->stage < STAGE_PREPARED || i < 0 || i >= m->num_inputs) {
        return NULL;
    }
    return &m->tensors[m->input_tensors[i]];
}

tml_tensor *tml_output(tml_model *m, int i) {
    if (m->stage < STAGE_PREPARED || i < 0 || i >= m->num_outputs) {
        return NULL;
    }
    return &m->tensors[m->output_tensors[i]];
}

const char *tml_tensor_name(const tml_model *m, int tensor_index, size_t *len) {
    tml_fb fb = model_fb(m);
    tml_fb_vec tensors;
    tml_fb_table t;
    *len = 0;
    if (m->stage < STAGE_LOADED || tensor_index < 0 || tensor_index >= m->num_tensors) {
        return NULL;
    }
    tml_fb_vec_at(&fb, m->fb_tensors, 4, &tensors);
    if (!tml_fb_vec_table(&fb, &tensors, (uint32_t)tensor_index, &t)) {
        return NULL;
    }
    uint32_t n;
    const char *s = tml_fb_string(&fb, &t, TENSOR_NAME, &n);
    *len = n;
    return s;
}

int tml_node_count(const tml_model *m) {
    return m->stage >= STAGE_LOADED ? m->num_nodes : 0;
}

static int node_code(const tml_model *m, int node_index, int *version) {
    tml_fb_table op;
    int builtin = -1, v = 0;
    const char *custom;
    uint32_t custom_len;
    if (node_index < 0 || node_index >= m->num_nodes ||
        node_opcode((tml_model *)m, node_index, &op, &builtin, &v, &custom, &custom_len) != TML_OK) {
        return -1;
    }
    *version = v;
    return builtin;
}

const char *tml_node_op_name(const tml_model *m, int node_index) {
    int version;
    if (m->nodes != NULL && node_index >= 0 && node_index < m->num_nodes && m->nodes[node_index].kernel) {
        return m->nodes[node_index].kernel->name;
    }
    return tml_builtin_name(node_code(m, node_index, &version));
}

int tml_node_op_version(const tml_model *m, int node_index) {
    int version = 0;
    return node_code(m, node_index, &version) >= 0 ? version : 0;
}

/* The QuantizationParameters table of a quantized tensor record. */
static bool tensor_quantization(const tml_model *m, const tml_tensor *t, tml_fb_table *q) {
    tml_fb fb = model_fb(m);
    tml_fb_vec tensors;
    tml_fb_table table;
    if (t->num_channels == 0 || m->tensors == NULL || t < m->tensors || t >= m->tensors + m->num_tensors) {
        return false;
    }
    tml_fb_vec_at(&fb, m->fb_tensors, 4, &tensors);
    return tml_fb_vec_table(&fb, &tensors, (uint32_t)(t - m->tensors), &table) &&
           tml_fb_subtable(&fb, &table, TENSOR_QUANTIZATION, q);
}

float tml_tensor_channel_scale(const tml_model *m, const tml_tensor *t, int channel) {
    tml_fb fb = model_fb(m);
    tml_fb_table q;
    tml_fb_vec scales;
    if (channel < 0 || channel >= t->num_channels || !tensor_quantization(m, t, &q) ||
        !tml_fb_vector(&fb, &q, QUANT_SCALE, 4, &scales) || (uint32_t)channel >= scales.count) {
        return 0.0f;
    }
    return tml_rd_f32(m->buf + scales.pos + 4 * (uint32_t)channel);
}

int32_t tml_tensor_channel_zero_point(const tml_model *m, const tml_tensor *t, int channel) {
    tml_fb fb = model_fb(m);
    tml_fb_table q;
    tml_fb_vec zps;
    if (channel < 0 || channel >= t->num_channels || !tensor_quantization(m, t, &q) ||
        !tml_fb_vector(&fb, &q, QUANT_ZERO_POINT, 8, &zps) || (uint32_t)channel >= zps.count) {
        return 0;
    }
    return (int32_t)tml_rd_i64(m->buf + zps.pos + 8 * (uint32_t)channel);
}

const uint8_t *tml_metadata(const tml_model *m, const char *name, size_t *len) {
    tml_fb fb = model_fb(m);
    tml_fb_vec entries;
    *len = 0;
    if (m->stage < STAGE_LOADED || m->fb_metadata == 0 || !tml_fb_vec_at(&fb, m->fb_metadata, 4, &entries)) {
        return NULL;
    }
    size_t want = 0;
    while (name[want]) {
        want++;
    }
    for (uint32_t i = 0; i < entries.count; i++) {
        tml_fb_table e;
        uint32_t n;
        if (!tml_fb_vec_table(&fb, &entries, i, &e)) {
            continue;
        }
        const char *s = tml_fb_string(&fb, &e, METADATA_NAME, &n);
        if (s == NULL || n != want) {
            continue;
        }
        uint32_t same = 0;
        while (same < n && s[same] == name[same]) {
            same++;
        }
        if (same != n) {
            continue;
        }
        const uint8_t *data;
        uint32_t data_len;
        if (read_buffer((tml_model *)m, tml_fb_u32(&fb, &e, METADATA_BUFFER, 0), &data, &data_len, -1) != TML_OK) {
            return NULL;
        }
        *len = data_len;
        return data;
    }
    return NULL;
}
