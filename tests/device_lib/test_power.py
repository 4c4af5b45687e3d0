"""Power accounting (time and charge per state, average current, battery life)
and the power policy (how to wait, clock scaling) against a fake `machine`."""

from __future__ import annotations

from collections.abc import Callable

FAKE_MACHINE = """
import time
class FakeMachine:
    def __init__(self):
        self.calls = []
        self.hz = 48_000_000
    def freq(self, hz=None):
        if hz is None:
            return self.hz
        self.calls.append(("freq", hz)); self.hz = hz
    def lightsleep(self, ms):
        self.calls.append(("lightsleep", ms)); time.sleep_ms(ms)
    def idle(self):
        time.sleep_us(100)
"""


def test_average_current_and_battery_life_follow_the_board_table(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        from power import PowerAccount, BOARD_CURRENTS
        account = PowerAccount(BOARD_CURRENTS["rp2040"], freq_hz=125_000_000)
        account.add("infer", 10_000)          # 10 ms at 1.0 + 0.16 * 125 = 21 mA
        account.add("lightsleep", 990_000)    # 990 ms at 1.3 mA
        print(account.current_ma("infer"), account.time_us["lightsleep"])
        print(round(account.average_current_ma(), 4), round(account.battery_life_hours(1000), 1))
        account.set_freq(48_000_000)
        print(round(account.current_ma("act"), 2), account.current_ma("deepsleep"))
        """
    )
    infer_ma, _ = out.splitlines()[0].split()
    assert float(infer_ma) == 21.0
    average = (10 * 21.0 + 990 * 1.3) / 1000
    assert out.splitlines()[1] == f"{round(average, 4)} {round(1000 / average, 1)}"
    assert out.splitlines()[2] == "8.68 0.18"


def test_policy_sleeps_long_waits_and_scales_the_clock(mpy: Callable[[str], str]) -> None:
    out = mpy(
        FAKE_MACHINE
        + """
from power import PowerAccount, PowerPolicy, BOARD_CURRENTS
m = FakeMachine()
account = PowerAccount(BOARD_CURRENTS["rp2040"])
policy = PowerPolicy(account, sleep="lightsleep", min_sleep_us=5000,
                     infer_hz=125_000_000, idle_hz=18_000_000, machine_module=m)
policy.wait(20_000)      # long enough to lightsleep
policy.wait(1_000)       # too short: idle
policy.boost(); policy.relax()
print(m.calls)
print(account.time_us["lightsleep"] >= 20_000, 1_000 <= account.time_us["idle"] < 20_000)
print(account.state, account.freq_hz)
"""
    )
    calls, times, state = out.splitlines()
    assert calls == "[('freq', 18000000), ('lightsleep', 20), ('freq', 125000000), ('freq', 18000000)]"
    assert times == "True True"
    assert state == "sample 18000000"  # back in the state it was in before waiting


def test_report_lists_each_state_s_share(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        from power import PowerAccount, BOARD_CURRENTS
        account = PowerAccount(BOARD_CURRENTS["nrf52840"], freq_hz=64_000_000)
        account.time_us["sample"] = 0
        account.add("infer", 5_000)
        account.add("lightsleep", 95_000)
        print(account.report(capacity_mah=220))
        """
    )
    assert "infer" in out and "lightsleep" in out and "average current" in out and "battery 220 mAh" in out


def test_deep_sleep_is_accounted_before_the_board_goes_down(mpy: Callable[[str], str]) -> None:
    out = mpy(
        FAKE_MACHINE
        + """
from power import PowerAccount, PowerPolicy, BOARD_CURRENTS
m = FakeMachine()
m.deepsleep = lambda ms: m.calls.append(("deepsleep", ms))
account = PowerAccount(BOARD_CURRENTS["esp32"])
policy = PowerPolicy(account, machine_module=m)
policy.deepsleep(60_000)
print(m.calls, account.time_us["deepsleep"], account.charge["deepsleep"])
"""
    )
    assert out.strip() == "[('deepsleep', 60000)] 60000000 600000.0"  # 60 s at 10 uA, in mA*us
