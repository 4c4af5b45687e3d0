"""FULLY_CONNECTED: our kernel produces exactly TFLM's bytes.

Each case builds a one-operator model (seeded random weights, bias and
quantization), runs it on seeded random inputs through our engine and through
TFLM, and requires identical output bytes. Cases cover int8 with per-tensor
weights (TFLM rounds in_scale * weight_scale to float32 before dividing by the
output scale, and applies a weight zero point) and per-channel weights; float32;
fused activations; zero points at the int8 extremes; absent bias; batches and
inputs of rank 1 to 4, flattened or kept (keep_num_dims). The error cases
state what the engine refuses and that it says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import OracleError, tflm_run, tflm_run_many
from support.sweep import input_seeds

# Every test runs on the optimized kernels and on the reference ones (conftest.py).
pytestmark = pytest.mark.usefixtures("kernel_flavour")

INPUT_SEEDS = input_seeds(1, 2)


@dataclass(frozen=True)
class FC:
    """One FULLY_CONNECTED model: an input whose last `depth` elements form a row, `units` outputs."""

    name: str
    input_shape: tuple[int, ...] = (1, 24)
    units: int = 10
    depth: int | None = None  # default: the input's last dimension
    keep_num_dims: bool = False
    activation: str = "NONE"
    dtype: str = "int8"
    per_channel: bool = False
    bias: bool = True
    input_zero_point: int = -3
    weight_zero_point: int = 0
    output_zero_point: int = 5

    @property
    def row(self) -> int:
        return self.depth or self.input_shape[-1]


def output_shape(c: FC) -> tuple[int, ...]:
    if c.keep_num_dims:
        return (*c.input_shape[:-1], c.units)
    return (int(np.prod(c.input_shape)) // c.row, c.units)


def build(c: FC, version: int | None = None, bias_scale_factor: float = 1.0) -> bytes:
    """The model for case `c`, with weights and scales drawn from a seed derived from its name."""
    rng = np.random.default_rng(sum(map(ord, c.name)))
    weight_shape = (c.units, c.row)
    options = {"fused_activation_function": c.activation, "keep_num_dims": c.keep_num_dims}
    int16 = c.dtype == "int16"
    default_version = (
        7 if int16 else 6 if not c.bias else 5 if c.keep_num_dims else 4 if c.dtype == "int8" else 1
    )
    if c.dtype == "float32":
        weights = rng.standard_normal(weight_shape).astype(np.float32)
        bias = rng.standard_normal(c.units).astype(np.float32)
        inputs = [
            TensorSpec(c.input_shape, "float32"),
            TensorSpec(weight_shape, "float32", data=weights),
            TensorSpec((c.units,), "float32", data=bias) if c.bias else None,
        ]
        outputs = [TensorSpec(output_shape(c), "float32")]
        return single_op_model("FULLY_CONNECTED", inputs, outputs, options, version or default_version)

    # int16 activations span 256 times the int8 range at a 256 times finer scale.
    input_scale = float(rng.uniform(0.01, 0.1)) / (256.0 if int16 else 1.0)
    if c.per_channel:
        weight_scales = [float(s) for s in rng.uniform(0.002, 0.02, c.units)]
    else:
        weight_scales = [float(rng.uniform(0.002, 0.02))] * c.units
    # An output scale that keeps most results inside int8 without clamping.
    output_scale = input_scale * float(np.mean(weight_scales)) * 100.0 * math.sqrt(c.row)
    weights = rng.integers(-127, 128, weight_shape).astype(np.int8)
    bias_range = 20000 * (256 if int16 else 1)
    bias_values = rng.integers(-bias_range, bias_range + 1, c.units).astype(np.int64 if int16 else np.int32)
    bias_scales = [input_scale * s * bias_scale_factor for s in weight_scales]
    inputs = [
        TensorSpec(c.input_shape, c.dtype, input_scale, 0 if int16 else c.input_zero_point),
        TensorSpec(
            weight_shape,
            "int8",
            weight_scales if c.per_channel else weight_scales[0],
            c.weight_zero_point,
            data=weights,
        ),
        TensorSpec(
            (c.units,),
            "int64" if int16 else "int32",
            bias_scales if c.per_channel else bias_scales[0],
            0,
            data=bias_values,
        )
        if c.bias
        else None,
    ]
    outputs = [TensorSpec(output_shape(c), c.dtype, output_scale, 0 if int16 else c.output_zero_point)]
    return single_op_model("FULLY_CONNECTED", inputs, outputs, options, version or default_version)


def assert_same_bytes(ours: list[np.ndarray], theirs: list[np.ndarray]) -> None:
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs, strict=True):
        assert a.dtype == b.dtype and a.shape == b.shape, (
            f"ours {a.dtype}{a.shape} vs TFLM {b.dtype}{b.shape}"
        )
        differ = np.flatnonzero(a.reshape(-1).view(np.uint8) != b.reshape(-1).view(np.uint8))
        assert differ.size == 0, (
            f"{differ.size} bytes differ; ours {a.reshape(-1)[:8]} vs TFLM {b.reshape(-1)[:8]} (first 8)"
        )


def assert_matches_tflm(model: bytes) -> None:
    input_sets = [random_inputs(model, seed) for seed in INPUT_SEEDS]
    expected = tflm_run_many(model, input_sets)
    for inputs, theirs in zip(input_sets, expected, strict=True):
        assert_same_bytes(tinyml_run(model, inputs), theirs)


def shape_sweep(dtype: str) -> list[FC]:
    """Batches and input ranks, flattened and kept."""
    return [
        FC(f"{dtype}_vector", (24,), dtype=dtype),
        FC(f"{dtype}_batch_1", (1, 24), dtype=dtype),
        FC(f"{dtype}_batch_3", (3, 24), dtype=dtype),
        FC(f"{dtype}_rank_3_flattened", (2, 3, 8), depth=8, dtype=dtype),
        FC(f"{dtype}_rank_3_kept", (2, 3, 8), keep_num_dims=True, dtype=dtype),
        FC(f"{dtype}_rank_4_one_row", (1, 2, 3, 4), depth=24, dtype=dtype),
        FC(f"{dtype}_rank_4_kept", (1, 2, 3, 4), keep_num_dims=True, dtype=dtype),
        FC(f"{dtype}_single_unit", (2, 16), units=1, dtype=dtype),
        FC(f"{dtype}_depth_1", (5, 1), units=3, dtype=dtype),
        FC(f"{dtype}_wide", (1, 640), units=128, dtype=dtype),
    ]


INT8_CASES = [
    *shape_sweep("int8"),
    FC("ad01_layer", (1, 640), units=128, activation="RELU"),
    FC("hello_world_layer", (1, 1), units=16, activation="RELU"),
    FC("relu", activation="RELU"),
    FC("relu6", activation="RELU6"),
    FC("relu_n1_to_1", activation="RELU_N1_TO_1"),
    FC("relu_output_zp_-128", activation="RELU", output_zero_point=-128),
    FC("input_zp_-128", input_zero_point=-128),
    FC("input_zp_127", input_zero_point=127),
    FC("output_zp_-128", output_zero_point=-128),
    FC("output_zp_127", output_zero_point=127),
    FC("zero_points_0", input_zero_point=0, output_zero_point=0),
    FC("weight_zero_point_3", weight_zero_point=3),
    FC("weight_zero_point_-5_batch_2", (2, 24), weight_zero_point=-5),
    FC("no_bias", bias=False),
    FC("no_bias_batch_3_relu", (3, 24), bias=False, activation="RELU"),
    FC("per_channel", per_channel=True),
    FC("per_channel_batch_3", (3, 24), per_channel=True),
    FC("per_channel_relu6", per_channel=True, activation="RELU6"),
    FC("per_channel_no_bias", per_channel=True, bias=False),
    FC("per_channel_input_zp_-128", per_channel=True, input_zero_point=-128),
    FC("per_channel_wide", (1, 256), units=64, per_channel=True),
    FC("per_channel_rank_3_kept", (2, 3, 8), keep_num_dims=True, per_channel=True),
    FC("per_channel_rank_4_flattened", (2, 2, 2, 4), depth=8, per_channel=True),
    # TFLM ignores the weights' zero point with per-channel weights (symmetric by the spec).
    FC("per_channel_weight_zero_point_ignored", per_channel=True, weight_zero_point=4),
    FC("long_rows_large_sums", (2, 2048), units=8, input_zero_point=-128),
    FC("kept_rank_2", (3, 24), keep_num_dims=True),
]

# int16 zero points are 0 (TFLM requires it): no activation zero point cases.
INT16_CASES = [
    *(c for c in shape_sweep("int16") if "flattened" not in c.name and "one_row" not in c.name),
    FC("int16_relu", activation="RELU", dtype="int16"),
    FC("int16_relu6", activation="RELU6", dtype="int16"),
    FC("int16_relu_n1_to_1", activation="RELU_N1_TO_1", dtype="int16"),
    FC("int16_no_bias", bias=False, dtype="int16"),
    FC("int16_weight_zero_point_3", weight_zero_point=3, dtype="int16"),
    FC("int16_per_channel", per_channel=True, dtype="int16"),
    FC("int16_per_channel_batch_3_no_bias", (3, 24), per_channel=True, bias=False, dtype="int16"),
    FC("int16_long_rows", (2, 2048), units=8, dtype="int16"),
]

FLOAT_CASES = [
    *shape_sweep("float32"),
    FC("float32_relu", activation="RELU", dtype="float32"),
    FC("float32_relu6", activation="RELU6", dtype="float32"),
    FC("float32_relu_n1_to_1", activation="RELU_N1_TO_1", dtype="float32"),
    FC("float32_no_bias", bias=False, dtype="float32"),
    FC("float32_no_bias_rank_3_kept", (2, 3, 8), keep_num_dims=True, bias=False, dtype="float32"),
    FC("float32_long_rows", (2, 2048), units=8, dtype="float32"),
]


@pytest.mark.parametrize("case", INT8_CASES + INT16_CASES + FLOAT_CASES, ids=lambda c: c.name)
def test_matches_tflm(case: FC, host_runner: object) -> None:
    assert_matches_tflm(build(case))


def quantize_multiplier(scale: float) -> tuple[int, int]:
    """TFLM's QuantizeMultiplier: (Q31 multiplier, shift) of a double scale."""
    fraction, exponent = math.frexp(scale)
    q = int(math.floor(abs(fraction) * 2**31 + 0.5)) * (1 if fraction >= 0 else -1)
    if q == 2**31:
        q //= 2
        exponent += 1
    if exponent < -31:
        return 0, 0
    return q, exponent


def requantize(acc: int, multiplier: int, shift: int) -> int:
    """TFLM's MultiplyByQuantizedMultiplier (gemmlowp double rounding), in exact integers."""
    x = acc * 2 ** max(shift, 0)
    product = x * multiplier
    nudge = 2**30 if product >= 0 else 1 - 2**30
    high = abs(product + nudge) // 2**31 * (1 if product + nudge >= 0 else -1)  # truncating division
    exponent = max(-shift, 0)
    mask = 2**exponent - 1
    threshold = (mask >> 1) + (1 if high < 0 else 0)
    return (high >> exponent) + (1 if (high & mask) > threshold else 0)


def scales_where_float32_product_matters(rng: np.random.Generator) -> tuple[float, float, float]:
    """Scales whose in_s * w_s rounded to float32 gives another multiplier than in double.

    The effective scales are small, so int32 sums reach every output value.
    """
    while True:
        input_scale = float(np.float32(rng.uniform(0.001, 0.01)))
        weight_scale = float(np.float32(rng.uniform(0.0001, 0.001)))
        output_scale = float(np.float32(rng.uniform(1.0, 10.0)))
        as_float32 = float(np.float32(input_scale) * np.float32(weight_scale)) / output_scale
        in_double = input_scale * weight_scale / output_scale
        if abs(quantize_multiplier(as_float32)[0] - quantize_multiplier(in_double)[0]) >= 8:
            return input_scale, weight_scale, output_scale


@pytest.mark.parametrize("seed", [3, 5])
def test_per_tensor_multiplier_uses_the_double_scale_product_like_tflm(
    seed: int, host_runner: object
) -> None:
    """The multiplier is (double)in_s * (double)w_s / out_s, as the pip TFLM computes it.

    (Older TFLM sources, and ../shared/docs/bit-exact.md, round in_s * w_s to
    float32 first; this test is the measurement that the oracle does not.)
    The scales make the two readings give different multipliers, and the bias
    values sit where that difference moves the output: the input is its zero
    point, so each unit's sum is exactly its bias.
    """
    input_scale, weight_scale, output_scale = scales_where_float32_product_matters(
        np.random.default_rng(seed)
    )
    in_double = quantize_multiplier(input_scale * weight_scale / output_scale)
    as_float32 = quantize_multiplier(float(np.float32(input_scale) * np.float32(weight_scale)) / output_scale)
    effective = input_scale * weight_scale / output_scale
    # Sums next to each rounding boundary (k + 0.5) / effective, where the two readings disagree.
    candidates = (int((k + 0.5) / effective) + d for k in range(-100, 100) for d in range(-3, 4))
    biases = [b for b in candidates if requantize(b, *in_double) != requantize(b, *as_float32)][:16]
    assert len(biases) == 16, "too few bias values tell the two multipliers apart"
    units = len(biases)
    model = single_op_model(
        "FULLY_CONNECTED",
        [
            TensorSpec((1, 4), "int8", input_scale, 0),
            TensorSpec((units, 4), "int8", weight_scale, 0, data=np.ones((units, 4), np.int8)),
            TensorSpec((units,), "int32", input_scale * weight_scale, 0, data=np.array(biases, np.int32)),
        ],
        [TensorSpec((1, units), "int8", output_scale, 0)],
        {},
        version=4,
    )
    inputs = [np.zeros((1, 4), np.int8)]
    (expected,) = tflm_run(model, inputs)
    assert expected.reshape(-1).tolist() == [requantize(b, *in_double) for b in biases]
    assert_same_bytes(tinyml_run(model, inputs), [expected])


def refused(model: bytes) -> str:
    """The engine's error message for a model it must refuse."""
    inputs = random_inputs(model, 0)
    with pytest.raises(EngineError) as excinfo:
        tinyml_run(model, inputs)
    return excinfo.value.message


def test_bias_scale_far_from_input_times_weight_scale_is_refused_like_tflm(host_runner: object) -> None:
    model = build(FC("bad_bias_scale"), bias_scale_factor=100.0)
    with pytest.raises(OracleError):
        tflm_run(model, random_inputs(model, 0))
    assert "bias scale" in refused(model)


def test_bias_scale_within_tflm_tolerance_is_accepted(host_runner: object) -> None:
    assert_matches_tflm(build(FC("near_bias_scale"), bias_scale_factor=1.001))


def test_int16_input_zero_point_other_than_0_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "FULLY_CONNECTED",
        [
            TensorSpec((1, 4), "int16", 0.01, 2),
            TensorSpec((2, 4), "int8", 0.01, 0, data=np.ones((2, 4), np.int8)),
            None,
        ],
        [TensorSpec((1, 2), "int16", 0.1, 0)],
        {},
        version=7,
    )
    assert "int16 input zero point must be 0" in refused(model)


def test_shuffled_weights_format_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "FULLY_CONNECTED",
        [
            TensorSpec((1, 16), "int8", 0.05, 0),
            TensorSpec((4, 16), "int8", 0.01, 0, data=np.ones((4, 16), np.int8)),
            None,
        ],
        [TensorSpec((1, 4), "int8", 0.5, 0)],
        {"weights_format": "SHUFFLED4x16INT8"},
        version=2,
    )
    assert "weights format" in refused(model)


def test_output_shape_must_match_rows_times_units(host_runner: object) -> None:
    model = single_op_model(
        "FULLY_CONNECTED",
        [
            TensorSpec((3, 8), "int8", 0.05, 0),
            TensorSpec((4, 8), "int8", 0.01, 0, data=np.ones((4, 8), np.int8)),
            None,
        ],
        [TensorSpec((2, 4), "int8", 0.5, 0)],
        {},
        version=6,
    )
    message = refused(model)
    assert "[2, 4]" in message and "[3, 8]" in message


def test_input_must_divide_into_rows(host_runner: object) -> None:
    model = single_op_model(
        "FULLY_CONNECTED",
        [
            TensorSpec((1, 10), "int8", 0.05, 0),
            TensorSpec((4, 8), "int8", 0.01, 0, data=np.ones((4, 8), np.int8)),
            None,
        ],
        [TensorSpec((1, 4), "int8", 0.5, 0)],
        {},
        version=6,
    )
    assert "depth 8" in refused(model)


def test_versions_above_12_are_refused_at_load(host_runner: object) -> None:
    # 12 is the newest version TensorFlow writes (a dynamic-range Dense layer,
    # tests/test_hybrid_models.py); the features of 8 (sparse weights) and 10
    # (int4 weights) are refused by the loader and the type check themselves.
    message = refused(build(FC("version_13"), version=13))
    assert "FULLY_CONNECTED" in message and "version 13" in message
