"""MAXIMUM: our kernel produces exactly TFLM's bytes.

MAXIMUM compares the stored values (no requantization). Cases cover float32
(including NaN, +-0.0 and infinities in either input), int8, int16 and
int32; equal shapes and broadcasting (scalar, rank 1 vs rank 4, both inputs
broadcast, 5-D), one input a constant.
"""

from __future__ import annotations

import numpy as np
import pytest
from elementwise_cases import Binary, assert_matches_tflm

OP = "MAXIMUM"
Q = {"scales": (0.1, 0.1, 0.1), "zero_points": (3, 3, 3)}


def case(name: str, dtype: str = "int8", **kw) -> Binary:
    version = {"int8": 2, "int16": 4}.get(dtype, 1)
    if max(len(kw.get("shape1", ())), len(kw.get("shape2", ()))) > 4 and version < 3:
        version = 3
    return Binary(name, dtype=dtype, version=version, **{**Q, **kw})


CASES = [
    case("int8_same_shape"),
    case("int8_broadcast_scalar", shape2=(1,)),
    case("int8_broadcast_rank1_vs_rank4", shape1=(3,), shape2=(2, 4, 5, 3)),
    case("int8_broadcast_both", shape1=(2, 1, 5), shape2=(1, 3, 1)),
    case("int8_5d", shape1=(2, 1, 3, 1, 4), shape2=(1, 2, 1, 5, 4)),
    case("int8_constant_second_input", constant2=True, shape2=(1, 1, 1, 3)),
    case("int16_same_shape", dtype="int16", zero_points=(0, 0, 0)),
    case("int16_broadcast", dtype="int16", shape2=(4, 1, 3), zero_points=(0, 0, 0)),
    case("float_same_shape", dtype="float32"),
    case("float_broadcast", dtype="float32", shape1=(2, 3, 1), shape2=(1, 4)),
    case("int32_broadcast", dtype="int32", shape2=(1, 1, 4, 1)),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_maximum_matches_tflm(c: Binary) -> None:
    assert_matches_tflm(c.model(OP))


def test_maximum_special_floats_match_tflm() -> None:
    """NaN, signed zeros and infinities against each other and ordinary values."""
    special = np.array([np.nan, 0.0, -0.0, np.inf, -np.inf, 1.5, -2.0], dtype=np.float32)
    a = np.repeat(special, special.size).reshape(special.size, special.size)
    b = np.tile(special, special.size).reshape(special.size, special.size)
    model = case("special", dtype="float32", shape1=a.shape, shape2=b.shape).model(OP)
    assert_matches_tflm(model, [[a, b]])
