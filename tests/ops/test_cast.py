"""CAST: our kernel produces exactly TFLM's bytes.

Every pair of the types TFLM converts (int8, int16, int32, uint32, float32,
bool) on values that reach each type's limits: integers wrap to the narrower
type, floats truncate toward zero and saturate (NaN gives 0), anything to
bool is "!= 0". Types TFLM does not convert are refused by name.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from support.engine import EngineError, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many

TYPES = ("int8", "int16", "int32", "uint32", "float32", "bool")


def values(dtype: str) -> np.ndarray:
    """Edge values of `dtype` and seeded random ones, 64 in all."""
    rng = np.random.default_rng(len(dtype))
    if dtype == "bool":
        return rng.integers(0, 2, 64).astype(np.bool_)
    if dtype == "float32":
        edges = [
            np.nan,
            np.inf,
            -np.inf,
            0.0,
            -0.0,
            0.5,
            -0.5,
            127.9,
            128.0,
            -128.9,
            -129.0,
            32767.5,
            32768.0,
            -32769.0,
            2147483520.0,
            2147483648.0,
            -2147483904.0,
            4294967040.0,
            4294967296.0,
            1e-40,
            16777217.0,
        ]
        rest = rng.uniform(-5e9, 5e9, 64 - len(edges))
        return np.concatenate([edges, rest]).astype(np.float32)
    info = np.iinfo(dtype)
    edges = [
        info.min,
        info.max,
        0,
        1,
        -1 % (info.max + 1) if info.min == 0 else -1,
        127,
        128,
        255,
        256,
        32768,
        65535,
    ]
    edges = [e for e in edges if info.min <= e <= info.max]
    rest = rng.integers(info.min, info.max, 64 - len(edges), endpoint=True, dtype=np.int64)
    return np.concatenate([np.array(edges, np.int64), rest]).astype(dtype)


@pytest.mark.parametrize("source,target", list(itertools.product(TYPES, TYPES)))
def test_cast_matches_tflm(source: str, target: str) -> None:
    model = single_op_model("CAST", [TensorSpec((4, 16), source)], [TensorSpec((4, 16), target)])
    x = values(source).reshape(4, 16)
    [want] = tflm_run_many(model, [[x]])
    got = tinyml_run(model, [x])[0]
    assert got.dtype == want[0].dtype and got.tobytes() == want[0].tobytes(), (
        f"{source}->{target}: ours {got.reshape(-1)[:8]}, TFLM {want[0].reshape(-1)[:8]}"
    )


@pytest.mark.parametrize(
    "source,target,message",
    [
        ("int8", "uint8", "cast from int8 to uint8 not supported"),
        ("float32", "uint16", "cast from float32 to uint16 not supported"),
        # The kernel record's input types are checked first (docs/operators.md).
        (
            "int64",
            "int32",
            r"input type int64 not supported \(float32, int8, int16, int32, uint32, bool are\)",
        ),
    ],
)
def test_unsupported_types_are_refused(source: str, target: str, message: str) -> None:
    model = single_op_model("CAST", [TensorSpec((4,), source)], [TensorSpec((4,), target)])
    with pytest.raises(EngineError, match=message):
        tinyml_run(model, [np.zeros(4, source)])
