/*
 * SQUEEZE: drops dimensions of size 1 (those listed in squeeze_dims, or all
 * of them when the list is empty). The output is a view of the input.
 */
#include "shape_util.h"

enum { OPT_SQUEEZE_DIMS = 0 }; /* SqueezeOptions.squeeze_dims */

static tml_status squeeze_prepare(tml_model *m, tml_node *node) {
    tml_status st = tml_check_arity(m, node, 1, 1, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if (in->type != out->type) {
        return tml_fail(m, TML_ERR_MODEL, "output type %s differs from input type %s", tml_dtype_name(out->type),
            tml_dtype_name(in->type));
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    tml_fb_vec dims;
    if (!tml_fb_vector(&fb, &opt, OPT_SQUEEZE_DIMS, 4, &dims)) {
        return tml_fail(m, TML_ERR_MODEL, "squeeze_dims leaves the model");
    }
    bool squeezed[TML_MAX_DIMS] = {false};
    for (uint32_t i = 0; i < dims.count; i++) {
        int32_t axis;
        if (!tml_resolve_axis(tml_rd_i32(fb.buf + dims.pos + 4 * i), in->ndim, &axis) || in->dims[axis] != 1) {
            return tml_fail(m, TML_ERR_MODEL, "squeeze_dims[%u] = %d is not a dimension of size 1 of the input",
                (unsigned)i, tml_rd_i32(fb.buf + dims.pos + 4 * i));
        }
        squeezed[axis] = true;
    }
    int kept = 0;
    bool shape_ok = true;
    for (int d = 0; d < in->ndim; d++) {
        if (dims.count == 0 ? in->dims[d] == 1 : squeezed[d]) {
            continue;
        }
        shape_ok = shape_ok && kept < out->ndim && out->dims[kept] == in->dims[d];
        kept++;
    }
    if (!shape_ok || kept != out->ndim) {
        return tml_fail(m, TML_ERR_MODEL, "output shape is not the input shape with the squeezed dimensions removed");
    }
    node->in_place = TML_IN_PLACE_VIEW;
    return TML_OK;
}

const tml_kernel tml_kernel_SQUEEZE = {
    .name = "SQUEEZE",
    .builtin = 43,
    .max_version = 1,
    .types = TML_TYPES_ANY,
    .params_size = 0,
    .prepare = squeeze_prepare,
    .eval = tml_view_eval,
};
