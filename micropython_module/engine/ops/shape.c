/*
 * SHAPE: the input's dimensions as an int32 vector (TFLM writes int32 only).
 */
#include "shape_util.h"

static tml_status shape_prepare(tml_model *m, tml_node *node) {
    tml_status st = tml_check_arity(m, node, 1, 1, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if ((st = tml_check_type(m, "output", out->type, TML_TYPE_BIT(TML_INT32))) != TML_OK) {
        return st;
    }
    if (out->ndim != 1 || out->dims[0] != in->ndim) {
        return tml_fail(m, TML_ERR_MODEL, "output must be a vector of %d values", in->ndim);
    }
    return TML_OK;
}

static tml_status shape_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    int32_t *y = (int32_t *)out->data;
    for (int d = 0; d < in->ndim; d++) {
        y[d] = in->dims[d];
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SHAPE = {
    .name = "SHAPE",
    .builtin = 77,
    .max_version = 1,
    .types = TML_TYPES_ANY,
    .params_size = 0,
    .prepare = shape_prepare,
    .eval = shape_eval,
};
