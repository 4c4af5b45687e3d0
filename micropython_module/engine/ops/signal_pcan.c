/*
 * SignalPCAN (TFLM signal/micro/kernels/pcan.cc, signal/src/pcan_argc_fixed.cc):
 * per-channel energy normalisation. Each channel is multiplied by a gain
 * looked up from its noise estimate (a piecewise quadratic in the model's
 * gain_lut, indexed by the estimate's bit count), shifted right by snr_shift,
 * then compressed by "shrink": x^2/4 below 2, x - 1 above, from 12 to 6
 * fractional bits.
 */
#include "signal_common.h"

enum {
    PCAN_SNR_BITS = 12,
    PCAN_OUTPUT_BITS = 6,
    /* Entries the gain lookup can reach: 4 * 32 - 6 + 2 for a 32-bit estimate, plus one. */
    PCAN_LUT_MIN_SIZE = 4 * 32 - 6 + 3,
};

typedef struct {
    int32_t snr_shift;
    int32_t num_channels;
} pcan_params;

/* TFLM's WideDynamicFunction, with its int16 result and int32 steps (done in
 * uint32 where TFLM's could overflow, which gives the same bits). */
static int16_t pcan_gain(uint32_t x, const int16_t *lut) {
    if (x <= 2) {
        return lut[x];
    }
    const int32_t interval = (int32_t)tml_msb32(x);
    lut += 4 * interval - 6;
    const int32_t frac =
        (int32_t)((interval < 11 ? x << (11 - interval) : x >> (interval - 11)) & 0x3FF);
    int32_t result = ((int32_t)lut[2] * frac) >> 5;
    result = (int32_t)((uint32_t)result + ((uint32_t)(int32_t)lut[1] << 5));
    result = (int32_t)((uint32_t)result * (uint32_t)frac);
    result = (int32_t)((uint32_t)result + (1u << 14)) >> 15;
    result += lut[0];
    return (int16_t)result;
}

static uint32_t pcan_shrink(uint32_t x) {
    if (x < (2u << PCAN_SNR_BITS)) {
        return (x * x) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS);
    }
    return (x >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1u << PCAN_OUTPUT_BITS);
}

static tml_status pcan_prepare(tml_model *m, tml_node *node) {
    pcan_params *p = (pcan_params *)node->params;
    tml_status st = tml_signal_arity(m, node, 3, 1);
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *noise = tml_node_input(m, node, 1);
    tml_tensor *lut = tml_node_input(m, node, 2);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (st == TML_OK) {
        st = tml_signal_check(m, in, "input", TML_UINT32, 1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, noise, "noise estimate", TML_UINT32, 1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, lut, "gain_lut", TML_INT16, 1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, out, "output", TML_UINT32, 1);
    }
    tml_flex_map options;
    if (st == TML_OK) {
        st = tml_custom_options(m, node, &options);
    }
    if (st == TML_OK) {
        st = tml_custom_int(m, &options, "snr_shift", 0, 63, &p->snr_shift);
    }
    if (st != TML_OK) {
        return st;
    }
    p->num_channels = in->dims[0];
    if (p->num_channels <= 0 || noise->dims[0] != p->num_channels || out->dims[0] != p->num_channels) {
        return tml_fail(m, TML_ERR_MODEL, "input, noise estimate and output need the same size, have %d, %d and %d",
            in->dims[0], noise->dims[0], out->dims[0]);
    }
    if (lut->dims[0] < PCAN_LUT_MIN_SIZE) {
        return tml_fail(m, TML_ERR_MODEL, "gain_lut has %d entries, needs %d", lut->dims[0], PCAN_LUT_MIN_SIZE);
    }
    node->in_place = TML_IN_PLACE_IF_DEAD; /* channel i is read before it is written */
    return TML_OK;
}

static tml_status pcan_eval(tml_model *m, tml_node *node) {
    const pcan_params *p = (const pcan_params *)node->params;
    const uint32_t *x = (const uint32_t *)tml_node_input(m, node, 0)->data;
    const uint32_t *noise = (const uint32_t *)tml_node_input(m, node, 1)->data;
    const int16_t *lut = (const int16_t *)tml_node_input(m, node, 2)->data;
    uint32_t *y = (uint32_t *)tml_node_output(m, node, 0)->data;
    for (int32_t i = 0; i < p->num_channels; i++) {
        /* TFLM widens the int16 gain to uint32: a negative gain becomes huge. */
        const uint32_t gain = (uint32_t)(int32_t)pcan_gain(noise[i], lut);
        const uint32_t snr = (uint32_t)(((uint64_t)x[i] * gain) >> p->snr_shift);
        y[i] = pcan_shrink(snr);
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SIGNAL_PCAN = {
    .name = "SignalPCAN",
    .builtin = TML_BUILTIN_CUSTOM,
    .max_version = 1,
    .types = TML_TYPE_BIT(TML_UINT32),
    .params_size = sizeof(pcan_params),
    .prepare = pcan_prepare,
    .eval = pcan_eval,
};
