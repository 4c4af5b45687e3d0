"""Bad models: the engine refuses them with a message naming the problem.

Every case runs through the host runner built with AddressSanitizer and
UBSan (build/host/tml_run_asan): a refusal is exit code 1 with the engine's
message on stderr; a crash, a sanitizer report or a hang fails the test.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
from support.engine import RUNNER_ASAN, SANITIZER_EXIT_CODE, run_model_bytes
from support.modelgen import TensorSpec, edit_model, graph_io, numpy_dtype, single_op_model
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

# Generous for one run of a small model under the sanitizers; a loader that
# loops on a hostile offset would blow it.
RUN_TIMEOUT_SECONDS = 20
SANITIZER_MARKERS = ("AddressSanitizer", "UndefinedBehaviorSanitizer", "runtime error:", "LeakSanitizer")


def zero_inputs(model: bytes) -> list[bytes]:
    """All-zero input bytes of the right sizes for a model."""
    return [
        bytes(int(np.prod(info.shape, dtype=np.int64)) * np.dtype(numpy_dtype(info.dtype)).itemsize)
        for info in graph_io(model)[0]
    ]


def run_hostile(model: bytes, inputs: list[bytes]) -> subprocess.CompletedProcess[str]:
    """Runs a model that may be corrupt; fails the test on a crash, sanitizer report or hang."""
    try:
        proc = run_model_bytes(model, inputs, runner=RUNNER_ASAN, timeout=RUN_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"engine hung (> {RUN_TIMEOUT_SECONDS} s) on a {len(model)}-byte model")
    report = proc.stderr + proc.stdout
    assert proc.returncode >= 0, f"engine crashed with signal {-proc.returncode}:\n{report[-3000:]}"
    assert proc.returncode != SANITIZER_EXIT_CODE and not any(m in report for m in SANITIZER_MARKERS), (
        f"sanitizer report:\n{report[-5000:]}"
    )
    assert proc.returncode in (0, 1), f"unexpected exit code {proc.returncode}:\n{report[-3000:]}"
    if proc.returncode == 0:
        json.loads(proc.stdout.strip().splitlines()[-1])  # a run that succeeds reports normally
    else:
        assert proc.stderr.strip(), "refused without a message"
    return proc


def refusal(model: bytes, inputs: list[bytes] | None = None) -> str:
    """The engine's message for a model it must refuse."""
    proc = run_hostile(model, zero_inputs(model) if inputs is None else inputs)
    assert proc.returncode == 1, f"engine accepted a bad model: {proc.stdout.strip()}"
    return proc.stderr.strip()


def valid_model() -> bytes:
    """A small FULLY_CONNECTED model the engine runs (the base for the broken variants)."""
    return single_op_model(
        "FULLY_CONNECTED",
        [
            TensorSpec((1, 3), "int8", 0.5, 0),
            TensorSpec((2, 3), "int8", 0.25, 0, data=np.arange(6, dtype=np.int8).reshape(2, 3)),
            TensorSpec((2,), "int32", 0.125, 0, data=np.array([1, -1], np.int32)),
        ],
        [TensorSpec((1, 2), "int8", 1.0, 0)],
    )


def test_the_base_model_runs() -> None:
    proc = run_hostile(valid_model(), zero_inputs(valid_model()))
    assert proc.returncode == 0, proc.stderr


def test_empty_and_tiny_files() -> None:
    assert "too short" in refusal(b"", [])
    assert "too short" in refusal(b"\x0c\x00\x00\x00TFL", [])


def test_wrong_file_identifier() -> None:
    model = bytearray(valid_model())
    model[4:8] = b"TFL2"
    assert "TFL3" in refusal(bytes(model), zero_inputs(valid_model()))


def test_not_a_model_at_all() -> None:
    message = refusal(b"\x7fELF" + bytes(range(256)) * 4, [])
    assert "TFL3" in message or "not a TFLite model" in message


def _set_version(m: schema.ModelT) -> None:
    m.version = 2


def test_unsupported_schema_version() -> None:
    assert re.search(r"schema version 2\b", refusal(edit_model(valid_model(), _set_version)))


def test_root_offset_out_of_range() -> None:
    model = bytearray(valid_model())
    model[0:4] = (len(model) + 64).to_bytes(4, "little")
    message = refusal(bytes(model), zero_inputs(valid_model()))
    assert "corrupt" in message or "past the end" in message


def _tensor_buffer_99(m: schema.ModelT) -> None:
    m.subgraphs[0].tensors[1].buffer = 99


def test_tensor_buffer_index_out_of_range() -> None:
    message = refusal(edit_model(valid_model(), _tensor_buffer_99))
    assert "buffer 99" in message and "tensor 1" in message


def _operator_input_57(m: schema.ModelT) -> None:
    m.subgraphs[0].operators[0].inputs[1] = 57


def test_operator_tensor_index_out_of_range() -> None:
    message = refusal(edit_model(valid_model(), _operator_input_57))
    assert "tensor 57" in message and "operator 0" in message


def _operator_input_minus_5(m: schema.ModelT) -> None:
    m.subgraphs[0].operators[0].inputs[0] = -5


def test_negative_tensor_index_other_than_minus_one() -> None:
    assert "-5" in refusal(edit_model(valid_model(), _operator_input_minus_5))


def _graph_output_57(m: schema.ModelT) -> None:
    m.subgraphs[0].outputs[0] = 57


def test_graph_output_index_out_of_range() -> None:
    message = refusal(edit_model(valid_model(), _graph_output_57))
    assert "tensor 57" in message and "output" in message


def _opcode_index_5(m: schema.ModelT) -> None:
    m.subgraphs[0].operators[0].opcodeIndex = 5


def test_operator_code_index_out_of_range() -> None:
    assert "operator code 5" in refusal(edit_model(valid_model(), _opcode_index_5))


def _no_subgraphs(m: schema.ModelT) -> None:
    m.subgraphs = []


def test_model_without_subgraph() -> None:
    assert "no subgraph" in refusal(edit_model(valid_model(), _no_subgraphs), [])


def _short_weights(m: schema.ModelT) -> None:
    m.buffers[m.subgraphs[0].tensors[1].buffer].data = np.zeros(4, np.uint8)


def test_constant_data_shorter_than_its_shape() -> None:
    message = refusal(edit_model(valid_model(), _short_weights))
    assert "tensor 1" in message and "6 bytes" in message and "4" in message


def _rank_7(m: schema.ModelT) -> None:
    m.subgraphs[0].tensors[0].shape = [1, 1, 1, 1, 1, 1, 3]


def test_rank_above_the_maximum() -> None:
    message = refusal(edit_model(valid_model(), _rank_7), [bytes(3)])
    assert "tensor 0" in message and "7 dimensions" in message


def _dynamic_dimension(m: schema.ModelT) -> None:
    m.subgraphs[0].tensors[0].shape = [-1, 3]


def test_dynamic_dimension() -> None:
    message = refusal(edit_model(valid_model(), _dynamic_dimension), [bytes(3)])
    assert "tensor 0" in message and "dynamic" in message


def test_operator_the_engine_lacks() -> None:
    model = single_op_model(
        "LSH_PROJECTION",
        [TensorSpec((1, 4), "int8", 0.5, 0)],
        [TensorSpec((1, 4), "int32")],
        {"type": "SPARSE"},
    )
    message = refusal(model)
    assert "LSH_PROJECTION" in message and "not supported" in message


def with_subgraphs(model: bytes, count: int) -> bytes:
    """The model with `count` - 1 more subgraphs, copies of its first (the
    callees a control-flow operator names by index)."""

    def add(m: schema.ModelT) -> None:
        for k in range(1, count):
            callee = copy.deepcopy(m.subgraphs[0])
            callee.name = f"callee{k}"
            m.subgraphs.append(callee)

    return edit_model(model, add)


def control_flow_model(op: str) -> bytes:
    """A model whose one operator is IF, WHILE or CALL_ONCE, with the subgraphs it calls."""
    spec = TensorSpec((1, 4), "float32")
    if op == "IF":
        condition = TensorSpec((1,), "bool")
        return with_subgraphs(
            single_op_model(
                "IF", [condition, spec], [spec], {"then_subgraph_index": 1, "else_subgraph_index": 2}
            ),
            3,
        )
    if op == "WHILE":
        return with_subgraphs(
            single_op_model("WHILE", [spec], [spec], {"cond_subgraph_index": 1, "body_subgraph_index": 2}), 3
        )
    return with_subgraphs(single_op_model("CALL_ONCE", [spec], [spec], {"init_subgraph_index": 1}), 2)


@pytest.mark.parametrize("op,subgraphs", [("IF", 3), ("WHILE", 3), ("CALL_ONCE", 2)])
def test_control_flow_between_subgraphs_has_its_own_message(op: str, subgraphs: int) -> None:
    message = refusal(control_flow_model(op))
    assert message == (
        f"operator {op} (operator 0) is control flow between subgraphs, which tinyml does not support "
        f"(the model has {subgraphs} subgraphs; tinyml runs one graph)"
    )


def test_operator_version_the_engine_lacks() -> None:
    spec = valid_model()

    def version_99(m: schema.ModelT) -> None:
        m.operatorCodes[0].version = 99

    message = refusal(edit_model(spec, version_99))
    assert "FULLY_CONNECTED" in message and "version 99" in message


def test_custom_operator() -> None:
    def custom(m: schema.ModelT) -> None:
        m.operatorCodes[0].builtinCode = schema.BuiltinOperator.CUSTOM
        m.operatorCodes[0].deprecatedBuiltinCode = schema.BuiltinOperator.CUSTOM
        m.operatorCodes[0].customCode = "MyVendorOp"

    message = refusal(edit_model(valid_model(), custom))
    assert "custom" in message and "MyVendorOp" in message


def test_unknown_builtin_code() -> None:
    def unknown(m: schema.ModelT) -> None:
        m.operatorCodes[0].builtinCode = 4000
        m.operatorCodes[0].deprecatedBuiltinCode = 127

    assert "4000" in refusal(edit_model(valid_model(), unknown))


@pytest.mark.parametrize("name", ["hello_world_int8", "kws_ref_model"])
def test_truncation_at_every_64th(shared_models: Path, name: str) -> None:
    model = (shared_models / f"{name}.tflite").read_bytes()
    inputs = zero_inputs(model)
    messages = set()
    for k in range(64):
        cut = len(model) * k // 64
        message = refusal(model[:cut], inputs)
        assert re.search(r"file|corrupt|past the end|too short|buffer|tensor", message), (
            f"cut at {cut} of {len(model)}: message does not name the problem: {message!r}"
        )
        messages.add(message)
    assert len(model) > 0 and run_hostile(model, inputs).returncode == 0


def _structure_positions(model: bytes) -> np.ndarray:
    """Byte positions of the model that are not constant tensor data: where a
    flipped byte changes the structure rather than just a weight."""
    root = schema.Model.GetRootAs(model, 0)
    is_data = np.zeros(len(model), bool)
    base = np.frombuffer(model, np.uint8).__array_interface__["data"][0]
    for b in range(root.BuffersLength()):
        buffer = root.Buffers(b)
        if buffer.DataLength() > 0:
            start = buffer.DataAsNumpy().__array_interface__["data"][0] - base
            is_data[start : start + buffer.DataLength()] = True
    return np.flatnonzero(~is_data)


@pytest.mark.parametrize(("name", "variants"), [("hello_world_int8", 300), ("micro_speech_quantized", 80)])
def test_random_byte_flips_never_crash(shared_models: Path, name: str, variants: int) -> None:
    model = (shared_models / f"{name}.tflite").read_bytes()
    inputs = zero_inputs(model)
    structure = _structure_positions(model)
    rng = np.random.default_rng(20240601)
    outcomes = {0: 0, 1: 0}
    for _ in range(variants):
        mutated = np.frombuffer(model, np.uint8).copy()
        count = int(rng.integers(1, 9))
        # Most flips hit the tables and vectors; some hit anything.
        positions = np.where(
            rng.random(count) < 0.8, rng.choice(structure, count), rng.integers(0, len(model), count)
        )
        mutated[positions] ^= rng.integers(1, 256, count).astype(np.uint8)
        outcomes[run_hostile(mutated.tobytes(), inputs).returncode] += 1
    # Sanity: the flips exercised the refusals, not only harmless bytes.
    assert outcomes[1] > variants // 4, f"only {outcomes[1]} of {variants} variants were refused"
