"""`tinyml-convert`: a trained Keras model to an int8 .tflite that tinyml runs
exactly as TFLM does, checked against the runtime before anything is written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from digits_model import Digits
from tinyml_tools import tflm
from tinyml_tools.convert import main
from tinyml_tools.model_metadata import verify_sha256
from tinyml_tools.run import run_model
from tinyml_tools.runtime_info import probe
from tinyml_tools.tflite_file import missing_operators, read_tflite


def convert(*argv: str | Path) -> int:
    return main([str(a) for a in argv])


def test_converts_the_digits_cnn_to_a_full_int8_model(digits_int8: Path) -> None:
    parsed = read_tflite(digits_int8.read_bytes())
    assert [op.name for op in parsed.operators] == [
        "CONV_2D",
        "MAX_POOL_2D",
        "RESHAPE",
        "FULLY_CONNECTED",
        "SOFTMAX",
    ]
    assert parsed.tensors[parsed.inputs[0]].dtype == "int8"
    assert parsed.tensors[parsed.outputs[0]].dtype == "int8"


def test_tinyml_runs_the_converted_model_exactly_as_tflm(digits: Digits, digits_int8: Path) -> None:
    model = digits_int8.read_bytes()
    tensor = probe(model).model.inputs[0]
    with np.load(digits.data) as data:
        x = data["x"][:40]
    q = np.clip(np.round(x / tensor.scale) + tensor.zero_point, -128, 127).astype(np.int8)
    sets = [[q[i : i + 1]] for i in range(len(q))]
    ours = run_model(model, sets, profile=False).outputs
    oracle = tflm.run_many(model, sets, 1)
    for a, b in zip(ours, oracle, strict=True):
        np.testing.assert_array_equal(a[0], b[0])


def test_the_model_card_holds_size_hash_arena_and_both_accuracies(digits_int8: Path) -> None:
    card = json.loads(digits_int8.with_suffix(".json").read_text())
    model = digits_int8.read_bytes()
    assert card["bytes"] == len(model)
    import hashlib

    assert card["sha256"] == hashlib.sha256(model).hexdigest()
    assert card["arena_bytes"] == probe(model).model.arena_bytes > 0
    assert card["model_version"] == 1
    assert card["quantization"] == {
        "activations": "int8",
        "weights": "int8",
        "io": "int8",
        "calibration_samples": 300,
    }
    accuracy = card["accuracy"]
    assert accuracy["samples"] == 397
    assert accuracy["float"] > 0.8
    assert accuracy["tinyml"] >= 0.95 * accuracy["float"]


def test_the_model_carries_tinyml_metadata_with_labels(digits: Digits, tmp_path: Path) -> None:
    labels = tmp_path / "labels.txt"
    labels.write_text("\n".join(f"digit {i}" for i in range(10)) + "\n")
    out = tmp_path / "m.tflite"
    argv = ("--data", digits.samples, "--labels", labels, "--model-version", "3", "--quiet")
    assert convert(digits.keras_model, "-o", out, *argv) == 0
    model = out.read_bytes()
    metadata = json.loads(read_tflite(model).metadata["tinyml"])
    assert metadata["labels"] == [f"digit {i}" for i in range(10)]
    assert metadata["source"] == "digits.keras"
    assert metadata["model_version"] == 3
    assert verify_sha256(model)
    runtime = probe(model)
    assert metadata["arena_bytes"] == runtime.model.arena_bytes
    assert metadata["state_bytes"] == runtime.model.state_bytes
    tensor = runtime.model.inputs[0]
    assert metadata["inputs"] == [
        {"dtype": "int8", "shape": [1, 8, 8, 1], "scale": tensor.scale, "zero_point": tensor.zero_point}
    ]
    assert metadata["outputs"][0]["shape"] == [1, 10]
    assert metadata["settings"] == {
        "activations": "int8",
        "weights": "int8",
        "io": "int8",
        "calibration_samples": 50,
    }
    # Reference statistics of the quantized calibration samples, 16 blocks of 4 pixels.
    stats = metadata["input_stats"]
    assert (stats["layout"], stats["groups"], stats["elements"], stats["samples"]) == ("blocks", 16, 64, 50)
    x = np.load(digits.samples).reshape(50, 16, 4)
    q = np.clip(np.floor(x / tensor.scale + 0.5) + tensor.zero_point, -128, 127)
    np.testing.assert_allclose(stats["mean"], q.mean(axis=(0, 2)), rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(stats["std"], np.maximum(q.std(axis=(0, 2)), 0.5), rtol=1e-3, atol=1e-3)
    assert len(json.dumps(stats)) < 400


def test_a_model_version_must_not_be_negative(
    digits: Digits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ("-o", tmp_path / "m.tflite", "--data", digits.samples, "--model-version", "-1", "--quiet")
    assert convert(digits.keras_model, *argv) == 1
    assert "--model-version must not be negative, got -1" in capsys.readouterr().err
    assert not (tmp_path / "m.tflite").exists()


def test_prints_sizes_operators_and_accuracy_side_by_side(
    digits: Digits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert convert(digits.keras_model, "-o", tmp_path / "m.tflite", "--data", digits.data) == 0
    out = capsys.readouterr().out
    assert "model bytes" in out
    assert "arena bytes" in out
    for op in ("CONV_2D", "MAX_POOL_2D", "RESHAPE", "FULLY_CONNECTED", "SOFTMAX"):
        assert op in out
    assert "float (TensorFlow)" in out
    assert "int8 (tinyml runtime)" in out
    # The per-layer quantization error: one row per quantized layer that has a
    # float counterpart, with its SQNR; the softmax output is close to float.
    table = out[out.index("per-layer quantization error (") :].splitlines()
    rows = {line.split()[1]: line.split() for line in table[2:] if line.strip() and line.split()[0].isdigit()}
    assert {"CONV_2D", "FULLY_CONNECTED", "SOFTMAX"} <= set(rows)
    assert float(rows["SOFTMAX"][2]) > 20.0  # dB


def test_warns_when_int8_accuracy_falls_below_the_threshold(
    digits: Digits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.tflite"
    argv = ("-o", out, "--data", digits.data, "--quiet", "--min-accuracy-ratio", "1.5")
    assert convert(digits.keras_model, *argv) == 0
    assert "warning: quantized accuracy is" in capsys.readouterr().err
    assert out.exists()


def test_float_io_keeps_float32_input_and_output(digits: Digits, tmp_path: Path) -> None:
    out = tmp_path / "m.tflite"
    assert convert(digits.keras_model, "-o", out, "--data", digits.data, "--float-io", "--quiet") == 0
    runtime = probe(out.read_bytes()).model
    assert runtime.inputs[0].dtype == "float32"
    assert runtime.outputs[0].dtype == "float32"
    assert json.loads(out.with_suffix(".json").read_text())["accuracy"]["tinyml"] > 0.8


def test_c_source_is_a_16_byte_aligned_array_of_the_model(digits: Digits, tmp_path: Path) -> None:
    out, c_file = tmp_path / "m.tflite", tmp_path / "m.c"
    assert (
        convert(digits.keras_model, "-o", out, "--data", digits.samples, "--c-source", c_file, "--quiet") == 0
    )
    text = c_file.read_text()
    assert "const uint8_t m_tflite[] __attribute__((aligned(16)))" in text
    assert f"const size_t m_tflite_len = {len(out.read_bytes())};" in text
    values = [int(v, 16) for v in text.split("{", 1)[1].split("}", 1)[0].replace(",", " ").split()]
    assert bytes(values) == out.read_bytes()


# User mistakes: one line on stderr, exit status 1, nothing written, no traceback.


def error_of(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> str:
    assert convert(*argv) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("tinyml-convert: error: ")
    return err


def test_a_missing_model_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = tmp_path / "x.npy"
    np.save(data, np.zeros((2, 8, 8, 1), np.float32))
    err = error_of(capsys, tmp_path / "nope.keras", "-o", tmp_path / "m.tflite", "--data", data)
    assert "model not found" in err and "nope.keras" in err


def test_a_missing_data_file_is_named(
    digits: Digits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = error_of(capsys, digits.keras_model, "-o", tmp_path / "m.tflite", "--data", tmp_path / "nope.npz")
    assert "data file not found" in err


def test_wrong_data_shape_names_both_shapes(
    digits: Digits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "flat.npz"
    np.savez(data, x=np.zeros((5, 64), np.float32), y=np.zeros(5, np.int64))
    out = tmp_path / "m.tflite"
    err = error_of(capsys, digits.keras_model, "-o", out, "--data", data)
    assert "wrong data shape" in err and "(8, 8, 1)" in err and "(64,)" in err
    assert not out.exists()


def test_labels_must_match_the_samples(
    digits: Digits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "bad.npz"
    np.savez(data, x=np.zeros((5, 8, 8, 1), np.float32), y=np.zeros(4, np.int64))
    err = error_of(capsys, digits.keras_model, "-o", tmp_path / "m.tflite", "--data", data)
    assert "one class index per sample" in err


def _models_with_one_rare_operator() -> list[tuple[str, object]]:
    """(operator, Keras model) pairs; each model's named layer becomes that operator."""
    import keras

    matmul_in = keras.Input((4, 6), batch_size=1)
    matmul = keras.layers.Dot(axes=(2, 2), name="attention")([matmul_in, matmul_in])
    log_in = keras.Input((6,), batch_size=1)
    log_softmax = keras.layers.Activation("log_softmax", name="attention")(log_in)
    upsample_in = keras.Input((4, 4, 2), batch_size=1)
    upsample = keras.layers.Conv2DTranspose(3, 3, strides=2, padding="same", name="attention")(upsample_in)
    return [
        ("BATCH_MATMUL", keras.Model(matmul_in, keras.layers.Flatten()(matmul))),
        ("LOG_SOFTMAX", keras.Model(log_in, keras.layers.Reshape((2, 3))(log_softmax))),
        ("TRANSPOSE_CONV", keras.Model(upsample_in, upsample)),
    ]


def test_an_operator_the_runtime_lacks_is_named_with_its_layer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    supported = probe().supported
    lacking = [(op, model) for op, model in _models_with_one_rare_operator() if op not in supported]
    if not lacking:
        pytest.skip("the runtime now carries every operator this test knows how to produce")
    op, model = lacking[0]
    model.save(tmp_path / "rare.keras")
    data = tmp_path / "x.npy"
    shape = tuple(model.inputs[0].shape[1:])
    np.save(data, np.random.default_rng(0).uniform(0, 1, (20, *shape)).astype(np.float32))
    out = tmp_path / "rare.tflite"
    err = error_of(capsys, tmp_path / "rare.keras", "-o", out, "--data", data)
    assert "the tinyml runtime cannot run this model" in err
    assert f"operator {op} (version" in err
    assert "attention" in err  # the Keras layer's name
    assert not out.exists()


def test_operators_newer_than_the_runtime_are_named_with_both_versions(digits_int8: Path) -> None:
    parsed = read_tflite(digits_int8.read_bytes())
    supported = dict(probe().supported)
    supported["CONV_2D"] = 1
    del supported["SOFTMAX"]
    problems = missing_operators(parsed, supported)
    assert len(problems) == 2
    assert problems[0].startswith("operator CONV_2D version 3 is newer than the runtime's (up to 1)")
    assert "conv2d" in problems[0]
    assert problems[1].startswith("operator SOFTMAX (version 2) is not in the runtime, used by node 4")


def test_a_float_tflite_is_quantized_with_ai_edge_quantizer(digits: Digits, tmp_path: Path) -> None:
    pytest.importorskip("ai_edge_quantizer")
    import keras
    import tensorflow as tf

    float_model = tmp_path / "float.tflite"
    converter = tf.lite.TFLiteConverter.from_keras_model(keras.models.load_model(digits.keras_model))
    float_model.write_bytes(converter.convert())
    out = tmp_path / "m.tflite"
    assert convert(float_model, "-o", out, "--data", digits.data, "--quiet") == 0
    runtime = probe(out.read_bytes()).model
    assert runtime.inputs[0].dtype == "int8" and runtime.outputs[0].dtype == "int8"
    assert json.loads(out.with_suffix(".json").read_text())["accuracy"]["tinyml"] > 0.6


def test_an_already_quantized_tflite_is_refused(
    digits_int8: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "x.npy"
    np.save(data, np.zeros((2, 8, 8, 1), np.float32))
    err = error_of(capsys, digits_int8, "-o", tmp_path / "m.tflite", "--data", data)
    assert "is already quantized" in err


def test_the_command_line_has_help_that_names_the_data_format() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tinyml_tools.convert", "--help"], capture_output=True, text=True, check=True
    )
    assert "--data" in proc.stdout and "--int16x8" in proc.stdout and "--float-io" in proc.stdout
