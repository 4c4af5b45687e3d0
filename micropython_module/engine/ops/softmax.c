/*
 * SOFTMAX over the last dimension (TFLM reference_ops::Softmax).
 *
 * float32: exp((x - max) * beta) in float, summed in float, divided.
 * int8 -> int8 / int16: gemmlowp fixed point (no lookup table). The input
 * difference to the row maximum is scaled by beta * input_scale into Q5.26,
 * exponentiated into Q0.31, summed in Q12.19, and each exponential multiplied
 * by the reciprocal of the sum. Differences below diff_min would overflow the
 * Q5.26 range and contribute nothing, so they are skipped (output = minimum).
 * int16 -> int16 (version 3): TFLM's lookup tables. The difference to the row
 * maximum is scaled so that [-10, 0] spans [-65535, 0], exponentiated through
 * a 513-entry table of exp over [-10, 0], summed in Q16.15, and the reciprocal
 * of the sum read from a table of 1 / (1 + x) over [0, 1]. Both tables are
 * built in float exactly as TFLM's gen_lut builds them, once per node, into
 * the node's persistent arena memory (TFLM: a persistent buffer at prepare).
 */
#include "tml_fixedpoint.h"
#include "tml_kernel.h"
#include "tml_math.h"
#include "tml_quant.h"

typedef struct {
    float beta;
    int32_t input_multiplier;
    int32_t input_left_shift;
    int32_t diff_min;
} softmax_params;

enum { LUT_STEPS = 512, LUT_SIZE = LUT_STEPS + 1 }; /* int16 tables: 512 steps and the end point */

enum { OPT_BETA = 0 };                /* SoftmaxOptions.beta */
enum { SCALED_DIFF_INTEGER_BITS = 5 }; /* Q5.26 input to exp */
enum { ACCUMULATION_INTEGER_BITS = 12 };

/* TFLM CalculateSoftmaxParams and InitializeLutForInt16, for int16 input. */
static tml_status softmax_prepare_int16(tml_model *m, tml_node *node, const tml_tensor *in, const tml_tensor *out) {
    softmax_params *p = (softmax_params *)node->params;
    if (out->type != TML_INT16) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "int16 input needs an int16 output, not %s", tml_dtype_name(out->type));
    }
    const float tolerance = 0.001f * (1.0f / 32768.0f);
    const float diff = out->scale - 1.0f / 32768.0f;
    if (in->zero_point != 0 || out->zero_point != 0 || diff > tolerance || diff < -tolerance) {
        return tml_fail(m, TML_ERR_MODEL,
            "int16 needs input zero point 0 and output scale 1/32768, zero point 0; has %d, %f and %d",
            in->zero_point, (double)out->scale, out->zero_point);
    }
    /* [-10, 0] in real units maps to [-65535, 0] before the exp table. */
    int shift;
    tml_quantize_multiplier((double)in->scale * (double)p->beta / (10.0 / 65535.0), &p->input_multiplier, &shift);
    p->input_left_shift = shift;
    node->persistent_bytes = 2 * LUT_SIZE * sizeof(int16_t);
    return TML_OK;
}

static float lut_exp(float x) {
    return tml_expf(x);
}
static float lut_one_over_one_plus_x(float x) {
    return 1.0f / (1.0f + x);
}

static float clamp_to_int16(float v) {
    return v < -32768.0f ? -32768.0f : (v > 32767.0f ? 32767.0f : v);
}

/* TFLM gen_lut<float, int16_t, int16_t> with output range [-1, 1]: 512
 * samples of func over [lo, hi], each biased by half the error a linear
 * interpolation makes at the step's midpoint, and func(hi) at the end. */
static void gen_lut_int16(float (*func)(float), float lo, float hi, int16_t *lut) {
    const float step = (hi - lo) / LUT_STEPS;
    const float half_step = step / 2;
    const float scale = 65536.0f / 2.0f; /* (int16 range + 1) / (1 - -1) */
    for (int i = 0; i < LUT_STEPS; i++) {
        const float val = func(lo + (float)i * step);
        const float val_midpoint = func(lo + (float)i * step + half_step);
        const float val_next = func(lo + (float)(i + 1) * step);
        const float sample = tml_roundf(val * scale);
        const float midpoint_interpolated = tml_roundf((val_next * scale + tml_roundf(val * scale)) / 2);
        const float midpoint = tml_roundf(val_midpoint * scale);
        const float bias = tml_roundf((midpoint_interpolated - midpoint) / 2);
        lut[i] = (int16_t)clamp_to_int16(sample - bias);
    }
    lut[LUT_STEPS] = (int16_t)clamp_to_int16(tml_roundf(func(hi) * scale));
}

/* Builds the two tables in the node's persistent memory (after tml_reset zeroed it). */
static tml_status softmax_reset(tml_model *m, tml_node *node) {
    (void)m;
    if (node->persistent_bytes == 0) {
        return TML_OK; /* float32 and int8 need no tables */
    }
    int16_t *exp_lut = (int16_t *)node->persistent;
    gen_lut_int16(lut_exp, -10.0f, 0.0f, exp_lut);
    gen_lut_int16(lut_one_over_one_plus_x, 0.0f, 1.0f, exp_lut + LUT_SIZE);
    return TML_OK;
}

/* TFLM lut_lookup for int16: the table entry at the top 9 bits, plus the
 * slope to the next one times the low 7 bits, rounded. */
static int16_t lut_lookup_int16(int16_t value, const int16_t *lut) {
    const int index = 256 + (value >> 7);
    const int offset = value & 0x7f;
    const int16_t slope = (int16_t)(lut[index + 1] - lut[index]);
    return (int16_t)(lut[index] + ((slope * offset + 64) >> 7));
}

static int16_t saturate_int16(int32_t x) {
    return (int16_t)tml_clamp_i32(x, -32768, 32767);
}

static void softmax_int16(const softmax_params *p, const int16_t *luts, const int16_t *x, int16_t *y, int32_t rows,
    int32_t depth) {
    const int16_t *exp_lut = luts;
    const int16_t *reciprocal_lut = luts + LUT_SIZE;
    for (int32_t r = 0; r < rows; r++, x += depth, y += depth) {
        int32_t max = -32768;
        for (int32_t c = 0; c < depth; c++) {
            max = tml_max_i32(max, x[c]);
        }
        /* The exponentials are kept in the output row (as TFLM does), Q0.15. */
        int32_t sum_of_exps = 0; /* Q16.15 */
        for (int32_t c = 0; c < depth; c++) {
            const int32_t scaled = tml_mbqm((int32_t)x[c] - max, p->input_multiplier, p->input_left_shift);
            y[c] = lut_lookup_int16(saturate_int16(scaled + 32767), exp_lut);
            sum_of_exps += y[c];
        }
        /* The row maximum contributes about 1.0 (32767), so the sum has
         * between 1 and 16 bits of headroom. */
        const int headroom_plus_one = tml_clz32((uint32_t)sum_of_exps);
        const int32_t shifted_sum = (int32_t)((((int64_t)sum_of_exps << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
        /* x = sum - 1, recentered from [0, 65535] to [-32768, 32767] for the table. */
        const int16_t reciprocal = lut_lookup_int16(saturate_int16(shifted_sum - ((1 << 15) + (1 << 16))),
            reciprocal_lut);
        const int right_shift = 31 - headroom_plus_one;
        const int64_t round = (int64_t)1 << (right_shift - 1);
        for (int32_t c = 0; c < depth; c++) {
            const int32_t result = (int32_t)(((int64_t)y[c] * reciprocal + round) >> right_shift);
            y[c] = (int16_t)tml_clamp_i32(result, 0, 32767);
        }
    }
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
    if (in->num_channels != 1 || out->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input and output need per-tensor quantization (have %u and %u scales)",
            (unsigned)in->num_channels, (unsigned)out->num_channels);
    }
    if (in->type == TML_INT16) {
        return softmax_prepare_int16(m, node, in, out);
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

static tml_status softmax_eval(tml_model *m, tml_node *node) {
    const softmax_params *p = (const softmax_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t depth = in->dims[in->ndim - 1];
    const int32_t rows = depth > 0 ? tml_numel(in) / depth : 0;
    if (in->type == TML_FLOAT32) {
        softmax_float(p, (const float *)in->data, (float *)out->data, rows, depth);
    } else if (in->type == TML_INT16) {
        softmax_int16(p, (const int16_t *)node->persistent, (const int16_t *)in->data, (int16_t *)out->data, rows,
            depth);
    } else {
        softmax_int8(p, (const int8_t *)in->data, out->data, out->type == TML_INT8 ? 8 : 16, rows, depth);
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SOFTMAX = {
    .name = "SOFTMAX",
    .builtin = 25,
    .max_version = 3, /* v2: int8, v3: int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .per_channel_bytes = 0,
    .params_size = sizeof(softmax_params),
    .prepare = softmax_prepare,
    .eval = softmax_eval,
    .reset = softmax_reset,
};
