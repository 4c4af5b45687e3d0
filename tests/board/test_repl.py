"""The UART REPL served for mpremote: friendly and raw REPL, file commands, soft reset."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from support.board import mpremote, runner


def read_until(connection: socket.socket, marker: bytes, timeout: float = 10.0) -> bytes:
    received = b""
    deadline = time.monotonic() + timeout
    while marker not in received:
        connection.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = connection.recv(4096)
        if not chunk:
            break
        received += chunk
    assert marker in received, received
    return received


def test_friendly_repl_evaluates_expressions(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    with runner.serve(m4, tmp_path, "tcp") as served:
        port = int(served.device.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(b"\r")
            read_until(connection, b">>> ")
            connection.sendall(b"6 * 7\r")
            assert b"42\r\n>>> " in read_until(connection, b"42\r\n>>> ")
            connection.sendall(b"name = 'tiny' + 'ml'\r")
            read_until(connection, b">>> ")
            connection.sendall(b"print(name.upper())\r")
            assert b"TINYML\r\n>>> " in read_until(connection, b"TINYML\r\n>>> ")


def test_mpremote_exec_cp_ls_mkdir_rm_run(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    fs_dir = tmp_path / "fs"
    local = tmp_path / "local"
    local.mkdir()
    (local / "hello.py").write_text("print('hello', 40 + 2)\n")
    (local / "data.bin").write_bytes(bytes(range(256)) * 8)
    with runner.serve(m4, fs_dir, "tcp") as served:
        device = served.device
        assert mpremote(device, "exec", "print(2 ** 10)").stdout.strip() == "1024"
        mpremote(device, "mkdir", ":sub")
        mpremote(device, "cp", str(local / "hello.py"), ":sub/hello.py")
        mpremote(device, "cp", str(local / "data.bin"), ":data.bin")
        listing = mpremote(device, "ls", ":").stdout
        assert "2048 data.bin" in listing and "sub/" in listing
        assert "hello.py" in mpremote(device, "ls", ":sub").stdout
        mpremote(device, "cp", ":data.bin", str(local / "back.bin"))
        assert (local / "back.bin").read_bytes() == (local / "data.bin").read_bytes()
        assert mpremote(device, "exec", "exec(open('sub/hello.py').read())").stdout.strip() == "hello 42"
        assert mpremote(device, "run", str(local / "hello.py")).stdout.strip() == "hello 42"
        mpremote(device, "rm", ":sub/hello.py")
        mpremote(device, "rmdir", ":sub")
        assert "sub/" not in mpremote(device, "ls", ":").stdout
    assert runner.SemihostingDir(fs_dir).read("data.bin") == bytes(range(256)) * 8


def test_soft_reset_clears_the_interpreter(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    with runner.serve(m4, tmp_path, "tcp") as served:
        device = served.device
        mpremote(device, "exec", "kept = 1")
        # "resume" connects without mpremote's automatic soft reset.
        assert mpremote(device, "resume", "exec", "print('kept' in globals())").stdout.strip() == "True"
        result = mpremote(device, "resume", "soft-reset", "exec", "print('kept' in globals())")
        assert result.stdout.strip() == "False"


def test_raw_repl_over_a_pty(m4: object, m4_firmware: Path, tmp_path: Path) -> None:
    serial = pytest.importorskip("serial")
    with runner.serve(m4, tmp_path, "pty") as served:
        assert served.device.startswith("/dev/pts/")
        with serial.Serial(served.device, 115200, timeout=5) as port:
            port.write(b"\r\x01")  # Ctrl-A: raw REPL
            assert port.read_until(b"raw REPL; CTRL-B to exit\r\n>").endswith(b">")
            port.write(b"import board; print(board.name)\x04")
            assert port.read_until(b"\x04>") == b"OKmps2-an386\r\n\x04\x04>"
