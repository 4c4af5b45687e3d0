"""The latency table's measurement: instructions per unit of work from `tinyml bench`, which
give back exactly the measured instructions when applied to the model they came from."""

from __future__ import annotations

from pathlib import Path

import pytest
from tinyml_tools import latency
from tinyml_tools.board_bench import run_bench

MODELS = Path(__file__).resolve().parents[3] / "shared" / "models"


def test_a_table_measured_on_one_model_estimates_that_model_exactly(m4_firmware: Path) -> None:
    model = MODELS / "kws_ref_model.tflite"
    measured = latency.measure("m4", [model])
    bench = run_bench("m4", model)
    per_op: dict[str, int] = {}
    for op in bench.operators:
        per_op[op.op] = per_op.get(op.op, 0) + op.instructions
    assert {op: r["instructions"] for op, r in measured["operators"].items()} == per_op
    table = {"targets": {"m4": measured, "m0": measured}}
    stm32 = next(e for e in latency.estimate(model.read_bytes(), table) if e.board.name == "stm32f4")
    assert stm32.instructions == pytest.approx(sum(op.instructions for op in bench.operators))
    assert stm32.seconds == pytest.approx(stm32.instructions / 168e6)
