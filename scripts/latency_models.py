"""Builds the small convolutional model the latency table is also measured on: one that
fits the emulated Cortex-M0 (micro:bit, 256 KB flash, 16 KB RAM) with the operators of a
keyword-spotting CNN, so that the M0's rates do not come from toy layers alone.

    .venv/bin/python scripts/latency_models.py OUT_DIR    # writes OUT_DIR/conv_dw_20x5x32.tflite

Random weights (seed 0), quantized to int8 by tinyml-convert on 64 random samples:
latency depends on shapes, not on what the weights learned.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(out_dir: Path) -> int:
    import keras
    from tinyml_tools.convert import main as convert

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((20, 5, 32), batch_size=1),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.DepthwiseConv2D(3, padding="same", activation="relu"),
            keras.layers.Conv2D(32, 1, activation="relu"),
            keras.layers.AveragePooling2D((20, 5)),
            keras.layers.Flatten(),
            keras.layers.Dense(12, activation="softmax"),
        ]
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    keras_path = out_dir / "conv_dw_20x5x32.keras"
    model.save(keras_path)
    data = out_dir / "conv_dw_samples.npy"
    np.save(data, np.random.default_rng(0).uniform(-1, 1, (64, 20, 5, 32)).astype(np.float32))
    return convert(
        [str(keras_path), "-o", str(out_dir / "conv_dw_20x5x32.tflite"), "--data", str(data), "--quiet"]
    )


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1] if len(sys.argv) > 1 else "build/latency_models")))
