/*
 * TRANSPOSE (TFLM transpose.cc): output dimension i is input dimension
 * perm[i]; perm (input 1) is a constant vector, as TFLM requires. The output
 * is the input read through permuted strides, copied as one block.
 */
#include "shape_util.h"

enum { TRANSPOSE_MAX_DIMS = 5 }; /* TFLM: 1-D to 5-D */

typedef struct {
    tml_block block;
} transpose_params;

static tml_status transpose_prepare(tml_model *m, tml_node *node) {
    transpose_params *p = (transpose_params *)node->params;
    tml_status st = tml_check_arity(m, node, 2, 2, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    const uint32_t types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) | TML_TYPE_BIT(TML_INT16);
    if ((st = tml_check_type(m, "input", in->type, types)) != TML_OK) {
        return st;
    }
    if (out->type != in->type || out->ndim != in->ndim) {
        return tml_fail(m, TML_ERR_MODEL, "output must have the input's type and rank");
    }
    if (in->ndim < 1 || in->ndim > TRANSPOSE_MAX_DIMS) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input of rank %d: 1 to %d dimensions are supported", in->ndim,
            TRANSPOSE_MAX_DIMS);
    }
    int32_t perm[TRANSPOSE_MAX_DIMS], count;
    if ((st = tml_const_ints(m, tml_node_input(m, node, 1), "perm", perm, TRANSPOSE_MAX_DIMS, &count)) != TML_OK) {
        return st;
    }
    if (count != in->ndim) {
        return tml_fail(m, TML_ERR_MODEL, "perm has %d values, the input rank is %d", count, in->ndim);
    }
    int32_t in_strides[TML_MAX_DIMS];
    tml_contiguous_strides(in->dims, in->ndim, in_strides);
    bool used[TRANSPOSE_MAX_DIMS] = {false};
    tml_block *b = &p->block;
    b->ndim = in->ndim;
    b->src_offset = 0;
    b->dst_offset = 0;
    for (int d = 0; d < in->ndim; d++) {
        int32_t axis;
        if (!tml_resolve_axis(perm[d], in->ndim, &axis) || used[axis]) {
            return tml_fail(m, TML_ERR_MODEL, "perm is not a permutation of the %d dimensions", in->ndim);
        }
        used[axis] = true;
        if (out->dims[d] != in->dims[axis]) {
            return tml_fail(m, TML_ERR_MODEL, "output dimension %d is %d, input dimension %d is %d", d, out->dims[d],
                axis, in->dims[axis]);
        }
        b->dims[d] = out->dims[d];
        b->src_strides[d] = in_strides[axis];
    }
    tml_contiguous_strides(b->dims, b->ndim, b->dst_strides);
    return TML_OK;
}

static tml_status transpose_eval(tml_model *m, tml_node *node) {
    const transpose_params *p = (const transpose_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    tml_block_copy(out->data, in->data, tml_dtype_size(in->type), &p->block);
    return TML_OK;
}

const tml_kernel tml_kernel_TRANSPOSE = {
    .name = "TRANSPOSE",
    .builtin = 39,
    .max_version = 5, /* v2 int8, v4 rank 5, v5 int16 (v3 bool is not supported) */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(transpose_params),
    .prepare = transpose_prepare,
    .eval = transpose_eval,
};
