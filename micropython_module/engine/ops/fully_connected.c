/*
 * FULLY_CONNECTED: int8 (per-tensor or per-channel weights) and float32, as
 * TFLM's reference kernels compute it (reference/integer_ops/fully_connected.h,
 * reference/fully_connected.h).
 *
 * Layouts: weights [units, depth]; the input is read as [batches, depth]
 * whatever its rank (batches = input elements / depth); the output is
 * [batches, units], or the input's leading dimensions + [units] with
 * keep_num_dims.
 */
#include "conv_util.h"

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

static tml_status check_types(tml_model *m, const tml_tensor *input, const tml_tensor *weights,
    const tml_tensor *bias, const tml_tensor *output) {
    if (input->type != TML_INT8 && input->type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (int8 or float32)",
            tml_dtype_name(input->type));
    }
    if (output->type != input->type) {
        return tml_fail(m, TML_ERR_MODEL, "output type %s differs from input type %s", tml_dtype_name(output->type),
            tml_dtype_name(input->type));
    }
    if (input->type == TML_FLOAT32 && weights->type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED,
            "float32 input with %s weights (hybrid quantization) not supported; TFLM refuses it too",
            tml_dtype_name(weights->type));
    }
    if (input->type == TML_INT8 && weights->type != TML_INT8) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "int8 input needs int8 weights, got %s",
            tml_dtype_name(weights->type));
    }
    if (bias != NULL) {
        int want = input->type == TML_INT8 ? TML_INT32 : TML_FLOAT32;
        if (bias->type != want) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "bias must be %s for %s input, got %s", tml_dtype_name(want),
                tml_dtype_name(input->type), tml_dtype_name(bias->type));
        }
    }
    return TML_OK;
}

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
    if (bias_type != 0 && bias_type != TML_INT32 && bias_type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "quantized_bias_type %s not supported", tml_dtype_name(bias_type));
    }
    tml_status st = tml_check_fused_activation(m, activation);
    if (st == TML_OK) {
        st = check_types(m, input, weights, bias, output);
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
    st = tml_check_int8_activation_quant(m, input, "input");
    if (st == TML_OK) {
        st = tml_check_int8_activation_quant(m, output, "output");
    }
    if (st == TML_OK) {
        st = tml_check_int8_weights_quant(m, weights, 0, weights->dims[0]);
    }
    const bool per_tensor = !tml_weights_per_channel(weights);
    if (st == TML_OK && per_tensor && (weights->zero_point < -128 || weights->zero_point > 127)) {
        st = tml_fail(m, TML_ERR_MODEL, "weights zero point %d outside the int8 range", (int)weights->zero_point);
    }
    if (st == TML_OK) {
        st = tml_int8_activation_range(m, activation, output, &p->act_min, &p->act_max);
    }
    if (st == TML_OK) {
        if (tml_weights_per_channel(weights)) {
            st = tml_conv_multipliers(m, node, sizeof(fc_params), input, weights, output, &p->multiplier, &p->shift);
        } else {
            st = per_tensor_multiplier(m, p, input, weights, bias, output);
        }
    }
    if (st != TML_OK) {
        return st;
    }
    p->input_offset = -input->zero_point; /* zero points checked to be int8 above */
    /* TFLM applies the weights' zero point with per-tensor weights only
     * (per-channel weights are symmetric by the quantization spec). */
    p->weight_offset = per_tensor ? -weights->zero_point : 0;
    p->output_offset = output->zero_point;
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
    if (input->type == TML_FLOAT32) {
        fc_float(p, batches, units, depth, (const float *)input->data, (const float *)weights->data,
            bias != NULL ? (const float *)bias->data : NULL, (float *)output->data);
    } else {
        const tml_requant rq = tml_requant_view(node, sizeof(fc_params), weights, &p->multiplier, &p->shift);
        fc_int8(p, &rq, batches, units, depth, (const int8_t *)input->data, (const int8_t *)weights->data,
            bias != NULL ? (const int32_t *)bias->data : NULL, (int8_t *)output->data);
    }
    return TML_OK;
}

/* TFLite op versions: 1 float, 4 int8, 5 keep_num_dims, 6 no bias. Versions
 * 2 (shuffled weights) and 3 (hybrid) load and then fail in prepare; 7 and
 * up (int16, sparse, int4, ...) are not implemented. */
const tml_kernel tml_kernel_FULLY_CONNECTED = {
    .name = "FULLY_CONNECTED",
    .builtin = 9,
    .max_version = 6,
    .per_channel_bytes = TML_PER_CHANNEL_BYTES,
    .params_size = sizeof(fc_params),
    .prepare = fc_prepare,
    .eval = fc_eval,
};
