"""`tinyml deploy`: a model, labels and an application onto the emulated M4 over a pty,
with the tinyml native module installed when the firmware lacks the built-in one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tinyml_tools.board_bench import load_runner
from tinyml_tools.deploy import (
    NATMOD_BUILD_DIR,
    BoardInfo,
    DeployError,
    Mpremote,
    make_natmod,
    mpy_header,
    natmod_for,
    probe_board,
)

# Not imported from conftest: tests/tools has a conftest module of the same name.
PROJECT_ROOT = Path(__file__).resolve().parents[2]
runner = load_runner()


def build_natmod(arch: str) -> Path:
    make_natmod(arch)
    return NATMOD_BUILD_DIR / arch / "tinyml.mpy"


MODEL = PROJECT_ROOT.parent / "shared" / "models" / "hello_world_int8.tflite"
# Runs on the board: the deployed model through tinyml, the labels file beside it.
APP = """
import tinyml
model = tinyml.Model('hello_world_int8.tflite')
labels = open('labels.txt').read().split()
print('labels', labels)
print('y(1.57)', round(model.predict([1.57])[0], 2))
print('tinyml from', getattr(tinyml, '__file__', 'built-in'))
"""


def tinyml_cli(*args: str | Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "tinyml_tools.cli", *map(str, args)]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=PROJECT_ROOT)


@pytest.fixture
def app(tmp_path: Path) -> dict[str, Path]:
    local = tmp_path / "local"
    local.mkdir()
    (local / "labels.txt").write_text("low\nhigh\n")
    (local / "app.py").write_text(APP)
    (local / "helper.py").write_text("VALUE = 42\n")
    return {"labels": local / "labels.txt", "app": local / "app.py", "helper": local / "helper.py"}


def test_deploy_installs_the_natmod_when_the_firmware_has_no_tinyml(
    m4: object, m4_core_firmware: Path, tmp_path: Path, app: dict[str, Path]
) -> None:
    natmod = build_natmod("armv7emsp")
    fs_dir = tmp_path / "fs"
    with runner.serve(m4, fs_dir, "pty", firmware=m4_core_firmware) as served:
        assert served.device.startswith("/dev/pts/")
        result = tinyml_cli(
            "deploy", MODEL, app["helper"], "--labels", app["labels"], "--port", served.device,
            "--run", app["app"],
        )  # fmt: skip
        assert result.returncode == 0, result.stdout + result.stderr
    assert "native code armv7emsp, tinyml absent" in result.stdout
    assert "installing" in result.stdout and "armv7emsp/tinyml.mpy" in result.stdout
    # The application ran on the board with the copied model, labels and native module.
    assert "labels ['low', 'high']" in result.stdout
    assert "y(1.57) 1.0" in result.stdout
    assert "tinyml from tinyml.mpy" in result.stdout
    files = runner.SemihostingDir(fs_dir)
    assert files.read("tinyml.mpy") == natmod.read_bytes()
    assert files.read("hello_world_int8.tflite") == MODEL.read_bytes()
    assert files.read("helper.py") == b"VALUE = 42\n"


def test_deploy_to_firmware_with_tinyml_built_in_copies_no_natmod_then_resets(
    m4: object, m4_firmware: Path, tmp_path: Path, app: dict[str, Path]
) -> None:
    main = tmp_path / "local" / "main.py"
    # main.py runs at boot: after --reset it leaves its mark in the file system.
    main.write_text("import tinyml\nopen('booted.txt', 'w').write(str(len(tinyml.ops()) > 0))\n")
    fs_dir = tmp_path / "fs"
    with runner.serve(m4, fs_dir, "pty", firmware=m4_firmware) as served:
        result = tinyml_cli("deploy", MODEL, main, "--port", served.device, "--reset")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "tinyml built-in" in result.stdout and "installing" not in result.stdout
        after = Mpremote(served.device)
        after.exec("import time; time.sleep_ms(10)")  # the board answers again after its reset
    files = runner.SemihostingDir(fs_dir)
    assert not files.exists("tinyml.mpy")
    assert files.read("booted.txt") == b"True"


def test_the_board_reports_its_architecture_and_mpy_version(
    m4: object, m4_core_firmware: Path, tmp_path: Path
) -> None:
    with runner.serve(m4, tmp_path, "pty", firmware=m4_core_firmware) as served:
        board = probe_board(Mpremote(served.device))
    assert board.arch == "armv7emsp" and board.tinyml is None
    natmod = build_natmod("armv7emsp")
    assert mpy_header(natmod.read_bytes()) == (board.mpy_version, "armv7emsp")
    assert natmod_for(board, None, lambda arch: None) == natmod


def test_a_natmod_for_another_architecture_or_mpy_version_is_refused(tmp_path: Path) -> None:
    board = BoardInfo(mpy=(7 << 10) | (3 << 8) | 6, tinyml=None, platform="qemu")  # armv7emsp, v6.3
    m0_module = tmp_path / "tinyml.mpy"
    m0_module.write_bytes(bytes([ord("M"), 6, (4 << 2) | 3, 31]) + b"\0" * 16)  # armv6m
    with pytest.raises(DeployError, match="is for armv6m; the board runs armv7emsp"):
        natmod_for(board, m0_module, lambda arch: None)
    old = tmp_path / "old.mpy"
    old.write_bytes(bytes([ord("M"), 6, (7 << 2) | 1, 31]) + b"\0" * 16)  # armv7emsp, v6.1
    with pytest.raises(DeployError, match=r"v6\.1; the board's MicroPython loads v6\.3"):
        natmod_for(board, old, lambda arch: None)
    xtensa = BoardInfo(mpy=(10 << 10) | (3 << 8) | 6, tinyml=None, platform="esp32")
    with pytest.raises(DeployError, match="no tinyml.mpy is built for xtensawin"):
        natmod_for(xtensa, None, lambda arch: None)


def test_user_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    missing = tinyml_cli("deploy", tmp_path / "nope.tflite", "--port", "/dev/pts/999")
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"tinyml deploy: error: file not found: {tmp_path / 'nope.tflite'}"
    no_board = tinyml_cli("deploy", MODEL, "--port", "/dev/pts/999")
    assert no_board.returncode == 1
    assert no_board.stderr.startswith("tinyml deploy: error: cannot reach a board on /dev/pts/999")
    assert "Traceback" not in no_board.stderr


def test_a_missing_natmod_is_built_for_the_boards_architecture(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tinyml_tools import deploy

    monkeypatch.setattr(deploy, "NATMOD_BUILD_DIR", tmp_path)
    built: list[str] = []

    def build(arch: str) -> None:  # stands in for make: writes an armv6m module header
        built.append(arch)
        (tmp_path / arch).mkdir()
        (tmp_path / arch / "tinyml.mpy").write_bytes(bytes([ord("M"), 6, (4 << 2) | 3, 31]))

    board = BoardInfo(mpy=(4 << 10) | (3 << 8) | 6, tinyml=None, platform="rp2")  # armv6m, v6.3
    assert natmod_for(board, None, build) == tmp_path / "armv6m" / "tinyml.mpy"
    assert built == ["armv6m"]
    assert natmod_for(board, None, build) == tmp_path / "armv6m" / "tinyml.mpy"
    assert built == ["armv6m"]  # built once, then found
