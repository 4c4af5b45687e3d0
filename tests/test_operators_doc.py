"""docs/operators.md and the kernel records it is generated from.

Each kernel record lists the element types its operator accepts
(`tml_kernel.types`); tml_prepare refuses any other type before the kernel's
own checks run. So every case in tests/ops that the engine runs is a type
its record lists (a case of an unlisted type would be refused and fail), and
the tests here check the other direction: a type outside a record is
refused, with a message that lists the record's types, for every operator.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from support.engine import RUNNER, EngineError, tinyml_run
from support.modelgen import TensorSpec, edit_model, single_op_model
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema
from tinyml_tools import operators_doc

# Types a probe model can carry as a graph input (the runner reads them as raw bytes).
PROBE_TYPES = ("float32", "int8", "int16", "int32", "int64", "uint8", "bool")


# Parametrized from tml_config.h, which needs no build; the runner (built by
# the session fixture in conftest.py) supplies the records.
CONFIG_OPS = [name for group in operators_doc.config_groups() for name in group.ops]


def runtime_ops() -> list[operators_doc.Operator]:
    return operators_doc.runtime_operators(RUNNER)


def runtime_op(config_name: str) -> operators_doc.Operator:
    """The record of an operator named as in tml_config.h (SIGNAL_PCAN for SignalPCAN)."""
    squashed = config_name.replace("_", "").lower()
    (op,) = [op for op in runtime_ops() if op.name.replace("_", "").lower() == squashed]
    return op


def probe_model(op: operators_doc.Operator, dtype: str, weights: TensorSpec | None = None) -> bytes:
    """A one-operator model of `op` whose data input (and every input before it,
    and its output) is a [1, 4] tensor of `dtype`; with `weights`, that is input 1."""
    spec = TensorSpec((1, 4), dtype)
    inputs: list[TensorSpec | None] = [spec] * max(op.typed_input + 1, 2 if weights else 1)
    if weights is not None:
        inputs[1] = weights
    if op.name.isupper():
        return single_op_model(op.name, inputs, [spec])

    def as_custom(m: schema.ModelT) -> None:
        m.operatorCodes[0].builtinCode = schema.BuiltinOperator.CUSTOM
        m.operatorCodes[0].deprecatedBuiltinCode = schema.BuiltinOperator.CUSTOM
        m.operatorCodes[0].customCode = op.name

    return edit_model(single_op_model("RESHAPE", inputs, [spec]), as_custom)


def engine_message(model: bytes, dtype: str) -> str:
    """The engine's error for a probe model, "" if it ran."""
    num_inputs = len(schema.ModelT.InitFromPackedBuf(model, 0).subgraphs[0].inputs)
    try:
        tinyml_run(model, [np.zeros((1, 4), dtype)] * num_inputs)
    except EngineError as e:
        return str(e)
    return ""


def test_docs_operators_md_is_generated_from_the_current_engine() -> None:
    assert operators_doc.OPERATORS_MD.read_text() == operators_doc.generate(RUNNER), (
        "docs/operators.md is stale: run `make docs`"
    )


def test_every_operator_of_the_build_is_in_a_group_of_tml_config() -> None:
    grouped = {name for g in operators_doc.config_groups() for name in g.ops}
    built = runtime_ops()
    assert len(built) == len(grouped) == len({op.name for op in built})
    table = operators_doc.OPERATORS_MD.read_text()
    for name in grouped:
        assert f"`TML_OP_{name}`" in table


@pytest.mark.parametrize("name", CONFIG_OPS)
def test_a_type_outside_the_record_is_refused_naming_the_record(name: str) -> None:
    op = runtime_op(name)
    refused = [t for t in PROBE_TYPES if t not in op.types]
    if not refused:
        assert operators_doc.types_cell(op) == "any"
        return
    listed = ", ".join(op.types)
    for dtype in refused:
        message = engine_message(probe_model(op, dtype), dtype)
        assert re.search(
            rf"{re.escape(op.name)} \(node 0\): input type {dtype} not supported \({re.escape(listed)} are\)",
            message,
        ), message


@pytest.mark.parametrize("name", CONFIG_OPS)
def test_float32_input_with_int8_weights_runs_only_where_the_record_says_hybrid(name: str) -> None:
    op = runtime_op(name)
    weights = TensorSpec((1, 4), "int8", 0.5, 0, data=np.ones((1, 4), np.int8))
    message = engine_message(probe_model(op, "float32", weights), "float32")
    hybrid_refusal = "float32 input with int8 input 1 (hybrid) not supported"
    if "float32" not in op.types:
        assert "input type float32 not supported" in message
    elif op.hybrid or op.typed_input == 1:  # SPLIT: input 1 is the data, checked above
        assert hybrid_refusal not in message
    else:
        assert hybrid_refusal in message
