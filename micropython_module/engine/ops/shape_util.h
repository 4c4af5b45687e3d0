/*
 * Shared helpers for the shape, data-movement, reduction and selection
 * kernels: constant index inputs, axes, element types, and one general
 * N-dimensional block copy.
 *
 * Most data-movement operators are the same loop seen from different angles:
 * SLICE, STRIDED_SLICE, TRANSPOSE, PAD, CONCATENATION, SPLIT, PACK, UNPACK,
 * DEPTH_TO_SPACE and SPACE_TO_DEPTH each describe their work as a block of
 * up to TML_MAX_DIMS dimensions read through one set of strides and written
 * through another (tml_block), and tml_block_copy moves it. Copies are exact
 * (bytes), so these operators are bit-exact with TFLM by construction; what
 * each kernel must get right is its geometry.
 */
#ifndef TML_SHAPE_UTIL_H
#define TML_SHAPE_UTIL_H

#include <string.h>

#include "tml_kernel.h"

/* Checks the operand counts (min_inputs..max_inputs inputs, all present
 * except optional ones past min_inputs; exactly num_outputs outputs). */
static inline tml_status tml_check_arity(tml_model *m, const tml_node *node, int min_inputs, int max_inputs,
    int num_outputs) {
    bool ok = node->num_inputs >= min_inputs && node->num_inputs <= max_inputs && node->num_outputs == num_outputs;
    for (int i = 0; ok && i < min_inputs; i++) {
        ok = tml_node_input(m, node, i) != NULL;
    }
    for (int i = 0; ok && i < num_outputs; i++) {
        ok = tml_node_output(m, node, i) != NULL;
    }
    if (!ok) {
        if (min_inputs == max_inputs) {
            return tml_fail(m, TML_ERR_MODEL, "needs %d inputs and %d outputs, has %d and %d", min_inputs, num_outputs,
                node->num_inputs, node->num_outputs);
        }
        return tml_fail(m, TML_ERR_MODEL, "needs %d to %d inputs and %d outputs, has %d and %d", min_inputs,
            max_inputs, num_outputs, node->num_inputs, node->num_outputs);
    }
    return TML_OK;
}

/* The values of a constant int32 or int64 index tensor (begin, size, perm,
 * paddings, axis, ...), at most `max_count` of them. TFLM reads these at
 * prepare time and refuses tensors that are not constant, and so do we. */
static inline tml_status tml_const_ints(tml_model *m, const tml_tensor *t, const char *what, int32_t *values,
    int32_t max_count, int32_t *count) {
    *count = 0;
    if (t->kind != TML_TENSOR_CONSTANT) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "the %s input must be a constant tensor", what);
    }
    if (t->type != TML_INT32 && t->type != TML_INT64) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "%s type %s not supported (int32, int64 are)", what,
            tml_dtype_name(t->type));
    }
    int32_t n = tml_numel(t);
    if (n > max_count) {
        return tml_fail(m, TML_ERR_UNSUPPORTED, "%s has %d values, at most %d are supported", what, n, max_count);
    }
    for (int32_t i = 0; i < n; i++) {
        if (t->type == TML_INT32) {
            values[i] = ((const int32_t *)t->data)[i];
        } else {
            int64_t v = ((const int64_t *)t->data)[i];
            if (v < INT32_MIN || v > INT32_MAX) {
                return tml_fail(m, TML_ERR_UNSUPPORTED, "%s value %d is out of the int32 range", what, (int)i);
            }
            values[i] = (int32_t)v;
        }
    }
    *count = n;
    return TML_OK;
}

/* An axis in [-rank, rank) made non-negative; false if out of range. */
static inline bool tml_resolve_axis(int32_t axis, int rank, int32_t *resolved) {
    if (axis < -rank || axis >= rank) {
        return false;
    }
    *resolved = axis < 0 ? axis + rank : axis;
    return true;
}

/* Row-major element strides of a tensor's shape. */
static inline void tml_contiguous_strides(const int32_t *dims, int ndim, int32_t *strides) {
    int32_t s = 1;
    for (int d = ndim - 1; d >= 0; d--) {
        strides[d] = s;
        s *= dims[d];
    }
}

/* Product of dims[from..to). */
static inline int32_t tml_dims_product(const int32_t *dims, int from, int to) {
    int32_t n = 1;
    for (int d = from; d < to; d++) {
        n *= dims[d];
    }
    return n;
}

/* A block of elements: extent along each of `ndim` dimensions, and where
 * element (i0, i1, ...) lives in the source and in the destination, in
 * elements: offset + sum(i_d * stride_d). Strides may be negative. */
typedef struct {
    int32_t dims[TML_MAX_DIMS];
    int32_t src_strides[TML_MAX_DIMS];
    int32_t dst_strides[TML_MAX_DIMS];
    int32_t src_offset;
    int32_t dst_offset;
    int32_t ndim;
} tml_block;

/* Copies one element of `size` bytes (sizes 1, 2, 4, 8: the engine's types;
 * buffers are aligned for their element type). */
static inline void tml_copy_element(uint8_t *dst, const uint8_t *src, size_t size) {
    switch (size) {
        case 1:
            *dst = *src;
            break;
        case 2:
            *(uint16_t *)(void *)dst = *(const uint16_t *)(const void *)src;
            break;
        case 4:
            *(uint32_t *)(void *)dst = *(const uint32_t *)(const void *)src;
            break;
        default:
            memcpy(dst, src, size);
            break;
    }
}

/* Moves the block from src to dst (elements of elem_size bytes). Runs that
 * are contiguous on both sides (innermost stride 1) are one memcpy each. */
static inline void tml_block_copy(void *dst, const void *src, size_t elem_size, const tml_block *b) {
    int32_t idx[TML_MAX_DIMS];
    int outer = b->ndim;
    size_t run_bytes = elem_size;
    for (int d = 0; d < b->ndim; d++) {
        if (b->dims[d] <= 0) {
            return;
        }
        idx[d] = 0;
    }
    if (outer > 0 && b->src_strides[outer - 1] == 1 && b->dst_strides[outer - 1] == 1) {
        outer--;
        run_bytes = (size_t)b->dims[outer] * elem_size;
    }
    uint8_t *out = (uint8_t *)dst;
    const uint8_t *in = (const uint8_t *)src;
    int32_t s = b->src_offset, t = b->dst_offset;
    for (;;) {
        if (run_bytes == elem_size) {
            tml_copy_element(out + (size_t)t * elem_size, in + (ptrdiff_t)s * (ptrdiff_t)elem_size, elem_size);
        } else {
            memcpy(out + (size_t)t * elem_size, in + (ptrdiff_t)s * (ptrdiff_t)elem_size, run_bytes);
        }
        int d = outer - 1;
        for (; d >= 0; d--) {
            idx[d]++;
            s += b->src_strides[d];
            t += b->dst_strides[d];
            if (idx[d] < b->dims[d]) {
                break;
            }
            s -= b->src_strides[d] * b->dims[d];
            t -= b->dst_strides[d] * b->dims[d];
            idx[d] = 0;
        }
        if (d < 0) {
            return;
        }
    }
}

/* Copies `outer` chunks of `src_chunk` elements from a contiguous source into
 * a destination whose chunks are `dst_chunk` elements apart, starting at
 * element `dst_offset` (or the reverse, with `gather` set). This is
 * CONCATENATION / PACK (scatter into the output) and SPLIT / UNPACK (gather
 * from the input) along one axis. */
static inline void tml_axis_chunks(void *whole, void *part, size_t elem_size, int32_t outer, int32_t part_chunk,
    int32_t whole_chunk, int32_t whole_offset, bool to_whole) {
    tml_block b;
    b.ndim = 2;
    b.dims[0] = outer;
    b.dims[1] = part_chunk;
    if (to_whole) {
        b.src_strides[0] = part_chunk;
        b.src_strides[1] = 1;
        b.src_offset = 0;
        b.dst_strides[0] = whole_chunk;
        b.dst_strides[1] = 1;
        b.dst_offset = whole_offset;
        tml_block_copy(whole, part, elem_size, &b);
    } else {
        b.src_strides[0] = whole_chunk;
        b.src_strides[1] = 1;
        b.src_offset = whole_offset;
        b.dst_strides[0] = part_chunk;
        b.dst_strides[1] = 1;
        b.dst_offset = 0;
        tml_block_copy(part, whole, elem_size, &b);
    }
}

/* Do the two tensors hold the same quantization (TFLM compares the float
 * scales as doubles and the zero points)? Unquantized tensors match. */
static inline bool tml_same_quantization(const tml_tensor *a, const tml_tensor *b) {
    return a->scale == b->scale && a->zero_point == b->zero_point;
}

/* Eval of a view operator (SQUEEZE, EXPAND_DIMS): output 0 holds input 0's
 * bytes. The planner usually gives both one buffer, and then there is
 * nothing to do. */
static inline tml_status tml_view_eval(tml_model *m, tml_node *node) {
    const tml_tensor *in = tml_node_input(m, node, 0);
    tml_tensor *out = tml_node_output(m, node, 0);
    if (out->data != in->data) {
        memmove(out->data, in->data, in->bytes);
    }
    return TML_OK;
}

#endif /* TML_SHAPE_UTIL_H */
