"""SQUARED_DIFFERENCE: our kernel produces exactly TFLM's bytes.

Cases cover int8 (scales equal, unequal, far apart; output scales from
saturating to coarse; zero points at the extremes), int16 (zero points 0),
float32 and int32; equal shapes and broadcasting (scalar, rank 1 vs rank 4,
both inputs broadcast), one input a constant; every int8 value pair.
"""

from __future__ import annotations

import pytest
from elementwise_cases import Binary, assert_matches_tflm, every_value
from support.engine import EngineError, random_inputs, tinyml_run

OP = "SQUARED_DIFFERENCE"


def case(name: str, dtype: str = "int8", **kw) -> Binary:
    return Binary(name, dtype=dtype, version=2 if dtype == "int8" else 1, **kw)


I16 = {"dtype": "int16", "zero_points": (0, 0, 0)}

CASES = [
    case("int8_same_shape", scales=(0.05, 0.05, 0.5)),
    case("int8_input1_scale_larger", scales=(0.3, 0.02, 2.0)),
    case("int8_input2_scale_larger", scales=(0.007, 0.09, 0.3)),
    case("int8_output_scale_small_saturates", scales=(0.05, 0.05, 0.001)),
    case("int8_output_scale_large", scales=(0.05, 0.05, 40.0)),
    case("int8_zero_points_extreme", scales=(0.02, 0.03, 0.2), zero_points=(-128, 127, -128)),
    case("int8_broadcast_scalar", shape2=(1,), scales=(0.05, 0.05, 0.5)),
    case("int8_broadcast_rank1_vs_rank4", shape1=(3,), shape2=(2, 4, 5, 3), scales=(0.05, 0.04, 0.5)),
    case("int8_broadcast_both", shape1=(2, 1, 5), shape2=(1, 3, 1), scales=(0.05, 0.05, 0.5)),
    case("int8_constant_second_input", constant2=True, shape2=(1, 1, 1, 3), scales=(0.05, 0.05, 0.5)),
    case("int16_same_shape", scales=(1e-3, 1e-3, 0.01), **I16),
    case("int16_unequal_scales_broadcast", shape2=(4, 1, 3), scales=(3e-4, 1.1e-3, 2e-3), **I16),
    case("float_same_shape", dtype="float32"),
    case("float_broadcast", dtype="float32", shape1=(2, 3, 1), shape2=(1, 4)),
    case("int32_same_shape", dtype="int32"),
    case("int32_broadcast", dtype="int32", shape2=(1, 1, 4, 1)),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_squared_difference_matches_tflm(c: Binary) -> None:
    assert_matches_tflm(c.model(OP))


def test_squared_difference_all_int8_value_pairs_match_tflm() -> None:
    a, b = every_value("int8", (1,)), every_value("int8", (1,)).reshape(1, -1)
    c = case("pairs", shape1=a.shape, shape2=b.shape, scales=(0.03, 0.07, 0.6), zero_points=(5, -9, -100))
    assert_matches_tflm(c.model(OP), [[a, b]])


def test_int16_nonzero_zero_point_is_refused() -> None:
    model = case("zp", dtype="int16", scales=(1e-3, 1e-3, 1e-3), zero_points=(0, 2, 0)).model(OP)
    with pytest.raises(EngineError, match="int16 zero points must be 0, are 0, 2 and 0"):
        tinyml_run(model, random_inputs(model, 0))
