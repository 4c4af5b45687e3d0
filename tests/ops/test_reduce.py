"""MEAN, SUM and REDUCE_MAX: our kernels produce exactly TFLM's bytes.

Cases cover the global average pool (MEAN over H, W with keep_dims, which
TFLM special-cases for float), reductions over one, two and three axes,
negative and repeated axes, keep_dims false, equal and unequal input/output
quantization (MEAN and SUM requantize; the 1/N fold of bit-exact.md), large
N (1/N folded into a small multiplier), int8, int16 and float32. Each case
is compared with TFLM byte for byte on seeded random inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many
from support.sweep import input_seeds

INPUT_SEEDS = input_seeds(1, 2, 3)


@dataclass(frozen=True)
class Reduce:
    name: str
    op: str
    shape: tuple[int, ...]
    axes: tuple[int, ...]
    keep_dims: bool = True
    dtype: str = "int8"
    in_q: tuple[float, int] = (0.05, -3)
    out_q: tuple[float, int] = (0.02, 5)


def out_shape(c: Reduce) -> tuple[int, ...]:
    reduced = {a % len(c.shape) for a in c.axes}
    if c.keep_dims:
        return tuple(1 if d in reduced else n for d, n in enumerate(c.shape))
    return tuple(n for d, n in enumerate(c.shape) if d not in reduced)


def build(c: Reduce) -> bytes:
    quantized = c.dtype != "float32"
    in_q = c.in_q if quantized else (None, 0)
    out_q = c.out_q if quantized else (None, 0)
    # op_version.cc: int8 is version 2; int16 is version 3 for MEAN and not listed (1) for SUM.
    version = {"int8": 2, "int16": 3 if c.op == "MEAN" else 1}.get(c.dtype, 1)
    return single_op_model(
        c.op,
        [TensorSpec(c.shape, c.dtype, *in_q), TensorSpec((len(c.axes),), "int32", data=np.array(c.axes))],
        [TensorSpec(out_shape(c), c.dtype, *out_q)],
        {"keep_dims": c.keep_dims},
        version=version,
    )


def assert_matches_tflm(model: bytes) -> None:
    """Our outputs equal TFLM's, byte for byte, on every seeded input set."""
    input_sets = [random_inputs(model, seed) for seed in INPUT_SEEDS]
    for seed, inputs, want in zip(INPUT_SEEDS, input_sets, tflm_run_many(model, input_sets), strict=True):
        (got,) = tinyml_run(model, inputs)
        (e,) = want
        assert got.dtype == e.dtype and got.shape == e.shape, f"seed {seed}: {got.shape} vs {e.shape}"
        if got.tobytes() != e.tobytes():
            diff = np.flatnonzero(got.reshape(-1) != e.reshape(-1))
            pytest.fail(
                f"seed {seed}: {diff.size} of {got.size} differ, first at {diff[0]}: "
                f"ours {got.reshape(-1)[diff[0]]}, TFLM {e.reshape(-1)[diff[0]]}"
            )


SAME_Q = {"in_q": (0.05, -3), "out_q": (0.05, -3)}
CASES = [
    Reduce("mean_int8_global_pool", "MEAN", (1, 7, 7, 16), (1, 2)),
    Reduce("mean_int8_global_pool_same_quantization", "MEAN", (1, 5, 5, 8), (1, 2), **SAME_Q),
    Reduce("mean_int8_global_pool_no_keep_dims", "MEAN", (2, 4, 6, 3), (2, 1), keep_dims=False),
    Reduce("mean_int8_last_axis", "MEAN", (3, 4, 10), (-1,), keep_dims=False),
    Reduce("mean_int8_first_axis", "MEAN", (6, 5), (0,)),
    Reduce("mean_int8_three_axes", "MEAN", (2, 3, 4, 5), (0, 1, 3), keep_dims=False),
    Reduce("mean_int8_repeated_axis", "MEAN", (4, 6), (1, -1)),
    Reduce("mean_int8_large_n", "MEAN", (1, 48, 48, 2), (1, 2), in_q=(0.1, 10), out_q=(0.004, -20)),
    Reduce("mean_int8_output_scale_smaller", "MEAN", (1, 3, 3, 4), (1, 2), in_q=(0.01, 0), out_q=(0.5, 0)),
    Reduce("mean_int16", "MEAN", (1, 4, 4, 6), (1, 2), dtype="int16", in_q=(0.001, 0), out_q=(0.0005, 0)),
    Reduce(
        "mean_int16_same_quantization", "MEAN", (2, 9), (1,), dtype="int16", in_q=(0.001, 0), out_q=(0.001, 0)
    ),
    Reduce("mean_float_global_pool", "MEAN", (1, 6, 5, 4), (1, 2), dtype="float32"),
    Reduce("mean_float_global_pool_no_keep", "MEAN", (2, 6, 5, 4), (1, 2), keep_dims=False, dtype="float32"),
    Reduce("mean_float_axis0", "MEAN", (7, 3, 2), (0,), dtype="float32"),
    Reduce("mean_float_all_axes", "MEAN", (3, 4, 5), (0, 1, 2), keep_dims=False, dtype="float32"),
    Reduce("sum_int8_last_axis", "SUM", (2, 3, 8), (-1,), in_q=(0.05, -3), out_q=(0.4, 2)),
    Reduce("sum_int8_two_axes", "SUM", (1, 4, 4, 3), (1, 2), in_q=(0.02, 7), out_q=(0.3, -1)),
    Reduce("sum_int8_same_quantization", "SUM", (3, 4), (0,), **SAME_Q),
    Reduce("sum_int16", "SUM", (4, 5), (1,), dtype="int16", in_q=(0.001, 0), out_q=(0.004, 0)),
    Reduce("sum_float", "SUM", (2, 3, 4, 5), (1, 3), dtype="float32"),
    Reduce("sum_float_no_keep", "SUM", (6, 7), (0,), keep_dims=False, dtype="float32"),
    Reduce("max_int8_global", "REDUCE_MAX", (1, 5, 6, 4), (1, 2), **SAME_Q),
    Reduce("max_int8_last_axis_no_keep", "REDUCE_MAX", (3, 11), (-1,), keep_dims=False, **SAME_Q),
    Reduce("max_float", "REDUCE_MAX", (2, 4, 3), (0, 2), dtype="float32"),
    Reduce("max_float_no_keep", "REDUCE_MAX", (5, 4, 3), (1,), keep_dims=False, dtype="float32"),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_reduce_matches_tflm(c: Reduce, host_runner: object) -> None:
    assert_matches_tflm(build(c))


def test_reduce_max_with_requantization_is_refused(host_runner: object) -> None:
    model = build(Reduce("max_requant", "REDUCE_MAX", (2, 3), (1,)))
    with pytest.raises(EngineError, match="input and output must have the same scale and zero point"):
        tinyml_run(model, random_inputs(model, 0))


def test_axis_out_of_range_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "MEAN",
        [TensorSpec((2, 3), "float32"), TensorSpec((1,), "int32", data=np.array([2]))],
        [TensorSpec((2, 3), "float32")],
        {"keep_dims": True},
    )
    with pytest.raises(EngineError, match="an axis is out of range for rank 2"):
        tinyml_run(model, random_inputs(model, 0))
