"""QUANTIZE: our kernel produces exactly TFLM's bytes.

Each case builds a one-operator model, runs it on seeded random inputs
through our engine and through TFLM, and requires identical output bytes.
Cases cover float32 -> int8 / int16 (round half away from zero, clamping,
scales from 1e-3 to 1, zero points at the extremes, values exactly halfway
between two steps) and requantization between int8, uint8, int16 and int32
in every pairing TFLM runs, with scale ratios below, at and above 1.
float32 -> uint8, which TFLM does not run, is checked against the formula.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many
from support.sweep import input_seeds

INPUT_SEEDS = input_seeds(1, 2, 3)


@dataclass(frozen=True)
class Quantize:
    name: str
    in_dtype: str = "float32"
    out_dtype: str = "int8"
    in_scale: float = 0.1
    in_zero_point: int = 0
    out_scale: float = 0.05
    out_zero_point: int = 0
    shape: tuple[int, ...] = (2, 3, 17)


def build(c: Quantize) -> bytes:
    in_scale = None if c.in_dtype == "float32" else c.in_scale
    return single_op_model(
        "QUANTIZE",
        [TensorSpec(c.shape, c.in_dtype, in_scale, c.in_zero_point if in_scale else 0)],
        [TensorSpec(c.shape, c.out_dtype, c.out_scale, c.out_zero_point)],
        version=2 if c.out_dtype == "int16" else 1,
    )


def assert_matches_tflm(model: bytes, input_sets: list[list[np.ndarray]]) -> None:
    """Our outputs equal TFLM's, byte for byte, on every input set."""
    expected = tflm_run_many(model, input_sets)
    for s, (inputs, want) in enumerate(zip(input_sets, expected, strict=True)):
        got = tinyml_run(model, inputs)
        for o, (g, e) in enumerate(zip(got, want, strict=True)):
            assert g.dtype == e.dtype and g.shape == e.shape, f"set {s} output {o}: {g.dtype}{g.shape}"
            if g.tobytes() != e.tobytes():
                diff = np.flatnonzero(g.reshape(-1) != e.reshape(-1))
                pytest.fail(
                    f"set {s} output {o}: {diff.size} of {g.size} elements differ, first at {diff[0]} "
                    f"(input {inputs[0].reshape(-1)[diff[0]]!r}): ours {g.reshape(-1)[diff[0]]}, "
                    f"TFLM {e.reshape(-1)[diff[0]]}"
                )


CASES = [
    Quantize("float_to_int8"),
    Quantize("float_to_int8_coarse", out_scale=1.0, out_zero_point=3),
    Quantize("float_to_int8_fine_clamps", out_scale=0.001),
    Quantize("float_to_int8_zero_point_min", out_scale=0.03, out_zero_point=-128),
    Quantize("float_to_int8_zero_point_max", out_scale=0.03, out_zero_point=127),
    Quantize("float_to_int8_odd_scale", out_scale=0.0392157, out_zero_point=-17),
    Quantize("float_to_int16", out_dtype="int16", out_scale=1.0 / 4096),
    Quantize("float_to_int16_clamps", out_dtype="int16", out_scale=1e-5),
    Quantize("int8_to_int8_rescale_down", "int8", "int8", 0.1, -5, 0.3, 10),
    Quantize("int8_to_int8_rescale_up", "int8", "int8", 0.3, 10, 0.01, -3),
    Quantize("int8_to_int8_same_scale_new_zero_point", "int8", "int8", 0.05, -128, 0.05, 127),
    Quantize("int8_to_uint8_shift_128", "int8", "uint8", 0.05, -128, 0.05, 0),
    Quantize("int8_to_uint8_rescale", "int8", "uint8", 0.05, 3, 0.02, 128),
    Quantize("uint8_to_int8_shift_128", "uint8", "int8", 1 / 255, 128, 1 / 255, 0),
    Quantize("uint8_to_int8_rescale", "uint8", "int8", 0.02, 100, 0.05, -7),
    Quantize("int8_to_int16", "int8", "int16", 0.05, 4, 0.001, 0),
    Quantize("int8_to_int32", "int8", "int32", 0.05, 4, 0.0007, 12),
    Quantize("int16_to_int8", "int16", "int8", 0.001, 0, 0.25, -1),
    Quantize("int16_to_int16", "int16", "int16", 0.001, 0, 0.0003, 0),
    Quantize("int16_to_int32", "int16", "int32", 0.001, 0, 0.00001, 0),
    Quantize("int32_to_int8", "int32", "int8", 0.0001, 0, 0.02, 5),
    Quantize("int32_to_int16", "int32", "int16", 0.001, 7, 0.002, 0),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_quantize_matches_tflm(c: Quantize, host_runner: object) -> None:
    model = build(c)
    assert_matches_tflm(model, [random_inputs(model, seed) for seed in INPUT_SEEDS])


@pytest.mark.parametrize("scale", [0.5, 0.25, 0.1], ids=["scale_0_5", "scale_0_25", "scale_0_1"])
def test_halfway_values_round_like_tflm(scale: float, host_runner: object) -> None:
    """x / scale exactly k + 1/2 (and float neighbours): rounds away from zero."""
    c = Quantize("halfway", out_scale=scale, out_zero_point=1, shape=(401,))
    steps = np.arange(-200, 201, dtype=np.float32) + np.float32(0.5)
    x = (steps * np.float32(scale)).astype(np.float32)
    sets = [[x], [np.nextafter(x, np.float32(np.inf))], [np.nextafter(x, np.float32(-np.inf))]]
    assert_matches_tflm(build(c), sets)


def test_float_to_uint8_follows_the_formula(host_runner: object) -> None:
    """TFLM does not run float32 -> uint8; ours is round(x / scale) + zero point, clamped."""
    c = Quantize("uint8", out_dtype="uint8", out_scale=0.02, out_zero_point=128)
    (x,) = random_inputs(build(c), 5)
    (got,) = tinyml_run(build(c), [x])
    q = np.trunc(np.abs(x / np.float32(0.02)) + np.float32(0.5)) * np.sign(x)  # half away from zero
    want = np.clip(q + 128, 0, 255).astype(np.uint8)
    assert got.tobytes() == want.tobytes()


def test_float_to_int32_is_refused(host_runner: object) -> None:
    model = build(Quantize("f2i32", out_dtype="int32"))
    with pytest.raises(EngineError, match="int32 output not supported for float32 input"):
        tinyml_run(model, random_inputs(model, 0))


def test_per_channel_output_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "QUANTIZE",
        [TensorSpec((2, 3), "float32")],
        [TensorSpec((2, 3), "int8", [0.1, 0.2], [0, 0], quantized_dimension=0)],
    )
    with pytest.raises(EngineError, match=r"per-tensor quantization \(has 2 scales\)"):
        tinyml_run(model, random_inputs(model, 0))
