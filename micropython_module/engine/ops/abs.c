/*
 * ABS (TFLM micro/kernels/elementwise.cc).
 *
 * float32: |x| (clears the sign bit, as fabsf).
 * int8 / quantized int16: |x - in_zp|, rescaled by in_scale / out_scale
 * (MultiplyByQuantizedMultiplier) only when the two scales differ, plus the
 * output zero point, clamped to the type. int16 zero points must be 0.
 * int16 without quantization: |x| (|-32768| wraps to -32768, as TFLM's
 * std::abs on the promoted value narrowed back).
 */
#include "tml_quant.h"
#include "unary.h"

typedef struct {
    int32_t input_offset, output_offset;
    int32_t multiplier, shift;
    uint8_t needs_rescale;
    uint8_t quantized;
} abs_params;

static tml_status abs_prepare(tml_model *m, tml_node *node) {
    abs_params *p = (abs_params *)node->params;
    tml_status status = tml_unary_check(m, node, TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) |
        TML_TYPE_BIT(TML_INT16), "float32, int8, int16");
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if (status != TML_OK || in->type == TML_FLOAT32 || (in->type == TML_INT16 && in->num_channels == 0)) {
        return status;
    }
    if ((status = tml_unary_check_quantized(m, node)) != TML_OK ||
        (status = tml_unary_check_int16_symmetric(m, node)) != TML_OK) {
        return status;
    }
    p->quantized = 1;
    p->input_offset = in->zero_point;
    p->output_offset = out->zero_point;
    p->needs_rescale = in->scale != out->scale;
    int shift = 0;
    if (p->needs_rescale) {
        tml_quantize_multiplier((double)in->scale / (double)out->scale, &p->multiplier, &shift);
    }
    if (shift > 31) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input/output scale ratio %f is too large",
            (double)in->scale / (double)out->scale);
    }
    p->shift = shift;
    return TML_OK;
}

static tml_status abs_eval(tml_model *m, tml_node *node) {
    const abs_params *p = (const abs_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    (void)m;
    if (in->type == TML_FLOAT32) {
        const uint32_t *x = (const uint32_t *)in->data;
        uint32_t *y = (uint32_t *)out->data;
        for (int32_t i = 0; i < n; i++) {
            y[i] = x[i] & 0x7FFFFFFFu;
        }
        return TML_OK;
    }
    if (!p->quantized) {
        const int16_t *x = (const int16_t *)in->data;
        int16_t *y = (int16_t *)out->data;
        for (int32_t i = 0; i < n; i++) {
            y[i] = (int16_t)(uint16_t)(x[i] < 0 ? -(int32_t)x[i] : x[i]);
        }
        return TML_OK;
    }
    int32_t lo, hi;
    tml_int_type_range(in->type, &lo, &hi);
    for (int32_t i = 0; i < n; i++) {
        int32_t v = tml_load_int(in->data, in->type, i) - p->input_offset;
        v = v < 0 ? -v : v;
        if (p->needs_rescale) {
            v = tml_mbqm(v, p->multiplier, p->shift);
        }
        tml_store_int(out->data, out->type, i, tml_clamp_i32(v + p->output_offset, lo, hi));
    }
    return TML_OK;
}

const tml_kernel tml_kernel_ABS = {
    .name = "ABS",
    .builtin = 101,
    .max_version = 4, /* v2: int8, v3: quantized int16, v4: unquantized int16; v5 (int32) is not supported */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(abs_params),
    .prepare = abs_prepare,
    .eval = abs_eval,
};
