/*
 * gemmlowp fixed-point arithmetic, as TFLM's integer SOFTMAX uses it.
 *
 * A fixed-point number with I integer bits is an int32 `raw` standing for
 * raw / 2^(31 - I) ("Q I.(31-I)"). Multiplying two of them is a
 * SaturatingRoundingDoublingHighMul of the raws, and the integer bits add up;
 * changing the number of integer bits is a saturating (left) or rounding
 * (right) shift. Every function below reproduces the gemmlowp function of the
 * same name bit for bit, for 32-bit raws; the integer-bit counts that gemmlowp
 * carries in template parameters are function arguments or fixed here.
 */
#ifndef TML_FIXEDPOINT_H
#define TML_FIXEDPOINT_H

#include <stdint.h>

#include "tml_quant.h"

/* gemmlowp SaturatingRoundingMultiplyByPOT<exponent>: x * 2^exponent,
 * saturating to the int32 range when exponent > 0, rounding half away from
 * zero when exponent < 0. */
static inline int32_t tml_fp_mul_pot(int32_t x, int exponent) {
    if (exponent > 0) {
        int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
        if (x > threshold) {
            return INT32_MAX;
        }
        if (x < -threshold) {
            return INT32_MIN;
        }
        return (int32_t)((uint32_t)x << exponent);
    }
    if (exponent < 0) {
        return tml_rdbp(x, -exponent);
    }
    return x;
}

/* gemmlowp Rescale: a number with `src_bits` integer bits re-expressed with
 * `dst_bits` integer bits. */
static inline int32_t tml_fp_rescale(int32_t raw, int src_bits, int dst_bits) {
    return tml_fp_mul_pot(raw, src_bits - dst_bits);
}

/* gemmlowp RoundingHalfSum for int32: (a + b) / 2, rounding half away from 0. */
static inline int32_t tml_fp_rounding_half_sum(int32_t a, int32_t b) {
    int64_t sum = (int64_t)a + (int64_t)b;
    int64_t sign = sum >= 0 ? 1 : -1;
    return (int32_t)((sum + sign) / 2);
}

/* exp(a) for a in [-1/4, 0), a and the result in Q0.31 (gemmlowp
 * exp_on_interval_between_negative_one_quarter_and_0_excl): a 4th-order
 * Taylor expansion around -1/8. */
static inline int32_t tml_fp_exp_on_interval_between_negative_one_quarter_and_0_excl(int32_t a) {
    const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0.31 */
    const int32_t one_third = 715827883;             /* 1/3 in Q0.31 */
    int32_t x = a + (1 << 28);                       /* a + 1/8 */
    int32_t x2 = tml_srdhm(x, x);
    int32_t x3 = tml_srdhm(x2, x);
    int32_t x4 = tml_srdhm(x2, x2);
    int32_t x4_over_4 = tml_fp_mul_pot(x4, -2);
    int32_t x4_over_24_plus_x3_over_6_plus_x2_over_2 =
        tml_fp_mul_pot(tml_srdhm(x4_over_4 + x3, one_third) + x2, -1);
    return exp_minus_one_eighth + tml_srdhm(exp_minus_one_eighth, x + x4_over_24_plus_x3_over_6_plus_x2_over_2);
}

/* exp(a) for a <= 0 given with `integer_bits` integer bits; the result is in
 * Q0.31 (gemmlowp exp_on_negative_values). The input is split into its
 * remainder modulo 1/4, handled by the polynomial, and its multiple of 1/4,
 * handled by multiplying in exp(-2^k) for each set bit k ("barrel shifter"). */
static inline int32_t tml_fp_exp_on_negative_values(int32_t a, int integer_bits) {
    /* exp(-2^k) in Q0.31 for k = -2 .. 4. */
    static const int32_t exp_minus_pot[7] = {1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
    const int fractional_bits = 31 - integer_bits;
    const int32_t one_quarter = (int32_t)1 << (fractional_bits - 2);
    const int32_t mask = one_quarter - 1;
    int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
    int32_t result = tml_fp_exp_on_interval_between_negative_one_quarter_and_0_excl(
        tml_fp_rescale(a_mod_quarter_minus_one_quarter, integer_bits, 0));
    int32_t remainder = a_mod_quarter_minus_one_quarter - a;
    for (int k = -2; k <= 4; k++) {
        if (integer_bits > k) {
            int shift = fractional_bits + k;
            if (remainder & ((int32_t)1 << shift)) {
                result = tml_srdhm(result, exp_minus_pot[k + 2]);
            }
        }
    }
    if (integer_bits > 5) {
        /* Below -32 the result is zero. */
        const int32_t minus_32 = -((int32_t)1 << (36 - integer_bits));
        if (a < minus_32) {
            result = 0;
        }
    }
    if (a == 0) {
        result = INT32_MAX; /* One() in Q0.31 */
    }
    return result;
}

/* 1 / (1 + a) for a in [0, 1), a and the result in Q0.31 (gemmlowp
 * one_over_one_plus_x_for_x_in_0_1): Newton-Raphson division, in Q2.29. */
static inline int32_t tml_fp_one_over_one_plus_x_for_x_in_0_1(int32_t a) {
    const int32_t constant_48_over_17 = 1515870810;      /* Q2.29 */
    const int32_t constant_neg_32_over_17 = -1010580540; /* Q2.29 */
    const int32_t one_q2 = (int32_t)1 << 29;
    int32_t half_denominator = tml_fp_rounding_half_sum(a, INT32_MAX);
    int32_t x = constant_48_over_17 + tml_srdhm(half_denominator, constant_neg_32_over_17);
    for (int i = 0; i < 3; i++) {
        int32_t half_denominator_times_x = tml_srdhm(half_denominator, x);
        int32_t one_minus_half_denominator_times_x = one_q2 - half_denominator_times_x;
        /* Q2 * Q2 = Q4, rescaled back to Q2. */
        x = x + tml_fp_rescale(tml_srdhm(x, one_minus_half_denominator_times_x), 4, 2);
    }
    /* x / 2 exactly (Q2 -> Q1 by reinterpretation), then Q1 -> Q0. */
    return tml_fp_rescale(x, 1, 0);
}

/* Count of leading zero bits of a 32-bit value (32 for 0). */
static inline int tml_clz32(uint32_t x) {
    int n = 0;
    if (x == 0) {
        return 32;
    }
    while ((x & 0x80000000u) == 0) {
        x <<= 1;
        n++;
    }
    return n;
}

/* TFLM GetReciprocal: for x > 0 with `x_integer_digits` integer bits, returns
 * 1/x as a Q0.31 raw scaled by 2^-num_bits_over_unit. */
static inline int32_t tml_fp_get_reciprocal(int32_t x, int x_integer_digits, int *num_bits_over_unit) {
    int headroom_plus_one = tml_clz32((uint32_t)x);
    *num_bits_over_unit = x_integer_digits - headroom_plus_one;
    int32_t shifted_sum_minus_one = (int32_t)(((uint32_t)x << headroom_plus_one) - ((uint32_t)1 << 31));
    return tml_fp_one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one);
}

/* TFLM CalculateInputRadius: the largest input difference whose rescaled value
 * (by 2^input_left_shift) still fits in Q input_integer_bits . (total - bits).
 * TFLM computes it in double and floors; every term is a power of two times a
 * small integer, so the integer computation below is the same number. */
static inline int32_t tml_fp_calculate_input_radius(int input_integer_bits, int input_left_shift, int total_signed_bits) {
    int64_t max_input_rescaled = (((int64_t)1 << input_integer_bits) - 1)
                                 << (total_signed_bits - input_integer_bits);
    return (int32_t)(max_input_rescaled >> input_left_shift);
}

#endif /* TML_FIXEDPOINT_H */
