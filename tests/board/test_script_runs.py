"""Scripted runs: boot, run a script from the semihosting directory, exit with its status."""

from __future__ import annotations

import time
from pathlib import Path

from support.board import runner


def test_boots_runs_a_script_and_exits_zero(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    result = runner.run_code(m4, "import sys\nprint('hello from', sys.platform, 6 * 7)\n", tmp_path)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert result.output == "hello from qemu 42\n"
    assert elapsed < 5


def test_sys_exit_code_becomes_the_qemu_exit_code(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    result = runner.run_code(m4, "import sys\nprint('before')\nsys.exit(7)\nprint('after')\n", tmp_path)
    assert result.exit_code == 7
    assert result.output == "before\n"


def test_uncaught_exception_exits_one(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    result = runner.run_code(m4, "def f():\n    raise ValueError('boom')\nf()\n", tmp_path)
    assert result.exit_code == 1
    assert "Traceback (most recent call last):" in result.output
    assert "ValueError: boom" in result.output


def test_board_exit_ends_the_run_with_a_code(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    result = runner.run_code(m4, "import board\nboard.exit(3)\nprint('not reached')\n", tmp_path)
    assert result.exit_code == 3
    assert result.output == ""


def test_script_reads_stdin_from_the_uart(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    script = tmp_path / "echo.py"
    script.write_text("line = input()\nprint('got', line.upper())\n")
    result = runner.run_script(m4, script, tmp_path, stdin=b"tinyml\r")
    assert result.exit_code == 0, result.output
    assert result.output.endswith("got TINYML\n")


def test_board_identity_and_machine_basics(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    code = """
import board, machine
print(board.name, board.cpu_hz)
print(machine.freq())
machine.freq(100_000_000)
print(machine.freq())
print(machine.unique_id())
"""
    result = runner.run_code(m4, code, tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["mps2-an386 25000000", "25000000", "100000000", "b'qemu-an386'"]
