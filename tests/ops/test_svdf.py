"""SVDF: our kernel produces exactly TFLM's bytes, invoke after invoke.

The activation state is a variable tensor: each case invokes the model
several times without reset, in our engine and in TFLM, and requires
identical output bytes after every invoke. Cases cover int8 with an int16
state (what the converter writes) and with an int8 state, nonzero zero
points, ranks 1-3, batches, memory sizes 1-10, and float32 with the fused
activations. (TFLM crashes on an SVDF without bias, so that form, which the
kernel runs with a zero bias, has no TFLM case.)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from sequence_cases import assert_sequence_matches_tflm, with_variables
from support.engine import EngineError, random_inputs, tinyml_run
from support.modelgen import TensorSpec, single_op_model

STATE_INPUT = 4  # the operator input that holds the activation state


@dataclass(frozen=True)
class Svdf:
    name: str
    batches: int = 1
    inputs: int = 12
    units: int = 4
    rank: int = 2
    memory: int = 5
    dtype: str = "int8"
    state_dtype: str = "int16"
    activation: str = "NONE"
    bias: bool = True
    input_zero_point: int = -3
    state_zero_point: int = 0
    output_zero_point: int = 4


def build(c: Svdf) -> bytes:
    rng = np.random.default_rng(sum(map(ord, c.name)))
    filters = c.units * c.rank
    options = {"rank": c.rank, "fused_activation_function": c.activation}
    state_shape = (c.batches, filters * c.memory)
    if c.dtype == "float32":
        specs = [
            TensorSpec((c.batches, c.inputs), "float32"),
            TensorSpec((filters, c.inputs), "float32", data=rng.standard_normal((filters, c.inputs))),
            TensorSpec((filters, c.memory), "float32", data=rng.standard_normal((filters, c.memory))),
            TensorSpec((c.units,), "float32", data=rng.standard_normal(c.units)) if c.bias else None,
            TensorSpec(state_shape, "float32"),
        ]
        model = single_op_model("SVDF", specs, [TensorSpec((c.batches, c.units), "float32")], options, 1)
        return with_variables(model, [STATE_INPUT])
    input_scale, feature_scale = 0.05, 0.01
    # The state and output scales keep most values inside their types.
    state_scale = (
        input_scale * feature_scale * 4.0 * np.sqrt(c.inputs) * (1 if c.state_dtype == "int8" else 1 / 64)
    )
    time_scale = 0.02
    output_scale = (
        state_scale * time_scale * 60.0 * np.sqrt(c.rank * c.memory) * (1 if c.state_dtype == "int8" else 128)
    )
    wide = c.state_dtype == "int16"
    time_range = 8000 if wide else 127
    specs = [
        TensorSpec((c.batches, c.inputs), "int8", input_scale, c.input_zero_point),
        TensorSpec(
            (filters, c.inputs), "int8", feature_scale, 0, data=rng.integers(-127, 128, (filters, c.inputs))
        ),
        TensorSpec(
            (filters, c.memory),
            c.state_dtype,
            time_scale,
            0,
            data=rng.integers(-time_range, time_range + 1, (filters, c.memory)),
        ),
        TensorSpec(
            (c.units,),
            "int32",
            float(np.float32(state_scale) * np.float32(time_scale)),
            0,
            data=rng.integers(-5000, 5001, c.units),
        ),
        TensorSpec(state_shape, c.state_dtype, float(state_scale), c.state_zero_point),
    ]
    outputs = [TensorSpec((c.batches, c.units), "int8", float(output_scale), c.output_zero_point)]
    return with_variables(single_op_model("SVDF", specs, outputs, options, 3), [STATE_INPUT])


CASES = [
    Svdf("int16_state"),
    Svdf("int16_state_rank_1", rank=1),
    Svdf("int16_state_rank_3_memory_10", rank=3, memory=10),
    Svdf("int16_state_batch_2", batches=2),
    Svdf("int16_state_memory_1", memory=1),
    Svdf("int16_state_zero_points_extreme", input_zero_point=-128, output_zero_point=127),
    # TFLM applies no fused activation on the int8 path; neither do we.
    Svdf("int16_state_relu_ignored", activation="RELU"),
    Svdf("kws_layer", inputs=40, units=16, rank=1, memory=8),
    Svdf("int8_state", state_dtype="int8"),
    # TFLM starts (and resets) int8 state at its zero point, not at 0.
    Svdf("int8_state_zero_point", state_dtype="int8", state_zero_point=-5),
    # Features beyond the int8 state range: TFLM clamps, then adds the zero point, and the sum wraps.
    Svdf("int8_state_zero_point_wraps", state_dtype="int8", state_zero_point=-5, inputs=48),
    Svdf("int8_state_batch_3_rank_1", batches=3, rank=1, state_dtype="int8"),
    Svdf("float32", dtype="float32"),
    Svdf("float32_batch_2_rank_3", batches=2, rank=3, dtype="float32"),
    Svdf("float32_memory_1", memory=1, dtype="float32"),
    *(
        Svdf(f"float32_{a.lower()}", activation=a, dtype="float32")
        for a in ("RELU", "RELU6", "RELU_N1_TO_1", "TANH")
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_matches_tflm_invoke_after_invoke(case: Svdf, host_runner: object) -> None:
    assert_sequence_matches_tflm(build(case), steps=4)


def test_state_that_is_not_a_variable_tensor_is_refused(host_runner: object) -> None:
    specs = [
        TensorSpec((1, 4), "float32"),
        TensorSpec((2, 4), "float32", data=np.ones((2, 4), np.float32)),
        TensorSpec((2, 3), "float32", data=np.ones((2, 3), np.float32)),
        None,
        TensorSpec((1, 6), "float32"),
    ]
    model = single_op_model("SVDF", specs, [TensorSpec((1, 2), "float32")], {"rank": 1})
    with pytest.raises(EngineError, match="must be a variable tensor"):
        tinyml_run(model, random_inputs(model, 0))


def test_rank_that_does_not_divide_the_filters_is_refused(host_runner: object) -> None:
    bad = with_variables(
        single_op_model(
            "SVDF",
            [
                TensorSpec((1, 4), "float32"),
                TensorSpec((6, 4), "float32", data=np.ones((6, 4), np.float32)),
                TensorSpec((6, 3), "float32", data=np.ones((6, 3), np.float32)),
                None,
                TensorSpec((1, 18), "float32"),
            ],
            [TensorSpec((1, 1), "float32")],
            {"rank": 4},
        ),
        [STATE_INPUT],
    )
    with pytest.raises(EngineError, match="rank 4 does not divide the 6 filters"):
        tinyml_run(bad, random_inputs(bad, 0))
