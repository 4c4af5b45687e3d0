/*
 * BATCH_MATMUL: output[..., i, j] = sum over k of lhs[..., i, k] * rhs[..., k, j]
 * for int8, int16 and float32, as TFLM's reference kernels compute it
 * (reference/batch_matmul.h). adj_x / adj_y read lhs / rhs transposed in
 * their last two dimensions; the batch dimensions (up to 3, ranks 2 to 5)
 * broadcast as numpy's.
 *
 * TFLM transposes the operands into scratch buffers first; reading them
 * through strides instead gives the same sums: the float sum still runs over
 * k in ascending order from 0.0f, and integer sums do not depend on order.
 * int8: sum (lhs - zp_lhs) * (rhs - zp_rhs) in int32, one
 * MultiplyByQuantizedMultiplier with lhs_s * rhs_s / out_s (double), + the
 * output zero point, clamped to int8 (no fused activation).
 * int16: zero points 0, the sum in int64 and TFLM's int64 (single rounding)
 * MultiplyByQuantizedMultiplier, clamped to int16.
 */
#include "conv_util.h"

enum { OPT_ADJ_X = 0, OPT_ADJ_Y = 1 }; /* BatchMatMulOptions fields */

#define MAX_BATCH_DIMS 3

typedef struct {
    /* batch dimensions, aligned at the end (1 where a rank is shorter) */
    int32_t out_batch[MAX_BATCH_DIMS];
    int32_t lhs_batch_stride[MAX_BATCH_DIMS]; /* 0 along broadcast dimensions */
    int32_t rhs_batch_stride[MAX_BATCH_DIMS];
    int32_t rows, cols, depth;           /* M, N, K */
    int32_t lhs_row_step, lhs_depth_step; /* element steps within one lhs matrix */
    int32_t rhs_depth_step, rhs_col_step;
    int32_t lhs_offset, rhs_offset, output_offset; /* int8: minus zero points; the output's */
    int32_t multiplier;
    int8_t shift;
    uint8_t reserved[3];
} bmm_params;

/* Dimension i of t counting batch dimensions from the end: i = 0 is the one
 * just before the matrix; 1 past the tensor's rank. */
static int32_t batch_dim(const tml_tensor *t, int i) {
    int d = t->ndim - 3 - i;
    return d >= 0 ? t->dims[d] : 1;
}

static tml_status bmm_prepare(tml_model *m, tml_node *node) {
    bmm_params *p = (bmm_params *)node->params;
    const tml_tensor *lhs = tml_node_input(m, node, 0);
    const tml_tensor *rhs = tml_node_input(m, node, 1);
    const tml_tensor *out = tml_node_output(m, node, 0);
    char a[48], b[48], c[48];
    if (node->num_inputs != 2 || node->num_outputs != 1 || lhs == NULL || rhs == NULL || out == NULL) {
        return tml_fail(m, TML_ERR_MODEL, "needs 2 inputs and 1 output, got %d and %d", node->num_inputs,
            node->num_outputs);
    }
    if (lhs->type != TML_INT8 && lhs->type != TML_INT16 && lhs->type != TML_FLOAT32) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "input type %s not supported (int8, int16 or float32)",
            tml_dtype_name(lhs->type));
    }
    if (rhs->type != lhs->type || out->type != lhs->type) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "lhs, rhs and output types must match, got %s, %s and %s",
            tml_dtype_name(lhs->type), tml_dtype_name(rhs->type), tml_dtype_name(out->type));
    }
    if (lhs->ndim < 2 || rhs->ndim < 2 || lhs->ndim > 5 || rhs->ndim > 5) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "lhs %s and rhs %s must have 2 to 5 dimensions",
            tml_shape_str(lhs, a, sizeof a), tml_shape_str(rhs, b, sizeof b));
    }
    tml_fb fb = tml_model_fb(m);
    tml_fb_table opt = tml_node_options(m, node);
    const bool adj_x = tml_fb_bool(&fb, &opt, OPT_ADJ_X, false);
    const bool adj_y = tml_fb_bool(&fb, &opt, OPT_ADJ_Y, false);

    const int32_t l0 = lhs->dims[lhs->ndim - 2], l1 = lhs->dims[lhs->ndim - 1];
    const int32_t r0 = rhs->dims[rhs->ndim - 2], r1 = rhs->dims[rhs->ndim - 1];
    p->rows = adj_x ? l1 : l0;
    p->depth = adj_x ? l0 : l1;
    p->cols = adj_y ? r0 : r1;
    if ((adj_y ? r1 : r0) != p->depth) {
        return tml_fail(m, TML_ERR_MODEL, "lhs %s%s and rhs %s%s do not share an inner dimension",
            tml_shape_str(lhs, a, sizeof a), adj_x ? " (adjoint)" : "", tml_shape_str(rhs, b, sizeof b),
            adj_y ? " (adjoint)" : "");
    }
    p->lhs_row_step = adj_x ? 1 : l1;
    p->lhs_depth_step = adj_x ? l1 : 1;
    p->rhs_depth_step = adj_y ? 1 : r1;
    p->rhs_col_step = adj_y ? r1 : 1;

    /* The output: broadcast batch dimensions, then [rows, cols]. */
    const int out_rank = lhs->ndim > rhs->ndim ? lhs->ndim : rhs->ndim;
    bool ok = out->ndim == out_rank && out->dims[out_rank - 2] == p->rows && out->dims[out_rank - 1] == p->cols;
    int32_t lhs_stride = l0 * l1, rhs_stride = r0 * r1;
    for (int i = 0; i < MAX_BATCH_DIMS; i++) {
        const int32_t dl = batch_dim(lhs, i), dr = batch_dim(rhs, i);
        if (dl != dr && dl != 1 && dr != 1) {
            return tml_fail(m, TML_ERR_MODEL, "batch dimensions of lhs %s and rhs %s do not broadcast",
                tml_shape_str(lhs, a, sizeof a), tml_shape_str(rhs, b, sizeof b));
        }
        const int32_t d = dl > dr ? dl : dr;
        ok = ok && batch_dim(out, i) == d;
        p->out_batch[i] = d;
        p->lhs_batch_stride[i] = dl == 1 ? 0 : lhs_stride;
        p->rhs_batch_stride[i] = dr == 1 ? 0 : rhs_stride;
        lhs_stride *= dl;
        rhs_stride *= dr;
    }
    if (!ok) {
        return tml_fail(m, TML_ERR_MODEL, "output %s is not the product of lhs %s and rhs %s",
            tml_shape_str(out, a, sizeof a), tml_shape_str(lhs, b, sizeof b), tml_shape_str(rhs, c, sizeof c));
    }
    if (lhs->type == TML_FLOAT32) {
        return TML_OK;
    }
    tml_status st = tml_check_activation_quant(m, lhs, "lhs");
    if (st == TML_OK) {
        st = tml_check_activation_quant(m, rhs, "rhs");
    }
    if (st == TML_OK) {
        st = tml_check_activation_quant(m, out, "output");
    }
    if (st == TML_OK) {
        double eff = (double)lhs->scale * (double)rhs->scale / (double)out->scale;
        st = tml_quantize_scale(m, eff, &p->multiplier, &p->shift);
    }
    if (st == TML_OK && lhs->type == TML_INT16 && p->shift >= 8) { /* the int64 rescale shifts by 15 - shift */
        st = tml_fail(m, TML_ERR_UNSUPPORTED, "effective output scale too large for int16");
    }
    p->lhs_offset = -lhs->zero_point;
    p->rhs_offset = -rhs->zero_point;
    p->output_offset = out->zero_point;
    return st;
}

static void matmul_int8(const bmm_params *p, const int8_t *lhs, const int8_t *rhs, int8_t *out) {
    for (int32_t i = 0; i < p->rows; i++) {
        for (int32_t j = 0; j < p->cols; j++) {
            const int8_t *l = lhs + i * p->lhs_row_step;
            const int8_t *r = rhs + j * p->rhs_col_step;
            uint32_t acc = 0; /* int32 arithmetic, wrapping as TFLM's does (see conv_util.h) */
            for (int32_t k = 0; k < p->depth; k++) {
                acc += (uint32_t)(((int32_t)l[k * p->lhs_depth_step] + p->lhs_offset) *
                                  ((int32_t)r[k * p->rhs_depth_step] + p->rhs_offset));
            }
            *out++ = tml_requantize_int8(acc, p->multiplier, p->shift, p->output_offset, -128, 127);
        }
    }
}

static void matmul_int16(const bmm_params *p, const int16_t *lhs, const int16_t *rhs, int16_t *out) {
    for (int32_t i = 0; i < p->rows; i++) {
        for (int32_t j = 0; j < p->cols; j++) {
            const int16_t *l = lhs + i * p->lhs_row_step;
            const int16_t *r = rhs + j * p->rhs_col_step;
            int64_t acc = 0;
            for (int32_t k = 0; k < p->depth; k++) {
                acc += (int32_t)l[k * p->lhs_depth_step] * (int32_t)r[k * p->rhs_depth_step];
            }
            *out++ = tml_requantize_int16(acc, p->multiplier, p->shift, -32768, 32767);
        }
    }
}

static void matmul_float(const bmm_params *p, const float *lhs, const float *rhs, float *out) {
    for (int32_t i = 0; i < p->rows; i++) {
        for (int32_t j = 0; j < p->cols; j++) {
            const float *l = lhs + i * p->lhs_row_step;
            const float *r = rhs + j * p->rhs_col_step;
            float total = 0.0f;
            for (int32_t k = 0; k < p->depth; k++) {
                total += l[k * p->lhs_depth_step] * r[k * p->rhs_depth_step];
            }
            *out++ = total;
        }
    }
}

static tml_status bmm_eval(tml_model *m, tml_node *node) {
    const bmm_params *p = (const bmm_params *)node->params;
    const tml_tensor *lhs = tml_node_input(m, node, 0);
    const tml_tensor *rhs = tml_node_input(m, node, 1);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t matrix = p->rows * p->cols;
    int32_t index = 0;
    for (int32_t b2 = 0; b2 < p->out_batch[2]; b2++) {
        for (int32_t b1 = 0; b1 < p->out_batch[1]; b1++) {
            for (int32_t b0 = 0; b0 < p->out_batch[0]; b0++, index++) {
                const int32_t lo = b2 * p->lhs_batch_stride[2] + b1 * p->lhs_batch_stride[1] +
                                   b0 * p->lhs_batch_stride[0];
                const int32_t ro = b2 * p->rhs_batch_stride[2] + b1 * p->rhs_batch_stride[1] +
                                   b0 * p->rhs_batch_stride[0];
                if (lhs->type == TML_FLOAT32) {
                    matmul_float(p, (const float *)lhs->data + lo, (const float *)rhs->data + ro,
                        (float *)out->data + index * matrix);
                } else if (lhs->type == TML_INT16) {
                    matmul_int16(p, (const int16_t *)lhs->data + lo, (const int16_t *)rhs->data + ro,
                        (int16_t *)out->data + index * matrix);
                } else {
                    matmul_int8(p, (const int8_t *)lhs->data + lo, (const int8_t *)rhs->data + ro,
                        (int8_t *)out->data + index * matrix);
                }
            }
        }
    }
    return TML_OK;
}

/* TFLite op versions: 1 float, 2 int8, 3 int16, 4 asymmetric hybrid. */
const tml_kernel tml_kernel_BATCH_MATMUL = {
    .name = "BATCH_MATMUL",
    .builtin = 126,
    .max_version = 3,
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .params_size = sizeof(bmm_params),
    .prepare = bmm_prepare,
    .eval = bmm_eval,
};
