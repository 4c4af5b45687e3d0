"""Accuracy of a converted model as OUR runtime runs it, next to the float model's.

acc = compare_accuracy(float_scores, tflite_bytes, input_tensor, x, y, min_ratio=0.95)
acc.float_accuracy, acc.runtime_accuracy, acc.ok
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tinyml_tools.run import run_model
from tinyml_tools.runtime_info import RuntimeTensor

# Samples per MicroPython process (each process loads the model once).
CHUNK = 256


def quantize_input(x: np.ndarray, tensor: RuntimeTensor) -> np.ndarray:
    """Float samples in the tensor's dtype: (int)round(x / scale) + zero_point, clamped
    (what Tensor.quantize does on the board); float32 tensors take x as is."""
    if tensor.dtype.startswith("float"):
        return x.astype(tensor.dtype)
    if tensor.scale == 0.0:
        raise ValueError(f"input of dtype {tensor.dtype} has no quantization scale")
    info = np.iinfo(np.dtype(tensor.dtype))
    q = np.round(x.astype(np.float64) / tensor.scale) + tensor.zero_point
    return np.clip(q, info.min, info.max).astype(tensor.dtype)


def run_in_runtime(
    model: bytes,
    x: np.ndarray,
    input_tensor: RuntimeTensor,
    progress: Callable[[int], None] | None = None,
) -> list[np.ndarray]:
    """Output 0 for every sample of x (float, batch first), as our runtime computes it."""
    outputs: list[np.ndarray] = []
    for start in range(0, len(x), CHUNK):
        chunk = x[start : start + CHUNK]
        sets = [
            [quantize_input(chunk[i : i + 1], input_tensor).reshape(input_tensor.shape)]
            for i in range(len(chunk))
        ]
        result = run_model(model, sets, profile=False)
        outputs.extend(s.outputs[0] for s in result.sets)
        if progress is not None:
            progress(len(chunk))
    return outputs


@dataclass(frozen=True)
class Accuracy:
    samples: int
    float_accuracy: float
    runtime_accuracy: float
    min_ratio: float

    @property
    def ratio(self) -> float:
        return self.runtime_accuracy / self.float_accuracy if self.float_accuracy > 0 else 1.0

    @property
    def ok(self) -> bool:
        return self.ratio >= self.min_ratio


def classes(scores: np.ndarray | list[np.ndarray]) -> np.ndarray:
    """The predicted class of each sample (argmax over the last axis)."""
    return np.array([int(np.argmax(np.asarray(s).reshape(-1))) for s in scores])


def accuracy(
    float_scores: np.ndarray, runtime_scores: list[np.ndarray], y: np.ndarray, min_ratio: float
) -> Accuracy:
    float_hits = float(np.mean(classes(list(float_scores)) == y))
    runtime_hits = float(np.mean(classes(runtime_scores) == y))
    return Accuracy(len(y), float_hits, runtime_hits, min_ratio)
