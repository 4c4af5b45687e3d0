/*
 * Float math without libm (native modules link none).
 *
 * tml_expf: exp for float32, computed the way the C libraries TFLM links
 * compute it, so that float SOFTMAX gives TFLM's bytes. glibc (>= 2.27, the
 * oracle's libm) and newlib (the Arm toolchains' libm) share one expf
 * design: x * 32/ln2 = k + r (k the nearest integer), then
 * exp(x) = 2^(k/32) * 2^(r/32), with 2^(j/32) (j = k mod 32) from a table and
 * 2^(r/32) from a cubic polynomial, all in double, rounded once to float.
 * Its ULP error is 0.502: it is *not* correctly rounded (about 1 input in
 * 1,600 in [-128, -2^-9] rounds the other way), so a correctly rounded exp
 * would differ from TFLM; this one reproduces the library's result.
 *
 * The evaluation below rounds every operation separately (no fused
 * multiply-add), as newlib on Cortex-M does; glibc on x86-64 CPUs with FMA
 * selects a fused variant, whose results differ from these in a few inputs
 * in 10^7 (tests/ops/test_softmax.py measures it). Build with
 * -ffp-contract=off so that the compiler keeps the operations separate.
 *
 * The table holds 2^(j/32) rounded to nearest double (generated with exact
 * decimal arithmetic); the polynomial coefficients and 32/ln2 are the
 * published constants of that expf (ARM optimized-routines, MIT licence),
 * without which the results would not match.
 */
#ifndef TML_MATH_H
#define TML_MATH_H

#include <stdint.h>
#include <string.h>

static inline float tml_expf(float x) {
    /* 2^(j/32), j = 0..31. */
    static const double pow2_j_over_32[32] = {
        0x1.0000000000000p+0, 0x1.059b0d3158574p+0, 0x1.0b5586cf9890fp+0, 0x1.11301d0125b51p+0,
        0x1.172b83c7d517bp+0, 0x1.1d4873168b9aap+0, 0x1.2387a6e756238p+0, 0x1.29e9df51fdee1p+0,
        0x1.306fe0a31b715p+0, 0x1.371a7373aa9cbp+0, 0x1.3dea64c123422p+0, 0x1.44e086061892dp+0,
        0x1.4bfdad5362a27p+0, 0x1.5342b569d4f82p+0, 0x1.5ab07dd485429p+0, 0x1.6247eb03a5585p+0,
        0x1.6a09e667f3bcdp+0, 0x1.71f75e8ec5f74p+0, 0x1.7a11473eb0187p+0, 0x1.82589994cce13p+0,
        0x1.8ace5422aa0dbp+0, 0x1.93737b0cdc5e5p+0, 0x1.9c49182a3f090p+0, 0x1.a5503b23e255dp+0,
        0x1.ae89f995ad3adp+0, 0x1.b7f76f2fb5e47p+0, 0x1.c199bdd85529cp+0, 0x1.cb720dcef9069p+0,
        0x1.d5818dcfba487p+0, 0x1.dfc97337b9b5fp+0, 0x1.ea4afa2a490dap+0, 0x1.f50765b6e4540p+0,
    };
    const double inv_ln2_times_32 = 0x1.71547652b82fep+5;
    /* 2^(r/32) - 1 ~= c1 r + c2 r^2 + c3 r^3 for |r| <= 1/2. */
    const double c3 = 0x1.c6af84b912394p-20;
    const double c2 = 0x1.ebfce50fac4f3p-13;
    const double c1 = 0x1.62e42ff0c52d6p-6;
    /* Adding then subtracting 1.5 * 2^52 rounds a double of magnitude below
     * 2^51 to the nearest integer, ties to even. */
    const double round_shift = 0x1.8p+52;

    if (x != x) {
        return x + x; /* nan */
    }
    if (x > 0x1.62e42ep6f) {
        return 0x1p127f * 0x1p127f; /* overflow: +inf (also for +inf) */
    }
    if (x < -0x1.9fe368p6f) {
        return 0.0f; /* below log(2^-150): rounds to zero (also -inf) */
    }
    const double xd = (double)x;
    const double z = inv_ln2_times_32 * xd;
    const double kd = (z + round_shift) - round_shift;
    const double r = z - kd;
    const int32_t k = (int32_t)kd; /* in [-4800, 4096] */
    const int32_t j = (int32_t)((uint32_t)k & 31u);
    const int32_t e = (k - j) / 32; /* floor(k / 32), exactly */
    /* s = 2^(j/32) * 2^e, by adding e to the exponent field (stays normal). */
    uint64_t bits;
    memcpy(&bits, &pow2_j_over_32[j], 8);
    bits += (uint64_t)(int64_t)e << 52;
    double s;
    memcpy(&s, &bits, 8);
    const double p = c3 * r + c2;
    const double r2 = r * r;
    double y = c1 * r + 1.0;
    y = p * r2 + y;
    y = y * s;
    return (float)y;
}

#endif /* TML_MATH_H */
