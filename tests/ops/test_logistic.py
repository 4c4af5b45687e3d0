"""LOGISTIC and TANH: our kernels produce exactly TFLM's bytes.

int8 (gemmlowp fixed point): every int8 value for input scales from fine to
coarse (where the input radius saturates the output), zero points at the
extremes. int16 (TFLM's sigmoid table): power-of-two input scales (the
direct path, and for TANH its shift-1 variant) and general scales (the
multiplier path), 4096 values spread over the range. float32: a sweep over
[-20, 20] across both cutoffs, and special values.
"""

from __future__ import annotations

import numpy as np
import pytest
from elementwise_cases import Unary, assert_matches_tflm, every_value
from support.engine import EngineError, random_inputs, tinyml_run

OUTPUT_Q = {
    ("LOGISTIC", "int8"): (1 / 256, -128),
    ("TANH", "int8"): (1 / 128, 0),
    ("LOGISTIC", "int16"): (2**-15, 0),
    ("TANH", "int16"): (2**-15, 0),
}
OPS = ["LOGISTIC", "TANH"]


def model(op: str, dtype: str, input_q: tuple[float, int], shape: tuple[int, ...]) -> bytes:
    version = {"int8": 2, "int16": 3}[dtype]
    return Unary(
        "m", shape=shape, dtype=dtype, input_q=input_q, output_q=OUTPUT_Q[op, dtype], version=version
    ).model(op)


INT8_INPUTS = {
    "kws_like": (0.0625, -10),
    "fine_scale": (0.002, 0),
    "coarse_scale_saturates": (0.3, 5),
    "zero_point_min": (0.05, -128),
    "zero_point_max": (0.08, 127),
    "odd_scale": (0.0123457, 13),
}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("name", INT8_INPUTS)
def test_int8_every_value_matches_tflm(op: str, name: str) -> None:
    x = every_value("int8")
    assert_matches_tflm(model(op, "int8", INT8_INPUTS[name], x.shape), [[x]])


INT16_SCALES = {
    "pot_2^-12": 2**-12,
    "pot_2^-11": 2**-11,  # TANH: power-of-two path with shift 1; LOGISTIC: multiplier path
    "pot_2^-10": 2**-10,
    "general_3e-4": 3e-4,
    "general_1e-3": 1e-3,
    "general_fine_1e-5": 1e-5,
}


@pytest.mark.parametrize("op", OPS)
@pytest.mark.parametrize("name", INT16_SCALES)
def test_int16_values_match_tflm(op: str, name: str) -> None:
    x = every_value("int16")
    assert_matches_tflm(model(op, "int16", (INT16_SCALES[name], 0), x.shape), [[x]])


@pytest.mark.parametrize("op", OPS)
def test_float_matches_tflm(op: str) -> None:
    sweep = np.linspace(-20, 20, 8001, dtype=np.float32)
    special = np.array(
        [0.0, -0.0, np.inf, -np.inf, np.nan, 16.619047, 16.62, -9.0, -9.0001, 1e-30], np.float32
    )
    x = np.concatenate([sweep, special])
    m = Unary("f", dtype="float32", shape=x.shape).model(op)
    assert_matches_tflm(m, [[x]])


def test_int8_logistic_output_zero_point_must_be_minus_128() -> None:
    m = Unary("zp", input_q=(0.1, 0), output_q=(1 / 256, 0), version=2).model("LOGISTIC")
    with pytest.raises(EngineError, match="int8 output zero point must be -128, is 0"):
        tinyml_run(m, random_inputs(m, 0))


def test_int16_output_scale_must_be_2_pow_minus_15() -> None:
    m = Unary("s", dtype="int16", input_q=(1e-3, 0), output_q=(1e-3, 0), version=3).model("TANH")
    with pytest.raises(EngineError, match="int16 output scale must be 2\\^-15"):
        tinyml_run(m, random_inputs(m, 0))
