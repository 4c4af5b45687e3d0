"""From raw model outputs to decisions: scores, labels, smoothing, thresholds.

    scores = Scores(model.output(), load_labels("/labels.txt"))
    smooth = Smoother(len(scores), frames=3)
    gate = Hysteresis(on=0.7, off=0.4)
    debounce = Debounce(frames=2)

    scores.update()                                  # dequantize, no allocation
    label, p = scores.best(smooth.update(scores.values))
    if gate.update(p) and debounce.update(label) is not None: ...

Labels come from the model's metadata (model_info.labels(model), written by
tinyml-convert), a text file (one per line) or the application.
Smoother, Hysteresis and Debounce have state()/restore() so that a Pipeline
keeps them across a deep sleep (Pipeline(..., keep={"smoother": s, ...})).
"""

from array import array


def load_labels(path: str) -> tuple:
    """Labels from a text file, one per line (blank lines and # comments skipped)."""
    labels = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith("#"):
                labels.append(line)
    return tuple(labels)


class Scores:
    """The dequantized scores of an output tensor, refreshed in place."""

    def __init__(self, tensor, labels=None) -> None:  # noqa: ANN001 (tinyml.Tensor, sequence of str)
        self.tensor = tensor
        self.values = array("f", bytes(4 * len(tensor)))
        if labels is not None and len(labels) != len(tensor):
            raise ValueError(f"{len(labels)} labels for {len(tensor)} scores")
        self.labels = labels

    def __len__(self) -> int:
        return len(self.values)

    def update(self) -> array:
        """Re-read the tensor (after an invoke) into `values`."""
        return self.tensor.dequantize(self.values)

    def label(self, index: int):  # noqa: ANN201
        """The label of class `index` (the index itself without labels)."""
        return self.labels[index] if self.labels is not None else index

    def best(self, values=None) -> tuple:  # noqa: ANN001
        """(label, score) of the highest of `values` (default: these scores)."""
        values = self.values if values is None else values
        top = 0
        for i in range(1, len(values)):
            if values[i] > values[top]:
                top = i
        return self.label(top), values[top]

    def top_k(self, k: int, values=None) -> list:  # noqa: ANN001
        """The k best as [(label, score), ...], highest first."""
        values = self.values if values is None else values
        order = sorted(range(len(values)), key=lambda i: -values[i])
        return [(self.label(i), values[i]) for i in order[:k]]


class Smoother:
    """Mean of each class's score over the last `frames` updates (a moving
    average: one noisy frame cannot flip the decision)."""

    def __init__(self, classes: int, frames: int) -> None:
        self.classes = classes
        self.frames = frames
        self._history = array("f", bytes(4 * classes * frames))
        self._sums = array("f", bytes(4 * classes))
        self.values = array("f", bytes(4 * classes))
        self._next = 0
        self._count = 0

    def update(self, scores) -> array:  # noqa: ANN001
        """Add one frame of scores; returns the averages (a reused array)."""
        base = self._next * self.classes
        history = self._history
        sums = self._sums
        if self._count < self.frames:
            self._count += 1
        for i in range(self.classes):
            sums[i] += scores[i] - history[base + i]
            history[base + i] = scores[i]
            self.values[i] = sums[i] / self._count
        self._next = (self._next + 1) % self.frames
        return self.values

    def state(self) -> dict:
        """The history (JSON-able), to continue after a deep sleep."""
        return {"history": list(self._history), "next": self._next, "count": self._count}

    def restore(self, state: dict) -> None:
        """Continue from state(); the sums are recomputed from the history."""
        if len(state["history"]) != len(self._history):
            raise ValueError("smoother state has another size")
        for i, v in enumerate(state["history"]):
            self._history[i] = v
        self._next = state["next"]
        self._count = state["count"]
        for c in range(self.classes):
            total = 0.0
            for f in range(self.frames):
                total += self._history[f * self.classes + c]
            self._sums[c] = total
            self.values[c] = total / self._count if self._count else 0.0

    def reset(self) -> None:
        """Forget the history (start of an unrelated stream)."""
        for i in range(len(self._history)):
            self._history[i] = 0.0
        for i in range(self.classes):
            self._sums[i] = 0.0
        self._next = self._count = 0


class Hysteresis:
    """A threshold that switches on at `on` and back off only below `off`
    (off < on), so a score hovering at the threshold does not chatter."""

    def __init__(self, on: float, off: float) -> None:
        if off > on:
            raise ValueError("off threshold above on threshold")
        self.on = on
        self.off = off
        self.active = False

    def state(self) -> dict:
        """Whether it is on (JSON-able)."""
        return {"active": self.active}

    def restore(self, state: dict) -> None:
        """Continue from state()."""
        self.active = state["active"]

    def update(self, score: float) -> bool:
        """Feed one score; returns whether the threshold is (still) passed."""
        if self.active:
            if score < self.off:
                self.active = False
        elif score >= self.on:
            self.active = True
        return self.active


class Debounce:
    """Reports a decision once it was seen `frames` times in a row, then
    stays quiet for `refractory` updates (one spoken word is one event)."""

    def __init__(self, frames: int = 1, refractory: int = 0) -> None:
        self.frames = frames
        self.refractory = refractory
        self._candidate = None
        self._count = 0
        self._quiet = 0
        self._reported = None

    def state(self) -> dict:
        """Candidate, run length, refractory count and last event (JSON-able)."""
        return {"candidate": self._candidate, "count": self._count, "quiet": self._quiet,
                "reported": self._reported}  # fmt: skip

    def restore(self, state: dict) -> None:
        """Continue from state()."""
        self._candidate = state["candidate"]
        self._count = state["count"]
        self._quiet = state["quiet"]
        self._reported = state["reported"]

    def update(self, decision):  # noqa: ANN001, ANN201
        """Feed this frame's decision (None for nothing); returns the decision
        when it becomes an event, else None."""
        if self._quiet:
            self._quiet -= 1
        if decision != self._candidate:
            self._candidate = decision
            self._count = 0
            self._reported = None
        if decision is None:
            return None
        self._count += 1
        if self._count >= self.frames and self._reported != decision and not self._quiet:
            self._reported = decision
            self._quiet = self.refractory
            return decision
        return None
