/*
 * CAST (TFLM micro/kernels/cast.cc) between int8, int16, int32, uint32,
 * float32 and bool, the types TFLM converts (measured on the pip build).
 *
 * Integer to integer keeps the low bits (two's complement wrap-around),
 * anything to bool is "!= 0" (NaN is true), integer to float rounds to
 * nearest even, float to integer truncates toward zero and saturates at the
 * type's limits, with NaN giving 0.
 */
#include "tml_kernel.h"

static bool castable(int type) {
    return type == TML_INT8 || type == TML_INT16 || type == TML_INT32 || type == TML_UINT32 || type == TML_FLOAT32 ||
           type == TML_BOOL;
}

static tml_status cast_prepare(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 1 || node->num_outputs != 1 || in == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 1 input and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (!castable(in->type) || !castable(out->type)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED,
            "cast from %s to %s not supported (int8, int16, int32, uint32, float32 and bool are)",
            tml_dtype_name(in->type), tml_dtype_name(out->type));
    }
    if (tml_numel(in) != tml_numel(out)) {
        return tml_fail(m, TML_ERR_MODEL, "input has %d elements, output %d", tml_numel(in), tml_numel(out));
    }
    if (tml_dtype_size(in->type) == tml_dtype_size(out->type)) {
        node->in_place = TML_IN_PLACE_IF_DEAD; /* element i is read before it is written */
    }
    return TML_OK;
}

/* Element i of an integer or bool tensor, widened. */
static int64_t load_integer(const void *data, int type, int32_t i) {
    switch (type) {
        case TML_INT8: return ((const int8_t *)data)[i];
        case TML_INT16: return ((const int16_t *)data)[i];
        case TML_INT32: return ((const int32_t *)data)[i];
        case TML_UINT32: return ((const uint32_t *)data)[i];
        default: return ((const uint8_t *)data)[i] != 0; /* bool */
    }
}

/* Stores the low bits of v (bool: v != 0). */
static void store_integer(void *data, int type, int32_t i, int64_t v) {
    switch (type) {
        case TML_INT8: ((int8_t *)data)[i] = (int8_t)(uint8_t)v; break;
        case TML_INT16: ((int16_t *)data)[i] = (int16_t)(uint16_t)v; break;
        case TML_INT32: ((int32_t *)data)[i] = (int32_t)(uint32_t)v; break;
        case TML_UINT32: ((uint32_t *)data)[i] = (uint32_t)v; break;
        default: ((uint8_t *)data)[i] = v != 0; break;
    }
}

/* Saturating float -> integer conversion, truncating toward zero; NaN is 0. */
static int64_t float_to_integer(float x, int type) {
    int64_t lo, hi;
    switch (type) {
        case TML_INT8: lo = INT8_MIN; hi = INT8_MAX; break;
        case TML_INT16: lo = INT16_MIN; hi = INT16_MAX; break;
        case TML_INT32: lo = INT32_MIN; hi = INT32_MAX; break;
        default: lo = 0; hi = UINT32_MAX; break;
    }
    const double d = (double)x;
    if (d != d) {
        return 0;
    }
    if (d >= (double)hi + 1.0) {
        return hi;
    }
    if (d <= (double)lo - 1.0) {
        return lo;
    }
    return (int64_t)d;
}

static tml_status cast_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    if (in->type == TML_FLOAT32) {
        const float *x = (const float *)in->data;
        for (int32_t i = 0; i < n; i++) {
            if (out->type == TML_FLOAT32) {
                ((float *)out->data)[i] = x[i];
            } else if (out->type == TML_BOOL) {
                ((uint8_t *)out->data)[i] = x[i] != 0.0f;
            } else {
                store_integer(out->data, out->type, i, float_to_integer(x[i], out->type));
            }
        }
    } else if (out->type == TML_FLOAT32) {
        for (int32_t i = 0; i < n; i++) {
            ((float *)out->data)[i] = (float)load_integer(in->data, in->type, i);
        }
    } else {
        for (int32_t i = 0; i < n; i++) {
            store_integer(out->data, out->type, i, load_integer(in->data, in->type, i));
        }
    }
    (void)m;
    return TML_OK;
}

const tml_kernel tml_kernel_CAST = {
    .name = "CAST",
    .builtin = 53,
    .max_version = 7,
    .types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) | TML_TYPE_BIT(TML_INT16) | TML_TYPE_BIT(TML_INT32) | TML_TYPE_BIT(TML_UINT32) | TML_TYPE_BIT(TML_BOOL),
    .prepare = cast_prepare,
    .eval = cast_eval,
};
