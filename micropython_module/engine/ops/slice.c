/*
 * SLICE (TFLM slice.cc): the block of `size` elements starting at `begin`
 * (inputs 1 and 2, int32 or int64; size -1 means "to the end").
 *
 * TFLM reads begin and size when it runs, so they need not be constant: the
 * block is worked out on every eval (a few integers per dimension), and
 * checked at prepare when they are constant.
 */
#include "shape_util.h"

enum { SLICE_MAX_DIMS = 5 }; /* TFLM kMaxDim */

/* The input block that begin/size select; fails if it leaves the input or
 * does not match the output shape. */
static tml_status slice_block(tml_model *m, const tml_node *node, tml_block *b) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *begin_t = tml_node_input(m, node, 1);
    const tml_tensor *size_t_ = tml_node_input(m, node, 2);
    const tml_tensor *out = tml_node_output(m, node, 0);
    tml_tensor begin_const = *begin_t, size_const = *size_t_;
    begin_const.kind = TML_TENSOR_CONSTANT; /* read the values whatever their kind */
    size_const.kind = TML_TENSOR_CONSTANT;
    int32_t begin[SLICE_MAX_DIMS], size[SLICE_MAX_DIMS], nb, ns;
    tml_status st;
    if ((st = tml_const_ints(m, &begin_const, "begin", begin, SLICE_MAX_DIMS, &nb)) != TML_OK ||
        (st = tml_const_ints(m, &size_const, "size", size, SLICE_MAX_DIMS, &ns)) != TML_OK) {
        return st;
    }
    if (nb != in->ndim || ns != in->ndim) {
        return tml_fail(m, TML_ERR_MODEL, "begin and size need %d values each, have %d and %d", in->ndim, nb, ns);
    }
    int32_t in_strides[TML_MAX_DIMS];
    tml_contiguous_strides(in->dims, in->ndim, in_strides);
    b->ndim = in->ndim;
    b->src_offset = 0;
    b->dst_offset = 0;
    for (int d = 0; d < in->ndim; d++) {
        int32_t extent = size[d] == -1 ? in->dims[d] - begin[d] : size[d];
        if (begin[d] < 0 || extent < 0 || begin[d] > in->dims[d] - extent) {
            return tml_fail(m, TML_ERR_MODEL, "dimension %d: begin %d and size %d leave the input (size %d)", d,
                begin[d], size[d], in->dims[d]);
        }
        if (out->dims[d] != extent) {
            return tml_fail(m, TML_ERR_MODEL, "output dimension %d is %d, the slice is %d", d, out->dims[d], extent);
        }
        b->dims[d] = extent;
        b->src_strides[d] = in_strides[d];
        b->src_offset += begin[d] * in_strides[d];
    }
    tml_contiguous_strides(b->dims, b->ndim, b->dst_strides);
    return TML_OK;
}

static tml_status slice_prepare(tml_model *m, tml_node *node) {
    tml_status st = tml_check_arity(m, node, 3, 3, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *begin = tml_node_input(m, node, 1);
    const tml_tensor *size = tml_node_input(m, node, 2);
    const tml_tensor *out = tml_node_output(m, node, 0);
    const uint32_t types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) | TML_TYPE_BIT(TML_INT16) |
        TML_TYPE_BIT(TML_INT32) | TML_TYPE_BIT(TML_BOOL);
    if ((st = tml_check_type(m, "input", in->type, types)) != TML_OK) {
        return st;
    }
    if (out->type != in->type || out->ndim != in->ndim) {
        return tml_fail(m, TML_ERR_MODEL, "output must have the input's type and rank");
    }
    if (in->ndim > SLICE_MAX_DIMS) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input of rank %d: at most %d dimensions are supported", in->ndim,
            SLICE_MAX_DIMS);
    }
    if (begin->ndim != 1 || size->ndim != 1 || begin->dims[0] != in->ndim || size->dims[0] != in->ndim) {
        return tml_fail(m, TML_ERR_MODEL, "begin and size must be vectors of %d values", in->ndim);
    }
    if (begin->kind == TML_TENSOR_CONSTANT && size->kind == TML_TENSOR_CONSTANT) {
        tml_block b;
        return slice_block(m, node, &b);
    }
    const uint32_t index_types = TML_TYPE_BIT(TML_INT32) | TML_TYPE_BIT(TML_INT64);
    if ((st = tml_check_type(m, "begin", begin->type, index_types)) != TML_OK ||
        (st = tml_check_type(m, "size", size->type, index_types)) != TML_OK) {
        return st;
    }
    return TML_OK;
}

static tml_status slice_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    tml_block b;
    tml_status st = slice_block(m, node, &b);
    if (st != TML_OK) {
        return st;
    }
    tml_block_copy(out->data, in->data, tml_dtype_size(in->type), &b);
    return TML_OK;
}

const tml_kernel tml_kernel_SLICE = {
    .name = "SLICE",
    .builtin = 65,
    .max_version = 5, /* v2 int8, v4 int16, v5 rank 5 (v3 strings are not supported) */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32 | TML_TYPE_BIT(TML_BOOL),
    .params_size = 0,
    .prepare = slice_prepare,
    .eval = slice_eval,
};
