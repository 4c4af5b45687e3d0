"""Our engine, run through the host runner build/host/tml_run (made by `make -C tests/c`).

Runner protocol: `tml_run MODEL IN0.bin [IN1.bin ...] --out-dir DIR` reads raw
little-endian input bytes, writes DIR/output0.bin ..., and prints one JSON
line: {"arena_bytes": ..., "state_bytes": ..., "outputs": [{"dtype": "int8",
"shape": [1, 10]}, ...]}. On error it exits 1 with the engine's message on stderr.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from support.modelgen import graph_io, numpy_dtype

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RUNNER = PROJECT_ROOT / "build" / "host" / "tml_run"
# The same runner built with AddressSanitizer and UBSan (also by `make -C tests/c`).
RUNNER_ASAN = PROJECT_ROOT / "build" / "host" / "tml_run_asan"
# The same runner built with the reference kernels only (TML_REFERENCE_KERNELS):
# no optimized kernel (ops/portable, ops/arm) takes over a node.
RUNNER_REFERENCE = PROJECT_ROOT / "build" / "host" / "tml_run_reference"
# Kernel flavour -> runner. Tests of the kernels with optimized variants run
# under each, so both are held to TFLM's bytes.
KERNEL_FLAVOURS: dict[str, Path] = {"optimized": RUNNER, "reference": RUNNER_REFERENCE}
_active_runner: list[Path] = [RUNNER]
# Exit codes the sanitizers use in run_model_bytes, so a memory error can never
# pass for the runner's own clean "exit 1" refusal.
SANITIZER_EXIT_CODE = 86
_TIMEOUT_SECONDS = 120
_LAUNCH_ATTEMPTS = 5


class EngineError(RuntimeError):
    """The engine refused the model or failed; str() is the engine's message."""

    def __init__(self, message: str, returncode: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.returncode = returncode


@dataclass
class EngineResult:
    """Outputs of one run plus the memory the engine asked for."""

    outputs: list[np.ndarray]
    arena_bytes: int
    state_bytes: int


def run_runner(
    model_path: Path,
    input_paths: list[Path],
    out_dir: Path,
    runner: Path = RUNNER,
    timeout: float = _TIMEOUT_SECONDS,
) -> subprocess.CompletedProcess[str]:
    """Runs the host runner as is (no interpretation of its result)."""
    if not runner.exists():
        raise FileNotFoundError(f"{runner} is missing: build it with `make -C tests/c`")
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = f"exitcode={SANITIZER_EXIT_CODE}:detect_leaks=0"
    env["UBSAN_OPTIONS"] = f"exitcode={SANITIZER_EXIT_CODE}:halt_on_error=1:print_stacktrace=1"
    for attempt in range(_LAUNCH_ATTEMPTS):
        try:
            return subprocess.run(
                [str(runner), str(model_path), *map(str, input_paths), "--out-dir", str(out_dir)],
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                cwd=PROJECT_ROOT,
                env=env,
            )
        except OSError:
            # A concurrent `make` may be relinking the runner (EACCES / ETXTBSY).
            if attempt == _LAUNCH_ATTEMPTS - 1:
                raise
            time.sleep(1.0)
    raise AssertionError("unreachable")


def run_model_bytes(
    model: bytes, inputs: list[bytes], runner: Path = RUNNER, timeout: float = _TIMEOUT_SECONDS
) -> subprocess.CompletedProcess[str]:
    """Runs raw model and input bytes through a runner; returns the finished process
    (returncode, stdout, stderr) without judging it. For tests of bad input."""
    with tempfile.TemporaryDirectory(prefix="tml_run_") as work_dir:
        work = Path(work_dir)
        model_path = work / "model.tflite"
        model_path.write_bytes(model)
        input_paths = []
        for i, blob in enumerate(inputs):
            path = work / f"input{i}.bin"
            path.write_bytes(blob)
            input_paths.append(path)
        out_dir = work / "out"
        out_dir.mkdir()
        return run_runner(model_path, input_paths, out_dir, runner, timeout)


@contextlib.contextmanager
def kernel_flavour(name: str) -> Iterator[Path]:
    """Inside the block, tinyml_run and tinyml_run_detailed use the runner of
    kernel flavour `name` (a key of KERNEL_FLAVOURS); yields that runner."""
    if name not in KERNEL_FLAVOURS:
        raise ValueError(f"unknown kernel flavour {name!r}; expected one of {sorted(KERNEL_FLAVOURS)}")
    _active_runner.append(KERNEL_FLAVOURS[name])
    try:
        yield _active_runner[-1]
    finally:
        _active_runner.pop()


def tinyml_run_detailed(model: bytes, inputs: list[np.ndarray]) -> EngineResult:
    """Runs the model once; EngineError with the engine's message if it fails.

    A crash (signal) is an EngineError too, with returncode < 0, so callers
    that must tell "clean error" from "crash" can look at returncode.
    """
    with tempfile.TemporaryDirectory(prefix="tml_run_") as work_dir:
        work = Path(work_dir)
        model_path = work / "model.tflite"
        model_path.write_bytes(model)
        input_paths = []
        for i, x in enumerate(inputs):
            path = work / f"input{i}.bin"
            arr = np.ascontiguousarray(x)
            path.write_bytes(arr.astype(arr.dtype.newbyteorder("<")).tobytes())
            input_paths.append(path)
        out_dir = work / "out"
        out_dir.mkdir()
        proc = run_runner(model_path, input_paths, out_dir, _active_runner[-1])
        if proc.returncode != 0:
            if proc.returncode < 0:
                raise EngineError(
                    f"tml_run crashed with signal {-proc.returncode}: {proc.stderr.strip()}", proc.returncode
                )
            raise EngineError(proc.stderr.strip(), proc.returncode)
        lines = [line for line in proc.stdout.splitlines() if line.strip().startswith("{")]
        if not lines:
            raise EngineError(f"tml_run printed no JSON result: {proc.stdout!r}", proc.returncode)
        report = json.loads(lines[-1])
        outputs = []
        for o, desc in enumerate(report["outputs"]):
            dtype = np.dtype(numpy_dtype(str(desc["dtype"]).lower())).newbyteorder("<")
            data = (out_dir / f"output{o}.bin").read_bytes()
            outputs.append(
                np.frombuffer(data, dtype=dtype).astype(dtype.newbyteorder("=")).reshape(desc["shape"])
            )
        return EngineResult(outputs, int(report["arena_bytes"]), int(report["state_bytes"]))


def tinyml_run(model: bytes, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """Our engine's outputs for one set of inputs; EngineError with its message on failure."""
    return tinyml_run_detailed(model, inputs).outputs


def random_inputs(model: bytes, seed: int) -> list[np.ndarray]:
    """Seeded random inputs with the model's input dtypes and shapes.

    Integer inputs cover their type's full range (int32: the int16 range, to
    keep sums from overflowing); float inputs are uniform in [-4, 4).
    """
    rng = np.random.default_rng(seed)
    inputs = []
    for info in graph_io(model)[0]:
        dtype = numpy_dtype(info.dtype)
        if info.dtype == "bool":
            x = rng.integers(0, 2, size=info.shape).astype(np.bool_)
        elif np.issubdtype(dtype, np.floating):
            x = rng.uniform(-4.0, 4.0, size=info.shape).astype(dtype)
        else:
            limits = np.iinfo(dtype)
            lo, hi = int(limits.min), int(limits.max)
            if limits.bits > 16:
                lo, hi = max(lo, -32768), min(hi, 32767)
            x = rng.integers(lo, hi, size=info.shape, endpoint=True).astype(dtype)
        inputs.append(x)
    return inputs
