/*
 * PRELU: x >= 0 ? x : alpha * x, with alpha broadcast against the input
 * (TFLM reference_ops::BroadcastPrelu4DSlow; broadcast.h, up to 6-D here).
 *
 * float32: as written, in float.
 * int8 / int16 input with int8 alpha: the input less its zero point is
 * rescaled by in_scale / out_scale where it is >= 0, and its product with
 * (alpha - alpha_zp) by in_scale * alpha_scale / out_scale where negative
 * (both factors in double, one MultiplyByQuantizedMultiplier each), plus the
 * output zero point, clamped to the output type.
 */
#include "broadcast.h"

typedef struct {
    tml_bcast bcast;
    int32_t input_offset, alpha_offset, output_offset;
    int32_t multiplier_identity, shift_identity;
    int32_t multiplier_alpha, shift_alpha;
} prelu_params;

static tml_status prelu_prepare(tml_model *m, tml_node *node) {
    prelu_params *p = (prelu_params *)node->params;
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *alpha = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 2 || node->num_outputs != 1 || in == NULL || alpha == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 2 inputs and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in->type != TML_FLOAT32 && in->type != TML_INT8 && in->type != TML_INT16) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32, int8, int16 are)",
            tml_dtype_name(in->type));
    }
    const int alpha_type = in->type == TML_FLOAT32 ? TML_FLOAT32 : TML_INT8;
    if (out->type != in->type || alpha->type != alpha_type) {
        return tml_fail(m, TML_ERR_MODEL, "%s input needs a %s output and %s alpha, has %s and %s",
            tml_dtype_name(in->type), tml_dtype_name(in->type), tml_dtype_name(alpha_type), tml_dtype_name(out->type),
            tml_dtype_name(alpha->type));
    }
    tml_status status = tml_bcast_prepare(m, &p->bcast, in, alpha, out);
    if (status != TML_OK || in->type == TML_FLOAT32) {
        return status;
    }
    if (in->num_channels != 1 || alpha->num_channels != 1 || out->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input, alpha and output need per-tensor quantization (have %u, %u, %u scales)",
            (unsigned)in->num_channels, (unsigned)alpha->num_channels, (unsigned)out->num_channels);
    }
    if (!(in->scale > 0.0f && alpha->scale > 0.0f && out->scale > 0.0f)) {
        return tml_fail(m, TML_ERR_MODEL, "scales must be positive, are %f, %f and %f", (double)in->scale,
            (double)alpha->scale, (double)out->scale);
    }
    p->input_offset = -in->zero_point;
    p->alpha_offset = -alpha->zero_point;
    p->output_offset = out->zero_point;
    int shift;
    tml_quantize_multiplier((double)in->scale / (double)out->scale, &p->multiplier_identity, &shift);
    p->shift_identity = shift;
    tml_quantize_multiplier((double)in->scale * (double)alpha->scale / (double)out->scale, &p->multiplier_alpha, &shift);
    p->shift_alpha = shift;
    if (p->shift_identity > 31 || p->shift_alpha > 31) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "rescale factors are too large");
    }
    return TML_OK;
}

static tml_status prelu_eval(tml_model *m, tml_node *node) {
    const prelu_params *p = (const prelu_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *alpha = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(out);
    tml_bcast_iter it;
    tml_bcast_begin(&it);
    (void)m;
    if (in->type == TML_FLOAT32) {
        const float *x = (const float *)in->data, *a = (const float *)alpha->data;
        float *y = (float *)out->data;
        for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
            const float v = x[it.in1];
            y[it.out] = v >= 0.0f ? v : v * a[it.in2];
        }
        return TML_OK;
    }
    const int8_t *a = (const int8_t *)alpha->data;
    int32_t lo, hi;
    tml_int_type_range(out->type, &lo, &hi);
    for (; it.out < n; tml_bcast_next(&p->bcast, &it)) {
        const int32_t v = p->input_offset + tml_load_int(in->data, in->type, it.in1);
        const int32_t y = v >= 0 ? tml_mbqm(v, p->multiplier_identity, p->shift_identity)
                                 : tml_mbqm(v * (p->alpha_offset + a[it.in2]), p->multiplier_alpha, p->shift_alpha);
        tml_store_int(out->data, out->type, it.out, tml_clamp_i32(y + p->output_offset, lo, hi));
    }
    return TML_OK;
}

const tml_kernel tml_kernel_PRELU = {
    .name = "PRELU",
    .builtin = 54,
    .max_version = 1,
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(prelu_params),
    .prepare = prelu_prepare,
    .eval = prelu_eval,
};
