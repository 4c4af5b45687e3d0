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
    TML_OPS_LEARNED(X)     \
    TML_OPS_SIGNAL(X)

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
#define TML_OPS_ELEMENTWISE(X) \
    X(ABS) \
    X(EXP) \
    X(HARD_SWISH) \
    X(LEAKY_RELU) \
    X(LOG) \
    X(LOGISTIC) \
    X(MAXIMUM) \
    X(MINIMUM) \
    X(NEG) \
    X(PRELU) \
    X(RELU) \
    X(RELU6) \
    X(RSQRT) \
    X(SQUARED_DIFFERENCE) \
    X(SUB) \
    X(TANH) \

/* Shape, data movement, reductions and selection. */
#define TML_OPS_SHAPE(X) \
    X(ARG_MAX) \
    X(ARG_MIN) \
    X(CONCATENATION) \
    X(DEPTH_TO_SPACE) \
    X(EXPAND_DIMS) \
    X(GATHER) \
    X(MEAN) \
    X(PACK) \
    X(PAD) \
    X(PADV2) \
    X(REDUCE_MAX) \
    X(RESIZE_BILINEAR) \
    X(RESIZE_NEAREST_NEIGHBOR) \
    X(SHAPE) \
    X(SLICE) \
    X(SPACE_TO_DEPTH) \
    X(SPLIT) \
    X(SPLIT_V) \
    X(SQUEEZE) \
    X(STRIDED_SLICE) \
    X(SUM) \
    X(TRANSPOSE) \
    X(UNPACK) \

/* Learned layers beyond convolution (sequence models, transposed conv, ...). */
#define TML_OPS_LEARNED(X) \
    X(BATCH_MATMUL) \
    X(SVDF) \
    X(TRANSPOSE_CONV) \
    X(UNIDIRECTIONAL_SEQUENCE_LSTM) \


/* Audio feature extraction: TFLM's signal library (custom operators), and
 * the builtins its preprocessing models need besides the ones above. */
#define TML_OPS_SIGNAL(X) \
    X(CAST) \
    X(DIV) \
    X(SIGNAL_ENERGY) \
    X(SIGNAL_FFT_AUTO_SCALE) \
    X(SIGNAL_FILTER_BANK) \
    X(SIGNAL_FILTER_BANK_LOG) \
    X(SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION) \
    X(SIGNAL_FILTER_BANK_SQUARE_ROOT) \
    X(SIGNAL_PCAN) \
    X(SIGNAL_RFFT) \
    X(SIGNAL_WINDOW) \

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
#ifndef TML_OP_ABS
#define TML_OP_ABS TML_OP_DEFAULT
#endif
#ifndef TML_OP_EXP
#define TML_OP_EXP TML_OP_DEFAULT
#endif
#ifndef TML_OP_HARD_SWISH
#define TML_OP_HARD_SWISH TML_OP_DEFAULT
#endif
#ifndef TML_OP_LEAKY_RELU
#define TML_OP_LEAKY_RELU TML_OP_DEFAULT
#endif
#ifndef TML_OP_LOG
#define TML_OP_LOG TML_OP_DEFAULT
#endif
#ifndef TML_OP_LOGISTIC
#define TML_OP_LOGISTIC TML_OP_DEFAULT
#endif
#ifndef TML_OP_MAXIMUM
#define TML_OP_MAXIMUM TML_OP_DEFAULT
#endif
#ifndef TML_OP_MINIMUM
#define TML_OP_MINIMUM TML_OP_DEFAULT
#endif
#ifndef TML_OP_NEG
#define TML_OP_NEG TML_OP_DEFAULT
#endif
#ifndef TML_OP_PRELU
#define TML_OP_PRELU TML_OP_DEFAULT
#endif
#ifndef TML_OP_RELU
#define TML_OP_RELU TML_OP_DEFAULT
#endif
#ifndef TML_OP_RELU6
#define TML_OP_RELU6 TML_OP_DEFAULT
#endif
#ifndef TML_OP_RSQRT
#define TML_OP_RSQRT TML_OP_DEFAULT
#endif
#ifndef TML_OP_SQUARED_DIFFERENCE
#define TML_OP_SQUARED_DIFFERENCE TML_OP_DEFAULT
#endif
#ifndef TML_OP_SUB
#define TML_OP_SUB TML_OP_DEFAULT
#endif
#ifndef TML_OP_TANH
#define TML_OP_TANH TML_OP_DEFAULT
#endif

/* ---- defaults: shape ---- */
#ifndef TML_OP_ARG_MAX
#define TML_OP_ARG_MAX TML_OP_DEFAULT
#endif
#ifndef TML_OP_ARG_MIN
#define TML_OP_ARG_MIN TML_OP_DEFAULT
#endif
#ifndef TML_OP_CONCATENATION
#define TML_OP_CONCATENATION TML_OP_DEFAULT
#endif
#ifndef TML_OP_DEPTH_TO_SPACE
#define TML_OP_DEPTH_TO_SPACE TML_OP_DEFAULT
#endif
#ifndef TML_OP_EXPAND_DIMS
#define TML_OP_EXPAND_DIMS TML_OP_DEFAULT
#endif
#ifndef TML_OP_GATHER
#define TML_OP_GATHER TML_OP_DEFAULT
#endif
#ifndef TML_OP_MEAN
#define TML_OP_MEAN TML_OP_DEFAULT
#endif
#ifndef TML_OP_PACK
#define TML_OP_PACK TML_OP_DEFAULT
#endif
#ifndef TML_OP_PAD
#define TML_OP_PAD TML_OP_DEFAULT
#endif
#ifndef TML_OP_PADV2
#define TML_OP_PADV2 TML_OP_DEFAULT
#endif
#ifndef TML_OP_REDUCE_MAX
#define TML_OP_REDUCE_MAX TML_OP_DEFAULT
#endif
#ifndef TML_OP_RESIZE_BILINEAR
#define TML_OP_RESIZE_BILINEAR TML_OP_DEFAULT
#endif
#ifndef TML_OP_RESIZE_NEAREST_NEIGHBOR
#define TML_OP_RESIZE_NEAREST_NEIGHBOR TML_OP_DEFAULT
#endif
#ifndef TML_OP_SHAPE
#define TML_OP_SHAPE TML_OP_DEFAULT
#endif
#ifndef TML_OP_SLICE
#define TML_OP_SLICE TML_OP_DEFAULT
#endif
#ifndef TML_OP_SPACE_TO_DEPTH
#define TML_OP_SPACE_TO_DEPTH TML_OP_DEFAULT
#endif
#ifndef TML_OP_SPLIT
#define TML_OP_SPLIT TML_OP_DEFAULT
#endif
#ifndef TML_OP_SPLIT_V
#define TML_OP_SPLIT_V TML_OP_DEFAULT
#endif
#ifndef TML_OP_SQUEEZE
#define TML_OP_SQUEEZE TML_OP_DEFAULT
#endif
#ifndef TML_OP_STRIDED_SLICE
#define TML_OP_STRIDED_SLICE TML_OP_DEFAULT
#endif
#ifndef TML_OP_SUM
#define TML_OP_SUM TML_OP_DEFAULT
#endif
#ifndef TML_OP_TRANSPOSE
#define TML_OP_TRANSPOSE TML_OP_DEFAULT
#endif
#ifndef TML_OP_UNPACK
#define TML_OP_UNPACK TML_OP_DEFAULT
#endif

/* ---- defaults: learned ---- */
#ifndef TML_OP_BATCH_MATMUL
#define TML_OP_BATCH_MATMUL TML_OP_DEFAULT
#endif

/* ---- defaults: signal ---- */
#ifndef TML_OP_CAST
#define TML_OP_CAST TML_OP_DEFAULT
#endif
#ifndef TML_OP_DIV
#define TML_OP_DIV TML_OP_DEFAULT
#endif
#ifndef TML_OP_SIGNAL_ENERGY
#define TML_OP_SIGNAL_ENERGY TML_OP_DEFAULT
#endif
#ifndef TML_OP_SIGNAL_FFT_AUTO_SCALE
#define TML_OP_SIGNAL_FFT_AUTO_SCALE TML_OP_DEFAULT
#endif
#ifndef TML_OP_SIGNAL_FILTER_BANK
#define TML_OP_SIGNAL_FILTER_BANK TML_OP_DEFAULT
#endif
#ifndef TML_OP_SIGNAL_FILTER_BANK_LOG
#define TML_OP_SIGNAL_FILTER_BANK_LOG TML_OP_DEFAULT
#endif
#ifndef TML_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION
#define TML_OP_SIGNAL_FILTER_BANK_SPECTRAL_SUBTRACTION TML_OP_DEFAULT
#endif
#ifndef TML_OP_SIGNAL_FILTER_BANK_SQUARE_ROOT
#define TML_OP_SIGNAL_FILTER_BANK_SQUARE_ROOT TML_OP_DEFAULT
#endif
#ifndef TML_OP_SIGNAL_PCAN
#define TML_OP_SIGNAL_PCAN TML_OP_DEFAULT
#endif
#ifndef TML_OP_SIGNAL_RFFT
#define TML_OP_SIGNAL_RFFT TML_OP_DEFAULT
#endif
#ifndef TML_OP_SIGNAL_WINDOW
#define TML_OP_SIGNAL_WINDOW TML_OP_DEFAULT
#endif

/* ---- defaults: learned ---- */
#ifndef TML_OP_BATCH_MATMUL
#define TML_OP_BATCH_MATMUL TML_OP_DEFAULT
#endif
#ifndef TML_OP_SVDF
#define TML_OP_SVDF TML_OP_DEFAULT
#endif
#ifndef TML_OP_TRANSPOSE_CONV
#define TML_OP_TRANSPOSE_CONV TML_OP_DEFAULT
#endif
#ifndef TML_OP_UNIDIRECTIONAL_SEQUENCE_LSTM
#define TML_OP_UNIDIRECTIONAL_SEQUENCE_LSTM TML_OP_DEFAULT
#endif

#endif /* TML_CONFIG_H */
