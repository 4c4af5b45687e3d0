/*
 * RSQRT (TFLM micro/kernels/elementwise.cc): 1 / sqrt(x) for float32, as
 * TFLM's 1.f / std::sqrt(f): a correctly rounded sqrtf (tml_math_extra.h)
 * and a float division. int8 (v2) is not supported yet.
 */
#include "tml_math_extra.h"
#include "unary.h"

static tml_status rsqrt_prepare(tml_model *m, tml_node *node) {
    return tml_unary_check(m, node, TML_TYPE_BIT(TML_FLOAT32), "float32");
}

static tml_status rsqrt_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    const float *x = (const float *)in->data;
    float *y = (float *)out->data;
    (void)m;
    for (int32_t i = 0; i < n; i++) {
        y[i] = 1.0f / tml_sqrtf(x[i]);
    }
    return TML_OK;
}

const tml_kernel tml_kernel_RSQRT = {
    .name = "RSQRT",
    .builtin = 76,
    .max_version = 1, /* v2 (int8) is not supported yet */
    .params_size = 0,
    .prepare = rsqrt_prepare,
    .eval = rsqrt_eval,
};
