"""Run a model through the real device code path: the x64 native module
(`import tinyml`) under the unix port of MicroPython.

    from tinyml_tools.run import run_model
    result = run_model(model_bytes, [[x0], [x1]])   # two input sets, one process
    result.outputs[1][0]                            # set 1, output 0 (numpy)

Inputs travel as raw files in a temporary directory; mpy_driver.py (a MicroPython
script shipped with this package) loads the model once, runs every set (calling
reset() between sets, as the TFLM oracle does) and reports sizes and timings.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NATMOD_MAKE_DIR = PROJECT_ROOT / "micropython_module" / "natmod"
DRIVER = Path(__file__).resolve().parent / "mpy_driver.py"
# Enough heap for the largest reference models (model file + arena + state).
HEAP_SIZE = "16M"
TIMEOUT_SECONDS = 600

# Engine dtype names (tml_dtype_name) as numpy dtypes (little endian, as on the device).
NUMPY_DTYPES: dict[str, np.dtype] = {
    name: np.dtype(name).newbyteorder("<")
    for name in (
        "int8",
        "uint8",
        "int16",
        "uint16",
        "int32",
        "uint32",
        "int64",
        "float16",
        "float32",
        "float64",
    )
}
NUMPY_DTYPES["bool"] = np.dtype(np.bool_)


class RunError(RuntimeError):
    """The model could not be run; str() is the runtime's message."""


@dataclass
class OpTime:
    op: str
    us: int


@dataclass
class SetResult:
    outputs: list[np.ndarray]
    invoke_us: int
    profile: list[OpTime] = field(default_factory=list)


@dataclass
class RunResult:
    arena_bytes: int
    state_bytes: int
    sets: list[SetResult]

    @property
    def outputs(self) -> list[list[np.ndarray]]:
        """outputs[s][o]: output o of input set s."""
        return [s.outputs for s in self.sets]

    def summary(self, set_index: int = 0) -> dict[str, object]:
        """The one-line JSON report of `tinyml run` for one input set."""
        chosen = self.sets[set_index]
        return {
            "arena_bytes": self.arena_bytes,
            "state_bytes": self.state_bytes,
            "invoke_us": chosen.invoke_us,
            "profile": [{"op": t.op, "us": t.us} for t in chosen.profile],
            "outputs": [{"dtype": str(y.dtype), "shape": list(y.shape)} for y in chosen.outputs],
        }


def micropython_binary() -> Path:
    """$TINYML_MICROPYTHON, else the `micropython` next to this Python (the venv), else PATH."""
    configured = os.environ.get("TINYML_MICROPYTHON")
    if configured:
        return Path(configured)
    beside = Path(sys.executable).parent / "micropython"
    if beside.exists():
        return beside
    found = shutil.which("micropython")
    if found is None:
        raise RunError("no `micropython` binary: install the unix port or set TINYML_MICROPYTHON")
    return Path(found)


@functools.cache
def _build_natmod() -> None:
    """`make` of the x64 native module, once per process (it is incremental)."""
    proc = subprocess.run(
        ["make", "-C", str(NATMOD_MAKE_DIR), "ARCH=x64"], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RunError(f"building the x64 native module failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")


def natmod_path(build: bool = True) -> Path:
    """build/natmod/x64/tinyml.mpy (or $TINYML_NATMOD); brought up to date first when `build`."""
    configured = os.environ.get("TINYML_NATMOD")
    if configured:
        return Path(configured)
    mpy = PROJECT_ROOT / "build" / "natmod" / "x64" / "tinyml.mpy"
    if build:
        _build_natmod()
    if not mpy.exists():
        raise RunError(f"native module missing: {mpy} (make -C micropython_module/natmod)")
    return mpy


def _input_spec(x: np.ndarray, file: str) -> dict[str, object]:
    dtype = np.dtype(x.dtype)
    name = "bool" if dtype == np.bool_ else dtype.name
    if name not in NUMPY_DTYPES:
        raise RunError(f"inputs of dtype {dtype} cannot be given to a model")
    return {"file": file, "dtype": name, "shape": list(x.shape)}


def run_model(
    model: bytes,
    input_sets: list[list[np.ndarray]],
    *,
    profile: bool = True,
    natmod: Path | None = None,
) -> RunResult:
    """Runs `model` once per input set, all in one MicroPython process.

    Inputs must match the model's input dtypes and shapes exactly; any refusal
    (corrupt model, unsupported operator, wrong input) raises RunError with the
    runtime's message. With profile=False the per-operator clock is off, so
    invoke_us is not inflated by it.
    """
    mpy = natmod if natmod is not None else natmod_path()
    with tempfile.TemporaryDirectory(prefix="tinyml_run_") as job_dir:
        job = Path(job_dir)
        (job / "model.tflite").write_bytes(model)
        sets = []
        for s, inputs in enumerate(input_sets):
            specs = []
            for i, x in enumerate(inputs):
                array = np.ascontiguousarray(np.asarray(x))
                spec = _input_spec(array, f"s{s}_i{i}.bin")
                (job / str(spec["file"])).write_bytes(array.astype(array.dtype.newbyteorder("<")).tobytes())
                specs.append(spec)
            sets.append(specs)
        (job / "job.json").write_text(
            json.dumps(
                {
                    "natmod_dir": str(mpy.resolve().parent),
                    "model": str(job / "model.tflite"),
                    "profile": profile,
                    "sets": sets,
                }
            )
        )
        if mpy.name != "tinyml.mpy":
            raise RunError(f"the native module must be named tinyml.mpy, not {mpy.name}")
        try:
            proc = subprocess.run(
                [str(micropython_binary()), "-X", f"heapsize={HEAP_SIZE}", str(DRIVER), job_dir],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_SECONDS,
                check=False,
            )
        except subprocess.TimeoutExpired as e:
            raise RunError(f"micropython did not finish within {TIMEOUT_SECONDS} s") from e
        report = _last_json_line(proc.stdout)
        if report is None or proc.returncode != 0:
            if report is not None and "error" in report:
                raise RunError(str(report["error"]))
            how = f"signal {-proc.returncode}" if proc.returncode < 0 else f"exit code {proc.returncode}"
            raise RunError(f"micropython failed ({how}): {(proc.stdout + proc.stderr).strip()[-2000:]}")
        outputs_meta = report["outputs"]
        results = []
        for s, run in enumerate(report["runs"]):
            outputs = []
            for o, meta in enumerate(outputs_meta):
                dtype = NUMPY_DTYPES.get(meta["dtype"])
                if dtype is None:
                    raise RunError(f"output {o} has dtype {meta['dtype']}, which numpy cannot hold")
                raw = (job / f"s{s}_o{o}.bin").read_bytes()
                outputs.append(
                    np.frombuffer(raw, dtype=dtype).astype(dtype.newbyteorder("=")).reshape(meta["shape"])
                )
            profile_times = [OpTime(str(op), int(us)) for op, us in run["profile"]]
            results.append(SetResult(outputs, int(run["invoke_us"]), profile_times))
        return RunResult(int(report["arena_bytes"]), int(report["state_bytes"]), results)


def _last_json_line(stdout: str) -> dict[str, object] | None:
    for line in reversed(stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                parsed = json.loads(line)
            except json.JSONDecodeError:
                return None
            return parsed if isinstance(parsed, dict) else None
    return None
