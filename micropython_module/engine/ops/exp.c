/*
 * EXP (TFLM micro/kernels/exp.cc): float32 only, as TFLM;
 * each element through the C library's expf (tml_math.h), whose results tinyml reproduces bit for bit.
 */
#include "tml_math.h"
#include "unary.h"

static tml_status exp_prepare(tml_model *m, tml_node *node) {
    return tml_unary_check(m, node, TML_TYPE_BIT(TML_FLOAT32), "float32");
}

static tml_status exp_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    const float *x = (const float *)in->data;
    float *y = (float *)out->data;
    (void)m;
    for (int32_t i = 0; i < n; i++) {
        y[i] = tml_expf(x[i]);
    }
    return TML_OK;
}

const tml_kernel tml_kernel_EXP = {
    .name = "EXP",
    .builtin = 47,
    .max_version = 1, /* v2 (int8, int16) is not supported by TFLM either */
    .types = TML_TYPE_BIT(TML_FLOAT32),
    .params_size = 0,
    .prepare = exp_prepare,
    .eval = exp_eval,
};
