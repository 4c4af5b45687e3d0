"""What the tools print and write about a model: the per-operator table, the
summary lines, the JSON model card and the C source array."""

from __future__ import annotations

import hashlib
import re

from tinyml_tools.runtime_info import ModelInRuntime, RuntimeTensor
from tinyml_tools.tflite_file import TensorInfo, TfliteFile

LAYER_WIDTH = 60


def short_layer(name: str) -> str:
    """A converter tensor name, shortened for a table ("a;b;c" -> "a;...")."""
    first = name.split(";")[0]
    text = first + (";..." if ";" in name else "")
    return text if len(text) <= LAYER_WIDTH else text[: LAYER_WIDTH - 3] + "..."


def shape_text(shape: tuple[int, ...]) -> str:
    return "x".join(str(d) for d in shape) if shape else "scalar"


def quantization_text(t: TensorInfo) -> str:
    if not t.scales:
        return "-"
    if len(t.scales) == 1:
        return f"scale {t.scales[0]:.6g} zp {t.zero_points[0] if t.zero_points else 0}"
    return f"per-channel ({len(t.scales)} scales, axis {t.quantized_dimension})"


def operator_lines(model: TfliteFile) -> list[str]:
    """One line per operator: node, name and version, output shape and dtype, layer."""
    lines = [f"{'node':>4}  {'operator':<24} {'ver':>3}  {'output':<16} {'dtype':<7} layer"]
    for op in model.operators:
        out = model.tensors[op.outputs[0]] if op.outputs else None
        lines.append(
            f"{op.index:>4}  {op.name:<24} {op.version:>3}  "
            f"{shape_text(out.shape) if out else '-':<16} {out.dtype if out else '-':<7} "
            f"{short_layer(op.layer(model))}"
        )
    return lines


def io_text(tensor: RuntimeTensor) -> str:
    quant = f", scale {tensor.scale:.6g}, zero point {tensor.zero_point}" if tensor.scale else ""
    return f"{tensor.dtype} {shape_text(tensor.shape)}{quant}"


def sha256(model: bytes) -> str:
    return hashlib.sha256(model).hexdigest()


def summary_lines(model_bytes: bytes, runtime: ModelInRuntime) -> list[str]:
    lines = [f"model bytes   {len(model_bytes)}  (sha256 {sha256(model_bytes)[:16]}...)"]
    if runtime.error is not None:
        lines.append(f"runtime       refuses the model: {runtime.error}")
        return lines
    lines.append(f"arena bytes   {runtime.arena_bytes}  (as the runtime's planner lays it out)")
    lines.append(f"state bytes   {runtime.state_bytes}")
    for i, t in enumerate(runtime.inputs):
        lines.append(f"input {i}       {io_text(t)}")
    for i, t in enumerate(runtime.outputs):
        lines.append(f"output {i}      {io_text(t)}")
    return lines


def c_identifier(text: str) -> str:
    name = re.sub(r"\W", "_", text)
    return name if name and not name[0].isdigit() else "model_" + name


def c_source(model_bytes: bytes, name: str) -> str:
    """A C file holding the model as a 16-byte aligned const array and its length."""
    rows = []
    for start in range(0, len(model_bytes), 16):
        rows.append("    " + ", ".join(f"0x{b:02x}" for b in model_bytes[start : start + 16]) + ",")
    body = "\n".join(rows)
    return (
        f"/* {name}: {len(model_bytes)} bytes, sha256 {sha256(model_bytes)}, by tinyml-convert */\n"
        "#include <stddef.h>\n#include <stdint.h>\n\n"
        f"const uint8_t {name}[] __attribute__((aligned(16))) = {{\n{body}\n}};\n"
        f"const size_t {name}_len = {len(model_bytes)};\n"
    )
