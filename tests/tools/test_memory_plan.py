"""The arena plan the HTML report draws: offsets from the engine (host runner --plan) and
lifetimes by the planner's rules, checked against the planner's own promises."""

from __future__ import annotations

from pathlib import Path

import pytest
from tinyml_tools.memory_plan import PlanError, plan_of
from tinyml_tools.runtime_info import probe

MODELS = Path(__file__).resolve().parents[3] / "shared" / "models"


@pytest.mark.parametrize(
    "name", ["kws_ref_model", "kws_ref_model_float32", "audio_preprocessor_int8", "pretrainedResnet_quant"]
)
def test_the_plan_is_the_runtimes_and_keeps_live_buffers_apart(name: str) -> None:
    model = (MODELS / f"{name}.tflite").read_bytes()
    plan = plan_of(model)
    # The same arena the x64 module (the device code path) plans.
    assert plan.arena_bytes == probe(model).model.arena_bytes
    live = [b for b in plan.buffers if b.bytes]
    for i, a in enumerate(live):
        assert a.offset >= 0 and a.offset + a.bytes <= plan.arena_bytes
        assert 0 <= a.first <= a.last <= plan.steps - 1
        for b in live[i + 1 :]:
            together = a.first <= b.last and b.first <= a.last
            overlap = a.offset < b.offset + b.bytes and b.offset < a.offset + a.bytes
            assert not (together and overlap) or (a.offset, a.bytes) == (b.offset, b.bytes), (a, b)
    # The planner's liveness lower bound is the most bytes alive at one step.
    assert max(plan.alive_bytes(s) for s in range(plan.steps)) == plan.lower_bound_bytes


def test_scratch_and_persistent_node_memory_are_part_of_the_plan() -> None:
    plan = plan_of((MODELS / "audio_preprocessor_int8.tflite").read_bytes())
    persistent = [b for b in plan.buffers if b.kind == "persistent"]
    scratch = [b for b in plan.buffers if b.kind == "scratch"]
    assert persistent and all((b.first, b.last) == (0, plan.steps - 1) for b in persistent)
    assert scratch and all(b.first == b.last for b in scratch)  # alive while its node runs
    node = int(scratch[0].label.split()[1])
    assert scratch[0].first == node + 1


def test_a_model_the_engine_refuses_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match="the engine refuses the model"):
        plan_of(b"not a flatbuffer at all")
