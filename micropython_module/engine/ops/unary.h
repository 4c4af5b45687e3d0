/*
 * Checks shared by the unary element-wise operators (RELU, TANH, ABS, ...):
 * one input and one output of the same type and shape, and the types the
 * operator runs.
 */
#ifndef TML_OPS_UNARY_H
#define TML_OPS_UNARY_H

#include "tml_kernel.h"

/* Node has one input and one output, of one type from `accepted` (a set of
 * TML_TYPE_BIT) and the same shape; int8 / int16 tensors with a scale are
 * quantized per tensor with a positive scale. `names` lists the accepted
 * types for the message ("float32, int8, int16"). */
static inline tml_status tml_unary_check(tml_model *m, const tml_node *node, uint32_t accepted, const char *names) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 1 || node->num_outputs != 1 || in == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 1 input and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in->type >= 32 || !(accepted & TML_TYPE_BIT(in->type))) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (%s are)", tml_dtype_name(in->type),
            names);
    }
    if (out->type != in->type) {
        return tml_fail(m, TML_ERR_MODEL, "output type %s differs from input type %s", tml_dtype_name(out->type),
            tml_dtype_name(in->type));
    }
    if (!tml_same_shape(in, out)) {
        return tml_fail(m, TML_ERR_MODEL, "output shape must equal the input shape");
    }
    if (in->num_channels > 1 || out->num_channels > 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input and output need per-tensor quantization (have %u and %u scales)",
            (unsigned)in->num_channels, (unsigned)out->num_channels);
    }
    return TML_OK;
}

/* For quantized operators: both tensors carry a positive scale. */
static inline tml_status tml_unary_check_quantized(tml_model *m, const tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if (!(in->scale > 0.0f && out->scale > 0.0f)) {
        return tml_fail(m, TML_ERR_MODEL, "%s input and output need positive scales, have %f and %f",
            tml_dtype_name(in->type), (double)in->scale, (double)out->scale);
    }
    return TML_OK;
}

/* int16 operators in TFLM are symmetric: zero points must be 0. */
static inline tml_status tml_unary_check_int16_symmetric(tml_model *m, const tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if (in->type == TML_INT16 && (in->zero_point != 0 || out->zero_point != 0)) {
        return tml_fail(m, TML_ERR_MODEL, "int16 zero points must be 0, are %d and %d", in->zero_point,
            out->zero_point);
    }
    return TML_OK;
}

/* The quantized type's range. */
static inline void tml_int_type_range(int type, int32_t *lo, int32_t *hi) {
    *lo = type == TML_INT8 ? -128 : -32768;
    *hi = type == TML_INT8 ? 127 : 32767;
}

/* Stored value i of an int8 or int16 tensor, and storing one (already in range). */
static inline int32_t tml_load_int(const void *data, int type, int32_t i) {
    return type == TML_INT8 ? ((const int8_t *)data)[i] : ((const int16_t *)data)[i];
}
static inline void tml_store_int(void *data, int type, int32_t i, int32_t v) {
    if (type == TML_INT8) {
        ((int8_t *)data)[i] = (int8_t)v;
    } else {
        ((int16_t *)data)[i] = (int16_t)v;
    }
}

#endif /* TML_OPS_UNARY_H */
