"""STRIDED_SLICE and SLICE: our kernels produce exactly TFLM's bytes.

STRIDED_SLICE cases cover positive and negative strides, negative and
out-of-range indices (clamped), begin_mask, end_mask, shrink_axis_mask
(including on a negative index), rank 1 to 4, and float32, int8, int16,
int32 and bool. SLICE cases cover size -1, rank 1 to 5, int64 begin/size, and
begin/size given as graph inputs (TFLM reads them when it runs). Each case
is compared with TFLM byte for byte on seeded random inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many
from support.sweep import input_seeds

INPUT_SEEDS = input_seeds(1, 2)
QUANTIZATION = {"int8": (0.05, -7), "int16": (0.001, 0)}


def assert_matches_tflm(model: bytes, input_sets: list[list[np.ndarray]] | None = None) -> None:
    """Our outputs equal TFLM's, byte for byte, on every input set."""
    input_sets = input_sets or [random_inputs(model, seed) for seed in INPUT_SEEDS]
    for s, (inputs, want) in enumerate(zip(input_sets, tflm_run_many(model, input_sets), strict=True)):
        got = tinyml_run(model, inputs)
        for g, e in zip(got, want, strict=True):
            assert g.dtype == e.dtype and g.shape == e.shape, (
                f"set {s}: {g.dtype}{g.shape} vs {e.dtype}{e.shape}"
            )
            assert g.tobytes() == e.tobytes(), f"set {s}: {np.sum(g != e)} of {g.size} elements differ"


@dataclass(frozen=True)
class StridedSlice:
    name: str
    shape: tuple[int, ...]
    begin: tuple[int, ...]
    end: tuple[int, ...]
    strides: tuple[int, ...]
    begin_mask: int = 0
    end_mask: int = 0
    shrink_axis_mask: int = 0
    dtype: str = "int8"


def numpy_slice(c: StridedSlice) -> tuple[int, ...]:
    """The output shape, from numpy's slicing (which TFLite's semantics follow)."""
    index: list[object] = []
    for d in range(len(c.shape)):
        if c.shrink_axis_mask >> d & 1:
            index.append(c.begin[d])
            continue
        start = None if c.begin_mask >> d & 1 else c.begin[d]
        stop = None if c.end_mask >> d & 1 else c.end[d]
        index.append(slice(start, stop, c.strides[d]))
    return np.empty(c.shape)[tuple(index)].shape


def build_strided(c: StridedSlice) -> bytes:
    scale, zero_point = QUANTIZATION.get(c.dtype, (None, 0))
    vectors = [
        TensorSpec((len(c.shape),), "int32", data=np.array(v, np.int32)) for v in (c.begin, c.end, c.strides)
    ]
    return single_op_model(
        "STRIDED_SLICE",
        [TensorSpec(c.shape, c.dtype, scale, zero_point), *vectors],
        [TensorSpec(numpy_slice(c), c.dtype, scale, zero_point)],
        {"begin_mask": c.begin_mask, "end_mask": c.end_mask, "shrink_axis_mask": c.shrink_axis_mask},
        version={"int8": 2, "bool": 3}.get(c.dtype, 1),
    )


STRIDED_CASES = [
    StridedSlice("int8_crop_hw", (1, 6, 6, 3), (0, 1, 2, 0), (1, 5, 6, 3), (1, 1, 1, 1)),
    StridedSlice("int8_stride_2", (1, 7, 8, 2), (0, 0, 1, 0), (1, 7, 8, 2), (1, 2, 3, 1)),
    StridedSlice("int8_negative_stride", (2, 9), (1, 8), (-3, 0), (-1, -2)),
    StridedSlice("int8_reverse_all", (10,), (0,), (0,), (-1,), begin_mask=1, end_mask=1),
    StridedSlice("int8_negative_indices", (3, 10), (-2, -7), (-1, -1), (1, 1)),
    StridedSlice("int8_out_of_range_clamped", (4, 5), (-100, 2), (100, 50), (1, 2)),
    StridedSlice("int8_masks", (4, 6, 3), (3, 2, 1), (2, 4, 0), (1, 1, 1), begin_mask=0b101, end_mask=0b100),
    StridedSlice(
        "int8_masks_negative_stride", (5, 6), (1, 4), (3, 0), (-1, -2), begin_mask=0b01, end_mask=0b10
    ),
    StridedSlice(
        "int8_shrink_last_step", (1, 49, 10), (0, -1, 0), (1, 0, 10), (1, 1, 1), shrink_axis_mask=0b010
    ),
    StridedSlice("int8_shrink_two_axes", (2, 3, 4), (1, 0, 2), (2, 3, 3), (1, 1, 1), shrink_axis_mask=0b101),
    StridedSlice("float_rank4", (2, 5, 4, 6), (1, 1, 0, 5), (2, 5, 4, 0), (1, 2, 1, -2)),
    StridedSlice("float_end_mask_negative_stride", (8,), (6,), (0,), (-3,), end_mask=1),
    StridedSlice("int16", (1, 8, 8, 4), (0, 1, 1, 1), (1, 8, 8, 4), (1, 2, 2, 2), dtype="int16"),
    StridedSlice("int32", (6, 4), (1, 0), (6, 4), (2, 1), dtype="int32"),
    StridedSlice("bool", (4, 4), (0, 3), (4, 0), (1, -1), dtype="bool"),
]


@pytest.mark.parametrize("c", STRIDED_CASES, ids=lambda c: c.name)
def test_strided_slice_matches_tflm(c: StridedSlice, host_runner: object) -> None:
    assert_matches_tflm(build_strided(c))


def test_new_axis_mask_is_refused(host_runner: object) -> None:
    c = StridedSlice("new_axis", (4,), (0,), (4,), (1,))
    model = single_op_model(
        "STRIDED_SLICE",
        [TensorSpec((4,), "float32")]
        + [TensorSpec((1,), "int32", data=np.array(v, np.int32)) for v in (c.begin, c.end, c.strides)],
        [TensorSpec((1, 4), "float32")],
        {"new_axis_mask": 1},
        version=6,
    )
    with pytest.raises(
        EngineError, match="version 6|ellipsis_mask, new_axis_mask and offset are not supported"
    ):
        tinyml_run(model, random_inputs(model, 0))


def test_non_constant_begin_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "STRIDED_SLICE",
        [TensorSpec((4,), "float32"), TensorSpec((1,), "int32")]
        + [TensorSpec((1,), "int32", data=np.array([v], np.int32)) for v in (4, 1)],
        [TensorSpec((4,), "float32")],
    )
    with pytest.raises(EngineError, match="the begin input must be a constant tensor"):
        tinyml_run(model, [np.zeros(4, np.float32), np.zeros(1, np.int32)])


# --- SLICE ---------------------------------------------------------------------------


def build_slice(
    shape: tuple[int, ...],
    begin: tuple[int, ...],
    size: tuple[int, ...],
    dtype: str = "int8",
    index_dtype: str = "int32",
    constant: bool = True,
) -> bytes:
    scale, zero_point = QUANTIZATION.get(dtype, (None, 0))
    out_shape = tuple(d - b if s == -1 else s for d, b, s in zip(shape, begin, size, strict=True))
    data = (np.array(begin), np.array(size)) if constant else (None, None)
    return single_op_model(
        "SLICE",
        [
            TensorSpec(shape, dtype, scale, zero_point),
            TensorSpec((len(shape),), index_dtype, data=data[0]),
            TensorSpec((len(shape),), index_dtype, data=data[1]),
        ],
        [TensorSpec(out_shape, dtype, scale, zero_point)],
        version=5 if len(shape) > 4 else {"int8": 2, "int16": 4}.get(dtype, 1),
    )


SLICE_CASES = [
    ("int8_crop", (1, 6, 6, 3), (0, 1, 2, 0), (1, 4, 3, 3), "int8", "int32"),
    ("int8_size_minus_one", (2, 5, 4), (1, 2, 1), (-1, -1, 2), "int8", "int32"),
    ("int8_rank1", (10,), (3,), (5,), "int8", "int32"),
    ("int8_rank5", (2, 3, 2, 4, 3), (1, 0, 1, 1, 0), (1, 2, 1, 3, -1), "int8", "int32"),
    ("float_int64_indices", (3, 4, 5), (0, 1, 2), (3, 2, 3), "float32", "int64"),
    ("int16", (4, 8), (1, 0), (2, 8), "int16", "int32"),
    ("int32", (5, 5), (2, 2), (3, 3), "int32", "int32"),
    ("bool", (4, 3), (1, 1), (2, 2), "bool", "int32"),
]


@pytest.mark.parametrize(
    ("shape", "begin", "size", "dtype", "index_dtype"),
    [c[1:] for c in SLICE_CASES],
    ids=[c[0] for c in SLICE_CASES],
)
def test_slice_matches_tflm(
    shape: tuple[int, ...],
    begin: tuple[int, ...],
    size: tuple[int, ...],
    dtype: str,
    index_dtype: str,
    host_runner: object,
) -> None:
    assert_matches_tflm(build_slice(shape, begin, size, dtype, index_dtype))


def test_slice_with_begin_and_size_as_graph_inputs_matches_tflm(host_runner: object) -> None:
    model = build_slice((4, 6), (1, 2), (2, 3), "float32", constant=False)
    x = random_inputs(model, 1)[0]
    assert_matches_tflm(model, [[x, np.array([1, 2], np.int32), np.array([2, 3], np.int32)]])


def test_slice_leaving_the_input_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "SLICE",
        [
            TensorSpec((4,), "float32"),
            TensorSpec((1,), "int32", data=np.array([3])),
            TensorSpec((1,), "int32", data=np.array([2])),
        ],
        [TensorSpec((2,), "float32")],
    )
    with pytest.raises(EngineError, match="dimension 0: begin 3 and size 2 leave the input"):
        tinyml_run(model, random_inputs(model, 0))
