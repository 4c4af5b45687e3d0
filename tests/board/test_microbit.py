"""The Cortex-M0 image on QEMU's micro:bit: boots in 16 KB of RAM, runs scripts, files, time, counter."""

from __future__ import annotations

from pathlib import Path

from support.board import mpremote, runner


def test_small_script_runs_on_the_m0(m0: object, m0_firmware: Path, tmp_path: Path) -> None:
    code = """
import board, gc, os, time
print(board.name, board.cpu_hz)
squares = [i * i for i in range(20)]
print(sum(squares), 7 / 2, 2 ** 40)
with open('m0.txt', 'w') as f:
    f.write('written on the M0')
print(open('m0.txt').read(), os.listdir())
t0 = time.ticks_ms()
time.sleep_ms(30)
print(time.ticks_diff(time.ticks_ms(), t0) >= 30)
print(board.spin(2_000_000) - board.spin(1000))
gc.collect()
print(gc.mem_free() > 4000)
"""
    result = runner.run_code(m0, code, tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:4] + lines[5:] == [
        "microbit 16000000",
        "2470 3.5 1099511627776",
        "written on the M0 ['m0.txt']",
        "True",
        "True",
    ]
    # The M0's counter is exact to +-1 per reading (boards/qemu/README.md).
    assert abs(int(lines[4]) - 2 * (2_000_000 - 1000)) <= 1


def test_mpremote_on_the_m0(m0: object, m0_firmware: Path, tmp_path: Path) -> None:
    local = tmp_path / "script.py"
    local.write_text("print('m0', sum(range(10)))\n")
    with runner.serve(m0, tmp_path / "fs", "tcp") as served:
        mpremote(served.device, "cp", str(local), ":script.py")
        assert "script.py" in mpremote(served.device, "ls").stdout
        assert mpremote(served.device, "run", str(local)).stdout.strip() == "m0 45"
