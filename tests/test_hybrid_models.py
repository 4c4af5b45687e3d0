"""A real dynamic-range ("hybrid") model runs, and matches LiteRT.

../shared/models/kws_ref_model_float32.tflite is the MLPerf Tiny keyword
spotting DS-CNN as the TensorFlow converter writes it without a
representative dataset: its five CONV_2D layers are hybrid (float32
activations, int8 weights with one scale each); DEPTHWISE_CONV_2D,
AVERAGE_POOL_2D, RESHAPE, FULLY_CONNECTED and SOFTMAX are float32. TFLM
refuses the model ("Hybrid models are not supported"); the reference is
LiteRT's reference kernels (pip ai-edge-litert, OpResolverType.BUILTIN_REF).

Tolerance: at most MAX_ULPS units in the last place per output. The hybrid
convolutions reproduce LiteRT's arithmetic exactly (tests/ops/test_hybrid.py
requires 0 ULP); the slack is for SOFTMAX, whose exp is our own and rounds
differently from libm's on rare inputs. On the 20 seeded inputs below the
outputs are in fact bit-identical today.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.engine import random_inputs, tinyml_run
from support.litert_oracle import litert_run_many

MODEL_NAME = "kws_ref_model_float32.tflite"
SEEDS = range(20)
MAX_ULPS = 2


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Units in the last place between float32 arrays (0 for equal values, including +0 and -0)."""

    def ordered(x: np.ndarray) -> np.ndarray:
        bits = x.astype(np.float32).view(np.int32).astype(np.int64)
        return np.where(bits < 0, -(bits & 0x7FFFFFFF), bits)

    return np.abs(ordered(a) - ordered(b))


@pytest.fixture(scope="module")
def model(shared_models: Path) -> bytes:
    return (shared_models / MODEL_NAME).read_bytes()


def test_kws_float32_matches_litert(model: bytes) -> None:
    input_sets = [random_inputs(model, seed) for seed in SEEDS]
    expected = litert_run_many(model, input_sets)
    for seed, inputs, theirs in zip(SEEDS, input_sets, expected, strict=True):
        (ours,) = tinyml_run(model, inputs)
        assert ours.dtype == np.float32 and ours.shape == theirs[0].shape == (1, 12)
        distance = ulp_distance(ours, theirs[0])
        assert distance.max() <= MAX_ULPS, (
            f"seed {seed}: {int(distance.max())} ULP apart; ours {ours[0]} vs LiteRT {theirs[0][0]}"
        )
        assert int(np.argmax(ours)) == int(np.argmax(theirs[0]))


def dynamic_range_model() -> bytes:
    """A small Keras CNN converted as users convert without a representative
    dataset (Optimize.DEFAULT only): TensorFlow writes hybrid CONV_2D and
    FULLY_CONNECTED at the op versions it uses today (FULLY_CONNECTED 12:
    per-channel weights, asymmetric_quantize_inputs)."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(3)
    inputs = keras.Input((12, 12, 3), batch_size=1)
    x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
    x = keras.layers.DepthwiseConv2D(3, activation="relu")(x)
    x = keras.layers.Flatten()(x)
    x = keras.layers.Dense(32, activation="relu")(x)
    outputs = keras.layers.Dense(5)(x)
    converter = tf.lite.TFLiteConverter.from_keras_model(keras.Model(inputs, outputs))
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    return converter.convert()


def test_the_converters_dynamic_range_output_runs_and_matches_litert() -> None:
    from tinyml_tools.tflite_file import read_tflite

    model = dynamic_range_model()
    fc_versions = {op.version for op in read_tflite(model).operators if op.name == "FULLY_CONNECTED"}
    assert fc_versions and max(fc_versions) > 7  # the versions TFLM-era kernels stop at
    input_sets = [random_inputs(model, seed) for seed in range(5)]
    expected = litert_run_many(model, input_sets)
    for seed, inputs, theirs in zip(range(5), input_sets, expected, strict=True):
        (ours,) = tinyml_run(model, inputs)
        distance = ulp_distance(ours, theirs[0])
        assert distance.max() <= MAX_ULPS, f"seed {seed}: {int(distance.max())} ULP apart"
