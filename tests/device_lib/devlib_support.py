"""Paths and the MicroPython runner shared by the device_lib tests (and by conftest)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEVICE_LIB = PROJECT_ROOT / "device_lib"
NATMOD_DIR = PROJECT_ROOT / "build" / "natmod" / "x64"
MICROPYTHON = Path(sys.executable).parent / "micropython"
SHARED = PROJECT_ROOT.parent / "shared"
MODELS = SHARED / "models"
CLIPS = SHARED / "data" / "micro_speech"


def micropython_env() -> dict[str, str]:
    """The environment that puts the x64 tinyml module and device_lib/ on MicroPython's path."""
    return dict(os.environ, MICROPYPATH=f"{NATMOD_DIR}:{DEVICE_LIB}")


def run_micropython(code: str, cwd: Path, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    script = cwd / "_script.py"
    script.write_text(textwrap.dedent(code), encoding="utf-8")
    env = micropython_env()
    return subprocess.run(
        [str(MICROPYTHON), str(script)], capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout
    )
