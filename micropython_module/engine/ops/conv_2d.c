/*
 * CONV_2D: int8 (per-tensor or per-channel weights), 16x8 (int16 activations,
 * int8 weights, int64 bias) and float32, with SAME /
 * VALID padding, any stride, dilation and groups (filter input depth smaller
 * than the input depth), as TFLM's reference kernels compute it
 * (reference/integer_ops/conv.h ConvPerChannel, reference/conv.h Conv).
 *
 * Layouts: input [N, H, W, C_in], filter [C_out, KH, KW, C_in / groups],
 * bias [C_out], output [N, OH, OW, C_out].
 */
#include "conv_util.h"
#include "hybrid.h"
#include "arm/dsp_hooks.h"
#include "portable/portable_hooks.h"

/* Conv2DOptions fields (schema.fbs). */
enum {
    OPT_PADDING = 0,
    OPT_STRIDE_W = 1,
    OPT_STRIDE_H = 2,
    OPT_ACTIVATION = 3,
    OPT_DILATION_W = 4,
    OPT_DILATION_H = 5,
};

typedef struct {
    int32_t pad_h, pad_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    int32_t input_offset;  /* minus the input zero point */
    int32_t output_offset; /* the output zero point */
    int32_t act_min, act_max;
    float f_act_min, f_act_max;
    int32_t multiplier; /* per-tensor weights; per-channel ones follow the struct */
    int8_t shift;
    uint8_t reserved[3];
} conv_params;

typedef struct {
    int32_t batches, in_h, in_w, in_c;
    int32_t f_h, f_w, f_in_c;
    int32_t out_h, out_w, out_c;
} conv_shape;

static conv_shape conv_shape_of(const tml_tensor *input, const tml_tensor *filter, const tml_tensor *output) {
    conv_shape s;
    s.batches = input->dims[0];
    s.in_h = input->dims[1];
    s.in_w = input->dims[2];
    s.in_c = input->dims[3];
    s.f_h = filter->dims[1];
    s.f_w = filter->dims[2];
    s.f_in_c = filter->dims[3];
    s.out_h = output->dims[1];
    s.out_w = output->dims[2];
    s.out_c = output->dims[3];
    return s;
}

static tml_status check_shapes(tml_model *m, const tml_tensor *input, const tml_tensor *filter,
    const tml_tensor *bias, const tml_tensor *output) {
    char a[48], b[48];
    if (input->ndim != 4 || filter->ndim != 4 || output->ndim != 4) {
        return tml_fail(m, TML_ERR_MODEL, "input %s, filter %s and output must all be 4-D",
            tml_shape_str(input, a, sizeof a), tml_shape_str(filter, b, sizeof b));
    }
    conv_shape s = conv_shape_of(input, filter, output);
    if (s.f_in_c < 1 || s.in_c < s.f_in_c || s.in_c % s.f_in_c != 0) {
        return tml_fail(m, TML_ERR_MODEL, "input depth %d is not a multiple of the filter depth %d", (int)s.in_c,
            (int)s.f_in_c);
    }
    int32_t groups = s.in_c / s.f_in_c;
    if (filter->dims[0] != s.out_c) {
        return tml_fail(m, TML_ERR_MODEL, "filter %s has %d output channels, output %s has %d",
            tml_shape_str(filter, a, sizeof a), (int)filter->dims[0], tml_shape_str(output, b, sizeof b),
            (int)s.out_c);
    }
    if (s.out_c % groups != 0) {
        return tml_fail(m, TML_ERR_MODEL, "%d output channels do not divide into %d groups", (int)s.out_c,
            (int)groups);
    }
    if (output->dims[0] != s.batches) {
        return tml_fail(m, TML_ERR_MODEL, "output batch %d differs from input batch %d", (int)output->dims[0],
            (int)s.batches);
    }
    if (bias != NULL && tml_numel(bias) != s.out_c) {
        return tml_fail(m, TML_ERR_MODEL, "bias %s must have %d elements", tml_shape_str(bias, a, sizeof a),
            (int)s.out_c);
    }
    return TML_OK;
}

/* ---- DSP-extension hook (arm/conv_2d_dsp.c): int8 on Cortex-M4/M7/M33 ---- */
#if TML_HAVE_DSP || TML_HAVE_PORTABLE /* also the description the portable kernels take */
static tml_dsp_conv conv_dsp_args(const conv_params *p, const tml_node *node, const conv_shape *s,
    const tml_tensor *filter) {
    const tml_requant rq = tml_requant_view(node, sizeof(conv_params), filter, &p->multiplier, &p->shift);
    const tml_dsp_conv c = {.batches = s->batches, .in_h = s->in_h, .in_w = s->in_w, .in_c = s->in_c,
        .f_h = s->f_h, .f_w = s->f_w, .f_in_c = s->f_in_c, .out_h = s->out_h, .out_w = s->out_w,
        .out_c = s->out_c, .pad_h = p->pad_h, .pad_w = p->pad_w, .stride_h = p->stride_h,
        .stride_w = p->stride_w, .dilation_h = p->dilation_h, .dilation_w = p->dilation_w,
        .depth_multiplier = 1, .input_offset = p->input_offset, .output_offset = p->output_offset,
        .act_min = p->act_min, .act_max = p->act_max, .multiplier = rq.multiplier, .shift = rq.shift,
        .step = rq.step};
    return c;
}
#endif
/* ---- end of DSP-extension hook ---- */

/* ---- hybrid (float32 input, int8 filter): LiteRT's arithmetic, see hybrid.h ---- */

static tml_status conv_prepare_hybrid(tml_model *m, tml_node *node, int padding, int activation) {
    conv_params *p = (conv_params *)node->params;
    const tml_tensor *input = tml_node_input(m, node, 0);
    const tml_tensor *filter = tml_node_input(m, node, 1);
    const tml_tensor *bias = tml_node_input(m, node, 2);
    const tml_tensor *output = tml_node_output(m, node, 0);
    tml_status st = check_shapes(m, input, filter, bias, output);
    if (st == TML_OK) {
        st = tml_hybrid_check_tensors(m, filter, 0, filter->dims[0], bias, output);
    }
    if (st != TML_OK) {
        return st;
    }
    const conv_shape s = conv_shape_of(input, filter, output);
    if (s.f_in_c != s.in_c && !tml_weights_per_channel(filter)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED,
            "grouped hybrid convolution needs one filter scale per output channel (LiteRT reads past a single one)");
    }
    st = tml_conv_check_geometry(m, padding, input, s.f_h, s.f_w, p->stride_h, p->stride_w, p->dilation_h,
        p->dilation_w, output, &p->pad_h, &p->pad_w);
    if (st != TML_OK) {
        return st;
    }
    node->scratch_bytes = tml_hybrid_scratch_bytes(s.batches, tml_numel(input));
    if (node->scratch_bytes == 0) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input too large to quantize");
    }
    tml_activation_range_float(activation, &p->f_act_min, &p->f_act_max);
    tml_hybrid_store_scales(m, node, sizeof(conv_params), filter);
    return TML_OK;
}

static void conv_eval_hybrid(const tml_node *node, const conv_shape *s, const tml_tensor *input,
    const tml_tensor *filter, const tml_tensor *bias, tml_tensor *output) {
    const conv_params *p = (const conv_params *)node->params;
    const tml_hybrid_window w = {.pad_h = p->pad_h, .pad_w = p->pad_w, .stride_h = p->stride_h,
        .stride_w = p->stride_w, .dilation_h = p->dilation_h, .dilation_w = p->dilation_w, .act_min = p->f_act_min,
        .act_max = p->f_act_max};
    const tml_hybrid_conv_shape hs = {.batches = s->batches, .in_h = s->in_h, .in_w = s->in_w, .in_c = s->in_c,
        .f_h = s->f_h, .f_w = s->f_w, .f_in_c = s->f_in_c, .out_h = s->out_h, .out_w = s->out_w, .out_c = s->out_c};
    const tml_hybrid_scales ws = tml_hybrid_scales_view(node, sizeof(conv_params), filter);
    tml_hybrid_conv(&w, &hs, &ws, (const float *)input->data, (const int8_t *)filter->data,
        bias != NULL ? (const float *)bias->data : NULL, (float *)output->data, node->scratch);
}

/* ---- end of hybrid ---- */

static tml_status conv_prepare(tml_model *m, tml_node *node) {
    if (node->num_inputs < 2 || node->num_inputs > 3 || node->num_outputs != 1) {
        return tml_fail(m, TML_ERR_MODEL, "needs 2 or 3 inputs and 1 output, got %d and %d", node->num_inputs,
            node->num_outputs);
    }
    tml_tensor *input = tml_node_input(m, node, 0);
    tml_tensor *filter = tml_node_input(m, node, 1);
    tml_tensor *bias = tml_node_input(m, node, 2);
    tml_tensor *output = tml_node_output(m, node, 0);
    if (input == NULL || filter == NULL || output == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "input, filter and output are required");
    }
    conv_params *p = (conv_params *)node->params;

    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    int padding = tml_fb_i8(&fb, &opt, OPT_PADDING, TML_PAD_SAME);
    int activation = tml_fb_i8(&fb, &opt, OPT_ACTIVATION, TML_ACT_NONE);
    p->stride_w = tml_fb_i32(&fb, &opt, OPT_STRIDE_W, 0);
    p->stride_h = tml_fb_i32(&fb, &opt, OPT_STRIDE_H, 0);
    p->dilation_w = tml_fb_i32(&fb, &opt, OPT_DILATION_W, 1);
    p->dilation_h = tml_fb_i32(&fb, &opt, OPT_DILATION_H, 1);
    tml_status st = tml_check_fused_activation(m, activation);
    if (st == TML_OK && tml_is_hybrid(input, filter)) {
        return conv_prepare_hybrid(m, node, padding, activation);
    }
    if (st == TML_OK) {
        st = tml_conv_check_types(m, input, filter, bias, output, "filter");
    }
    if (st == TML_OK) {
        st = check_shapes(m, input, filter, bias, output);
    }
    if (st != TML_OK) {
        return st;
    }

    conv_shape s = conv_shape_of(input, filter, output);
    st = tml_conv_check_geometry(m, padding, input, s.f_h, s.f_w, p->stride_h, p->stride_w, p->dilation_h,
        p->dilation_w, output, &p->pad_h, &p->pad_w);
    if (st != TML_OK) {
        return st;
    }

    if (input->type == TML_FLOAT32) {
        tml_activation_range_float(activation, &p->f_act_min, &p->f_act_max);
        return TML_OK;
    }
    st = tml_check_activation_quant(m, input, "input");
    if (st == TML_OK) {
        st = tml_check_activation_quant(m, output, "output");
    }
    if (st == TML_OK) {
        st = tml_check_int8_weights_quant(m, filter, 0, s.out_c);
    }
    if (st == TML_OK) {
        st = tml_int_activation_range(m, activation, output, &p->act_min, &p->act_max);
    }
    if (st == TML_OK) {
        st = tml_conv_multipliers(m, node, sizeof(conv_params), input, filter, output, &p->multiplier, &p->shift);
    }
    if (st == TML_OK && input->type == TML_INT16) {
        const tml_requant rq = tml_requant_view(node, sizeof(conv_params), filter, &p->multiplier, &p->shift);
        st = tml_check_int16_shifts(m, &rq, s.out_c);
    }
    if (st != TML_OK) {
        return st;
    }
    p->input_offset = -input->zero_point; /* zero points checked to be int8 above */
    p->output_offset = output->zero_point;
#if TML_HAVE_DSP /* DSP-extension hook: the scratch of arm/conv_2d_dsp.c */
    if (input->type == TML_INT8) {
        const tml_dsp_conv dc = conv_dsp_args(p, node, &s, filter);
        node->scratch_bytes = tml_conv_2d_dsp_scratch(&dc);
    }
#endif
    return TML_OK;
}

static void conv_int8(const conv_params *p, const tml_requant *rq, const conv_shape *s, const int8_t *input,
    const int8_t *filter, const int32_t *bias, int8_t *output) {
    const int32_t filters_per_group = s->out_c / (s->in_c / s->f_in_c);
    const int32_t filter_size = s->f_h * s->f_w * s->f_in_c;
    for (int32_t b = 0; b < s->batches; b++) {
        const int8_t *in_batch = input + b * s->in_h * s->in_w * s->in_c;
        for (int32_t oy = 0; oy < s->out_h; oy++) {
            const int32_t in_y0 = oy * p->stride_h - p->pad_h;
            int32_t fy_first, fy_end; /* taps inside the input; the others add nothing */
            tml_conv_tap_range(in_y0, p->dilation_h, s->f_h, s->in_h, &fy_first, &fy_end);
            for (int32_t ox = 0; ox < s->out_w; ox++) {
                const int32_t in_x0 = ox * p->stride_w - p->pad_w;
                int32_t fx_first, fx_end;
                tml_conv_tap_range(in_x0, p->dilation_w, s->f_w, s->in_w, &fx_first, &fx_end);
                const int8_t *in_group = in_batch;
                int32_t group_end = filters_per_group;
                for (int32_t oc = 0; oc < s->out_c; oc++) {
                    if (oc == group_end) { /* next group: its filters read the next f_in_c input channels */
                        in_group += s->f_in_c;
                        group_end += filters_per_group;
                    }
                    const int8_t *f_oc = filter + oc * filter_size;
                    uint32_t acc = 0; /* int32 arithmetic, wrapping as TFLM's does (see conv_util.h) */
                    for (int32_t fy = fy_first; fy < fy_end; fy++) {
                        const int32_t iy = in_y0 + p->dilation_h * fy;
                        for (int32_t fx = fx_first; fx < fx_end; fx++) {
                            const int32_t ix = in_x0 + p->dilation_w * fx;
                            const int8_t *ip = in_group + (iy * s->in_w + ix) * s->in_c;
                            const int8_t *fp = f_oc + (fy * s->f_w + fx) * s->f_in_c;
                            for (int32_t ic = 0; ic < s->f_in_c; ic++) {
                                acc += (uint32_t)((int32_t)fp[ic] * ((int32_t)ip[ic] + p->input_offset));
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc += (uint32_t)bias[oc];
                    }
                    *output++ = tml_requantize_int8(acc, rq->multiplier[oc * rq->step], rq->shift[oc * rq->step],
                        p->output_offset, p->act_min, p->act_max);
                }
            }
        }
    }
}

/* 16x8: the loops of conv_int8 without zero points (int16 ones are 0), the
 * sum in int64 as TFLM's, and its int64 requantization. */
static void conv_int16(const conv_params *p, const tml_requant *rq, const conv_shape *s, const int16_t *input,
    const int8_t *filter, const int64_t *bias, int16_t *output) {
    const int32_t filters_per_group = s->out_c / (s->in_c / s->f_in_c);
    const int32_t filter_size = s->f_h * s->f_w * s->f_in_c;
    for (int32_t b = 0; b < s->batches; b++) {
        const int16_t *in_batch = input + b * s->in_h * s->in_w * s->in_c;
        for (int32_t oy = 0; oy < s->out_h; oy++) {
            const int32_t in_y0 = oy * p->stride_h - p->pad_h;
            int32_t fy_first, fy_end;
            tml_conv_tap_range(in_y0, p->dilation_h, s->f_h, s->in_h, &fy_first, &fy_end);
            for (int32_t ox = 0; ox < s->out_w; ox++) {
                const int32_t in_x0 = ox * p->stride_w - p->pad_w;
                int32_t fx_first, fx_end;
                tml_conv_tap_range(in_x0, p->dilation_w, s->f_w, s->in_w, &fx_first, &fx_end);
                const int16_t *in_group = in_batch;
                int32_t group_end = filters_per_group;
                for (int32_t oc = 0; oc < s->out_c; oc++) {
                    if (oc == group_end) {
                        in_group += s->f_in_c;
                        group_end += filters_per_group;
                    }
                    const int8_t *f_oc = filter + oc * filter_size;
                    int64_t acc = 0;
                    for (int32_t fy = fy_first; fy < fy_end; fy++) {
                        const int32_t iy = in_y0 + p->dilation_h * fy;
                        for (int32_t fx = fx_first; fx < fx_end; fx++) {
                            const int32_t ix = in_x0 + p->dilation_w * fx;
                            const int16_t *ip = in_group + (iy * s->in_w + ix) * s->in_c;
                            const int8_t *fp = f_oc + (fy * s->f_w + fx) * s->f_in_c;
                            for (int32_t ic = 0; ic < s->f_in_c; ic++) {
                                acc += (int32_t)fp[ic] * (int32_t)ip[ic];
                            }
                        }
                    }
                    if (bias != NULL) {
                        acc = (int64_t)((uint64_t)acc + (uint64_t)bias[oc]);
                    }
                    *output++ = tml_requantize_int16(acc, rq->multiplier[oc * rq->step], rq->shift[oc * rq->step],
                        p->act_min, p->act_max);
                }
            }
        }
    }
}

/* Float: the sum runs over (filter_y, filter_x, in_channel) in that order and
 * the bias (0.0f if absent) is added last, so every rounding step is the one
 * TFLM's reference loop takes. */
static void conv_float(const conv_params *p, const conv_shape *s, const float *input, const float *filter,
    const float *bias, float *output) {
    const int32_t filters_per_group = s->out_c / (s->in_c / s->f_in_c);
    const int32_t filter_size = s->f_h * s->f_w * s->f_in_c;
    for (int32_t b = 0; b < s->batches; b++) {
        const float *in_batch = input + b * s->in_h * s->in_w * s->in_c;
        for (int32_t oy = 0; oy < s->out_h; oy++) {
            const int32_t in_y0 = oy * p->stride_h - p->pad_h;
            int32_t fy_first, fy_end; /* taps inside the input; the others add nothing */
            tml_conv_tap_range(in_y0, p->dilation_h, s->f_h, s->in_h, &fy_first, &fy_end);
            for (int32_t ox = 0; ox < s->out_w; ox++) {
                const int32_t in_x0 = ox * p->stride_w - p->pad_w;
                int32_t fx_first, fx_end;
                tml_conv_tap_range(in_x0, p->dilation_w, s->f_w, s->in_w, &fx_first, &fx_end);
                const float *in_group = in_batch;
                int32_t group_end = filters_per_group;
                for (int32_t oc = 0; oc < s->out_c; oc++) {
                    if (oc == group_end) { /* next group: its filters read the next f_in_c input channels */
                        in_group += s->f_in_c;
                        group_end += filters_per_group;
                    }
                    const float *f_oc = filter + oc * filter_size;
                    float total = 0.0f;
                    for (int32_t fy = fy_first; fy < fy_end; fy++) {
                        const int32_t iy = in_y0 + p->dilation_h * fy;
                        for (int32_t fx = fx_first; fx < fx_end; fx++) {
                            const int32_t ix = in_x0 + p->dilation_w * fx;
                            const float *ip = in_group + (iy * s->in_w + ix) * s->in_c;
                            const float *fp = f_oc + (fy * s->f_w + fx) * s->f_in_c;
                            for (int32_t ic = 0; ic < s->f_in_c; ic++) {
                                total += ip[ic] * fp[ic];
                            }
                        }
                    }
                    const float bias_value = bias != NULL ? bias[oc] : 0.0f;
                    *output++ = tml_clamp_f32(total + bias_value, p->f_act_min, p->f_act_max);
                }
            }
        }
    }
}

static tml_status conv_eval(tml_model *m, tml_node *node) {
    const conv_params *p = (const conv_params *)node->params;
    const tml_tensor *input = tml_node_input(m, node, 0);
    const tml_tensor *filter = tml_node_input(m, node, 1);
    const tml_tensor *bias = tml_node_input(m, node, 2);
    tml_tensor *output = tml_node_output(m, node, 0);
    const conv_shape s = conv_shape_of(input, filter, output);
    if (tml_is_hybrid(input, filter)) {
        conv_eval_hybrid(node, &s, input, filter, bias, output);
    } else if (input->type == TML_FLOAT32) {
        conv_float(p, &s, (const float *)input->data, (const float *)filter->data,
            bias != NULL ? (const float *)bias->data : NULL, (float *)output->data);
    } else if (input->type == TML_INT16) {
        const tml_requant rq = tml_requant_view(node, sizeof(conv_params), filter, &p->multiplier, &p->shift);
        conv_int16(p, &rq, &s, (const int16_t *)input->data, (const int8_t *)filter->data,
            bias != NULL ? (const int64_t *)bias->data : NULL, (int16_t *)output->data);
    } else {
#if TML_HAVE_DSP /* DSP-extension hook: arm/conv_2d_dsp.c when it applies */
        const tml_dsp_conv dc = conv_dsp_args(p, node, &s, filter);
        if (tml_conv_2d_dsp(&dc, (const int8_t *)input->data, (const int8_t *)filter->data,
                bias != NULL ? (const int32_t *)bias->data : NULL, (int8_t *)output->data, node->scratch,
                node->scratch_bytes)) {
            return TML_OK;
        }
#endif
#if TML_HAVE_PORTABLE /* portable hook: portable/conv_2d_portable.c when it applies */
        const tml_dsp_conv pc = conv_dsp_args(p, node, &s, filter);
        if (tml_conv_2d_portable(&pc, (const int8_t *)input->data, (const int8_t *)filter->data,
                bias != NULL ? (const int32_t *)bias->data : NULL, (int8_t *)output->data)) {
            return TML_OK;
        }
#endif
        const tml_requant rq = tml_requant_view(node, sizeof(conv_params), filter, &p->multiplier, &p->shift);
        conv_int8(p, &rq, &s, (const int8_t *)input->data, (const int8_t *)filter->data,
            bias != NULL ? (const int32_t *)bias->data : NULL, (int8_t *)output->data);
    }
    return TML_OK;
}

/* TFLite op versions: 1 float, 2 hybrid, 3 int8, 4 16x8, 5 hybrid per-channel,
 * 6 grouped. */
const tml_kernel tml_kernel_CONV_2D = {
    .name = "CONV_2D",
    .builtin = 3,
    .max_version = 6,
    .types = TML_TYPES_FLOAT_INT8_INT16 | TML_TYPES_HYBRID,
    .per_channel_bytes = TML_PER_CHANNEL_BYTES,
    .params_size = sizeof(conv_params),
    .prepare = conv_prepare,
    .eval = conv_eval,
};
