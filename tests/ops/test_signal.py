"""TFLM's audio "signal" operators: our kernels produce exactly TFLM's bytes.

The main subject is ../shared/models/audio_preprocessor_int8.tflite, which
turns 30 ms of 16 kHz audio (int16[480]) into the 40 int8 features
micro_speech's classifier reads, through SignalWindow, SignalFftAutoScale,
SignalRfft, SignalEnergy, SignalFilterBank, SignalFilterBankSquareRoot,
SignalFilterBankSpectralSubtraction (a noise estimate carried from one
invoke to the next), SignalPCAN and SignalFilterBankLog, plus CAST,
STRIDED_SLICE, CONCATENATION, MUL, ADD, DIV, MINIMUM and MAXIMUM on int32.

- every 30 ms window of the shared clips (20 ms hop) and seeded random
  audio, each from a fresh state: output bytes equal TFLM's (host runner);
- whole clips as one stream, state carried across invokes, then reset() and
  the same stream again: every row equals TFLM's (`import tinyml` under the
  unix port, against TFLM's interpreter run the same way);
- single-operator models for the operators TFLM can run alone, on inputs
  that reach their extremes (full-scale and all-zero frames, every FFT size);
- options that are missing, out of range or malformed are refused with a
  message naming them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

import flatbuffers
import numpy as np
import pytest
from flatbuffers import flexbuffers
from support.engine import PROJECT_ROOT, EngineError, tinyml_run
from support.modelgen import FILE_IDENTIFIER, TensorSpec, single_op_model
from support.oracle import tflm_run_many
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

SHARED = PROJECT_ROOT.parent / "shared"
PREPROCESSOR = SHARED / "models" / "audio_preprocessor_int8.tflite"
CLIPS = sorted((SHARED / "data" / "micro_speech").glob("*.wav"))
WINDOW = 480  # 30 ms at 16 kHz
HOP = 320  # 20 ms
NATMOD_DIR = PROJECT_ROOT / "build" / "natmod" / "x64"
MICROPYTHON = Path(sys.executable).parent / "micropython"


def read_clip(path: Path) -> np.ndarray:
    with wave.open(str(path)) as w:
        assert (w.getframerate(), w.getnchannels(), w.getsampwidth()) == (16000, 1, 2), path
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.int16)


def windows(samples: np.ndarray) -> list[np.ndarray]:
    """The 30 ms windows of a clip, 20 ms apart, as the model's (1, 480) input."""
    return [
        samples[start : start + WINDOW].reshape(1, WINDOW).copy()
        for start in range(0, len(samples) - WINDOW + 1, HOP)
    ]


def random_audio(seed: int, count: int) -> list[np.ndarray]:
    """Windows of seeded random audio: full scale, quiet, and in between."""
    rng = np.random.default_rng(seed)
    amplitudes = [32767, 30, 3000, 12000]
    return [
        rng.integers(-amplitudes[i % 4] - 1, amplitudes[i % 4], (1, WINDOW), endpoint=True).astype(np.int16)
        for i in range(count)
    ]


def extreme_windows() -> list[np.ndarray]:
    """Silence, DC at both rails, and a full-scale square wave."""
    square = np.where(np.arange(WINDOW) % 16 < 8, 32767, -32768).astype(np.int16)
    return [
        np.zeros((1, WINDOW), np.int16),
        np.full((1, WINDOW), -32768, np.int16),
        np.full((1, WINDOW), 32767, np.int16),
        square.reshape(1, WINDOW),
    ]


@pytest.fixture(scope="module")
def preprocessor() -> bytes:
    if not PREPROCESSOR.exists():
        pytest.fail(f"{PREPROCESSOR} is missing (the shared models are always present in CI)")
    return PREPROCESSOR.read_bytes()


def assert_same(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape, f"{what}: {got.dtype}{got.shape}"
    if got.tobytes() != want.tobytes():
        diff = np.flatnonzero(got.reshape(-1) != want.reshape(-1))
        pytest.fail(
            f"{what}: {diff.size} of {got.size} elements differ, first at {diff[0]}: "
            f"ours {got.reshape(-1)[diff[0]]}, TFLM {want.reshape(-1)[diff[0]]}"
        )


# ---- the preprocessor, one window at a time ---------------------------------


def test_clips_are_present() -> None:
    assert {p.name for p in CLIPS} >= {
        "yes_1000ms.wav",
        "no_1000ms.wav",
        "silence_1000ms.wav",
        "noise_1000ms.wav",
    }


@pytest.mark.parametrize("clip", [p.name for p in CLIPS])
def test_preprocessor_window_by_window_matches_tflm(preprocessor: bytes, clip: str) -> None:
    """Each window from a fresh state (TFLM resets between them, our runner
    starts a new process for each)."""
    frames = windows(read_clip(SHARED / "data" / "micro_speech" / clip))
    expected = tflm_run_many(preprocessor, [[x] for x in frames])
    for i, (x, want) in enumerate(zip(frames, expected, strict=True)):
        assert_same(tinyml_run(preprocessor, [x])[0], want[0], f"{clip} window {i}")


def test_preprocessor_random_and_extreme_audio_matches_tflm(preprocessor: bytes) -> None:
    frames = random_audio(seed=7, count=24) + extreme_windows()
    expected = tflm_run_many(preprocessor, [[x] for x in frames])
    for i, (x, want) in enumerate(zip(frames, expected, strict=True)):
        assert_same(tinyml_run(preprocessor, [x])[0], want[0], f"window {i}")


# ---- the preprocessor as a stream: state across invokes, and reset() ---------

_TFLM_STREAM = r"""
import sys
import numpy as np
from tflite_micro import runtime

model, frames_path, out_path = sys.argv[1:4]
frames = np.load(frames_path)
ip = runtime.Interpreter.from_bytes(open(model, "rb").read(), arena_size=1 << 20)
rows = []
for x in frames:
    ip.set_input(x.reshape(1, -1), 0)
    ip.invoke()
    rows.append(np.array(ip.get_output(0)).reshape(-1))
np.save(out_path, np.stack(rows))
"""

# Runs under MicroPython: the stream, then reset() and the same stream again.
_OURS_STREAM = r"""
import sys
import tinyml

model_path, frames_path, window = sys.argv[1], sys.argv[2], int(sys.argv[3])
m = tinyml.Model(model_path)
with open(frames_path, "rb") as f:
    audio = f.read()
x = m.input()
y = m.output()
step = 2 * window
for run in range(2):
    if run:
        m.reset()
    for start in range(0, len(audio), step):
        x.data = audio[start : start + step]
        m.invoke()
        print(run, list(y.data))
"""


def tflm_stream(model: Path, frames: list[np.ndarray]) -> np.ndarray:
    """TFLM's output rows for consecutive invokes (no reset in between)."""
    with tempfile.TemporaryDirectory(prefix="tflm_stream_") as work:
        np.save(Path(work, "frames.npy"), np.stack(frames))
        out = Path(work, "rows.npy")
        proc = subprocess.run(
            [sys.executable, "-c", _TFLM_STREAM, str(model), str(Path(work, "frames.npy")), str(out)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        return np.load(out)


@pytest.fixture(scope="module")
def natmod() -> Path:
    proc = subprocess.run(
        ["make", "-C", str(PROJECT_ROOT / "micropython_module" / "natmod"), "ARCH=x64"],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.fail(f"building the x64 native module failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return NATMOD_DIR / "tinyml.mpy"


def tinyml_stream(model: Path, frames: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Our rows for the stream, then for the stream again after reset()."""
    with tempfile.TemporaryDirectory(prefix="tml_stream_") as work:
        audio = Path(work, "frames.bin")
        audio.write_bytes(np.stack(frames).astype("<i2").tobytes())
        script = Path(work, "stream.py")
        script.write_text(_OURS_STREAM)
        proc = subprocess.run(
            [str(MICROPYTHON), str(script), str(model), str(audio), str(WINDOW)],
            capture_output=True,
            text=True,
            timeout=300,
            env={**os.environ, "MICROPYPATH": str(NATMOD_DIR)},
        )
        assert proc.returncode == 0, f"{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    runs: list[list[list[int]]] = [[], []]
    for line in proc.stdout.splitlines():
        run, _, row = line.partition(" ")
        runs[int(run)].append(json.loads(row))
    return np.array(runs[0], np.int8), np.array(runs[1], np.int8)


@pytest.mark.parametrize("clip", ["yes_1000ms.wav", "noise_1000ms.wav", "random"])
def test_preprocessor_stream_carries_state_like_tflm(natmod: Path, clip: str) -> None:
    frames = (
        random_audio(seed=11, count=30)
        if clip == "random"
        else windows(read_clip(SHARED / "data" / "micro_speech" / clip))
    )
    want = tflm_stream(PREPROCESSOR, frames)
    first, after_reset = tinyml_stream(PREPROCESSOR, frames)
    for i in range(len(frames)):
        assert_same(first[i], want[i], f"{clip} row {i}")
        assert_same(after_reset[i], want[i], f"{clip} row {i} after reset()")
    # The state matters: rows after the first differ from fresh-state rows.
    fresh = tflm_run_many(PREPROCESSOR.read_bytes(), [[x] for x in frames[-3:]])
    assert any(f[0].tobytes() != w.tobytes() for f, w in zip(fresh, want[-3:], strict=True))


# ---- single operators ---------------------------------------------------------


def custom_op_model(code: str, inputs: list[TensorSpec], outputs: list[TensorSpec], options: dict) -> bytes:
    """A one-operator model of custom operator `code` with FlexBuffers options
    (written as TFLM's signal library writes them)."""
    base = schema.ModelT.InitFromObj(schema.Model.GetRootAs(single_op_model("CUSTOM", inputs, outputs), 0))
    base.operatorCodes[0].customCode = code
    base.subgraphs[0].operators[0].customOptions = list(flexbuffers.Dumps(options))
    builder = flatbuffers.Builder(1024)
    builder.Finish(base.Pack(builder), file_identifier=FILE_IDENTIFIER)
    return bytes(builder.Output())


def assert_matches_tflm(
    model: bytes, input_sets: list[list[np.ndarray]], defined: slice = slice(None)
) -> None:
    """Every output equals TFLM's on every input set (within `defined` along the last axis)."""
    expected = tflm_run_many(model, input_sets)
    for s, (inputs, want) in enumerate(zip(input_sets, expected, strict=True)):
        got = tinyml_run(model, inputs)
        for o, (g, e) in enumerate(zip(got, want, strict=True)):
            if g.ndim:
                g, e = g[..., defined], e[..., defined]
            assert_same(g, e, f"input set {s} output {o}")


def int16_frames(seed: int, shape: tuple[int, ...], count: int) -> list[list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    sets = [[rng.integers(-32768, 32767, shape, endpoint=True).astype(np.int16)] for _ in range(count)]
    sets.append([np.zeros(shape, np.int16)])
    sets.append([np.full(shape, -32768, np.int16)])
    return sets


@pytest.mark.parametrize("shift", [0, 12, 15])
def test_window(shift: int) -> None:
    weights = np.random.default_rng(shift).integers(-32768, 32767, 64, endpoint=True).astype(np.int16)
    model = custom_op_model(
        "SignalWindow",
        [TensorSpec((2, 64), "int16"), TensorSpec((64,), "int16", data=weights)],
        [TensorSpec((2, 64), "int16")],
        {"shift": shift},
    )
    assert_matches_tflm(model, int16_frames(shift, (2, 64), 4))


def test_fft_auto_scale() -> None:
    model = custom_op_model(
        "SignalFftAutoScale",
        [TensorSpec((96,), "int16")],
        [TensorSpec((96,), "int16"), TensorSpec((), "int32")],
        {},
    )
    rng = np.random.default_rng(3)
    quiet = [[rng.integers(-a, a, 96, endpoint=True).astype(np.int16)] for a in (1, 2, 100, 16383, 16384)]
    assert_matches_tflm(model, int16_frames(3, (96,), 2) + quiet + [[np.full(96, 32767, np.int16)]])


@pytest.mark.parametrize("fft_length", [4, 8, 16, 32, 64, 128, 256, 512, 1024])
def test_rfft_every_power_of_two(fft_length: int) -> None:
    frame = fft_length - fft_length // 8  # zero-padded to fft_length
    model = custom_op_model(
        "SignalRfft",
        [TensorSpec((2, frame), "int16")],
        [TensorSpec((2, fft_length + 2), "int16")],
        {"T": 7, "fft_length": fft_length},
    )
    assert_matches_tflm(model, int16_frames(fft_length, (2, frame), 3))


def test_rfft_refuses_lengths_it_does_not_implement() -> None:
    model = custom_op_model(
        "SignalRfft",
        [TensorSpec((480,), "int16")],
        [TensorSpec((482,), "int16")],
        {"T": 7, "fft_length": 480},
    )
    with pytest.raises(EngineError, match="fft_length 480 is not a power of two"):
        tinyml_run(model, [np.zeros(480, np.int16)])


def test_energy_over_its_index_range() -> None:
    model = custom_op_model(
        "SignalEnergy",
        [TensorSpec((130,), "int16")],
        [TensorSpec((65,), "uint32")],
        {"end_index": 60, "start_index": 3},
    )
    # Only [start, end) is defined (TFLM leaves the rest unwritten).
    assert_matches_tflm(model, int16_frames(5, (130,), 3), defined=slice(3, 60))


def test_filter_bank_square_root() -> None:
    model = custom_op_model(
        "SignalFilterBankSquareRoot",
        [TensorSpec((12,), "uint64"), TensorSpec((), "int32")],
        [TensorSpec((12,), "uint32")],
        {},
    )
    values = np.array(
        [0, 1, 2, 3, 2**32 - 1, 2**32, 2**32 + 1, 2**62, 2**64 - 1, 65535**2, 65535**2 + 65535, 12345678901],
        np.uint64,
    )
    sets = [[values, np.array(shift, np.int32)] for shift in (0, 1, 7, 14)]
    assert_matches_tflm(model, sets)


def test_pcan(preprocessor: bytes) -> None:
    lut = gain_lut(preprocessor)
    model = custom_op_model(
        "SignalPCAN",
        [TensorSpec((40,), "uint32"), TensorSpec((40,), "uint32"), TensorSpec((125,), "int16", data=lut)],
        [TensorSpec((40,), "uint32")],
        {"snr_shift": 6},
    )
    rng = np.random.default_rng(9)
    sets = []
    for bits in (3, 12, 20, 32):
        signal = rng.integers(0, 2**bits, 40, dtype=np.uint64).astype(np.uint32)
        noise = rng.integers(0, 2**bits, 40, dtype=np.uint64).astype(np.uint32)
        noise[:3] = [0, 1, 2]
        sets.append([signal, noise])
    assert_matches_tflm(model, sets)


def gain_lut(preprocessor: bytes) -> np.ndarray:
    """The PCAN gain table of the shared preprocessor (its only 125-entry int16 constant)."""
    m = schema.ModelT.InitFromObj(schema.Model.GetRootAs(preprocessor, 0))
    for t in m.subgraphs[0].tensors:
        if t.type == schema.TensorType.INT16 and list(t.shape) == [125]:
            return np.frombuffer(bytes(m.buffers[t.buffer].data), "<i2").astype(np.int16)
    raise AssertionError("no gain table in the preprocessor")


@pytest.mark.parametrize("correction_bits,output_scale", [(3, 64), (0, 1600), (8, 1)])
def test_filter_bank_log(correction_bits: int, output_scale: int) -> None:
    model = custom_op_model(
        "SignalFilterBankLog",
        [TensorSpec((64,), "uint32")],
        [TensorSpec((64,), "int16")],
        {"input_correction_bits": correction_bits, "output_scale": output_scale},
    )
    rng = np.random.default_rng(correction_bits)
    sets = []
    for bits in (2, 10, 24, 32):
        x = rng.integers(0, 2**bits, 64, dtype=np.uint64).astype(np.uint32)
        x[:4] = [0, 1, 2, 3]
        sets.append([x])
    assert_matches_tflm(model, sets)


def test_spectral_subtraction_from_fresh_state() -> None:
    model = custom_op_model(
        "SignalFilterBankSpectralSubtraction",
        [TensorSpec((8,), "uint32")],
        [TensorSpec((8,), "uint32"), TensorSpec((8,), "uint32")],
        {
            "alternate_one_minus_smoothing": 15000,
            "alternate_smoothing": 1384,
            "clamping": True,
            "min_signal_remaining": 655,
            "num_channels": 8,
            "one_minus_smoothing": 15565,
            "smoothing": 819,
            "smoothing_bits": 10,
            "spectral_subtraction_bits": 14,
        },
    )
    rng = np.random.default_rng(2)
    sets = [[rng.integers(0, 2**bits, 8, dtype=np.uint64).astype(np.uint32)] for bits in (4, 16, 22, 32)]
    assert_matches_tflm(model, sets)


# ---- refusals ------------------------------------------------------------------


def window_model(options: dict | bytes) -> bytes:
    model = custom_op_model(
        "SignalWindow",
        [TensorSpec((8,), "int16"), TensorSpec((8,), "int16", data=np.ones(8, np.int16))],
        [TensorSpec((8,), "int16")],
        options if isinstance(options, dict) else {"shift": 1},
    )
    if isinstance(options, bytes):  # replace the options' bytes, keeping their length
        good = bytes(flexbuffers.Dumps({"shift": 1}))
        assert len(options) == len(good)
        model = model.replace(good, options)
    return model


@pytest.mark.parametrize(
    "options,message",
    [
        ({}, "custom option 'shift' is missing"),
        ({"shift": 40}, r"custom option 'shift' is 40, must be in \[0, 31\]"),
        ({"shift": "twelve"}, "custom option 'shift' is not an integer"),
        (b"\xff" * 16, "custom options are missing or not a FlexBuffers map"),
        (bytes(flexbuffers.Dumps({"shift": 1}))[:-3] + b"\x7f\x24\x01", "not a FlexBuffers map"),
    ],
)
def test_bad_options_are_refused_by_name(options: dict | bytes, message: str) -> None:
    with pytest.raises(EngineError, match=message):
        tinyml_run(window_model(options), [np.zeros(8, np.int16)])


def test_filter_bank_tables_that_reach_past_the_spectrum_are_refused(preprocessor: bytes) -> None:
    """A channel whose bins run past the input would make TFLM read out of bounds."""
    widths = np.full(5, 4, np.int16)
    model = custom_op_model(
        "SignalFilterBank",
        [
            TensorSpec((16,), "uint32"),
            TensorSpec((20,), "int16", data=np.ones(20, np.int16)),
            TensorSpec((20,), "int16", data=np.ones(20, np.int16)),
            TensorSpec((5,), "int16", data=np.array([0, 4, 8, 12, 14], np.int16)),
            TensorSpec((5,), "int16", data=np.array([0, 4, 8, 12, 16], np.int16)),
            TensorSpec((5,), "int16", data=widths),
        ],
        [TensorSpec((4,), "uint64")],
        {"num_channels": 4},
    )
    with pytest.raises(EngineError, match=r"channel 4 \(bins 14 \+ 4.*past the 16 input bins"):
        tinyml_run(model, [np.zeros(16, np.uint32)])
