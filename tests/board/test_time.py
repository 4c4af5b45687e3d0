"""The time base: ticks advance, sleeps last at least as long as asked and wait with WFI."""

from __future__ import annotations

import time
from pathlib import Path

from support.board import runner


def test_ticks_advance_across_sleeps(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    code = """
import time
t0 = time.ticks_ms(); u0 = time.ticks_us(); c0 = time.ticks_cpu()
time.sleep_ms(50)
t1 = time.ticks_ms(); u1 = time.ticks_us(); c1 = time.ticks_cpu()
time.sleep(0.02)
time.sleep_us(300)
t2 = time.ticks_ms()
print(time.ticks_diff(t1, t0), time.ticks_diff(u1, u0), time.ticks_diff(c1, c0), time.ticks_diff(t2, t1))
print(time.ticks_diff(time.ticks_add(5, -10), 5), time.ticks_diff(0, time.ticks_add(0, -1)))
"""
    result = runner.run_code(m4, code, tmp_path)
    assert result.exit_code == 0, result.output
    first, second = result.output.splitlines()
    ms, us, cpu, ms_after_sleep = (int(field) for field in first.split())
    assert 50 <= ms < 200
    assert 50_000 <= us < 200_000
    assert 50 * 25_000 <= cpu < 200 * 25_000
    assert ms_after_sleep >= 20
    assert second == "-10 1"


def test_lightsleep_waits_with_wfi_and_time_advances(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    code = """
import board, machine, time
w0 = board.wfi_count(); t0 = time.ticks_ms()
machine.lightsleep(20_000)
print(board.wfi_count() - w0, time.ticks_diff(time.ticks_ms(), t0))
w0 = board.wfi_count()
machine.idle()
print(board.wfi_count() - w0)
"""
    started = time.monotonic()
    result = runner.run_code(m4, code, tmp_path)
    elapsed = time.monotonic() - started
    assert result.exit_code == 0, result.output
    sleep_line, idle_line = result.output.splitlines()
    wfis, slept_ms = (int(field) for field in sleep_line.split())
    assert wfis >= 1
    assert slept_ms >= 20_000
    assert int(idle_line) == 1
    # 20 s of busy-waiting would be 156 M emulated instructions; WFI lets
    # QEMU skip the idle virtual time.
    assert elapsed < 5
