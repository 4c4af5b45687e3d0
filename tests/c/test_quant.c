/*
 * tml_quant.h against TFLM's arithmetic: hand-worked values for the edge
 * cases (INT32_MIN, double rounding, q == 2^31, tiny scales) and, over many
 * random values, against reference formulations written differently here
 * (floor division, libm's frexp/round/roundf).
 */
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "test_harness.h"
#include "tml_quant.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rng_next(void) { /* xorshift64*: deterministic across platforms */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1Dull;
}

static int32_t rng_i32(void) {
    return (int32_t)(uint32_t)(rng_next() >> 32);
}

/* Random int32 with a random magnitude, so small values are common too. */
static int32_t rng_i32_any_size(void) {
    int bits = (int)(rng_next() % 32);
    int32_t v = rng_i32();
    return bits == 31 ? v : (int32_t)(v % ((int64_t)1 << bits));
}

static uint64_t bits_of(double d) {
    uint64_t b;
    memcpy(&b, &d, 8);
    return b;
}

static uint32_t bits_of_f(float f) {
    uint32_t b;
    memcpy(&b, &f, 4);
    return b;
}

/* SRDHM as "round half up of a*b / 2^31", by floor division: the same
 * function as gemmlowp's nudge-and-truncate, derived independently. */
static int32_t ref_srdhm(int32_t a, int32_t b) {
    if (a == INT32_MIN && b == INT32_MIN) {
        return INT32_MAX;
    }
    int64_t y = (int64_t)a * b + ((int64_t)1 << 30);
    int64_t q = y / ((int64_t)1 << 31);
    if (y % ((int64_t)1 << 31) != 0 && y < 0) {
        q -= 1; /* floor */
    }
    return (int32_t)q;
}

/* RDBP as "round half away from zero of x / 2^e" on magnitudes. */
static int32_t ref_rdbp(int32_t x, int e) {
    int64_t v = x, half = e > 0 ? ((int64_t)1 << (e - 1)) : 0;
    return (int32_t)(v >= 0 ? (v + half) >> e : -((-v + half) >> e));
}

/* TFLM QuantizeMultiplier, written with libm. */
static void ref_quantize_multiplier(double d, int32_t *q_out, int *shift_out) {
    if (d == 0.0) {
        *q_out = 0;
        *shift_out = 0;
        return;
    }
    int exp;
    double frac = frexp(d, &exp);
    int64_t q = (int64_t)round(frac * (double)(1ll << 31));
    if (q == (1ll << 31)) {
        q /= 2;
        exp++;
    }
    if (exp < -31) {
        exp = 0;
        q = 0;
    }
    *q_out = (int32_t)q;
    *shift_out = exp;
}

static void test_srdhm_edges(void) {
    CHECK_EQ_INT(tml_srdhm(INT32_MIN, INT32_MIN), INT32_MAX); /* the one overflow */
    CHECK_EQ_INT(tml_srdhm(INT32_MIN, INT32_MAX), -INT32_MAX);
    CHECK_EQ_INT(tml_srdhm(INT32_MAX, INT32_MAX), INT32_MAX - 1);
    CHECK_EQ_INT(tml_srdhm(1 << 30, 1 << 30), 1 << 29);  /* 0.5 * 0.5 */
    CHECK_EQ_INT(tml_srdhm(1, 1 << 30), 1);              /* 0.5 rounds up */
    CHECK_EQ_INT(tml_srdhm(-1, 1 << 30), 0);             /* -0.5 rounds up too */
    CHECK_EQ_INT(tml_srdhm(-3, 1 << 30), -1);            /* -1.5 -> -1 */
    CHECK_EQ_INT(tml_srdhm(3, 1 << 30), 2);              /* 1.5 -> 2 */
    CHECK_EQ_INT(tml_srdhm(0, INT32_MIN), 0);
    CHECK_EQ_INT(tml_srdhm(INT32_MIN, 1 << 30), -(1 << 30));
}

static void test_rdbp_edges(void) {
    CHECK_EQ_INT(tml_rdbp(5, 0), 5);
    CHECK_EQ_INT(tml_rdbp(3, 1), 2);    /* 1.5 -> 2 */
    CHECK_EQ_INT(tml_rdbp(-3, 1), -2);  /* -1.5 -> -2: away from zero */
    CHECK_EQ_INT(tml_rdbp(5, 2), 1);    /* 1.25 -> 1 */
    CHECK_EQ_INT(tml_rdbp(-5, 2), -1);
    CHECK_EQ_INT(tml_rdbp(6, 2), 2);    /* 1.5 -> 2 */
    CHECK_EQ_INT(tml_rdbp(-6, 2), -2);
    CHECK_EQ_INT(tml_rdbp(-1, 1), -1);  /* -0.5 -> -1 */
    CHECK_EQ_INT(tml_rdbp(1, 1), 1);
    CHECK_EQ_INT(tml_rdbp(INT32_MIN, 31), -1);
    CHECK_EQ_INT(tml_rdbp(INT32_MIN, 1), -(1 << 30));
    CHECK_EQ_INT(tml_rdbp(INT32_MIN, 0), INT32_MIN);
    CHECK_EQ_INT(tml_rdbp(INT32_MAX, 31), 1);    /* 0.99999... -> 1 */
    CHECK_EQ_INT(tml_rdbp(INT32_MAX, 30), 2);    /* 1.99999... -> 2 */
    CHECK_EQ_INT(tml_rdbp(-(1 << 30), 31), -1);  /* exactly -0.5 -> -1 */
    CHECK_EQ_INT(tml_rdbp((1 << 30) - 1, 31), 0);
}

static void test_mbqm_values(void) {
    const int32_t three_quarters = 1610612736; /* 0.75 in Q31 */
    CHECK_EQ_INT(tml_mbqm(100, 1 << 30, 0), 50);
    CHECK_EQ_INT(tml_mbqm(100, 1 << 30, 2), 200);
    CHECK_EQ_INT(tml_mbqm(3, 1 << 30, -1), 1);
    /* Double rounding: 1 * 0.75 / 2 = 0.375 exactly, but SRDHM first rounds
     * 0.75 to 1 and RDBP then rounds 0.5 to 1; single rounding would give 0. */
    CHECK_EQ_INT(tml_mbqm(1, three_quarters, -1), 1);
    CHECK_EQ_INT(tml_mbqm(-1, three_quarters, -1), -1);
    CHECK_EQ_INT(tml_mbqm(INT32_MAX, INT32_MAX, 0), INT32_MAX - 1);
    CHECK_EQ_INT(tml_mbqm(INT32_MIN, INT32_MIN, 0), INT32_MAX);
    CHECK_EQ_INT(tml_mbqm(INT32_MIN, 1 << 30, -31), -1);
    CHECK_EQ_INT(tml_mbqm(0, INT32_MAX, -31), 0);
    /* A typical conv requantization: acc 12345, scale ~0.0037. */
    int32_t q;
    int shift;
    tml_quantize_multiplier(0.0037, &q, &shift);
    CHECK_EQ_INT(tml_mbqm(12345, q, shift), 46); /* 45.6765 */
    CHECK_EQ_INT(tml_mbqm(-12345, q, shift), -46);
}

static void test_mbqm_i64_values(void) {
    /* 16x8 form: multiplier reduced to 16 bits, one rounding (half up). */
    CHECK_EQ_INT(tml_mbqm_i64(1000, 1 << 30, 0), 500);
    CHECK_EQ_INT(tml_mbqm_i64(1001, 1 << 30, 0), 501);   /* 500.5 -> 501 */
    CHECK_EQ_INT(tml_mbqm_i64(-1001, 1 << 30, 0), -500); /* -500.5 -> -500 */
    CHECK_EQ_INT(tml_mbqm_i64(1000, 1 << 30, 1), 1000);
    CHECK_EQ_INT(tml_mbqm_i64(1000, 1 << 30, -3), 63);   /* 62.5 -> 63 */
    CHECK_EQ_INT(tml_mbqm_i64(1000, 0x7FFFFFFF, 0), 1000); /* saturated 0x7FFF: 999.97 -> 1000 */
    CHECK_EQ_INT(tml_mbqm_i64((int64_t)1 << 40, 1 << 30, -20), 1 << 19);
    CHECK_EQ_INT(tml_mbqm_i64(-((int64_t)1 << 46), 1 << 30, -16), -(1 << 29));
}

static void test_random_against_references(void) {
    int srdhm_bad = 0, rdbp_bad = 0, mbqm_bad = 0;
    for (int i = 0; i < 200000; i++) {
        int32_t a = rng_i32_any_size(), b = rng_i32_any_size();
        if (tml_srdhm(a, b) != ref_srdhm(a, b) && srdhm_bad++ < 5) {
            printf("  srdhm(%d, %d) = %d, want %d\n", (int)a, (int)b, (int)tml_srdhm(a, b), (int)ref_srdhm(a, b));
        }
        int e = (int)(rng_next() % 32);
        if (tml_rdbp(a, e) != ref_rdbp(a, e) && rdbp_bad++ < 5) {
            printf("  rdbp(%d, %d) = %d, want %d\n", (int)a, e, (int)tml_rdbp(a, e), (int)ref_rdbp(a, e));
        }
        /* MBQM: multiplier in [2^30, 2^31) as QuantizeMultiplier makes them;
         * left shifts only where x << shift cannot overflow, as in TFLM. */
        int32_t m = (int32_t)((1u << 30) | ((uint32_t)rng_i32() >> 2));
        int shift = (int)(rng_next() % 40) - 31;
        int32_t x = shift > 0 ? a / (1 << shift) : a;
        int32_t want = ref_rdbp(ref_srdhm(x * (1 << (shift > 0 ? shift : 0)), m), shift > 0 ? 0 : -shift);
        if (tml_mbqm(x, m, shift) != want && mbqm_bad++ < 5) {
            printf("  mbqm(%d, %d, %d) = %d, want %d\n", (int)x, (int)m, shift, (int)tml_mbqm(x, m, shift), (int)want);
        }
    }
    CHECK(srdhm_bad == 0, "%d SRDHM mismatches", srdhm_bad);
    CHECK(rdbp_bad == 0, "%d RDBP mismatches", rdbp_bad);
    CHECK(mbqm_bad == 0, "%d MBQM mismatches", mbqm_bad);
}

static void check_qm(double d, int32_t want_q, int want_shift) {
    int32_t q;
    int shift;
    tml_quantize_multiplier(d, &q, &shift);
    CHECK(q == want_q && shift == want_shift, "QuantizeMultiplier(%.17g) = (%d, %d), want (%d, %d)", d, (int)q,
        shift, (int)want_q, want_shift);
}

static void test_quantize_multiplier_edges(void) {
    check_qm(0.0, 0, 0);
    check_qm(1.0, 1 << 30, 1);
    check_qm(0.5, 1 << 30, 0);
    check_qm(0.25, 1 << 30, -1);
    check_qm(3.0, 1610612736, 2);
    check_qm(0.75, 1610612736, 0);
    check_qm(-0.5, -(1 << 30), 0);
    /* frac * 2^31 rounds up to 2^31: q halves and the exponent grows. */
    check_qm(1.0 - ldexp(1.0, -40), 1 << 30, 1);
    check_qm(0.5 - ldexp(1.0, -40), 1 << 30, 0);
    check_qm(ldexp(1.0, -10) * (1.0 - ldexp(1.0, -33)), 1 << 30, -9);
    /* Just below the round-up: stays 2^31 - 1. */
    check_qm(1.0 - ldexp(1.0, -31), INT32_MAX, 0);
    /* Tiny scales: exponent -31 is kept, below it the multiplier becomes 0. */
    check_qm(ldexp(1.0, -31), 1 << 30, -30);
    check_qm(ldexp(1.0, -32), 1 << 30, -31);
    check_qm(ldexp(1.0, -33), 0, 0);
    check_qm(ldexp(1.0, -32) * (1.0 - ldexp(1.0, -40)), 1 << 30, -31); /* exponent -32 rounds up into range */
    check_qm(1e-12, 0, 0);
    check_qm(4.9406564584124654e-324, 0, 0); /* smallest subnormal */
    /* Large scales. */
    check_qm(1e6, 2048000000, 20);
    check_qm(ldexp(1.0, 40), 1 << 30, 41);
}

static void test_quantize_multiplier_random(void) {
    int bad = 0;
    for (int i = 0; i < 200000; i++) {
        /* log-uniform over 1e-14 .. 1e4, as effective scales are, plus
         * products of float32 scales as the kernels form them. */
        double u = (double)(rng_next() >> 11) / 9007199254740992.0;
        double d = pow(10.0, -14.0 + 18.0 * u);
        if (i & 1) {
            float s1 = (float)d, s2 = (float)(1.0 + u), s3 = (float)(0.01 + u);
            d = (double)s1 * (double)s2 / (double)s3;
        }
        int32_t q, want_q;
        int shift, want_shift;
        tml_quantize_multiplier(d, &q, &shift);
        ref_quantize_multiplier(d, &want_q, &want_shift);
        if ((q != want_q || shift != want_shift) && bad++ < 5) {
            printf("  QuantizeMultiplier(%.17g) = (%d, %d), libm reference (%d, %d)\n", d, (int)q, shift,
                (int)want_q, want_shift);
        }
    }
    CHECK(bad == 0, "%d QuantizeMultiplier mismatches against the libm reference", bad);
}

static double random_double_bits(void) {
    uint64_t b = rng_next();
    double d;
    memcpy(&d, &b, 8);
    return d;
}

static void test_frexp_against_libm(void) {
    static const double special[] = {0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 3.0, 1e-300, 1e300, DBL_MIN, DBL_MAX, 4.9406564584124654e-324,
        -4.9406564584124654e-324, DBL_MIN / 2.0, 0.1, 1.0 - DBL_EPSILON / 2.0};
    int bad = 0;
    for (int i = 0; i < 400000; i++) {
        double d;
        if (i < (int)(sizeof special / sizeof special[0])) {
            d = special[i];
        } else if (i % 4 == 0) { /* subnormals */
            uint64_t b = rng_next() & ((1ull << 52) - 1);
            b |= (rng_next() & 1) << 63;
            memcpy(&d, &b, 8);
        } else {
            d = random_double_bits();
            if (d != d || d - d != 0.0) {
                continue; /* nan / inf: checked below */
            }
        }
        int exp, want_exp;
        double frac = tml_frexp(d, &exp), want = frexp(d, &want_exp);
        if ((bits_of(frac) != bits_of(want) || exp != want_exp) && bad++ < 5) {
            printf("  frexp(%a) = (%a, %d), libm (%a, %d)\n", d, frac, exp, want, want_exp);
        }
    }
    CHECK(bad == 0, "%d frexp mismatches against libm", bad);
    int exp;
    CHECK(tml_frexp(INFINITY, &exp) == INFINITY, "frexp(inf) should return inf");
    CHECK(tml_frexp(-INFINITY, &exp) == -INFINITY, "frexp(-inf) should return -inf");
    double nan_frac = tml_frexp(NAN, &exp);
    CHECK(nan_frac != nan_frac, "frexp(nan) should return nan");
}

static void test_round_against_libm(void) {
    static const double special[] = {0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999999999999994, -0.49999999999999994,
        4503599627370495.5, -4503599627370495.5, 4503599627370496.0, 9007199254740993.0, 1e300, -0.0, 0.0,
        2147483647.5, -2147483648.5, 1e18 + 0.5};
    int bad = 0;
    for (int i = 0; i < 400000; i++) {
        double d;
        if (i < (int)(sizeof special / sizeof special[0])) {
            d = special[i];
        } else {
            double u = (double)(rng_next() >> 11) / 9007199254740992.0;
            d = ldexp(u, (int)(rng_next() % 70) - 10);
            if (i % 3 == 0) {
                d = floor(d) + 0.5; /* exact halves */
            }
            if (rng_next() & 1) {
                d = -d;
            }
        }
        double got = tml_round(d), want = round(d);
        if (bits_of(got) != bits_of(want) && !(got == 0.0 && want == 0.0) && bad++ < 5) {
            printf("  round(%.17g) = %.17g, libm %.17g\n", d, got, want);
        }
    }
    CHECK(bad == 0, "%d round mismatches against libm", bad);
}

static void test_roundf_against_libm(void) {
    static const float special[] = {0.5f, -0.5f, 1.5f, -2.5f, 0.49999997f, -0.49999997f, 8388607.5f, -8388607.5f,
        8388608.0f, 16777217.0f, 3.0e38f, 0.0f, 60.000004f, 127.5f, -128.5f};
    int bad = 0;
    for (int i = 0; i < 400000; i++) {
        float f;
        if (i < (int)(sizeof special / sizeof special[0])) {
            f = special[i];
        } else {
            uint32_t b = (uint32_t)rng_next();
            memcpy(&f, &b, 4);
            if (f != f || f - f != 0.0f) {
                continue;
            }
            if (i % 3 == 0) {
                f = (float)ldexp((double)(b % 20000) / 2.0, -(int)(b % 5)); /* halves and quarters */
            }
        }
        float got = tml_roundf(f), want = roundf(f);
        if (bits_of_f(got) != bits_of_f(want) && !(got == 0.0f && want == 0.0f) && bad++ < 5) {
            printf("  roundf(%.9g) = %.9g, libm %.9g\n", (double)f, (double)got, (double)want);
        }
    }
    CHECK(bad == 0, "%d roundf mismatches against libm", bad);
}

static void test_activation_ranges(void) {
    int32_t lo, hi;
    tml_activation_range_quantized(3 /* RELU6 */, 0.1f, -128, -128, 127, &lo, &hi);
    CHECK(lo == -128 && hi == -68, "RELU6 scale 0.1 zp -128: [%d, %d], want [-128, -68]", (int)lo, (int)hi);
    tml_activation_range_quantized(3, 0.01f, 0, -128, 127, &lo, &hi);
    CHECK(lo == 0 && hi == 127, "RELU6 scale 0.01 zp 0: [%d, %d], want [0, 127]", (int)lo, (int)hi);
    tml_activation_range_quantized(1 /* RELU */, 0.05f, 10, -128, 127, &lo, &hi);
    CHECK(lo == 10 && hi == 127, "RELU zp 10: [%d, %d], want [10, 127]", (int)lo, (int)hi);
    tml_activation_range_quantized(2 /* RELU_N1_TO_1 */, 0.4f, 3, -128, 127, &lo, &hi);
    CHECK(lo == 0 && hi == 6, "RELU_N1_TO_1 scale 0.4 zp 3: [%d, %d], want [0, 6] (2.5 rounds away)", (int)lo,
        (int)hi);
    tml_activation_range_quantized(0 /* NONE */, 0.4f, 3, -32768, 32767, &lo, &hi);
    CHECK(lo == -32768 && hi == 32767, "NONE int16: [%d, %d]", (int)lo, (int)hi);
    float flo, fhi;
    tml_activation_range_float(3, &flo, &fhi);
    CHECK(flo == 0.0f && fhi == 6.0f, "float RELU6: [%g, %g]", (double)flo, (double)fhi);
    tml_activation_range_float(0, &flo, &fhi);
    CHECK(flo == -FLT_MAX && fhi == FLT_MAX, "float NONE: [%g, %g]", (double)flo, (double)fhi);
    CHECK(tml_clamp_f32(7.0f, 0.0f, 6.0f) == 6.0f, "clamp above");
    CHECK(tml_clamp_f32(-1.0f, 0.0f, 6.0f) == 0.0f, "clamp below");
}

int main(void) {
    test_srdhm_edges();
    test_rdbp_edges();
    test_mbqm_values();
    test_mbqm_i64_values();
    test_random_against_references();
    test_quantize_multiplier_edges();
    test_quantize_multiplier_random();
    test_frexp_against_libm();
    test_round_against_libm();
    test_roundf_against_libm();
    test_activation_ranges();
    return harness_finish();
}
