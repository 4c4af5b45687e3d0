"""TensorFlow Lite Micro (pip tflite-micro) as the reference for tests.

A thin layer over the host tools' TFLM harness (tinyml_tools.tflm), which runs
TFLM in a subprocess because TFLM aborts the whole process when one of its
internal checks fails.
"""

from __future__ import annotations

import numpy as np
from tinyml_tools import tflm
from tinyml_tools.tflm import TflmError as OracleError

from support.modelgen import graph_io

__all__ = ["OracleError", "tflm_arena_used", "tflm_min_arena", "tflm_run", "tflm_run_many"]


def tflm_run_many(model: bytes, input_sets: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """Runs TFLM once per input set (one subprocess for all), resetting state between sets."""
    graph_inputs, graph_outputs = graph_io(model)
    for s, inputs in enumerate(input_sets):
        if len(inputs) != len(graph_inputs):
            raise ValueError(f"input set {s}: model has {len(graph_inputs)} inputs, got {len(inputs)}")
    return tflm.run_many(model, input_sets, len(graph_outputs))


def tflm_run(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """TFLM's outputs for one set of inputs; OracleError with TFLM's message on failure."""
    return tflm_run_many(model, [inputs])[0]


def tflm_arena_used(model: bytes) -> int:
    """Bytes of arena TFLM's allocator uses for the model (what arena_used_bytes() reports)."""
    return tflm.arena_used(model)


def tflm_min_arena(model: bytes) -> int:
    """Smallest arena_size with which TFLM loads and runs the model."""
    return tflm.min_arena(model, len(graph_io(model)[0]))
