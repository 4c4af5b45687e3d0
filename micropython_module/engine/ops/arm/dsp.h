/*
 * Shared pieces of the DSP-extension kernels (Cortex-M4/M7/M33): packed
 * int16 helpers over ACLE intrinsics and a fast requantization equal to
 * tml_mbqm. Included only by the files of this directory, and only when
 * TML_HAVE_DSP (dsp_hooks.h).
 *
 * Packed layout ("reordered pairs"): four int8 values v0 v1 v2 v3 of one
 * word become two words of int16 pairs, (v0, v2) and (v1, v3) (low half
 * first), which is what SXTB16 and SXTB16 ROR #8 give. Activations are
 * widened once into scratch in this layout (input zero point added); weights
 * are read in place and widened the same way, so that SMLAD multiplies
 * matching elements.
 */
#ifndef TML_DSP_H
#define TML_DSP_H

#include <stdint.h>
#include <string.h>

#include <arm_acle.h>

#include "../../tml_quant.h"
#include "dsp_hooks.h"

/* Unaligned 32-bit load (one LDR: Cortex-M3 and up allow unaligned LDR). */
static inline uint32_t dsp_load32(const int8_t *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* (sext b0, sext b2) and (sext b1, sext b3); one instruction each
 * (GCC does not fold the rotation into SXTB16 by itself). */
static inline int32_t dsp_sxtb16(uint32_t v) {
    return (int32_t)__sxtb16((int32_t)v);
}
static inline int32_t dsp_sxtb16_ror8(uint32_t v) {
    int32_t r;
    __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
    return r;
}
/* offsets + (sext b0, sext b2) / (sext b1, sext b3), lane by lane. */
static inline int32_t dsp_sxtab16(int32_t offsets, uint32_t v) {
    return (int32_t)__sxtab16(offsets, (int32_t)v);
}
static inline int32_t dsp_sxtab16_ror8(int32_t offsets, uint32_t v) {
    int32_t r;
    __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(offsets), "r"(v));
    return r;
}
/* The same int16 in both halves. */
static inline int32_t dsp_pair(int32_t v) {
    return (int32_t)(((uint32_t)v & 0xFFFFu) | ((uint32_t)v << 16));
}
static inline int32_t dsp_smlad(int32_t a, int32_t b, int32_t acc) {
    return __smlad(a, b, acc);
}
/* (a * b + 2^31) >> 32, rounded high word (SMMULR). */
static inline int32_t dsp_smmulr(int32_t a, int32_t b) {
    int32_t r;
    __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
    return r;
}

/*
 * Requantization of one channel: tml_mbqm(acc, multiplier, shift), then the
 * output zero point and the activation clamp (tml_requantize_int8).
 *
 * Fast form, used when 1 <= -shift <= 20 (every real model: the effective
 * scale in * w / out is well below 1 and above 2^-21), with the multiplier in
 * [2^30, 2^31) or 0 as tml_quantize_multiplier makes it:
 *  - SaturatingRoundingDoublingHighMul(x, m) = floor((x*m + 2^30) / 2^31)
 *    for both signs (gemmlowp's nudge 1 - 2^30 for negative products, then
 *    truncation, is the same floor), = SMMULR(2x, m) when 2x fits int32.
 *  - RoundingDivideByPOT(s, e) = floor((s + 2^(e-1) - [s < 0]) / 2^e) for
 *    e >= 1, = (QADD(s, 2^(e-1)) + (s >> 31)) >> e when s + 2^(e-1) fits.
 * QADD saturates only when |x| >= 2^30 or s is within 2^(e-1) of INT32_MAX;
 * then |exact result| and |computed result| are both >= 2^(29-e) - 1 >= 511
 * with the same sign, so after the zero point (|zp| <= 128) both clamp to
 * the same activation bound (act range inside [-128, 127]).
 */
typedef struct {
    int32_t multiplier;
    int32_t shift;
    int32_t right; /* -shift when fast, else 0 */
    int32_t half;  /* 2^(right-1) */
} dsp_requant;

static inline void dsp_requant_init(dsp_requant *r, int32_t multiplier, int32_t shift) {
    r->multiplier = multiplier;
    r->shift = shift;
    if (shift <= -1 && shift >= -20 && (multiplier == 0 || multiplier >= ((int32_t)1 << 30))) {
        r->right = -shift;
        r->half = (int32_t)1 << (-shift - 1);
    } else {
        r->right = 0;
        r->half = 0;
    }
}

static inline int32_t dsp_requantize(const dsp_requant *r, int32_t acc, int32_t output_offset, int32_t act_min,
    int32_t act_max) {
    int32_t v;
    if (r->right != 0) {
        int32_t s = dsp_smmulr(__qadd(acc, acc), r->multiplier);
        v = (__qadd(s, r->half) + (s >> 31)) >> r->right;
    } else {
        v = tml_mbqm(acc, r->multiplier, r->shift);
    }
    v = (int32_t)((uint32_t)v + (uint32_t)output_offset);
    v = v < act_min ? act_min : v;
    return v > act_max ? act_max : v;
}

/* Do all channels take the fast form? (n = 1 for per-tensor weights) */
static inline int dsp_all_fast(const int32_t *multiplier, const int8_t *shift, int32_t n) {
    for (int32_t i = 0; i < n; i++) {
        dsp_requant r;
        dsp_requant_init(&r, multiplier[i], shift[i]);
        if (r.right == 0) {
            return 0;
        }
    }
    return 1;
}

/* Output zero point and activation range; `full` when the range is the
 * whole int8 range, where one SSAT clamps. */
typedef struct {
    int32_t offset, act_min, act_max;
    int full;
} dsp_out_range;

static inline dsp_out_range dsp_out_range_of(int32_t offset, int32_t act_min, int32_t act_max) {
    dsp_out_range r = {offset, act_min, act_max, act_min == -128 && act_max == 127};
    return r;
}

/* dsp_requantize's fast form (1 <= right <= 20, half = 2^(right-1)), then
 * zero point and clamp. */
static inline __attribute__((always_inline)) int32_t dsp_requantize_fast(int32_t acc, int32_t multiplier,
    int32_t right, int32_t half, const dsp_out_range *r, int full_range) {
    const int32_t s = dsp_smmulr(__qadd(acc, acc), multiplier);
    int32_t v = ((__qadd(s, half) + (s >> 31)) >> right) + r->offset;
    if (full_range) {
        return (int32_t)__builtin_arm_ssat(v, 8);
    }
    v = v < r->act_min ? r->act_min : v;
    return v > r->act_max ? r->act_max : v;
}

#endif /* TML_DSP_H */
