"""State that survives a deep sleep: a small file or RTC memory, CRC-checked."""

from typing import Any, Protocol

class _RTC(Protocol):
    def memory(self, data: bytes = ...) -> bytes: ...

class ResumeStore:
    path: str
    rtc: _RTC | None
    def __init__(
        self, path: str = "/resume.state", rtc: _RTC | None = None, machine_module: object = None
    ) -> None: ...
    def woke_from_deepsleep(self) -> bool:
        """machine.reset_cause() == machine.DEEPSLEEP_RESET (False where reset_cause is missing)."""
    def save(self, state: dict[str, Any]) -> None:
        """JSON and a CRC-32, written to a temporary file and renamed (or to RTC memory)."""
    def load(self) -> dict[str, Any] | None:
        """The state saved last; None when there is none or it fails its CRC."""
    def clear(self) -> None: ...
