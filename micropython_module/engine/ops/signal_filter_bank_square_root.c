/*
 * SignalFilterBankSquareRoot (TFLM signal/micro/kernels/
 * filter_bank_square_root*.cc, signal/src/square_root_{32,64}.cc):
 * y = rounded integer square root of each uint64 channel, shifted right by
 * input 1 (the FFT auto-scale shift, undoing it on the amplitude scale).
 */
#include "signal_common.h"

/* TFLM's Sqrt32: bit-by-bit square root, then rounded up when the remainder
 * exceeds the root (never past 0xFFFF). */
static uint16_t sqrt32(uint32_t num) {
    if (num == 0) {
        return 0;
    }
    uint32_t res = 0;
    const int max_bit_number = (32 - (int)tml_msb32(num)) | 1;
    uint32_t bit = 1u << (31 - max_bit_number);
    for (int iterations = (31 - max_bit_number) / 2 + 1; iterations > 0; iterations--) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFF) {
        res++;
    }
    return (uint16_t)res;
}

/* TFLM's Sqrt64: Sqrt32 when the upper word is clear (so values just below
 * 2^32 round down to 0xFFFF, as TFLM's do), else the same method on 64 bits. */
static uint32_t sqrt64(uint64_t num) {
    if ((num >> 32) == 0) {
        return sqrt32((uint32_t)num);
    }
    uint64_t res = 0;
    const int max_bit_number = (64 - (int)tml_msb64(num)) | 1;
    uint64_t bit = (uint64_t)1 << (63 - max_bit_number);
    for (int iterations = (63 - max_bit_number) / 2 + 1; iterations > 0; iterations--) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFFFFFFu) {
        res++;
    }
    return (uint32_t)res;
}

static tml_status filter_bank_square_root_prepare(tml_model *m, tml_node *node) {
    tml_status st = tml_signal_arity(m, node, 2, 1);
    tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (st == TML_OK) {
        st = tml_signal_check(m, in, "input", TML_UINT64, 1);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, tml_node_input(m, node, 1), "scale bits", TML_INT32, 0);
    }
    if (st == TML_OK) {
        st = tml_signal_check(m, out, "output", TML_UINT32, 1);
    }
    if (st == TML_OK && out->dims[0] != in->dims[0]) {
        st = tml_fail(m, TML_ERR_MODEL, "output has %d elements, input %d", out->dims[0], in->dims[0]);
    }
    return st;
}

static tml_status filter_bank_square_root_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    const uint64_t *x = (const uint64_t *)in->data;
    uint32_t *y = (uint32_t *)tml_node_output(m, node, 0)->data;
    /* A shift outside [0, 31] is undefined in C; x86 (where the oracle runs)
     * uses its low 5 bits, and so do we. SignalFftAutoScale gives 0..14. */
    const uint32_t shift = (uint32_t)*(const int32_t *)tml_node_input(m, node, 1)->data & 31u;
    for (int32_t i = 0; i < in->dims[0]; i++) {
        y[i] = sqrt64(x[i]) >> shift;
    }
    return TML_OK;
}

const tml_kernel tml_kernel_SIGNAL_FILTER_BANK_SQUARE_ROOT = {
    .name = "SignalFilterBankSquareRoot",
    .builtin = TML_BUILTIN_CUSTOM,
    .max_version = 1,
    .types = TML_TYPE_BIT(TML_UINT64),
    .prepare = filter_bank_square_root_prepare,
    .eval = filter_bank_square_root_eval,
};
