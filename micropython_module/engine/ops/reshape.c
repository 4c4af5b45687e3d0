/*
 * RESHAPE: the same bytes under the output's shape (any element type).
 *
 * The output shape comes from the model; the optional shape input (input 1)
 * and ReshapeOptions.new_shape are not needed. The output is a view of the
 * input, so the planner gives it the input's memory whenever it can, and then
 * eval has nothing to do.
 */
#include <string.h>

#include "tml_kernel.h"

static tml_status reshape_prepare(tml_model *m, tml_node *node) {
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs < 1 || node->num_inputs > 2 || node->num_outputs != 1 || in == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 1 or 2 inputs and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in->type != out->type) {
        return tml_fail(m, TML_ERR_MODEL, "output type %s differs from input type %s", tml_dtype_name(out->type),
            tml_dtype_name(in->type));
    }
    if (tml_numel(in) != tml_numel(out) || in->bytes != out->bytes) {
        return tml_fail(m, TML_ERR_MODEL, "input has %d elements, output %d", tml_numel(in), tml_numel(out));
    }
    node->in_place = TML_IN_PLACE_VIEW;
    return TML_OK;
}

static tml_status reshape_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (out->data != in->data) {
        memmove(out->data, in->data, in->bytes);
    }
    return TML_OK;
}

const tml_kernel tml_kernel_RESHAPE = {
    .name = "RESHAPE",
    .builtin = 22,
    .max_version = 1,
    .types = TML_TYPES_ANY,
    .per_channel_bytes = 0,
    .params_size = 0,
    .prepare = reshape_prepare,
    .eval = reshape_eval,
};
