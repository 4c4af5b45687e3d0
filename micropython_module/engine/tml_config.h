/*
 * Build-time choice of operators.
 *
 * Every operator is compiled in unless the firmware author says otherwise:
 * define TML_OP_<NAME> to 0 (e.g. -DTML_OP_SOFTMAX=0), or define
 * TML_OPS_NONE_BY_DEFAULT and then TML_OP_<NAME>=1 for just the ones a product
 * needs. A model that needs a missing operator fails at load time with the
 * operator's name and version; tml_supported_op() lists what a build carries.
 *
 * Adding an operator: a line in TML_FOR_EACH_OP and a default below, both in
 * the operator's group, and ops/<name>.c defining tml_kernel_<NAME>.
 */
#ifndef TML_CONFIG_H
#define TML_CONFIG_H

#ifdef TML_OPS_NONE_BY_DEFAULT
#define TML_OP_DEFAULT 0
#else
#define TML_OP_DEFAULT 1
#endif

/* The operator list: X(NAME) for each kernel in ops/, by group. */
#define TML_FOR_EACH_OP(X) \
    TML_OPS_CORE(X)        \
    TML_OPS_ELEMENTWISE(X) \
    TML_OPS_SHAPE(X)       \
    TML_OPS_LEARNED(X)

/* Convolutional networks. */
#define TML_OPS_CORE(X) \
    X(ADD) \
    X(AVERAGE_POOL_2D) \
    X(CONV_2D) \
    X(DEPTHWISE_CONV_2D) \
    X(DEQUANTIZE) \
    X(FULLY_CONNECTED) \
    X(MAX_POOL_2D) \
    X(MUL) \
    X(QUANTIZE) \
    X(RESHAPE) \
    X(SOFTMAX) \

/* Element-wise operators and activations. */
#define TML_OPS_ELEMENTWISE(X)

/* Shape, data movement, reductions and selection. */
#define TML_OPS_SHAPE(X)

/* Learned layers beyond convolution (sequence models, transposed conv, ...). */
#define TML_OPS_LEARNED(X)

/* ---- defaults: core ---- */
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

/* ---- defaults: element-wise ---- */

/* ---- defaults: shape ---- */

/* ---- defaults: learned ---- */

#endif /* TML_CONFIG_H */
