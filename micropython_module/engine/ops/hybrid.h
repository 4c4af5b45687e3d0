/*
 * Dynamic-range ("hybrid") CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED:
 * float32 activations with int8 weights, what the TensorFlow converter emits
 * without a representative dataset. TFLM refuses these models; we run them as
 * LiteRT's (TensorFlow Lite's) kernels do, so the reference is LiteRT:
 *
 *   1. each batch of the float input is quantized to int8 on the fly, into
 *      node scratch: symmetrically (zero point 0, scale max|x| / 127) or
 *      asymmetrically (scale (max - min) / 255 and a nudged zero point);
 *   2. int8 x int8 products are summed in int32 (exact, so the sums are
 *      LiteRT's bit for bit);
 *   3. the sum is scaled back to float with input scale x filter scale, the
 *      float bias is added and the activation clamps, each float operation in
 *      LiteRT's order (and -ffp-contract=off, as everywhere in the engine).
 *
 * Which quantization LiteRT picks, and how it multiplies the scales:
 *   CONV_2D           per-tensor scales (or all per-channel scales equal):
 *                     symmetric, (0 + acc * (s_in * s_w)) + bias
 *                     (optimized_ops::HybridConv, which LiteRT runs even for
 *                     its reference kernels);
 *                     differing per-channel scales or groups: asymmetric,
 *                     (acc * s_w[c]) * s_in + bias (reference HybridConvPerChannel).
 *   DEPTHWISE_CONV_2D always asymmetric, acc * (s_w[c] * s_in) + bias
 *                     (reference DepthwiseConvHybridPerChannel).
 *   FULLY_CONNECTED   symmetric, or asymmetric with the asymmetric_quantize_inputs
 *                     option; bias + acc * s where s = s_in * s_w (per tensor)
 *                     or s_in * s_w[c] (per channel); an input that is all
 *                     zeros gives the bias directly (EvalHybridDense).
 *
 * The loops of each kernel live here so that the kernels' own files only
 * dispatch. Per-channel filter scales are copied at prepare as floats into
 * the node's per-channel area (which the engine allocates exactly when the
 * weights have more than one scale; the hybrid forms use no requantization
 * multipliers, so the area is free).
 */
#ifndef TML_HYBRID_H
#define TML_HYBRID_H

#include <stdbool.h>
#include <stdint.h>

#include "conv_util.h"

/* float32 input and int8 weights: the hybrid form of the three kernels. */
static inline bool tml_is_hybrid(const tml_tensor *input, const tml_tensor *weights) {
    return input->type == TML_FLOAT32 && weights->type == TML_INT8;
}

/* ---- prepare ------------------------------------------------------------ */

/* Output float32, bias float32 or absent, weights int8 with positive scales
 * (one, or one per output channel along channel_dim) and zero points 0 (the
 * hybrid kernels ignore the zero point, so any other value would be silently
 * wrong). */
static inline tml_status tml_hybrid_check_tensors(tml_model *m, const tml_tensor *weights, int channel_dim,
    int32_t out_channels, const tml_tensor *bias, const tml_tensor *output) {
    if (output->type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_MODEL, "hybrid (float32 input, int8 weights) output must be float32, got %s",
            tml_dtype_name(output->type));
    }
    if (bias != NULL && bias->type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "hybrid bias must be float32, got %s", tml_dtype_name(bias->type));
    }
    tml_status st = tml_check_int8_weights_quant(m, weights, channel_dim, out_channels);
    if (st != TML_OK) {
        return st;
    }
    for (int32_t c = 0; c < (int32_t)weights->num_channels; c++) {
        if (tml_tensor_channel_zero_point(m, weights, c) != 0) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "hybrid weights must be symmetric, channel %d has zero point %d",
                (int)c, (int)tml_tensor_channel_zero_point(m, weights, c));
        }
    }
    return TML_OK;
}

/* Scratch: per batch a float scale and an int32 zero point, then the
 * quantized input (`count` int8 values). 0 if it would not fit a uint32. */
static inline uint32_t tml_hybrid_scratch_bytes(int32_t batches, int32_t count) {
    uint64_t bytes = 8u * (uint64_t)batches + (uint64_t)count;
    return bytes > 0x7fffffffu ? 0u : (uint32_t)bytes;
}

/* Copies per-channel weight scales into the per-channel area as floats. */
static inline void tml_hybrid_store_scales(tml_model *m, tml_node *node, uint32_t params_size,
    const tml_tensor *weights) {
    if (!tml_weights_per_channel(weights)) {
        return;
    }
    float *scales = (float *)(void *)tml_per_channel_base(node->params, params_size);
    for (int32_t c = 0; c < (int32_t)weights->num_channels; c++) {
        scales[c] = tml_tensor_channel_scale(m, weights, c);
    }
}

/* ---- eval: the weight scales and the quantized input -------------------- */

typedef struct {
    const float *scale; /* scale of channel c: scale[c * step] */
    int step;           /* 1 per channel, 0 for one scale */
} tml_hybrid_scales;

static inline tml_hybrid_scales tml_hybrid_scales_view(const tml_node *node, uint32_t params_size,
    const tml_tensor *weights) {
    tml_hybrid_scales s;
    if (tml_weights_per_channel(weights)) {
        s.scale = (const float *)(const void *)tml_per_channel_base(node->params, params_size);
        s.step = 1;
    } else {
        s.scale = &weights->scale;
        s.step = 0;
    }
    return s;
}

/* LiteRT's CONV_2D takes its per-tensor path when every scale equals the first. */
static inline bool tml_hybrid_scales_all_equal(const tml_hybrid_scales *s, int32_t channels) {
    for (int32_t c = 1; c < channels && s->step != 0; c++) {
        if (s->scale[c] != s->scale[0]) {
            return false;
        }
    }
    return true;
}

typedef struct {
    float *scale;       /* per batch */
    int32_t *zero_point; /* per batch (0 when symmetric) */
    int8_t *values;     /* the quantized input, same layout as the float input */
} tml_hybrid_input;

static inline tml_hybrid_input tml_hybrid_input_view(void *scratch, int32_t batches) {
    tml_hybrid_input q;
    q.scale = (float *)scratch;
    q.zero_point = (int32_t *)(void *)((uint8_t *)scratch + 4u * (uint32_t)batches);
    q.values = (int8_t *)scratch + 8u * (uint32_t)batches;
    return q;
}

/* The value std::round gives, clamped to [lo, hi] before the conversion (so
 * that NaN or infinity cannot reach an undefined float-to-int cast). */
static inline int8_t tml_hybrid_round_clamp(float x, int32_t lo, int32_t hi) {
    float r = tml_roundf(x);
    if (!(r >= (float)lo)) {
        return (int8_t)lo;
    }
    if (r > (float)hi) {
        return (int8_t)hi;
    }
    return (int8_t)(int32_t)r;
}

/* std::minmax_element: the first smallest and the last largest value. */
static inline void tml_hybrid_min_max(const float *x, int32_t n, float *lo, float *hi) {
    float a = x[0], b = x[0];
    for (int32_t i = 1; i < n; i++) {
        if (x[i] < a) {
            a = x[i];
        }
        if (!(x[i] < b)) {
            b = x[i];
        }
    }
    *lo = a;
    *hi = b;
}

/* LiteRT SymmetricQuantizeFloats: scale = range / 127 with range = max|x|,
 * q = round(x * (127 / range)) in [-127, 127]; all zeros give scale 1. */
static inline void tml_hybrid_quantize_symmetric(const float *x, int32_t n, int8_t *q, float *scale) {
    float lo, hi;
    tml_hybrid_min_max(x, n, &lo, &hi);
    lo = lo < 0.0f ? -lo : lo;
    hi = hi < 0.0f ? -hi : hi;
    const float range = lo < hi ? hi : lo; /* std::max(|min|, |max|) */
    if (range == 0.0f) {
        memset(q, 0, (size_t)n);
        *scale = 1.0f;
        return;
    }
    *scale = range / 127.0f;
    const float inverse = 127.0f / range;
    for (int32_t i = 0; i < n; i++) {
        q[i] = tml_hybrid_round_clamp(x[i] * inverse, -127, 127);
    }
}

/* LiteRT AsymmetricQuantizeFloats: the range [min(0, min x), max(0, max x)]
 * onto [-128, 127], scale and zero point computed in double as TensorFlow's
 * nudging does, then q = round(zp + x * (1 / scale)) in float. The width of
 * the range is a float subtraction: the pip build ai-edge-litert 2.3.0
 * computes it so (newer sources subtract in double, which differs in the last
 * bit for some inputs; tests/ops/test_hybrid.py holds the measurement). */
static inline void tml_hybrid_quantize_asymmetric(const float *x, int32_t n, int8_t *q, float *scale,
    int32_t *zero_point) {
    float lo, hi;
    tml_hybrid_min_max(x, n, &lo, &hi);
    const float range_min = lo < 0.0f ? lo : 0.0f;
    const float range_max = 0.0f < hi ? hi : 0.0f;
    if (range_min == range_max) {
        memset(q, 0, (size_t)n);
        *scale = 1.0f;
        *zero_point = 0;
        return;
    }
    const double rmin = (double)range_min, rmax = (double)range_max;
    const double s = (double)(range_max - range_min) / (127.0 - -128.0);
    const double from_min = -128.0 - rmin / s;
    const double from_max = 127.0 - rmax / s;
    const double min_over = rmin / s, max_over = rmax / s;
    const double from_min_error = 128.0 + (min_over < 0.0 ? -min_over : min_over);
    const double from_max_error = 127.0 + (max_over < 0.0 ? -max_over : max_over);
    const double zp = from_min_error < from_max_error ? from_min : from_max;
    int32_t nudged;
    if (!(zp > -128.0)) { /* also NaN, from an infinite input: keeps the zero point defined */
        nudged = -128;
    } else if (zp >= 127.0) {
        nudged = 127;
    } else {
        nudged = (int32_t)tml_round(zp);
    }
    *scale = (float)s;
    *zero_point = nudged;
    const float inverse = 1.0f / *scale;
    const float offset = (float)nudged;
    for (int32_t i = 0; i < n; i++) {
        q[i] = tml_hybrid_round_clamp(offset + x[i] * inverse, -128, 127);
    }
}

/* Quantizes `batches` rows of `row_size` floats, each with its own scale. */
static inline void tml_hybrid_quantize_rows(const float *x, int32_t batches, int32_t row_size, bool asymmetric,
    tml_hybrid_input *q) {
    for (int32_t b = 0; b < batches; b++) {
        const float *row = x + b * row_size;
        int8_t *out = q->values + b * row_size;
        if (asymmetric) {
            tml_hybrid_quantize_asymmetric(row, row_size, out, &q->scale[b], &q->zero_point[b]);
        } else {
            tml_hybrid_quantize_symmetric(row, row_size, out, &q->scale[b]);
            q->zero_point[b] = 0;
        }
    }
}

/* ---- eval: the loops ---------------------------------------------------- */

/* What the convolution loops need from a kernel's prepared parameters. */
typedef struct {
    int32_t pad_h, pad_w;
    int32_t stride_h, stride_w;
    int32_t dilation_h, dilation_w;
    float act_min, act_max;
} tml_hybrid_window;

/* NHWC shapes of a (depthwise) convolution; f_in_c = in_c / groups for
 * CONV_2D, unused for DEPTHWISE_CONV_2D. */
typedef struct {
    int32_t batches, in_h, in_w, in_c;
    int32_t f_h, f_w, f_in_c;
    int32_t out_h, out_w, out_c;
} tml_hybrid_conv_shape;

/* CONV_2D, filter [out_c, f_h, f_w, f_in_c]. `scratch` holds
 * tml_hybrid_scratch_bytes(batches, input elements). */
static inline void tml_hybrid_conv(const tml_hybrid_window *w, const tml_hybrid_conv_shape *s,
    const tml_hybrid_scales *ws, const float *input, const int8_t *filter, const float *bias, float *output,
    void *scratch) {
    const int32_t groups = s->in_c / s->f_in_c;
    /* LiteRT's choice of path (see the top of this file). */
    const bool per_channel = groups != 1 || !tml_hybrid_scales_all_equal(ws, s->out_c);
    const int32_t batch_size = s->in_h * s->in_w * s->in_c;
    tml_hybrid_input q = tml_hybrid_input_view(scratch, s->batches);
    tml_hybrid_quantize_rows(input, s->batches, batch_size, per_channel, &q);
    if (!per_channel) {
        for (int32_t b = 0; b < s->batches; b++) {
            q.scale[b] *= ws->scale[0]; /* LiteRT folds the filter scale into the batch scale */
        }
    }
    const int32_t filters_per_group = s->out_c / groups;
    const int32_t filter_size = s->f_h * s->f_w * s->f_in_c;
    for (int32_t b = 0; b < s->batches; b++) {
        const int8_t *in_batch = q.values + b * batch_size;
        const int32_t zero_point = q.zero_point[b];
        const float batch_scale = q.scale[b];
        for (int32_t oy = 0; oy < s->out_h; oy++) {
            const int32_t in_y0 = oy * w->stride_h - w->pad_h;
            int32_t fy_first, fy_end; /* taps inside the input; LiteRT's padding adds nothing */
            tml_conv_tap_range(in_y0, w->dilation_h, s->f_h, s->in_h, &fy_first, &fy_end);
            for (int32_t ox = 0; ox < s->out_w; ox++) {
                const int32_t in_x0 = ox * w->stride_w - w->pad_w;
                int32_t fx_first, fx_end;
                tml_conv_tap_range(in_x0, w->dilation_w, s->f_w, s->in_w, &fx_first, &fx_end);
                const int8_t *in_group = in_batch;
                int32_t group_end = filters_per_group;
                for (int32_t oc = 0; oc < s->out_c; oc++) {
                    if (oc == group_end) {
                        in_group += s->f_in_c;
                        group_end += filters_per_group;
                    }
                    const int8_t *f_oc = filter + oc * filter_size;
                    uint32_t acc = 0; /* int32 arithmetic, wrapping as LiteRT's does */
                    for (int32_t fy = fy_first; fy < fy_end; fy++) {
                        const int32_t iy = in_y0 + w->dilation_h * fy;
                        for (int32_t fx = fx_first; fx < fx_end; fx++) {
                            const int32_t ix = in_x0 + w->dilation_w * fx;
                            const int8_t *ip = in_group + (iy * s->in_w + ix) * s->in_c;
                            const int8_t *fp = f_oc + (fy * s->f_w + fx) * s->f_in_c;
                            for (int32_t ic = 0; ic < s->f_in_c; ic++) {
                                acc += (uint32_t)((int32_t)fp[ic] * ((int32_t)ip[ic] - zero_point));
                            }
                        }
                    }
                    float value;
                    if (per_channel) {
                        value = (float)(int32_t)acc * ws->scale[oc * ws->step] * batch_scale;
                    } else {
                        value = 0.0f + (float)(int32_t)acc * batch_scale; /* GEMM into a zeroed output */
                    }
                    if (bias != NULL) {
                        value += bias[oc];
                    }
                    *output++ = tml_clamp_f32(value, w->act_min, w->act_max);
                }
            }
        }
    }
}

/* DEPTHWISE_CONV_2D, filter [1, f_h, f_w, out_c], output channel
 * ic * depth_multiplier + m reads input channel ic. */
static inline void tml_hybrid_depthwise_conv(const tml_hybrid_window *w, int32_t depth_multiplier,
    const tml_hybrid_conv_shape *s, const tml_hybrid_scales *ws, const float *input, const int8_t *filter,
    const float *bias, float *output, void *scratch) {
    const int32_t batch_size = s->in_h * s->in_w * s->in_c;
    tml_hybrid_input q = tml_hybrid_input_view(scratch, s->batches);
    tml_hybrid_quantize_rows(input, s->batches, batch_size, true, &q);
    for (int32_t b = 0; b < s->batches; b++) {
        const int8_t *in_batch = q.values + b * batch_size;
        const int32_t zero_point = q.zero_point[b];
        const float batch_scale = q.scale[b];
        for (int32_t oy = 0; oy < s->out_h; oy++) {
            const int32_t in_y0 = oy * w->stride_h - w->pad_h;
            int32_t fy_first, fy_end;
            tml_conv_tap_range(in_y0, w->dilation_h, s->f_h, s->in_h, &fy_first, &fy_end);
            for (int32_t ox = 0; ox < s->out_w; ox++) {
                const int32_t in_x0 = ox * w->stride_w - w->pad_w;
                int32_t fx_first, fx_end;
                tml_conv_tap_range(in_x0, w->dilation_w, s->f_w, s->in_w, &fx_first, &fx_end);
                for (int32_t ic = 0; ic < s->in_c; ic++) {
                    for (int32_t mi = 0; mi < depth_multiplier; mi++) {
                        const int32_t oc = ic * depth_multiplier + mi;
                        uint32_t acc = 0;
                        for (int32_t fy = fy_first; fy < fy_end; fy++) {
                            const int32_t iy = in_y0 + w->dilation_h * fy;
                            for (int32_t fx = fx_first; fx < fx_end; fx++) {
                                const int32_t ix = in_x0 + w->dilation_w * fx;
                                const int32_t x = in_batch[(iy * s->in_w + ix) * s->in_c + ic];
                                const int32_t f = filter[(fy * s->f_w + fx) * s->out_c + oc];
                                acc += (uint32_t)(f * (x - zero_point));
                            }
                        }
                        float value = (float)(int32_t)acc;
                        value *= ws->scale[oc * ws->step] * batch_scale;
                        if (bias != NULL) {
                            value += bias[oc];
                        }
                        *output++ = tml_clamp_f32(value, w->act_min, w->act_max);
                    }
                }
            }
        }
    }
}

/* FULLY_CONNECTED, weights [units, depth], input read as [batches, depth]. */
static inline void tml_hybrid_fully_connected(int32_t batches, int32_t units, int32_t depth, bool asymmetric,
    const tml_hybrid_scales *ws, float act_min, float act_max, const float *input, const int8_t *weights,
    const float *bias, float *output, void *scratch) {
    bool all_zero = true;
    for (int32_t i = 0; i < batches * depth && all_zero; i++) {
        all_zero = input[i] == 0.0f;
    }
    if (all_zero) { /* LiteRT skips the product: the output is the bias */
        for (int32_t b = 0; b < batches; b++) {
            for (int32_t u = 0; u < units; u++) {
                *output++ = tml_clamp_f32(bias != NULL ? bias[u] : 0.0f, act_min, act_max);
            }
        }
        return;
    }
    tml_hybrid_input q = tml_hybrid_input_view(scratch, batches);
    tml_hybrid_quantize_rows(input, batches, depth, asymmetric, &q);
    for (int32_t b = 0; b < batches; b++) {
        const int8_t *row = q.values + b * depth;
        const int32_t zero_point = q.zero_point[b];
        const float batch_scale = ws->step == 0 ? q.scale[b] * ws->scale[0] : q.scale[b];
        for (int32_t u = 0; u < units; u++) {
            const int8_t *w = weights + u * depth;
            uint32_t acc = 0;
            for (int32_t d = 0; d < depth; d++) {
                acc += (uint32_t)((int32_t)w[d] * ((int32_t)row[d] - zero_point));
            }
            const float scale = ws->step == 0 ? batch_scale : batch_scale * ws->scale[u];
            const float start = bias != NULL ? bias[u] : 0.0f;
            *output++ = tml_clamp_f32(start + (float)(int32_t)acc * scale, act_min, act_max);
        }
    }
}

#endif /* TML_HYBRID_H */
