/*
 * GATHER (TFLM gather.cc): slices of the input along `axis` picked by the
 * positions tensor (input 1), with optional leading batch dimensions shared
 * by input and positions (batch_dims).
 *
 * Output shape: input dims before axis, positions dims after batch_dims,
 * input dims after axis. TFLM does not check positions at run time (its
 * checks are debug-only, so a bad position reads outside the input); here a
 * position outside [0, axis size) fails the invoke with a message.
 */
#include "shape_util.h"

enum { OPT_AXIS = 0, OPT_BATCH_DIMS = 1 }; /* GatherOptions */

typedef struct {
    int32_t batch_size, outer_size, inner_size, coord_size, axis_size;
} gather_params;

static tml_status gather_prepare(tml_model *m, tml_node *node) {
    gather_params *p = (gather_params *)node->params;
    tml_status st = tml_check_arity(m, node, 2, 2, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *coords = tml_node_input(m, node, 1);
    const tml_tensor *out = tml_node_output(m, node, 0);
    /* TFLM's types; the copy itself would work for any. */
    const uint32_t types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8);
    if ((st = tml_check_type(m, "input", in->type, types)) != TML_OK ||
        (st = tml_check_type(m, "positions", coords->type, TML_TYPE_BIT(TML_INT32))) != TML_OK) {
        return st;
    }
    if (out->type != in->type) {
        return tml_fail(m, TML_ERR_MODEL, "output type %s differs from input type %s", tml_dtype_name(out->type),
            tml_dtype_name(in->type));
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    int32_t axis = tml_fb_i32(&fb, &opt, OPT_AXIS, 0);
    int32_t batch_dims = tml_fb_i32(&fb, &opt, OPT_BATCH_DIMS, 0);
    if (axis < 0) {
        axis += in->ndim;
    }
    if (batch_dims < 0) {
        batch_dims += coords->ndim;
    }
    if (axis < 0 || axis >= in->ndim || batch_dims < 0 || batch_dims > axis || batch_dims > coords->ndim) {
        return tml_fail(m, TML_ERR_MODEL, "axis %d and batch_dims %d do not fit inputs of rank %d and %d",
            tml_fb_i32(&fb, &opt, OPT_AXIS, 0), tml_fb_i32(&fb, &opt, OPT_BATCH_DIMS, 0), in->ndim, coords->ndim);
    }
    for (int d = 0; d < batch_dims; d++) {
        if (in->dims[d] != coords->dims[d]) {
            return tml_fail(m, TML_ERR_MODEL, "batch dimension %d differs between input (%d) and positions (%d)", d,
                in->dims[d], coords->dims[d]);
        }
    }
    int32_t expected[2 * TML_MAX_DIMS];
    int rank = 0;
    for (int d = 0; d < axis; d++) {
        expected[rank++] = in->dims[d];
    }
    for (int d = batch_dims; d < coords->ndim; d++) {
        expected[rank++] = coords->dims[d];
    }
    for (int d = axis + 1; d < in->ndim; d++) {
        expected[rank++] = in->dims[d];
    }
    bool shape_ok = out->ndim == rank;
    for (int d = 0; shape_ok && d < rank; d++) {
        shape_ok = out->dims[d] == expected[d];
    }
    if (!shape_ok) {
        return tml_fail(m, TML_ERR_MODEL, "output shape does not match the gathered shape (rank %d)", rank);
    }
    p->batch_size = tml_dims_product(in->dims, 0, batch_dims);
    p->outer_size = tml_dims_product(in->dims, batch_dims, axis);
    p->inner_size = tml_dims_product(in->dims, axis + 1, in->ndim);
    p->coord_size = tml_dims_product(coords->dims, batch_dims, coords->ndim);
    p->axis_size = in->dims[axis];
    return TML_OK;
}

static tml_status gather_eval(tml_model *m, tml_node *node) {
    const gather_params *p = (const gather_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *coords = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    const size_t elem = tml_dtype_size(in->type);
    const size_t chunk_bytes = (size_t)p->inner_size * elem;
    const uint8_t *x = (const uint8_t *)in->data;
    uint8_t *y = (uint8_t *)out->data;
    for (int32_t batch = 0; batch < p->batch_size; batch++) {
        for (int32_t outer = 0; outer < p->outer_size; outer++) {
            const int32_t slab = batch * p->outer_size + outer;
            for (int32_t c = 0; c < p->coord_size; c++) {
                const int32_t k = batch * p->coord_size + c;
                const int32_t position = ((const int32_t *)coords->data)[k];
                if (position < 0 || position >= p->axis_size) {
                    return tml_fail(m, TML_ERR_RUNTIME, "position %d is outside [0, %d)", position,
                        p->axis_size);
                }
                memcpy(y + ((size_t)slab * (size_t)p->coord_size + (size_t)c) * chunk_bytes,
                    x + ((size_t)slab * (size_t)p->axis_size + (size_t)position) * chunk_bytes, chunk_bytes);
            }
        }
    }
    return TML_OK;
}

const tml_kernel tml_kernel_GATHER = {
    .name = "GATHER",
    .builtin = 36,
    .max_version = 5, /* v2 int8, v5 batch_dims (bool, int16 and int16 positions are not supported, as in TFLM) */
    .types = TML_TYPES_FLOAT_INT8,
    .params_size = sizeof(gather_params),
    .prepare = gather_prepare,
    .eval = gather_eval,
};
