"""The retired-instruction counter: exact differences, deterministic runs."""

from __future__ import annotations

import ast
from pathlib import Path

from support.board import runner


def test_counter_measures_a_known_loop_exactly(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    # board.spin(n) runs a loop of exactly 2n instructions between two
    # readings; 3 M iterations span at least one SysTick interrupt.
    code = """
import board
small = [board.spin(1000) for _ in range(3)]
large = [board.spin(3_000_000) for _ in range(4)]
print((small, large))
print(large[0] - small[0])
"""
    result = runner.run_code(m4, code, tmp_path)
    assert result.exit_code == 0, result.output
    lists, difference = result.output.splitlines()
    small, large = ast.literal_eval(lists)
    assert len(set(small)) == 1 and len(set(large)) == 1
    assert int(difference) == 2 * (3_000_000 - 1000)
    assert 2000 < small[0] < 2100


def test_same_code_gives_the_same_count_in_every_run(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    code = """
import board, machine
def work():
    total = 0
    for i in range(2000):
        total += i * i
    return total
t0 = board.instructions()
work()
t1 = board.instructions()
print(t1 - t0, machine.instructions() >= t1)
"""
    first = runner.run_code(m4, code, tmp_path)
    second = runner.run_code(m4, code, tmp_path)
    assert first.exit_code == 0, first.output
    assert first.output == second.output
    count, monotonic = first.output.split()
    assert int(count) > 2000 * 10
    assert monotonic == "True"
