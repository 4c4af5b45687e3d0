/*
 * SPLIT and SPLIT_V (TFLM split.cc, split_v.cc): the input cut along `axis`
 * into the outputs, whose shapes (from the model) give the pieces' sizes.
 *
 * SPLIT: inputs (axis, input), equal pieces. SPLIT_V: inputs (input,
 * size_splits, axis); size_splits is not needed, because the output shapes
 * already say where the cuts are. The axis must be constant, as in TFLM.
 */
#include "shape_util.h"

typedef struct {
    int32_t axis;
    uint8_t input_index; /* where the data input is: 1 for SPLIT, 0 for SPLIT_V */
} split_params;

static tml_status split_prepare(tml_model *m, tml_node *node) {
    split_params *p = (split_params *)node->params;
    const bool split_v = node->kernel->builtin == 102;
    tml_status st = tml_check_arity(m, node, split_v ? 3 : 2, split_v ? 3 : 2, node->num_outputs);
    if (st != TML_OK) {
        return st;
    }
    if (node->num_outputs < 1) {
        return tml_fail(m, TML_ERR_MODEL, "needs at least one output");
    }
    p->input_index = split_v ? 0 : 1;
    const tml_tensor *in = tml_node_input(m, node, p->input_index);
    const tml_tensor *axis_t = tml_node_input(m, node, split_v ? 2 : 0);
    const uint32_t types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) | TML_TYPE_BIT(TML_INT16) |
        TML_TYPE_BIT(TML_INT32);
    if ((st = tml_check_type(m, "input", in->type, types)) != TML_OK) {
        return st;
    }
    int32_t axis_value, count;
    if ((st = tml_const_ints(m, axis_t, "axis", &axis_value, 1, &count)) != TML_OK) {
        return st;
    }
    if (count != 1 || !tml_resolve_axis(axis_value, in->ndim, &p->axis)) {
        return tml_fail(m, TML_ERR_MODEL, "axis must be one value in [%d, %d)", -in->ndim, in->ndim);
    }
    int32_t total = 0;
    for (int o = 0; o < node->num_outputs; o++) {
        const tml_tensor *out = tml_node_output(m, node, o);
        bool shape_ok = out->type == in->type && out->ndim == in->ndim;
        for (int d = 0; shape_ok && d < in->ndim; d++) {
            shape_ok = d == p->axis || out->dims[d] == in->dims[d];
        }
        if (!shape_ok) {
            return tml_fail(m, TML_ERR_MODEL, "output %d must have the input's type and shape outside axis %d", o,
                p->axis);
        }
        if (!split_v && out->dims[p->axis] * node->num_outputs != in->dims[p->axis]) {
            return tml_fail(m, TML_ERR_MODEL, "%d outputs cannot split dimension %d of size %d equally",
                node->num_outputs, p->axis, in->dims[p->axis]);
        }
        total += out->dims[p->axis];
    }
    if (total != in->dims[p->axis]) {
        return tml_fail(m, TML_ERR_MODEL, "outputs add up to %d along axis %d, the input has %d", total, p->axis,
            in->dims[p->axis]);
    }
    return TML_OK;
}

static tml_status split_eval(tml_model *m, tml_node *node) {
    const split_params *p = (const split_params *)node->params;
    tml_tensor *in = tml_node_input(m, node, p->input_index);
    const size_t elem = tml_dtype_size(in->type);
    const int32_t outer = tml_dims_product(in->dims, 0, p->axis);
    const int32_t inner = tml_dims_product(in->dims, p->axis + 1, in->ndim);
    int32_t offset = 0;
    for (int o = 0; o < node->num_outputs; o++) {
        tml_tensor *out = tml_node_output(m, node, o);
        const int32_t chunk = out->dims[p->axis] * inner;
        tml_axis_chunks(in->data, out->data, elem, outer, chunk, in->dims[p->axis] * inner, offset, false);
        offset += chunk;
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SPLIT = {
    .name = "SPLIT",
    .builtin = 49,
    .max_version = 4, /* v2 int8, v3 int32, v4 int16 */
    .typed_input = 1, /* input 1 is the data */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32,
    .params_size = sizeof(split_params),
    .prepare = split_prepare,
    .eval = split_eval,
};

const tml_kernel tml_kernel_SPLIT_V = {
    .name = "SPLIT_V",
    .builtin = 102,
    .max_version = 2, /* v2 int8 */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32,
    .params_size = sizeof(split_params),
    .prepare = split_prepare,
    .eval = split_eval,
};
