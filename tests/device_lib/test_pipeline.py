"""The pipeline runs sample -> features -> infer -> act -> sleep, with batching,
clock scaling, watchdog feeding, failure fallback and its own accounting;
and examples/keyword_app.py, built on it, hears "yes" then "no"."""

from __future__ import annotations

import ast
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

from devlib_support import CLIPS, MICROPYTHON, PROJECT_ROOT, micropython_env

# micro_speech on one replayed clip: features from the audio front end, one
# inference every 10 rows once 49 are stacked. The script prints each decision.
KEYWORD_PIPELINE = """
import tinyml
from audio_frontend import AudioFrontend, WINDOW_SAMPLES, HOP_SAMPLES
from sources import ReplaySource, Playlist
from windows import SlidingWindow, RowStack
from postprocess import Scores
from power import PowerAccount, PowerPolicy, BOARD_CURRENTS
from pipeline import Pipeline
from monitor import AuditLog

class FakeMachine:
    def __init__(self): self.freqs = []
    def freq(self, hz=None):
        if hz is None: return 25_000_000
        self.freqs.append(hz)
class Dog:
    fed = 0
    def feed(self): Dog.fed += 1

frontend = AudioFrontend("{models}/audio_preprocessor_int8.tflite")
classifier = {classifier}
stack = RowStack(49, 40)
rows = [0]
def featurize(window, slot):
    stack.push(frontend.features(window))
    rows[0] += 1
    if not stack.full() or rows[0] % 10:
        return False
    if slot is not None:
        slot[:] = stack.view
    return True
decisions = []
def act(model):
    scores = Scores(model.output(), ("silence", "unknown", "yes", "no"))
    scores.update()
    decisions.append(scores.best()[0])
failures = []
machine = FakeMachine()
policy = PowerPolicy(PowerAccount(BOARD_CURRENTS["rp2040"]), sleep="lightsleep",
                     infer_hz=125_000_000, idle_hz=12_000_000, machine_module=machine)
source = Playlist([ReplaySource("{clips}/" + c, realtime={realtime})
                   for c in ("silence_1000ms.wav", "yes_1000ms.wav", "no_1000ms.wav")])
pipe = Pipeline(source, SlidingWindow(WINDOW_SAMPLES, HOP_SAMPLES), featurize, classifier, act, policy,
                batch={batch}, log=AuditLog("audit.log"), on_failure=failures.append, wdt=Dog())
pipe.run()
print(decisions)
print(pipe.counters["windows"], pipe.counters["inferences"], pipe.counters["failures"], Dog.fed >= 149)
print(len(failures), [type(f).__name__ for f in failures[:1]])
print(machine.freqs.count(125_000_000), machine.freqs.count(12_000_000))
acc = policy.account
print(acc.time_us["infer"] > 0, acc.time_us["features"] > 0, acc.time_us["lightsleep"] > 0)
print(pipe.report())
"""


def keyword_pipeline(
    shared_models: Path, batch: int, classifier: str | None = None, realtime: bool = False
) -> str:
    model = classifier or f'tinyml.Model("{shared_models}/micro_speech_quantized.tflite")'
    return KEYWORD_PIPELINE.format(
        models=shared_models, clips=CLIPS, batch=batch, classifier=model, realtime=realtime
    )


def test_stream_decisions_counters_and_clock_scaling(mpy: Callable[[str], str], shared_models: Path) -> None:
    out = mpy(keyword_pipeline(shared_models, batch=1)).splitlines()
    # 3 s of audio: 149 windows, 49 rows stacked at row 49, then one inference per 10 rows.
    assert out[1] == "149 10 0 True"  # windows, inferences, failures, watchdog fed every window
    decisions = ast.literal_eval(out[0])
    assert len(decisions) == 10 and "yes" in decisions[:6] and decisions[-1] == "no"
    assert out[2] == "0 []"
    # Clock: 12 MHz from the start, 125 MHz for each inference and back.
    assert out[3] == "10 11"
    assert out[4] == "True True False"  # replayed as fast as possible: never asleep
    assert "latency us: mean" in "\n".join(out[5:])


def test_batching_gives_the_same_decisions_with_fewer_clock_switches(
    mpy: Callable[[str], str], shared_models: Path
) -> None:
    single = mpy(keyword_pipeline(shared_models, batch=1)).splitlines()
    batched = mpy(keyword_pipeline(shared_models, batch=4)).splitlines()
    assert batched[0] == single[0]
    assert batched[1] == single[1]
    assert batched[3] == "3 4"  # 10 inferences in batches of 4, 4 and 2: 3 boosts


def test_realtime_replay_sleeps_between_windows(mpy: Callable[[str], str], shared_models: Path) -> None:
    out = mpy(keyword_pipeline(shared_models, batch=1, realtime=True)).splitlines()
    assert out[4] == "True True True"
    report = "\n".join(out[5:])
    sleep_share = float(re.search(r"lightsleep +[\d.]+ ms +([\d.]+)%", report).group(1))
    assert sleep_share > 80  # the CPU waits for audio far longer than it computes


def test_without_a_model_every_due_inference_takes_the_fallback(
    mpy: Callable[[str], str], shared_models: Path, tmp_path: Path
) -> None:
    out = mpy(keyword_pipeline(shared_models, batch=1, classifier="None")).splitlines()
    assert out[0] == "[]"
    assert out[1] == "149 0 10 True"
    assert out[2] == "10 ['RuntimeError']"  # the fallback ran when each inference was due
    assert (tmp_path / "audit.log").read_text().count("inference-failed RuntimeError") == 10


def test_a_failing_inference_is_counted_logged_and_the_loop_goes_on(
    mpy: Callable[[str], str], shared_models: Path, tmp_path: Path
) -> None:
    # A model wrapper whose 3rd invoke raises (as a corrupt arena or a kernel error would).
    flaky = f"""Flaky(tinyml.Model("{shared_models}/micro_speech_quantized.tflite"))"""
    script = keyword_pipeline(shared_models, batch=1, classifier=flaky).replace(
        "frontend = AudioFrontend",
        """class Flaky:
    def __init__(self, model): self.model = model; self.calls = 0
    def input(self, i=0): return self.model.input(i)
    def output(self, i=0): return self.model.output(i)
    def invoke(self):
        self.calls += 1
        if self.calls == 3:
            raise RuntimeError("kernel failed")
        self.model.invoke()
frontend = AudioFrontend""",
    )
    out = mpy(script).splitlines()
    assert out[1] == "149 9 1 True"
    assert out[2] == "1 ['RuntimeError']"
    log = (tmp_path / "audit.log").read_text()
    assert log.count("inference-failed RuntimeError") == 1 and "kernel failed" in log


def test_keyword_app_hears_yes_then_no_on_the_unix_port(
    natmod: Path, shared_models: Path, tmp_path: Path
) -> None:
    result = subprocess.run(
        [str(MICROPYTHON), str(PROJECT_ROOT / "examples" / "keyword_app.py"), "--fast",
         f"{shared_models}/", f"{CLIPS}/"],
        cwd=tmp_path, env=micropython_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "heard: yes no" in result.stdout
    assert "average current" in result.stdout and "battery" in result.stdout
    assert (tmp_path / "keyword_app.log").read_bytes().count(b"\n") == 2
