"""RSQRT int8: exactly TFLM's bytes for every valid input value.

TFLM's int8 RSQRT computes 1 / sqrt(x - zp) in fixed point (gemmlowp's
Newton-Raphson inverse square root) and rescales it; x below the input zero
point (a negative number) makes it fail the invoke. Each case feeds every
int8 value from the input zero point to 127 under one pair of scales and
zero points. (The float32 form is tested in test_exp_log.py.)
"""

from __future__ import annotations

import numpy as np
import pytest
from elementwise_cases import Unary, assert_matches_tflm
from support.engine import EngineError, tinyml_run

CASES = [
    Unary("unit_scales", input_q=(1.0, 0), output_q=(1 / 128, -128)),
    Unary("typical", input_q=(0.05, -128), output_q=(0.05, -128)),
    Unary("zero_point_0", input_q=(0.02, 0), output_q=(0.1, 0)),
    Unary("zero_point_100", input_q=(0.1, 100), output_q=(0.03, -20)),
    Unary("output_saturates", input_q=(0.001, -50), output_q=(0.5, 10)),
    Unary("large_output_scale", input_q=(4.0, -128), output_q=(0.002, -128)),
    Unary("small_input_scale", input_q=(1e-4, 5), output_q=(2.0, 3)),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_int8_matches_tflm_on_every_valid_input(case: Unary, host_runner: object) -> None:
    zero_point = case.input_q[1]
    x = np.arange(zero_point, 128, dtype=np.int8)
    model = Unary(case.name, shape=x.shape, input_q=case.input_q, output_q=case.output_q, version=2).model(
        "RSQRT"
    )
    assert_matches_tflm(model, [[x]])


def test_int8_input_below_the_zero_point_fails_the_invoke(host_runner: object) -> None:
    model = Unary("negative", shape=(3,), input_q=(0.1, 10), output_q=(0.1, 0), version=2).model("RSQRT")
    with pytest.raises(EngineError, match="below the zero point 10"):
        tinyml_run(model, [np.array([12, 9, 30], np.int8)])
