/*
 * DEPTH_TO_SPACE and SPACE_TO_DEPTH (TFLM depth_to_space.cc,
 * space_to_depth.cc), NHWC with block size b.
 *
 * Both are a transpose of a 6-D view. DEPTH_TO_SPACE: output element
 * (n, h*b + i, w*b + j, c) is input element (n, h, w, (i*b + j)*C_out + c), so
 * the output, read as [N, H, b, W, b, C_out], is the input read with strides
 * (n, h, i, w, j, c) -> (HWC, WC, b*C_out, C, C_out, 1). SPACE_TO_DEPTH is
 * the inverse: output [N, H_out, W_out, b, b, C] reads the input at
 * (n, h*b + i, w*b + j, c).
 */
#include "shape_util.h"

enum { OPT_BLOCK_SIZE = 0 }; /* DepthToSpaceOptions / SpaceToDepthOptions */

typedef struct {
    tml_block block;
} depth_to_space_params;

static tml_status depth_to_space_prepare(tml_model *m, tml_node *node) {
    depth_to_space_params *p = (depth_to_space_params *)node->params;
    const bool to_space = node->kernel->builtin == 5;
    tml_status st = tml_check_arity(m, node, 1, 1, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if ((st = tml_check_type(m, "input", in->type, TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8))) != TML_OK) {
        return st;
    }
    if (out->type != in->type || in->ndim != 4 || out->ndim != 4) {
        return tml_fail(m, TML_ERR_MODEL, "input and output must be 4-D (NHWC) tensors of one type");
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    const int32_t bs = tml_fb_i32(&fb, &opt, OPT_BLOCK_SIZE, 0);
    /* The space-side ("big") and depth-side ("small") tensors. */
    const tml_tensor *big = to_space ? out : in;
    const tml_tensor *small = to_space ? in : out;
    if (bs < 1 || big->dims[1] % bs != 0 || big->dims[2] % bs != 0 || small->dims[0] != big->dims[0] ||
        small->dims[1] * bs != big->dims[1] || small->dims[2] * bs != big->dims[2] ||
        small->dims[3] != big->dims[3] * bs * bs) {
        return tml_fail(m, TML_ERR_MODEL, "shapes do not fit block size %d", bs);
    }
    const int32_t n = big->dims[0], h = small->dims[1], w = small->dims[2], c = big->dims[3];
    /* Strides, in the big tensor and in the small one, of the 6 indices
     * (n, h, i, w, j, c) where the big tensor's element is
     * (n, h*b + i, w*b + j, c) and the small one's (n, h, w, (i*b + j)*c + c). */
    const int32_t dims6[6] = {n, h, bs, w, bs, c};
    const int32_t big_strides[6] = {h * bs * w * bs * c, bs * w * bs * c, w * bs * c, bs * c, c, 1};
    const int32_t small_strides[6] = {h * w * bs * bs * c, w * bs * bs * c, bs * c, bs * bs * c, c, 1};
    tml_block *b = &p->block;
    b->ndim = 6;
    b->src_offset = 0;
    b->dst_offset = 0;
    for (int d = 0; d < 6; d++) {
        b->dims[d] = dims6[d];
        b->src_strides[d] = to_space ? small_strides[d] : big_strides[d];
        b->dst_strides[d] = to_space ? big_strides[d] : small_strides[d];
    }
    return TML_OK;
}

static tml_status depth_to_space_eval(tml_model *m, tml_node *node) {
    const depth_to_space_params *p = (const depth_to_space_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    tml_block_copy(out->data, in->data, tml_dtype_size(in->type), &p->block);
    return TML_OK;
}

const tml_kernel tml_kernel_DEPTH_TO_SPACE = {
    .name = "DEPTH_TO_SPACE",
    .builtin = 5,
    .max_version = 2, /* v2 int8 */
    .types = TML_TYPES_FLOAT_INT8,
    .params_size = sizeof(depth_to_space_params),
    .prepare = depth_to_space_prepare,
    .eval = depth_to_space_eval,
};

const tml_kernel tml_kernel_SPACE_TO_DEPTH = {
    .name = "SPACE_TO_DEPTH",
    .builtin = 26,
    .max_version = 2, /* v2 int8 */
    .types = TML_TYPES_FLOAT_INT8,
    .params_size = sizeof(depth_to_space_params),
    .prepare = depth_to_space_prepare,
    .eval = depth_to_space_eval,
};
