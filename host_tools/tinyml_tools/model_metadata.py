"""The `tinyml` metadata entry that tinyml-convert writes into a model, and that
the device reads (`Model.metadata()`, device_lib/model_info.py and drift.py).

    entry = build_metadata(settings, runtime_model, labels, reference_inputs)
    model = embed_metadata(quantized_model, entry)   # fills in "sha256"
    verify_sha256(model)                             # True

The entry is JSON (format 1):

    format           1
    tool, source     "tinyml-convert X.Y.Z", the source model's file name
    model_version    an integer the publisher chooses (--model-version)
    sha256           SHA-256 of the .tflite file with these 64 hex digits
                     replaced by "0"s: it covers every byte, this entry included,
                     and the device can recompute it from the file alone
    runtime          the runtime version that checked the model
    labels           class names, one per output score ([] when unknown)
    arena_bytes      the arena our planner lays out; state_bytes likewise
    inputs, outputs  [{dtype, shape, scale, zero_point}] as the runtime sees them
    settings         the converter's settings: activations, weights, io,
                     calibration_samples
    input_stats      reference statistics of input 0 over the calibration
                     samples, in the input tensor's own units (quantized levels
                     for an integer input, floats for a float32 input):
                       layout  "channels" (element i is in group i % groups) or
                               "blocks" (group g holds elements
                               g*n//groups .. (g+1)*n//groups - 1 of the n input
                               elements in memory order)
                       groups, elements, samples
                       mean, std   per group, over every element of the group in
                                   every sample (population std, at least std_floor)
                       std_floor   the smallest std worth distinguishing: half a
                                   level for integer inputs

Grouping: the last dimension when it has 2..32 entries (channels: image colour
planes, IMU axes); otherwise up to 16 contiguous blocks (for a spectrogram,
bands of consecutive frames). Each group costs about 16 bytes of JSON.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinyml_tools.runtime_info import ModelInRuntime, RuntimeTensor
from tinyml_tools.tflite_edit import with_metadata
from tinyml_tools.tflite_file import read_tflite

METADATA_NAME = "tinyml"
FORMAT = 1
MAX_CHANNELS = 32
MAX_BLOCKS = 16
_SHA_KEY = b'"sha256": "'
_SHA_PLACEHOLDER = "0" * 64
_INTEGER_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}


class MetadataError(ValueError):
    """The metadata cannot be built or checked; str() says why."""


@dataclass(frozen=True)
class Settings:
    """What the converter was asked to do."""

    tool: str
    source: str
    model_version: int
    activations: str
    io: str
    calibration_samples: int
    weights: str = "int8"


def to_input_units(x: np.ndarray, tensor: RuntimeTensor) -> np.ndarray:
    """Float samples as the input tensor holds them: quantized the way
    Tensor.quantize does it ((int)roundf(x / scale) + zero_point, clamped), or
    unchanged for a float32 input."""
    if tensor.dtype == "float32":
        return np.asarray(x, dtype=np.float32)
    if tensor.dtype not in _INTEGER_RANGES or tensor.scale == 0.0:
        raise MetadataError(
            f"input statistics need an int8, uint8, int16 or float32 input, not {tensor.dtype}"
        )
    lo, hi = _INTEGER_RANGES[tensor.dtype]
    q = np.asarray(x, dtype=np.float32) / np.float32(tensor.scale)
    rounded = np.sign(q) * np.floor(np.abs(q) + np.float32(0.5))  # roundf: half away from zero
    return np.clip(rounded + tensor.zero_point, lo, hi).astype(np.int64)


def _groups(shape: tuple[int, ...], elements: int) -> tuple[str, int]:
    channels = shape[-1] if len(shape) >= 2 else 1
    if 2 <= channels <= MAX_CHANNELS and elements % channels == 0:
        return "channels", channels
    return "blocks", min(MAX_BLOCKS, elements)


def _round(values: np.ndarray) -> list[float]:
    return [float(f"{v:.4g}") for v in values]


def input_statistics(samples: np.ndarray, tensor: RuntimeTensor) -> dict[str, Any]:
    """Reference statistics of `samples` (float, one per row, the model's input
    shape without the batch dimension) in the units of the input tensor."""
    if len(samples) == 0:
        raise MetadataError("input statistics need at least one sample")
    values = to_input_units(samples, tensor).reshape(len(samples), -1).astype(np.float64)
    elements = values.shape[1]
    expected = int(np.prod(tensor.shape))
    if elements != expected:
        raise MetadataError(f"samples have {elements} elements, the input tensor {expected}")
    layout, groups = _groups(tensor.shape, elements)
    if layout == "channels":
        members = [np.arange(g, elements, groups) for g in range(groups)]
    else:
        members = [np.arange(g * elements // groups, (g + 1) * elements // groups) for g in range(groups)]
    floor = 0.5 if tensor.dtype != "float32" else max(1e-6, 1e-3 * float(values.std()))
    means = np.array([values[:, m].mean() for m in members])
    stds = np.maximum(np.array([values[:, m].std() for m in members]), floor)
    return {
        "layout": layout,
        "groups": groups,
        "elements": elements,
        "samples": len(samples),
        "mean": _round(means),
        "std": _round(stds),
        "std_floor": float(f"{floor:.4g}"),
    }


def _tensors(tensors: list[RuntimeTensor]) -> list[dict[str, Any]]:
    return [
        {"dtype": t.dtype, "shape": list(t.shape), "scale": t.scale, "zero_point": t.zero_point}
        for t in tensors
    ]


def build_metadata(
    settings: Settings,
    runtime_version: str,
    model: ModelInRuntime,
    labels: list[str],
    reference_inputs: np.ndarray,
) -> dict[str, Any]:
    """The entry's content (with "sha256" still to be filled in by embed_metadata)."""
    if settings.model_version < 0:
        raise MetadataError(f"the model version must not be negative, got {settings.model_version}")
    if model.error is not None or model.arena_bytes is None:
        raise MetadataError(f"the runtime refused the model: {model.error}")
    if labels and model.outputs and len(labels) != int(np.prod(model.outputs[0].shape)):
        raise MetadataError(f"{len(labels)} labels for {int(np.prod(model.outputs[0].shape))} output scores")
    return {
        "format": FORMAT,
        "tool": settings.tool,
        "source": settings.source,
        "model_version": settings.model_version,
        "sha256": _SHA_PLACEHOLDER,
        "runtime": runtime_version,
        "labels": labels,
        "arena_bytes": model.arena_bytes,
        "state_bytes": model.state_bytes,
        "inputs": _tensors(model.inputs),
        "outputs": _tensors(model.outputs),
        "settings": {
            "activations": settings.activations,
            "weights": settings.weights,
            "io": settings.io,
            "calibration_samples": settings.calibration_samples,
        },
        "input_stats": input_statistics(reference_inputs, model.inputs[0]),
    }


def _sha_position(model: bytes, entry: bytes) -> int:
    """Offset in `model` of the 64 hex digits of "sha256" inside the entry's bytes."""
    start = model.find(entry)
    if start < 0 or model.find(entry, start + 1) >= 0:
        raise MetadataError("the metadata entry is not found exactly once in the model bytes")
    key = entry.find(_SHA_KEY)
    if key < 0:
        raise MetadataError('the metadata entry has no "sha256"')
    return start + key + len(_SHA_KEY)


def embed_metadata(model: bytes, metadata: dict[str, Any]) -> bytes:
    """The model with the entry added (or replaced) and its "sha256" filled in."""
    entry = json.dumps(dict(metadata, sha256=_SHA_PLACEHOLDER)).encode()
    tagged = bytearray(with_metadata(model, {METADATA_NAME: entry}))
    at = _sha_position(bytes(tagged), entry)
    tagged[at : at + 64] = hashlib.sha256(tagged).hexdigest().encode()
    return bytes(tagged)


def read_metadata(model: bytes) -> dict[str, Any] | None:
    """The parsed `tinyml` entry of a model, None without one."""
    entry = read_tflite(model).metadata.get(METADATA_NAME)
    return None if entry is None else json.loads(entry)


def verify_sha256(model: bytes) -> bool:
    """Whether the entry's "sha256" matches the file (see the module docstring)."""
    metadata = read_metadata(model)
    if metadata is None or len(str(metadata.get("sha256", ""))) != 64:
        return False
    digits = str(metadata["sha256"]).encode()
    at = model.find(_SHA_KEY + digits)
    if at < 0:
        return False
    at += len(_SHA_KEY)
    zeroed = model[:at] + _SHA_PLACEHOLDER.encode() + model[at + 64 :]
    return hashlib.sha256(zeroed).hexdigest() == digits.decode()
