"""The `tinyml` metadata entry tinyml-convert writes into a model."""

from typing import Any, Final

from tinyml import Model

NAME: Final[str]
FORMAT: Final[int]

def read(model: Model, name: str = "tinyml") -> dict[str, Any] | None:
    """The parsed entry, None without one; ValueError if it is not JSON or of a newer format."""

def labels(model: Model) -> tuple[str, ...]:
    """The class names stored in the model, () without."""

def verify(data: bytes, info: dict[str, Any]) -> bool:
    """Whether the .tflite file's bytes match info["sha256"] (the file with those digits as "0"s)."""
