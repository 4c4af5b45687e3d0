/*
 * What LOGISTIC and TANH share (TFLM micro/kernels/logistic_common.cc and
 * tanh.cc prepare the same way).
 *
 * int8: the input less its zero point is scaled into gemmlowp's Q4.27 by a
 * multiplier from frexp(in_scale * 2^27): q = round(frac * 2^31) without
 * QuantizeMultiplier's q == 2^31 fix-up, shift = the exponent. Inputs
 * beyond the radius that Q4.27 can hold saturate the output directly.
 *
 * int16 (symmetric): the input is scaled to units of 1 / (3 * 4096) for
 * TFLM's sigmoid table: by 3 << shift when in_scale is 2^-(12 + shift)
 * (shift 0 for LOGISTIC; 0 or 1 for TANH), else by
 * (in_scale * 3 * 4096) * 2^shift truncated, with the shift that brings the
 * factor above 2^14 - 1/2, and a rounding right shift. The output scale must
 * be 2^-15. "Is a power of two" is TFLM's CheckedLog2 (within 1e-3 in log2).
 */
#ifndef TML_OPS_SIGMOID_H
#define TML_OPS_SIGMOID_H

#include "tml_fixedpoint.h"
#include "tml_math_extra.h"
#include "unary.h"

typedef struct {
    int32_t input_zero_point;
    int32_t input_range_radius; /* int8 */
    int32_t input_multiplier;
    int32_t input_left_shift;
} tml_sigmoid_params;

enum { TML_SIGMOID_INPUT_INTEGER_BITS = 4 }; /* int8: Q4.27 */

static inline tml_status tml_sigmoid_prepare_int8(tml_model *m, const tml_tensor *in, tml_sigmoid_params *p) {
    int exponent;
    const double frac = tml_frexp((double)in->scale * (double)(1 << (31 - TML_SIGMOID_INPUT_INTEGER_BITS)), &exponent);
    if (exponent < 0) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input scale %f is too small (below 2^-28)", (double)in->scale);
    }
    p->input_zero_point = in->zero_point;
    /* round(frac * 2^31) may be 2^31, which TFLM's int32 conversion wraps. */
    p->input_multiplier = (int32_t)(uint32_t)(int64_t)tml_round(frac * 2147483648.0);
    p->input_left_shift = exponent;
    p->input_range_radius = exponent > 62 ? 0
        : tml_fp_calculate_input_radius(TML_SIGMOID_INPUT_INTEGER_BITS, exponent > 31 ? 31 : exponent, 31);
    return TML_OK;
}

/* max_pot_shift: the largest power-of-two left shift used as is (0 for
 * LOGISTIC, 1 for TANH). */
static inline tml_status tml_sigmoid_prepare_int16(tml_model *m, const tml_tensor *in, const tml_tensor *out,
    int max_pot_shift, tml_sigmoid_params *p) {
    int log2_in, log2_out;
    const int pot = tml_checked_log2(in->scale, &log2_in);
    p->input_left_shift = (15 - 3) + log2_in;
    if (pot && p->input_left_shift >= 0 && p->input_left_shift <= max_pot_shift) {
        p->input_multiplier = 3 << p->input_left_shift;
        p->input_left_shift = 0;
    } else {
        double multiplier = (double)in->scale * 4096.0 * 3.0;
        p->input_left_shift = 0;
        while (multiplier <= 32767.0 / 2.0 && p->input_left_shift <= 30) {
            p->input_left_shift++;
            multiplier *= 2.0;
        }
        if (!(multiplier <= 32767.0)) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "int16 input scale %f is too large (at most 1/1.5 supported)",
                (double)in->scale);
        }
        p->input_multiplier = (int32_t)multiplier;
    }
    if (!tml_checked_log2(out->scale, &log2_out) || log2_out != -15) {
        return tml_fail(m, TML_ERR_MODEL, "int16 output scale must be 2^-15, is %f", (double)out->scale);
    }
    return TML_OK;
}

/* int16: the input in units of 1 / (3 * 4096), rounded. */
static inline int32_t tml_sigmoid_int16_input(const tml_sigmoid_params *p, int16_t x) {
    const int32_t round = p->input_left_shift > 0 ? (int32_t)1 << (p->input_left_shift - 1) : 0;
    return (x * p->input_multiplier + round) >> p->input_left_shift;
}

/* Prepare for both: types, quantization and the parameters above. */
static inline tml_status tml_sigmoid_prepare(tml_model *m, tml_node *node, int max_pot_shift) {
    tml_sigmoid_params *p = (tml_sigmoid_params *)node->params;
    tml_status status = tml_unary_check(m, node, TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) |
        TML_TYPE_BIT(TML_INT16), "float32, int8, int16");
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *out = tml_node_output(m, node, 0);
    if (status != TML_OK || in->type == TML_FLOAT32) {
        return status;
    }
    if ((status = tml_unary_check_quantized(m, node)) != TML_OK ||
        (status = tml_unary_check_int16_symmetric(m, node)) != TML_OK) {
        return status;
    }
    return in->type == TML_INT8 ? tml_sigmoid_prepare_int8(m, in, p)
                                : tml_sigmoid_prepare_int16(m, in, out, max_pot_shift, p);
}

/* TFLM's int16 sigmoid (reference_integer_ops::Logistic) of an input already
 * in units of 1 / (3 * 4096); Q0.15 result. Used by LOGISTIC and the LSTM. */
static inline int16_t tml_sigmoid_q15(int32_t input) {
    const uint32_t abs_input = (uint32_t)(input < 0 ? -input : input);
    const uint32_t index = abs_input >> 9;
    uint32_t result;
    if (index >= 255) {
        result = (uint32_t)0x7FFF << 10;
    } else {
        const uint32_t a = tml_sigmoid_q16[index], b = tml_sigmoid_q16[index + 1];
        result = (a << 9) + (abs_input & 0x1ffu) * (b - a);
    }
    result = input >= 0 ? result + (1u << 9) : (1u << 25) - result + (1u << 9) - 1u;
    return (int16_t)(result >> 10);
}

/* TFLM's int16 tanh (reference_integer_ops::Tanh), likewise. Used by TANH and the LSTM. */
static inline int16_t tml_tanh_q15(int32_t input) {
    const uint32_t abs_input = (uint32_t)(input < 0 ? -input : input);
    const uint32_t index = abs_input >> 8;
    int32_t result;
    if (index >= 255) {
        result = (int32_t)0xFFFF << 8;
    } else {
        const uint32_t a = tml_sigmoid_q16[index], b = tml_sigmoid_q16[index + 1];
        result = (int32_t)((a << 8) + (abs_input & 0xffu) * (b - a));
    }
    result = input >= 0 ? result - (1 << 23) + (1 << 7) : -result + (1 << 23) + (1 << 7) - 1;
    return (int16_t)(result >> 8);
}

#endif /* TML_OPS_SIGMOID_H */
