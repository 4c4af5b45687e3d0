"""`tinyml-convert` on PyTorch models (the optional `torch` extra): litert-torch to a
float .tflite, ai-edge-quantizer to int8, run by tinyml exactly as TFLM runs it.

Marked `torch` and deselected by default (pyproject's addopts); with the extra
installed (make setup-torch), run them with

    make test-torch        # or: .venv/bin/python -m pytest -m torch tests/tools

Without the extra, `-m torch` fails on the fixture's `import torch`: never a skip.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from tinyml_tools import tflm
from tinyml_tools.convert import main
from tinyml_tools.run import run_model
from tinyml_tools.runtime_info import probe
from tinyml_tools.tflite_file import read_tflite

if TYPE_CHECKING:
    from torch_digits import TorchDigits

pytestmark = pytest.mark.torch

FACTORY = Path(__file__).resolve().parent / "torch_digits.py"


@pytest.fixture(scope="module")
def torch_digits(tmp_path_factory: pytest.TempPathFactory) -> TorchDigits:
    from torch_digits import train  # imports torch: without the extra, an error, not a skip

    return train(tmp_path_factory.mktemp("torch_digits"))


@pytest.fixture(scope="module")
def torch_int8(torch_digits: TorchDigits, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("torch_converted") / "digits_torch.tflite"
    argv = [torch_digits.exported, "-o", out, "--data", torch_digits.data, "--quiet"]
    assert main([str(a) for a in argv]) == 0
    return out


def test_a_pt2_model_becomes_a_full_int8_model(torch_int8: Path) -> None:
    parsed = read_tflite(torch_int8.read_bytes())
    names = [op.name for op in parsed.operators]
    assert {"FULLY_CONNECTED", "SOFTMAX", "MAX_POOL_2D"} <= set(names)
    assert "CONV_2D" in names or "DEPTHWISE_CONV_2D" in names  # one input channel: litert picks depthwise
    assert parsed.tensors[parsed.inputs[0]].dtype == "int8"
    assert parsed.tensors[parsed.inputs[0]].shape == (1, 1, 8, 8)  # PyTorch's layout is kept
    assert parsed.tensors[parsed.outputs[0]].dtype == "int8"


def test_tinyml_runs_the_pytorch_model_exactly_as_tflm(torch_digits: TorchDigits, torch_int8: Path) -> None:
    model = torch_int8.read_bytes()
    tensor = probe(model).model.inputs[0]
    with np.load(torch_digits.data) as data:
        x = data["x"][:60]
    q = np.clip(np.round(x / tensor.scale) + tensor.zero_point, -128, 127).astype(np.int8)
    sets = [[q[i : i + 1]] for i in range(len(q))]
    ours = run_model(model, sets, profile=False).outputs
    oracle = tflm.run_many(model, sets, 1)
    assert len(ours) == len(oracle) == 60
    for a, b in zip(ours, oracle, strict=True):
        np.testing.assert_array_equal(a[0], b[0])


def test_the_card_has_pytorch_and_tinyml_accuracy(torch_int8: Path) -> None:
    accuracy = json.loads(torch_int8.with_suffix(".json").read_text())["accuracy"]
    assert accuracy["samples"] == 397
    print(f"\nPyTorch digits: float {accuracy['float']:.2%}, int8 (tinyml) {accuracy['tinyml']:.2%}")
    assert accuracy["float"] > 0.9
    assert accuracy["tinyml"] >= 0.95 * accuracy["float"]


def test_a_factory_function_with_an_input_shape_converts_too(
    torch_digits: TorchDigits,
    torch_int8: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TINYML_TORCH_DIGITS_WEIGHTS", str(torch_digits.weights))
    out = tmp_path / "factory.tflite"
    argv = [f"{FACTORY}:trained", "-o", out, "--data", torch_digits.data, "--input-shape", "1,1,8,8"]
    assert main([str(a) for a in argv]) == 0
    assert "float (PyTorch)" in capsys.readouterr().out
    # The same weights through the same converters: the same model, but for the metadata.
    ours, theirs = read_tflite(out.read_bytes()), read_tflite(torch_int8.read_bytes())
    assert [op.name for op in ours.operators] == [op.name for op in theirs.operators]
    card = json.loads(out.with_suffix(".json").read_text())
    assert card["accuracy"] == json.loads(torch_int8.with_suffix(".json").read_text())["accuracy"]


# User mistakes: one line on stderr, exit status 1, nothing written, no traceback.


def error_of(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> str:
    assert main([str(a) for a in argv]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("tinyml-convert: error: ")
    return err


def test_a_factory_without_an_input_shape_is_refused(
    torch_digits: TorchDigits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = error_of(capsys, f"{FACTORY}:trained", "-o", tmp_path / "m.tflite", "--data", torch_digits.data)
    assert "needs --input-shape" in err


def test_a_torchscript_file_is_refused_with_what_to_do(
    torch_digits: TorchDigits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pt = tmp_path / "digits.pt"
    pt.write_bytes(b"not used")
    err = error_of(capsys, pt, "-o", tmp_path / "m.tflite", "--data", torch_digits.data)
    assert "torch.export.save" in err


def test_a_missing_factory_function_is_named(
    torch_digits: TorchDigits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shape = ("--input-shape", "1,1,8,8")
    err = error_of(
        capsys, f"{FACTORY}:nope", "-o", tmp_path / "m.tflite", "--data", torch_digits.data, *shape
    )
    assert "has no function nope" in err


def test_keras_layout_data_for_a_pytorch_model_names_both_shapes(
    torch_digits: TorchDigits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "nhwc.npz"
    np.savez(data, x=np.zeros((4, 8, 8, 1), np.float32), y=np.zeros(4, np.int64))
    err = error_of(capsys, torch_digits.exported, "-o", tmp_path / "m.tflite", "--data", data)
    assert "wrong data shape" in err and "(1, 8, 8)" in err and "(8, 8, 1)" in err
