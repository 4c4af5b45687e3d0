"""DEQUANTIZE: our kernel produces exactly TFLM's bytes.

Each case builds a one-operator model, runs it on every value of the input
type (or seeded random ones) through our engine and through TFLM, and
requires identical float32 bytes: scale * (q - zero_point), with the product
in double and one rounding to float. Cases cover int8 and int16 with scales
from 1e-6 to 100 (including ones whose products are not exact in float) and
zero points at the extremes. uint8, which TFLM does not run, is checked
against the formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many


@dataclass(frozen=True)
class Dequantize:
    name: str
    dtype: str = "int8"
    scale: float = 0.1
    zero_point: int = 0


def build(c: Dequantize, shape: tuple[int, ...]) -> bytes:
    return single_op_model(
        "DEQUANTIZE",
        [TensorSpec(shape, c.dtype, c.scale, c.zero_point)],
        [TensorSpec(shape, "float32")],
        version={"uint8": 1, "int8": 2, "int16": 3}[c.dtype],
    )


def every_value(dtype: str) -> np.ndarray:
    info = np.iinfo(dtype)
    return np.arange(info.min, info.max + 1).astype(dtype)


CASES = [
    Dequantize("int8_scale_0_1"),
    Dequantize("int8_scale_1_over_3", scale=1 / 3, zero_point=-7),
    Dequantize("int8_scale_0_0392157", scale=0.0392157, zero_point=-128),
    Dequantize("int8_zero_point_max", scale=0.02, zero_point=127),
    Dequantize("int8_tiny_scale", scale=1.17e-6, zero_point=5),
    Dequantize("int8_large_scale", scale=97.3, zero_point=-1),
    Dequantize("int8_power_of_two_scale", scale=1 / 256, zero_point=-128),
    Dequantize("int16_scale_1_over_32768", dtype="int16", scale=1 / 32768),
    Dequantize("int16_scale_0_0013", dtype="int16", scale=0.0013),
    Dequantize("int16_scale_7_1", dtype="int16", scale=7.1),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_dequantize_every_value_matches_tflm(c: Dequantize, host_runner: object) -> None:
    q = every_value(c.dtype)
    model = build(c, q.shape)
    (want,) = tflm_run_many(model, [[q]])[0]
    (got,) = tinyml_run(model, [q])
    assert got.dtype == np.float32 and got.shape == want.shape
    assert got.tobytes() == want.tobytes()


def test_dequantize_4d_random_matches_tflm(host_runner: object) -> None:
    model = build(Dequantize("4d", scale=0.0173, zero_point=-3), (2, 5, 4, 3))
    input_sets = [random_inputs(model, seed) for seed in (1, 2)]
    for inputs, (want,) in zip(input_sets, tflm_run_many(model, input_sets), strict=True):
        (got,) = tinyml_run(model, inputs)
        assert got.tobytes() == want.tobytes()


def test_uint8_follows_the_formula(host_runner: object) -> None:
    """TFLM does not run uint8 DEQUANTIZE; ours is (float)(scale * (q - zero point)) in double."""
    q = every_value("uint8")
    scale = np.float32(0.0123)
    (got,) = tinyml_run(build(Dequantize("u8", "uint8", float(scale), 128), q.shape), [q])
    want = (np.float64(scale) * (q.astype(np.float64) - 128)).astype(np.float32)
    assert got.tobytes() == want.tobytes()


def test_float_input_is_refused(host_runner: object) -> None:
    model = single_op_model("DEQUANTIZE", [TensorSpec((4,), "float32")], [TensorSpec((4,), "float32")])
    with pytest.raises(EngineError, match=r"DEQUANTIZE \(node 0\): input type float32 not supported"):
        tinyml_run(model, random_inputs(model, 0))


def test_per_channel_input_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "DEQUANTIZE",
        [TensorSpec((2, 3), "int8", [0.1, 0.2], [0, 0], quantized_dimension=0)],
        [TensorSpec((2, 3), "float32")],
        version=2,
    )
    with pytest.raises(EngineError, match="per-tensor quantization"):
        tinyml_run(model, random_inputs(model, 0))
