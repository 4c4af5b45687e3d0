/*
 * DEQUANTIZE (TFLM reference_ops::Dequantize).
 *
 * int8 / uint8 / int16 -> float32: (float)(scale * (q - zero_point)), the
 * product taken in double (TFLM keeps the scale as a double). Per-tensor
 * quantization only.
 */
#include "tml_kernel.h"

typedef struct {
    double scale;
    int32_t zero_point;
} dequantize_params;

static tml_status dequantize_prepare(tml_model *m, tml_node *node) {
    dequantize_params *p = (dequantize_params *)node->params;
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 1 || node->num_outputs != 1 || in == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 1 input and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in->type != TML_INT8 && in->type != TML_UINT8 && in->type != TML_INT16) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (int8, uint8, int16 are)",
            tml_dtype_name(in->type));
    }
    if (out->type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "output type %s not supported (float32 is)", tml_dtype_name(out->type));
    }
    if (tml_numel(in) != tml_numel(out)) {
        return tml_fail(m, TML_ERR_MODEL, "input has %d elements, output %d", tml_numel(in), tml_numel(out));
    }
    if (in->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input needs per-tensor quantization (has %u scales)",
            (unsigned)in->num_channels);
    }
    p->scale = (double)in->scale;
    p->zero_point = in->zero_point;
    return TML_OK;
}

static tml_status dequantize_eval(tml_model *m, tml_node *node) {
    const dequantize_params *p = (const dequantize_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(in);
    float *y = (float *)out->data;
    (void)m;
    for (int32_t i = 0; i < n; i++) {
        int32_t q = in->type == TML_INT8    ? ((const int8_t *)in->data)[i]
                    : in->type == TML_UINT8 ? ((const uint8_t *)in->data)[i]
                                            : ((const int16_t *)in->data)[i];
        y[i] = (float)(p->scale * (double)(q - p->zero_point));
    }
    return TML_OK;
}

const tml_kernel tml_kernel_DEQUANTIZE = {
    .name = "DEQUANTIZE",
    .builtin = 6,
    .max_version = 3, /* v2: int8, v3: int16; v5 (per-channel) and v6 (int4) not supported */
    .types = TML_TYPE_BIT(TML_INT8) | TML_TYPE_BIT(TML_UINT8) | TML_TYPE_BIT(TML_INT16),
    .per_channel_bytes = 0,
    .params_size = sizeof(dequantize_params),
    .prepare = dequantize_prepare,
    .eval = dequantize_eval,
};
