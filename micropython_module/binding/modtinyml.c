/*
 * `import tinyml`: the MicroPython binding of the tinyml engine.
 *
 * One source, built two ways:
 *   - as a user C module baked into firmware (USER_C_MODULES=.../micropython_module);
 *   - as a native .mpy module (micropython_module/natmod, MICROPY_ENABLE_DYNRUNTIME).
 * The #if MICROPY_ENABLE_DYNRUNTIME blocks are the only differences: a natmod
 * reaches the runtime through mp_fun_table and builds its types at import time.
 *
 * The binding is thin: all inference work is in the engine (engine/tinyml.h).
 *
 * Memory (everything lives on the MicroPython GC heap, owned by the Model):
 *   - the model bytes: a buffer passed in is used in place (never copied) and
 *     kept referenced; a file path is read once into one heap block;
 *   - the state block (tensor/node records, quantization multipliers):
 *     m.state_bytes from the heap, shrunk in place after preparing to what the
 *     engine keeps (model.state_size);
 *   - the arena (activations and scratch): by default exactly the planned size
 *     from the heap; or a size in bytes; or a caller-owned writable buffer used
 *     in place (the caller keeps it alive; it must not be shared by two models
 *     that run interleaved).
 * No block is allocated outside the GC heap, so a Model needs no finaliser:
 * when it becomes unreachable the collector reclaims all of it.
 *
 * Zero copy: Tensor.data is a memoryview onto the tensor's bytes in the arena.
 * It points at the start of the arena block with an element offset (the way
 * MicroPython's own memoryview slices do), because the GC only follows
 * pointers to the start of a block: a view kept after its Model is dropped
 * still keeps the arena alive.
 */
#if MICROPY_ENABLE_DYNRUNTIME
#include "py/dynruntime.h"
#else
#include "py/binary.h"
#include "py/mphal.h"
#include "py/objstr.h"
#include "py/runtime.h"
#endif
#include "py/objarray.h"

#include "tinyml.h"
#include "tml_quant.h"

#if !MICROPY_ENABLE_DYNRUNTIME && !(MICROPY_PY_BUILTINS_MEMORYVIEW && MICROPY_PY_ARRAY && MICROPY_PY_BUILTINS_FLOAT)
#error "tinyml needs memoryview, the array module and float support in the firmware"
#endif

/* ---- Runtime services that differ between firmware and natmod ---------------- */

/* memoryview's flag for "writable" in mp_obj_array_t.typecode (py/objarray.c). */
#define MEMORYVIEW_WRITABLE (0x80)

#if MICROPY_ENABLE_DYNRUNTIME

/* A natmod has no libc: the engine's memcpy/memset/memmove go to the runtime's. */
void *memcpy(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}
void *memmove(void *dst, const void *src, size_t n) {
    return mp_fun_table.memmove_(dst, src, n);
}
void *memset(void *dst, int c, size_t n) {
    return mp_fun_table.memset_(dst, c, n);
}
int memcmp(const void *a, const void *b, size_t n) {
    const uint8_t *pa = a, *pb = b;
    for (size_t i = 0; i < n; i++) {
        if (pa[i] != pb[i]) {
            return pa[i] < pb[i] ? -1 : 1;
        }
    }
    return 0;
}

#define mp_call_method_n_kw(n_args, n_kw, args) (mp_fun_table.call_method_n_kw((n_args), (n_kw), (args)))
#define TYPE_MEMORYERROR ((const mp_obj_type_t *)mp_load_global(MP_QSTR_MemoryError))
#define TYPE_OSERROR ((const mp_obj_type_t *)mp_load_global(MP_QSTR_OSError))

/* Floats cross into the runtime through memory, never as arguments: a soft-float
 * module (armv6m, armv7m) may run on hard-float firmware, whose mp_fun_table
 * float functions expect their arguments in FPU registers. */
static float float_from_obj(mp_obj_t o) {
    float f;
    mp_binary_set_val_array('f', &f, 0, o);
    return f;
}
static mp_obj_t float_to_obj(float f) {
    return mp_binary_get_val_array('f', &f, 0);
}

/* Natmod globals are not static: mpy_ld only relocates bss reached through the GOT. */

/* Types looked up at import time (builtins that dynruntime.h does not name). */
const mp_obj_type_t *tinyml_type_memoryview;
const mp_obj_type_t *tinyml_type_array;
#define TYPE_MEMORYVIEW (tinyml_type_memoryview)
#define TYPE_ARRAY (tinyml_type_array)

/* time.ticks_us, the only clock a natmod can reach; fetched when profiling is
 * first asked for. */
mp_obj_t tinyml_ticks_us_fun;
#define PROFILE_UNIT "us"
/* time.ticks_us() wraps at 2^30; durations are taken modulo that. */
#define PROFILE_PERIOD_MASK ((uint32_t)0x3FFFFFFF)
/* Reading the clock is a Python call: only worth it when profiling was asked for. */
#define PROFILE_CLOCK_ALWAYS_ON 0
static uint32_t profile_clock(void) {
    return (uint32_t)mp_obj_get_int_truncated(mp_call_function_n_kw(tinyml_ticks_us_fun, 0, 0, NULL));
}
static mp_obj_t profile_clock_owner(void) {
    if (tinyml_ticks_us_fun == MP_OBJ_NULL) {
        mp_obj_t time_module = mp_import_name(MP_QSTR_time, mp_const_none, MP_OBJ_NEW_SMALL_INT(0));
        tinyml_ticks_us_fun = mp_load_attr(time_module, MP_QSTR_ticks_us);
    }
    return tinyml_ticks_us_fun;
}

/* Returns NULL when the heap is full (the caller raises a MemoryError that
 * says what did not fit). */
static void *heap_alloc_maybe(size_t n) {
    return mp_fun_table.realloc_(NULL, n, false);
}
static void heap_shrink_in_place(void *p, size_t n) {
    mp_fun_table.realloc_(p, n, false);
}

#else

#define TYPE_MEMORYERROR (&mp_type_MemoryError)
#define TYPE_OSERROR (&mp_type_OSError)
#define float_from_obj(o) ((float)mp_obj_get_float(o))
#define float_to_obj(f) (mp_obj_new_float((mp_float_t)(f)))
#define TYPE_MEMORYVIEW (&mp_type_memoryview)
#define TYPE_ARRAY (&mp_type_array)

#if defined(BOARD_HAS_INSTRUCTION_COUNTER) && BOARD_HAS_INSTRUCTION_COUNTER
/* The emulated boards (boards/qemu) count retired instructions exactly: a
 * profile in instructions is deterministic and compares with TFLM's counts on
 * the same core. Durations are differences modulo 2^32 (no operator retires
 * 4 G instructions). */
#include "board.h"
#define PROFILE_UNIT "instructions"
#define PROFILE_PERIOD_MASK ((uint32_t)0xFFFFFFFF)
static uint32_t profile_clock(void) {
    return (uint32_t)board_instructions();
}
#else
#define PROFILE_UNIT "us"
/* mp_hal_ticks_us() is read like time.ticks_us(), which wraps at 2^30. */
#define PROFILE_PERIOD_MASK ((uint32_t)0x3FFFFFFF)
static uint32_t profile_clock(void) {
    return (uint32_t)mp_hal_ticks_us();
}
#endif
/* A C clock costs a few dozen instructions: every invoke() is timed. */
#define PROFILE_CLOCK_ALWAYS_ON 1
static mp_obj_t profile_clock_owner(void) {
    return mp_const_none;
}

static void *heap_alloc_maybe(size_t n) {
    return m_malloc_maybe(n);
}
static void heap_shrink_in_place(void *p, size_t n) {
    #if MICROPY_MALLOC_USES_ALLOCATED_SIZE
    (void)p;
    (void)n; /* the old size is not tracked here; keeping the block as it is is harmless */
    #else
    m_realloc_maybe(p, n, false);
    #endif
}

#endif


/* ---- Error messages ----------------------------------------------------------- */

/* mp_raise_msg keeps a pointer to its text, so every message built here (or
 * taken from a model's error buffer, which dies with the model) is turned into
 * a str object first. */
typedef struct {
    char text[224];
    size_t len;
} message_t;

static void msg_str(message_t *msg, const char *s) {
    while (*s && msg->len < sizeof(msg->text)) {
        msg->text[msg->len++] = *s++;
    }
}

static void msg_uint(message_t *msg, size_t v) {
    char digits[24];
    size_t n = 0;
    do {
        digits[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    while (n > 0 && msg->len < sizeof(msg->text)) {
        msg->text[msg->len++] = digits[--n];
    }
}

static void msg_int(message_t *msg, mp_int_t v) {
    if (v < 0) {
        msg_str(msg, "-");
        msg_uint(msg, (size_t)0 - (size_t)v);
    } else {
        msg_uint(msg, (size_t)v);
    }
}

static NORETURN void raise_message(const mp_obj_type_t *type, const message_t *msg) {
    nlr_raise(mp_obj_new_exception_arg1(type, mp_obj_new_str(msg->text, msg->len)));
}

static NORETURN void raise_text(const mp_obj_type_t *type, const char *text) {
    message_t msg = {{0}, 0};
    msg_str(&msg, text);
    raise_message(type, &msg);
}

static NORETURN void raise_no_memory(size_t n, const char *what) {
    message_t msg = {{0}, 0};
    msg_str(&msg, "cannot allocate ");
    msg_uint(&msg, n);
    msg_str(&msg, " bytes for the ");
    msg_str(&msg, what);
    raise_message(TYPE_MEMORYERROR, &msg);
}

static void *heap_alloc(size_t n, const char *what) {
    void *p = heap_alloc_maybe(n ? n : 1);
    if (p == NULL) {
        raise_no_memory(n, what);
    }
    return p;
}

/* mp_obj_get_int() in dynruntime.h returns an unsigned word: read it back as
 * signed so that negative arguments are seen as negative. */
static mp_int_t int_from_obj(mp_obj_t o) {
    return (mp_int_t)mp_obj_get_int(o);
}

/* ---- Objects ------------------------------------------------------------------ */

typedef struct {
    mp_obj_base_t base;
    mp_obj_t source;        /* the object holding the model bytes (kept alive) */
    mp_obj_t arena_owner;   /* the caller's arena object, or MP_OBJ_NULL */
    mp_obj_t clock_owner;   /* keeps the natmod's clock function reachable */
    uint8_t *state;         /* heap block: the engine's state */
    uint8_t *arena_block;   /* start of the arena memory (heap block or caller buffer) */
    size_t arena_len;       /* bytes of arena_block in use */
    uint32_t *op_ticks;     /* per-node PROFILE_UNITs of the last invoke, NULL unless profiling */
    uint32_t invoke_ticks;  /* PROFILE_UNITs of the last timed invoke (see invoke_timed) */
    bool invoke_timed;      /* invoke_ticks holds a measurement */
    tml_model m;
} tinyml_model_obj_t;

typedef struct {
    mp_obj_base_t base;
    tinyml_model_obj_t *model; /* keeps the model (and its arena) alive */
    tml_tensor *tensor;
    uint16_t index;            /* graph input or output number */
    bool is_input;
} tinyml_tensor_obj_t;

#if MICROPY_ENABLE_DYNRUNTIME
mp_obj_full_type_t tinyml_type_model;
mp_obj_full_type_t tinyml_type_tensor;
#define TYPE_MODEL ((const mp_obj_type_t *)&tinyml_type_model)
#define TYPE_TENSOR ((const mp_obj_type_t *)&tinyml_type_tensor)
#else
static const mp_obj_type_t tinyml_type_model;
static const mp_obj_type_t tinyml_type_tensor;
#define TYPE_MODEL (&tinyml_type_model)
#define TYPE_TENSOR (&tinyml_type_tensor)
#endif

static void *new_object(size_t size, const mp_obj_type_t *type, const char *what) {
    mp_obj_base_t *base = heap_alloc(size, what);
    memset(base, 0, size);
    base->type = type;
    return base;
}

/* Raises the exception that fits an engine status, with the engine's message. */
static NORETURN void raise_engine_error(const tml_model *m, tml_status status) {
    const mp_obj_type_t *type = &mp_type_ValueError;
    if (status == TML_ERR_UNSUPPORTED) {
        type = &mp_type_NotImplementedError;
    } else if (status == TML_ERR_STATE || status == TML_ERR_RUNTIME) {
        type = &mp_type_RuntimeError;
    }
    size_t len = 0;
    while (len < sizeof(m->error) && m->error[len] != 0) {
        len++;
    }
    nlr_raise(mp_obj_new_exception_arg1(type, mp_obj_new_str(m->error, len)));
}

static void check(const tml_model *m, tml_status status) {
    if (status != TML_OK) {
        raise_engine_error(m, status);
    }
}

/* ---- Element types -------------------------------------------------------------- */

/* The array typecode that views a tensor's elements; 'B' (raw bytes) for
 * types without one. */
static char dtype_typecode(int dtype) {
    switch (dtype) {
        case TML_INT8:
            return 'b';
        case TML_UINT8:
        case TML_BOOL:
            return 'B';
        case TML_INT16:
            return 'h';
        case TML_UINT16:
            return 'H';
        case TML_INT32:
            return 'i';
        case TML_UINT32:
            return 'I';
        case TML_INT64:
            return 'q';
        case TML_FLOAT32:
            return 'f';
        case TML_FLOAT64:
            return 'd';
        default:
            return 'B';
    }
}

static size_t typecode_size(char typecode) {
    switch (typecode) {
        case 'h':
        case 'H':
            return 2;
        case 'i':
        case 'I':
        case 'f':
            return 4;
        case 'q':
        case 'd':
            return 8;
        default:
            return 1;
    }
}

static size_t tensor_elements(const tml_tensor *t) {
    size_t size = tml_dtype_size(t->type);
    return size ? t->bytes / size : t->bytes;
}

/* Integer tensors with a scale are quantized; quantize()/dequantize() map
 * them to and from float. */
static bool tensor_is_quantized(const tml_tensor *t) {
    return t->scale != 0.0f && (t->type == TML_INT8 || t->type == TML_UINT8 || t->type == TML_INT16 ||
        t->type == TML_INT32);
}

static void tensor_int_range(int dtype, int32_t *lo, int32_t *hi) {
    switch (dtype) {
        case TML_INT8:
            *lo = -128;
            *hi = 127;
            break;
        case TML_UINT8:
            *lo = 0;
            *hi = 255;
            break;
        case TML_INT16:
            *lo = -32768;
            *hi = 32767;
            break;
        default:
            *lo = INT32_MIN;
            *hi = INT32_MAX;
            break;
    }
}

/* TFLM's Quantize: (int)round(x / scale) + zero_point, clamped to the type. */
static int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t lo, int32_t hi) {
    float r = tml_roundf(x / scale);
    int32_t q;
    if (r != r) {
        q = 0; /* NaN */
    } else if (r >= 2147483520.0f) {
        q = INT32_MAX;
    } else if (r <= -2147483648.0f) {
        q = INT32_MIN;
    } else {
        q = (int32_t)r;
    }
    int64_t shifted = (int64_t)q + zero_point;
    return shifted < lo ? lo : (shifted > hi ? hi : (int32_t)shifted);
}

static void store_element(const tml_tensor *t, size_t i, float x, int32_t lo, int32_t hi) {
    if (t->type == TML_FLOAT32) {
        ((float *)t->data)[i] = x;
        return;
    }
    int32_t q = quantize_value(x, t->scale, t->zero_point, lo, hi);
    switch (t->type) {
        case TML_INT8:
            ((int8_t *)t->data)[i] = (int8_t)q;
            break;
        case TML_UINT8:
            ((uint8_t *)t->data)[i] = (uint8_t)q;
            break;
        case TML_INT16:
            ((int16_t *)t->data)[i] = (int16_t)q;
            break;
        default:
            ((int32_t *)t->data)[i] = q;
            break;
    }
}

static float load_element(const tml_tensor *t, size_t i) {
    int32_t v;
    switch (t->type) {
        case TML_FLOAT32:
            return ((const float *)t->data)[i];
        case TML_INT8:
            v = ((const int8_t *)t->data)[i];
            break;
        case TML_UINT8:
            v = ((const uint8_t *)t->data)[i];
            break;
        case TML_INT16:
            v = ((const int16_t *)t->data)[i];
            break;
        default:
            v = ((const int32_t *)t->data)[i];
            break;
    }
    /* (v - zp) and scale are exact in float products of this size, so this
     * single float rounding equals TFLM's (float)(double scale * (v - zp)). */
    return (float)(v - t->zero_point) * t->scale;
}

/* ---- Tensor ------------------------------------------------------------------- */

static void describe_tensor(message_t *msg, const tinyml_tensor_obj_t *self) {
    const tml_tensor *t = self->tensor;
    msg_str(msg, self->is_input ? "input " : "output ");
    msg_uint(msg, self->index);
    msg_str(msg, " expects shape (");
    for (int d = 0; d < t->ndim; d++) {
        msg_int(msg, t->dims[d]);
        msg_str(msg, d + 1 < t->ndim || t->ndim == 1 ? ", " : "");
    }
    msg_str(msg, ") ");
    msg_str(msg, tml_dtype_name(t->type));
    msg_str(msg, " (");
    msg_uint(msg, tensor_elements(t));
    msg_str(msg, " elements, ");
    msg_uint(msg, t->bytes);
    msg_str(msg, " bytes)");
}

static NORETURN void raise_wrong_input(const tinyml_tensor_obj_t *self, const char *got, size_t got_count,
    const char *unit) {
    message_t msg = {{0}, 0};
    describe_tensor(&msg, self);
    msg_str(&msg, "; got ");
    msg_str(&msg, got);
    msg_str(&msg, " of ");
    msg_uint(&msg, got_count);
    msg_str(&msg, unit);
    raise_message(&mp_type_ValueError, &msg);
}

static void require_float_target(const tinyml_tensor_obj_t *self) {
    const tml_tensor *t = self->tensor;
    if (t->type != TML_FLOAT32 && !tensor_is_quantized(t)) {
        message_t msg = {{0}, 0};
        describe_tensor(&msg, self);
        msg_str(&msg, "; it has no quantization parameters, so floats cannot be converted to it");
        raise_message(&mp_type_ValueError, &msg);
    }
}

static bool is_list_or_tuple(mp_obj_t o) {
    const mp_obj_type_t *type = mp_obj_get_type(o);
    return type == &mp_type_list || type == &mp_type_tuple;
}

/* Writes floats (a list/tuple of numbers, or a buffer of typecode 'f') into the
 * tensor: quantized with the engine's rounding, or stored as they are when the
 * tensor is float32. */
static void tensor_set_floats(const tinyml_tensor_obj_t *self, mp_obj_t src) {
    const tml_tensor *t = self->tensor;
    require_float_target(self);
    size_t n = tensor_elements(t);
    int32_t lo, hi;
    tensor_int_range(t->type, &lo, &hi);
    if (is_list_or_tuple(src)) {
        size_t len;
        mp_obj_t *items;
        mp_obj_get_array(src, &len, &items);
        if (len != n) {
            raise_wrong_input(self, "a sequence", len, " numbers");
        }
        for (size_t i = 0; i < n; i++) {
            store_element(t, i, float_from_obj(items[i]), lo, hi);
        }
        return;
    }
    mp_buffer_info_t buf;
    if (!mp_get_buffer(src, &buf, MP_BUFFER_READ) || buf.typecode != 'f') {
        raise_text(&mp_type_TypeError, "expected floats: array('f') or a list/tuple of numbers");
    }
    if (buf.len != n * 4) {
        raise_wrong_input(self, "array('f')", buf.len / 4, " floats");
    }
    for (size_t i = 0; i < n; i++) {
        float x;
        memcpy(&x, (const uint8_t *)buf.buf + 4 * i, 4);
        store_element(t, i, x, lo, hi);
    }
}

/* Copies raw data into the tensor: a buffer of the tensor's own typecode, or
 * bytes/bytearray ('B') of exactly the tensor's size. */
static void tensor_set_raw(const tinyml_tensor_obj_t *self, const mp_buffer_info_t *buf) {
    const tml_tensor *t = self->tensor;
    char want = dtype_typecode(t->type);
    /* bytes report 'B', bytearray BYTEARRAY_TYPECODE: both are raw bytes. */
    bool raw_bytes = buf->typecode == 'B' || buf->typecode == BYTEARRAY_TYPECODE;
    if (buf->typecode != want && !raw_bytes) {
        char got[] = "an array of typecode ' '";
        got[sizeof(got) - 3] = (char)buf->typecode;
        raise_wrong_input(self, got, buf->len, " bytes");
    }
    if (buf->len != t->bytes) {
        raise_wrong_input(self, "a buffer", buf->len, " bytes");
    }
    memcpy(t->data, buf->buf, t->bytes);
}

/* Fills a tensor from whatever predict()/`.data =` was given. */
static void tensor_fill(const tinyml_tensor_obj_t *self, mp_obj_t src) {
    if (is_list_or_tuple(src)) {
        tensor_set_floats(self, src);
        return;
    }
    mp_buffer_info_t buf;
    if (!mp_get_buffer(src, &buf, MP_BUFFER_READ)) {
        raise_text(&mp_type_TypeError,
            "expected a buffer (bytes, bytearray, array, memoryview) or a list of numbers");
    }
    if (buf.typecode == 'f' && self->tensor->type != TML_FLOAT32) {
        tensor_set_floats(self, src);
    } else {
        tensor_set_raw(self, &buf);
    }
}

/* A new array of `n` elements of `typecode` (an mp_obj_array_t, as array.array
 * makes them). */
static mp_obj_t new_array(char typecode, size_t n, void **items) {
    mp_obj_array_t *a = new_object(sizeof(mp_obj_array_t), TYPE_ARRAY, "array");
    a->typecode = (uint8_t)typecode;
    a->free = 0;
    a->len = n;
    a->items = heap_alloc(n * typecode_size(typecode), "array");
    *items = a->items;
    return MP_OBJ_FROM_PTR(a);
}

static mp_obj_t tensor_data_view(const tinyml_tensor_obj_t *self) {
    const tinyml_model_obj_t *model = self->model;
    const tml_tensor *t = self->tensor;
    char typecode = dtype_typecode(t->type);
    size_t elem = typecode_size(typecode);
    bool in_arena = t->kind == TML_TENSOR_ACTIVATION || t->kind == TML_TENSOR_VARIABLE;
    mp_obj_array_t *view = new_object(sizeof(mp_obj_array_t), TYPE_MEMORYVIEW, "memoryview");
    view->typecode = (uint8_t)(typecode | (in_arena ? MEMORYVIEW_WRITABLE : 0));
    view->len = t->bytes / elem;
    size_t offset = (size_t)((const uint8_t *)t->data - model->arena_block);
    if (in_arena && offset % elem == 0) {
        view->items = model->arena_block;
        view->free = offset / elem;
    } else {
        view->items = t->data;
        view->free = 0;
    }
    return MP_OBJ_FROM_PTR(view);
}

static mp_obj_t tensor_shape(const tml_tensor *t) {
    mp_obj_t dims[TML_MAX_DIMS];
    for (int d = 0; d < t->ndim; d++) {
        dims[d] = mp_obj_new_int(t->dims[d]);
    }
    return mp_obj_new_tuple(t->ndim, dims);
}

static void tensor_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    tinyml_tensor_obj_t *self = MP_OBJ_TO_PTR(self_in);
    const tml_tensor *t = self->tensor;
    if (dest[0] == MP_OBJ_SENTINEL) {
        /* Store: only `.data = buffer` (copied in, after checking size and type). */
        if (attr == MP_QSTR_data && dest[1] != MP_OBJ_NULL) {
            tensor_fill(self, dest[1]);
            dest[0] = MP_OBJ_NULL;
        }
        return;
    }
    if (dest[0] != MP_OBJ_NULL) {
        return;
    }
    if (attr == MP_QSTR_shape) {
        dest[0] = tensor_shape(t);
    } else if (attr == MP_QSTR_dtype) {
        const char *name = tml_dtype_name(t->type);
        size_t len = 0;
        while (name[len]) {
            len++;
        }
        dest[0] = mp_obj_new_str(name, len);
    } else if (attr == MP_QSTR_scale) {
        dest[0] = float_to_obj(t->scale);
    } else if (attr == MP_QSTR_zero_point) {
        dest[0] = mp_obj_new_int(t->zero_point);
    } else if (attr == MP_QSTR_data) {
        dest[0] = tensor_data_view(self);
    } else if (attr == MP_QSTR_nbytes) {
        dest[0] = mp_obj_new_int_from_uint(t->bytes);
    } else {
        dest[1] = MP_OBJ_SENTINEL; /* methods: look in locals_dict */
    }
}

static mp_obj_t tensor_quantize(mp_obj_t self_in, mp_obj_t src) {
    tensor_set_floats(MP_OBJ_TO_PTR(self_in), src);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(tensor_quantize_obj, tensor_quantize);

/* Writes the tensor's values as floats into `out`, or into a new array('f'). */
static mp_obj_t tensor_dequantize_into(const tinyml_tensor_obj_t *self, mp_obj_t out) {
    const tml_tensor *t = self->tensor;
    require_float_target(self);
    size_t n = tensor_elements(t);
    float *values;
    if (out == mp_const_none) {
        out = new_array('f', n, (void **)&values);
    } else {
        mp_buffer_info_t buf;
        if (!mp_get_buffer(out, &buf, MP_BUFFER_WRITE) || buf.typecode != 'f') {
            raise_text(&mp_type_TypeError, "out must be a writable array('f')");
        }
        if (buf.len != n * 4) {
            message_t msg = {{0}, 0};
            msg_str(&msg, "out has ");
            msg_uint(&msg, buf.len / 4);
            msg_str(&msg, " floats; the tensor has ");
            msg_uint(&msg, n);
            raise_message(&mp_type_ValueError, &msg);
        }
        values = buf.buf;
    }
    for (size_t i = 0; i < n; i++) {
        float x = load_element(t, i);
        memcpy(&values[i], &x, 4);
    }
    return out;
}

static mp_obj_t tensor_dequantize(size_t n_args, const mp_obj_t *args) {
    return tensor_dequantize_into(MP_OBJ_TO_PTR(args[0]), n_args > 1 ? args[1] : mp_const_none);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(tensor_dequantize_obj, 1, 2, tensor_dequantize);

static mp_obj_t tensor_unary_op(mp_unary_op_t op, mp_obj_t self_in) {
    tinyml_tensor_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (op == MP_UNARY_OP_LEN) {
        return MP_OBJ_NEW_SMALL_INT(tensor_elements(self->tensor));
    }
    return MP_OBJ_NULL;
}

static void tensor_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    (void)kind;
    tinyml_tensor_obj_t *self = MP_OBJ_TO_PTR(self_in);
    const tml_tensor *t = self->tensor;
    mp_printf(print, "<Tensor %s %u: %s (", self->is_input ? "input" : "output", (unsigned)self->index,
        tml_dtype_name(t->type));
    for (int d = 0; d < t->ndim; d++) {
        mp_printf(print, d + 1 < t->ndim || t->ndim == 1 ? "%d, " : "%d", (int)t->dims[d]);
    }
    mp_printf(print, ")>");
}

/* ---- Model -------------------------------------------------------------------- */

static void close_file(mp_obj_t file) {
    mp_obj_t call[2];
    mp_load_method(file, MP_QSTR_close, call);
    mp_call_method_n_kw(0, 0, call);
}

/* Reads a file into one heap block of exactly its size, through the port's own
 * open() (seek to the end for the size, then readinto). */
static mp_obj_t read_file(mp_obj_t path) {
    mp_obj_t open_args[2] = {path, MP_OBJ_NEW_QSTR(MP_QSTR_rb)};
    mp_obj_t file = mp_call_function_n_kw(mp_load_global(MP_QSTR_open), 2, 0, open_args);
    mp_obj_t call[4];
    mp_load_method(file, MP_QSTR_seek, call);
    call[2] = MP_OBJ_NEW_SMALL_INT(0);
    call[3] = MP_OBJ_NEW_SMALL_INT(2);
    size_t size = (size_t)int_from_obj(mp_call_method_n_kw(2, 0, call));
    mp_load_method(file, MP_QSTR_seek, call);
    call[2] = MP_OBJ_NEW_SMALL_INT(0);
    mp_call_method_n_kw(1, 0, call);
    uint8_t *block = heap_alloc_maybe(size ? size : 1);
    if (block == NULL) {
        close_file(file);
        raise_no_memory(size, "model file");
    }
    size_t done = 0;
    while (done < size) {
        mp_load_method(file, MP_QSTR_readinto, call);
        call[2] = mp_obj_new_bytearray_by_ref(size - done, block + done);
        mp_obj_t got = mp_call_method_n_kw(1, 0, call);
        mp_int_t n = got == mp_const_none ? 0 : int_from_obj(got);
        if (n <= 0) {
            break;
        }
        done += (size_t)n;
    }
    close_file(file);
    if (done != size) {
        raise_text(TYPE_OSERROR, "model file: could not read the whole file");
    }
    return mp_obj_new_bytearray_by_ref(size, block);
}

static NORETURN void raise_arena_too_small(size_t needed, size_t given) {
    message_t msg = {{0}, 0};
    msg_str(&msg, "arena too small: needs ");
    msg_uint(&msg, needed);
    msg_str(&msg, " bytes, given ");
    msg_uint(&msg, given);
    raise_message(&mp_type_ValueError, &msg);
}

static mp_obj_t model_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    enum { ARG_source, ARG_arena, ARG_profile };
    /* In a natmod qstrs are only known at run time, so the table is built per call. */
    #if MICROPY_ENABLE_DYNRUNTIME
    const mp_arg_t allowed_args[] = {
    #else
    static const mp_arg_t allowed_args[] = {
    #endif
        {MP_QSTR_source, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL}},
        {MP_QSTR_arena, MP_ARG_KW_ONLY | MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL}},
        {MP_QSTR_profile, MP_ARG_KW_ONLY | MP_ARG_BOOL, {.u_bool = false}},
    };
    mp_arg_val_t parsed[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all_kw_array(n_args, n_kw, args, MP_ARRAY_SIZE(allowed_args), allowed_args, parsed);
    mp_obj_t source = parsed[ARG_source].u_obj;
    mp_obj_t arena = parsed[ARG_arena].u_obj;

    /* The model bytes: a file read once, or a buffer used in place. */
    const mp_obj_type_t *source_type = mp_obj_get_type(source);
    if (source_type == &mp_type_str) {
        source = read_file(source);
    }
    mp_buffer_info_t model_buf;
    if (!mp_get_buffer(source, &model_buf, MP_BUFFER_READ)) {
        raise_text(&mp_type_TypeError, "source must be a file path (str) or a buffer (bytes, bytearray, memoryview)");
    }

    tinyml_model_obj_t *self = new_object(sizeof(tinyml_model_obj_t), type, "Model");
    self->source = source;
    self->arena_owner = MP_OBJ_NULL;
    self->clock_owner = MP_OBJ_NULL;
    self->invoke_timed = false;
    tml_model *m = &self->m;
    check(m, tml_load(m, model_buf.buf, model_buf.len));

    self->state = heap_alloc(m->state_bytes, "model state");
    check(m, tml_prepare(m, self->state, m->state_bytes));
    /* The tail of the state block was the planner's workspace. */
    heap_shrink_in_place(self->state, m->state_used_bytes);

    if (arena == MP_OBJ_NULL || arena == mp_const_none) {
        self->arena_len = m->arena_bytes;
        self->arena_block = heap_alloc(self->arena_len, "arena");
    } else if (mp_obj_is_int(arena)) {
        mp_int_t size = int_from_obj(arena);
        if (size < 0) {
            raise_text(&mp_type_ValueError, "arena size must not be negative");
        }
        if ((size_t)size < m->arena_bytes) {
            raise_arena_too_small(m->arena_bytes, (size_t)size);
        }
        self->arena_len = (size_t)size;
        self->arena_block = heap_alloc(self->arena_len, "arena");
    } else {
        mp_buffer_info_t arena_buf;
        if (!mp_get_buffer(arena, &arena_buf, MP_BUFFER_WRITE)) {
            raise_text(&mp_type_TypeError, "arena must be None, a size in bytes, or a writable buffer (bytearray)");
        }
        self->arena_owner = arena;
        self->arena_block = arena_buf.buf;
        self->arena_len = arena_buf.len;
    }
    memset(self->arena_block, 0, self->arena_len);
    check(m, tml_set_arena(m, self->arena_block, self->arena_len));

    if (parsed[ARG_profile].u_bool) {
        self->clock_owner = profile_clock_owner();
        self->op_ticks = heap_alloc(sizeof(uint32_t) * (size_t)(m->num_nodes ? m->num_nodes : 1), "profile");
        memset(self->op_ticks, 0, sizeof(uint32_t) * (size_t)m->num_nodes);
        m->clock = profile_clock;
        m->op_ticks = self->op_ticks;
    }
    return MP_OBJ_FROM_PTR(self);
}

static mp_obj_t new_tensor(tinyml_model_obj_t *model, bool is_input, mp_int_t index) {
    tml_model *m = &model->m;
    int count = is_input ? m->num_inputs : m->num_outputs;
    tml_tensor *t = NULL;
    if (index >= 0 && index < count) {
        t = is_input ? tml_input(m, (int)index) : tml_output(m, (int)index);
    }
    if (t == NULL) {
        message_t msg = {{0}, 0};
        msg_str(&msg, is_input ? "input " : "output ");
        msg_int(&msg, index);
        msg_str(&msg, " out of range: the model has ");
        msg_uint(&msg, (size_t)count);
        msg_str(&msg, is_input ? " input(s)" : " output(s)");
        raise_message(&mp_type_IndexError, &msg);
    }
    tinyml_tensor_obj_t *tensor = new_object(sizeof(tinyml_tensor_obj_t), TYPE_TENSOR, "Tensor");
    tensor->model = model;
    tensor->tensor = t;
    tensor->index = (uint16_t)index;
    tensor->is_input = is_input;
    return MP_OBJ_FROM_PTR(tensor);
}

static mp_obj_t model_input(size_t n_args, const mp_obj_t *args) {
    return new_tensor(MP_OBJ_TO_PTR(args[0]), true, n_args > 1 ? int_from_obj(args[1]) : 0);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_input_obj, 1, 2, model_input);

static mp_obj_t model_output(size_t n_args, const mp_obj_t *args) {
    return new_tensor(MP_OBJ_TO_PTR(args[0]), false, n_args > 1 ? int_from_obj(args[1]) : 0);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(model_output_obj, 1, 2, model_output);

/* tml_invoke, timed in C (so that last_invoke excludes the interpreter's call
 * overhead) when a clock is at hand. */
static void invoke_engine(tinyml_model_obj_t *self) {
    if (PROFILE_CLOCK_ALWAYS_ON || self->op_ticks != NULL) {
        uint32_t start = profile_clock();
        tml_status st = tml_invoke(&self->m);
        uint32_t end = profile_clock();
        self->invoke_timed = st == TML_OK;
        self->invoke_ticks = end - start;
        check(&self->m, st);
    } else {
        check(&self->m, tml_invoke(&self->m));
    }
}

static mp_obj_t model_invoke(mp_obj_t self_in) {
    invoke_engine(MP_OBJ_TO_PTR(self_in));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_invoke_obj, model_invoke);

/* predict(x): x goes into input 0 (raw bytes of the input's type, or floats that
 * are quantized when the input is quantized); returns output 0 as a new
 * array('f') of dequantized values when the output is quantized, otherwise a
 * copy of its raw values (an array of the output's typecode). */
static mp_obj_t model_predict(mp_obj_t self_in, mp_obj_t x) {
    tinyml_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    tinyml_tensor_obj_t *input = MP_OBJ_TO_PTR(new_tensor(self, true, 0));
    tensor_fill(input, x);
    invoke_engine(self);
    tinyml_tensor_obj_t *output = MP_OBJ_TO_PTR(new_tensor(self, false, 0));
    const tml_tensor *t = output->tensor;
    if (tensor_is_quantized(t)) {
        return tensor_dequantize_into(output, mp_const_none);
    }
    char typecode = dtype_typecode(t->type);
    void *items;
    mp_obj_t copy = new_array(typecode, t->bytes / typecode_size(typecode), &items);
    memcpy(items, t->data, t->bytes);
    return copy;
}
static MP_DEFINE_CONST_FUN_OBJ_2(model_predict_obj, model_predict);

static mp_obj_t model_reset(mp_obj_t self_in) {
    tinyml_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    check(&self->m, tml_reset(&self->m));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_reset_obj, model_reset);

static mp_obj_t new_name_number_pair(const char *name, mp_int_t number) {
    size_t len = 0;
    while (name != NULL && name[len]) {
        len++;
    }
    mp_obj_t pair[2] = {name ? mp_obj_new_str(name, len) : mp_const_none, mp_obj_new_int(number)};
    return mp_obj_new_tuple(2, pair);
}

/* profile(): [(op name, PROFILE_UNITs), ...] for each operator of the last invoke. */
static mp_obj_t model_profile(mp_obj_t self_in) {
    tinyml_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    if (self->op_ticks == NULL) {
        raise_text(&mp_type_RuntimeError, "profiling is off: create the model with Model(..., profile=True)");
    }
    mp_obj_t list = mp_obj_new_list(0, NULL);
    for (int i = 0; i < self->m.num_nodes; i++) {
        mp_obj_list_append(list, new_name_number_pair(tml_node_op_name(&self->m, i),
            (mp_int_t)(self->op_ticks[i] & PROFILE_PERIOD_MASK)));
    }
    return list;
}
static MP_DEFINE_CONST_FUN_OBJ_1(model_profile_obj, model_profile);

/* metadata(name="tinyml"): the bytes of the model's metadata entry `name` as a
 * read-only memoryview into the model bytes (zero-copy), or None when the
 * model has no such entry. Like Tensor.data, the view points at the start of
 * the model's block with a byte offset, so it keeps the model bytes alive
 * (for a model read from a file or given as bytes/bytearray). */
#define METADATA_NAME_MAX (64)
static mp_obj_t model_metadata(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_name };
    #if MICROPY_ENABLE_DYNRUNTIME
    const mp_arg_t allowed_args[] = {
    #else
    static const mp_arg_t allowed_args[] = {
    #endif
        {MP_QSTR_name, MP_ARG_OBJ, {.u_obj = MP_OBJ_NULL}},
    };
    mp_arg_val_t parsed[MP_ARRAY_SIZE(allowed_args)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed_args), allowed_args, parsed);
    tinyml_model_obj_t *self = MP_OBJ_TO_PTR(pos_args[0]);

    char name[METADATA_NAME_MAX + 1] = "tinyml";
    mp_obj_t name_obj = parsed[ARG_name].u_obj;
    if (name_obj != MP_OBJ_NULL) {
        if (mp_obj_get_type(name_obj) != &mp_type_str) {
            raise_text(&mp_type_TypeError, "metadata name must be a str");
        }
        size_t len;
        const char *text = mp_obj_str_get_data(name_obj, &len);
        if (len > METADATA_NAME_MAX) {
            message_t msg = {{0}, 0};
            msg_str(&msg, "metadata name too long: ");
            msg_uint(&msg, len);
            msg_str(&msg, " bytes, at most ");
            msg_uint(&msg, METADATA_NAME_MAX);
            raise_message(&mp_type_ValueError, &msg);
        }
        for (size_t i = 0; i < len; i++) {
            if (text[i] == 0) {
                raise_text(&mp_type_ValueError, "metadata name must not contain NUL");
            }
            name[i] = text[i];
        }
        name[len] = 0;
    }
    size_t len;
    const uint8_t *data = tml_metadata(&self->m, name, &len);
    if (data == NULL) {
        return mp_const_none;
    }
    mp_obj_array_t *view = new_object(sizeof(mp_obj_array_t), TYPE_MEMORYVIEW, "memoryview");
    view->typecode = 'B'; /* read-only: the model bytes may be in flash */
    view->items = (void *)self->m.buf;
    view->free = (size_t)(data - self->m.buf);
    view->len = len;
    return MP_OBJ_FROM_PTR(view);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(model_metadata_obj, 1, model_metadata);

static mp_obj_t model_tensors(tinyml_model_obj_t *self, bool inputs) {
    int count = inputs ? self->m.num_inputs : self->m.num_outputs;
    mp_obj_t tuple = mp_obj_new_tuple((size_t)count, NULL);
    mp_obj_t *items;
    size_t len;
    mp_obj_get_array(tuple, &len, &items);
    for (int i = 0; i < count; i++) {
        items[i] = new_tensor(self, inputs, i);
    }
    return tuple;
}

static void model_attr(mp_obj_t self_in, qstr attr, mp_obj_t *dest) {
    if (dest[0] != MP_OBJ_NULL) {
        return; /* no attribute can be stored or deleted */
    }
    tinyml_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    tml_model *m = &self->m;
    if (attr == MP_QSTR_inputs) {
        dest[0] = model_tensors(self, true);
    } else if (attr == MP_QSTR_outputs) {
        dest[0] = model_tensors(self, false);
    } else if (attr == MP_QSTR_arena_size) {
        dest[0] = mp_obj_new_int_from_uint(self->arena_len);
    } else if (attr == MP_QSTR_arena_used) {
        dest[0] = mp_obj_new_int_from_uint(m->arena_bytes);
    } else if (attr == MP_QSTR_state_size) {
        dest[0] = mp_obj_new_int_from_uint(m->state_used_bytes);
    } else if (attr == MP_QSTR_last_invoke) {
        dest[0] = self->invoke_timed
            ? mp_obj_new_int_from_uint(self->invoke_ticks & PROFILE_PERIOD_MASK) : mp_const_none;
    } else if (attr == MP_QSTR_ops) {
        int n = tml_node_count(m);
        mp_obj_t tuple = mp_obj_new_tuple((size_t)n, NULL);
        mp_obj_t *items;
        size_t len;
        mp_obj_get_array(tuple, &len, &items);
        for (int i = 0; i < n; i++) {
            items[i] = new_name_number_pair(tml_node_op_name(m, i), tml_node_op_version(m, i));
        }
        dest[0] = tuple;
    } else {
        dest[1] = MP_OBJ_SENTINEL; /* methods: look in locals_dict */
    }
}

static void model_print(const mp_print_t *print, mp_obj_t self_in, mp_print_kind_t kind) {
    (void)kind;
    tinyml_model_obj_t *self = MP_OBJ_TO_PTR(self_in);
    mp_printf(print, "<Model: %u ops, %u inputs, %u outputs, arena %u bytes, state %u bytes>",
        (unsigned)self->m.num_nodes, (unsigned)self->m.num_inputs, (unsigned)self->m.num_outputs,
        (unsigned)self->arena_len, (unsigned)self->m.state_used_bytes);
}

/* ---- Module functions ------------------------------------------------------------ */

/* ops(): [(op name, highest version), ...] this build carries. */
static mp_obj_t tinyml_ops(void) {
    mp_obj_t list = mp_obj_new_list(0, NULL);
    int max_version;
    const char *name;
    for (int i = 0; (name = tml_supported_op(i, &max_version)) != NULL; i++) {
        mp_obj_list_append(list, new_name_number_pair(name, max_version));
    }
    return list;
}
static MP_DEFINE_CONST_FUN_OBJ_0(tinyml_ops_obj, tinyml_ops);

/* ---- Types and module: firmware ---------------------------------------------------- */

#if !MICROPY_ENABLE_DYNRUNTIME

static const mp_rom_map_elem_t tensor_locals_table[] = {
    {MP_ROM_QSTR(MP_QSTR_quantize), MP_ROM_PTR(&tensor_quantize_obj)},
    {MP_ROM_QSTR(MP_QSTR_dequantize), MP_ROM_PTR(&tensor_dequantize_obj)},
};
static MP_DEFINE_CONST_DICT(tensor_locals_dict, tensor_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    tinyml_type_tensor,
    MP_QSTR_Tensor,
    MP_TYPE_FLAG_NONE,
    print, tensor_print,
    attr, tensor_attr,
    unary_op, tensor_unary_op,
    locals_dict, &tensor_locals_dict
    );

static const mp_rom_map_elem_t model_locals_table[] = {
    {MP_ROM_QSTR(MP_QSTR_input), MP_ROM_PTR(&model_input_obj)},
    {MP_ROM_QSTR(MP_QSTR_output), MP_ROM_PTR(&model_output_obj)},
    {MP_ROM_QSTR(MP_QSTR_invoke), MP_ROM_PTR(&model_invoke_obj)},
    {MP_ROM_QSTR(MP_QSTR_predict), MP_ROM_PTR(&model_predict_obj)},
    {MP_ROM_QSTR(MP_QSTR_reset), MP_ROM_PTR(&model_reset_obj)},
    {MP_ROM_QSTR(MP_QSTR_profile), MP_ROM_PTR(&model_profile_obj)},
    {MP_ROM_QSTR(MP_QSTR_metadata), MP_ROM_PTR(&model_metadata_obj)},
};
static MP_DEFINE_CONST_DICT(model_locals_dict, model_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    tinyml_type_model,
    MP_QSTR_Model,
    MP_TYPE_FLAG_NONE,
    make_new, model_make_new,
    print, model_print,
    attr, model_attr,
    locals_dict, &model_locals_dict
    );

static MP_DEFINE_STR_OBJ(tinyml_version_obj, TML_VERSION_STRING);
static MP_DEFINE_STR_OBJ(tinyml_profile_unit_obj, PROFILE_UNIT);

static const mp_rom_map_elem_t tinyml_module_globals_table[] = {
    {MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR_tinyml)},
    {MP_ROM_QSTR(MP_QSTR_Model), MP_ROM_PTR(&tinyml_type_model)},
    {MP_ROM_QSTR(MP_QSTR_Tensor), MP_ROM_PTR(&tinyml_type_tensor)},
    {MP_ROM_QSTR(MP_QSTR_ops), MP_ROM_PTR(&tinyml_ops_obj)},
    {MP_ROM_QSTR(MP_QSTR_version), MP_ROM_PTR(&tinyml_version_obj)},
    {MP_ROM_QSTR(MP_QSTR_profile_unit), MP_ROM_PTR(&tinyml_profile_unit_obj)},
};
static MP_DEFINE_CONST_DICT(tinyml_module_globals, tinyml_module_globals_table);

const mp_obj_module_t tinyml_user_cmodule = {
    .base = {&mp_type_module},
    .globals = (mp_obj_dict_t *)&tinyml_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR_tinyml, tinyml_user_cmodule);

#else

/* ---- Types and module: native .mpy (built at import time) ------------------------ */

mp_map_elem_t tinyml_tensor_locals_table[2];
static MP_DEFINE_CONST_DICT(tensor_locals_dict, tinyml_tensor_locals_table);
mp_map_elem_t tinyml_model_locals_table[7];
static MP_DEFINE_CONST_DICT(model_locals_dict, tinyml_model_locals_table);

static void set_method(mp_map_elem_t *elem, qstr name, const void *fun) {
    elem->key = MP_OBJ_NEW_QSTR(name);
    elem->value = MP_OBJ_FROM_PTR(fun);
}

/* Called by mpy_init (natmod_entry.c) when the module is imported. */
mp_obj_t tinyml_natmod_init(mp_obj_fun_bc_t *self, size_t n_args, size_t n_kw, mp_obj_t *args) {
    (void)n_args;
    (void)n_kw;
    (void)args;
    MP_DYNRUNTIME_INIT_ENTRY

    tinyml_type_memoryview = MP_OBJ_TO_PTR(mp_load_global(MP_QSTR_memoryview));
    tinyml_type_array = MP_OBJ_TO_PTR(mp_load_attr(
        mp_import_name(MP_QSTR_array, mp_const_none, MP_OBJ_NEW_SMALL_INT(0)), MP_QSTR_array));

    set_method(&tinyml_tensor_locals_table[0], MP_QSTR_quantize, &tensor_quantize_obj);
    set_method(&tinyml_tensor_locals_table[1], MP_QSTR_dequantize, &tensor_dequantize_obj);
    tinyml_type_tensor.base.type = (void *)&mp_type_type;
    tinyml_type_tensor.flags = MP_TYPE_FLAG_NONE;
    tinyml_type_tensor.name = MP_QSTR_Tensor;
    MP_OBJ_TYPE_SET_SLOT(&tinyml_type_tensor, print, tensor_print, 0);
    MP_OBJ_TYPE_SET_SLOT(&tinyml_type_tensor, attr, tensor_attr, 1);
    MP_OBJ_TYPE_SET_SLOT(&tinyml_type_tensor, unary_op, tensor_unary_op, 2);
    MP_OBJ_TYPE_SET_SLOT(&tinyml_type_tensor, locals_dict, (void *)&tensor_locals_dict, 3);

    set_method(&tinyml_model_locals_table[0], MP_QSTR_input, &model_input_obj);
    set_method(&tinyml_model_locals_table[1], MP_QSTR_output, &model_output_obj);
    set_method(&tinyml_model_locals_table[2], MP_QSTR_invoke, &model_invoke_obj);
    set_method(&tinyml_model_locals_table[3], MP_QSTR_predict, &model_predict_obj);
    set_method(&tinyml_model_locals_table[4], MP_QSTR_reset, &model_reset_obj);
    set_method(&tinyml_model_locals_table[5], MP_QSTR_profile, &model_profile_obj);
    set_method(&tinyml_model_locals_table[6], MP_QSTR_metadata, &model_metadata_obj);
    tinyml_type_model.base.type = (void *)&mp_type_type;
    tinyml_type_model.flags = MP_TYPE_FLAG_NONE;
    tinyml_type_model.name = MP_QSTR_Model;
    MP_OBJ_TYPE_SET_SLOT(&tinyml_type_model, make_new, model_make_new, 0);
    MP_OBJ_TYPE_SET_SLOT(&tinyml_type_model, print, model_print, 1);
    MP_OBJ_TYPE_SET_SLOT(&tinyml_type_model, attr, model_attr, 2);
    MP_OBJ_TYPE_SET_SLOT(&tinyml_type_model, locals_dict, (void *)&model_locals_dict, 3);

    mp_store_global(MP_QSTR_Model, MP_OBJ_FROM_PTR(&tinyml_type_model));
    mp_store_global(MP_QSTR_Tensor, MP_OBJ_FROM_PTR(&tinyml_type_tensor));
    mp_store_global(MP_QSTR_ops, MP_OBJ_FROM_PTR(&tinyml_ops_obj));
    mp_store_global(MP_QSTR_version, mp_obj_new_str(TML_VERSION_STRING, sizeof(TML_VERSION_STRING) - 1));
    mp_store_global(MP_QSTR_profile_unit, mp_obj_new_str(PROFILE_UNIT, sizeof(PROFILE_UNIT) - 1));

    MP_DYNRUNTIME_INIT_EXIT
}

#endif
