"""Models on the Cortex-M0 (micro:bit: 256 KB flash, 16 KB RAM), frozen in flash with only their operators.

The firmware for each model is built with -DTML_OPS_NONE_BY_DEFAULT and
-DTML_OP_<NAME>=1 for the operators the model uses (tinyml_tools.board_bench,
the same build `tinyml bench --target m0` uses), the model frozen in flash and
used in place. Outputs must be TFLM's bytes on the same inputs as on the M4.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from support.board import build_firmware, runner
from test_conformance import MODELS_DIR, case
from tinyml_tools import board_bench

# Inputs are read straight into the arena and outputs written from it: the
# heap has no room for copies (about 4 KB are left next to micro_speech).
RUN_SETS = """
import frozen_model, tinyml
model = tinyml.Model(frozen_model.MODEL)
for s in range({num_sets}):
    for i, tensor in enumerate(model.inputs):
        with open('/in_%d_%d.bin' % (s, i), 'rb') as f:
            f.readinto(tensor.data)
    model.invoke()
    for o, tensor in enumerate(model.outputs):
        with open('/out_%d_%d.bin' % (s, o), 'wb') as f:
            f.write(tensor.data)
print('done', {num_sets}, model.arena_used, model.state_size)
"""


@pytest.mark.parametrize("name", ["hello_world_int8", "micro_speech_quantized"])
def test_trimmed_firmware_with_a_frozen_model_matches_tflm(m0: object, name: str, tmp_path: Path) -> None:
    model_path = MODELS_DIR / f"{name}.tflite"
    firmware = build_firmware("microbit", *board_bench.trimmed_build_args("microbit", model_path))
    c = case(name)
    files = runner.SemihostingDir(tmp_path)
    for s, inputs in enumerate(c.input_sets):
        for i, x in enumerate(inputs):
            files.write(f"in_{s}_{i}.bin", x.tobytes())
    # Compiled on the host: compiling on the board would fragment its heap.
    files.write("run_sets.mpy", board_bench.compile_mpy(RUN_SETS.format(num_sets=len(c.input_sets))))
    result = runner.run_code(m0, "import run_sets\n", tmp_path, firmware=firmware)
    assert result.exit_code == 0, result.output
    done, num_sets, arena, state = result.output.split()
    assert (done, int(num_sets)) == ("done", len(c.input_sets))
    assert int(arena) + int(state) < board_bench.M0_RAM_BYTES
    for s, expected in enumerate(c.expected):
        for o, want in enumerate(expected):
            assert files.read(f"out_{s}_{o}.bin") == want.tobytes(), f"{name}, input set {s}, output {o}"


def test_trimmed_firmware_carries_only_the_models_operators(m0: object, tmp_path: Path) -> None:
    model_path = MODELS_DIR / "micro_speech_quantized.tflite"
    firmware = build_firmware("microbit", *board_bench.trimmed_build_args("microbit", model_path))
    result = runner.run_code(
        m0, "import tinyml\nprint(sorted(n for n, _ in tinyml.ops()))\n", tmp_path, firmware=firmware
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == repr(["DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "RESHAPE", "SOFTMAX"])
