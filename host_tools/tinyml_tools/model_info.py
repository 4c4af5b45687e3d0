"""What a .tflite model asks of a microcontroller: its operators and their multiply-accumulates.

MACs follow the usual convention (and perf-anchors.md's figures): one per
weight applied to one input value, counted for CONV_2D, DEPTHWISE_CONV_2D,
FULLY_CONNECTED and TRANSPOSE_CONV; every other operator counts 0. Parsed with
tflite_micro's flatbuffer schema (schema_py_generated), no interpreter.

    python -m tinyml_tools.model_info MODEL.tflite
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema


@dataclass(frozen=True)
class OperatorInfo:
    name: str  # TFLite builtin name (e.g. "CONV_2D") or the custom operator's code
    macs: int


_BUILTIN_NAMES = {
    value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")
}


def _shape(subgraph: schema.SubGraph, tensor_index: int) -> list[int]:
    return [int(v) for v in subgraph.Tensors(tensor_index).ShapeAsNumpy()]


def _elements(shape: list[int]) -> int:
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def _macs(name: str, subgraph: schema.SubGraph, op: schema.Operator) -> int:
    inputs = op.InputsAsNumpy()
    outputs = op.OutputsAsNumpy()
    if name in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
        output = _elements(_shape(subgraph, int(outputs[0])))
        weights = _shape(subgraph, int(inputs[1]))
        if name == "CONV_2D":  # weights [out_channels, kh, kw, in_channels / groups]
            return output * weights[1] * weights[2] * weights[3]
        if name == "DEPTHWISE_CONV_2D":  # weights [1, kh, kw, out_channels]
            return output * weights[1] * weights[2]
        return output * weights[-1]  # FULLY_CONNECTED: weights [units, depth]
    if name == "TRANSPOSE_CONV":  # inputs: output shape, weights [out_ch, kh, kw, in_ch], input
        weights = _shape(subgraph, int(inputs[1]))
        return _elements(_shape(subgraph, int(inputs[2]))) * weights[0] * weights[1] * weights[2]
    return 0


def operators(model: bytes) -> list[OperatorInfo]:
    """The operators of the model's main subgraph, in execution order, with their MACs."""
    root = schema.Model.GetRootAs(model, 0)
    subgraph = root.Subgraphs(0)
    codes = []
    for i in range(root.OperatorCodesLength()):
        code = root.OperatorCodes(i)
        builtin = max(int(code.BuiltinCode()), int(code.DeprecatedBuiltinCode()))
        name = _BUILTIN_NAMES.get(builtin, f"BUILTIN_{builtin}")
        if name == "CUSTOM":
            name = (code.CustomCode() or b"").decode()
        codes.append(name)
    result = []
    for i in range(subgraph.OperatorsLength()):
        op = subgraph.Operators(i)
        name = codes[op.OpcodeIndex()]
        result.append(OperatorInfo(name, _macs(name, subgraph, op)))
    return result


def total_macs(model: bytes) -> int:
    return sum(op.macs for op in operators(model))


def builtin_operator_names(model: bytes) -> list[str]:
    """The distinct operators the model uses, sorted (what a trimmed build must carry)."""
    return sorted({op.name for op in operators(model)})


def main(argv: list[str] | None = None) -> int:
    paths = [Path(a) for a in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        print("usage: python -m tinyml_tools.model_info MODEL.tflite [...]", file=sys.stderr)
        return 2
    for path in paths:
        ops = operators(path.read_bytes())
        print(
            json.dumps(
                {
                    "model": path.stem,
                    "macs": sum(op.macs for op in ops),
                    "operators": [asdict(o) for o in ops],
                }
            )
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
