/*
 * ADD with broadcasting (TFLM reference_ops::Add / BroadcastAdd6DSlow and
 * reference_integer_ops::AddFunc).
 *
 * int8: both inputs are rescaled onto a common scale (twice the larger input
 * scale) with 20 bits of headroom, added, and the sum rescaled to the output;
 * each step is one MultiplyByQuantizedMultiplier (shift <= 0).
 * float32: a + b, clamped to the fused activation's range.
 * int32: a + b (wrapping), no activation, as TFLM.
 *
 * Broadcasting follows numpy: shapes are aligned at the last dimension, and
 * each dimension must be equal or 1 in one of the inputs; up to 6 dimensions.
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
    /* int8 */
    int32_t input1_offset, input2_offset, output_offset;
    int32_t input1_multiplier, input2_multiplier, output_multiplier;
    int32_t input1_shift, input2_shift, output_shift;
    int32_t act_min, act_max;
    /* float32 */
    float act_min_f, act_max_f;
} add_params;

enum { OPT_ACTIVATION = 0 }; /* AddOptions.fused_activation_function */
enum { INT8_LEFT_SHIFT = 20 };

/* Fills the broadcast description. Returns -1, or the dimension (counted
 * from the end, 1 = last) where the shapes do not broadcast. */
static int add_broadcast_shapes(const tml_tensor *a, const tml_tensor *b, add_params *p) {
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
static void add_next(const add_params *p, int32_t *idx, int32_t *i1, int32_t *i2) {
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

static tml_status add_prepare(tml_model *m, tml_node *node) {
    add_params *p = (add_params *)node->params;
    tml_tensor *in1 = tml_node_input(m, node, 0);
    tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 2 || node->num_outputs != 1 || in1 == NULL || in2 == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 2 inputs and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in1->type != TML_FLOAT32 && in1->type != TML_INT8 && in1->type != TML_INT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32, int8, int32 are)",
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
    int bad_dim = add_broadcast_shapes(in1, in2, p);
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
        return TML_OK;
    }

    if (in1->num_channels != 1 || in2->num_channels != 1 || out->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "inputs and output need per-tensor quantization (have %u, %u, %u scales)",
            (unsigned)in1->num_channels, (unsigned)in2->num_channels, (unsigned)out->num_channels);
    }
    if (!(in1->scale > 0.0f && in2->scale > 0.0f && out->scale > 0.0f)) {
        return tml_fail(m, TML_ERR_MODEL, "scales must be positive, are %f, %f and %f", (double)in1->scale,
            (double)in2->scale, (double)out->scale);
    }
    p->input1_offset = -in1->zero_point;
    p->input2_offset = -in2->zero_point;
    p->output_offset = out->zero_point;
    const double twice_max_input_scale = 2.0 * (double)(in1->scale > in2->scale ? in1->scale : in2->scale);
    const double real_input1_multiplier = (double)in1->scale / twice_max_input_scale;
    const double real_input2_multiplier = (double)in2->scale / twice_max_input_scale;
    const double real_output_multiplier = twice_max_input_scale / ((double)(1 << INT8_LEFT_SHIFT) * (double)out->scale);
    if (!(real_output_multiplier < 1.0)) {
        /* TFLM's QuantizeMultiplierSmallerThanOneExp refuses this too. */
        return tml_fail(m, TML_ERR_UNSUPPORTED,
            "output scale %f is too small for input scales %f and %f (ratio above 2^19)", (double)out->scale,
            (double)in1->scale, (double)in2->scale);
    }
    int shift;
    tml_quantize_multiplier(real_input1_multiplier, &p->input1_multiplier, &shift);
    p->input1_shift = shift;
    tml_quantize_multiplier(real_input2_multiplier, &p->input2_multiplier, &shift);
    p->input2_shift = shift;
    tml_quantize_multiplier(real_output_multiplier, &p->output_multiplier, &shift);
    p->output_shift = shift;
    if (p->input1_shift > 0 || p->input2_shift > 0 || p->output_shift > 0) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "rescale multipliers must be below 1");
    }
    tml_activation_range_quantized(activation, out->scale, out->zero_point, -128, 127, &p->act_min, &p->act_max);
    return TML_OK;
}

static tml_status add_eval(tml_model *m, tml_node *node) {
    const add_params *p = (const add_params *)node->params;
    const tml_tensor *in1 = tml_node_input(m, node, 0);
    const tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(out);
    int32_t idx[BCAST_DIMS] = {0, 0, 0, 0, 0, 0};
    int32_t i1 = 0, i2 = 0;
    if (in1->type == TML_FLOAT32) {
        const float *a = (const float *)in1->data, *b = (const float *)in2->data;
        float *y = (float *)out->data;
        for (int32_t o = 0; o < n; o++, add_next(p, idx, &i1, &i2)) {
            y[o] = tml_clamp_f32(a[i1] + b[i2], p->act_min_f, p->act_max_f);
        }
    } else if (in1->type == TML_INT32) {
        const int32_t *a = (const int32_t *)in1->data, *b = (const int32_t *)in2->data;
        int32_t *y = (int32_t *)out->data;
        for (int32_t o = 0; o < n; o++, add_next(p, idx, &i1, &i2)) {
            y[o] = (int32_t)((uint32_t)a[i1] + (uint32_t)b[i2]);
        }
    } else {
        const int8_t *a = (const int8_t *)in1->data, *b = (const int8_t *)in2->data;
        int8_t *y = (int8_t *)out->data;
        for (int32_t o = 0; o < n; o++, add_next(p, idx, &i1, &i2)) {
            const int32_t shifted1 = (p->input1_offset + a[i1]) * (1 << INT8_LEFT_SHIFT);
            const int32_t shifted2 = (p->input2_offset + b[i2]) * (1 << INT8_LEFT_SHIFT);
            const int32_t scaled1 = tml_mbqm(shifted1, p->input1_multiplier, p->input1_shift);
            const int32_t scaled2 = tml_mbqm(shifted2, p->input2_multiplier, p->input2_shift);
            const int32_t raw = tml_mbqm(scaled1 + scaled2, p->output_multiplier, p->output_shift) + p->output_offset;
            y[o] = (int8_t)tml_clamp_i32(raw, p->act_min, p->act_max);
        }
    }
    (void)m;
    return TML_OK;
}

const tml_kernel tml_kernel_ADD = {
    "ADD",
    0,
    2, /* v2: int8; v3+ (int16, int64) are not supported */
    0,
    sizeof(add_params),
    add_prepare,
    add_eval,
};
