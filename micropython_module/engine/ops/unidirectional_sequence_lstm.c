/*
 * UNIDIRECTIONAL_SEQUENCE_LSTM, float32 and int8 (8x8->16), as TFLM's
 * lstm_eval computes it (the standard LSTM: four gates, no peephole,
 * projection, layer norm or CIFG; the cell gate and the hidden state use
 * tanh). Per time step and batch row, with x the input row and h, c the
 * hidden and cell state (float32):
 *   gate = act(clamp(W_gate . x + b_gate) + clamp(R_gate . h + 0))
 *          (act: sigmoid for the input, forget and output gates, tanh for
 *          the cell gate; clamp: to the float range, TFLM's no-activation)
 *   c = clamp(f * c) + clamp(i * g), then clipped to +-cell_clip if > 0
 *   h = clamp(tanh(c) * o); the output row is h.
 * Each dot product runs in index order from 0.0f, and sigmoid and tanh are
 * TFLM's (reference Logistic with its cut-offs, tanhf), so every rounding is
 * TFLM's. The hidden and cell states (inputs 18 and 19) are variable
 * tensors, kept across invokes.
 *
 * int8 (TFLM's integer LSTM: int8 input, hidden state and weights, int32
 * biases, int16 cell state with a power-of-two scale):
 *   each FC: int32 sum of (w - zp_w)(x - zp_x) (+ bias for the input FC),
 *     requantized to int16 at scale 2^-12 (the sigmoid/tanh input, Q3.12);
 *   gate = sigmoid or tanh (TFLM's int16 table kernels, output Q0.15) of the
 *     saturating int16 sum of the two FCs;
 *   c = sat16(rescale(f * c) + rescale(i * g)), clipped if cell_clip > 0;
 *   h = rescale(tanh(c) * o) + zp_h, clamped to int8.
 * Every rescale is a MultiplyByQuantizedMultiplier of (double) scales; TFLM
 * takes the gate output scale as the float 0.00003051757f, slightly below
 * 2^-15, and so does this kernel.
 */
#include "../tml_math.h"
#include "../tml_math_extra.h"
#include "conv_util.h"
#include "sigmoid.h"

/* UnidirectionalSequenceLSTMOptions fields. */
enum { OPT_ACTIVATION = 0, OPT_CELL_CLIP = 1, OPT_PROJ_CLIP = 2, OPT_TIME_MAJOR = 3 };

/* Inputs (TFLite's LSTM tensor order). */
enum {
    IN_INPUT = 0,
    IN_INPUT_WEIGHTS = 1,     /* 1..4: input-to-{input, forget, cell, output} weights [H, I] */
    IN_RECURRENT_WEIGHTS = 5, /* 5..8: recurrent-to-{...} weights [H, H] */
    IN_PEEPHOLE = 9,          /* 9..11, optional: not supported */
    IN_GATE_BIAS = 12,        /* 12..15: {input, forget, cell, output} gate bias [H] */
    IN_PROJECTION_WEIGHTS = 16,
    IN_PROJECTION_BIAS = 17,
    IN_HIDDEN_STATE = 18,
    IN_CELL_STATE = 19,
    IN_LAYER_NORM = 20, /* 20..23, optional: not supported */
    NUM_INPUTS = 24,
};
enum { GATE_INPUT = 0, GATE_FORGET = 1, GATE_CELL = 2, GATE_OUTPUT = 3 };

/* int8: the requantization of one FC (to the int16 gate input). */
typedef struct {
    int32_t input_offset, weight_offset; /* minus the zero points */
    int32_t multiplier;
    int32_t shift;
} fc_rescale;

typedef struct {
    int32_t multiplier;
    int32_t shift;
} rescale;

typedef struct {
    int32_t batches, steps, inputs, units;
    float cell_clip;
    uint8_t time_major;
    uint8_t reserved[3];
    /* int8 */
    fc_rescale input_fc[4], recurrent_fc[4];
    rescale forget_times_cell, input_times_cell_gate, hidden;
    int32_t hidden_zero_point;
    int32_t quantized_cell_clip;
    tml_sigmoid_params cell_tanh; /* tanh of the cell state (scale 2^power) */
} lstm_params;

/* TFLM's gate output scale, the float nearest 0.00003051757 (not 2^-15). */
#define GATE_OUTPUT_SCALE 0.00003051757f
#define GATE_INPUT_SCALE 0.000244140625 /* 2^-12: Q3.12 */

#define FLOAT_MAX 3.4028234663852886e38f

static tml_status quantized_scale(tml_model *m, double scale, rescale *r) {
    int8_t shift = 0;
    tml_status st = tml_quantize_scale(m, scale, &r->multiplier, &shift);
    r->shift = shift;
    return st;
}

/* One FC's rescale to the gate input scale, per-tensor weights only (as
 * TFLM's LSTM runs them). */
static tml_status fc_prepare(tml_model *m, const tml_tensor *x, const tml_tensor *w, fc_rescale *fc) {
    if (w->num_channels != 1 || x->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "LSTM weights and activations must be quantized per tensor");
    }
    fc->input_offset = -x->zero_point;
    fc->weight_offset = -w->zero_point;
    rescale r;
    tml_status st = quantized_scale(m, (double)x->scale * (double)w->scale / GATE_INPUT_SCALE, &r);
    fc->multiplier = r.multiplier;
    fc->shift = r.shift;
    return st;
}

static tml_status prepare_int8(tml_model *m, tml_node *node, lstm_params *p) {
    const tml_tensor *input = tml_node_input(m, node, IN_INPUT);
    const tml_tensor *hidden = tml_node_input(m, node, IN_HIDDEN_STATE);
    const tml_tensor *cell = tml_node_input(m, node, IN_CELL_STATE);
    int cell_power;
    if (cell->num_channels != 1 || !tml_checked_log2(cell->scale, &cell_power) || cell->zero_point != 0) {
        return tml_fail(m, TML_ERR_MODEL, "int16 cell state needs a power-of-two scale and zero point 0");
    }
    tml_status st = TML_OK;
    for (int gate = 0; gate < 4 && st == TML_OK; gate++) {
        st = fc_prepare(m, input, tml_node_input(m, node, IN_INPUT_WEIGHTS + gate), &p->input_fc[gate]);
        if (st == TML_OK) {
            st = fc_prepare(m, hidden, tml_node_input(m, node, IN_RECURRENT_WEIGHTS + gate), &p->recurrent_fc[gate]);
        }
    }
    const double gate_scale = (double)GATE_OUTPUT_SCALE;
    if (st == TML_OK) {
        st = quantized_scale(m, gate_scale * (double)cell->scale / (double)cell->scale, &p->forget_times_cell);
    }
    if (st == TML_OK) {
        st = quantized_scale(m, gate_scale * gate_scale / (double)cell->scale, &p->input_times_cell_gate);
    }
    if (st == TML_OK) {
        st = quantized_scale(m, gate_scale * gate_scale / (double)hidden->scale, &p->hidden);
    }
    if (st != TML_OK) {
        return st;
    }
    p->hidden_zero_point = hidden->zero_point;
    double clip = (double)p->cell_clip / (double)cell->scale;
    clip = clip < -32768.0 ? -32768.0 : (clip > 32767.0 ? 32767.0 : clip);
    p->quantized_cell_clip = (int32_t)clip; /* truncated, as TFLM's static_cast */
    /* TFLM's Tanh(cell_state_scale_power): the cell state in units of 1 / (3 * 4096) */
    const int left_shift = 15 + cell_power - 3;
    p->cell_tanh.input_multiplier = left_shift < 0 ? 3 : 3 << left_shift;
    p->cell_tanh.input_left_shift = left_shift < 0 ? -left_shift : 0;
    if (left_shift > 12 || left_shift < -30) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "cell state scale 2^%d out of range", cell_power);
    }
    return TML_OK;
}

static tml_status lstm_prepare(tml_model *m, tml_node *node) {
    lstm_params *p = (lstm_params *)node->params;
    char a[48];
    if (node->num_inputs != NUM_INPUTS || node->num_outputs != 1) {
        return tml_fail(m, TML_ERR_MODEL, "needs 24 inputs and 1 output, got %d and %d", node->num_inputs,
            node->num_outputs);
    }
    const tml_tensor *input = tml_node_input(m, node, IN_INPUT);
    const tml_tensor *output = tml_node_output(m, node, 0);
    const tml_tensor *hidden = tml_node_input(m, node, IN_HIDDEN_STATE);
    const tml_tensor *cell = tml_node_input(m, node, IN_CELL_STATE);
    if (input == NULL || output == NULL || hidden == NULL || cell == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "input, output, hidden and cell state are required");
    }
    if (input->type != TML_FLOAT32 && input->type != TML_INT8) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32 or int8)",
            tml_dtype_name(input->type));
    }
    for (int i = IN_PEEPHOLE; i < IN_GATE_BIAS; i++) {
        if (tml_node_input(m, node, i) != NULL) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "peephole connections not supported");
        }
    }
    if (tml_node_input(m, node, IN_PROJECTION_WEIGHTS) != NULL || tml_node_input(m, node, IN_PROJECTION_BIAS) != NULL) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "projection not supported");
    }
    for (int i = IN_LAYER_NORM; i < NUM_INPUTS; i++) {
        if (tml_node_input(m, node, i) != NULL) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "layer normalization not supported");
        }
    }
    if (hidden->kind != TML_TENSOR_VARIABLE || cell->kind != TML_TENSOR_VARIABLE) {
        return tml_fail(m, TML_ERR_MODEL, "hidden and cell state (inputs 18, 19) must be variable tensors");
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    const int activation = tml_fb_i8(&fb, &opt, OPT_ACTIVATION, TML_ACT_NONE);
    p->cell_clip = tml_fb_f32(&fb, &opt, OPT_CELL_CLIP, 0.0f);
    p->time_major = tml_fb_bool(&fb, &opt, OPT_TIME_MAJOR, false) ? 1 : 0;
    if (activation != TML_ACT_TANH) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "activation %d not supported (only TANH)", activation);
    }
    if (input->ndim != 3) {
        return tml_fail(m, TML_ERR_MODEL, "input %s must be 3-D", tml_shape_str(input, a, sizeof a));
    }
    p->steps = p->time_major ? input->dims[0] : input->dims[1];
    p->batches = p->time_major ? input->dims[1] : input->dims[0];
    p->inputs = input->dims[2];
    p->units = tml_dim(hidden, -1);
    for (int gate = 0; gate < 4; gate++) {
        const tml_tensor *w = tml_node_input(m, node, IN_INPUT_WEIGHTS + gate);
        const tml_tensor *r = tml_node_input(m, node, IN_RECURRENT_WEIGHTS + gate);
        const tml_tensor *b = tml_node_input(m, node, IN_GATE_BIAS + gate);
        if (w == NULL || r == NULL || b == NULL) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "gate %d lacks weights or bias (CIFG is not supported)", gate);
        }
        const int weight_type = input->type == TML_INT8 ? TML_INT8 : TML_FLOAT32;
        const int bias_type = input->type == TML_INT8 ? TML_INT32 : TML_FLOAT32;
        if (w->type != weight_type || r->type != weight_type || b->type != bias_type) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "%s LSTM needs %s weights and %s biases",
                tml_dtype_name(input->type), tml_dtype_name(weight_type), tml_dtype_name(bias_type));
        }
        if (w->ndim != 2 || w->dims[0] != p->units || w->dims[1] != p->inputs || r->ndim != 2 ||
            r->dims[0] != p->units || r->dims[1] != p->units || tml_numel(b) != p->units) {
            return tml_fail(m, TML_ERR_MODEL, "gate %d weights or bias do not fit %d inputs and %d units", gate,
                (int)p->inputs, (int)p->units);
        }
    }
    const int cell_type = input->type == TML_INT8 ? TML_INT16 : TML_FLOAT32;
    if (hidden->type != input->type || cell->type != cell_type || output->type != input->type ||
        tml_numel(hidden) != p->batches * p->units || tml_numel(cell) != p->batches * p->units) {
        return tml_fail(m, TML_ERR_MODEL, "hidden state must be %s and cell state %s, both [%d, %d]",
            tml_dtype_name(input->type), tml_dtype_name(cell_type), (int)p->batches, (int)p->units);
    }
    const bool output_ok = output->ndim == 3 && output->dims[0] == input->dims[0] &&
                           output->dims[1] == input->dims[1] && output->dims[2] == p->units;
    if (!output_ok) {
        return tml_fail(m, TML_ERR_MODEL, "output %s must be the input's first two dimensions by %d units",
            tml_shape_str(output, a, sizeof a), (int)p->units);
    }
    node->scratch_bytes = 4u * 4u * (uint32_t)p->units; /* the four gates of one row */
    return input->type == TML_INT8 ? prepare_int8(m, node, p) : TML_OK;
}

/* TFLM reference Logistic (float). */
static float sigmoid(float v) {
    return v > 16.619047164916992188f ? 1.0f : (v < -9.0f ? tml_expf(v) : 1.0f / (1.0f + tml_expf(-v)));
}

/* One gate for one row: act(clamp(W . x + b) + clamp(R . h + 0.0f)). */
static void gate_row(const lstm_params *p, const float *w, const float *r, const float *bias, const float *x,
    const float *h, bool is_tanh, float *out) {
    for (int32_t u = 0; u < p->units; u++) {
        float from_input = 0.0f;
        for (int32_t i = 0; i < p->inputs; i++) {
            from_input += x[i] * w[u * p->inputs + i];
        }
        float from_hidden = 0.0f;
        for (int32_t j = 0; j < p->units; j++) {
            from_hidden += h[j] * r[u * p->units + j];
        }
        /* TFLM: two FULLY_CONNECTED results (the recurrent one without a bias adds 0.0f), then their sum */
        const float sum = tml_clamp_f32(from_input + bias[u], -FLOAT_MAX, FLOAT_MAX) +
                          tml_clamp_f32(from_hidden + 0.0f, -FLOAT_MAX, FLOAT_MAX);
        out[u] = is_tanh ? tml_tanhf(sum) : sigmoid(sum);
    }
}

static int32_t saturate_int16(int32_t v) {
    return tml_clamp_i32(v, -32768, 32767);
}

/* One FC row to the int16 gate input: TFLM's FullyConnected (int32 sum). */
static int32_t fc_int8(const fc_rescale *fc, const int8_t *w, const int8_t *x, int32_t depth, const int32_t *bias,
    int32_t u) {
    uint32_t acc = 0; /* int32, wrapping as TFLM's */
    for (int32_t i = 0; i < depth; i++) {
        acc += (uint32_t)(((int32_t)w[u * depth + i] + fc->weight_offset) * ((int32_t)x[i] + fc->input_offset));
    }
    if (bias != NULL) {
        acc += (uint32_t)bias[u];
    }
    return saturate_int16(tml_mbqm((int32_t)acc, fc->multiplier, fc->shift));
}

static void gate_row_int8(const lstm_params *p, int gate, tml_model *m, const tml_node *node, const int8_t *x,
    const int8_t *h, bool is_tanh, int16_t *out) {
    const int8_t *w = (const int8_t *)tml_node_input(m, node, IN_INPUT_WEIGHTS + gate)->data;
    const int8_t *r = (const int8_t *)tml_node_input(m, node, IN_RECURRENT_WEIGHTS + gate)->data;
    const int32_t *bias = (const int32_t *)tml_node_input(m, node, IN_GATE_BIAS + gate)->data;
    for (int32_t u = 0; u < p->units; u++) {
        const int32_t sum = saturate_int16(fc_int8(&p->input_fc[gate], w, x, p->inputs, bias, u) +
                                           fc_int8(&p->recurrent_fc[gate], r, h, p->units, NULL, u));
        out[u] = is_tanh ? tml_tanh_q15(sum * 3) : tml_sigmoid_q15(sum * 3); /* Q3.12 in units of 1 / (3 * 4096) */
    }
}

static void eval_int8(const lstm_params *p, tml_model *m, tml_node *node) {
    const int8_t *x = (const int8_t *)tml_node_input(m, node, IN_INPUT)->data;
    int8_t *y = (int8_t *)tml_node_output(m, node, 0)->data;
    int8_t *hidden = (int8_t *)tml_node_input(m, node, IN_HIDDEN_STATE)->data;
    int16_t *cell = (int16_t *)tml_node_input(m, node, IN_CELL_STATE)->data;
    const int32_t n = p->units;
    int16_t *in_gate = (int16_t *)node->scratch, *forget_gate = in_gate + n, *cell_gate = in_gate + 2 * n;
    int16_t *out_gate = in_gate + 3 * n;
    for (int32_t t = 0; t < p->steps; t++) {
        for (int32_t b = 0; b < p->batches; b++) {
            const int32_t row = p->time_major ? t * p->batches + b : b * p->steps + t;
            const int8_t *x_row = x + row * p->inputs;
            int8_t *h = hidden + b * n;
            int16_t *c = cell + b * n;
            gate_row_int8(p, GATE_FORGET, m, node, x_row, h, false, forget_gate);
            gate_row_int8(p, GATE_INPUT, m, node, x_row, h, false, in_gate);
            gate_row_int8(p, GATE_CELL, m, node, x_row, h, true, cell_gate);
            for (int32_t u = 0; u < n; u++) {
                const int32_t kept = saturate_int16(
                    tml_mbqm(forget_gate[u] * c[u], p->forget_times_cell.multiplier, p->forget_times_cell.shift));
                const int32_t added = saturate_int16(tml_mbqm(in_gate[u] * cell_gate[u],
                    p->input_times_cell_gate.multiplier, p->input_times_cell_gate.shift));
                int32_t updated = saturate_int16(kept + added);
                if (p->cell_clip > 0.0f) {
                    updated = tml_clamp_i32(updated, -p->quantized_cell_clip, p->quantized_cell_clip);
                }
                c[u] = (int16_t)updated;
            }
            gate_row_int8(p, GATE_OUTPUT, m, node, x_row, h, false, out_gate);
            int8_t *y_row = y + row * n;
            for (int32_t u = 0; u < n; u++) {
                const int16_t tanh_c = tml_tanh_q15(tml_sigmoid_int16_input(&p->cell_tanh, c[u]));
                const int32_t v = tml_mbqm(tanh_c * out_gate[u], p->hidden.multiplier, p->hidden.shift) +
                                  p->hidden_zero_point;
                h[u] = (int8_t)tml_clamp_i32(v, -128, 127);
                y_row[u] = h[u];
            }
        }
    }
}

static tml_status lstm_eval(tml_model *m, tml_node *node) {
    const lstm_params *p = (const lstm_params *)node->params;
    if (tml_node_input(m, node, IN_INPUT)->type == TML_INT8) {
        eval_int8(p, m, node);
        return TML_OK;
    }
    const float *x = (const float *)tml_node_input(m, node, IN_INPUT)->data;
    float *y = (float *)tml_node_output(m, node, 0)->data;
    float *hidden = (float *)tml_node_input(m, node, IN_HIDDEN_STATE)->data;
    float *cell = (float *)tml_node_input(m, node, IN_CELL_STATE)->data;
    float *gates = (float *)node->scratch;
    const float *w[4], *r[4], *bias[4];
    for (int g = 0; g < 4; g++) {
        w[g] = (const float *)tml_node_input(m, node, IN_INPUT_WEIGHTS + g)->data;
        r[g] = (const float *)tml_node_input(m, node, IN_RECURRENT_WEIGHTS + g)->data;
        bias[g] = (const float *)tml_node_input(m, node, IN_GATE_BIAS + g)->data;
    }
    const int32_t n = p->units;
    for (int32_t t = 0; t < p->steps; t++) {
        for (int32_t b = 0; b < p->batches; b++) {
            /* rows of [T, B, .] (time major) or [B, T, .] */
            const int32_t row = p->time_major ? t * p->batches + b : b * p->steps + t;
            const float *x_row = x + row * p->inputs;
            float *h = hidden + b * n;
            float *c = cell + b * n;
            float *in_gate = gates, *forget_gate = gates + n, *cell_gate = gates + 2 * n, *out_gate = gates + 3 * n;
            gate_row(p, w[GATE_FORGET], r[GATE_FORGET], bias[GATE_FORGET], x_row, h, false, forget_gate);
            gate_row(p, w[GATE_INPUT], r[GATE_INPUT], bias[GATE_INPUT], x_row, h, false, in_gate);
            gate_row(p, w[GATE_CELL], r[GATE_CELL], bias[GATE_CELL], x_row, h, true, cell_gate);
            for (int32_t u = 0; u < n; u++) {
                float updated = tml_clamp_f32(forget_gate[u] * c[u], -FLOAT_MAX, FLOAT_MAX) +
                                tml_clamp_f32(in_gate[u] * cell_gate[u], -FLOAT_MAX, FLOAT_MAX);
                if (p->cell_clip > 0.0f) { /* TFLM: max(min(clip, v), -clip) */
                    const float upper = updated < p->cell_clip ? updated : p->cell_clip;
                    updated = upper < -p->cell_clip ? -p->cell_clip : upper;
                }
                c[u] = updated;
            }
            /* the output gate still sees the old hidden state */
            gate_row(p, w[GATE_OUTPUT], r[GATE_OUTPUT], bias[GATE_OUTPUT], x_row, h, false, out_gate);
            float *y_row = y + row * n;
            for (int32_t u = 0; u < n; u++) {
                h[u] = tml_clamp_f32(tml_tanhf(c[u]) * out_gate[u], -FLOAT_MAX, FLOAT_MAX);
                y_row[u] = h[u];
            }
        }
    }
    return TML_OK;
}

/* TFLite op versions: 1 (float32 and int8), 2 and 4 hybrid (refused in prepare), 3 int8 as some
 * converters mark it; 5 (int16) and 6 (diagonal recurrent) are not supported. */
const tml_kernel tml_kernel_UNIDIRECTIONAL_SEQUENCE_LSTM = {
    .name = "UNIDIRECTIONAL_SEQUENCE_LSTM",
    .builtin = 44,
    .max_version = 4,
    .types = TML_TYPES_FLOAT_INT8,
    .params_size = sizeof(lstm_params),
    .prepare = lstm_prepare,
    .eval = lstm_eval,
};
