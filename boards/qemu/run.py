"""Run the tinyml MicroPython firmware on qemu-system-arm.

Two ways to use a board:

* run a script to completion: ``run_script(...)`` / ``python boards/qemu/run.py script.py``;
  the script's output comes back over the emulated UART and QEMU exits with the
  script's status (0, the ``SystemExit`` code, or 1 after an uncaught exception);
* serve the REPL: ``serve(...)`` / ``python boards/qemu/run.py --serve``; the UART is
  a TCP server (``socket://127.0.0.1:PORT``, usable by ``mpremote connect``) or a pty.

Files are shared through a *semihosting directory* (the guest's "/", see
``port/shfs.h``); ``SemihostingDir`` reads and writes it from the host side.
QEMU always runs with ``-icount shift=7,align=off,sleep=off``: one instruction is
128 ns of virtual time, so runs are deterministic and ``board.instructions()`` is
exact. QEMU is always killed when a run ends or times out.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
QEMU = "qemu-system-arm"
ICOUNT = "shift=7,align=off,sleep=off"
# The semihosting index file (port/shfs.h).
INDEX_NAME = "%index"


@dataclass(frozen=True)
class Board:
    """A board the firmware is built for and the QEMU machine emulating it."""

    name: str
    machine: str
    cpu_hz: int

    def firmware(self) -> Path:
        return PROJECT_ROOT / "build" / "firmware" / self.name / "firmware.elf"


BOARDS = {
    "mps2-an386": Board("mps2-an386", "mps2-an386", 25_000_000),
    "microbit": Board("microbit", "microbit", 16_000_000),
}


def host_name(guest_path: str) -> str:
    """Host file name, in the semihosting directory, of a guest path."""
    canonical = guest_path.strip("/")
    parts = canonical.split("/")
    if not canonical or any(part in ("", ".", "..") for part in parts):
        raise ValueError(f"not a canonical guest file path: {guest_path!r}")
    return canonical.replace("%", "%25").replace("/", "%2F")


class SemihostingDir:
    """The host side of the guest's file system: a flat directory plus an index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)

    def _index(self) -> list[tuple[str, str]]:
        index = self.path / INDEX_NAME
        if not index.exists():
            return []
        lines = index.read_text(encoding="utf-8").splitlines()
        return [(line[0], line[2:]) for line in lines if len(line) > 2 and line[0] in "df" and line[1] == " "]

    def _write_index(self, entries: list[tuple[str, str]]) -> None:
        text = "".join(f"{kind} {path}\n" for kind, path in entries)
        (self.path / INDEX_NAME).write_text(text, encoding="utf-8")

    def _add(self, kind: str, guest_path: str) -> None:
        entries = self._index()
        if (kind, guest_path) not in entries:
            entries.append((kind, guest_path))
            self._write_index(entries)

    def mkdir(self, guest_path: str) -> None:
        """Create a guest directory (and its parents)."""
        parts = guest_path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            self._add("d", "/".join(parts[:depth]))

    def write(self, guest_path: str, data: bytes) -> None:
        """Create or replace a guest file, listed in os.listdir()."""
        canonical = guest_path.strip("/")
        if "/" in canonical:
            self.mkdir(canonical.rsplit("/", 1)[0])
        (self.path / host_name(canonical)).write_bytes(data)
        self._add("f", canonical)

    def read(self, guest_path: str) -> bytes:
        return (self.path / host_name(guest_path)).read_bytes()

    def exists(self, guest_path: str) -> bool:
        return (self.path / host_name(guest_path)).exists()

    def listing(self) -> list[tuple[str, str]]:
        """Index entries as (kind "d"/"f", guest path without leading "/")."""
        return self._index()


def qemu_command(
    board: Board, serial: str, firmware: Path | None = None, script: str | None = None
) -> list[str]:
    semihosting = "enable=on,target=native"
    if script is not None:
        if " " in script or "," in script:
            raise ValueError(f"script names may not contain spaces or commas: {script!r}")
        semihosting += f",arg=firmware,arg={script}"
    return [
        QEMU,
        "-M", board.machine,
        "-display", "none",
        "-monitor", "none",
        "-serial", serial,
        "-semihosting-config", semihosting,
        "-icount", ICOUNT,
        # QEMU runs in the semihosting directory: the firmware path must be absolute.
        "-kernel", str((firmware or board.firmware()).resolve()),
    ]  # fmt: skip


def _kill(process: subprocess.Popen[bytes]) -> None:
    """Kill QEMU (its own process group) and reap it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


@dataclass(frozen=True)
class RunResult:
    exit_code: int
    output: str  # UART output, "\r\n" turned into "\n"


def run_script(
    board: Board,
    script: Path,
    fs_dir: Path | None = None,
    stdin: bytes = b"",
    timeout: float = 60.0,
    firmware: Path | None = None,
) -> RunResult:
    """Run a MicroPython script on the board until it ends; raise TimeoutError after timeout s.

    The script is copied into the semihosting directory (a temporary one
    unless fs_dir is given) unless it is already there.
    """
    with contextlib.ExitStack() as stack:
        if fs_dir is None:
            fs_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tinyml-shfs-")))
        fs_dir = fs_dir.resolve()
        script = script.resolve()
        if script.parent != fs_dir:
            shutil.copyfile(script, fs_dir / script.name)
        command = qemu_command(board, "stdio", firmware, script=script.name) + ["-no-reboot"]
        process = subprocess.Popen(
            command,
            cwd=fs_dir,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise TimeoutError(f"{script.name} did not finish within {timeout} s") from None
        finally:
            _kill(process)
        output = stdout.decode("utf-8", errors="replace").replace("\r\n", "\n")
        errors = stderr.decode("utf-8", errors="replace")
        # QEMU's own complaints are not part of the script's output.
        for line in errors.splitlines():
            if "icount sleep disabled" not in line and line.strip():
                output += f"[qemu] {line}\n"
        return RunResult(process.returncode, output)


def run_code(
    board: Board,
    code: str,
    fs_dir: Path | None = None,
    timeout: float = 60.0,
    firmware: Path | None = None,
) -> RunResult:
    """Run MicroPython source code (written to a script in the semihosting directory)."""
    with contextlib.ExitStack() as stack:
        if fs_dir is None:
            fs_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="tinyml-shfs-")))
        script = fs_dir / "_run_code.py"
        script.write_text(code, encoding="utf-8")
        try:
            return run_script(board, script, fs_dir, timeout=timeout, firmware=firmware)
        finally:
            script.unlink(missing_ok=True)


def _free_tcp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Served:
    device: str  # for mpremote connect: "socket://127.0.0.1:PORT" or "/dev/pts/N"
    fs_dir: Path
    process: subprocess.Popen[bytes]


@contextlib.contextmanager
def serve(
    board: Board,
    fs_dir: Path,
    transport: str = "tcp",
    port: int | None = None,
    firmware: Path | None = None,
    startup_timeout: float = 10.0,
) -> Iterator[Served]:
    """Run the board's REPL on a TCP server or a pty until the with-block ends."""
    fs_dir = fs_dir.resolve()
    fs_dir.mkdir(parents=True, exist_ok=True)
    if transport == "tcp":
        port = port or _free_tcp_port()
        serial = f"tcp:127.0.0.1:{port},server=on,wait=off"
    elif transport == "pty":
        serial = "pty"
    else:
        raise ValueError(f"transport must be tcp or pty, not {transport!r}")
    process = subprocess.Popen(
        qemu_command(board, serial, firmware),
        cwd=fs_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,  # where QEMU names the pty
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + startup_timeout
        if transport == "tcp":
            device = f"socket://127.0.0.1:{port}"
            _wait_for_listener(process, port, deadline)
        else:
            device = _read_pty_name(process, deadline)
        yield Served(device, fs_dir, process)
    finally:
        _kill(process)


def _wait_for_listener(process: subprocess.Popen[bytes], port: int, deadline: float) -> None:
    # QEMU opens the listening socket before the machine starts; probing it
    # with a connection would consume QEMU's one client slot, so look at
    # the kernel's table of listening sockets instead.
    pattern = re.compile(rf"^\s*\d+:\s+0100007F:{port:04X}\s+00000000:0000\s+0A\s", re.MULTILINE)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"QEMU exited with {process.returncode}")
        if pattern.search(Path("/proc/net/tcp").read_text()):
            return
        time.sleep(0.02)
    raise TimeoutError(f"QEMU did not listen on port {port}")


def _read_pty_name(process: subprocess.Popen[bytes], deadline: float) -> str:
    assert process.stdout is not None
    os.set_blocking(process.stdout.fileno(), False)
    text = b""
    while time.monotonic() < deadline:
        chunk = process.stdout.read()
        if chunk:
            text += chunk
            match = re.search(rb"char device redirected to (/dev/pts/\d+)", text)
            if match:
                return match.group(1).decode()
        if process.poll() is not None:
            raise RuntimeError(f"QEMU exited with {process.returncode}: {text.decode()}")
        time.sleep(0.02)
    raise TimeoutError("QEMU did not report its pty")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("script", nargs="?", type=Path, help="MicroPython script to run to completion")
    parser.add_argument("--board", choices=sorted(BOARDS), default="mps2-an386")
    parser.add_argument("--firmware", type=Path, help="firmware ELF (default: the build of BOARD)")
    parser.add_argument("--fs", type=Path, help="semihosting directory (default: a temporary one)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds before a script run is killed")
    parser.add_argument("--serve", choices=["tcp", "pty"], help="serve the REPL for mpremote instead")
    parser.add_argument("--port", type=int, help="TCP port for --serve tcp")
    args = parser.parse_args(argv)
    board = BOARDS[args.board]
    if args.serve:
        fs_dir = args.fs or Path(tempfile.mkdtemp(prefix="tinyml-shfs-"))
        with serve(board, fs_dir, args.serve, args.port, args.firmware) as served:
            print(f"{board.name}: mpremote connect {served.device}  (files in {served.fs_dir}; Ctrl-C ends)")
            with contextlib.suppress(KeyboardInterrupt):
                served.process.wait()
        return 0
    if args.script is None:
        parser.error("give a script, or --serve")
    stdin = b"" if sys.stdin.isatty() else sys.stdin.buffer.read()
    result = run_script(board, args.script, args.fs, stdin, args.timeout, args.firmware)
    sys.stdout.write(result.output)
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
