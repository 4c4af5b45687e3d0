"""`tinyml bench MODEL --port PORT`: latency, arena and per-operator time on a connected board.

Over `mpremote` (as `tinyml deploy` talks to a board): the model is copied to
the board, then a script runs there that fills the input with the
perf-anchors pattern (byte i = (7*i) mod 256, as `--target m4|m0` does), invokes
the model `repeat` times timing each invoke with `time.ticks_us`, and runs one
profiled invoke for the per-operator split. The firmware needs tinyml, built in
or installed as a native module (`tinyml deploy` installs it).

Figures are the board's own: microseconds of wall time on real hardware. On
the emulated boards `tinyml.profile_unit` is "instructions" and the per-operator
figures are instruction counts; wall time there is QEMU's virtual clock.
"""

from __future__ import annotations

import statistics
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tinyml_tools import model_info
from tinyml_tools.board_bench import BOARD_HELPERS, parse_report
from tinyml_tools.deploy import DeployError, Mpremote, probe_board

BOARD_MODEL_NAME = "tinyml_bench.tflite"

# MicroPython, run on the board after board_bench.BOARD_HELPERS (report, fill_anchor_input).
SCRIPT = """
import gc, time, tinyml

gc.collect()
report('profile_unit', tinyml.profile_unit)
source = open('{model}', 'rb').read()
model = tinyml.Model(source)
report('arena_bytes', model.arena_used)
report('state_bytes', model.state_size)
fill_anchor_input(model)
model.invoke()  # warm-up
times = []
for _ in range({repeat}):
    # Refilled every time: the planner may reuse the input's memory for later
    # activations once the input is consumed (TFLM's arena does the same).
    fill_anchor_input(model)
    start = time.ticks_us()
    model.invoke()
    times.append(time.ticks_diff(time.ticks_us(), start))
report('invoke_us', times)
report('outputs', [bytes(t.data) for t in model.outputs])
del model
gc.collect()
model = tinyml.Model(source, profile=True)
fill_anchor_input(model)
model.invoke()
report('profile', model.profile())
"""


class PortBenchError(Exception):
    """The board could not be reached or could not run the model."""


@dataclass
class OperatorTime:
    op: str
    value: int  # in `profile_unit`
    macs: int


@dataclass
class PortBench:
    model: str
    port: str
    platform: str
    profile_unit: str  # "us" on hardware, "instructions" on the emulated boards
    invoke_us_median: float
    invoke_us_min: int
    invoke_us_max: int
    repeat: int
    arena_bytes: int
    state_bytes: int
    model_bytes: int
    macs: int
    operators: list[OperatorTime] = field(default_factory=list)
    outputs: list[list[int]] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, object]:
        return asdict(self)


def run_on_port(port: str, model_path: Path, repeat: int = 10) -> PortBench:
    """Copy the model to the board at `port`, run it there and collect the figures."""
    if repeat < 1:
        raise PortBenchError(f"--repeat must be at least 1, got {repeat}")
    model = model_path.read_bytes()
    remote = Mpremote(port, echo=lambda _text: None)
    try:
        board = probe_board(remote)
        if board.tinyml is None:
            raise PortBenchError(
                f"the board on {port} has no tinyml module: install it with "
                f"`tinyml deploy {model_path.name} --port {port}`"
            )
        remote.run("cp", str(model_path), f":{BOARD_MODEL_NAME}")
        with tempfile.TemporaryDirectory(prefix="tinyml-port-bench-") as work:
            script = Path(work, "bench.py")
            source = BOARD_HELPERS + SCRIPT.format(model=BOARD_MODEL_NAME, repeat=repeat)
            script.write_text(source, encoding="utf-8")
            output = remote.run("run", str(script))
    except DeployError as e:
        raise PortBenchError(str(e)) from e
    values = parse_report(output)
    missing = [key for key in ("profile_unit", "invoke_us", "profile") if key not in values]
    if missing:
        raise PortBenchError(f"{model_path.name} did not run on the board:\n{output.strip()[-1500:]}")
    times = values["invoke_us"]
    profile = values["profile"]
    assert isinstance(times, list) and isinstance(profile, list)
    ops = model_info.operators(model)
    return PortBench(
        model=model_path.stem,
        port=port,
        platform=board.platform,
        profile_unit=str(values["profile_unit"]),
        invoke_us_median=float(statistics.median(times)),
        invoke_us_min=int(min(times)),
        invoke_us_max=int(max(times)),
        repeat=repeat,
        arena_bytes=int(values["arena_bytes"]),  # type: ignore[call-overload]
        state_bytes=int(values["state_bytes"]),  # type: ignore[call-overload]
        model_bytes=len(model),
        macs=sum(op.macs for op in ops),
        operators=[
            OperatorTime(name, int(value), info.macs)
            for (name, value), info in zip(profile, ops, strict=True)
        ],
        outputs=[list(out) for out in values["outputs"]],  # type: ignore[union-attr]
    )
