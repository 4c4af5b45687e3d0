"""SPLIT, SPLIT_V, PACK and UNPACK: cutting along an axis and stacking.

Each case is compared with TFLM byte for byte on seeded random inputs, on
every output. Cases cover every axis, negative axes, unequal pieces
(SPLIT_V), one to four pieces, and float32, int8, int16, int32.
"""

from __future__ import annotations

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many
from support.sweep import input_seeds

INPUT_SEEDS = input_seeds(1, 2)
QUANTIZATION = {"int8": (0.05, -7), "int16": (0.001, 0)}


def assert_matches_tflm(model: bytes) -> None:
    """Every output equals TFLM's, byte for byte, on every seeded input set."""
    input_sets = [random_inputs(model, seed) for seed in INPUT_SEEDS]
    for seed, inputs, want in zip(INPUT_SEEDS, input_sets, tflm_run_many(model, input_sets), strict=True):
        got = tinyml_run(model, inputs)
        assert len(got) == len(want)
        for o, (g, e) in enumerate(zip(got, want, strict=True)):
            assert g.dtype == e.dtype and g.shape == e.shape, (
                f"seed {seed} output {o}: {g.shape} vs {e.shape}"
            )
            assert g.tobytes() == e.tobytes(), f"seed {seed} output {o}: {np.sum(g != e)} elements differ"


def spec(shape: tuple[int, ...], dtype: str) -> TensorSpec:
    scale, zero_point = QUANTIZATION.get(dtype, (None, 0))
    return TensorSpec(shape, dtype, scale, zero_point)


def with_dim(shape: tuple[int, ...], axis: int, size: int) -> tuple[int, ...]:
    out = list(shape)
    out[axis] = size
    return tuple(out)


SPLIT_VERSION = {"int8": 2, "int32": 3, "int16": 4}
SPLIT_CASES = [
    ("int8_channels_2", (1, 4, 4, 6), 3, 2, "int8"),
    ("int8_negative_axis_3", (1, 4, 6, 2), -2, 3, "int8"),
    ("int8_batch_4", (4, 3), 0, 4, "int8"),
    ("int8_one_piece", (2, 5), 1, 1, "int8"),
    ("float_axis1", (2, 6, 3), 1, 3, "float32"),
    ("int16", (2, 8), 1, 2, "int16"),
    ("int32", (6, 2), 0, 2, "int32"),
]


@pytest.mark.parametrize(
    ("shape", "axis", "pieces", "dtype"), [c[1:] for c in SPLIT_CASES], ids=[c[0] for c in SPLIT_CASES]
)
def test_split_matches_tflm(
    shape: tuple[int, ...], axis: int, pieces: int, dtype: str, host_runner: object
) -> None:
    piece = with_dim(shape, axis, shape[axis] // pieces)
    model = single_op_model(
        "SPLIT",
        [TensorSpec((), "int32", data=np.array(axis)), spec(shape, dtype)],
        [spec(piece, dtype) for _ in range(pieces)],
        {"num_splits": pieces},
        version=SPLIT_VERSION.get(dtype, 1),
    )
    assert_matches_tflm(model)


SPLIT_V_CASES = [
    ("int8_channels", (1, 3, 3, 7), 3, (2, 4, 1), "int8"),
    ("int8_negative_axis", (2, 9, 2), -2, (5, 4), "int8"),
    ("float_rows", (6, 3), 0, (1, 2, 3), "float32"),
    ("int16", (3, 10), 1, (3, 7), "int16"),
]


@pytest.mark.parametrize(
    ("shape", "axis", "sizes", "dtype"), [c[1:] for c in SPLIT_V_CASES], ids=[c[0] for c in SPLIT_V_CASES]
)
def test_split_v_matches_tflm(
    shape: tuple[int, ...], axis: int, sizes: tuple[int, ...], dtype: str, host_runner: object
) -> None:
    model = single_op_model(
        "SPLIT_V",
        [
            spec(shape, dtype),
            TensorSpec((len(sizes),), "int32", data=np.array(sizes)),
            TensorSpec((1,), "int32", data=np.array([axis])),
        ],
        [spec(with_dim(shape, axis, s), dtype) for s in sizes],
        {"num_splits": len(sizes)},
        version=2 if dtype == "int8" else 1,
    )
    assert_matches_tflm(model)


def test_split_with_non_constant_axis_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "SPLIT",
        [TensorSpec((1,), "int32"), TensorSpec((4,), "float32")],
        [TensorSpec((2,), "float32"), TensorSpec((2,), "float32")],
        {"num_splits": 2},
    )
    with pytest.raises(EngineError, match="the axis input must be a constant tensor"):
        tinyml_run(model, [np.zeros(1, np.int32), np.zeros(4, np.float32)])


PACK_CASES = [
    ("int8_axis0", (3, 4), 0, 2, "int8"),
    ("int8_last_axis", (2, 3), 2, 3, "int8"),
    ("int8_negative_axis", (2, 3, 4), -2, 4, "int8"),
    ("float_middle", (5, 2), 1, 2, "float32"),
    ("int16", (4,), 1, 3, "int16"),
    ("int32", (2, 2), 0, 2, "int32"),
]


@pytest.mark.parametrize(
    ("shape", "axis", "count", "dtype"), [c[1:] for c in PACK_CASES], ids=[c[0] for c in PACK_CASES]
)
def test_pack_matches_tflm(
    shape: tuple[int, ...], axis: int, count: int, dtype: str, host_runner: object
) -> None:
    rank = len(shape) + 1
    packed = list(shape)
    packed.insert(axis % rank, count)
    model = single_op_model(
        "PACK",
        [spec(shape, dtype) for _ in range(count)],
        [spec(tuple(packed), dtype)],
        {"values_count": count, "axis": axis},
        version={"int8": 2, "int16": 3}.get(dtype, 1),
    )
    assert_matches_tflm(model)


@pytest.mark.parametrize(
    ("shape", "axis", "count", "dtype"), [c[1:] for c in PACK_CASES], ids=[c[0] for c in PACK_CASES]
)
def test_unpack_matches_tflm(
    shape: tuple[int, ...], axis: int, count: int, dtype: str, host_runner: object
) -> None:
    rank = len(shape) + 1
    packed = list(shape)
    packed.insert(axis % rank, count)
    model = single_op_model(
        "UNPACK",
        [spec(tuple(packed), dtype)],
        [spec(shape, dtype) for _ in range(count)],
        {"num": count, "axis": axis},
        version={"int8": 2, "int16": 4}.get(dtype, 1),
    )
    assert_matches_tflm(model)


def test_pack_then_unpack_round_trips(host_runner: object) -> None:
    unpack = single_op_model(
        "UNPACK", [spec((3, 2, 4), "int8")], [spec((3, 4), "int8")] * 2, {"num": 2, "axis": 1}, version=2
    )
    x = random_inputs(unpack, 4)[0]
    a, b = tinyml_run(unpack, [x])
    assert np.array_equal(a, x[:, 0, :]) and np.array_equal(b, x[:, 1, :])
