"""`tinyml-convert --qat`: quantization-aware training (tfmot, in tf-keras, in a
process of its own) of the digits CNN, then full int8 that tinyml runs exactly as TFLM."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from digits_model import Digits
from tinyml_tools import tflm
from tinyml_tools.convert import main
from tinyml_tools.legacy_keras import to_tf_keras
from tinyml_tools.qat import split
from tinyml_tools.run import run_model
from tinyml_tools.runtime_info import probe
from tinyml_tools.tflite_file import read_tflite

EPOCHS = 3


@pytest.fixture(scope="module")
def digits_qat(digits: Digits, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("qat") / "digits_qat.tflite"
    argv = [digits.keras_model, "-o", out, "--data", digits.data, "--qat", "--qat-epochs", EPOCHS, "--quiet"]
    assert main([str(a) for a in argv]) == 0
    return out


def test_qat_gives_a_full_int8_model_of_the_same_operators(digits_qat: Path) -> None:
    parsed = read_tflite(digits_qat.read_bytes())
    assert [op.name for op in parsed.operators] == [
        "CONV_2D",
        "MAX_POOL_2D",
        "RESHAPE",
        "FULLY_CONNECTED",
        "SOFTMAX",
    ]
    assert parsed.tensors[parsed.inputs[0]].dtype == "int8"
    assert parsed.tensors[parsed.outputs[0]].dtype == "int8"
    assert "quant_conv2d" in parsed.operators[0].layer(parsed)  # the tfmot-wrapped layer


def test_tinyml_runs_the_qat_model_exactly_as_tflm(digits: Digits, digits_qat: Path) -> None:
    model = digits_qat.read_bytes()
    tensor = probe(model).model.inputs[0]
    with np.load(digits.data) as data:
        x = data["x"][:60]
    q = np.clip(np.round(x / tensor.scale) + tensor.zero_point, -128, 127).astype(np.int8)
    sets = [[q[i : i + 1]] for i in range(len(q))]
    ours = run_model(model, sets, profile=False).outputs
    oracle = tflm.run_many(model, sets, 1)
    assert len(ours) == len(oracle) == 60
    for a, b in zip(ours, oracle, strict=True):
        np.testing.assert_array_equal(a[0], b[0])


def test_the_card_reports_training_and_held_out_accuracy(digits_qat: Path) -> None:
    card = json.loads(digits_qat.with_suffix(".json").read_text())
    qat = card["qat"]
    assert qat["epochs"] == EPOCHS
    assert qat["training_samples"] + qat["validation_samples"] == 397
    assert qat["validation_samples"] == 79  # 20% held out
    assert 0 < qat["final_loss"] < 2.3  # below chance (ln 10) after fine-tuning
    accuracy = card["accuracy"]
    assert accuracy["samples"] == 79
    print(f"\nQAT digits: float {accuracy['float']:.2%}, int8 after QAT (tinyml) {accuracy['tinyml']:.2%}")
    assert accuracy["tinyml"] > 0.8
    assert accuracy["tinyml"] >= 0.95 * accuracy["float"]


def test_the_split_is_seeded_and_disjoint() -> None:
    x = np.arange(100, dtype=np.float32)[:, None]
    y = np.arange(100)
    x_train, y_train, x_out, y_out = split(x, y, 0.2)
    assert len(x_out) == 20 and len(x_train) == 80
    assert sorted(np.concatenate([y_train, y_out]).tolist()) == list(range(100))
    assert np.array_equal(split(x, y, 0.2)[3], y_out)
    np.testing.assert_array_equal(x_train[:, 0], y_train)


def test_a_keras3_config_is_rewritten_for_tf_keras(digits: Digits) -> None:
    import keras

    config = to_tf_keras(keras.models.load_model(digits.keras_model).get_config())
    first = config["layers"][0]
    assert first["class_name"] == "InputLayer"
    assert first["config"]["batch_input_shape"] == [None, 8, 8, 1]
    assert "batch_shape" not in first["config"]
    assert config["layers"][1]["config"]["dtype"] == "float32"
    assert "input_axes" not in json.dumps(config)


# User mistakes: one line on stderr, exit status 1, nothing written, no traceback.


def error_of(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> str:
    assert main([str(a) for a in argv]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.startswith("tinyml-convert: error: ")
    return err


def test_qat_without_labels_is_refused(
    digits: Digits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "m.tflite"
    err = error_of(capsys, digits.keras_model, "-o", out, "--data", digits.samples, "--qat")
    assert "--qat trains on labelled data" in err and "no labels `y`" in err
    assert not out.exists()


def test_qat_with_int16_activations_is_refused(
    digits: Digits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    err = error_of(
        capsys, digits.keras_model, "-o", tmp_path / "m.tflite", "--data", digits.data, "--qat", "--int16x8"
    )
    assert "--int16x8" in err


def test_qat_of_a_float_tflite_is_refused(
    digits: Digits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import keras
    import tensorflow as tf

    float_model = tmp_path / "float.tflite"
    converter = tf.lite.TFLiteConverter.from_keras_model(keras.models.load_model(digits.keras_model))
    float_model.write_bytes(converter.convert())
    err = error_of(capsys, float_model, "-o", tmp_path / "m.tflite", "--data", digits.data, "--qat")
    assert "--qat needs a Keras model" in err


def test_a_layer_tfmot_cannot_train_is_named(
    digits: Digits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import keras

    inputs = keras.Input((8, 8, 1), batch_size=1)
    hidden = keras.layers.LayerNormalization(name="norm")(keras.layers.Flatten()(inputs))
    model = keras.Model(inputs, keras.layers.Dense(10, activation="softmax")(hidden))
    model.save(tmp_path / "norm.keras")
    out = tmp_path / "m.tflite"
    err = error_of(capsys, tmp_path / "norm.keras", "-o", out, "--data", digits.data, "--qat", "--quiet")
    assert "quantization-aware training does not support this model" in err
    assert "layer 'norm' (LayerNormalization)" in err
    assert not out.exists()


def test_labels_beyond_the_outputs_are_refused(
    digits: Digits, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "twelve.npz"
    with np.load(digits.data) as stored:
        np.savez(data, x=stored["x"][:40], y=np.arange(40) % 12)
    err = error_of(capsys, digits.keras_model, "-o", tmp_path / "m.tflite", "--data", data, "--qat")
    assert "labels `y` run from 0 to 11, but the model has 10 outputs" in err
