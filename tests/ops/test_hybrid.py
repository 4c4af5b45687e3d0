"""Hybrid (dynamic-range) CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED.

Float32 activations with int8 weights, as the TensorFlow converter writes them
without a representative dataset. TFLM refuses these models, so the reference
is LiteRT's reference kernels (pip ai-edge-litert, OpResolverType.BUILTIN_REF).
The engine reproduces LiteRT's arithmetic: the same on-the-fly quantization
of each batch of the input (symmetric or asymmetric, as LiteRT chooses), the
same int32 sums, and the float scaling, bias and activation in LiteRT's order.

Tolerance: none. Every case requires outputs bit-identical to LiteRT's
(0 ULP), on two seeded random inputs plus the edge inputs listed in
EDGE_INPUTS (all zeros, a constant, one sign only, large magnitudes).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.litert_oracle import LiteRtError, litert_run_jobs
from support.modelgen import TensorSpec, single_op_model
from support.sweep import input_seeds

INPUT_SEEDS = input_seeds(1, 2)


@dataclass(frozen=True)
class Conv:
    """A hybrid CONV_2D: input [N, H, W, C], `out_channels` filters of filter_hw."""

    name: str
    input_shape: tuple[int, int, int, int] = (1, 8, 8, 3)
    filter_hw: tuple[int, int] = (3, 3)
    out_channels: int = 4
    stride: int = 1
    dilation: int = 1
    padding: str = "SAME"
    activation: str = "NONE"
    groups: int = 1
    scales: str = "per_channel"  # "per_channel" (differing), "equal" (per channel, all equal), "per_tensor"

    def model(self) -> bytes:
        rng = np.random.default_rng(sum(map(ord, self.name)))
        filter_shape = (self.out_channels, *self.filter_hw, self.input_shape[3] // self.groups)
        n, h, w, _ = self.input_shape
        oh, ow = (out_size(h, self.filter_hw[0], self), out_size(w, self.filter_hw[1], self))
        inputs = [
            TensorSpec(self.input_shape, "float32"),
            int8_weights(rng, filter_shape, self.scales, self.out_channels, 0),
            TensorSpec(
                (self.out_channels,),
                "float32",
                data=rng.standard_normal(self.out_channels).astype(np.float32),
            ),
        ]
        options = {
            "padding": self.padding,
            "stride_h": self.stride,
            "stride_w": self.stride,
            "dilation_h_factor": self.dilation,
            "dilation_w_factor": self.dilation,
            "fused_activation_function": self.activation,
        }
        version = 6 if self.groups > 1 else 5 if self.scales == "per_channel" else 2
        return single_op_model(
            "CONV_2D", inputs, [TensorSpec((n, oh, ow, self.out_channels), "float32")], options, version
        )


@dataclass(frozen=True)
class Depthwise:
    """A hybrid DEPTHWISE_CONV_2D: input [N, H, W, C], C * depth_multiplier outputs."""

    name: str
    input_shape: tuple[int, int, int, int] = (1, 8, 8, 3)
    filter_hw: tuple[int, int] = (3, 3)
    depth_multiplier: int = 1
    stride: int = 1
    dilation: int = 1
    padding: str = "SAME"
    activation: str = "NONE"
    bias: bool = True

    def model(self) -> bytes:
        rng = np.random.default_rng(sum(map(ord, self.name)))
        n, h, w, c = self.input_shape
        channels = c * self.depth_multiplier
        inputs = [
            TensorSpec(self.input_shape, "float32"),
            int8_weights(rng, (1, *self.filter_hw, channels), "per_channel", channels, 3),
            TensorSpec((channels,), "float32", data=rng.standard_normal(channels).astype(np.float32))
            if self.bias
            else None,
        ]
        options = {
            "padding": self.padding,
            "stride_h": self.stride,
            "stride_w": self.stride,
            "depth_multiplier": self.depth_multiplier,
            "dilation_h_factor": self.dilation,
            "dilation_w_factor": self.dilation,
            "fused_activation_function": self.activation,
        }
        oh, ow = (out_size(h, self.filter_hw[0], self), out_size(w, self.filter_hw[1], self))
        return single_op_model(
            "DEPTHWISE_CONV_2D", inputs, [TensorSpec((n, oh, ow, channels), "float32")], options, 6
        )


@dataclass(frozen=True)
class FullyConnected:
    """A hybrid FULLY_CONNECTED: input `input_shape` read as rows of `depth`."""

    name: str
    input_shape: tuple[int, ...] = (1, 16)
    units: int = 6
    asymmetric: bool = False
    scales: str = "per_tensor"
    activation: str = "NONE"
    bias: bool = True
    keep_num_dims: bool = False

    def model(self) -> bytes:
        rng = np.random.default_rng(sum(map(ord, self.name)))
        depth = self.input_shape[-1]
        inputs = [
            TensorSpec(self.input_shape, "float32"),
            int8_weights(rng, (self.units, depth), self.scales, self.units, 0),
            TensorSpec((self.units,), "float32", data=rng.standard_normal(self.units).astype(np.float32))
            if self.bias
            else None,
        ]
        rows = int(np.prod(self.input_shape)) // depth
        out_shape = (*self.input_shape[:-1], self.units) if self.keep_num_dims else (rows, self.units)
        options = {
            "fused_activation_function": self.activation,
            "asymmetric_quantize_inputs": self.asymmetric,
            "keep_num_dims": self.keep_num_dims,
        }
        return single_op_model("FULLY_CONNECTED", inputs, [TensorSpec(out_shape, "float32")], options, 3)


def out_size(size: int, kernel: int, c: Conv | Depthwise) -> int:
    effective = (kernel - 1) * c.dilation + 1
    if c.padding == "SAME":
        return -(-size // c.stride)
    return (size - effective) // c.stride + 1


def int8_weights(
    rng: np.random.Generator, shape: tuple[int, ...], scales: str, channels: int, dim: int
) -> TensorSpec:
    """Symmetric int8 weights with one scale, equal per-channel scales, or differing ones."""
    data = rng.integers(-127, 128, shape).astype(np.int8)
    if scales == "per_tensor":
        return TensorSpec(shape, "int8", float(rng.uniform(0.002, 0.02)), 0, data=data)
    if scales == "equal":
        values = [float(rng.uniform(0.002, 0.02))] * channels
    else:
        values = [float(s) for s in rng.uniform(0.002, 0.02, channels)]
    return TensorSpec(shape, "int8", values, [0] * channels, quantized_dimension=dim, data=data)


CASES = [
    # CONV_2D with one filter scale, or equal per-channel scales: LiteRT
    # quantizes the input symmetrically (optimized_ops::HybridConv).
    Conv("conv_per_tensor", scales="per_tensor"),
    Conv("conv_per_tensor_stride_2_valid", (1, 9, 9, 3), stride=2, padding="VALID", scales="per_tensor"),
    Conv("conv_per_tensor_dilation_2", dilation=2, scales="per_tensor"),
    Conv("conv_per_tensor_pointwise", (1, 5, 5, 8), (1, 1), 6, scales="per_tensor"),
    Conv("conv_per_tensor_batch_2_relu6", (2, 6, 6, 3), activation="RELU6", scales="per_tensor"),
    Conv(
        "conv_kws_first_layer", (1, 49, 10, 1), (10, 4), 8, stride=2, activation="RELU", scales="per_tensor"
    ),
    Conv("conv_equal_channel_scales", scales="equal"),
    # Differing per-channel scales, or groups: asymmetric (reference HybridConvPerChannel).
    Conv("conv_per_channel"),
    Conv("conv_per_channel_stride_2_valid", (1, 9, 9, 3), stride=2, padding="VALID"),
    Conv("conv_per_channel_dilation_2", dilation=2),
    Conv("conv_per_channel_filter_5x2_relu", filter_hw=(5, 2), activation="RELU"),
    Conv("conv_per_channel_batch_3_relu_n1_to_1", (3, 5, 5, 2), activation="RELU_N1_TO_1"),
    Conv("conv_groups_2", (1, 6, 6, 4), out_channels=6, groups=2),
    Conv("conv_groups_2_equal_scales", (1, 6, 6, 4), out_channels=6, groups=2, scales="equal"),
    # DEPTHWISE_CONV_2D: always asymmetric (reference DepthwiseConvHybridPerChannel).
    Depthwise("dw"),
    Depthwise("dw_multiplier_2", depth_multiplier=2),
    Depthwise("dw_stride_2_dilation_2_valid", (1, 11, 11, 3), stride=2, dilation=2, padding="VALID"),
    Depthwise("dw_batch_2_relu6", (2, 6, 6, 4), activation="RELU6"),
    Depthwise("dw_single_channel", (1, 7, 7, 1), (3, 3)),
    # FULLY_CONNECTED: symmetric, or asymmetric with asymmetric_quantize_inputs.
    FullyConnected("fc"),
    FullyConnected("fc_asymmetric", asymmetric=True),
    FullyConnected("fc_per_channel", scales="per_channel"),
    FullyConnected("fc_per_channel_asymmetric", asymmetric=True, scales="per_channel"),
    FullyConnected("fc_batch_3_relu", (3, 10), 4, activation="RELU"),
    FullyConnected("fc_batch_3_asymmetric_relu6", (3, 10), 4, asymmetric=True, activation="RELU6"),
    FullyConnected("fc_no_bias", bias=False),
    FullyConnected("fc_keep_num_dims", (2, 3, 8), 5, keep_num_dims=True),
    FullyConnected("fc_4d_input_flattened", (1, 2, 2, 8), 5),
    FullyConnected("fc_deep", (1, 300), 3),
]


def edge_inputs(shape: tuple[int, ...]) -> dict[str, np.ndarray]:
    """Inputs that reach the corners of the on-the-fly quantization."""
    rng = np.random.default_rng(7)
    uniform = rng.uniform(-4.0, 4.0, shape).astype(np.float32)
    first_row_zero = uniform.copy()
    first_row_zero[0] = 0.0  # one batch of zeros: scale 1 for it, the others quantized as usual
    return {
        "zeros": np.zeros(shape, np.float32),  # range 0: LiteRT's scale 1 (FC: the bias directly)
        "constant": np.full(shape, 0.37, np.float32),
        "positive_only": np.abs(uniform),  # asymmetric zero point at -128
        "negative_only": -np.abs(uniform),  # asymmetric zero point at 127
        "large": uniform * np.float32(3.0e4),
        "tiny": uniform * np.float32(1.0e-30),
        "first_batch_zero": first_row_zero,
    }


EDGE_INPUTS = tuple(edge_inputs((1,)))


@dataclass
class Expected:
    model: bytes
    input_sets: list[list[np.ndarray]] = field(default_factory=list)
    outputs: list[list[np.ndarray]] | LiteRtError | None = None


@pytest.fixture(scope="module")
def expected() -> dict[str, Expected]:
    """Every case's models, inputs and LiteRT outputs, from one LiteRT subprocess."""
    table: dict[str, Expected] = {}
    for case in CASES:
        model = case.model()
        shape = case.input_shape
        sets = [random_inputs(model, seed) for seed in INPUT_SEEDS]
        sets += [[x] for x in edge_inputs(shape).values()]
        table[case.name] = Expected(model, sets)
    answers = litert_run_jobs([(e.model, e.input_sets) for e in table.values()])
    for entry, answer in zip(table.values(), answers, strict=True):
        entry.outputs = answer
    return table


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bit_identical_to_litert(
    case: Conv | Depthwise | FullyConnected, expected: dict[str, Expected]
) -> None:
    entry = expected[case.name]
    assert not isinstance(entry.outputs, LiteRtError), f"LiteRT refused the model: {entry.outputs}"
    assert entry.outputs is not None
    names = [f"seed {s}" for s in INPUT_SEEDS] + list(EDGE_INPUTS)
    for name, inputs, theirs in zip(names, entry.input_sets, entry.outputs, strict=True):
        (ours,) = tinyml_run(entry.model, inputs)
        assert ours.shape == theirs[0].shape
        differ = np.flatnonzero(ours.reshape(-1).view(np.uint32) != theirs[0].reshape(-1).view(np.uint32))
        assert differ.size == 0, (
            f"input {name}: {differ.size} of {ours.size} values differ, first at {differ[0]}: "
            f"ours {ours.reshape(-1)[differ[0]]!r} vs LiteRT {theirs[0].reshape(-1)[differ[0]]!r}"
        )


def test_depthwise_single_scale_means_every_channel() -> None:
    """LiteRT refuses a hybrid depthwise filter with one scale for several
    channels; we accept it as that scale on every channel, which gives what
    the same scale repeated per channel gives."""
    rng = np.random.default_rng(3)
    weights = rng.integers(-127, 128, (1, 3, 3, 4)).astype(np.int8)
    bias = rng.standard_normal(4).astype(np.float32)

    def model(scale: float | list[float]) -> bytes:
        zero_points = [0] * 4 if isinstance(scale, list) else 0
        inputs = [
            TensorSpec((1, 6, 6, 4), "float32"),
            TensorSpec((1, 3, 3, 4), "int8", scale, zero_points, quantized_dimension=3, data=weights),
            TensorSpec((4,), "float32", data=bias),
        ]
        options = {"padding": "SAME", "stride_h": 1, "stride_w": 1, "depth_multiplier": 1}
        return single_op_model("DEPTHWISE_CONV_2D", inputs, [TensorSpec((1, 6, 6, 4), "float32")], options, 6)

    x = random_inputs(model(0.01), 5)
    (one_scale,) = tinyml_run(model(0.01), x)
    (repeated,) = tinyml_run(model([0.01] * 4), x)
    np.testing.assert_array_equal(one_scale, repeated)


def refused_model(op: str, **changes: object) -> bytes:
    """A small hybrid model of `op` with one thing changed."""
    rng = np.random.default_rng(11)
    weight_zero_point = changes.get("weight_zero_point", 0)
    bias_dtype = changes.get("bias_dtype", "float32")
    output_dtype = changes.get("output_dtype", "float32")
    bias_data = np.zeros(4, np.int32) if bias_dtype == "int32" else np.zeros(4, np.float32)
    bias = TensorSpec((4,), str(bias_dtype), 0.001 if bias_dtype == "int32" else None, data=bias_data)
    out_q = (0.1, 0) if output_dtype == "int8" else (None, 0)
    if op == "CONV_2D":
        groups = int(changes.get("groups", 1))
        weights = rng.integers(-127, 128, (4, 3, 3, 4 // groups)).astype(np.int8)
        inputs = [
            TensorSpec((1, 5, 5, 4), "float32"),
            TensorSpec((4, 3, 3, 4 // groups), "int8", 0.01, weight_zero_point, data=weights),
            bias,
        ]
        options = {"padding": "SAME", "stride_h": 1, "stride_w": 1}
        outputs = [TensorSpec((1, 5, 5, 4), str(output_dtype), *out_q)]
        return single_op_model(op, inputs, outputs, options, 6 if groups > 1 else 2)
    weights = rng.integers(-127, 128, (4, 8)).astype(np.int8)
    inputs = [
        TensorSpec((1, 8), "float32"),
        TensorSpec((4, 8), "int8", 0.01, weight_zero_point, data=weights),
        bias,
    ]
    return single_op_model(op, inputs, [TensorSpec((1, 4), str(output_dtype), *out_q)], {}, 3)


@pytest.mark.parametrize(
    ("op", "changes", "message"),
    [
        ("CONV_2D", {"weight_zero_point": 3}, "hybrid weights must be symmetric, channel 0 has zero point 3"),
        ("FULLY_CONNECTED", {"weight_zero_point": -1}, "hybrid weights must be symmetric"),
        ("CONV_2D", {"bias_dtype": "int32"}, "hybrid bias must be float32, got int32"),
        ("FULLY_CONNECTED", {"output_dtype": "int8"}, "output must be float32, got int8"),
        ("CONV_2D", {"groups": 2}, "grouped hybrid convolution needs one filter scale per output channel"),
    ],
    ids=[
        "conv_weight_zero_point",
        "fc_weight_zero_point",
        "conv_int32_bias",
        "fc_int8_output",
        "conv_groups_one_scale",
    ],
)
def test_refused_with_a_reason(op: str, changes: dict[str, object], message: str) -> None:
    model = refused_model(op, **changes)
    with pytest.raises(EngineError, match=message):
        tinyml_run(model, random_inputs(model, 1))
