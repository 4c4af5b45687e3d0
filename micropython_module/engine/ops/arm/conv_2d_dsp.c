/*
 * CONV_2D int8 on the DSP extension (groups of 1; any size, stride,
 * dilation, padding, zero points, per-channel or per-tensor weights).
 *
 * Five output pixels at a time: their input patches (im2col) are widened to
 * int16 with the input zero point added, in reordered pairs (dsp.h),
 * interleaved so that one block of 4 patch elements of all five pixels is 10
 * consecutive words; padding taps are zeros, so the inner loop has no
 * branch. The patch length K = f_h * f_w * in_c is rounded up to whole
 * blocks with zeros, so a last partial block needs only its weights read
 * byte by byte (never past the channel's K weights: the last channel's end
 * is the weight tensor's). Then each output channel runs over its weights in
 * place (flash), one word of 4 int8 weights widened with SXTB16 serving the
 * five pixels: 10 SMLAD per 20 MACs.
 *
 * The common case (every channel's requantization in dsp.h's fast form, at
 * least five output pixels) runs all channels of a group in one assembly
 * routine (conv5_all_channels, or conv5_all_channels_clamped for an
 * activation range inside int8) that keeps the sums and pointers in
 * registers; a last group short of five pixels overlaps the one before. The
 * rest (other shifts, fewer than five pixels) runs the same sums from C.
 *
 * Scratch: 5 * Kb * 4 int16 columns (Kb = ceil(K / 4) blocks), plus 4 * Kb
 * bytes for the int8 patch in order when the input depth is not a multiple
 * of 4.
 */
#include "dsp_hooks.h"

#if TML_HAVE_DSP

#include <stddef.h>

#include "dsp.h"
#include "../conv_util.h"

#define PIXELS 5 /* the assembly (conv5_all_channels, widen_words) is written for 5 */
_Static_assert(8 * PIXELS == 40, "widen_words steps 40 bytes from one block of a column to the next");

/* Blocks of 4 patch elements (the last one zero-padded). */
static int32_t patch_blocks(const tml_dsp_conv *c) {
    return (c->f_h * c->f_w * c->in_c + 3) >> 2;
}

uint32_t tml_conv_2d_dsp_scratch(const tml_dsp_conv *c) {
    if (c->f_in_c != c->in_c) {
        return 0; /* grouped convolution: reference kernel */
    }
    int64_t k = (int64_t)c->f_h * c->f_w * c->in_c;
    if (k > 65536) {
        return 0;
    }
    const uint32_t blocks = (uint32_t)patch_blocks(c);
    const uint32_t columns = PIXELS * 8 * blocks;
    const uint32_t bytes = (c->in_c & 3) != 0 ? 4 * blocks : 0;
    return columns + bytes;
}

/* Widens `words` words of input (4 int8 each, any alignment) into the
 * column of one pixel, a block (10 words) apart: 5 instructions a word. */
static inline int32_t *widen_words(int32_t *dst, const int8_t *src, int32_t words, int32_t offsets) {
    if (words & 1) {
        const uint32_t v = dsp_load32(src);
        src += 4;
        dst[0] = dsp_sxtab16(offsets, v);
        dst[1] = dsp_sxtab16_ror8(offsets, v);
        dst += 2 * PIXELS;
    }
    words >>= 1;
    if (words > 0) {
        int32_t v0, v1, lo, hi;
        __asm__ volatile("1:\n\t"
                         "ldr %[v0], [%[src]], #4\n\t"
                         "ldr %[v1], [%[src]], #4\n\t"
                         "sxtab16 %[lo], %[off], %[v0]\n\t"
                         "sxtab16 %[hi], %[off], %[v0], ror #8\n\t"
                         "strd %[lo], %[hi], [%[dst]], #40\n\t"
                         "sxtab16 %[lo], %[off], %[v1]\n\t"
                         "sxtab16 %[hi], %[off], %[v1], ror #8\n\t"
                         "strd %[lo], %[hi], [%[dst]], #40\n\t"
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b\n\t"
                         : [src] "+r"(src), [dst] "+r"(dst), [n] "+r"(words), [v0] "=&r"(v0), [v1] "=&r"(v1),
                         [lo] "=&r"(lo), [hi] "=&r"(hi)
                         : [off] "r"(offsets), "m"(*(const int8_t(*)[])src)
                         : "cc", "memory");
    }
    return dst;
}

static inline int32_t *zero_words(int32_t *dst, int32_t words) {
    for (int32_t i = 0; i < words; i++) {
        dst[0] = 0;
        dst[1] = 0;
        dst += 2 * PIXELS;
    }
    return dst;
}

/* What fill_rows needs, set once per node. */
typedef struct {
    const int8_t *in_batch;
    int32_t in_h, in_w, in_c, f_h, f_w, dilation_h;
    int32_t row_bytes; /* one input row: in_w * in_c */
    int32_t row_words; /* one filter row of the patch: f_w * in_c / 4 */
    int32_t offsets;   /* the input offset in both halves */
} rows_geom;

/* The patch of one pixel when every filter row is whole words of
 * consecutive input (no horizontal dilation; input depth a multiple of 4, or
 * the row entirely inside the input): per row, zeros for the taps left of
 * the input, one run of widened words, zeros for the taps right of it. */
static void fill_rows(const rows_geom *g, int32_t *dst, int32_t in_y0, int32_t in_x0) {
    int32_t first = in_x0 < 0 ? -in_x0 : 0; /* taps [first, end) inside */
    int32_t end = g->in_w - in_x0 < g->f_w ? g->in_w - in_x0 : g->f_w;
    if (first > g->f_w) {
        first = g->f_w;
    }
    if (end < first) {
        end = first;
    }
    const int32_t before = (first * g->in_c) >> 2;
    const int32_t inside = ((end - first) * g->in_c) >> 2;
    const int32_t after = g->row_words - before - inside;
    const int32_t x_bytes = (in_x0 + first) * g->in_c;
    int32_t iy = in_y0;
    for (int32_t fy = 0; fy < g->f_h; fy++, iy += g->dilation_h) {
        if ((uint32_t)iy >= (uint32_t)g->in_h) {
            dst = zero_words(dst, g->row_words);
            continue;
        }
        dst = zero_words(dst, before);
        dst = widen_words(dst, g->in_batch + iy * g->row_bytes + x_bytes, inside, g->offsets);
        dst = zero_words(dst, after);
    }
}

/* The patch of one pixel whose taps are all inside the input horizontally,
 * input depth not a multiple of 4, no horizontal dilation: each filter row's
 * f_w * in_c consecutive input bytes copied in order into `bytes` (rows
 * outside the input and the last block's missing elements: the input zero
 * point, which widens to 0), then widened word by word. */
static void fill_gathered(const rows_geom *g, int8_t *bytes, int32_t blocks, int32_t *dst, int32_t in_y0,
    int32_t in_x0) {
    const int32_t run = g->f_w * g->in_c;
    const int8_t zero_point = (int8_t)-(int16_t)g->offsets; /* the offset is minus the zero point */
    const int8_t *src_x = g->in_batch + in_x0 * g->in_c;
    int8_t *f = bytes;
    int32_t iy = in_y0;
    for (int32_t fy = 0; fy < g->f_h; fy++, iy += g->dilation_h, f += run) {
        int32_t i = 0;
        if ((uint32_t)iy >= (uint32_t)g->in_h) {
            for (; i < run; i++) {
                f[i] = zero_point;
            }
            continue;
        }
        const int8_t *src = src_x + iy * g->row_bytes;
        for (; i + 4 <= run; i += 4) {
            memcpy(f + i, src + i, 4); /* one unaligned LDR and STR */
        }
        for (; i < run; i++) {
            f[i] = src[i];
        }
    }
    for (int8_t *end = bytes + 4 * blocks; f < end; f++) {
        *f = zero_point;
    }
    widen_words(dst, bytes, blocks, g->offsets);
}

/* Widens the patch of output pixel (oy, ox) into column `p` of the scratch,
 * where fill_rows and fill_gathered do not apply: horizontal dilation, or an
 * input depth not a multiple of 4 with taps outside the input horizontally.
 * (Short zero runs: kept as loops, not turned into memset calls.) */
__attribute__((optimize("no-tree-loop-distribute-patterns"))) static void fill_pixel(const tml_dsp_conv *c,
    const int8_t *in_batch, int32_t oy, int32_t ox, int32_t *cols, int32_t blocks, int p) {
    const int32_t in_y0 = oy * c->stride_h - c->pad_h;
    const int32_t in_x0 = ox * c->stride_w - c->pad_w;
    const int32_t in_c = c->in_c;
    const int32_t f_w = c->f_w;
    const int32_t offsets = dsp_pair(c->input_offset);
    const int32_t run = f_w * in_c; /* one filter row of the patch */
    int32_t fx_first, fx_end;       /* the taps of a row inside the input */
    tml_conv_tap_range(in_x0, c->dilation_w, f_w, c->in_w, &fx_first, &fx_end);
    if (fx_first > f_w) {
        fx_first = fx_end = f_w;
    }
    int32_t *dst = cols + 2 * p;
    if ((in_c & 3) == 0) {
        /* Whole blocks per tap, widened tap by tap; outside taps are zeros. */
        const int32_t tap_words = in_c >> 2;
        for (int32_t fy = 0; fy < c->f_h; fy++) {
            const int32_t iy = in_y0 + c->dilation_h * fy;
            if (iy < 0 || iy >= c->in_h) {
                dst = zero_words(dst, f_w * tap_words);
                continue;
            }
            const int8_t *row = in_batch + iy * c->in_w * in_c;
            for (int32_t fx = 0; fx < f_w; fx++) {
                const int32_t ix = in_x0 + c->dilation_w * fx;
                if (ix >= 0 && ix < c->in_w) {
                    dst = widen_words(dst, row + ix * in_c, tap_words, offsets);
                } else {
                    dst = zero_words(dst, tap_words);
                }
            }
        }
        return;
    }
    /* Otherwise the patch in order as int8 into `bytes` (after the columns),
     * the input zero point standing for padding taps and for the last
     * block's missing elements (it widens to 0), then widened word by word. */
    int8_t *bytes = (int8_t *)(cols + blocks * 2 * PIXELS);
    int8_t *f = bytes;
    const int8_t zero_point = (int8_t)-c->input_offset;
    for (int32_t fy = 0; fy < c->f_h; fy++, f += run) {
        const int32_t iy = in_y0 + c->dilation_h * fy;
        int32_t lo = fx_first * in_c, hi = fx_end * in_c; /* elements [lo, hi) come from the input */
        if (iy < 0 || iy >= c->in_h) {
            lo = hi = run;
        }
        for (int32_t i = 0; i < lo; i++) {
            f[i] = zero_point;
        }
        for (int32_t i = hi; i < run; i++) {
            f[i] = zero_point;
        }
        if (lo >= hi) {
            continue;
        }
        const int8_t *row = in_batch + iy * c->in_w * in_c;
        if (c->dilation_w == 1) { /* the taps inside are consecutive in the input */
            const int8_t *src = row + (in_x0 + fx_first) * in_c;
            int8_t *d = f + lo;
            int32_t i = hi - lo;
            for (; i >= 4; i -= 4, src += 4, d += 4) {
                memcpy(d, src, 4); /* one unaligned LDR and STR */
            }
            for (; i > 0; i--) {
                *d++ = *src++;
            }
        } else {
            for (int32_t fx = fx_first; fx < fx_end; fx++) {
                const int8_t *src = row + (in_x0 + c->dilation_w * fx) * in_c;
                for (int32_t ic = 0; ic < in_c; ic++) {
                    f[fx * in_c + ic] = src[ic];
                }
            }
        }
    }
    for (int8_t *end = bytes + 4 * blocks; f < end; f++) {
        *f = zero_point;
    }
    widen_words(dst, bytes, blocks, offsets);
}

/* Requantizes the sums of one channel (tml_mbqm, any shift) and stores the
 * first n, the pixels `out_c` apart. */
static __attribute__((noinline)) void store_generic(const tml_dsp_conv *c, int8_t *out, int32_t oc,
    const int32_t *acc, int n) {
    dsp_requant rq;
    dsp_requant_init(&rq, c->multiplier[oc * c->step], c->shift[oc * c->step]);
    for (int p = 0; p < n; p++) {
        out[p * c->out_c] = (int8_t)dsp_requantize(&rq, acc[p], c->output_offset, c->act_min, c->act_max);
    }
}

/* The sums of one channel for the pixels of a group, from C: `whole` blocks,
 * then the partial block of `tail` = K mod 4 weights, read byte by byte (the
 * columns' missing lanes are zeros, so the missing weights may be anything). */
static void channel_sums(const int8_t *w, const int32_t *col, int32_t whole, int32_t tail, int32_t acc[PIXELS]) {
    for (int32_t j = 0; j < whole; j++, col += 2 * PIXELS) {
        const uint32_t wv = dsp_load32(w);
        w += 4;
        const int32_t w02 = dsp_sxtb16(wv);
        const int32_t w13 = dsp_sxtb16_ror8(wv);
        for (int p = 0; p < PIXELS; p++) {
            acc[p] = dsp_smlad(col[2 * p], w02, acc[p]);
            acc[p] = dsp_smlad(col[2 * p + 1], w13, acc[p]);
        }
    }
    if (tail != 0) {
        int32_t w02 = (uint16_t)w[0];
        const int32_t w13 = tail >= 2 ? w[1] : 0;
        if (tail == 3) {
            w02 |= (int32_t)((uint32_t)(uint16_t)w[2] << 16);
        }
        for (int p = 0; p < PIXELS; p++) {
            acc[p] = dsp_smlad(col[2 * p], w02, acc[p]);
            acc[p] = dsp_smlad(col[2 * p + 1], w13, acc[p]);
        }
    }
}

/* What conv5_all_channels reads and advances. The first seven words are
 * loaded and stored together (LDM/STM); the offsets are the assembly's. */
typedef struct {
    const int32_t *multiplier; /*  0: advanced by 4 * q_step bytes a channel */
    const int8_t *shift;       /*  4: advanced by q_step bytes a channel */
    int8_t *out;               /*  8: pixel 0, channel 0; advanced by 1 a channel */
    const int32_t *bias;       /* 12: advanced by bias_step bytes a channel */
    int32_t channels;          /* 16: counted down to 0 */
    int32_t q_step;            /* 20: 1 per channel, 0 per tensor */
    int32_t bias_step;         /* 24: 4, or 0 (one zero when there is no bias) */
    int32_t out_stride;        /* 28: bytes from one pixel's output to the next's */
    const int32_t *cols;       /* 32 */
    int32_t eights;            /* 36: whole blocks / 8 */
    int32_t extra;             /* 40: whole blocks mod 8, plus 8 * (K mod 4) */
    int32_t rounding;          /* 44: 2 * output offset + 1 */
    const int8_t *weights;     /* 48: channel 0; K bytes a channel */
    int32_t act_min, act_max;  /* 52, 56: conv5_all_channels_clamped's range */
} conv5_job;

_Static_assert(offsetof(conv5_job, act_max) == 56, "conv5_all_channels reads conv5_job at fixed offsets");

/* Two blocks of 4 elements for the five pixels (20 column words, five LDM
 * of 4): weights words at r5 (advanced), columns at r6 (advanced), sums
 * r0-r4, widened weights r8-r9, columns r10-r12 and lr. */
#define CONV5_PAIR                                                                                             \
    "ldr r8, [r5], #4\n\t"                                                                                     \
    "ldmia r6!, {r10, r11, r12, lr}\n\t"                                                                       \
    "sxtb16 r9, r8\n\t"                                                                                        \
    "sxtb16 r8, r8, ror #8\n\t"                                                                                \
    "smlad r0, r10, r9, r0\n\t"                                                                                \
    "smlad r0, r11, r8, r0\n\t"                                                                                \
    "smlad r1, r12, r9, r1\n\t"                                                                                \
    "smlad r1, lr, r8, r1\n\t"                                                                                 \
    "ldmia r6!, {r10, r11, r12, lr}\n\t"                                                                       \
    "smlad r2, r10, r9, r2\n\t"                                                                                \
    "smlad r2, r11, r8, r2\n\t"                                                                                \
    "smlad r3, r12, r9, r3\n\t"                                                                                \
    "smlad r3, lr, r8, r3\n\t"                                                                                 \
    "ldmia r6!, {r10, r11, r12, lr}\n\t"                                                                       \
    "smlad r4, r10, r9, r4\n\t"                                                                                \
    "smlad r4, r11, r8, r4\n\t"                                                                                \
    "ldr r8, [r5], #4\n\t"                                                                                     \
    "sxtb16 r9, r8\n\t"                                                                                        \
    "sxtb16 r8, r8, ror #8\n\t"                                                                                \
    "smlad r0, r12, r9, r0\n\t"                                                                                \
    "smlad r0, lr, r8, r0\n\t"                                                                                 \
    "ldmia r6!, {r10, r11, r12, lr}\n\t"                                                                       \
    "smlad r1, r10, r9, r1\n\t"                                                                                \
    "smlad r1, r11, r8, r1\n\t"                                                                                \
    "smlad r2, r12, r9, r2\n\t"                                                                                \
    "smlad r2, lr, r8, r2\n\t"                                                                                 \
    "ldmia r6!, {r10, r11, r12, lr}\n\t"                                                                       \
    "smlad r3, r10, r9, r3\n\t"                                                                                \
    "smlad r3, r11, r8, r3\n\t"                                                                                \
    "smlad r4, r12, r9, r4\n\t"                                                                                \
    "smlad r4, lr, r8, r4\n\t"

/* One block's columns times the widened weights r9 (lanes 0, 2) and r8
 * (lanes 1, 3). */
#define CONV5_BLOCK_MACS                                                                                       \
    "ldmia r6!, {r10, r11, r12, lr}\n\t"                                                                       \
    "smlad r0, r10, r9, r0\n\t"                                                                                \
    "smlad r0, r11, r8, r0\n\t"                                                                                \
    "smlad r1, r12, r9, r1\n\t"                                                                                \
    "smlad r1, lr, r8, r1\n\t"                                                                                 \
    "ldmia r6!, {r10, r11, r12, lr}\n\t"                                                                       \
    "smlad r2, r10, r9, r2\n\t"                                                                                \
    "smlad r2, r11, r8, r2\n\t"                                                                                \
    "smlad r3, r12, r9, r3\n\t"                                                                                \
    "smlad r3, lr, r8, r3\n\t"                                                                                 \
    "ldrd r10, r11, [r6], #8\n\t"                                                                              \
    "smlad r4, r10, r9, r4\n\t"                                                                                \
    "smlad r4, r11, r8, r4\n\t"

/* Requantization of sum `r` in place (dsp.h's fast form) in 5 instructions:
 * r9 multiplier, r10 right shift, r11 = 2^(right-1) + (output offset <<
 * right), r8 free. SMMLAR adds r11 to s = SMMULR(2x, m) exactly (r11 * 2^32
 * is added below the rounding); |s| <= 2^30, so s + r11 cannot overflow and
 * adding the offset before the shift is exact. The rounding nudge -[s < 0]
 * is taken as -[x < 0]: they differ only when s = 0 > x, where both give
 * floor((2^(right-1) - 1 or 2^(right-1)) / 2^right) = 0. SSAT clamps to int8. */
#define CONV5_REQUANT(r)                                                                                       \
    "qadd " r ", " r ", " r "\n\t"                                                                             \
    "smmlar r8, " r ", r9, r11\n\t"                                                                            \
    "add " r ", r8, " r ", asr #31\n\t"                                                                        \
    "asr " r ", " r ", r10\n\t"                                                                                \
    "ssat " r ", #8, " r "\n\t"

/* The same, then clamped to [r6, r7] (inside int8) instead of SSAT. */
#define CONV5_CLAMPED(r)                                                                                       \
    "qadd " r ", " r ", " r "\n\t"                                                                             \
    "smmlar r8, " r ", r9, r11\n\t"                                                                            \
    "add " r ", r8, " r ", asr #31\n\t"                                                                        \
    "asr " r ", " r ", r10\n\t"                                                                                \
    "cmp " r ", r6\n\t"                                                                                        \
    "it lt\n\t"                                                                                                \
    "movlt " r ", r6\n\t"                                                                                      \
    "cmp " r ", r7\n\t"                                                                                        \
    "it gt\n\t"                                                                                                \
    "movgt " r ", r7\n\t"

/* The whole-range requantization of the five sums, and the clamped one (the
 * activation range inside int8: r6, r7 = act_min, act_max from the job). */
#define CONV5_REQUANT_WHOLE                                                                                    \
    CONV5_REQUANT("r0") CONV5_REQUANT("r1") CONV5_REQUANT("r2") CONV5_REQUANT("r3") CONV5_REQUANT("r4")
#define CONV5_REQUANT_CLAMPED                                                                                  \
    "ldrd r6, r7, [lr, #52]\n\t" CONV5_CLAMPED("r0") CONV5_CLAMPED("r1") CONV5_CLAMPED("r2") CONV5_CLAMPED("r3") \
        CONV5_CLAMPED("r4")

/* Every channel of one group of five pixels, requantized in the fast form
 * (dsp.h; the caller checks every channel's shift qualifies):
 * 125 instructions per 160 MACs in the loop. Registers: r0-r4 sums, r5
 * weights (running on from one channel to the next), r6 columns, r7 counter,
 * r8-r9 widened weights, r10-r12 and lr columns; the job pointer is reloaded
 * from the stack. Written once, for both requantizations. */
#define CONV5_ALL_CHANNELS(REQUANT_ALL)                                                                        \
    __asm__ volatile(                                                                                          \
        "push {r0, r4, r5, r6, r7, r8, r9, r10, r11, lr}\n\t"                                                 \
        "mov lr, r0\n\t"                                                                                      \
        "ldr r5, [lr, #48]\n\t"                                                                               \
        "1:\n\t" /* a channel (lr = job): the sums start at the bias */                                       \
        "ldr r8, [lr, #12]\n\t"                                                                               \
        "ldr r0, [r8]\n\t"                                                                                    \
        "mov r1, r0\n\t"                                                                                      \
        "mov r2, r0\n\t"                                                                                      \
        "mov r3, r0\n\t"                                                                                      \
        "mov r4, r0\n\t"                                                                                      \
        "ldrd r6, r7, [lr, #32]\n\t"                                                                          \
        "cmp r7, #0\n\t"                                                                                      \
        "beq 3f\n\t"                                                                                          \
        "2:\n\t" CONV5_PAIR CONV5_PAIR CONV5_PAIR CONV5_PAIR                                                  \
        "subs r7, r7, #1\n\t"                                                                                 \
        "bne 2b\n\t"                                                                                          \
        "3:\n\t" /* whole blocks mod 8, then the partial block */                                             \
        "ldr lr, [sp]\n\t"                                                                                    \
        "ldr r7, [lr, #40]\n\t"                                                                               \
        "cmp r7, #0\n\t"                                                                                      \
        "beq 7f\n\t"                                                                                          \
        "tst r7, #4\n\t"                                                                                      \
        "beq 9f\n\t" CONV5_PAIR CONV5_PAIR                                                                    \
        "9:\n\t"                                                                                              \
        "tst r7, #2\n\t"                                                                                      \
        "beq 4f\n\t" CONV5_PAIR                                                                               \
        "4:\n\t"                                                                                              \
        "tst r7, #1\n\t"                                                                                      \
        "beq 5f\n\t"                                                                                          \
        "ldr r8, [r5], #4\n\t"                                                                                \
        "sxtb16 r9, r8\n\t"                                                                                   \
        "sxtb16 r8, r8, ror #8\n\t" CONV5_BLOCK_MACS                                                          \
        "5:\n\t" /* the partial block of r7 = K mod 4 weights, byte by byte */                                \
        "lsrs r7, r7, #3\n\t"                                                                                 \
        "beq 8f\n\t"                                                                                          \
        "ldrsb r9, [r5]\n\t"                                                                                  \
        "movs r8, #0\n\t"                                                                                     \
        "cmp r7, #2\n\t"                                                                                      \
        "blt 6f\n\t"                                                                                          \
        "ldrsb r8, [r5, #1]\n\t"                                                                              \
        "beq 6f\n\t"                                                                                          \
        "ldrsb r10, [r5, #2]\n\t"                                                                             \
        "pkhbt r9, r9, r10, lsl #16\n\t"                                                                      \
        "6:\n\t"                                                                                              \
        "add r5, r5, r7\n\t" CONV5_BLOCK_MACS                                                                 \
        "8:\n\t"                                                                                              \
        "ldr lr, [sp]\n\t"                                                                                    \
        "7:\n\t" /* this channel's multiplier and shift */                                                    \
        "ldmia lr, {r6, r7}\n\t"                                                                              \
        "ldr r9, [r6]\n\t"                                                                                    \
        "ldrsb r10, [r7]\n\t"                                                                                 \
        "ldr r11, [lr, #44]\n\t"                                                                              \
        "mvn r12, r10\n\t" /* right - 1 */                                                                    \
        "rsb r10, r10, #0\n\t"                                                                                \
        "lsl r11, r11, r12\n\t" REQUANT_ALL                                                                   \
        "ldmia lr, {r6, r7, r8, r9, r10, r11, r12}\n\t"                                                       \
        "ldr lr, [lr, #28]\n\t"                                                                               \
        "strb r0, [r8]\n\t"                                                                                   \
        "strb r1, [r8, lr]\n\t"                                                                               \
        "add r0, r8, lr, lsl #1\n\t"                                                                          \
        "strb r2, [r0]\n\t"                                                                                   \
        "strb r3, [r0, lr]\n\t"                                                                               \
        "add r0, r0, lr, lsl #1\n\t"                                                                          \
        "strb r4, [r0]\n\t"                                                                                   \
        "add r6, r6, r11, lsl #2\n\t"                                                                         \
        "add r7, r7, r11\n\t"                                                                                 \
        "add r8, r8, #1\n\t"                                                                                  \
        "add r9, r9, r12\n\t"                                                                                 \
        "ldr lr, [sp]\n\t"                                                                                    \
        "subs r10, r10, #1\n\t"                                                                               \
        "stmia lr, {r6, r7, r8, r9, r10}\n\t"                                                                 \
        "bne 1b\n\t"                                                                                          \
        "pop {r0, r4, r5, r6, r7, r8, r9, r10, r11, pc}\n\t"                                                  \
        )

__attribute__((naked, noinline)) static void conv5_all_channels(conv5_job *job) {
    (void)job;
    CONV5_ALL_CHANNELS(CONV5_REQUANT_WHOLE);
}

__attribute__((naked, noinline)) static void conv5_all_channels_clamped(conv5_job *job) {
    (void)job;
    CONV5_ALL_CHANNELS(CONV5_REQUANT_CLAMPED);
}

int tml_conv_2d_dsp(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter, const int32_t *bias,
    int8_t *output, void *scratch, uint32_t scratch_bytes) {
    const uint32_t need = tml_conv_2d_dsp_scratch(c);
    if (need == 0 || scratch_bytes < need || scratch == 0) {
        return 0;
    }
    const int32_t k = c->f_h * c->f_w * c->in_c;
    const int32_t whole = k >> 2; /* whole blocks; a partial one follows when tail > 0 */
    const int32_t tail = k & 3;
    const int32_t blocks = patch_blocks(c);
    int32_t *cols = (int32_t *)scratch;
    const int32_t out_c = c->out_c;
    const int32_t pixels = c->out_h * c->out_w;
    /* (The routine counts channels down from out_c: at least one.) */
    const int lean = out_c > 0 && dsp_all_fast(c->multiplier, c->shift, c->step ? out_c : 1);
    const int whole_range = c->act_min == -128 && c->act_max == 127;
    static const int32_t no_bias = 0;
    /* fill_rows applies to every pixel, or to those whose filter rows are
     * entirely inside the input. */
    const int rows_always = (c->in_c & 3) == 0 && c->dilation_w == 1;
    const int rows_inside = ((c->f_w * c->in_c) & 3) == 0 && c->dilation_w == 1;
    const int gathered = !rows_always && c->dilation_w == 1;
    int8_t *bytes = (int8_t *)(cols + blocks * 2 * PIXELS); /* fill_gathered's, when the depth is not a multiple of 4 */
    rows_geom rows = {.in_h = c->in_h, .in_w = c->in_w, .in_c = c->in_c, .f_h = c->f_h, .f_w = c->f_w,
        .dilation_h = c->dilation_h, .row_bytes = c->in_w * c->in_c, .row_words = (c->f_w * c->in_c) >> 2,
        .offsets = dsp_pair(c->input_offset)};
    for (int32_t b = 0; b < c->batches; b++) {
        const int8_t *in_batch = input + b * c->in_h * c->in_w * c->in_c;
        int8_t *out_batch = output + b * pixels * out_c;
        int32_t oy = 0, ox = 0;
        rows.in_batch = in_batch;
        for (int32_t p0 = 0; p0 < pixels; p0 += PIXELS) {
            if (lean && pixels - p0 < PIXELS && pixels >= PIXELS) {
                /* The last group overlaps the one before instead of being
                 * short: its first pixels are computed (and written) twice,
                 * with the same bytes, by the fast routine. */
                p0 = pixels - PIXELS;
                oy = p0 / c->out_w;
                ox = p0 - oy * c->out_w;
            }
            const int n = pixels - p0 < PIXELS ? (int)(pixels - p0) : PIXELS;
            if (n < PIXELS) { /* last group: unused columns hold zeros */
                memset(cols, 0, (size_t)blocks * PIXELS * 8);
            }
            for (int p = 0; p < n; p++) {
                const int32_t in_y0 = oy * c->stride_h - c->pad_h;
                const int32_t in_x0 = ox * c->stride_w - c->pad_w;
                const int inside = in_x0 >= 0 && in_x0 <= c->in_w - c->f_w;
                if (rows_always || (rows_inside && inside)) {
                    fill_rows(&rows, cols + 2 * p, in_y0, in_x0);
                } else if (gathered && inside) {
                    fill_gathered(&rows, bytes, blocks, cols + 2 * p, in_y0, in_x0);
                } else {
                    fill_pixel(c, in_batch, oy, ox, cols, blocks, p);
                }
                if (++ox == c->out_w) {
                    ox = 0;
                    oy++;
                }
            }
            int8_t *out = out_batch + p0 * out_c;
            if (lean && n == PIXELS) {
                conv5_job job = {.multiplier = c->multiplier, .shift = c->shift, .out = out,
                    .bias = bias != 0 ? bias : &no_bias, .channels = out_c, .q_step = c->step,
                    .bias_step = bias != 0 ? 4 : 0, .out_stride = out_c, .cols = cols, .eights = whole >> 3,
                    .extra = (whole & 7) | (tail << 3), .rounding = 2 * c->output_offset + 1, .weights = filter,
                    .act_min = c->act_min, .act_max = c->act_max};
                if (whole_range) {
                    conv5_all_channels(&job);
                } else {
                    conv5_all_channels_clamped(&job);
                }
                continue;
            }
            const int8_t *w = filter;
            for (int32_t oc = 0; oc < out_c; oc++, out++, w += k) {
                const int32_t b0 = bias != 0 ? bias[oc] : 0;
                int32_t acc[PIXELS];
                for (int p = 0; p < PIXELS; p++) {
                    acc[p] = b0;
                }
                channel_sums(w, cols, whole, tail, acc);
                store_generic(c, out, oc, acc, n);
            }
        }
    }
    return 1;
}

#else
typedef int tml_conv_2d_dsp_unused; /* ISO C forbids an empty translation unit */
#endif /* TML_HAVE_DSP */
