/*
 * DEPTHWISE_CONV_2D int8 in portable C (targets without the DSP extension):
 * any depth multiplier, padding, stride, dilation and filter size, per-channel
 * or per-tensor weights.
 *
 * Output channels are taken two at a time (both sums live in registers), and
 * for each pair the output pixels are visited in turn. When the two channels
 * read the same input channel (an even depth multiplier) each input byte is
 * loaded once for both.
 *
 * The input offset is folded into the bias: sum w * (x + offset) = sum w * x +
 * offset * sum w, and the pair's weight sums over the whole filter are
 * computed once, before its pixels. That holds where every tap lands inside
 * the input; at the border, where the reference loop skips the taps in the
 * padding, the sum runs with the offset added to each input instead.
 */
#include "portable_hooks.h"

#if TML_HAVE_PORTABLE

#include "portable_dot.h"

/* The geometry of one node, fixed for all channel pairs. */
typedef struct {
    int32_t in_col_step; /* the input under the next filter column: dilation_w pixels */
    int32_t in_row_step; /* the input under the next filter row: dilation_h input rows */
    int32_t f_col_step;  /* the filter's next tap: its C_out channels */
    int32_t f_row_step;  /* the filter's next row: KW taps */
} dw_steps;

#if TML_THUMB1
/* The depthwise taps of a window in Thumb-1, in one block. The pointers start
 * one step back and load at [pointer, step] (LDRSB has no immediate offset),
 * a neighbouring byte at [pointer, step + 1]; the sums and the end of the row
 * live in r8-r10, the input offset in r12, the rest of the window's
 * description in `w` (address in r11), read once a row.
 * TML_DW_WINDOW_THUMB1(tap) is the block, `tap` the instructions of one tap:
 * two channels reading one input channel (11 instructions a tap with the loop,
 * 12 with the input offset added), or two neighbouring channels of a depth
 * multiplier 1 (12, or 14). */
typedef struct {
    uint32_t a0, a1;           /* #0, #4 */
    const int8_t *row_last;    /* #8: the (one step back) filter pointer at a row's last tap */
    int32_t rows;              /* #12 */
    int32_t in_adv, f_adv;     /* #16, #20: from a row's last tap to the next row's first, one step back */
    int32_t f_row_step;        /* #24 */
    int32_t x_offset;          /* #28 */
} dw_window;

/* One tap of two channels reading one input channel: filter bytes [fp, fs]
 * and [fp, fs + 1]. */
#define TML_DW_TAP_SHARED(add_offset) \
    "ldrsb %[x], [%[ip], %[is]]\n\t" add_offset \
    "ldrsb %[t], [%[fp], %[fs]]\n\t" \
    "muls %[t], %[x]\n\t" \
    "add r8, %[t]\n\t" \
    "ldrsb %[t], [%[fp], %[fn]]\n\t" \
    "muls %[t], %[x]\n\t" \
    "add r9, %[t]\n\t"

/* One tap of two neighbouring channels of a depth multiplier 1 (input and
 * filter steps equal, is == fs): inputs [ip, is] and [ip, is + 1]. */
#define TML_DW_TAP_NEIGHBOURS(add_offset) \
    "ldrsb %[x], [%[ip], %[is]]\n\t" add_offset \
    "ldrsb %[t], [%[fp], %[fs]]\n\t" \
    "muls %[t], %[x]\n\t" \
    "add r8, %[t]\n\t" \
    "ldrsb %[x], [%[ip], %[fn]]\n\t" add_offset \
    "ldrsb %[t], [%[fp], %[fn]]\n\t" \
    "muls %[t], %[x]\n\t" \
    "add r9, %[t]\n\t"

#define TML_DW_WINDOW_THUMB1(tap) \
    __asm__ volatile( \
        ".syntax unified\n\t" \
        "ldr %[t], [%[x], #0]\n\t" \
        "mov r8, %[t]\n\t" \
        "ldr %[t], [%[x], #4]\n\t" \
        "mov r9, %[t]\n\t" \
        "ldr %[t], [%[x], #8]\n\t" \
        "mov r10, %[t]\n\t" \
        "ldr %[t], [%[x], #28]\n\t" \
        "mov r12, %[t]\n\t" \
        "mov r11, %[x]\n\t" \
        "1:\n\t" \
        tap \
        "adds %[ip], %[ip], %[is]\n\t" \
        "adds %[fp], %[fp], %[fs]\n\t" \
        "cmp %[fp], r10\n\t" \
        "bne 1b\n\t" \
        "mov %[x], r11\n\t" /* end of a row */ \
        "ldr %[t], [%[x], #12]\n\t" \
        "subs %[t], #1\n\t" \
        "beq 2f\n\t" \
        "str %[t], [%[x], #12]\n\t" \
        "ldr %[t], [%[x], #16]\n\t" \
        "adds %[ip], %[ip], %[t]\n\t" \
        "ldr %[t], [%[x], #20]\n\t" \
        "adds %[fp], %[fp], %[t]\n\t" \
        "ldr %[t], [%[x], #24]\n\t" \
        "add r10, %[t]\n\t" \
        "b 1b\n\t" \
        "2:\n\t" \
        "mov %[t], r8\n\t" \
        "str %[t], [%[x], #0]\n\t" \
        "mov %[t], r9\n\t" \
        "str %[t], [%[x], #4]\n\t" \
        : [ip] "+l"(ip), [fp] "+l"(fp), [x] "+l"(wp), [t] "=&l"(t) \
        : [is] "l"(in_step), [fs] "l"(f_step), [fn] "l"(f_next) \
        : "r8", "r9", "r10", "r11", "r12", "cc", "memory")

static TML_PORTABLE_INLINE void dw_window_thumb1(const dw_steps *st, const int8_t *in_first, const int8_t *f_first,
    int32_t rows, int32_t cols, int32_t neighbours, int32_t x_offset, uint32_t *acc0, uint32_t *acc1) {
    const int32_t in_step = st->in_col_step, f_step = st->f_col_step, f_next = f_step + 1;
    const int8_t *ip = in_first - in_step;
    const int8_t *fp = f_first - f_step;
    dw_window w = {.a0 = *acc0, .a1 = *acc1, .row_last = fp + cols * f_step, .rows = rows,
        .in_adv = st->in_row_step - cols * in_step, .f_adv = st->f_row_step - cols * f_step,
        .f_row_step = st->f_row_step, .x_offset = x_offset};
    dw_window *wp = &w;
    int32_t t;
    if (neighbours) {
        if (x_offset == 0) {
            TML_DW_WINDOW_THUMB1(TML_DW_TAP_NEIGHBOURS(""));
        } else {
            TML_DW_WINDOW_THUMB1(TML_DW_TAP_NEIGHBOURS("add %[x], r12\n\t"));
        }
    } else if (x_offset == 0) {
        TML_DW_WINDOW_THUMB1(TML_DW_TAP_SHARED(""));
    } else {
        TML_DW_WINDOW_THUMB1(TML_DW_TAP_SHARED("add %[x], r12\n\t"));
    }
    *acc0 = w.a0;
    *acc1 = w.a1;
}
#endif

/* acc0 / acc1 += the rows x cols taps of two output channels reading the same
 * input channel (filter bytes fp[0] and fp[1]), each input plus x_offset.
 * Inlined into each caller so x_offset 0 (interior pixels) drops the addition. */
static TML_PORTABLE_INLINE void dw_taps_shared(const dw_steps *st, const int8_t *in_first, const int8_t *f_first,
    int32_t rows, int32_t cols, int32_t x_offset, uint32_t *acc0, uint32_t *acc1) {
#if TML_THUMB1
    dw_window_thumb1(st, in_first, f_first, rows, cols, 0, x_offset, acc0, acc1);
#else
    const int32_t in_col_step = st->in_col_step, f_col_step = st->f_col_step;
    uint32_t a0 = *acc0, a1 = *acc1;
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *ip = in_first + r * st->in_row_step;
        const int8_t *fp = f_first + r * st->f_row_step;
        const int8_t *const fp_end = fp + cols * f_col_step;
        do { /* cols >= 1: the caller visits no empty window */
            const int32_t x = (int32_t)*ip + x_offset;
            a0 += (uint32_t)((int32_t)fp[0] * x);
            a1 += (uint32_t)((int32_t)fp[1] * x);
            ip += in_col_step;
            fp += f_col_step;
        } while (fp != fp_end);
    }
    *acc0 = a0;
    *acc1 = a1;
#endif
}

/* As dw_taps_shared, for two output channels whose inputs are x_other input
 * channels apart and whose filters f_other channels apart (f_other 0: a lone
 * last channel computed twice, stored once). */
static TML_PORTABLE_INLINE void dw_taps_apart(const dw_steps *st, const int8_t *in_first, const int8_t *f_first,
    int32_t x_other, int32_t f_other, int32_t rows, int32_t cols, int32_t x_offset, uint32_t *acc0, uint32_t *acc1) {
    const int32_t in_col_step = st->in_col_step, f_col_step = st->f_col_step;
    uint32_t a0 = *acc0, a1 = *acc1;
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *ip = in_first + r * st->in_row_step;
        const int8_t *fp = f_first + r * st->f_row_step;
        const int8_t *const fp_end = fp + cols * f_col_step;
        do {
            a0 += (uint32_t)((int32_t)fp[0] * ((int32_t)ip[0] + x_offset));
            a1 += (uint32_t)((int32_t)fp[f_other] * ((int32_t)ip[x_other] + x_offset));
            ip += in_col_step;
            fp += f_col_step;
        } while (fp != fp_end);
    }
    *acc0 = a0;
    *acc1 = a1;
}

/* Either form, chosen by whether the pair shares its input channel. */
static TML_PORTABLE_INLINE void dw_taps(const dw_steps *st, const int8_t *in_first, const int8_t *f_first,
    int32_t x_other, int32_t f_other, int32_t rows, int32_t cols, int32_t x_offset, uint32_t *acc0, uint32_t *acc1) {
    if (x_other == 0 && f_other == 1) {
        dw_taps_shared(st, in_first, f_first, rows, cols, x_offset, acc0, acc1);
#if TML_THUMB1
    } else if (x_other == 1 && f_other == 1 && st->in_col_step == st->f_col_step) {
        dw_window_thumb1(st, in_first, f_first, rows, cols, 1, x_offset, acc0, acc1);
#endif
    } else {
        dw_taps_apart(st, in_first, f_first, x_other, f_other, rows, cols, x_offset, acc0, acc1);
    }
}

int tml_depthwise_conv_2d_portable(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter,
    const int32_t *bias, int8_t *output) {
    const int32_t dm = c->depth_multiplier;
    if (dm < 1 || c->out_c != c->in_c * dm) {
        return 0;
    }
    const tml_portable_requant rq = {.multiplier = c->multiplier, .shift = c->shift, .step = c->step,
        .output_offset = c->output_offset, .act_min = c->act_min, .act_max = c->act_max};
    const int32_t out_c = c->out_c;
    const int32_t taps = c->f_h * c->f_w;
    const dw_steps st = {.in_col_step = c->dilation_w * c->in_c, .in_row_step = c->dilation_h * c->in_w * c->in_c,
        .f_col_step = out_c, .f_row_step = c->f_w * out_c};
    int32_t ic0 = 0, mi0 = 0; /* c0 = ic0 * dm + mi0, kept without a division (none in Thumb-1) */
    for (int32_t c0 = 0; c0 < out_c; c0 += 2) {
        const int32_t f_other = c0 + 1 < out_c ? 1 : 0;
        const int32_t x_other = mi0 + f_other < dm ? 0 : 1; /* does channel c0 + 1 read the next input channel? */
        uint32_t wsum0 = 0, wsum1 = 0;
        for (int32_t t = 0; t < taps; t++) {
            wsum0 += (uint32_t)(int32_t)filter[t * out_c + c0];
            wsum1 += (uint32_t)(int32_t)filter[t * out_c + c0 + f_other];
        }
        const uint32_t bias0 = bias != NULL ? (uint32_t)bias[c0] : 0u;
        const uint32_t bias1 = bias != NULL ? (uint32_t)bias[c0 + f_other] : 0u;
        const uint32_t folded0 = bias0 + (uint32_t)c->input_offset * wsum0;
        const uint32_t folded1 = bias1 + (uint32_t)c->input_offset * wsum1;
        int8_t *out = output + c0;
        for (int32_t b = 0; b < c->batches; b++) {
            const int8_t *in_batch = input + b * c->in_h * c->in_w * c->in_c + ic0;
            for (int32_t oy = 0; oy < c->out_h; oy++) {
                const int32_t in_y0 = oy * c->stride_h - c->pad_h;
                int32_t fy_first, fy_end;
                tml_conv_tap_range(in_y0, c->dilation_h, c->f_h, c->in_h, &fy_first, &fy_end);
                for (int32_t ox = 0; ox < c->out_w; ox++) {
                    const int32_t in_x0 = ox * c->stride_w - c->pad_w;
                    int32_t fx_first, fx_end;
                    tml_conv_tap_range(in_x0, c->dilation_w, c->f_w, c->in_w, &fx_first, &fx_end);
                    const int32_t rows = fy_end - fy_first;
                    const int32_t cols = fx_end - fx_first;
                    uint32_t acc0, acc1;
                    if (rows == c->f_h && cols == c->f_w) { /* all taps inside: the offset is in the bias */
                        acc0 = folded0;
                        acc1 = folded1;
                        dw_taps(&st, in_batch + (in_y0 * c->in_w + in_x0) * c->in_c, filter + c0, x_other, f_other,
                            rows, cols, 0, &acc0, &acc1);
                    } else {
                        acc0 = bias0;
                        acc1 = bias1;
                        if (rows > 0 && cols > 0) {
                            const int32_t iy = in_y0 + c->dilation_h * fy_first;
                            const int32_t ix = in_x0 + c->dilation_w * fx_first;
                            dw_taps(&st, in_batch + (iy * c->in_w + ix) * c->in_c,
                                filter + (fy_first * c->f_w + fx_first) * out_c + c0, x_other, f_other, rows, cols,
                                c->input_offset, &acc0, &acc1);
                        }
                    }
                    out[0] = tml_portable_output(&rq, acc0, c0);
                    if (f_other) {
                        out[1] = tml_portable_output(&rq, acc1, c0 + 1);
                    }
                    out += out_c;
                }
            }
        }
        mi0 += 2;
        while (mi0 >= dm) {
            mi0 -= dm;
            ic0++;
        }
    }
    return 1;
}

#else
typedef int tml_depthwise_conv_2d_portable_unused; /* ISO C forbids an empty translation unit */
#endif /* TML_HAVE_PORTABLE */
