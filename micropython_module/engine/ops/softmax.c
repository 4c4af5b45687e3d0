/*
 * SOFTMAX over the last dimension (TFLM reference_ops::Softmax).
 *
 * float32: exp((x - max) * beta) in float, summed in float, divided.
 * int8 -> int8 / int16: gemmlowp fixed point (no lookup table). The input
 * difference to the row maximum is scaled by beta * input_scale into Q5.26,
 * exponentiated into Q0.31, summed in Q12.19, and each exponential multiplied
 * by the reciprocal of the sum. Differences below diff_min would overflow the
 * Q5.26 range and contribute nothing, so they are skipped (output = minimum).
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

enum { OPT_BETA = 0 };                /* SoftmaxOptions.beta */
enum { SCALED_DIFF_INTEGER_BITS = 5 }; /* Q5.26 input to exp */
enum { ACCUMULATION_INTEGER_BITS = 12 };

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
    if (in->type != TML_INT8) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32 and int8 are)",
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

static tml_status softmax_eval(tml_model *m, tml_node *node) {
    const softmax_params *p = (const softmax_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t depth = in->dims[in->ndim - 1];
    const int32_t rows = depth > 0 ? tml_numel(in) / depth : 0;
    if (in->type == TML_FLOAT32) {
        softmax_float(p, (const float *)in->data, (float *)out->data, rows, depth);
    } else {
        softmax_int8(p, (const int8_t *)in->data, out->data, out->type == TML_INT8 ? 8 : 16, rows, depth);
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SOFTMAX = {
    .name = "SOFTMAX",
    .builtin = 25,
    .max_version = 2, /* v2: int8; v3 (int16 input) is not supported */
    .types = TML_TYPES_FLOAT_INT8,
    .per_channel_bytes = 0,
    .params_size = sizeof(softmax_params),
    .prepare = softmax_prepare,
    .eval = softmax_eval,
};
