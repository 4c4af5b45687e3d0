/*
 * SOFTMAX over the last dimension (TFLM reference_ops::Softmax).
 *
 * float32: exp((x - max) * beta) in float, summed in float, divided.
 * int8 -> int8 / int16: gemmlowp fixed point (no lookup table). The input
 * difference to the row maximum is scaled by beta * input_scale into Q5.26,
 * exponentiated into Q0.31, summed in Q12.19, and each exponential multiplied
 * by the reciprocal of the sum. Differences below diff_min would overflow the
 * Q5.26 range and contribute nothing, so they are skipped (output = minimum).
 * int16 -> int16 (version 3): two 513-entry lookup tables built at prepare
 * exactly as TFLM's gen_lut builds them (exp on [-10, 0], 1/(1+x) on [0, 1],
 * in float), read with linear interpolation (SoftmaxInt16).
 */
#include "tml_fixedpoint.h"
#include "tml_kernel.h"
#include "tml_math.h"
#include "tml_quant.h"

enum { LUT_STEPS = 512, LUT_ENTRIES = LUT_STEPS + 1 };

typedef struct {
    float beta;
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
} softmax_params;

/* int16 only: TFLM's two tables (512 steps plus the end point for the slope),
 * kept in the node's persistent arena memory and built by softmax_reset, so
 * the int8 and float forms carry no table at all. */
typedef struct {
    int16_t exp[LUT_ENTRIES];
    int16_t one_over_one_plus_x[LUT_ENTRIES];
} softmax_int16_tables;

enum { OPT_BETA = 0 };                /* SoftmaxOptions.beta */
enum { SCALED_DIFF_INTEGER_BITS = 5 }; /* Q5.26 input to exp */
enum { ACCUMULATION_INTEGER_BITS = 12 };

static float lut_exp(float x) {
    return tml_expf(x);
}

static float lut_one_over_one_plus_x(float x) {
    return 1.0f / (1.0f + x);
}

static float clamp_to_int16_range(float v) {
    return v < -32768.0f ? -32768.0f : (v > 32767.0f ? 32767.0f : v);
}

/* TFLM gen_lut<float, int16_t, int16_t> with output range [-1, 1]: each entry
 * is the sample, biased by half the error linear interpolation makes at the
 * step's midpoint. All arithmetic in float, in TFLM's order. */
static void gen_int16_lut(float (*func)(float), float input_min, float input_max, int16_t *lut) {
    const float step = (input_max - input_min) / LUT_STEPS;
    const float half_step = step / 2;
    const float output_scaling_inv = 65536.0f / 2.0f; /* (32767 - -32768 + 1) / (1 - -1) */
    for (int i = 0; i < LUT_STEPS; i++) {
        const float val = func(input_min + i * step);
        const float val_midpoint = func(input_min + i * step + half_step);
        const float val_next = func(input_min + (i + 1) * step);
        const float sample_val = tml_roundf(val * output_scaling_inv);
        const float midpoint_interp_val =
            tml_roundf((val_next * output_scaling_inv + tml_roundf(val * output_scaling_inv)) / 2);
        const float midpoint_val = tml_roundf(val_midpoint * output_scaling_inv);
        const float bias = tml_roundf((midpoint_interp_val - midpoint_val) / 2);
        lut[i] = (int16_t)clamp_to_int16_range(sample_val - bias);
    }
    lut[LUT_STEPS] = (int16_t)clamp_to_int16_range(tml_roundf(func(input_max) * output_scaling_inv));
}

/* TFLM lut_lookup for int16: entry (value >> 7) + 256, plus the slope to the
 * next entry times the low 7 bits, rounded. */
static int16_t int16_lut_lookup(int16_t value, const int16_t *lut) {
    const uint16_t index = (uint16_t)(256 + (value >> 7));
    const int32_t offset = value & 0x7f;
    const int16_t base = lut[index];
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    const int32_t delta = (slope * offset + 64) >> 7;
    return (int16_t)(base + delta);
}

static tml_status softmax_prepare_int16(tml_model *m, tml_node *node, softmax_params *p, const tml_tensor *in,
    const tml_tensor *out) {
    if (out->type != TML_INT16) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "int16 input needs an int16 output, not %s",
            tml_dtype_name(out->type));
    }
    if (in->num_channels != 1 || out->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input and output need per-tensor quantization (have %u and %u scales)",
            (unsigned)in->num_channels, (unsigned)out->num_channels);
    }
    float tolerance = 0.001f * (1.0f / 32768.0f);
    float diff = out->scale - 1.0f / 32768.0f;
    if (in->zero_point != 0 || out->zero_point != 0 || diff > tolerance || diff < -tolerance) {
        return tml_fail(m, TML_ERR_MODEL,
            "int16 needs input zero point 0 and output scale 1/32768, zero point 0; has %d, %f and %d",
            in->zero_point, (double)out->scale, out->zero_point);
    }
    if (!(in->scale > 0.0f)) {
        return tml_fail(m, TML_ERR_MODEL, "input scale must be positive, is %f", (double)in->scale);
    }
    node->persistent_bytes = sizeof(softmax_int16_tables);
    /* The row difference is scaled so that [-65535, 0] stands for [-10, 0]. */
    double rescale = (double)in->scale * (double)p->beta / (10.0 / 65535.0);
    int shift;
    tml_quantize_multiplier(rescale, &p->input_multiplier, &shift);
    p->input_left_shift = shift;
    return TML_OK;
}

static tml_status softmax_prepare(tml_model *m, tml_node *node) {
    softmax_params *p = (softmax_params *)node->params;
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 1 || node->num_outputs != 1 || in == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 1 input and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in->ndim < 1 || !tml_same_shape(in, out)) {
        return tml_fail(m, TML_ERR_MODEL, "output shape must equal the input shape, of rank 1 or more");
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    p->beta = tml_fb_f32(&fb, &opt, OPT_BETA, 0.0f);

    if (in->type == TML_FLOAT32) {
        if (out->type != TML_FLOAT32) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "float32 input needs a float32 output, not %s",
                tml_dtype_name(out->type));
        }
        return TML_OK;
    }
    if (in->type == TML_INT16) {
        return softmax_prepare_int16(m, node, p, in, out);
    }
    if (in->type != TML_INT8) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32, int8 and int16 are)",
            tml_dtype_name(in->type));
    }
    if (in->num_channels != 1 || out->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input and output need per-tensor quantization (have %u and %u scales)",
            (unsigned)in->num_channels, (unsigned)out->num_channels);
    }
    if (out->type == TML_INT8) {
        if (out->zero_point != -128 || out->scale != 1.0f / 256.0f) {
            return tml_fail(m, TML_ERR_MODEL, "int8 output must have scale 1/256 and zero point -128, has %f and %d",
                (double)out->scale, out->zero_point);
        }
    } else if (out->type == TML_INT16) {
        float tolerance = 0.001f * (1.0f / 65536.0f);
        float diff = out->scale - 1.0f / 65536.0f;
        if (out->zero_point != -32768 || diff > tolerance || diff < -tolerance) {
            return tml_fail(m, TML_ERR_MODEL,
                "int16 output must have scale 1/65536 and zero point -32768, has %f and %d", (double)out->scale,
                out->zero_point);
        }
    } else {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "int8 input needs an int8 or int16 output, not %s",
            tml_dtype_name(out->type));
    }

    /* TFLM PreprocessSoftmaxScaling: beta * scale in Q5.26, capped so that it
     * stays a Q31 multiplier; it must be > 1 (a left shift) for TFLM. */
    double real_multiplier = (double)p->beta * (double)in->scale * (double)(1 << (31 - SCALED_DIFF_INTEGER_BITS));
    if (real_multiplier > 2147483647.0) {
        real_multiplier = 2147483647.0;
    }
    if (!(real_multiplier > 1.0)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED,
            "beta * input scale (%f * %f) is below 2^-26, too small for the int8 kernel", (double)p->beta,
            (double)in->scale);
    }
    int shift;
    tml_quantize_multiplier(real_multiplier, &p->input_multiplier, &shift);
    p->input_left_shift = shift;
    p->diff_min = -tml_fp_calculate_input_radius(SCALED_DIFF_INTEGER_BITS, shift, 31);
    return TML_OK;
}

static void softmax_float(const softmax_params *p, const float *x, float *y, int32_t rows, int32_t depth) {
    for (int32_t r = 0; r < rows; r++, x += depth, y += depth) {
        float max = -3.4028234663852886e38f;
        for (int32_t c = 0; c < depth; c++) {
            max = x[c] > max ? x[c] : max;
        }
        float sum = 0.0f;
        for (int32_t c = 0; c < depth; c++) {
            float e = tml_expf((x[c] - max) * p->beta);
            y[c] = e;
            sum += e;
        }
        for (int32_t c = 0; c < depth; c++) {
            y[c] = y[c] / sum;
        }
    }
}

/* exp of (x - max) scaled into Q5.26, as a Q0.31 raw. */
static int32_t softmax_exp(const softmax_params *p, int32_t diff) {
    /* MultiplyByQuantizedMultiplierGreaterThanOne: |diff| << shift fits, as
     * diff >= diff_min was checked. */
    int32_t rescaled = tml_srdhm((int32_t)((uint32_t)diff << p->input_left_shift), p->input_multiplier);
    return tml_fp_exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS);
}

static void softmax_int8(const softmax_params *p, const int8_t *x, void *y, int out_bits, int32_t rows,
    int32_t depth) {
    const int32_t out_min = out_bits == 8 ? -128 : -32768;
    const int32_t out_max = out_bits == 8 ? 127 : 32767;
    for (int32_t r = 0; r < rows; r++, x += depth) {
        int32_t max = -128;
        for (int32_t c = 0; c < depth; c++) {
            max = tml_max_i32(max, x[c]);
        }
        int32_t sum_of_exps = 0; /* Q12.19 */
        for (int32_t c = 0; c < depth; c++) {
            int32_t diff = (int32_t)x[c] - max;
            if (diff >= p->diff_min) {
                sum_of_exps += tml_fp_rescale(softmax_exp(p, diff), 0, ACCUMULATION_INTEGER_BITS);
            }
        }
        int num_bits_over_unit;
        int32_t shifted_scale = tml_fp_get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS, &num_bits_over_unit);
        /* The row maximum contributes exp(0) = 1, so the sum is >= 1 and the
         * exponent lies in [0, 31]. */
        int exponent = num_bits_over_unit + 31 - out_bits;
        for (int32_t c = 0; c < depth; c++) {
            int32_t diff = (int32_t)x[c] - max;
            int32_t value = out_min;
            if (diff >= p->diff_min) {
                int32_t unsat = tml_rdbp(tml_srdhm(shifted_scale, softmax_exp(p, diff)), exponent);
                value = tml_clamp_i32(unsat + out_min, out_min, out_max);
            }
            if (out_bits == 8) {
                ((int8_t *)y)[r * depth + c] = (int8_t)value;
            } else {
                ((int16_t *)y)[r * depth + c] = (int16_t)value;
            }
        }
    }
}

/* TFLM SoftmaxInt16: exps in Q0.15 (cached in the output), their sum in
 * Q16.15, its reciprocal from the 1/(1+x) table after normalising the sum to
 * [1, 2). */
static void softmax_int16(const softmax_params *p, const softmax_int16_tables *lut, const int16_t *x, int16_t *y,
    int32_t rows, int32_t depth) {
    for (int32_t r = 0; r < rows; r++, x += depth, y += depth) {
        int32_t max = -32768;
        for (int32_t c = 0; c < depth; c++) {
            max = tml_max_i32(max, x[c]);
        }
        int32_t sum_of_exps = 0;
        for (int32_t c = 0; c < depth; c++) {
            int32_t scaled_diff = tml_mbqm((int32_t)x[c] - max, p->input_multiplier, p->input_left_shift);
            int16_t centred = (int16_t)tml_clamp_i32(scaled_diff + 32767, -32768, 32767);
            y[c] = int16_lut_lookup(centred, lut->exp);
            sum_of_exps += y[c];
        }
        /* The row maximum contributes exp(0) > 0, so the sum is positive. */
        int headroom_plus_one = tml_clz32((uint32_t)sum_of_exps);
        int32_t shifted_sum = (int32_t)((((int64_t)sum_of_exps << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
        int16_t centred_sum = (int16_t)tml_clamp_i32(shifted_sum - ((1 << 15) + (1 << 16)), -32768, 32767);
        int16_t reciprocal = int16_lut_lookup(centred_sum, lut->one_over_one_plus_x);
        int right_shift = 31 - headroom_plus_one;
        int64_t round = (int64_t)1 << (right_shift - 1);
        for (int32_t c = 0; c < depth; c++) {
            int32_t result = (int32_t)(((int64_t)y[c] * reciprocal + round) >> right_shift);
            y[c] = (int16_t)tml_clamp_i32(result, 0, 32767);
        }
    }
}

static tml_status softmax_eval(tml_model *m, tml_node *node) {
    const softmax_params *p = (const softmax_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t depth = in->dims[in->ndim - 1];
    const int32_t rows = depth > 0 ? tml_numel(in) / depth : 0;
    if (in->type == TML_FLOAT32) {
        softmax_float(p, (const float *)in->data, (float *)out->data, rows, depth);
    } else if (in->type == TML_INT16) {
        softmax_int16(p, (const softmax_int16_tables *)node->persistent, (const int16_t *)in->data,
            (int16_t *)out->data, rows, depth);
    } else {
        softmax_int8(p, (const int8_t *)in->data, out->data, out->type == TML_INT8 ? 8 : 16, rows, depth);
    }
    return TML_OK;
}

/* Builds the int16 tables (after tml_set_arena and every tml_reset). */
static tml_status softmax_reset(tml_model *m, tml_node *node) {
    if (tml_node_input(m, node, 0)->type == TML_INT16) {
        softmax_int16_tables *lut = (softmax_int16_tables *)node->persistent;
        gen_int16_lut(lut_exp, -10.0f, 0.0f, lut->exp);
        gen_int16_lut(lut_one_over_one_plus_x, 0.0f, 1.0f, lut->one_over_one_plus_x);
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SOFTMAX = {
    .name = "SOFTMAX",
    .builtin = 25,
    .max_version = 3, /* v2: int8; v3: int16 input */
    .per_channel_bytes = 0,
    .params_size = sizeof(softmax_params),
    .prepare = softmax_prepare,
    .eval = softmax_eval,
    .reset = softmax_reset,
};
