/*
 * SignalWindow (TFLM signal/micro/kernels/window.cc, signal/src/window.cc):
 * multiplies each frame of the input by the window weights,
 * y = saturate_int16((x * w) >> shift). The input is any number of frames of
 * the weights' length.
 */
#include "signal_common.h"

typedef struct {
    int32_t shift;
    int32_t frame_length;
} window_params;

static tml_status window_prepare(tml_model *m, tml_node *node) {
    window_params *p = (window_params *)node->params;
    tml_status st = tml_signal_arity(m, node, 2, 1);
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *weights = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (st == TML_OK) {
        st = tml_signal_check(m, in, "input", TML_INT16, -1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, weights, "weights", TML_INT16, 1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, out, "output", TML_INT16, in->ndim);
    }
    if (st != TML_OK) {
        return st;
    }
    if (in->ndim < 1 || !tml_same_shape(in, out)) {
        return tml_fail(m, TML_ERR_MODEL, "output shape must equal the input's, with rank >= 1");
    }
    p->frame_length = weights->dims[0];
    if (p->frame_length <= 0 || tml_numel(in) % p->frame_length != 0) {
        return tml_fail(m, TML_ERR_MODEL, "input has %d elements, not a multiple of the %d weights", tml_numel(in),
            p->frame_length);
    }
    tml_flex_map options;
    if ((st = tml_custom_options(m, node, &options)) != TML_OK) {
        return st;
    }
    node->in_place = TML_IN_PLACE_IF_DEAD;
    return tml_custom_int(m, &options, "shift", 0, 31, &p->shift);
}

static tml_status window_eval(tml_model *m, tml_node *node) {
    const window_params *p = (const window_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    const int16_t *x = (const int16_t *)in->data;
    const int16_t *w = (const int16_t *)tml_node_input(m, node, 1)->data;
    int16_t *y = (int16_t *)tml_node_output(m, node, 0)->data;
    const int32_t n = tml_numel(in);
    for (int32_t frame = 0; frame < n; frame += p->frame_length) {
        for (int32_t i = 0; i < p->frame_length; i++) {
            /* |x * w| <= 2^30: no overflow; >> of a negative value is arithmetic, as TFLM's. */
            const int32_t raw = ((int32_t)x[frame + i] * w[i]) >> p->shift;
            y[frame + i] = (int16_t)tml_clamp_i32(raw, INT16_MIN, INT16_MAX);
        }
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SIGNAL_WINDOW = {
    .name = "SignalWindow",
    .builtin = TML_BUILTIN_CUSTOM,
    .max_version = 1,
    .types = TML_TYPE_BIT(TML_INT16),
    .params_size = sizeof(window_params),
    .prepare = window_prepare,
    .eval = window_eval,
};
