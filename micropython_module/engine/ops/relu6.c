/*
 * RELU6 (TFLM micro/kernels/activations.cc).
 *
 * float32: min(max(x, 0), 6).
 * int8 / int16: the stored value clamped to [zero, six], where zero is the
 * input zero point and six = round(6 / in_scale) + zero point (in float32,
 * clamped to the type). There is no rescaling: TFLM ignores the output's
 * quantization, so it is expected to equal the input's.
 */
#include "tml_quant.h"
#include "unary.h"

typedef struct {
    int32_t zero, six;
} relu6_params;

static tml_status relu6_prepare(tml_model *m, tml_node *node) {
    relu6_params *p = (relu6_params *)node->params;
    tml_status status = tml_unary_check(m, node, TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) |
        TML_TYPE_BIT(TML_INT16), "float32, int8, int16");
    const tml_tensor *in = tml_node_input(m, node, 0);
    if (status != TML_OK || in->type == TML_FLOAT32) {
        return status;
    }
    if ((status = tml_unary_check_quantized(m, node)) != TML_OK) {
        return status;
    }
    int32_t lo, hi;
    tml_int_type_range(in->type, &lo, &hi);
    /* TFLM FloatToQuantizedType: round(6 / scale) + zero point, clamped. The
     * quotient is bounded first so that the conversion is defined. */
    float six = tml_roundf(6.0f / in->scale);
    six = six > 65536.0f ? 65536.0f : six;
    p->zero = in->zero_point;
    p->six = tml_clamp_i32((int32_t)six + in->zero_point, lo, hi);
    return TML_OK;
}

static tml_status relu6_eval(tml_model *m, tml_node *node) {
    const relu6_params *p = (const relu6_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    (void)m;
    if (in->type == TML_FLOAT32) {
        const float *x = (const float *)in->data;
        float *y = (float *)out->data;
        for (int32_t i = 0; i < n; i++) {
            y[i] = x[i] > 6.0f ? 6.0f : (x[i] < 0.0f ? 0.0f : x[i]);
        }
        return TML_OK;
    }
    for (int32_t i = 0; i < n; i++) {
        const int32_t x = tml_load_int(in->data, in->type, i);
        tml_store_int(out->data, out->type, i, x > p->six ? p->six : (x < p->zero ? p->zero : x));
    }
    return TML_OK;
}

const tml_kernel tml_kernel_RELU6 = {
    .name = "RELU6",
    .builtin = 21,
    .max_version = 3, /* v2: int8, v3: int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(relu6_params),
    .prepare = relu6_prepare,
    .eval = relu6_eval,
};
