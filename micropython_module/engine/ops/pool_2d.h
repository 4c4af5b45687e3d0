/*
 * What AVERAGE_POOL_2D and MAX_POOL_2D share: Pool2DOptions, the checks TFLM
 * makes, output geometry and padding, and the fused activation range. Their
 * eval loops (the reduction over each window) stay in their own files.
 */
#ifndef TML_POOL_2D_H
#define TML_POOL_2D_H

#include "tml_kernel.h"
#include "tml_quant.h"

typedef struct {
    int32_t stride_w, stride_h;
    int32_t filter_w, filter_h;
    int32_t pad_w, pad_h;
    int32_t act_min, act_max;     /* quantized types */
    float act_min_f, act_max_f;   /* float32 */
} tml_pool_2d_params;

/* Pool2DOptions fields. */
enum { OPT_PADDING = 0, OPT_STRIDE_W = 1, OPT_STRIDE_H = 2, OPT_FILTER_W = 3, OPT_FILTER_H = 4, OPT_ACTIVATION = 5 };

static inline tml_status tml_pool_2d_prepare(tml_model *m, tml_node *node) {
    tml_pool_2d_params *p = (tml_pool_2d_params *)node->params;
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 1 || node->num_outputs != 1 || in == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 1 input and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in->type != TML_FLOAT32 && in->type != TML_INT8 && in->type != TML_INT16) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32, int8, int16 are)",
            tml_dtype_name(in->type));
    }
    if (out->type != in->type) {
        return tml_fail(m, TML_ERR_MODEL, "output type %s differs from input type %s", tml_dtype_name(out->type),
            tml_dtype_name(in->type));
    }
    if (in->ndim != 4 || out->ndim != 4) {
        return tml_fail(m, TML_ERR_MODEL, "input and output must be 4-D (NHWC), are %d-D and %d-D", in->ndim,
            out->ndim);
    }

    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    int padding = tml_fb_i8(&fb, &opt, OPT_PADDING, TML_PAD_SAME);
    int activation = tml_fb_i8(&fb, &opt, OPT_ACTIVATION, TML_ACT_NONE);
    p->stride_w = tml_fb_i32(&fb, &opt, OPT_STRIDE_W, 0);
    p->stride_h = tml_fb_i32(&fb, &opt, OPT_STRIDE_H, 0);
    p->filter_w = tml_fb_i32(&fb, &opt, OPT_FILTER_W, 0);
    p->filter_h = tml_fb_i32(&fb, &opt, OPT_FILTER_H, 0);
    if (padding != TML_PAD_SAME && padding != TML_PAD_VALID) {
        return tml_fail(m, TML_ERR_MODEL, "padding %d is neither SAME nor VALID", padding);
    }
    if (p->stride_w <= 0 || p->stride_h <= 0 || p->filter_w <= 0 || p->filter_h <= 0) {
        return tml_fail(m, TML_ERR_MODEL, "stride %dx%d and filter %dx%d (h x w) must be positive", p->stride_h,
            p->stride_w, p->filter_h, p->filter_w);
    }
    if (activation > TML_ACT_RELU6) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "fused activation %d not supported (NONE, RELU, RELU_N1_TO_1, RELU6 are)",
            activation);
    }

    int32_t in_h = in->dims[1], in_w = in->dims[2];
    int32_t out_h = tml_conv_out_size(padding, in_h, p->filter_h, p->stride_h, 1);
    int32_t out_w = tml_conv_out_size(padding, in_w, p->filter_w, p->stride_w, 1);
    if (out->dims[0] != in->dims[0] || out->dims[1] != out_h || out->dims[2] != out_w || out->dims[3] != in->dims[3] ||
        out_h <= 0 || out_w <= 0) {
        return tml_fail(m, TML_ERR_MODEL, "output shape [%d,%d,%d,%d] does not match the pooled shape [%d,%d,%d,%d]",
            out->dims[0], out->dims[1], out->dims[2], out->dims[3], in->dims[0], out_h, out_w, in->dims[3]);
    }
    p->pad_h = tml_conv_padding(in_h, p->filter_h, p->stride_h, 1, out_h);
    p->pad_w = tml_conv_padding(in_w, p->filter_w, p->stride_w, 1, out_w);

    if (in->type == TML_FLOAT32) {
        tml_activation_range_float(activation, &p->act_min_f, &p->act_max_f);
        return TML_OK;
    }
    if (in->num_channels != 1 || out->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input and output need per-tensor quantization (have %u and %u scales)",
            (unsigned)in->num_channels, (unsigned)out->num_channels);
    }
    /* TFLM accepts scales within 1e-6 of each other; the kernel has no rescale. */
    double scale_diff = (double)in->scale - (double)out->scale;
    if (scale_diff > 1.0e-6 || scale_diff < -1.0e-6 || in->zero_point != out->zero_point) {
        return tml_fail(m, TML_ERR_MODEL, "input and output quantization differ (scale %f vs %f, zero point %d vs %d)",
            (double)in->scale, (double)out->scale, in->zero_point, out->zero_point);
    }
    int32_t qmin = in->type == TML_INT8 ? -128 : -32768;
    int32_t qmax = in->type == TML_INT8 ? 127 : 32767;
    tml_activation_range_quantized(activation, out->scale, out->zero_point, qmin, qmax, &p->act_min, &p->act_max);
    return TML_OK;
}

#endif /* TML_POOL_2D_H */
