"""`tinyml run`: a model through the MicroPython module, byte for byte what TFLM computes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support.modelgen import graph_io, numpy_dtype, unsupported_models
from support.oracle import tflm_run, tflm_run_many
from tinyml_tools.run import RunError, run_model

TINYML = Path(sys.executable).parent / "tinyml"

# Every reference model TFLM runs as is (the float32 KWS one is hybrid, which
# TFLM refuses; the audio preprocessor has its own tests in test_micro_speech).
RUNNABLE_MODELS = [
    "hello_world_int8.tflite",
    "hello_world_float.tflite",
    "micro_speech_quantized.tflite",
    "kws_ref_model.tflite",
    "pretrainedResnet_quant.tflite",
    "ad01_int8.tflite",
]


def random_inputs(model: bytes, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    inputs = []
    for spec in graph_io(model)[0]:
        dtype = np.dtype(numpy_dtype(spec.dtype))
        if dtype.kind == "f":
            inputs.append(rng.uniform(-2, 2, spec.shape).astype(dtype))
        else:
            info = np.iinfo(dtype)
            inputs.append(rng.integers(info.min, info.max, spec.shape, endpoint=True).astype(dtype))
    return inputs


def tinyml_cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(TINYML), *map(str, args)], capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("name", ["hello_world_int8.tflite", "kws_ref_model.tflite"])
def test_cli_writes_outputs_identical_to_tflm(name: str, shared_models: Path, tmp_path: Path) -> None:
    model = (shared_models / name).read_bytes()
    inputs = random_inputs(model, seed=1)
    input_files = []
    for i, x in enumerate(inputs):
        input_files += ["--input", tmp_path / f"in{i}.npy"]
        np.save(tmp_path / f"in{i}.npy", x)

    proc = tinyml_cli("run", shared_models / name, *input_files, "--output-dir", tmp_path / "out")

    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["arena_bytes"] > 0 and report["state_bytes"] > 0
    assert report["invoke_us"] >= 0
    ops = [t["op"] for t in report["profile"]]
    assert len(ops) == len(report["profile"]) > 0 and all(t["us"] >= 0 for t in report["profile"])
    expected = tflm_run(model, inputs)
    for o, want in enumerate(expected):
        got = np.load(tmp_path / "out" / f"output{o}.npy")
        assert got.dtype == want.dtype and got.shape == want.shape
        assert got.tobytes() == want.tobytes(), f"output {o} differs from TFLM"


@pytest.mark.parametrize("name", RUNNABLE_MODELS)
def test_run_model_matches_tflm_on_many_input_sets(name: str, shared_models: Path) -> None:
    model = (shared_models / name).read_bytes()
    input_sets = [random_inputs(model, seed) for seed in range(5)]

    result = run_model(model, input_sets)

    expected = tflm_run_many(model, input_sets)
    assert len(result.sets) == len(input_sets)
    for s, (got_set, want_set) in enumerate(zip(result.outputs, expected, strict=True)):
        for o, (got, want) in enumerate(zip(got_set, want_set, strict=True)):
            assert got.dtype == want.dtype and got.shape == want.shape, f"set {s} output {o}"
            assert got.tobytes() == want.tobytes(), f"set {s} output {o} differs from TFLM"


def test_run_model_without_profile_reports_no_op_times(shared_models: Path) -> None:
    model = (shared_models / "hello_world_int8.tflite").read_bytes()
    result = run_model(model, [random_inputs(model, 0)], profile=False)
    assert result.sets[0].profile == []
    assert result.summary()["profile"] == []


def test_run_model_refusals_carry_the_runtime_message(shared_models: Path) -> None:
    model = (shared_models / "hello_world_int8.tflite").read_bytes()
    with pytest.raises(RunError, match=r"input 0 expects shape \(1, 1\) int8; got shape \(1, 2\) int8"):
        run_model(model, [[np.zeros((1, 2), np.int8)]])
    with pytest.raises(RunError, match=r"the model has 1 input\(s\); got 2"):
        run_model(model, [[np.zeros((1, 1), np.int8)] * 2])
    with pytest.raises(RunError, match=r"^ValueError: model: "):
        run_model(model[: len(model) // 2], [[np.zeros((1, 1), np.int8)]])


# ---- error exits -------------------------------------------------------------------


def test_cli_wrong_input_dtype_exits_1_with_the_expected_shape_and_dtype(
    shared_models: Path, tmp_path: Path
) -> None:
    np.save(tmp_path / "x.npy", np.zeros((1, 1), np.float32))
    proc = tinyml_cli(
        "run",
        shared_models / "hello_world_int8.tflite",
        "--input",
        tmp_path / "x.npy",
        "--output-dir",
        tmp_path,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip() == (
        "tinyml run: error: ValueError: input 0 expects shape (1, 1) int8; got shape (1, 1) float32"
    )
    assert proc.stdout == ""
    assert not (tmp_path / "output0.npy").exists()


def test_cli_missing_model_or_input_file(shared_models: Path, tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((1, 1), np.int8))
    missing_model = tinyml_cli(
        "run", tmp_path / "nope.tflite", "--input", tmp_path / "x.npy", "--output-dir", tmp_path
    )
    assert missing_model.returncode == 1
    assert (
        missing_model.stderr.strip() == f"tinyml run: error: model file not found: {tmp_path / 'nope.tflite'}"
    )

    missing_input = tinyml_cli(
        "run",
        shared_models / "hello_world_int8.tflite",
        "--input",
        tmp_path / "nope.npy",
        "--output-dir",
        tmp_path,
    )
    assert missing_input.returncode == 1
    assert missing_input.stderr.strip() == f"tinyml run: error: input file not found: {tmp_path / 'nope.npy'}"


def test_cli_corrupt_and_unsupported_models(shared_models: Path, tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.zeros((1, 1), np.int8))
    corrupt = tmp_path / "corrupt.tflite"
    corrupt.write_bytes(b"\x10\x00\x00\x00NOPE" + bytes(64))
    proc = tinyml_cli("run", corrupt, "--input", tmp_path / "x.npy", "--output-dir", tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("tinyml run: error: ValueError: model: ")
    assert "Traceback" not in proc.stderr

    unsupported = tmp_path / "unsupported.tflite"
    unsupported.write_bytes(unsupported_models()["unsupported_builtin"])
    proc = tinyml_cli("run", unsupported, "--input", tmp_path / "x.npy", "--output-dir", tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("tinyml run: error: NotImplementedError: operator LSH_PROJECTION")


def test_cli_usage_errors_and_help() -> None:
    no_command = tinyml_cli()
    assert no_command.returncode == 2 and "COMMAND" in no_command.stderr
    no_output_dir = tinyml_cli("run", "m.tflite")
    assert no_output_dir.returncode == 2 and "--output-dir" in no_output_dir.stderr
    help_text = tinyml_cli("run", "--help")
    assert help_text.returncode == 0
    for phrase in ("MODEL.tflite", "--input", "--output-dir", "output0.npy", "JSON"):
        assert phrase in help_text.stdout
