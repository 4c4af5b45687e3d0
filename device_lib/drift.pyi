"""Input drift against the reference statistics tinyml-convert stores in the model."""

from array import array
from typing import Any

from tinyml import Model

class DriftDetector:
    """Per-group mean and std of `window` inputs, scored by the mean KL divergence
    from the reference Gaussians; drifted when score > threshold (see drift.py)."""

    layout: str
    groups: int
    elements: int
    window: int
    threshold: float
    std_floor: float
    reference_mean: array
    reference_std: array
    count: int
    windows: int
    drifted_windows: int
    score: float | None
    drifted: bool
    worst_group: int
    worst_score: float
    mean: array
    std: array
    def __init__(
        self, stats: dict[str, Any], window: int = 32, threshold: float = 0.25, dtype: str | None = None
    ) -> None:
        """dtype: the input's (tinyml names); int8/uint8 sum in viper code where the port has it."""
    @classmethod
    def from_model(cls, model: Model, window: int = 32, threshold: float = 0.25) -> DriftDetector:
        """From the model's `tinyml` metadata; ValueError without input_stats."""
    def update(self, values: memoryview | bytes | bytearray | array) -> bool:
        """Account one input (raw values of the input tensor); True when a window closed."""
    def reset(self) -> None: ...
    def state(self) -> dict[str, Any]: ...
    def restore(self, state: dict[str, Any]) -> None: ...
