"""TRANSPOSE, DEPTH_TO_SPACE and SPACE_TO_DEPTH: permutations of the input.

Each case is compared with TFLM byte for byte on seeded random inputs.
TRANSPOSE: rank 1 to 5, identity and full reversal, float32, int8, int16.
DEPTH_TO_SPACE / SPACE_TO_DEPTH: block sizes 1 to 4, batches, float32 and
int8, and the round trip.
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
    """Our outputs equal TFLM's, byte for byte, on every seeded input set."""
    input_sets = [random_inputs(model, seed) for seed in INPUT_SEEDS]
    for seed, inputs, want in zip(INPUT_SEEDS, input_sets, tflm_run_many(model, input_sets), strict=True):
        got = tinyml_run(model, inputs)
        for g, e in zip(got, want, strict=True):
            assert g.dtype == e.dtype and g.shape == e.shape, (
                f"seed {seed}: {g.dtype}{g.shape} vs {e.dtype}{e.shape}"
            )
            assert g.tobytes() == e.tobytes(), f"seed {seed}: {np.sum(g != e)} of {g.size} elements differ"


def build_transpose(shape: tuple[int, ...], perm: tuple[int, ...], dtype: str) -> bytes:
    scale, zero_point = QUANTIZATION.get(dtype, (None, 0))
    version = 5 if dtype == "int16" else 4 if len(shape) > 4 else {"int8": 2}.get(dtype, 1)
    return single_op_model(
        "TRANSPOSE",
        [TensorSpec(shape, dtype, scale, zero_point), TensorSpec((len(perm),), "int32", data=np.array(perm))],
        [TensorSpec(tuple(shape[p] for p in perm), dtype, scale, zero_point)],
        version=version,
    )


TRANSPOSE_CASES = [
    ("int8_nhwc_to_nchw", (1, 4, 5, 3), (0, 3, 1, 2), "int8"),
    ("int8_nchw_to_nhwc", (2, 3, 4, 5), (0, 2, 3, 1), "int8"),
    ("int8_matrix", (7, 9), (1, 0), "int8"),
    ("int8_identity", (3, 4, 2), (0, 1, 2), "int8"),
    ("int8_rank1", (6,), (0,), "int8"),
    ("int8_reverse_rank5", (2, 3, 1, 4, 2), (4, 3, 2, 1, 0), "int8"),
    ("float_rank3", (3, 5, 2), (2, 0, 1), "float32"),
    ("float_rank4_batches", (3, 2, 4, 5), (3, 1, 0, 2), "float32"),
    ("int16", (2, 6, 4), (1, 2, 0), "int16"),
]


@pytest.mark.parametrize(
    ("shape", "perm", "dtype"), [c[1:] for c in TRANSPOSE_CASES], ids=[c[0] for c in TRANSPOSE_CASES]
)
def test_transpose_matches_tflm(
    shape: tuple[int, ...], perm: tuple[int, ...], dtype: str, host_runner: object
) -> None:
    assert_matches_tflm(build_transpose(shape, perm, dtype))


def test_transpose_equals_numpy(host_runner: object) -> None:
    model = build_transpose((2, 3, 4, 5), (3, 0, 2, 1), "float32")
    x = random_inputs(model, 3)[0]
    (got,) = tinyml_run(model, [x])
    assert np.array_equal(got, np.transpose(x, (3, 0, 2, 1)))


def test_transpose_with_repeated_perm_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "TRANSPOSE",
        [TensorSpec((2, 2), "float32"), TensorSpec((2,), "int32", data=np.array([0, 0]))],
        [TensorSpec((2, 2), "float32")],
    )
    with pytest.raises(EngineError, match="perm is not a permutation of the 2 dimensions"):
        tinyml_run(model, random_inputs(model, 0))


def build_depth_space(op: str, shape: tuple[int, ...], block: int, dtype: str) -> bytes:
    scale, zero_point = QUANTIZATION.get(dtype, (None, 0))
    n, h, w, c = shape
    if op == "DEPTH_TO_SPACE":
        out_shape = (n, h * block, w * block, c // (block * block))
    else:
        out_shape = (n, h // block, w // block, c * block * block)
    return single_op_model(
        op,
        [TensorSpec(shape, dtype, scale, zero_point)],
        [TensorSpec(out_shape, dtype, scale, zero_point)],
        {"block_size": block},
        version=2 if dtype == "int8" else 1,
    )


DEPTH_SPACE_CASES = [
    ("depth_to_space_int8_2", "DEPTH_TO_SPACE", (1, 3, 4, 8), 2, "int8"),
    ("depth_to_space_int8_3_batches", "DEPTH_TO_SPACE", (2, 2, 2, 18), 3, "int8"),
    ("depth_to_space_float_4", "DEPTH_TO_SPACE", (1, 2, 3, 16), 4, "float32"),
    ("depth_to_space_block_1", "DEPTH_TO_SPACE", (1, 2, 2, 3), 1, "float32"),
    ("space_to_depth_int8_2", "SPACE_TO_DEPTH", (1, 6, 4, 3), 2, "int8"),
    ("space_to_depth_int8_3_batches", "SPACE_TO_DEPTH", (2, 6, 9, 2), 3, "int8"),
    ("space_to_depth_float_2", "SPACE_TO_DEPTH", (1, 8, 8, 1), 2, "float32"),
]


@pytest.mark.parametrize(
    ("op", "shape", "block", "dtype"),
    [c[1:] for c in DEPTH_SPACE_CASES],
    ids=[c[0] for c in DEPTH_SPACE_CASES],
)
def test_depth_space_matches_tflm(
    op: str, shape: tuple[int, ...], block: int, dtype: str, host_runner: object
) -> None:
    assert_matches_tflm(build_depth_space(op, shape, block, dtype))


def test_space_to_depth_undoes_depth_to_space(host_runner: object) -> None:
    to_space = build_depth_space("DEPTH_TO_SPACE", (1, 3, 2, 12), 2, "int8")
    to_depth = build_depth_space("SPACE_TO_DEPTH", (1, 6, 4, 3), 2, "int8")
    x = random_inputs(to_space, 5)[0]
    (spread,) = tinyml_run(to_space, [x])
    (back,) = tinyml_run(to_depth, [spread])
    assert back.tobytes() == x.tobytes()


def test_depth_not_divisible_by_block_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "DEPTH_TO_SPACE",
        [TensorSpec((1, 2, 2, 6), "float32")],
        [TensorSpec((1, 4, 4, 1), "float32")],
        {"block_size": 2},
    )
    with pytest.raises(EngineError, match="shapes do not fit block size 2"):
        tinyml_run(model, random_inputs(model, 0))
