/*
 * PAD and PADV2 (TFLM pad.cc): the input surrounded by a constant.
 *
 * paddings (input 1) is a constant [rank, 2] tensor of (before, after)
 * counts. The pad value is PADV2's constant_values (input 2) when given;
 * otherwise 0, or the output zero point for int8 (the quantized zero), as in
 * TFLM. A quantized constant_values must share the output's scale and zero
 * point. Eval fills the output with the pad value, then copies the input
 * into the interior as one block.
 */
#include "shape_util.h"

enum { PAD_MAX_DIMS = 5 }; /* TFLM PadKernelMaxDimensionCount */

typedef struct {
    tml_block interior; /* where the input goes in the output */
} pad_params;

static tml_status pad_prepare(tml_model *m, tml_node *node) {
    pad_params *p = (pad_params *)node->params;
    bool v2 = node->kernel->builtin == 60;
    tml_status st = tml_check_arity(m, node, 2, v2 ? 3 : 2, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *paddings = tml_node_input(m, node, 1);
    const tml_tensor *constant = tml_node_input(m, node, 2);
    const tml_tensor *out = tml_node_output(m, node, 0);
    const uint32_t types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) | TML_TYPE_BIT(TML_INT16) |
        TML_TYPE_BIT(TML_INT32);
    if ((st = tml_check_type(m, "input", in->type, types)) != TML_OK) {
        return st;
    }
    if (out->type != in->type || (constant != NULL && constant->type != in->type)) {
        return tml_fail(m, TML_ERR_MODEL, "input, output and constant_values must have one type");
    }
    if (constant != NULL && tml_numel(constant) != 1) {
        return tml_fail(m, TML_ERR_MODEL, "constant_values must hold one value, holds %d", tml_numel(constant));
    }
    if (constant != NULL && (in->type == TML_INT8 || in->type == TML_INT16) &&
        !tml_same_quantization(constant, out)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "constant_values must have the output's scale and zero point");
    }
    if (in->ndim > PAD_MAX_DIMS) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input of rank %d: at most %d dimensions are supported", in->ndim,
            PAD_MAX_DIMS);
    }
    int32_t pads[2 * PAD_MAX_DIMS], count;
    if ((st = tml_const_ints(m, paddings, "paddings", pads, 2 * PAD_MAX_DIMS, &count)) != TML_OK) {
        return st;
    }
    if (paddings->ndim != 2 || paddings->dims[0] != in->ndim || paddings->dims[1] != 2) {
        return tml_fail(m, TML_ERR_MODEL, "paddings must have shape [%d, 2]", in->ndim);
    }
    if (out->ndim != in->ndim) {
        return tml_fail(m, TML_ERR_MODEL, "output rank %d differs from input rank %d", out->ndim, in->ndim);
    }
    int32_t out_strides[TML_MAX_DIMS];
    tml_contiguous_strides(out->dims, out->ndim, out_strides);
    tml_block *b = &p->interior;
    b->ndim = in->ndim;
    tml_contiguous_strides(in->dims, in->ndim, b->src_strides);
    b->src_offset = 0;
    b->dst_offset = 0;
    for (int d = 0; d < in->ndim; d++) {
        int32_t before = pads[2 * d], after = pads[2 * d + 1];
        if (before < 0 || after < 0) {
            return tml_fail(m, TML_ERR_MODEL, "paddings of dimension %d are negative (%d, %d)", d, before, after);
        }
        if (out->dims[d] != in->dims[d] + before + after) {
            return tml_fail(m, TML_ERR_MODEL, "output dimension %d is %d, input %d padded by %d and %d is %d", d,
                out->dims[d], in->dims[d], before, after, in->dims[d] + before + after);
        }
        b->dims[d] = in->dims[d];
        b->dst_strides[d] = out_strides[d];
        b->dst_offset += before * out_strides[d];
    }
    return TML_OK;
}

static tml_status pad_eval(tml_model *m, tml_node *node) {
    const pad_params *p = (const pad_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *constant = tml_node_input(m, node, 2);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(out);
    switch (out->type) {
        case TML_FLOAT32: {
            float v = constant ? *(const float *)constant->data : 0.0f;
            for (int32_t i = 0; i < n; i++) {
                ((float *)out->data)[i] = v;
            }
            break;
        }
        case TML_INT32: {
            int32_t v = constant ? *(const int32_t *)constant->data : 0;
            for (int32_t i = 0; i < n; i++) {
                ((int32_t *)out->data)[i] = v;
            }
            break;
        }
        case TML_INT16: {
            int16_t v = constant ? *(const int16_t *)constant->data : 0;
            for (int32_t i = 0; i < n; i++) {
                ((int16_t *)out->data)[i] = v;
            }
            break;
        }
        default: { /* int8 */
            int8_t v = constant ? *(const int8_t *)constant->data : (int8_t)out->zero_point;
            memset(out->data, (uint8_t)v, (size_t)n);
            break;
        }
    }
    tml_block_copy(out->data, in->data, tml_dtype_size(in->type), &p->interior);
    (void)m;
    return TML_OK;
}

const tml_kernel tml_kernel_PAD = {
    .name = "PAD",
    .builtin = 34,
    .max_version = 4, /* v2 int8, v3 int16, v4 rank 5 */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32,
    .params_size = sizeof(pad_params),
    .prepare = pad_prepare,
    .eval = pad_eval,
};

const tml_kernel tml_kernel_PADV2 = {
    .name = "PADV2",
    .builtin = 60,
    .max_version = 4,
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32,
    .params_size = sizeof(pad_params),
    .prepare = pad_prepare,
    .eval = pad_eval,
};
