"""`tinyml-convert`: a trained float model to a full-integer .tflite that our runtime runs.

    tinyml-convert model.keras -o model.tflite --data digits.npz

Steps: load the model (.keras, .h5, SavedModel directory) and the representative
data; quantize with TensorFlow's converter (int8, or 16-bit activations with
--int16x8); ask the runtime itself (`tinyml.ops()`, `tinyml.Model`) whether it
can run every operator, and stop naming the operator, version and layer if not;
with labels, compare the float model's accuracy with the quantized model's as
our runtime computes it; print the size, arena and operator report; write the
.tflite (with a `tinyml` metadata entry), a JSON model card and optionally C source.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from tinyml_tools import __version__, latency
from tinyml_tools.data import DataError, check_sample_shape, load_data
from tinyml_tools.html_report import ERROR_SAMPLES, model_report
from tinyml_tools.memory_plan import PlanError
from tinyml_tools.model_metadata import MetadataError, Settings, build_metadata, embed_metadata
from tinyml_tools.qat import QatResult, split, train_and_quantize
from tinyml_tools.quant_error import source_layer_errors
from tinyml_tools.quant_error import text_lines as quant_error_lines
from tinyml_tools.quantize import QuantizeError, SourceModel, load_source, quantize
from tinyml_tools.report import c_identifier, c_source, operator_lines, sha256, summary_lines
from tinyml_tools.run import RunError
from tinyml_tools.runtime_info import probe
from tinyml_tools.tflite_file import missing_operators, read_tflite
from tinyml_tools.torch_source import is_torch_source
from tinyml_tools.validate import Accuracy, accuracy, run_in_runtime


class ConvertError(Exception):
    """A problem to report to the user as one line, without a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinyml-convert",
        description=(
            "Quantize a trained model to a full-integer .tflite for tinyml. Checks every operator "
            "against the runtime before writing anything, and with labels in DATA reports the float "
            "model's accuracy next to the quantized model's as the tinyml runtime computes it."
        ),
        epilog=(
            "DATA: a .npy file of samples, a .npz file with arrays `x` (samples) and optionally `y` "
            "(class labels), module:function returning x or (x, y), or a folder with one sample per "
            ".npy/.csv/.wav/.png file (in one subfolder per class for labels). Samples have the model's "
            "input shape without the batch dimension (in PyTorch's layout for a PyTorch model, e.g. "
            "C x H x W) and the float values the model was trained on."
        ),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "model",
        type=Path,
        metavar="MODEL",
        help="a .keras or .h5 file, a SavedModel directory, a float .tflite, or with the torch extra a "
        "PyTorch model: a .pt2 file (torch.export.save) or FILE.py:FUNCTION / module:FUNCTION returning "
        "an nn.Module (needs --input-shape)",
    )
    parser.add_argument(
        "--input-shape",
        type=_shape,
        metavar="1,C,H,W",
        help="the input shape of a PyTorch model given as FILE.py:FUNCTION, batch first",
    )
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="OUT.tflite", help="the model to write"
    )
    parser.add_argument("--data", required=True, metavar="DATA", help="representative (and validation) data")
    parser.add_argument(
        "--calibration-samples",
        type=int,
        default=300,
        metavar="N",
        help="calibrate on the first N samples of DATA (default 300)",
    )
    parser.add_argument(
        "--float-io", action="store_true", help="keep float32 input and output (quantize inside)"
    )
    parser.add_argument(
        "--int16x8",
        action="store_true",
        help="16-bit activations with 8-bit weights (int16 input and output)",
    )
    parser.add_argument(
        "--min-accuracy-ratio",
        type=float,
        default=0.95,
        metavar="R",
        help="warn when quantized accuracy < R x float accuracy (default 0.95)",
    )
    parser.add_argument("--no-validate", action="store_true", help="skip the accuracy comparison")
    qat = parser.add_argument_group(
        "quantization-aware training (Keras models; DATA must have labels `y`)",
        "Fine-tunes a copy of the model with fake quantization (tensorflow-model-optimization, run "
        "in tf-keras in a process of its own) before the full-integer conversion. A seeded random "
        "part of DATA is held out of training and gives the accuracies.",
    )
    qat.add_argument("--qat", action="store_true", help="quantization-aware training before converting")
    qat.add_argument("--qat-epochs", type=int, default=5, metavar="N", help="training epochs (default 5)")
    qat.add_argument(
        "--qat-learning-rate", type=float, default=1e-3, metavar="LR", help="Adam's learning rate (1e-3)"
    )
    qat.add_argument(
        "--qat-validation-split",
        type=float,
        default=0.2,
        metavar="F",
        help="fraction of DATA held out of training, for the accuracies (default 0.2; 0: accuracies "
        "on the training samples)",
    )
    parser.add_argument(
        "--labels", type=Path, metavar="FILE", help="class names, one per line, stored in the model"
    )
    parser.add_argument(
        "--model-version",
        type=int,
        default=1,
        metavar="N",
        help="the model's version, stored in its tinyml metadata (default 1)",
    )
    parser.add_argument(
        "--card",
        type=Path,
        metavar="CARD.json",
        help="where to write the JSON model card (default: OUT.json next to OUT.tflite)",
    )
    parser.add_argument("--c-source", type=Path, metavar="OUT.c", help="also write the model as a C array")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="REPORT.html",
        help="also write an HTML report: arena timeline, per-layer quantization error, latency per board",
    )
    parser.add_argument("--quiet", action="store_true", help="print only warnings and errors")
    return parser


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(d) for d in text.split(","))
    except ValueError:
        shape = ()
    if not shape or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers separated by commas, got {text!r}")
    return shape


def _labels(path: Path | None) -> list[str]:
    if path is None:
        return []
    if not path.is_file():
        raise ConvertError(f"labels file not found: {path}")
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def _qat_split(
    args: argparse.Namespace, source: SourceModel, x: np.ndarray, y: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The checks --qat needs, then (x_train, y_train, x_held_out, y_held_out)."""
    if y is None:
        raise ConvertError(f"--qat trains on labelled data, but {args.data} has no labels `y`")
    if source.kind != "keras":
        raise ConvertError(f"--qat needs a Keras model (.keras or .h5), not {args.model}")
    if args.int16x8:
        raise ConvertError("--qat trains for 8-bit activations; it cannot be combined with --int16x8")
    x_train, y_train, x_held_out, y_held_out = split(x, y, args.qat_validation_split)
    if len(x_held_out) == 0:  # --qat-validation-split 0: accuracies on the training samples
        return x_train, y_train, x_train, y_train
    return x_train, y_train, x_held_out, y_held_out


def convert(args: argparse.Namespace) -> int:
    say = (lambda _text: None) if args.quiet else (lambda text: print(text))
    if args.calibration_samples < 1:
        raise ConvertError("--calibration-samples must be at least 1")
    if args.model_version < 0:
        raise ConvertError(f"--model-version must not be negative, got {args.model_version}")
    labels = _labels(args.labels)
    if not args.model.exists() and not is_torch_source(str(args.model)):
        raise ConvertError(f"model not found: {args.model}")
    data = load_data(args.data)
    labels = labels or list(data.classes)
    source = load_source(args.model, args.input_shape)
    x = check_sample_shape(data, source.input_shape, str(args.data))
    y = data.y
    activations = "int16" if args.int16x8 else "int8"
    trained: QatResult | None = None
    if args.qat:
        x_train, y_train, x, y = _qat_split(args, source, x, y)
        calibration = x_train[: args.calibration_samples]
        say(
            f"quantization-aware training of {args.model} on {len(x_train)} samples, "
            f"{args.qat_epochs} epochs, then int8 calibrated on {len(calibration)}"
        )
        trained = train_and_quantize(
            source.model,
            x_train,
            y_train,
            calibration,
            epochs=args.qat_epochs,
            learning_rate=args.qat_learning_rate,
            float_io=args.float_io,
            quiet=args.quiet,
        )
        quantized = trained.model
    else:
        calibration = x[: args.calibration_samples]
        say(f"quantizing {args.model} ({activations} activations, calibrated on {len(calibration)} samples)")
        quantized = quantize(
            source, calibration, io="float32" if args.float_io else "int8", activations=activations
        )

    runtime = probe(quantized)
    problems = missing_operators(read_tflite(quantized), runtime.supported)
    if problems:
        raise ConvertError("the tinyml runtime cannot run this model: " + "; ".join(problems))
    assert runtime.model is not None
    if runtime.model.error is not None:
        raise ConvertError(f"the tinyml runtime refuses the converted model: {runtime.model.error}")
    settings = Settings(
        tool=f"tinyml-convert {__version__}",
        source=args.model.name,
        model_version=args.model_version,
        activations=activations,
        io="float32" if args.float_io else activations,
        calibration_samples=len(calibration),
    )
    try:
        tool_metadata = build_metadata(settings, runtime.version, runtime.model, labels, calibration)
    except MetadataError as e:
        raise ConvertError(str(e)) from e
    model = embed_metadata(quantized, tool_metadata)
    parsed = read_tflite(model)

    result: Accuracy | None = None
    if y is not None and not args.no_validate:
        float_scores = source.predict(x)
        with tqdm(
            total=len(x), desc="running in tinyml", unit="sample", disable=args.quiet, leave=False
        ) as bar:
            runtime_scores = run_in_runtime(model, x, runtime.model.inputs[0], bar.update)
        result = accuracy(float_scores, runtime_scores, y, args.min_accuracy_ratio)

    estimates = latency.estimate(model)
    for line in summary_lines(model, runtime.model) + [""] + operator_lines(parsed):
        say(line)
    say("")
    for line in latency.text_lines(estimates):
        say(line)
    if trained is not None:
        say(
            f"\nquantization-aware training: {trained.epochs} epochs, final loss {trained.loss:.4f}, "
            f"training accuracy {trained.accuracy:.2%} (fake-quantized)"
        )
    if result is not None:
        say(
            f"\naccuracy on {result.samples} samples: "
            f"float ({source.float_engine}{', before QAT' if trained else ''}) {result.float_accuracy:.2%}, "
            f"{activations} (tinyml runtime) {result.runtime_accuracy:.2%}"
        )
        if not result.ok:
            print(
                f"tinyml-convert: warning: quantized accuracy is {result.ratio:.1%} of float, "
                f"below {args.min_accuracy_ratio:.0%}",
                file=sys.stderr,
            )
    elif y is None:
        say("\naccuracy not checked: DATA has no labels `y`")

    error_samples = min(len(x), ERROR_SAMPLES)
    say(f"\nmeasuring the per-layer quantization error on {error_samples} samples")
    measured = source_layer_errors(source, model, x, ERROR_SAMPLES)
    for line in quant_error_lines(*measured, error_samples):
        say(line)
    page = None
    if args.report is not None:  # computed before anything is written
        page = model_report(
            args.output.name, model, runtime.model.state_bytes, estimates=estimates, measured=measured
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(model)
    card_path: Path = args.card or args.output.with_suffix(".json")
    card = {
        "model": args.output.name,
        "model_version": args.model_version,
        "bytes": len(model),
        "sha256": sha256(model),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "tool": tool_metadata["tool"],
        "runtime_version": runtime.version,
        "source": str(args.model),
        "quantization": {
            "activations": activations,
            "weights": "int8",
            "io": "float32" if args.float_io else activations,
            "calibration_samples": len(calibration),
        },
        "arena_bytes": runtime.model.arena_bytes,
        "state_bytes": runtime.model.state_bytes,
        "inputs": [t.__dict__ | {"shape": list(t.shape)} for t in runtime.model.inputs],
        "outputs": [t.__dict__ | {"shape": list(t.shape)} for t in runtime.model.outputs],
        "operators": [
            {"name": op.name, "version": op.version, "layer": op.layer(parsed)} for op in parsed.operators
        ],
        "labels": labels,
        "accuracy": None
        if result is None
        else {
            "samples": result.samples,
            "float": result.float_accuracy,
            "tinyml": result.runtime_accuracy,
            "ratio": result.ratio,
            "min_ratio": result.min_ratio,
        },
    }
    if trained is not None:
        card["qat"] = {
            "epochs": trained.epochs,
            "learning_rate": args.qat_learning_rate,
            "training_samples": trained.samples,
            "held_out": args.qat_validation_split > 0,
            "validation_samples": len(x),
            "final_loss": trained.loss,
            "final_training_accuracy": trained.accuracy,
        }
    card_path.write_text(json.dumps(card, indent=2) + "\n")
    written = [str(args.output), str(card_path)]
    if args.c_source is not None:
        args.c_source.parent.mkdir(parents=True, exist_ok=True)
        args.c_source.write_text(c_source(model, c_identifier(args.output.stem) + "_tflite"))
        written.append(str(args.c_source))
    if page is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(page, encoding="utf-8")
        written.append(str(args.report))
    say("\nwrote " + ", ".join(written))
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return convert(args)
    except (ConvertError, DataError, QuantizeError, RunError, PlanError) as e:
        print(f"tinyml-convert: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
