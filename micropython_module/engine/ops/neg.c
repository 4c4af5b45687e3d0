/*
 * NEG (TFLM micro/kernels/neg.cc): -x, for float32 only (as TFLM). Negation
 * flips the sign bit, also of zeros and NaNs.
 */
#include "unary.h"

static tml_status neg_prepare(tml_model *m, tml_node *node) {
    return tml_unary_check(m, node, TML_TYPE_BIT(TML_FLOAT32), "float32");
}

static tml_status neg_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    const float *x = (const float *)in->data;
    float *y = (float *)out->data;
    (void)m;
    for (int32_t i = 0; i < n; i++) {
        y[i] = -x[i];
    }
    return TML_OK;
}

const tml_kernel tml_kernel_NEG = {
    .name = "NEG",
    .builtin = 59,
    .max_version = 1,
    .types = TML_TYPE_BIT(TML_FLOAT32),
    .params_size = 0,
    .prepare = neg_prepare,
    .eval = neg_eval,
};
