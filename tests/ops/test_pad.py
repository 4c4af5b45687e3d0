"""PAD and PADV2: our kernel produces exactly TFLM's bytes.

Each case builds a one-operator model with constant paddings, runs it on
seeded random inputs through our engine and through TFLM, and requires
identical output bytes. Cases cover float32, int8 (padding with the output
zero point, or PADV2's constant), int16 and int32; rank 1 to 5; padding on
every side, on one side only, and none. The error cases state what the
engine refuses and that it says why.
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
class Pad:
    name: str
    shape: tuple[int, ...]
    paddings: tuple[tuple[int, int], ...]
    dtype: str = "int8"
    op: str = "PAD"
    constant_value: float | None = None  # PADV2's constant_values, raw


def build(c: Pad) -> bytes:
    scale, zero_point = QUANTIZATION.get(c.dtype, (None, 0))
    out_shape = tuple(d + a + b for d, (a, b) in zip(c.shape, c.paddings, strict=True))
    inputs: list[TensorSpec | None] = [
        TensorSpec(c.shape, c.dtype, scale, zero_point),
        TensorSpec((len(c.shape), 2), "int32", data=np.array(c.paddings, np.int32)),
    ]
    if c.constant_value is not None:
        inputs.append(TensorSpec((1,), c.dtype, scale, zero_point, data=np.array([c.constant_value])))
    version = 4 if len(c.shape) > 4 else VERSION.get(c.dtype, 1)
    return single_op_model(c.op, inputs, [TensorSpec(out_shape, c.dtype, scale, zero_point)], version=version)


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
    Pad("int8_hw_1", (1, 4, 5, 3), ((0, 0), (1, 1), (1, 1), (0, 0))),
    Pad("int8_asymmetric", (1, 3, 4, 2), ((0, 1), (2, 0), (0, 3), (1, 2))),
    Pad("int8_no_padding", (2, 3), ((0, 0), (0, 0))),
    Pad("int8_rank1", (7,), ((3, 2),)),
    Pad("int8_rank5", (1, 2, 3, 2, 2), ((0, 1), (1, 0), (1, 1), (0, 2), (1, 0))),
    Pad("float_hw", (1, 3, 3, 4), ((0, 0), (2, 1), (1, 2), (0, 0)), "float32"),
    Pad("float_channels", (2, 5), ((1, 0), (0, 3)), "float32"),
    Pad("int16", (1, 4, 4, 2), ((0, 0), (1, 2), (2, 1), (0, 1)), "int16"),
    Pad("int32", (3, 4), ((1, 1), (2, 0)), "int32"),
    Pad("padv2_int8_constant", (1, 3, 3, 2), ((0, 0), (1, 1), (1, 1), (0, 0)), "int8", "PADV2", -128),
    Pad("padv2_float_constant", (2, 3, 2), ((1, 0), (0, 2), (1, 1)), "float32", "PADV2", -1.5),
    Pad("padv2_int16_constant", (4, 4), ((1, 1), (1, 1)), "int16", "PADV2", 1234),
    Pad("padv2_without_constant", (1, 2, 2, 1), ((0, 0), (1, 1), (1, 1), (0, 0)), "int8", "PADV2"),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_pad_matches_tflm(c: Pad, host_runner: object) -> None:
    assert_matches_tflm(build(c))


def test_int8_padding_is_the_output_zero_point(host_runner: object) -> None:
    model = build(Pad("zp", (1, 1, 1, 1), ((0, 0), (1, 0), (0, 0), (0, 0))))
    (got,) = tinyml_run(model, [np.array([[[[5]]]], np.int8)])
    assert got.reshape(-1).tolist() == [-7, 5]


def test_non_constant_paddings_are_refused(host_runner: object) -> None:
    model = single_op_model(
        "PAD",
        [TensorSpec((1, 2), "float32"), TensorSpec((2, 2), "int32")],
        [TensorSpec((1, 2), "float32")],
    )
    with pytest.raises(EngineError, match=r"PAD \(node 0\): the paddings input must be a constant tensor"):
        tinyml_run(model, [np.zeros((1, 2), np.float32), np.zeros((2, 2), np.int32)])


def test_wrong_output_shape_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "PAD",
        [TensorSpec((2, 2), "float32"), TensorSpec((2, 2), "int32", data=np.ones((2, 2), np.int32))],
        [TensorSpec((4, 5), "float32")],
    )
    with pytest.raises(EngineError, match="output dimension 1 is 5, input 2 padded by 1 and 1 is 4"):
        tinyml_run(model, random_inputs(model, 0))
