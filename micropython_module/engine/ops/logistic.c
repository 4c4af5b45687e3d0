/*
 * LOGISTIC: 1 / (1 + exp(-x)) (TFLM micro/kernels/logistic.cc).
 *
 * float32: TFLM's reference formula: 1 above 16.619047..., exp(x) below -9,
 * else 1 / (1 + exp(-x)), with the C library's expf (tml_expf).
 * int8: output scale 1/256, zero point -128. gemmlowp fixed point: the input
 * in Q4.27 (sigmoid.h), logistic of |x| as 1 / (1 + exp(-|x|)) in Q0.31
 * (mirrored as 1 - y for negative x; exactly 1/2 at 0), then
 * RoundingDivideByPOT by 2^23 and -128.
 * int16: output scale 2^-15, zero points 0. TFLM's table of sigmoid(i / 24)
 * (tml_math_extra.h), indexed by |x| in units of 1/(3 * 4096) * 2^9 and
 * interpolated linearly over the low 9 bits; mirrored for negative x.
 */
#include "sigmoid.h"
#include "tml_math.h"

/* gemmlowp logistic for a Q4.27 input; Q0.31 result. */
static int32_t logistic_q4_to_q0(int32_t a) {
    if (a == 0) {
        return 1 << 30; /* 1/2 */
    }
    const int32_t abs_a = a > 0 ? a : -a;
    const int32_t positive = tml_fp_one_over_one_plus_x_for_x_in_0_1(
        tml_fp_exp_on_negative_values(-abs_a, TML_SIGMOID_INPUT_INTEGER_BITS));
    return a > 0 ? positive : INT32_MAX - positive; /* One() - y, One() being INT32_MAX in Q0.31 */
}

static int8_t logistic_int8(const tml_sigmoid_params *p, int8_t x) {
    const int32_t input = (int32_t)x - p->input_zero_point;
    if (input <= -p->input_range_radius) {
        return INT8_MIN;
    }
    if (input >= p->input_range_radius) {
        return INT8_MAX;
    }
    const int32_t input_q4 = tml_mbqm(input, p->input_multiplier, p->input_left_shift);
    const int32_t output = tml_rdbp(logistic_q4_to_q0(input_q4), 31 - 8) - 128;
    return (int8_t)tml_clamp_i32(output, INT8_MIN, INT8_MAX);
}

static int16_t logistic_int16(const tml_sigmoid_params *p, int16_t x) {
    return tml_sigmoid_q15(tml_sigmoid_int16_input(p, x));
}

static tml_status logistic_prepare(tml_model *m, tml_node *node) {
    tml_status status = tml_sigmoid_prepare(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if (status == TML_OK && out->type == TML_INT8 && out->zero_point != -128) {
        return tml_fail(m, TML_ERR_MODEL, "int8 output zero point must be -128, is %d", out->zero_point);
    }
    return status;
}

static tml_status logistic_eval(tml_model *m, tml_node *node) {
    const tml_sigmoid_params *p = (const tml_sigmoid_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    (void)m;
    if (in->type == TML_FLOAT32) {
        const float *x = (const float *)in->data;
        float *y = (float *)out->data;
        for (int32_t i = 0; i < n; i++) {
            const float v = x[i];
            y[i] = v > 16.619047164916992188f ? 1.0f : (v < -9.0f ? tml_expf(v) : 1.0f / (1.0f + tml_expf(-v)));
        }
    } else if (in->type == TML_INT8) {
        const int8_t *x = (const int8_t *)in->data;
        int8_t *y = (int8_t *)out->data;
        for (int32_t i = 0; i < n; i++) {
            y[i] = logistic_int8(p, x[i]);
        }
    } else {
        const int16_t *x = (const int16_t *)in->data;
        int16_t *y = (int16_t *)out->data;
        for (int32_t i = 0; i < n; i++) {
            y[i] = logistic_int16(p, x[i]);
        }
    }
    return TML_OK;
}

const tml_kernel tml_kernel_LOGISTIC = {
    .name = "LOGISTIC",
    .builtin = 14,
    .max_version = 3, /* v2: int8, v3: int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(tml_sigmoid_params),
    .prepare = logistic_prepare,
    .eval = logistic_eval,
};
