"""Conformance on real models: our engine produces TFLM's bytes, and needs no more memory.

Every model in scope runs on seeded random inputs through our engine (host
runner) and through TFLM (pip tflite-micro, one subprocess per model for all
inputs); the outputs must be byte-identical, float models included. The
models come from ../shared/models (relative to the project root), which CI
always provides, so their absence fails the tests.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from support.engine import EngineResult, random_inputs, tinyml_run_detailed
from support.modelgen import graph_io
from support.oracle import tflm_arena_used, tflm_min_arena, tflm_run_many

MODELS = [
    "hello_world_int8",
    "hello_world_float",
    "micro_speech_quantized",
    "kws_ref_model",
    "pretrainedResnet_quant",
    "ad01_int8",
    # TFLM signal-library custom ops (micro_speech's feature front end).
    "audio_preprocessor_int8",
    "audio_preprocessor_float",
]
RANDOM_SEEDS = range(20)

# ../shared/docs/perf-anchors.md: outputs for the input byte i = (int8)((7 * i) mod 256).
DOCUMENTED_OUTPUTS = {
    "kws_ref_model": [-128, -128, -128, -128, -128, -128, -128, -128, -128, 122, -128, -122],
    "pretrainedResnet_quant": [-128, -128, -128, 127, -128, -128, -128, -128, -128, -128],
    "ad01_int8": [-31, 23, 54, 72, 63, 60, 60, 76, 63, 57, 57, 52, 38, 37, 34, 36],  # the first 16
}


def anchor_input(model: bytes) -> np.ndarray:
    """The perf-anchors input: byte i of the (single, int8) input is (7 * i) mod 256."""
    (info,) = graph_io(model)[0]
    assert info.dtype == "int8", f"anchor input is defined for int8 inputs, not {info.dtype}"
    count = int(np.prod(info.shape))
    return ((7 * np.arange(count)) % 256).astype(np.uint8).view(np.int8).reshape(info.shape)


def _describe_difference(ours: np.ndarray, theirs: np.ndarray) -> str:
    if ours.shape != theirs.shape or ours.dtype != theirs.dtype:
        return f"ours {ours.dtype}{list(ours.shape)} vs TFLM {theirs.dtype}{list(theirs.shape)}"
    bits = f"u{ours.dtype.itemsize}"  # compare bit patterns, so float -0.0 != 0.0 and NaN == NaN
    flat_ours, flat_theirs = ours.reshape(-1), theirs.reshape(-1)
    differ = np.flatnonzero(flat_ours.view(bits) != flat_theirs.view(bits))
    first = int(differ[0])
    return (
        f"{len(differ)} of {ours.size} elements differ; first at flat index {first}: "
        f"ours {flat_ours[first]!r} vs TFLM {flat_theirs[first]!r}"
    )


class ModelRun:
    """One model's inputs and TFLM's answers, computed once per test module."""

    def __init__(self, name: str, models_dir: Path) -> None:
        self.name = name
        self.model = (models_dir / f"{name}.tflite").read_bytes()
        self.input_sets = [random_inputs(self.model, seed) for seed in RANDOM_SEEDS]
        self.anchor = [anchor_input(self.model)] if name in DOCUMENTED_OUTPUTS else None
        sets = self.input_sets + ([self.anchor] if self.anchor else [])
        answers = tflm_run_many(self.model, sets)
        self.expected = answers[: len(self.input_sets)]
        self.anchor_expected = answers[-1] if self.anchor else None


@pytest.fixture(scope="module")
def runs() -> dict[str, ModelRun]:
    """TFLM's answers per model, shared by the tests of this module."""
    return {}


@pytest.fixture
def model_run(request: pytest.FixtureRequest, runs: dict[str, ModelRun], shared_models: Path) -> ModelRun:
    name = request.param
    if name not in runs:
        runs[name] = ModelRun(name, shared_models)
    return runs[name]


@pytest.mark.parametrize("model_run", MODELS, indirect=True)
def test_outputs_are_byte_identical_to_tflm(model_run: ModelRun) -> None:
    mismatches = []
    for seed, inputs, expected in zip(RANDOM_SEEDS, model_run.input_sets, model_run.expected, strict=True):
        outputs = tinyml_run_detailed(model_run.model, inputs).outputs
        assert len(outputs) == len(expected), (
            f"{model_run.name}: {len(outputs)} outputs, TFLM has {len(expected)}"
        )
        for o, (ours, theirs) in enumerate(zip(outputs, expected, strict=True)):
            if ours.dtype != theirs.dtype or ours.shape != theirs.shape or ours.tobytes() != theirs.tobytes():
                mismatches.append(f"seed {seed} output {o}: {_describe_difference(ours, theirs)}")
    assert not mismatches, f"{model_run.name}: {len(mismatches)} mismatches:\n" + "\n".join(mismatches)


@pytest.mark.parametrize("model_run", sorted(DOCUMENTED_OUTPUTS), indirect=True)
def test_anchor_input_gives_the_documented_outputs(model_run: ModelRun) -> None:
    documented = DOCUMENTED_OUTPUTS[model_run.name]
    assert model_run.anchor is not None and model_run.anchor_expected is not None
    tflm_output = model_run.anchor_expected[0].reshape(-1)
    assert tflm_output[: len(documented)].tolist() == documented, "TFLM disagrees with perf-anchors.md"
    (ours,) = tinyml_run_detailed(model_run.model, model_run.anchor).outputs
    assert ours.reshape(-1)[: len(documented)].tolist() == documented
    assert ours.tobytes() == model_run.anchor_expected[0].tobytes()


@pytest.mark.parametrize("model_run", MODELS, indirect=True)
def test_memory_is_no_more_than_tflm_arena(model_run: ModelRun, capsys: pytest.CaptureFixture[str]) -> None:
    """Ours: state block + arena, everything a user must allocate besides the
    model. TFLM: the arena its allocator uses (head + tail, which includes its
    per-tensor and per-node records); the smallest arena it runs in is
    printed too (it also needs room for temporary allocations while preparing)."""
    result: EngineResult = tinyml_run_detailed(model_run.model, model_run.input_sets[0])
    ours = result.arena_bytes + result.state_bytes
    tflm_min = tflm_min_arena(model_run.model)
    tflm_used = tflm_arena_used(model_run.model)
    with capsys.disabled():
        print(
            f"\n  {model_run.name}: ours {ours} B (arena {result.arena_bytes} + state {result.state_bytes}); "
            f"TFLM min arena {tflm_min} B, TFLM arena used {tflm_used} B "
            f"({100.0 * ours / tflm_used:.0f}% of used)"
        )
    assert ours <= tflm_used, f"{model_run.name}: we need {ours} bytes, TFLM's arena uses {tflm_used}"
