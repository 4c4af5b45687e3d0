"""BATCH_MATMUL: our kernel produces exactly TFLM's bytes.

Each case multiplies an lhs by an rhs (both graph inputs, or a constant rhs
as converters write for weights) on seeded random inputs through our engine
and TFLM and requires identical output bytes. Cases cover int8 (zero points
at the extremes), int16 (zero points 0) and float32; adj_x / adj_y; ranks 2 to 5 with broadcast
batch dimensions on either side.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from elementwise_cases import assert_matches_tflm
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model


@dataclass(frozen=True)
class MatMul:
    """lhs [..., M, K] times rhs [..., K, N] (stored transposed when adj_x / adj_y)."""

    name: str
    lhs_batch: tuple[int, ...] = ()
    rhs_batch: tuple[int, ...] = ()
    m: int = 3
    k: int = 5
    n: int = 4
    adj_x: bool = False
    adj_y: bool = False
    dtype: str = "int8"
    constant_rhs: bool = False
    zero_points: tuple[int, int, int] = (-3, 7, 5)


def build(c: MatMul) -> bytes:
    rng = np.random.default_rng(sum(map(ord, c.name)))
    lhs_shape = (*c.lhs_batch, *((c.k, c.m) if c.adj_x else (c.m, c.k)))
    rhs_shape = (*c.rhs_batch, *((c.n, c.k) if c.adj_y else (c.k, c.n)))
    out_batch = np.broadcast_shapes(c.lhs_batch, c.rhs_batch)
    out_shape = (*out_batch, c.m, c.n)
    options = {"adj_x": c.adj_x, "adj_y": c.adj_y}
    if c.dtype == "float32":
        rhs_data = rng.standard_normal(rhs_shape).astype(np.float32) if c.constant_rhs else None
        inputs = [TensorSpec(lhs_shape, "float32"), TensorSpec(rhs_shape, "float32", data=rhs_data)]
        return single_op_model("BATCH_MATMUL", inputs, [TensorSpec(out_shape, "float32")], options, 1)
    int16 = c.dtype == "int16"
    # int16 values span 256 times the int8 range at a 256 times finer scale.
    lhs_scale, rhs_scale = (float(rng.uniform(0.01, 0.1)) / (256 if int16 else 1) for _ in range(2))
    # An output scale that keeps most results inside int8 without clamping.
    out_scale = lhs_scale * rhs_scale * 100.0 * np.sqrt(c.k)
    zl, zr, zo = (0, 0, 0) if int16 else c.zero_points
    info = np.iinfo(c.dtype)
    rhs_data = rng.integers(info.min, info.max + 1, rhs_shape).astype(c.dtype) if c.constant_rhs else None
    inputs = [
        TensorSpec(lhs_shape, c.dtype, lhs_scale, zl),
        TensorSpec(rhs_shape, c.dtype, rhs_scale, zr, data=rhs_data),
    ]
    outputs = [TensorSpec(out_shape, c.dtype, out_scale, zo)]
    return single_op_model("BATCH_MATMUL", inputs, outputs, options, 3 if int16 else 2)


def variants(dtype: str) -> list[MatMul]:
    return [
        MatMul(f"{dtype}_2d", dtype=dtype),
        MatMul(f"{dtype}_adj_x", adj_x=True, dtype=dtype),
        MatMul(f"{dtype}_adj_y", adj_y=True, dtype=dtype),
        MatMul(f"{dtype}_adj_x_adj_y", (2,), (2,), adj_x=True, adj_y=True, dtype=dtype),
        MatMul(f"{dtype}_batch_3", (3,), (3,), dtype=dtype),
        MatMul(f"{dtype}_rhs_broadcast", (2, 3), (), dtype=dtype),
        MatMul(f"{dtype}_lhs_broadcast", (1, 3), (2, 1), dtype=dtype),
        MatMul(f"{dtype}_rank_5", (2, 1, 3), (1, 2, 1), m=2, k=3, n=2, dtype=dtype),
        MatMul(f"{dtype}_constant_rhs", (2,), (), constant_rhs=True, dtype=dtype),
        MatMul(f"{dtype}_vector_rows", m=1, k=16, n=8, dtype=dtype),
        MatMul(f"{dtype}_attention_scores", (1, 4), (1, 4), m=6, k=8, n=6, adj_y=True, dtype=dtype),
    ]


CASES = [
    *variants("int8"),
    *variants("float32"),
    *(c for c in variants("int16") if "attention" in c.name or "rank_5" in c.name or "adj" in c.name),
    MatMul("int16_long_depth", k=512, dtype="int16"),
    MatMul("int8_zero_points_0", zero_points=(0, 0, 0)),
    MatMul("int8_zero_points_-128", zero_points=(-128, -128, -128)),
    MatMul("int8_zero_points_127", zero_points=(127, 127, 127)),
    MatMul("int8_long_depth", k=512),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_tflm(case: MatMul, host_runner: object) -> None:
    assert_matches_tflm(build(case))


def refused(model: bytes) -> str:
    with pytest.raises(EngineError) as excinfo:
        tinyml_run(model, random_inputs(model, 0))
    return excinfo.value.message


def test_mismatched_inner_dimensions_are_refused(host_runner: object) -> None:
    model = single_op_model(
        "BATCH_MATMUL",
        [TensorSpec((3, 5), "float32"), TensorSpec((4, 2), "float32")],
        [TensorSpec((3, 2), "float32")],
        {},
    )
    assert "do not share an inner dimension" in refused(model)


def test_batch_dimensions_that_do_not_broadcast_are_refused(host_runner: object) -> None:
    model = single_op_model(
        "BATCH_MATMUL",
        [TensorSpec((2, 3, 5), "float32"), TensorSpec((3, 5, 2), "float32")],
        [TensorSpec((3, 3, 2), "float32")],
        {},
    )
    assert "do not broadcast" in refused(model)
