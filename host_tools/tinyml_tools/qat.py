"""Quantization-aware training (tensorflow-model-optimization) of a Keras 3 model,
in a process of its own, then full-integer conversion of the trained model.

    result = train_and_quantize(keras_model, x, y, calibration, epochs=5)
    result.model          # the full-integer .tflite (bytes)

tfmot works only with tf-keras, selected by TF_USE_LEGACY_KERAS=1 before
TensorFlow is imported, while the rest of the converter uses Keras 3. So
`train_and_quantize` writes the model's config (rewritten for tf-keras by
`legacy_keras`) and weights, the labelled samples and the calibration samples to
a temporary folder and runs `python -m tinyml_tools.qat` on them; that process
rebuilds the model in tf-keras, wraps it with `quantize_model`, fine-tunes it
(sparse categorical cross-entropy on class labels; binary for a one-unit
output), and converts it with a representative dataset, since full-int8
conversion of a QAT model still needs one. Only Sequential and functional models
of the layers tfmot's default 8-bit scheme knows can be trained this way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinyml_tools.legacy_keras import to_tf_keras
from tinyml_tools.quantize import QuantizeError


class QatError(QuantizeError):
    """Quantization-aware training could not run; str() says why, for the user."""


@dataclass(frozen=True)
class QatResult:
    model: bytes  # the full-integer .tflite
    samples: int  # trained on
    epochs: int
    loss: float  # training loss of the last epoch
    accuracy: float  # training accuracy of the last epoch, fake-quantized (tf-keras)


def split(
    x: np.ndarray, y: np.ndarray, held_out: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_held_out, y_held_out): a seeded random `held_out`
    fraction of the samples kept out of training (at least one each side)."""
    if not 0.0 <= held_out < 1.0:
        raise QatError("--qat-validation-split must be at least 0 and below 1")
    order = np.random.default_rng(seed).permutation(len(x))
    count = min(max(round(len(x) * held_out), 1), len(x) - 1) if held_out > 0 else 0
    train, rest = order[count:], order[:count]
    return x[train], y[train], x[rest], y[rest]


def train_and_quantize(
    model: Any,  # noqa: ANN401 - a Keras 3 model
    x: np.ndarray,
    y: np.ndarray,
    calibration: np.ndarray,
    epochs: int = 5,
    learning_rate: float = 1e-3,
    float_io: bool = False,
    quiet: bool = False,
) -> QatResult:
    """Fine-tunes `model` with quantization-aware training on (x, y) in a separate
    process and returns the full-integer .tflite calibrated on `calibration`."""
    if epochs < 1:
        raise QatError("--qat-epochs must be at least 1")
    if type(model).__name__ not in ("Sequential", "Functional"):
        raise QatError(
            f"quantization-aware training needs a Sequential or functional Keras model, "
            f"not a subclassed one ({type(model).__name__})"
        )
    _check_labels(y, int(model.outputs[0].shape[-1]))
    try:
        config = to_tf_keras(model.get_config())
    except ValueError as e:
        raise QatError(f"cannot hand the model to tf-keras: {e}") from e
    with tempfile.TemporaryDirectory(prefix="tinyml-qat-") as folder:
        work = Path(folder)
        kind = "Sequential" if type(model).__name__ == "Sequential" else "Functional"
        (work / "model.json").write_text(json.dumps({"class_name": kind, "config": config}))
        weights = [np.asarray(v.numpy()) for v in model.weights]  # get_weights() warns under numpy 2
        np.savez(work / "weights.npz", **{f"w{i}": w for i, w in enumerate(weights)})
        np.savez(work / "train.npz", x=x.astype(np.float32), y=y.astype(np.int64))
        np.save(work / "calibration.npy", calibration.astype(np.float32))
        argv = [
            sys.executable,
            "-m",
            "tinyml_tools.qat",
            "--work",
            str(work),
            "--epochs",
            str(epochs),
            "--learning-rate",
            repr(learning_rate),
        ]
        argv += ["--float-io"] if float_io else []
        argv += ["--quiet"] if quiet else []
        package_root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ, TF_USE_LEGACY_KERAS="1", TF_CPP_MIN_LOG_LEVEL="3")
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        status, stderr = _run(argv, env, echo=not quiet)
        result_file = work / "result.json"
        if not result_file.is_file():
            tail = " ".join(stderr.strip().splitlines()[-3:])
            raise QatError(f"quantization-aware training failed (exit {status}): {tail}")
        result = json.loads(result_file.read_text())
        if "error" in result:
            raise QatError(result["error"])
        return QatResult(
            (work / "model.tflite").read_bytes(),
            len(x),
            epochs,
            float(result["loss"]),
            float(result["accuracy"]),
        )


def _check_labels(y: np.ndarray, outputs: int) -> None:
    """Class labels the model's output can be trained on, or QatError."""
    low, high = int(y.min()), int(y.max())
    if outputs == 1 and not set(np.unique(y).tolist()) <= {0, 1}:
        raise QatError(f"a one-output model trains on labels 0 and 1, but `y` runs from {low} to {high}")
    if outputs > 1 and (low < 0 or high >= outputs):
        raise QatError(
            f"labels `y` run from {low} to {high}, but the model has {outputs} outputs (classes 0 to "
            f"{outputs - 1})"
        )


def _run(argv: list[str], env: dict[str, str], echo: bool) -> tuple[int, str]:
    """Runs the training process; its stderr (the progress bar) is passed through
    when `echo`, and returned for the error message should it fail."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    captured = bytearray()
    while chunk := proc.stderr.read1(4096):
        captured += chunk
        if echo:
            sys.stderr.buffer.write(chunk)
            sys.stderr.flush()
    return proc.wait(), captured.decode(errors="replace")


# The process that trains: everything below runs with TF_USE_LEGACY_KERAS=1.


def _loss(model: Any, tf_keras: Any) -> Any:  # noqa: ANN401
    """Cross-entropy for class-index labels, on probabilities or logits as the output gives."""
    last = model.layers[-1]
    activation = getattr(getattr(last, "activation", None), "__name__", "")
    if type(last).__name__ == "Softmax":
        activation = "softmax"
    if int(model.outputs[0].shape[-1]) == 1:
        return tf_keras.losses.BinaryCrossentropy(from_logits=activation != "sigmoid")
    return tf_keras.losses.SparseCategoricalCrossentropy(from_logits=activation != "softmax")


def _rebuild(error: Exception) -> str:
    """tf-keras's refusal to rebuild a layer, without the layer's whole config."""
    text = str(error)
    match = re.search(r"deserializing class '(\w+)' using config=\{'name': '([^']*)'", text)
    cause = text.split("Exception encountered:", 1)[-1].strip().replace("\n", " ")
    if match is None:
        return cause[:300]
    return f"layer {match[2]!r} ({match[1]}): {cause[:300]}"


def _unsupported_layer(message: str) -> str | None:
    """tfmot's refusal of a layer, shortened to what the user needs."""
    match = re.search(r"Layer ([^:\s]+):<class '([\w.]+)'> is not supported", message)
    if match is None:
        return None
    return (
        f"layer {match[1]!r} ({match[2].rsplit('.', 1)[-1]}) is not supported by "
        "tensorflow-model-optimization's default 8-bit scheme"
    )


def _train(work: Path, epochs: int, learning_rate: float, float_io: bool, quiet: bool) -> dict[str, Any]:
    from tinyml_tools.quantize import silenced

    with silenced():
        import tensorflow as tf
        import tensorflow_model_optimization as tfmot
        import tf_keras
    from tqdm import tqdm

    tf.get_logger().setLevel("ERROR")
    description = json.loads((work / "model.json").read_text())
    builder = tf_keras.Sequential if description["class_name"] == "Sequential" else tf_keras.Model
    try:
        model = builder.from_config(description["config"])
        with np.load(work / "weights.npz") as stored:
            model.set_weights([stored[f"w{i}"] for i in range(len(stored.files))])
    except (TypeError, ValueError, KeyError) as e:
        return {"error": f"tf-keras cannot rebuild the model for quantization-aware training: {_rebuild(e)}"}
    try:
        with silenced():
            trainer = tfmot.quantization.keras.quantize_model(model)
    except (RuntimeError, ValueError) as e:
        refusal = _unsupported_layer(str(e))
        if refusal is None:
            return {"error": f"tensorflow-model-optimization cannot wrap the model: {e}"}
        return {"error": f"quantization-aware training does not support this model: {refusal}"}
    with np.load(work / "train.npz") as train:
        x, y = train["x"], train["y"]
    trainer.compile(
        optimizer=tf_keras.optimizers.Adam(learning_rate), loss=_loss(model, tf_keras), metrics=["accuracy"]
    )
    tf_keras.utils.set_random_seed(0)
    history: dict[str, float] = {}
    with tqdm(total=epochs, desc="quantization-aware training", unit="epoch", disable=quiet) as bar:
        for _ in range(epochs):
            try:
                logs = trainer.fit(x, y, epochs=1, batch_size=32, shuffle=True, verbose=0).history
            except Exception as e:  # TensorFlow's explanation, e.g. a shape it cannot train on
                return {"error": "quantization-aware training failed: " + str(e).strip().splitlines()[0]}
            history = {k: float(v[-1]) for k, v in logs.items()}
            bar.set_postfix(loss=f"{history['loss']:.4f}", accuracy=f"{history['accuracy']:.2%}")
            bar.update()

    calibration = np.load(work / "calibration.npy")
    spec = tf.TensorSpec([1, *calibration.shape[1:]], tf.float32)
    function = tf.function(lambda sample: trainer(sample, training=False)).get_concrete_function(spec)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], trainer)

    def representative() -> Iterator[list[np.ndarray]]:
        for i in range(len(calibration)):
            yield [calibration[i : i + 1]]

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if not float_io:
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    try:
        with silenced():
            (work / "model.tflite").write_bytes(bytes(converter.convert()))
    except Exception as e:  # ConverterError and friends: the converter's own explanation
        message = str(e).strip().splitlines()
        return {"error": "TensorFlow's converter failed on the QAT model: " + " ".join(message[-6:])}
    return {"loss": history["loss"], "accuracy": history["accuracy"]}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tinyml_tools.qat",
        description=(
            "Quantization-aware training in tf-keras, run by tinyml-convert --qat in a process of its "
            "own. Reads WORK/model.json (a tf-keras model config), WORK/weights.npz, WORK/train.npz "
            "(x, y) and WORK/calibration.npy; writes WORK/model.tflite (full integer) and "
            "WORK/result.json (final loss and accuracy, or an error)."
        ),
    )
    parser.add_argument("--work", type=Path, required=True, metavar="WORK", help="the folder to work in")
    parser.add_argument("--epochs", type=int, default=5, metavar="N", help="training epochs (default 5)")
    parser.add_argument(
        "--learning-rate", type=float, default=1e-3, metavar="LR", help="Adam's learning rate (1e-3)"
    )
    parser.add_argument("--float-io", action="store_true", help="keep float32 input and output")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if os.environ.get("TF_USE_LEGACY_KERAS") != "1":
        print("python -m tinyml_tools.qat: set TF_USE_LEGACY_KERAS=1 (tfmot needs tf-keras)", file=sys.stderr)
        return 2
    result = _train(args.work, args.epochs, args.learning_rate, args.float_io, args.quiet)
    (args.work / "result.json").write_text(json.dumps(result))
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
