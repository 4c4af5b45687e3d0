"""`tinyml inspect MODEL`: what a .tflite holds and whether our runtime runs it.

Operators (with the runtime's support for each), inputs, outputs, every tensor
with its quantization, metadata, and the arena and state the runtime's planner
lays out (or the runtime's reason for refusing the model).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from tinyml_tools.report import operator_lines, quantization_text, shape_text, short_layer, summary_lines
from tinyml_tools.runtime_info import RuntimeInfo, probe
from tinyml_tools.tflite_file import TfliteFile, missing_operators, read_tflite


@dataclass(frozen=True)
class Inspection:
    model: bytes
    parsed: TfliteFile
    runtime: RuntimeInfo

    @property
    def problems(self) -> list[str]:
        found = missing_operators(self.parsed, self.runtime.supported)
        if not found and self.runtime.model is not None and self.runtime.model.error is not None:
            found.append(self.runtime.model.error)
        if self.parsed.subgraphs > 1:
            found.append(f"{self.parsed.subgraphs} subgraphs; only the main one is described here")
        return found

    @property
    def compatible(self) -> bool:
        return self.runtime.model is not None and self.runtime.model.error is None


def inspect_model(model: bytes) -> Inspection:
    """Raises TfliteFileError (not a model) or RunError (the runtime is unusable)."""
    return Inspection(model, read_tflite(model), probe(model))


def _support(inspection: Inspection, name: str, version: int) -> str:
    highest = inspection.runtime.supported.get(name)
    if highest is None:
        return "MISSING"
    return "ok" if version <= highest else f"MISSING (runtime has up to v{highest})"


def text_report(inspection: Inspection, show_tensors: bool = True) -> list[str]:
    parsed = inspection.parsed
    assert inspection.runtime.model is not None
    lines = summary_lines(inspection.model, inspection.runtime.model)
    lines.append(
        f"schema        version {parsed.version}, {len(parsed.operators)} operators, "
        f"{len(parsed.tensors)} tensors"
    )
    if parsed.description:
        lines.append(f"description   {parsed.description}")
    for name, data in parsed.metadata.items():
        text = data.decode(errors="replace") if name == "tinyml" else f"{len(data)} bytes"
        lines.append(f"metadata      {name}: {text}")
    lines.append("")
    table = operator_lines(parsed)
    lines.append(table[0] + "  (runtime)")
    for op, line in zip(parsed.operators, table[1:], strict=True):
        lines.append(f"{line}  [{_support(inspection, op.name, op.version)}]")
    if show_tensors:
        lines.append("")
        lines.append(
            f"{'tensor':>6}  {'dtype':<8} {'shape':<16} {'bytes':>7}  {'kind':<6} {'quantization':<34} name"
        )
        graph_io = set(parsed.inputs) | set(parsed.outputs)
        for t in parsed.tensors:
            kind = "const" if t.constant else ("io" if t.index in graph_io else "act")
            lines.append(
                f"{t.index:>6}  {t.dtype:<8} {shape_text(t.shape):<16} {t.nbytes:>7}  {kind:<6} "
                f"{quantization_text(t):<34} {short_layer(t.name)}"
            )
    lines.append("")
    problems = inspection.problems
    lines.append(
        f"runtime {inspection.runtime.version}: "
        + ("runs this model" if inspection.compatible else "cannot run this model")
    )
    lines.extend(f"  - {p}" for p in problems)
    return lines


def json_report(inspection: Inspection) -> dict[str, object]:
    parsed = inspection.parsed
    runtime = inspection.runtime.model
    assert runtime is not None
    return {
        "bytes": len(inspection.model),
        "runtime_version": inspection.runtime.version,
        "compatible": inspection.compatible,
        "problems": inspection.problems,
        "arena_bytes": runtime.arena_bytes,
        "state_bytes": runtime.state_bytes,
        "operators": [
            {
                "name": op.name,
                "version": op.version,
                "layer": op.layer(parsed),
                "supported": _support(inspection, op.name, op.version) == "ok",
                "inputs": list(op.inputs),
                "outputs": list(op.outputs),
            }
            for op in parsed.operators
        ],
        "tensors": [
            {
                "index": t.index,
                "name": t.name,
                "dtype": t.dtype,
                "shape": list(t.shape),
                "bytes": t.nbytes,
                "constant": t.constant,
                "scales": list(t.scales),
                "zero_points": list(t.zero_points),
                "quantized_dimension": t.quantized_dimension,
            }
            for t in parsed.tensors
        ],
        "inputs": parsed.inputs,
        "outputs": parsed.outputs,
        "metadata": {name: len(data) for name, data in parsed.metadata.items()},
    }


def json_text(inspection: Inspection) -> str:
    return json.dumps(json_report(inspection), indent=2)
