"""ABS and NEG: our kernels produce exactly TFLM's bytes.

ABS: float32 (incl. -0.0, NaN, infinities), int8 with equal and different
input/output scales and zero points at the extremes, quantized int16 (zero
points 0) and unquantized int16 (where |-32768| wraps). NEG: float32 only, as
TFLM; other types are refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from elementwise_cases import Unary, assert_matches_tflm, every_value
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model

SPECIAL_FLOATS = np.array([np.nan, -np.nan, 0.0, -0.0, np.inf, -np.inf, 1.5, -1e-40], dtype=np.float32)


def case(name: str, dtype: str = "int8", **kw) -> Unary:
    return Unary(name, dtype=dtype, version={"int8": 2, "int16": 3}.get(dtype, 1), **kw)


CASES = [
    case("int8_same_scale", input_q=(0.05, -3), output_q=(0.05, -3)),
    case("int8_same_scale_zero_points_differ", input_q=(0.05, 100), output_q=(0.05, -128)),
    case("int8_rescaled_down", input_q=(0.05, -128), output_q=(0.2, -128)),
    case("int8_rescaled_up_saturates", input_q=(0.05, 0), output_q=(0.02, 0)),
    case("int16_same_scale", "int16", input_q=(1e-3, 0), output_q=(1e-3, 0)),
    case("int16_rescaled", "int16", input_q=(1e-3, 0), output_q=(7e-4, 0)),
    case("float", "float32"),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_abs_matches_tflm(c: Unary) -> None:
    assert_matches_tflm(c.model("ABS"))


def test_abs_every_int8_value_matches_tflm() -> None:
    x = every_value("int8")
    assert_matches_tflm(
        case("all", shape=x.shape, input_q=(0.03, 7), output_q=(0.05, -120)).model("ABS"), [[x]]
    )


def test_abs_unquantized_int16_matches_tflm() -> None:
    x = np.array([-32768, -32767, -1, 0, 1, 32767, -12345], dtype=np.int16)
    model = single_op_model("ABS", [TensorSpec(x.shape, "int16")], [TensorSpec(x.shape, "int16")], version=4)
    assert_matches_tflm(model, [[x]])


@pytest.mark.parametrize("op", ["ABS", "NEG"])
def test_special_floats_match_tflm(op: str) -> None:
    x = SPECIAL_FLOATS
    assert_matches_tflm(case("special", "float32", shape=x.shape).model(op), [[x]])


def test_neg_matches_tflm() -> None:
    assert_matches_tflm(case("neg", "float32").model("NEG"))


def test_neg_int8_is_refused() -> None:
    model = Unary("neg_int8").model("NEG")
    with pytest.raises(EngineError, match="input type int8 not supported \\(float32 are\\)"):
        tinyml_run(model, random_inputs(model, 0))
