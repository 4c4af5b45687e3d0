"""TensorFlow Lite Micro (the pip package `tflite-micro`) as reference and yardstick.

TFLM aborts the whole process when one of its internal checks fails, so it
never runs in the caller's process: every call starts one Python subprocess
that loads the model once and does all the work asked of it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np

# Arena for correctness runs: generous, so a result never depends on it.
ORACLE_ARENA_MIN = 8 * 1024 * 1024
TIMEOUT_SECONDS = 600

T = TypeVar("T")

_WORKER = r"""
import json, sys, time
import numpy as np
from tflite_micro import runtime

work, mode = sys.argv[1], sys.argv[2]
args = json.loads(sys.argv[3])
model = open(work + "/model.tflite", "rb").read()

def interpreter(arena_size):
    return runtime.Interpreter.from_bytes(model, arena_size=arena_size)

def feed(ip, sets, s, num_inputs):
    for i in range(num_inputs):
        ip.set_input(sets[f"s{s}_i{i}"], i)

if mode == "details":
    ip = interpreter(args["arena"])
    details = {"inputs": [], "outputs": []}
    for kind, get in (("inputs", ip.get_input_details), ("outputs", ip.get_output_details)):
        i = 0
        while True:
            try:
                d = get(i)
            except Exception:
                break
            details[kind].append({"shape": [int(v) for v in d["shape"]], "dtype": np.dtype(d["dtype"]).name})
            i += 1
    print("DETAILS " + json.dumps(details))
elif mode in ("run", "time"):
    sets = np.load(work + "/inputs.npz")
    num_sets, num_inputs = int(sets["num_sets"]), int(sets["num_inputs"])
    ip = interpreter(args["arena"])
    if mode == "run":
        results = {}
        for s in range(num_sets):
            if s:
                ip.reset()
            feed(ip, sets, s, num_inputs)
            ip.invoke()
            for o in range(args["num_outputs"]):
                results[f"s{s}_o{o}"] = np.array(ip.get_output(o))
        np.savez(work + "/outputs.npz", **results)
    else:
        feed(ip, sets, 0, num_inputs)
        ip.invoke()  # warm-up
        times = []
        for _ in range(args["repeat"]):
            start = time.perf_counter_ns()
            ip.invoke()
            times.append((time.perf_counter_ns() - start) / 1000.0)
        print("TIMES " + json.dumps(times))
elif mode == "arena":
    ip = interpreter(args["arena"])
    sys.stdout.flush()
    ip.print_allocations()
elif mode == "min_arena":
    # Bisection in this one process: a too-small arena makes TFLM raise, not abort.
    num_inputs = args["num_inputs"]

    def fits(arena_size):
        try:
            ip = interpreter(arena_size)
            for i in range(num_inputs):
                d = ip.get_input_details(i)
                ip.set_input(np.zeros(d["shape"], d["dtype"]), i)
            ip.invoke()
        except Exception:
            return False
        return True

    lo, hi = 0, args["arena"]
    if not fits(hi):
        print(f"TFLM cannot run the model even with a {hi}-byte arena", file=sys.stderr)
        sys.exit(2)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            hi = mid
        else:
            lo = mid
    print(f"MIN_ARENA {hi}")
"""


class TflmError(RuntimeError):
    """TFLM refused the model or failed (its own message is in the text)."""


@dataclass(frozen=True)
class TensorDetails:
    shape: tuple[int, ...]
    dtype: np.dtype


def _arena_for(model: bytes) -> int:
    return max(ORACLE_ARENA_MIN, 10 * len(model))


def _worker(
    model: bytes,
    mode: str,
    args: dict[str, object],
    input_sets: list[list[np.ndarray]] | None = None,
    collect: Callable[[Path], T] | None = None,
) -> tuple[str, T | None]:
    """Runs the worker in `mode`; returns what it printed (TFLM prints to stderr
    too) and what `collect` read from the work directory before it was removed."""
    with tempfile.TemporaryDirectory(prefix="tflm_") as work:
        Path(work, "model.tflite").write_bytes(model)
        if input_sets is not None:
            files: dict[str, object] = {
                "num_sets": len(input_sets),
                "num_inputs": len(input_sets[0]) if input_sets else 0,
            }
            for s, inputs in enumerate(input_sets):
                for i, x in enumerate(inputs):
                    files[f"s{s}_i{i}"] = np.asarray(x)
            np.savez(os.path.join(work, "inputs.npz"), **files)  # type: ignore[arg-type]
        proc = subprocess.run(
            [sys.executable, "-c", _WORKER, work, mode, json.dumps(args)],
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
        printed = proc.stdout + proc.stderr
        if proc.returncode != 0:
            how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit code {proc.returncode}"
            raise TflmError(f"TFLM failed ({how}): {printed.strip()[-4000:]}")
        return printed, collect(Path(work)) if collect is not None else None


def details(model: bytes) -> tuple[list[TensorDetails], list[TensorDetails]]:
    """Shapes and dtypes of the model's inputs and outputs, as TFLM sees them."""
    printed, _ = _worker(model, "details", {"arena": _arena_for(model)})
    found = re.search(r"^DETAILS (.*)$", printed, re.M)
    if found is None:
        raise TflmError(f"no tensor details from TFLM: {printed[-2000:]}")
    raw = json.loads(found.group(1))

    def convert(items: list[dict[str, object]]) -> list[TensorDetails]:
        return [TensorDetails(tuple(d["shape"]), np.dtype(str(d["dtype"]))) for d in items]  # type: ignore[arg-type]

    return convert(raw["inputs"]), convert(raw["outputs"])


def run_many(model: bytes, input_sets: list[list[np.ndarray]], num_outputs: int) -> list[list[np.ndarray]]:
    """TFLM's outputs for each input set (one subprocess for all; reset between sets)."""

    def read_outputs(work: Path) -> list[list[np.ndarray]]:
        with np.load(work / "outputs.npz") as saved:
            return [
                [np.array(saved[f"s{s}_o{o}"]) for o in range(num_outputs)] for s in range(len(input_sets))
            ]

    _, results = _worker(
        model, "run", {"arena": _arena_for(model), "num_outputs": num_outputs}, input_sets, read_outputs
    )
    assert results is not None
    return results


def invoke_times_us(model: bytes, inputs: list[np.ndarray], repeat: int) -> list[float]:
    """Wall-clock time of `repeat` invokes on the same inputs, after one warm-up."""
    printed, _ = _worker(model, "time", {"arena": _arena_for(model), "repeat": repeat}, [inputs])
    found = re.search(r"^TIMES (.*)$", printed, re.M)
    if found is None:
        raise TflmError(f"no timings from TFLM: {printed[-2000:]}")
    return [float(t) for t in json.loads(found.group(1))]


def arena_used(model: bytes) -> int:
    """Bytes of arena TFLM's allocator uses for the model (the recording
    allocator's "Arena allocation total": head + tail, what arena_used_bytes()
    reports)."""
    printed, _ = _worker(model, "arena", {"arena": _arena_for(model)})
    found = re.search(r"Arena allocation total (\d+) bytes", printed)
    if found is None:
        raise TflmError(f"no arena total in TFLM's allocation report: {printed[-2000:]}")
    return int(found.group(1))


def min_arena(model: bytes, num_inputs: int) -> int:
    """Smallest arena_size with which TFLM loads and runs the model: what a TFLM
    user must allocate (more than arena_used: TFLM also needs room for temporary
    allocations while it prepares the model)."""
    printed, _ = _worker(model, "min_arena", {"arena": _arena_for(model), "num_inputs": num_inputs})
    found = re.search(r"MIN_ARENA (\d+)", printed)
    if found is None:
        raise TflmError(f"arena bisection gave no result: {printed[-2000:]}")
    return int(found.group(1))
