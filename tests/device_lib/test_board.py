"""device_lib on the emulated Cortex-M4 (boards/qemu, mps2-an386).

The library is installed as on stock firmware (its .py files in the board's
filesystem, here the semihosting directory). On the board: the power policy
executes real lightsleep (WFI) while time advances; a model install cut off
halfway (the board stops dead) leaves the old model active; a tampered model
is refused; a torn audit log is recovered; examples/keyword_app.py hears
"yes" then "no" from replayed clips, unmodified.
"""

from __future__ import annotations

import hashlib
import hmac
import importlib.util
import shutil
import subprocess
import sys
import zlib
from pathlib import Path
from types import ModuleType

import pytest
from devlib_support import CLIPS, DEVICE_LIB, PROJECT_ROOT

if shutil.which("qemu-system-arm") is None or shutil.which("arm-none-eabi-gcc") is None:
    pytest.skip("needs qemu-system-arm and arm-none-eabi-gcc", allow_module_level=True)

KEY = b"board-device-key"


def _load_runner() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "qemu_board_run", PROJECT_ROOT / "boards" / "qemu" / "run.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


runner = _load_runner()


@pytest.fixture(scope="session")
def firmware() -> Path:
    """The M4 firmware with tinyml built in, brought up to date."""
    command = ["make", "-C", str(PROJECT_ROOT / "boards" / "qemu"), "BOARD=mps2-an386", "-j2"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return PROJECT_ROOT / "build" / "firmware" / "mps2-an386" / "firmware.elf"


@pytest.fixture
def board_fs(tmp_path: Path) -> ModuleType:
    """A semihosting directory holding device_lib, as `mip install` would leave it."""
    fs = runner.SemihostingDir(tmp_path)
    for source in DEVICE_LIB.glob("*.py"):
        fs.write("/" + source.name, source.read_bytes())
    return fs


def run_on_board(firmware: Path, fs_dir: Path, code: str, timeout: float = 120.0) -> str:
    result = runner.run_code(runner.BOARDS["mps2-an386"], code, fs_dir, timeout=timeout, firmware=firmware)
    assert result.exit_code == 0, result.output
    return result.output


def mac(name: str, version: str, model: bytes, key: bytes = KEY) -> str:
    message = b"tinyml-model\0" + name.encode() + b"\0" + version.encode() + b"\0"
    return hmac.new(key, message + hashlib.sha256(model).digest(), "sha256").hexdigest()


def test_power_policy_sleeps_for_real_while_time_advances(
    firmware: Path, board_fs: ModuleType, tmp_path: Path, shared_models: Path
) -> None:
    # 2 s of 3-axis motion at 100 Hz; one inference per 0.5 s window, 0.25 s apart.
    frames = bytes(range(256)) * 5
    board_fs.write("/motion.raw", frames[: 200 * 3 * 2])
    board_fs.write("/sine.tflite", (shared_models / "hello_world_int8.tflite").read_bytes())
    out = run_on_board(
        firmware,
        tmp_path,
        """
import time, machine, board
from array import array
import tinyml
from sources import ReplaySource
from windows import SlidingWindow, motion_features
from power import PowerAccount, PowerPolicy, BOARD_CURRENTS, board_name
from pipeline import Pipeline
model = tinyml.Model("/sine.tflite")
features = array("f", bytes(4 * 12))
def featurize(window, slot):
    motion_features(window, 3, features, scale=1 / 32768)
    model.input().quantize(features[0:1])
    return True
outputs = []
policy = PowerPolicy(PowerAccount(BOARD_CURRENTS[board_name()]), sleep="lightsleep",
                     infer_hz=25_000_000, idle_hz=8_000_000)
source = ReplaySource("/motion.raw", rate=100, channels=3)
pipe = Pipeline(source, SlidingWindow(50, 25, "h", channels=3), featurize, model,
                lambda m: outputs.append(m.output().dequantize()[0]), policy)
wfi = board.wfi_count()
start = time.ticks_ms()
pipe.run()
print(time.ticks_diff(time.ticks_ms(), start), board.wfi_count() - wfi > 0, machine.freq())
print(pipe.counters["inferences"], len(outputs), policy.sleeps)
acc = policy.account
print(round(100 * acc.time_us["lightsleep"] / acc.total_us()))
print(pipe.report())
""",
    )
    lines = out.splitlines()
    elapsed_ms, slept, freq = lines[0].split()
    assert 1950 <= int(elapsed_ms) < 2600  # the recording's 2 s, in the board's own time
    assert slept == "True" and freq == "8000000"  # WFI executed; the clock lowered after inference
    assert lines[1].split()[:2] == ["7", "7"]  # windows starting at 0, 0.25, ... 1.5 s
    assert int(lines[2]) > 80, out  # most of the time asleep
    assert "lightsleep" in out and "average current" in out


INSTALL = """
import os, board
from model_store import ModelStore, ModelRefused
from monitor import AuditLog
def chunks(path, stop_after=None):
    sent = 0
    with open(path, "rb") as f:
        while True:
            block = f.read(256)
            if not block:
                return
            yield block
            sent += len(block)
            if stop_after is not None and sent >= stop_after:
                board.exit(3)          # the power goes: no cleanup, no exception handler
store = ModelStore("/models", {key!r}, log=AuditLog("/audit.log"))
"""


def test_an_install_cut_off_halfway_leaves_the_old_model_active(
    firmware: Path, board_fs: ModuleType, tmp_path: Path, shared_models: Path
) -> None:
    v1 = (shared_models / "hello_world_int8.tflite").read_bytes()
    v2 = (shared_models / "hello_world_float.tflite").read_bytes()
    board_fs.write("/v1.tflite", v1)
    board_fs.write("/v2.tflite", v2)
    prelude = INSTALL.format(key=KEY)
    out = run_on_board(
        firmware,
        tmp_path,
        prelude + f'print(store.install("sine", "1", chunks("/v1.tflite"), "{mac("sine", "1", v1)}"))',
    )
    assert out.strip() == "<model sine 1>"
    result = runner.run_code(
        runner.BOARDS["mps2-an386"],
        prelude
        + f'store.install("sine", "2", chunks("/v2.tflite", {len(v2) // 2}), "{mac("sine", "2", v2)}")',
        tmp_path,
        timeout=120,
        firmware=firmware,
    )
    assert result.exit_code == 3, result.output
    assert board_fs.exists("/models/sine-2.part")
    out = run_on_board(
        firmware,
        tmp_path,
        prelude + "print(store.active, sorted(os.listdir('/models')), store.load().input().dtype)",
    )
    assert out.strip() == "<model sine 1> ['manifest', 'sine-1.tflite'] int8"
    assert b"install-interrupted sine-2.part" in board_fs.read("/audit.log")


def test_a_tampered_model_is_refused(
    firmware: Path, board_fs: ModuleType, tmp_path: Path, shared_models: Path
) -> None:
    v1 = (shared_models / "hello_world_int8.tflite").read_bytes()
    tampered = bytearray(v1)
    tampered[-100] ^= 0x40
    board_fs.write("/v1.tflite", v1)
    board_fs.write("/evil.tflite", bytes(tampered))
    out = run_on_board(
        firmware,
        tmp_path,
        INSTALL.format(key=KEY)
        + f"""
store.install("sine", "1", chunks("/v1.tflite"), "{mac("sine", "1", v1)}")
try:
    store.install("sine", "2", chunks("/evil.tflite"), "{mac("sine", "2", v1)}")
except ModelRefused as e:
    print("refused:", e)
print(store.active, sorted(os.listdir("/models")))
""",
    )
    assert out.splitlines() == [
        "refused: model sine 2: MAC does not match (tampered or wrong key)",
        "<model sine 1> ['manifest', 'sine-1.tflite']",
    ]


def test_a_torn_audit_log_is_recovered(firmware: Path, board_fs: ModuleType, tmp_path: Path) -> None:
    records = []
    for seq in range(3):
        body = f"{seq} {seq * 10} boot ok".encode()
        records.append(body + f"*{zlib.crc32(body):08x}\n".encode())
    board_fs.write("/audit.log", b"".join(records) + b"3 40 boot o")  # cut off mid-record
    out = run_on_board(
        firmware,
        tmp_path,
        """
from monitor import AuditLog
log = AuditLog("/audit.log")
log.append("after", "recovery")
print(log.recovered_bytes, [(r[0], r[2]) for r in log.records()])
""",
    )
    assert out.strip() == "11 [(0, 'boot'), (1, 'boot'), (2, 'boot'), (3, 'recovered'), (4, 'after')]"
    lines = board_fs.read("/audit.log").splitlines(keepends=True)
    assert lines[:3] == records and len(lines) == 5
    for line in lines:
        body, crc = line.rstrip(b"\n").rsplit(b"*", 1)
        assert int(crc, 16) == zlib.crc32(body)


def test_keyword_app_runs_unmodified_on_the_board(
    firmware: Path, board_fs: ModuleType, tmp_path: Path, shared_models: Path
) -> None:
    for name in ("audio_preprocessor_int8.tflite", "micro_speech_quantized.tflite"):
        board_fs.write("/" + name, (shared_models / name).read_bytes())
    for clip in ("silence_1000ms.wav", "yes_1000ms.wav", "noise_1000ms.wav", "no_1000ms.wav"):
        board_fs.write("/" + clip, (CLIPS / clip).read_bytes())
    result = runner.run_script(
        runner.BOARDS["mps2-an386"],
        PROJECT_ROOT / "examples" / "keyword_app.py",
        tmp_path,
        timeout=300,
        firmware=firmware,
    )
    assert result.exit_code == 0, result.output
    assert "heard: yes no" in result.output
    assert "inferences: 20" in result.output and "average current" in result.output
    assert board_fs.read("/keyword_app.log").count(b"\n") == 2


def test_sha256_and_hmac_without_hashlib_on_the_board(
    firmware: Path, board_fs: ModuleType, tmp_path: Path
) -> None:
    # The firmware has no hashlib: digest compiles its viper block function (32-bit machine words).
    messages = [b"", b"abc", bytes(range(256)) * 5, b"x" * 55, b"y" * 56, b"z" * 64]
    out = run_on_board(
        firmware,
        tmp_path,
        f"""
import digest
print(digest._native_sha256 is None, digest._viper_compress is not None)
for m in {messages!r}:
    print(digest.sha256(m).hexdigest(), digest.hexlify(digest.hmac_sha256(b"key", m)), digest.crc32(m))
""",
    )
    lines = out.splitlines()
    assert lines[0] == "True True"
    assert lines[1:] == [
        f"{hashlib.sha256(m).hexdigest()} {hmac.new(b'key', m, 'sha256').hexdigest()} {zlib.crc32(m)}"
        for m in messages
    ]


def test_deep_sleep_resets_the_board_and_the_pipeline_resumes_with_its_accounting(
    firmware: Path, board_fs: ModuleType, tmp_path: Path, shared_models: Path
) -> None:
    from test_deepsleep import APP, BURSTS, check_final_report, recording

    board_fs.write("/sine.tflite", (shared_models / "hello_world_int8.tflite").read_bytes())
    board_fs.write("/burst.raw", recording())
    board_fs.write("/app.py", ("import machine\nMACHINE = machine\nROOT = '/'\n" + APP).encode())
    # Without -no-reboot: machine.deepsleep() resets the board, which runs app.py again.
    command = runner.qemu_command(runner.BOARDS["mps2-an386"], "stdio", firmware, script="app.py")
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=600, check=False)
    out = result.stdout.decode(errors="replace").replace("\r\n", "\n")
    assert result.returncode == 0, out + result.stderr.decode(errors="replace")
    boots = [line.split() for line in out.splitlines() if line.startswith("boot ")]
    assert [b[:3] for b in boots] == [["boot", "fresh", "0"]] + [
        ["boot", "resumed", str(n)] for n in range(1, BURSTS + 1)
    ], out
    check_final_report(out)
    assert board_fs.exists("/pipe.state")


def test_drift_detection_on_the_board(
    firmware: Path, board_fs: ModuleType, tmp_path: Path, shared_models: Path, natmod: Path
) -> None:
    from test_drift import DETECT, LABELS, scores, spectrograms
    from tinyml_tools.model_metadata import Settings, build_metadata, embed_metadata, to_input_units
    from tinyml_tools.runtime_info import probe

    quantized = (shared_models / "micro_speech_quantized.tflite").read_bytes()
    runtime = probe(quantized)
    assert runtime.model is not None
    settings = Settings("tinyml-convert test", "synthetic", 7, "int8", "int8", 300)
    metadata = build_metadata(settings, runtime.version, runtime.model, LABELS, spectrograms(300, seed=1))
    board_fs.write("/kws.tflite", embed_metadata(quantized, metadata))
    tensor = runtime.model.inputs[0]
    inputs = [spectrograms(32, seed=2), spectrograms(32, seed=3, offset=6.0)]
    board_fs.write("/in.raw", b"".join(to_input_units(x, tensor).astype("int8").tobytes() for x in inputs))
    verify = """
import model_info, drift
data = open("/kws.tflite", "rb").read()
info = model_info.read(tinyml.Model(data))
print("verified", model_info.verify(data, info), drift._viper_group_sums is not None)
"""
    script = DETECT.format(model="/kws.tflite", inputs="/in.raw") + verify
    out = run_on_board(firmware, tmp_path, script, timeout=300)
    assert out.splitlines()[-1] == "verified True True", out  # SHA-256 without hashlib; viper sums
    out = "\n".join(out.splitlines()[:-1])
    windows = scores(out)
    assert len(windows) == 2 and out.splitlines()[-1] == "windows 2 1", out
    assert windows[0][0] < 0.05 and not windows[0][1], out
    assert windows[1][0] > 0.3 and windows[1][1], out


def test_reset_cause_tells_power_on_from_a_software_reset(
    firmware: Path, board_fs: ModuleType, tmp_path: Path
) -> None:
    board_fs.write(
        "/cause.py",
        b"""
import machine
cause = machine.reset_cause()
print("cause", cause, cause == machine.PWRON_RESET, cause == machine.SOFT_RESET)
if cause == machine.PWRON_RESET:
    machine.reset()
""",
    )
    command = runner.qemu_command(runner.BOARDS["mps2-an386"], "stdio", firmware, script="cause.py")
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=120, check=False)
    out = result.stdout.decode(errors="replace").replace("\r\n", "\n")
    assert result.returncode == 0, out
    assert out.splitlines() == ["cause 1 True False", "cause 5 False True"]
