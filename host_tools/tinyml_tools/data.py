"""Representative (and labelled validation) data for conversion.

    x, y = load_data(Path("digits.npz"))     # y is None when there are no labels

Accepted: a .npy file (samples only), a .npz file with an array `x` (and
optionally labels `y`; a file holding a single array is taken as `x`),
`package.module:function`, a function returning `x` or `(x, y)`, or a folder
of samples, one per file: .npy (as is), .csv (numbers, as written), .wav
(16-bit PCM as floats in [-1, 1)), .png (pixels as floats in [0, 1], height x
width x channels; decoded by TensorFlow). When every file sits in a subfolder,
the subfolder names (sorted) are the classes and give the labels.
"""

from __future__ import annotations

import importlib
import re
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np


class DataError(ValueError):
    """The data cannot be used; str() says why, for the user."""


@dataclass(frozen=True)
class Dataset:
    x: np.ndarray  # (samples, *input shape without the batch dimension)
    y: np.ndarray | None  # (samples,) class indices, or None
    classes: tuple[str, ...] = ()  # class names, when a folder's subfolders gave them

    def __len__(self) -> int:
        return int(self.x.shape[0])


_FUNCTION_SPEC = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def _labels(y: np.ndarray | None, samples: int, source: str) -> np.ndarray | None:
    if y is None:
        return None
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:  # one-hot
        y = y.argmax(axis=1)
    y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim != 1 or y.shape[0] != samples:
        raise DataError(
            f"{source}: labels `y` must be one class index per sample ({samples}), got shape {y.shape}"
        )
    if not np.issubdtype(y.dtype, np.integer):
        if not np.all(np.equal(np.mod(y, 1), 0)):
            raise DataError(f"{source}: labels `y` must be class indices (integers)")
        y = y.astype(np.int64)
    return y


def _from_arrays(x: object, y: object, source: str) -> Dataset:
    x = np.asarray(x)
    if x.ndim < 1 or x.shape[0] == 0:
        raise DataError(f"{source}: `x` must hold at least one sample (first dimension), got shape {x.shape}")
    if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)):
        raise DataError(f"{source}: `x` must be numbers, got dtype {x.dtype}")
    return Dataset(x, _labels(None if y is None else np.asarray(y), int(x.shape[0]), source))


def _from_function(spec: str) -> Dataset:
    module_name, function_name = spec.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as e:
        raise DataError(f"cannot import {module_name} for --data {spec}: {e}") from e
    function = getattr(module, function_name, None)
    if not callable(function):
        raise DataError(f"{module_name} has no function {function_name} (--data {spec})")
    result = function()
    if isinstance(result, tuple) and len(result) == 2:
        return _from_arrays(result[0], result[1], spec)
    return _from_arrays(result, None, spec)


SAMPLE_SUFFIXES = (".npy", ".csv", ".wav", ".png")


def _read_sample(path: Path) -> np.ndarray:
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    if path.suffix == ".csv":
        return np.loadtxt(path, delimiter=",", dtype=np.float32, ndmin=1)
    if path.suffix == ".wav":
        with wave.open(str(path)) as w:
            if w.getsampwidth() != 2:
                raise DataError(f"{path}: only 16-bit PCM .wav files are supported")
            frames = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").reshape(-1, w.getnchannels())
        samples = frames.astype(np.float32) / 32768.0
        return samples[:, 0] if samples.shape[1] == 1 else samples
    from tinyml_tools.quantize import import_tensorflow  # TensorFlow decodes .png here

    tf = import_tensorflow()
    return np.asarray(tf.io.decode_png(path.read_bytes())).astype(np.float32) / 255.0


def _from_folder(folder: Path) -> Dataset:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in SAMPLE_SUFFIXES)
    if not files:
        raise DataError(f"{folder} holds no samples ({', '.join(SAMPLE_SUFFIXES)} files)")
    try:
        samples = [_read_sample(p) for p in files]
    except (ValueError, OSError, wave.Error) as e:
        raise DataError(f"cannot read a sample in {folder}: {e}") from e
    shapes = {s.shape for s in samples}
    if len(shapes) > 1:
        raise DataError(f"the samples in {folder} differ in shape: {sorted(shapes)}")
    x = np.stack(samples)
    parents = [p.parent for p in files]
    if all(parent != folder for parent in parents):
        classes = tuple(sorted({parent.relative_to(folder).parts[0] for parent in parents}))
        y = np.array([classes.index(p.relative_to(folder).parts[0]) for p in files])
        return Dataset(x, y, classes)
    return Dataset(x, None)


def load_data(source: str | Path) -> Dataset:
    text = str(source)
    path = Path(text)
    if not path.exists() and _FUNCTION_SPEC.match(text):
        return _from_function(text)
    if path.is_dir():
        return _from_folder(path)
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError) as e:
        raise DataError(f"cannot read {path} as .npy or .npz: {e}") from e
    if isinstance(loaded, np.ndarray):
        return _from_arrays(loaded, None, str(path))
    with loaded:
        names = list(loaded.files)
        if "x" in names:
            return _from_arrays(loaded["x"], loaded["y"] if "y" in names else None, str(path))
        if len(names) == 1:
            return _from_arrays(loaded[names[0]], None, str(path))
        raise DataError(f"{path} has arrays {names}; name the samples `x` (and the labels `y`)")


def check_sample_shape(data: Dataset, input_shape: tuple[int, ...], source: str) -> np.ndarray:
    """The samples as float32 with the model's input shape (batch dimension first),
    or DataError naming both shapes."""
    expected = tuple(input_shape[1:]) if input_shape and input_shape[0] in (1, -1) else tuple(input_shape)
    got = tuple(data.x.shape[1:])
    if got != expected:
        raise DataError(
            f"wrong data shape: the model takes samples of shape {expected}, "
            f"but {source} has {len(data)} samples of shape {got}"
        )
    return data.x.astype(np.float32)
