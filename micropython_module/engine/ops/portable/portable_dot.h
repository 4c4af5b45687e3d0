/*
 * The arithmetic shared by the portable int8 kernels: dot products that
 * reuse each loaded input for two output channels, a matrix product for
 * FULLY_CONNECTED and 1x1 CONV_2D, and the requantization of one channel.
 *
 * Register budget: Thumb-1 (Cortex-M0/M0+) has 8 low registers. The inner
 * loop of tml_dot2 keeps two sums, three pointers, the index, the input value
 * and one product live: 8. Blocking more channels or pixels spills to the
 * stack there, so two channels sharing one input load is the unit of work.
 *
 * All sums are uint32: int32 arithmetic wrapping as the reference's does, so
 * any order of addition gives the reference's sum modulo 2^32.
 */
#ifndef TML_PORTABLE_DOT_H
#define TML_PORTABLE_DOT_H

#include "../conv_util.h"
#include "portable_hooks.h"

/* Inner loops inlined into each caller, so a constant argument (an input
 * offset of 0) specializes them, also in builds optimized for size. */
#if defined(__GNUC__)
#define TML_PORTABLE_INLINE inline __attribute__((always_inline))
#else
#define TML_PORTABLE_INLINE inline
#endif

/* The requantization of an int8 output channel (per-channel: step 1,
 * per-tensor: step 0). */
typedef struct {
    const int32_t *multiplier;
    const int8_t *shift;
    int32_t step;
    int32_t output_offset, act_min, act_max;
} tml_portable_requant;

static inline int8_t tml_portable_output(const tml_portable_requant *rq, uint32_t acc, int32_t channel) {
    return tml_requantize_int8(acc, rq->multiplier[channel * rq->step], rq->shift[channel * rq->step],
        rq->output_offset, rq->act_min, rq->act_max);
}

/* Thumb-1 (Cortex-M0/M0+, ARMv6-M): GCC's code for the inner loops below
 * spills the sums to the stack, so there they are written out. LDRSB takes
 * only a register offset and MULS and 3-register ADDS only the low registers
 * r0-r7: loads and products use low registers, while the sums and loop bounds
 * sit in high ones (the 2-register ADD and CMP accept those). */
#if defined(__GNUC__) && defined(__thumb__) && !defined(__thumb2__)
#define TML_THUMB1 1
#else
#define TML_THUMB1 0
#endif

/* acc0 += sum w0[i] * (x[i] + x_offset), acc1 likewise with w1: one input
 * load and one offset addition serve two channels. */
static inline void tml_dot2(const int8_t *x, const int8_t *w0, const int8_t *w1, int32_t n, int32_t x_offset,
    uint32_t *acc0, uint32_t *acc1) {
    uint32_t a0 = *acc0, a1 = *acc1;
#if TML_THUMB1
    if (n > 0) {
        /* The index runs from -n up to 0 over pointers to the ends: its
         * increment sets the flags the loop branch needs. The sums and the
         * offset live in r8-r10 (handed over in `hi`, whose address waits in
         * r11): 10 instructions for 2 multiply-adds. */
        uint32_t hi[3] = {a0, a1, (uint32_t)x_offset};
        int32_t i = -n, t;
        uint32_t *xv = hi;
        __asm__ volatile(
            ".syntax unified\n\t"
            "ldr %[t], [%[xv], #0]\n\t"
            "mov r8, %[t]\n\t"
            "ldr %[t], [%[xv], #4]\n\t"
            "mov r9, %[t]\n\t"
            "ldr %[t], [%[xv], #8]\n\t"
            "mov r10, %[t]\n\t"
            "mov r11, %[xv]\n\t"
            "1:\n\t"
            "ldrsb %[xv], [%[x], %[i]]\n\t"
            "add %[xv], r10\n\t"
            "ldrsb %[t], [%[w0], %[i]]\n\t"
            "muls %[t], %[xv]\n\t"
            "add r8, %[t]\n\t"
            "ldrsb %[t], [%[w1], %[i]]\n\t"
            "muls %[t], %[xv]\n\t"
            "add r9, %[t]\n\t"
            "adds %[i], #1\n\t"
            "bne 1b\n\t"
            "mov %[xv], r11\n\t"
            "mov %[t], r8\n\t"
            "str %[t], [%[xv], #0]\n\t"
            "mov %[t], r9\n\t"
            "str %[t], [%[xv], #4]\n\t"
            : [i] "+l"(i), [xv] "+l"(xv), [t] "=&l"(t)
            : [x] "l"(x + n), [w0] "l"(w0 + n), [w1] "l"(w1 + n)
            : "r8", "r9", "r10", "r11", "cc", "memory");
        a0 = hi[0];
        a1 = hi[1];
    }
    *acc0 = a0;
    *acc1 = a1;
    return;
#endif
    for (int32_t i = 0; i < n; i++) {
        const int32_t xv = (int32_t)x[i] + x_offset;
        a0 += (uint32_t)((int32_t)w0[i] * xv);
        a1 += (uint32_t)((int32_t)w1[i] * xv);
    }
    *acc0 = a0;
    *acc1 = a1;
}

/* Targets with more registers than Thumb-1 (x86-64, Thumb-2, Xtensa) take
 * four channels per input load where they can. */
#define TML_PORTABLE_QUADS (!TML_THUMB1)

/* acc[k] += sum w[k * w_stride + i] * (x[i] + x_offset) for the four channels
 * k = 0..3: one input load and one offset addition serve four. */
static inline void tml_dot4(const int8_t *x, const int8_t *w, int32_t w_stride, int32_t n, int32_t x_offset,
    uint32_t acc[4]) {
    const int8_t *w0 = w, *w1 = w + w_stride, *w2 = w1 + w_stride, *w3 = w2 + w_stride;
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    for (int32_t i = 0; i < n; i++) {
        const int32_t xv = (int32_t)x[i] + x_offset;
        a0 += (uint32_t)((int32_t)w0[i] * xv);
        a1 += (uint32_t)((int32_t)w1[i] * xv);
        a2 += (uint32_t)((int32_t)w2[i] * xv);
        a3 += (uint32_t)((int32_t)w3[i] * xv);
    }
    acc[0] = a0;
    acc[1] = a1;
    acc[2] = a2;
    acc[3] = a3;
}

/* acc += sum w[i] * (x[i] + x_offset): the odd channel left after pairs. */
static inline uint32_t tml_dot1(const int8_t *x, const int8_t *w, int32_t n, int32_t x_offset, uint32_t acc) {
    for (int32_t i = 0; i < n; i++) {
        acc += (uint32_t)((int32_t)w[i] * ((int32_t)x[i] + x_offset));
    }
    return acc;
}

/* output[r][u] = requantized(bias[u] + sum_d weights[u][d] * (input[r][d] +
 * x_offset)) for `rows` input rows of `depth` elements and `units` weight
 * rows: FULLY_CONNECTED, and CONV_2D with a 1x1 filter, stride 1 and no
 * padding (each pixel a row). Two units per pass over a row. */
static inline void tml_portable_matmul(const int8_t *input, int32_t rows, int32_t depth, int32_t x_offset,
    const int8_t *weights, int32_t units, const int32_t *bias, const tml_portable_requant *rq, int8_t *output) {
    for (int32_t r = 0; r < rows; r++) {
        const int8_t *x = input + r * depth;
        int32_t u = 0;
#if TML_PORTABLE_QUADS
        for (; u + 4 <= units; u += 4) {
            uint32_t acc[4];
            for (int32_t k = 0; k < 4; k++) {
                acc[k] = bias != NULL ? (uint32_t)bias[u + k] : 0u;
            }
            tml_dot4(x, weights + u * depth, depth, depth, x_offset, acc);
            for (int32_t k = 0; k < 4; k++) {
                output[u + k] = tml_portable_output(rq, acc[k], u + k);
            }
        }
#endif
        for (; u + 2 <= units; u += 2) {
            const int8_t *w0 = weights + u * depth;
            uint32_t acc0 = bias != NULL ? (uint32_t)bias[u] : 0u;
            uint32_t acc1 = bias != NULL ? (uint32_t)bias[u + 1] : 0u;
            tml_dot2(x, w0, w0 + depth, depth, x_offset, &acc0, &acc1);
            output[u] = tml_portable_output(rq, acc0, u);
            output[u + 1] = tml_portable_output(rq, acc1, u + 1);
        }
        if (u < units) {
            const uint32_t acc = tml_dot1(x, weights + u * depth, depth, x_offset, bias != NULL ? (uint32_t)bias[u] : 0u);
            output[u] = tml_portable_output(rq, acc, u);
        }
        output += units;
    }
}

#endif /* TML_PORTABLE_DOT_H */
