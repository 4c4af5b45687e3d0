/*
 * MEAN, SUM and REDUCE_MAX over the axes in input 1 (TFLM reduce.cc,
 * reference_ops::ReduceGeneric / Mean / QuantizedMeanOrSum).
 *
 * Each output element accumulates its inputs in row-major input order, as
 * TFLM does, so float sums round identically.
 *   float32: MEAN = sum / (float)N; SUM = sum from 0.0f; REDUCE_MAX from
 *            -FLT_MAX with (x > acc ? x : acc).
 *   int8 / int16 MEAN and SUM: int32 sum; out = MBQM(sum - in_zp * N, m, s)
 *            + out_zp, clamped, with (m, s) = QuantizeMultiplier(in_s / out_s);
 *            MEAN folds 1/N into it: k = min(floor(log2 N), 32, 31 + s),
 *            m' = (m << k) / N, s' = s - k (bit-exact.md, "MEAN").
 *   int8 REDUCE_MAX: input and output share quantization; max of raw values.
 * Axes may be negative and repeated; an empty axis list makes MEAN and SUM a
 * copy, as in TFLM. TFLM reads the axes when it runs, and so does eval here
 * (they are checked at prepare when constant).
 */
#include "shape_util.h"
#include "tml_quant.h"

enum { OPT_KEEP_DIMS = 0 }; /* ReducerOptions */
enum { REDUCE_MEAN, REDUCE_SUM, REDUCE_MAX };

typedef struct {
    int32_t multiplier; /* QuantizeMultiplier(in_scale / out_scale), before 1/N */
    int32_t shift;
    uint8_t kind;       /* REDUCE_* */
} reduce_params;

static int reduce_kind(const tml_node *node) {
    switch (node->kernel->builtin) {
        case 40:
            return REDUCE_MEAN;
        case 74:
            return REDUCE_SUM;
        default:
            return REDUCE_MAX;
    }
}

/* Marks the reduced input dimensions; false if an axis is out of range. */
static bool reduced_dims(const tml_tensor *in, const tml_tensor *axis, bool *reduced, int *num_reduced) {
    const int32_t n = tml_numel(axis);
    *num_reduced = 0;
    for (int d = 0; d < in->ndim; d++) {
        reduced[d] = false;
    }
    for (int32_t i = 0; i < n; i++) {
        int32_t d;
        if (!tml_resolve_axis(((const int32_t *)axis->data)[i], in->ndim, &d)) {
            return false;
        }
        if (!reduced[d]) {
            reduced[d] = true;
            (*num_reduced)++;
        }
    }
    return true;
}

static tml_status reduce_prepare(tml_model *m, tml_node *node) {
    reduce_params *p = (reduce_params *)node->params;
    p->kind = (uint8_t)reduce_kind(node);
    tml_status st = tml_check_arity(m, node, 2, 2, 1);
    if (st != TML_OK) {
        return st;
    }
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *axis = tml_node_input(m, node, 1);
    const tml_tensor *out = tml_node_output(m, node, 0);
    const uint32_t types = TML_TYPE_BIT(TML_FLOAT32) | TML_TYPE_BIT(TML_INT8) |
        (p->kind == REDUCE_MAX ? 0 : TML_TYPE_BIT(TML_INT16));
    if ((st = tml_check_type(m, "input", in->type, types)) != TML_OK ||
        (st = tml_check_type(m, "axis", axis->type, TML_TYPE_BIT(TML_INT32))) != TML_OK) {
        return st;
    }
    if (out->type != in->type) {
        return tml_fail(m, TML_ERR_MODEL, "output type %s differs from input type %s", tml_dtype_name(out->type),
            tml_dtype_name(in->type));
    }
    if (axis->ndim > 1) {
        return tml_fail(m, TML_ERR_MODEL, "axis must be a scalar or a vector");
    }
    if (axis->kind == TML_TENSOR_CONSTANT) {
        bool reduced[TML_MAX_DIMS];
        int num_reduced;
        if (!reduced_dims(in, axis, reduced, &num_reduced)) {
            return tml_fail(m, TML_ERR_MODEL, "an axis is out of range for rank %d", in->ndim);
        }
        tml_fb fb = tml_model_fb(m);
        tml_fb_table opt = tml_node_options(m, node);
        const bool keep_dims = tml_fb_bool(&fb, &opt, OPT_KEEP_DIMS, false);
        int od = 0;
        bool shape_ok = true;
        for (int d = 0; d < in->ndim && shape_ok; d++) {
            if (reduced[d] && !keep_dims) {
                continue;
            }
            shape_ok = od < out->ndim && out->dims[od] == (reduced[d] ? 1 : in->dims[d]);
            od++;
        }
        if (!shape_ok || od != out->ndim) {
            return tml_fail(m, TML_ERR_MODEL, "output shape does not match the reduced input shape (keep_dims %s)",
                keep_dims ? "true" : "false");
        }
    } else if (tml_numel(out) > tml_numel(in) && tml_numel(in) > 0) {
        return tml_fail(m, TML_ERR_MODEL, "output has more elements than the input");
    }
    if (in->type == TML_FLOAT32) {
        return TML_OK;
    }
    if (p->kind == REDUCE_MAX) {
        if (!tml_same_quantization(in, out)) {
            return tml_fail(m, TML_ERR_UNSUPPORTED, "input and output must have the same scale and zero point");
        }
        return TML_OK;
    }
    if (!(in->scale > 0.0f && out->scale > 0.0f)) {
        return tml_fail(m, TML_ERR_MODEL, "input and output need positive scales");
    }
    int shift;
    tml_quantize_multiplier((double)in->scale / (double)out->scale, &p->multiplier, &shift);
    p->shift = shift;
    node->scratch_bytes = (uint32_t)tml_numel(out) * 4u; /* int32 sums */
    return TML_OK;
}

/* floor(log2(n)) for n >= 1: 63 - clz64(n). */
static int floor_log2(int64_t n) {
    int k = 0;
    while (n > 1) {
        n >>= 1;
        k++;
    }
    return k;
}

static tml_status reduce_eval(tml_model *m, tml_node *node) {
    const reduce_params *p = (const reduce_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    const tml_tensor *axis = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    bool reduced[TML_MAX_DIMS];
    int num_reduced;
    if (!reduced_dims(in, axis, reduced, &num_reduced)) {
        return tml_fail(m, TML_ERR_RUNTIME, "an axis is out of range for rank %d", in->ndim);
    }
    const int32_t num_out = tml_numel(out);
    const bool quantized_sum = in->type != TML_FLOAT32 && p->kind != REDUCE_MAX;
    if (tml_numel(axis) == 0 && p->kind != REDUCE_MAX && (quantized_sum || p->kind == REDUCE_MEAN)) {
        memmove(out->data, in->data, out->bytes); /* TFLM ReduceIsCopy */
        return TML_OK;
    }
    /* Output offset of each input dimension: 0 along reduced ones. */
    int32_t out_stride[TML_MAX_DIMS];
    int32_t stride = 1, count = 1;
    for (int d = in->ndim - 1; d >= 0; d--) {
        out_stride[d] = reduced[d] ? 0 : stride;
        stride *= reduced[d] ? 1 : in->dims[d];
        count *= reduced[d] ? in->dims[d] : 1;
    }
    int32_t *sums = (int32_t *)node->scratch;
    for (int32_t i = 0; i < num_out; i++) {
        if (in->type == TML_FLOAT32) {
            ((float *)out->data)[i] = p->kind == REDUCE_MAX ? -3.4028234663852886e38f : 0.0f;
        } else if (p->kind == REDUCE_MAX) {
            ((int8_t *)out->data)[i] = INT8_MIN;
        } else {
            sums[i] = 0;
            if (in->type == TML_INT8) {
                ((int8_t *)out->data)[i] = 0;
            } else {
                ((int16_t *)out->data)[i] = 0;
            }
        }
    }
    const int32_t num_in = tml_numel(in);
    if (num_in == 0) {
        return TML_OK; /* TFLM returns before reducing; outputs keep their initial values */
    }
    int32_t idx[TML_MAX_DIMS] = {0};
    int32_t o = 0;
    for (int32_t i = 0; i < num_in; i++) {
        if (in->type == TML_FLOAT32) {
            const float v = ((const float *)in->data)[i];
            float *acc = &((float *)out->data)[o];
            *acc = p->kind == REDUCE_MAX ? (v > *acc ? v : *acc) : *acc + v;
        } else if (p->kind == REDUCE_MAX) {
            const int8_t v = ((const int8_t *)in->data)[i];
            int8_t *acc = &((int8_t *)out->data)[o];
            *acc = v > *acc ? v : *acc;
        } else {
            sums[o] += in->type == TML_INT8 ? ((const int8_t *)in->data)[i] : ((const int16_t *)in->data)[i];
        }
        for (int d = in->ndim - 1; d >= 0; d--) {
            o += out_stride[d];
            if (++idx[d] < in->dims[d]) {
                break;
            }
            o -= out_stride[d] * in->dims[d];
            idx[d] = 0;
        }
    }
    if (in->type == TML_FLOAT32) {
        if (p->kind == REDUCE_MEAN) {
            for (int32_t i = 0; i < num_out; i++) {
                ((float *)out->data)[i] = ((float *)out->data)[i] / (float)count;
            }
        }
        return TML_OK;
    }
    if (!quantized_sum) {
        return TML_OK;
    }
    int32_t multiplier = p->multiplier;
    int shift = p->shift;
    if (p->kind == REDUCE_MEAN) {
        int k = floor_log2(count);
        k = k < 32 ? k : 32;
        k = k < 31 + shift ? k : 31 + shift;
        multiplier = (int32_t)(((int64_t)multiplier << k) / count);
        shift -= k;
    }
    const int32_t lo = in->type == TML_INT8 ? INT8_MIN : INT16_MIN;
    const int32_t hi = in->type == TML_INT8 ? INT8_MAX : INT16_MAX;
    const int32_t zero_sum = in->zero_point * count;
    for (int32_t i = 0; i < num_out; i++) {
        const int32_t v = tml_clamp_i32(tml_mbqm(sums[i] - zero_sum, multiplier, shift) + out->zero_point, lo, hi);
        if (in->type == TML_INT8) {
            ((int8_t *)out->data)[i] = (int8_t)v;
        } else {
            ((int16_t *)out->data)[i] = (int16_t)v;
        }
    }
    return TML_OK;
}

const tml_kernel tml_kernel_MEAN = {
    .name = "MEAN",
    .builtin = 40,
    .max_version = 3, /* v2 int8, v3 int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(reduce_params),
    .prepare = reduce_prepare,
    .eval = reduce_eval,
};

const tml_kernel tml_kernel_SUM = {
    .name = "SUM",
    .builtin = 74,
    .max_version = 2, /* v2 int8 */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(reduce_params),
    .prepare = reduce_prepare,
    .eval = reduce_eval,
};

const tml_kernel tml_kernel_REDUCE_MAX = {
    .name = "REDUCE_MAX",
    .builtin = 82,
    .max_version = 2, /* v2 int8 */
    .types = TML_TYPES_FLOAT_INT8,
    .params_size = sizeof(reduce_params),
    .prepare = reduce_prepare,
    .eval = reduce_eval,
};
