/*
 * ARG_MAX and ARG_MIN (TFLM arg_min_max.cc, reference_ops::ArgMinMax): the
 * index of the first largest (smallest) value along `axis` (input 1, read
 * when the node runs, as TFLM does). A later value wins only if strictly
 * greater (smaller), so ties and NaNs keep the earlier index. The output is
 * int32 (TFLM writes no other type).
 */
#include "shape_util.h"

static tml_status arg_min_max_prepare(tml_model *m, tml_node *node) {
    tml_status st = tml_check_arity(m, node, 2, 2, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *axis = tml_node_input(m, node, 1);
    const tml_tensor *out = tml_node_output(m, node, 0);
    /* TFLM's types. */
    const uint32_t types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8);
    if ((st = tml_check_type(m, "input", in->type, types)) != TML_OK ||
        (st = tml_check_type(m, "axis", axis->type, TML_TYPE_BIT(TML_INT32) | TML_TYPE_BIT(TML_INT64))) != TML_OK ||
        (st = tml_check_type(m, "output", out->type, TML_TYPE_BIT(TML_INT32))) != TML_OK) {
        return st;
    }
    if (tml_numel(axis) != 1) {
        return tml_fail(m, TML_ERR_MODEL, "axis must hold one value, holds %d", tml_numel(axis));
    }
    if (out->ndim != in->ndim - 1) {
        return tml_fail(m, TML_ERR_MODEL, "output rank must be the input rank minus one");
    }
    if (axis->kind == TML_TENSOR_CONSTANT) {
        int32_t value = 0, count, a;
        if ((st = tml_const_ints(m, axis, "axis", &value, 1, &count)) != TML_OK) {
            return st;
        }
        if (!tml_resolve_axis(value, in->ndim, &a)) {
            return tml_fail(m, TML_ERR_MODEL, "axis %d is out of range for rank %d", value, in->ndim);
        }
        for (int d = 0; d < out->ndim; d++) {
            if (out->dims[d] != in->dims[d < a ? d : d + 1]) {
                return tml_fail(m, TML_ERR_MODEL, "output shape must be the input shape without axis %d", a);
            }
        }
    }
    return TML_OK;
}

/* Is input element i strictly better than element j? */
static bool better(const tml_tensor *in, int32_t i, int32_t j, bool want_max) {
    switch (in->type) {
        case TML_FLOAT32: {
            const float a = ((const float *)in->data)[i], b = ((const float *)in->data)[j];
            return want_max ? a > b : a < b;
        }
        default: {
            const int8_t a = ((const int8_t *)in->data)[i], b = ((const int8_t *)in->data)[j];
            return want_max ? a > b : a < b;
        }
    }
}

static tml_status arg_min_max_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *axis_t = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    const bool want_max = node->kernel->builtin == 56;
    const int64_t axis_value = axis_t->type == TML_INT32 ? *(const int32_t *)axis_t->data : *(const int64_t *)axis_t->data;
    if (axis_value < -in->ndim || axis_value >= in->ndim) {
        return tml_fail(m, TML_ERR_RUNTIME, "axis %d is out of range for rank %d", (int)axis_value, in->ndim);
    }
    const int axis = (int)(axis_value < 0 ? axis_value + in->ndim : axis_value);
    const int32_t outer = tml_dims_product(in->dims, 0, axis);
    const int32_t inner = tml_dims_product(in->dims, axis + 1, in->ndim);
    const int32_t size = in->dims[axis];
    for (int32_t o = 0; o < outer; o++) {
        for (int32_t k = 0; k < inner; k++) {
            int32_t best = 0;
            for (int32_t i = 1; i < size; i++) {
                if (better(in, (o * size + i) * inner + k, (o * size + best) * inner + k, want_max)) {
                    best = i;
                }
            }
            ((int32_t *)out->data)[o * inner + k] = best;
        }
    }
    return TML_OK;
}

const tml_kernel tml_kernel_ARG_MAX = {
    .name = "ARG_MAX",
    .builtin = 56,
    .max_version = 2, /* v2 int8 */
    .types = TML_TYPES_FLOAT_INT8,
    .params_size = 0,
    .prepare = arg_min_max_prepare,
    .eval = arg_min_max_eval,
};

const tml_kernel tml_kernel_ARG_MIN = {
    .name = "ARG_MIN",
    .builtin = 79,
    .max_version = 2, /* v2 int8 */
    .types = TML_TYPES_FLOAT_INT8,
    .params_size = 0,
    .prepare = arg_min_max_prepare,
    .eval = arg_min_max_eval,
};
