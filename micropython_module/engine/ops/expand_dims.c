/*
 * EXPAND_DIMS: inserts a dimension of size 1 at `axis` (input 1, a constant
 * scalar or one-element tensor; negative counts from the end of the output).
 * The output is a view of the input.
 */
#include "shape_util.h"

static tml_status expand_dims_prepare(tml_model *m, tml_node *node) {
    tml_status st = tml_check_arity(m, node, 2, 2, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *axis_t = tml_node_input(m, node, 1);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if (in->type != out->type) {
        return tml_fail(m, TML_ERR_MODEL, "output type %s differs from input type %s", tml_dtype_name(out->type),
            tml_dtype_name(in->type));
    }
    int32_t axis_value, count;
    if ((st = tml_const_ints(m, axis_t, "axis", &axis_value, 1, &count)) != TML_OK) {
        return st;
    }
    int32_t axis;
    if (count != 1 || !tml_resolve_axis(axis_value, in->ndim + 1, &axis)) {
        return tml_fail(m, TML_ERR_MODEL, "axis must be one value in [%d, %d]", -in->ndim - 1, in->ndim);
    }
    bool shape_ok = out->ndim == in->ndim + 1 && out->dims[axis] == 1;
    for (int d = 0; shape_ok && d < in->ndim; d++) {
        shape_ok = out->dims[d < axis ? d : d + 1] == in->dims[d];
    }
    if (!shape_ok) {
        return tml_fail(m, TML_ERR_MODEL, "output shape is not the input shape with a 1 inserted at axis %d", axis);
    }
    node->in_place = TML_IN_PLACE_VIEW;
    return TML_OK;
}

const tml_kernel tml_kernel_EXPAND_DIMS = {
    .name = "EXPAND_DIMS",
    .builtin = 70,
    .max_version = 1,
    .types = TML_TYPES_ANY,
    .params_size = 0,
    .prepare = expand_dims_prepare,
    .eval = tml_view_eval,
};
