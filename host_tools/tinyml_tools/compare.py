"""`tinyml compare MODEL --input in.npy`: our runtime against TFLM, the oracle.

Both run the model on the same inputs; every output is compared element by
element. To find where a difference starts, both then run a copy of the model
in which every operator's output is also a graph output, and the first tensor
(in execution order) on which they disagree is named with its operator and layer.

TFLM runs in a subprocess (tflm.py): its failed checks abort the process.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinyml_tools import tflm
from tinyml_tools.run import NUMPY_DTYPES, run_model
from tinyml_tools.tflite_edit import with_all_outputs
from tinyml_tools.tflite_file import OperatorInfo, TfliteFile, read_tflite


@dataclass(frozen=True)
class Difference:
    """How two arrays of the same tensor differ (`differing` == 0: identical)."""

    name: str
    shape: tuple[int, ...]
    dtype: str
    differing: int
    max_abs: float

    @property
    def same(self) -> bool:
        return self.differing == 0

    def text(self) -> str:
        where = f"{self.name}: {self.dtype} {'x'.join(map(str, self.shape)) or 'scalar'}"
        if self.same:
            return f"{where}: identical"
        total = int(np.prod(self.shape)) if self.shape else 1
        return f"{where}: {self.differing} of {total} elements differ, max |difference| {self.max_abs:g}"


@dataclass(frozen=True)
class Comparison:
    outputs: list[Difference]
    first_intermediate: tuple[OperatorInfo, Difference] | None  # None: every intermediate matches

    @property
    def same(self) -> bool:
        return all(d.same for d in self.outputs)


def difference(name: str, ours: np.ndarray, oracle: np.ndarray) -> Difference:
    if ours.shape != oracle.shape or ours.dtype != oracle.dtype:
        return Difference(
            f"{name} (ours {ours.dtype} {ours.shape}, TFLM {oracle.dtype} {oracle.shape})",
            tuple(oracle.shape),
            str(oracle.dtype),
            int(oracle.size) or 1,
            float("inf"),
        )
    wide_ours = ours.astype(np.float64)
    wide_oracle = oracle.astype(np.float64)
    unequal = ~((wide_ours == wide_oracle) | (np.isnan(wide_ours) & np.isnan(wide_oracle)))
    max_abs = float(np.nanmax(np.abs(wide_ours - wide_oracle))) if unequal.any() else 0.0
    return Difference(name, tuple(ours.shape), str(ours.dtype), int(unequal.sum()), max_abs)


def _producers(parsed: TfliteFile) -> dict[int, OperatorInfo]:
    return {t: op for op in parsed.operators for t in op.outputs}


def compare_model(model: bytes, inputs: list[np.ndarray]) -> Comparison:
    """Raises TfliteFileError, RunError (our runtime refused) or TflmError (TFLM failed)."""
    parsed = read_tflite(model)
    ours = run_model(model, [inputs], profile=False).outputs[0]
    oracle = tflm.run_many(model, [inputs], len(parsed.outputs))[0]
    outputs = [
        difference(f"output {o} ({parsed.tensors[t].name})", a, b)
        for o, (t, a, b) in enumerate(zip(parsed.outputs, ours, oracle, strict=True))
    ]
    # Tensors whose dtype cannot travel back from the runtime (e.g. uint64) are skipped.
    widened, order = with_all_outputs(model, lambda t: parsed.tensors[t].dtype in NUMPY_DTYPES)
    all_ours = run_model(widened, [inputs], profile=False).outputs[0]
    all_oracle = tflm.run_many(widened, [inputs], len(order))[0]
    by_tensor = {t: (a, b) for t, a, b in zip(order, all_ours, all_oracle, strict=True)}
    producers = _producers(parsed)
    first = None
    for op in parsed.operators:
        for t in op.outputs:
            if t not in by_tensor or t not in producers:
                continue
            d = difference(f"tensor {t} ({parsed.tensors[t].name})", *by_tensor[t])
            if not d.same:
                first = (op, d)
                break
        if first is not None:
            break
    return Comparison(outputs, first)


def text_report(comparison: Comparison, parsed: TfliteFile) -> list[str]:
    lines = [d.text() for d in comparison.outputs]
    if comparison.first_intermediate is None:
        lines.append("intermediate tensors: all identical")
    else:
        op, d = comparison.first_intermediate
        lines.append(f"first differing tensor: node {op.index} {op.name} v{op.version} ({op.layer(parsed)})")
        lines.append(f"  {d.text()}")
    lines.append("tinyml and TFLM agree" if comparison.same else "tinyml and TFLM DIFFER")
    return lines
