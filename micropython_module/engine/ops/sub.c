/*
 * SUB with broadcasting (TFLM reference_ops::Sub / BroadcastQuantSubSlow /
 * BroadcastSubSlow).
 *
 * int8 / int16: as ADD (broadcast.h, tml_rescaled_pair), with 20 bits of
 * headroom for int8 and 15 for int16, and the difference in place of the
 * sum. The multipliers are derived in double, as for ADD (some TFLM
 * versions derive SUB's in float32; the one we match does not: every int8
 * value pair with scales 0.03, 0.07 -> 0.06 tells them apart).
 * float32: a - b, clamped to the fused activation's range.
 * int32: a - b (wrapping), clamped to the fused activation's range.
 */
#include "broadcast.h"

typedef struct {
    tml_bcast bcast;
    tml_rescaled_pair q;  /* int8 / int16; act_min/act_max also for int32 */
    float act_min_f, act_max_f;
} sub_params;

enum { OPT_ACTIVATION = 0 }; /* SubOptions.fused_activation_function */

static tml_status sub_prepare(tml_model *m, tml_node *node) {
    sub_params *p = (sub_params *)node->params;
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
        tml_activation_range_int32(activation, &p->q.act_min, &p->q.act_max);
        return TML_OK;
    }

    return tml_rescaled_pair_prepare_add_sub(m, &p->q, in1, in2, out, activation);
}

static tml_status sub_eval(tml_model *m, tml_node *node) {
    const sub_params *p = (const sub_params *)node->params;
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
            y[it.out] = tml_clamp_f32(a[it.in1] - b[it.in2], p->act_min_f, p->act_max_f);
        }
        break;
    }
    case TML_INT32: {
        const int32_t *a = (const int32_t *)in1->data, *b = (const int32_t *)in2->data;
        int32_t *y = (int32_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            int32_t difference = (int32_t)((uint32_t)a[it.in1] - (uint32_t)b[it.in2]);
            y[it.out] = tml_clamp_i32(difference, p->q.act_min, p->q.act_max);
        }
        break;
    }
    case TML_INT8: {
        const int8_t *a = (const int8_t *)in1->data, *b = (const int8_t *)in2->data;
        int8_t *y = (int8_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            y[it.out] = (int8_t)tml_rescaled_pair_add_sub(&p->q, a[it.in1], b[it.in2], true);
        }
        break;
    }
    default: {
        const int16_t *a = (const int16_t *)in1->data, *b = (const int16_t *)in2->data;
        int16_t *y = (int16_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            y[it.out] = (int16_t)tml_rescaled_pair_add_sub(&p->q, a[it.in1], b[it.in2], true);
        }
        break;
    }
    }
    (void)m;
    return TML_OK;
}

const tml_kernel tml_kernel_SUB = {
    .name = "SUB",
    .builtin = 41,
    .max_version = 5, /* v2: int8, v3: 5-D/6-D broadcast, v5: int16; v4 (int64) is not supported */
    .params_size = sizeof(sub_params),
    .prepare = sub_prepare,
    .eval = sub_eval,
};
