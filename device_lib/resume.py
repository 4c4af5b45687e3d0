"""State that survives a deep sleep: saved before machine.deepsleep(), read back
after the reset it ends with.

    store = ResumeStore("/resume.state")            # a small file, or
    store = ResumeStore(rtc=machine.RTC())          # RTC memory (ESP32, ESP8266, ...)
    if store.woke_from_deepsleep():                  # machine.reset_cause() == DEEPSLEEP_RESET
        state = store.load()                         # the dict saved last, or None
    store.save({"counters": ...})                    # JSON-able dict

Format: one JSON line and a CRC-32 line. A file is written to a temporary
name and renamed into place, so a power loss leaves the previous state or
the new one, never a torn one; a state that fails its CRC is ignored (None).
Only a wake from deep sleep resumes: after a power-on or any other reset the
saved state is stale, and ResumeStore.load() is not consulted by Pipeline.
"""

import os

from digest import crc32
from minijson import json

try:
    import machine
except ImportError:
    machine = None


def _replace(src: str, dst: str) -> None:
    try:
        os.rename(src, dst)
    except OSError:  # FAT and littlefs refuse to rename over an existing file
        os.remove(dst)
        os.rename(src, dst)


class ResumeStore:
    """Where a Pipeline keeps what must survive a deep sleep (module docstring)."""

    def __init__(self, path: str = "/resume.state", rtc=None, machine_module=None) -> None:  # noqa: ANN001
        self.path = path
        self.rtc = rtc
        self.machine = machine_module if machine_module is not None else machine

    def woke_from_deepsleep(self) -> bool:
        """Whether this boot is a wake from deep sleep (False where reset_cause is missing)."""
        m = self.machine
        cause = getattr(m, "reset_cause", None)
        return cause is not None and cause() == getattr(m, "DEEPSLEEP_RESET", None)

    def _encode(self, state: dict) -> bytes:
        body = json.dumps(state).encode()
        return b"".join((body, b"\n", (f"{crc32(body):08x}\n").encode()))

    def save(self, state: dict) -> None:
        """Store `state` (JSON-able), replacing the previous one."""
        data = self._encode(state)
        if self.rtc is not None:
            self.rtc.memory(data)
            return
        tmp = self.path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(data)
        _replace(tmp, self.path)

    def load(self):  # noqa: ANN201 (dict | None)
        """The state saved last, or None (nothing saved, or it fails its CRC)."""
        if self.rtc is not None:
            data = bytes(self.rtc.memory())
        else:
            try:
                with open(self.path, "rb") as f:
                    data = f.read()
            except OSError:
                return None
        lines = data.split(b"\n")
        if len(lines) < 2:
            return None
        try:
            if int(lines[1], 16) != crc32(lines[0]):
                return None
            return json.loads(lines[0])
        except ValueError:
            return None

    def clear(self) -> None:
        """Forget the saved state."""
        if self.rtc is not None:
            self.rtc.memory(b"")
            return
        try:
            os.remove(self.path)
        except OSError:
            return  # nothing was saved
