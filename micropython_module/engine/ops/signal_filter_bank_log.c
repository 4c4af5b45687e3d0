/*
 * SignalFilterBankLog (TFLM signal/micro/kernels/filter_bank_log.cc,
 * signal/src/filter_bank_log.cc and log.cc): y = min(round(ln(x << input_correction_bits)
 * * output_scale), 32767) in fixed point, 0 where the shifted value is 0 or 1.
 *
 * ln is TFLM's Log32: log2 as integer part (bit count - 1) plus a 16-bit
 * fraction, f + correction(f), the correction interpolated linearly between
 * 129 points; times ln 2 (45426 / 2^16) and output_scale / 2^16, each step
 * rounded. The correction table is data from TFLM's log.cc: a result only
 * matches TFLM's with exactly these values.
 */
#include "signal_common.h"

typedef struct {
    int32_t input_correction_bits;
    int32_t output_scale;
    int32_t num_channels;
} filter_bank_log_params;

enum {
    LOG_SCALE_BITS = 16,      /* fraction bits of log2 */
    LOG_SEGMENT_BITS = 7,     /* 128 segments in the correction table */
    LOG_LN2_Q16 = 45426,      /* ln 2 * 2^16 */
};

/* log2(1 + f) - f, sampled at f = k / 128 (k = 0..128), in units of 2^-16. */
static const uint16_t log2_correction[130] = {
    0,    224,  442,  654,  861,  1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797, 2944, 3087,
    3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633, 4714, 4791, 4864, 4934,
    5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507, 5533, 5557, 5578, 5595, 5610, 5622,
    5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586, 5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370,
    5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000, 4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341,
    4264, 4184, 4103, 4020, 3935, 3848, 3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659,
    2549, 2437, 2323, 2207, 2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094, 963,  830,  695,  559,  421,
    282,  142,  0,    0,
};

/* TFLM's Log32 for x >= 2: ln(x) * out_scale, both with 16 fraction bits. */
static uint32_t log32(uint32_t x, uint32_t out_scale) {
    const uint32_t integer = tml_msb32(x) - 1;
    /* The bits below the leading one, as a 16-bit fraction. */
    int32_t frac = (int32_t)(x - (1u << integer));
    if (integer < LOG_SCALE_BITS) {
        frac <<= LOG_SCALE_BITS - integer;
    } else {
        frac >>= integer - LOG_SCALE_BITS;
    }
    const uint32_t segment = (uint32_t)frac >> (LOG_SCALE_BITS - LOG_SEGMENT_BITS);
    const int32_t c0 = log2_correction[segment];
    const int32_t c1 = log2_correction[segment + 1];
    const int32_t segment_start = (int32_t)(segment << (LOG_SCALE_BITS - LOG_SEGMENT_BITS));
    const int32_t interpolated = ((c1 - c0) * (frac - segment_start)) >> LOG_SCALE_BITS;
    const uint32_t fraction = (uint32_t)(frac + c0 + interpolated);
    const uint32_t log2 = (integer << LOG_SCALE_BITS) + fraction;
    const uint32_t round = 1u << (LOG_SCALE_BITS - 1);
    const uint32_t ln = (uint32_t)(((uint64_t)LOG_LN2_Q16 * log2 + round) >> LOG_SCALE_BITS);
    return (out_scale * ln + round) >> LOG_SCALE_BITS; /* uint32, wrapping as TFLM's */
}

static tml_status filter_bank_log_prepare(tml_model *m, tml_node *node) {
    filter_bank_log_params *p = (filter_bank_log_params *)node->params;
    tml_status st = tml_signal_arity(m, node, 1, 1);
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (st == TML_OK) {
        st = tml_signal_check(m, in, "input", TML_UINT32, 1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, out, "output", TML_INT16, 1);
    }
    tml_flex_map options;
    if (st == TML_OK) {
        st = tml_custom_options(m, node, &options);
    }
    if (st == TML_OK) {
        st = tml_custom_int(m, &options, "input_correction_bits", 0, 31, &p->input_correction_bits);
    }
    if (st == TML_OK) {
        st = tml_custom_int(m, &options, "output_scale", INT32_MIN, INT32_MAX, &p->output_scale);
    }
    if (st != TML_OK) {
        return st;
    }
    p->num_channels = in->dims[0];
    if (out->dims[0] != p->num_channels) {
        return tml_fail(m, TML_ERR_MODEL, "output has %d elements, input %d", out->dims[0], in->dims[0]);
    }
    return TML_OK;
}

static tml_status filter_bank_log_eval(tml_model *m, tml_node *node) {
    const filter_bank_log_params *p = (const filter_bank_log_params *)node->params;
    const uint32_t *x = (const uint32_t *)tml_node_input(m, node, 0)->data;
    int16_t *y = (int16_t *)tml_node_output(m, node, 0)->data;
    for (int32_t i = 0; i < p->num_channels; i++) {
        const uint32_t scaled = x[i] << p->input_correction_bits;
        if (scaled > 1) {
            const uint32_t log_value = log32(scaled, (uint32_t)p->output_scale);
            y[i] = (int16_t)(log_value < INT16_MAX ? log_value : INT16_MAX);
        } else {
            y[i] = 0;
        }
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SIGNAL_FILTER_BANK_LOG = {
    .name = "SignalFilterBankLog",
    .builtin = TML_BUILTIN_CUSTOM,
    .max_version = 1,
    .types = TML_TYPE_BIT(TML_UINT32),
    .params_size = sizeof(filter_bank_log_params),
    .prepare = filter_bank_log_prepare,
    .eval = filter_bank_log_eval,
};
