/*
 * RESIZE_NEAREST_NEIGHBOR (TFLM reference_ops::ResizeNearestNeighbor), NHWC.
 *
 * The new size (input 1) is a constant int32 pair and must equal the
 * output's H and W. For each output row/column TFLM picks, in float32:
 *   scale = align_corners && out > 1 ? (in - 1) / (out - 1) : in / out
 *   src = align_corners ? round((i + offset) * scale) : floor((i + offset) * scale)
 * with offset 0.5 for half_pixel_centers, then clamps src to [0, in - 1].
 * Each output pixel is a copy of one input pixel's channels.
 */
#include "shape_util.h"
#include "tml_quant.h"

enum { OPT_ALIGN_CORNERS = 0, OPT_HALF_PIXEL_CENTERS = 1 }; /* ResizeNearestNeighborOptions */

typedef struct {
    bool align_corners, half_pixel_centers;
} resize_nearest_neighbor_params;

/* TFLM GetNearestNeighbor. (i + offset) * scale is never negative, so floor
 * is truncation. */
static int32_t nearest_source(int32_t i, int32_t in_size, int32_t out_size, bool align_corners, bool half_pixel) {
    const float scale = (align_corners && out_size > 1) ? (float)(in_size - 1) / (float)(out_size - 1)
                                                        : (float)in_size / (float)out_size;
    const float offset = half_pixel ? 0.5f : 0.0f;
    const float x = ((float)i + offset) * scale;
    int32_t src = align_corners ? (int32_t)tml_roundf(x) : (int32_t)x;
    if (src > in_size - 1) {
        src = in_size - 1;
    }
    return src < 0 ? 0 : src;
}

static tml_status resize_nearest_neighbor_prepare(tml_model *m, tml_node *node) {
    resize_nearest_neighbor_params *p = (resize_nearest_neighbor_params *)node->params;
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
    if (out->type != in->type || in->ndim != 4 || out->ndim != 4) {
        return tml_fail(m, TML_ERR_MODEL, "input and output must be 4-D (NHWC) tensors of one type");
    }
    int32_t size[2], count;
    if ((st = tml_const_ints(m, tml_node_input(m, node, 1), "size", size, 2, &count)) != TML_OK) {
        return st;
    }
    if (count != 2 || size[0] != out->dims[1] || size[1] != out->dims[2] || out->dims[0] != in->dims[0] ||
        out->dims[3] != in->dims[3]) {
        return tml_fail(m, TML_ERR_MODEL, "output shape must be [N, size[0], size[1], C] of the input");
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    p->align_corners = tml_fb_bool(&fb, &opt, OPT_ALIGN_CORNERS, false);
    p->half_pixel_centers = tml_fb_bool(&fb, &opt, OPT_HALF_PIXEL_CENTERS, false);
    return TML_OK;
}

static tml_status resize_nearest_neighbor_eval(tml_model *m, tml_node *node) {
    const resize_nearest_neighbor_params *p = (const resize_nearest_neighbor_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t batches = in->dims[0], in_h = in->dims[1], in_w = in->dims[2], depth = in->dims[3];
    const int32_t out_h = out->dims[1], out_w = out->dims[2];
    const size_t pixel_bytes = (size_t)depth * tml_dtype_size(in->type);
    const uint8_t *x = (const uint8_t *)in->data;
    uint8_t *y = (uint8_t *)out->data;
    for (int32_t b = 0; b < batches; b++) {
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int32_t iy = nearest_source(oy, in_h, out_h, p->align_corners, p->half_pixel_centers);
            for (int32_t ox = 0; ox < out_w; ox++) {
                const int32_t ix = nearest_source(ox, in_w, out_w, p->align_corners, p->half_pixel_centers);
                memcpy(y, x + ((size_t)(b * in_h + iy) * (size_t)in_w + (size_t)ix) * pixel_bytes, pixel_bytes);
                y += pixel_bytes;
            }
        }
    }
    (void)m;
    return TML_OK;
}

const tml_kernel tml_kernel_RESIZE_NEAREST_NEIGHBOR = {
    .name = "RESIZE_NEAREST_NEIGHBOR",
    .builtin = 97,
    .max_version = 4, /* v2 int8, v3 align_corners / half_pixel_centers, v4 int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(resize_nearest_neighbor_params),
    .prepare = resize_nearest_neighbor_prepare,
    .eval = resize_nearest_neighbor_eval,
};
