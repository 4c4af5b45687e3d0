/*
 * RSQRT (TFLM micro/kernels/elementwise.cc): 1 / sqrt(x).
 * float32: TFLM's 1.f / std::sqrt(f): a correctly rounded sqrtf
 * (tml_math_extra.h) and a float division.
 * int8: TFLM's fixed-point form. v = x - zp_in must be >= 0 (TFLM fails the
 * invoke otherwise, and so does this kernel); v = 0 gives 127. Otherwise
 * 1 / sqrt(v) comes from gemmlowp's Newton-Raphson inverse square root
 * (GetInvSqrtQuantizedMultiplierExp) as a multiplier and shift, is turned
 * into an integer with 20 bits of headroom, and rescaled by
 * 1 / (sqrt(in_s) * out_s) (sqrt and product in float32, the reciprocal in
 * double, as TFLM), + zp_out, clamped to int8.
 */
#include "../tml_fixedpoint.h"
#include "tml_math_extra.h"
#include "unary.h"

typedef struct {
    int32_t input_zero_point, output_zero_point;
    int32_t multiplier;
    int32_t shift;
} rsqrt_params;

enum { HEADROOM_BITS = 20 }; /* TFLM's kShift: keeps the inverse square root an integer */

static tml_status rsqrt_prepare(tml_model *m, tml_node *node) {
    tml_status st = tml_unary_check(m, node, TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8), "float32, int8");
    const tml_tensor *in = tml_node_input(m, node, 0);
    if (st != TML_OK || in->type == TML_FLOAT32) {
        return st;
    }
    st = tml_unary_check_quantized(m, node);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *out = tml_node_output(m, node, 0);
    rsqrt_params *p = (rsqrt_params *)node->params;
    const float denominator = tml_sqrtf(in->scale) * out->scale; /* float32, as TFLM */
    int shift;
    tml_quantize_multiplier(1.0 / (double)denominator, &p->multiplier, &shift);
    /* The rescale shifts right by 20 - shift: more than 31 would leave no bits. */
    if (shift < HEADROOM_BITS - 31 || shift > 31) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input scale %f and output scale %f out of range",
            (double)in->scale, (double)out->scale);
    }
    p->shift = shift;
    p->input_zero_point = in->zero_point;
    p->output_zero_point = out->zero_point;
    return TML_OK;
}

/* gemmlowp/TFLM GetInvSqrtQuantizedMultiplierExp for 2 <= x < 2^29, as a
 * multiplier and a left shift (TFLM's reverse_shift -1): x is normalised to
 * [2^27, 2^29), five Newton-Raphson steps x <- 1.5 x - (v / 2) x^3 run in Q3.28
 * from 1, and the result is scaled by sqrt(2) / 2. */
static void inv_sqrt_multiplier(int32_t x, int32_t *multiplier, int *left_shift) {
    int shift = 11;
    const int pairs = (tml_clz32((uint32_t)x) - 1) / 2 - 1;
    shift -= pairs;
    x <<= 2 * pairs;
    const int32_t half_input = tml_rdbp(x >> 1, 1);  /* Q3.28 of x/2 */
    const int32_t half_three = (1 << 28) + (1 << 27); /* 1.5 in Q3.28 */
    int32_t y = 1 << 28;                              /* 1.0 in Q3.28 */
    for (int i = 0; i < 5; i++) {
        const int32_t y3 = tml_fp_rescale(tml_srdhm(tml_srdhm(y, y), y), 9, 3);
        const int32_t diff = (int32_t)((uint32_t)tml_srdhm(half_three, y) - (uint32_t)tml_srdhm(half_input, y3));
        y = tml_fp_rescale(diff, 6, 3);
    }
    y = tml_srdhm(y, 1518500250); /* sqrt(2) / 2 in Q0.31 */
    if (shift < 0) {
        y = (int32_t)((uint32_t)y << -shift);
        shift = 0;
    }
    *multiplier = y;
    *left_shift = -shift;
}

static int8_t rsqrt_int8(const rsqrt_params *p, int32_t value) {
    if (value == 0) {
        return 127; /* TFLM: a value near 0 stands for the largest output */
    }
    int32_t inv_multiplier = INT32_MAX; /* TFLM's answer for value 1 */
    int inv_shift = 0;
    if (value > 1) {
        inv_sqrt_multiplier(value, &inv_multiplier, &inv_shift);
    }
    const int32_t inverse = tml_mbqm(1, inv_multiplier, inv_shift + HEADROOM_BITS);
    const int32_t scaled = tml_mbqm(inverse, p->multiplier, p->shift - HEADROOM_BITS) + p->output_zero_point;
    return (int8_t)tml_clamp_i32(scaled, -128, 127);
}

static tml_status rsqrt_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    if (in->type == TML_FLOAT32) {
        const float *x = (const float *)in->data;
        float *y = (float *)out->data;
        for (int32_t i = 0; i < n; i++) {
            y[i] = 1.0f / tml_sqrtf(x[i]);
        }
        return TML_OK;
    }
    const rsqrt_params *p = (const rsqrt_params *)node->params;
    const int8_t *x = (const int8_t *)in->data;
    int8_t *y = (int8_t *)out->data;
    for (int32_t i = 0; i < n; i++) {
        if (x[i] < p->input_zero_point) {
            return tml_fail(m, TML_ERR_RUNTIME, "input %d is below the zero point %d: negative",
                (int)x[i], (int)p->input_zero_point);
        }
        y[i] = rsqrt_int8(p, (int32_t)x[i] - p->input_zero_point);
    }
    return TML_OK;
}

const tml_kernel tml_kernel_RSQRT = {
    .name = "RSQRT",
    .builtin = 76,
    .max_version = 2, /* v2: int8 */
    .types = TML_TYPES_FLOAT_INT8,
    .params_size = sizeof(rsqrt_params),
    .prepare = rsqrt_prepare,
    .eval = rsqrt_eval,
};
