/*
 * ADD with broadcasting (TFLM reference_ops::Add / BroadcastAdd6DSlow and
 * reference_integer_ops::AddFunc).
 *
 * int8 / int16: both inputs are rescaled onto a common scale (twice the
 * larger input scale, computed in double) with 20 bits of headroom (15 for
 * int16), added, and the sum rescaled to the output; each step is one
 * MultiplyByQuantizedMultiplier (shift <= 0). TFLM Micro always takes this
 * general path for int16 (it ignores AddOptions.pot_scale_int16).
 * float32: a + b, clamped to the fused activation's range.
 * int32: a + b (wrapping), no activation, as TFLM.
 */
#include "broadcast.h"

typedef struct {
    tml_bcast bcast;
    tml_rescaled_pair q; /* int8 / int16 */
    float act_min_f, act_max_f;
} add_params;

enum { OPT_ACTIVATION = 0 }; /* AddOptions.fused_activation_function */

static tml_status add_prepare(tml_model *m, tml_node *node) {
    add_params *p = (add_params *)node->params;
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
        return TML_OK;
    }

    return tml_rescaled_pair_prepare_add_sub(m, &p->q, in1, in2, out, activation);
}

static tml_status add_eval(tml_model *m, tml_node *node) {
    const add_params *p = (const add_params *)node->params;
    const tml_tensor *in1 = tml_node_input(m, node, 0);
    const tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(out);
    tml_bcast_iter it;
    tml_bcast_begin(&it);
    switch (in1->type) {
    case TML_FLOAT32: {
        const float *a = (const float *)in1->data, *b = (const float *)in2->data;
        float *y = (float *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            y[it.out] = tml_clamp_f32(a[it.in1] + b[it.in2], p->act_min_f, p->act_max_f);
        }
        break;
    }
    case TML_INT32: {
        const int32_t *a = (const int32_t *)in1->data, *b = (const int32_t *)in2->data;
        int32_t *y = (int32_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            y[it.out] = (int32_t)((uint32_t)a[it.in1] + (uint32_t)b[it.in2]);
        }
        break;
    }
    case TML_INT8: {
        const int8_t *a = (const int8_t *)in1->data, *b = (const int8_t *)in2->data;
        int8_t *y = (int8_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            y[it.out] = (int8_t)tml_rescaled_pair_add_sub(&p->q, a[it.in1], b[it.in2], false);
        }
        break;
    }
    default: {
        const int16_t *a = (const int16_t *)in1->data, *b = (const int16_t *)in2->data;
        int16_t *y = (int16_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            y[it.out] = (int16_t)tml_rescaled_pair_add_sub(&p->q, a[it.in1], b[it.in2], false);
        }
        break;
    }
    }
    (void)m;
    return TML_OK;
}

const tml_kernel tml_kernel_ADD = {
    .name = "ADD",
    .builtin = 0,
    .max_version = 3, /* v2: int8, v3: int16; v4 (int64) and v5 (unquantized int16) are not supported */
    .params_size = sizeof(add_params),
    .prepare = add_prepare,
    .eval = add_eval,
};
