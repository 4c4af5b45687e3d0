/*
 * CONV_2D int8 on the DSP extension (groups of 1; any size, stride,
 * dilation, padding, zero points, per-channel or per-tensor weights).
 *
 * Four output pixels at a time: their input patches (im2col) are widened to
 * int16 with the input zero point added, in reordered pairs (dsp.h),
 * interleaved so that one 4-element block of all four pixels is 8 consecutive
 * words; padding taps are zeros, so the inner loop has no branch. Then each
 * output channel runs over its weights in place (flash), one word of 4 int8
 * weights widened with SXTB16 serving the four pixels: 8 SMLAD per 16 MACs.
 * Elements past the last whole block of 4 (K mod 4) are summed one by one.
 *
 * Scratch: 4 * K int16 (K = f_h * f_w * in_c).
 */
#include "dsp_hooks.h"

#if TML_HAVE_DSP

#include "dsp.h"
#include "../conv_util.h"

#define PIXELS 4

uint32_t tml_conv_2d_dsp_scratch(const tml_dsp_conv *c) {
    if (c->f_in_c != c->in_c) {
        return 0; /* grouped convolution: reference kernel */
    }
    int64_t k = (int64_t)c->f_h * c->f_w * c->in_c;
    if (k > 65536) {
        return 0;
    }
    return (uint32_t)(PIXELS * 2 * k + 2 * k + 48); /* columns, tails, flat patch */
}

/* Widens the patch of output pixel (oy, ox) into column `p` of the scratch.
 * (Short zero runs: kept as loops, not turned into memset calls.) */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) static void fill_pixel(const tml_dsp_conv *c, const int8_t *in_batch, int32_t oy, int32_t ox, int32_t *cols,
    int32_t blocks, int32_t tail, int p) {
    const int32_t in_y0 = oy * c->stride_h - c->pad_h;
    const int32_t in_x0 = ox * c->stride_w - c->pad_w;
    const int32_t in_c = c->in_c;
    if ((in_c & 3) == 0) {
        /* Whole words per tap: block index of tap t is t * in_c / 4. */
        const int32_t offsets = dsp_pair(c->input_offset);
        const int32_t words = in_c >> 2;
        int32_t *dst = cols + 2 * p;
        for (int32_t fy = 0; fy < c->f_h; fy++) {
            const int32_t iy = in_y0 + c->dilation_h * fy;
            const int row_in = iy >= 0 && iy < c->in_h;
            for (int32_t fx = 0; fx < c->f_w; fx++) {
                const int32_t ix = in_x0 + c->dilation_w * fx;
                if (row_in && ix >= 0 && ix < c->in_w) {
                    const int8_t *src = in_batch + (iy * c->in_w + ix) * in_c;
                    for (int32_t i = 0; i < words; i++) {
                        uint32_t v = dsp_load32(src);
                        src += 4;
                        dst[0] = dsp_sxtab16(offsets, v);
                        dst[1] = dsp_sxtab16_ror8(offsets, v);
                        dst += 2 * PIXELS;
                    }
                } else {
                    for (int32_t i = 0; i < words; i++) {
                        dst[0] = 0;
                        dst[1] = 0;
                        dst += 2 * PIXELS;
                    }
                }
            }
        }
        return;
    }
    /* Input depth not a multiple of 4: the patch in order into `flat`
     * (after the columns), then reordered into the blocks. */
    int16_t *flat = (int16_t *)(void *)(cols + (blocks + 1) * 2 * PIXELS);
    int16_t *f = flat;
    const int32_t off = c->input_offset;
    const int32_t run = c->f_w * in_c; /* one filter row of the patch */
    int32_t fx_first, fx_end;
    tml_conv_tap_range(in_x0, c->dilation_w, c->f_w, c->in_w, &fx_first, &fx_end);
    for (int32_t fy = 0; fy < c->f_h; fy++, f += run) {
        const int32_t iy = in_y0 + c->dilation_h * fy;
        int32_t lo = fx_first * in_c, hi = fx_end * in_c; /* elements [lo, hi) come from the input */
        if (iy < 0 || iy >= c->in_h) {
            lo = hi = run;
        }
        for (int32_t i = 0; i < lo; i++) {
            f[i] = 0;
        }
        for (int32_t i = hi; i < run; i++) {
            f[i] = 0;
        }
        if (lo >= hi) {
            continue;
        }
        const int8_t *row = in_batch + iy * c->in_w * in_c;
        if (c->dilation_w == 1) { /* the taps inside are contiguous in the input */
            const int8_t *src = row + (in_x0 + fx_first) * in_c;
            int16_t *d = f + fx_first * in_c;
            for (int32_t i = (fx_end - fx_first) * in_c; i > 0; i--) {
                *d++ = (int16_t)(*src++ + off);
            }
        } else {
            for (int32_t fx = fx_first; fx < fx_end; fx++) {
                const int8_t *src = row + (in_x0 + c->dilation_w * fx) * in_c;
                for (int32_t ic = 0; ic < in_c; ic++) {
                    f[fx * in_c + ic] = (int16_t)(src[ic] + off);
                }
            }
        }
    }
    int32_t *dst = cols + 2 * p;
    for (int32_t i = 0; i < blocks; i++) {
        uint32_t lo, hi;
        memcpy(&lo, flat + 4 * i, 4);     /* (f0, f1) */
        memcpy(&hi, flat + 4 * i + 2, 4); /* (f2, f3) */
        dst[0] = (int32_t)((lo & 0xFFFFu) | (hi << 16));     /* (f0, f2) */
        dst[1] = (int32_t)((lo >> 16) | (hi & 0xFFFF0000u)); /* (f1, f3) */
        dst += 2 * PIXELS;
    }
    int16_t *tail16 = (int16_t *)(void *)(cols + blocks * 2 * PIXELS) + p * tail;
    for (int32_t t = 0; t < tail; t++) {
        tail16[t] = flat[4 * blocks + t];
    }
}

/* Sums of one output channel over `pairs` pairs of blocks for the four
 * pixels: r8-r11 receive the columns (LDM needs ascending registers). */
#define CONV_MAC_PAIRS(a0, a1, a2, a3, w, col, pairs)                                                         \
    do {                                                                                                      \
        int32_t wv_, t_, n_ = (pairs);                                                                        \
        __asm__ volatile("1:\n\t"                                                                             \
                         "ldr %[wv], [%[w]], #4\n\t"                                                          \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "sxtb16 %[t], %[wv]\n\t"                                                             \
                         "sxtb16 %[wv], %[wv], ror #8\n\t"                                                    \
                         "smlad %[a0], r8, %[t], %[a0]\n\t"                                                   \
                         "smlad %[a0], r9, %[wv], %[a0]\n\t"                                                  \
                         "smlad %[a1], r10, %[t], %[a1]\n\t"                                                  \
                         "smlad %[a1], r11, %[wv], %[a1]\n\t"                                                 \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "smlad %[a2], r8, %[t], %[a2]\n\t"                                                   \
                         "smlad %[a2], r9, %[wv], %[a2]\n\t"                                                  \
                         "smlad %[a3], r10, %[t], %[a3]\n\t"                                                  \
                         "smlad %[a3], r11, %[wv], %[a3]\n\t"                                                 \
                         "ldr %[wv], [%[w]], #4\n\t"                                                          \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "sxtb16 %[t], %[wv]\n\t"                                                             \
                         "sxtb16 %[wv], %[wv], ror #8\n\t"                                                    \
                         "smlad %[a0], r8, %[t], %[a0]\n\t"                                                   \
                         "smlad %[a0], r9, %[wv], %[a0]\n\t"                                                  \
                         "smlad %[a1], r10, %[t], %[a1]\n\t"                                                  \
                         "smlad %[a1], r11, %[wv], %[a1]\n\t"                                                 \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "smlad %[a2], r8, %[t], %[a2]\n\t"                                                   \
                         "smlad %[a2], r9, %[wv], %[a2]\n\t"                                                  \
                         "smlad %[a3], r10, %[t], %[a3]\n\t"                                                  \
                         "smlad %[a3], r11, %[wv], %[a3]\n\t"                                                 \
                         "subs %[n], %[n], #1\n\t"                                                            \
                         "bne 1b\n\t"                                                                         \
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w),              \
                         [col] "+r"(col), [n] "+r"(n_), [wv] "=&r"(wv_), [t] "=&r"(t_)                          \
                         : "m"(*(const int8_t(*)[])w), "m"(*(const int32_t(*)[])col)                            \
                         : "r8", "r9", "r10", "r11", "cc");                                                     \
    } while (0)

#define CONV_MAC_QUADS(a0, a1, a2, a3, w, col, pairs)                                                         \
    do {                                                                                                      \
        int32_t wv_, t_, n_ = (pairs);                                                                        \
        __asm__ volatile("1:\n\t"                                                                             \
                         "ldr %[wv], [%[w]], #4\n\t"                                                          \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "sxtb16 %[t], %[wv]\n\t"                                                             \
                         "sxtb16 %[wv], %[wv], ror #8\n\t"                                                    \
                         "smlad %[a0], r8, %[t], %[a0]\n\t"                                                   \
                         "smlad %[a0], r9, %[wv], %[a0]\n\t"                                                  \
                         "smlad %[a1], r10, %[t], %[a1]\n\t"                                                  \
                         "smlad %[a1], r11, %[wv], %[a1]\n\t"                                                 \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "smlad %[a2], r8, %[t], %[a2]\n\t"                                                   \
                         "smlad %[a2], r9, %[wv], %[a2]\n\t"                                                  \
                         "smlad %[a3], r10, %[t], %[a3]\n\t"                                                  \
                         "smlad %[a3], r11, %[wv], %[a3]\n\t"                                                 \
                         "ldr %[wv], [%[w]], #4\n\t"                                                          \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "sxtb16 %[t], %[wv]\n\t"                                                             \
                         "sxtb16 %[wv], %[wv], ror #8\n\t"                                                    \
                         "smlad %[a0], r8, %[t], %[a0]\n\t"                                                   \
                         "smlad %[a0], r9, %[wv], %[a0]\n\t"                                                  \
                         "smlad %[a1], r10, %[t], %[a1]\n\t"                                                  \
                         "smlad %[a1], r11, %[wv], %[a1]\n\t"                                                 \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "smlad %[a2], r8, %[t], %[a2]\n\t"                                                   \
                         "smlad %[a2], r9, %[wv], %[a2]\n\t"                                                  \
                         "smlad %[a3], r10, %[t], %[a3]\n\t"                                                  \
                         "smlad %[a3], r11, %[wv], %[a3]\n\t"                                                 \
                         "ldr %[wv], [%[w]], #4\n\t"                                                          \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "sxtb16 %[t], %[wv]\n\t"                                                             \
                         "sxtb16 %[wv], %[wv], ror #8\n\t"                                                    \
                         "smlad %[a0], r8, %[t], %[a0]\n\t"                                                   \
                         "smlad %[a0], r9, %[wv], %[a0]\n\t"                                                  \
                         "smlad %[a1], r10, %[t], %[a1]\n\t"                                                  \
                         "smlad %[a1], r11, %[wv], %[a1]\n\t"                                                 \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "smlad %[a2], r8, %[t], %[a2]\n\t"                                                   \
                         "smlad %[a2], r9, %[wv], %[a2]\n\t"                                                  \
                         "smlad %[a3], r10, %[t], %[a3]\n\t"                                                  \
                         "smlad %[a3], r11, %[wv], %[a3]\n\t"                                                 \
                         "ldr %[wv], [%[w]], #4\n\t"                                                          \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "sxtb16 %[t], %[wv]\n\t"                                                             \
                         "sxtb16 %[wv], %[wv], ror #8\n\t"                                                    \
                         "smlad %[a0], r8, %[t], %[a0]\n\t"                                                   \
                         "smlad %[a0], r9, %[wv], %[a0]\n\t"                                                  \
                         "smlad %[a1], r10, %[t], %[a1]\n\t"                                                  \
                         "smlad %[a1], r11, %[wv], %[a1]\n\t"                                                 \
                         "ldmia %[col]!, {r8, r9, r10, r11}\n\t"                                              \
                         "smlad %[a2], r8, %[t], %[a2]\n\t"                                                   \
                         "smlad %[a2], r9, %[wv], %[a2]\n\t"                                                  \
                         "smlad %[a3], r10, %[t], %[a3]\n\t"                                                  \
                         "smlad %[a3], r11, %[wv], %[a3]\n\t"                                                 \
                         "subs %[n], %[n], #1\n\t"                                                            \
                         "bne 1b\n\t"                                                                         \
                         : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [w] "+r"(w),              \
                         [col] "+r"(col), [n] "+r"(n_), [wv] "=&r"(wv_), [t] "=&r"(t_)                          \
                         : "m"(*(const int8_t(*)[])w), "m"(*(const int32_t(*)[])col)                            \
                         : "r8", "r9", "r10", "r11", "cc");                                                     \
    } while (0)

/* Requantizes the four sums of one channel and stores them, the pixels
 * `out_c` apart. Fast form only (dsp.h): every channel's shift qualifies. */
static inline __attribute__((always_inline)) void store4_fast(int8_t *out, int32_t out_c, int32_t a0, int32_t a1,
    int32_t a2, int32_t a3, int32_t multiplier, int32_t right, const dsp_out_range *r, int full_range) {
    const int32_t half = (int32_t)(((uint32_t)1 << right) >> 1);
    out[0] = (int8_t)dsp_requantize_fast(a0, multiplier, right, half, r, full_range);
    out[out_c] = (int8_t)dsp_requantize_fast(a1, multiplier, right, half, r, full_range);
    out[2 * out_c] = (int8_t)dsp_requantize_fast(a2, multiplier, right, half, r, full_range);
    out[3 * out_c] = (int8_t)dsp_requantize_fast(a3, multiplier, right, half, r, full_range);
}

/* Any shift, and fewer than 4 pixels (the last group): tml_mbqm. */
static __attribute__((noinline)) void store_generic(const tml_dsp_conv *c, int8_t *out, int32_t oc,
    const int32_t *acc, int n) {
    dsp_requant rq;
    dsp_requant_init(&rq, c->multiplier[oc * c->step], c->shift[oc * c->step]);
    for (int p = 0; p < n; p++) {
        out[p * c->out_c] = (int8_t)dsp_requantize(&rq, acc[p], c->output_offset, c->act_min, c->act_max);
    }
}

int tml_conv_2d_dsp(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter, const int32_t *bias,
    int8_t *output, void *scratch, uint32_t scratch_bytes) {
    const uint32_t need = tml_conv_2d_dsp_scratch(c);
    if (need == 0 || scratch_bytes < need || scratch == 0) {
        return 0;
    }
    const int32_t k = c->f_h * c->f_w * c->in_c;
    const int32_t blocks = k >> 2;
    const int32_t tail = k & 3;
    int32_t *cols = (int32_t *)scratch;
    const int16_t *tails = (const int16_t *)(const void *)(cols + blocks * 2 * PIXELS);
    const int32_t out_c = c->out_c;
    const int32_t pixels = c->out_h * c->out_w;
    const int fast = dsp_all_fast(c->multiplier, c->shift, c->step ? out_c : 1);
    const dsp_out_range range = dsp_out_range_of(c->output_offset, c->act_min, c->act_max);
    const int full_range = range.full;
    const int lean = fast && full_range && tail == 0 && (blocks & 1) == 0 && blocks > 0;
    for (int32_t b = 0; b < c->batches; b++) {
        const int8_t *in_batch = input + b * c->in_h * c->in_w * c->in_c;
        int8_t *out_batch = output + b * pixels * out_c;
        int32_t oy = 0, ox = 0;
        for (int32_t p0 = 0; p0 < pixels; p0 += PIXELS) {
            const int n = pixels - p0 < PIXELS ? (int)(pixels - p0) : PIXELS;
            if (n < PIXELS) { /* last group: unused columns hold zeros */
                memset(scratch, 0, need);
            }
            for (int p = 0; p < n; p++) {
                fill_pixel(c, in_batch, oy, ox, cols, blocks, tail, p);
                if (++ox == c->out_w) {
                    ox = 0;
                    oy++;
                }
            }
            int8_t *out = out_batch + p0 * out_c;
            const int8_t *w = filter;
            if (lean && n == PIXELS) {
                /* The common case: whole pairs of blocks, fast requantization
                 * to the whole int8 range. */
                for (int32_t oc = 0; oc < out_c; oc++, out++) {
                    const int32_t b0 = bias != 0 ? bias[oc] : 0;
                    int32_t a0 = b0, a1 = b0, a2 = b0, a3 = b0;
                    const int32_t *col = cols;
                    if (blocks >= 4) {
                        CONV_MAC_QUADS(a0, a1, a2, a3, w, col, blocks >> 2);
                    }
                    if (blocks & 2) {
                        CONV_MAC_PAIRS(a0, a1, a2, a3, w, col, 1);
                    }
                    const int32_t i = oc & -c->step;
                    store4_fast(out, out_c, a0, a1, a2, a3, c->multiplier[i], -c->shift[i], &range, 1);
                }
                continue;
            }
            for (int32_t oc = 0; oc < out_c; oc++, out++) {
                const int32_t b0 = bias != 0 ? bias[oc] : 0;
                int32_t a0 = b0, a1 = b0, a2 = b0, a3 = b0;
                const int32_t *col = cols;
                if (blocks >= 2) {
                    CONV_MAC_PAIRS(a0, a1, a2, a3, w, col, blocks >> 1);
                }
                if (blocks & 1) {
                    const uint32_t wv = dsp_load32(w);
                    w += 4;
                    const int32_t w02 = dsp_sxtb16(wv);
                    const int32_t w13 = dsp_sxtb16_ror8(wv);
                    a0 = dsp_smlad(col[0], w02, a0);
                    a0 = dsp_smlad(col[1], w13, a0);
                    a1 = dsp_smlad(col[2], w02, a1);
                    a1 = dsp_smlad(col[3], w13, a1);
                    a2 = dsp_smlad(col[4], w02, a2);
                    a2 = dsp_smlad(col[5], w13, a2);
                    a3 = dsp_smlad(col[6], w02, a3);
                    a3 = dsp_smlad(col[7], w13, a3);
                }
                for (int32_t t = 0; t < tail; t++) {
                    const int32_t wt = *w++;
                    a0 = (int32_t)((uint32_t)a0 + (uint32_t)(wt * tails[t]));
                    a1 = (int32_t)((uint32_t)a1 + (uint32_t)(wt * tails[tail + t]));
                    a2 = (int32_t)((uint32_t)a2 + (uint32_t)(wt * tails[2 * tail + t]));
                    a3 = (int32_t)((uint32_t)a3 + (uint32_t)(wt * tails[3 * tail + t]));
                }
                if (fast && n == PIXELS) {
                    const int32_t i = oc & -c->step; /* oc, or 0 for per-tensor weights */
                    const int32_t right = -c->shift[i];
                    if (full_range) {
                        store4_fast(out, out_c, a0, a1, a2, a3, c->multiplier[i], right, &range, 1);
                    } else {
                        store4_fast(out, out_c, a0, a1, a2, a3, c->multiplier[i], right, &range, 0);
                    }
                } else {
                    const int32_t acc[4] = {a0, a1, a2, a3};
                    store_generic(c, out, oc, acc, n);
                }
            }
        }
    }
    return 1;
}

#else
typedef int tml_conv_2d_dsp_unused; /* ISO C forbids an empty translation unit */
#endif /* TML_HAVE_DSP */
