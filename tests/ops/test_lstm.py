"""UNIDIRECTIONAL_SEQUENCE_LSTM (float32 and int8): exactly TFLM's bytes, invoke after invoke.

The hidden and cell states are variable tensors: each case invokes the model
several times without reset, in our engine and in TFLM, and requires
identical output bytes after every invoke. Cases cover batch-major and
time-major inputs, 1-3 batches, 1-5 time steps, unit counts smaller and
larger than the input size, and cell clipping, each in float32 and in int8
(TFLM's 8x8->16 integer LSTM: int8 activations and weights, int16 cell
state with a power-of-two scale).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from sequence_cases import assert_sequence_matches_tflm, with_variables
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model

HIDDEN_STATE, CELL_STATE = 18, 19  # the operator inputs that hold the state


@dataclass(frozen=True)
class Lstm:
    name: str
    batches: int = 1
    steps: int = 3
    inputs: int = 5
    units: int = 4
    time_major: bool = False
    cell_clip: float = 0.0
    hidden_zero_point: int = 0  # int8 only


def build(c: Lstm, dtype: str = "float32") -> bytes:
    """The model for case `c`: float32, or int8 with an int16 cell state (TFLM's 8x8->16 LSTM)."""
    rng = np.random.default_rng(sum(map(ord, c.name)))
    shape = (c.steps, c.batches, c.inputs) if c.time_major else (c.batches, c.steps, c.inputs)
    out_shape = (*shape[:2], c.units)
    quantized = dtype == "int8"
    input_q, hidden_q, cell_q = (
        ((0.05, -3), (2.0**-7, c.hidden_zero_point), (2.0**-11, 0)) if quantized else ((None, 0),) * 3
    )

    def weights(*dims: int) -> TensorSpec:
        if quantized:
            scale = float(rng.uniform(0.004, 0.02))
            return TensorSpec(dims, "int8", scale, 0, data=rng.integers(-127, 128, dims).astype(np.int8))
        return TensorSpec(dims, "float32", data=(rng.standard_normal(dims) * 0.6).astype(np.float32))

    def bias() -> TensorSpec:
        if quantized:
            return TensorSpec(
                (c.units,), "int32", 1e-4, 0, data=rng.integers(-2000, 2001, c.units).astype(np.int32)
            )
        return TensorSpec((c.units,), "float32", data=(rng.standard_normal(c.units) * 0.6).astype(np.float32))

    cell_type = "int16" if quantized else "float32"
    specs: list[TensorSpec | None] = [TensorSpec(shape, dtype, *input_q)]
    specs += [weights(c.units, c.inputs) for _ in range(4)]  # input-to-gate weights
    specs += [weights(c.units, c.units) for _ in range(4)]  # recurrent weights
    specs += [None] * 3  # no peephole
    specs += [bias() for _ in range(4)]  # gate biases
    specs += [None, None]  # no projection
    specs += [
        TensorSpec((c.batches, c.units), dtype, *hidden_q),
        TensorSpec((c.batches, c.units), cell_type, *cell_q),
    ]
    specs += [None] * 4  # no layer norm
    options = {"fused_activation_function": "TANH", "cell_clip": c.cell_clip, "time_major": c.time_major}
    outputs = [TensorSpec(out_shape, dtype, *hidden_q)]
    model = single_op_model("UNIDIRECTIONAL_SEQUENCE_LSTM", specs, outputs, options, 3 if quantized else 1)
    return with_variables(model, [HIDDEN_STATE, CELL_STATE])


CASES = [
    Lstm("one_step", steps=1),
    Lstm("three_steps"),
    Lstm("batch_2", batches=2),
    Lstm("batch_3_five_steps", batches=3, steps=5),
    Lstm("time_major", time_major=True),
    Lstm("time_major_batch_2", batches=2, time_major=True),
    Lstm("units_above_inputs", inputs=3, units=8),
    Lstm("wide_input", inputs=40, units=16, steps=2),
    Lstm("cell_clip", cell_clip=0.5, steps=5),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_float_matches_tflm_invoke_after_invoke(case: Lstm, host_runner: object) -> None:
    assert_sequence_matches_tflm(build(case), steps=3)


INT8_CASES = [
    *CASES,
    Lstm("hidden_zero_point_4", hidden_zero_point=4),
]


@pytest.mark.parametrize("case", INT8_CASES, ids=lambda c: c.name)
def test_int8_matches_tflm_invoke_after_invoke(case: Lstm, host_runner: object) -> None:
    assert_sequence_matches_tflm(build(case, "int8"), steps=3)


def test_state_that_is_not_a_variable_tensor_is_refused(host_runner: object) -> None:
    model = single_op_model(
        "UNIDIRECTIONAL_SEQUENCE_LSTM",
        [TensorSpec((1, 1, 2), "float32")]
        + [TensorSpec((2, 2), "float32", data=np.ones((2, 2), np.float32)) for _ in range(8)]
        + [None] * 3
        + [TensorSpec((2,), "float32", data=np.zeros(2, np.float32)) for _ in range(4)]
        + [None, None, TensorSpec((1, 2), "float32"), TensorSpec((1, 2), "float32")]
        + [None] * 4,
        [TensorSpec((1, 1, 2), "float32")],
        {"fused_activation_function": "TANH"},
    )
    with pytest.raises(EngineError, match="must be variable tensors"):
        tinyml_run(model, random_inputs(model, 0))
