/*
 * DEPTHWISE_CONV_2D int8 on the DSP extension: depth multiplier 1 with
 * filters of up to DW_MAX_TAPS taps, or a depth multiplier that is a
 * multiple of 4 (any filter); any stride, dilation, padding and zero points,
 * per-channel or per-tensor weights. Other multipliers run the reference
 * kernel.
 *
 * No arena scratch: in KWS both activations of a depthwise layer are live
 * and fill the reference build's arena, so any scratch would grow it. What
 * the kernel keeps (a group's widened weights and requantization, the tap
 * table, a ring of widened input rows) lives on the stack, at most about
 * 2.5 KB.
 *
 * Multiplier 1: channel groups of four are the outer loop, so that the
 * group's weights are prepared once, not once per output pixel.
 *  - the staged path (3-wide filters of 3 or 4 rows, e.g. KWS's 3x3, when
 *    the requantization is the common fast one): input rows widened once
 *    into int16 row pairs, then per output pixel LDM + SMLAD only
 *    (staged_group, tml_dw_dsp_rows3).
 *  - otherwise rectangles of output pixels with the same taps inside the
 *    input (corners, edges, interior) share a table of tap pairs; per pixel
 *    the input words of taps a and b (4 channels each) become, with PKHBT /
 *    PKHTB and SXTAB16 (input zero point added on the way), one int16 pair
 *    (x_a, x_b) per channel, and SMLAD multiplies it by the prepared weight
 *    pair (w_a, w_b) (tml_dw_dsp_run, tml_dw_dsp_run_q). An odd last tap is
 *    paired with itself and a weight of 0.
 * Channels past the last multiple of 4 are summed one by one.
 * Multiplier 4k: see multiplier_path.
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

/*
 * tml_dw_dsp_run followed by the requantization of the common case (every
 * channel in dsp.h's fast form, output range all of int8), written straight
 * to `out` (4 bytes per pixel, `out_step` bytes apart). The weights of
 * `table` and `bias4` are doubled: the sum is then 2 acc, the QADD(acc, acc)
 * of dsp_requantize_fast, exactly, because run_groups uses this only when
 * |bias| < 2^29 (and |sum of the taps| < 36 * 255 * 128 < 2^21), and
 * kq[3 q ..] = (multiplier, K, right) per channel with K = 2^(right-1) +
 * zero point * 2^right: with |s| < 2^30 neither QADD of the fast form
 * saturates, and adding zero point * 2^right before the shift is adding the
 * zero point after it. 7 instructions per output byte.
 */
void tml_dw_dsp_run_q(const int8_t *px, const int32_t *table, int32_t pairs, int32_t offsets, int8_t *out,
    int32_t npix, int32_t px_step, const int32_t *bias4, int32_t out_step, const int32_t *kq);
#define DW_REQUANT_CHANNEL(acc, at)                                                                            \
    "    ldm r1!, {r8-r10}\n"                                                                                  \
    "    smmulr " acc ", " acc ", r8\n"                                                                        \
    "    add r11, " acc ", r9\n"                                                                               \
    "    add r11, r11, " acc ", asr #31\n"                                                                     \
    "    asr r11, r11, r10\n"                                                                                  \
    "    ssat r11, #8, r11\n"                                                                                  \
    "    strb r11, [lr, #" at "]\n"
__asm__(".syntax unified\n"
        ".section .text.tml_dw_dsp_run_q,\"ax\",%progbits\n"
        ".balign 4\n"
        ".global tml_dw_dsp_run_q\n"
        ".thumb\n"
        ".thumb_func\n"
        ".type tml_dw_dsp_run_q, %function\n"
        "tml_dw_dsp_run_q:\n"
        "    push {r4-r11, lr}\n"
        "    push {r1, r2}\n"        /* [sp] table, [sp, #4] pairs */
        "    ldr lr, [sp, #44]\n"    /* out; [sp, #48] npix, #52 px_step, #56 bias4, #60 out_step, #64 kq */
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
        "    ldr r1, [sp, #64]\n"
        DW_REQUANT_CHANNEL("r4", "0")
        DW_REQUANT_CHANNEL("r5", "1")
        DW_REQUANT_CHANNEL("r6", "2")
        DW_REQUANT_CHANNEL("r7", "3")
        "    ldr r8, [sp, #60]\n"
        "    add lr, lr, r8\n"
        "    ldr r8, [sp, #52]\n"
        "    add r0, r0, r8\n"
        "    ldr r8, [sp, #48]\n"
        "    subs r8, r8, #1\n"
        "    str r8, [sp, #48]\n"
        "    bne 2b\n"
        "    add sp, sp, #8\n"
        "    pop {r4-r11, pc}\n"
        ".size tml_dw_dsp_run_q, .-tml_dw_dsp_run_q\n"
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
    /* per tap: int16 (w0, w1) and (w2, w3), times 2 when `doubled` */
    uint32_t w01[DW_MAX_TAPS], w23[DW_MAX_TAPS];
    int32_t bias[4];
    int32_t multiplier[4], right[4], half[4];
    int32_t bias2[4]; /* tml_dw_dsp_run_q: doubled bias, (multiplier, K, right) per channel */
    int32_t kq[12];
    int doubled;      /* tml_dw_dsp_run_q applies (mode 2 and |bias| < 2^29) */
} dw_group;

static void prepare_group(const tml_dsp_conv *c, const int8_t *filter, const int32_t *bias, int32_t ch,
    int32_t taps, int mode, dw_group *g) {
    g->doubled = mode == 2;
    for (int32_t q = 0; q < 4; q++) {
        const int32_t bq = bias != 0 ? bias[ch + q] : 0;
        g->doubled &= bq < ((int32_t)1 << 29) && bq > -((int32_t)1 << 29);
    }
    const int32_t scale = g->doubled ? 2 : 1;
    for (int32_t t = 0; t < taps; t++) {
        const int8_t *w = filter + t * c->out_c + ch;
        g->w01[t] = ((uint32_t)(scale * w[0]) & 0xFFFFu) | ((uint32_t)(scale * w[1]) << 16);
        g->w23[t] = ((uint32_t)(scale * w[2]) & 0xFFFFu) | ((uint32_t)(scale * w[3]) << 16);
    }
    for (int32_t q = 0; q < 4; q++) {
        g->bias[q] = bias != 0 ? bias[ch + q] : 0;
        dsp_requant r;
        dsp_requant_init(&r, c->multiplier[(ch + q) * c->step], c->shift[(ch + q) * c->step]);
        g->multiplier[q] = r.multiplier;
        g->right[q] = r.right;
        g->half[q] = r.half;
    }
    for (int32_t q = 0; q < 4; q++) {
        g->bias2[q] = g->doubled ? 2 * g->bias[q] : 0;
        g->kq[3 * q] = g->multiplier[q];
        g->kq[3 * q + 1] = g->half[q] + c->output_offset * (int32_t)((uint32_t)1 << (g->right[q] & 31));
        g->kq[3 * q + 2] = g->right[q];
    }
}

/* The table of tml_dw_dsp_run for the taps fy in [fy0, fy1), fx in [fx0,
 * fx1) (those inside the input for a region of output pixels): per pair the
 * byte offsets of the two taps' input words from the window's corner, then
 * per channel (w_a, w_b). An odd last tap is paired with itself and weight
 * 0. Offsets are from the first tap (fy0, fx0), inside the input. The
 * weights are the group's (doubled for tml_dw_dsp_run_q). Returns the number
 * of pairs. */
static int32_t build_table(const tml_dsp_conv *c, const dw_group *g, int32_t fy0, int32_t fy1, int32_t fx0,
    int32_t fx1, int32_t *table) {
    const int32_t base = (c->dilation_h * fy0 * c->in_w + c->dilation_w * fx0) * c->in_c;
    int32_t n = 0;
    int32_t pending = -1, pending_off = 0;
    for (int32_t fy = fy0; fy < fy1; fy++) {
        for (int32_t fx = fx0; fx < fx1; fx++) {
            const int32_t t = fy * c->f_w + fx;
            const int32_t off = (c->dilation_h * fy * c->in_w + c->dilation_w * fx) * c->in_c - base;
            if (pending < 0) {
                pending = t;
                pending_off = off;
                continue;
            }
            const uint32_t a01 = g->w01[pending], a23 = g->w23[pending];
            const uint32_t b01 = g->w01[t], b23 = g->w23[t];
            int32_t *e = table + 6 * n++;
            e[0] = pending_off;
            e[1] = off;
            e[2] = (int32_t)((a01 & 0xFFFFu) | (b01 << 16));
            e[3] = (int32_t)((b01 & 0xFFFF0000u) | (a01 >> 16));
            e[4] = (int32_t)((a23 & 0xFFFFu) | (b23 << 16));
            e[5] = (int32_t)((b23 & 0xFFFF0000u) | (a23 >> 16));
            pending = -1;
        }
    }
    if (pending >= 0) {
        const uint32_t a01 = g->w01[pending], a23 = g->w23[pending];
        int32_t *e = table + 6 * n++;
        e[0] = pending_off;
        e[1] = pending_off;
        e[2] = (int32_t)(a01 & 0xFFFFu);
        e[3] = (int32_t)(a01 >> 16);
        e[4] = (int32_t)(a23 & 0xFFFFu);
        e[5] = (int32_t)(a23 >> 16);
    }
    return n;
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
    const int32_t *a, int8_t *out, int mode, const dsp_out_range *range) {
    if (mode != 0) {
        const int full = mode == 2;
        const uint32_t v0 = (uint8_t)dsp_requantize_fast(a[0], q->m0, q->r0, q->h0, range, full);
        const uint32_t v1 = (uint8_t)dsp_requantize_fast(a[1], q->m1, q->r1, q->h1, range, full);
        const uint32_t v2 = (uint8_t)dsp_requantize_fast(a[2], q->m2, q->r2, q->h2, range, full);
        const uint32_t v3 = (uint8_t)dsp_requantize_fast(a[3], q->m3, q->r3, q->h3, range, full);
        const uint32_t word = v0 | (v1 << 8) | (v2 << 16) | (v3 << 24);
        memcpy(out, &word, 4);
        return;
    }
    for (int32_t k = 0; k < 4; k++) {
        dsp_requant r;
        dsp_requant_init(&r, c->multiplier[(ch + k) * c->step], c->shift[(ch + k) * c->step]);
        out[k] = (int8_t)dsp_requantize(&r, a[k], c->output_offset, c->act_min, c->act_max);
    }
}

/* Where the output pixels of one row or column share their taps inside the
 * input: [begin, end) of output indexes with the same tap range. */
static inline __attribute__((always_inline)) int32_t same_range_end(int32_t o, int32_t n, int32_t stride,
    int32_t pad, int32_t dil, int32_t f, int32_t in) {
    int32_t first, end;
    tap_range(o * stride - pad, dil, f, in, &first, &end);
    int32_t e = o + 1;
    for (; e < n; e++) {
        int32_t f2, e2;
        tap_range(e * stride - pad, dil, f, in, &f2, &e2);
        if (f2 != first || e2 != end) {
            break;
        }
    }
    return e;
}

/*
 * The staged path, for filters 3 or 4 rows high and 3 wide (KWS's 3x3),
 * undilated columns, requantized by the assembly (dw_group.doubled): the
 * group's input is widened once into int16 pairs of two rows, so that each
 * MAC is half an SMLAD on values loaded as they are (LDM), with no packing
 * per output pixel. Row pair r holds, per input column x (padding included)
 * and channel q, (x[r][x][q] + zp, x[r + dil_h][x][q] + zp), 16 bytes a
 * column; lanes outside the input are 0 (input and zero point both left
 * out), so padding costs nothing. An output row sums row pairs y0 and y0 + 2
 * dil_h against the weight pairs (2 w[0][kx], 2 w[1][kx]) and (2 w[2][kx],
 * 2 w[3][kx] or 0). Row pairs live in a ring of `slots` (more than the span
 * of the filter rows, so the two of one output row never share a slot),
 * tagged with their row, and are reused by the next output rows. Stack: the
 * ring, at most DW_STAGE_BYTES.
 */
#define DW_STAGE_BYTES 1024

typedef struct {
    int32_t x_lo, wp, slots;
} dw_stage_geo;

static int stage_geometry(const tml_dsp_conv *c, dw_stage_geo *s) {
    if (c->f_w != 3 || (c->f_h != 3 && c->f_h != 4) || c->dilation_w != 1) {
        return 0;
    }
    s->x_lo = -c->pad_w;
    const int64_t x_hi = (int64_t)(c->out_w - 1) * c->stride_w - c->pad_w + 3;
    const int64_t wp = x_hi - s->x_lo;
    const int64_t slots = (int64_t)(c->f_h - 1) * c->dilation_h + 2;
    if (wp < 1 || slots * wp * 16 > DW_STAGE_BYTES) {
        return 0;
    }
    s->wp = (int32_t)wp;
    s->slots = (int32_t)slots;
    return 1;
}

/* Row pair r of the group (channels ch .. ch + 3 of in_batch) into dst. */
static __attribute__((noinline)) void stage_row(const tml_dsp_conv *c, const int8_t *in_batch, int32_t r, const dw_stage_geo *s,
    int32_t *dst) {
    const int32_t rb = r + c->dilation_h;
    const int a_in = r >= 0 && r < c->in_h, b_in = rb >= 0 && rb < c->in_h;
    const uint32_t zp = (uint32_t)c->input_offset & 0xFFFFu;
    const int32_t offs = (int32_t)((a_in ? zp : 0u) | (b_in ? zp << 16 : 0u));
    const int8_t *pa = a_in ? in_batch + r * c->in_w * c->in_c : 0;
    const int8_t *pb = b_in ? in_batch + rb * c->in_w * c->in_c : 0;
    int32_t i = 0;
    for (; i < s->wp && s->x_lo + i < 0; i++, dst += 4) { /* left padding */
        dst[0] = dst[1] = dst[2] = dst[3] = 0;
    }
    int32_t inside = c->in_w - (s->x_lo + i);
    inside = inside > s->wp - i ? s->wp - i : inside;
    if (a_in && b_in && inside > 0) {
        /* both rows inside (all but the first and last row pairs): PKHBT /
         * PKHTB and SXTAB16 per column, in assembly (GCC spends about 3
         * times as many instructions on this loop) */
        const int8_t *p = pa + (s->x_lo + i) * c->in_c;
        const int32_t rowoff = (int32_t)(pb - pa), step = c->in_c;
        int32_t n = inside, A, B, lo, hi;
        __asm__ volatile("1:\n\t"
                         "ldr %[B], [%[p], %[ro]]\n\t"
                         "ldr %[A], [%[p]]\n\t"
                         "add %[p], %[p], %[st]\n\t"
                         "pkhbt %[lo], %[A], %[B], lsl #16\n\t"
                         "pkhtb %[hi], %[B], %[A], asr #16\n\t"
                         "sxtab16 %[A], %[off], %[lo]\n\t"
                         "sxtab16 %[B], %[off], %[lo], ror #8\n\t"
                         "strd %[A], %[B], [%[d]], #8\n\t"
                         "sxtab16 %[A], %[off], %[hi]\n\t"
                         "sxtab16 %[B], %[off], %[hi], ror #8\n\t"
                         "strd %[A], %[B], [%[d]], #8\n\t"
                         "subs %[n], %[n], #1\n\t"
                         "bne 1b\n\t"
                         : [p] "+r"(p), [d] "+r"(dst), [n] "+r"(n), [A] "=&r"(A), [B] "=&r"(B), [lo] "=&r"(lo),
                         [hi] "=&r"(hi)
                         : [ro] "r"(rowoff), [st] "r"(step), [off] "r"(offs)
                         : "cc", "memory");
        i += inside;
    }
    for (; i < s->wp; i++, dst += 4) {
        const int32_t x = s->x_lo + i;
        if (x < 0 || x >= c->in_w) {
            dst[0] = dst[1] = dst[2] = dst[3] = 0;
            continue;
        }
        const uint32_t A = a_in ? dsp_load32(pa + x * c->in_c) : 0u;
        const uint32_t B = b_in ? dsp_load32(pb + x * c->in_c) : 0u;
        const uint32_t lo = (A & 0xFFFFu) | (B << 16); /* [a0 a1 b0 b1] */
        const uint32_t hi = (B & 0xFFFF0000u) | (A >> 16); /* [a2 a3 b2 b3] */
        dst[0] = dsp_sxtab16(offs, lo);
        dst[1] = dsp_sxtab16_ror8(offs, lo);
        dst[2] = dsp_sxtab16(offs, hi);
        dst[3] = dsp_sxtab16_ror8(offs, hi);
    }
}

/* What tml_dw_dsp_rows3 reads and advances (offsets fixed by the assembly). */
typedef struct {
    const int32_t *row0, *row1; /* 0, 4: the two row pairs at the pixel's first column */
    const int32_t *w;           /* 8: 6 x 4 weight pairs */
    const int32_t *bias2;       /* 12 */
    int8_t *out;                /* 16 */
    int32_t npix;               /* 20: >= 1 */
    int32_t px_bytes;           /* 24: 16 x stride_w */
    int32_t out_step;           /* 28 */
    const int32_t *kq;          /* 32 */
} dw_rows3_args;

/* One output row of the staged path: per pixel 6 x (two LDM, four SMLAD),
 * then tml_dw_dsp_run_q's requantization. All 14 registers hold the sums,
 * four inputs, four weights and the two pointers; the rest stays in *args. */
void tml_dw_dsp_rows3(dw_rows3_args *args);
#define DW_MAC3                                                                                                \
    "    ldm r12!, {r8-r11}\n"                                                                                 \
    "    ldm lr!, {r0-r3}\n"                                                                                   \
    "    smlad r4, r8, r0, r4\n"                                                                               \
    "    smlad r5, r9, r1, r5\n"                                                                               \
    "    smlad r6, r10, r2, r6\n"                                                                              \
    "    smlad r7, r11, r3, r7\n"
#define DW_RQ(acc, dst)                                                                                        \
    "    ldm r12!, {r0-r2}\n"                                                                                  \
    "    smmulr " acc ", " acc ", r0\n"                                                                        \
    "    add " dst ", " acc ", r1\n"                                                                           \
    "    add " dst ", " dst ", " acc ", asr #31\n"                                                             \
    "    asr " dst ", " dst ", r2\n"                                                                           \
    "    ssat " dst ", #8, " dst "\n"
__asm__(".syntax unified\n"
        ".section .text.tml_dw_dsp_rows3,\"ax\",%progbits\n"
        ".balign 4\n"
        ".global tml_dw_dsp_rows3\n"
        ".thumb\n"
        ".thumb_func\n"
        ".type tml_dw_dsp_rows3, %function\n"
        "tml_dw_dsp_rows3:\n"
        "    push {r4-r11, lr}\n"
        "    push {r0}\n"
        "2:\n"
        "    ldr lr, [sp]\n"
        "    ldr r12, [lr, #12]\n"
        "    ldm r12, {r4-r7}\n"
        "    ldr r12, [lr, #0]\n"
        "    ldr lr, [lr, #8]\n"
        DW_MAC3 DW_MAC3 DW_MAC3
        "    ldr r12, [sp]\n"
        "    ldr r12, [r12, #4]\n"
        DW_MAC3 DW_MAC3 DW_MAC3
        "    ldr lr, [sp]\n"
        "    ldr r12, [lr, #32]\n"
        DW_RQ("r4", "r3") DW_RQ("r5", "r8") DW_RQ("r6", "r9") DW_RQ("r7", "r10")
        "    ldr r12, [lr, #16]\n"
        "    strb r3, [r12]\n"
        "    strb r8, [r12, #1]\n"
        "    strb r9, [r12, #2]\n"
        "    strb r10, [r12, #3]\n"
        "    ldr r11, [lr, #28]\n"
        "    add r12, r12, r11\n"
        "    str r12, [lr, #16]\n"
        "    ldr r11, [lr, #24]\n"
        "    ldrd r0, r1, [lr]\n"
        "    add r0, r0, r11\n"
        "    add r1, r1, r11\n"
        "    strd r0, r1, [lr]\n"
        "    ldr r0, [lr, #20]\n"
        "    subs r0, r0, #1\n"
        "    str r0, [lr, #20]\n"
        "    bne 2b\n"
        "    add sp, sp, #4\n"
        "    pop {r4-r11, pc}\n"
        ".size tml_dw_dsp_rows3, .-tml_dw_dsp_rows3\n"
        ".text\n");

static __attribute__((noinline)) void staged_group(const tml_dsp_conv *c, const dw_stage_geo *s, const int8_t *input, const int8_t *filter,
    int8_t *output, int32_t ch, const dw_group *g) {
    const int32_t channels = c->in_c, wp4 = 4 * s->wp;
    int32_t wpairs[6 * 4];
    for (int32_t k = 0; k < 2; k++) {
        for (int32_t kx = 0; kx < 3; kx++) {
            const int8_t *wa = filter + ((2 * k) * 3 + kx) * c->out_c + ch;
            const int8_t *wb = wa + 3 * c->out_c;
            for (int32_t q = 0; q < 4; q++) {
                const int32_t b = 2 * k + 1 < c->f_h ? wb[q] : 0;
                wpairs[(k * 3 + kx) * 4 + q] =
                    (int32_t)(((uint32_t)(2 * wa[q]) & 0xFFFFu) | ((uint32_t)(2 * b) << 16));
            }
        }
    }
    int32_t ring[DW_STAGE_BYTES / 4];
    int32_t tag[DW_STAGE_BYTES / 16];
    for (int32_t b = 0; b < c->batches; b++) {
        const int8_t *in_batch = input + b * c->in_h * c->in_w * channels + ch;
        for (int32_t i = 0; i < s->slots; i++) {
            tag[i] = INT32_MIN;
        }
        for (int32_t oy = 0; oy < c->out_h; oy++) {
            const int32_t y0 = oy * c->stride_h - c->pad_h;
            const int32_t *rows[2];
            for (int32_t k = 0; k < 2; k++) {
                const int32_t r = y0 + 2 * k * c->dilation_h;
                int32_t slot = r % s->slots;
                slot += slot < 0 ? s->slots : 0;
                int32_t *dst = ring + slot * wp4;
                if (tag[slot] != r) {
                    stage_row(c, in_batch, r, s, dst);
                    tag[slot] = r;
                }
                rows[k] = dst;
            }
            dw_rows3_args a = {rows[0], rows[1], wpairs, g->bias2,
                output + (b * c->out_h + oy) * c->out_w * channels + ch, c->out_w, 16 * c->stride_w, channels,
                g->kq};
            tml_dw_dsp_rows3(&a);
        }
    }
}

static inline __attribute__((always_inline)) void run_groups(const tml_dsp_conv *c, const int8_t *input,
    const int8_t *filter, const int32_t *bias, int8_t *output, int mode, const dsp_out_range *range_in) {
    const dsp_out_range range = *range_in;
    const int32_t channels = c->in_c;
    const int32_t in_w = c->in_w, in_h = c->in_h, out_w = c->out_w, out_h = c->out_h;
    const int32_t taps = c->f_h * c->f_w;
    const int32_t offsets = dsp_pair(c->input_offset);
    const int32_t row_step = c->stride_h * in_w * channels, col_step = c->stride_w * channels;
    const int32_t out_row = out_w * channels;
    dw_group g;
    int32_t table[6 * DW_MAX_PAIRS];
    int32_t sums[4 * DW_RUN];
    dw_stage_geo geo = {0, 0, 0};
    const int staged = mode == 2 && stage_geometry(c, &geo);
    for (int32_t ch = 0; ch + 4 <= channels; ch += 4) {
        prepare_group(c, filter, bias, ch, taps, mode, &g);
        const dw_rq q = {g.multiplier[0], g.multiplier[1], g.multiplier[2], g.multiplier[3], g.right[0], g.right[1],
            g.right[2], g.right[3], g.half[0], g.half[1], g.half[2], g.half[3]};
        if (staged && g.doubled) {
            staged_group(c, &geo, input, filter, output, ch, &g);
            continue;
        }
        /* Rectangles of output pixels with the same taps inside the input
         * (for SAME padding: the corners, the edges and the interior); one
         * table each, then runs of pixels along the rectangle's longer side. */
        for (int32_t oy0 = 0; oy0 < out_h;) {
            const int32_t oy1 = same_range_end(oy0, out_h, c->stride_h, c->pad_h, c->dilation_h, c->f_h, in_h);
            const int32_t in_y0 = oy0 * c->stride_h - c->pad_h;
            int32_t fy0, fy1;
            tap_range(in_y0, c->dilation_h, c->f_h, in_h, &fy0, &fy1);
            for (int32_t ox0 = 0; ox0 < out_w;) {
                const int32_t ox1 = same_range_end(ox0, out_w, c->stride_w, c->pad_w, c->dilation_w, c->f_w, in_w);
                const int32_t in_x0 = ox0 * c->stride_w - c->pad_w;
                int32_t fx0, fx1;
                tap_range(in_x0, c->dilation_w, c->f_w, in_w, &fx0, &fx1);
                const int32_t pairs = build_table(c, &g, fy0, fy1, fx0, fx1, table);
                /* along rows (the common case) or, for a rectangle one pixel
                 * wide, down its column */
                const int down = ox1 - ox0 == 1 && oy1 - oy0 > 1;
                const int32_t lines = down ? 1 : oy1 - oy0;
                const int32_t length = down ? oy1 - oy0 : ox1 - ox0;
                const int32_t in_step = down ? row_step : col_step;
                const int32_t out_step = down ? out_row : channels;
                for (int32_t b = 0; b < c->batches; b++) {
                    const int8_t *in_batch = input + b * in_h * in_w * channels + ch;
                    for (int32_t l = 0; l < lines; l++) {
                        const int32_t oy = oy0 + l;
                        int8_t *out = output + ((b * out_h + oy) * out_w + ox0) * channels + ch;
                        /* the first tap inside the input (offsets of the table are from it) */
                        const int8_t *px = in_batch;
                        if (pairs > 0) {
                            px += ((oy * c->stride_h - c->pad_h + c->dilation_h * fy0) * in_w + in_x0 +
                                      c->dilation_w * fx0) * channels;
                        }
                        for (int32_t left = length; left > 0;) {
                            const int32_t n = left < DW_RUN ? left : DW_RUN;
                            left -= n;
                            if (pairs > 0 && g.doubled) {
                                tml_dw_dsp_run_q(px, table, pairs, offsets, out, n, in_step, g.bias2, out_step, g.kq);
                                out += n * out_step;
                                px += n * in_step;
                                continue;
                            }
                            if (pairs > 0) {
                                tml_dw_dsp_run(px, table, pairs, offsets, sums, n, in_step, g.bias);
                                px += n * in_step;
                            } else {
                                for (int32_t k = 0; k < 4 * n; k++) {
                                    sums[k] = g.bias[k & 3];
                                }
                            }
                            for (int32_t k = 0; k < n; k++, out += out_step) {
                                store4(c, &q, ch, sums + 4 * k, out, mode, &range);
                            }
                        }
                    }
                }
                ox0 = ox1;
            }
            oy0 = oy1;
        }
    }
}

/*
 * Depth multiplier a multiple of 4 (micro_speech: 8, one input channel,
 * 10x8 filter, stride 2): every input value feeds `dm` output channels
 * whose weights are consecutive. Per tap, the input value (zero point added)
 * is put in both halves of a word, and each word of four weights is widened
 * with SXTB16 into (w0, w2), (w1, w3) and multiplied with SMLABB / SMLATB:
 * 7 instructions per 4 MACs, where the reference loop takes about 16 per
 * MAC. Eight output channels at a time when the multiplier allows (two
 * weight words per input value), else four; taps outside the input are
 * skipped as the reference kernel skips them. No scratch.
 */
static inline __attribute__((always_inline)) int32_t smlabb(int32_t a, int32_t b, int32_t acc) {
    int32_t r;
    __asm__("smlabb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}
static inline __attribute__((always_inline)) int32_t smlatb(int32_t a, int32_t b, int32_t acc) {
    int32_t r;
    __asm__("smlatb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
    return r;
}

static void multiplier_path(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter,
    const int32_t *bias, int8_t *output) {
    const int32_t dm = c->depth_multiplier, in_c = c->in_c, out_c = c->out_c;
    const int32_t f_w = c->f_w, in_w = c->in_w;
    for (int32_t b = 0; b < c->batches; b++) {
        const int8_t *in_batch = input + b * c->in_h * in_w * in_c;
        for (int32_t oy = 0; oy < c->out_h; oy++) {
            const int32_t in_y0 = oy * c->stride_h - c->pad_h;
            int32_t fy0, fy1;
            tap_range(in_y0, c->dilation_h, c->f_h, c->in_h, &fy0, &fy1);
            for (int32_t ox = 0; ox < c->out_w; ox++) {
                const int32_t in_x0 = ox * c->stride_w - c->pad_w;
                int32_t fx0, fx1;
                tap_range(in_x0, c->dilation_w, f_w, in_w, &fx0, &fx1);
                int8_t *out = output + ((b * c->out_h + oy) * c->out_w + ox) * out_c;
                int32_t oc = 0;
                for (; dm % 8 == 0 && oc < out_c; oc += 8) {
                    /* eight output channels of one input channel: the input
                     * value is loaded and paired once for two weight words */
                    const int32_t ic = oc / dm;
                    int32_t a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
                    if (bias != 0) {
                        for (int32_t k = 0; k < 8; k++) {
                            a[k] = bias[oc + k];
                        }
                    }
                    int32_t a0 = a[0], a1 = a[1], a2 = a[2], a3 = a[3], a4 = a[4], a5 = a[5], a6 = a[6], a7 = a[7];
                    for (int32_t fy = fy0; fy < fy1; fy++) {
                        const int32_t iy = in_y0 + c->dilation_h * fy;
                        const int8_t *xp = in_batch + (iy * in_w + in_x0 + c->dilation_w * fx0) * in_c + ic;
                        const int8_t *wp = filter + (fy * f_w + fx0) * out_c + oc;
                        const int32_t xstep = c->dilation_w * in_c;
                        for (int32_t fx = fx1 - fx0; fx > 0; fx--, xp += xstep, wp += out_c) {
                            const int32_t xx = dsp_pair(*xp + c->input_offset);
                            const uint32_t w = dsp_load32(wp), v = dsp_load32(wp + 4);
                            const int32_t w02 = dsp_sxtb16(w), w13 = dsp_sxtb16_ror8(w);
                            const int32_t v02 = dsp_sxtb16(v), v13 = dsp_sxtb16_ror8(v);
                            a0 = smlabb(w02, xx, a0);
                            a2 = smlatb(w02, xx, a2);
                            a1 = smlabb(w13, xx, a1);
                            a3 = smlatb(w13, xx, a3);
                            a4 = smlabb(v02, xx, a4);
                            a6 = smlatb(v02, xx, a6);
                            a5 = smlabb(v13, xx, a5);
                            a7 = smlatb(v13, xx, a7);
                        }
                    }
                    const int32_t acc[8] = {a0, a1, a2, a3, a4, a5, a6, a7};
                    for (int32_t k = 0; k < 8; k++) {
                        dsp_requant r;
                        dsp_requant_init(&r, c->multiplier[(oc + k) * c->step], c->shift[(oc + k) * c->step]);
                        out[oc + k] = (int8_t)dsp_requantize(&r, acc[k], c->output_offset, c->act_min, c->act_max);
                    }
                }
                for (; oc < out_c; oc += 4) {
                    const int32_t ic = oc / dm;
                    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
                    if (bias != 0) {
                        a0 = bias[oc];
                        a1 = bias[oc + 1];
                        a2 = bias[oc + 2];
                        a3 = bias[oc + 3];
                    }
                    for (int32_t fy = fy0; fy < fy1; fy++) {
                        const int32_t iy = in_y0 + c->dilation_h * fy;
                        const int8_t *xp = in_batch + (iy * in_w + in_x0 + c->dilation_w * fx0) * in_c + ic;
                        const int8_t *wp = filter + (fy * f_w + fx0) * out_c + oc;
                        const int32_t xstep = c->dilation_w * in_c;
                        for (int32_t fx = fx1 - fx0; fx > 0; fx--, xp += xstep, wp += out_c) {
                            const int32_t xx = dsp_pair(*xp + c->input_offset);
                            const uint32_t w = dsp_load32(wp);
                            const int32_t w02 = dsp_sxtb16(w), w13 = dsp_sxtb16_ror8(w);
                            a0 = smlabb(w02, xx, a0);
                            a2 = smlatb(w02, xx, a2);
                            a1 = smlabb(w13, xx, a1);
                            a3 = smlatb(w13, xx, a3);
                        }
                    }
                    const int32_t acc[4] = {a0, a1, a2, a3};
                    for (int32_t k = 0; k < 4; k++) {
                        dsp_requant r;
                        dsp_requant_init(&r, c->multiplier[(oc + k) * c->step], c->shift[(oc + k) * c->step]);
                        out[oc + k] = (int8_t)dsp_requantize(&r, acc[k], c->output_offset, c->act_min, c->act_max);
                    }
                }
            }
        }
    }
}

int tml_depthwise_conv_2d_dsp(const tml_dsp_conv *c, const int8_t *input, const int8_t *filter,
    const int32_t *bias, int8_t *output, void *scratch, uint32_t scratch_bytes) {
    (void)scratch;
    (void)scratch_bytes;
    if (c->depth_multiplier > 1 && c->depth_multiplier % 4 == 0 && c->out_c == c->in_c * c->depth_multiplier) {
        multiplier_path(c, input, filter, bias, output);
        return 1;
    }
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
