"""Deep sleep in the pipeline: state saved before machine.deepsleep, restored after
the reset it ends with (power.PowerPolicy(deepsleep=True), resume.ResumeStore).

The application (APP) reads a 50-frame burst every 10 s (sources.Periodic over a
replayed recording), runs the sine model on the burst's mean, and smooths the
outputs over 3 inferences. Between bursts the policy deep-sleeps: here the
process ends (an injected machine whose deepsleep() exits, as the reset does)
and the test starts it again, as the board would run main.py; test_board.py
runs the same application through real resets on the emulated board.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from devlib_support import run_micropython

BURSTS = 4
FRAMES = 50


def recording() -> bytes:
    """BURSTS bursts of FRAMES int16 samples; burst b hovers around 2000 * (b + 1)."""
    samples = [2000 * (b + 1) + int(300 * math.sin(i)) for b in range(BURSTS) for i in range(FRAMES)]
    return struct.pack(f"<{len(samples)}h", *samples)


APP = """
import tinyml
from array import array
from pipeline import Pipeline
from postprocess import Smoother
from power import BOARD_CURRENTS, PowerAccount, PowerPolicy
from resume import ResumeStore
from sources import Periodic, ReplaySource
from windows import SlidingWindow

model = tinyml.Model(ROOT + "sine.tflite")
smoother = Smoother(1, frames=3)
x = array("f", [0.0])

def featurize(window, slot):
    x[0] = sum(window) / len(window) / 4000   # 0.5 .. 2.0 rad
    model.input().quantize(x)
    return True

def act(m):
    smoother.update(m.output().dequantize())

policy = PowerPolicy(PowerAccount(BOARD_CURRENTS["mps2-an386"]), sleep="lightsleep",
                     machine_module=MACHINE, deepsleep=True)
source = Periodic(ReplaySource(ROOT + "burst.raw", rate=100, realtime=False), frames=50, period_ms=10_000)
pipe = Pipeline(source, SlidingWindow(50, 50, "h"), featurize, model, act, policy,
                resume=ResumeStore(ROOT + "pipe.state", machine_module=MACHINE), keep={"smoother": smoother})
print("boot", "resumed" if pipe.resumed else "fresh", pipe.counters["inferences"], policy.deepsleep_min_us)
pipe.run()

# The end of the recording: what the accounting and the smoother carried through every reset.
acc = policy.account
print("counters", pipe.counters["windows"], pipe.counters["inferences"], pipe.counters["deepsleeps"],
      pipe.counters["resumes"], pipe.latency.count)
print("deepsleep_ms", acc.time_us["deepsleep"] // 1000, "wake_ms", acc.time_us["wake"] // 1000)
expected = []
with open(ROOT + "burst.raw", "rb") as f:
    while True:
        window = array("h", f.read(100))
        if len(window) < 50:
            break
        expected.append(model.predict([sum(window) / len(window) / 4000])[0])
last = expected[-3:]
print("smoothed", abs(smoother.values[0] - sum(last) / len(last)) < 1e-6, smoother.values[0] > 0)
print(pipe.report())
"""

FAKE_MACHINE = """
import sys

class FakeMachine:
    # reset_cause() reads a flag file; deepsleep() sets it and ends the process (the reset).
    PWRON_RESET = 1
    DEEPSLEEP_RESET = 4
    def reset_cause(self):
        try:
            open("woke").close()
            return self.DEEPSLEEP_RESET
        except OSError:
            return self.PWRON_RESET
    def deepsleep(self, ms):
        with open("woke", "a") as f:
            f.write(str(ms) + "\\n")
        sys.exit(0)

MACHINE = FakeMachine()
ROOT = ""
"""


def check_final_report(out: str) -> None:
    lines = out.splitlines()
    counters = next(line for line in lines if line.startswith("counters"))
    # 4 windows, 4 inferences (and latencies), 4 deep sleeps (the last one before the
    # source found its end), each followed by a resume.
    assert counters.split()[1:] == ["4", "4", "4", "4", "4"], out
    sleep = next(line for line in lines if line.startswith("deepsleep_ms")).split()
    # Each sleep is the 10 s period less what the burst took and the board's 100 ms wake-up.
    assert 4 * 9_700 <= int(sleep[1]) <= 4 * 9_900, out
    assert sleep[3] == "400", out  # 4 wake-ups charged at wake_us = 100 ms
    assert "smoothed True True" in lines, out
    latency = next(line for line in lines if line.startswith("latency us")).replace(",", "").split()
    assert int(latency[latency.index("p50") + 1]) > 0, out  # the recent latencies survived too
    assert any(line.startswith("deepsleep ") for line in lines) and "wake " in out


def test_the_pipeline_resumes_after_each_deep_sleep_with_its_accounting(
    natmod: Path, tmp_path: Path, shared_models: Path
) -> None:
    (tmp_path / "sine.tflite").write_bytes((shared_models / "hello_world_int8.tflite").read_bytes())
    (tmp_path / "burst.raw").write_bytes(recording())
    (tmp_path / "pipe.state").write_bytes(b"stale state from an earlier power cycle")
    boots = []
    for _ in range(BURSTS + 2):
        result = run_micropython(FAKE_MACHINE + APP, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        boots.append(result.stdout)
        if "counters" in result.stdout:
            break
    assert len(boots) == BURSTS + 1
    # deepsleep_min_us: 100 ms * (3.0 - 0.0018) / (0.04 - 0.0018) mA at 25 MHz = 7.85 s.
    assert boots[0].splitlines()[0] == "boot fresh 0 7848691"
    assert [b.splitlines()[0].split()[:3] for b in boots[1:]] == [
        ["boot", "resumed", str(n)] for n in range(1, BURSTS + 1)
    ]
    slept = [int(ms) for ms in (tmp_path / "woke").read_text().split()]
    assert len(slept) == BURSTS and all(9_700 <= ms <= 9_900 for ms in slept)
    check_final_report(boots[-1])


def test_short_gaps_stay_in_lightsleep_and_other_resets_discard_the_state(
    mpy: Callable[[str], str], tmp_path: Path, shared_models: Path
) -> None:
    (tmp_path / "sine.tflite").write_bytes((shared_models / "hello_world_int8.tflite").read_bytes())
    (tmp_path / "burst.raw").write_bytes(recording()[: 2 * FRAMES * 2])
    # A power-on boot: the stale state is cleared, never restored; a 1 s period is
    # below the 7.85 s break-even, so the wait is a lightsleep and nothing is saved.
    (tmp_path / "pipe.state").write_bytes(b"{}\n00000000\n")
    app = (FAKE_MACHINE + APP).replace("period_ms=10_000", "period_ms=1_000")
    out = mpy(app)
    assert out.splitlines()[0] == "boot fresh 0 7848691"
    assert "counters 2 2 0 0 2" in out
    assert not (tmp_path / "pipe.state").exists() and not (tmp_path / "woke").exists()


def test_deep_sleep_without_a_resume_store_is_refused(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
from pipeline import Pipeline
from power import BOARD_CURRENTS, PowerAccount, PowerPolicy
from windows import SlidingWindow
class Source:
    rate, channels, typecode = 100, 1, "h"
policy = PowerPolicy(PowerAccount(BOARD_CURRENTS["rp2040"]), deepsleep=True)
try:
    Pipeline(Source(), SlidingWindow(4, 4), lambda w, s: True, None, lambda m: None, policy)
except ValueError as e:
    print(e)
try:
    PowerPolicy(PowerAccount({"lightsleep_ma": 1.0}), deepsleep=True)
except ValueError as e:
    print(e)
"""
    )
    assert out.splitlines() == [
        "deep sleep needs resume=ResumeStore(...) to keep the pipeline's state",
        "deep sleep needs the board's wake_us (BOARD_CURRENTS) or deepsleep_after_us",
    ]


@pytest.mark.parametrize("damage", ["torn", "bad crc"])
def test_a_damaged_state_is_not_restored(mpy: Callable[[str], str], damage: str) -> None:
    out = mpy(
        f"""
from resume import ResumeStore
store = ResumeStore("state")
store.save({{"counters": {{"inferences": 3}}}})
print(store.load())
data = open("state", "rb").read()
data = data[:-5] if {damage!r} == "torn" else data.replace(b"3", b"4")
open("state", "wb").write(data)
print(store.load())
"""
    )
    assert out.splitlines() == ["{'counters': {'inferences': 3}}", "None"]


def test_the_state_can_live_in_rtc_memory(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
from resume import ResumeStore
class RTC:   # machine.RTC().memory(): read with no argument, write with one
    data = b""
    def memory(self, data=None):
        if data is None:
            return self.data
        self.data = bytes(data)
rtc = RTC()
store = ResumeStore(rtc=rtc)
print(store.load())
store.save({"counters": {"deepsleeps": 2}, "keep": {"gate": {"active": True}}})
print(store.load(), len(rtc.data) < 100)
store.clear()
print(store.load(), rtc.data)
"""
    )
    assert out.splitlines() == [
        "None",
        "{'counters': {'deepsleeps': 2}, 'keep': {'gate': {'active': True}}} True",
        "None b''",
    ]
