/*
 * Shared integer arithmetic: the one place where TFLM's rounding is written.
 *
 * Every function here reproduces a TFLM/gemmlowp function bit for bit
 * (docs/engine.md, ../shared/docs/bit-exact.md). Kernels use these and never
 * re-derive rounding on their own. No libm: natmods link none, so frexp and
 * round are written out here on IEEE-754 bits.
 */
#ifndef TML_QUANT_H
#define TML_QUANT_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline int32_t tml_min_i32(int32_t a, int32_t b) {
    return a < b ? a : b;
}
static inline int32_t tml_max_i32(int32_t a, int32_t b) {
    return a > b ? a : b;
}
static inline int32_t tml_clamp_i32(int32_t x, int32_t lo, int32_t hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

/* For the per-element arithmetic of element-wise loops: a call per element
 * (what GCC chooses at -Os, and sometimes at -O2, for functions this size)
 * costs more than the arithmetic itself. */
#if defined(__GNUC__)
#define TML_HOT_INLINE inline __attribute__((always_inline))
#else
#define TML_HOT_INLINE inline
#endif

/* gemmlowp SaturatingRoundingDoublingHighMul. */
static inline int32_t tml_srdhm(int32_t a, int32_t b) {
    if (a == b && a == INT32_MIN) {
        return INT32_MAX;
    }
    int64_t ab = (int64_t)a * (int64_t)b;
    int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
    return (int32_t)((ab + nudge) / ((int64_t)1 << 31)); /* C division truncates, as gemmlowp's */
}

/* gemmlowp RoundingDivideByPOT: round half away from zero. */
static inline int32_t tml_rdbp(int32_t x, int exponent) {
    int32_t mask = (int32_t)(((int64_t)1 << exponent) - 1);
    int32_t remainder = x & mask;
    int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
    return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* TFLM MultiplyByQuantizedMultiplier (double rounding, int32 form). */
static inline int32_t tml_mbqm(int32_t x, int32_t multiplier, int shift) {
    int left = shift > 0 ? shift : 0;
    int right = shift > 0 ? 0 : -shift;
    return tml_rdbp(tml_srdhm((int32_t)((uint32_t)x << left), multiplier), right);
}

/* TFLM MultiplyByQuantizedMultiplier, int64 input form used for 16x8
 * (single rounding with the multiplier reduced to 16 bits). */
static inline int32_t tml_mbqm_i64(int64_t x, int32_t multiplier, int shift) {
    int32_t reduced = multiplier < 0x7FFF0000 ? ((multiplier + (1 << 15)) >> 16) : 0x7FFF;
    int total_shift = 15 - shift;
    x = x * (int64_t)reduced + ((int64_t)1 << (total_shift - 1));
    return (int32_t)(x >> total_shift);
}

/* frexp on IEEE-754 double bits: d = frac * 2^exp, 0.5 <= |frac| < 1. */
static inline double tml_frexp(double d, int *exp) {
    uint64_t bits;
    memcpy(&bits, &d, 8);
    int e = (int)((bits >> 52) & 0x7FF);
    if (e == 0) { /* zero or subnormal: scale up into the normal range first */
        if ((bits << 1) == 0) {
            *exp = 0;
            return d;
        }
        double scaled = d * 18014398509481984.0; /* 2^54 */
        double f = tml_frexp(scaled, exp);
        *exp -= 54;
        return f;
    }
    if (e == 0x7FF) { /* inf / nan: returned unchanged, as frexp does */
        *exp = 0;
        return d;
    }
    *exp = e - 1022;
    bits = (bits & ~((uint64_t)0x7FF << 52)) | ((uint64_t)1022 << 52);
    memcpy(&d, &bits, 8);
    return d;
}

/* std::round for double: half away from zero. Exact for |x| < 2^52. */
static inline double tml_round(double x) {
    if (!(x < 4503599627370496.0 && x > -4503599627370496.0)) {
        return x; /* already integral (or nan) */
    }
    double t = (double)(int64_t)x; /* truncation */
    double diff = x - t;          /* exact */
    if (diff >= 0.5) {
        t += 1.0;
    } else if (diff <= -0.5) {
        t -= 1.0;
    }
    return t;
}

/* std::round for float (roundf): half away from zero. */
static inline float tml_roundf(float x) {
    if (!(x < 8388608.0f && x > -8388608.0f)) {
        return x;
    }
    float t = (float)(int32_t)x;
    float diff = x - t;
    if (diff >= 0.5f) {
        t += 1.0f;
    } else if (diff <= -0.5f) {
        t -= 1.0f;
    }
    return t;
}

/* TFLM QuantizeMultiplier: double -> (Q31 multiplier, shift). */
static inline void tml_quantize_multiplier(double d, int32_t *multiplier, int *shift) {
    if (d == 0.0) {
        *multiplier = 0;
        *shift = 0;
        return;
    }
    int exp;
    double frac = tml_frexp(d, &exp);
    int64_t q = (int64_t)tml_round(frac * 2147483648.0);
    if (q == ((int64_t)1 << 31)) {
        q /= 2;
        exp++;
    }
    if (exp < -31) {
        exp = 0;
        q = 0;
    }
    *multiplier = (int32_t)q;
    *shift = exp;
}

/* Integer range of a fused activation on a quantized output
 * (TFLM CalculateActivationRangeQuantized): bounds computed in float32. */
static inline void tml_activation_range_quantized(int activation, float scale, int32_t zero_point, int32_t qmin,
    int32_t qmax, int32_t *lo, int32_t *hi) {
    int32_t a = qmin, b = qmax;
    if (activation == 1 /* RELU */) {
        a = tml_max_i32(qmin, zero_point + (int32_t)tml_roundf(0.0f / scale));
    } else if (activation == 3 /* RELU6 */) {
        a = tml_max_i32(qmin, zero_point + (int32_t)tml_roundf(0.0f / scale));
        b = tml_min_i32(qmax, zero_point + (int32_t)tml_roundf(6.0f / scale));
    } else if (activation == 2 /* RELU_N1_TO_1 */) {
        a = tml_max_i32(qmin, zero_point + (int32_t)tml_roundf(-1.0f / scale));
        b = tml_min_i32(qmax, zero_point + (int32_t)tml_roundf(1.0f / scale));
    }
    *lo = a;
    *hi = b;
}

/* Float range of a fused activation (TFLM CalculateActivationRange<float>). */
static inline void tml_activation_range_float(int activation, float *lo, float *hi) {
    float a = -3.4028234663852886e38f, b = 3.4028234663852886e38f;
    if (activation == 1) {
        a = 0.0f;
    } else if (activation == 3) {
        a = 0.0f;
        b = 6.0f;
    } else if (activation == 2) {
        a = -1.0f;
        b = 1.0f;
    }
    *lo = a;
    *hi = b;
}

/* TFLM ActivationFunctionWithMinMax<float>: min(max(x, lo), hi). */
static inline float tml_clamp_f32(float x, float lo, float hi) {
    return x < lo ? lo : (x > hi ? hi : x);
}

#endif /* TML_QUANT_H */
