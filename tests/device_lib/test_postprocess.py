"""From a model's output to decisions: dequantized scores with labels,
top-k, smoothing over frames, thresholds with hysteresis, debounce."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path


def test_scores_dequantize_the_output_in_place_with_labels(
    mpy: Callable[[str], str], tmp_path: Path, shared_models: Path
) -> None:
    (tmp_path / "labels.txt").write_text("# micro_speech\nsilence\nunknown\n\nyes\nno\n")
    classifier = shared_models / "micro_speech_quantized.tflite"
    out = mpy(
        f"""
        import tinyml
        from postprocess import Scores, load_labels
        model = tinyml.Model("{classifier}")
        y = model.output()
        labels = load_labels("labels.txt")
        scores = Scores(y, labels)
        y.data[:] = bytes([128, 200, 0, 64])          # raw int8 scores: -128, -56, 0, 64
        values = scores.update()
        assert values is scores.values
        assert list(values) == list(y.dequantize())
        print(labels)
        print(scores.best())
        print(scores.top_k(2))
        try:
            Scores(y, ("a", "b"))
        except ValueError as e:
            print("ValueError:", e)
        """
    )
    lines = out.splitlines()
    assert lines[0] == "('silence', 'unknown', 'yes', 'no')"
    assert lines[1] == "('no', 0.75)"  # (64 - (-128)) / 256
    assert lines[2] == "[('no', 0.75), ('yes', 0.5)]"
    assert lines[3] == "ValueError: 2 labels for 4 scores"


def test_smoothing_hysteresis_and_debounce(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        from postprocess import Smoother, Hysteresis, Debounce
        s = Smoother(2, frames=3)
        print([list(s.update(v)) for v in ([3.0, 0.0], [0.0, 3.0], [0.0, 3.0], [0.0, 0.0])])
        gate = Hysteresis(on=0.7, off=0.4)
        print([gate.update(p) for p in (0.5, 0.7, 0.5, 0.41, 0.39, 0.69, 0.9)])
        d = Debounce(frames=2, refractory=3)
        stream = ["yes", "yes", "yes", None, "no", "no", "no", "yes", "yes", "yes"]
        print([d.update(x) for x in stream])
        """
    )
    smoothed, gated, events = out.splitlines()
    # The average covers the frames seen so far, then the last three.
    assert smoothed == "[[3.0, 0.0], [1.5, 1.5], [1.0, 2.0], [0.0, 2.0]]"
    assert gated == "[False, True, True, True, False, False, True]"
    # A decision counts once it repeats; one event per run; nothing within 3 updates of an event.
    assert events == "[None, 'yes', None, None, None, 'no', None, None, 'yes', None]"
