"""`tinyml inspect` (what a model holds, and whether the runtime runs it) and
`tinyml compare` (tinyml against TFLM, down to the first differing tensor)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from tinyml_tools.cli import main
from tinyml_tools.compare import difference
from tinyml_tools.runtime_info import probe


def tinyml(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def test_inspect_lists_operators_tensors_quantization_and_the_runtime_arena(
    digits_int8: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert tinyml("inspect", digits_int8) == 0
    out = capsys.readouterr().out
    arena = probe(digits_int8.read_bytes()).model.arena_bytes
    assert f"arena bytes   {arena}" in out
    assert "input 0       int8 1x8x8x1, scale" in out
    for op in ("CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"):
        assert op in out
    assert out.count("[ok]") == 5
    assert "per-channel (8 scales, axis 0)" in out  # the convolution's weights
    assert "metadata      tinyml:" in out
    assert "runs this model" in out


def test_inspect_json_agrees_with_the_runtime(digits_int8: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert tinyml("inspect", digits_int8, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["compatible"] is True
    assert report["problems"] == []
    assert report["arena_bytes"] == probe(digits_int8.read_bytes()).model.arena_bytes
    assert [op["name"] for op in report["operators"]][0] == "CONV_2D"
    assert all(op["supported"] for op in report["operators"])
    weights = report["tensors"][report["operators"][0]["inputs"][1]]
    assert weights["dtype"] == "int8" and weights["constant"] and len(weights["scales"]) == 8


def test_compare_finds_tinyml_and_tflm_identical_on_the_digits_model(
    digits_int8: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = tmp_path / "in.npy"
    np.save(x, np.random.default_rng(3).integers(-128, 128, (1, 8, 8, 1)).astype(np.int8))
    assert tinyml("compare", digits_int8, "--input", x) == 0
    out = capsys.readouterr().out
    assert "output 0" in out and ": identical" in out
    assert "intermediate tensors: all identical" in out
    assert "tinyml and TFLM agree" in out


def test_a_difference_counts_elements_and_the_largest_gap() -> None:
    ours = np.array([[1, 2, 3, -4]], np.int8)
    oracle = np.array([[1, 2, 5, -7]], np.int8)
    d = difference("output 0", ours, oracle)
    assert (d.differing, d.max_abs, d.same) == (2, 3.0, False)
    assert d.text() == "output 0: int8 1x4: 2 of 4 elements differ, max |difference| 3"
    assert difference("t", oracle, oracle.copy()).same


# User mistakes: one line on stderr, exit status 1, no traceback.


def error_of(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> str:
    assert tinyml(*argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_inspect_of_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "model file not found" in error_of(capsys, "inspect", tmp_path / "nope.tflite")


def test_inspect_of_a_file_that_is_not_a_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bogus = tmp_path / "notes.tflite"
    bogus.write_bytes(b"hello, this is not a flatbuffer")
    assert "not a .tflite model" in error_of(capsys, "inspect", bogus)


def test_compare_with_an_input_of_the_wrong_shape(
    digits_int8: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = tmp_path / "in.npy"
    np.save(x, np.zeros((1, 64), np.int8))
    err = error_of(capsys, "compare", digits_int8, "--input", x)
    assert "expects shape (1, 8, 8, 1) int8; got shape (1, 64) int8" in err


def test_compare_with_too_many_inputs(
    digits_int8: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    x = tmp_path / "in.npy"
    np.save(x, np.zeros((1, 8, 8, 1), np.int8))
    err = error_of(capsys, "compare", digits_int8, "--input", x, "--input", x)
    assert "the model has 1 input(s); got 2" in err
