"""Sliding windows hand out every window of a stream, `hop` frames apart,
contiguous and without allocating; motion features are per-axis statistics."""

from __future__ import annotations

import ast
from collections.abc import Callable

import numpy as np


def test_windows_equal_slices_of_the_stream(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        from array import array
        from windows import SlidingWindow
        class Counter:                    # a source: 0, 1, 2, ... in odd-sized reads
            def __init__(self): self.next = 0
            def readinto(self, buf):
                n = min(len(buf), 7, 100 - self.next)
                for i in range(n): buf[i] = self.next + i
                self.next += n
                return n
        for length, hop in ((10, 3), (10, 10), (9, 4), (5, 1)):
            win = SlidingWindow(length, hop, "h")
            source = Counter()
            starts = []
            while win.fill_from(source) or win.ready():
                if win.ready():
                    w = list(win.view)
                    assert w == list(range(w[0], w[0] + length)), w
                    starts.append(w[0])
                    win.advance()
            print(length, hop, starts)
        """
    )
    for line in out.splitlines():
        length, hop, starts = line.split(" ", 2)
        assert ast.literal_eval(starts) == list(range(0, 100 - int(length) + 1, int(hop)))


def test_interleaved_channels_slide_by_whole_frames(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        from array import array
        from windows import SlidingWindow
        win = SlidingWindow(length=4, hop=2, typecode="h", channels=3)
        frames = array("h", range(3 * 8))
        taken = 0
        while taken < len(frames):
            taken += win.extend(memoryview(frames)[taken:])
            if win.ready():
                print(list(win.view))
                win.advance()
        """
    )
    assert out.splitlines() == [
        str(list(range(0, 12))),
        str(list(range(6, 18))),
        str(list(range(12, 24))),
    ]


def test_row_stack_keeps_the_last_rows_oldest_first(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        from array import array
        from windows import RowStack
        stack = RowStack(rows=3, row_size=2, typecode="b")
        for r in range(5):
            stack.push(array("b", [r, -r]))
            print(stack.full(), list(stack.view))
        """
    )
    assert out.splitlines() == [
        "False [0, 0, 0, 0, 0, 0]",
        "False [0, 0, 1, -1, 0, 0]",
        "True [0, 0, 1, -1, 2, -2]",
        "True [1, -1, 2, -2, 3, -3]",
        "True [2, -2, 3, -3, 4, -4]",
    ]


def test_motion_features_are_mean_std_min_max_per_axis(mpy: Callable[[str], str]) -> None:
    rng = np.random.default_rng(7)
    window = rng.integers(-2000, 2000, size=(50, 3)).astype(np.int16)
    out = mpy(
        f"""
        from array import array
        from windows import motion_features, to_floats
        window = array("h", {window.ravel().tolist()!r})
        out = array("f", bytes(4 * 12))
        motion_features(window, 3, out, scale=0.5)
        print([round(v, 2) for v in out])
        floats = array("f", bytes(4 * 4))
        print(list(to_floats(window[:4], floats, scale=2.0, offset=1.0)))
        """
    )
    features, floats = out.splitlines()
    w = window.astype(np.float64) * 0.5
    expected = np.stack([w.mean(0), w.std(0), w.min(0), w.max(0)], axis=1).ravel()
    np.testing.assert_allclose(ast.literal_eval(features), expected, rtol=1e-4, atol=0.02)
    assert ast.literal_eval(floats) == [v * 2.0 + 1.0 for v in window.ravel()[:4].tolist()]
