"""Per-layer quantization error: the quantized model's intermediate tensors, as our
runtime computes them, against the float model's, as our runtime computes them too.

Both models run with every operator output exposed as a graph output
(tflite_edit.with_all_outputs) on the same samples: the float model on the float
samples, the quantized one on the samples quantized with its input's scale and
zero point (as Tensor.quantize does). Each quantized operator output is
dequantized (per-tensor scale and zero point) and compared with the float
tensor of the same name (the converter names tensors after their layers), or,
failing that, with the float operator of the same type and output shape in the
same order. Reported per layer: RMS error, largest error, and the
signal-to-quantization-noise ratio 10 log10(sum f^2 / sum (q - f)^2) in dB.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tinyml_tools.run import NUMPY_DTYPES, run_model
from tinyml_tools.tflite_edit import with_all_outputs
from tinyml_tools.tflite_file import TfliteFile, read_tflite

INTEGER_DTYPES = ("int8", "int16", "uint8")


@dataclass(frozen=True)
class LayerError:
    node: int
    op: str
    layer: str
    shape: tuple[int, ...]
    rms_error: float
    max_abs_error: float
    sqnr_db: float  # inf when identical


def float_tflite(source: object) -> bytes:
    """A float32 .tflite of a quantize.SourceModel (its own bytes if it already is one)."""
    from tinyml_tools.quantize import import_tensorflow, silenced

    kind = source.kind  # type: ignore[attr-defined]
    if kind == "tflite":
        return bytes(source.model)  # type: ignore[attr-defined]
    tf = import_tensorflow()
    if kind == "keras":
        converter = tf.lite.TFLiteConverter.from_keras_model(source.model)  # type: ignore[attr-defined]
    else:
        converter = tf.lite.TFLiteConverter.from_saved_model(str(source.path))  # type: ignore[attr-defined]
    with silenced():
        return bytes(converter.convert())


def quantize_input(parsed: TfliteFile, x: np.ndarray) -> np.ndarray:
    tensor = parsed.tensors[parsed.inputs[0]]
    if tensor.dtype not in INTEGER_DTYPES:
        return x.astype(np.float32)
    info = np.iinfo(np.dtype(tensor.dtype))
    q = np.round(x / tensor.scales[0]) + (tensor.zero_points[0] if tensor.zero_points else 0)
    return np.clip(q, info.min, info.max).astype(tensor.dtype)


def _all_outputs(model: bytes, parsed: TfliteFile, samples: list[np.ndarray]) -> dict[int, list[np.ndarray]]:
    widened, order = with_all_outputs(model, lambda t: parsed.tensors[t].dtype in NUMPY_DTYPES)
    runs = run_model(widened, [[s] for s in samples], profile=False).outputs
    return {t: [run[k] for run in runs] for k, t in enumerate(order)}


def _matches(q: TfliteFile, f: TfliteFile) -> dict[int, int]:
    """Quantized operator output tensor -> float tensor holding the same layer's result."""
    by_name = {f.tensors[op.outputs[0]].name: op.outputs[0] for op in f.operators if op.outputs}
    float_ops = [(op.name, f.tensors[op.outputs[0]].shape, op.outputs[0]) for op in f.operators if op.outputs]
    matched: dict[int, int] = {}
    cursor = 0
    for op in q.operators:
        if not op.outputs or op.name in ("QUANTIZE", "DEQUANTIZE"):
            continue
        t = op.outputs[0]
        tensor = q.tensors[t]
        if tensor.name in by_name:
            matched[t] = by_name[tensor.name]
            continue
        for k in range(cursor, len(float_ops)):
            name, shape, ft = float_ops[k]
            if name == op.name and shape == tensor.shape:
                matched[t] = ft
                cursor = k + 1
                break
    return matched


def layer_errors(quantized: bytes, float_model: bytes, samples: np.ndarray) -> list[LayerError]:
    """Error of every quantized operator output that has a float counterpart, over `samples`
    (float32, batch first, each the model's input without the batch dimension)."""
    q = read_tflite(quantized)
    f = read_tflite(float_model)
    input_shape = q.tensors[q.inputs[0]].shape
    xs = [np.asarray(s, dtype=np.float32).reshape(input_shape) for s in samples]
    q_out = _all_outputs(quantized, q, [quantize_input(q, x) for x in xs])
    f_out = _all_outputs(float_model, f, xs)
    matches = _matches(q, f)
    errors = []
    for op in q.operators:
        t = op.outputs[0] if op.outputs else -1
        if t not in matches or t not in q_out or matches[t] not in f_out:
            continue
        tensor = q.tensors[t]
        if tensor.dtype in INTEGER_DTYPES and tensor.scales:
            zero = tensor.zero_points[0] if tensor.zero_points else 0
            deq = [(a.astype(np.float64) - zero) * tensor.scales[0] for a in q_out[t]]
        else:
            deq = [a.astype(np.float64) for a in q_out[t]]
        ref = [a.astype(np.float64) for a in f_out[matches[t]]]
        diff = np.concatenate([(a - b).ravel() for a, b in zip(deq, ref, strict=True)])
        signal = float(sum(np.sum(b * b) for b in ref))
        noise = float(np.sum(diff * diff))
        sqnr = math.inf if noise == 0 else (10 * math.log10(signal / noise) if signal > 0 else -math.inf)
        errors.append(
            LayerError(
                op.index,
                op.name,
                op.layer(q),
                tensor.shape,
                float(np.sqrt(np.mean(diff * diff))),
                float(np.max(np.abs(diff))),
                sqnr,
            )
        )
    return errors


def source_layer_errors(
    source: object, quantized: bytes, samples: np.ndarray, count: int
) -> tuple[list[LayerError] | None, str]:
    """Per-layer error of `quantized` against its float source on `count` samples,
    or None and why not (a PyTorch source has no float .tflite here; the runtime
    may lack a float form of an operator)."""
    from tinyml_tools.run import RunError

    if source.kind == "torch":  # type: ignore[attr-defined]
        return None, "not measured for PyTorch sources (no float TFLite model of the source)"
    try:
        errors = layer_errors(quantized, float_tflite(source), np.asarray(samples)[:count])
    except RunError as e:
        return None, f"the tinyml runtime could not run both models: {e}"
    return errors, "no quantized layer has a float counterpart"


def text_lines(errors: list[LayerError] | None, note: str, samples: int) -> list[str]:
    """The per-layer error table for the terminal."""
    if not errors:
        return [f"per-layer quantization error: {note}"]
    lines = [
        f"per-layer quantization error (quantized model in tinyml vs the float model, {samples} samples)",
        f"{'node':>4}  {'operator':<20} {'SQNR dB':>8} {'RMS':>10} {'max abs':>10}  layer",
    ]
    for e in errors:
        sqnr = f"{e.sqnr_db:.1f}" if np.isfinite(e.sqnr_db) else "exact"
        lines.append(
            f"{e.node:>4}  {e.op:<20} {sqnr:>8} {e.rms_error:>10.4g} {e.max_abs_error:>10.4g}  {e.layer[:50]}"
        )
    return lines
