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

static tml_status sub_prepare(tml_model *m, tml_node *node) {
    return tml_add_sub_prepare(m, node, true);
}

static tml_status sub_eval(tml_model *m, tml_node *node) {
    const tml_add_sub_params *p = (const tml_add_sub_params *)node->params;
    const tml_tensor *in1 = tml_node_input(m, node, 0);
    const tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(out);
    const bool same_shape = tml_numel(in1) == n && tml_numel(in2) == n; /* no broadcasting */
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
        TML_ADD_SUB_LOOP(int8_t, p, a, b, y, n, same_shape, true);
        break;
    }
    default: {
        const int16_t *a = (const int16_t *)in1->data, *b = (const int16_t *)in2->data;
        int16_t *y = (int16_t *)out->data;
        TML_ADD_SUB_LOOP(int16_t, p, a, b, y, n, same_shape, true);
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
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32,
    .params_size = sizeof(tml_add_sub_params),
    .prepare = sub_prepare,
    .eval = sub_eval,
};
