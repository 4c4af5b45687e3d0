"""The application loop: sample -> features -> infer -> act -> sleep."""

from collections.abc import Callable
from typing import Protocol

from drift import DriftDetector
from monitor import AuditLog, Counters, LatencyStats
from power import PowerAccount, PowerPolicy
from resume import ResumeStore
from sources import Source
from tinyml import Model
from windows import SlidingWindow

class _Watchdog(Protocol):
    def feed(self) -> None: ...

class _Persistent(Protocol):
    def state(self) -> object: ...
    def restore(self, state: object) -> None: ...

class Pipeline:
    source: Source
    window: SlidingWindow
    model: Model | None
    policy: PowerPolicy
    account: PowerAccount
    batch: int
    counters: Counters
    latency: LatencyStats
    drift: DriftDetector | None
    resume: ResumeStore | None
    keep: dict[str, _Persistent]
    resumed: bool
    def __init__(
        self,
        source: Source,
        window: SlidingWindow,
        featurize: Callable[[memoryview, memoryview | None], bool],
        model: Model | None,
        act: Callable[[Model], None],
        policy: PowerPolicy,
        batch: int = 1,
        log: AuditLog | None = None,
        on_failure: Callable[[Exception], None] | None = None,
        wdt: _Watchdog | None = None,
        drift: DriftDetector | None = None,
        resume: ResumeStore | None = None,
        keep: dict[str, _Persistent] | None = None,
    ) -> None:
        """drift: scores the model inputs (counters "drift-windows", "drifted").
        resume: where the state goes before a deep sleep and comes back from after
        it (restored here when reset_cause() is DEEPSLEEP_RESET); keep: objects
        whose state() is saved and restore()d with it. ValueError when the policy
        deep-sleeps without a resume store."""
    def save_state(self, ms: int) -> None:
        """Persist counters, latency, accounting, source, drift and keep (the policy calls it)."""
    def run(self, max_windows: int | None = None, max_inferences: int | None = None) -> None: ...
    def report(self) -> str: ...
