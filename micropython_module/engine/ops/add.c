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

static tml_status add_prepare(tml_model *m, tml_node *node) {
    return tml_add_sub_prepare(m, node, false);
}

static tml_status add_eval(tml_model *m, tml_node *node) {
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
        TML_ADD_SUB_LOOP(int8_t, p, a, b, y, n, same_shape, false);
        break;
    }
    default: {
        const int16_t *a = (const int16_t *)in1->data, *b = (const int16_t *)in2->data;
        int16_t *y = (int16_t *)out->data;
        TML_ADD_SUB_LOOP(int16_t, p, a, b, y, n, same_shape, false);
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
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32,
    .params_size = sizeof(tml_add_sub_params),
    .prepare = add_prepare,
    .eval = add_eval,
};
