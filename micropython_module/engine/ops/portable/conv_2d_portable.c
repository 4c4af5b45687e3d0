/*
 * CONV_2D int8 in portable C (targets without the DSP extension): any
 * padding, stride and filter size, vertical dilation, per-channel or
 * per-tensor weights. Grouped convolutions and horizontal dilation are left
 * to the reference loop.
 *
 * Without horizontal dilation the taps of one filter row that land inside the
 * input are contiguous in the input (NHWC: neighbouring pixels, all their
 * channels) and in the filter ([KW, C_in] of that row). Each such run is one
 * dot product, computed for two output channels at once so every input byte is
 * loaded and offset once for two multiply-adds (portable_dot.h). The taps in
 * the padding are not visited, as in the reference loop.
 *
 * A 1x1 filter with stride 1 and no padding is a matrix product (each pixel a
 * row of C_in values), run without any per-pixel window arithmetic.
 */
#include "portable_hooks.h"

#if TML_HAVE_PORTABLE

#include "portable_dot.h"

int tml_conv_2d_portable(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter, const int32_t *bias,
    int8_t *output) {
    if (c->f_in_c != c->in_c || c->dilation_w != 1) {
        return 0;
    }
    const tml_portable_requant rq = {.multiplier = c->multiplier, .shift = c->shift, .step = c->step,
        .output_offset = c->output_offset, .act_min = c->act_min, .act_max = c->act_max};
    const int32_t in_c = c->in_c;
    const int32_t out_c = c->out_c;
    if (c->f_h == 1 && c->f_w == 1 && c->stride_h == 1 && c->stride_w == 1 && c->pad_h == 0 && c->pad_w == 0 &&
        c->out_h == c->in_h && c->out_w == c->in_w) {
        tml_portable_matmul(input, c->batches * c->out_h * c->out_w, in_c, c->input_offset, filter, out_c, bias,
            &rq, output);
        return 1;
    }
    const int32_t filter_row = c->f_w * in_c; /* one filter row: KW taps of C_in */
    const int32_t filter_size = c->f_h * filter_row;
    const int32_t in_row_step = c->dilation_h * c->in_w * in_c; /* the input under the next filter row */
    for (int32_t b = 0; b < c->batches; b++) {
        const int8_t *in_batch = input + b * c->in_h * c->in_w * in_c;
        for (int32_t oy = 0; oy < c->out_h; oy++) {
            const int32_t in_y0 = oy * c->stride_h - c->pad_h;
            int32_t fy_first, fy_end;
            tml_conv_tap_range(in_y0, c->dilation_h, c->f_h, c->in_h, &fy_first, &fy_end);
            for (int32_t ox = 0; ox < c->out_w; ox++) {
                const int32_t in_x0 = ox * c->stride_w - c->pad_w;
                int32_t fx_first, fx_end;
                tml_conv_tap_range(in_x0, 1, c->f_w, c->in_w, &fx_first, &fx_end);
                const int32_t rows = fy_end - fy_first;
                const int32_t run = (fx_end - fx_first) * in_c; /* contiguous taps of one filter row */
                const int32_t f_first = fy_first * filter_row + fx_first * in_c;
                const int8_t *in_first = in_batch; /* not read when no tap is inside */
                if (rows > 0 && run > 0) {
                    in_first += ((in_y0 + c->dilation_h * fy_first) * c->in_w + in_x0 + fx_first) * in_c;
                }
                int32_t oc = 0;
#if TML_PORTABLE_QUADS
                for (; oc + 4 <= out_c; oc += 4) {
                    const int8_t *f0 = filter + oc * filter_size + f_first;
                    uint32_t acc[4];
                    for (int32_t k = 0; k < 4; k++) {
                        acc[k] = bias != NULL ? (uint32_t)bias[oc + k] : 0u;
                    }
                    const int8_t *ip = in_first;
                    for (int32_t r = 0; r < rows; r++) {
                        tml_dot4(ip, f0, filter_size, run, c->input_offset, acc);
                        ip += in_row_step;
                        f0 += filter_row;
                    }
                    for (int32_t k = 0; k < 4; k++) {
                        output[oc + k] = tml_portable_output(&rq, acc[k], oc + k);
                    }
                }
#endif
                for (; oc + 2 <= out_c; oc += 2) {
                    const int8_t *f0 = filter + oc * filter_size + f_first;
                    uint32_t acc0 = bias != NULL ? (uint32_t)bias[oc] : 0u;
                    uint32_t acc1 = bias != NULL ? (uint32_t)bias[oc + 1] : 0u;
                    const int8_t *ip = in_first;
                    for (int32_t r = 0; r < rows; r++) {
                        tml_dot2(ip, f0, f0 + filter_size, run, c->input_offset, &acc0, &acc1);
                        ip += in_row_step;
                        f0 += filter_row;
                    }
                    output[oc] = tml_portable_output(&rq, acc0, oc);
                    output[oc + 1] = tml_portable_output(&rq, acc1, oc + 1);
                }
                if (oc < out_c) {
                    const int8_t *f0 = filter + oc * filter_size + f_first;
                    uint32_t acc = bias != NULL ? (uint32_t)bias[oc] : 0u;
                    const int8_t *ip = in_first;
                    for (int32_t r = 0; r < rows; r++) {
                        acc = tml_dot1(ip, f0, run, c->input_offset, acc);
                        ip += in_row_step;
                        f0 += filter_row;
                    }
                    output[oc] = tml_portable_output(&rq, acc, oc);
                }
                output += out_c;
            }
        }
    }
    return 1;
}

#else
typedef int tml_conv_2d_portable_unused; /* ISO C forbids an empty translation unit */
#endif /* TML_HAVE_PORTABLE */
