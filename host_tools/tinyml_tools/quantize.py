"""Full-integer post-training quantization with TensorFlow's converter.

    source = load_source(Path("model.keras"))      # .keras, .h5, SavedModel directory, float .tflite,
                                                   # or PyTorch (.pt2, FILE.py:FUNCTION; torch_source)
    tflite_bytes = quantize(source, samples, io="int8", activations="int8")
    source.predict(samples)                        # the float model's outputs (for accuracy)

TensorFlow is imported here only (it takes seconds), with its logging quietened.
A float .tflite is quantized with ai-edge-quantizer (TensorFlow's converter
cannot re-quantize one); its float outputs come from LiteRT, used here only as
the float reference, never to judge the quantized model. A PyTorch model
becomes a float .tflite through litert-torch (`torch_source`, the optional
`torch` extra) and is then quantized the same way; PyTorch itself gives its
float outputs.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

IoType = Literal["int8", "float32"]
Activations = Literal["int8", "int16"]


class QuantizeError(RuntimeError):
    """The model could not be loaded or converted; str() says why, for the user."""


def import_tensorflow() -> Any:  # noqa: ANN401 - the module
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        with silenced():
            import tensorflow as tf
    except ImportError as e:
        raise QuantizeError("converting needs TensorFlow: pip install tensorflow==2.21.0") from e
    tf.get_logger().setLevel("ERROR")
    try:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
    except ImportError:
        pass
    return tf


@dataclass
class SourceModel:
    path: Path
    kind: Literal["keras", "saved_model", "tflite", "torch"]
    model: Any  # a keras.Model, a loaded SavedModel, or the float .tflite's bytes (also for "torch")
    input_shape: tuple[int, ...]
    torch_module: Any = None  # the nn.Module a "torch" source came from: the float reference

    def predict(self, x: np.ndarray, batch: int = 64) -> np.ndarray:
        """Output 0 of the float model for every sample (first dimension of x)."""
        if self.kind == "torch":
            from tinyml_tools.torch_source import predict

            return predict(self.torch_module, x)
        results = []
        for start in range(0, len(x), batch):
            chunk = x[start : start + batch]
            if self.kind == "keras":
                y = self.model(chunk, training=False)
            elif self.kind == "tflite":
                y = self._litert(chunk)
            else:
                signature = self.model.signatures["serving_default"]
                if self.input_shape[0] == 1:  # exported with a fixed batch of 1
                    y = np.concatenate([self._call(signature, chunk[i : i + 1]) for i in range(len(chunk))])
                else:
                    y = self._call(signature, chunk)
            results.append(np.asarray(y[0] if isinstance(y, list | tuple) else y))
        return np.concatenate(results)

    @property
    def float_engine(self) -> str:
        """What computes the float model's outputs."""
        return {"tflite": "LiteRT", "torch": "PyTorch"}.get(self.kind, "TensorFlow")

    def _litert(self, x: np.ndarray) -> np.ndarray:
        from ai_edge_litert import interpreter as litert

        ip = litert.Interpreter(model_content=self.model)
        ip.allocate_tensors()
        source, result = ip.get_input_details()[0]["index"], ip.get_output_details()[0]["index"]
        outputs = []
        for i in range(len(x)):
            ip.set_tensor(source, x[i : i + 1])
            ip.invoke()
            outputs.append(np.array(ip.get_tensor(result)))
        return np.concatenate(outputs)

    @staticmethod
    def _call(signature: Any, x: np.ndarray) -> np.ndarray:  # noqa: ANN401
        out = signature(import_tensorflow().constant(x))
        return np.asarray(out[sorted(out)[0]])


def load_source(path: Path, input_shape: tuple[int, ...] | None = None) -> SourceModel:
    """The model to quantize; `input_shape` (batch first) only for a PyTorch factory function."""
    from tinyml_tools.torch_source import is_torch_source, load_torch

    if is_torch_source(str(path)):
        module, float_model, shape = load_torch(str(path), input_shape)
        return SourceModel(path, "torch", float_model, shape, module)
    if input_shape is not None:
        raise QuantizeError("--input-shape is only for PyTorch models (the others declare theirs)")
    if not path.exists():
        raise QuantizeError(f"model not found: {path}")
    tf = import_tensorflow()
    if path.is_dir():
        if not (path / "saved_model.pb").is_file():
            raise QuantizeError(f"{path} is a directory without saved_model.pb (not a SavedModel)")
        try:
            loaded = tf.saved_model.load(str(path))
            signature = loaded.signatures["serving_default"]
        except (KeyError, OSError, ValueError) as e:
            raise QuantizeError(f"cannot load the SavedModel {path}: {e}") from e
        specs = signature.structured_input_signature[1]
        if len(specs) != 1:
            raise QuantizeError(f"{path}: only single-input models are supported, this one has {len(specs)}")
        shape = tuple(-1 if d is None else int(d) for d in next(iter(specs.values())).shape)
        return SourceModel(path, "saved_model", loaded, shape)
    if path.suffix == ".tflite":
        return _load_float_tflite(path)
    if path.suffix not in (".keras", ".h5", ".hdf5"):
        raise QuantizeError(
            f"{path}: expected a .keras or .h5 file, a SavedModel directory, a float .tflite, "
            "or a PyTorch model (.pt2, FILE.py:FUNCTION)"
        )
    import keras

    try:
        model = keras.models.load_model(str(path), compile=False)
    except (OSError, ValueError, TypeError) as e:
        raise QuantizeError(f"cannot load {path} as a Keras model: {e}") from e
    if len(model.inputs) != 1:
        raise QuantizeError(
            f"{path}: only single-input models are supported, this one has {len(model.inputs)}"
        )
    shape = tuple(-1 if d is None else int(d) for d in model.inputs[0].shape)
    return SourceModel(path, "keras", model, shape)


def _load_float_tflite(path: Path) -> SourceModel:
    from tinyml_tools.tflite_file import TfliteFileError, read_tflite

    model = path.read_bytes()
    try:
        parsed = read_tflite(model)
    except TfliteFileError as e:
        raise QuantizeError(f"{path}: {e}") from e
    if len(parsed.inputs) != 1:
        raise QuantizeError(
            f"{path}: only single-input models are supported, this one has {len(parsed.inputs)}"
        )
    source = parsed.tensors[parsed.inputs[0]]
    quantized = [t.name for t in parsed.tensors if t.scales and t.dtype in ("int8", "int16", "uint8")]
    if source.dtype != "float32" or quantized:
        raise QuantizeError(f"{path} is already quantized; give the float model (or use it as it is)")
    return SourceModel(path, "tflite", model, source.shape)


def _quantize_tflite(source: SourceModel, samples: np.ndarray, io: IoType, activations: Activations) -> bytes:
    if io == "float32":
        raise QuantizeError(
            "--float-io is not available for a .tflite or PyTorch source (ai-edge-quantizer gives "
            "integer I/O)"
        )
    try:
        from ai_edge_litert import interpreter as litert
        from ai_edge_quantizer import quantizer, recipe
    except ImportError as e:
        raise QuantizeError(
            "quantizing a float .tflite needs ai-edge-quantizer: pip install ai-edge-quantizer==0.10.0"
        ) from e
    signatures = litert.Interpreter(model_content=source.model).get_signature_list()
    if not signatures:
        raise QuantizeError(f"{source.path} has no signature; ai-edge-quantizer needs one")
    key = next(iter(signatures))
    name = signatures[key]["inputs"][0]
    chosen = recipe.static_wi8_ai16() if activations == "int16" else recipe.static_wi8_ai8()
    try:
        with silenced():
            q = quantizer.Quantizer(source.model, chosen)
            calibration = q.calibrate({key: [{name: samples[i : i + 1]} for i in range(len(samples))]})
            result = q.quantize(calibration, enable_progress_bar=False, enable_progress_report=False)
    except Exception as e:  # the quantizer's own explanation
        raise QuantizeError(f"ai-edge-quantizer failed: {e}") from e
    return bytes(result.quantized_model)


def quantize(
    source: SourceModel, samples: np.ndarray, io: IoType = "int8", activations: Activations = "int8"
) -> bytes:
    """The full-integer .tflite of `source`, calibrated on `samples` (float32, batch first)."""
    if source.kind in ("tflite", "torch"):
        return _quantize_tflite(source, samples, io, activations)
    tf = import_tensorflow()
    if source.kind == "keras":
        converter = tf.lite.TFLiteConverter.from_keras_model(source.model)
    else:
        converter = tf.lite.TFLiteConverter.from_saved_model(str(source.path))

    def representative() -> Iterator[list[np.ndarray]]:
        for i in range(len(samples)):
            yield [samples[i : i + 1]]

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    if activations == "int16":
        converter.target_spec.supported_ops = [
            tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8
        ]
        integer_io = tf.int16
    else:
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        integer_io = tf.int8
    if io != "float32":
        converter.inference_input_type = integer_io
        converter.inference_output_type = integer_io
    try:
        with silenced():
            return bytes(converter.convert())
    except Exception as e:  # ConverterError and friends: the converter's own explanation
        message = str(e).strip().splitlines()
        raise QuantizeError("TensorFlow's converter failed: " + " ".join(message[-6:])) from e


@contextlib.contextmanager
def silenced() -> Iterator[None]:
    """Swallows what TensorFlow prints (Python and C++, stdout and stderr) while converting."""
    with tempfile.TemporaryFile() as sink, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sys.stdout.flush()
        sys.stderr.flush()
        saved = [os.dup(1), os.dup(2)]
        try:
            for fd in (1, 2):
                os.dup2(sink.fileno(), fd)
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                yield
        finally:
            for fd, copy in zip((1, 2), saved, strict=True):
                os.dup2(copy, fd)
                os.close(copy)
