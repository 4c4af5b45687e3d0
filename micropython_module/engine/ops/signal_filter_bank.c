/*
 * SignalFilterBank (TFLM signal/micro/kernels/filter_bank.cc,
 * signal/src/filter_bank.cc): mel filter bank over an energy spectrum.
 *
 * Channel c (0..num_channels, channel 0 only feeds channel 1) covers
 * widths[c] bins from freq_starts[c], with weights from weight_starts[c].
 * Each bin's energy goes to two neighbouring outputs: times weights[] to
 * channel c, times unweights[] to channel c + 1. Output c - 1 is channel c's
 * uint64 sum (output 0 gets channel 1, i.e. channel 0's unweighted part plus
 * channel 1's weighted part). Products are formed as TFLM forms them: the
 * int16 weight converted to uint64, times the uint32 energy, modulo 2^64.
 *
 * The five tables are constants (as the converter writes them), so their
 * ranges are checked once, here, against the input and weight sizes.
 */
#include "signal_common.h"

enum { IN_ENERGY, IN_WEIGHTS, IN_UNWEIGHTS, IN_FREQ_STARTS, IN_WEIGHT_STARTS, IN_WIDTHS };

typedef struct {
    int32_t num_channels;
} filter_bank_params;

/* Input names for messages (a switch, not a table of pointers: no relocations). */
static const char *input_name(int i) {
    switch (i) {
        case IN_ENERGY: return "input";
        case IN_WEIGHTS: return "weights";
        case IN_UNWEIGHTS: return "unweights";
        case IN_FREQ_STARTS: return "channel_frequency_starts";
        case IN_WEIGHT_STARTS: return "channel_weight_starts";
        default: return "channel_widths";
    }
}

static tml_status filter_bank_prepare(tml_model *m, tml_node *node) {
    filter_bank_params *p = (filter_bank_params *)node->params;
    tml_status st = tml_signal_arity(m, node, 6, 1);
    for (int i = 0; i < 6 && st == TML_OK; i++) {
        st = tml_signal_check(m, tml_node_input(m, node, i), input_name(i), i == IN_ENERGY ? TML_UINT32 : TML_INT16, 1);
    }
    tml_tensor *out = tml_node_output(m, node, 0);
    if (st == TML_OK) {
        st = tml_signal_check(m, out, "output", TML_UINT64, 1);
    }
    tml_flex_map options;
    if (st == TML_OK) {
        st = tml_custom_options(m, node, &options);
    }
    if (st == TML_OK) {
        st = tml_custom_int(m, &options, "num_channels", 1, 32767, &p->num_channels);
    }
    if (st != TML_OK) {
        return st;
    }
    if (out->dims[0] != p->num_channels) {
        return tml_fail(m, TML_ERR_MODEL, "output has %d elements, num_channels is %d", out->dims[0], p->num_channels);
    }
    const tml_tensor *energy = tml_node_input(m, node, IN_ENERGY);
    const tml_tensor *weights = tml_node_input(m, node, IN_WEIGHTS);
    const tml_tensor *unweights = tml_node_input(m, node, IN_UNWEIGHTS);
    const int32_t num_weights = tml_min_i32(weights->dims[0], unweights->dims[0]);
    const int16_t *table[3];
    for (int t = 0; t < 3; t++) {
        const tml_tensor *tensor = tml_node_input(m, node, IN_FREQ_STARTS + t);
        if (tensor->kind != TML_TENSOR_CONSTANT) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "%s must be a constant", input_name(IN_FREQ_STARTS + t));
        }
        if (tensor->dims[0] < p->num_channels + 1) {
            return tml_fail(m, TML_ERR_MODEL, "%s has %d elements, needs num_channels + 1 = %d",
                input_name(IN_FREQ_STARTS + t), tensor->dims[0], p->num_channels + 1);
        }
        table[t] = (const int16_t *)tensor->data;
    }
    for (int32_t c = 0; c <= p->num_channels; c++) {
        const int32_t freq_start = table[0][c], weight_start = table[1][c], width = table[2][c];
        if (freq_start < 0 || weight_start < 0 || width < 0 || freq_start + width > energy->dims[0] ||
            weight_start + width > num_weights) {
            return tml_fail(m, TML_ERR_MODEL,
                "channel %d (bins %d + %d, weights %d + %d) reaches past the %d input bins or %d weights", c,
                freq_start, width, weight_start, width, energy->dims[0], num_weights);
        }
    }
    return TML_OK;
}

static tml_status filter_bank_eval(tml_model *m, tml_node *node) {
    const filter_bank_params *p = (const filter_bank_params *)node->params;
    const uint32_t *energy = (const uint32_t *)tml_node_input(m, node, IN_ENERGY)->data;
    const int16_t *weights = (const int16_t *)tml_node_input(m, node, IN_WEIGHTS)->data;
    const int16_t *unweights = (const int16_t *)tml_node_input(m, node, IN_UNWEIGHTS)->data;
    const int16_t *freq_starts = (const int16_t *)tml_node_input(m, node, IN_FREQ_STARTS)->data;
    const int16_t *weight_starts = (const int16_t *)tml_node_input(m, node, IN_WEIGHT_STARTS)->data;
    const int16_t *widths = (const int16_t *)tml_node_input(m, node, IN_WIDTHS)->data;
    uint64_t *y = (uint64_t *)tml_node_output(m, node, 0)->data;
    uint64_t carried = 0; /* the previous channel's unweighted sum */
    for (int32_t c = 0; c <= p->num_channels; c++) {
        uint64_t weighted = carried;
        uint64_t unweighted = 0;
        for (int32_t j = 0; j < widths[c]; j++) {
            const uint64_t e = energy[freq_starts[c] + j];
            weighted += (uint64_t)(int64_t)weights[weight_starts[c] + j] * e;
            unweighted += (uint64_t)(int64_t)unweights[weight_starts[c] + j] * e;
        }
        if (c > 0) {
            y[c - 1] = weighted;
        }
        carried = unweighted;
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SIGNAL_FILTER_BANK = {
    .name = "SignalFilterBank",
    .builtin = TML_BUILTIN_CUSTOM,
    .max_version = 1,
    .types = TML_TYPE_BIT(TML_UINT32),
    .params_size = sizeof(filter_bank_params),
    .prepare = filter_bank_prepare,
    .eval = filter_bank_eval,
};
