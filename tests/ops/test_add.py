"""ADD: our kernel produces exactly TFLM's bytes.

Each case builds a one-operator model, runs it on seeded random inputs
through our engine and through TFLM, and requires identical output bytes.
Cases cover int8 and int16 (scales equal, unequal in either order, far apart; zero
points at the extremes; every fused activation), float32 and int32; equal
shapes and broadcasting (scalar, per-channel vector, rank-changing, both
inputs broadcast, 5-D and 6-D); one input a constant. The error cases state
what the engine refuses and that it says why.
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
class Binary:
    """One ADD model: y = act(a + b)."""

    name: str
    shape1: tuple[int, ...] = (1, 4, 4, 3)
    shape2: tuple[int, ...] = (1, 4, 4, 3)
    dtype: str = "int8"
    scales: tuple[float, float, float] = (0.05, 0.05, 0.1)
    zero_points: tuple[int, int, int] = (-3, 7, 2)
    activation: str = "NONE"
    constant2: bool = False


def broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(np.broadcast_shapes(a, b))


def build(c: Binary, op: str = "ADD") -> bytes:
    quantized = c.dtype in ("int8", "int16")
    s1, s2, so = c.scales if quantized else (None, None, None)
    z1, z2, zo = c.zero_points if quantized else (0, 0, 0)
    data2 = None
    if c.constant2:
        rng = np.random.default_rng(sum(map(ord, c.name)))
        if c.dtype == "float32":
            data2 = rng.uniform(-4, 4, c.shape2).astype(np.float32)
        else:
            info = np.iinfo(c.dtype)
            data2 = rng.integers(info.min, info.max, c.shape2, endpoint=True).astype(c.dtype)
    out_shape = broadcast_shape(c.shape1, c.shape2)
    return single_op_model(
        op,
        [TensorSpec(c.shape1, c.dtype, s1, z1), TensorSpec(c.shape2, c.dtype, s2, z2, data=data2)],
        [TensorSpec(out_shape, c.dtype, so, zo)],
        {"fused_activation_function": c.activation},
        version={"int8": 2, "int16": 3}.get(c.dtype, 1),
    )


def assert_matches_tflm(model: bytes) -> None:
    """Our outputs equal TFLM's, byte for byte, on every seeded input set."""
    input_sets = [random_inputs(model, seed) for seed in INPUT_SEEDS]
    expected = tflm_run_many(model, input_sets)
    for seed, inputs, want in zip(INPUT_SEEDS, input_sets, expected, strict=True):
        got = tinyml_run(model, inputs)
        for o, (g, e) in enumerate(zip(got, want, strict=True)):
            assert g.dtype == e.dtype and g.shape == e.shape, f"seed {seed} output {o}: {g.dtype}{g.shape}"
            if g.tobytes() != e.tobytes():
                diff = np.flatnonzero(g.reshape(-1) != e.reshape(-1))
                pytest.fail(
                    f"seed {seed} output {o}: {diff.size} of {g.size} elements differ, first at {diff[0]}: "
                    f"ours {g.reshape(-1)[diff[0]]}, TFLM {e.reshape(-1)[diff[0]]}"
                )


CASES = [
    Binary("int8_same_shape"),
    Binary("int8_equal_scales_everywhere", scales=(0.1, 0.1, 0.1), zero_points=(0, 0, 0)),
    Binary("int8_input1_scale_larger", scales=(0.3, 0.02, 0.25)),
    Binary("int8_input2_scale_larger", scales=(0.007, 0.9, 0.5)),
    Binary("int8_scales_1000x_apart", scales=(1e-4, 0.1, 0.08)),
    Binary("int8_small_output_scale", scales=(0.5, 0.4, 0.01)),
    Binary("int8_zero_points_min", zero_points=(-128, -128, -128)),
    Binary("int8_zero_points_max", zero_points=(127, 127, 127)),
    Binary("int8_zero_points_mixed", zero_points=(-128, 127, 0), scales=(0.02, 0.03, 0.04)),
    Binary("int8_relu", activation="RELU", zero_points=(0, 0, -20)),
    Binary("int8_relu6", activation="RELU6", scales=(0.05, 0.05, 0.03), zero_points=(3, 3, -128)),
    Binary("int8_relu_n1_to_1", activation="RELU_N1_TO_1", scales=(0.02, 0.02, 0.01), zero_points=(0, 0, 0)),
    Binary("int8_resnet_like_residual", shape1=(1, 8, 8, 16), shape2=(1, 8, 8, 16), activation="RELU"),
    Binary("int8_broadcast_scalar", shape2=(1,)),
    Binary("int8_broadcast_scalar_rank0", shape2=()),
    Binary("int8_broadcast_channel_vector", shape2=(3,)),
    Binary("int8_broadcast_first_input", shape1=(1, 1, 4, 3), shape2=(2, 4, 4, 3)),
    Binary("int8_broadcast_both", shape1=(2, 1, 5), shape2=(1, 3, 1)),
    Binary("int8_broadcast_rank_2_vs_4", shape1=(4, 3), shape2=(2, 5, 1, 1)),
    Binary("int8_5d", shape1=(2, 1, 3, 1, 4), shape2=(1, 2, 1, 5, 4)),
    Binary("int8_6d", shape1=(1, 2, 1, 3, 1, 2), shape2=(2, 1, 2, 1, 3, 1)),
    Binary("int8_constant_second_input", constant2=True, shape2=(1, 1, 1, 3)),
    Binary("int16_same_shape", dtype="int16", scales=(0.001, 0.002, 0.003), zero_points=(0, 0, 0)),
    Binary("int16_unequal_scales", dtype="int16", scales=(3e-4, 1.7e-3, 9e-4), zero_points=(0, 0, 0)),
    Binary(
        "int16_broadcast_relu",
        dtype="int16",
        shape2=(4, 1, 3),
        scales=(0.001, 0.001, 5e-4),
        zero_points=(0, 0, 0),
        activation="RELU",
    ),
    Binary("int16_nonzero_zero_points", dtype="int16", scales=(0.001, 0.002, 0.003), zero_points=(5, -7, 3)),
    Binary("float_same_shape", dtype="float32"),
    Binary("float_broadcast", dtype="float32", shape1=(2, 3, 1), shape2=(1, 4)),
    Binary("float_relu6", dtype="float32", activation="RELU6"),
    Binary("float_relu_n1_to_1_constant", dtype="float32", activation="RELU_N1_TO_1", constant2=True),
    Binary("float_6d", dtype="float32", shape1=(2, 1, 2, 1, 2, 1), shape2=(1, 3, 1, 2, 1, 2)),
    Binary("int32_same_shape", dtype="int32"),
    Binary("int32_broadcast", dtype="int32", shape2=(1, 1, 4, 1)),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_add_matches_tflm(c: Binary, host_runner: object) -> None:
    assert_matches_tflm(build(c))


def test_int8_add_extreme_values_match_tflm(host_runner: object) -> None:
    """Every pair of int8 values once: all (a, b) in [-128, 127]^2."""
    c = Binary(
        "all_pairs", shape1=(256, 1), shape2=(1, 256), scales=(0.03, 0.07, 0.06), zero_points=(5, -9, 1)
    )
    model = build(c)
    a = np.arange(-128, 128, dtype=np.int8).reshape(256, 1)
    b = np.arange(-128, 128, dtype=np.int8).reshape(1, 256)
    (want,) = tflm_run_many(model, [[a, b]])[0]
    (got,) = tinyml_run(model, [a, b])
    assert got.tobytes() == want.tobytes()


def test_int16_add_value_pairs_match_tflm(host_runner: object) -> None:
    """4096 int16 values spread over the range (both ends included) against 64 others."""
    c = Binary(
        "int16_pairs",
        shape1=(4096, 1),
        shape2=(1, 64),
        dtype="int16",
        scales=(3e-4, 7e-4, 6e-4),
        zero_points=(0, 0, 0),
    )
    a = np.linspace(-32768, 32767, 4096).astype(np.int16).reshape(4096, 1)
    b = np.linspace(-32768, 32767, 64).astype(np.int16).reshape(1, 64)
    (want,) = tflm_run_many(build(c), [[a, b]])[0]
    (got,) = tinyml_run(build(c), [a, b])
    assert got.tobytes() == want.tobytes()


def test_shapes_that_do_not_broadcast_are_refused(host_runner: object) -> None:
    model = single_op_model(
        "ADD",
        [TensorSpec((2, 3), "float32"), TensorSpec((2, 4), "float32")],
        [TensorSpec((2, 4), "float32")],
    )
    with pytest.raises(EngineError, match="do not broadcast: dimension -1 is 3 in input 1, 4 in input 2"):
        tinyml_run(model, random_inputs(model, 0))


def test_output_shape_must_be_the_broadcast_shape(host_runner: object) -> None:
    model = single_op_model(
        "ADD",
        [TensorSpec((2, 3), "float32"), TensorSpec((3,), "float32")],
        [TensorSpec((6,), "float32")],
    )
    with pytest.raises(EngineError, match="output shape does not equal the broadcast shape"):
        tinyml_run(model, random_inputs(model, 0))


def test_mixed_types_are_refused(host_runner: object) -> None:
    model = single_op_model(
        "ADD",
        [TensorSpec((4,), "int8", 0.1, 0), TensorSpec((4,), "float32")],
        [TensorSpec((4,), "int8", 0.1, 0)],
        version=2,
    )
    with pytest.raises(EngineError, match="must have one type, have int8, float32 and int8"):
        tinyml_run(model, random_inputs(model, 0))


def test_output_scale_far_below_inputs_is_refused(host_runner: object) -> None:
    """TFLM aborts when 2 * max input scale / (2^20 * output scale) >= 1; we refuse."""
    model = build(Binary("tiny_out", scales=(1.0, 1.0, 1e-6)))
    with pytest.raises(EngineError, match="output scale .* is too small"):
        tinyml_run(model, random_inputs(model, 0))
