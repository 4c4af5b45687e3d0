"""DEPTHWISE_CONV_2D: our kernel produces exactly TFLM's bytes.

Each case builds a one-operator model (seeded random weights, bias and
quantization), runs it on seeded random inputs through our engine and through
TFLM, and requires identical output bytes. Cases cover int8 (per-tensor and
per-channel weights), 16x8 (int16 activations, int8 weights, int64 bias) and
float32; SAME / VALID padding; strides 1-3;
dilations 1-2; depth multipliers 1-3; fused activations; zero points at the
int8 extremes; batches; odd filter shapes.

TFLM crashes (null pointer) on a depthwise convolution without bias, so for
those cases the reference is TFLM on the same model with an all-zero bias:
an absent bias must act exactly like a zero one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many
from support.sweep import input_seeds

# Every test runs on the optimized kernels and on the reference ones (conftest.py).
pytestmark = pytest.mark.usefixtures("kernel_flavour")

INPUT_SEEDS = input_seeds(1, 2)


@dataclass(frozen=True)
class Depthwise:
    """One DEPTHWISE_CONV_2D model: input [N, H, W, C], filter KH x KW, C * multiplier outputs."""

    name: str
    input_shape: tuple[int, int, int, int] = (1, 9, 9, 3)
    filter_hw: tuple[int, int] = (3, 3)
    multiplier: int = 1
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    padding: str = "SAME"
    activation: str = "NONE"
    dtype: str = "int8"
    per_channel: bool = True
    bias: str = "random"  # "random", "zero" or "absent"
    input_zero_point: int = -3
    output_zero_point: int = 5


def out_size(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """TFLite's output size (ComputeOutSize)."""
    effective = (kernel - 1) * dilation + 1
    if padding == "SAME":
        return math.ceil(size / stride)
    return (size - effective + stride) // stride


def output_shape(c: Depthwise) -> tuple[int, int, int, int]:
    n, h, w, channels = c.input_shape
    (kh, kw), (sh, sw), (dh, dw) = c.filter_hw, c.stride, c.dilation
    return (
        n,
        out_size(h, kh, sh, dh, c.padding),
        out_size(w, kw, sw, dw, c.padding),
        channels * c.multiplier,
    )


def build(c: Depthwise, version: int | None = None) -> bytes:
    """The model for case `c`, with weights and scales drawn from a seed derived from its name."""
    rng = np.random.default_rng(sum(map(ord, c.name)))
    out_channels = c.input_shape[3] * c.multiplier
    filter_shape = (1, *c.filter_hw, out_channels)
    options = {
        "padding": c.padding,
        "stride_h": c.stride[0],
        "stride_w": c.stride[1],
        "dilation_h_factor": c.dilation[0],
        "dilation_w_factor": c.dilation[1],
        "depth_multiplier": c.multiplier,
        "fused_activation_function": c.activation,
    }
    if c.dtype == "float32":
        weights = rng.standard_normal(filter_shape).astype(np.float32)
        bias = rng.standard_normal(out_channels).astype(np.float32)
        if c.bias == "zero":
            bias[:] = 0.0
        inputs = [
            TensorSpec(c.input_shape, "float32"),
            TensorSpec(filter_shape, "float32", data=weights),
            None if c.bias == "absent" else TensorSpec((out_channels,), "float32", data=bias),
        ]
        outputs = [TensorSpec(output_shape(c), "float32")]
        default_version = 2 if c.dilation != (1, 1) else 1
        return single_op_model("DEPTHWISE_CONV_2D", inputs, outputs, options, version or default_version)

    int16 = c.dtype == "int16"
    # int16 activations span 256 times the int8 range at a 256 times finer scale.
    input_scale = float(rng.uniform(0.01, 0.1)) / (256.0 if int16 else 1.0)
    if c.per_channel:
        weight_scales = [float(s) for s in rng.uniform(0.002, 0.02, out_channels)]
    else:
        weight_scales = [float(rng.uniform(0.002, 0.02))] * out_channels
    taps = c.filter_hw[0] * c.filter_hw[1]
    # An output scale that keeps most results inside int8 without clamping.
    output_scale = input_scale * float(np.mean(weight_scales)) * 100.0 * math.sqrt(taps)
    weights = rng.integers(-127, 128, filter_shape).astype(np.int8)
    bias_range = 20000 * (256 if int16 else 1)
    bias_values = rng.integers(-bias_range, bias_range + 1, out_channels).astype(
        np.int64 if int16 else np.int32
    )
    if c.bias == "zero":
        bias_values[:] = 0
    bias_scales = [input_scale * s for s in weight_scales]
    inputs = [
        TensorSpec(c.input_shape, c.dtype, input_scale, 0 if int16 else c.input_zero_point),
        TensorSpec(
            filter_shape,
            "int8",
            weight_scales if c.per_channel else weight_scales[0],
            0,
            quantized_dimension=3,
            data=weights,
        ),
        None
        if c.bias == "absent"
        else TensorSpec(
            (out_channels,),
            "int64" if int16 else "int32",
            bias_scales if c.per_channel else bias_scales[0],
            0,
            data=bias_values,
        ),
    ]
    outputs = [TensorSpec(output_shape(c), c.dtype, output_scale, 0 if int16 else c.output_zero_point)]
    return single_op_model("DEPTHWISE_CONV_2D", inputs, outputs, options, version or (5 if int16 else 3))


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


def assert_matches_tflm(case: Depthwise) -> None:
    model = build(case)
    reference = build(replace(case, bias="zero")) if case.bias == "absent" else model
    input_sets = [random_inputs(model, seed) for seed in INPUT_SEEDS]
    expected = tflm_run_many(reference, input_sets)
    for inputs, theirs in zip(input_sets, expected, strict=True):
        assert_same_bytes(tinyml_run(model, inputs), theirs)


def geometry_sweep(dtype: str) -> list[Depthwise]:
    """3x3 filters over strides 1-3, both paddings, dilations 1-2."""
    return [
        Depthwise(
            f"{dtype}_s{s}_{pad.lower()}_d{d}",
            (1, 10, 9, 4),
            stride=(s, s),
            dilation=(d, d),
            padding=pad,
            dtype=dtype,
        )
        for s in (1, 2, 3)
        for pad in ("SAME", "VALID")
        for d in (1, 2)
    ]


INT8_CASES = [
    *geometry_sweep("int8"),
    Depthwise("multiplier_2", multiplier=2),
    Depthwise("multiplier_3_stride_2", multiplier=3, stride=(2, 2)),
    Depthwise("multiplier_2_valid_dilation_2", multiplier=2, padding="VALID", dilation=(2, 2)),
    Depthwise("multiplier_4_single_channel", (1, 6, 6, 1), multiplier=4),
    Depthwise("stride_2x1", stride=(2, 1)),
    Depthwise("stride_1x3_valid", stride=(1, 3), padding="VALID"),
    Depthwise("dilation_2x1", dilation=(2, 1)),
    Depthwise("filter_1x1", filter_hw=(1, 1)),
    Depthwise("filter_1x5", filter_hw=(1, 5)),
    Depthwise("filter_5x2_same", filter_hw=(5, 2)),
    Depthwise("filter_2x2_same_odd_padding", (1, 8, 8, 3), (2, 2)),
    Depthwise("filter_larger_than_input_same", (1, 3, 3, 2), (5, 5)),
    Depthwise("filter_covers_input_valid", (1, 5, 5, 8), (5, 5), padding="VALID"),
    Depthwise("micro_speech_layer", (1, 49, 40, 1), (10, 8), multiplier=8, stride=(2, 2)),
    Depthwise("kws_layer", (1, 25, 5, 64), (3, 3)),
    Depthwise("per_tensor", per_channel=False),
    Depthwise("per_tensor_multiplier_2", per_channel=False, multiplier=2),
    Depthwise("per_tensor_relu6_stride_2", per_channel=False, activation="RELU6", stride=(2, 2)),
    Depthwise("relu", activation="RELU"),
    Depthwise("relu6", activation="RELU6"),
    Depthwise("relu_n1_to_1", activation="RELU_N1_TO_1"),
    Depthwise("relu_output_zp_-128", activation="RELU", output_zero_point=-128),
    Depthwise("input_zp_-128", input_zero_point=-128),
    Depthwise("input_zp_127", input_zero_point=127),
    Depthwise("output_zp_-128", output_zero_point=-128),
    Depthwise("output_zp_127", output_zero_point=127),
    Depthwise("zero_points_0", input_zero_point=0, output_zero_point=0),
    Depthwise("zero_bias", bias="zero"),
    Depthwise("no_bias", bias="absent"),
    Depthwise("no_bias_per_tensor_multiplier_2", bias="absent", per_channel=False, multiplier=2),
    Depthwise("batch_2", (2, 6, 6, 3)),
    Depthwise("batch_3_multiplier_2_stride_2", (3, 7, 5, 2), multiplier=2, stride=(2, 2)),
]

# int16 zero points are 0 (TFLM requires it): no zero point cases.
INT16_CASES = [
    *(c for c in geometry_sweep("int16") if c.name.endswith(("s1_same_d1", "s2_valid_d2", "s3_same_d2"))),
    Depthwise("int16_multiplier_2", multiplier=2, dtype="int16"),
    Depthwise("int16_multiplier_3_stride_2", multiplier=3, stride=(2, 2), dtype="int16"),
    Depthwise("int16_per_tensor", per_channel=False, dtype="int16"),
    Depthwise("int16_relu", activation="RELU", dtype="int16"),
    Depthwise("int16_relu6", activation="RELU6", dtype="int16"),
    Depthwise("int16_relu_n1_to_1", activation="RELU_N1_TO_1", dtype="int16"),
    Depthwise("int16_no_bias", bias="absent", dtype="int16"),
    Depthwise("int16_batch_2", (2, 6, 6, 3), dtype="int16"),
    Depthwise("int16_kws_layer", (1, 25, 5, 64), (3, 3), dtype="int16"),
]

FLOAT_CASES = [
    *geometry_sweep("float32"),
    Depthwise("float32_multiplier_2", multiplier=2, dtype="float32"),
    Depthwise("float32_multiplier_3_valid", multiplier=3, padding="VALID", dtype="float32"),
    Depthwise("float32_relu", activation="RELU", dtype="float32"),
    Depthwise("float32_relu6", activation="RELU6", dtype="float32"),
    Depthwise("float32_relu_n1_to_1", activation="RELU_N1_TO_1", dtype="float32"),
    Depthwise("float32_no_bias", bias="absent", dtype="float32"),
    Depthwise("float32_batch_2_stride_2", (2, 7, 7, 3), stride=(2, 2), dtype="float32"),
    Depthwise("float32_filter_5x2", filter_hw=(5, 2), dtype="float32"),
]


@pytest.mark.parametrize("case", INT8_CASES + INT16_CASES + FLOAT_CASES, ids=lambda c: c.name)
def test_matches_tflm(case: Depthwise, host_runner: object) -> None:
    assert_matches_tflm(case)


def refused(model: bytes) -> str:
    """The engine's error message for a model it must refuse."""
    inputs = random_inputs(model, 0)
    with pytest.raises(EngineError) as excinfo:
        tinyml_run(model, inputs)
    return excinfo.value.message


def int8_model(
    input_shape: tuple[int, ...],
    filter_shape: tuple[int, ...],
    output_shape: tuple[int, ...],
    options: dict[str, object],
    version: int = 3,
) -> bytes:
    """A small int8 DEPTHWISE_CONV_2D model with zero bias, for the refusal tests."""
    channels = filter_shape[-1]
    return single_op_model(
        "DEPTHWISE_CONV_2D",
        [
            TensorSpec(input_shape, "int8", 0.05, 0),
            TensorSpec(filter_shape, "int8", 0.01, 0, data=np.ones(filter_shape, np.int8)),
            TensorSpec((channels,), "int32", 0.0005, 0, data=np.zeros(channels, np.int32)),
        ],
        [TensorSpec(output_shape, "int8", 0.5, 0)],
        options,
        version,
    )


SAME_1 = {"padding": "SAME", "stride_w": 1, "stride_h": 1}


def test_depth_multiplier_must_match_the_channel_counts(host_runner: object) -> None:
    message = refused(int8_model((1, 4, 4, 2), (1, 3, 3, 4), (1, 4, 4, 4), {**SAME_1, "depth_multiplier": 3}))
    assert "depth_multiplier 3 differ" in message


def test_wrong_output_shape_is_refused_with_both_sizes(host_runner: object) -> None:
    valid = {"padding": "VALID", "stride_w": 2, "stride_h": 2, "depth_multiplier": 1}
    message = refused(int8_model((1, 9, 9, 2), (1, 3, 3, 2), (1, 3, 3, 2), valid))
    assert "3 x 3" in message and "4 x 4" in message


def test_filter_with_leading_dimension_other_than_1_is_refused(host_runner: object) -> None:
    message = refused(int8_model((1, 4, 4, 2), (2, 3, 3, 2), (1, 4, 4, 2), {**SAME_1, "depth_multiplier": 1}))
    assert "first dimension" in message


def test_int16_output_zero_point_other_than_0_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "DEPTHWISE_CONV_2D",
        [
            TensorSpec((1, 4, 4, 2), "int16", 0.01, 0),
            TensorSpec((1, 3, 3, 2), "int8", 0.01, 0, data=np.ones((1, 3, 3, 2), np.int8)),
            TensorSpec((2,), "int64", 0.0001, 0, data=np.zeros(2, np.int64)),
        ],
        [TensorSpec((1, 4, 4, 2), "int16", 0.1, 7)],
        {**SAME_1, "depth_multiplier": 1},
        version=5,
    )
    assert "int16 output zero point must be 0" in refused(model)


def test_relu_n1_to_1_with_a_tiny_output_scale_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "DEPTHWISE_CONV_2D",
        [
            TensorSpec((1, 2, 2, 1), "int8", 0.05, 0),
            TensorSpec((1, 1, 1, 1), "int8", 0.01, 0, data=np.ones((1, 1, 1, 1), np.int8)),
            None,
        ],
        [TensorSpec((1, 2, 2, 1), "int8", 1e-12, 0)],
        {**SAME_1, "depth_multiplier": 1, "fused_activation_function": "RELU_N1_TO_1"},
    )
    assert "too small for RELU_N1_TO_1" in refused(model)


def test_versions_above_6_are_refused_at_load(host_runner: object) -> None:
    message = refused(build(Depthwise("version_7"), version=7))
    assert "DEPTHWISE_CONV_2D" in message and "version 7" in message
