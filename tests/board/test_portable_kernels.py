"""The portable kernels (micropython_module/engine/ops/portable/) on the emulated Cortex-M0.

The micro:bit firmware (ARMv6-M: no DSP extension) runs CONV_2D,
DEPTHWISE_CONV_2D and FULLY_CONNECTED int8 through ops/portable/*.c, whose
inner loops are Thumb-1 assembly there (the host runs their C form). The same
one-operator models as the DSP-extension test (test_dsp_kernels.py: paddings,
strides, dilations, 1x1 filters, odd channel counts, depth multipliers, zero
points at the int8 extremes, per-tensor / per-channel weights, a weights zero
point, batches, activations) must give exactly TFLM's bytes on the M0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from support.board import PROJECT_ROOT, build_firmware, runner
from test_dsp_kernels import CASES, SEEDS, expected
from tinyml_tools.runtime_info import probe

# tinyml built in with just these three operators (the micro:bit's flash holds
# no more next to MicroPython), no native .mpy loading, no frozen model.
OPERATORS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")


def m0_conv_firmware() -> Path:
    flags = ["-DBOARD_NATIVE_MPY=0", "-DTML_OPS_NONE_BY_DEFAULT", *(f"-DTML_OP_{op}=1" for op in OPERATORS)]
    return build_firmware(
        "microbit",
        f"BUILD={PROJECT_ROOT / 'build' / 'firmware' / 'microbit-conv-kernels'}",
        f"USER_C_MODULES={PROJECT_ROOT}",
        "FREEZE_DEVICE_LIB=0",
        "CFLAGS_EXTRA=" + " ".join(flags),
    )


# The heap is about 10 KB: one model per boot, its inputs read straight into
# the arena and its output written from it.
RUN_ONE = """
import tinyml
with open('/m.tflite', 'rb') as f:
    model = tinyml.Model(f.read())
for s in range({num_sets}):
    with open('/in_%d.bin' % s, 'rb') as f:
        f.readinto(model.inputs[0].data)
    model.invoke()
    with open('/out_%d.bin' % s, 'wb') as f:
        f.write(model.outputs[0].data)
print('done')
"""


def run_on_m0(
    m0: object, firmware: Path, model: bytes, input_sets: list[list[np.ndarray]], fs_dir: Path
) -> list[bytes]:
    """The model's output for each of its input sets (one input each), run on the M0."""
    files = runner.SemihostingDir(fs_dir)
    files.write("m.tflite", model)
    for s, inputs in enumerate(input_sets):
        assert len(inputs) == 1
        files.write(f"in_{s}.bin", inputs[0].tobytes())
    result = runner.run_code(
        m0, RUN_ONE.format(num_sets=len(input_sets)), fs_dir, timeout=120, firmware=firmware
    )
    assert result.exit_code == 0 and result.output.strip() == "done", result.output
    return [files.read(f"out_{s}.bin") for s in range(len(input_sets))]


# The micro:bit's ~10 KB heap holds the model (read from a file), its arena and
# its state, plus the interpreter's own needs: cases needing more than this
# (as the 64-bit host runtime sizes them; the M0 needs a little less) run on the
# M4 only (test_dsp_kernels.py): the model-sized cases (a KWS pointwise conv and
# depthwise, a ResNet-sized conv, micro_speech's depthwise, ad01's first FC).
M0_HEAP_BUDGET = 7 * 1024


def fits_the_m0(model: bytes) -> bool:
    runtime = probe(model).model
    assert runtime is not None and runtime.error is None
    return len(model) + runtime.arena_bytes + runtime.state_bytes <= M0_HEAP_BUDGET


def test_most_cases_fit_the_m0() -> None:
    too_big = [name for name, model in CASES if not fits_the_m0(model)]
    assert len(too_big) <= len(CASES) // 10, f"cases too big for the M0's heap: {too_big}"


def test_portable_kernels_on_the_m0_match_tflm(m0: object, tmp_path: Path) -> None:
    input_sets, tflm = expected()
    firmware = m0_conv_firmware()
    failures = []
    for m, ((name, model), sets, theirs) in enumerate(zip(CASES, input_sets, tflm, strict=True)):
        if not fits_the_m0(model):
            continue
        fs_dir = tmp_path / f"m{m}"
        fs_dir.mkdir()
        ours = run_on_m0(m0, firmware, model, sets, fs_dir)
        for s in range(len(sets)):
            want = theirs[s][0].tobytes()
            if ours[s] != want:
                got = np.frombuffer(ours[s], np.int8)
                differ = int(np.count_nonzero(got != np.frombuffer(want, np.int8)))
                failures.append(f"{name}, seed {SEEDS[s]}: {differ} bytes differ from TFLM on the M0")
    assert not failures, "\n".join(failures)
