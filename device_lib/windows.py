"""Sliding windows over a sample stream, and features of a window.

    win = SlidingWindow(length=480, hop=320, typecode="h")   # 30 ms / 20 ms at 16 kHz
    while True:
        win.fill_from(source)            # the source writes straight into the window
        if win.ready():
            use(win.view)                # memoryview of length*channels samples
            win.advance()                # drop `hop` frames, keep the overlap

Memory: one array of length*channels samples, allocated once. advance()
moves the kept overlap to the front in hop-sized block copies (no copy
ever overlaps itself), so the window is always contiguous for the model.
"""

import math
import struct
from array import array


class SlidingWindow:
    """A window of `length` frames that slides by `hop` frames.

    channels: samples per frame (interleaved, e.g. 6 for an IMU).
    """

    def __init__(self, length: int, hop: int, typecode: str = "h", channels: int = 1) -> None:
        if not 0 < hop <= length:
            raise ValueError("need 0 < hop <= length")
        self.length = length
        self.hop = hop
        self.channels = channels
        self.buffer = array(typecode, bytes(length * channels * struct.calcsize(typecode)))
        self.view = memoryview(self.buffer)
        self._fill = 0  # samples (not frames) present

    def ready(self) -> bool:
        """True when the window holds `length` frames."""
        return self._fill == len(self.buffer)

    def space(self) -> memoryview:
        """The unfilled part of the window (write samples here, then commit())."""
        return self.view[self._fill :]

    def commit(self, samples: int) -> None:
        """Count `samples` written into space()."""
        self._fill += samples

    def fill_from(self, source) -> int:  # noqa: ANN001 (a source with readinto)
        """Let `source` write into the free space; samples read (0: source ended)."""
        if self.ready():
            return 0
        n = source.readinto(self.space())
        self._fill += n
        return n

    def extend(self, samples) -> int:  # noqa: ANN001 (buffer of the window's typecode)
        """Copy as many of `samples` as fit; returns how many were taken."""
        n = min(len(samples), len(self.buffer) - self._fill)
        self.view[self._fill : self._fill + n] = memoryview(samples)[:n]
        self._fill += n
        return n

    def advance(self) -> None:
        """Drop the oldest `hop` frames; the rest moves to the front."""
        step = self.hop * self.channels
        keep = self._fill - step
        if keep <= 0:
            self._fill = 0
            return
        view = self.view
        # Block copies of at most `step` samples: source and destination never overlap.
        for start in range(0, keep, step):
            end = min(start + step, keep)
            view[start:end] = view[start + step : end + step]
        self._fill = keep

    def reset(self) -> None:
        """Empty the window (e.g. after a gap in the stream)."""
        self._fill = 0


def to_floats(samples, out, scale: float = 1.0, offset: float = 0.0):  # noqa: ANN001, ANN201
    """out[i] = samples[i] * scale + offset, into a caller-owned array('f')."""
    for i in range(len(samples)):
        out[i] = samples[i] * scale + offset
    return out


def motion_features(window, channels: int, out, scale: float = 1.0):  # noqa: ANN001, ANN201
    """Per-axis statistics of an interleaved window, written into `out`
    (array('f') of 4*channels): for each axis mean, standard deviation,
    minimum and maximum, times `scale` (e.g. MPU6050.accel_scale for g).
    Order: [mean0, std0, min0, max0, mean1, ...] — a small, fixed-size input
    for gesture or activity classifiers."""
    frames = len(window) // channels
    for axis in range(channels):
        total = 0.0
        squares = 0.0
        low = high = window[axis]
        for i in range(axis, frames * channels, channels):
            v = window[i]
            total += v
            squares += v * v
            if v < low:
                low = v
            elif v > high:
                high = v
        mean = total / frames
        variance = squares / frames - mean * mean
        base = 4 * axis
        out[base] = mean * scale
        out[base + 1] = math.sqrt(variance if variance > 0 else 0.0) * scale
        out[base + 2] = low * scale
        out[base + 3] = high * scale
    return out


class RowStack:
    """The last `rows` feature rows, oldest first, as one contiguous buffer —
    a spectrogram that scrolls (micro_speech's 49 rows of 40 features).

    push(row) shifts the stack up one row (block copies, no allocation) and
    writes the new row at the bottom; full() once `rows` rows were pushed.
    """

    def __init__(self, rows: int, row_size: int, typecode: str = "b") -> None:
        self.rows = rows
        self.row_size = row_size
        self.window = SlidingWindow(rows, 1, typecode, row_size)
        self.view = self.window.view

    def push(self, row) -> None:  # noqa: ANN001
        """Append a row, dropping the oldest once full."""
        if self.window.ready():
            self.window.advance()
        self.window.extend(row)

    def full(self) -> bool:
        """True once `rows` rows were pushed."""
        return self.window.ready()

    def reset(self) -> None:
        """Empty the stack."""
        self.window.reset()
