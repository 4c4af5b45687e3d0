"""Power policy (waiting, clock scaling) and accounting (time, charge, battery life)."""

from collections.abc import Callable
from typing import Final

BOARD_CURRENTS: dict[str, dict[str, float]]
STATES: Final[tuple[str, ...]]

def board_name() -> str: ...

class PowerAccount:
    currents: dict[str, float]
    freq_hz: int
    time_us: dict[str, int]
    charge: dict[str, float]
    state: str
    def __init__(self, currents: dict[str, float], freq_hz: int = 25_000_000) -> None: ...
    def current_ma(self, state: str) -> float: ...
    def enter(self, state: str) -> str: ...
    def add(self, state: str, us: int) -> None: ...
    def resync(self) -> None:
        """Start the current interval now without accounting the time since the last change."""
    def totals(self) -> dict[str, object]:
        """Time, charge and clock (JSON-able), to keep across a deep sleep."""
    def restore(self, state: dict[str, object]) -> None: ...
    def set_freq(self, hz: int) -> None: ...
    def total_us(self) -> int: ...
    def average_current_ma(self) -> float: ...
    def battery_life_hours(self, capacity_mah: float) -> float: ...
    def report(self, capacity_mah: float = 220.0) -> str: ...

class PowerPolicy:
    account: PowerAccount
    sleep: str
    min_sleep_us: int
    infer_hz: int | None
    idle_hz: int | None
    sleeps: int
    use_deepsleep: bool
    deepsleep_after_us: int | None
    before_deepsleep: Callable[[], None] | None
    save_state: Callable[[int], None] | None
    def __init__(
        self,
        account: PowerAccount,
        sleep: str = "lightsleep",
        min_sleep_us: int = 2000,
        infer_hz: int | None = None,
        idle_hz: int | None = None,
        machine_module: object = None,
        deepsleep: bool = False,
        deepsleep_after_us: int | None = None,
    ) -> None: ...
    @property
    def deepsleep_min_us(self) -> int | None:
        """Shortest wait spent in deep sleep: deepsleep_after_us, or the board's
        break-even wake_us * (I_run - I_deep) / (I_sleep - I_deep); None when off."""
    def boost(self) -> None: ...
    def relax(self) -> None: ...
    def wait(self, us: int) -> None: ...
    def deepsleep(self, ms: int) -> None:
        """Account ms of deep sleep, save_state(ms), machine.deepsleep(ms) (a reset)."""
