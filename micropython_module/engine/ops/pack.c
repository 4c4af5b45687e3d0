/*
 * PACK and UNPACK (TFLM pack.cc, unpack.cc): stacking N tensors of one
 * shape along a new dimension `axis`, and the reverse. Seen from the packed
 * tensor, each unpacked tensor is one slab along the axis, so both are the
 * same chunk copy in opposite directions.
 */
#include "shape_util.h"

enum { OPT_COUNT = 0, OPT_AXIS = 1 }; /* PackOptions.values_count, UnpackOptions.num; .axis */

typedef struct {
    int32_t axis; /* in the packed tensor */
    bool pack;
} pack_params;

static tml_status pack_prepare(tml_model *m, tml_node *node) {
    pack_params *p = (pack_params *)node->params;
    p->pack = node->kernel->builtin == 83;
    const int parts = p->pack ? node->num_inputs : node->num_outputs;
    tml_status st = tml_check_arity(m, node, p->pack ? parts : 1, p->pack ? parts : 1, p->pack ? 1 : parts);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *packed = p->pack ? tml_node_output(m, node, 0) : tml_node_input(m, node, 0);
    const uint32_t types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) | TML_TYPE_BIT(TML_INT16) |
        TML_TYPE_BIT(TML_INT32) | (p->pack ? TML_TYPE_BIT(TML_INT64) : 0);
    if ((st = tml_check_type(m, p->pack ? "output" : "input", packed->type, types)) != TML_OK) {
        return st;
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    const int32_t count = tml_fb_i32(&fb, &opt, OPT_COUNT, 0);
    const int32_t axis_value = tml_fb_i32(&fb, &opt, OPT_AXIS, 0);
    if (parts < 1 || count != parts) {
        return tml_fail(m, TML_ERR_MODEL, "the options say %d %s, the node has %d", count,
            p->pack ? "inputs" : "outputs", parts);
    }
    if (packed->ndim < 1 || !tml_resolve_axis(axis_value, packed->ndim, &p->axis)) {
        return tml_fail(m, TML_ERR_MODEL, "axis %d is out of range for rank %d", axis_value, packed->ndim);
    }
    if (packed->dims[p->axis] != parts) {
        return tml_fail(m, TML_ERR_MODEL, "dimension %d of the packed tensor is %d, not %d", p->axis,
            packed->dims[p->axis], parts);
    }
    for (int i = 0; i < parts; i++) {
        const tml_tensor *part = p->pack ? tml_node_input(m, node, i) : tml_node_output(m, node, i);
        bool ok = part->type == packed->type && part->ndim == packed->ndim - 1;
        for (int d = 0; ok && d < part->ndim; d++) {
            ok = part->dims[d] == packed->dims[d < p->axis ? d : d + 1];
        }
        if (!ok) {
            return tml_fail(m, TML_ERR_MODEL, "%s %d must have the packed type and shape without axis %d",
                p->pack ? "input" : "output", i, p->axis);
        }
        if ((packed->type == TML_INT8 || packed->type == TML_INT16) && p->pack &&
            !tml_same_quantization(part, packed)) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "input %d must have the output's scale and zero point", i);
        }
    }
    return TML_OK;
}

static tml_status pack_eval(tml_model *m, tml_node *node) {
    const pack_params *p = (const pack_params *)node->params;
    tml_tensor *packed = p->pack ? tml_node_output(m, node, 0) : tml_node_input(m, node, 0);
    const int parts = p->pack ? node->num_inputs : node->num_outputs;
    const size_t elem = tml_dtype_size(packed->type);
    const int32_t outer = tml_dims_product(packed->dims, 0, p->axis);
    const int32_t inner = tml_dims_product(packed->dims, p->axis + 1, packed->ndim);
    for (int i = 0; i < parts; i++) {
        tml_tensor *part = p->pack ? tml_node_input(m, node, i) : tml_node_output(m, node, i);
        tml_axis_chunks(packed->data, part->data, elem, outer, inner, parts * inner, i * inner, p->pack);
    }
    return TML_OK;
}

const tml_kernel tml_kernel_PACK = {
    .name = "PACK",
    .builtin = 83,
    .max_version = 3, /* v2 int8, v3 int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32 | TML_TYPE_BIT(TML_INT64),
    .params_size = sizeof(pack_params),
    .prepare = pack_prepare,
    .eval = pack_eval,
};

const tml_kernel tml_kernel_UNPACK = {
    .name = "UNPACK",
    .builtin = 88,
    .max_version = 4, /* v2 int8, v4 int16 (v3 bool is not supported) */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32,
    .params_size = sizeof(pack_params),
    .prepare = pack_prepare,
    .eval = pack_eval,
};
