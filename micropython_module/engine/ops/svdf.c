/*
 * SVDF (singular value decomposition filter) for int8 and float32, as TFLM's
 * svdf_common.cc computes it. Every invoke:
 *   1. the activation state [batch, filters * memory] (a variable tensor,
 *      kept across invokes) shifts left by one element;
 *   2. each filter's feature (weights_feature row . input) becomes the
 *      newest (last) memory entry of that filter;
 *   3. each filter's memory . weights_time row, summed over the `rank`
 *      filters of a unit, plus bias, gives the unit's output.
 * int8: the feature is requantized to the state (int8 or int16, the same
 * type as weights_time) with in_s * wf_s / state_s, the output with
 * state_s * wt_s / out_s, both scale products in float32 as TFLM computes
 * them. TFLM applies no fused activation on this path (the output is only
 * clamped to int8), and neither does this kernel.
 * float32: the fused activation is applied (TFLM ActivationValFloat).
 *
 * Inputs: input [B, I], weights_feature [F, I], weights_time [F, M],
 * bias [F / rank] (optional), activation_state [B, F * M] (variable).
 */
#include <string.h>

#include "../tml_math.h"
#include "../tml_math_extra.h"
#include "conv_util.h"

enum { OPT_RANK = 0, OPT_ACTIVATION = 1 }; /* SVDFOptions fields */
enum { IN_INPUT = 0, IN_WEIGHTS_FEATURE = 1, IN_WEIGHTS_TIME = 2, IN_BIAS = 3, IN_STATE = 4 };

typedef struct {
    int32_t batches, inputs, filters, memory, rank, units;
    int32_t activation;
    int32_t input_zero_point, state_zero_point, output_zero_point;
    int32_t state_min, state_max; /* range of the state type */
    int32_t feature_multiplier, output_multiplier;
    int8_t feature_shift, output_shift;
    uint8_t reserved[2];
} svdf_params;

/* TFLM ActivationValFloat, with std::max / std::min's choice on ties and NaN. */
static float activation_float(int activation, float a) {
    switch (activation) {
    case TML_ACT_RELU:
        return 0.0f < a ? a : 0.0f;
    case TML_ACT_RELU_N1_TO_1: {
        const float upper = 1.0f < a ? 1.0f : a;
        return -1.0f < upper ? upper : -1.0f;
    }
    case TML_ACT_RELU6: {
        const float upper = 6.0f < a ? 6.0f : a;
        return 0.0f < upper ? upper : 0.0f;
    }
    case TML_ACT_TANH:
        return tml_tanhf(a);
    case TML_ACT_SIGN_BIT:
        return (tml_f32_bits(a) >> 31) ? 1.0f : 0.0f;
    case 6: /* SIGMOID */
        return 1.0f / (1.0f + tml_expf(-a));
    default:
        return a;
    }
}

static tml_status check_shapes(tml_model *m, svdf_params *p, const tml_tensor *input, const tml_tensor *wf,
    const tml_tensor *wt, const tml_tensor *bias, const tml_tensor *state, const tml_tensor *output) {
    char a[48], b[48], c[48];
    if (input->ndim != 2 || wf->ndim != 2 || wt->ndim != 2 || state->ndim != 2 || output->ndim != 2) {
        return tml_fail(m, TML_ERR_MODEL, "input, weights, state and output must be 2-D");
    }
    p->batches = input->dims[0];
    p->inputs = input->dims[1];
    p->filters = wf->dims[0];
    p->memory = wt->dims[1];
    if (p->rank < 1 || p->filters % p->rank != 0) {
        return tml_fail(m, TML_ERR_MODEL, "rank %d does not divide the %d filters", (int)p->rank, (int)p->filters);
    }
    p->units = p->filters / p->rank;
    if (wf->dims[1] != p->inputs || wt->dims[0] != p->filters || p->memory < 1) {
        return tml_fail(m, TML_ERR_MODEL, "weights_feature %s and weights_time %s do not fit input %s",
            tml_shape_str(wf, a, sizeof a), tml_shape_str(wt, b, sizeof b), tml_shape_str(input, c, sizeof c));
    }
    if (state->dims[0] != p->batches || (int64_t)state->dims[1] != (int64_t)p->memory * p->filters) {
        return tml_fail(m, TML_ERR_MODEL, "activation state %s must be [%d, %d]", tml_shape_str(state, a, sizeof a),
            (int)p->batches, (int)(p->memory * p->filters));
    }
    if (output->dims[0] != p->batches || output->dims[1] != p->units) {
        return tml_fail(m, TML_ERR_MODEL, "output %s must be [%d, %d]", tml_shape_str(output, a, sizeof a),
            (int)p->batches, (int)p->units);
    }
    if (bias != NULL && tml_numel(bias) != p->units) {
        return tml_fail(m, TML_ERR_MODEL, "bias %s must have %d elements", tml_shape_str(bias, b, sizeof b),
            (int)p->units);
    }
    return TML_OK;
}

static tml_status check_types(tml_model *m, const tml_tensor *input, const tml_tensor *wf, const tml_tensor *wt,
    const tml_tensor *bias, const tml_tensor *state, const tml_tensor *output) {
    if (input->type == TML_FLOAT32) {
        if (wf->type != TML_FLOAT32 || wt->type != TML_FLOAT32 || state->type != TML_FLOAT32 ||
            output->type != TML_FLOAT32 || (bias != NULL && bias->type != TML_FLOAT32)) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "float32 input needs float32 weights, bias, state and output");
        }
        return TML_OK;
    }
    if (input->type != TML_INT8) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (int8 or float32)",
            tml_dtype_name(input->type));
    }
    if (wf->type != TML_INT8 || output->type != TML_INT8) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "int8 input needs int8 weights_feature and output");
    }
    if ((state->type != TML_INT8 && state->type != TML_INT16) || wt->type != state->type) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "weights_time (%s) and state (%s) must both be int8 or both int16",
            tml_dtype_name(wt->type), tml_dtype_name(state->type));
    }
    if (bias != NULL && bias->type != TML_INT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "bias must be int32, got %s", tml_dtype_name(bias->type));
    }
    return TML_OK;
}

/* The quantization TFLM derives (PrepareSvdf), with its check of the bias scale. */
static tml_status prepare_int8(tml_model *m, svdf_params *p, const tml_tensor *input, const tml_tensor *wf,
    const tml_tensor *wt, const tml_tensor *bias, const tml_tensor *state, const tml_tensor *output) {
    const tml_tensor *per_tensor[5] = {input, wf, wt, state, output};
    for (int i = 0; i < 5; i++) {
        const tml_tensor *t = per_tensor[i];
        if (t->num_channels != 1 || !(t->scale > 0.0f && t->scale <= 3.4028234663852886e38f)) {
            return tml_fail(m, TML_ERR_MODEL, "input, weights, state and output need one positive scale each");
        }
    }
    const float feature_scale = input->scale * wf->scale / state->scale; /* float32, as TFLM */
    const float state_times_weights = state->scale * wt->scale;
    const float output_scale = state_times_weights / output->scale;
    if (bias != NULL) {
        double diff = (double)bias->scale - (double)state_times_weights;
        if (!(diff < 1e-5 && diff > -1e-5)) {
            return tml_fail(m, TML_ERR_MODEL, "bias scale %f differs from state scale x weights_time scale %f",
                (double)bias->scale, (double)state_times_weights);
        }
    }
    tml_status st = tml_quantize_scale(m, (double)feature_scale, &p->feature_multiplier, &p->feature_shift);
    if (st == TML_OK) {
        st = tml_quantize_scale(m, (double)output_scale, &p->output_multiplier, &p->output_shift);
    }
    p->input_zero_point = input->zero_point;
    p->state_zero_point = state->zero_point;
    p->output_zero_point = output->zero_point;
    p->state_min = state->type == TML_INT16 ? -32768 : -128;
    p->state_max = state->type == TML_INT16 ? 32767 : 127;
    return st;
}

static tml_status svdf_prepare(tml_model *m, tml_node *node) {
    if (node->num_inputs != 5 || node->num_outputs != 1) {
        return tml_fail(m, TML_ERR_MODEL, "needs 5 inputs and 1 output, got %d and %d", node->num_inputs,
            node->num_outputs);
    }
    svdf_params *p = (svdf_params *)node->params;
    const tml_tensor *input = tml_node_input(m, node, IN_INPUT);
    const tml_tensor *wf = tml_node_input(m, node, IN_WEIGHTS_FEATURE);
    const tml_tensor *wt = tml_node_input(m, node, IN_WEIGHTS_TIME);
    const tml_tensor *bias = tml_node_input(m, node, IN_BIAS);
    const tml_tensor *state = tml_node_input(m, node, IN_STATE);
    const tml_tensor *output = tml_node_output(m, node, 0);
    if (input == NULL || wf == NULL || wt == NULL || state == NULL || output == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "input, weights, activation state and output are required");
    }
    if (state->kind != TML_TENSOR_VARIABLE) {
        return tml_fail(m, TML_ERR_MODEL, "activation state (input 4) must be a variable tensor");
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    p->rank = tml_fb_i32(&fb, &opt, OPT_RANK, 0);
    p->activation = tml_fb_i8(&fb, &opt, OPT_ACTIVATION, TML_ACT_NONE);
    tml_status st = check_types(m, input, wf, wt, bias, state, output);
    if (st == TML_OK) {
        st = check_shapes(m, p, input, wf, wt, bias, state, output);
    }
    if (st != TML_OK || input->type == TML_FLOAT32) {
        return st;
    }
    return prepare_int8(m, p, input, wf, wt, bias, state, output);
}

/* One state element of filter f, memory slot j, batch b. */
static int32_t state_at(const tml_tensor *state, int32_t index) {
    return state->type == TML_INT16 ? ((const int16_t *)state->data)[index] : ((const int8_t *)state->data)[index];
}

static void eval_int8(const svdf_params *p, const tml_tensor *input, const tml_tensor *wf, const tml_tensor *wt,
    const tml_tensor *bias, tml_tensor *state, tml_tensor *output) {
    const int8_t *x = (const int8_t *)input->data;
    const int8_t *w_feature = (const int8_t *)wf->data;
    const bool wide = state->type == TML_INT16;
    const int32_t fm = p->filters * p->memory;
    for (int32_t b = 0; b < p->batches; b++) {
        for (int32_t f = 0; f < p->filters; f++) {
            uint32_t dot = 0; /* int32, wrapping as TFLM's */
            for (int32_t i = 0; i < p->inputs; i++) {
                dot += (uint32_t)((int32_t)w_feature[f * p->inputs + i] *
                                  ((int32_t)x[b * p->inputs + i] - p->input_zero_point));
            }
            int32_t v = tml_mbqm((int32_t)dot, p->feature_multiplier, p->feature_shift);
            /* TFLM (the build we match) clamps first and adds the state zero
             * point after, so the sum wraps when narrowed to the state type. */
            v = tml_clamp_i32(v, p->state_min, p->state_max) + p->state_zero_point;
            const int32_t slot = b * fm + f * p->memory + p->memory - 1;
            if (wide) {
                ((int16_t *)state->data)[slot] = (int16_t)(((v + 32768) & 0xFFFF) - 32768);
            } else {
                ((int8_t *)state->data)[slot] = (int8_t)(((v + 128) & 0xFF) - 128);
            }
        }
        for (int32_t u = 0; u < p->units; u++) {
            uint32_t acc = bias != NULL ? (uint32_t)((const int32_t *)bias->data)[u] : 0u;
            for (int32_t f = u * p->rank; f < (u + 1) * p->rank; f++) {
                for (int32_t j = 0; j < p->memory; j++) {
                    const int32_t w = wide ? ((const int16_t *)wt->data)[f * p->memory + j]
                                           : ((const int8_t *)wt->data)[f * p->memory + j];
                    acc += (uint32_t)(w * (state_at(state, b * fm + f * p->memory + j) - p->state_zero_point));
                }
            }
            ((int8_t *)output->data)[b * p->units + u] = tml_requantize_int8(acc, p->output_multiplier,
                p->output_shift, p->output_zero_point, -128, 127);
        }
    }
}

/* Float: each sum from 0.0f in TFLM's order; the output starts from the bias
 * (or 0.0f) and adds the rank filters' sums one by one. */
static void eval_float(const svdf_params *p, const tml_tensor *input, const tml_tensor *wf, const tml_tensor *wt,
    const tml_tensor *bias, tml_tensor *state, tml_tensor *output) {
    const float *x = (const float *)input->data;
    const float *w_feature = (const float *)wf->data;
    const float *w_time = (const float *)wt->data;
    float *s = (float *)state->data;
    float *y = (float *)output->data;
    const int32_t fm = p->filters * p->memory;
    for (int32_t b = 0; b < p->batches; b++) {
        for (int32_t f = 0; f < p->filters; f++) {
            float dot = 0.0f;
            for (int32_t i = 0; i < p->inputs; i++) {
                dot += w_feature[f * p->inputs + i] * x[b * p->inputs + i];
            }
            s[b * fm + f * p->memory + p->memory - 1] = dot;
        }
        for (int32_t u = 0; u < p->units; u++) {
            float total = bias != NULL ? ((const float *)bias->data)[u] : 0.0f;
            for (int32_t f = u * p->rank; f < (u + 1) * p->rank; f++) {
                float filter_sum = 0.0f;
                for (int32_t j = 0; j < p->memory; j++) {
                    filter_sum += w_time[f * p->memory + j] * s[b * fm + f * p->memory + j];
                }
                total += filter_sum;
            }
            y[b * p->units + u] = activation_float(p->activation, total);
        }
    }
}

static tml_status svdf_eval(tml_model *m, tml_node *node) {
    const svdf_params *p = (const svdf_params *)node->params;
    const tml_tensor *input = tml_node_input(m, node, IN_INPUT);
    const tml_tensor *wf = tml_node_input(m, node, IN_WEIGHTS_FEATURE);
    const tml_tensor *wt = tml_node_input(m, node, IN_WEIGHTS_TIME);
    const tml_tensor *bias = tml_node_input(m, node, IN_BIAS);
    tml_tensor *state = tml_node_input(m, node, IN_STATE);
    tml_tensor *output = tml_node_output(m, node, 0);
    /* The whole state moves one element towards the start: each filter's
     * oldest entry drops out (the newest slot is overwritten next). */
    const uint32_t element = state->type == TML_INT16 ? 2u : state->type == TML_INT8 ? 1u : 4u;
    const uint32_t count = (uint32_t)tml_numel(state);
    if (count > 1) {
        memmove(state->data, (uint8_t *)state->data + element, (count - 1u) * element);
    }
    if (input->type == TML_FLOAT32) {
        eval_float(p, input, wf, wt, bias, state, output);
    } else {
        eval_int8(p, input, wf, wt, bias, state, output);
    }
    return TML_OK;
}

/* TFLite op versions: 1 float, 2 hybrid, 3 int8, 4 asymmetric hybrid. */
const tml_kernel tml_kernel_SVDF = {
    .name = "SVDF",
    .builtin = 27,
    .max_version = 3,
    .types = TML_TYPES_FLOAT_INT8,
    .params_size = sizeof(svdf_params),
    .prepare = svdf_prepare,
    .eval = svdf_eval,
};
