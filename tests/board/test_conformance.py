"""The shared models on the emulated Cortex-M4 give TFLM's bytes, whichever way tinyml got there.

Each model runs on a few seeded inputs plus the perf-anchors input (byte i of
each input is (7 * i) mod 256) in one script per model: inputs and the model go
into the semihosting directory from the host, outputs come back as files and
must be byte-identical to TFLM's (pip tflite-micro, on the host). Three
deliveries (conftest.DELIVERIES): tinyml built into the firmware, and the
armv7emsp and armv6m native modules loaded by a firmware without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from support.board import PROJECT_ROOT, Delivery, runner
from tinyml_tools import tflm
from tinyml_tools.bench import seeded_inputs

MODELS_DIR = PROJECT_ROOT.parent / "shared" / "models"
MODELS = [
    "hello_world_int8",
    "hello_world_float",
    "micro_speech_quantized",
    "kws_ref_model",
    "pretrainedResnet_quant",
    "ad01_int8",
]
SEEDS = (0, 1, 2)

# MicroPython: every input set in turn, outputs written as raw bytes.
RUN_SETS = """
import tinyml
model = tinyml.Model('/model.tflite')
for s in range({num_sets}):
    for i, tensor in enumerate(model.inputs):
        tensor.data = open('/in_%d_%d.bin' % (s, i), 'rb').read()
    model.invoke()
    for o, tensor in enumerate(model.outputs):
        with open('/out_%d_%d.bin' % (s, o), 'wb') as f:
            f.write(tensor.data)
print('done', {num_sets})
"""


def anchor_inputs(details: list[tflm.TensorDetails]) -> list[np.ndarray]:
    """perf-anchors.md's fixed input: byte i of each input tensor is (7 * i) mod 256."""
    inputs = []
    for d in details:
        nbytes = int(np.prod(d.shape)) * d.dtype.itemsize
        pattern = ((7 * np.arange(nbytes)) % 256).astype(np.uint8)
        inputs.append(pattern.view(d.dtype).reshape(d.shape))
    return inputs


@dataclass(frozen=True)
class Case:
    model: bytes
    input_sets: list[list[np.ndarray]]
    expected: list[list[np.ndarray]]  # TFLM's outputs, per input set


@cache
def case(name: str) -> Case:
    """The model's input sets and TFLM's answers, computed once per session."""
    path = MODELS_DIR / f"{name}.tflite"
    if not path.exists():
        pytest.fail(f"{path} is missing (../shared/models is always present)")
    model = path.read_bytes()
    input_details, output_details = tflm.details(model)
    input_sets = [seeded_inputs(input_details, seed) for seed in SEEDS] + [anchor_inputs(input_details)]
    return Case(model, input_sets, tflm.run_many(model, input_sets, len(output_details)))


def run_on_board(delivery: Delivery, m4: object, c: Case, fs_dir: Path) -> list[list[bytes]]:
    files = runner.SemihostingDir(fs_dir)
    delivery.install(fs_dir)
    files.write("model.tflite", c.model)
    for s, inputs in enumerate(c.input_sets):
        for i, x in enumerate(inputs):
            files.write(f"in_{s}_{i}.bin", x.tobytes())
    code = RUN_SETS.format(num_sets=len(c.input_sets))
    result = runner.run_code(m4, code, fs_dir, timeout=120, firmware=delivery.firmware)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"done {len(c.input_sets)}"
    return [
        [files.read(f"out_{s}_{o}.bin") for o in range(len(c.expected[s]))] for s in range(len(c.input_sets))
    ]


@pytest.mark.parametrize("name", MODELS)
def test_outputs_are_byte_identical_to_tflm(
    delivery: Delivery, m4: object, name: str, tmp_path: Path
) -> None:
    c = case(name)
    outputs = run_on_board(delivery, m4, c, tmp_path)
    for s, (ours, theirs) in enumerate(zip(outputs, c.expected, strict=True)):
        kind = "perf-anchors input" if s == len(SEEDS) else f"seed {SEEDS[s]}"
        for o, (got, want) in enumerate(zip(ours, theirs, strict=True)):
            assert got == want.tobytes(), (
                f"{name}, {kind}, output {o}: {list(got[:16])} vs TFLM {want.reshape(-1)[:16]}"
            )


def test_anchor_outputs_are_the_documented_ones() -> None:
    # perf-anchors.md prints kws's outputs for the fixed input: the oracle agrees with the doc.
    doc = (PROJECT_ROOT.parent / "shared" / "docs" / "perf-anchors.md").read_text(encoding="utf-8")
    kws_line = next(line for line in doc.splitlines() if line.startswith("- kws:"))
    documented = [int(v) for v in kws_line.split("`")[1].split()]
    assert case("kws_ref_model").expected[-1][0].reshape(-1).tolist() == documented
