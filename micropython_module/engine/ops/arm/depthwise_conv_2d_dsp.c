/*
 * DEPTHWISE_CONV_2D int8 on the DSP extension: depth multiplier 1, filters of
 * up to DW_MAX_TAPS taps, any stride, dilation, padding and zero points,
 * per-channel or per-tensor weights.
 *
 * No arena scratch: in KWS both activations of a depthwise layer are live
 * and fill the reference build's arena, so any scratch would grow it. What
 * the kernel keeps (the widened weights of four channels, their
 * requantization) lives on the stack, at most about 600 bytes.
 *
 * Channel groups of four are the outer loop, so that the group's weights are
 * widened once, not once per output pixel:
 *  - interior pixels (every tap inside the input) pair the taps: the input
 *    words of taps a and b (4 channels each) become, with PKHBT / PKHTB and
 *    SXTAB16 (input zero point added on the way), one int16 pair
 *    (x_a, x_b) per channel, and SMLAD multiplies it by the prepared weight
 *    pair (w_a, w_b): 14 instructions per 8 MACs. An odd last tap is paired
 *    with itself and a weight of 0.
 *  - border pixels run over their taps inside the input one at a time
 *    (SXTAB16 and SMLABB / SMLATT on the prepared single weights), as the
 *    reference kernel skips the taps outside.
 * Channels past the last multiple of 4 are summed one by one.
 */
#include "dsp_hooks.h"

#if TML_HAVE_DSP

#include "dsp.h"
#include "../conv_util.h"

/* Filters up to 6 x 6 (or 36 taps of any shape); larger ones run the
 * reference kernel. */
#define DW_MAX_TAPS 36
#define DW_MAX_PAIRS ((DW_MAX_TAPS + 1) / 2)
/* Interior pixels summed per call of the assembly (their sums on the stack). */
#define DW_RUN 16

uint32_t tml_depthwise_conv_2d_dsp_scratch(const tml_dsp_conv *c) {
    (void)c;
    return 0;
}

static int applies(const tml_dsp_conv *c) {
    return c->depth_multiplier == 1 && c->out_c == c->in_c && (int64_t)c->f_h * c->f_w <= DW_MAX_TAPS;
}

static inline __attribute__((always_inline)) int32_t smlabb(int32_t a, int32_t b, int32_t acc) {
    int32_t r;
    __asm__("smlabb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
static inline __attribute__((always_inline)) int32_t smlatt(int32_t a, int32_t b, int32_t acc) {
    int32_t r;
    __asm__("smlatt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
/*
 * `npix` >= 1 interior pixels of a group of four channels, `px_step` bytes
 * apart: sums[4 p + q] = bias4[q] + the sum over `pairs` >= 1 tap pairs of
 * `table` (dw_group.pair) for pixel p, channel q. Per pair: the input words
 * of taps a and b, [a0 a1 b0 b1] and [a2 a3 b2 b3] (PKHBT, PKHTB), widened
 * to (x_a, x_b) per channel with the input zero point (SXTAB16), and SMLAD
 * with (w_a, w_b): 17 instructions per 8 MACs with the loop. An assembly
 * function: it needs 14 registers (four sums, the pixel, the table, the
 * count, the zero point pair, five temporaries, the output).
 */
void tml_dw_dsp_run(const int8_t *px, const int32_t *table, int32_t pairs, int32_t offsets, int32_t *sums,
    int32_t npix, int32_t px_step, const int32_t *bias4);
__asm__(".syntax unified\n"
        ".section .text.tml_dw_dsp_run,\"ax\",%progbits\n"
        ".balign 4\n"
        ".global tml_dw_dsp_run\n"
        ".thumb\n"
        ".thumb_func\n"
        ".type tml_dw_dsp_run, %function\n"
        "tml_dw_dsp_run:\n"
        "    push {r4-r11, lr}\n"
        "    push {r1, r2}\n"        /* [sp] table, [sp, #4] pairs */
        "    ldr lr, [sp, #44]\n"    /* sums; [sp, #48] npix, #52 px_step, #56 bias4 */
        "2:\n"
        "    ldr r8, [sp, #56]\n"
        "    ldm r8, {r4-r7}\n"
        "    ldrd r1, r2, [sp]\n"
        "1:\n"
        "    ldrd r8, r9, [r1], #8\n"
        "    ldr r8, [r0, r8]\n"
        "    ldr r9, [r0, r9]\n"
        "    pkhbt r10, r8, r9, lsl #16\n"
        "    pkhtb r9, r9, r8, asr #16\n"
        "    ldrd r11, r12, [r1], #8\n"
        "    sxtab16 r8, r3, r10\n"
        "    smlad r4, r8, r11, r4\n"
        "    sxtab16 r8, r3, r10, ror #8\n"
        "    smlad r5, r8, r12, r5\n"
        "    ldrd r11, r12, [r1], #8\n"
        "    sxtab16 r8, r3, r9\n"
        "    smlad r6, r8, r11, r6\n"
        "    sxtab16 r8, r3, r9, ror #8\n"
        "    smlad r7, r8, r12, r7\n"
        "    subs r2, r2, #1\n"
        "    bne 1b\n"
        "    stmia lr!, {r4-r7}\n"
        "    ldr r8, [sp, #52]\n"
        "    add r0, r0, r8\n"
        "    ldr r8, [sp, #48]\n"
        "    subs r8, r8, #1\n"
        "    str r8, [sp, #48]\n"
        "    bne 2b\n"
        "    add sp, sp, #8\n"
        "    pop {r4-r11, pc}\n"
        ".size tml_dw_dsp_run, .-tml_dw_dsp_run\n"
        ".text\n");

/* tml_conv_tap_range without its 64-bit arithmetic for dilation 1 (the
 * common case; the shapes are small enough that int32 does not overflow). */
static inline __attribute__((always_inline)) void tap_range(int32_t origin, int32_t dilation, int32_t filter,
    int32_t in, int32_t *first, int32_t *end) {
    if (dilation != 1) {
        tml_conv_tap_range(origin, dilation, filter, in, first, end);
        return;
    }
    const int32_t lo = origin < 0 ? -origin : 0;
    int32_t hi = in - origin;
    hi = hi > filter ? filter : hi;
    *first = lo;
    *end = hi < lo ? lo : hi;
}

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

/* What one group of four channels needs, prepared once per group. */
typedef struct {
    /* per tap pair: the byte offsets of taps a and b from the window's
     * corner (interior pixels), then per channel the weights (w_a, w_b) */
    int32_t pair[DW_MAX_PAIRS][6];
    int32_t single[DW_MAX_TAPS][2]; /* per tap: (w0, w2), (w1, w3) */
    int32_t bias[4];
    int32_t multiplier[4], right[4], half[4];
} dw_group;

static void prepare_group(const tml_dsp_conv *c, const int8_t *filter, const int32_t *bias, int32_t ch,
    int32_t taps, dw_group *g) {
    for (int32_t t = 0; t < taps; t++) {
        const uint32_t v = dsp_load32(filter + t * c->out_c + ch);
        g->single[t][0] = dsp_sxtb16(v);
        g->single[t][1] = dsp_sxtb16_ror8(v);
    }
    for (int32_t k = 0; 2 * k < taps; k++) {
        const int8_t *wa = filter + 2 * k * c->out_c + ch;
        const int8_t *wb = wa + c->out_c;
        const int has_b = 2 * k + 1 < taps;
        for (int32_t q = 0; q < 4; q++) {
            const int32_t b = has_b ? wb[q] : 0;
            g->pair[k][2 + q] = (int32_t)(((uint32_t)wa[q] & 0xFFFFu) | ((uint32_t)b << 16));
        }
    }
    for (int32_t q = 0; q < 4; q++) {
        g->bias[q] = bias != 0 ? bias[ch + q] : 0;
        dsp_requant r;
        dsp_requant_init(&r, c->multiplier[(ch + q) * c->step], c->shift[(ch + q) * c->step]);
        g->multiplier[q] = r.multiplier;
        g->right[q] = r.right;
        g->half[q] = r.half;
    }
}

/* The group's requantization, in locals (stores through int8_t pointers
 * may alias anything, so values read through pointers would be reloaded
 * after every output byte). */
typedef struct {
    int32_t m0, m1, m2, m3, r0, r1, r2, r3, h0, h1, h2, h3;
} dw_rq;

/* Store the four sums requantized, `mode` a compile-time constant where
 * inlined: 2 fast form to the whole int8 range (SSAT), 1 fast form and the
 * activation range, 0 tml_mbqm's general form. The fast forms store the
 * four bytes in one unaligned STR. */
static inline __attribute__((always_inline)) void store4(const tml_dsp_conv *c, const dw_rq *q, int32_t ch,
    int32_t a0, int32_t a1, int32_t a2, int32_t a3, int8_t *out, int mode, const dsp_out_range *range) {
    if (mode != 0) {
        const int full = mode == 2;
        const uint32_t v0 = (uint8_t)dsp_requantize_fast(a0, q->m0, q->r0, q->h0, range, full);
        const uint32_t v1 = (uint8_t)dsp_requantize_fast(a1, q->m1, q->r1, q->h1, range, full);
        const uint32_t v2 = (uint8_t)dsp_requantize_fast(a2, q->m2, q->r2, q->h2, range, full);
        const uint32_t v3 = (uint8_t)dsp_requantize_fast(a3, q->m3, q->r3, q->h3, range, full);
        const uint32_t word = v0 | (v1 << 8) | (v2 << 16) | (v3 << 24);
        memcpy(out, &word, 4);
        return;
    }
    const int32_t acc[4] = {a0, a1, a2, a3};
    for (int32_t k = 0; k < 4; k++) {
        dsp_requant r;
        dsp_requant_init(&r, c->multiplier[(ch + k) * c->step], c->shift[(ch + k) * c->step]);
        out[k] = (int8_t)dsp_requantize(&r, acc[k], c->output_offset, c->act_min, c->act_max);
    }
}

static inline __attribute__((always_inline)) void run_groups(const tml_dsp_conv *c, const int8_t *input,
    const int8_t *filter, const int32_t *bias, int8_t *output, int mode, const dsp_out_range *range_in) {
    const dsp_out_range range = *range_in;
    const int32_t channels = c->in_c;
    const int32_t f_w = c->f_w, in_w = c->in_w, in_h = c->in_h, out_w = c->out_w, out_h = c->out_h;
    const int32_t stride_w = c->stride_w, stride_h = c->stride_h, pad_w = c->pad_w, pad_h = c->pad_h;
    const int32_t dil_w = c->dilation_w, dil_h = c->dilation_h, f_h = c->f_h;
    const int32_t taps = f_h * f_w;
    const int32_t pairs = (taps + 1) / 2;
    const int32_t offsets = dsp_pair(c->input_offset);
    /* Byte offsets of the taps' input pixels from the window's corner, for
     * interior pixels; an odd last tap is paired with itself (weight 0). */
    dw_group g;
    for (int32_t t = 0; t < 2 * pairs; t++) {
        const int32_t tap = t < taps ? t : taps - 1;
        const int32_t fy = tap / f_w, fx = tap % f_w;
        g.pair[t >> 1][t & 1] = (dil_h * fy * in_w + dil_w * fx) * channels;
    }
    /* Output rows and columns whose window lies inside the input. */
    int32_t oy_lo = 0, oy_hi = 0, ox_lo = 0, ox_hi = 0;
    for (int32_t oy = out_h - 1; oy >= 0; oy--) {
        const int32_t y0 = oy * stride_h - pad_h;
        if (y0 >= 0 && y0 + (f_h - 1) * dil_h < in_h) {
            oy_lo = oy;
            oy_hi = oy_hi == 0 ? oy + 1 : oy_hi;
        }
    }
    for (int32_t ox = out_w - 1; ox >= 0; ox--) {
        const int32_t x0 = ox * stride_w - pad_w;
        if (x0 >= 0 && x0 + (f_w - 1) * dil_w < in_w) {
            ox_lo = ox;
            ox_hi = ox_hi == 0 ? ox + 1 : ox_hi;
        }
    }
    const int32_t px_step = stride_w * channels;
    const int32_t tap_step = dil_w * channels;
    for (int32_t ch = 0; ch + 4 <= channels; ch += 4) {
        prepare_group(c, filter, bias, ch, taps, &g);
        const dw_rq q = {g.multiplier[0], g.multiplier[1], g.multiplier[2], g.multiplier[3], g.right[0], g.right[1],
            g.right[2], g.right[3], g.half[0], g.half[1], g.half[2], g.half[3]};
        const int32_t b0 = g.bias[0], b1 = g.bias[1], b2 = g.bias[2], b3 = g.bias[3];
        for (int32_t b = 0; b < c->batches; b++) {
            const int8_t *in_batch = input + b * in_h * in_w * channels + ch;
            int8_t *out = output + b * out_h * out_w * channels + ch;
            for (int32_t oy = 0; oy < out_h; oy++) {
                const int32_t in_y0 = oy * stride_h - pad_h;
                int32_t fy_first, fy_end;
                tap_range(in_y0, dil_h, f_h, in_h, &fy_first, &fy_end);
                const int row_inside = oy >= oy_lo && oy < oy_hi;
                for (int32_t ox = 0; ox < out_w; ox++, out += channels) {
                    const int32_t in_x0 = ox * stride_w - pad_w;
                    if (row_inside && ox >= ox_lo && ox < ox_hi) {
                        /* Interior: a run of pixels, taps in pairs, DW_RUN at a time. */
                        const int8_t *px = in_batch + (in_y0 * in_w + in_x0) * channels;
                        const int32_t bias4[4] = {b0, b1, b2, b3};
                        int32_t left = ox_hi - ox;
                        while (left > 0) {
                            const int32_t n = left < DW_RUN ? left : DW_RUN;
                            int32_t sums[4 * DW_RUN];
                            tml_dw_dsp_run(px, &g.pair[0][0], pairs, offsets, sums, n, px_step, bias4);
                            for (int32_t k = 0; k < n; k++, out += channels) {
                                const int32_t *a = sums + 4 * k;
                                store4(c, &q, ch, a[0], a[1], a[2], a[3], out, mode, &range);
                            }
                            px += n * px_step;
                            left -= n;
                        }
                        ox = ox_hi - 1;
                        out -= channels; /* the loop's increment */
                        continue;
                    }
                    /* Border: the taps inside the input, one at a time. */
                    int32_t a0 = b0, a1 = b1, a2 = b2, a3 = b3;
                    int32_t fx_first, fx_end;
                    tap_range(in_x0, dil_w, f_w, in_w, &fx_first, &fx_end);
                    for (int32_t fy = fy_first; fy < fy_end; fy++) {
                        const int8_t *xp =
                            in_batch + ((in_y0 + dil_h * fy) * in_w + in_x0 + dil_w * fx_first) * channels;
                        const int32_t *w = g.single[fy * f_w + fx_first];
                        for (int32_t fx = fx_end - fx_first; fx > 0; fx--) {
                            const uint32_t v = dsp_load32(xp);
                            xp += tap_step;
                            const int32_t xl = dsp_sxtab16(offsets, v), xh = dsp_sxtab16_ror8(offsets, v);
                            a0 = smlabb(xl, w[0], a0);
                            a2 = smlatt(xl, w[0], a2);
                            a1 = smlabb(xh, w[1], a1);
                            a3 = smlatt(xh, w[1], a3);
                            w += 2;
                        }
                    }
                    store4(c, &q, ch, a0, a1, a2, a3, out, mode, &range);
                }
            }
        }
    }
}

int tml_depthwise_conv_2d_dsp(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter,
    const int32_t *bias, int8_t *output, void *scratch, uint32_t scratch_bytes) {
    (void)scratch;
    (void)scratch_bytes;
    if (!applies(c)) {
        return 0;
    }
    const int32_t channels = c->in_c;
    const dsp_out_range range = dsp_out_range_of(c->output_offset, c->act_min, c->act_max);
    const int32_t n = c->step ? channels : 1;
    if (channels >= 4) {
        if (!dsp_all_fast(c->multiplier, c->shift, n)) {
            run_groups(c, input, filter, bias, output, 0, &range);
        } else if (range.full) {
            run_groups(c, input, filter, bias, output, 2, &range);
        } else {
            run_groups(c, input, filter, bias, output, 1, &range); /* KWS: RELU */
        }
    }
    for (int32_t ch = channels & ~3; ch < channels; ch++) {
        dsp_requant r;
        dsp_requant_init(&r, c->multiplier[ch * c->step], c->shift[ch * c->step]);
        for (int32_t b = 0; b < c->batches; b++) {
            const int8_t *in_batch = input + b * c->in_h * c->in_w * channels;
            for (int32_t oy = 0; oy < c->out_h; oy++) {
                const int32_t in_y0 = oy * c->stride_h - c->pad_h;
                int32_t fy_first, fy_end;
                tap_range(in_y0, c->dilation_h, c->f_h, c->in_h, &fy_first, &fy_end);
                for (int32_t ox = 0; ox < c->out_w; ox++) {
                    const int32_t in_x0 = ox * c->stride_w - c->pad_w;
                    int32_t fx_first, fx_end;
                    tap_range(in_x0, c->dilation_w, c->f_w, c->in_w, &fx_first, &fx_end);
                    int32_t acc =
                        channel_sum(c, in_batch, filter, in_y0, in_x0, fy_first, fy_end, fx_first, fx_end, ch);
                    if (bias != 0) {
                        acc = (int32_t)((uint32_t)acc + (uint32_t)bias[ch]);
                    }
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
