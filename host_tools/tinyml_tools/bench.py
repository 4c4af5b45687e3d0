"""Speed and memory of tinyml against TFLM, measured in the same run.

For each model: the median invoke time of the x64 native module under the
unix-port MicroPython (the device code path) and of TFLM (pip tflite-micro,
its reference kernels on x86) on the same seeded inputs, and the RAM each
needs: ours is arena + state block, TFLM's is its allocator's total
(arena_used_bytes). Figures to look at, not a test: timings vary with the
machine's load, so read the ratios.

Then, unless --no-boards, the exact instruction count of one invoke on the
emulated Cortex-M4 (and Cortex-M0 where the model fits) beside TFLM's
reference and CMSIS-NN counts from ../shared/docs/perf-anchors.md
(tinyml_tools.board_bench).

    python -m tinyml_tools.bench [MODEL.tflite ...] [--repeat N] [--json] [--no-boards]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from tinyml_tools import board_bench, tflm
from tinyml_tools.run import RunError, run_model

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SHARED_MODELS = PROJECT_ROOT.parent / "shared" / "models"
DEFAULT_MODELS = (
    "hello_world_int8",
    "hello_world_float",
    "micro_speech_quantized",
    "kws_ref_model",
    "pretrainedResnet_quant",
    "ad01_int8",
)


@dataclass
class ModelFigures:
    model: str
    tinyml_us: float
    tflm_us: float
    speedup: float
    tinyml_ram: int
    tinyml_arena: int
    tinyml_state: int
    tflm_arena_used: int
    ram_ratio: float


def seeded_inputs(details: list[tflm.TensorDetails], seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    inputs = []
    for d in details:
        if np.issubdtype(d.dtype, np.integer):
            info = np.iinfo(d.dtype)
            inputs.append(rng.integers(info.min, info.max, size=d.shape, endpoint=True).astype(d.dtype))
        else:
            inputs.append(rng.standard_normal(d.shape).astype(d.dtype))
    return inputs


def measure(path: Path, repeat: int) -> ModelFigures:
    model = path.read_bytes()
    input_details, _ = tflm.details(model)
    inputs = seeded_inputs(input_details, seed=0)
    # One warm-up set, then `repeat` timed sets of the same inputs.
    ours = run_model(model, [inputs] * (repeat + 1), profile=False)
    ours_us = statistics.median(s.invoke_us for s in ours.sets[1:])
    theirs_us = statistics.median(tflm.invoke_times_us(model, inputs, repeat))
    ram = ours.arena_bytes + ours.state_bytes
    theirs_ram = tflm.arena_used(model)
    return ModelFigures(
        model=path.stem,
        tinyml_us=float(ours_us),
        tflm_us=theirs_us,
        speedup=theirs_us / max(float(ours_us), 1.0),
        tinyml_ram=ram,
        tinyml_arena=ours.arena_bytes,
        tinyml_state=ours.state_bytes,
        tflm_arena_used=theirs_ram,
        ram_ratio=ram / theirs_ram,
    )


def print_table(rows: list[ModelFigures]) -> None:
    header = (
        f"{'model':<24} {'tinyml us':>10} {'TFLM us':>10} {'speedup':>8}   "
        f"{'tinyml RAM':>10} {'(arena+state)':>15} {'TFLM arena':>10} {'RAM ratio':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        split = f"{r.tinyml_arena}+{r.tinyml_state}"
        print(
            f"{r.model:<24} {r.tinyml_us:>10.0f} {r.tflm_us:>10.0f} {r.speedup:>7.2f}x   "
            f"{r.tinyml_ram:>10} {split:>15} {r.tflm_arena_used:>10} {r.ram_ratio:>9.2f}"
        )


@dataclass
class BoardRow:
    model: str
    target: str
    figures: board_bench.BoardBench | None
    note: str = ""  # why there are no figures (does not fit, ...)
    engine_flash: int | None = None  # tinyml's flash in a firmware with just this model's operators


def measure_on_boards(paths: list[Path]) -> list[BoardRow]:
    """Every model on the emulated M4, and on the M0 when it can fit there."""
    rows = []
    for path in paths:
        m4: board_bench.BoardBench | None = None
        for target in ("m4", "m0"):
            print(f"[board {target}] {path.name}", file=sys.stderr, flush=True)
            if (
                target == "m0"
                and m4 is not None
                and m4.arena_bytes + m4.state_bytes > board_bench.M0_RAM_BYTES
            ):
                note = (
                    f"arena+state {m4.arena_bytes + m4.state_bytes} B > {board_bench.M0_RAM_BYTES} B of RAM"
                )
                rows.append(BoardRow(path.stem, target, None, note))
                continue
            try:
                figures = board_bench.run_bench(target, path)
            except board_bench.DoesNotFit as e:
                rows.append(BoardRow(path.stem, target, None, f"does not fit: {e}"))
                continue
            except board_bench.BoardBenchError as e:
                rows.append(BoardRow(path.stem, target, None, f"failed: {str(e).splitlines()[-1]}"))
                continue
            engine_flash = None
            if target == "m4":
                m4 = figures
                engine_flash = board_bench.engine_flash_bytes(path, target)
            elif target == "m0":
                # The M0 firmware is the trimmed one already; its map says the same thing.
                engine_flash = board_bench.engine_flash_bytes(path, target)
            rows.append(BoardRow(path.stem, target, figures, engine_flash=engine_flash))
    return rows


def print_board_table(rows: list[BoardRow], anchors: dict[str, board_bench.TflmAnchor]) -> None:
    """Our instructions per invoke beside TFLM's (perf-anchors.md: same core, same input)."""
    header = (
        f"{'model':<24} {'core':<4} {'instructions':>12} {'instr/MAC':>9} {'TFLM ref':>11} {'ref/ours':>8} "
        f"{'CMSIS-NN':>10} {'CMSIS/ours':>10}   {'arena+state':>12} {'TFLM arena':>10} {'engine flash':>12}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        f = row.figures
        if f is None:
            print(f"{row.model:<24} {row.target:<4} {row.note}")
            continue
        per_mac = f"{f.instructions_per_mac:.2f}" if f.instructions_per_mac is not None else "-"
        ram = f"{f.arena_bytes}+{f.state_bytes}"
        flash = str(row.engine_flash) if row.engine_flash is not None else "-"
        anchor = anchors.get(row.model) if row.target == "m4" else None
        if anchor is None:
            print(
                f"{f.model:<24} {row.target:<4} {f.instructions:>12} {per_mac:>9} {'':>11} {'':>8} "
                f"{'':>10} {'':>10}   {ram:>12} {'':>10} {flash:>12}"
            )
            continue
        print(
            f"{f.model:<24} {row.target:<4} {f.instructions:>12} {per_mac:>9} "
            f"{anchor.reference_instructions:>11} {anchor.reference_instructions / f.instructions:>7.2f}x "
            f"{anchor.cmsis_nn_instructions:>10} {anchor.cmsis_nn_instructions / f.instructions:>9.2f}x   "
            f"{ram:>12} {anchor.arena_bytes:>10} {flash:>12}"
        )
    print("ref/ours, CMSIS/ours: TFLM's instructions over ours (above 1: we retire fewer).")
    print(
        "arena+state: our arena and the heap the module holds besides it (records, prepared parameters);\n"
        "engine flash: bytes of tinyml (module + engine) in a firmware with only the model's operators."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tinyml_tools.bench",
        description="Invoke time and RAM of tinyml (x64 native module under the unix port) "
        "against TFLM (pip tflite-micro), measured in the same run.",
    )
    parser.add_argument("models", nargs="*", type=Path, help="models to measure (default: the shared models)")
    parser.add_argument("--repeat", type=int, default=20, help="timed invokes per model (default 20)")
    parser.add_argument("--json", action="store_true", help="one JSON object per model instead of a table")
    parser.add_argument(
        "--no-boards",
        action="store_true",
        help="skip the emulated-board table (qemu-system-arm instruction counts)",
    )
    args = parser.parse_args(argv)
    paths = args.models or [SHARED_MODELS / f"{name}.tflite" for name in DEFAULT_MODELS]
    rows = []
    for i, path in enumerate(paths, 1):
        print(f"[{i}/{len(paths)}] {path.name}", file=sys.stderr, flush=True)
        try:
            rows.append(measure(path, args.repeat))
        except (OSError, RunError, tflm.TflmError) as e:
            print(f"tinyml bench: {path}: {e}", file=sys.stderr)
            return 1
    if args.json:
        for r in rows:
            print(json.dumps(asdict(r)))
    else:
        print_table(rows)
    if not args.no_boards and not (shutil.which("qemu-system-arm") and shutil.which("arm-none-eabi-gcc")):
        print("\nEmulated boards: skipped (needs qemu-system-arm and arm-none-eabi-gcc)")
    elif not args.no_boards:
        board_rows = measure_on_boards(paths)
        if args.json:
            for b in board_rows:
                print(json.dumps(b.figures.to_json_dict() if b.figures else asdict(b)))
        else:
            print()
            print(
                "Emulated boards (qemu-system-arm -icount): retired instructions of one invoke, "
                "perf-anchors input"
            )
            print_board_table(board_rows, board_bench.read_perf_anchors())
    return 0


if __name__ == "__main__":
    sys.exit(main())
