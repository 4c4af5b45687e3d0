/*
 * SignalEnergy (TFLM signal/micro/kernels/energy.cc, signal/src/energy.cc):
 * the power re^2 + im^2 of each complex bin in [start_index, end_index), as
 * uint32. Bins outside the range are not computed; TFLM leaves them
 * unwritten, we write 0 there so the output never depends on old memory.
 */
#include "signal_common.h"

typedef struct {
    int32_t start, end;
} energy_params;

static tml_status energy_prepare(tml_model *m, tml_node *node) {
    energy_params *p = (energy_params *)node->params;
    tml_status st = tml_signal_arity(m, node, 1, 1);
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (st == TML_OK) {
        st = tml_signal_check(m, in, "input", TML_INT16, 1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, out, "output", TML_UINT32, 1);
    }
    tml_flex_map options;
    if (st == TML_OK) {
        st = tml_custom_options(m, node, &options);
    }
    if (st != TML_OK) {
        return st;
    }
    /* The input holds (re, im) pairs. */
    const int32_t bins = tml_min_i32(in->dims[0] / 2, out->dims[0]);
    if ((st = tml_custom_int(m, &options, "start_index", 0, bins, &p->start)) != TML_OK) {
        return st;
    }
    return tml_custom_int(m, &options, "end_index", p->start, bins, &p->end);
}

static tml_status energy_eval(tml_model *m, tml_node *node) {
    const energy_params *p = (const energy_params *)node->params;
    const int16_t *x = (const int16_t *)tml_node_input(m, node, 0)->data;
    const tml_tensor *out = tml_node_output(m, node, 0);
    uint32_t *y = (uint32_t *)out->data;
    memset(y, 0, out->bytes);
    for (int32_t i = p->start; i < p->end; i++) {
        const int32_t re = x[2 * i], im = x[2 * i + 1];
        /* Both squares at -32768 sum to 2^31: TFLM's int32 sum wraps to the same bits. */
        y[i] = (uint32_t)(re * re) + (uint32_t)(im * im);
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SIGNAL_ENERGY = {
    .name = "SignalEnergy",
    .builtin = TML_BUILTIN_CUSTOM,
    .max_version = 1,
    .types = TML_TYPE_BIT(TML_INT16),
    .params_size = sizeof(energy_params),
    .prepare = energy_prepare,
    .eval = energy_eval,
};
