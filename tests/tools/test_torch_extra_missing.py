"""Without the optional PyTorch extra, a PyTorch model is refused with how to install it
(simulated here, so the check runs with and without the extra)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from tinyml_tools.convert import main


@pytest.mark.parametrize("model", ["digits.pt2", "net.py:trained"])
def test_a_pytorch_model_without_the_extra_says_how_to_install_it(
    model: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` raises ImportError
    monkeypatch.setitem(sys.modules, "litert_torch", None)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "digits.pt2").write_bytes(b"unused")
    (tmp_path / "net.py").write_text("def trained():\n    raise AssertionError('never called')\n")
    np.save(tmp_path / "x.npy", np.zeros((2, 1, 8, 8), np.float32))
    argv = [model, "-o", "m.tflite", "--data", "x.npy", "--input-shape", "1,1,8,8"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.startswith("tinyml-convert: error: PyTorch models need torch and litert-torch")
    assert "make setup-torch" in err and "pip install tinyml-tools[torch]" in err
    assert "Traceback" not in err
    assert not (tmp_path / "m.tflite").exists()
