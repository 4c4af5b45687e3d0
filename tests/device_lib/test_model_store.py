"""The model store installs models atomically and only when authentic and fit:

the publisher's MAC (HMAC-SHA256 with the device key over name, version and
the model's SHA-256) must match, the stored bytes must hash to what was
received, and the model must pass its self-test on reference inputs — or
nothing changes. The replaced model stays for rollback, the one before is
erased; a corrupt active model falls back to the previous one; a power loss
halfway through an install leaves the old model active.
"""

from __future__ import annotations

import hashlib
import hmac
import select
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from devlib_support import MICROPYTHON, micropython_env

KEY = b"device-key-0123456789"


def mac(key: bytes, name: str, version: str, model: bytes) -> str:
    message = (
        b"tinyml-model\0" + name.encode() + b"\0" + version.encode() + b"\0" + hashlib.sha256(model).digest()
    )
    return hmac.new(key, message, "sha256").hexdigest()


@pytest.fixture
def models(tmp_path: Path, shared_models: Path) -> dict[str, bytes]:
    """Two different models to install as versions, copied next to the script."""
    found = {
        "v1": (shared_models / "hello_world_int8.tflite").read_bytes(),
        "v2": (shared_models / "hello_world_float.tflite").read_bytes(),
    }
    for version, data in found.items():
        (tmp_path / f"incoming_{version}.tflite").write_bytes(data)
    return found


PRELUDE = f"""
from model_store import ModelStore, ModelRefused
from monitor import AuditLog
KEY = {KEY!r}
def chunks(path, size=100):
    with open(path, "rb") as f:
        while True:
            block = f.read(size)
            if not block:
                return
            yield block
class Dog:
    fed = 0
    def feed(self):
        Dog.fed += 1
log = AuditLog("audit.log")
store = ModelStore("models", KEY, log=log, wdt=Dog())
"""


def events(tmp_path: Path) -> list[str]:
    return [line.split(b" ")[2].decode() for line in (tmp_path / "audit.log").read_bytes().splitlines()]


def test_install_activates_and_keeps_the_previous_for_rollback(
    mpy: Callable[[str], str], tmp_path: Path, models: dict[str, bytes]
) -> None:
    out = mpy(
        PRELUDE
        + f"""
e = store.install("sine", "1", chunks("incoming_v1.tflite"), {mac(KEY, "sine", "1", models["v1"])!r})
print(e, store.active.size, Dog.fed > 0)
store.install("sine", "2", chunks("incoming_v2.tflite"), {mac(KEY, "sine", "2", models["v2"])!r})
print(store.active, store.previous)
model = store.load()
print(model.input().dtype)
store = ModelStore("models", KEY, log=log)       # after a reboot: the manifest says the same
print(store.active, store.previous)
print(store.rollback(), store.previous, store.load().input().dtype)
"""
    )
    assert out.splitlines() == [
        f"<model sine 1> {len(models['v1'])} True",
        "<model sine 2> <model sine 1>",
        "float32",
        "<model sine 2> <model sine 1>",
        "<model sine 1> <model sine 2> int8",
    ]
    assert (tmp_path / "models" / "sine-2.tflite").read_bytes() == models["v2"]
    manifest = (tmp_path / "models" / "manifest").read_text().splitlines()
    assert manifest[0] == f"active sine 1 {hashlib.sha256(models['v1']).hexdigest()} {len(models['v1'])}"
    assert events(tmp_path).count("model-installed") == 2 and "rollback" in events(tmp_path)


def test_the_model_before_the_previous_is_erased(
    mpy: Callable[[str], str], tmp_path: Path, models: dict[str, bytes]
) -> None:
    mpy(
        PRELUDE
        + f"""
store.install("sine", "1", chunks("incoming_v1.tflite"), {mac(KEY, "sine", "1", models["v1"])!r})
store.install("sine", "2", chunks("incoming_v2.tflite"), {mac(KEY, "sine", "2", models["v2"])!r})
store.install("sine", "3", chunks("incoming_v1.tflite"), {mac(KEY, "sine", "3", models["v1"])!r})
"""
    )
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == [
        "manifest",
        "sine-2.tflite",
        "sine-3.tflite",
    ]
    assert "model-erased" in events(tmp_path)


@pytest.mark.parametrize("attack", ["tampered model", "wrong key", "other version"])
def test_an_unauthentic_model_is_refused_and_nothing_changes(
    mpy: Callable[[str], str], tmp_path: Path, models: dict[str, bytes], attack: str
) -> None:
    tampered = bytearray(models["v2"])
    tampered[len(tampered) // 2] ^= 0x01
    (tmp_path / "tampered.tflite").write_bytes(tampered)
    incoming, tag = {
        "tampered model": ("tampered.tflite", mac(KEY, "sine", "2", models["v2"])),
        "wrong key": ("incoming_v2.tflite", mac(b"another key", "sine", "2", models["v2"])),
        "other version": ("incoming_v2.tflite", mac(KEY, "sine", "9", models["v2"])),
    }[attack]
    out = mpy(
        PRELUDE
        + f"""
import os
store.install("sine", "1", chunks("incoming_v1.tflite"), {mac(KEY, "sine", "1", models["v1"])!r})
try:
    store.install("sine", "2", chunks({incoming!r}), {tag!r})
except ModelRefused as e:
    print("refused:", e)
print(store.active, store.previous, sorted(os.listdir("models")))
"""
    )
    refused, state = out.splitlines()
    assert refused == "refused: model sine 2: MAC does not match (tampered or wrong key)"
    assert state == "<model sine 1> None ['manifest', 'sine-1.tflite']"
    assert events(tmp_path)[-1] == "install-refused"


def test_a_model_failing_its_self_test_is_refused(
    mpy: Callable[[str], str], tmp_path: Path, models: dict[str, bytes]
) -> None:
    out = mpy(
        PRELUDE
        + f"""
import tinyml
# The publisher's reference: an input and the output the model must give (raw int8 bytes).
reference = tinyml.Model("incoming_v1.tflite")
given = bytes([40])
reference.input().data = given
reference.invoke()
expected = bytes(reference.output().data)
wrong = bytes([(expected[0] + 5) & 0xFF])
tag = {mac(KEY, "sine", "1", models["v1"])!r}
store.install("sine", "1", chunks("incoming_v1.tflite"), tag, selftest=[(given, expected, 0)])
print(store.active)
try:
    store.install("sine", "1", chunks("incoming_v1.tflite"), tag, selftest=[(given, wrong, 1)])
except ModelRefused as e:
    print("refused:", str(e).split(":")[0])
try:
    store.install("sine", "1", chunks("incoming_v1.tflite"), tag, selftest=lambda model: False)
except ModelRefused as e:
    print("refused:", e)
print(store.active, store.previous)
"""
    )
    assert out.splitlines() == [
        "<model sine 1>",
        "refused: self-test 0",
        "refused: self-test failed",
        "<model sine 1> None",
    ]


def test_a_corrupt_active_model_falls_back_to_the_previous(
    mpy: Callable[[str], str], tmp_path: Path, models: dict[str, bytes]
) -> None:
    out = mpy(
        PRELUDE
        + f"""
store.install("sine", "1", chunks("incoming_v1.tflite"), {mac(KEY, "sine", "1", models["v1"])!r})
store.install("sine", "2", chunks("incoming_v2.tflite"), {mac(KEY, "sine", "2", models["v2"])!r})
with open("models/sine-2.tflite", "r+b") as f:       # flash corruption after the install
    f.seek(100); f.write(b"\\xff\\xff")
model = store.load()
print(model.input().dtype, store.active, store.previous)
with open("models/sine-1.tflite", "wb") as f:
    f.write(b"garbage")
print(store.load(), store.active)
"""
    )
    assert out.splitlines() == ["int8 <model sine 1> <model sine 2>", "None <model sine 1>"]
    assert events(tmp_path).count("load-failed") == 3 and events(tmp_path)[-1] == "no-model"


def test_power_loss_halfway_through_an_install_leaves_the_old_model_active(
    natmod: Path, tmp_path: Path, models: dict[str, bytes]
) -> None:
    install_v1 = (
        f'store.install("sine", "1", chunks("incoming_v1.tflite"), {mac(KEY, "sine", "1", models["v1"])!r})'
    )
    interrupted = f"""
import sys, time
def cut_off(path):
    sent = 0
    for block in chunks(path):
        yield block
        sent += len(block)
        if sent > {len(models["v2"]) // 2}:
            print("halfway"); sys.stdout.flush() if hasattr(sys.stdout, "flush") else None
            time.sleep(30)               # the test pulls the plug here
store.install("sine", "2", cut_off("incoming_v2.tflite"), {mac(KEY, "sine", "2", models["v2"])!r})
"""
    env = micropython_env()
    (tmp_path / "first.py").write_text(PRELUDE + install_v1)
    subprocess.run([str(MICROPYTHON), "first.py"], cwd=tmp_path, env=env, check=True, timeout=60)
    (tmp_path / "second.py").write_text(PRELUDE + interrupted)
    process = subprocess.Popen([str(MICROPYTHON), "second.py"], cwd=tmp_path, env=env, stdout=subprocess.PIPE)
    try:
        assert process.stdout is not None
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready and process.stdout.readline() == b"halfway\n"
        assert (tmp_path / "models" / "sine-2.part").exists()
    finally:
        process.kill()  # no cleanup runs: as if power were lost
        process.wait()
    after_reboot = (
        "import os\nprint(store.active, sorted(os.listdir('models')))\nprint(store.load().input().dtype)\n"
    )
    (tmp_path / "third.py").write_text(PRELUDE + after_reboot)
    result = subprocess.run(
        [str(MICROPYTHON), "third.py"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.splitlines() == ["<model sine 1> ['manifest', 'sine-1.tflite']", "int8"], (
        result.stderr
    )
    assert "install-interrupted" in events(tmp_path)
