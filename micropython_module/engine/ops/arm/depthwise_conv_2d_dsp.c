/*
 * DEPTHWISE_CONV_2D int8 on the DSP extension: depth multiplier 1, any
 * filter size, stride, dilation, padding and zero points, per-channel or
 * per-tensor weights.
 *
 * Four channels at a time: one word of input (4 channels of one pixel) is
 * widened with SXTAB16 (input zero point added on the way) and one word of
 * weights with SXTB16, then SMLABB / SMLATT multiply matching channels into
 * four sums. Taps outside the input are skipped by computing, per output
 * pixel, the range of taps inside (as the reference kernel does), so the
 * loops have no per-tap test. Channels past the last multiple of 4 are summed
 * one by one.
 *
 * Scratch: the requantization of each channel (12 bytes per channel).
 */
#include "dsp_hooks.h"

#if TML_HAVE_DSP

#include "dsp.h"
#include "../conv_util.h"

typedef struct {
    int32_t multiplier, right, half;
} channel_rq;

uint32_t tml_depthwise_conv_2d_dsp_scratch(const tml_dsp_conv *c) {
    if (c->depth_multiplier != 1 || c->out_c != c->in_c || c->in_c > 65536) {
        return 0;
    }
    int64_t taps = (int64_t)c->f_h * c->f_w;
    if (taps > 4096) {
        return 0;
    }
    return (uint32_t)c->out_c * (uint32_t)sizeof(channel_rq) + (uint32_t)taps * 8u;
}

/* Four channels' sums over the `n` taps of table `tp` (byte offsets of the
 * input pixel and of the weights, from xb and wb). */
#define DW_MAC_TAPS(a0, a1, a2, a3, tp_, n_, xb, wb, offsets)                                                 \
    do {                                                                                                      \
        const int32_t *tp = (tp_);                                                                            \
        int32_t n = (n_), xo, wo, t0, t1;                                                                     \
        __asm__ volatile("1:\n\t"                                                                             \
                         "ldrd %[xo], %[wo], [%[tp]], #8\n\t"                                                 \
                         "ldr %[xo], [%[xb], %[xo]]\n\t"                                                      \
                         "ldr %[wo], [%[wb], %[wo]]\n\t"                                                      \
                         "sxtab16 %[t0], %[off], %[xo]\n\t"                                                   \
                         "sxtab16 %[xo], %[off], %[xo], ror #8\n\t"                                           \
                         "sxtb16 %[t1], %[wo]\n\t"                                                            \
                         "sxtb16 %[wo], %[wo], ror #8\n\t"                                                    \
                         "smlabb %[a0], %[t0], %[t1], %[a0]\n\t"                                              \
                         "smlatt %[a2], %[t0], %[t1], %[a2]\n\t"                                              \
                         "smlabb %[a1], %[xo], %[wo], %[a1]\n\t"                                              \
                         "smlatt %[a3], %[xo], %[wo], %[a3]\n\t"                                              \
                         "subs %[n], %[n], #1\n\t"                                                            \
                         "bne 1b\n\t"                                                                         \
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [tp] "+r"(tp),          \
                         [n] "+r"(n), [xo] "=&r"(xo), [wo] "=&r"(wo), [t0] "=&r"(t0), [t1] "=&r"(t1)           \
                         : [xb] "r"(xb), [wb] "r"(wb), [off] "r"(offsets), "m"(*(const int32_t(*)[])tp),      \
                         "m"(*(const int8_t(*)[])xb), "m"(*(const int8_t(*)[])wb)                             \
                         : "cc");                                                                             \
    } while (0)

#define DW_MAC_TAPS3(a0, a1, a2, a3, tp_, n_, xb, wb, offsets)                                                 \
    do {                                                                                                      \
        const int32_t *tp = (tp_);                                                                            \
        int32_t n = (n_), xo, wo, t0, t1;                                                                     \
        __asm__ volatile("1:\n\t"                                                                             \
                         "ldrd %[xo], %[wo], [%[tp]], #8\n\t"                                                 \
                         "ldr %[xo], [%[xb], %[xo]]\n\t"                                                      \
                         "ldr %[wo], [%[wb], %[wo]]\n\t"                                                      \
                         "sxtab16 %[t0], %[off], %[xo]\n\t"                                                   \
                         "sxtab16 %[xo], %[off], %[xo], ror #8\n\t"                                           \
                         "sxtb16 %[t1], %[wo]\n\t"                                                            \
                         "sxtb16 %[wo], %[wo], ror #8\n\t"                                                    \
                         "smlabb %[a0], %[t0], %[t1], %[a0]\n\t"                                              \
                         "smlatt %[a2], %[t0], %[t1], %[a2]\n\t"                                              \
                         "smlabb %[a1], %[xo], %[wo], %[a1]\n\t"                                              \
                         "smlatt %[a3], %[xo], %[wo], %[a3]\n\t"                                              \
                         "ldrd %[xo], %[wo], [%[tp]], #8\n\t"                                                 \
                         "ldr %[xo], [%[xb], %[xo]]\n\t"                                                      \
                         "ldr %[wo], [%[wb], %[wo]]\n\t"                                                      \
                         "sxtab16 %[t0], %[off], %[xo]\n\t"                                                   \
                         "sxtab16 %[xo], %[off], %[xo], ror #8\n\t"                                           \
                         "sxtb16 %[t1], %[wo]\n\t"                                                            \
                         "sxtb16 %[wo], %[wo], ror #8\n\t"                                                    \
                         "smlabb %[a0], %[t0], %[t1], %[a0]\n\t"                                              \
                         "smlatt %[a2], %[t0], %[t1], %[a2]\n\t"                                              \
                         "smlabb %[a1], %[xo], %[wo], %[a1]\n\t"                                              \
                         "smlatt %[a3], %[xo], %[wo], %[a3]\n\t"                                              \
                         "ldrd %[xo], %[wo], [%[tp]], #8\n\t"                                                 \
                         "ldr %[xo], [%[xb], %[xo]]\n\t"                                                      \
                         "ldr %[wo], [%[wb], %[wo]]\n\t"                                                      \
                         "sxtab16 %[t0], %[off], %[xo]\n\t"                                                   \
                         "sxtab16 %[xo], %[off], %[xo], ror #8\n\t"                                           \
                         "sxtb16 %[t1], %[wo]\n\t"                                                            \
                         "sxtb16 %[wo], %[wo], ror #8\n\t"                                                    \
                         "smlabb %[a0], %[t0], %[t1], %[a0]\n\t"                                              \
                         "smlatt %[a2], %[t0], %[t1], %[a2]\n\t"                                              \
                         "smlabb %[a1], %[xo], %[wo], %[a1]\n\t"                                              \
                         "smlatt %[a3], %[xo], %[wo], %[a3]\n\t"                                              \
                         "subs %[n], %[n], #1\n\t"                                                            \
                         "bne 1b\n\t"                                                                         \
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [tp] "+r"(tp),          \
                         [n] "+r"(n), [xo] "=&r"(xo), [wo] "=&r"(wo), [t0] "=&r"(t0), [t1] "=&r"(t1)           \
                         : [xb] "r"(xb), [wb] "r"(wb), [off] "r"(offsets), "m"(*(const int32_t(*)[])tp),      \
                         "m"(*(const int8_t(*)[])xb), "m"(*(const int8_t(*)[])wb)                             \
                         : "cc");                                                                             \
    } while (0)

/* One output channel the reference way (channels past the last group of 4). */
static int32_t channel_sum(const tml_dsp_conv *c, const int8_t *in_batch, const int8_t *filter, int32_t in_y0,
    int32_t in_x0, int32_t fy_first, int32_t fy_end, int32_t fx_first, int32_t fx_end, int32_t ch) {
    uint32_t acc = 0;
    for (int32_t fy = fy_first; fy < fy_end; fy++) {
        const int32_t iy = in_y0 + c->dilation_h * fy;
        for (int32_t fx = fx_first; fx < fx_end; fx++) {
            const int32_t ix = in_x0 + c->dilation_w * fx;
            const int32_t x = in_batch[(iy * c->in_w + ix) * c->in_c + ch];
            const int32_t w = filter[(fy * c->f_w + fx) * c->out_c + ch];
            acc += (uint32_t)(w * (x + c->input_offset));
        }
    }
    return (int32_t)acc;
}

int tml_depthwise_conv_2d_dsp(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter,
    const int32_t *bias, int8_t *output, void *scratch, uint32_t scratch_bytes) {
    const uint32_t need = tml_depthwise_conv_2d_dsp_scratch(c);
    if (need == 0 || scratch_bytes < need || scratch == 0) {
        return 0;
    }
    const int32_t channels = c->in_c;
    const int32_t groups = channels >> 2;
    channel_rq *rq = (channel_rq *)scratch;
    int32_t *taps = (int32_t *)(void *)(rq + c->out_c);
    int fast = 1;
    for (int32_t ch = 0; ch < channels; ch++) {
        dsp_requant r;
        dsp_requant_init(&r, c->multiplier[ch * c->step], c->shift[ch * c->step]);
        rq[ch].multiplier = r.multiplier;
        rq[ch].right = r.right;
        rq[ch].half = r.half;
        fast &= r.right != 0;
    }
    const dsp_out_range range = dsp_out_range_of(c->output_offset, c->act_min, c->act_max);
    const int lean = fast && range.full;
    const int32_t offsets = dsp_pair(c->input_offset);
    for (int32_t b = 0; b < c->batches; b++) {
        const int8_t *in_batch = input + b * c->in_h * c->in_w * channels;
        for (int32_t oy = 0; oy < c->out_h; oy++) {
            const int32_t in_y0 = oy * c->stride_h - c->pad_h;
            int32_t fy_first, fy_end;
            tml_conv_tap_range(in_y0, c->dilation_h, c->f_h, c->in_h, &fy_first, &fy_end);
            for (int32_t ox = 0; ox < c->out_w; ox++) {
                const int32_t in_x0 = ox * c->stride_w - c->pad_w;
                int32_t fx_first, fx_end;
                tml_conv_tap_range(in_x0, c->dilation_w, c->f_w, c->in_w, &fx_first, &fx_end);
                /* The taps inside the input: byte offsets of their input
                 * pixel and of their weights, from the start of the
                 * batch and from the filter. */
                int32_t ntaps = 0;
                for (int32_t fy = fy_first; fy < fy_end; fy++) {
                    for (int32_t fx = fx_first; fx < fx_end; fx++) {
                        taps[2 * ntaps] =
                            ((in_y0 + c->dilation_h * fy) * c->in_w + in_x0 + c->dilation_w * fx) * channels;
                        taps[2 * ntaps + 1] = (fy * c->f_w + fx) * channels;
                        ntaps++;
                    }
                }
                int8_t *out_px = output + ((b * c->out_h + oy) * c->out_w + ox) * channels;
                if (lean && ntaps > 0) {
                    /* The common case: fast requantization to the whole int8 range. */
                    const int8_t *xb = in_batch;
                    const int8_t *wb = filter;
                    const int32_t *bp = bias;
                    const channel_rq *q = rq;
                    int8_t *out = out_px;
                    const int32_t ntaps3 = ntaps % 3 == 0 ? ntaps / 3 : 0;
                    for (int32_t g = groups; g > 0; g--) {
                        int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                        if (bp != 0) {
                            a0 = bp[0];
                            a1 = bp[1];
                            a2 = bp[2];
                            a3 = bp[3];
                            bp += 4;
                        }
                        if (ntaps3 != 0) {
                            DW_MAC_TAPS3(a0, a1, a2, a3, taps, ntaps3, xb, wb, offsets);
                        } else {
                            DW_MAC_TAPS(a0, a1, a2, a3, taps, ntaps, xb, wb, offsets);
                        }
                        out[0] = (int8_t)dsp_requantize_fast(a0, q[0].multiplier, q[0].right, q[0].half, &range, 1);
                        out[1] = (int8_t)dsp_requantize_fast(a1, q[1].multiplier, q[1].right, q[1].half, &range, 1);
                        out[2] = (int8_t)dsp_requantize_fast(a2, q[2].multiplier, q[2].right, q[2].half, &range, 1);
                        out[3] = (int8_t)dsp_requantize_fast(a3, q[3].multiplier, q[3].right, q[3].half, &range, 1);
                        xb += 4;
                        wb += 4;
                        q += 4;
                        out += 4;
                    }
                }
                for (int32_t g = lean && ntaps > 0 ? groups : 0; g < groups; g++) {
                    const int32_t ch = 4 * g;
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    if (bias != 0) {
                        a0 = bias[ch];
                        a1 = bias[ch + 1];
                        a2 = bias[ch + 2];
                        a3 = bias[ch + 3];
                    }
                    if (ntaps > 0) {
                        const int8_t *xb = in_batch + ch;
                        const int8_t *wb = filter + ch;
                        DW_MAC_TAPS(a0, a1, a2, a3, taps, ntaps, xb, wb, offsets);
                    }
                    int8_t *out = output + ((b * c->out_h + oy) * c->out_w + ox) * channels + ch;
                    if (fast) {
                        const channel_rq *q = rq + ch;
                        if (range.full) {
                            out[0] = (int8_t)dsp_requantize_fast(a0, q[0].multiplier, q[0].right, q[0].half, &range, 1);
                            out[1] = (int8_t)dsp_requantize_fast(a1, q[1].multiplier, q[1].right, q[1].half, &range, 1);
                            out[2] = (int8_t)dsp_requantize_fast(a2, q[2].multiplier, q[2].right, q[2].half, &range, 1);
                            out[3] = (int8_t)dsp_requantize_fast(a3, q[3].multiplier, q[3].right, q[3].half, &range, 1);
                        } else {
                            out[0] = (int8_t)dsp_requantize_fast(a0, q[0].multiplier, q[0].right, q[0].half, &range, 0);
                            out[1] = (int8_t)dsp_requantize_fast(a1, q[1].multiplier, q[1].right, q[1].half, &range, 0);
                            out[2] = (int8_t)dsp_requantize_fast(a2, q[2].multiplier, q[2].right, q[2].half, &range, 0);
                            out[3] = (int8_t)dsp_requantize_fast(a3, q[3].multiplier, q[3].right, q[3].half, &range, 0);
                        }
                    } else {
                        const int32_t acc[4] = {a0, a1, a2, a3};
                        for (int q = 0; q < 4; q++) {
                            dsp_requant r;
                            dsp_requant_init(&r, c->multiplier[(ch + q) * c->step], c->shift[(ch + q) * c->step]);
                            out[q] = (int8_t)dsp_requantize(&r, acc[q], c->output_offset, c->act_min, c->act_max);
                        }
                    }
                }
                for (int32_t ch = 4 * groups; ch < channels; ch++) {
                    int32_t acc = channel_sum(c, in_batch, filter, in_y0, in_x0, fy_first, fy_end, fx_first, fx_end, ch);
                    if (bias != 0) {
                        acc = (int32_t)((uint32_t)acc + (uint32_t)bias[ch]);
                    }
                    dsp_requant r;
                    dsp_requant_init(&r, c->multiplier[ch * c->step], c->shift[ch * c->step]);
                    output[((b * c->out_h + oy) * c->out_w + ox) * channels + ch] =
                        (int8_t)dsp_requantize(&r, acc, c->output_offset, c->act_min, c->act_max);
                }
            }
        }
    }
    return 1;
}

#else
typedef int tml_depthwise_conv_2d_dsp_unused; /* ISO C forbids an empty translation unit */
#endif /* TML_HAVE_DSP */
