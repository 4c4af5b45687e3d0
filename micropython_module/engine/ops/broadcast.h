/*
 * Binary element-wise operators: numpy broadcasting, and the requantization
 * that quantized ADD, SUB and SQUARED_DIFFERENCE share.
 *
 * Broadcasting: shapes are aligned at their last dimension; along each
 * dimension the extents must be equal or one of them 1 (that input is then
 * repeated). Up to TML_BCAST_DIMS dimensions. The output shape must be the
 * broadcast shape (TFLM does not infer it either). Every binary kernel walks
 * the output in order with a tml_bcast_iter, which carries each input's
 * element offset:
 *
 *     tml_bcast_iter it;
 *     for (tml_bcast_begin(&it); it.out < n; tml_bcast_next(&p->bcast, &it)) {
 *         y[it.out] = f(a[it.in1], b[it.in2]);
 *     }
 */
#ifndef TML_OPS_BROADCAST_H
#define TML_OPS_BROADCAST_H

#include "tml_kernel.h"
#include "tml_quant.h"
#include "unary.h" /* tml_int_type_range */

enum { TML_BCAST_DIMS = 6 };

typedef struct {
    /* Output extents (left-padded with 1s) and each input's element strides;
     * a stride is 0 along a dimension that input is broadcast over. */
    int32_t out_dims[TML_BCAST_DIMS];
    int32_t stride1[TML_BCAST_DIMS];
    int32_t stride2[TML_BCAST_DIMS];
} tml_bcast;

typedef struct {
    int32_t idx[TML_BCAST_DIMS];
    int32_t out, in1, in2; /* element offsets into the output and each input */
} tml_bcast_iter;

/* Describes how in1 and in2 broadcast to `out`; tml_fail (naming the
 * dimension) if they do not, or if `out` does not have the broadcast shape. */
static inline tml_status tml_bcast_prepare(tml_model *m, tml_bcast *b, const tml_tensor *in1, const tml_tensor *in2,
    const tml_tensor *out) {
    if (in1->ndim > TML_BCAST_DIMS || in2->ndim > TML_BCAST_DIMS) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "inputs of rank %d and %d: at most %d dimensions are supported",
            in1->ndim, in2->ndim, TML_BCAST_DIMS);
    }
    int32_t s1 = 1, s2 = 1;
    for (int d = TML_BCAST_DIMS - 1; d >= 0; d--) {
        const int from_end = d - TML_BCAST_DIMS;
        const int32_t e1 = tml_dim(in1, from_end), e2 = tml_dim(in2, from_end);
        if (e1 != e2 && e1 != 1 && e2 != 1) {
            return tml_fail(m, TML_ERR_MODEL,
                "input shapes do not broadcast: dimension -%d is %d in input 1, %d in input 2", -from_end, e1, e2);
        }
        b->out_dims[d] = e1 == 1 ? e2 : e1;
        b->stride1[d] = e1 == 1 ? 0 : s1;
        b->stride2[d] = e2 == 1 ? 0 : s2;
        s1 *= e1;
        s2 *= e2;
    }
    bool out_ok = out->ndim == (in1->ndim > in2->ndim ? in1->ndim : in2->ndim);
    for (int d = 0; d < TML_BCAST_DIMS && out_ok; d++) {
        out_ok = tml_dim(out, d - TML_BCAST_DIMS) == b->out_dims[d];
    }
    if (!out_ok) {
        return tml_fail(m, TML_ERR_MODEL, "output shape does not equal the broadcast shape of the inputs");
    }
    return TML_OK;
}

static inline void tml_bcast_begin(tml_bcast_iter *it) {
    memset(it, 0, sizeof(*it));
}

/* Advances to the next output element (in row-major order). */
static inline void tml_bcast_next(const tml_bcast *b, tml_bcast_iter *it) {
    it->out++;
    for (int d = TML_BCAST_DIMS - 1; d >= 0; d--) {
        it->idx[d]++;
        it->in1 += b->stride1[d];
        it->in2 += b->stride2[d];
        if (it->idx[d] < b->out_dims[d]) {
            return;
        }
        it->in1 -= b->stride1[d] * b->out_dims[d];
        it->in2 -= b->stride2[d] * b->out_dims[d];
        it->idx[d] = 0;
    }
}

/* Both inputs and the output: same type, and a per-tensor positive scale
 * each when quantized (int8 / int16). */
static inline tml_status tml_binary_check_types(tml_model *m, const tml_tensor *in1, const tml_tensor *in2,
    const tml_tensor *out) {
    if (in2->type != in1->type || out->type != in1->type) {
        return tml_fail(m, TML_ERR_MODEL, "inputs and output must have one type, have %s, %s and %s",
            tml_dtype_name(in1->type), tml_dtype_name(in2->type), tml_dtype_name(out->type));
    }
    if (in1->type != TML_INT8 && in1->type != TML_INT16) {
        return TML_OK;
    }
    if (in1->num_channels != 1 || in2->num_channels != 1 || out->num_channels != 1) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "inputs and output need per-tensor quantization (have %u, %u, %u scales)",
            (unsigned)in1->num_channels, (unsigned)in2->num_channels, (unsigned)out->num_channels);
    }
    if (!(in1->scale > 0.0f && in2->scale > 0.0f && out->scale > 0.0f)) {
        return tml_fail(m, TML_ERR_MODEL, "scales must be positive, are %f, %f and %f", (double)in1->scale,
            (double)in2->scale, (double)out->scale);
    }
    return TML_OK;
}

/*
 * Quantized ADD / SUB / SQUARED_DIFFERENCE (TFLM's "general rescaling"
 * path): both inputs, offset by their zero points and shifted left by
 * `left_shift` bits of headroom, are rescaled onto a common scale (twice the
 * larger input scale) with one MultiplyByQuantizedMultiplier each (shift <= 0).
 * The kernel combines the two and rescales the result to the output.
 */
typedef struct {
    int32_t input1_offset, input2_offset, output_offset;
    int32_t input1_multiplier, input2_multiplier, output_multiplier;
    int8_t input1_shift, input2_shift, output_shift;
    uint8_t left_shift;
    int32_t act_min, act_max;
} tml_rescaled_pair;

/* Input side, computed in double as TFLM: s_i / (2 * max(s_1, s_2)). */
static inline void tml_rescaled_pair_inputs(tml_rescaled_pair *p, const tml_tensor *in1, const tml_tensor *in2,
    int left_shift) {
    const double twice_max_input_scale = 2.0 * (double)(in1->scale > in2->scale ? in1->scale : in2->scale);
    int shift;
    p->input1_offset = -in1->zero_point;
    p->input2_offset = -in2->zero_point;
    p->left_shift = (uint8_t)left_shift;
    tml_quantize_multiplier((double)in1->scale / twice_max_input_scale, &p->input1_multiplier, &shift);
    p->input1_shift = (int8_t)shift;
    tml_quantize_multiplier((double)in2->scale / twice_max_input_scale, &p->input2_multiplier, &shift);
    p->input2_shift = (int8_t)shift;
}

/* ADD and SUB: 20 bits of headroom for int8, 15 for int16; the sum or
 * difference is rescaled by twice_max / (2^left_shift * out_scale), which
 * must be below 1 (TFLM's QuantizeMultiplierSmallerThanOneExp aborts
 * otherwise); the fused activation clamps. */
static inline tml_status tml_rescaled_pair_prepare_add_sub(tml_model *m, tml_rescaled_pair *p, const tml_tensor *in1,
    const tml_tensor *in2, const tml_tensor *out, int activation) {
    const int left_shift = in1->type == TML_INT16 ? 15 : 20;
    const double twice_max_input_scale = 2.0 * (double)(in1->scale > in2->scale ? in1->scale : in2->scale);
    const double real_output_multiplier = twice_max_input_scale / ((double)(1 << left_shift) * (double)out->scale);
    if (!(real_output_multiplier < 1.0)) {
        return tml_fail(m, TML_ERR_UNSUPPORTED,
            "output scale %f is too small for input scales %f and %f (ratio above 2^%d)", (double)out->scale,
            (double)in1->scale, (double)in2->scale, left_shift - 1);
    }
    tml_rescaled_pair_inputs(p, in1, in2, left_shift);
    int shift;
    tml_quantize_multiplier(real_output_multiplier, &p->output_multiplier, &shift);
    p->output_shift = (int8_t)shift;
    p->output_offset = out->zero_point;
    int32_t lo, hi;
    tml_int_type_range(out->type, &lo, &hi);
    tml_activation_range_quantized(activation, out->scale, out->zero_point, lo, hi, &p->act_min, &p->act_max);
    return TML_OK;
}

/* Both inputs on the common scale: out1 and out2. */
static TML_HOT_INLINE void tml_rescaled_pair_apply(const tml_rescaled_pair *p, int32_t x1, int32_t x2, int32_t *out1,
    int32_t *out2) {
    const int32_t shifted1 = (p->input1_offset + x1) * ((int32_t)1 << p->left_shift);
    const int32_t shifted2 = (p->input2_offset + x2) * ((int32_t)1 << p->left_shift);
    *out1 = tml_mbqm(shifted1, p->input1_multiplier, p->input1_shift);
    *out2 = tml_mbqm(shifted2, p->input2_multiplier, p->input2_shift);
}

/* ADD (subtract = false) or SUB of two stored values, requantized and clamped. */
static TML_HOT_INLINE int32_t tml_rescaled_pair_add_sub(const tml_rescaled_pair *p, int32_t x1, int32_t x2, bool subtract) {
    int32_t a, b;
    tml_rescaled_pair_apply(p, x1, x2, &a, &b);
    const int32_t raw = tml_mbqm(subtract ? a - b : a + b, p->output_multiplier, p->output_shift) + p->output_offset;
    return tml_clamp_i32(raw, p->act_min, p->act_max);
}

/*
 * The quantized ADD / SUB loops (int8 and int16). Without broadcasting (both
 * inputs have the output's element count: the residual ADDs of a ResNet) the
 * loop walks the three arrays linearly, with the parameters copied into
 * locals: the int8/int16 stores may alias `p` as far as C knows, so reading
 * through `p` would reload every field for every element. The arithmetic is
 * the same call either way; only the index bookkeeping differs.
 */
#define TML_ADD_SUB_LOOP(T, p, a, b, y, n, same_shape, subtract)                                  \
    do {                                                                                         \
        const tml_rescaled_pair q_ = (p)->q;                                                     \
        if (same_shape) {                                                                        \
            for (int32_t i_ = 0; i_ < (n); i_++) {                                               \
                (y)[i_] = (T)tml_rescaled_pair_add_sub(&q_, (a)[i_], (b)[i_], (subtract));       \
            }                                                                                    \
        } else {                                                                                 \
            tml_bcast_iter it_;                                                                  \
            tml_bcast_begin(&it_);                                                               \
            for (; it_.out < (n); tml_bcast_next(&(p)->bcast, &it_)) {                           \
                (y)[it_.out] = (T)tml_rescaled_pair_add_sub(&q_, (a)[it_.in1], (b)[it_.in2], (subtract)); \
            }                                                                                    \
        }                                                                                        \
    } while (0)

/* Range of a fused activation on an unquantized int32 output (TFLM
 * CalculateActivationRange<int32_t>). */
static inline void tml_activation_range_int32(int activation, int32_t *lo, int32_t *hi) {
    *lo = activation == TML_ACT_RELU || activation == TML_ACT_RELU6 ? 0
          : activation == TML_ACT_RELU_N1_TO_1                       ? -1
                                                                     : INT32_MIN;
    *hi = activation == TML_ACT_RELU6 ? 6 : activation == TML_ACT_RELU_N1_TO_1 ? 1 : INT32_MAX;
}

/*
 * MAXIMUM and MINIMUM (TFLM reference_ops::MaximumMinimumBroadcastSlow):
 * the larger (smaller) of the two raw values, for float32, int8, int16 and
 * int32. There is no requantization: TFLM assumes the inputs and the output
 * share scale and zero point and compares the stored values. For float32 the
 * comparison is TFLM's `a > b ? a : b` (`a < b ? a : b`), so a NaN in the
 * first input yields the second input.
 */
static inline tml_status tml_extremum_prepare(tml_model *m, tml_node *node) {
    tml_bcast *b = (tml_bcast *)node->params;
    tml_tensor *in1 = tml_node_input(m, node, 0);
    tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 2 || node->num_outputs != 1 || in1 == NULL || in2 == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 2 inputs and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in1->type != TML_FLOAT32 && in1->type != TML_INT8 && in1->type != TML_INT16 && in1->type != TML_INT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32, int8, int16, int32 are)",
            tml_dtype_name(in1->type));
    }
    if (in2->type != in1->type || out->type != in1->type) {
        return tml_fail(m, TML_ERR_MODEL, "inputs and output must have one type, have %s, %s and %s",
            tml_dtype_name(in1->type), tml_dtype_name(in2->type), tml_dtype_name(out->type));
    }
    return tml_bcast_prepare(m, b, in1, in2, out);
}

#define TML_EXTREMUM_LOOP(T, take_max)                                                       \
    do {                                                                                     \
        const T *a_ = (const T *)in1->data, *b_ = (const T *)in2->data;                     \
        T *y_ = (T *)out->data;                                                              \
        for (; it.out < n; tml_bcast_next(b, &it)) {                                         \
            const T x1_ = a_[it.in1], x2_ = b_[it.in2];                                      \
            y_[it.out] = (take_max) ? (x1_ > x2_ ? x1_ : x2_) : (x1_ < x2_ ? x1_ : x2_);     \
        }                                                                                    \
    } while (0)

static inline tml_status tml_extremum_eval(tml_model *m, tml_node *node, bool take_max) {
    const tml_bcast *b = (const tml_bcast *)node->params;
    const tml_tensor *in1 = tml_node_input(m, node, 0);
    const tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t n = tml_numel(out);
    tml_bcast_iter it;
    tml_bcast_begin(&it);
    switch (in1->type) {
    case TML_FLOAT32:
        TML_EXTREMUM_LOOP(float, take_max);
        break;
    case TML_INT8:
        TML_EXTREMUM_LOOP(int8_t, take_max);
        break;
    case TML_INT16:
        TML_EXTREMUM_LOOP(int16_t, take_max);
        break;
    default:
        TML_EXTREMUM_LOOP(int32_t, take_max);
        break;
    }
    return TML_OK;
}

#undef TML_EXTREMUM_LOOP

/* ---- ADD and SUB ---------------------------------------------------------- */

typedef struct {
    tml_bcast bcast;
    tml_rescaled_pair q;  /* int8 / int16; act_min/act_max also for int32 SUB */
    float act_min_f, act_max_f;
} tml_add_sub_params;

/* AddOptions / SubOptions: field 0 is fused_activation_function. */
enum { TML_ADD_SUB_OPT_ACTIVATION = 0 };

/* ADD's and SUB's prepare. TFLM clamps an int32 SUB to its fused activation
 * but applies none to an int32 ADD: `int32_activation` says which. */
static inline tml_status tml_add_sub_prepare(tml_model *m, tml_node *node, bool int32_activation) {
    tml_add_sub_params *p = (tml_add_sub_params *)node->params;
    tml_tensor *in1 = tml_node_input(m, node, 0);
    tml_tensor *in2 = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (node->num_inputs != 2 || node->num_outputs != 1 || in1 == NULL || in2 == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 2 inputs and 1 output, has %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (in1->type != TML_FLOAT32 && in1->type != TML_INT8 && in1->type != TML_INT16 && in1->type != TML_INT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (float32, int8, int16, int32 are)",
            tml_dtype_name(in1->type));
    }
    tml_status status = tml_binary_check_types(m, in1, in2, out);
    if (status == TML_OK) {
        status = tml_bcast_prepare(m, &p->bcast, in1, in2, out);
    }
    if (status != TML_OK) {
        return status;
    }

    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    int activation = tml_fb_i8(&fb, &opt, TML_ADD_SUB_OPT_ACTIVATION, TML_ACT_NONE);
    if (activation > TML_ACT_RELU6) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "fused activation %d not supported (NONE, RELU, RELU_N1_TO_1, RELU6 are)",
            activation);
    }
    if (in1->type == TML_FLOAT32) {
        tml_activation_range_float(activation, &p->act_min_f, &p->act_max_f);
        return TML_OK;
    }
    if (in1->type == TML_INT32) {
        if (int32_activation) {
            tml_activation_range_int32(activation, &p->q.act_min, &p->q.act_max);
        }
        return TML_OK;
    }

    return tml_rescaled_pair_prepare_add_sub(m, &p->q, in1, in2, out, activation);
}

#endif /* TML_OPS_BROADCAST_H */
