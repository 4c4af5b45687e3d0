"""A tiny CNN trained on scikit-learn's bundled digits (8x8 images, offline),
saved as .keras with its held-out data: the model the conversion tools are tested on."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

EPOCHS = 12


@dataclass(frozen=True)
class Digits:
    keras_model: Path  # a .keras CNN, input (1, 8, 8, 1) float in [0, 1], softmax over 10 classes
    data: Path  # .npz: x (397, 8, 8, 1) float32, y (397,) int: the held-out samples
    samples: Path  # .npy: the first 50 held-out samples, no labels


def train_digits(directory: Path) -> Digits:
    import keras
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = (digits.images / 16.0).astype(np.float32)[..., None]
    y = digits.target.astype(np.int64)
    keras.utils.set_random_seed(0)
    layers = [
        keras.layers.Conv2D(8, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ]
    trainer = keras.Sequential([keras.Input((8, 8, 1)), *layers])
    trainer.compile("adam", "sparse_categorical_crossentropy")
    trainer.fit(x[:1400], y[:1400], epochs=EPOCHS, batch_size=32, verbose=0)
    # The same layers behind a batch-1 input: what a microcontroller runs.
    model = keras.Sequential([keras.Input((8, 8, 1), batch_size=1), *layers])
    result = Digits(directory / "digits.keras", directory / "digits.npz", directory / "samples.npy")
    model.save(result.keras_model)
    np.savez(result.data, x=x[1400:], y=y[1400:])
    np.save(result.samples, x[1400:1450])
    return result
