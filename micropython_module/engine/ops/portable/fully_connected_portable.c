/*
 * FULLY_CONNECTED int8 in portable C (targets without the DSP extension):
 * any depth, units and batches, per-channel or per-tensor weights without a
 * weights zero point (a per-tensor zero point is left to the reference loop:
 * no converter emits one for int8).
 *
 * Two units at a time run over an input row, so each input byte is loaded
 * and offset once for two multiply-adds (portable_dot.h).
 */
#include "portable_hooks.h"

#if TML_HAVE_PORTABLE

#include "portable_dot.h"

int tml_fully_connected_portable(const tml_dsp_fc *c, const int8_t *input, const int8_t *weights,
    const int32_t *bias, int8_t *output) {
    if (c->weight_offset != 0) {
        return 0;
    }
    const tml_portable_requant rq = {.multiplier = c->multiplier, .shift = c->shift, .step = c->step,
        .output_offset = c->output_offset, .act_min = c->act_min, .act_max = c->act_max};
    tml_portable_matmul(input, c->batches, c->depth, c->input_offset, weights, c->units, bias, &rq, output);
    return 1;
}

#else
typedef int tml_fully_connected_portable_unused; /* ISO C forbids an empty translation unit */
#endif /* TML_HAVE_PORTABLE */
