"""Fixtures for the conversion tools (tinyml-convert, tinyml inspect, tinyml compare)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

pytest.importorskip("tensorflow", reason="the conversion tools need tensorflow==2.21.0")
pytest.importorskip("sklearn", reason="the digits data come from scikit-learn")

from digits_model import Digits, train_digits  # noqa: E402


@pytest.fixture(scope="session")
def digits(tmp_path_factory: pytest.TempPathFactory) -> Digits:
    return train_digits(tmp_path_factory.mktemp("digits"))


@pytest.fixture(scope="session")
def digits_int8(digits: Digits, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The digits CNN converted by tinyml-convert with default options."""
    from tinyml_tools.convert import main

    out = tmp_path_factory.mktemp("converted") / "digits.tflite"
    assert main([str(digits.keras_model), "-o", str(out), "--data", str(digits.data), "--quiet"]) == 0
    return out
