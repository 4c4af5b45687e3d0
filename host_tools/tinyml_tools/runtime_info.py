"""What our runtime (the x64 native module under the unix port) says about
itself and about a model: the operators it carries, and for a model the arena
its planner lays out, the state block, the node list and the I/O tensors, or
the error it refuses the model with.

    from tinyml_tools.runtime_info import probe
    info = probe(model_bytes)
    info.supported           # {"CONV_2D": 6, ...}: highest version of each operator
    info.model.arena_bytes   # None when info.model.error says why it was refused

Nothing here keeps its own list of operators: the answers come from
`tinyml.ops()` and `tinyml.Model` (mpy_probe.py, run under MicroPython).
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from tinyml_tools.run import HEAP_SIZE, RunError, micropython_binary, natmod_path

PROBE = Path(__file__).resolve().parent / "mpy_probe.py"
TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class RuntimeTensor:
    dtype: str
    shape: tuple[int, ...]
    scale: float
    zero_point: int


@dataclass(frozen=True)
class ModelInRuntime:
    """The runtime's view of one model; `error` is set (and the rest empty) if it refused it."""

    error: str | None = None
    arena_bytes: int | None = None
    state_bytes: int | None = None
    ops: list[tuple[str, int]] = field(default_factory=list)
    inputs: list[RuntimeTensor] = field(default_factory=list)
    outputs: list[RuntimeTensor] = field(default_factory=list)


@dataclass(frozen=True)
class RuntimeInfo:
    version: str
    supported: dict[str, int]  # operator name -> highest version this build carries
    model: ModelInRuntime | None


def _tensors(items: list[dict[str, object]]) -> list[RuntimeTensor]:
    return [
        RuntimeTensor(
            str(t["dtype"]),
            tuple(int(d) for d in t["shape"]),  # type: ignore[union-attr]
            float(t["scale"]),  # type: ignore[arg-type]
            int(t["zero_point"]),  # type: ignore[call-overload]
        )
        for t in items
    ]


def probe(model: bytes | None = None, *, natmod: Path | None = None) -> RuntimeInfo:
    """Asks the runtime; RunError if MicroPython or the native module is unusable."""
    mpy = natmod if natmod is not None else natmod_path()
    with tempfile.TemporaryDirectory(prefix="tinyml_probe_") as work:
        argv = [str(micropython_binary()), "-X", f"heapsize={HEAP_SIZE}", str(PROBE), str(mpy.parent)]
        if model is not None:
            path = Path(work) / "model.tflite"
            path.write_bytes(model)
            argv.append(str(path))
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_SECONDS, check=False)
        except subprocess.TimeoutExpired as e:
            raise RunError(f"micropython did not finish within {TIMEOUT_SECONDS} s") from e
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RunError(f"the runtime probe failed: {(proc.stdout + proc.stderr).strip()[-2000:]}")
    report = json.loads(lines[-1])
    supported = {str(name): int(version) for name, version in report["ops"]}
    described: ModelInRuntime | None = None
    if "model" in report:
        m = report["model"]
        if "error" in m:
            described = ModelInRuntime(error=str(m["error"]))
        else:
            described = ModelInRuntime(
                arena_bytes=int(m["arena_bytes"]),
                state_bytes=int(m["state_bytes"]),
                ops=[(str(name), int(version)) for name, version in m["ops"]],
                inputs=_tensors(m["inputs"]),
                outputs=_tensors(m["outputs"]),
            )
    return RuntimeInfo(str(report["version"]), supported, described)
