"""LEAKY_RELU: our kernel produces exactly TFLM's bytes.

Cases cover float32, int8 and int16 with alpha small, 0, negative and above
1, input/output scales equal and different, zero points at the extremes;
every int8 value and 4096 int16 values spread over the range.
"""

from __future__ import annotations

import pytest
from elementwise_cases import Unary, assert_matches_tflm, every_value


def case(name: str, dtype: str = "int8", alpha: float = 0.2, **kw) -> Unary:
    return Unary(name, dtype=dtype, version=2 if dtype == "int16" else 1, options={"alpha": alpha}, **kw)


CASES = [
    case("int8_alpha_0_2", input_q=(0.05, -3), output_q=(0.04, 5)),
    case("int8_alpha_0", alpha=0.0, input_q=(0.05, 0), output_q=(0.05, 0)),
    case("int8_alpha_negative", alpha=-0.7, input_q=(0.05, 10), output_q=(0.05, -10)),
    case("int8_alpha_above_1", alpha=3.5, input_q=(0.02, 0), output_q=(0.1, 0)),
    case("int8_zero_points_extreme", input_q=(0.1, -128), output_q=(0.1, 127)),
    case("int8_output_scale_small_saturates", input_q=(0.1, 0), output_q=(0.01, 0)),
    case("int16_alpha_0_1", "int16", alpha=0.1, input_q=(1e-3, 0), output_q=(8e-4, 0)),
    case("int16_alpha_negative", "int16", alpha=-0.3, input_q=(1e-3, 0), output_q=(1e-3, 0)),
    case("float_alpha_0_2", "float32"),
    case("float_alpha_negative", "float32", alpha=-1.5),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_leaky_relu_matches_tflm(c: Unary) -> None:
    assert_matches_tflm(c.model("LEAKY_RELU"))


@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_leaky_relu_every_value_matches_tflm(dtype: str) -> None:
    x = every_value(dtype)
    q = ((0.07, 20), (0.05, -28)) if dtype == "int8" else ((2e-3, 0), (7e-4, 0))
    c = case("every_value", dtype, alpha=0.3, shape=x.shape, input_q=q[0], output_q=q[1])
    assert_matches_tflm(c.model("LEAKY_RELU"), [[x]])
