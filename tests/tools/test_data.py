"""Representative data for tinyml-convert: .npy, .npz (x, y) or module:function."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from tinyml_tools.data import DataError, Dataset, check_sample_shape, load_data


def test_npy_holds_samples_without_labels(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones((3, 4), np.float32))
    data = load_data(tmp_path / "x.npy")
    assert data.x.shape == (3, 4) and data.y is None


def test_npz_holds_x_and_labels_y_which_may_be_one_hot(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", x=np.ones((3, 4)), y=np.eye(3))
    data = load_data(tmp_path / "d.npz")
    assert data.y.tolist() == [0, 1, 2]


def test_npz_with_unnamed_arrays_is_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "d.npz", a=np.ones((3, 4)), b=np.ones(3))
    with pytest.raises(DataError, match="name the samples `x`"):
        load_data(tmp_path / "d.npz")


def test_a_function_can_supply_the_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "my_data.py").write_text(
        "import numpy as np\ndef digits():\n    return np.zeros((5, 2), np.float32), np.arange(5)\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    data = load_data("my_data:digits")
    assert len(data) == 5 and data.y.tolist() == [0, 1, 2, 3, 4]
    sys.modules.pop("my_data", None)


def test_samples_must_have_the_model_input_shape_without_batch() -> None:
    data = Dataset(np.zeros((5, 8, 8), np.float64), None)
    with pytest.raises(DataError, match=r"shape \(8, 8, 1\).*shape \(8, 8\)"):
        check_sample_shape(data, (1, 8, 8, 1), "d.npz")
    ok = Dataset(np.zeros((5, 8, 8, 1), np.float64), None)
    assert check_sample_shape(ok, (1, 8, 8, 1), "d.npz").dtype == np.float32


def test_a_folder_with_one_subfolder_per_class_gives_samples_and_labels(tmp_path: Path) -> None:
    for name, value in (("cat", 1.0), ("dog", 2.0)):
        (tmp_path / name).mkdir()
        for i in range(2):
            np.savetxt(tmp_path / name / f"{i}.csv", np.full((1, 3), value + i), delimiter=",")
    data = load_data(tmp_path)
    assert data.classes == ("cat", "dog")
    assert data.y.tolist() == [0, 0, 1, 1]
    assert data.x.tolist() == [[1, 1, 1], [2, 2, 2], [2, 2, 2], [3, 3, 3]]


def test_a_folder_of_wav_files_gives_floats_in_minus_one_to_one(tmp_path: Path) -> None:
    import wave

    with wave.open(str(tmp_path / "a.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(16000)
        w.writeframes(np.array([0, 16384, -32768], "<i2").tobytes())
    data = load_data(tmp_path)
    assert data.y is None
    assert data.x.tolist() == [[0.0, 0.5, -1.0]]


def test_samples_of_different_shapes_in_a_folder_are_refused(tmp_path: Path) -> None:
    np.save(tmp_path / "a.npy", np.zeros(3))
    np.save(tmp_path / "b.npy", np.zeros(4))
    with pytest.raises(DataError, match="differ in shape"):
        load_data(tmp_path)
