"""The arena as our planner lays it out: every buffer's offset, size and lifetime.

The offsets come from the engine itself, through the host runner
(`build/host/tml_run MODEL --plan`, tests/c/tml_run.c, built by `make -C tests/c`):
after `tml_prepare` the arena pointers of tensors and nodes still hold the
planner's offsets. Lifetimes follow the planner's rules (engine/planner.c):
step 0 is before the first node, node i runs at step i + 1; graph inputs and
variables exist from step 0, a node's outputs from its step; a buffer lives
until the last step that reads it (graph outputs and variables to the end, a
result nobody reads for its own step); node scratch lives for its node's step,
persistent node memory for the whole run.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
HOST_RUNNER = PROJECT_ROOT / "build" / "host" / "tml_run"
RUNNER_SOURCES = PROJECT_ROOT / "tests" / "c"
TIMEOUT_SECONDS = 120


class PlanError(RuntimeError):
    """The host runner could not be built or refused the model (message says why)."""


@dataclass(frozen=True)
class Buffer:
    label: str  # "tensor 7", "node 3 scratch", "node 0 persistent"
    kind: str  # activation, variable, scratch, persistent
    offset: int
    bytes: int
    first: int  # first step alive
    last: int  # last step alive (inclusive)
    tensor: int | None = None


@dataclass(frozen=True)
class MemoryPlan:
    arena_bytes: int
    lower_bound_bytes: int
    steps: int  # number of nodes + 2 (step 0 and the end)
    ops: list[str]  # operator of node i (runs at step i + 1)
    buffers: list[Buffer]

    def alive_bytes(self, step: int) -> int:
        """Bytes of distinct buffers alive at a step (in-place outputs share their input's bytes)."""
        regions = {(b.offset, b.bytes) for b in self.buffers if b.first <= step <= b.last and b.bytes}
        return sum(size for _, size in regions)


def runner_path() -> Path:
    """build/host/tml_run, brought up to date by make (it is incremental)."""
    proc = subprocess.run(
        ["make", "-C", str(RUNNER_SOURCES), str(HOST_RUNNER)], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0 or not HOST_RUNNER.exists():
        raise PlanError(f"building the host runner failed:\n{(proc.stdout + proc.stderr)[-1500:]}")
    return HOST_RUNNER


def raw_plan(model: bytes) -> dict[str, object]:
    """The runner's --plan JSON for a model."""
    with tempfile.TemporaryDirectory(prefix="tinyml-plan-") as work:
        path = Path(work) / "model.tflite"
        path.write_bytes(model)
        try:
            proc = subprocess.run(
                [str(runner_path()), str(path), "--plan"],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise PlanError(f"the host runner did not finish within {TIMEOUT_SECONDS} s") from e
    if proc.returncode != 0:
        raise PlanError(f"the engine refuses the model: {proc.stderr.strip()}")
    return dict(json.loads(proc.stdout))


def lifetimes(raw: dict[str, object]) -> dict[int, tuple[int, int]]:
    """(first, last) step of every planned tensor, by the planner's rules."""
    nodes: list[dict[str, list[int]]] = raw["nodes"]  # type: ignore[assignment]
    end = len(nodes) + 1
    inputs: list[int] = raw["inputs"]  # type: ignore[assignment]
    outputs: list[int] = raw["outputs"]  # type: ignore[assignment]
    first: dict[int, int] = dict.fromkeys(inputs, 0)
    last_read: dict[int, int] = {}
    for i, node in enumerate(nodes):
        for t in node["inputs"]:
            if t >= 0:
                last_read[t] = i + 1
        for t in node["outputs"]:
            first.setdefault(t, i + 1)
    spans = {}
    for tensor in raw["tensors"]:  # type: ignore[union-attr]
        t = int(tensor["index"])
        if tensor["kind"] == "variable":
            spans[t] = (0, end)
            continue
        start = first.get(t, 0)
        stop = end if t in outputs else max(last_read.get(t, start), start)
        spans[t] = (start, stop)
    return spans


def plan_of(model: bytes) -> MemoryPlan:
    """The model's memory plan from the engine; PlanError if the engine refuses the model."""
    raw = raw_plan(model)
    spans = lifetimes(raw)
    tensors: list[dict[str, Any]] = raw["tensors"]  # type: ignore[assignment]
    nodes: list[dict[str, Any]] = raw["nodes"]  # type: ignore[assignment]
    end = len(nodes) + 1
    buffers = [
        Buffer(
            f"tensor {t['index']}", t["kind"], t["offset"], t["bytes"], *spans[t["index"]], tensor=t["index"]
        )
        for t in tensors
    ]
    for i, node in enumerate(nodes):
        if node["scratch_bytes"]:
            buffers.append(
                Buffer(
                    f"node {i} scratch",
                    "scratch",
                    node["scratch_offset"],
                    node["scratch_bytes"],
                    i + 1,
                    i + 1,
                )
            )
        if node["persistent_bytes"]:
            buffers.append(
                Buffer(
                    f"node {i} persistent",
                    "persistent",
                    node["persistent_offset"],
                    node["persistent_bytes"],
                    0,
                    end,
                )
            )
    return MemoryPlan(
        arena_bytes=int(raw["arena_bytes"]),  # type: ignore[call-overload]
        lower_bound_bytes=int(raw["lower_bound_bytes"]),  # type: ignore[call-overload]
        steps=end + 1,
        ops=[str(n["op"]) for n in nodes],
        buffers=buffers,
    )
