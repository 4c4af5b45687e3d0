/*
 * FULLY_CONNECTED: int8 (per-tensor or per-channel weights), 16x8 (int16
 * activations, int8 weights, int64 bias) and float32, as
 * TFLM's reference kernels compute it (reference/integer_ops/fully_connected.h,
 * reference/fully_connected.h).
 *
 * Layouts: weights [units, depth]; the input is read as [batches, depth]
 * whatever its rank (batches = input elements / depth); the output is
 * [batches, units], or the input's leading dimensions + [units] with
 * keep_num_dims.
 */
#include "conv_util.h"
#include "hybrid.h"
#include "arm/dsp_hooks.h"
#include "portable/portable_hooks.h"

/* FullyConnectedOptions fields (schema.fbs). */
enum {
    OPT_ACTIVATION = 0,
    OPT_WEIGHTS_FORMAT = 1,
    OPT_KEEP_NUM_DIMS = 2,
    OPT_ASYMMETRIC_QUANTIZE_INPUTS = 3,
    OPT_QUANTIZED_BIAS_TYPE = 4,
};

typedef struct {
    int32_t input_offset;  /* minus the input zero point */
    int32_t weight_offset; /* minus the weights' zero point (per-tensor weights only, as in TFLM) */
    int32_t output_offset; /* the output zero point */
    int32_t act_min, act_max;
    float f_act_min, f_act_max;
    int32_t multiplier; /* per-tensor weights; per-channel ones follow the struct */
    int8_t shift;
    uint8_t reserved[3];
} fc_params;

/* ---- DSP-extension hook (arm/fully_connected_dsp.c): int8 on Cortex-M4/M7/M33 ---- */
#if TML_HAVE_DSP || TML_HAVE_PORTABLE /* also the description the portable kernels take */
static tml_dsp_fc fc_dsp_args(const fc_params *p, const tml_node *node, const tml_tensor *input,
    const tml_tensor *weights) {
    const tml_requant rq = tml_requant_view(node, sizeof(fc_params), weights, &p->multiplier, &p->shift);
    const tml_dsp_fc c = {.batches = tml_numel(input) / weights->dims[1], .units = weights->dims[0],
        .depth = weights->dims[1], .input_offset = p->input_offset, .weight_offset = p->weight_offset,
        .output_offset = p->output_offset, .act_min = p->act_min, .act_max = p->act_max,
        .multiplier = rq.multiplier, .shift = rq.shift, .step = rq.step};
    return c;
}
#endif
/* ---- end of DSP-extension hook ---- */

static tml_status check_shapes(tml_model *m, bool keep_num_dims, const tml_tensor *input, const tml_tensor *weights,
    const tml_tensor *bias, const tml_tensor *output) {
    char a[48], b[48];
    if (weights->ndim != 2 || weights->dims[0] < 1 || weights->dims[1] < 1) {
        return tml_fail(m, TML_ERR_MODEL, "weights %s must be 2-D [units, depth]",
            tml_shape_str(weights, a, sizeof a));
    }
    const int32_t units = weights->dims[0];
    const int32_t depth = weights->dims[1];
    const int32_t in_count = tml_numel(input);
    if (input->ndim < 1 || in_count % depth != 0) {
        return tml_fail(m, TML_ERR_MODEL, "input %s does not divide into rows of the weights' depth %d",
            tml_shape_str(input, a, sizeof a), (int)depth);
    }
    const int32_t batches = in_count / depth;
    bool ok = output->ndim >= 1 && output->dims[output->ndim - 1] == units &&
              (int64_t)tml_numel(output) == (int64_t)batches * units;
    if (ok && keep_num_dims) {
        /* the input's leading dimensions, then units */
        ok = output->ndim == input->ndim && input->dims[input->ndim - 1] == depth;
        for (int i = 0; ok && i < input->ndim - 1; i++) {
            ok = output->dims[i] == input->dims[i];
        }
    }
    if (!ok) {
        return tml_fail(m, TML_ERR_MODEL, "output %s does not match input %s times weights [%d, %d]%s",
            tml_shape_str(output, a, sizeof a), tml_shape_str(input, b, sizeof b), (int)units, (int)depth,
            keep_num_dims ? " with keep_num_dims" : "");
    }
    if (bias != NULL && tml_numel(bias) != units) {
        return tml_fail(m, TML_ERR_MODEL, "bias %s must have %d elements", tml_shape_str(bias, a, sizeof a),
            (int)units);
    }
    return TML_OK;
}

/* Per-tensor weights: TFLM's GetQuantizedConvolutionMultipler. With a bias
 * it refuses a bias scale that differs from in_s * w_s by more than 2% of
 * the output scale. The multiplier is (double)in_s * (double)w_s / out_s:
 * the pip TFLM build we match (tflite-micro 0.dev20261023) computes the
 * product in double, not in float32 as older TFLM sources and
 * ../shared/docs/bit-exact.md say; tests/ops/test_fully_connected.py holds
 * the measurement. */
static tml_status per_tensor_multiplier(tml_model *m, fc_params *p, const tml_tensor *input,
    const tml_tensor *weights, const tml_tensor *bias, const tml_tensor *output) {
    const double product = (double)input->scale * (double)weights->scale;
    if (bias != NULL) {
        double diff = product - (double)bias->scale;
        if (diff < 0.0) {
            diff = -diff;
        }
        if (!(diff / (double)output->scale <= 0.02)) {
            return tml_fail(m, TML_ERR_MODEL, "bias scale %f differs from input scale x weight scale %f",
                (double)bias->scale, product);
        }
    }
    return tml_quantize_scale(m, product / (double)output->scale, &p->multiplier, &p->shift);
}

/* ---- hybrid (float32 input, int8 weights): LiteRT's arithmetic, see hybrid.h ---- */

static tml_status fc_prepare_hybrid(tml_model *m, tml_node *node, int activation, bool keep_num_dims) {
    fc_params *p = (fc_params *)node->params;
    const tml_tensor *input = tml_node_input(m, node, 0);
    const tml_tensor *weights = tml_node_input(m, node, 1);
    const tml_tensor *bias = tml_node_input(m, node, 2);
    const tml_tensor *output = tml_node_output(m, node, 0);
    tml_status st = check_shapes(m, keep_num_dims, input, weights, bias, output);
    if (st == TML_OK) {
        st = tml_hybrid_check_tensors(m, weights, 0, weights->dims[0], bias, output);
    }
    if (st != TML_OK) {
        return st;
    }
    const int32_t depth = weights->dims[1];
    node->scratch_bytes = tml_hybrid_scratch_bytes(tml_numel(input) / depth, tml_numel(input));
    if (node->scratch_bytes == 0) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input too large to quantize");
    }
    tml_activation_range_float(activation, &p->f_act_min, &p->f_act_max);
    tml_hybrid_store_scales(m, node, sizeof(fc_params), weights);
    return TML_OK;
}

static void fc_eval_hybrid(tml_model *m, const tml_node *node, const tml_tensor *input, const tml_tensor *weights,
    const tml_tensor *bias, tml_tensor *output) {
    const fc_params *p = (const fc_params *)node->params;
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    const bool asymmetric = tml_fb_bool(&fb, &opt, OPT_ASYMMETRIC_QUANTIZE_INPUTS, false);
    const int32_t units = weights->dims[0];
    const int32_t depth = weights->dims[1];
    const tml_hybrid_scales ws = tml_hybrid_scales_view(node, sizeof(fc_params), weights);
    tml_hybrid_fully_connected(tml_numel(input) / depth, units, depth, asymmetric, &ws, p->f_act_min, p->f_act_max,
        (const float *)input->data, (const int8_t *)weights->data, bias != NULL ? (const float *)bias->data : NULL,
        (float *)output->data, node->scratch);
}

/* ---- end of hybrid ---- */

static tml_status fc_prepare(tml_model *m, tml_node *node) {
    if (node->num_inputs < 2 || node->num_inputs > 3 || node->num_outputs != 1) {
        return tml_fail(m, TML_ERR_MODEL, "needs 2 or 3 inputs and 1 output, got %d and %d", node->num_inputs,
            node->num_outputs);
    }
    tml_tensor *input = tml_node_input(m, node, 0);
    tml_tensor *weights = tml_node_input(m, node, 1);
    tml_tensor *bias = tml_node_input(m, node, 2);
    tml_tensor *output = tml_node_output(m, node, 0);
    if (input == NULL || weights == NULL || output == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "input, weights and output are required");
    }
    fc_params *p = (fc_params *)node->params;

    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    int activation = tml_fb_i8(&fb, &opt, OPT_ACTIVATION, TML_ACT_NONE);
    int weights_format = tml_fb_i8(&fb, &opt, OPT_WEIGHTS_FORMAT, 0);
    bool keep_num_dims = tml_fb_bool(&fb, &opt, OPT_KEEP_NUM_DIMS, false);
    int bias_type = tml_fb_i8(&fb, &opt, OPT_QUANTIZED_BIAS_TYPE, 0);
    if (weights_format != 0) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "weights format %d (shuffled) not supported, only DEFAULT",
            weights_format);
    }
    if (bias_type != 0 && bias_type != TML_INT32 && bias_type != TML_INT64 && bias_type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "quantized_bias_type %s not supported", tml_dtype_name(bias_type));
    }
    tml_status st = tml_check_fused_activation(m, activation);
    if (st == TML_OK && tml_is_hybrid(input, weights)) {
        return fc_prepare_hybrid(m, node, activation, keep_num_dims);
    }
    if (st == TML_OK) {
        st = tml_conv_check_types(m, input, weights, bias, output, "weights");
    }
    if (st == TML_OK) {
        st = check_shapes(m, keep_num_dims, input, weights, bias, output);
    }
    if (st != TML_OK) {
        return st;
    }

    if (input->type == TML_FLOAT32) {
        tml_activation_range_float(activation, &p->f_act_min, &p->f_act_max);
        return TML_OK;
    }
    st = tml_check_activation_quant(m, input, "input");
    if (st == TML_OK) {
        st = tml_check_activation_quant(m, output, "output");
    }
    if (st == TML_OK) {
        st = tml_check_int8_weights_quant(m, weights, 0, weights->dims[0]);
    }
    const bool per_tensor = !tml_weights_per_channel(weights);
    if (st == TML_OK && per_tensor && (weights->zero_point < -128 || weights->zero_point > 127)) {
        st = tml_fail(m, TML_ERR_MODEL, "weights zero point %d outside the int8 range", (int)weights->zero_point);
    }
    if (st == TML_OK) {
        st = tml_int_activation_range(m, activation, output, &p->act_min, &p->act_max);
    }
    if (st == TML_OK) {
        if (tml_weights_per_channel(weights)) {
            st = tml_conv_multipliers(m, node, sizeof(fc_params), input, weights, output, &p->multiplier, &p->shift);
        } else {
            st = per_tensor_multiplier(m, p, input, weights, bias, output);
        }
    }
    if (st == TML_OK && input->type == TML_INT16) {
        const tml_requant rq = tml_requant_view(node, sizeof(fc_params), weights, &p->multiplier, &p->shift);
        st = tml_check_int16_shifts(m, &rq, weights->dims[0]);
    }
    if (st != TML_OK) {
        return st;
    }
    p->input_offset = -input->zero_point; /* zero points checked to be int8 above */
    /* TFLM applies the weights' zero point with per-tensor weights only
     * (per-channel weights are symmetric by the quantization spec). */
    p->weight_offset = per_tensor ? -weights->zero_point : 0;
    p->output_offset = output->zero_point;
#if TML_HAVE_DSP /* DSP-extension hook: the scratch of arm/fully_connected_dsp.c */
    if (input->type == TML_INT8) {
        const tml_dsp_fc dc = fc_dsp_args(p, node, input, weights);
        node->scratch_bytes = tml_fully_connected_dsp_scratch(&dc);
    }
#endif
    return TML_OK;
}

static void fc_int8(const fc_params *p, const tml_requant *rq, int32_t batches, int32_t units, int32_t depth,
    const int8_t *input, const int8_t *weights, const int32_t *bias, int8_t *output) {
    for (int32_t b = 0; b < batches; b++) {
        const int8_t *row = input + b * depth;
        for (int32_t u = 0; u < units; u++) {
            const int8_t *w = weights + u * depth;
            uint32_t acc = 0; /* int32 arithmetic, wrapping as TFLM's does (see conv_util.h) */
            for (int32_t d = 0; d < depth; d++) {
                acc += (uint32_t)(((int32_t)w[d] + p->weight_offset) * ((int32_t)row[d] + p->input_offset));
            }
            if (bias != NULL) {
                acc += (uint32_t)bias[u];
            }
            *output++ = tml_requantize_int8(acc, rq->multiplier[u * rq->step], rq->shift[u * rq->step],
                p->output_offset, p->act_min, p->act_max);
        }
    }
}

/* 16x8: as fc_int8 without the activation zero points (int16 ones are 0),
 * the sum in int64 as TFLM's, and its int64 requantization. */
static void fc_int16(const fc_params *p, const tml_requant *rq, int32_t batches, int32_t units, int32_t depth,
    const int16_t *input, const int8_t *weights, const int64_t *bias, int16_t *output) {
    for (int32_t b = 0; b < batches; b++) {
        const int16_t *row = input + b * depth;
        for (int32_t u = 0; u < units; u++) {
            const int8_t *w = weights + u * depth;
            int64_t acc = 0;
            for (int32_t d = 0; d < depth; d++) {
                acc += ((int32_t)w[d] + p->weight_offset) * (int32_t)row[d];
            }
            if (bias != NULL) {
                acc = (int64_t)((uint64_t)acc + (uint64_t)bias[u]);
            }
            *output++ = tml_requantize_int16(acc, rq->multiplier[u * rq->step], rq->shift[u * rq->step], p->act_min,
                p->act_max);
        }
    }
}

/* Float: sum in depth order, + bias (0.0f if absent), clamp: TFLM's rounding. */
static void fc_float(const fc_params *p, int32_t batches, int32_t units, int32_t depth, const float *input,
    const float *weights, const float *bias, float *output) {
    for (int32_t b = 0; b < batches; b++) {
        const float *row = input + b * depth;
        for (int32_t u = 0; u < units; u++) {
            const float *w = weights + u * depth;
            float total = 0.0f;
            for (int32_t d = 0; d < depth; d++) {
                total += row[d] * w[d];
            }
            const float bias_value = bias != NULL ? bias[u] : 0.0f;
            *output++ = tml_clamp_f32(total + bias_value, p->f_act_min, p->f_act_max);
        }
    }
}

static tml_status fc_eval(tml_model *m, tml_node *node) {
    const fc_params *p = (const fc_params *)node->params;
    const tml_tensor *input = tml_node_input(m, node, 0);
    const tml_tensor *weights = tml_node_input(m, node, 1);
    const tml_tensor *bias = tml_node_input(m, node, 2);
    tml_tensor *output = tml_node_output(m, node, 0);
    const int32_t units = weights->dims[0];
    const int32_t depth = weights->dims[1];
    const int32_t batches = tml_numel(input) / depth;
    if (tml_is_hybrid(input, weights)) {
        fc_eval_hybrid(m, node, input, weights, bias, output);
    } else if (input->type == TML_FLOAT32) {
        fc_float(p, batches, units, depth, (const float *)input->data, (const float *)weights->data,
            bias != NULL ? (const float *)bias->data : NULL, (float *)output->data);
    } else if (input->type == TML_INT16) {
        const tml_requant rq = tml_requant_view(node, sizeof(fc_params), weights, &p->multiplier, &p->shift);
        fc_int16(p, &rq, batches, units, depth, (const int16_t *)input->data, (const int8_t *)weights->data,
            bias != NULL ? (const int64_t *)bias->data : NULL, (int16_t *)output->data);
    } else {
#if TML_HAVE_DSP /* DSP-extension hook: arm/fully_connected_dsp.c when it applies */
        const tml_dsp_fc dc = fc_dsp_args(p, node, input, weights);
        if (tml_fully_connected_dsp(&dc, (const int8_t *)input->data, (const int8_t *)weights->data,
                bias != NULL ? (const int32_t *)bias->data : NULL, (int8_t *)output->data, node->scratch,
                node->scratch_bytes)) {
            return TML_OK;
        }
#endif
#if TML_HAVE_PORTABLE /* portable hook: portable/fully_connected_portable.c when it applies */
        const tml_dsp_fc pc = fc_dsp_args(p, node, input, weights);
        if (tml_fully_connected_portable(&pc, (const int8_t *)input->data, (const int8_t *)weights->data,
                bias != NULL ? (const int32_t *)bias->data : NULL, (int8_t *)output->data)) {
            return TML_OK;
        }
#endif
        const tml_requant rq = tml_requant_view(node, sizeof(fc_params), weights, &p->multiplier, &p->shift);
        fc_int8(p, &rq, batches, units, depth, (const int8_t *)input->data, (const int8_t *)weights->data,
            bias != NULL ? (const int32_t *)bias->data : NULL, (int8_t *)output->data);
    }
    return TML_OK;
}

/* TFLite op versions: 1 float, 3 hybrid, 4 int8, 5 keep_num_dims, 6 no bias,
 * 7 16x8, 9 hybrid with asymmetric_quantize_inputs, 12 what TensorFlow 2.21's
 * dynamic-range conversion writes for a Dense layer (hybrid, per-channel
 * weights). Version 2 (shuffled weights) loads and then fails in prepare; the
 * features of 8 (sparse weights: the loader refuses sparse tensors) and 10
 * (int4 weights: refused by the weights type check) are refused by name. */
const tml_kernel tml_kernel_FULLY_CONNECTED = {
    .name = "FULLY_CONNECTED",
    .builtin = 9,
    .max_version = 12,
    .types = TML_TYPES_FLOAT_INT8_INT16 | TML_TYPES_HYBRID,
    .per_channel_bytes = TML_PER_CHANNEL_BYTES,
    .params_size = sizeof(fc_params),
    .prepare = fc_prepare,
    .eval = fc_eval,
};
