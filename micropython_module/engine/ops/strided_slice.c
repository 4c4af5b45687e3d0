/*
 * STRIDED_SLICE (TFLM strided_slice.cc, reference_ops::StridedSlice).
 *
 * begin, end and strides (inputs 1-3) are constant int32 vectors, as TFLM
 * requires. Per dimension, as TFLM's StridedSliceStartForAxis/EndForAxis:
 * negative indices count from the end; indices are clamped to [0, size]
 * (stride > 0) or [-1, size - 1] (stride < 0); begin_mask / end_mask bits
 * take the whole range; a shrink_axis_mask bit takes the one element at
 * begin and drops the dimension from the output. The result is a strided
 * view of the input, copied as one block.
 *
 * TFLM ignores ellipsis_mask, new_axis_mask and offset (it zeroes them), and
 * supports at most 4 dimensions; models that use them are refused here.
 */
#include "shape_util.h"

enum { STRIDED_SLICE_MAX_DIMS = 4 }; /* TFLM kMaxDim */
enum {                               /* StridedSliceOptions */
    OPT_BEGIN_MASK = 0,
    OPT_END_MASK = 1,
    OPT_ELLIPSIS_MASK = 2,
    OPT_NEW_AXIS_MASK = 3,
    OPT_SHRINK_AXIS_MASK = 4,
    OPT_OFFSET = 5,
};

typedef struct {
    tml_block block;
} strided_slice_params;

static int32_t clamp_index(int32_t v, int32_t lo, int32_t hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

static tml_status strided_slice_prepare(tml_model *m, tml_node *node) {
    strided_slice_params *p = (strided_slice_params *)node->params;
    tml_status st = tml_check_arity(m, node, 4, 4, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    const uint32_t types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) | TML_TYPE_BIT(TML_INT16) |
        TML_TYPE_BIT(TML_INT32) | TML_TYPE_BIT(TML_BOOL);
    if ((st = tml_check_type(m, "input", in->type, types)) != TML_OK) {
        return st;
    }
    if (out->type != in->type) {
        return tml_fail(m, TML_ERR_MODEL, "output type %s differs from input type %s", tml_dtype_name(out->type),
            tml_dtype_name(in->type));
    }
    if (in->ndim > STRIDED_SLICE_MAX_DIMS) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input of rank %d: at most %d dimensions are supported", in->ndim,
            STRIDED_SLICE_MAX_DIMS);
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    const int32_t begin_mask = tml_fb_i32(&fb, &opt, OPT_BEGIN_MASK, 0);
    const int32_t end_mask = tml_fb_i32(&fb, &opt, OPT_END_MASK, 0);
    const int32_t shrink_mask = tml_fb_i32(&fb, &opt, OPT_SHRINK_AXIS_MASK, 0);
    if (tml_fb_i32(&fb, &opt, OPT_ELLIPSIS_MASK, 0) != 0 || tml_fb_i32(&fb, &opt, OPT_NEW_AXIS_MASK, 0) != 0 ||
        tml_fb_bool(&fb, &opt, OPT_OFFSET, false)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "ellipsis_mask, new_axis_mask and offset are not supported");
    }
    int32_t v[3][STRIDED_SLICE_MAX_DIMS]; /* begin, end, strides */
    for (int k = 0; k < 3; k++) {
        const tml_tensor *t = tml_node_input(m, node, k + 1);
        const char *name = k == 0 ? "begin" : (k == 1 ? "end" : "strides");
        int32_t count;
        if ((st = tml_check_type(m, name, t->type, TML_TYPE_BIT(TML_INT32))) != TML_OK ||
            (st = tml_const_ints(m, t, name, v[k], STRIDED_SLICE_MAX_DIMS, &count)) != TML_OK) {
            return st;
        }
        if (count != in->ndim) {
            return tml_fail(m, TML_ERR_MODEL, "%s has %d values, the input rank is %d", name, count, in->ndim);
        }
    }
    int32_t in_strides[TML_MAX_DIMS];
    tml_contiguous_strides(in->dims, in->ndim, in_strides);
    tml_block *b = &p->block;
    b->ndim = in->ndim;
    b->src_offset = 0;
    b->dst_offset = 0;
    int out_d = 0;
    for (int d = 0; d < in->ndim; d++) {
        const int32_t size = in->dims[d], stride = v[2][d];
        const bool shrink = (shrink_mask >> d) & 1;
        if (stride == 0) {
            return tml_fail(m, TML_ERR_MODEL, "stride of dimension %d is 0", d);
        }
        int32_t start = v[0][d] < 0 ? v[0][d] + size : v[0][d];
        start = stride > 0 ? clamp_index(start, 0, size) : clamp_index(start, -1, size - 1);
        if ((begin_mask >> d) & 1) {
            start = stride > 0 ? 0 : size - 1;
        }
        int32_t stop;
        if (shrink) {
            stop = start >= size ? start : start + 1;
        } else {
            stop = v[1][d] < 0 ? v[1][d] + size : v[1][d];
            stop = stride > 0 ? clamp_index(stop, 0, size) : clamp_index(stop, -1, size - 1);
            if ((end_mask >> d) & 1) {
                stop = stride > 0 ? size : -1;
            }
        }
        int32_t count = 0;
        if (stride > 0 && stop > start) {
            count = (stop - start + stride - 1) / stride;
        } else if (stride < 0 && start > stop) {
            count = (start - stop - stride - 1) / -stride;
        }
        if (!shrink) {
            if (out_d >= out->ndim || out->dims[out_d] != count) {
                return tml_fail(m, TML_ERR_MODEL, "output dimension %d should be %d", out_d, count);
            }
            out_d++;
        }
        b->dims[d] = count;
        b->src_strides[d] = stride * in_strides[d];
        b->src_offset += (count > 0 ? start : 0) * in_strides[d];
    }
    if (out_d != out->ndim) {
        return tml_fail(m, TML_ERR_MODEL, "output rank %d should be %d", out->ndim, out_d);
    }
    tml_contiguous_strides(b->dims, b->ndim, b->dst_strides);
    return TML_OK;
}

static tml_status strided_slice_eval(tml_model *m, tml_node *node) {
    const strided_slice_params *p = (const strided_slice_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    tml_block_copy(out->data, in->data, tml_dtype_size(in->type), &p->block);
    return TML_OK;
}

const tml_kernel tml_kernel_STRIDED_SLICE = {
    .name = "STRIDED_SLICE",
    .builtin = 45,
    .max_version = 3, /* v2 int8, v3 bool; v4 (rank 5) and later are not supported */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32 | TML_TYPE_BIT(TML_BOOL),
    .params_size = sizeof(strided_slice_params),
    .prepare = strided_slice_prepare,
    .eval = strided_slice_eval,
};
