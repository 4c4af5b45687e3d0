"""Input drift: do the inputs still look like the data the model was calibrated on?

    drift = DriftDetector.from_model(model, window=32, threshold=0.25)
    ...
    if drift.update(model.input().data):      # once per input; True when a window closes
        if drift.drifted: log.append("input-drift", f"{drift.score:.2f}")

tinyml-convert stores reference statistics of the model's input in the
model's `tinyml` metadata ("input_stats", see tinyml_tools/model_metadata.py):
the input's elements fall into G groups (channels, or contiguous blocks in
memory order), and for each group g the mean mu_g and standard deviation
sigma_g of its values over every calibration sample, in the input tensor's own
units (quantized levels for an int8 input).

The detector sums the raw input values of each group, and their squares, over
a window of `window` inputs (integers for an int8/uint8 input: no allocation
per input). When the window is full it takes the window's mean m_g and
standard deviation s_g of each group (both floored at std_floor, as sigma_g
is) and scores the window by the mean over the groups of the Kullback-Leibler
divergence of the Gaussian N(m_g, s_g^2) from the reference N(mu_g, sigma_g^2):

    D_g = ln(sigma_g / s_g) + (s_g^2 + (m_g - mu_g)^2) / (2 sigma_g^2) - 1/2
    score = (D_1 + ... + D_G) / G                              (in nats)

D_g is 0 for identical statistics, 0.5 for a mean shifted by one reference
standard deviation, 0.25 for a shift of 0.71 sigma, 0.22 for a spread 1.5
times the reference's and 0.81 for twice. The window has drifted when
score > threshold (default 0.25: on average, as far off as a 0.7-sigma shift
of every group). Inputs drawn from the reference distribution score about
0.001 with windows of 32 (sampling noise); choose the threshold from the
scores of known-good data on the device. The worst group (largest D_g) is reported
too, to say where the inputs changed.

Speed: for int8 and uint8 inputs the per-input sums run as viper machine
code where the port has it (ARMv7-M, Xtensa, x64; as digest.py does): a
micro_speech input (1960 values) costs 19 ms on the emulated 25 MHz
Cortex-M4 instead of 174 ms in plain Python (its inference: 676 ms).

Limits: int16 inputs have squares beyond MicroPython's small integers on
32-bit boards and float32 inputs are floats: both work, but allocate per
element. An int8 window of W inputs with E elements per group stays
allocation-free while W * E * 16384 < 2**30 (W <= 532 for 123 elements).
"""

import math
from array import array

from minijson import json

# Sums and sums of squares of each group of one int8/uint8 input, as viper
# machine code (compiled at run time, as in digest.py). Group g holds the
# elements starts[g], starts[g] + step, ... below ends[g].
_VIPER_SOURCE = """
import micropython
@micropython.viper
def group_sums(values: ptr8, starts: ptr32, ends: ptr32, step: int, groups: int, signed: int,
               out_sums: ptr32, out_squares: ptr32):
    for g in range(groups):
        s = 0
        q = 0
        i = starts[g]
        end = ends[g]
        while i < end:
            v = int(values[i])
            if signed and v > 127:
                v -= 256
            s += v
            q += v * v
            i += step
        out_sums[g] = s
        out_squares[g] = q
"""

# Native architectures (sys.implementation._mpy bits 10-13) where viper is
# known to run: x64, ARMv7-M family, Xtensa. Not ARMv6-M (see digest.py).
_VIPER_ARCHS = (2, 5, 6, 7, 8, 9, 10)


def _load_viper():  # noqa: ANN202
    """The viper group_sums() when it compiles and sums a test input right, else None."""
    import sys

    if (getattr(sys.implementation, "_mpy", 0) >> 10) & 0x0F not in _VIPER_ARCHS:
        return None
    try:
        scope = {}
        exec(_VIPER_SOURCE, scope)
        group_sums = scope["group_sums"]
        sums = array("i", [0, 0])
        squares = array("i", [0, 0])
        test = array("b", [-128, 3, 127, -1, 5])
        group_sums(test, array("i", [0, 1]), array("i", [5, 5]), 2, 2, 1, sums, squares)
    except Exception:  # noqa: BLE001 (no viper on this port: plain Python)
        return None
    good = list(sums) == [4, 2] and list(squares) == [16384 + 16129 + 25, 10]
    return group_sums if good else None


_viper_group_sums = _load_viper()


class DriftDetector:
    """Windowed input statistics scored against the model's reference (module docstring)."""

    def __init__(
        self, stats: dict, window: int = 32, threshold: float = 0.25, dtype: str | None = None
    ) -> None:
        layout = stats.get("layout")
        groups = stats.get("groups", 0)
        elements = stats.get("elements", 0)
        if layout not in ("channels", "blocks"):
            raise ValueError(f"input_stats: unknown layout {layout!r}")
        if groups < 1 or elements < groups or len(stats["mean"]) != groups or len(stats["std"]) != groups:
            raise ValueError("input_stats: groups, elements, mean and std do not agree")
        if window < 2:
            raise ValueError("window must be at least 2 inputs")
        self.layout = layout
        self.groups = groups
        self.elements = elements
        self.window = window
        self.threshold = threshold
        self.std_floor = stats.get("std_floor", 0.5)
        self.reference_mean = array("f", stats["mean"])
        self.reference_std = array("f", [max(s, self.std_floor) for s in stats["std"]])
        if layout == "blocks":
            self._starts = [g * elements // groups for g in range(groups + 1)]
        else:
            self._starts = None
        # dtype of the input values (tinyml's names); int8/uint8 take the viper path when there is one.
        self._fast = None
        if _viper_group_sums is not None and dtype in ("int8", "uint8"):
            if layout == "blocks":
                starts, ends, step = self._starts[:-1], self._starts[1:], 1
            else:
                starts, ends, step = list(range(groups)), [elements] * groups, groups
            self._fast = (array("i", starts), array("i", ends), step, 1 if dtype == "int8" else 0,
                          array("i", bytes(4 * groups)), array("i", bytes(4 * groups)))  # fmt: skip
        self._sum = [0] * groups
        self._squares = [0] * groups
        self.count = 0  # inputs in the current window
        self.windows = 0  # windows scored
        self.drifted_windows = 0
        self.score = None  # of the last window
        self.drifted = False
        self.worst_group = -1
        self.worst_score = 0.0
        self.mean = array("f", bytes(4 * groups))  # of the last window
        self.std = array("f", bytes(4 * groups))

    @classmethod
    def from_model(cls, model, window: int = 32, threshold: float = 0.25):  # noqa: ANN001, ANN206
        """A detector for a tinyml.Model whose `tinyml` metadata holds input_stats.

        ValueError when the model has no such metadata or its input size differs."""
        view = model.metadata("tinyml")
        if view is None:
            raise ValueError("the model has no tinyml metadata (convert it with tinyml-convert)")
        stats = json.loads(bytes(view)).get("input_stats")
        if stats is None:
            raise ValueError("the model's tinyml metadata has no input_stats")
        tensor = model.input()
        n = len(tensor)
        if stats.get("elements") != n:
            raise ValueError(f"input_stats describe {stats.get('elements')} elements, the input has {n}")
        return cls(stats, window, threshold, tensor.dtype)

    def update(self, values) -> bool:  # noqa: ANN001 (buffer of the input's raw values)
        """Account one input; returns True when it completed a window (score is new)."""
        if len(values) != self.elements:
            raise ValueError(f"expected {self.elements} values, got {len(values)}")
        sums = self._sum
        squares = self._squares
        fast = self._fast
        if fast is not None:
            sample_sums = fast[4]
            sample_squares = fast[5]
            _viper_group_sums(values, fast[0], fast[1], fast[2], self.groups, fast[3], sample_sums,
                              sample_squares)  # fmt: skip
            for g in range(self.groups):
                sums[g] += sample_sums[g]
                squares[g] += sample_squares[g]
        elif self._starts is not None:
            starts = self._starts
            for g in range(self.groups):
                s = 0
                q = 0
                for i in range(starts[g], starts[g + 1]):
                    v = values[i]
                    s += v
                    q += v * v
                sums[g] += s
                squares[g] += q
        else:
            step = self.groups
            for g in range(step):
                s = 0
                q = 0
                for i in range(g, self.elements, step):
                    v = values[i]
                    s += v
                    q += v * v
                sums[g] += s
                squares[g] += q
        self.count += 1
        if self.count < self.window:
            return False
        self._close()
        return True

    def _members(self, g: int) -> int:
        if self._starts is not None:
            return self._starts[g + 1] - self._starts[g]
        return (self.elements - g + self.groups - 1) // self.groups

    def _close(self) -> None:
        floor = self.std_floor
        total = 0.0
        worst = -1
        worst_score = -1.0
        for g in range(self.groups):
            n = self._members(g) * self.count
            m = self._sum[g] / n
            var = self._squares[g] / n - m * m
            s = math.sqrt(var) if var > 0 else 0.0
            s = s if s > floor else floor
            mu = self.reference_mean[g]
            sigma = self.reference_std[g]
            d = math.log(sigma / s) + (s * s + (m - mu) * (m - mu)) / (2 * sigma * sigma) - 0.5
            self.mean[g] = m
            self.std[g] = s
            total += d
            if d > worst_score:
                worst, worst_score = g, d
            self._sum[g] = 0
            self._squares[g] = 0
        self.count = 0
        self.windows += 1
        self.score = total / self.groups
        self.worst_group = worst
        self.worst_score = worst_score
        self.drifted = self.score > self.threshold
        if self.drifted:
            self.drifted_windows += 1

    def reset(self) -> None:
        """Drop the partial window."""
        for g in range(self.groups):
            self._sum[g] = 0
            self._squares[g] = 0
        self.count = 0

    def state(self) -> dict:
        """What must survive a deep sleep (JSON-able); see restore()."""
        return {
            "sum": self._sum,
            "squares": self._squares,
            "count": self.count,
            "windows": self.windows,
            "drifted_windows": self.drifted_windows,
            "score": self.score,
        }

    def restore(self, state: dict) -> None:
        """Continue from state() saved before a deep sleep."""
        if len(state["sum"]) != self.groups or len(state["squares"]) != self.groups:
            raise ValueError("drift state does not match this detector's groups")
        for g in range(self.groups):
            self._sum[g] = state["sum"][g]
            self._squares[g] = state["squares"][g]
        self.count = state["count"]
        self.windows = state["windows"]
        self.drifted_windows = state["drifted_windows"]
        self.score = state["score"]
        self.drifted = self.score is not None and self.score > self.threshold
