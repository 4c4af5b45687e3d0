"""The test support library itself: generated models are valid, TFLM runs them,
and the oracle reports TFLM's failures instead of dying with them."""

from __future__ import annotations

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import (
    DATA_ALIGNMENT,
    ModelGenError,
    TensorSpec,
    graph_io,
    single_op_model,
)
from support.oracle import OracleError, tflm_arena_used, tflm_min_arena, tflm_run, tflm_run_many
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema


def _fully_connected_model(bias: bool = True) -> tuple[bytes, np.ndarray, np.ndarray]:
    weights = np.array([[1, -2, 3, -4], [5, 6, -7, 8], [-9, 10, 11, -12]], np.int8)
    bias_values = np.array([100, -200, 300], np.int32)
    model = single_op_model(
        "FULLY_CONNECTED",
        [
            TensorSpec((1, 4), "int8", 0.5, -1),
            TensorSpec((3, 4), "int8", 0.25, 0, data=weights),
            TensorSpec((3,), "int32", 0.125, 0, data=bias_values) if bias else None,
        ],
        [TensorSpec((1, 3), "int8", 1.0, 2)],
        {"fused_activation_function": "NONE"},
    )
    return model, weights, bias_values


def _fully_connected_reference(x: np.ndarray, weights: np.ndarray, bias: np.ndarray | None) -> np.ndarray:
    # real_out = (x - zp_in) * 0.5 * w * 0.25 + bias * 0.125; out = real_out / 1.0 + 2.
    # The rescale factor 0.125 is a power of two, so TFLM's fixed-point
    # rescale is exact and rounds half away from zero.
    acc = ((x.astype(np.int64) + 1) @ weights.T.astype(np.int64)).astype(np.float64)
    if bias is not None:
        acc += bias
    rounded = np.sign(acc) * np.floor(np.abs(acc) * 0.125 + 0.5)
    return np.clip(rounded + 2, -128, 127).astype(np.int8)


def test_model_header_is_what_tflite_loaders_check() -> None:
    model, _, _ = _fully_connected_model()
    assert model[4:8] == b"TFL3"
    root = schema.Model.GetRootAs(model, 0)
    assert root.Version() == 3
    assert root.Buffers(0).DataLength() == 0
    opcode = root.OperatorCodes(0)
    assert opcode.BuiltinCode() == schema.BuiltinOperator.FULLY_CONNECTED
    assert opcode.DeprecatedBuiltinCode() == schema.BuiltinOperator.FULLY_CONNECTED


def test_constant_data_is_16_byte_aligned_in_the_file() -> None:
    model, weights, bias = _fully_connected_model()
    root = schema.Model.GetRootAs(model, 0)
    found = []
    for b in range(1, root.BuffersLength()):
        buffer = root.Buffers(b)
        data = buffer.DataAsNumpy()
        model_start = np.frombuffer(model, np.uint8).__array_interface__["data"][0]
        start = data.__array_interface__["data"][0] - model_start
        assert start % DATA_ALIGNMENT == 0, f"buffer {b} data at offset {start}"
        found.append(bytes(data))
    assert found == [weights.tobytes(), bias.tobytes()]


def test_large_operator_codes_use_the_placeholder_in_the_deprecated_field() -> None:
    # BATCH_MATMUL is 126; GELU (150) is past the int8 range of the old field.
    model = single_op_model(
        "GELU", [TensorSpec((1, 4), "int8", 0.1, 0)], [TensorSpec((1, 4), "int8", 0.1, 0)]
    )
    opcode = schema.Model.GetRootAs(model, 0).OperatorCodes(0)
    assert opcode.BuiltinCode() == schema.BuiltinOperator.GELU
    assert opcode.DeprecatedBuiltinCode() == 127


def _per_channel_conv_model() -> bytes:
    return single_op_model(
        "CONV_2D",
        [
            TensorSpec((1, 5, 5, 1), "int8", 0.5, 0),
            TensorSpec(
                (2, 3, 3, 1),
                "int8",
                [0.1, 0.2],
                [0, 0],
                quantized_dimension=0,
                data=np.ones((2, 3, 3, 1), np.int8),
            ),
            TensorSpec((2,), "int32", [0.05, 0.1], [0, 0], data=np.zeros(2, np.int32)),
        ],
        [TensorSpec((1, 2, 2, 2), "int8", 0.1, -128)],
        {
            "padding": "VALID",
            "stride_w": 2,
            "stride_h": 2,
            "fused_activation_function": "RELU6",
            "dilation_w_factor": 1,
        },
        version=3,
    )


def test_options_map_snake_case_names_and_enum_strings() -> None:
    model = _per_channel_conv_model()
    root = schema.Model.GetRootAs(model, 0)
    op = root.Subgraphs(0).Operators(0)
    assert op.BuiltinOptionsType() == schema.BuiltinOptions.Conv2DOptions
    options = schema.Conv2DOptions()
    options.Init(op.BuiltinOptions().Bytes, op.BuiltinOptions().Pos)
    assert options.Padding() == schema.Padding.VALID
    assert (options.StrideW(), options.StrideH()) == (2, 2)
    assert options.FusedActivationFunction() == schema.ActivationFunctionType.RELU6
    assert root.OperatorCodes(0).Version() == 3
    weights_q = root.Subgraphs(0).Tensors(1).Quantization()
    assert list(weights_q.ScaleAsNumpy()) == pytest.approx([0.1, 0.2])
    assert weights_q.QuantizedDimension() == 0


def test_bad_descriptions_are_refused_with_a_message_naming_the_problem() -> None:
    x = TensorSpec((1, 4), "int8", 0.5, 0)
    with pytest.raises(ModelGenError, match="unknown builtin operator 'CONV3X3'"):
        single_op_model("CONV3X3", [x], [x])
    with pytest.raises(ModelGenError, match="no field 'stride_x'"):
        single_op_model("CONV_2D", [x], [x], {"stride_x": 1})
    with pytest.raises(ModelGenError, match="has no builtin options"):
        single_op_model("RELU", [x], [x], {"padding": "SAME"})
    with pytest.raises(ModelGenError, match="3 scales do not match dimension 0"):
        single_op_model("RELU", [TensorSpec((2, 4), "int8", [0.1, 0.2, 0.3], 0)], [x])
    with pytest.raises(ModelGenError, match="data has 3 elements"):
        single_op_model("ADD", [x, TensorSpec((1, 4), "int8", 0.5, 0, data=np.zeros(3, np.int8))], [x])


def test_graph_io_lists_the_non_constant_inputs_and_the_outputs() -> None:
    model, _, _ = _fully_connected_model()
    inputs, outputs = graph_io(model)
    assert [(t.shape, t.dtype, t.scale, t.zero_point) for t in inputs] == [((1, 4), "int8", 0.5, -1)]
    assert [(t.shape, t.dtype, t.scale, t.zero_point) for t in outputs] == [((1, 3), "int8", 1.0, 2)]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
def test_tflm_runs_a_generated_fully_connected_model(bias: bool) -> None:
    model, weights, bias_values = _fully_connected_model(bias)
    x = np.array([[3, -5, 7, 20]], np.int8)
    (y,) = tflm_run(model, [x])
    assert y.dtype == np.int8 and y.shape == (1, 3)
    np.testing.assert_array_equal(y, _fully_connected_reference(x, weights, bias_values if bias else None))


def test_tflm_runs_a_generated_add_model_with_broadcast_and_relu() -> None:
    spec = TensorSpec((1, 2, 3), "int8", 0.5, 0)
    model = single_op_model(
        "ADD",
        [spec, TensorSpec((1, 1, 3), "int8", 0.5, 0)],
        [TensorSpec((1, 2, 3), "int8", 0.5, 0)],
        {"fused_activation_function": "RELU"},
    )
    a = np.array([[[1, -2, 3], [-40, 50, -60]]], np.int8)
    b = np.array([[[10, 1, -20]]], np.int8)
    (y,) = tflm_run(model, [a, b])
    np.testing.assert_array_equal(y, np.maximum(a.astype(np.int32) + b, 0).astype(np.int8))


def test_tflm_accepts_per_channel_quantization() -> None:
    # Weights all ones, 3x3 VALID window, stride 2: channel c sums nine inputs
    # of real value 1.0 times scale[c]; the output has scale 0.1, zero point -128.
    x = np.full((1, 5, 5, 1), 2, np.int8)  # real value 1.0 each
    (y,) = tflm_run(_per_channel_conv_model(), [x])
    assert y.shape == (1, 2, 2, 2)
    np.testing.assert_array_equal(y[..., 0], np.full((1, 2, 2), 9 - 128, np.int8))  # 9 * 0.1 = 0.9
    np.testing.assert_array_equal(y[..., 1], np.full((1, 2, 2), 18 - 128, np.int8))  # 9 * 0.2 = 1.8


def test_tflm_runs_a_float_model() -> None:
    model = single_op_model(
        "ADD",
        [TensorSpec((4,), "float32"), TensorSpec((4,), "float32", data=np.full(4, 0.25, np.float32))],
        [TensorSpec((4,), "float32")],
    )
    x = np.array([1.0, -2.5, 3.0, 0.0], np.float32)
    (y,) = tflm_run(model, [x])
    np.testing.assert_array_equal(y, x + np.float32(0.25))


def test_tflm_run_many_matches_separate_runs() -> None:
    model, _, _ = _fully_connected_model()
    sets = [random_inputs(model, seed) for seed in range(5)]
    batched = tflm_run_many(model, sets)
    assert len(batched) == 5
    for inputs, outputs in zip(sets, batched, strict=True):
        np.testing.assert_array_equal(outputs[0], tflm_run(model, inputs)[0])


def test_random_inputs_are_seeded_and_follow_the_model() -> None:
    model, _, _ = _fully_connected_model()
    first, again, other = random_inputs(model, 1), random_inputs(model, 1), random_inputs(model, 2)
    assert first[0].dtype == np.int8 and first[0].shape == (1, 4)
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0], other[0])


def test_oracle_reports_tflm_failures_with_tflm_message() -> None:
    # TFLM has no LSH_PROJECTION kernel.
    model = single_op_model(
        "LSH_PROJECTION",
        [TensorSpec((1, 4), "int8", 0.5, 0)],
        [TensorSpec((1, 4), "int32")],
        {"type": "SPARSE"},
    )
    with pytest.raises(OracleError, match="Didn't find op for builtin opcode 'LSH_PROJECTION'"):
        tflm_run(model, [np.zeros((1, 4), np.int8)])


def test_tflm_arena_used_is_reported() -> None:
    model, _, _ = _fully_connected_model()
    used = tflm_arena_used(model)
    assert 0 < used < 64 * 1024


def test_tflm_min_arena_is_the_smallest_arena_that_works() -> None:
    model, _, _ = _fully_connected_model()
    smallest = tflm_min_arena(model)
    assert smallest >= tflm_arena_used(model)


def _generated_models() -> dict[str, bytes]:
    float_add = single_op_model(
        "ADD",
        [TensorSpec((4,), "float32"), TensorSpec((4,), "float32", data=np.full(4, 0.25, np.float32))],
        [TensorSpec((4,), "float32")],
    )
    return {
        "fully_connected": _fully_connected_model()[0],
        "conv_per_channel": _per_channel_conv_model(),
        "float_add": float_add,
    }


@pytest.mark.parametrize("name", ["fully_connected", "conv_per_channel", "float_add"])
def test_engine_runner_round_trip_matches_tflm(name: str) -> None:
    model = _generated_models()[name]
    for seed in range(3):
        inputs = random_inputs(model, seed)
        ours, theirs = tinyml_run(model, inputs), tflm_run(model, inputs)
        assert [(o.dtype, o.shape) for o in ours] == [(t.dtype, t.shape) for t in theirs]
        assert [o.tobytes() for o in ours] == [t.tobytes() for t in theirs]


def test_engine_errors_carry_the_engine_message() -> None:
    model = single_op_model(
        "LSH_PROJECTION",
        [TensorSpec((1, 4), "int8", 0.5, 0)],
        [TensorSpec((1, 4), "int32")],
        {"type": "SPARSE"},
    )
    with pytest.raises(EngineError, match="LSH_PROJECTION") as info:
        tinyml_run(model, [np.zeros((1, 4), np.int8)])
    assert info.value.returncode == 1
