"""Exact instruction counts of one invoke on an emulated Cortex-M (boards/qemu).

The firmware runs under QEMU with -icount, so the engine's own clock in the
firmware (tinyml.profile_unit == "instructions") counts retired instructions
exactly: a model on a fixed input retires the same number every run, and the
figure compares directly with TFLM's on the same emulated core
(../shared/docs/perf-anchors.md). The input is the perf-anchors one: byte i of
each input tensor is (7 * i) mod 256.

Targets:
  m4  mps2-an386 (Cortex-M4F): the standard firmware, tinyml built in; the
      model is read from the semihosting directory.
  m0  microbit (Cortex-M0, 256 KB flash, 16 KB RAM): a firmware per model with
      only the operators the model uses, and the model frozen in flash.

    tinyml bench MODEL.tflite --target m4
"""

from __future__ import annotations

import ast
import contextlib
import importlib.util
import re
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import ModuleType

from tinyml_tools import model_info

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BOARDS_QEMU = PROJECT_ROOT / "boards" / "qemu"
PERF_ANCHORS = PROJECT_ROOT.parent / "shared" / "docs" / "perf-anchors.md"
MPY_CROSS = PROJECT_ROOT / "build" / "firmware" / "mpy-cross" / "mpy-cross"
TARGET_BOARDS = {"m4": "mps2-an386", "m0": "microbit"}
# micro:bit v1 (boards/qemu/microbit/linker.ld).
M0_FLASH_BYTES = 256 * 1024
M0_RAM_BYTES = 16 * 1024
RUN_TIMEOUT_SECONDS = 600.0
BUILD_TIMEOUT_SECONDS = 900.0


class BoardBenchError(RuntimeError):
    """The firmware did not build, or the model did not run on the board (message says why)."""


class DoesNotFit(BoardBenchError):
    """The model (or the firmware carrying it) is too big for the target."""


def load_runner() -> ModuleType:
    """boards/qemu/run.py, which is a script beside the firmware sources, not a package."""
    name = "qemu_board_run"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BOARDS_QEMU / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ---- firmware ------------------------------------------------------------------------


def trimmed_build_args(board: str, model_path: Path) -> list[str]:
    """make arguments for a firmware carrying just the operators of one model, frozen in flash."""
    ops = model_info.builtin_operator_names(model_path.read_bytes())
    # Neither native .mpy loading nor device_lib/: the flash is for the engine and the model.
    flags = ["-DBOARD_NATIVE_MPY=0", "-DTML_OPS_NONE_BY_DEFAULT", *(f"-DTML_OP_{op}=1" for op in ops)]
    # One build directory per model: the operator set is part of every object's flags.
    build = PROJECT_ROOT / "build" / "firmware" / f"{board}-{model_path.stem}"
    return [
        f"BUILD={build}",
        f"USER_C_MODULES={PROJECT_ROOT}",
        f"MODEL={model_path.resolve()}",
        "FREEZE_DEVICE_LIB=0",
        "CFLAGS_EXTRA=" + " ".join(flags),
    ]


def build_firmware(board: str, make_args: list[str] | None = None) -> Path:
    """Build (incrementally) a board's firmware; returns the ELF. DoesNotFit if the link overflows."""
    make_args = make_args or []
    command = ["make", "-C", str(BOARDS_QEMU), f"BOARD={board}", "-j2", *make_args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS)
    if result.returncode != 0:
        log = result.stdout[-2000:] + result.stderr[-2000:]
        overflow = re.search(r"region `?(\w+)'? overflowed by (\d+) bytes", log)
        if overflow:
            raise DoesNotFit(f"firmware overflows {overflow.group(1)} by {overflow.group(2)} bytes")
        raise BoardBenchError(f"firmware build failed ({' '.join(command)}):\n{log}")
    builds = [arg.split("=", 1)[1] for arg in make_args if arg.startswith("BUILD=")]
    build = Path(builds[0]) if builds else PROJECT_ROOT / "build" / "firmware" / board
    return build / "firmware.elf"


def engine_flash_bytes(model_path: Path, target: str = "m4") -> int:
    """Flash the tinyml module and engine take in a firmware carrying just this
    model's operators: code and constants that survived --gc-sections, read from
    the linker map (boards/qemu/tools/size_report.py), the model itself excluded."""
    board = TARGET_BOARDS[target]
    elf = build_firmware(board, trimmed_build_args(board, model_path))
    script = BOARDS_QEMU / "tools" / "size_report.py"
    spec = importlib.util.spec_from_file_location("qemu_size_report", script)
    assert spec is not None and spec.loader is not None
    size_report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(size_report)
    sizes = size_report.linked_sizes(elf.parent / "firmware.map")
    engine = [size for (obj, kind), size in sizes.items() if kind == "text" and "/micropython_module/" in obj]
    return sum(engine)


def firmware_for(target: str, model_path: Path) -> Path:
    board = TARGET_BOARDS[target]
    if target == "m4":
        return build_firmware(board)
    return build_firmware(board, trimmed_build_args(board, model_path))


# ---- the run on the board ----------------------------------------------------------------

# MicroPython shared by the benchmark scripts (this one and port_bench.py):
# `report` prints a "key<TAB>repr(value)" line (parse_report reads them) and
# `fill_anchor_input` writes the perf-anchors input (byte i = (7*i) mod 256).
BOARD_HELPERS = """
def report(key, value):
    print(key + '\\t' + repr(value))

def fill_anchor_input(model):
    # int8/uint8 inputs are written in place: the micro:bit's heap has no room
    # for a second copy next to the arena. Other dtypes get their bytes copied in.
    for tensor in model.inputs:
        data = tensor.data
        if tensor.dtype == 'int8':
            for i in range(len(data)):
                byte = 7 * i & 255
                data[i] = byte - 256 if byte > 127 else byte
        elif tensor.dtype == 'uint8':
            for i in range(len(data)):
                data[i] = 7 * i & 255
        else:
            tensor.data = bytes(7 * i & 255 for i in range(tensor.nbytes))
"""

# The model comes from `frozen_model` when the firmware carries one, else from /model.tflite.
BENCH_SCRIPT = BOARD_HELPERS + """
import gc, tinyml
try:
    import frozen_model
    source = frozen_model.MODEL
except ImportError:
    source = open('/model.tflite', 'rb').read()

report('profile_unit', tinyml.profile_unit)
gc.collect()
model = tinyml.Model(source)
report('arena_bytes', model.arena_used)
report('state_bytes', model.state_size)
counts = []
for _ in range(2):
    fill_anchor_input(model)
    model.invoke()
    counts.append(model.last_invoke)
report('invoke_counts', counts)
report('outputs', [bytes(t.data) for t in model.outputs])
del model
gc.collect()
model = tinyml.Model(source, profile=True)
fill_anchor_input(model)
model.invoke()
report('profile', model.profile())
"""


def compile_mpy(source: str) -> bytes:
    """MicroPython source compiled to .mpy by the firmware build's mpy-cross (built with the firmware)."""
    if not MPY_CROSS.exists():
        build_firmware("mps2-an386", [str(MPY_CROSS)])
    with tempfile.TemporaryDirectory(prefix="tinyml-mpy-") as work:
        script = Path(work, "script.py")
        script.write_text(source, encoding="utf-8")
        subprocess.run([str(MPY_CROSS), "-o", str(script.with_suffix(".mpy")), str(script)], check=True)
        return script.with_suffix(".mpy").read_bytes()


@dataclass
class OperatorFigures:
    op: str
    instructions: int
    macs: int


@dataclass
class BoardBench:
    model: str
    target: str
    instructions: int  # retired by one invoke, the same every run (exact on the M4, +-1 on the M0)
    instructions_per_mac: float | None
    macs: int
    arena_bytes: int
    state_bytes: int
    model_bytes: int
    operators: list[OperatorFigures] = field(default_factory=list)
    outputs: list[bytes] = field(default_factory=list)  # raw bytes of each output tensor

    def to_json_dict(self) -> dict[str, object]:
        figures = asdict(self)
        figures["outputs"] = [list(out) for out in self.outputs]
        return figures


def parse_report(output: str) -> dict[str, object]:
    values: dict[str, object] = {}
    for line in output.splitlines():
        key, tab, value = line.partition("\t")
        if tab:
            values[key] = ast.literal_eval(value)
    return values


def run_bench(target: str, model_path: Path, firmware: Path | None = None) -> BoardBench:
    """Run the model on the target's emulated board; instructions of one invoke and per operator."""
    if target not in TARGET_BOARDS:
        raise ValueError(f"target must be one of {sorted(TARGET_BOARDS)}, not {target!r}")
    model = model_path.read_bytes()
    if target == "m0" and len(model) > M0_FLASH_BYTES:
        raise DoesNotFit(f"the model alone ({len(model)} bytes) is larger than the M0's flash")
    runner = load_runner()
    board = runner.BOARDS[TARGET_BOARDS[target]]
    firmware = firmware or firmware_for(target, model_path)
    with contextlib.ExitStack() as stack:
        fs_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tinyml-bench-")))
        files = runner.SemihostingDir(fs_dir)
        if target == "m4":
            files.write("model.tflite", model)
        # Compiled on the host: compiling on the micro:bit would fragment its
        # 10 KB heap before the arena is allocated.
        files.write("bench_main.mpy", compile_mpy(BENCH_SCRIPT))
        result = runner.run_code(
            board, "import bench_main\n", fs_dir, timeout=RUN_TIMEOUT_SECONDS, firmware=firmware
        )
    if result.exit_code != 0:
        if "MemoryError" in result.output:
            raise DoesNotFit(f"{model_path.name} does not fit the RAM of {target}: {result.output.strip()}")
        raise BoardBenchError(f"{model_path.name} on {target} failed:\n{result.output}")
    values = parse_report(result.output)
    if values.get("profile_unit") != "instructions":
        raise BoardBenchError(
            f"the firmware's profile unit is {values.get('profile_unit')!r}, not instructions"
        )
    counts = values["invoke_counts"]
    assert isinstance(counts, list)
    # Exact on the M4; on the M0 a reading can be 1 off at some timer phases
    # (boards/qemu/README.md), the same in every run.
    tolerance = 0 if target == "m4" else 1
    if abs(counts[0] - counts[1]) > tolerance:
        raise BoardBenchError(
            f"two invokes on the same input retired {counts[0]} and {counts[1]} instructions"
        )
    ops = model_info.operators(model)
    profile = values["profile"]
    assert isinstance(profile, list)
    operators = [
        OperatorFigures(name, count, info.macs) for (name, count), info in zip(profile, ops, strict=True)
    ]
    macs = sum(op.macs for op in ops)
    return BoardBench(
        model=model_path.stem,
        target=target,
        instructions=int(min(counts)),
        instructions_per_mac=round(min(counts) / macs, 3) if macs else None,
        macs=macs,
        arena_bytes=int(values["arena_bytes"]),  # type: ignore[call-overload]
        state_bytes=int(values["state_bytes"]),  # type: ignore[call-overload]
        model_bytes=len(model),
        operators=operators,
        outputs=list(values["outputs"]),  # type: ignore[call-overload]
    )


# ---- TFLM's figures ----------------------------------------------------------------------


@dataclass(frozen=True)
class TflmAnchor:
    macs: int
    reference_instructions: int
    cmsis_nn_instructions: int
    arena_bytes: int  # TFLM's arena on a 32-bit target


def _number(cell: str) -> int:
    return int(cell.replace(",", "").strip())


def read_perf_anchors(path: Path = PERF_ANCHORS) -> dict[str, TflmAnchor]:
    """TFLM's instruction counts and arenas per model, from the table in perf-anchors.md."""
    anchors: dict[str, TflmAnchor] = {}
    columns: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.startswith("|"):
            columns = []
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not columns:
            columns = [cell.lower() for cell in cells]
            continue
        if set(cells[0]) <= set("-: "):
            continue
        row = dict(zip(columns, cells, strict=False))
        with contextlib.suppress(KeyError, ValueError):
            anchors[cells[0].split()[0]] = TflmAnchor(
                macs=_number(row["macs"]),
                reference_instructions=_number(row["tflm reference"]),
                cmsis_nn_instructions=_number(row["tflm + cmsis-nn"]),
                arena_bytes=_number(next(v for k, v in row.items() if k.startswith("tflm arena"))),
            )
    return anchors
