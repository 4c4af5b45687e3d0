/*
 * FULLY_CONNECTED int8 on the DSP extension: any depth, units and batches,
 * per-channel or per-tensor weights (with a weights zero point).
 *
 * Each input row is widened once to int16 with the input zero point added,
 * in reordered pairs (dsp.h). Then two units at a time run over their weight
 * rows in place (flash): a word of 4 weights is widened with SXTAB16 (the
 * weights' zero point added on the way) and multiplied by SMLAD, 16 MACs per
 * turn. Elements past the last whole block of 4 are summed one by one.
 *
 * Scratch: the widened row, 2 * depth bytes.
 */
#include "dsp_hooks.h"

#if TML_HAVE_DSP

#include "dsp.h"

uint32_t tml_fully_connected_dsp_scratch(const tml_dsp_fc *c) {
    if (c->depth > 65536) {
        return 0;
    }
    return (uint32_t)(2 * c->depth + 8);
}

/* Sum of one unit over `blocks` blocks of 4 (two at a time in assembly). */
static inline __attribute__((always_inline)) void dot2(const int32_t *x, const int8_t **w0p, const int8_t **w1p,
    int32_t blocks, int32_t woff, int32_t *acc0, int32_t *acc1) {
    const int8_t *w0 = *w0p, *w1 = *w1p;
    int32_t a0 = *acc0, a1 = *acc1;
    int32_t n = blocks >> 2;
    if (n > 0) {
        int32_t wv, t;
        __asm__ volatile(
            "1:\n\t"
            "ldmia %[x]!, {r8, r9, r10, r11}\n\t"
            "ldr %[wv], [%[w0]], #4\n\t"
            "sxtab16 %[t], %[o], %[wv]\n\t"
            "sxtab16 %[wv], %[o], %[wv], ror #8\n\t"
            "smlad %[a0], r8, %[t], %[a0]\n\t"
            "smlad %[a0], r9, %[wv], %[a0]\n\t"
            "ldr %[wv], [%[w0]], #4\n\t"
            "sxtab16 %[t], %[o], %[wv]\n\t"
            "sxtab16 %[wv], %[o], %[wv], ror #8\n\t"
            "smlad %[a0], r10, %[t], %[a0]\n\t"
            "smlad %[a0], r11, %[wv], %[a0]\n\t"
            "ldr %[wv], [%[w1]], #4\n\t"
            "sxtab16 %[t], %[o], %[wv]\n\t"
            "sxtab16 %[wv], %[o], %[wv], ror #8\n\t"
            "smlad %[a1], r8, %[t], %[a1]\n\t"
            "smlad %[a1], r9, %[wv], %[a1]\n\t"
            "ldr %[wv], [%[w1]], #4\n\t"
            "sxtab16 %[t], %[o], %[wv]\n\t"
            "sxtab16 %[wv], %[o], %[wv], ror #8\n\t"
            "smlad %[a1], r10, %[t], %[a1]\n\t"
            "smlad %[a1], r11, %[wv], %[a1]\n\t"
            "ldmia %[x]!, {r8, r9, r10, r11}\n\t"
            "ldr %[wv], [%[w0]], #4\n\t"
            "sxtab16 %[t], %[o], %[wv]\n\t"
            "sxtab16 %[wv], %[o], %[wv], ror #8\n\t"
            "smlad %[a0], r8, %[t], %[a0]\n\t"
            "smlad %[a0], r9, %[wv], %[a0]\n\t"
            "ldr %[wv], [%[w0]], #4\n\t"
            "sxtab16 %[t], %[o], %[wv]\n\t"
            "sxtab16 %[wv], %[o], %[wv], ror #8\n\t"
            "smlad %[a0], r10, %[t], %[a0]\n\t"
            "smlad %[a0], r11, %[wv], %[a0]\n\t"
            "ldr %[wv], [%[w1]], #4\n\t"
            "sxtab16 %[t], %[o], %[wv]\n\t"
            "sxtab16 %[wv], %[o], %[wv], ror #8\n\t"
            "smlad %[a1], r8, %[t], %[a1]\n\t"
            "smlad %[a1], r9, %[wv], %[a1]\n\t"
            "ldr %[wv], [%[w1]], #4\n\t"
            "sxtab16 %[t], %[o], %[wv]\n\t"
            "sxtab16 %[wv], %[o], %[wv], ror #8\n\t"
            "smlad %[a1], r10, %[t], %[a1]\n\t"
            "smlad %[a1], r11, %[wv], %[a1]\n\t"
            "subs %[n], %[n], #1\n\t"
            "bne 1b\n\t"
            : [a0] "+r"(a0), [a1] "+r"(a1), [w0] "+r"(w0), [w1] "+r"(w1), [x] "+r"(x), [n] "+r"(n),
            [wv] "=&r"(wv), [t] "=&r"(t)
            : [o] "r"(woff), "m"(*(const int8_t(*)[])w0), "m"(*(const int8_t(*)[])w1),
            "m"(*(const int32_t(*)[])x)
            : "r8", "r9", "r10", "r11", "cc");
    }
    for (int32_t i = blocks & 3; i > 0; i--) {
        const uint32_t v0 = dsp_load32(w0);
        const uint32_t v1 = dsp_load32(w1);
        w0 += 4;
        w1 += 4;
        a0 = dsp_smlad(x[0], dsp_sxtab16(woff, v0), a0);
        a0 = dsp_smlad(x[1], dsp_sxtab16_ror8(woff, v0), a0);
        a1 = dsp_smlad(x[0], dsp_sxtab16(woff, v1), a1);
        a1 = dsp_smlad(x[1], dsp_sxtab16_ror8(woff, v1), a1);
        x += 2;
    }
    *w0p = w0;
    *w1p = w1;
    *acc0 = a0;
    *acc1 = a1;
}

int tml_fully_connected_dsp(const tml_dsp_fc *c, const int8_t *input, const int8_t *weights, const int32_t *bias,
    int8_t *output, void *scratch, uint32_t scratch_bytes) {
    const uint32_t need = tml_fully_connected_dsp_scratch(c);
    if (need == 0 || scratch_bytes < need || scratch == 0) {
        return 0;
    }
    const int32_t depth = c->depth;
    const int32_t blocks = depth >> 2;
    const int32_t tail = depth & 3;
    int32_t *xs = (int32_t *)scratch;
    int16_t *xt = (int16_t *)(void *)(xs + 2 * blocks);
    const int32_t in_off = dsp_pair(c->input_offset);
    const int32_t w_off = dsp_pair(c->weight_offset);
    const int32_t units = c->units;
    int fast = dsp_all_fast(c->multiplier, c->shift, c->step ? units : 1);
    const dsp_out_range range = dsp_out_range_of(c->output_offset, c->act_min, c->act_max);
    for (int32_t b = 0; b < c->batches; b++) {
        const int8_t *row = input + b * depth;
        for (int32_t i = 0; i < blocks; i++) {
            const uint32_t v = dsp_load32(row + 4 * i);
            xs[2 * i] = dsp_sxtab16(in_off, v);
            xs[2 * i + 1] = dsp_sxtab16_ror8(in_off, v);
        }
        for (int32_t t = 0; t < tail; t++) {
            xt[t] = (int16_t)(row[4 * blocks + t] + c->input_offset);
        }
        int8_t *out = output + b * units;
        for (int32_t u = 0; u < units; u += 2) {
            const int two = u + 1 < units;
            const int8_t *w0 = weights + u * depth;
            const int8_t *w1 = two ? w0 + depth : w0; /* an odd last unit is computed twice */
            int32_t a0 = 0, a1 = 0;
            if (bias != 0) {
                a0 = bias[u];
                a1 = two ? bias[u + 1] : 0;
            }
            dot2(xs, &w0, &w1, blocks, w_off, &a0, &a1);
            for (int32_t t = 0; t < tail; t++) {
                a0 = (int32_t)((uint32_t)a0 + (uint32_t)((w0[t] + c->weight_offset) * xt[t]));
                a1 = (int32_t)((uint32_t)a1 + (uint32_t)((w1[t] + c->weight_offset) * xt[t]));
            }
            const int32_t i0 = u & -c->step, i1 = two ? (u + 1) & -c->step : i0;
            if (fast) {
                const int32_t r0 = -c->shift[i0];
                const int32_t r1 = -c->shift[i1];
                const int32_t h0 = (int32_t)(((uint32_t)1 << r0) >> 1);
                const int32_t h1 = (int32_t)(((uint32_t)1 << r1) >> 1);
                int32_t v0, v1;
                if (range.full) {
                    v0 = dsp_requantize_fast(a0, c->multiplier[i0], r0, h0, &range, 1);
                    v1 = dsp_requantize_fast(a1, c->multiplier[i1], r1, h1, &range, 1);
                } else {
                    v0 = dsp_requantize_fast(a0, c->multiplier[i0], r0, h0, &range, 0);
                    v1 = dsp_requantize_fast(a1, c->multiplier[i1], r1, h1, &range, 0);
                }
                out[u] = (int8_t)v0;
                if (two) {
                    out[u + 1] = (int8_t)v1;
                }
            } else {
                dsp_requant r;
                dsp_requant_init(&r, c->multiplier[i0], c->shift[i0]);
                out[u] = (int8_t)dsp_requantize(&r, a0, c->output_offset, c->act_min, c->act_max);
                if (two) {
                    dsp_requant_init(&r, c->multiplier[i1], c->shift[i1]);
                    out[u + 1] = (int8_t)dsp_requantize(&r, a1, c->output_offset, c->act_min, c->act_max);
                }
            }
        }
    }
    return 1;
}

#else
typedef int tml_fully_connected_dsp_unused; /* ISO C forbids an empty translation unit */
#endif /* TML_HAVE_DSP */
