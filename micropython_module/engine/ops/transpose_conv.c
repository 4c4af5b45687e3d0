/*
 * TRANSPOSE_CONV: int8 (per-tensor or per-channel weights), 16x8 (int16
 * activations, int8 weights, int64 or int16 bias) and float32, as TFLM's
 * reference kernels compute it (reference/transpose_conv.h,
 * reference/integer_ops/transpose_conv.h).
 *
 * Inputs, in TFLite's order: output_shape (int32 [4], not read: the output
 * tensor's shape is the model's), filter [C_out, KH, KW, C_in], input
 * [N, H, W, C_in], optional bias [C_out]. Output [N, OH, OW, C_out].
 *
 * TFLM scatters every input pixel into the outputs it touches. Here every
 * output gathers the input pixels that touch it instead, which needs no
 * scratch buffer: integer sums do not depend on the order, and the float
 * gather visits input pixels in the scatter's order (row, column, channel),
 * so every float rounding is TFLM's too. The padding is TFLM's: computed as
 * for a convolution from the output size back to the input size.
 */
#include "conv_util.h"

/* TransposeConvOptions fields (schema.fbs). */
enum {
    OPT_PADDING = 0,
    OPT_STRIDE_W = 1,
    OPT_STRIDE_H = 2,
    OPT_ACTIVATION = 3,
};

enum { IN_OUTPUT_SHAPE = 0, IN_FILTER = 1, IN_INPUT = 2, IN_BIAS = 3 };

typedef struct {
    int32_t pad_h, pad_w;
    int32_t stride_h, stride_w;
    int32_t input_offset;  /* minus the input zero point */
    int32_t output_offset; /* the output zero point */
    int32_t act_min, act_max;
    float f_act_min, f_act_max;
    int32_t multiplier; /* per-tensor weights; per-channel ones follow the struct */
    int8_t shift;
    uint8_t reserved[3];
} tconv_params;

typedef struct {
    int32_t batches, in_h, in_w, in_c;
    int32_t f_h, f_w;
    int32_t out_h, out_w, out_c;
} tconv_shape;

static tconv_shape tconv_shape_of(const tml_tensor *input, const tml_tensor *filter, const tml_tensor *output) {
    tconv_shape s;
    s.batches = input->dims[0];
    s.in_h = input->dims[1];
    s.in_w = input->dims[2];
    s.in_c = input->dims[3];
    s.f_h = filter->dims[1];
    s.f_w = filter->dims[2];
    s.out_h = output->dims[1];
    s.out_w = output->dims[2];
    s.out_c = output->dims[3];
    return s;
}

/* The input positions first .. end-1 along one axis that touch output
 * position `out`: input i reaches outputs i * stride - pad + tap for taps
 * 0 .. filter-1. */
static void input_range(int32_t out, int32_t pad, int32_t stride, int32_t filter, int32_t in, int32_t *first,
    int32_t *end) {
    const int64_t t = (int64_t)out + pad; /* >= 0: TFLM's padding is never negative */
    const int64_t lowest = t - filter + 1;
    const int64_t lo = lowest <= 0 ? 0 : (lowest + stride - 1) / stride;
    int64_t hi = t / stride + 1;
    if (hi > in) {
        hi = in;
    }
    *first = (int32_t)lo;
    *end = (int32_t)(hi > lo ? hi : lo);
}

static tml_status check_types(tml_model *m, const tml_tensor *input, const tml_tensor *filter,
    const tml_tensor *bias, const tml_tensor *output) {
    if (input->type != TML_INT8 && input->type != TML_INT16 && input->type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (int8, int16 or float32)",
            tml_dtype_name(input->type));
    }
    if (output->type != input->type) {
        return tml_fail(m, TML_ERR_MODEL, "output type %s differs from input type %s", tml_dtype_name(output->type),
            tml_dtype_name(input->type));
    }
    if (input->type == TML_FLOAT32 && filter->type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "float32 input with %s filter (hybrid) not supported; TFLM refuses it",
            tml_dtype_name(filter->type));
    }
    if (input->type != TML_FLOAT32 && filter->type != TML_INT8) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "%s input needs an int8 filter, got %s", tml_dtype_name(input->type),
            tml_dtype_name(filter->type));
    }
    if (bias != NULL) {
        bool ok = input->type == TML_INT8    ? bias->type == TML_INT32
                  : input->type == TML_INT16 ? (bias->type == TML_INT64 || bias->type == TML_INT16)
                                             : bias->type == TML_FLOAT32;
        if (!ok) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "bias type %s not supported with %s input",
                tml_dtype_name(bias->type), tml_dtype_name(input->type));
        }
    }
    return TML_OK;
}

static tml_status check_shapes(tml_model *m, const tml_tensor *input, const tml_tensor *filter,
    const tml_tensor *bias, const tml_tensor *output) {
    char a[48], b[48];
    if (input->ndim != 4 || filter->ndim != 4 || output->ndim != 4) {
        return tml_fail(m, TML_ERR_MODEL, "input %s, filter %s and output must all be 4-D",
            tml_shape_str(input, a, sizeof a), tml_shape_str(filter, b, sizeof b));
    }
    if (filter->dims[3] != input->dims[3]) {
        return tml_fail(m, TML_ERR_MODEL, "filter %s depth differs from input %s depth",
            tml_shape_str(filter, a, sizeof a), tml_shape_str(input, b, sizeof b));
    }
    if (filter->dims[0] != output->dims[3] || output->dims[0] != input->dims[0]) {
        return tml_fail(m, TML_ERR_MODEL, "output %s needs the input's batch and the filter's %d channels",
            tml_shape_str(output, a, sizeof a), (int)filter->dims[0]);
    }
    if (filter->dims[1] < 1 || filter->dims[2] < 1) {
        return tml_fail(m, TML_ERR_MODEL, "filter %s is empty", tml_shape_str(filter, a, sizeof a));
    }
    if (bias != NULL && tml_numel(bias) != output->dims[3]) {
        return tml_fail(m, TML_ERR_MODEL, "bias %s must have %d elements", tml_shape_str(bias, a, sizeof a),
            (int)output->dims[3]);
    }
    return TML_OK;
}

static tml_status tconv_prepare(tml_model *m, tml_node *node) {
    if (node->num_inputs < 3 || node->num_inputs > 4 || node->num_outputs != 1) {
        return tml_fail(m, TML_ERR_MODEL, "needs 3 or 4 inputs and 1 output, got %d and %d", node->num_inputs,
            node->num_outputs);
    }
    tml_tensor *filter = tml_node_input(m, node, IN_FILTER);
    tml_tensor *input = tml_node_input(m, node, IN_INPUT);
    tml_tensor *bias = tml_node_input(m, node, IN_BIAS);
    tml_tensor *output = tml_node_output(m, node, 0);
    if (input == NULL || filter == NULL || output == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "input, filter and output are required");
    }
    tconv_params *p = (tconv_params *)node->params;

    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    int padding = tml_fb_i8(&fb, &opt, OPT_PADDING, TML_PAD_SAME);
    int activation = tml_fb_i8(&fb, &opt, OPT_ACTIVATION, TML_ACT_NONE);
    p->stride_w = tml_fb_i32(&fb, &opt, OPT_STRIDE_W, 0);
    p->stride_h = tml_fb_i32(&fb, &opt, OPT_STRIDE_H, 0);
    tml_status st = tml_check_fused_activation(m, activation);
    if (st == TML_OK) {
        st = check_types(m, input, filter, bias, output);
    }
    if (st == TML_OK) {
        st = check_shapes(m, input, filter, bias, output);
    }
    if (st != TML_OK) {
        return st;
    }
    if (padding != TML_PAD_SAME && padding != TML_PAD_VALID) {
        return tml_fail(m, TML_ERR_MODEL, "padding %d is neither SAME nor VALID", padding);
    }
    if (p->stride_h < 1 || p->stride_w < 1 || p->stride_h > TML_CONV_MAX_STEP || p->stride_w > TML_CONV_MAX_STEP) {
        return tml_fail(m, TML_ERR_MODEL, "strides must be 1 to %d, got %d x %d", TML_CONV_MAX_STEP,
            (int)p->stride_h, (int)p->stride_w);
    }
    const tconv_shape s = tconv_shape_of(input, filter, output);
    if (s.f_h > TML_CONV_MAX_EXTENT || s.f_w > TML_CONV_MAX_EXTENT) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "filter %d x %d is too large", (int)s.f_h, (int)s.f_w);
    }
    /* TFLM: the padding of a convolution from the output size (ComputePaddingHeightWidth). */
    p->pad_h = tml_conv_axis_pad(s.out_h, s.f_h, p->stride_h, 1, tml_conv_axis_out(padding, s.out_h, s.f_h, p->stride_h, 1));
    p->pad_w = tml_conv_axis_pad(s.out_w, s.f_w, p->stride_w, 1, tml_conv_axis_out(padding, s.out_w, s.f_w, p->stride_w, 1));

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
        st = tml_conv_multipliers(m, node, sizeof(tconv_params), input, filter, output, &p->multiplier, &p->shift);
    }
    if (st == TML_OK && input->type == TML_INT16) {
        const tml_requant rq = tml_requant_view(node, sizeof(tconv_params), filter, &p->multiplier, &p->shift);
        st = tml_check_int16_shifts(m, &rq, s.out_c);
    }
    if (st != TML_OK) {
        return st;
    }
    p->input_offset = -input->zero_point;
    p->output_offset = output->zero_point;
    return TML_OK;
}

static void tconv_int8(const tconv_params *p, const tml_requant *rq, const tconv_shape *s, const int8_t *input,
    const int8_t *filter, const int32_t *bias, int8_t *output) {
    const int32_t filter_size = s->f_h * s->f_w * s->in_c;
    for (int32_t b = 0; b < s->batches; b++) {
        const int8_t *in_batch = input + b * s->in_h * s->in_w * s->in_c;
        for (int32_t oy = 0; oy < s->out_h; oy++) {
            int32_t iy_first, iy_end;
            input_range(oy, p->pad_h, p->stride_h, s->f_h, s->in_h, &iy_first, &iy_end);
            for (int32_t ox = 0; ox < s->out_w; ox++) {
                int32_t ix_first, ix_end;
                input_range(ox, p->pad_w, p->stride_w, s->f_w, s->in_w, &ix_first, &ix_end);
                for (int32_t oc = 0; oc < s->out_c; oc++) {
                    uint32_t acc = 0; /* int32 arithmetic, wrapping as TFLM's does (see conv_util.h) */
                    for (int32_t iy = iy_first; iy < iy_end; iy++) {
                        const int32_t fy = oy + p->pad_h - iy * p->stride_h;
                        for (int32_t ix = ix_first; ix < ix_end; ix++) {
                            const int32_t fx = ox + p->pad_w - ix * p->stride_w;
                            const int8_t *ip = in_batch + (iy * s->in_w + ix) * s->in_c;
                            const int8_t *fp = filter + oc * filter_size + (fy * s->f_w + fx) * s->in_c;
                            for (int32_t ic = 0; ic < s->in_c; ic++) {
                                acc += (uint32_t)(((int32_t)ip[ic] + p->input_offset) * (int32_t)fp[ic]);
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

/* 16x8: as tconv_int8 without zero points (int16 ones are 0), summed in int64. */
static void tconv_int16(const tconv_params *p, const tml_requant *rq, const tconv_shape *s, const int16_t *input,
    const int8_t *filter, const tml_tensor *bias, int16_t *output) {
    const int32_t filter_size = s->f_h * s->f_w * s->in_c;
    for (int32_t b = 0; b < s->batches; b++) {
        const int16_t *in_batch = input + b * s->in_h * s->in_w * s->in_c;
        for (int32_t oy = 0; oy < s->out_h; oy++) {
            int32_t iy_first, iy_end;
            input_range(oy, p->pad_h, p->stride_h, s->f_h, s->in_h, &iy_first, &iy_end);
            for (int32_t ox = 0; ox < s->out_w; ox++) {
                int32_t ix_first, ix_end;
                input_range(ox, p->pad_w, p->stride_w, s->f_w, s->in_w, &ix_first, &ix_end);
                for (int32_t oc = 0; oc < s->out_c; oc++) {
                    int64_t acc = 0;
                    for (int32_t iy = iy_first; iy < iy_end; iy++) {
                        const int32_t fy = oy + p->pad_h - iy * p->stride_h;
                        for (int32_t ix = ix_first; ix < ix_end; ix++) {
                            const int32_t fx = ox + p->pad_w - ix * p->stride_w;
                            const int16_t *ip = in_batch + (iy * s->in_w + ix) * s->in_c;
                            const int8_t *fp = filter + oc * filter_size + (fy * s->f_w + fx) * s->in_c;
                            for (int32_t ic = 0; ic < s->in_c; ic++) {
                                acc += (int32_t)ip[ic] * (int32_t)fp[ic];
                            }
                        }
                    }
                    if (bias != NULL) { /* TFLM widens an int16 bias to int64 */
                        const int64_t bias_value = bias->type == TML_INT16 ? ((const int16_t *)bias->data)[oc]
                                                                           : ((const int64_t *)bias->data)[oc];
                        acc = (int64_t)((uint64_t)acc + (uint64_t)bias_value);
                    }
                    *output++ = tml_requantize_int16(acc, rq->multiplier[oc * rq->step], rq->shift[oc * rq->step],
                        p->act_min, p->act_max);
                }
            }
        }
    }
}

/* Float: contributions in TFLM's scatter order, then + bias only when there
 * is one (adding 0.0f would turn a -0.0f sum into +0.0f), then clamp. */
static void tconv_float(const tconv_params *p, const tconv_shape *s, const float *input, const float *filter,
    const float *bias, float *output) {
    const int32_t filter_size = s->f_h * s->f_w * s->in_c;
    for (int32_t b = 0; b < s->batches; b++) {
        const float *in_batch = input + b * s->in_h * s->in_w * s->in_c;
        for (int32_t oy = 0; oy < s->out_h; oy++) {
            int32_t iy_first, iy_end;
            input_range(oy, p->pad_h, p->stride_h, s->f_h, s->in_h, &iy_first, &iy_end);
            for (int32_t ox = 0; ox < s->out_w; ox++) {
                int32_t ix_first, ix_end;
                input_range(ox, p->pad_w, p->stride_w, s->f_w, s->in_w, &ix_first, &ix_end);
                for (int32_t oc = 0; oc < s->out_c; oc++) {
                    float total = 0.0f;
                    for (int32_t iy = iy_first; iy < iy_end; iy++) {
                        const int32_t fy = oy + p->pad_h - iy * p->stride_h;
                        for (int32_t ix = ix_first; ix < ix_end; ix++) {
                            const int32_t fx = ox + p->pad_w - ix * p->stride_w;
                            const float *ip = in_batch + (iy * s->in_w + ix) * s->in_c;
                            const float *fp = filter + oc * filter_size + (fy * s->f_w + fx) * s->in_c;
                            for (int32_t ic = 0; ic < s->in_c; ic++) {
                                total += ip[ic] * fp[ic];
                            }
                        }
                    }
                    if (bias != NULL) {
                        total += bias[oc];
                    }
                    *output++ = tml_clamp_f32(total, p->f_act_min, p->f_act_max);
                }
            }
        }
    }
}

static tml_status tconv_eval(tml_model *m, tml_node *node) {
    const tconv_params *p = (const tconv_params *)node->params;
    const tml_tensor *filter = tml_node_input(m, node, IN_FILTER);
    const tml_tensor *input = tml_node_input(m, node, IN_INPUT);
    const tml_tensor *bias = tml_node_input(m, node, IN_BIAS);
    tml_tensor *output = tml_node_output(m, node, 0);
    const tconv_shape s = tconv_shape_of(input, filter, output);
    const tml_requant rq = tml_requant_view(node, sizeof(tconv_params), filter, &p->multiplier, &p->shift);
    switch (input->type) {
    case TML_FLOAT32:
        tconv_float(p, &s, (const float *)input->data, (const float *)filter->data,
            bias != NULL ? (const float *)bias->data : NULL, (float *)output->data);
        break;
    case TML_INT16:
        tconv_int16(p, &rq, &s, (const int16_t *)input->data, (const int8_t *)filter->data, bias,
            (int16_t *)output->data);
        break;
    default:
        tconv_int8(p, &rq, &s, (const int8_t *)input->data, (const int8_t *)filter->data,
            bias != NULL ? (const int32_t *)bias->data : NULL, (int8_t *)output->data);
        break;
    }
    return TML_OK;
}

/* TFLite op versions: 1 float, 2 int8, 3 16x8 / bias, 4 fused activation. */
const tml_kernel tml_kernel_TRANSPOSE_CONV = {
    .name = "TRANSPOSE_CONV",
    .builtin = 67,
    .max_version = 4,
    .typed_input = 2, /* input 2 is the data */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .per_channel_bytes = TML_PER_CHANNEL_BYTES,
    .params_size = sizeof(tconv_params),
    .prepare = tconv_prepare,
    .eval = tconv_eval,
};
