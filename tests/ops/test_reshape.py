"""RESHAPE: the output holds the input's bytes under the model's output shape.

Each case builds a one-operator model (with the new shape as a constant
second input, as the converter writes it, or in ReshapeOptions, or both
absent), runs it through our engine and through TFLM and requires identical
bytes; the input is the output, reinterpreted. Cases cover every element type
the engine holds, rank 0 to 6, and -1 in the shape input.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many


def build(
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    dtype: str = "int8",
    shape_input: str = "constant",
    shape_data: tuple[int, ...] | None = None,
) -> bytes:
    quantized = dtype in ("int8", "int16", "uint8")
    scale, zero_point = (0.05, -2) if quantized else (None, 0)
    inputs: list[TensorSpec | None] = [TensorSpec(in_shape, dtype, scale, zero_point)]
    options = None
    new_shape = list(shape_data if shape_data is not None else out_shape)
    if shape_input == "constant":
        inputs.append(TensorSpec((len(new_shape),), "int32", data=np.array(new_shape, np.int32)))
    elif shape_input == "options":
        options = {"new_shape": new_shape}
    return single_op_model("RESHAPE", inputs, [TensorSpec(out_shape, dtype, scale, zero_point)], options)


CASES = [
    ("flatten_int8", (1, 5, 5, 4), (1, 100), "int8", "constant", None),
    ("flatten_minus_one", (1, 5, 5, 4), (1, 100), "int8", "constant", (1, -1)),
    ("unflatten_float", (1, 24), (2, 3, 4), "float32", "constant", None),
    ("int16", (3, 8), (4, 6), "int16", "constant", None),
    ("int32", (6,), (1, 2, 3), "int32", "constant", None),
    ("uint8", (2, 2, 2), (8,), "uint8", "constant", None),
    ("rank_6", (1, 2, 1, 3, 1, 2), (12,), "float32", "constant", None),
    ("to_rank_6", (12,), (2, 1, 3, 1, 2, 1), "int8", "constant", None),
    ("new_shape_in_options", (2, 6), (3, 4), "int8", "options", None),
    ("no_shape_given", (2, 6), (12,), "float32", "none", None),
    ("kws_like", (1, 1, 1, 64), (1, 64), "int8", "constant", None),
]


@pytest.mark.parametrize(
    ("in_shape", "out_shape", "dtype", "shape_input", "shape_data"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_reshape_matches_tflm(
    in_shape: tuple[int, ...],
    out_shape: tuple[int, ...],
    dtype: str,
    shape_input: str,
    shape_data: tuple[int, ...] | None,
    host_runner: object,
) -> None:
    model = build(in_shape, out_shape, dtype, shape_input, shape_data)
    input_sets = [random_inputs(model, seed) for seed in (1, 2)]
    for inputs, (want,) in zip(input_sets, tflm_run_many(model, input_sets), strict=True):
        (got,) = tinyml_run(model, inputs)
        assert got.dtype == want.dtype and got.shape == tuple(out_shape) == want.shape
        assert got.tobytes() == want.tobytes() == inputs[0].tobytes()


def test_rank_0_scalar(host_runner: object) -> None:
    model = build((1, 1), (), "float32", "none")
    x = np.array([[3.25]], np.float32)
    (got,) = tinyml_run(model, [x])
    assert got.shape == () and got.tobytes() == x.tobytes()


def test_element_count_mismatch_is_refused(host_runner: object) -> None:
    model = build((2, 6), (5,), "int8", "none")
    with pytest.raises(EngineError, match="input has 12 elements, output 5"):
        tinyml_run(model, random_inputs(model, 0))


def test_type_change_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "RESHAPE", [TensorSpec((4,), "int8", 0.1, 0)], [TensorSpec((2, 2), "uint8", 0.1, 0)]
    )
    with pytest.raises(EngineError, match="output type uint8 differs from input type int8"):
        tinyml_run(model, random_inputs(model, 0))
