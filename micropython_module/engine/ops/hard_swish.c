/*
 * HARD_SWISH: x * relu6(x + 3) / 6 (TFLM reference_ops::HardSwish).
 *
 * float32: in * min(6, max(0, in + 3)) / 6, in float, in that order.
 * int8: TFLM's 16-bit fixed-point version. The input less its zero point is
 * moved to a "high-resolution" scale (x 2^7), then
 *   - scaled to the output scale (before its final right shift) with a
 *     16-bit multiplier of hires_scale / out_scale;
 *   - scaled separately so that +-3 maps to +-2^15 (saturating) with a
 *     16-bit multiplier of hires_scale / (3 / 2^15), and mapped from
 *     [-1, 1] to [0, 1]: the "relu-ish" factor;
 * and the two multiplied with a doubling high multiply that truncates (not
 * rounds), then shifted right to the output scale. Both 16-bit multipliers
 * come from QuantizeMultiplier reduced to 16 bits (rounded, saturating).
 * The multipliers' factors are float32 products and quotients, as TFLM's.
 */
#include "tml_quant.h"
#include "unary.h"

typedef struct {
    int32_t input_zero_point, output_zero_point;
    int16_t output_multiplier, reluish_multiplier;
    int32_t output_exponent, reluish_exponent;
} hard_swish_params;

/* TFLM DownScaleInt32ToInt16Multiplier. */
static int16_t hard_swish_multiplier_int16(int32_t multiplier) {
    if (multiplier >= INT32_MAX - (1 << 15)) {
        return INT16_MAX;
    }
    return (int16_t)((multiplier + (1 << 15)) >> 16);
}

/* gemmlowp SaturatingRoundingDoublingHighMul for int16. */
static int16_t hard_swish_srdhm16(int16_t a, int16_t b) {
    if (a == b && a == INT16_MIN) {
        return INT16_MAX;
    }
    const int32_t ab = (int32_t)a * (int32_t)b;
    const int32_t nudge = ab >= 0 ? (1 << 14) : (1 - (1 << 14));
    return (int16_t)((ab + nudge) / (1 << 15));
}

/* TFLM SaturatingDoublingHighMul: as above but truncating toward zero. */
static int16_t hard_swish_sdhm16(int16_t a, int16_t b) {
    if (a == b && a == INT16_MIN) {
        return INT16_MAX;
    }
    return (int16_t)(((int32_t)a * (int32_t)b) / (1 << 15));
}

/* TFLM SaturatingLeftShift for int16. */
static int16_t hard_swish_saturating_left_shift(int16_t value, int amount) {
    return (int16_t)tml_clamp_i32((int32_t)value * (1 << amount), INT16_MIN, INT16_MAX);
}

static tml_status hard_swish_prepare(tml_model *m, tml_node *node) {
    hard_swish_params *p = (hard_swish_params *)node->params;
    tml_status status =
        tml_unary_check(m, node, TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8), "float32, int8");
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if (status != TML_OK || in->type == TML_FLOAT32) {
        return status;
    }
    if ((status = tml_unary_check_quantized(m, node)) != TML_OK) {
        return status;
    }
    p->input_zero_point = in->zero_point;
    p->output_zero_point = out->zero_point;
    const float hires_input_scale = (1.0f / 128.0f) * in->scale;
    const float reluish_scale = 3.0f / 32768.0f;
    int32_t multiplier;
    int exponent;
    tml_quantize_multiplier((double)(hires_input_scale / out->scale), &multiplier, &exponent);
    if (exponent > 0) {
        /* TFLM requires this too (TF_LITE_ENSURE). */
        return tml_fail(m, TML_ERR_UNSUPPORTED, "output scale %f must be at least input scale / 128 (is %f)",
            (double)out->scale, (double)in->scale);
    }
    p->output_multiplier = hard_swish_multiplier_int16(multiplier);
    p->output_exponent = exponent;
    tml_quantize_multiplier((double)(hires_input_scale / reluish_scale), &multiplier, &exponent);
    p->reluish_multiplier = hard_swish_multiplier_int16(multiplier);
    p->reluish_exponent = exponent;
    if (exponent > 15 || exponent < -15) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input scale %f is out of range", (double)in->scale);
    }
    return TML_OK;
}

static int8_t hard_swish_int8(const hard_swish_params *p, int8_t x) {
    const int16_t input_value = (int16_t)(x - p->input_zero_point);
    const int16_t input_on_hires_scale = (int16_t)(input_value * (1 << 7));
    const int16_t input_on_preshift_output_scale = hard_swish_srdhm16(input_on_hires_scale, p->output_multiplier);
    int16_t reluish = input_on_hires_scale;
    if (p->reluish_exponent > 0) {
        /* All but the last bit first, so that saturation here cannot affect the result. */
        reluish = hard_swish_saturating_left_shift(reluish, p->reluish_exponent - 1);
    }
    reluish = hard_swish_srdhm16(reluish, p->reluish_multiplier);
    if (p->reluish_exponent > 0) {
        reluish = hard_swish_saturating_left_shift(reluish, 1);
    }
    if (p->reluish_exponent < 0) {
        reluish = (int16_t)tml_rdbp(reluish, -p->reluish_exponent);
    }
    reluish = (int16_t)((reluish + (1 << 15)) >> 1); /* [-1, 1] -> [0, 1] */
    const int16_t preshift_output = hard_swish_sdhm16(reluish, input_on_preshift_output_scale);
    /* int16 arithmetic, as TFLM's (the sum wraps like an int16_t). */
    int16_t y = (int16_t)(uint16_t)(tml_rdbp(preshift_output, -p->output_exponent) + p->output_zero_point);
    return (int8_t)tml_clamp_i32(y, -128, 127);
}

static tml_status hard_swish_eval(tml_model *m, tml_node *node) {
    const hard_swish_params *p = (const hard_swish_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    (void)m;
    if (in->type == TML_FLOAT32) {
        const float *x = (const float *)in->data;
        float *y = (float *)out->data;
        for (int32_t i = 0; i < n; i++) {
            const float v = x[i], shifted = v + 3.0f;
            const float relu6 = 6.0f < (0.0f > shifted ? 0.0f : shifted) ? 6.0f : (0.0f > shifted ? 0.0f : shifted);
            y[i] = v * relu6 / 6.0f;
        }
        return TML_OK;
    }
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    for (int32_t i = 0; i < n; i++) {
        y[i] = hard_swish_int8(p, x[i]);
    }
    return TML_OK;
}

const tml_kernel tml_kernel_HARD_SWISH = {
    .name = "HARD_SWISH",
    .builtin = 117,
    .max_version = 1,
    .types = TML_TYPES_FLOAT_INT8,
    .params_size = sizeof(hard_swish_params),
    .prepare = hard_swish_prepare,
    .eval = hard_swish_eval,
};
