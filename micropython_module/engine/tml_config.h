/*
 * Build-time choice of operators.
 *
 * Every operator is compiled in unless the firmware author says otherwise:
 * define TML_OP_<NAME> to 0 (e.g. -DTML_OP_SOFTMAX=0), or define
 * TML_OPS_NONE_BY_DEFAULT and then TML_OP_<NAME>=1 for just the ones a product
 * needs. A model that needs a missing operator fails at load time with the
 * operator's name and version; tml_supported_op() lists what a build carries.
 */
#ifndef TML_CONFIG_H
#define TML_CONFIG_H

#ifdef TML_OPS_NONE_BY_DEFAULT
#define TML_OP_DEFAULT 0
#else
#define TML_OP_DEFAULT 1
#endif

/* The operator list: X(NAME) for each kernel in ops/. */
#define TML_FOR_EACH_OP(X) \
    X(ADD)                 \
    X(AVERAGE_POOL_2D)     \
    X(CONV_2D)             \
    X(DEPTHWISE_CONV_2D)   \
    X(DEQUANTIZE)          \
    X(FULLY_CONNECTED)     \
    X(MAX_POOL_2D)         \
    X(MUL)                 \
    X(QUANTIZE)            \
    X(RESHAPE)             \
    X(SOFTMAX)

#ifndef TML_OP_ADD
#define TML_OP_ADD TML_OP_DEFAULT
#endif
#ifndef TML_OP_AVERAGE_POOL_2D
#define TML_OP_AVERAGE_POOL_2D TML_OP_DEFAULT
#endif
#ifndef TML_OP_CONV_2D
#define TML_OP_CONV_2D TML_OP_DEFAULT
#endif
#ifndef TML_OP_DEPTHWISE_CONV_2D
#define TML_OP_DEPTHWISE_CONV_2D TML_OP_DEFAULT
#endif
#ifndef TML_OP_DEQUANTIZE
#define TML_OP_DEQUANTIZE TML_OP_DEFAULT
#endif
#ifndef TML_OP_FULLY_CONNECTED
#define TML_OP_FULLY_CONNECTED TML_OP_DEFAULT
#endif
#ifndef TML_OP_MAX_POOL_2D
#define TML_OP_MAX_POOL_2D TML_OP_DEFAULT
#endif
#ifndef TML_OP_MUL
#define TML_OP_MUL TML_OP_DEFAULT
#endif
#ifndef TML_OP_QUANTIZE
#define TML_OP_QUANTIZE TML_OP_DEFAULT
#endif
#ifndef TML_OP_RESHAPE
#define TML_OP_RESHAPE TML_OP_DEFAULT
#endif
#ifndef TML_OP_SOFTMAX
#define TML_OP_SOFTMAX TML_OP_DEFAULT
#endif

#endif /* TML_CONFIG_H */
