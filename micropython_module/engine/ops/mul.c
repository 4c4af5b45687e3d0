/*
 * MUL with broadcasting (TFLM reference_ops::Mul / BroadcastMul4DSlow and
 * reference_integer_ops::MulElementwise).
 *
 * int8 / int16: (a - zp_a) * (b - zp_b) rescaled to the output by one
 * MultiplyByQuantizedMultiplier with scale_a * scale_b / scale_out (which may
 * exceed 1), plus the output zero point, clamped to the activation's range.
 * int16 requires zero points of 0, as TFLM.
 * float32: a * b, clamped. int32: a * b (wrapping), clamped.
 *
 * Broadcasting follows numpy: shapes are aligned at the last dimension, and
 * each dimension must be equal or 1 in one of the inputs; up to 6 dimensions
 * (TFLM stops at 4).
 */
#include "tml_kernel.h"
#include "tml_quant.h"

enum { BCAST_DIMS = 6 };

typedef struct {
    /* Output extents (left-padded to 6) and each input's element strides;
     * a stride is 0 along a dimension the input is broadcast over. */
    int32_t out_dims[BCAST_DIMS];
    int32_t stride1[BCAST_DIMS];
    int32_t stride2[BCAST_DIMS];
    /* int8 / int16 / int32 */
    int32_t input1_offset, input2_offset, output_offset;
    int32_t output_multiplier, output_shift;
    int32_t act_min, act_max;
    /* float32 */
    float act_min_f, act_max_f;
} mul_params;

enum { OPT_ACTIVATION = 0 }; /* MulOptions.fused_activation_function */

/* Fills the broadcast description. Returns -1, or the dimension (counted
 * from the end, 1 = last) where the shapes do not broadcast. */
static int mul_broadcast_shapes(const tml_tensor *a, const tml_tensor *b, mul_params *p) {
    for (int d = 0; d < BCAST_DIMS; d++) {
        int32_t ea = tml_dim(a, d - BCAST_DIMS), eb = tml_dim(b, d - BCAST_DIMS);
        if (ea != eb && ea != 1 && eb != 1) {
            return BCAST_DIMS - d;
        }
        p->out_dims[d] = ea == 1 ? eb : ea;
    }
    int32_t sa = 1, sb = 1;
    for (int d = BCAST_DIMS - 1; d >= 0; d--) {
        int32_t ea = tml_dim(a, d - BCAST_DIMS), eb = tml_dim(b, d - BCAST_DIMS);
        p->stride1[d] = ea == 1 ? 0 : sa;
        p->stride2[d] = eb == 1 ? 0 : sb;
        sa *= ea;
        sb *= eb;
    }
    return -1;
}

/* Advances the 6-D output index and both input offsets by one element. */
static void mul_next(const mul_params *p, int32_t *idx, int32_t *i1, int32_t *i2) {
    for (int d = BCAST_DIMS - 1; d >= 0; d--) {
        idx[d]++;
        *i1 += p->stride1[d];
        *i2 += p->stride2[d];
        if (idx[d] < p->out_dims[d]) {
            return;
        }
        *i1 -= p->stride1[d] * p->out_dims[d];
        *i2 -= p->stride2[d] * p->out_dims[d];
        idx[d] = 0;
    }
}

static tml_status mul_prepare(tml_model *m, tml_node *node) {
    mul_params *p = (mul_params *)node->params;
    tml_tensor *in1 = tml_node_input(m, node, 0);
    tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 2 || node->num_outputs != 1 || in1 == NULL || in2 == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 2 inputs and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in1->type != TML_FLOAT32 && in1->type != TML_INT8 && in1->type != TML_INT16 && in1->type != TML_INT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32, int8, int16, int32 are)",
            tml_dtype_name(in1->type));
    }
    if (in2->type != in1->type || out->type != in1->type) {
        return tml_fail(m, TML_ERR_MODEL, "inputs and output must have one type, have %s, %s and %s",
            tml_dtype_name(in1->type), tml_dtype_name(in2->type), tml_dtype_name(out->type));
    }
    if (in1->ndim > BCAST_DIMS || in2->ndim > BCAST_DIMS) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "inputs of rank %d and %d: at most %d dimensions are supported",
            in1->ndim, in2->ndim, BCAST_DIMS);
    }
    int bad_dim = mul_broadcast_shapes(in1, in2, p);
    if (bad_dim >= 0) {
        return tml_fail(m, TML_ERR_MODEL, "input shapes do not broadcast: dimension -%d is %d in input 1, %d in input 2",
            bad_dim, tml_dim(in1, -bad_dim), tml_dim(in2, -bad_dim));
    }
    int out_rank = in1->ndim > in2->ndim ? in1->ndim : in2->ndim;
    bool out_ok = out->ndim == out_rank;
    for (int d = 0; d < BCAST_DIMS && out_ok; d++) {
        out_ok = tml_dim(out, d - BCAST_DIMS) == p->out_dims[d];
    }
    if (!out_ok) {
        return tml_fail(m, TML_ERR_MODEL, "output shape does not equal the broadcast shape of the inputs");
    }

    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    int activation = tml_fb_i8(&fb, &opt, OPT_ACTIVATION, TML_ACT_NONE);
    if (activation > TML_ACT_RELU6) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "fused activation %d not supported (NONE, RELU, RELU_N1_TO_1, RELU6 are)",
            activation);
    }
    if (in1->type == TML_FLOAT32) {
        tml_activation_range_float(activation, &p->act_min_f, &p->act_max_f);
        return TML_OK;
    }
    if (in1->type == TML_INT32) {
        /* TFLM CalculateActivationRange<int32_t>. */
        p->act_min = activation == TML_ACT_RELU || activation == TML_ACT_RELU6 ? 0
                     : activation == TML_ACT_RELU_N1_TO_1                       ? -1
                                                                                : INT32_MIN;
        p->act_max = activation == TML_ACT_RELU6 ? 6 : activation == TML_ACT_RELU_N1_TO_1 ? 1 : INT32_MAX;
        return TML_OK;
    }

    if (in1->num_channels != 1 || in2->num_channels != 1 || out->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "inputs and output need per-tensor quantization (have %u, %u, %u scales)",
            (unsigned)in1->num_channels, (unsigned)in2->num_channels, (unsigned)out->num_channels);
    }
    if (in1->type == TML_INT16 && (in1->zero_point != 0 || in2->zero_point != 0 || out->zero_point != 0)) {
        return tml_fail(m, TML_ERR_MODEL, "int16 zero points must be 0, are %d, %d and %d", in1->zero_point,
            in2->zero_point, out->zero_point);
    }
    p->input1_offset = -in1->zero_point;
    p->input2_offset = -in2->zero_point;
    p->output_offset = out->zero_point;
    const double real_multiplier = (double)in1->scale * (double)in2->scale / (double)out->scale;
    int shift;
    tml_quantize_multiplier(real_multiplier, &p->output_multiplier, &shift);
    p->output_shift = shift;
    if (shift > 31) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "rescale factor %f is too large", real_multiplier);
    }
    int32_t qmin = in1->type == TML_INT8 ? -128 : -32768;
    int32_t qmax = in1->type == TML_INT8 ? 127 : 32767;
    tml_activation_range_quantized(activation, out->scale, out->zero_point, qmin, qmax, &p->act_min, &p->act_max);
    return TML_OK;
}

static tml_status mul_eval(tml_model *m, tml_node *node) {
    const mul_params *p = (const mul_params *)node->params;
    const tml_tensor *in1 = tml_node_input(m, node, 0);
    const tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(out);
    int32_t idx[BCAST_DIMS] = {0, 0, 0, 0, 0, 0};
    int32_t i1 = 0, i2 = 0;
    if (in1->type == TML_FLOAT32) {
        const float *a = (const float *)in1->data, *b = (const float *)in2->data;
        float *y = (float *)out->data;
        for (int32_t o = 0; o < n; o++, mul_next(p, idx, &i1, &i2)) {
            y[o] = tml_clamp_f32(a[i1] * b[i2], p->act_min_f, p->act_max_f);
        }
    } else if (in1->type == TML_INT32) {
        const int32_t *a = (const int32_t *)in1->data, *b = (const int32_t *)in2->data;
        int32_t *y = (int32_t *)out->data;
        for (int32_t o = 0; o < n; o++, mul_next(p, idx, &i1, &i2)) {
            int32_t product = (int32_t)((uint32_t)a[i1] * (uint32_t)b[i2]);
            y[o] = tml_clamp_i32(product, p->act_min, p->act_max);
        }
    } else if (in1->type == TML_INT8) {
        const int8_t *a = (const int8_t *)in1->data, *b = (const int8_t *)in2->data;
        int8_t *y = (int8_t *)out->data;
        for (int32_t o = 0; o < n; o++, mul_next(p, idx, &i1, &i2)) {
            const int32_t product = (p->input1_offset + a[i1]) * (p->input2_offset + b[i2]);
            const int32_t raw = tml_mbqm(product, p->output_multiplier, p->output_shift) + p->output_offset;
            y[o] = (int8_t)tml_clamp_i32(raw, p->act_min, p->act_max);
        }
    } else {
        const int16_t *a = (const int16_t *)in1->data, *b = (const int16_t *)in2->data;
        int16_t *y = (int16_t *)out->data;
        for (int32_t o = 0; o < n; o++, mul_next(p, idx, &i1, &i2)) {
            /* The product of two int16 can reach 2^30: still an int32. */
            const int32_t product = (p->input1_offset + a[i1]) * (p->input2_offset + b[i2]);
            const int32_t raw = tml_mbqm(product, p->output_multiplier, p->output_shift) + p->output_offset;
            y[o] = (int16_t)tml_clamp_i32(raw, p->act_min, p->act_max);
        }
    }
    (void)m;
    return TML_OK;
}

const tml_kernel tml_kernel_MUL = {
    "MUL",
    18,
    4, /* v2: int8, v3: rescale >= 1, v4: int16; v5+ (int64, complex, unquantized int16) not supported */
    0,
    sizeof(mul_params),
    mul_prepare,
    mul_eval,
};
