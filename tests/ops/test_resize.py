"""RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR: our kernels produce exactly
TFLM's bytes.

Cases cover upscaling and downscaling by integer and non-integer factors,
align_corners, half_pixel_centers, 1-pixel inputs and outputs, batches, and
float32 and int8 (plus int16 for nearest neighbour). RESIZE_BILINEAR int8
uses TFLM's 10-bit fixed-point path, float32 its float path. Each case is
compared with TFLM byte for byte on seeded random inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model
from support.oracle import tflm_run_many
from support.sweep import input_seeds

INPUT_SEEDS = input_seeds(1, 2)
QUANTIZATION = {"int8": (0.05, -7), "int16": (0.001, 0)}


@dataclass(frozen=True)
class Resize:
    name: str
    shape: tuple[int, int, int, int]
    size: tuple[int, int]
    dtype: str = "int8"
    align_corners: bool = False
    half_pixel_centers: bool = False


def build(op: str, c: Resize) -> bytes:
    scale, zero_point = QUANTIZATION.get(c.dtype, (None, 0))
    n, _, _, depth = c.shape
    version = 4 if c.dtype == "int16" else 3 if (c.align_corners or c.half_pixel_centers) else 2
    return single_op_model(
        op,
        [TensorSpec(c.shape, c.dtype, scale, zero_point), TensorSpec((2,), "int32", data=np.array(c.size))],
        [TensorSpec((n, *c.size, depth), c.dtype, scale, zero_point)],
        {"align_corners": c.align_corners, "half_pixel_centers": c.half_pixel_centers},
        version=version,
    )


def assert_matches_tflm(model: bytes) -> None:
    """Our outputs equal TFLM's, byte for byte, on every seeded input set."""
    input_sets = [random_inputs(model, seed) for seed in INPUT_SEEDS]
    for seed, inputs, want in zip(INPUT_SEEDS, input_sets, tflm_run_many(model, input_sets), strict=True):
        (got,) = tinyml_run(model, inputs)
        (e,) = want
        assert got.dtype == e.dtype and got.shape == e.shape, f"seed {seed}: {got.shape} vs {e.shape}"
        assert got.tobytes() == e.tobytes(), f"seed {seed}: {np.sum(got != e)} of {got.size} elements differ"


COMMON = [
    Resize("int8_up_2x", (1, 3, 4, 2), (6, 8)),
    Resize("int8_up_non_integer", (1, 3, 5, 3), (7, 9)),
    Resize("int8_down", (1, 9, 7, 2), (4, 3)),
    Resize("int8_align_corners", (1, 4, 5, 2), (7, 11), align_corners=True),
    Resize("int8_align_corners_down", (1, 8, 6, 1), (3, 4), align_corners=True),
    Resize("int8_half_pixel", (1, 4, 5, 2), (7, 11), half_pixel_centers=True),
    Resize("int8_half_pixel_down", (1, 9, 8, 3), (4, 3), half_pixel_centers=True),
    Resize("int8_from_1_pixel", (1, 1, 1, 4), (3, 2)),
    Resize("int8_to_1_pixel_align", (1, 5, 5, 1), (1, 1), align_corners=True),
    Resize("int8_batches", (3, 2, 3, 2), (5, 4)),
    Resize("float_up", (1, 3, 4, 2), (8, 7), "float32"),
    Resize("float_down", (2, 7, 9, 2), (3, 4), "float32"),
    Resize("float_align_corners", (1, 4, 4, 3), (9, 5), "float32", align_corners=True),
    Resize("float_half_pixel", (1, 5, 3, 2), (8, 8), "float32", half_pixel_centers=True),
    Resize("float_half_pixel_down", (1, 10, 9, 1), (3, 4), "float32", half_pixel_centers=True),
]


@pytest.mark.parametrize("c", COMMON, ids=lambda c: c.name)
def test_resize_bilinear_matches_tflm(c: Resize, host_runner: object) -> None:
    assert_matches_tflm(build("RESIZE_BILINEAR", c))


NEAREST_ONLY = [
    Resize("int16_up", (1, 3, 3, 2), (7, 5), "int16"),
    Resize("int16_align_half", (1, 4, 6, 1), (9, 4), "int16", half_pixel_centers=True),
    Resize("int8_align_and_half_pixel", (1, 5, 4, 2), (8, 9), align_corners=True, half_pixel_centers=True),
]


@pytest.mark.parametrize("c", COMMON + NEAREST_ONLY, ids=lambda c: c.name)
def test_resize_nearest_neighbor_matches_tflm(c: Resize, host_runner: object) -> None:
    assert_matches_tflm(build("RESIZE_NEAREST_NEIGHBOR", c))


def test_bilinear_with_align_corners_and_half_pixel_is_refused(host_runner: object) -> None:
    model = build("RESIZE_BILINEAR", Resize("both", (1, 2, 2, 1), (4, 4), "float32", True, True))
    with pytest.raises(EngineError, match="half_pixel_centers and align_corners cannot both be set"):
        tinyml_run(model, random_inputs(model, 0))


def test_size_that_disagrees_with_the_output_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "RESIZE_NEAREST_NEIGHBOR",
        [TensorSpec((1, 2, 2, 1), "float32"), TensorSpec((2,), "int32", data=np.array([4, 4]))],
        [TensorSpec((1, 4, 3, 1), "float32")],
    )
    with pytest.raises(EngineError, match=r"output shape must be \[N, size\[0\], size\[1\], C\]"):
        tinyml_run(model, random_inputs(model, 0))
