"""Fixtures for the emulated boards: firmware builds (make) and the runner (boards/qemu/run.py).
The helpers themselves live in support/board.py."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from support.board import DELIVERIES, PROJECT_ROOT, Delivery, build_firmware, build_natmod, runner

if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
    pytest.skip("needs qemu-system-arm and arm-none-eabi-gcc", allow_module_level=True)


@pytest.fixture(scope="session")
def m4_firmware() -> Path:
    return build_firmware("mps2-an386")


@pytest.fixture(scope="session")
def m0_firmware() -> Path:
    return build_firmware("microbit")


@pytest.fixture(scope="session")
def m4() -> object:
    return runner.BOARDS["mps2-an386"]


@pytest.fixture(scope="session")
def m0() -> object:
    return runner.BOARDS["microbit"]


@pytest.fixture(scope="session")
def m4_core_firmware() -> Path:
    """The M4 firmware without the tinyml user C module: tinyml comes as a native .mpy."""
    build = PROJECT_ROOT / "build" / "firmware" / "mps2-an386-core"
    return build_firmware("mps2-an386", "USER_C_MODULES=", f"BUILD={build}")


@pytest.fixture(scope="session", params=DELIVERIES)
def delivery(request: pytest.FixtureRequest) -> Delivery:
    if request.param == "built-in":
        return Delivery(request.getfixturevalue("m4_firmware"), None)
    arch = request.param.split("-", 1)[1]
    return Delivery(request.getfixturevalue("m4_core_firmware"), build_natmod(arch))
