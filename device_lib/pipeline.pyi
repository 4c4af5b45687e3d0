"""The application loop: sample -> features -> infer -> act -> sleep."""

from collections.abc import Callable
from typing import Protocol

from monitor import AuditLog, Counters, LatencyStats
from power import PowerAccount, PowerPolicy
from sources import Source
from tinyml import Model
from windows import SlidingWindow

class _Watchdog(Protocol):
    def feed(self) -> None: ...

class Pipeline:
    source: Source
    window: SlidingWindow
    model: Model | None
    policy: PowerPolicy
    account: PowerAccount
    batch: int
    counters: Counters
    latency: LatencyStats
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
    ) -> None: ...
    def run(self, max_windows: int | None = None, max_inferences: int | None = None) -> None: ...
    def report(self) -> str: ...
