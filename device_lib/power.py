"""Power policy and power accounting.

PowerAccount records how long the device spends in each state and, from a
per-board table of currents, the charge used: average current and battery
life follow. PowerPolicy decides how to wait (lightsleep, idle or a plain
busy sleep) and scales the clock (fast for inference, slow otherwise),
telling the account about every change.

    account = PowerAccount(BOARD_CURRENTS["rp2040"])
    policy = PowerPolicy(account, sleep="lightsleep", infer_hz=125_000_000, idle_hz=48_000_000)
    policy.wait(20_000)           # 20 ms asleep, accounted as "lightsleep"
    policy.boost(); ...; policy.relax()

States: "sample", "features", "infer", "act" run the CPU (current grows
with the clock), "idle" is WFI between interrupts, "lightsleep" and
"deepsleep" stop the clock (fixed current), "wake" is the boot and restore
after a deep sleep (at the run current, for the board's wake_us).

Deep sleep (PowerPolicy(deepsleep=True), with a Pipeline that has a
ResumeStore): a wait of at least deepsleep_min_us becomes machine.deepsleep.
The board wakes wake_us early, through a reset; the Pipeline restores its
state on the next boot. deepsleep_min_us is where deep sleep starts to pay:
a gap g costs g * I_sleep asleep the usual way, and (g - wake_us) * I_deep +
wake_us * I_run in deep sleep, so

    deepsleep_min_us = wake_us * (I_run - I_deep) / (I_sleep - I_deep)

with I_sleep the current of the configured wait (lightsleep or idle) and
I_run the current at the present clock.
"""

import time

try:
    import machine
except ImportError:
    machine = None

# Typical currents from the vendors' datasheets (MCU only, no radio, 3.3 V):
# run_ma = run_static_ma + run_ma_per_mhz * MHz; idle likewise; sleeps are fixed.
# wake_us: from the deep-sleep wake-up to the pipeline running again (boot,
# MicroPython start-up, imports and model load of a small application):
# estimates, measure yours (time.ticks_ms() at the resume counts from boot).
BOARD_CURRENTS = {
    # RP2040 datasheet 2.1, "Typical power consumption": ~21 mA at 125 MHz, sleep/dormant.
    "rp2040": {"run_static_ma": 1.0, "run_ma_per_mhz": 0.16, "idle_static_ma": 1.0, "idle_ma_per_mhz": 0.06,
               "lightsleep_ma": 1.3, "deepsleep_ma": 0.18, "wake_us": 300_000},
    # ESP32 datasheet 5.4: ~50 mA at 240 MHz without radio, light sleep 0.8 mA, deep sleep 10 uA.
    "esp32": {"run_static_ma": 13.0, "run_ma_per_mhz": 0.155,
              "idle_static_ma": 10.0, "idle_ma_per_mhz": 0.05, "lightsleep_ma": 0.8, "deepsleep_ma": 0.01,
              "wake_us": 400_000},
    # nRF52840 product spec 5.2: 52 uA/MHz from flash with DC/DC, System ON idle 1.5 uA, System OFF 0.4 uA.
    "nrf52840": {"run_static_ma": 0.0, "run_ma_per_mhz": 0.052,
                 "idle_static_ma": 0.0, "idle_ma_per_mhz": 0.002, "lightsleep_ma": 0.0015,
                 "deepsleep_ma": 0.0004, "wake_us": 250_000},
    # The emulated mps2-an386 draws nothing real: STM32F411-class Cortex-M4 figures stand in
    # (about 100 uA/MHz run, 40 uA/MHz sleep, Stop 0.04 mA, Standby 1.8 uA).
    "mps2-an386": {"run_static_ma": 0.5, "run_ma_per_mhz": 0.1,
                   "idle_static_ma": 0.3, "idle_ma_per_mhz": 0.04, "lightsleep_ma": 0.04,
                   "deepsleep_ma": 0.0018, "wake_us": 100_000},
}  # fmt: skip

STATES = ("sample", "features", "infer", "act", "idle", "lightsleep", "deepsleep", "wake")
_CLOCKED = ("sample", "features", "infer", "act", "wake")


def board_name() -> str:
    """This board's key in BOARD_CURRENTS, or sys.platform when it has none."""
    try:
        import board

        return board.name
    except ImportError:
        import sys

        return sys.platform


class PowerAccount:
    """Time (microseconds) and charge (milliamp-microseconds) per state."""

    def __init__(self, currents: dict, freq_hz: int = 25_000_000) -> None:
        self.currents = currents
        self.freq_hz = freq_hz
        self.time_us = {state: 0 for state in STATES}
        self.charge = {state: 0.0 for state in STATES}  # mA * us
        self.state = "sample"
        self._since = time.ticks_us()

    def current_ma(self, state: str) -> float:
        """Current drawn in `state` at the present clock."""
        c = self.currents
        mhz = self.freq_hz / 1_000_000
        if state in _CLOCKED:
            return c["run_static_ma"] + c["run_ma_per_mhz"] * mhz
        if state == "idle":
            return c["idle_static_ma"] + c["idle_ma_per_mhz"] * mhz
        return c[state + "_ma"]

    def enter(self, state: str) -> str:
        """Close the interval spent in the current state and switch; returns the old state."""
        now = time.ticks_us()
        self.add(self.state, time.ticks_diff(now, self._since))
        self._since = now
        previous = self.state
        self.state = state
        return previous

    def add(self, state: str, us: int) -> None:
        """Account `us` microseconds in `state` (e.g. a deep sleep, not measurable across its reset)."""
        self.time_us[state] += us
        self.charge[state] += us * self.current_ma(state)

    def resync(self) -> None:
        """Start the current interval now, leaving out the time since the last
        change (it was accounted otherwise, e.g. as deep sleep or before a reset)."""
        self._since = time.ticks_us()

    def totals(self) -> dict:
        """What must survive a deep sleep (JSON-able); see restore()."""
        return {"time_us": self.time_us, "charge": self.charge, "freq_hz": self.freq_hz}

    def restore(self, state: dict) -> None:
        """Continue the accounting saved by totals() (before a deep sleep)."""
        for name in STATES:
            self.time_us[name] = state["time_us"].get(name, 0)
            self.charge[name] = state["charge"].get(name, 0.0)
        self.freq_hz = state["freq_hz"]
        self.resync()

    def set_freq(self, hz: int) -> None:
        """The clock changes now: what was spent so far is charged at the old one."""
        self.enter(self.state)
        self.freq_hz = hz

    def total_us(self) -> int:
        """Microseconds accounted in all states."""
        return sum(self.time_us.values())

    def average_current_ma(self) -> float:
        """Charge over time: the mean current in mA."""
        total = self.total_us()
        return sum(self.charge.values()) / total if total else 0.0

    def battery_life_hours(self, capacity_mah: float) -> float:
        """Hours a battery of `capacity_mah` lasts at this average current."""
        current = self.average_current_ma()
        return capacity_mah / current if current else float("inf")

    def report(self, capacity_mah: float = 220.0) -> str:
        """Lines: time and share of each state, average current, battery life (default: a CR2032)."""
        self.enter(self.state)
        total = self.total_us() or 1
        lines = []
        for state in STATES:
            if self.time_us[state]:
                ms = self.time_us[state] / 1000
                lines.append(f"{state:10s} {ms:9.1f} ms {100 * self.time_us[state] / total:5.1f}%")
        lines.append(f"average current {self.average_current_ma():.3f} mA")
        lines.append(f"battery {capacity_mah:.0f} mAh: {self.battery_life_hours(capacity_mah):.1f} h")
        return "\n".join(lines)


class PowerPolicy:
    """How the device waits and how fast it runs.

    sleep: "lightsleep" (machine.lightsleep for waits of at least
    min_sleep_us), "idle" (machine.idle until the deadline: WFI, woken by
    the tick interrupt), or "busy" (time.sleep_us). Without the machine
    function (the unix port has no lightsleep) the wait falls back to
    time.sleep_us but is still accounted as the chosen state, so accounting
    code runs the same everywhere.
    infer_hz / idle_hz: machine.freq() during inference / otherwise (None: leave the clock).
    deepsleep: turn waits of at least deepsleep_min_us (the board's break-even,
    see the module docstring, or deepsleep_after_us) into machine.deepsleep,
    once a Pipeline with a ResumeStore has set save_state.
    """

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
    ) -> None:
        if sleep not in ("lightsleep", "idle", "busy"):
            raise ValueError("sleep must be lightsleep, idle or busy")
        if deepsleep and deepsleep_after_us is None and "wake_us" not in account.currents:
            raise ValueError("deep sleep needs the board's wake_us (BOARD_CURRENTS) or deepsleep_after_us")
        self.account = account
        self.sleep = sleep
        self.min_sleep_us = min_sleep_us
        self.infer_hz = infer_hz
        self.idle_hz = idle_hz
        self.machine = machine_module if machine_module is not None else machine
        self.sleeps = 0
        self.use_deepsleep = deepsleep
        self.deepsleep_after_us = deepsleep_after_us
        self.before_deepsleep = None  # callable(): finish pending work (Pipeline)
        self.save_state = None  # callable(ms): persist what must survive (Pipeline)
        self._min_for_freq = None
        self._min_us = None
        freq = getattr(self.machine, "freq", None)
        if freq is not None:
            account.freq_hz = freq()
        if idle_hz:
            self._set_freq(idle_hz)

    @property
    def deepsleep_min_us(self):  # noqa: ANN201 (int | None)
        """The shortest wait spent in deep sleep (None: deep sleep is off)."""
        if not self.use_deepsleep:
            return None
        if self.deepsleep_after_us is not None:
            return self.deepsleep_after_us
        account = self.account
        if self._min_for_freq == account.freq_hz:  # computed once per clock: no floats per wait
            return self._min_us
        self._min_for_freq = account.freq_hz
        self._min_us = self._break_even_us()
        return self._min_us

    def _break_even_us(self):  # noqa: ANN202 (int | None)
        account = self.account
        deep = account.current_ma("deepsleep")
        asleep = account.current_ma("lightsleep" if self.sleep == "lightsleep" else "idle")
        if self.sleep == "busy":
            asleep = account.current_ma("sample")
        if asleep <= deep:
            return None
        wake_us = account.currents["wake_us"]
        return int(wake_us * (account.current_ma("wake") - deep) / (asleep - deep))

    def _set_freq(self, hz: int) -> None:
        self.account.set_freq(hz)
        freq = getattr(self.machine, "freq", None)
        if freq is not None:
            freq(hz)

    def boost(self) -> None:
        """Raise the clock for inference (finish sooner, sleep longer)."""
        if self.infer_hz:
            self._set_freq(self.infer_hz)

    def relax(self) -> None:
        """Lower the clock again after inference."""
        if self.idle_hz:
            self._set_freq(self.idle_hz)

    def wait(self, us: int) -> None:
        """Spend `us` microseconds waiting the configured way (accounted); a
        wait long enough for deep sleep ends in a reset (see deepsleep_min_us)."""
        if us <= 0:
            return
        deadline = time.ticks_add(time.ticks_us(), us)
        m = self.machine
        threshold = self.deepsleep_min_us
        deep = threshold is not None and us >= threshold
        if deep and self.save_state is not None and hasattr(m, "deepsleep"):
            if self.before_deepsleep is not None:
                self.before_deepsleep()
            wake_us = self.account.currents.get("wake_us", 0)
            sleep_ms = (time.ticks_diff(deadline, time.ticks_us()) - wake_us) // 1000
            if sleep_ms > 0:
                self.deepsleep(sleep_ms)  # returns only where deepsleep does not reset
            us = time.ticks_diff(deadline, time.ticks_us())
            if us <= 0:
                return
        if self.sleep == "lightsleep" and us >= self.min_sleep_us:
            state = "lightsleep"
        elif self.sleep == "busy":
            state = self.account.state
        else:
            state = "idle"
        previous = self.account.enter(state)
        self.sleeps += 1
        if state == "lightsleep" and hasattr(m, "lightsleep"):
            m.lightsleep(us // 1000)
        elif state == "idle" and hasattr(m, "idle"):
            while time.ticks_diff(deadline, time.ticks_us()) > 0:
                m.idle()
        left = time.ticks_diff(deadline, time.ticks_us())
        if left > 0:
            time.sleep_us(left)
        self.account.enter(previous)

    def deepsleep(self, ms: int) -> None:
        """Account `ms` of deep sleep, save the state (save_state(ms), when set),
        then enter it: the board resets on waking."""
        self.account.enter(self.account.state)
        self.account.add("deepsleep", ms * 1000)
        self.sleeps += 1
        if self.save_state is not None:
            self.save_state(ms)
        if hasattr(self.machine, "deepsleep"):
            self.machine.deepsleep(ms)
        self.account.resync()  # a deepsleep that returned: its time is accounted already
