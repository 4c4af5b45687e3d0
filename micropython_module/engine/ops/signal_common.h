/*
 * What TFLM's audio "signal" operators (signal/micro/kernels/) share: tensor
 * checks and the bit arithmetic of signal/src/msb*.cc.
 */
#ifndef TML_SIGNAL_COMMON_H
#define TML_SIGNAL_COMMON_H

#include "tml_flexbuffers.h"
#include "tml_kernel.h"
#include "tml_quant.h"

/* Checks that tensor `t` (called `what` in the message) exists, has type
 * `type` and, if rank >= 0, that rank. */
static inline tml_status tml_signal_check(tml_model *m, const tml_tensor *t, const char *what, int type, int rank) {
    if (t == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "%s is missing", what);
    }
    if (t->type != type) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "%s type %s not supported (must be %s)", what,
            tml_dtype_name(t->type), tml_dtype_name(type));
    }
    if (rank >= 0 && t->ndim != rank) {
        return tml_fail(m, TML_ERR_MODEL, "%s must have rank %d, has %d", what, rank, t->ndim);
    }
    return TML_OK;
}

/* Checks the node's input and output counts. */
static inline tml_status tml_signal_arity(tml_model *m, const tml_node *node, int inputs, int outputs) {
    if (node->num_inputs != inputs || node->num_outputs != outputs) {
        return tml_fail(m, TML_ERR_MODEL, "needs %d inputs and %d outputs, has %d and %d", inputs, outputs,
            node->num_inputs, node->num_outputs);
    }
    return TML_OK;
}

/* Number of significant bits of x (1 for 1, 32 for 2^31 and above), as TFLM's
 * MostSignificantBit32 built with GCC or Clang: 32, not 0, for x == 0. */
static inline uint32_t tml_msb32(uint32_t x) {
    if (x == 0) {
        return 32;
    }
    uint32_t bits = 0;
    while (x) {
        x >>= 1;
        bits++;
    }
    return bits;
}

static inline uint32_t tml_msb64(uint64_t x) {
    if (x == 0) {
        return 64;
    }
    return (x >> 32) ? 32 + tml_msb32((uint32_t)(x >> 32)) : tml_msb32((uint32_t)x);
}

#endif /* TML_SIGNAL_COMMON_H */
