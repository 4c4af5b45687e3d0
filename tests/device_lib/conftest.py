"""Fixtures for device_lib tests: MicroPython scripts under the unix port.

`mpy(code)` runs MicroPython source with the x64 native tinyml module and
device_lib/ on the import path, in the test's temporary directory (its
filesystem), and returns its output; a non-zero exit fails the test with
the script's traceback. Scripts check behaviour with assert and print what
the Python side compares.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from devlib_support import NATMOD_DIR, PROJECT_ROOT, run_micropython


@pytest.fixture(scope="session")
def natmod() -> Path:
    """build/natmod/x64/tinyml.mpy, brought up to date once per session."""
    command = ["make", "-C", str(PROJECT_ROOT / "micropython_module" / "natmod"), "ARCH=x64"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return NATMOD_DIR / "tinyml.mpy"


@pytest.fixture
def mpy(natmod: Path, tmp_path: Path) -> Callable[[str], str]:
    def run(code: str) -> str:
        result = run_micropython(code, tmp_path)
        assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result.stdout

    return run
