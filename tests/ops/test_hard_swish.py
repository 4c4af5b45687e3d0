"""HARD_SWISH: our kernel produces exactly TFLM's bytes.

int8 uses TFLM's 16-bit fixed-point algorithm: cases cover input scales for
which the "relu-ish" multiplier shifts left and right, output scales coarser
and finer than the input, zero points at the extremes, and every int8 value
for each; float32 covers the linear, quadratic and zero regions.
"""

from __future__ import annotations

import numpy as np
import pytest
from elementwise_cases import Unary, assert_matches_tflm, every_value
from support.engine import EngineError, random_inputs, tinyml_run

QUANTIZATIONS = {
    "mobilenet_like": ((0.0235, -128), (0.0208, -125)),
    "reluish_left_shift": ((0.1, 0), (0.08, -50)),
    "reluish_right_shift": ((0.0005, 3), (0.0004, -2)),
    "wide_input_range": ((0.5, 20), (0.4, -100)),
    "zero_points_extreme": ((0.05, 127), (0.03, -128)),
    "output_finer_saturates": ((0.05, 0), (0.005, 0)),
}


@pytest.mark.parametrize("name", QUANTIZATIONS)
def test_hard_swish_int8_every_value_matches_tflm(name: str) -> None:
    x = every_value("int8")
    input_q, output_q = QUANTIZATIONS[name]
    c = Unary(name, shape=x.shape, input_q=input_q, output_q=output_q)
    assert_matches_tflm(c.model("HARD_SWISH"), [[x]])


def test_hard_swish_int8_random_matches_tflm() -> None:
    assert_matches_tflm(
        Unary("random", shape=(1, 4, 4, 8), input_q=(0.03, -10), output_q=(0.02, -30)).model("HARD_SWISH")
    )


def test_hard_swish_float_matches_tflm() -> None:
    x = np.concatenate([np.linspace(-8, 8, 1001), [np.inf, -np.inf, 0.0, -0.0, -3.0, 3.0]]).astype(np.float32)
    assert_matches_tflm(Unary("float", dtype="float32", shape=x.shape).model("HARD_SWISH"), [[x]])


def test_hard_swish_output_scale_below_input_over_128_is_refused() -> None:
    model = Unary("fine", input_q=(1.0, 0), output_q=(1e-3, 0)).model("HARD_SWISH")
    with pytest.raises(EngineError, match="output scale .* must be at least input scale / 128"):
        tinyml_run(model, random_inputs(model, 0))
