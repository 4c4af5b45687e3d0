/*
 * TANH (TFLM micro/kernels/tanh.cc).
 *
 * float32: the C library's tanhf (fdlibm's, tml_math_extra.h).
 * int8: gemmlowp fixed point: the input in Q4.27 (sigmoid.h); for n = -|x|,
 * tanh(|x|) = (1 - exp(2n)) / (1 + exp(2n)) by Newton-Raphson division in
 * Q2.29, in Q0.31, negated for negative x (0 at 0); then RoundingDivideByPOT
 * by 2^24, clamped: output scale 1/128 with zero point 0 implied.
 * int16: output scale 2^-15, zero points 0. tanh(x) = 2 sigmoid(2x) - 1 from
 * TFLM's sigmoid table, indexed by |x| in units of 1/(3 * 4096) * 2^8 and
 * interpolated over the low 8 bits; mirrored for negative x.
 */
#include "sigmoid.h"

/* gemmlowp one_minus_x_over_one_plus_x_for_x_in_0_1: (1 - a) / (1 + a), Q0.31. */
static int32_t tanh_one_minus_x_over_one_plus_x(int32_t a) {
    const int32_t constant_48_over_17 = 1515870810;      /* Q2.29 */
    const int32_t constant_neg_32_over_17 = -1010580540; /* Q2.29 */
    const int32_t one_q2 = (int32_t)1 << 29;
    const int32_t half_denominator = tml_fp_rounding_half_sum(a, INT32_MAX);
    int32_t x = constant_48_over_17 + tml_srdhm(half_denominator, constant_neg_32_over_17);
    for (int i = 0; i < 3; i++) {
        const int32_t one_minus_half_denominator_times_x = one_q2 - tml_srdhm(half_denominator, x);
        x = x + tml_fp_rescale(tml_srdhm(x, one_minus_half_denominator_times_x), 4, 2);
    }
    return tml_fp_rescale(x - one_q2, 2, 0); /* 2 / (1 + a) - 1 */
}

/* gemmlowp tanh for a Q4.27 input; Q0.31 result. */
static int32_t tanh_q4_to_q0(int32_t a) {
    if (a == 0) {
        return 0;
    }
    const int32_t n = a < 0 ? a : -a;
    /* exp(2n): the same raw read with 5 integer bits is 2n. */
    const int32_t t = tanh_one_minus_x_over_one_plus_x(tml_fp_exp_on_negative_values(n, 5));
    return a < 0 ? -t : t;
}

static int8_t tanh_int8(const tml_sigmoid_params *p, int8_t x) {
    const int32_t input = (int32_t)x - p->input_zero_point;
    if (input <= -p->input_range_radius) {
        return INT8_MIN;
    }
    if (input >= p->input_range_radius) {
        return INT8_MAX;
    }
    const int32_t input_q4 = tml_mbqm(input, p->input_multiplier, p->input_left_shift);
    return (int8_t)tml_clamp_i32(tml_rdbp(tanh_q4_to_q0(input_q4), 31 - 7), INT8_MIN, INT8_MAX);
}

static int16_t tanh_int16(const tml_sigmoid_params *p, int16_t x) {
    return tml_tanh_q15(tml_sigmoid_int16_input(p, x));
}

static tml_status tanh_prepare(tml_model *m, tml_node *node) {
    return tml_sigmoid_prepare(m, node, 1);
}

static tml_status tanh_eval(tml_model *m, tml_node *node) {
    const tml_sigmoid_params *p = (const tml_sigmoid_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    (void)m;
    if (in->type == TML_FLOAT32) {
        const float *x = (const float *)in->data;
        float *y = (float *)out->data;
        for (int32_t i = 0; i < n; i++) {
            y[i] = tml_tanhf(x[i]);
        }
    } else if (in->type == TML_INT8) {
        const int8_t *x = (const int8_t *)in->data;
        int8_t *y = (int8_t *)out->data;
        for (int32_t i = 0; i < n; i++) {
            y[i] = tanh_int8(p, x[i]);
        }
    } else {
        const int16_t *x = (const int16_t *)in->data;
        int16_t *y = (int16_t *)out->data;
        for (int32_t i = 0; i < n; i++) {
            y[i] = tanh_int16(p, x[i]);
        }
    }
    return TML_OK;
}

const tml_kernel tml_kernel_TANH = {
    .name = "TANH",
    .builtin = 28,
    .max_version = 3, /* v2: int8, v3: int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(tml_sigmoid_params),
    .prepare = tanh_prepare,
    .eval = tanh_eval,
};
