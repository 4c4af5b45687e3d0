/*
 * CONCATENATION along `axis` (TFLM concatenation.cc). Quantized inputs must
 * share the output's scale and zero point (TFLM does not requantize), so the
 * output is the inputs' bytes, each input's slab copied into place.
 */
#include "shape_util.h"

enum { OPT_AXIS = 0, OPT_ACTIVATION = 1 }; /* ConcatenationOptions */

typedef struct {
    int32_t axis;
} concatenation_params;

static tml_status concatenation_prepare(tml_model *m, tml_node *node) {
    concatenation_params *p = (concatenation_params *)node->params;
    tml_status st = tml_check_arity(m, node, 1, node->num_inputs > 0 ? node->num_inputs : 1, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *out = tml_node_output(m, node, 0);
    const uint32_t types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) | TML_TYPE_BIT(TML_INT16) |
        TML_TYPE_BIT(TML_INT32) | TML_TYPE_BIT(TML_INT64) | TML_TYPE_BIT(TML_BOOL);
    if ((st = tml_check_type(m, "output", out->type, types)) != TML_OK) {
        return st;
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    if (tml_fb_i8(&fb, &opt, OPT_ACTIVATION, TML_ACT_NONE) != TML_ACT_NONE) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "fused activation %d not supported (only NONE is)",
            tml_fb_i8(&fb, &opt, OPT_ACTIVATION, TML_ACT_NONE));
    }
    int32_t axis_value = tml_fb_i32(&fb, &opt, OPT_AXIS, 0);
    if (out->ndim < 1 || !tml_resolve_axis(axis_value, out->ndim, &p->axis)) {
        return tml_fail(m, TML_ERR_MODEL, "axis %d is out of range for rank %d", axis_value, out->ndim);
    }
    const bool quantized = out->type == TML_INT8 || out->type == TML_INT16;
    int32_t axis_total = 0;
    for (int i = 0; i < node->num_inputs; i++) {
        const tml_tensor *in = tml_node_input(m, node, i);
        if (in->type != out->type) {
            return tml_fail(m, TML_ERR_MODEL, "input %d type %s differs from output type %s", i,
                tml_dtype_name(in->type), tml_dtype_name(out->type));
        }
        if (quantized && !tml_same_quantization(in, out)) {
            return tml_fail(m, TML_ERR_UNSUPPORTED,
                "input %d must have the output's scale and zero point (TFLM does not requantize)", i);
        }
        bool shape_ok = in->ndim == out->ndim;
        for (int d = 0; shape_ok && d < out->ndim; d++) {
            shape_ok = d == p->axis || in->dims[d] == out->dims[d];
        }
        if (!shape_ok) {
            return tml_fail(m, TML_ERR_MODEL, "input %d shape differs from the output's outside axis %d", i, p->axis);
        }
        axis_total += in->dims[p->axis];
    }
    if (axis_total != out->dims[p->axis]) {
        return tml_fail(m, TML_ERR_MODEL, "inputs add up to %d along axis %d, output has %d", axis_total, p->axis,
            out->dims[p->axis]);
    }
    return TML_OK;
}

static tml_status concatenation_eval(tml_model *m, tml_node *node) {
    const concatenation_params *p = (const concatenation_params *)node->params;
    tml_tensor *out = tml_node_output(m, node, 0);
    const size_t elem = tml_dtype_size(out->type);
    const int32_t outer = tml_dims_product(out->dims, 0, p->axis);
    const int32_t inner = tml_dims_product(out->dims, p->axis + 1, out->ndim);
    int32_t offset = 0;
    for (int i = 0; i < node->num_inputs; i++) {
        tml_tensor *in = tml_node_input(m, node, i);
        const int32_t chunk = in->dims[p->axis] * inner;
        tml_axis_chunks(out->data, in->data, elem, outer, chunk, out->dims[p->axis] * inner, offset, true);
        offset += chunk;
    }
    return TML_OK;
}

const tml_kernel tml_kernel_CONCATENATION = {
    .name = "CONCATENATION",
    .builtin = 2,
    .max_version = 3, /* v2 int8, v3 int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32 | TML_TYPE_BIT(TML_INT64) | TML_TYPE_BIT(TML_BOOL),
    .params_size = sizeof(concatenation_params),
    .prepare = concatenation_prepare,
    .eval = concatenation_eval,
};
