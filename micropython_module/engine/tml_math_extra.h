/*
 * More float math without libm, for the element-wise operators (LOGISTIC,
 * TANH, LOG, RSQRT), reproducing what the C library TFLM links returns.
 *
 * tml_tanhf / tml_expm1f: fdlibm's tanhf and expm1f, all in float. glibc up
 * to 2.40 (the oracle's is 2.36) and newlib (Arm toolchains) both use them,
 * so following their steps gives their bits. (glibc >= 2.41 has a correctly
 * rounded tanhf instead.) The constants are fdlibm's published ones.
 *
 * tml_logf: the logf of glibc >= 2.28 and newlib (ARM optimized-routines):
 * log(x) = k ln2 + log(c) + log1p(z/c - 1) with c from a 16-entry table and
 * a cubic polynomial, in double, rounded once to float. It is not correctly
 * rounded (0.82 ULP), so only its own steps give its results. The table and
 * coefficients are the published ones. Evaluated without fused
 * multiply-adds, as newlib on Cortex-M; glibc on x86-64 CPUs with FMA uses a
 * fused variant whose results can differ in rare inputs.
 *
 * tml_sqrtf: correctly rounded square root (IEEE requires it, so every
 * library agrees), by integer square root of the significand.
 *
 * tml_sigmoid_q16: TFLM's table of sigmoid(i / 24) in Q0.16 for int16
 * LOGISTIC and TANH. Its entries are TFLM's (CMSIS-NN's) values: 44 of them
 * differ by one from round(2^16 sigmoid(i / 24)), so it cannot be computed.
 */
#ifndef TML_MATH_EXTRA_H
#define TML_MATH_EXTRA_H

#include <stdint.h>
#include <string.h>

#include "tml_quant.h"

static inline uint32_t tml_f32_bits(float x) {
    uint32_t u;
    memcpy(&u, &x, 4);
    return u;
}
static inline float tml_f32_from_bits(uint32_t u) {
    float x;
    memcpy(&x, &u, 4);
    return x;
}

/* fdlibm expm1f: exp(x) - 1. */
static inline float tml_expm1f(float x) {
    const float one = 1.0f, huge = 1.0e+30f, tiny = 1.0e-30f;
    const float o_threshold = 8.8721679688e+01f;
    const float ln2_hi = 6.9313812256e-01f, ln2_lo = 9.0580006145e-06f, invln2 = 1.4426950216e+00f;
    const float q1 = -3.3333335072e-02f, q2 = 1.5873016091e-03f, q3 = -7.9365076090e-05f;
    const float q4 = 4.0082177293e-06f, q5 = -2.0109921195e-07f;
    float y, hi, lo, c = 0.0f, t, e, hxs, hfx, r1;
    int32_t k;
    uint32_t hx = tml_f32_bits(x);
    const uint32_t negative = hx & 0x80000000u;
    hx &= 0x7fffffffu;

    if (hx >= 0x4195b844u) { /* |x| >= 27 ln2 */
        if (hx >= 0x42b17218u) { /* |x| >= 88.72... */
            if (hx > 0x7f800000u) {
                return x + x; /* NaN */
            }
            if (hx == 0x7f800000u) {
                return negative ? -1.0f : x;
            }
            if (x > o_threshold) {
                return huge * huge; /* overflow */
            }
        }
        if (negative) {
            return tiny - one; /* -1 */
        }
    }
    if (hx > 0x3eb17218u) { /* |x| > ln2 / 2: reduce */
        if (hx < 0x3F851592u) { /* and |x| < 1.5 ln2 */
            if (!negative) {
                hi = x - ln2_hi;
                lo = ln2_lo;
                k = 1;
            } else {
                hi = x + ln2_hi;
                lo = -ln2_lo;
                k = -1;
            }
        } else {
            k = (int32_t)(invln2 * x + (!negative ? 0.5f : -0.5f));
            t = (float)k;
            hi = x - t * ln2_hi; /* exact */
            lo = t * ln2_lo;
        }
        x = hi - lo;
        c = (hi - x) - lo;
    } else if (hx < 0x33000000u) { /* |x| < 2^-25 */
        t = huge + x;
        return x - (t - (huge + x));
    } else {
        k = 0;
    }

    hfx = 0.5f * x;
    hxs = x * hfx;
    r1 = one + hxs * (q1 + hxs * (q2 + hxs * (q3 + hxs * (q4 + hxs * q5))));
    t = 3.0f - r1 * hfx;
    e = hxs * ((r1 - t) / (6.0f - x * t));
    if (k == 0) {
        return x - (x * e - hxs);
    }
    e = (x * (e - c) - c);
    e -= hxs;
    if (k == -1) {
        return 0.5f * (x - e) - 0.5f;
    }
    if (k == 1) {
        if (x < -0.25f) {
            return -2.0f * (e - (x + 0.5f));
        }
        return one + 2.0f * (x - e);
    }
    if (k <= -2 || k > 56) { /* exp(x) - 1 ~ exp(x) */
        y = one - (e - x);
        y = tml_f32_from_bits(tml_f32_bits(y) + ((uint32_t)k << 23));
        return y - one;
    }
    if (k < 23) {
        t = tml_f32_from_bits(0x3f800000u - (0x1000000u >> k)); /* 1 - 2^-k */
        y = t - (e - x);
    } else {
        t = tml_f32_from_bits((uint32_t)(0x7f - k) << 23); /* 2^-k */
        y = x - (e + t);
        y += one;
    }
    return tml_f32_from_bits(tml_f32_bits(y) + ((uint32_t)k << 23));
}

/* fdlibm tanhf. */
static inline float tml_tanhf(float x) {
    const float one = 1.0f, two = 2.0f, tiny = 1.0e-30f;
    const uint32_t jx = tml_f32_bits(x);
    const uint32_t ix = jx & 0x7fffffffu;
    float t, z;
    if (ix >= 0x7f800000u) { /* inf or NaN */
        return (jx & 0x80000000u) == 0 ? one / x + one : one / x - one;
    }
    if (ix < 0x41b00000u) { /* |x| < 22 */
        if (ix == 0) {
            return x; /* +-0 */
        }
        if (ix < 0x24000000u) { /* |x| < 2^-55 */
            return x * (one + x);
        }
        const float abs_x = tml_f32_from_bits(ix);
        if (ix >= 0x3f800000u) { /* |x| >= 1 */
            t = tml_expm1f(two * abs_x);
            z = one - two / (t + two);
        } else {
            t = tml_expm1f(-two * abs_x);
            z = -t / (t + two);
        }
    } else {
        z = one - tiny; /* +-1 */
    }
    return (jx & 0x80000000u) == 0 ? z : -z;
}

/* logf of glibc >= 2.28 / newlib (see above). */
static inline float tml_logf(float x) {
    /* (1/c, log(c)) for the 16 subintervals of [0x3f330000, 2 * 0x3f330000). */
    static const double invc_logc[16][2] = {
        {0x1.661ec79f8f3bep+0, -0x1.57bf7808caadep-2}, {0x1.571ed4aaf883dp+0, -0x1.2bef0a7c06ddbp-2},
        {0x1.49539f0f010bp+0, -0x1.01eae7f513a67p-2}, {0x1.3c995b0b80385p+0, -0x1.b31d8a68224e9p-3},
        {0x1.30d190c8864a5p+0, -0x1.6574f0ac07758p-3}, {0x1.25e227b0b8eap+0, -0x1.1aa2bc79c81p-3},
        {0x1.1bb4a4a1a343fp+0, -0x1.a4e76ce8c0e5ep-4}, {0x1.12358f08ae5bap+0, -0x1.1973c5a611cccp-4},
        {0x1.0953f419900a7p+0, -0x1.252f438e10c1ep-5}, {0x1p+0, 0x0p+0},
        {0x1.e608cfd9a47acp-1, 0x1.aa5aa5df25984p-5}, {0x1.ca4b31f026aap-1, 0x1.c5e53aa362eb4p-4},
        {0x1.b2036576afce6p-1, 0x1.526e57720db08p-3}, {0x1.9c2d163a1aa2dp-1, 0x1.bc2860d22477p-3},
        {0x1.886e6037841edp-1, 0x1.1058bc8a07ee1p-2}, {0x1.767dcf5534862p-1, 0x1.4043057b6ee09p-2},
    };
    const double ln2 = 0x1.62e42fefa39efp-1;
    const double a0 = -0x1.00ea348b88334p-2, a1 = 0x1.5575b0be00b6ap-2, a2 = -0x1.ffffef20a4123p-2;
    const uint32_t off = 0x3f330000u;
    uint32_t ix = tml_f32_bits(x);
    if (ix == 0x3f800000u) {
        return 0.0f;
    }
    if (ix - 0x00800000u >= 0x7f800000u - 0x00800000u) {
        /* x < 2^-126, inf or nan */
        if (ix * 2 == 0) {
            return -1.0f / 0.0f; /* log(+-0) = -inf */
        }
        if (ix == 0x7f800000u) {
            return x;
        }
        if ((ix & 0x80000000u) || ix * 2 >= 0xff000000u) {
            return (x - x) / (x - x); /* NaN for negative x (the platform's default NaN), or x's NaN */
        }
        ix = tml_f32_bits(x * 0x1p23f) - (23u << 23); /* subnormal: normalize */
    }
    const uint32_t tmp = ix - off;
    const int i = (int)((tmp >> (23 - 4)) % 16);
    const int k = (int)((int32_t)tmp >> 23); /* arithmetic shift */
    const uint32_t iz = ix - (tmp & (0x1ffu << 23));
    const double z = (double)tml_f32_from_bits(iz);
    const double r = z * invc_logc[i][0] - 1.0;
    const double y0 = invc_logc[i][1] + (double)k * ln2;
    const double r2 = r * r;
    double y = a1 * r + a2;
    y = a0 * r2 + y;
    y = y * r2 + (y0 + r);
    return (float)y;
}

/* Correctly rounded square root. */
static inline float tml_sqrtf(float x) {
    uint32_t ix = tml_f32_bits(x);
    if (ix >= 0x7f800000u || ix == 0) {
        /* +inf, NaN, +0 are their own roots; negative numbers (incl. -inf) give NaN */
        return (ix & 0x7fffffffu) == 0 || ix == 0x7f800000u || (ix & 0x7fffffffu) > 0x7f800000u ? x + x
                                                                                                 : (x - x) / (x - x);
    }
    if (ix & 0x80000000u) {
        return (x - x) / (x - x);
    }
    int32_t e = (int32_t)(ix >> 23);
    uint32_t m = ix & 0x7fffffu;
    if (e == 0) { /* subnormal: normalize */
        e = 1;
        while ((m & 0x800000u) == 0) {
            m <<= 1;
            e--;
        }
    } else {
        m |= 0x800000u;
    }
    e -= 127 + 23; /* x = m * 2^e, 2^23 <= m < 2^24 */
    if (e & 1) {
        m <<= 1;
        e--;
    }
    /* sqrt(x) = sqrt(m * 2^26) * 2^(e/2 - 13): the integer root has 25 or 26 bits. */
    uint64_t rem = (uint64_t)m << 26, root = 0, bit = (uint64_t)1 << 50;
    while (bit > rem) {
        bit >>= 2;
    }
    while (bit != 0) {
        if (rem >= root + bit) {
            rem -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    int32_t result_exp = e / 2 - 13;
    int extra = root >= ((uint64_t)1 << 25) ? 2 : 1; /* bits beyond the 24 kept */
    uint32_t kept = (uint32_t)(root >> extra);
    uint32_t dropped = (uint32_t)(root & ((1u << extra) - 1u));
    uint32_t half = 1u << (extra - 1);
    result_exp += extra;
    /* round to nearest, ties to even; a nonzero remainder means "above" the dropped bits */
    if (dropped > half || (dropped == half && (rem != 0 || (kept & 1u)))) {
        kept++;
        if (kept == 0x1000000u) {
            kept >>= 1;
            result_exp++;
        }
    }
    /* value = kept * 2^result_exp with 2^23 <= kept < 2^24: always a normal float here */
    return tml_f32_from_bits(((uint32_t)(result_exp + 127 + 23) << 23) | (kept & 0x7fffffu));
}

/* sigmoid(i / 24) in Q0.16, i = 0 .. 255 (TFLM's sigmoid_table_uint16). */
static const uint16_t tml_sigmoid_q16[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149, 40794, 41432, 42064, 42688,
    43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369, 47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409,
    51865, 52311, 52745, 53169, 53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370, 60565, 60753, 60935, 61110,
    61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302, 62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186,
    63279, 63368, 63454, 63536, 63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786, 64816, 64845, 64873, 64900,
    64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079, 65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208,
    65221, 65234, 65246, 65258, 65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433, 65438, 65442, 65445, 65449,
    65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474, 65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491,
    65493, 65495, 65497, 65498, 65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522, 65523, 65523, 65524, 65524,
    65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528, 65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530,
    65530, 65530, 65531, 65531, 65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65534, 65535,
};

/* TFLM CheckedLog2: log2(x) rounded, and whether x is within 1e-3 (in log2)
 * of that power of two. Computed with logf in float, as TFLM. */
static inline int tml_checked_log2(float x, int *log2_rounded) {
    const float x_log2 = tml_logf(x) * (1.0f / tml_logf(2.0f));
    const float rounded = tml_roundf(x_log2);
    const float frac = x_log2 - rounded;
    *log2_rounded = (int)rounded;
    return (frac < 0.0f ? -frac : frac) < 1e-3f;
}

#endif /* TML_MATH_EXTRA_H */
