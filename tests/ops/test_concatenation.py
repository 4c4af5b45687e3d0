"""CONCATENATION: our kernel produces exactly TFLM's bytes.

Each case concatenates two to four graph inputs (or a constant) along one
axis and compares our output bytes with TFLM's on seeded random inputs.
Cases cover every axis of a 4-D tensor, negative axes, rank 1 to 5, and
float32, int8, int16, int32, int64 and bool. Quantized inputs must share the
output's scale and zero point (TFLM does not requantize).
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
VERSION = {"int8": 2, "int16": 3}


@dataclass(frozen=True)
class Concat:
    name: str
    shapes: tuple[tuple[int, ...], ...]
    axis: int
    dtype: str = "int8"
    constant_last: bool = False


def build(c: Concat) -> bytes:
    scale, zero_point = QUANTIZATION.get(c.dtype, (None, 0))
    rank = len(c.shapes[0])
    axis = c.axis % rank
    out_shape = list(c.shapes[0])
    out_shape[axis] = sum(s[axis] for s in c.shapes)
    inputs = [TensorSpec(s, c.dtype, scale, zero_point) for s in c.shapes]
    if c.constant_last:
        data = np.arange(int(np.prod(c.shapes[-1]))).reshape(c.shapes[-1]) % 100
        inputs[-1] = TensorSpec(c.shapes[-1], c.dtype, scale, zero_point, data=data)
    return single_op_model(
        "CONCATENATION",
        inputs,
        [TensorSpec(tuple(out_shape), c.dtype, scale, zero_point)],
        {"axis": c.axis},
        version=VERSION.get(c.dtype, 1),
    )


def assert_matches_tflm(model: bytes) -> None:
    """Our outputs equal TFLM's, byte for byte, on every seeded input set."""
    input_sets = [random_inputs(model, seed) for seed in INPUT_SEEDS]
    for seed, inputs, want in zip(INPUT_SEEDS, input_sets, tflm_run_many(model, input_sets), strict=True):
        got = tinyml_run(model, inputs)
        for g, e in zip(got, want, strict=True):
            assert g.dtype == e.dtype and g.shape == e.shape, (
                f"seed {seed}: {g.dtype}{g.shape} vs {e.dtype}{e.shape}"
            )
            assert g.tobytes() == e.tobytes(), f"seed {seed}: {np.sum(g != e)} of {g.size} elements differ"


CASES = [
    Concat("int8_channels", ((1, 4, 4, 3), (1, 4, 4, 5)), 3),
    Concat("int8_channels_negative_axis", ((1, 4, 4, 3), (1, 4, 4, 2), (1, 4, 4, 1)), -1),
    Concat("int8_width", ((1, 3, 2, 4), (1, 3, 5, 4)), 2),
    Concat("int8_height", ((2, 1, 3, 2), (2, 4, 3, 2)), 1),
    Concat("int8_batch", ((1, 2, 2, 2), (3, 2, 2, 2)), 0),
    Concat("int8_four_inputs", ((2, 3), (2, 1), (2, 4), (2, 2)), 1),
    Concat("int8_constant_input", ((1, 5, 2), (1, 5, 3)), -1, constant_last=True),
    Concat("float_axis1", ((2, 3, 4), (2, 2, 4)), 1, "float32"),
    Concat("float_rank1", ((5,), (3,)), 0, "float32"),
    Concat("int16", ((1, 3, 8), (1, 3, 8)), 2, "int16"),
    Concat("int32", ((4, 2), (4, 3)), -1, "int32"),
    Concat("int64", ((2, 2), (1, 2)), 0, "int64"),
    Concat("bool", ((3, 2), (3, 4)), 1, "bool"),
    Concat("int8_rank5", ((1, 2, 2, 3, 2), (1, 2, 2, 1, 2)), 3),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_concatenation_matches_tflm(c: Concat, host_runner: object) -> None:
    assert_matches_tflm(build(c))


def test_input_with_other_quantization_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "CONCATENATION",
        [TensorSpec((1, 2), "int8", 0.05, 0), TensorSpec((1, 2), "int8", 0.1, 0)],
        [TensorSpec((1, 4), "int8", 0.05, 0)],
        {"axis": 1},
        version=2,
    )
    with pytest.raises(EngineError, match="input 1 must have the output's scale and zero point"):
        tinyml_run(model, random_inputs(model, 0))


def test_fused_activation_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "CONCATENATION",
        [TensorSpec((1, 2), "float32"), TensorSpec((1, 2), "float32")],
        [TensorSpec((1, 4), "float32")],
        {"axis": 1, "fused_activation_function": "RELU"},
    )
    with pytest.raises(EngineError, match="fused activation 1 not supported"):
        tinyml_run(model, random_inputs(model, 0))
