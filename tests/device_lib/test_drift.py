"""Model metadata on the device (model_info.py) and input-drift detection (drift.py).

The reference statistics are written by the converter's own code
(tinyml_tools.model_metadata, as tinyml-convert does) into micro_speech's
model, from synthetic spectrograms; the device then sees more spectrograms from
the same generator (no drift) or shifted ones, quantized as Tensor.quantize does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from tinyml_tools.model_metadata import (
    Settings,
    build_metadata,
    embed_metadata,
    read_metadata,
    to_input_units,
    verify_sha256,
)
from tinyml_tools.runtime_info import probe

LABELS = ["silence", "unknown", "yes", "no"]


def spectrograms(count: int, seed: int, offset: float = 0.0, noise: float = 2.0) -> np.ndarray:
    """count (49, 40) feature maps in micro_speech's float input units (0 .. 26)."""
    rng = np.random.default_rng(seed)
    bands = 12 + 6 * np.cos(np.arange(40) / 40 * np.pi)
    loudness = rng.normal(0, 1.5, (count, 1, 1))
    x = bands[None, None, :] + loudness + rng.normal(0, noise, (count, 49, 40)) + offset
    return np.clip(x, 0, 25.9).reshape(count, 1960).astype(np.float32)


@pytest.fixture
def tagged(tmp_path: Path, shared_models: Path, natmod: Path) -> Path:
    """micro_speech with a tinyml entry built from 300 reference spectrograms."""
    quantized = (shared_models / "micro_speech_quantized.tflite").read_bytes()
    runtime = probe(quantized)
    assert runtime.model is not None
    settings = Settings("tinyml-convert test", "synthetic", 7, "int8", "int8", 300)
    metadata = build_metadata(settings, runtime.version, runtime.model, LABELS, spectrograms(300, seed=1))
    path = tmp_path / "kws.tflite"
    path.write_bytes(embed_metadata(quantized, metadata))
    return path


def write_inputs(path: Path, tagged: Path, x: np.ndarray) -> None:
    tensor = probe(tagged.read_bytes()).model.inputs[0]  # type: ignore[union-attr]
    path.write_bytes(to_input_units(x, tensor).astype(np.int8).tobytes())


def test_the_entry_holds_what_the_device_needs_in_a_few_hundred_bytes_of_statistics(tagged: Path) -> None:
    model = tagged.read_bytes()
    metadata = read_metadata(model)
    assert metadata is not None
    assert metadata["model_version"] == 7 and metadata["labels"] == LABELS
    assert metadata["inputs"][0]["dtype"] == "int8" and metadata["inputs"][0]["zero_point"] == -128
    assert metadata["arena_bytes"] == probe(model).model.arena_bytes  # type: ignore[union-attr]
    stats = metadata["input_stats"]
    assert (stats["layout"], stats["groups"], stats["elements"]) == ("blocks", 16, 1960)
    assert stats["samples"] == 300
    assert len(json.dumps(stats)) < 400
    assert verify_sha256(model)
    tampered = bytearray(model)
    tampered[len(model) // 2] ^= 1
    assert not verify_sha256(bytes(tampered))


def test_model_info_reads_labels_and_version_and_checks_the_hash(
    tagged: Path, mpy: Callable[[str], str], shared_models: Path
) -> None:
    out = mpy(
        f"""
import tinyml, model_info
data = open({str(tagged)!r}, "rb").read()
model = tinyml.Model(data)
info = model_info.read(model)
print(model_info.labels(model), info["model_version"], info["arena_bytes"] == model.arena_used)
print(info["settings"]["calibration_samples"], info["inputs"][0]["scale"] == model.input().scale)
print(model_info.verify(data, info))
bad = bytearray(data); bad[100] ^= 1
print(model_info.verify(bytes(bad), info))
plain = tinyml.Model({str(shared_models / "hello_world_int8.tflite")!r})
print(model_info.read(plain), model_info.labels(plain))
"""
    )
    assert out.splitlines() == [
        "('silence', 'unknown', 'yes', 'no') 7 True",
        "300 True",
        "True",
        "False",
        "None ()",
    ]


DETECT = """
import tinyml
from drift import DriftDetector
model = tinyml.Model({model!r})
drift = DriftDetector.from_model(model, window=32)
x = model.input()
with open({inputs!r}, "rb") as f:
    while f.readinto(x.data) == len(x):
        if drift.update(x.data):
            print(round(drift.score, 3), drift.drifted, drift.worst_group)
print("windows", drift.windows, drift.drifted_windows)
"""


def scores(out: str) -> list[tuple[float, bool]]:
    rows = [line.split() for line in out.splitlines() if not line.startswith("windows")]
    return [(float(score), drifted == "True") for score, drifted, _worst in rows]


def test_inputs_like_the_reference_data_do_not_drift(
    tagged: Path, tmp_path: Path, mpy: Callable[[str], str]
) -> None:
    write_inputs(tmp_path / "same.raw", tagged, spectrograms(128, seed=2))
    out = mpy(DETECT.format(model=str(tagged), inputs=str(tmp_path / "same.raw")))
    windows = scores(out)
    assert len(windows) == 4 and out.splitlines()[-1] == "windows 4 0"
    assert all(score < 0.05 and not drifted for score, drifted in windows), out


@pytest.mark.parametrize(
    ("shift", "offset", "noise"),
    [("louder by 6 (1.2 reference sigma)", 6.0, 2.0), ("four times the noise", 0.0, 8.0)],
)
def test_shifted_inputs_drift(
    tagged: Path, tmp_path: Path, mpy: Callable[[str], str], shift: str, offset: float, noise: float
) -> None:
    write_inputs(tmp_path / "shifted.raw", tagged, spectrograms(64, seed=3, offset=offset, noise=noise))
    out = mpy(DETECT.format(model=str(tagged), inputs=str(tmp_path / "shifted.raw")))
    windows = scores(out)
    assert len(windows) == 2 and out.splitlines()[-1] == "windows 2 2", shift
    assert all(score > 0.3 and drifted for score, drifted in windows), out


def test_one_changed_region_is_named_as_the_worst_group(
    tagged: Path, tmp_path: Path, mpy: Callable[[str], str]
) -> None:
    x = spectrograms(32, seed=4)
    x[:, 1960 * 5 // 16 : 1960 * 6 // 16] = 25.9  # block 5 saturated
    write_inputs(tmp_path / "one.raw", tagged, x)
    out = mpy(DETECT.format(model=str(tagged), inputs=str(tmp_path / "one.raw")))
    assert out.splitlines()[0].split()[2] == "5", out


def test_accounting_an_input_allocates_nothing(tagged: Path, mpy: Callable[[str], str]) -> None:
    out = mpy(
        f"""
import gc, tinyml
from drift import DriftDetector
model = tinyml.Model({str(tagged)!r})
drift = DriftDetector.from_model(model, window=1000)
data = model.input().data
def allocated(n):
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    for _ in range(n):
        drift.update(data)
    after = gc.mem_alloc()
    gc.enable()
    return after - before
allocated(1)  # warm-up: the first call creates the function's globals
print(allocated(20), drift.count)
"""
    )
    assert out.split() == ["0", "21"]


def test_detector_errors_name_the_problem(
    tagged: Path, shared_models: Path, mpy: Callable[[str], str]
) -> None:
    out = mpy(
        f"""
import tinyml
from drift import DriftDetector
def error(f, *a):
    try:
        f(*a)
    except ValueError as e:
        return str(e)
print(error(DriftDetector.from_model, tinyml.Model({str(shared_models / "hello_world_int8.tflite")!r})))
drift = DriftDetector.from_model(tinyml.Model({str(tagged)!r}))
print(error(drift.update, bytes(10)))
print(error(DriftDetector, {{"layout": "rows", "groups": 1, "elements": 1, "mean": [0], "std": [1]}}))
"""
    )
    assert out.splitlines() == [
        "the model has no tinyml metadata (convert it with tinyml-convert)",
        "expected 1960 values, got 10",
        "input_stats: unknown layout 'rows'",
    ]


def test_the_pipeline_scores_its_inputs_and_logs_drift(
    tagged: Path, tmp_path: Path, mpy: Callable[[str], str]
) -> None:
    # 32 inputs like the reference, then 32 louder ones, replayed as int8 "frames".
    x = np.concatenate([spectrograms(32, seed=5), spectrograms(32, seed=6, offset=6.0)])
    write_inputs(tmp_path / "inputs.raw", tagged, x)
    out = mpy(
        f"""
import tinyml
from drift import DriftDetector
from monitor import AuditLog
from pipeline import Pipeline
from power import BOARD_CURRENTS, PowerAccount, PowerPolicy
from sources import ReplaySource
from windows import SlidingWindow
model = tinyml.Model({str(tagged)!r})
def featurize(window, slot):
    slot[:] = window
    return True
log = AuditLog("audit.log")
pipe = Pipeline(ReplaySource({str(tmp_path / "inputs.raw")!r}, rate=16000, typecode="b", realtime=False),
                SlidingWindow(1960, 1960, "b"), featurize, model, lambda m: None,
                PowerPolicy(PowerAccount(BOARD_CURRENTS["rp2040"])), log=log,
                drift=DriftDetector.from_model(model, window=32))
pipe.run()
print(pipe.counters["inferences"], pipe.counters["drift-windows"], pipe.counters["drifted"])
print([r[2:] for r in log.records()])
"""
    )
    lines = out.splitlines()
    assert lines[0] == "64 2 1"
    record = re.fullmatch(r"\[\('input-drift', 'score (\d+\.\d{3}) group (\d+)'\)\]", lines[1])
    assert record is not None and float(record[1]) > 0.3, out


@pytest.mark.parametrize(
    ("entry", "error"),
    [
        (b"labels: yes, no", "metadata 'tinyml' is not JSON"),
        (b'{"format": 2}', "metadata 'tinyml': unknown format (this library reads format 1)"),
    ],
)
def test_model_info_refuses_entries_it_cannot_read(
    tmp_path: Path, shared_models: Path, mpy: Callable[[str], str], entry: bytes, error: str
) -> None:
    from tinyml_tools.tflite_edit import with_metadata

    model = with_metadata((shared_models / "hello_world_int8.tflite").read_bytes(), {"tinyml": entry})
    (tmp_path / "m.tflite").write_bytes(model)
    out = mpy(
        """
import tinyml, model_info
try:
    model_info.read(tinyml.Model("m.tflite"))
except ValueError as e:
    print(e)
"""
    )
    assert out.strip() == error


def test_colour_channels_are_the_groups_of_an_image_input(
    tmp_path: Path, shared_models: Path, mpy: Callable[[str], str]
) -> None:
    # A CIFAR-style model, input (1, 32, 32, 3) int8 (scale 1, zero point -128): one group per channel.
    quantized = (shared_models / "pretrainedResnet_quant.tflite").read_bytes()
    runtime = probe(quantized)
    assert runtime.model is not None
    rng = np.random.default_rng(7)

    def images(count: int, blue_gain: float = 1.0) -> np.ndarray:
        x = rng.normal((120.0, 110.0, 90.0), (40.0, 35.0, 30.0), (count, 32, 32, 3))
        x[..., 2] *= blue_gain
        return np.clip(x, 0, 255).astype(np.float32)

    settings = Settings("tinyml-convert test", "synthetic", 1, "int8", "int8", 200)
    labels = [f"class {i}" for i in range(10)]
    metadata = build_metadata(settings, runtime.version, runtime.model, labels, images(200))
    stats = metadata["input_stats"]
    assert (stats["layout"], stats["groups"], stats["elements"]) == ("channels", 3, 3072)
    assert [round(m) for m in stats["mean"]] == [120 - 128, 110 - 128, 90 - 128]
    (tmp_path / "cifar.tflite").write_bytes(embed_metadata(quantized, metadata))
    tensor = runtime.model.inputs[0]
    x = np.concatenate([images(8), images(8, blue_gain=1.6)])
    (tmp_path / "in.raw").write_bytes(to_input_units(x, tensor).astype(np.int8).tobytes())
    script = DETECT.replace("window=32", "window=8").format(
        model=str(tmp_path / "cifar.tflite"), inputs=str(tmp_path / "in.raw")
    )
    out = mpy(script)
    lines = [line.split() for line in out.splitlines()]
    assert float(lines[0][0]) < 0.05 and lines[0][1] == "False", out
    assert lines[1][1:] == ["True", "2"], out  # the blue channel
    assert lines[2] == ["windows", "2", "1"]
    assert mpy(PLAIN_PYTHON + script) == out


PLAIN_PYTHON = "import drift\ndrift._viper_group_sums = None   # the plain-Python sums\n"


def test_viper_and_plain_python_sums_agree(tagged: Path, tmp_path: Path, mpy: Callable[[str], str]) -> None:
    x = np.concatenate([spectrograms(32, seed=8), spectrograms(32, seed=9, noise=8.0)])
    write_inputs(tmp_path / "in.raw", tagged, x)
    script = DETECT.format(model=str(tagged), inputs=str(tmp_path / "in.raw"))
    probe_viper = "import drift\nprint(drift._viper_group_sums is not None)\n"
    assert mpy(probe_viper).strip() == "True"  # x64 has viper: both paths are exercised here
    assert mpy(PLAIN_PYTHON + script) == mpy(script)
