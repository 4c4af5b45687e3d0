"""micro_speech end to end under MicroPython (`import tinyml`, x64 native module).

One second of 16 kHz audio becomes 49 rows of 40 int8 features (TFLM's
audio preprocessor model, one 30 ms window every 20 ms, its noise estimate
carried from row to row) and micro_speech_quantized.tflite classifies them
as silence, unknown, yes or no. Every feature row and the four scores equal
TFLM's bytes; yes_1000ms.wav is "yes", no_1000ms.wav is "no", and silence
and noise are neither. examples/micro_speech.py prints those decisions.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED = PROJECT_ROOT.parent / "shared"
CLIPS = SHARED / "data" / "micro_speech"
PREPROCESSOR = SHARED / "models" / "audio_preprocessor_int8.tflite"
CLASSIFIER = SHARED / "models" / "micro_speech_quantized.tflite"
NATMOD_DIR = PROJECT_ROOT / "build" / "natmod" / "x64"
MICROPYTHON = Path(sys.executable).parent / "micropython"
LABELS = ("silence", "unknown", "yes", "no")
EXPECTED = {
    "yes_1000ms.wav": "yes",
    "no_1000ms.wav": "no",
    "silence_1000ms.wav": None,
    "noise_1000ms.wav": None,
}

# TFLM (pip tflite-micro): the same pipeline, for the reference bytes.
_TFLM_PIPELINE = r"""
import sys, wave
import numpy as np
from tflite_micro import runtime

pre_path, clf_path, wav_path, out_path = sys.argv[1:5]
with wave.open(wav_path) as w:
    audio = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.int16)
pre = runtime.Interpreter.from_bytes(open(pre_path, "rb").read(), arena_size=1 << 20)
rows = []
for start in range(0, len(audio) - 480 + 1, 320):
    pre.set_input(audio[start : start + 480].reshape(1, 480), 0)
    pre.invoke()
    rows.append(np.array(pre.get_output(0)).reshape(-1))
features = np.stack(rows[:49])
clf = runtime.Interpreter.from_bytes(open(clf_path, "rb").read(), arena_size=1 << 20)
clf.set_input(features.reshape(1, -1), 0)
clf.invoke()
np.savez(out_path, features=features, scores=np.array(clf.get_output(0)).reshape(-1))
"""

# Ours, under MicroPython: prints the feature rows and the raw int8 scores.
_OURS_PIPELINE = r"""
import sys
sys.path.append(sys.argv[4])
import tinyml
from audio_frontend import AudioFrontend, read_wav

pre_path, clf_path, wav_path = sys.argv[1:4]
rate, samples = read_wav(wav_path)
frontend = AudioFrontend(pre_path)
clf = tinyml.Model(clf_path)
x = clf.input().data
n = 0
for row in frontend.rows(samples):
    if n == 49:
        break
    print("row", list(row))
    x[n * 40 : (n + 1) * 40] = row
    n += 1
clf.invoke()
print("scores", list(clf.output().data))
"""


@pytest.fixture(scope="module")
def natmod() -> Path:
    proc = subprocess.run(
        ["make", "-C", str(PROJECT_ROOT / "micropython_module" / "natmod"), "ARCH=x64"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.fail(f"building the x64 native module failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    for path in (PREPROCESSOR, CLASSIFIER, *(CLIPS / name for name in EXPECTED)):
        if not path.exists():
            pytest.fail(f"{path} is missing (the shared data is always present in CI)")
    return NATMOD_DIR / "tinyml.mpy"


def micropython(*args: str) -> str:
    proc = subprocess.run(
        [str(MICROPYTHON), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
        env={**os.environ, "MICROPYPATH": str(NATMOD_DIR)},
    )
    assert proc.returncode == 0, f"{args}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc.stdout


def tflm_pipeline(clip: str) -> tuple[np.ndarray, np.ndarray]:
    with tempfile.TemporaryDirectory(prefix="tflm_speech_") as work:
        out = Path(work, "out.npz")
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                _TFLM_PIPELINE,
                str(PREPROCESSOR),
                str(CLASSIFIER),
                str(CLIPS / clip),
                str(out),
            ],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        with np.load(out) as result:
            return result["features"], result["scores"]


def our_pipeline(clip: str) -> tuple[np.ndarray, np.ndarray]:
    with tempfile.TemporaryDirectory(prefix="tml_speech_") as work:
        script = Path(work, "pipeline.py")
        script.write_text(_OURS_PIPELINE)
        out = micropython(
            str(script),
            str(PREPROCESSOR),
            str(CLASSIFIER),
            str(CLIPS / clip),
            str(PROJECT_ROOT / "device_lib"),
        )
    rows = [ast.literal_eval(line[4:]) for line in out.splitlines() if line.startswith("row ")]
    scores = [ast.literal_eval(line[7:]) for line in out.splitlines() if line.startswith("scores ")]
    return np.array(rows, np.int8), np.array(scores[0], np.int8)


@pytest.mark.parametrize("clip", sorted(EXPECTED))
def test_features_and_scores_equal_tflm(natmod: Path, clip: str) -> None:
    want_features, want_scores = tflm_pipeline(clip)
    features, scores = our_pipeline(clip)
    assert features.shape == (49, 40)
    for i in range(49):
        assert features[i].tobytes() == want_features[i].tobytes(), (
            f"{clip} row {i}: ours {features[i].tolist()}, TFLM {want_features[i].tolist()}"
        )
    assert scores.tobytes() == want_scores.tobytes(), (
        f"{clip}: ours {scores.tolist()}, TFLM {want_scores.tolist()}"
    )
    best = LABELS[int(np.argmax(scores))]
    if EXPECTED[clip] is None:
        assert best not in ("yes", "no"), f"{clip} classified as {best}: {scores.tolist()}"
    else:
        assert best == EXPECTED[clip], f"{clip} classified as {best}: {scores.tolist()}"


@pytest.mark.parametrize("clip", sorted(EXPECTED))
def test_example_application_prints_the_decision(natmod: Path, clip: str) -> None:
    out = micropython("examples/micro_speech.py", str(CLIPS / clip))
    decision = out.splitlines()[0]
    assert decision.startswith("decision: ")
    if EXPECTED[clip] is None:
        assert decision.split()[1] not in ("yes", "no"), out
    else:
        assert decision == f"decision: {EXPECTED[clip]}", out
    scores = dict(line.split() for line in out.splitlines()[1:])
    assert sorted(scores) == sorted(LABELS)
    assert abs(sum(float(s) for s in scores.values()) - 1.0) < 0.02
