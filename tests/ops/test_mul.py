"""MUL: our kernel produces exactly TFLM's bytes.

Each case builds a one-operator model, runs it on seeded random inputs
through our engine and through TFLM, and requires identical output bytes.
Cases cover int8 (rescale factors far below and above 1, zero points at the
extremes, every fused activation), int16 (zero points 0), float32 and int32;
equal shapes and broadcasting up to 4-D (TFLM's limit for MUL; 5-D and 6-D
are checked against numpy); one input a constant. The error cases state what
the engine refuses and that it says why.
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
    """One MUL model: y = act(a * b)."""

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


def version(c: Binary) -> int:
    """TFLite's MUL version for the case (op_version.cc)."""
    if c.dtype == "int16":
        return 4
    if c.dtype == "int8":
        return 3 if c.scales[0] * c.scales[1] / c.scales[2] >= 1.0 else 2
    return 1


def build(c: Binary) -> bytes:
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
        "MUL",
        [TensorSpec(c.shape1, c.dtype, s1, z1), TensorSpec(c.shape2, c.dtype, s2, z2, data=data2)],
        [TensorSpec(out_shape, c.dtype, so, zo)],
        {"fused_activation_function": c.activation},
        version=version(c),
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
    Binary("int8_rescale_far_below_1", scales=(0.01, 0.02, 0.5)),
    Binary("int8_rescale_just_below_1", scales=(0.1, 0.2, 0.0201)),
    Binary("int8_rescale_exactly_1", scales=(0.25, 0.5, 0.125)),
    Binary("int8_rescale_above_1", scales=(0.5, 0.3, 0.01)),
    Binary("int8_rescale_far_above_1", scales=(2.0, 3.0, 0.05)),
    Binary("int8_tiny_scales", scales=(1e-4, 2e-4, 1e-7)),
    Binary("int8_zero_points_min", zero_points=(-128, -128, -128), scales=(0.01, 0.01, 0.5)),
    Binary("int8_zero_points_max", zero_points=(127, 127, 127), scales=(0.01, 0.01, 0.5)),
    Binary("int8_zero_points_mixed", zero_points=(-128, 127, 0), scales=(0.02, 0.03, 0.4)),
    Binary("int8_relu", activation="RELU", zero_points=(0, 0, -20), scales=(0.05, 0.05, 0.1)),
    Binary("int8_relu6", activation="RELU6", scales=(0.05, 0.05, 0.03), zero_points=(3, 3, -128)),
    Binary("int8_relu_n1_to_1", activation="RELU_N1_TO_1", scales=(0.02, 0.02, 0.01), zero_points=(0, 0, 0)),
    Binary("int8_broadcast_scalar", shape2=(1,)),
    Binary("int8_broadcast_scalar_rank0", shape2=()),
    Binary("int8_broadcast_channel_vector", shape2=(3,)),
    Binary("int8_broadcast_first_input", shape1=(1, 1, 4, 3), shape2=(2, 4, 4, 3)),
    Binary("int8_broadcast_both", shape1=(2, 1, 5), shape2=(1, 3, 1)),
    Binary("int8_broadcast_rank_2_vs_4", shape1=(4, 3), shape2=(2, 5, 1, 1)),
    Binary("int8_constant_second_input", constant2=True, shape2=(1, 1, 1, 3)),
    Binary("int16_same_shape", dtype="int16", scales=(0.001, 0.002, 0.003), zero_points=(0, 0, 0)),
    Binary("int16_rescale_above_1", dtype="int16", scales=(0.01, 0.02, 1e-5), zero_points=(0, 0, 0)),
    Binary(
        "int16_broadcast_relu",
        dtype="int16",
        shape2=(1, 1, 1, 3),
        scales=(0.001, 0.001, 1e-4),
        zero_points=(0, 0, 0),
        activation="RELU",
    ),
    Binary("float_same_shape", dtype="float32"),
    Binary("float_broadcast", dtype="float32", shape1=(2, 3, 1), shape2=(1, 4)),
    Binary("float_relu6", dtype="float32", activation="RELU6"),
    Binary("float_relu_n1_to_1_constant", dtype="float32", activation="RELU_N1_TO_1", constant2=True),
    Binary("int32_same_shape", dtype="int32"),
    Binary("int32_broadcast_relu6", dtype="int32", shape2=(1, 1, 4, 1), activation="RELU6"),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_mul_matches_tflm(c: Binary, host_runner: object) -> None:
    assert_matches_tflm(build(c))


def test_int8_mul_all_value_pairs_match_tflm(host_runner: object) -> None:
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


@pytest.mark.parametrize(
    ("shape1", "shape2"),
    [((2, 1, 3, 1, 4), (1, 2, 1, 5, 4)), ((1, 2, 1, 3, 1, 2), (2, 1, 2, 1, 3, 1))],
    ids=["5d", "6d"],
)
def test_float_mul_beyond_4d_broadcasts_like_numpy(
    shape1: tuple[int, ...], shape2: tuple[int, ...], host_runner: object
) -> None:
    """TFLM stops at 4-D for MUL; beyond it we follow numpy (a float product is exact IEEE)."""
    model = build(Binary("nd", dtype="float32", shape1=shape1, shape2=shape2))
    a, b = random_inputs(model, 4)
    (got,) = tinyml_run(model, [a, b])
    assert got.tobytes() == (a * b).astype(np.float32).tobytes()


def test_int16_nonzero_zero_point_is_refused(host_runner: object) -> None:
    model = build(Binary("zp", dtype="int16", scales=(0.001, 0.001, 0.001), zero_points=(1, 0, 0)))
    with pytest.raises(EngineError, match="int16 zero points must be 0, are 1, 0 and 0"):
        tinyml_run(model, random_inputs(model, 0))


def test_shapes_that_do_not_broadcast_are_refused(host_runner: object) -> None:
    model = single_op_model(
        "MUL",
        [TensorSpec((3, 2), "float32"), TensorSpec((4, 2), "float32")],
        [TensorSpec((4, 2), "float32")],
    )
    with pytest.raises(EngineError, match="do not broadcast: dimension -2 is 3 in input 1, 4 in input 2"):
        tinyml_run(model, random_inputs(model, 0))


def test_fused_tanh_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "MUL",
        [TensorSpec((4,), "float32"), TensorSpec((4,), "float32")],
        [TensorSpec((4,), "float32")],
        {"fused_activation_function": "TANH"},
    )
    with pytest.raises(EngineError, match="fused activation 4 not supported"):
        tinyml_run(model, random_inputs(model, 0))
