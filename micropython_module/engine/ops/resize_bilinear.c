/*
 * RESIZE_BILINEAR (TFLM reference_ops::ResizeBilinear / ResizeBilinearInteger),
 * NHWC; the new size (input 1) is a constant int32 pair equal to the
 * output's H and W. half_pixel_centers and align_corners may not both be set.
 *
 * float32: source coordinate y * scale (or (y + 0.5) * scale - 0.5), in
 * float32; corners floor/ceil of it clamped into the input; the four
 * products summed in TFLM's order.
 * int8: the same in 10-bit fixed point: scale_10 = round(in * 2^10 / out)
 * (align_corners: (in - 1) / (out - 1)); weights in 1/1024 steps; the 20-bit
 * weighted sum rounded half away from zero.
 */
#include "shape_util.h"

enum { OPT_ALIGN_CORNERS = 2, OPT_HALF_PIXEL_CENTERS = 3 }; /* ResizeBilinearOptions */

typedef struct {
    bool align_corners, half_pixel_centers;
} resize_bilinear_params;

/* floorf / ceilf for values whose integer part fits an int32 (coordinates). */
static float floor_f32(float x) {
    float t = (float)(int32_t)x;
    return t > x ? t - 1.0f : t;
}
static float ceil_f32(float x) {
    float t = (float)(int32_t)x;
    return t < x ? t + 1.0f : t;
}

/* TFLM ComputeInterpolationValues. */
static void float_source(int32_t i, float scale, bool half_pixel, int32_t in_size, float *pos, int32_t *lo,
    int32_t *hi) {
    *pos = half_pixel ? ((float)i + 0.5f) * scale - 0.5f : (float)i * scale;
    int32_t f = (int32_t)floor_f32(*pos), c = (int32_t)ceil_f32(*pos);
    *lo = f > 0 ? f : 0;
    *hi = c < in_size - 1 ? c : in_size - 1;
}

/* TFLM ComputeInterpolationValuesInteger (C division truncates, as C++'s). */
static void fixed_source(int32_t i, int32_t scale_10, bool half_pixel, int32_t in_size, int32_t *pos, int32_t *lo,
    int32_t *hi) {
    *pos = half_pixel ? i * scale_10 + scale_10 / 2 - (1 << 9) : i * scale_10;
    int32_t f = *pos / (1 << 10), c = (*pos + (1 << 10) - 1) / (1 << 10);
    *lo = f > 0 ? f : 0;
    *hi = c < in_size - 1 ? c : in_size - 1;
}

static tml_status resize_bilinear_prepare(tml_model *m, tml_node *node) {
    resize_bilinear_params *p = (resize_bilinear_params *)node->params;
    tml_status st = tml_check_arity(m, node, 2, 2, 1);
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
    int32_t size[2], count;
    if ((st = tml_const_ints(m, tml_node_input(m, node, 1), "size", size, 2, &count)) != TML_OK) {
        return st;
    }
    if (count != 2 || size[0] != out->dims[1] || size[1] != out->dims[2] || out->dims[0] != in->dims[0] ||
        out->dims[3] != in->dims[3] || size[0] < 1 || size[1] < 1) {
        return tml_fail(m, TML_ERR_MODEL, "output shape must be [N, size[0], size[1], C] of the input");
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    p->align_corners = tml_fb_bool(&fb, &opt, OPT_ALIGN_CORNERS, false);
    p->half_pixel_centers = tml_fb_bool(&fb, &opt, OPT_HALF_PIXEL_CENTERS, false);
    if (p->align_corners && p->half_pixel_centers) {
        return tml_fail(m, TML_ERR_MODEL, "half_pixel_centers and align_corners cannot both be set");
    }
    return TML_OK;
}

static tml_status resize_bilinear_eval(tml_model *m, tml_node *node) {
    const resize_bilinear_params *p = (const resize_bilinear_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t batches = in->dims[0], in_h = in->dims[1], in_w = in->dims[2], depth = in->dims[3];
    const int32_t out_h = out->dims[1], out_w = out->dims[2];
#define AT(b, yy, xx, c) ((((b) * in_h + (yy)) * in_w + (xx)) * depth + (c))
    if (in->type == TML_FLOAT32) {
        float h_scale = (float)in_h / (float)out_h, w_scale = (float)in_w / (float)out_w;
        if (p->align_corners && out_h > 1) {
            h_scale = (float)(in_h - 1) / (float)(out_h - 1);
        }
        if (p->align_corners && out_w > 1) {
            w_scale = (float)(in_w - 1) / (float)(out_w - 1);
        }
        const float *x = (const float *)in->data;
        float *y = (float *)out->data;
        for (int32_t b = 0; b < batches; b++) {
            for (int32_t oy = 0; oy < out_h; oy++) {
                float fy;
                int32_t y0, y1;
                float_source(oy, h_scale, p->half_pixel_centers, in_h, &fy, &y0, &y1);
                const float dy = fy - (float)y0;
                for (int32_t ox = 0; ox < out_w; ox++) {
                    float fx;
                    int32_t x0, x1;
                    float_source(ox, w_scale, p->half_pixel_centers, in_w, &fx, &x0, &x1);
                    const float dx = fx - (float)x0;
                    for (int32_t c = 0; c < depth; c++) {
                        *y++ = x[AT(b, y0, x0, c)] * (1 - dy) * (1 - dx) + x[AT(b, y1, x0, c)] * dy * (1 - dx) +
                            x[AT(b, y0, x1, c)] * (1 - dy) * dx + x[AT(b, y1, x1, c)] * dy * dx +
                            0.0f; /* TFLM's rounding offset for float: turns -0 into +0 */
                    }
                }
            }
        }
    } else {
        const int32_t h_scale_10 = p->align_corners && out_h > 1
            ? (((in_h - 1) << 10) + (out_h - 1) / 2) / (out_h - 1)
            : ((in_h << 10) + out_h / 2) / out_h;
        const int32_t w_scale_10 = p->align_corners && out_w > 1
            ? (((in_w - 1) << 10) + (out_w - 1) / 2) / (out_w - 1)
            : ((in_w << 10) + out_w / 2) / out_w;
        const int8_t *x = (const int8_t *)in->data;
        int8_t *y = (int8_t *)out->data;
        for (int32_t b = 0; b < batches; b++) {
            for (int32_t oy = 0; oy < out_h; oy++) {
                int32_t fy, y0, y1;
                fixed_source(oy, h_scale_10, p->half_pixel_centers, in_h, &fy, &y0, &y1);
                const int64_t wy1 = fy - (1 << 10) * y0, wy0 = (1 << 10) - wy1;
                for (int32_t ox = 0; ox < out_w; ox++) {
                    int32_t fx, x0, x1;
                    fixed_source(ox, w_scale_10, p->half_pixel_centers, in_w, &fx, &x0, &x1);
                    const int64_t wx1 = fx - (1 << 10) * x0, wx0 = (1 << 10) - wx1;
                    for (int32_t c = 0; c < depth; c++) {
                        const int64_t sum = x[AT(b, y0, x0, c)] * wy0 * wx0 + x[AT(b, y1, x0, c)] * wy1 * wx0 +
                            x[AT(b, y0, x1, c)] * wy0 * wx1 + x[AT(b, y1, x1, c)] * wy1 * wx1;
                        const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
                        *y++ = (int8_t)((sum + round) / (1 << 20));
                    }
                }
            }
        }
    }
#undef AT
    (void)m;
    return TML_OK;
}

const tml_kernel tml_kernel_RESIZE_BILINEAR = {
    .name = "RESIZE_BILINEAR",
    .builtin = 23,
    .max_version = 3, /* v2 int8, v3 half_pixel_centers (v4 int16 is not supported) */
    .types = TML_TYPES_FLOAT_INT8,
    .params_size = sizeof(resize_bilinear_params),
    .prepare = resize_bilinear_prepare,
    .eval = resize_bilinear_eval,
};
