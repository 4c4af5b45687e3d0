/*
 * SignalFftAutoScale (TFLM signal/micro/kernels/fft_auto_scale*.cc,
 * signal/src/fft_auto_scale.cc): shifts the frame left by as many bits as its
 * largest magnitude allows, so the fixed-point FFT that follows keeps as much
 * precision as it can. Output 1 is that shift (later undone by
 * SignalFilterBankSquareRoot).
 */
#include "signal_common.h"

static tml_status fft_auto_scale_prepare(tml_model *m, tml_node *node) {
    tml_status st = tml_signal_arity(m, node, 1, 2);
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (st == TML_OK) {
        st = tml_signal_check(m, in, "input", TML_INT16, 1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, out, "output", TML_INT16, 1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, tml_node_output(m, node, 1), "scale output", TML_INT32, 0);
    }
    if (st != TML_OK) {
        return st;
    }
    if (out->dims[0] != in->dims[0]) {
        return tml_fail(m, TML_ERR_MODEL, "output has %d elements, input %d", out->dims[0], in->dims[0]);
    }
    node->in_place = TML_IN_PLACE_IF_DEAD; /* the whole input is read before the first write */
    return TML_OK;
}

static tml_status fft_auto_scale_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    const int16_t *x = (const int16_t *)in->data;
    int16_t *y = (int16_t *)tml_node_output(m, node, 0)->data;
    const int32_t n = in->dims[0];
    /* TFLM's MaxAbs16 keeps the maximum in an int16: |-32768| wraps back to
     * -32768, whose bit count (as uint32) is 32, so such a frame is not shifted. */
    int16_t max = 0;
    for (int32_t i = 0; i < n; i++) {
        if (x[i] > max) {
            max = x[i];
        } else if (-x[i] > max) {
            max = (int16_t)-x[i];
        }
    }
    int32_t shift = 16 - (int32_t)tml_msb32((uint32_t)(int32_t)max) - 1;
    if (shift < 0) {
        shift = 0; /* also for an all-zero frame, whose bit count is 32 */
    }
    for (int32_t i = 0; i < n; i++) {
        y[i] = (int16_t)(x[i] * (1 << shift));
    }
    *(int32_t *)tml_node_output(m, node, 1)->data = shift;
    return TML_OK;
}

const tml_kernel tml_kernel_SIGNAL_FFT_AUTO_SCALE = {
    .name = "SignalFftAutoScale",
    .builtin = TML_BUILTIN_CUSTOM,
    .max_version = 1,
    .types = TML_TYPE_BIT(TML_INT16),
    .prepare = fft_auto_scale_prepare,
    .eval = fft_auto_scale_eval,
};
