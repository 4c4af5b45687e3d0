"""The application loop: sample -> features -> infer -> act -> sleep.

    pipe = Pipeline(source, window, featurize, model, act, policy)
    pipe.run()                         # until the source ends (or forever, for a sensor)
    print(pipe.report())

featurize(window_view, slot) turns one full window into model input: it
writes into `slot` (a memoryview typed like the model's input) and returns
True when the slot holds a complete input (a feature extractor that stacks
rows may need several windows). slot is None while no model is loaded:
featurize still says when an inference would be due. act(model) reads the output after each
inference (typically through postprocess.Scores).

batch=N gathers N inputs, then runs them back to back with the clock
raised, then the CPU goes back to sleep: fewer clock switches and wake-ups.
With batch=1 featurize writes straight into the model's input tensor.

The source paces itself through the policy's wait(), so time spent waiting
for samples is accounted (and spent) asleep. A model that is None (it failed
to load) or an inference that raises does not stop the loop: the failure is
counted, logged, and on_failure(exception) is the fallback action. The
watchdog (anything with feed()) is fed every window.

drift (a drift.DriftDetector) sees every complete model input before it is
run; each window of inputs it scores counts "drift-windows", and a drifted
one counts "drifted" and is logged ("input-drift", score and worst group).

Deep sleep: with resume=ResumeStore(...) and a PowerPolicy(deepsleep=True),
a wait long enough for deep sleep first runs what a batch has gathered, then
saves the counters, latency statistics, power accounting, the source's and the
drift detector's state and the state() of every object in `keep` (smoothers,
debouncers, the application's own), and calls machine.deepsleep. The board
wakes through a reset and runs the application again; when reset_cause() is
DEEPSLEEP_RESET the new Pipeline restores all of it (and charges the board's
wake_us as "wake"), counts "resumes" and carries on with the next window.
After any other reset a saved state is stale and is discarded. The sliding
window starts empty after a wake-up.
"""

import time
from array import array

from monitor import Counters, LatencyStats


class Pipeline:
    """sample -> features -> infer -> act -> sleep over a source (see the module docstring)."""

    def __init__(
        self,
        source: object,
        window: object,
        featurize: object,
        model: object,
        act: object,
        policy: object,
        batch: int = 1,
        log: object = None,
        on_failure: object = None,
        wdt: object = None,
        drift: object = None,
        resume: object = None,
        keep: dict | None = None,
    ) -> None:
        self.source = source
        self.window = window
        self.featurize = featurize
        self.model = model
        self.act = act
        self.policy = policy
        self.account = policy.account
        self.batch = batch
        self.log = log
        self.on_failure = on_failure
        self.wdt = wdt
        self.drift = drift
        self.resume = resume
        self.keep = keep or {}
        self.counters = Counters()
        self.latency = LatencyStats()
        source.wait = policy.wait
        self._slots = self._make_slots()
        self._filled = 0
        self.resumed = False
        if policy.use_deepsleep and resume is None:
            raise ValueError("deep sleep needs resume=ResumeStore(...) to keep the pipeline's state")
        if resume is not None:
            policy.before_deepsleep = self._flush
            policy.save_state = self.save_state
            if resume.woke_from_deepsleep():
                state = resume.load()
                if state is not None:
                    self._restore(state)
                elif log is not None:
                    log.append("resume-failed", "no valid saved state")
            else:
                resume.clear()

    def _make_slots(self) -> list:
        if self.model is None:
            # No input to fill; featurize still runs (its state stays current) and
            # still says when an inference is due, so the fallback runs then.
            return [None] * self.batch
        tensor = self.model.input()
        if self.batch == 1:
            return [tensor.data]
        typecode = "b" if tensor.dtype == "int8" else ("B" if tensor.dtype == "uint8" else "f")
        if tensor.dtype not in ("int8", "uint8", "float32"):
            raise ValueError("batching supports int8, uint8 and float32 inputs")
        return [memoryview(array(typecode, bytes(tensor.nbytes))) for _ in range(self.batch)]

    def run(self, max_windows=None, max_inferences=None) -> None:  # noqa: ANN001
        """Loop until the source ends or a limit is reached."""
        account = self.account
        windows = 0
        while max_windows is None or windows < max_windows:
            if max_inferences is not None and self.counters["inferences"] >= max_inferences:
                break
            if self.wdt is not None:
                self.wdt.feed()
            account.enter("sample")
            n = self.window.fill_from(self.source)
            if not self.window.ready():
                if n == 0:
                    break  # the source ended
                continue
            windows += 1
            self.counters.inc("windows")
            account.enter("features")
            slot = self._slots[self._filled]
            if self.featurize(self.window.view, slot):
                self._filled += 1
                if self.drift is not None and slot is not None and self.drift.update(slot):
                    self._drift_scored()
            self.window.advance()
            if self._filled == self.batch:
                self._infer_batch()
        if self._filled:
            self._infer_batch()  # what was gathered before the end
        account.enter("sample")

    def _drift_scored(self) -> None:
        self.counters.inc("drift-windows")
        if self.drift.drifted:
            self.counters.inc("drifted")
            if self.log is not None:
                self.log.append("input-drift", f"score {self.drift.score:.3f} group {self.drift.worst_group}")

    def _flush(self) -> None:
        """Before a deep sleep: run the inputs a batch has gathered."""
        if self._filled:
            self._infer_batch()

    def save_state(self, ms: int) -> None:
        """Persist what must survive a deep sleep of `ms` (called by the policy)."""
        self.counters.inc("deepsleeps")
        state = {
            "counters": self.counters.values,
            "latency": self.latency.state(),
            "account": self.account.totals(),
            "keep": {name: obj.state() for name, obj in self.keep.items()},
        }
        if hasattr(self.source, "state"):
            state["source"] = self.source.state()
        if self.drift is not None:
            state["drift"] = self.drift.state()
        self.resume.save(state)
        if self.log is not None:
            self.log.append("deepsleep", f"{ms} ms")

    def _restore(self, state: dict) -> None:
        self.counters.values.update(state["counters"])
        self.latency.restore(state["latency"])
        self.account.restore(state["account"])
        self.account.add("wake", self.account.currents.get("wake_us", 0))
        for name, obj in self.keep.items():
            if name in state["keep"]:
                obj.restore(state["keep"][name])
        if "source" in state and hasattr(self.source, "restore"):
            self.source.restore(state["source"])
        if "drift" in state and self.drift is not None:
            self.drift.restore(state["drift"])
        self.counters.inc("resumes")
        self.resumed = True
        if self.log is not None:
            # ticks_ms counts from boot on bare-metal ports: the real wake-up cost, to compare with wake_us.
            self.log.append("resumed", f"deepsleeps {self.counters['deepsleeps']} ticks_ms {time.ticks_ms()}")

    def _infer_batch(self) -> None:
        count = self._filled
        self._filled = 0
        self.policy.boost()
        try:
            for i in range(count):
                if self.batch > 1 and self.model is not None:
                    self.model.input().data = self._slots[i]
                self._infer_one()
        finally:
            self.policy.relax()

    def _infer_one(self) -> None:
        account = self.account
        account.enter("infer")
        try:
            if self.model is None:
                raise RuntimeError("no model loaded")
            start = time.ticks_us()
            self.model.invoke()
            self.latency.add(time.ticks_diff(time.ticks_us(), start))
            self.counters.inc("inferences")
        except Exception as e:  # noqa: BLE001 (any failure degrades to the fallback)
            self.counters.inc("failures")
            if self.log is not None:
                self.log.append("inference-failed", repr(e))
            account.enter("act")
            if self.on_failure is not None:
                self.on_failure(e)
            return
        account.enter("act")
        self.act(self.model)

    def report(self) -> str:
        """Counters, latency and power accounting as text."""
        lines = [f"{k}: {v}" for k, v in sorted(self.counters.values.items())]
        if self.latency.count:
            s = self.latency
            # One f-string per line: MicroPython cannot join adjacent f-strings.
            spread = f"p50 {s.percentile(50)}, p95 {s.percentile(95)}, max {s.max}"
            lines.append(f"latency us: mean {s.mean:.0f}, min {s.min}, " + spread)
        lines.append(self.account.report())
        return "\n".join(lines)
