"""AVERAGE_POOL_2D and MAX_POOL_2D: our kernels produce exactly TFLM's bytes.

Each case builds a one-operator model, runs it on seeded random inputs
through our engine and through TFLM, and requires identical output bytes.
Cases cover int8, int16 and float32; SAME / VALID padding (including windows
that hang over the edge, where the average counts only in-image taps);
strides 1-3; square, wide, tall and global filters; every fused activation;
zero points at the int8 extremes; batches. The error cases state what the
engine refuses and that it says why.
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

INPUT_SEEDS = input_seeds(1, 2, 3)


@dataclass(frozen=True)
class Pool:
    """One pooling model: input [N, H, W, C], window KH x KW."""

    name: str
    input_shape: tuple[int, int, int, int] = (1, 8, 8, 3)
    filter_hw: tuple[int, int] = (2, 2)
    stride: tuple[int, int] = (2, 2)
    padding: str = "VALID"
    activation: str = "NONE"
    dtype: str = "int8"
    scale: float = 0.05
    zero_point: int = -3


def out_size(size: int, kernel: int, stride: int, padding: str) -> int:
    """TFLite's output size (ComputeOutSize)."""
    if padding == "SAME":
        return math.ceil(size / stride)
    return (size - kernel + stride) // stride


def build(op: str, c: Pool) -> bytes:
    n, h, w, ch = c.input_shape
    (kh, kw), (sh, sw) = c.filter_hw, c.stride
    out_shape = (n, out_size(h, kh, sh, c.padding), out_size(w, kw, sw, c.padding), ch)
    quantized = c.dtype != "float32"
    scale = c.scale if quantized else None
    zero_point = c.zero_point if c.dtype == "int8" else 0
    options = {
        "padding": c.padding,
        "stride_h": sh,
        "stride_w": sw,
        "filter_height": kh,
        "filter_width": kw,
        "fused_activation_function": c.activation,
    }
    return single_op_model(
        op,
        [TensorSpec(c.input_shape, c.dtype, scale, zero_point)],
        [TensorSpec(out_shape, c.dtype, scale, zero_point)],
        options,
        version={"float32": 1, "int8": 2, "int16": 3}[c.dtype],
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
    Pool("2x2_stride2_valid"),
    Pool("3x3_stride1_same", filter_hw=(3, 3), stride=(1, 1), padding="SAME"),
    Pool("3x3_stride2_same_odd_input", input_shape=(1, 7, 9, 4), filter_hw=(3, 3), padding="SAME"),
    Pool("3x3_stride2_valid_odd_input", input_shape=(1, 7, 9, 4), filter_hw=(3, 3)),
    Pool(
        "4x4_stride3_same_overhang",
        input_shape=(1, 10, 11, 2),
        filter_hw=(4, 4),
        stride=(3, 3),
        padding="SAME",
    ),
    Pool(
        "5x5_stride1_same_big_overhang",
        input_shape=(1, 6, 6, 2),
        filter_hw=(5, 5),
        stride=(1, 1),
        padding="SAME",
    ),
    Pool("wide_1x3", filter_hw=(1, 3), stride=(1, 2)),
    Pool("tall_3x1_same", filter_hw=(3, 1), stride=(2, 1), padding="SAME"),
    Pool("global_like_kws", input_shape=(1, 25, 5, 64), filter_hw=(25, 5), stride=(2, 2)),
    Pool("global_8x8", input_shape=(1, 8, 8, 16), filter_hw=(8, 8), stride=(1, 1)),
    Pool(
        "filter_larger_than_input_same",
        input_shape=(1, 3, 3, 2),
        filter_hw=(5, 5),
        stride=(1, 1),
        padding="SAME",
    ),
    Pool("batch3", input_shape=(3, 6, 6, 5)),
    Pool("relu", activation="RELU", zero_point=10),
    Pool("relu6", activation="RELU6", scale=0.03, zero_point=-100),
    Pool("relu_n1_to_1", activation="RELU_N1_TO_1", scale=0.01, zero_point=0),
    Pool("zero_point_min", zero_point=-128),
    Pool("zero_point_max", zero_point=127),
    Pool("tiny_scale_relu6", activation="RELU6", scale=1e-4, zero_point=5),
    Pool("int16", dtype="int16", scale=0.001),
    Pool("int16_same_relu", dtype="int16", scale=0.002, filter_hw=(3, 3), padding="SAME", activation="RELU"),
    Pool("float", dtype="float32"),
    Pool("float_same_3x3", dtype="float32", input_shape=(2, 7, 7, 3), filter_hw=(3, 3), padding="SAME"),
    Pool("float_relu6", dtype="float32", activation="RELU6"),
    Pool(
        "float_relu_n1_to_1_global",
        dtype="float32",
        input_shape=(1, 5, 5, 8),
        filter_hw=(5, 5),
        activation="RELU_N1_TO_1",
    ),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_average_pool_matches_tflm(c: Pool, host_runner: object) -> None:
    assert_matches_tflm(build("AVERAGE_POOL_2D", c))


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_max_pool_matches_tflm(c: Pool, host_runner: object) -> None:
    assert_matches_tflm(build("MAX_POOL_2D", c))


@pytest.mark.parametrize("op", ["AVERAGE_POOL_2D", "MAX_POOL_2D"])
def test_average_of_in_image_taps_only(op: str, host_runner: object) -> None:
    """A 3x3 SAME window at a corner sees 4 pixels: the mean of a constant image
    stays that constant (padding taps are neither summed nor counted)."""
    c = Pool(
        "corner", input_shape=(1, 4, 4, 1), filter_hw=(3, 3), stride=(1, 1), padding="SAME", dtype="float32"
    )
    x = np.full((1, 4, 4, 1), 2.5, np.float32)
    (y,) = tinyml_run(build(op, c), [x])
    assert np.all(y == 2.5)


def test_quantized_input_and_output_must_share_quantization(host_runner: object) -> None:
    model = single_op_model(
        "AVERAGE_POOL_2D",
        [TensorSpec((1, 4, 4, 1), "int8", 0.5, 0)],
        [TensorSpec((1, 2, 2, 1), "int8", 0.25, 0)],
        {"padding": "VALID", "stride_h": 2, "stride_w": 2, "filter_height": 2, "filter_width": 2},
        version=2,
    )
    with pytest.raises(EngineError, match="quantization differ"):
        tinyml_run(model, random_inputs(model, 0))


def test_wrong_output_shape_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "MAX_POOL_2D",
        [TensorSpec((1, 4, 4, 1), "float32")],
        [TensorSpec((1, 3, 3, 1), "float32")],
        {"padding": "VALID", "stride_h": 2, "stride_w": 2, "filter_height": 2, "filter_width": 2},
    )
    with pytest.raises(
        EngineError, match=r"output shape \[1,3,3,1\] does not match the pooled shape \[1,2,2,1\]"
    ):
        tinyml_run(model, random_inputs(model, 0))


def test_zero_stride_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "AVERAGE_POOL_2D",
        [TensorSpec((1, 4, 4, 1), "float32")],
        [TensorSpec((1, 4, 4, 1), "float32")],
        {"padding": "SAME", "stride_h": 0, "stride_w": 1, "filter_height": 2, "filter_width": 2},
    )
    with pytest.raises(EngineError, match="must be positive"):
        tinyml_run(model, random_inputs(model, 0))


def test_uint8_is_refused_by_name(host_runner: object) -> None:
    model = single_op_model(
        "MAX_POOL_2D",
        [TensorSpec((1, 4, 4, 1), "uint8", 0.5, 128)],
        [TensorSpec((1, 2, 2, 1), "uint8", 0.5, 128)],
        {"padding": "VALID", "stride_h": 2, "stride_w": 2, "filter_height": 2, "filter_width": 2},
    )
    with pytest.raises(EngineError, match=r"MAX_POOL_2D \(node 0\): input type uint8 not supported"):
        tinyml_run(model, random_inputs(model, 0))
