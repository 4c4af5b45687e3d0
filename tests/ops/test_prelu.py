"""PRELU: our kernel produces exactly TFLM's bytes.

alpha is a constant (as converters write it) or a graph input, broadcast
against the input: per channel, scalar, per position. Cases cover float32,
int8 (alpha of both signs, scales equal and different, zero points at the
extremes) and int16 input with int8 alpha.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from elementwise_cases import assert_matches_tflm
from support.modelgen import TensorSpec, single_op_model


@dataclass(frozen=True)
class Prelu:
    name: str
    shape: tuple[int, ...] = (1, 4, 4, 3)
    alpha_shape: tuple[int, ...] = (1, 1, 3)
    dtype: str = "int8"
    input_q: tuple[float, int] = (0.05, -3)
    alpha_q: tuple[float, int] = (0.01, 0)
    output_q: tuple[float, int] = (0.04, 5)
    constant_alpha: bool = True

    def model(self) -> bytes:
        rng = np.random.default_rng(sum(map(ord, self.name)))
        alpha_dtype = "float32" if self.dtype == "float32" else "int8"
        quantized = self.dtype != "float32"
        alpha = None
        if self.constant_alpha:
            alpha = (
                rng.uniform(-1, 1, self.alpha_shape).astype(np.float32)
                if not quantized
                else rng.integers(-128, 128, self.alpha_shape).astype(np.int8)
            )
        si, zi = self.input_q if quantized else (None, 0)
        sa, za = self.alpha_q if quantized else (None, 0)
        so, zo = self.output_q if quantized else (None, 0)
        return single_op_model(
            "PRELU",
            [
                TensorSpec(self.shape, self.dtype, si, zi),
                TensorSpec(self.alpha_shape, alpha_dtype, sa, za, data=alpha),
            ],
            [TensorSpec(tuple(np.broadcast_shapes(self.shape, self.alpha_shape)), self.dtype, so, zo)],
        )


CASES = [
    Prelu("int8_per_channel_alpha"),
    Prelu("int8_scalar_alpha", alpha_shape=(1,)),
    Prelu("int8_per_position_alpha", alpha_shape=(4, 4, 3)),
    Prelu("int8_alpha_input", constant_alpha=False),
    Prelu("int8_alpha_zero_point", alpha_q=(0.004, -60)),
    Prelu("int8_zero_points_extreme", input_q=(0.1, -128), output_q=(0.05, 127)),
    Prelu("int8_output_finer_saturates", input_q=(0.1, 0), output_q=(0.01, 0)),
    Prelu("int16_per_channel_alpha", dtype="int16", input_q=(1e-3, 0), alpha_q=(0.01, 0), output_q=(8e-4, 0)),
    Prelu("float_per_channel_alpha", dtype="float32"),
    Prelu(
        "float_alpha_input_broadcast",
        dtype="float32",
        shape=(2, 3, 1),
        alpha_shape=(1, 5),
        constant_alpha=False,
    ),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_prelu_matches_tflm(c: Prelu) -> None:
    assert_matches_tflm(c.model())
