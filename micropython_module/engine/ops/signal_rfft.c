/*
 * SignalRfft, int16 (TFLM signal/micro/kernels/rfft.cc, signal/src/rfft_int16.cc):
 * the real FFT of each input frame, zero-padded to fft_length, as
 * fft_length / 2 + 1 complex bins (re, im pairs).
 *
 * TFLM computes it with KISS FFT in 16-bit fixed point (kiss_fftr over a
 * complex FFT of n = fft_length / 2 points), and its results depend on every
 * rounding step, so this is that algorithm step for step:
 *   - complex FFT by recursive decimation in time, radix 4 stages (then one
 *     radix 2 stage if n is not a power of 4); each butterfly first divides
 *     its inputs by the radix (x * (32767 / radix), rounded: Q15);
 *   - products are Q15 with rounding: (a * b + 2^14) >> 15, truncated to 16
 *     bits, sums and differences wrap at 16 bits, as KISS FFT's int16 fields do;
 *   - twiddles are floor(0.5 + 32767 * cos / sin) of the angle.
 * Only power-of-two lengths are supported (KISS FFT's radix 3, 5 and generic
 * butterflies are not written here).
 *
 * Twiddles are computed once per reset into node->persistent (n complex
 * values for the FFT, n / 2 for the real-to-complex split); node->scratch
 * holds the zero-padded frame and the complex FFT's output.
 *
 * Twiddle angles: cos and sin are computed without libm, by reducing k/n to
 * the first octant exactly (integer arithmetic) and a Taylor series there
 * (error below 1e-15). For every power-of-two n up to 8192, 32767 * cos
 * (and sin) + 0.5 stays at least 1.4e-4 away from an integer, so this and
 * TFLM's libm give the same rounded twiddles.
 */
#include "signal_common.h"

enum {
    RFFT_TYPE_INT16 = 7, /* TensorType INT16: the "T" option */
    RFFT_MIN_LENGTH = 4,
    RFFT_MAX_LENGTH = 16384,
    RFFT_MAX_STAGES = 8, /* log4(8192) + 1 */
};

typedef struct {
    int32_t fft_length;
    int32_t n;            /* complex FFT size: fft_length / 2 */
    int32_t frame_length; /* input samples per frame (<= fft_length) */
    int32_t frames;
    int32_t out_stride;   /* int16 values per output frame: 2 * (n + 1) */
    int32_t num_stages;
    uint8_t radix[RFFT_MAX_STAGES];
} rfft_params;

/* ---- twiddles -------------------------------------------------------------- */

/* cos and sin of x for 0 <= x <= pi/4, by Taylor series in Horner form. */
static void cos_sin_small(double x, double *c, double *s) {
    const double x2 = x * x;
    *s = x * (1 - x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72 * (1 - x2 / 110 * (1 - x2 / 156 *
                                                                               (1 - x2 / 210 * (1 - x2 / 272))))))));
    *c = 1 - x2 / 2 * (1 - x2 / 12 * (1 - x2 / 30 * (1 - x2 / 56 * (1 - x2 / 90 * (1 - x2 / 132 *
                                                                          (1 - x2 / 182 * (1 - x2 / 240)))))));
}

/* cos and sin of 2 pi k / n (0 <= k < n, n a multiple of 4 or 4 itself):
 * the quadrant and the octant within it are found exactly. */
static void cos_sin_of_turn(uint32_t k, uint32_t n, double *c, double *s) {
    const double half_pi = 1.57079632679489661923;
    const uint32_t quadrant = (4 * k) / n;
    const uint32_t rest = (4 * k) % n; /* angle within the quadrant: (pi/2) * rest / n */
    double qc, qs;
    if (2 * rest <= n) {
        cos_sin_small(half_pi * (double)rest / (double)n, &qc, &qs);
    } else {
        cos_sin_small(half_pi * (double)(n - rest) / (double)n, &qs, &qc); /* cos(pi/2 - y) = sin y */
    }
    switch (quadrant) {
        case 0: *c = qc; *s = qs; break;
        case 1: *c = -qs; *s = qc; break;
        case 2: *c = -qc; *s = -qs; break;
        default: *c = qs; *s = -qc; break;
    }
}

/* KISS FFT's fixed-point twiddle component: floor(0.5 + 32767 * v). */
static int16_t q15_of(double v) {
    const double y = 0.5 + 32767.0 * v;
    int32_t t = (int32_t)y; /* truncates toward zero */
    if ((double)t > y) {
        t--;
    }
    return (int16_t)t;
}

/* e^(-2 pi i k / n) as (re, im) Q15 at out[0], out[1]. */
static void twiddle(uint32_t k, uint32_t n, int16_t *out) {
    double c, s;
    cos_sin_of_turn(k % n, n, &c, &s);
    out[0] = q15_of(c);
    out[1] = q15_of(-s);
}

static tml_status rfft_reset(tml_model *m, tml_node *node) {
    const rfft_params *p = (const rfft_params *)node->params;
    int16_t *tw = (int16_t *)node->persistent;
    int16_t *split_tw = tw + 2 * p->n;
    for (int32_t k = 0; k < p->n; k++) {
        twiddle((uint32_t)k, (uint32_t)p->n, tw + 2 * k);
    }
    /* kiss_fftr's phase -pi * ((k + 1) / n + 1/2) is -2 pi (k + 1 + n/2) / (2n). */
    for (int32_t k = 0; k < p->n / 2; k++) {
        twiddle((uint32_t)(k + 1 + p->n / 2), 2u * (uint32_t)p->n, split_tw + 2 * k);
    }
    (void)m;
    return TML_OK;
}

/* ---- fixed-point complex arithmetic ---------------------------------------- */

/* Q15 rounding of a sum of products, with TFLM's int32 wrapping. */
static int16_t round_q15(uint32_t x) {
    return (int16_t)((int32_t)(x + (1u << 14)) >> 15);
}

typedef struct {
    int16_t r, i;
} cpx;

static cpx load(const int16_t *v) {
    cpx c = {v[0], v[1]};
    return c;
}
static void store(int16_t *v, cpx c) {
    v[0] = c.r;
    v[1] = c.i;
}
static cpx add(cpx a, cpx b) {
    cpx c = {(int16_t)(a.r + b.r), (int16_t)(a.i + b.i)};
    return c;
}
static cpx sub(cpx a, cpx b) {
    cpx c = {(int16_t)(a.r - b.r), (int16_t)(a.i - b.i)};
    return c;
}
static cpx mul(cpx a, const int16_t *tw) {
    cpx c = {round_q15((uint32_t)(a.r * tw[0]) - (uint32_t)(a.i * tw[1])),
        round_q15((uint32_t)(a.r * tw[1]) + (uint32_t)(a.i * tw[0]))};
    return c;
}
/* KISS FFT's C_FIXDIV: x * (32767 / radix), Q15-rounded. */
static cpx fixdiv(cpx a, int radix) {
    const int32_t q = 32767 / radix;
    cpx c = {round_q15((uint32_t)(a.r * q)), round_q15((uint32_t)(a.i * q))};
    return c;
}

/* ---- the complex FFT ------------------------------------------------------- */

static void butterfly2(int16_t *out, int32_t m, uint32_t fstride, const int16_t *tw) {
    for (int32_t k = 0; k < m; k++) {
        const cpx a = fixdiv(load(out + 2 * k), 2);
        const cpx t = mul(fixdiv(load(out + 2 * (k + m)), 2), tw + 2 * (uint32_t)k * fstride);
        store(out + 2 * (k + m), sub(a, t));
        store(out + 2 * k, add(a, t));
    }
}

static void butterfly4(int16_t *out, int32_t m, uint32_t fstride, const int16_t *tw) {
    for (int32_t k = 0; k < m; k++) {
        cpx a0 = fixdiv(load(out + 2 * k), 4);
        const cpx a1 = fixdiv(load(out + 2 * (k + m)), 4);
        const cpx a2 = fixdiv(load(out + 2 * (k + 2 * m)), 4);
        const cpx a3 = fixdiv(load(out + 2 * (k + 3 * m)), 4);
        const cpx s0 = mul(a1, tw + 2 * (uint32_t)k * fstride);
        const cpx s1 = mul(a2, tw + 4 * (uint32_t)k * fstride);
        const cpx s2 = mul(a3, tw + 6 * (uint32_t)k * fstride);
        const cpx s5 = sub(a0, s1);
        a0 = add(a0, s1);
        const cpx s3 = add(s0, s2);
        const cpx s4 = sub(s0, s2);
        store(out + 2 * (k + 2 * m), sub(a0, s3));
        store(out + 2 * k, add(a0, s3));
        const cpx y1 = {(int16_t)(s5.r + s4.i), (int16_t)(s5.i - s4.r)};
        const cpx y3 = {(int16_t)(s5.r - s4.i), (int16_t)(s5.i + s4.r)};
        store(out + 2 * (k + m), y1);
        store(out + 2 * (k + 3 * m), y3);
    }
}

/* KISS FFT's kf_work: `size` points of `in` (stride `fstride` complex values)
 * into `out`, stage `stage` onwards. */
static void fft_work(const rfft_params *p, int16_t *out, const int16_t *in, int32_t size, uint32_t fstride, int stage,
    const int16_t *tw) {
    const int radix = p->radix[stage];
    const int32_t m = size / radix;
    for (int j = 0; j < radix; j++) {
        const int16_t *sub_in = in + 2 * (uint32_t)j * fstride;
        if (m == 1) {
            out[2 * j] = sub_in[0];
            out[2 * j + 1] = sub_in[1];
        } else {
            fft_work(p, out + 2 * j * m, sub_in, m, fstride * (uint32_t)radix, stage + 1, tw);
        }
    }
    if (radix == 4) {
        butterfly4(out, m, fstride, tw);
    } else {
        butterfly2(out, m, fstride, tw);
    }
}

/* ---- the operator ---------------------------------------------------------- */

static tml_status rfft_prepare(tml_model *m, tml_node *node) {
    rfft_params *p = (rfft_params *)node->params;
    tml_status st = tml_signal_arity(m, node, 1, 1);
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    tml_flex_map options;
    int32_t type = 0;
    if (st == TML_OK) {
        st = tml_custom_options(m, node, &options);
    }
    if (st == TML_OK) {
        st = tml_custom_int(m, &options, "T", INT32_MIN, INT32_MAX, &type);
    }
    if (st == TML_OK && type != RFFT_TYPE_INT16) {
        st = tml_fail(m, TML_ERR_UNSUPPORTED, "type %s not supported (INT16 is)", tml_dtype_name(type));
    }
    if (st == TML_OK) {
        st = tml_custom_int(m, &options, "fft_length", RFFT_MIN_LENGTH, RFFT_MAX_LENGTH, &p->fft_length);
    }
    if (st == TML_OK && (p->fft_length & (p->fft_length - 1)) != 0) {
        st = tml_fail(m, TML_ERR_UNSUPPORTED, "fft_length %d is not a power of two", p->fft_length);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, in, "input", TML_INT16, -1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, out, "output", TML_INT16, in->ndim);
    }
    if (st != TML_OK) {
        return st;
    }
    p->n = p->fft_length / 2;
    p->frame_length = tml_dim(in, -1);
    p->out_stride = 2 * (p->n + 1);
    if (in->ndim < 1 || p->frame_length <= 0 || p->frame_length > p->fft_length) {
        return tml_fail(m, TML_ERR_MODEL, "input frames of %d samples do not fit fft_length %d", p->frame_length,
            p->fft_length);
    }
    p->frames = tml_numel(in) / p->frame_length;
    if (tml_dim(out, -1) != p->out_stride || tml_numel(out) != p->frames * p->out_stride) {
        return tml_fail(m, TML_ERR_MODEL, "output must hold %d frames of %d values (fft_length + 2)", p->frames,
            p->out_stride);
    }
    /* KISS FFT's factors of n: 4 while it divides, then 2. */
    p->num_stages = 0;
    for (int32_t rest = p->n; rest > 1; rest /= p->radix[p->num_stages++]) {
        p->radix[p->num_stages] = (uint8_t)(rest % 4 == 0 ? 4 : 2);
    }
    /* n + n/2 complex twiddles: 3n int16 values */
    node->persistent_bytes = (uint32_t)(3 * p->n) * sizeof(int16_t);
    node->scratch_bytes = (uint32_t)(p->fft_length + 2 * p->n) * sizeof(int16_t);
    return TML_OK;
}

static tml_status rfft_eval(tml_model *m, tml_node *node) {
    const rfft_params *p = (const rfft_params *)node->params;
    const int16_t *x = (const int16_t *)tml_node_input(m, node, 0)->data;
    int16_t *y = (int16_t *)tml_node_output(m, node, 0)->data;
    const int16_t *tw = (const int16_t *)node->persistent;
    const int16_t *split_tw = tw + 2 * p->n;
    int16_t *frame = (int16_t *)node->scratch; /* fft_length samples: n complex values */
    int16_t *spectrum = frame + p->fft_length; /* n complex values */
    const int32_t n = p->n;
    for (int32_t f = 0; f < p->frames; f++, x += p->frame_length, y += p->out_stride) {
        memcpy(frame, x, (size_t)p->frame_length * sizeof(int16_t));
        memset(frame + p->frame_length, 0, (size_t)(p->fft_length - p->frame_length) * sizeof(int16_t));
        fft_work(p, spectrum, frame, n, 1, 0, tw);

        /* kiss_fftr: split the packed complex FFT into the real signal's bins. */
        const cpx dc = fixdiv(load(spectrum), 2);
        y[0] = (int16_t)(dc.r + dc.i);
        y[1] = 0;
        y[2 * n] = (int16_t)(dc.r - dc.i);
        y[2 * n + 1] = 0;
        for (int32_t k = 1; k <= n / 2; k++) {
            const cpx fpk = fixdiv(load(spectrum + 2 * k), 2);
            const cpx conj = {spectrum[2 * (n - k)], (int16_t)-spectrum[2 * (n - k) + 1]};
            const cpx fpnk = fixdiv(conj, 2);
            const cpx f1k = add(fpk, fpnk);
            const cpx tw_k = mul(sub(fpk, fpnk), split_tw + 2 * (k - 1));
            y[2 * k] = (int16_t)((f1k.r + tw_k.r) >> 1);
            y[2 * k + 1] = (int16_t)((f1k.i + tw_k.i) >> 1);
            y[2 * (n - k)] = (int16_t)((f1k.r - tw_k.r) >> 1);
            y[2 * (n - k) + 1] = (int16_t)((tw_k.i - f1k.i) >> 1);
        }
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SIGNAL_RFFT = {
    .name = "SignalRfft",
    .builtin = TML_BUILTIN_CUSTOM,
    .max_version = 1,
    .types = TML_TYPE_BIT(TML_INT16),
    .params_size = sizeof(rfft_params),
    .prepare = rfft_prepare,
    .eval = rfft_eval,
    .reset = rfft_reset,
};
