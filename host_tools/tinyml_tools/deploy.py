"""`tinyml deploy MODEL --port PORT`: put a model and its application on a MicroPython board.

With `mpremote` (the venv's, run as `python -m mpremote`):

1. ask the board what it runs: `sys.implementation._mpy` (the .mpy version and the
   native architecture) and whether `import tinyml` finds a module built into the
   firmware (a built-in module has no `__file__`);
2. without a built-in tinyml, install the native module of the board's
   architecture: `--natmod PATH`, else `build/natmod/<arch>/tinyml.mpy`, built
   with `make -C micropython_module/natmod ARCH=<arch>` if it is missing; its
   header must carry the board's .mpy version and architecture;
3. copy the model, `--labels` and the application files to the board's root,
   then check each file's size on the board;
4. `--run SCRIPT` runs a script on the board (its output streams back) or
   `--reset` hard-resets the board so that its main.py starts.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NATMOD_MAKE_DIR = PROJECT_ROOT / "micropython_module" / "natmod"
NATMOD_BUILD_DIR = PROJECT_ROOT / "build" / "natmod"
MPREMOTE_TIMEOUT_SECONDS = 600.0
# sys.implementation._mpy >> 10, as MicroPython numbers its native architectures (py/persistentcode.h).
MPY_ARCHES = [
    None, "x86", "x64", "armv6", "armv6m", "armv7m", "armv7em", "armv7emsp", "armv7emdp",
    "xtensa", "xtensawin", "rv32imc",
]  # fmt: skip
# Architectures `make natmods` builds.
NATMOD_ARCHES = ("x64", "armv6m", "armv7m", "armv7emsp", "armv7emdp")

PROBE = """
import sys
try:
    import tinyml
    where = getattr(tinyml, '__file__', None) or 'built-in'
except ImportError:
    where = None
print(repr((getattr(sys.implementation, '_mpy', 0), where, sys.platform)))
"""


class DeployError(Exception):
    """A problem to report to the user as one line, without a traceback."""


@dataclass(frozen=True)
class BoardInfo:
    mpy: int  # sys.implementation._mpy (0: the firmware cannot load native code)
    tinyml: str | None  # "built-in", the file it was imported from, or None
    platform: str

    @property
    def arch(self) -> str | None:
        index = self.mpy >> 10
        return MPY_ARCHES[index] if 0 <= index < len(MPY_ARCHES) else None

    @property
    def mpy_version(self) -> tuple[int, int]:
        return self.mpy & 0xFF, self.mpy >> 8 & 3


def mpy_header(data: bytes) -> tuple[tuple[int, int], str | None]:
    """(.mpy version, sub-version) and native architecture from a .mpy file's 4-byte header."""
    if len(data) < 4 or data[0] != ord("M"):
        raise DeployError("not a .mpy file (it does not start with 'M')")
    arch_index = data[2] >> 2
    arch = MPY_ARCHES[arch_index] if arch_index < len(MPY_ARCHES) else None
    return (data[1], data[2] & 3), arch


class Mpremote:
    """mpremote commands against one device; every call after the first keeps the board's state."""

    def __init__(self, port: str, echo: Callable[[str], None] = print) -> None:
        self.port = port
        self.echo = echo
        self._connected = False

    def run(self, *args: str, stream: bool = False) -> str:
        command = [sys.executable, "-m", "mpremote", "connect", self.port]
        # The first command soft-resets the board (mpremote's default); later ones resume.
        if self._connected:
            command.append("resume")
        command += list(args)
        try:
            if stream:
                result = subprocess.run(command, timeout=MPREMOTE_TIMEOUT_SECONDS, check=False)
                output = ""
            else:
                done = subprocess.run(
                    command, capture_output=True, text=True, timeout=MPREMOTE_TIMEOUT_SECONDS, check=False
                )
                result, output = done, done.stdout + done.stderr
        except subprocess.TimeoutExpired:
            raise DeployError(
                f"mpremote {args[0]} on {self.port} did not finish within {MPREMOTE_TIMEOUT_SECONDS:.0f} s"
            ) from None
        if result.returncode != 0 and stream and args[0] == "run":
            raise DeployError(f"{args[1]} ended with an exception on the board (traceback above)")
        if result.returncode != 0:
            lines = [line for line in output.splitlines() if line.strip()]
            reason = lines[-1] if lines else f"exit status {result.returncode}"
            if "failed to access" in output or "could not" in output.lower() or "no device" in output:
                raise DeployError(f"cannot reach a board on {self.port}: {reason}")
            raise DeployError(f"mpremote {args[0]} on {self.port} failed: {reason}")
        self._connected = True
        return output

    def exec(self, code: str) -> str:
        return self.run("exec", code)


def probe_board(remote: Mpremote) -> BoardInfo:
    output = remote.exec(PROBE)
    for line in reversed(output.splitlines()):
        if line.startswith("("):
            mpy, where, platform = ast.literal_eval(line)
            return BoardInfo(int(mpy), where, str(platform))
    raise DeployError(f"the board on {remote.port} did not answer the probe: {output.strip()[-300:]}")


def natmod_for(board: BoardInfo, natmod: Path | None, build: Callable[[str], None]) -> Path:
    """The tinyml.mpy to install on `board`: the one given, or the project's build for its architecture."""
    arch = board.arch
    if natmod is None:
        if board.mpy == 0 or arch is None:
            raise DeployError(
                f"the firmware on this board ({board.platform}) loads no native modules and has no "
                "built-in tinyml: flash a firmware with tinyml built in"
            )
        if arch not in NATMOD_ARCHES:
            raise DeployError(
                f"no tinyml.mpy is built for {arch} (made for {', '.join(NATMOD_ARCHES)}): use a "
                "firmware with tinyml built in, or give --natmod"
            )
        natmod = NATMOD_BUILD_DIR / arch / "tinyml.mpy"
        if not natmod.is_file():
            if not NATMOD_MAKE_DIR.is_dir():
                raise DeployError(f"{natmod} is missing and there are no sources to build it: give --natmod")
            build(arch)
    if not natmod.is_file():
        raise DeployError(f"native module not found: {natmod}")
    version, file_arch = mpy_header(natmod.read_bytes())
    if file_arch != arch:
        raise DeployError(f"{natmod} is for {file_arch}; the board runs {arch} native code")
    if version != board.mpy_version:
        raise DeployError(
            f"{natmod} is .mpy v{version[0]}.{version[1]}; the board's MicroPython loads "
            f"v{board.mpy_version[0]}.{board.mpy_version[1]}: build it against the board's MicroPython"
        )
    return natmod


def make_natmod(arch: str) -> None:
    command = ["make", "-C", str(NATMOD_MAKE_DIR), f"ARCH={arch}"]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise DeployError(f"building tinyml.mpy for {arch} failed: {(result.stdout + result.stderr)[-500:]}")


SIZES = """
import os
print(repr([os.stat(n)[6] for n in {names!r}]))
"""


def check_sizes(remote: Mpremote, files: list[tuple[Path, str]]) -> None:
    names = [remote_name for _, remote_name in files]
    output = remote.exec(SIZES.format(names=names))
    line = next((x for x in reversed(output.splitlines()) if x.startswith("[")), None)
    if line is None:
        raise DeployError(f"could not list the copied files on the board: {output.strip()[-300:]}")
    for (local, name), size in zip(files, ast.literal_eval(line), strict=True):
        if size != local.stat().st_size:
            raise DeployError(f"{name} on the board has {size} bytes; {local} has {local.stat().st_size}")


@dataclass(frozen=True)
class Deployment:
    board: BoardInfo
    natmod: Path | None  # the native module installed, None when tinyml is built in
    copied: list[str]  # names on the board


def deploy(
    port: str,
    model: Path,
    files: list[Path],
    labels: Path | None = None,
    natmod: Path | None = None,
    run: Path | None = None,
    reset: bool = False,
    say: Callable[[str], None] = print,
    quiet: bool = False,
) -> Deployment:
    """Copy everything to the board at `port`; raises DeployError on any problem."""
    for path in [model, *([labels] if labels else []), *files, *([run] if run else [])]:
        if not path.is_file():
            raise DeployError(f"file not found: {path}")
    if run is not None and reset:
        raise DeployError("give --run or --reset, not both")
    names = [p.name for p in [model, *([labels] if labels else []), *files]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise DeployError(f"two files would have the same name on the board: {', '.join(duplicates)}")

    from tqdm import tqdm

    remote = Mpremote(port)
    board = probe_board(remote)
    say(f"board: {board.platform}, native code {board.arch or 'none'}, tinyml {board.tinyml or 'absent'}")
    uploads: list[tuple[Path, str]] = []
    installed = None
    if board.tinyml != "built-in":

        def build(arch: str) -> None:
            say(f"building tinyml.mpy for {arch} (make -C micropython_module/natmod ARCH={arch})")
            make_natmod(arch)

        installed = natmod_for(board, natmod, build)
        say(f"installing {installed} (the firmware has no built-in tinyml)")
        uploads.append((installed, "tinyml.mpy"))
    uploads += [(p, p.name) for p in [model, *([labels] if labels else []), *files]]
    total = sum(p.stat().st_size for p, _ in uploads)
    with tqdm(total=total, unit="B", unit_scale=True, desc="copying", disable=quiet, leave=False) as bar:
        for local, name in uploads:
            bar.set_postfix_str(name)
            remote.run("cp", str(local), f":{name}")
            bar.update(local.stat().st_size)
    check_sizes(remote, uploads)
    say("copied " + ", ".join(f"{name} ({local.stat().st_size} B)" for local, name in uploads))
    if run is not None:
        say(f"running {run} on the board")
        remote.run("run", str(run), stream=True)
    elif reset:
        remote.run("reset")
        say("board reset")
    return Deployment(board, installed, [name for _, name in uploads])
