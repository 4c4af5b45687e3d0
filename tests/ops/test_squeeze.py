"""SQUEEZE, EXPAND_DIMS and SHAPE: the shape-only operators.

SQUEEZE and EXPAND_DIMS are views (the output holds the input's bytes under
another shape); SHAPE writes the input's dimensions. Each case is compared
with TFLM byte for byte; the views are also required to return the input
bytes unchanged. Negative axes and an empty squeeze_dims (squeeze every
dimension of size 1) are covered.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many
from support.sweep import input_seeds

INPUT_SEEDS = input_seeds(1, 2)


def assert_matches_tflm(model: bytes, same_bytes_as_input: bool) -> None:
    input_sets = [random_inputs(model, seed) for seed in INPUT_SEEDS]
    for inputs, want in zip(input_sets, tflm_run_many(model, input_sets), strict=True):
        (got,) = tinyml_run(model, inputs)
        (e,) = want
        assert got.dtype == e.dtype and got.shape == e.shape and got.tobytes() == e.tobytes()
        if same_bytes_as_input:
            assert got.tobytes() == inputs[0].tobytes()


SQUEEZE_CASES = [
    ("all_unit_dims", (1, 3, 1, 4), (), (3, 4), "int8"),
    ("listed_dim", (1, 3, 1, 4), (2,), (1, 3, 4), "int8"),
    ("negative_dims", (1, 1, 1, 8), (-2, -3), (1, 8), "float32"),
    ("kws_like", (1, 1, 1, 12), (1, 2), (1, 12), "int8"),
    ("int16", (2, 1, 5), (1,), (2, 5), "int16"),
]


@pytest.mark.parametrize(
    ("in_shape", "dims", "out_shape", "dtype"),
    [c[1:] for c in SQUEEZE_CASES],
    ids=[c[0] for c in SQUEEZE_CASES],
)
def test_squeeze_matches_tflm(
    in_shape: tuple[int, ...],
    dims: tuple[int, ...],
    out_shape: tuple[int, ...],
    dtype: str,
    host_runner: object,
) -> None:
    q = (0.1, 3) if dtype in ("int8", "int16") else (None, 0)
    model = single_op_model(
        "SQUEEZE",
        [TensorSpec(in_shape, dtype, *q)],
        [TensorSpec(out_shape, dtype, *q)],
        {"squeeze_dims": list(dims)},
    )
    assert_matches_tflm(model, same_bytes_as_input=True)


EXPAND_CASES = [
    ("front", (3, 4), 0, (1, 3, 4), "int8"),
    ("middle", (3, 4), 1, (3, 1, 4), "float32"),
    ("end", (3, 4), 2, (3, 4, 1), "int8"),
    ("negative_end", (2, 5), -1, (2, 5, 1), "int16"),
    ("negative_front", (2, 5), -3, (1, 2, 5), "float32"),
]


@pytest.mark.parametrize(
    ("in_shape", "axis", "out_shape", "dtype"),
    [c[1:] for c in EXPAND_CASES],
    ids=[c[0] for c in EXPAND_CASES],
)
def test_expand_dims_matches_tflm(
    in_shape: tuple[int, ...], axis: int, out_shape: tuple[int, ...], dtype: str, host_runner: object
) -> None:
    q = (0.1, 3) if dtype in ("int8", "int16") else (None, 0)
    model = single_op_model(
        "EXPAND_DIMS",
        [TensorSpec(in_shape, dtype, *q), TensorSpec((1,), "int32", data=np.array([axis]))],
        [TensorSpec(out_shape, dtype, *q)],
    )
    assert_matches_tflm(model, same_bytes_as_input=True)


@pytest.mark.parametrize("shape", [(1, 5, 5, 3), (7,), (2, 3, 4, 5, 6)], ids=["4d", "1d", "5d"])
def test_shape_matches_tflm(shape: tuple[int, ...], host_runner: object) -> None:
    model = single_op_model(
        "SHAPE",
        [TensorSpec(shape, "int8", 0.1, 0)],
        [TensorSpec((len(shape),), "int32")],
        {"out_type": "INT32"},
    )
    assert_matches_tflm(model, same_bytes_as_input=False)
    (got,) = tinyml_run(model, random_inputs(model, 0))
    assert got.tolist() == list(shape)


def test_squeezing_a_dimension_that_is_not_1_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "SQUEEZE", [TensorSpec((1, 3), "float32")], [TensorSpec((1,), "float32")], {"squeeze_dims": [1]}
    )
    with pytest.raises(EngineError, match=r"squeeze_dims\[0\] = 1 is not a dimension of size 1"):
        tinyml_run(model, random_inputs(model, 0))


def test_non_constant_expand_dims_axis_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "EXPAND_DIMS",
        [TensorSpec((3,), "float32"), TensorSpec((1,), "int32")],
        [TensorSpec((1, 3), "float32")],
    )
    with pytest.raises(EngineError, match="the axis input must be a constant tensor"):
        tinyml_run(model, [np.zeros(3, np.float32), np.zeros(1, np.int32)])
