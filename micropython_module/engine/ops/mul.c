/*
 * MUL with broadcasting (TFLM reference_ops::Mul / BroadcastMul4DSlow and
 * reference_integer_ops::MulElementwise).
 *
 * int8 / int16: (a - zp_a) * (b - zp_b) rescaled to the output by one
 * MultiplyByQuantizedMultiplier with scale_a * scale_b / scale_out (which may
 * exceed 1), plus the output zero point, clamped to the activation's range.
 * int16 requires zero points of 0, as TFLM.
 * float32: a * b, clamped. int32: a * b (wrapping), clamped.
 *
 * Broadcasting follows numpy: shapes are aligned at the last dimension, and
 * each dimension must be equal or 1 in one of the inputs; up to 6 dimensions
 * (TFLM stops at 4).
 */
#include "broadcast.h"

typedef struct {
    tml_bcast bcast;
    /* int8 / int16 / int32 */
    int32_t input1_offset, input2_offset, output_offset;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
    /* float32 */
    float act_min_f, act_max_f;
} mul_params;

enum { OPT_ACTIVATION = 0 }; /* MulOptions.fused_activation_function */

static tml_status mul_prepare(tml_model *m, tml_node *node) {
    mul_params *p = (mul_params *)node->params;
    tml_tensor *in1 = tml_node_input(m, node, 0);
    tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 2 || node->num_outputs != 1 || in1 == NULL || in2 == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 2 inputs and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in1->type != TML_FLOAT32 && in1->type != TML_INT8 && in1->type != TML_INT16 && in1->type != TML_INT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32, int8, int16, int32 are)",
            tml_dtype_name(in1->type));
    }
    tml_status status = tml_binary_check_types(m, in1, in2, out);
    if (status == TML_OK) {
        status = tml_bcast_prepare(m, &p->bcast, in1, in2, out);
    }
    if (status != TML_OK) {
        return status;
    }

    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    int activation = tml_fb_i8(&fb, &opt, OPT_ACTIVATION, TML_ACT_NONE);
    if (activation > TML_ACT_RELU6) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "fused activation %d not supported (NONE, RELU, RELU_N1_TO_1, RELU6 are)",
            activation);
    }
    if (in1->type == TML_FLOAT32) {
        tml_activation_range_float(activation, &p->act_min_f, &p->act_max_f);
        return TML_OK;
    }
    if (in1->type == TML_INT32) {
        tml_activation_range_int32(activation, &p->act_min, &p->act_max);
        return TML_OK;
    }

    if (in1->type == TML_INT16 && (in1->zero_point != 0 || in2->zero_point != 0 || out->zero_point != 0)) {
        return tml_fail(m, TML_ERR_MODEL, "int16 zero points must be 0, are %d, %d and %d", in1->zero_point,
            in2->zero_point, out->zero_point);
    }
    p->input1_offset = -in1->zero_point;
    p->input2_offset = -in2->zero_point;
    p->output_offset = out->zero_point;
    const double real_multiplier = (double)in1->scale * (double)in2->scale / (double)out->scale;
    int shift;
    tml_quantize_multiplier(real_multiplier, &p->output_multiplier, &shift);
    p->output_shift = shift;
    if (shift > 31) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "rescale factor %f is too large", real_multiplier);
    }
    int32_t qmin = in1->type == TML_INT8 ? -128 : -32768;
    int32_t qmax = in1->type == TML_INT8 ? 127 : 32767;
    tml_activation_range_quantized(activation, out->scale, out->zero_point, qmin, qmax, &p->act_min, &p->act_max);
    return TML_OK;
}

static tml_status mul_eval(tml_model *m, tml_node *node) {
    const mul_params *p = (const mul_params *)node->params;
    const tml_tensor *in1 = tml_node_input(m, node, 0);
    const tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(out);
    tml_bcast_iter it;
    tml_bcast_begin(&it);
    if (in1->type == TML_FLOAT32) {
        const float *a = (const float *)in1->data, *b = (const float *)in2->data;
        float *y = (float *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            y[it.out] = tml_clamp_f32(a[it.in1] * b[it.in2], p->act_min_f, p->act_max_f);
        }
    } else if (in1->type == TML_INT32) {
        const int32_t *a = (const int32_t *)in1->data, *b = (const int32_t *)in2->data;
        int32_t *y = (int32_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            int32_t product = (int32_t)((uint32_t)a[it.in1] * (uint32_t)b[it.in2]);
            y[it.out] = tml_clamp_i32(product, p->act_min, p->act_max);
        }
    } else if (in1->type == TML_INT8) {
        const int8_t *a = (const int8_t *)in1->data, *b = (const int8_t *)in2->data;
        int8_t *y = (int8_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            const int32_t product = (p->input1_offset + a[it.in1]) * (p->input2_offset + b[it.in2]);
            const int32_t raw = tml_mbqm(product, p->output_multiplier, p->output_shift) + p->output_offset;
            y[it.out] = (int8_t)tml_clamp_i32(raw, p->act_min, p->act_max);
        }
    } else {
        const int16_t *a = (const int16_t *)in1->data, *b = (const int16_t *)in2->data;
        int16_t *y = (int16_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            /* The product of two int16 can reach 2^30: still an int32. */
            const int32_t product = (p->input1_offset + a[it.in1]) * (p->input2_offset + b[it.in2]);
            const int32_t raw = tml_mbqm(product, p->output_multiplier, p->output_shift) + p->output_offset;
            y[it.out] = (int16_t)tml_clamp_i32(raw, p->act_min, p->act_max);
        }
    }
    (void)m;
    return TML_OK;
}

const tml_kernel tml_kernel_MUL = {
    .name = "MUL",
    .builtin = 18,
    .max_version = 4, /* v2: int8, v3: rescale >= 1, v4: int16; v5+ (int64, complex, unquantized int16) not supported */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32,
    .params_size = sizeof(mul_params),
    .prepare = mul_prepare,
    .eval = mul_eval,
};
