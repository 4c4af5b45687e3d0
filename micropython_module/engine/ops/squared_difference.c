/*
 * SQUARED_DIFFERENCE with broadcasting: (a - b)^2 (TFLM
 * micro/kernels/squared_difference.cc).
 *
 * int8 / int16: both inputs are rescaled onto a common scale as for ADD
 * (broadcast.h, tml_rescaled_pair; 7 bits of headroom for int8, none for
 * int16), subtracted, squared in int32, and the square rescaled to the output
 * with a general MultiplyByQuantizedMultiplier of
 * twice_max^2 / (2^(2 * left_shift) * out_scale), whose denominator TFLM
 * computes in float32. int16 needs zero points of 0. No fused activation:
 * the result is clamped to the type's range.
 * float32: d * d with d = a - b, in float. int32: the same, wrapping.
 */
#include "broadcast.h"

typedef struct {
    tml_bcast bcast;
    tml_rescaled_pair q;
} squared_difference_params;

static tml_status squared_difference_prepare(tml_model *m, tml_node *node) {
    squared_difference_params *p = (squared_difference_params *)node->params;
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
    if (status != TML_OK || (in1->type != TML_INT8 && in1->type != TML_INT16)) {
        return status;
    }
    if (in1->type == TML_INT16 && (in1->zero_point != 0 || in2->zero_point != 0 || out->zero_point != 0)) {
        return tml_fail(m, TML_ERR_MODEL, "int16 zero points must be 0, are %d, %d and %d", in1->zero_point,
            in2->zero_point, out->zero_point);
    }
    const int left_shift = in1->type == TML_INT16 ? 0 : 7;
    const double twice_max_input_scale = 2.0 * (double)(in1->scale > in2->scale ? in1->scale : in2->scale);
    tml_rescaled_pair_inputs(&p->q, in1, in2, left_shift);
    const double real_output_multiplier =
        twice_max_input_scale * twice_max_input_scale / (double)((float)(1 << (2 * left_shift)) * out->scale);
    int shift;
    tml_quantize_multiplier(real_output_multiplier, &p->q.output_multiplier, &shift);
    if (shift > 31) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "rescale factor %f is too large", real_output_multiplier);
    }
    p->q.output_shift = (int8_t)shift;
    p->q.output_offset = out->zero_point;
    tml_int_type_range(out->type, &p->q.act_min, &p->q.act_max);
    return TML_OK;
}

static int32_t squared_difference_quantized(const tml_rescaled_pair *q, int32_t x1, int32_t x2) {
    int32_t a, b;
    tml_rescaled_pair_apply(q, x1, x2, &a, &b);
    const int32_t difference = a - b; /* |difference| <= 2^15: its square fits an int32 */
    const int32_t raw = tml_mbqm(difference * difference, q->output_multiplier, q->output_shift) + q->output_offset;
    return tml_clamp_i32(raw, q->act_min, q->act_max);
}

static tml_status squared_difference_eval(tml_model *m, tml_node *node) {
    const squared_difference_params *p = (const squared_difference_params *)node->params;
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
            const float difference = a[it.in1] - b[it.in2];
            y[it.out] = difference * difference;
        }
        break;
    }
    case TML_INT32: {
        const int32_t *a = (const int32_t *)in1->data, *b = (const int32_t *)in2->data;
        int32_t *y = (int32_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            const uint32_t difference = (uint32_t)a[it.in1] - (uint32_t)b[it.in2];
            y[it.out] = (int32_t)(difference * difference);
        }
        break;
    }
    case TML_INT8: {
        const int8_t *a = (const int8_t *)in1->data, *b = (const int8_t *)in2->data;
        int8_t *y = (int8_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            y[it.out] = (int8_t)squared_difference_quantized(&p->q, a[it.in1], b[it.in2]);
        }
        break;
    }
    default: {
        const int16_t *a = (const int16_t *)in1->data, *b = (const int16_t *)in2->data;
        int16_t *y = (int16_t *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            y[it.out] = (int16_t)squared_difference_quantized(&p->q, a[it.in1], b[it.in2]);
        }
        break;
    }
    }
    (void)m;
    return TML_OK;
}

const tml_kernel tml_kernel_SQUARED_DIFFERENCE = {
    .name = "SQUARED_DIFFERENCE",
    .builtin = 99,
    .max_version = 2, /* v2: int8 (int16 runs at v1, as TFLite's versioning has no int16 entry) */
    .types = TML_TYPES_FLOAT_INT8_INT16_INT32,
    .params_size = sizeof(squared_difference_params),
    .prepare = squared_difference_prepare,
    .eval = squared_difference_eval,
};
