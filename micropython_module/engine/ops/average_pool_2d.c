/*
 * AVERAGE_POOL_2D (TFLM reference_ops / reference_integer_ops AveragePool).
 *
 * NHWC input and output. Each output is the mean of the filter window's taps
 * that lie inside the image (padding taps are not counted). Quantized types
 * keep the input's scale and zero point, so the integer mean needs no
 * requantization: the sum is divided by the tap count, rounding half away
 * from zero.
 */
#include "pool_2d.h"

static tml_status average_pool_eval(tml_model *m, tml_node *node) {
    const tml_pool_2d_params *p = (const tml_pool_2d_params *)node->params;
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    const int32_t batches = in->dims[0], in_h = in->dims[1], in_w = in->dims[2], depth = in->dims[3];
    const int32_t out_h = out->dims[1], out_w = out->dims[2];
    int32_t o = 0; /* output index: NHWC order is the loop order */
    for (int32_t b = 0; b < batches; b++) {
        for (int32_t oy = 0; oy < out_h; oy++) {
            const int32_t in_y0 = oy * p->stride_h - p->pad_h;
            const int32_t fy_start = tml_max_i32(0, -in_y0);
            const int32_t fy_end = tml_min_i32(p->filter_h, in_h - in_y0);
            for (int32_t ox = 0; ox < out_w; ox++) {
                const int32_t in_x0 = ox * p->stride_w - p->pad_w;
                const int32_t fx_start = tml_max_i32(0, -in_x0);
                const int32_t fx_end = tml_min_i32(p->filter_w, in_w - in_x0);
                const int32_t count = (fy_end - fy_start) * (fx_end - fx_start);
                if (count <= 0) {
                    return tml_fail(m, TML_ERR_RUNTIME, "filter window at output (%d,%d) holds no input", oy, ox);
                }
                for (int32_t c = 0; c < depth; c++, o++) {
                    if (in->type == TML_FLOAT32) {
                        const float *x = (const float *)in->data;
                        float total = 0.0f;
                        for (int32_t fy = fy_start; fy < fy_end; fy++) {
                            for (int32_t fx = fx_start; fx < fx_end; fx++) {
                                total += x[((b * in_h + in_y0 + fy) * in_w + in_x0 + fx) * depth + c];
                            }
                        }
                        /* TFLM divides by the count held in a float. */
                        ((float *)out->data)[o] = tml_clamp_f32(total / (float)count, p->act_min_f, p->act_max_f);
                        continue;
                    }
                    int32_t acc = 0;
                    for (int32_t fy = fy_start; fy < fy_end; fy++) {
                        for (int32_t fx = fx_start; fx < fx_end; fx++) {
                            int32_t i = ((b * in_h + in_y0 + fy) * in_w + in_x0 + fx) * depth + c;
                            acc += in->type == TML_INT8 ? ((const int8_t *)in->data)[i] : ((const int16_t *)in->data)[i];
                        }
                    }
                    acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
                    acc = tml_clamp_i32(acc, p->act_min, p->act_max);
                    if (in->type == TML_INT8) {
                        ((int8_t *)out->data)[o] = (int8_t)acc;
                    } else {
                        ((int16_t *)out->data)[o] = (int16_t)acc;
                    }
                }
            }
        }
    }
    return TML_OK;
}

const tml_kernel tml_kernel_AVERAGE_POOL_2D = {
    .name = "AVERAGE_POOL_2D",
    .builtin = 1,
    .max_version = 3, /* v2: int8, v3: int16 */
    .types = TML_TYPES_FLOAT_INT8_INT16,
    .per_channel_bytes = 0,
    .params_size = sizeof(tml_pool_2d_params),
    .prepare = tml_pool_2d_prepare,
    .eval = average_pool_eval,
};
