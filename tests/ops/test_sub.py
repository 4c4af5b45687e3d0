"""SUB: our kernel produces exactly TFLM's bytes.

Cases cover int8 and int16 (scales equal, unequal either way, far apart;
zero points at the extremes; every fused activation), float32 and int32;
equal shapes and broadcasting (scalar, rank 1 vs rank 4, both inputs
broadcast, 5-D and 6-D), one input a constant; every int8 value pair and
4096 x 64 int16 value pairs.
"""

from __future__ import annotations

import numpy as np
import pytest
from elementwise_cases import Binary, assert_matches_tflm, every_value
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model


def sub(name: str, **kw) -> Binary:
    dtype = kw.get("dtype", "int8")
    version = {"int8": 2, "int16": 5}.get(dtype, 1)
    if max(len(kw.get("shape1", ())), len(kw.get("shape2", ()))) > 4:
        version = max(version, 3)
    return Binary(name, version=version, **kw)


I16 = {"dtype": "int16", "zero_points": (0, 0, 0)}

CASES = [
    sub("int8_same_shape"),
    sub("int8_equal_scales_everywhere", scales=(0.1, 0.1, 0.1), zero_points=(0, 0, 0)),
    sub("int8_input1_scale_larger", scales=(0.3, 0.02, 0.25)),
    sub("int8_input2_scale_larger", scales=(0.007, 0.9, 0.5)),
    sub("int8_scales_1000x_apart", scales=(1e-4, 0.1, 0.08)),
    sub("int8_float_vs_double_scales", scales=(0.0123457, 0.0371, 0.0291)),
    sub("int8_small_output_scale_saturates", scales=(0.5, 0.4, 0.01)),
    sub("int8_zero_points_min", zero_points=(-128, -128, -128)),
    sub("int8_zero_points_max", zero_points=(127, 127, 127)),
    sub("int8_zero_points_mixed", zero_points=(-128, 127, 0), scales=(0.02, 0.03, 0.04)),
    sub("int8_relu", options={"fused_activation_function": "RELU"}, zero_points=(0, 0, -20)),
    sub("int8_relu6", options={"fused_activation_function": "RELU6"}, scales=(0.05, 0.05, 0.03)),
    sub(
        "int8_relu_n1_to_1", options={"fused_activation_function": "RELU_N1_TO_1"}, scales=(0.02, 0.02, 0.01)
    ),
    sub("int8_broadcast_scalar", shape2=(1,)),
    sub("int8_broadcast_rank1_vs_rank4", shape1=(3,), shape2=(2, 4, 5, 3)),
    sub("int8_broadcast_both", shape1=(2, 1, 5), shape2=(1, 3, 1)),
    sub("int8_5d", shape1=(2, 1, 3, 1, 4), shape2=(1, 2, 1, 5, 4)),
    sub("int8_6d", shape1=(1, 2, 1, 3, 1, 2), shape2=(2, 1, 2, 1, 3, 1)),
    sub("int8_constant_second_input", constant2=True, shape2=(1, 1, 1, 3)),
    sub("int16_same_shape", scales=(0.001, 0.002, 0.003), **I16),
    sub("int16_unequal_scales", scales=(3e-4, 1.7e-3, 9e-4), **I16),
    sub(
        "int16_broadcast_relu",
        shape2=(4, 1, 3),
        scales=(0.001, 0.001, 5e-4),
        options={"fused_activation_function": "RELU"},
        **I16,
    ),
    sub("int16_nonzero_zero_points", dtype="int16", scales=(0.001, 0.002, 0.003), zero_points=(5, -7, 3)),
    sub("float_same_shape", dtype="float32"),
    sub("float_broadcast", dtype="float32", shape1=(2, 3, 1), shape2=(1, 4)),
    sub("float_relu6", dtype="float32", options={"fused_activation_function": "RELU6"}),
    sub("float_6d", dtype="float32", shape1=(2, 1, 2, 1, 2, 1), shape2=(1, 3, 1, 2, 1, 2)),
    sub("int32_same_shape", dtype="int32"),
    sub(
        "int32_broadcast_relu",
        dtype="int32",
        shape2=(1, 1, 4, 1),
        options={"fused_activation_function": "RELU"},
    ),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_sub_matches_tflm(c: Binary) -> None:
    assert_matches_tflm(c.model("SUB"))


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_sub_many_value_pairs_match_tflm(dtype: str) -> None:
    """int8: every pair of values; int16: 4096 x 64 pairs spread over the range."""
    zero_points = (5, -9, 1) if dtype == "int8" else (0, 0, 0)
    a = every_value(dtype, (1,))
    b = every_value(dtype, (1,))[:: 1 if dtype == "int8" else 64].reshape(1, -1)
    c = Binary(
        "pairs",
        shape1=a.shape,
        shape2=b.shape,
        dtype=dtype,
        scales=(0.03, 0.07, 0.06),
        zero_points=zero_points,
        version=2 if dtype == "int8" else 5,
    )
    assert_matches_tflm(c.model("SUB"), [[a, b]])


def test_sub_output_scale_far_below_inputs_is_refused() -> None:
    """TFLM aborts when 2 * max input scale / (2^20 * output scale) >= 1; we refuse."""
    model = sub("tiny_out", scales=(1.0, 1.0, 1e-6)).model("SUB")
    with pytest.raises(EngineError, match="output scale .* is too small"):
        tinyml_run(model, random_inputs(model, 0))


def test_sub_shapes_that_do_not_broadcast_are_refused() -> None:
    model = single_op_model(
        "SUB", [TensorSpec((2, 3), "float32"), TensorSpec((4, 3), "float32")], [TensorSpec((4, 3), "float32")]
    )
    with pytest.raises(EngineError, match="do not broadcast: dimension -2 is 2 in input 1, 4 in input 2"):
        tinyml_run(model, [np.zeros((2, 3), np.float32), np.zeros((4, 3), np.float32)])
