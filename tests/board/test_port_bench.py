"""`tinyml bench MODEL --port PORT`: the benchmark on a connected board, here the
emulated M4 served on a pty (boards/qemu/run.py --serve pty) as a real board's
serial port would be."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from support.board import PROJECT_ROOT, runner
from tinyml_tools import board_bench, model_info
from tinyml_tools.port_bench import PortBenchError, run_on_port

MODELS_DIR = PROJECT_ROOT.parent / "shared" / "models"
MODEL = MODELS_DIR / "micro_speech_quantized.tflite"


def tinyml_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tinyml_tools.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=PROJECT_ROOT)


def test_bench_on_a_connected_board_reports_latency_arena_and_operators(
    m4: object, m4_firmware: Path, tmp_path: Path
) -> None:
    with runner.serve(m4, tmp_path, "pty", firmware=m4_firmware) as served:
        result = tinyml_cli("bench", MODEL, "--port", served.device, "--repeat", "3")
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    emulated = board_bench.run_bench("m4", MODEL, m4_firmware)
    # The same firmware through the serial port and through a scripted run: the
    # same arena, state, outputs (the perf-anchors input) and per-operator counts.
    assert figures["platform"] and figures["profile_unit"] == "instructions"
    assert (figures["arena_bytes"], figures["state_bytes"]) == (emulated.arena_bytes, emulated.state_bytes)
    assert figures["outputs"] == [list(out) for out in emulated.outputs]
    ops = model_info.operators(MODEL.read_bytes())
    assert [op["op"] for op in figures["operators"]] == [op.name for op in ops]
    # Each per-operator count includes part of two clock readings, whose cost can
    # differ by one instruction with the timer's phase (test_bench.py).
    for op, theirs in zip(figures["operators"], emulated.operators, strict=True):
        assert abs(op["value"] - theirs.instructions) <= 1
    assert figures["repeat"] == 3 and figures["macs"] == sum(op.macs for op in ops)
    assert 0 < figures["invoke_us_min"] <= figures["invoke_us_median"] <= figures["invoke_us_max"]


def test_a_board_without_tinyml_is_told_how_to_install_it(
    m4: object, m4_core_firmware: Path, tmp_path: Path
) -> None:
    with (
        runner.serve(m4, tmp_path, "pty", firmware=m4_core_firmware) as served,
        pytest.raises(PortBenchError, match="no tinyml module: install it with `tinyml deploy"),
    ):
        run_on_port(served.device, MODEL)


def test_port_and_emulated_target_options_exclude_each_other() -> None:
    result = tinyml_cli("bench", MODEL, "--port", "/dev/ttyNOPE", "--target", "m4")
    assert result.returncode != 0
    assert "leave out --target and --firmware" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_port_is_an_error_not_a_traceback() -> None:
    result = tinyml_cli("bench", MODEL, "--port", "/dev/ttyNOPE")
    assert result.returncode != 0
    assert "/dev/ttyNOPE" in result.stderr and "Traceback" not in result.stderr
