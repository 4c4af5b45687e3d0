/*
 * FULLY_CONNECTED int8 on the DSP extension: any depth, units and batches,
 * per-channel or per-tensor weights (with a weights zero point).
 *
 * No scratch: the arena must stay as small as the reference kernels' (an
 * earlier version widened the whole input row into scratch, which made the
 * arena of ad01 and micro_speech larger than TFLM's). Instead four units run
 * together over their weight rows in place (flash), and each word of four
 * inputs is widened once (SXTAB16, input zero point added on the way, in the
 * reordered pairs of dsp.h) for the four of them: per 16 MACs, 3 instructions
 * for the inputs and 5 per unit (load, two SXTB16 / SXTAB16 with the
 * weights' zero point, two SMLAD). The last units (units mod 4) run one at a
 * time; elements past the last whole block of 4 are summed one by one.
 */
#include "dsp_hooks.h"

#if TML_HAVE_DSP

#include "dsp.h"

uint32_t tml_fully_connected_dsp_scratch(const tml_dsp_fc *c) {
    (void)c;
    return 0;
}

/* Widened weights: (w0, w2) and (w1, w3) of a word, plus the zero point
 * (a compile-time 0 in the common symmetric case, where SXTB16 does it). */
static inline __attribute__((always_inline)) int32_t w_lo(int32_t woff, uint32_t v, int has_woff) {
    return has_woff ? dsp_sxtab16(woff, v) : dsp_sxtb16(v);
}
static inline __attribute__((always_inline)) int32_t w_hi(int32_t woff, uint32_t v, int has_woff) {
    return has_woff ? dsp_sxtab16_ror8(woff, v) : dsp_sxtb16_ror8(v);
}

/*
 * Four units (rows w, w + depth, w + 2 depth, w + 3 depth) over `blocks` >= 1
 * blocks of 4 inputs, symmetric weights (zero point 0): acc[0..3] += dot.
 * A whole assembly function rather than inline assembly because it needs all
 * 14 general registers (four sums, x, w, w + 2 depth, depth, the count, the
 * input zero point pair, two widened inputs, a weight word and its half).
 * Per block (16 MACs) 3 instructions widen the inputs and 5 per unit do the
 * rest; two blocks a turn (an odd count enters at the second half), 1.5
 * instructions per MAC. Unaligned rows are fine: LDR allows any address.
 */
void tml_fc_dsp_dot4(const int8_t *x, const int8_t *w, int32_t depth, int32_t blocks, int32_t xoff,
    int32_t acc[4]);
__asm__(".syntax unified\n"
        ".section .text.tml_fc_dsp_dot4,\"ax\",%progbits\n"
        ".balign 4\n"
        ".global tml_fc_dsp_dot4\n"
        ".thumb\n"
        ".thumb_func\n"
        ".type tml_fc_dsp_dot4, %function\n"
        "tml_fc_dsp_dot4:\n"
        "    push {r4-r11, lr}\n"
        "    ldr r4, [sp, #36]\n"        /* xoff */
        "    ldr lr, [sp, #40]\n"        /* acc */
        "    push {lr}\n"
        "    ldm lr, {r5-r8}\n"
        "    add r9, r1, r2, lsl #1\n"   /* rows 2 and 3 */
        "    adds r3, r3, #1\n"
        "    lsrs r3, r3, #1\n"          /* turns; carry clear: odd count */
        "    bcc 2f\n"
        "1:\n"
        "    ldr r11, [r0], #4\n"
        "    sxtab16 r10, r4, r11\n"
        "    sxtab16 r11, r4, r11, ror #8\n"
        "    ldr r12, [r1, r2]\n"
        "    sxtb16 lr, r12\n"
        "    sxtb16 r12, r12, ror #8\n"
        "    smlad r6, r10, lr, r6\n"
        "    smlad r6, r11, r12, r6\n"
        "    ldr r12, [r1], #4\n"
        "    sxtb16 lr, r12\n"
        "    sxtb16 r12, r12, ror #8\n"
        "    smlad r5, r10, lr, r5\n"
        "    smlad r5, r11, r12, r5\n"
        "    ldr r12, [r9, r2]\n"
        "    sxtb16 lr, r12\n"
        "    sxtb16 r12, r12, ror #8\n"
        "    smlad r8, r10, lr, r8\n"
        "    smlad r8, r11, r12, r8\n"
        "    ldr r12, [r9], #4\n"
        "    sxtb16 lr, r12\n"
        "    sxtb16 r12, r12, ror #8\n"
        "    smlad r7, r10, lr, r7\n"
        "    smlad r7, r11, r12, r7\n"
        "2:\n"
        "    ldr r11, [r0], #4\n"
        "    sxtab16 r10, r4, r11\n"
        "    sxtab16 r11, r4, r11, ror #8\n"
        "    ldr r12, [r1, r2]\n"
        "    sxtb16 lr, r12\n"
        "    sxtb16 r12, r12, ror #8\n"
        "    smlad r6, r10, lr, r6\n"
        "    smlad r6, r11, r12, r6\n"
        "    ldr r12, [r1], #4\n"
        "    sxtb16 lr, r12\n"
        "    sxtb16 r12, r12, ror #8\n"
        "    smlad r5, r10, lr, r5\n"
        "    smlad r5, r11, r12, r5\n"
        "    ldr r12, [r9, r2]\n"
        "    sxtb16 lr, r12\n"
        "    sxtb16 r12, r12, ror #8\n"
        "    smlad r8, r10, lr, r8\n"
        "    smlad r8, r11, r12, r8\n"
        "    ldr r12, [r9], #4\n"
        "    sxtb16 lr, r12\n"
        "    sxtb16 r12, r12, ror #8\n"
        "    smlad r7, r10, lr, r7\n"
        "    smlad r7, r11, r12, r7\n"
        "    subs r3, r3, #1\n"
        "    bne 1b\n"
        "    pop {lr}\n"
        "    stm lr, {r5-r8}\n"
        "    pop {r4-r11, pc}\n"
        ".size tml_fc_dsp_dot4, .-tml_fc_dsp_dot4\n"
        ".text\n");

/* The same in C for weights with a zero point (SXTAB16 adds it), which
 * needs one register more than tml_fc_dsp_dot4 has. */
static void dot4_woff(const int8_t *x, const int8_t *w, int32_t depth, int32_t blocks, int32_t xoff,
    int32_t woff, int32_t acc[4]) {
    const int8_t *w2 = w + 2 * depth;
    int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t i = 0; i < blocks; i++) {
        const uint32_t xv = dsp_load32(x);
        x += 4;
        const int32_t xl = dsp_sxtab16(xoff, xv);
        const int32_t xh = dsp_sxtab16_ror8(xoff, xv);
        uint32_t v = dsp_load32(w);
        a0 = dsp_smlad(xl, dsp_sxtab16(woff, v), a0);
        a0 = dsp_smlad(xh, dsp_sxtab16_ror8(woff, v), a0);
        v = dsp_load32(w + depth);
        a1 = dsp_smlad(xl, dsp_sxtab16(woff, v), a1);
        a1 = dsp_smlad(xh, dsp_sxtab16_ror8(woff, v), a1);
        v = dsp_load32(w2);
        a2 = dsp_smlad(xl, dsp_sxtab16(woff, v), a2);
        a2 = dsp_smlad(xh, dsp_sxtab16_ror8(woff, v), a2);
        v = dsp_load32(w2 + depth);
        a3 = dsp_smlad(xl, dsp_sxtab16(woff, v), a3);
        a3 = dsp_smlad(xh, dsp_sxtab16_ror8(woff, v), a3);
        w += 4;
        w2 += 4;
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* One unit over `blocks` blocks of 4 inputs. */
static inline __attribute__((always_inline)) int32_t dot1(const int8_t *x, const int8_t *w, int32_t blocks,
    int32_t xoff, int32_t woff, int has_woff, int32_t a) {
    for (int32_t i = 0; i < blocks; i++) {
        const uint32_t xv = dsp_load32(x);
        const uint32_t v = dsp_load32(w);
        x += 4;
        w += 4;
        a = dsp_smlad(dsp_sxtab16(xoff, xv), w_lo(woff, v, has_woff), a);
        a = dsp_smlad(dsp_sxtab16_ror8(xoff, xv), w_hi(woff, v, has_woff), a);
    }
    return a;
}

/* Requantization of unit u; `lean` (a compile-time constant where it is
 * inlined): every channel takes the fast form and the range is all of int8. */
static inline __attribute__((always_inline)) int8_t requantize_unit(const tml_dsp_fc *c, int32_t u, int32_t acc,
    int lean, int fast, const dsp_out_range *range) {
    const int32_t i = u & -c->step;
    if (lean || fast) {
        const int32_t right = -c->shift[i];
        const int32_t half = (int32_t)(((uint32_t)1 << right) >> 1);
        if (lean || range->full) {
            return (int8_t)dsp_requantize_fast(acc, c->multiplier[i], right, half, range, 1);
        }
        return (int8_t)dsp_requantize_fast(acc, c->multiplier[i], right, half, range, 0);
    }
    dsp_requant r;
    dsp_requant_init(&r, c->multiplier[i], c->shift[i]);
    return (int8_t)dsp_requantize(&r, acc, c->output_offset, c->act_min, c->act_max);
}

/* Elements past the last whole block of 4, one by one. */
static int32_t tail_sum(const tml_dsp_fc *c, const int8_t *row, const int8_t *w, int32_t from, int32_t acc) {
    for (int32_t t = from; t < c->depth; t++) {
        acc = (int32_t)((uint32_t)acc + (uint32_t)((w[t] + c->weight_offset) * (row[t] + c->input_offset)));
    }
    return acc;
}

static inline __attribute__((always_inline)) void fc_rows(const tml_dsp_fc *c, const int8_t *input,
    const int8_t *weights, const int32_t *bias, int8_t *output, int has_woff, int lean, int fast,
    const dsp_out_range *range) {
    const int32_t depth = c->depth;
    const int32_t blocks = depth >> 2;
    const int32_t done = 4 * blocks;
    const int32_t xoff = dsp_pair(c->input_offset);
    const int32_t woff = dsp_pair(c->weight_offset);
    const int32_t units = c->units;
    for (int32_t b = 0; b < c->batches; b++) {
        const int8_t *row = input + b * depth;
        int8_t *out = output + b * units;
        int32_t u = 0;
        for (; u + 4 <= units; u += 4) {
            const int8_t *w = weights + u * depth;
            int32_t acc[4] = {0, 0, 0, 0};
            if (bias != 0) {
                acc[0] = bias[u];
                acc[1] = bias[u + 1];
                acc[2] = bias[u + 2];
                acc[3] = bias[u + 3];
            }
            if (has_woff) {
                dot4_woff(row, w, depth, blocks, xoff, woff, acc);
            } else if (blocks > 0) {
                tml_fc_dsp_dot4(row, w, depth, blocks, xoff, acc);
            }
            if (done != depth) {
                for (int32_t k = 0; k < 4; k++) {
                    acc[k] = tail_sum(c, row, w + k * depth, done, acc[k]);
                }
            }
            out[u] = requantize_unit(c, u, acc[0], lean, fast, range);
            out[u + 1] = requantize_unit(c, u + 1, acc[1], lean, fast, range);
            out[u + 2] = requantize_unit(c, u + 2, acc[2], lean, fast, range);
            out[u + 3] = requantize_unit(c, u + 3, acc[3], lean, fast, range);
        }
        for (; u < units; u++) {
            const int8_t *w = weights + u * depth;
            int32_t acc = dot1(row, w, blocks, xoff, woff, has_woff, bias != 0 ? bias[u] : 0);
            acc = tail_sum(c, row, w, done, acc);
            out[u] = requantize_unit(c, u, acc, lean, fast, range);
        }
    }
}

int tml_fully_connected_dsp(const tml_dsp_fc *c, const int8_t *input, const int8_t *weights, const int32_t *bias,
    int8_t *output, void *scratch, uint32_t scratch_bytes) {
    (void)scratch;
    (void)scratch_bytes;
    const int fast = dsp_all_fast(c->multiplier, c->shift, c->step ? c->units : 1);
    const dsp_out_range range = dsp_out_range_of(c->output_offset, c->act_min, c->act_max);
    if (c->weight_offset != 0) {
        fc_rows(c, input, weights, bias, output, 1, 0, fast, &range);
    } else if (fast && range.full) {
        fc_rows(c, input, weights, bias, output, 0, 1, 1, &range); /* the common case */
    } else {
        fc_rows(c, input, weights, bias, output, 0, 0, fast, &range);
    }
    return 1;
}

#else
typedef int tml_fully_connected_dsp_unused; /* ISO C forbids an empty translation unit */
#endif /* TML_HAVE_DSP */
