"""What the emulated-board tests share: the runner (boards/qemu/run.py), firmware
and native-module builds, mpremote, and how tinyml reaches the M4 (Delivery).

A module of the `support` package rather than tests/board/conftest.py, so that test
files import it by a name no other directory's conftest can shadow."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BOARDS_QEMU = PROJECT_ROOT / "boards" / "qemu"


def _load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location("qemu_board_run", BOARDS_QEMU / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


runner = sys.modules.get("qemu_board_run") or _load_runner()


def build_firmware(board: str, *make_args: str) -> Path:
    """Build (incrementally) and return the firmware ELF of a board."""
    args = ["make", "-C", str(BOARDS_QEMU), f"BOARD={board}", "-j2", *make_args]
    result = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    build_dirs = [arg.split("=", 1)[1] for arg in make_args if arg.startswith("BUILD=")]
    build = Path(build_dirs[0]) if build_dirs else PROJECT_ROOT / "build" / "firmware" / board
    return build / "firmware.elf"


def mpremote(device: str, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run one mpremote command against a served board; fail the test on a non-zero exit."""
    command = [sys.executable, "-m", "mpremote", "connect", device, *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    return result


_natmods: dict[str, Path] = {}


def build_natmod(arch: str) -> Path:
    """build/natmod/ARCH/tinyml.mpy, brought up to date once per session."""
    if arch not in _natmods:
        command = ["make", "-C", str(PROJECT_ROOT / "micropython_module" / "natmod"), f"ARCH={arch}"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"
        _natmods[arch] = PROJECT_ROOT / "build" / "natmod" / arch / "tinyml.mpy"
    return _natmods[arch]


@dataclass(frozen=True)
class Delivery:
    """How tinyml reaches the M4: built into the firmware, or a native module beside the script."""

    firmware: Path
    natmod: Path | None

    def install(self, fs_dir: Path) -> None:
        """Put what `import tinyml` needs into the semihosting directory."""
        if self.natmod is not None:
            runner.SemihostingDir(fs_dir).write("tinyml.mpy", self.natmod.read_bytes())


DELIVERIES = ["built-in", "natmod-armv7emsp", "natmod-armv6m"]
