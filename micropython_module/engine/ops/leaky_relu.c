/*
 * LEAKY_RELU (TFLM micro/kernels/leaky_relu.cc, reference_ops::QuantizeLeakyRelu).
 *
 * float32: x > 0 ? x : x * alpha.
 * int8 / int16: the input less its zero point is rescaled with one of two
 * multipliers: in_scale / out_scale where it is >= 0, and
 * in_scale * alpha / out_scale where it is negative (alpha may be negative
 * or above 1, so this multiplier may be negative). TFLM computes both
 * factors in float32 before widening them to double for QuantizeMultiplier.
 * Plus the output zero point, clamped to the type.
 */
#include "tml_quant.h"
#include "unary.h"

typedef struct {
    float alpha;
    int32_t input_offset, output_offset;
    int32_t multiplier_identity, shift_identity;
    int32_t multiplier_alpha, shift_alpha;
} leaky_relu_params;

enum { OPT_ALPHA = 0 }; /* LeakyReluOptions.alpha */

static tml_status leaky_relu_prepare(tml_model *m, tml_node *node) {
    leaky_relu_params *p = (leaky_relu_params *)node->params;
    tml_status status = tml_unary_check(m, node, TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) |
        TML_TYPE_BIT(TML_INT16), "float32, int8, int16");
    if (status != TML_OK) {
        return status;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    p->alpha = tml_fb_f32(&fb, &opt, OPT_ALPHA, 0.0f);
    if (in->type == TML_FLOAT32) {
        return TML_OK;
    }
    if ((status = tml_unary_check_quantized(m, node)) != TML_OK) {
        return status;
    }
    p->input_offset = in->zero_point;
    p->output_offset = out->zero_point;
    int shift;
    tml_quantize_multiplier((double)(in->scale * p->alpha / out->scale), &p->multiplier_alpha, &shift);
    p->shift_alpha = shift;
    tml_quantize_multiplier((double)(in->scale / out->scale), &p->multiplier_identity, &shift);
    p->shift_identity = shift;
    if (p->shift_alpha > 31 || p->shift_identity > 31) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "rescale factors are too large (input scale %f, output scale %f)",
            (double)in->scale, (double)out->scale);
    }
    return TML_OK;
}

static tml_status leaky_relu_eval(tml_model *m, tml_node *node) {
    const leaky_relu_params *p = (const leaky_relu_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    (void)m;
    if (in->type == TML_FLOAT32) {
        const float *x = (const float *)in->data;
        float *y = (float *)out->data;
        for (int32_t i = 0; i < n; i++) {
            y[i] = x[i] > 0.0f ? x[i] : x[i] * p->alpha;
        }
        return TML_OK;
    }
    int32_t lo, hi;
    tml_int_type_range(in->type, &lo, &hi);
    for (int32_t i = 0; i < n; i++) {
        const int32_t x = tml_load_int(in->data, in->type, i) - p->input_offset;
        const int32_t y = p->output_offset + (x >= 0 ? tml_mbqm(x, p->multiplier_identity, p->shift_identity)
                                                     : tml_mbqm(x, p->multiplier_alpha, p->shift_alpha));
        tml_store_int(out->data, out->type, i, tml_clamp_i32(y, lo, hi));
    }
    return TML_OK;
}

const tml_kernel tml_kernel_LEAKY_RELU = {
    .name = "LEAKY_RELU",
    .builtin = 98,
    .max_version = 2, /* v2: int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(leaky_relu_params),
    .prepare = leaky_relu_prepare,
    .eval = leaky_relu_eval,
};
