"""CONV_2D: our kernel produces exactly TFLM's bytes.

Each case builds a one-operator model (seeded random weights, bias and
quantization), runs it on seeded random inputs through our engine and through
TFLM, and requires identical output bytes. Cases cover int8 (per-tensor and
per-channel weights), 16x8 (int16 activations, int8 weights, int64 bias) and
float32; SAME / VALID padding; strides 1-3;
dilations 1-2; fused activations; zero points at the int8 extremes; absent
bias; batches; grouped convolution; odd filter shapes. The error cases state
what the engine refuses and that it says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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
class Conv:
    """One CONV_2D model: input [N, H, W, C], filter KH x KW, `out_channels` filters."""

    name: str
    input_shape: tuple[int, int, int, int] = (1, 9, 9, 3)
    filter_hw: tuple[int, int] = (3, 3)
    out_channels: int = 4
    stride: tuple[int, int] = (1, 1)
    dilation: tuple[int, int] = (1, 1)
    padding: str = "SAME"
    activation: str = "NONE"
    groups: int = 1
    dtype: str = "int8"
    per_channel: bool = True
    bias: bool = True
    input_zero_point: int = -3
    weight_zero_point: int = 0
    output_zero_point: int = 5


def out_size(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """TFLite's output size (ComputeOutSize)."""
    effective = (kernel - 1) * dilation + 1
    if padding == "SAME":
        return math.ceil(size / stride)
    return (size - effective + stride) // stride


def output_shape(c: Conv) -> tuple[int, int, int, int]:
    n, h, w, _ = c.input_shape
    (kh, kw), (sh, sw), (dh, dw) = c.filter_hw, c.stride, c.dilation
    return (n, out_size(h, kh, sh, dh, c.padding), out_size(w, kw, sw, dw, c.padding), c.out_channels)


def build(c: Conv, version: int | None = None) -> bytes:
    """The model for case `c`, with weights and scales drawn from a seed derived from its name."""
    rng = np.random.default_rng(sum(map(ord, c.name)))
    in_depth = c.input_shape[3] // c.groups
    filter_shape = (c.out_channels, *c.filter_hw, in_depth)
    options = {
        "padding": c.padding,
        "stride_h": c.stride[0],
        "stride_w": c.stride[1],
        "dilation_h_factor": c.dilation[0],
        "dilation_w_factor": c.dilation[1],
        "fused_activation_function": c.activation,
    }
    if c.dtype == "float32":
        weights = rng.standard_normal(filter_shape).astype(np.float32)
        bias = rng.standard_normal(c.out_channels).astype(np.float32)
        inputs = [
            TensorSpec(c.input_shape, "float32"),
            TensorSpec(filter_shape, "float32", data=weights),
            TensorSpec((c.out_channels,), "float32", data=bias) if c.bias else None,
        ]
        outputs = [TensorSpec(output_shape(c), "float32")]
        return single_op_model("CONV_2D", inputs, outputs, options, version or (6 if c.groups > 1 else 1))

    int16 = c.dtype == "int16"
    # int16 activations span 256 times the int8 range at a 256 times finer scale.
    input_scale = float(rng.uniform(0.01, 0.1)) / (256.0 if int16 else 1.0)
    if c.per_channel:
        weight_scales = [float(s) for s in rng.uniform(0.002, 0.02, c.out_channels)]
    else:
        weight_scales = [float(rng.uniform(0.002, 0.02))] * c.out_channels
    taps = c.filter_hw[0] * c.filter_hw[1] * in_depth
    # An output scale that keeps most results inside int8 without clamping.
    output_scale = input_scale * float(np.mean(weight_scales)) * 100.0 * math.sqrt(taps)
    weights = rng.integers(-127, 128, filter_shape).astype(np.int8)
    bias_range = 20000 * (256 if int16 else 1)
    bias_values = rng.integers(-bias_range, bias_range + 1, c.out_channels).astype(
        np.int64 if int16 else np.int32
    )
    bias_scales = [input_scale * s for s in weight_scales]
    inputs = [
        TensorSpec(c.input_shape, c.dtype, input_scale, 0 if int16 else c.input_zero_point),
        TensorSpec(
            filter_shape, "int8", weight_scales if c.per_channel else weight_scales[0], 0, data=weights
        ),
        TensorSpec(
            (c.out_channels,),
            "int64" if int16 else "int32",
            bias_scales if c.per_channel else bias_scales[0],
            0,
            data=bias_values,
        )
        if c.bias
        else None,
    ]
    outputs = [TensorSpec(output_shape(c), c.dtype, output_scale, 0 if int16 else c.output_zero_point)]
    return single_op_model(
        "CONV_2D", inputs, outputs, options, version or (6 if c.groups > 1 else 4 if int16 else 3)
    )


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


def geometry_sweep(dtype: str) -> list[Conv]:
    """3x3 filters over strides 1-3, both paddings, dilations 1-2."""
    return [
        Conv(
            f"{dtype}_s{s}_{pad.lower()}_d{d}",
            (1, 10, 9, 3),
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
    Conv("pointwise_1x1", (1, 5, 5, 8), (1, 1), 6),
    Conv("pointwise_1x1_odd_channels_batch_2", (2, 4, 3, 5), (1, 1), 7),
    Conv("pointwise_1x1_stride_2_valid", (1, 7, 7, 4), (1, 1), 5, stride=(2, 2), padding="VALID"),
    Conv("dilation_2x2_odd_channels", (1, 9, 9, 3), (3, 3), 5, dilation=(2, 2)),
    Conv("stride_2x1", stride=(2, 1)),
    Conv("stride_1x3_valid", stride=(1, 3), padding="VALID"),
    Conv("dilation_2x1", dilation=(2, 1)),
    Conv("dilation_1x2_stride_2_valid", (1, 11, 11, 2), dilation=(1, 2), stride=(2, 2), padding="VALID"),
    Conv("filter_1x3", filter_hw=(1, 3)),
    Conv("filter_5x2_same", filter_hw=(5, 2)),
    Conv("filter_2x2_same_odd_padding", (1, 8, 8, 3), (2, 2)),
    Conv("filter_4x4_stride_2_same", (1, 7, 7, 2), (4, 4), stride=(2, 2)),
    Conv("filter_larger_than_input_same", (1, 3, 3, 2), (5, 5)),
    Conv("filter_covers_input_valid", (1, 5, 5, 4), (5, 5), 8, padding="VALID"),
    Conv("single_pixel_input", (1, 1, 1, 16), (1, 1), 8),
    Conv("wide_row", (1, 1, 20, 3), (1, 5)),
    Conv("kws_first_layer", (1, 49, 10, 1), (10, 4), 8, stride=(2, 2)),
    Conv("deep_channels", (1, 4, 4, 32), (3, 3), 16),
    Conv("per_tensor", per_channel=False),
    Conv("per_tensor_stride_2_valid", per_channel=False, stride=(2, 2), padding="VALID"),
    Conv("per_tensor_relu6", per_channel=False, activation="RELU6"),
    Conv("relu", activation="RELU"),
    Conv("relu6", activation="RELU6"),
    Conv("relu_n1_to_1", activation="RELU_N1_TO_1"),
    Conv("relu_output_zp_-128", activation="RELU", output_zero_point=-128),
    Conv("input_zp_-128", input_zero_point=-128),
    Conv("input_zp_127", input_zero_point=127),
    Conv("output_zp_-128", output_zero_point=-128),
    Conv("output_zp_127", output_zero_point=127),
    Conv("zero_points_0", input_zero_point=0, output_zero_point=0),
    # TFLM's int8 convolution ignores the weights' zero point (symmetric by the spec).
    Conv("weight_zero_point_ignored", weight_zero_point=3),
    Conv("no_bias", bias=False),
    Conv("no_bias_per_tensor", bias=False, per_channel=False),
    Conv("no_bias_valid_stride_2", bias=False, padding="VALID", stride=(2, 2)),
    Conv("batch_2", (2, 6, 6, 3)),
    Conv("batch_3_stride_2", (3, 7, 5, 2), stride=(2, 2)),
    Conv("groups_2", (1, 6, 6, 4), out_channels=6, groups=2),
    Conv("groups_3_per_tensor", (1, 5, 5, 6), out_channels=3, groups=3, per_channel=False),
    Conv("groups_4_stride_2_relu", (1, 8, 8, 8), out_channels=8, groups=4, stride=(2, 2), activation="RELU"),
]

# int16 zero points are 0 (TFLM requires it), so the zero point cases have no
# int16 twin.
INT16_CASES = [
    *(c for c in geometry_sweep("int16") if c.name.endswith(("s1_same_d1", "s2_valid_d2", "s3_same_d2"))),
    Conv("int16_pointwise_1x1", (1, 5, 5, 8), (1, 1), 6, dtype="int16"),
    Conv("int16_per_tensor", per_channel=False, dtype="int16"),
    Conv("int16_relu", activation="RELU", dtype="int16"),
    Conv("int16_relu6", activation="RELU6", dtype="int16"),
    Conv("int16_relu_n1_to_1", activation="RELU_N1_TO_1", dtype="int16"),
    Conv("int16_no_bias", bias=False, dtype="int16"),
    Conv("int16_no_bias_per_tensor", bias=False, per_channel=False, dtype="int16"),
    Conv("int16_batch_2", (2, 6, 6, 3), dtype="int16"),
    Conv("int16_deep_channels", (1, 4, 4, 32), (3, 3), 16, dtype="int16"),
    Conv("int16_groups_2", (1, 6, 6, 4), out_channels=6, groups=2, dtype="int16"),
]

FLOAT_CASES = [
    *geometry_sweep("float32"),
    Conv("float32_pointwise_1x1", (1, 5, 5, 8), (1, 1), 6, dtype="float32"),
    Conv("float32_relu", activation="RELU", dtype="float32"),
    Conv("float32_relu6", activation="RELU6", dtype="float32"),
    Conv("float32_relu_n1_to_1", activation="RELU_N1_TO_1", dtype="float32"),
    Conv("float32_no_bias", bias=False, dtype="float32"),
    Conv("float32_batch_2_stride_2", (2, 7, 7, 3), stride=(2, 2), dtype="float32"),
    Conv("float32_filter_5x2", filter_hw=(5, 2), dtype="float32"),
    Conv("float32_deep_channels", (1, 4, 4, 32), (3, 3), 16, dtype="float32"),
    Conv("float32_groups_2", (1, 6, 6, 4), out_channels=6, groups=2, dtype="float32"),
]


@pytest.mark.parametrize("case", INT8_CASES + INT16_CASES + FLOAT_CASES, ids=lambda c: c.name)
def test_matches_tflm(case: Conv, host_runner: object) -> None:
    assert_matches_tflm(build(case))


def refused(model: bytes) -> str:
    """The engine's error message for a model it must refuse."""
    inputs = random_inputs(model, 0)
    with pytest.raises(EngineError) as excinfo:
        tinyml_run(model, inputs)
    return excinfo.value.message


def int16_model(input_zero_point: int, bias: TensorSpec | None) -> bytes:
    return single_op_model(
        "CONV_2D",
        [
            TensorSpec((1, 4, 4, 2), "int16", 0.01, input_zero_point),
            TensorSpec((2, 3, 3, 2), "int8", 0.01, 0, data=np.ones((2, 3, 3, 2), np.int8)),
            bias,
        ],
        [TensorSpec((1, 4, 4, 2), "int16", 0.1, 0)],
        {"padding": "SAME", "stride_w": 1, "stride_h": 1},
        version=4,
    )


def test_int16_zero_point_other_than_0_is_refused(host_runner: object) -> None:
    assert "int16 input zero point must be 0" in refused(int16_model(3, None))


def test_int16_with_int32_bias_is_refused(host_runner: object) -> None:
    bias = TensorSpec((2,), "int32", 0.0001, 0, data=np.zeros(2, np.int32))
    assert "bias must be int64" in refused(int16_model(0, bias))


def small_int8_model(
    input_shape: tuple[int, ...],
    weights: TensorSpec,
    output_shape: tuple[int, ...],
    options: dict[str, object],
    version: int = 3,
) -> bytes:
    """A CONV_2D model without bias, for the refusal tests."""
    return single_op_model(
        "CONV_2D",
        [TensorSpec(input_shape, "int8", 0.05, 0), weights, None],
        [TensorSpec(output_shape, "int8", 0.5, 0)],
        options,
        version,
    )


def test_wrong_output_shape_is_refused_with_both_sizes(host_runner: object) -> None:
    weights = TensorSpec((4, 3, 3, 3), "int8", 0.01, 0, data=np.ones((4, 3, 3, 3), np.int8))
    valid = {"padding": "VALID", "stride_w": 1, "stride_h": 1}
    message = refused(small_int8_model((1, 9, 9, 3), weights, (1, 9, 9, 4), valid))
    assert "9 x 9" in message and "7 x 7" in message


def test_tanh_fused_activation_is_refused(host_runner: object) -> None:
    assert "fused activation TANH" in refused(build(Conv("tanh", activation="TANH")))


def test_zero_stride_is_refused(host_runner: object) -> None:
    weights = TensorSpec((1, 3, 3, 1), "int8", 0.01, 0, data=np.ones((1, 3, 3, 1), np.int8))
    options = {"padding": "VALID", "stride_w": 1, "stride_h": 0}
    assert "stride" in refused(small_int8_model((1, 3, 3, 1), weights, (1, 1, 1, 1), options))


@pytest.mark.parametrize("stride", [2**16 + 1, 2**31 - 1])
def test_absurd_strides_are_refused_not_overflowed(stride: int, host_runner: object) -> None:
    weights = TensorSpec((1, 1, 1, 1), "int8", 0.01, 0, data=np.ones((1, 1, 1, 1), np.int8))
    options = {"padding": "SAME", "stride_w": 1, "stride_h": stride}
    message = refused(small_int8_model((1, 3, 3, 1), weights, (1, 1, 3, 1), options))
    assert "strides must be 1 to 65536" in message


def test_dilated_filter_larger_than_2_pow_30_is_refused(host_runner: object) -> None:
    weights = TensorSpec((1, 16386, 1, 1), "int8", 0.01, 0, data=np.ones((1, 16386, 1, 1), np.int8))
    options = {"padding": "SAME", "stride_w": 1, "stride_h": 1, "dilation_h_factor": 65536}
    message = refused(small_int8_model((1, 3, 3, 1), weights, (1, 3, 3, 1), options))
    assert message.endswith("is too large")


def test_filter_quantized_along_the_wrong_dimension_is_refused(host_runner: object) -> None:
    weights = TensorSpec(
        (4, 1, 1, 4),
        "int8",
        [0.01, 0.02, 0.03, 0.04],
        0,
        quantized_dimension=3,
        data=np.ones((4, 1, 1, 4), np.int8),
    )
    options = {"padding": "SAME", "stride_w": 1, "stride_h": 1}
    assert "dimension 3" in refused(small_int8_model((1, 2, 2, 4), weights, (1, 2, 2, 4), options))


def test_versions_above_6_are_refused_at_load(host_runner: object) -> None:
    message = refused(build(Conv("version_7"), version=7))
    assert "CONV_2D" in message and "version 7" in message
