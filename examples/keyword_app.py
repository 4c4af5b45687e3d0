"""A keyword-spotting product in one file: listen, detect "yes" / "no", sleep.

    MICROPYPATH=build/natmod/x64:device_lib .venv/bin/micropython examples/keyword_app.py
    python boards/qemu/run.py examples/keyword_app.py --fs DIR    # DIR holds the models and clips

Five recorded clips (silence, "yes", noise, "no", silence) stand in for a microphone:
ReplaySource streams them at 16 kHz in real time, and while it waits for the
next 20 ms of audio the CPU is in lightsleep. Every 20 ms window becomes a
row of 40 features (device_lib/audio_frontend.py); every 10 rows (200 ms)
the classifier sees the last 49 rows (about one second). Scores are
averaged over 3 inferences, a keyword must pass a threshold with hysteresis,
and a word is reported once (debounce). At the end: counters, inference
latency, time in each power state, average current and battery life.

Files are looked up in the directories given as arguments, then in
../shared/models and ../shared/data/micro_speech (run from the project
root), then in / (the emulated board's semihosting directory). --fast
replays without waiting (the unix port then finishes at once). The audit
log goes to keyword_app.log in the current directory.
"""

import sys

sys.path.append("device_lib")  # when run from the project root on the unix port

import model_info  # noqa: E402
import tinyml  # noqa: E402
from audio_frontend import HOP_SAMPLES, WINDOW_SAMPLES, AudioFrontend  # noqa: E402
from monitor import AuditLog  # noqa: E402
from pipeline import Pipeline  # noqa: E402
from postprocess import Debounce, Hysteresis, Scores, Smoother  # noqa: E402
from power import BOARD_CURRENTS, PowerAccount, PowerPolicy, board_name  # noqa: E402
from sources import Playlist, ReplaySource  # noqa: E402
from windows import RowStack, SlidingWindow  # noqa: E402

LABELS = ("silence", "unknown", "yes", "no")  # unless the model carries its own (tinyml-convert)
KEYWORDS = (2, 3)  # indices of "yes" and "no"
CLIPS = ("silence_1000ms.wav", "yes_1000ms.wav", "noise_1000ms.wav", "no_1000ms.wav", "silence_1000ms.wav")
SEARCH = ["../shared/models/", "../shared/data/micro_speech/", "/"]
ROWS_PER_INFERENCE = 10  # one inference every 200 ms of audio


def find(name: str) -> str:
    for directory in SEARCH:
        path = directory + name
        try:
            open(path, "rb").close()
            return path
        except OSError:
            pass
    raise OSError("not found: " + name)


class KeywordSpotter:
    """featurize and act for the Pipeline: feature rows in, keyword events out."""

    def __init__(self, classifier: object) -> None:
        self.frontend = AudioFrontend(find("audio_preprocessor_int8.tflite"))
        x = classifier.input()
        self.row_size = 40
        self.stack = RowStack(len(x) // self.row_size, self.row_size)  # 49 rows
        self.rows = 0
        self.labels = (model_info.labels(classifier) if classifier is not None else ()) or LABELS
        self.scores = Scores(classifier.output(), self.labels)
        self.smoother = Smoother(len(self.labels), frames=3)
        self.gate = Hysteresis(on=0.6, off=0.4)
        self.debounce = Debounce(frames=1, refractory=4)
        self.events = []

    def featurize(self, window: memoryview, slot: memoryview) -> bool:
        self.stack.push(self.frontend.features(window))
        self.rows += 1
        if not self.stack.full() or self.rows % ROWS_PER_INFERENCE:
            return False
        if slot is not None:  # None while no classifier is loaded
            slot[:] = self.stack.view
        return True

    def act(self, model: object) -> None:
        self.scores.update()
        smoothed = self.smoother.update(self.scores.values)
        best = KEYWORDS[0] if smoothed[KEYWORDS[0]] >= smoothed[KEYWORDS[1]] else KEYWORDS[1]
        heard = self.labels[best] if self.gate.update(smoothed[best]) else None
        event = self.debounce.update(heard)
        if event is not None:
            at_ms = self.rows * HOP_SAMPLES * 1000 // 16000
            self.events.append(event)
            print(f"{at_ms:5d} ms  heard {event!r} (score {smoothed[best]:.2f})")

    def fallback(self, error: Exception) -> None:
        print("no decision:", error)


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    for directory in reversed(args):
        SEARCH.insert(0, directory.rstrip("/") + "/")
    realtime = "--fast" not in sys.argv
    log = AuditLog("keyword_app.log", max_bytes=4096)
    log.append("start", board_name())
    try:
        classifier = tinyml.Model(find("micro_speech_quantized.tflite"))
    except Exception as e:  # noqa: BLE001 (any load failure: keep running, degraded)
        log.append("load-failed", repr(e))
        classifier = None
    spotter = KeywordSpotter(classifier)
    source = Playlist([ReplaySource(find(clip), realtime=realtime) for clip in CLIPS])
    window = SlidingWindow(WINDOW_SAMPLES, HOP_SAMPLES, "h")
    currents = BOARD_CURRENTS.get(board_name(), BOARD_CURRENTS["mps2-an386"])
    policy = PowerPolicy(PowerAccount(currents), sleep="lightsleep", min_sleep_us=2000)
    pipe = Pipeline(source, window, spotter.featurize, classifier, spotter.act, policy,
                    log=log, on_failure=spotter.fallback)  # fmt: skip
    pipe.run()
    log.append("heard", " ".join(spotter.events))
    print("heard:", " ".join(spotter.events) or "nothing")
    print(pipe.report())
    log.close()


main()
