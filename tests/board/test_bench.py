"""`tinyml bench`: exact instruction counts of one invoke on the emulated boards, as JSON."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from test_conformance import MODELS_DIR, case
from tinyml_tools import board_bench, model_info


def tinyml_bench(model: str, target: str) -> dict[str, object]:
    command = [sys.executable, "-m", "tinyml_tools.cli", "bench", str(MODELS_DIR / f"{model}.tflite")]
    result = subprocess.run(command + ["--target", target], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize(("model", "target"), [("kws_ref_model", "m4"), ("micro_speech_quantized", "m0")])
def test_bench_counts_are_exact_and_add_up(model: str, target: str) -> None:
    first = tinyml_bench(model, target)
    second = tinyml_bench(model, target)
    # Every figure is reproducible. On the M4 instruction counts are exact; on the M0
    # a reading can be off by one (128 ns per instruction is not a whole number of
    # 62.5 ns SysTick ticks, boards/qemu/README.md), so counts there agree within 1.
    slack = 1 if target == "m0" else 0
    assert abs(first["instructions"] - second["instructions"]) <= slack
    for a, b in zip(first["operators"], second["operators"], strict=True):
        assert abs(a["instructions"] - b["instructions"]) <= slack
        assert {**a, "instructions": 0} == {**b, "instructions": 0}
    counts = {"instructions", "instructions_per_mac", "operators"}
    assert {k: v for k, v in first.items() if k not in counts} == {
        k: v for k, v in second.items() if k not in counts
    }
    data = (MODELS_DIR / f"{model}.tflite").read_bytes()
    assert first["model"] == model and first["target"] == target
    assert first["macs"] == model_info.total_macs(data)
    assert first["model_bytes"] == len(data)
    assert first["instructions_per_mac"] == round(first["instructions"] / first["macs"], 3)
    operators = first["operators"]
    assert [op["op"] for op in operators] == [op.name for op in model_info.operators(data)]
    # The per-operator counts come from a profiled invoke (each includes part of
    # two clock readings); they add up to the unprofiled total within 1%.
    per_op = sum(op["instructions"] for op in operators)
    assert abs(per_op - first["instructions"]) < 0.01 * first["instructions"]
    assert first["arena_bytes"] > 0 and first["state_bytes"] > 0
    # The bench ran the perf-anchors input: its outputs are TFLM's.
    assert first["outputs"] == [list(out.tobytes()) for out in case(model).expected[-1]]


def test_macs_agree_with_perf_anchors() -> None:
    anchors = board_bench.read_perf_anchors()
    in_shared = [name for name in anchors if (MODELS_DIR / f"{name}.tflite").exists()]
    assert len(in_shared) >= 3
    for name in in_shared:
        assert model_info.total_macs((MODELS_DIR / f"{name}.tflite").read_bytes()) == anchors[name].macs, name


def test_models_too_big_for_the_m0_are_reported_as_not_fitting() -> None:
    with pytest.raises(board_bench.DoesNotFit, match="larger than the M0's flash"):
        board_bench.run_bench("m0", MODELS_DIR / "ad01_int8.tflite")
