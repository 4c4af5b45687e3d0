/*
 * SignalFilterBankSpectralSubtraction (TFLM signal/micro/kernels/
 * filter_bank_spectral_subtraction.cc, signal/src/
 * filter_bank_spectral_subtraction.cc): noise suppression with a running
 * noise estimate per channel, kept across invokes (node->persistent, zeroed
 * by tml_reset as TFLM's Reset zeroes it).
 *
 *   estimate = (signal << smoothing_bits) * smoothing + estimate * (1 - smoothing)
 *              (64-bit, >> spectral_subtraction_bits; even channels use
 *              smoothing, odd ones alternate_smoothing)
 *   y = max(((signal << smoothing_bits) - min(estimate, signal << smoothing_bits)) >> smoothing_bits,
 *           signal * min_signal_remaining >> spectral_subtraction_bits)
 * With clamping, the estimate itself is lowered to the signal when above it.
 * Output 1 is a copy of the updated estimates.
 */
#include "signal_common.h"

typedef struct {
    int32_t num_channels;
    uint32_t smoothing, one_minus_smoothing;
    uint32_t alternate_smoothing, alternate_one_minus_smoothing;
    uint32_t min_signal_remaining;
    int32_t smoothing_bits, spectral_subtraction_bits;
    int32_t clamping;
} spectral_subtraction_params;

/* A coefficient option: TFLM reads it as int32 and stores it as uint32. */
static tml_status coefficient(tml_model *m, const tml_flex_map *options, const char *key, uint32_t *out) {
    int32_t v = 0;
    tml_status st = tml_custom_int(m, options, key, INT32_MIN, INT32_MAX, &v);
    *out = (uint32_t)v;
    return st;
}

static tml_status spectral_subtraction_prepare(tml_model *m, tml_node *node) {
    spectral_subtraction_params *p = (spectral_subtraction_params *)node->params;
    tml_status st = tml_signal_arity(m, node, 1, 2);
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    tml_tensor *estimate = tml_node_output(m, node, 1);
    if (st == TML_OK) {
        st = tml_signal_check(m, in, "input", TML_UINT32, 1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, out, "output", TML_UINT32, 1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, estimate, "noise estimate output", TML_UINT32, 1);
    }
    tml_flex_map o;
    if (st == TML_OK) {
        st = tml_custom_options(m, node, &o);
    }
    if (st == TML_OK) {
        st = tml_custom_int(m, &o, "num_channels", 0, INT16_MAX, &p->num_channels);
    }
    if (st == TML_OK) {
        st = coefficient(m, &o, "smoothing", &p->smoothing);
    }
    if (st == TML_OK) {
        st = coefficient(m, &o, "one_minus_smoothing", &p->one_minus_smoothing);
    }
    if (st == TML_OK) {
        st = coefficient(m, &o, "alternate_smoothing", &p->alternate_smoothing);
    }
    if (st == TML_OK) {
        st = coefficient(m, &o, "alternate_one_minus_smoothing", &p->alternate_one_minus_smoothing);
    }
    if (st == TML_OK) {
        st = coefficient(m, &o, "min_signal_remaining", &p->min_signal_remaining);
    }
    if (st == TML_OK) {
        st = tml_custom_int(m, &o, "smoothing_bits", 0, 31, &p->smoothing_bits);
    }
    if (st == TML_OK) {
        st = tml_custom_int(m, &o, "spectral_subtraction_bits", 0, 63, &p->spectral_subtraction_bits);
    }
    if (st == TML_OK) {
        st = tml_custom_int(m, &o, "clamping", INT32_MIN, INT32_MAX, &p->clamping);
    }
    if (st != TML_OK) {
        return st;
    }
    if (in->dims[0] != p->num_channels || out->dims[0] != p->num_channels || estimate->dims[0] != p->num_channels) {
        return tml_fail(m, TML_ERR_MODEL, "input, output and noise estimate need num_channels = %d elements",
            p->num_channels);
    }
    node->persistent_bytes = (uint32_t)p->num_channels * sizeof(uint32_t);
    return TML_OK;
}

static tml_status spectral_subtraction_eval(tml_model *m, tml_node *node) {
    const spectral_subtraction_params *p = (const spectral_subtraction_params *)node->params;
    const uint32_t *x = (const uint32_t *)tml_node_input(m, node, 0)->data;
    uint32_t *y = (uint32_t *)tml_node_output(m, node, 0)->data;
    uint32_t *noise = (uint32_t *)node->persistent;
    for (int32_t i = 0; i < p->num_channels; i++) {
        const bool odd = (i & 1) != 0;
        const uint32_t smoothing = odd ? p->alternate_smoothing : p->smoothing;
        const uint32_t one_minus_smoothing = odd ? p->alternate_one_minus_smoothing : p->one_minus_smoothing;
        const uint32_t signal_scaled_up = x[i] << p->smoothing_bits;
        noise[i] = (uint32_t)(((uint64_t)signal_scaled_up * smoothing + (uint64_t)noise[i] * one_minus_smoothing) >>
                              p->spectral_subtraction_bits);
        uint32_t estimate = noise[i];
        if (estimate > signal_scaled_up) {
            estimate = signal_scaled_up;
            if (p->clamping) {
                noise[i] = estimate;
            }
        }
        const uint32_t floor = (uint32_t)(((uint64_t)x[i] * p->min_signal_remaining) >> p->spectral_subtraction_bits);
        const uint32_t subtracted = (signal_scaled_up - estimate) >> p->smoothing_bits;
        y[i] = subtracted > floor ? subtracted : floor;
    }
    memcpy(tml_node_output(m, node, 1)->data, noise, (size_t)p->num_channels * sizeof(uint32_t));
    return TML_OK;
}

const tml_kernel tml_kernel_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION = {
    .name = "SignalFilterBankSpectralSubtraction",
    .builtin = TML_BUILTIN_CUSTOM,
    .max_version = 1,
    .types = TML_TYPE_BIT(TML_UINT32),
    .params_size = sizeof(spectral_subtraction_params),
    .prepare = spectral_subtraction_prepare,
    .eval = spectral_subtraction_eval,
};
