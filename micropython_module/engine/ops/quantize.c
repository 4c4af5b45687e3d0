/*
 * QUANTIZE (TFLM reference_ops::AffineQuantize and Requantize).
 *
 * float32 -> int8 / int16 / uint8: round(x / scale) + zero_point in float32
 * (roundf: half away from zero), clamped to the output type.
 * int8 / uint8 / int16 / int32 -> int8 / uint8 / int16 / int32 (requantize):
 * MultiplyByQuantizedMultiplier(x - zp_in, in_scale / out_scale) + zp_out,
 * clamped. Per-tensor quantization only.
 *
 * Where TFLM's behaviour is undefined (float values whose quotient does not
 * fit an int32, NaN), this kernel saturates, as an Arm float-to-int
 * conversion does: too large -> type maximum, too small -> type minimum, NaN
 * -> zero point.
 */
#include "tml_kernel.h"
#include "tml_quant.h"

typedef struct {
    float scale;              /* float input: the output scale */
    int32_t input_zero_point;
    int32_t output_zero_point;
    int32_t multiplier;       /* integer input: in_scale / out_scale */
    int32_t shift;
} quantize_params;

static bool quantize_int_type(int type) {
    return type == TML_INT8 || type == TML_UINT8 || type == TML_INT16 || type == TML_INT32;
}

static void quantize_type_range(int type, int32_t *lo, int32_t *hi) {
    switch (type) {
    case TML_INT8:
        *lo = -128;
        *hi = 127;
        break;
    case TML_UINT8:
        *lo = 0;
        *hi = 255;
        break;
    case TML_INT16:
        *lo = -32768;
        *hi = 32767;
        break;
    default:
        *lo = INT32_MIN;
        *hi = INT32_MAX;
        break;
    }
}

static tml_status quantize_prepare(tml_model *m, tml_node *node) {
    quantize_params *p = (quantize_params *)node->params;
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 1 || node->num_outputs != 1 || in == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 1 input and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (tml_numel(in) != tml_numel(out)) {
        return tml_fail(m, TML_ERR_MODEL, "input has %d elements, output %d", tml_numel(in), tml_numel(out));
    }
    if (in->type != TML_FLOAT32 && !quantize_int_type(in->type)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32, int8, uint8, int16, int32 are)",
            tml_dtype_name(in->type));
    }
    if (!quantize_int_type(out->type) || (in->type == TML_FLOAT32 && out->type == TML_INT32)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "%s output not supported for %s input", tml_dtype_name(out->type),
            tml_dtype_name(in->type));
    }
    if (out->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "output needs per-tensor quantization (has %u scales)",
            (unsigned)out->num_channels);
    }
    if (!(out->scale > 0.0f)) {
        return tml_fail(m, TML_ERR_MODEL, "output scale must be positive, is %f", (double)out->scale);
    }
    p->scale = out->scale;
    p->output_zero_point = out->zero_point;
    if (in->type == TML_FLOAT32) {
        return TML_OK;
    }
    if (in->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input needs per-tensor quantization (has %u scales)",
            (unsigned)in->num_channels);
    }
    if (!(in->scale > 0.0f)) {
        return tml_fail(m, TML_ERR_MODEL, "input scale must be positive, is %f", (double)in->scale);
    }
    p->input_zero_point = in->zero_point;
    int shift;
    tml_quantize_multiplier((double)in->scale / (double)out->scale, &p->multiplier, &shift);
    if (shift > 31) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input/output scale ratio %f is too large",
            (double)in->scale / (double)out->scale);
    }
    p->shift = shift;
    return TML_OK;
}

static int32_t quantize_load(const void *data, int type, int32_t i) {
    switch (type) {
    case TML_INT8:
        return ((const int8_t *)data)[i];
    case TML_UINT8:
        return ((const uint8_t *)data)[i];
    case TML_INT16:
        return ((const int16_t *)data)[i];
    default:
        return ((const int32_t *)data)[i];
    }
}

static void quantize_store(void *data, int type, int32_t i, int32_t v) {
    switch (type) {
    case TML_INT8:
        ((int8_t *)data)[i] = (int8_t)v;
        break;
    case TML_UINT8:
        ((uint8_t *)data)[i] = (uint8_t)v;
        break;
    case TML_INT16:
        ((int16_t *)data)[i] = (int16_t)v;
        break;
    default:
        ((int32_t *)data)[i] = v;
        break;
    }
}

/* (int64)(int32)roundf(q) with the saturating conversion described above. */
static int64_t quantize_round_to_int(float q) {
    if (q != q) {
        return 0;
    }
    if (q >= 2147483648.0f) {
        return INT32_MAX;
    }
    if (q < -2147483648.0f) {
        return INT32_MIN;
    }
    return (int64_t)tml_roundf(q);
}

static tml_status quantize_eval(tml_model *m, tml_node *node) {
    const quantize_params *p = (const quantize_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    int32_t lo, hi;
    quantize_type_range(out->type, &lo, &hi);
    (void)m;
    if (in->type == TML_FLOAT32) {
        const float *x = (const float *)in->data;
        for (int32_t i = 0; i < n; i++) {
            int64_t v = quantize_round_to_int(x[i] / p->scale) + p->output_zero_point;
            quantize_store(out->data, out->type, i, (int32_t)(v < lo ? lo : (v > hi ? hi : v)));
        }
        return TML_OK;
    }
    for (int32_t i = 0; i < n; i++) {
        /* TFLM subtracts in int32 (wrapping for extreme int32 inputs). */
        int32_t x = (int32_t)((uint32_t)quantize_load(in->data, in->type, i) - (uint32_t)p->input_zero_point);
        int32_t v = tml_mbqm(x, p->multiplier, p->shift);
        int64_t y = (int64_t)v + p->output_zero_point;
        quantize_store(out->data, out->type, i, (int32_t)(y < lo ? lo : (y > hi ? hi : y)));
    }
    return TML_OK;
}

const tml_kernel tml_kernel_QUANTIZE = {
    .name = "QUANTIZE",
    .builtin = 114,
    .max_version = 2, /* v2: int16 output; v3+ (per-channel, int4) not supported */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32 | TML_TYPE_BIT(TML_UINT8),
    .params_size = sizeof(quantize_params),
    .prepare = quantize_prepare,
    .eval = quantize_eval,
};
