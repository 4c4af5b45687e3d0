"""GATHER and ARG_MAX / ARG_MIN: selection operators.

GATHER cases cover every axis, negative axes, positions of rank 0 to 2,
batch_dims, constant positions and positions given as a graph input, and
float32 and int8 (TFLM's types). ARG_MAX / ARG_MIN cover every axis,
negative axes, float32 and int8 inputs (int32 output, as TFLM), and ties
(the first index wins). Each case is compared with TFLM byte for byte.
"""

from __future__ import annotations

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


def gather_model(
    shape: tuple[int, ...],
    positions: np.ndarray,
    axis: int,
    dtype: str,
    batch_dims: int = 0,
    constant: bool = True,
) -> bytes:
    scale, zero_point = QUANTIZATION.get(dtype, (None, 0))
    a = axis % len(shape)
    out_shape = tuple(shape[:a]) + positions.shape[batch_dims:] + tuple(shape[a + 1 :])
    version = 5 if batch_dims else {"int8": 2, "bool": 3, "int16": 4}.get(dtype, 1)
    return single_op_model(
        "GATHER",
        [
            TensorSpec(shape, dtype, scale, zero_point),
            TensorSpec(positions.shape, "int32", data=positions if constant else None),
        ],
        [TensorSpec(out_shape, dtype, scale, zero_point)],
        {"axis": axis, "batch_dims": batch_dims},
        version=version,
    )


GATHER_CASES = [
    ("int8_rows", (5, 4), np.array([4, 0, 2, 2]), 0, "int8", 0),
    ("int8_columns_negative_axis", (3, 6), np.array([5, 1]), -1, "int8", 0),
    ("int8_scalar_position", (2, 7, 3), np.array(3), 1, "int8", 0),
    ("int8_2d_positions", (6, 2), np.array([[0, 5], [3, 3], [1, 4]]), 0, "int8", 0),
    ("float_embedding", (10, 8), np.array([[1, 9, 0]]), 0, "float32", 0),
    ("float_rank1", (8,), np.array([7, 6, 0]), 0, "float32", 0),
    ("batch_dims_1", (2, 5, 3), np.array([[4, 0], [1, 1]]), 1, "int8", 1),
]


@pytest.mark.parametrize(
    ("shape", "positions", "axis", "dtype", "batch_dims"),
    [c[1:] for c in GATHER_CASES],
    ids=[c[0] for c in GATHER_CASES],
)
def test_gather_matches_tflm(
    shape: tuple[int, ...], positions: np.ndarray, axis: int, dtype: str, batch_dims: int, host_runner: object
) -> None:
    assert_matches_tflm(gather_model(shape, positions.astype(np.int32), axis, dtype, batch_dims))


def test_gather_with_positions_as_graph_input_matches_tflm(host_runner: object) -> None:
    positions = np.array([3, 1, 1, 0], np.int32)
    model = gather_model((4, 5), positions, 0, "float32", constant=False)
    x = random_inputs(model, 1)[0]
    assert_matches_tflm(model, [[x, positions], [x, positions[::-1].copy()]])


def test_gather_position_out_of_range_fails_the_invoke(host_runner: object) -> None:
    positions = np.array([0], np.int32)
    model = gather_model((4, 5), positions, 0, "float32", constant=False)
    with pytest.raises(EngineError, match=r"position 4 is outside \[0, 4\)"):
        tinyml_run(model, [random_inputs(model, 1)[0], np.array([4], np.int32)])


def arg_model(op: str, shape: tuple[int, ...], axis: int, dtype: str, out_dtype: str) -> bytes:
    scale, zero_point = QUANTIZATION.get(dtype, (None, 0))
    out_shape = tuple(d for i, d in enumerate(shape) if i != axis % len(shape))
    return single_op_model(
        op,
        [TensorSpec(shape, dtype, scale, zero_point), TensorSpec((1,), "int32", data=np.array([axis]))],
        [TensorSpec(out_shape, out_dtype)],
        {"output_type": out_dtype.upper()},
        version=2 if dtype == "int8" else 1,
    )


ARG_CASES = [
    ("int8_last_axis", (1, 10), -1, "int8", "int32"),
    ("int8_axis1", (2, 5, 3), 1, "int8", "int32"),
    ("int8_axis0", (6, 4), 0, "int8", "int32"),
    ("float_axis2", (2, 3, 7), 2, "float32", "int32"),
    ("float_rank4", (1, 3, 4, 5), -3, "float32", "int32"),
]


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
@pytest.mark.parametrize(
    ("shape", "axis", "dtype", "out_dtype"), [c[1:] for c in ARG_CASES], ids=[c[0] for c in ARG_CASES]
)
def test_arg_min_max_matches_tflm(
    op: str, shape: tuple[int, ...], axis: int, dtype: str, out_dtype: str, host_runner: object
) -> None:
    assert_matches_tflm(arg_model(op, shape, axis, dtype, out_dtype))


@pytest.mark.parametrize("op", ["ARG_MAX", "ARG_MIN"])
def test_ties_pick_the_first_index_as_tflm(op: str, host_runner: object) -> None:
    model = arg_model(op, (3, 6), 1, "int8", "int32")
    x = np.array([[1, 5, 5, 0, 5, 0], [-3, -3, -3, -3, -3, -3], [7, -8, 7, -8, 2, -8]], np.int8)
    assert_matches_tflm(model, [[x]])
    (got,) = tinyml_run(model, [x])
    assert got.tolist() == ([1, 0, 0] if op == "ARG_MAX" else [3, 0, 1])


def test_gather_int16_is_refused_as_in_tflm(host_runner: object) -> None:
    model = gather_model((4, 3), np.array([1], np.int32), 0, "int16")
    with pytest.raises(
        EngineError, match=r"GATHER \(node 0\): input type int16 not supported \(float32, int8 are\)"
    ):
        tinyml_run(model, random_inputs(model, 0))
