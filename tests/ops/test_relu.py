"""RELU and RELU6: our kernels produce exactly TFLM's bytes.

RELU rescales int8/int16 from the input to the output scale and clamps at the
output's zero; RELU6 clamps the stored value to [zero point, quantized 6]
without rescaling. Cases cover float32 (incl. -0.0, NaN, infinities), int8
(equal and different scales, zero points at the extremes, a scale where 6 is
outside the int8 range) and int16 (zero points 0); every int8 value and 4096
int16 values spread over the range.
"""

from __future__ import annotations

import numpy as np
import pytest
from elementwise_cases import Unary, assert_matches_tflm, every_value
from support.engine import EngineError, random_inputs, tinyml_run

VERSION = {"int8": 2, "int16": 3, "float32": 1}


def case(name: str, dtype: str = "int8", **kw) -> Unary:
    return Unary(name, dtype=dtype, version=VERSION[dtype], **kw)


CASES = [
    case("int8_same_quantization", input_q=(0.05, -3), output_q=(0.05, -3)),
    case("int8_output_scale_larger", input_q=(0.05, 10), output_q=(0.08, -128)),
    case("int8_output_scale_smaller", input_q=(0.05, 10), output_q=(0.02, -100)),
    case("int8_zero_point_min", input_q=(0.1, -128), output_q=(0.1, -128)),
    case("int8_zero_point_max", input_q=(0.1, 127), output_q=(0.3, 127)),
    case("int8_tiny_scale_six_out_of_range", input_q=(0.01, 0), output_q=(0.01, 0)),
    case("int16_same_scale", "int16", input_q=(1e-3, 0), output_q=(1e-3, 0)),
    case("int16_rescaled", "int16", input_q=(1e-3, 0), output_q=(3e-4, 0)),
    case("float", "float32", shape=(3, 50)),
]


@pytest.mark.parametrize("op", ["RELU", "RELU6"])
@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_relu_matches_tflm(op: str, c: Unary) -> None:
    assert_matches_tflm(c.model(op))


@pytest.mark.parametrize("op", ["RELU", "RELU6"])
@pytest.mark.parametrize("dtype", ["int8", "int16"])
def test_relu_every_value_matches_tflm(op: str, dtype: str) -> None:
    x = every_value(dtype)
    q = ((0.07, 20), (0.05, -128)) if dtype == "int8" else ((2e-3, 0), (7e-4, 0))
    c = case("every_value", dtype, shape=x.shape, input_q=q[0], output_q=q[1])
    assert_matches_tflm(c.model(op), [[x]])


@pytest.mark.parametrize("op", ["RELU", "RELU6"])
def test_relu_special_floats_match_tflm(op: str) -> None:
    x = np.array([np.nan, -np.nan, 0.0, -0.0, np.inf, -np.inf, 6.0, 6.5, -1e-30, 1e-30], dtype=np.float32)
    assert_matches_tflm(case("special", "float32", shape=x.shape).model(op), [[x]])


def test_relu_int16_nonzero_zero_point_is_refused() -> None:
    model = case("zp", "int16", input_q=(1e-3, 3), output_q=(1e-3, 0)).model("RELU")
    with pytest.raises(EngineError, match="int16 zero points must be 0, are 3 and 0"):
        tinyml_run(model, random_inputs(model, 0))
