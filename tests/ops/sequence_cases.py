"""Shared by the tests of operators with state kept across invokes (SVDF, LSTM).

Such operators keep their state in variable tensors: `with_variables` turns
graph inputs of a single_op_model into them. `assert_sequence_matches_tflm`
invokes the model `steps` times on the same inputs, without a reset, in our
engine and in TFLM, and requires identical output bytes after every step, so
that a state that is not kept, or kept wrong, shows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from support.engine import PROJECT_ROOT, RUNNER, EngineError, random_inputs
from support.modelgen import edit_model, graph_io, numpy_dtype

_TFLM_SEQUENCE = r"""
import sys
import numpy as np
from tflite_micro import runtime

work, steps = sys.argv[1], int(sys.argv[2])
ip = runtime.Interpreter.from_bytes(open(work + "/model.tflite", "rb").read(), arena_size=8 << 20)
inputs = np.load(work + "/inputs.npz")
for i in range(len(inputs.files)):
    ip.set_input(inputs[f"i{i}"], i)
outputs = {}
for s in range(steps):
    ip.invoke()
    outputs[f"s{s}"] = np.array(ip.get_output(0))
np.savez(work + "/outputs.npz", **outputs)
"""


def with_variables(model: bytes, op_inputs: list[int]) -> bytes:
    """The single-operator model with the operator's inputs at these positions
    (graph inputs without data) made variable tensors: no longer graph inputs,
    state that starts at zero and persists across invokes."""

    def edit(m: object) -> None:
        subgraph = m.subgraphs[0]  # type: ignore[attr-defined]
        indices = [int(subgraph.operators[0].inputs[i]) for i in op_inputs]
        for index in indices:
            subgraph.tensors[index].isVariable = True
        subgraph.inputs = [i for i in subgraph.inputs if i not in indices]

    return edit_model(model, edit)


def tflm_sequence(model: bytes, inputs: list[np.ndarray], steps: int) -> list[np.ndarray]:
    """TFLM's output 0 after each of `steps` invokes on the same inputs."""
    with tempfile.TemporaryDirectory(prefix="tflm_seq_") as work:
        Path(work, "model.tflite").write_bytes(model)
        np.savez(Path(work, "inputs.npz"), **{f"i{i}": x for i, x in enumerate(inputs)})
        proc = subprocess.run(
            [sys.executable, "-c", _TFLM_SEQUENCE, work, str(steps)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if proc.returncode != 0:
            raise AssertionError(f"TFLM failed: {(proc.stdout + proc.stderr)[-3000:]}")
        with np.load(Path(work, "outputs.npz")) as saved:
            return [np.array(saved[f"s{s}"]) for s in range(steps)]


def engine_after(model: bytes, inputs: list[np.ndarray], steps: int) -> np.ndarray:
    """Our output 0 after `steps` invokes on the same inputs (the host runner's --repeat)."""
    output = graph_io(model)[1][0]
    with tempfile.TemporaryDirectory(prefix="tml_seq_") as work_dir:
        work = Path(work_dir)
        (work / "model.tflite").write_bytes(model)
        paths = []
        for i, x in enumerate(inputs):
            paths.append(work / f"input{i}.bin")
            paths[-1].write_bytes(np.ascontiguousarray(x).tobytes())
        proc = subprocess.run(
            [str(RUNNER), str(work / "model.tflite"), *map(str, paths), "--out-dir", str(work)]
            + ["--repeat", str(steps)],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=PROJECT_ROOT,
            check=False,
        )
        if proc.returncode != 0:
            raise EngineError(proc.stderr.strip(), proc.returncode)
        json.loads(proc.stdout.strip().splitlines()[-1])  # the runner's result line
        data = (work / "output0.bin").read_bytes()
        return np.frombuffer(data, numpy_dtype(output.dtype)).reshape(output.shape)


def assert_sequence_matches_tflm(model: bytes, steps: int = 4, seed: int = 1) -> None:
    """Output bytes equal TFLM's after every one of `steps` invokes without reset."""
    inputs = random_inputs(model, seed)
    expected = tflm_sequence(model, inputs, steps)
    for step, theirs in enumerate(expected, start=1):
        ours = engine_after(model, inputs, step)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, f"step {step}"
        if ours.tobytes() != theirs.tobytes():
            bits = f"u{ours.itemsize}"
            diff = np.flatnonzero(ours.reshape(-1).view(bits) != theirs.reshape(-1).view(bits))
            raise AssertionError(
                f"step {step}: {diff.size} of {ours.size} elements differ; first at {diff[0]}: "
                f"ours {ours.reshape(-1)[diff[0]]!r}, TFLM {theirs.reshape(-1)[diff[0]]!r}"
            )
