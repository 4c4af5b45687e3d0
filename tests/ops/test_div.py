"""DIV: our kernel produces exactly TFLM's bytes.

float32 and (unquantized) int32, with broadcasting and every fused
activation; int32 truncates toward zero like C. Divisors are never zero in
the comparisons (TFLM's process dies on one); our engine gives 0 there,
which is checked on its own. Quantized int8 DIV is refused by name.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.engine import EngineError, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many

ACTIVATIONS = ("NONE", "RELU", "RELU_N1_TO_1", "RELU6")


def operands(dtype: str, shape: tuple[int, ...], seed: int, divisor: bool) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if dtype == "float32":
        x = rng.uniform(-8, 8, shape).astype(np.float32)
    else:
        x = rng.integers(-100000, 100000, shape, endpoint=True).astype(np.int32)
        if not divisor:
            x.reshape(-1)[:2] = [np.iinfo(np.int32).min, np.iinfo(np.int32).max]
    if divisor:
        x[x == 0] = 3  # TFLM cannot divide by zero
    return x


@pytest.mark.parametrize("dtype", ["float32", "int32"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("shapes", [((2, 3, 4), (2, 3, 4)), ((2, 3, 4), (4,)), ((40,), ()), ((3, 1), (1, 5))])
def test_div_matches_tflm(
    dtype: str, activation: str, shapes: tuple[tuple[int, ...], tuple[int, ...]]
) -> None:
    shape1, shape2 = shapes
    out = tuple(np.broadcast_shapes(shape1, shape2))
    model = single_op_model(
        "DIV",
        [TensorSpec(shape1, dtype), TensorSpec(shape2, dtype)],
        [TensorSpec(out, dtype)],
        {"fused_activation_function": activation},
    )
    sets = [[operands(dtype, shape1, s, False), operands(dtype, shape2, s + 10, True)] for s in (1, 2)]
    if dtype == "int32":
        sets.append([np.full(shape1, 7, np.int32), np.full(shape2, -2, np.int32)])  # -3.5 truncates to -3
    for inputs, want in zip(sets, tflm_run_many(model, sets), strict=True):
        got = tinyml_run(model, inputs)[0]
        assert got.tobytes() == want[0].tobytes(), (
            f"ours {got.reshape(-1)[:6]}, TFLM {want[0].reshape(-1)[:6]}"
        )


def test_int32_division_by_zero_gives_zero_instead_of_crashing() -> None:
    model = single_op_model(
        "DIV", [TensorSpec((3,), "int32"), TensorSpec((3,), "int32")], [TensorSpec((3,), "int32")]
    )
    a = np.array([5, -5, np.iinfo(np.int32).min], np.int32)
    b = np.array([0, 0, -1], np.int32)
    assert tinyml_run(model, [a, b])[0].tolist() == [0, 0, np.iinfo(np.int32).min]


def test_quantized_int8_is_refused() -> None:
    model = single_op_model(
        "DIV",
        [TensorSpec((4,), "int8", 0.5, 0), TensorSpec((4,), "int8", 0.5, 0)],
        [TensorSpec((4,), "int8", 0.5, 0)],
        version=2,
    )
    with pytest.raises(EngineError, match="not supported"):
        tinyml_run(model, [np.ones(4, np.int8), np.ones(4, np.int8)])
