/*
 * DIV with broadcasting (TFLM micro/kernels/div.cc, reference_ops::Div /
 * BroadcastDivSlow).
 *
 * float32: a / b, clamped to the fused activation's range.
 * int32 (unquantized only, as TFLM): a / b truncated toward zero (C
 * division), clamped. TFLM's process dies on a zero divisor (and on
 * INT32_MIN / -1); we do not: those give 0 and INT32_MIN (the wrapped
 * quotient), so a bad input can never stop the device.
 * Quantized int8 DIV is not supported.
 */
#include "broadcast.h"

typedef struct {
    tml_bcast bcast;
    int32_t act_min, act_max;
    float act_min_f, act_max_f;
} div_params;

enum { OPT_ACTIVATION = 0 }; /* DivOptions.fused_activation_function */

static tml_status div_prepare(tml_model *m, tml_node *node) {
    div_params *p = (div_params *)node->params;
    tml_tensor *in1 = tml_node_input(m, node, 0);
    tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 2 || node->num_outputs != 1 || in1 == NULL || in2 == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 2 inputs and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in1->type != TML_FLOAT32 && in1->type != TML_INT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32, int32 are)",
            tml_dtype_name(in1->type));
    }
    tml_status st = tml_binary_check_types(m, in1, in2, out);
    if (st == TML_OK) {
        st = tml_bcast_prepare(m, &p->bcast, in1, in2, out);
    }
    if (st != TML_OK) {
        return st;
    }
    if (in1->type == TML_INT32 && (in1->num_channels != 0 || in2->num_channels != 0)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "quantized int32 inputs not supported (TFLM requires none)");
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    const int activation = tml_fb_i8(&fb, &opt, OPT_ACTIVATION, TML_ACT_NONE);
    if (activation > TML_ACT_RELU6) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "fused activation %d not supported (NONE, RELU, RELU_N1_TO_1, RELU6 are)",
            activation);
    }
    tml_activation_range_float(activation, &p->act_min_f, &p->act_max_f);
    tml_activation_range_int32(activation, &p->act_min, &p->act_max);
    return TML_OK;
}

static int32_t divide_i32(int32_t a, int32_t b) {
    if (b == 0) {
        return 0;
    }
    if (b == -1) {
        return (int32_t)(0u - (uint32_t)a); /* INT32_MIN / -1 wraps to INT32_MIN */
    }
    return a / b;
}

static tml_status div_eval(tml_model *m, tml_node *node) {
    const div_params *p = (const div_params *)node->params;
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
            y[it.out] = tml_clamp_f32(a[it.in1] / b[it.in2], p->act_min_f, p->act_max_f);
        }
    } else {
        const int32_t *a = (const int32_t *)in1->data, *b = (const int32_t *)in2->data;
        int32_t *y = (int32_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            y[it.out] = tml_clamp_i32(divide_i32(a[it.in1], b[it.in2]), p->act_min, p->act_max);
        }
    }
    (void)m;
    return TML_OK;
}

const tml_kernel tml_kernel_DIV = {
    .name = "DIV",
    .builtin = 42,
    .max_version = 1, /* v2 (int8) not supported */
    .types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT32),
    .params_size = sizeof(div_params),
    .prepare = div_prepare,
    .eval = div_eval,
};
