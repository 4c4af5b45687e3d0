/*
 * Helpers shared by the CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED kernels:
 * checks of fused activations and quantization parameters, and the layout of
 * per-channel requantization arrays.
 *
 * Per-channel layout: the kernel's params struct is followed (when the
 * weights are quantized per channel), at the next TML_ALIGN boundary, by
 * `channels` int32 multipliers and then `channels` int8 shifts
 * (per_channel_bytes = 5). Per-tensor weights keep one
 * multiplier/shift in the params struct; `tml_requant` hides the difference
 * from the loops by giving a stride of 0.
 */
#ifndef TML_CONV_UTIL_H
#define TML_CONV_UTIL_H

#include <stdint.h>

#include "../tml_kernel.h"
#include "../tml_quant.h"

#define TML_PER_CHANNEL_BYTES 5 /* int32 multiplier + int8 shift */

/* Requantization parameters of one node, as the eval loops read them. */
typedef struct {
    const int32_t *multiplier;
    const int8_t *shift;
    int step; /* 1 for per-channel arrays, 0 for a single per-tensor value */
} tml_requant;

/* The end of every int8 output: requantize the int32 sum, add the output
 * zero point, clamp. The sum arrives as uint32 because the loops accumulate
 * in uint32: TFLM's int32 sums wrap on overflow (in practice; in C that is
 * undefined behaviour), and unsigned arithmetic wraps the same way without
 * it. The zero point is added with the same wrap, as TFLM's int32 add does. */
static inline int8_t tml_requantize_int8(uint32_t acc, int32_t multiplier, int shift, int32_t output_offset,
    int32_t act_min, int32_t act_max) {
    int32_t scaled = tml_mbqm((int32_t)acc, multiplier, shift);
    int32_t shifted = (int32_t)((uint32_t)scaled + (uint32_t)output_offset);
    return (int8_t)tml_clamp_i32(shifted, act_min, act_max);
}

/* The engine places the arrays at the params size rounded up to TML_ALIGN. */
static inline uint8_t *tml_per_channel_base(void *params, uint32_t params_size) {
    return (uint8_t *)params + ((params_size + (TML_ALIGN - 1u)) & ~(uint32_t)(TML_ALIGN - 1u));
}

static inline int32_t *tml_per_channel_multipliers(void *params, uint32_t params_size) {
    return (int32_t *)(void *)tml_per_channel_base(params, params_size);
}

static inline int8_t *tml_per_channel_shifts(void *params, uint32_t params_size, int32_t channels) {
    return (int8_t *)(tml_per_channel_base(params, params_size) + 4u * (uint32_t)channels);
}

/* Does the engine give this node per-channel arrays? (It does exactly when
 * the weights, input 1, carry more than one scale.) */
static inline bool tml_weights_per_channel(const tml_tensor *weights) {
    return weights->num_channels > 1;
}

/* Fused activations the kernels implement. TFLM silently treats TANH and
 * SIGN_BIT as "no activation" for these ops; running them as if absent would
 * be wrong, so they are refused. */
static inline tml_status tml_check_fused_activation(tml_model *m, int activation) {
    if (activation == TML_ACT_NONE || activation == TML_ACT_RELU || activation == TML_ACT_RELU6 ||
        activation == TML_ACT_RELU_N1_TO_1) {
        return TML_OK;
    }
    const char *name = activation == TML_ACT_TANH ? "TANH" : activation == TML_ACT_SIGN_BIT ? "SIGN_BIT" : "unknown";
    return tml_fail(m, TML_ERR_UNSUPPORTED,
        "fused activation %s (%d) not supported (only NONE, RELU, RELU6, RELU_N1_TO_1)", name, activation);
}

/* TFLM Quantize() inside CalculateActivationRangeQuantized refuses limits
 * whose quantized value does not fit an int32. This bound is 256 tighter, so
 * that adding an int8 zero point cannot overflow either. */
static inline bool tml_activation_limit_fits(float limit, float scale) {
    float q = tml_roundf(limit / scale);
    return q >= -2147483392.0f && q <= 2147483392.0f; /* 2^31 - 256 */
}

/* The end of every int16 output of a 16x8 kernel (int16 activations, int8
 * weights, int64 bias): TFLM's single-rounding int64 MultiplyByQuantizedMultiplier,
 * then clamp; int16 zero points are 0, so there is no offset. TFLM assumes
 * |acc| < 2^47 (beyond it its product overflows int64); saturating there keeps
 * every real result and keeps hostile weights from undefined behaviour. */
static inline int16_t tml_requantize_int16(int64_t acc, int32_t multiplier, int shift, int32_t act_min,
    int32_t act_max) {
    const int64_t limit = (int64_t)1 << 47;
    acc = acc < -limit ? -limit : (acc >= limit ? limit - 1 : acc);
    return (int16_t)tml_clamp_i32(tml_mbqm_i64(acc, multiplier, shift), act_min, act_max);
}

/* Quantized range of a fused activation on an int8 or int16 output, with
 * TFLM's checks. */
static inline tml_status tml_int_activation_range(tml_model *m, int activation, const tml_tensor *output,
    int32_t *lo, int32_t *hi) {
    float scale = output->scale;
    if (activation == TML_ACT_RELU6 && !tml_activation_limit_fits(6.0f, scale)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "output scale %f too small for RELU6", (double)scale);
    }
    if (activation == TML_ACT_RELU_N1_TO_1 && !tml_activation_limit_fits(1.0f, scale)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "output scale %f too small for RELU_N1_TO_1", (double)scale);
    }
    if (output->type == TML_INT16) {
        tml_activation_range_quantized(activation, scale, output->zero_point, -32768, 32767, lo, hi);
    } else {
        tml_activation_range_quantized(activation, scale, output->zero_point, -128, 127, lo, hi);
    }
    return TML_OK;
}

static inline tml_status tml_int8_activation_range(tml_model *m, int activation, const tml_tensor *output,
    int32_t *lo, int32_t *hi) {
    return tml_int_activation_range(m, activation, output, lo, hi);
}

/* An int8 activation tensor must carry one positive, finite scale and a zero
 * point inside the int8 range. */
static inline tml_status tml_check_int8_activation_quant(tml_model *m, const tml_tensor *t, const char *role) {
    if (t->num_channels == 0) {
        return tml_fail(m, TML_ERR_MODEL, "int8 %s has no quantization parameters", role);
    }
    if (t->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "%s must be quantized per tensor, got %d scales", role,
            (int)t->num_channels);
    }
    if (!(t->scale > 0.0f && t->scale <= 3.4028234663852886e38f)) {
        return tml_fail(m, TML_ERR_MODEL, "%s scale must be positive and finite, got %f", role, (double)t->scale);
    }
    if (t->zero_point < -128 || t->zero_point > 127) {
        return tml_fail(m, TML_ERR_MODEL, "%s zero point %d outside the int8 range", role, (int)t->zero_point);
    }
    return TML_OK;
}

/* An int16 activation tensor (16x8 kernels): one positive, finite scale and
 * zero point 0, as TFLM requires. */
static inline tml_status tml_check_int16_activation_quant(tml_model *m, const tml_tensor *t, const char *role) {
    if (t->num_channels == 0) {
        return tml_fail(m, TML_ERR_MODEL, "int16 %s has no quantization parameters", role);
    }
    if (t->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "%s must be quantized per tensor, got %d scales", role,
            (int)t->num_channels);
    }
    if (!(t->scale > 0.0f && t->scale <= 3.4028234663852886e38f)) {
        return tml_fail(m, TML_ERR_MODEL, "%s scale must be positive and finite, got %f", role, (double)t->scale);
    }
    if (t->zero_point != 0) {
        return tml_fail(m, TML_ERR_MODEL, "int16 %s zero point must be 0, got %d", role, (int)t->zero_point);
    }
    return TML_OK;
}

/* The quantization of an int8 or int16 activation tensor. */
static inline tml_status tml_check_activation_quant(tml_model *m, const tml_tensor *t, const char *role) {
    return t->type == TML_INT16 ? tml_check_int16_activation_quant(m, t, role)
                                : tml_check_int8_activation_quant(m, t, role);
}

/* The int64 requantization of 16x8 kernels shifts by 15 - shift: TFLM allows
 * shifts below 8 (a scale under 128), beyond which the arithmetic breaks. */
static inline tml_status tml_check_int16_shifts(tml_model *m, const tml_requant *rq, int32_t channels) {
    for (int32_t c = 0; c < channels; c++) {
        if (rq->shift[c * rq->step] >= 8) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "effective output scale of channel %d too large for int16",
                (int)c);
        }
    }
    return TML_OK;
}

/* int8 weights: one scale, or one per output channel along `channel_dim`. */
static inline tml_status tml_check_int8_weights_quant(tml_model *m, const tml_tensor *w, int channel_dim,
    int32_t out_channels) {
    if (w->num_channels == 0) {
        return tml_fail(m, TML_ERR_MODEL, "int8 filter has no quantization parameters");
    }
    if (w->num_channels > 1) {
        if ((int32_t)w->num_channels != out_channels) {
            return tml_fail(m, TML_ERR_MODEL, "filter has %d scales for %d output channels", (int)w->num_channels,
                (int)out_channels);
        }
        if (w->channels_dim != channel_dim) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "filter quantized along dimension %d, expected %d",
                (int)w->channels_dim, channel_dim);
        }
    }
    for (int32_t c = 0; c < (int32_t)w->num_channels; c++) {
        float s = tml_tensor_channel_scale(m, w, c);
        if (!(s > 0.0f && s <= 3.4028234663852886e38f)) {
            return tml_fail(m, TML_ERR_MODEL, "filter scale %d must be positive and finite, got %f", (int)c, (double)s);
        }
    }
    return TML_OK;
}

/* A multiplier from TFLM's QuantizeMultiplier, refused if its left shift
 * would overflow int32 (an effective scale of 2^31 or more: no real model has
 * one, and TFLM's arithmetic is undefined there). */
static inline tml_status tml_quantize_scale(tml_model *m, double effective_scale, int32_t *multiplier, int8_t *shift) {
    int s;
    tml_quantize_multiplier(effective_scale, multiplier, &s);
    if (s > 31) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "effective output scale %f too large", effective_scale);
    }
    *shift = (int8_t)s;
    return TML_OK;
}

/* Per-channel (or per-tensor) multipliers as TFLM's
 * PopulateConvolutionQuantizationParams computes them: in double,
 * in_s * w_s[c] / out_s. Per-channel values go to the arrays after the params
 * struct, a per-tensor value to *tensor_multiplier / *tensor_shift. */
static inline tml_status tml_conv_multipliers(tml_model *m, tml_node *node, uint32_t params_size,
    const tml_tensor *input, const tml_tensor *weights, const tml_tensor *output, int32_t *tensor_multiplier,
    int8_t *tensor_shift) {
    if (!tml_weights_per_channel(weights)) {
        double eff = (double)input->scale * (double)weights->scale / (double)output->scale;
        return tml_quantize_scale(m, eff, tensor_multiplier, tensor_shift);
    }
    int32_t channels = weights->num_channels;
    int32_t *mult = tml_per_channel_multipliers(node->params, params_size);
    int8_t *shift = tml_per_channel_shifts(node->params, params_size, channels);
    for (int32_t c = 0; c < channels; c++) {
        double eff = (double)input->scale * (double)tml_tensor_channel_scale(m, weights, c) / (double)output->scale;
        tml_status st = tml_quantize_scale(m, eff, &mult[c], &shift[c]);
        if (st != TML_OK) {
            return st;
        }
    }
    *tensor_multiplier = 0;
    *tensor_shift = 0;
    return TML_OK;
}

/* The eval-time view of the multipliers written by tml_conv_multipliers
 * (or by a kernel's own per-tensor computation). */
static inline tml_requant tml_requant_view(const tml_node *node, uint32_t params_size, const tml_tensor *weights,
    const int32_t *tensor_multiplier, const int8_t *tensor_shift) {
    tml_requant r;
    if (tml_weights_per_channel(weights)) {
        r.multiplier = tml_per_channel_multipliers(node->params, params_size);
        r.shift = tml_per_channel_shifts(node->params, params_size, weights->num_channels);
        r.step = 1;
    } else {
        r.multiplier = tensor_multiplier;
        r.shift = tensor_shift;
        r.step = 0;
    }
    return r;
}

/* Largest stride or dilation accepted: far beyond any real model, and small
 * enough that no index computation in the loops can overflow int32. */
#define TML_CONV_MAX_STEP 65536
/* Largest dilated filter extent, (filter - 1) * dilation + 1. */
#define TML_CONV_MAX_EXTENT (1 << 30)

/* Output size along one axis (TFLM ComputeOutSize), computed in int64 so a
 * hostile model cannot overflow it: 0 if the filter does not fit a VALID
 * convolution, -1 if the dilated filter is larger than TML_CONV_MAX_EXTENT.
 * Expects 1 <= stride, dilation <= TML_CONV_MAX_STEP and filter >= 1. */
static inline int32_t tml_conv_axis_out(int padding, int32_t in, int32_t filter, int32_t stride, int32_t dilation) {
    int64_t extent = (int64_t)(filter - 1) * dilation + 1;
    if (extent > TML_CONV_MAX_EXTENT) {
        return -1;
    }
    if (padding == TML_PAD_SAME) {
        return (int32_t)(((int64_t)in + stride - 1) / stride);
    }
    return in >= extent ? (int32_t)(((int64_t)in - extent) / stride + 1) : 0;
}

/* Padding before the first element along one axis (TFLM
 * ComputePaddingWithOffset; an odd extra pixel goes after). */
static inline int32_t tml_conv_axis_pad(int32_t in, int32_t filter, int32_t stride, int32_t dilation, int32_t out) {
    int64_t extent = (int64_t)(filter - 1) * dilation + 1;
    int64_t total = (int64_t)(out - 1) * stride + extent - in;
    return total > 0 ? (int32_t)(total / 2) : 0;
}

/* Output height and width of a (depthwise) convolution, checked against the
 * output tensor's; fills the paddings. `in` and `out` are NHWC tensors, f_h
 * and f_w the filter size. */
static inline tml_status tml_conv_check_geometry(tml_model *m, int padding, const tml_tensor *in, int32_t f_h,
    int32_t f_w, int32_t stride_h, int32_t stride_w, int32_t dilation_h, int32_t dilation_w, const tml_tensor *out,
    int32_t *pad_h, int32_t *pad_w) {
    if (padding != TML_PAD_SAME && padding != TML_PAD_VALID) {
        return tml_fail(m, TML_ERR_MODEL, "padding %d is neither SAME nor VALID", padding);
    }
    if (stride_h < 1 || stride_w < 1 || stride_h > TML_CONV_MAX_STEP || stride_w > TML_CONV_MAX_STEP) {
        return tml_fail(m, TML_ERR_MODEL, "strides must be 1 to %d, got %d x %d", TML_CONV_MAX_STEP, (int)stride_h,
            (int)stride_w);
    }
    if (dilation_h < 1 || dilation_w < 1 || dilation_h > TML_CONV_MAX_STEP || dilation_w > TML_CONV_MAX_STEP) {
        return tml_fail(m, TML_ERR_MODEL, "dilations must be 1 to %d, got %d x %d", TML_CONV_MAX_STEP,
            (int)dilation_h, (int)dilation_w);
    }
    if (f_h < 1 || f_w < 1) {
        return tml_fail(m, TML_ERR_MODEL, "filter size %d x %d is empty", (int)f_h, (int)f_w);
    }
    int32_t want_h = tml_conv_axis_out(padding, in->dims[1], f_h, stride_h, dilation_h);
    int32_t want_w = tml_conv_axis_out(padding, in->dims[2], f_w, stride_w, dilation_w);
    if (want_h < 0 || want_w < 0) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "filter %d x %d with dilation %d x %d is too large", (int)f_h,
            (int)f_w, (int)dilation_h, (int)dilation_w);
    }
    if (want_h == 0 || want_w == 0) {
        return tml_fail(m, TML_ERR_MODEL, "filter %d x %d (dilation %d x %d) does not fit the %d x %d input",
            (int)f_h, (int)f_w, (int)dilation_h, (int)dilation_w, (int)in->dims[1], (int)in->dims[2]);
    }
    if (want_h != out->dims[1] || want_w != out->dims[2]) {
        return tml_fail(m, TML_ERR_MODEL, "output is %d x %d, but the convolution gives %d x %d", (int)out->dims[1],
            (int)out->dims[2], (int)want_h, (int)want_w);
    }
    *pad_h = tml_conv_axis_pad(in->dims[1], f_h, stride_h, dilation_h, want_h);
    *pad_w = tml_conv_axis_pad(in->dims[2], f_w, stride_w, dilation_w, want_w);
    return TML_OK;
}

/* The filter taps along one axis that land inside the input: tap t reads
 * position origin + dilation * t, and the taps first .. end-1 are those in
 * [0, in). The loops visit only these: the rest would be skipped anyway
 * (TFLM skips them one by one), so sums and rounding are unchanged, and a
 * filter far larger than its input costs nothing. */
static inline void tml_conv_tap_range(int32_t origin, int32_t dilation, int32_t filter, int32_t in, int32_t *first,
    int32_t *end) {
    int64_t lo, hi;
    if (dilation == 1) { /* the common case, without a 64-bit division (a library call on Cortex-M) */
        lo = origin < 0 ? -(int64_t)origin : 0;
        hi = (int64_t)in - origin;
    } else {
        lo = origin < 0 ? ((int64_t)-origin + dilation - 1) / dilation : 0;
        hi = ((int64_t)in - origin + dilation - 1) / dilation; /* ceil((in - origin) / dilation) */
    }
    if (hi > filter) {
        hi = filter;
    }
    if (hi < lo) {
        hi = lo;
    }
    *first = (int32_t)lo;
    *end = (int32_t)hi;
}

/* Shapes in messages: "[1, 8, 8, 3]" into a caller's buffer (no snprintf in
 * natmods). */
static inline const char *tml_shape_str(const tml_tensor *t, char *buf, int len) {
    int pos = 0;
    if (len < 4) {
        return "";
    }
    buf[pos++] = '[';
    for (int i = 0; i < t->ndim; i++) {
        char digits[12];
        int n = 0;
        uint32_t v = t->dims[i] < 0 ? 0u : (uint32_t)t->dims[i];
        do {
            digits[n++] = (char)('0' + v % 10u);
            v /= 10u;
        } while (v != 0 && n < 11);
        if (pos + n + 4 >= len) {
            break;
        }
        if (i > 0) {
            buf[pos++] = ',';
            buf[pos++] = ' ';
        }
        while (n > 0) {
            buf[pos++] = digits[--n];
        }
    }
    buf[pos++] = ']';
    buf[pos] = '\0';
    return buf;
}

/* Types CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED accept: int8 or int16
 * input with int8 weights, or float32 input with float32 (or, hybrid, int8)
 * weights; output of the input's type; bias int32 / int64 / float32 to match.
 * `weights_name` is "filter" or "weights", for the messages. */
static inline tml_status tml_conv_check_types(tml_model *m, const tml_tensor *input, const tml_tensor *weights,
    const tml_tensor *bias, const tml_tensor *output, const char *weights_name) {
    if (input->type != TML_INT8 && input->type != TML_INT16 && input->type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (int8, int16 or float32)",
            tml_dtype_name(input->type));
    }
    if (output->type != input->type) {
        return tml_fail(m, TML_ERR_MODEL, "output type %s differs from input type %s", tml_dtype_name(output->type),
            tml_dtype_name(input->type));
    }
    if (input->type == TML_FLOAT32 && weights->type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED,
            "float32 input with %s %s not supported (float32, or int8 for a hybrid model)",
            tml_dtype_name(weights->type), weights_name);
    }
    if (input->type != TML_FLOAT32 && weights->type != TML_INT8) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "%s input needs int8 %s, got %s", tml_dtype_name(input->type),
            weights_name, tml_dtype_name(weights->type));
    }
    if (bias != NULL) {
        int want = input->type == TML_INT8 ? TML_INT32 : input->type == TML_INT16 ? TML_INT64 : TML_FLOAT32;
        if (bias->type != want) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "bias must be %s for %s input, got %s", tml_dtype_name(want),
                tml_dtype_name(input->type), tml_dtype_name(bias->type));
        }
    }
    return TML_OK;
}

#endif /* TML_CONV_UTIL_H */
