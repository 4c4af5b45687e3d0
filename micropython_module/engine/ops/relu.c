/*
 * RELU (TFLM micro/kernels/activations.cc).
 *
 * float32: x < 0 ? 0 : x.
 * int8 / int16: the input, less its zero point, is rescaled to the output
 * scale (one MultiplyByQuantizedMultiplier of in_scale / out_scale, computed
 * in double), offset by the output zero point and clamped below at the
 * output's zero (zero point + round(0 / scale)). int16 zero points must be 0.
 */
#include "tml_quant.h"
#include "unary.h"

typedef struct {
    int32_t input_offset, output_offset;
    int32_t multiplier;
    int32_t shift;
    int32_t act_min, act_max;
} relu_params;

static tml_status relu_prepare(tml_model *m, tml_node *node) {
    relu_params *p = (relu_params *)node->params;
    tml_status status = tml_unary_check(m, node, TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) |
        TML_TYPE_BIT(TML_INT16), "float32, int8, int16");
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if (status != TML_OK || in->type == TML_FLOAT32) {
        return status;
    }
    if ((status = tml_unary_check_quantized(m, node)) != TML_OK ||
        (status = tml_unary_check_int16_symmetric(m, node)) != TML_OK) {
        return status;
    }
    int shift;
    tml_quantize_multiplier((double)in->scale / (double)out->scale, &p->multiplier, &shift);
    p->shift = shift;
    p->input_offset = in->zero_point;
    p->output_offset = out->zero_point;
    int32_t lo, hi;
    tml_int_type_range(in->type, &lo, &hi);
    tml_activation_range_quantized(TML_ACT_RELU, out->scale, out->zero_point, lo, hi, &p->act_min, &p->act_max);
    return TML_OK;
}

static tml_status relu_eval(tml_model *m, tml_node *node) {
    const relu_params *p = (const relu_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    (void)m;
    if (in->type == TML_FLOAT32) {
        const float *x = (const float *)in->data;
        float *y = (float *)out->data;
        for (int32_t i = 0; i < n; i++) {
            y[i] = x[i] < 0.0f ? 0.0f : x[i];
        }
        return TML_OK;
    }
    for (int32_t i = 0; i < n; i++) {
        const int32_t x = tml_load_int(in->data, in->type, i);
        const int32_t y = p->output_offset + tml_mbqm(x - p->input_offset, p->multiplier, p->shift);
        tml_store_int(out->data, out->type, i, tml_clamp_i32(y, p->act_min, p->act_max));
    }
    return TML_OK;
}

const tml_kernel tml_kernel_RELU = {
    .name = "RELU",
    .builtin = 19,
    .max_version = 3, /* v2: int8, v3: int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(relu_params),
    .prepare = relu_prepare,
    .eval = relu_eval,
};
