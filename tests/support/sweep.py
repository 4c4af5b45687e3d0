"""How many seeded input sets each operator case runs: a few in CI, many on demand.

Every case in tests/ops runs its one-operator model on seeded random inputs
and compares our bytes with TFLM's. `make test` runs the few seeds each test
file names (INPUT_SEEDS = input_seeds(1, 2, 3)); `pytest --sweep N tests/ops`
(`make sweep`) runs seeds 1 to N for every case instead, through the same
case generators: the larger sweep, not part of `make test`.
"""

from __future__ import annotations

_sweep_seeds = 0


def configure(seeds: int) -> None:
    """Called by tests/conftest.py with --sweep's value (0: the CI seeds)."""
    global _sweep_seeds
    if seeds < 0:
        raise ValueError(f"--sweep takes a number of seeds >= 0, not {seeds}")
    _sweep_seeds = seeds


def input_seeds(*ci_seeds: int) -> tuple[int, ...]:
    """The seeds a test file runs each case on: `ci_seeds`, or 1..N under --sweep N."""
    return tuple(range(1, _sweep_seeds + 1)) if _sweep_seeds else ci_seeds
