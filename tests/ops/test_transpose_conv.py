"""TRANSPOSE_CONV: our kernel produces exactly TFLM's bytes.

Each case builds a one-operator model (inputs in TFLite's order: output
shape, filter [C_out, KH, KW, C_in], input, optional bias) with seeded random
weights, runs it on seeded random inputs through our engine and TFLM, and
requires identical output bytes. Cases cover int8 (per-channel and
per-tensor weights), 16x8 (int16 activations, int8 weights, int64 or int16
bias) and float32; SAME / VALID padding; strides 1-3; filters smaller and
larger than the stride; fused activations; absent bias; batches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from elementwise_cases import assert_matches_tflm
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model


@dataclass(frozen=True)
class TransposeConv:
    """One model: input [N, H, W, C_in] upsampled by `stride` with a KH x KW filter."""

    name: str
    input_shape: tuple[int, int, int, int] = (1, 4, 5, 3)
    filter_hw: tuple[int, int] = (3, 3)
    out_channels: int = 4
    stride: tuple[int, int] = (2, 2)
    padding: str = "SAME"
    activation: str = "NONE"
    dtype: str = "int8"
    per_channel: bool = True
    bias: str = "present"  # "present", "absent", or "int16" (16x8 with an int16 bias)
    input_zero_point: int = -3
    output_zero_point: int = 5


def output_hw(c: TransposeConv) -> tuple[int, int]:
    """TFLite's output size of a transposed convolution (the inverse of ComputeOutSize)."""
    sizes = []
    for size, kernel, stride in zip(c.input_shape[1:3], c.filter_hw, c.stride, strict=True):
        sizes.append(size * stride if c.padding == "SAME" else (size - 1) * stride + kernel)
    return sizes[0], sizes[1]


def build(c: TransposeConv) -> bytes:
    """The model for case `c`, with weights and scales drawn from a seed derived from its name."""
    rng = np.random.default_rng(sum(map(ord, c.name)))
    n, _, _, in_c = c.input_shape
    out_shape = (n, *output_hw(c), c.out_channels)
    filter_shape = (c.out_channels, *c.filter_hw, in_c)
    options = {
        "padding": c.padding,
        "stride_h": c.stride[0],
        "stride_w": c.stride[1],
        "fused_activation_function": c.activation,
    }
    shape_input = TensorSpec((4,), "int32", data=np.array(out_shape, np.int32))
    version = 4 if c.activation != "NONE" else 3 if c.bias != "absent" or c.dtype == "int16" else 2
    if c.dtype == "float32":
        inputs = [
            shape_input,
            TensorSpec(filter_shape, "float32", data=rng.standard_normal(filter_shape).astype(np.float32)),
            TensorSpec(c.input_shape, "float32"),
        ]
        if c.bias != "absent":
            inputs.append(TensorSpec((c.out_channels,), "float32", data=rng.standard_normal(c.out_channels)))
        outputs = [TensorSpec(out_shape, "float32")]
        return single_op_model("TRANSPOSE_CONV", inputs, outputs, options, 4 if c.activation != "NONE" else 1)

    int16 = c.dtype == "int16"
    # int16 activations span 256 times the int8 range at a 256 times finer scale.
    input_scale = float(rng.uniform(0.01, 0.1)) / (256.0 if int16 else 1.0)
    if c.per_channel:
        weight_scales = [float(s) for s in rng.uniform(0.002, 0.02, c.out_channels)]
    else:
        weight_scales = [float(rng.uniform(0.002, 0.02))] * c.out_channels
    taps = math.ceil(c.filter_hw[0] / c.stride[0]) * math.ceil(c.filter_hw[1] / c.stride[1]) * in_c
    # An output scale that keeps most results inside the output type without clamping.
    output_scale = input_scale * float(np.mean(weight_scales)) * 100.0 * math.sqrt(taps)
    bias_scales = [input_scale * s for s in weight_scales]
    inputs = [
        shape_input,
        TensorSpec(
            filter_shape,
            "int8",
            weight_scales if c.per_channel else weight_scales[0],
            0,
            data=rng.integers(-127, 128, filter_shape).astype(np.int8),
        ),
        TensorSpec(c.input_shape, c.dtype, input_scale, 0 if int16 else c.input_zero_point),
    ]
    if c.bias != "absent":
        bias_type = c.bias if c.bias == "int16" else "int64" if int16 else "int32"
        bias_range = 30000 if bias_type == "int16" else 20000 * (256 if int16 else 1)
        inputs.append(
            TensorSpec(
                (c.out_channels,),
                bias_type,
                bias_scales if c.per_channel else bias_scales[0],
                0,
                data=rng.integers(-bias_range, bias_range + 1, c.out_channels).astype(bias_type),
            )
        )
    outputs = [TensorSpec(out_shape, c.dtype, output_scale, 0 if int16 else c.output_zero_point)]
    return single_op_model("TRANSPOSE_CONV", inputs, outputs, options, version)


FULL_GEOMETRY = ((1, 3), (2, 2), (2, 3), (2, 4), (3, 2))  # (stride, filter size)


def geometry(
    dtype: str, strides_and_filters: tuple[tuple[int, int], ...] = FULL_GEOMETRY
) -> list[TransposeConv]:
    """Strides 1-3 against filters smaller than, equal to and larger than them, both paddings."""
    return [
        TransposeConv(
            f"{dtype}_s{s}_k{k}_{pad.lower()}", stride=(s, s), filter_hw=(k, k), padding=pad, dtype=dtype
        )
        for s, k in strides_and_filters
        for pad in ("SAME", "VALID")
    ]


CASES = [
    *geometry("int8"),
    TransposeConv("stride_2x1", stride=(2, 1)),
    TransposeConv("filter_1x5_stride_1x2", filter_hw=(1, 5), stride=(1, 2)),
    TransposeConv("per_tensor", per_channel=False),
    TransposeConv("no_bias", bias="absent"),
    TransposeConv("relu", activation="RELU"),
    TransposeConv("relu6_output_zp_-128", activation="RELU6", output_zero_point=-128),
    TransposeConv("input_zp_127", input_zero_point=127),
    TransposeConv("batch_2_deep", (2, 3, 3, 16), out_channels=8),
    TransposeConv("autoencoder_layer", (1, 7, 7, 8), (3, 3), 16),
    *geometry("int16", ((2, 3), (3, 2))),
    TransposeConv("int16_per_tensor", per_channel=False, dtype="int16"),
    TransposeConv("int16_no_bias", bias="absent", dtype="int16"),
    TransposeConv("int16_bias_int16", bias="int16", dtype="int16"),
    TransposeConv("int16_relu", activation="RELU", dtype="int16"),
    TransposeConv("int16_batch_2", (2, 3, 3, 4), dtype="int16"),
    *geometry("float32", ((1, 3), (2, 4), (3, 2))),
    TransposeConv("float32_no_bias", bias="absent", dtype="float32"),
    TransposeConv("float32_relu6", activation="RELU6", dtype="float32"),
    TransposeConv("float32_batch_2_deep", (2, 3, 3, 16), out_channels=8, dtype="float32"),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_tflm(case: TransposeConv, host_runner: object) -> None:
    assert_matches_tflm(build(case))


def refused(model: bytes) -> str:
    """The engine's error message for a model it must refuse."""
    with pytest.raises(EngineError) as excinfo:
        tinyml_run(model, random_inputs(model, 0))
    return excinfo.value.message


def test_output_channels_must_match_the_filter(host_runner: object) -> None:
    model = single_op_model(
        "TRANSPOSE_CONV",
        [
            TensorSpec((4,), "int32", data=np.array([1, 4, 4, 3], np.int32)),
            TensorSpec((2, 3, 3, 1), "float32", data=np.ones((2, 3, 3, 1), np.float32)),
            TensorSpec((1, 2, 2, 1), "float32"),
        ],
        [TensorSpec((1, 4, 4, 3), "float32")],
        {"padding": "SAME", "stride_h": 2, "stride_w": 2},
    )
    assert "filter's 2 channels" in refused(model)


def test_int16_with_int32_bias_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "TRANSPOSE_CONV",
        [
            TensorSpec((4,), "int32", data=np.array([1, 4, 4, 1], np.int32)),
            TensorSpec((1, 3, 3, 1), "int8", 0.01, 0, data=np.ones((1, 3, 3, 1), np.int8)),
            TensorSpec((1, 2, 2, 1), "int16", 0.001, 0),
            TensorSpec((1,), "int32", 0.00001, 0, data=np.zeros(1, np.int32)),
        ],
        [TensorSpec((1, 4, 4, 1), "int16", 0.01, 0)],
        {"padding": "SAME", "stride_h": 2, "stride_w": 2},
        version=3,
    )
    assert "bias type int32 not supported with int16 input" in refused(model)
