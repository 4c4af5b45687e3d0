"""Estimated latency of a model on real boards, from instructions measured on emulated cores.

`latency_table.json` (beside this module) holds, per emulated core and operator
type, the instructions our engine retires per unit of work: per
multiply-accumulate for CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED and
TRANSPOSE_CONV (model_info.py's MACs), per output element for every other
operator. They were measured with `tinyml bench --target m4|m0` (exact
retired-instruction counts under QEMU -icount, boards/qemu) on the models the
table names, and are regenerated with

    python -m tinyml_tools.latency measure --target m4 MODEL.tflite [...]

An estimate is instructions / clock: it assumes one instruction per cycle. Real
cores stall on flash wait states, loads and multi-cycle multiplies, so read it
as a lower bound of the order of magnitude, not a measurement. The ESP32-S3
figure is extrapolated: there is no Xtensa toolchain here, so it uses the
Cortex-M4's counts at the ESP32-S3's clock.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinyml_tools import model_info
from tinyml_tools.tflite_file import read_tflite

TABLE_PATH = Path(__file__).resolve().parent / "latency_table.json"
MAC_OPERATORS = ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "TRANSPOSE_CONV")
SOURCE = (
    "Instructions retired by one invoke, per operator, measured with `tinyml bench --target m4|m0` "
    "(boards/qemu firmware under qemu-system-arm -icount shift=7: exact counts, not cycles) and "
    "summed per operator type over the listed models (../shared/models; digits_int8 is the CNN of "
    "tests/tools/digits_model.py, conv_dw_20x5x32 is built by scripts/latency_models.py, both "
    "converted by tinyml-convert). per_unit = instructions / units; units "
    "are MACs (model_info.py) for CONV_2D, DEPTHWISE_CONV_2D, FULLY_CONNECTED, TRANSPOSE_CONV and "
    "output elements for every other operator. Regenerate: python -m tinyml_tools.latency measure."
)
CORES = {
    "m4": "Cortex-M4F (QEMU mps2-an386; firmware -O2, tinyml built in with its DSP kernels)",
    "m0": "Cortex-M0 (QEMU microbit; firmware -Os with the model's operators only)",
}


@dataclass(frozen=True)
class TargetBoard:
    name: str
    chip: str
    clock_hz: int
    measured_on: str  # the emulated core whose counts are used: "m4" or "m0"
    basis: str  # how the figure relates to what was measured


BOARDS = [
    TargetBoard("stm32f4", "STM32F407, Cortex-M4F", 168_000_000, "m4", "measured core (M4F), at 168 MHz"),
    TargetBoard("nrf52840", "nRF52840, Cortex-M4F", 64_000_000, "m4", "measured core (M4F), at 64 MHz"),
    TargetBoard(
        "rp2040", "RP2040, Cortex-M0+", 133_000_000, "m0", "M0 counts (same ARMv6-M code), at 133 MHz"
    ),
    TargetBoard(
        "esp32s3",
        "ESP32-S3, Xtensa LX7",
        240_000_000,
        "m4",
        "extrapolated: no Xtensa toolchain here; Cortex-M4 counts at 240 MHz",
    ),
]


@dataclass(frozen=True)
class Rate:
    instructions: int
    units: int  # MACs, or output elements
    unit: str  # "MAC" or "element"

    @property
    def per_unit(self) -> float:
        return self.instructions / self.units


def load_table(path: Path = TABLE_PATH) -> dict[str, object]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def rates(table: dict[str, object], target: str) -> dict[str, Rate]:
    entry = table["targets"][target]  # type: ignore[index]
    return {
        op: Rate(int(r["instructions"]), int(r["units"]), str(r["unit"]))
        for op, r in entry["operators"].items()
    }


def operator_units(model: bytes) -> list[tuple[str, int, str]]:
    """(operator, units of work, unit) per node: MACs for MAC operators, else output elements."""
    parsed = read_tflite(model)
    result = []
    for op, info in zip(parsed.operators, model_info.operators(model), strict=True):
        if op.name in MAC_OPERATORS:
            result.append((op.name, info.macs, "MAC"))
        else:
            shape = parsed.tensors[op.outputs[0]].shape if op.outputs else ()
            result.append((op.name, int(np.prod(shape, dtype=np.int64)) if shape else 1, "element"))
    return result


@dataclass(frozen=True)
class OperatorEstimate:
    node: int
    op: str
    units: int
    unit: str
    instructions: float | None  # None: this operator was never measured on the core


@dataclass(frozen=True)
class BoardEstimate:
    board: TargetBoard
    operators: list[OperatorEstimate]

    @property
    def instructions(self) -> float:
        return sum(o.instructions or 0.0 for o in self.operators)

    @property
    def seconds(self) -> float:
        return self.instructions / self.board.clock_hz

    @property
    def unmeasured(self) -> list[str]:
        return sorted({o.op for o in self.operators if o.instructions is None})


def estimate(model: bytes, table: dict[str, object] | None = None) -> list[BoardEstimate]:
    table = table or load_table()
    units = operator_units(model)
    estimates = []
    for board in BOARDS:
        per_op = rates(table, board.measured_on)
        operators = []
        for node, (op, amount, unit) in enumerate(units):
            rate = per_op.get(op)
            count = rate.per_unit * amount if rate is not None and rate.unit == unit else None
            operators.append(OperatorEstimate(node, op, amount, unit, count))
        estimates.append(BoardEstimate(board, operators))
    return estimates


def text_lines(estimates: list[BoardEstimate]) -> list[str]:
    """The terminal table: one line per board."""
    lines = [
        "estimated latency (instructions measured on emulated Cortex-M cores x board clock, "
        "1 instruction per cycle: an estimate, not a measurement)",
        f"  {'board':<10} {'chip':<24} {'clock':>8} {'estimate':>10}  basis",
    ]
    for e in estimates:
        missing = f"; not measured: {', '.join(e.unmeasured)}" if e.unmeasured else ""
        lines.append(
            f"  {e.board.name:<10} {e.board.chip:<24} {e.board.clock_hz / 1e6:>5.0f} MHz "
            f"{e.seconds * 1e3:>8.3f} ms  {e.board.basis}{missing}"
        )
    return lines


# ---- measuring the table -------------------------------------------------------------------


def measure(target: str, models: list[Path]) -> dict[str, object]:
    """Run every model on the emulated core; instructions and units summed per operator type."""
    from tinyml_tools.board_bench import run_bench

    totals: dict[str, list[int | str]] = {}
    measured = []
    for path in models:
        figures = run_bench(target, path)
        measured.append(path.name)
        units = operator_units(path.read_bytes())
        for op_figures, (op, amount, unit) in zip(figures.operators, units, strict=True):
            entry = totals.setdefault(op, [0, 0, unit])
            entry[0] = int(entry[0]) + op_figures.instructions
            entry[1] = int(entry[1]) + amount
    return {
        "models": measured,
        "operators": {
            op: {"instructions": i, "units": u, "unit": unit, "per_unit": round(int(i) / int(u), 3)}
            for op, (i, u, unit) in sorted(totals.items())
            if int(u) > 0
        },
    }


def _commit() -> str:
    proc = subprocess.run(
        ["git", "-C", str(Path(__file__).parent), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tinyml_tools.latency",
        description="Estimate a model's latency per board, or re-measure the table for one emulated core.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    show = sub.add_parser("estimate", help="print the estimate for a model")
    show.add_argument("model", type=Path)
    remeasure = sub.add_parser("measure", help="measure instructions per unit on an emulated core")
    remeasure.add_argument("--target", choices=["m4", "m0"], required=True)
    remeasure.add_argument("models", type=Path, nargs="+")
    remeasure.add_argument("--table", type=Path, default=TABLE_PATH, help="the table to update")
    args = parser.parse_args(argv)
    if args.command == "estimate":
        print("\n".join(text_lines(estimate(args.model.read_bytes()))))
        return 0
    table = load_table(args.table) if args.table.exists() else {"targets": {}}
    table["source"] = SOURCE
    entry = {"core": CORES[args.target], **measure(args.target, args.models)}
    entry["measured"] = f"{datetime.date.today().isoformat()}, commit {_commit()}"
    table["targets"][args.target] = entry  # type: ignore[index]
    args.table.write_text(json.dumps(table, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
