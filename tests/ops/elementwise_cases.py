"""Shared by the element-wise operator tests (test_sub.py, test_relu.py, ...).

Builds one-operator models for unary and binary element-wise operators and
checks that our engine's outputs equal TFLM's byte for byte on seeded random
inputs (or on inputs the test gives).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from support.engine import random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many
from support.sweep import input_seeds

INPUT_SEEDS = input_seeds(1, 2, 3)
QUANTIZED = ("int8", "int16")


def assert_matches_tflm(model: bytes, input_sets: list[list[np.ndarray]] | None = None) -> None:
    """Our outputs equal TFLM's, byte for byte, on every input set
    (default: seeded random inputs over each type's full range)."""
    if input_sets is None:
        input_sets = [random_inputs(model, seed) for seed in INPUT_SEEDS]
    expected = tflm_run_many(model, input_sets)
    for s, (inputs, want) in enumerate(zip(input_sets, expected, strict=True)):
        got = tinyml_run(model, inputs)
        for o, (g, e) in enumerate(zip(got, want, strict=True)):
            assert g.dtype == e.dtype and g.shape == e.shape, f"set {s} output {o}: {g.dtype}{g.shape}"
            if g.tobytes() != e.tobytes():
                bits = f"u{g.itemsize}"  # compare bit patterns: -0.0 != 0.0, NaN == same NaN
                diff = np.flatnonzero(g.reshape(-1).view(bits) != e.reshape(-1).view(bits))
                first = diff[0]
                pytest.fail(
                    f"set {s} output {o}: {diff.size} of {g.size} elements differ, first at {first}: "
                    f"input(s) {[x.reshape(-1)[first % x.size] for x in inputs]}, "
                    f"ours {g.reshape(-1)[first]!r}, TFLM {e.reshape(-1)[first]!r}"
                )


def every_value(dtype: str, shape_tail: tuple[int, ...] = ()) -> np.ndarray:
    """Every value of an 8-bit type, or 4096 evenly spread int16 values (incl. both ends)."""
    if dtype == "int8":
        values = np.arange(-128, 128, dtype=np.int8)
    elif dtype == "int16":
        values = np.unique(
            np.concatenate(
                [np.linspace(-32768, 32767, 4096).astype(np.int16), np.arange(-64, 64, dtype=np.int16)]
            )
        )
    else:
        raise ValueError(dtype)
    return values.reshape((-1, *shape_tail))


@dataclass(frozen=True)
class Binary:
    """One binary element-wise model: y = op(a, b) with broadcasting."""

    name: str
    shape1: tuple[int, ...] = (1, 4, 4, 3)
    shape2: tuple[int, ...] = (1, 4, 4, 3)
    dtype: str = "int8"
    scales: tuple[float, float, float] = (0.05, 0.05, 0.1)
    zero_points: tuple[int, int, int] = (-3, 7, 2)
    options: dict[str, Any] = field(default_factory=dict)
    constant2: bool = False
    version: int = 1

    def model(self, op: str) -> bytes:
        quantized = self.dtype in QUANTIZED
        s1, s2, so = self.scales if quantized else (None, None, None)
        z1, z2, zo = self.zero_points if quantized else (0, 0, 0)
        data2 = None
        if self.constant2:
            rng = np.random.default_rng(sum(map(ord, self.name)))
            if self.dtype == "float32":
                data2 = rng.uniform(-4, 4, self.shape2).astype(np.float32)
            else:
                info = np.iinfo(self.dtype)
                data2 = rng.integers(info.min, info.max, self.shape2, endpoint=True).astype(self.dtype)
        out_shape = tuple(np.broadcast_shapes(self.shape1, self.shape2))
        return single_op_model(
            op,
            [
                TensorSpec(self.shape1, self.dtype, s1, z1),
                TensorSpec(self.shape2, self.dtype, s2, z2, data=data2),
            ],
            [TensorSpec(out_shape, self.dtype, so, zo)],
            self.options,
            version=self.version,
        )


@dataclass(frozen=True)
class Unary:
    """One unary element-wise model: y = op(x)."""

    name: str
    shape: tuple[int, ...] = (2, 5, 7)
    dtype: str = "int8"
    input_q: tuple[float, int] = (0.05, 0)
    output_q: tuple[float, int] = (0.05, 0)
    options: dict[str, Any] = field(default_factory=dict)
    version: int = 1

    def model(self, op: str) -> bytes:
        quantized = self.dtype in QUANTIZED
        si, zi = self.input_q if quantized else (None, 0)
        so, zo = self.output_q if quantized else (None, 0)
        return single_op_model(
            op,
            [TensorSpec(self.shape, self.dtype, si, zi)],
            [TensorSpec(self.shape, self.dtype, so, zo)],
            self.options,
            version=self.version,
        )
