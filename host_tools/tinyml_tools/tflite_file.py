"""A .tflite file read without an interpreter (tflite_micro's flatbuffer
schema): its operators with versions, its tensors with quantization, and which
of its operators a runtime does not carry.

    parsed = read_tflite(model_bytes)
    parsed.operators[0].name, parsed.operators[0].version, parsed.operators[0].layer
    missing_operators(parsed, {"CONV_2D": 6, ...})   # -> list of messages
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema


class TfliteFileError(ValueError):
    """The bytes are not a readable .tflite model."""


_BUILTIN_NAMES = {
    value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")
}
_TYPE_NAMES = {
    value: name.lower() for name, value in vars(schema.TensorType).items() if not name.startswith("_")
}


@dataclass(frozen=True)
class TensorInfo:
    index: int
    name: str
    dtype: str  # "int8", "float32", ...
    shape: tuple[int, ...]
    scales: tuple[float, ...]  # empty when not quantized; one per channel when per-channel
    zero_points: tuple[int, ...]
    quantized_dimension: int
    constant: bool  # holds data in the file (weights, biases, shapes)
    nbytes: int


@dataclass(frozen=True)
class OperatorInfo:
    index: int
    name: str  # builtin name ("CONV_2D") or the custom operator's code
    version: int
    inputs: tuple[int, ...]  # tensor indices, -1 for an omitted optional input
    outputs: tuple[int, ...]

    def layer(self, model: TfliteFile) -> str:
        """The layer the operator came from, as the converter names tensors: its first
        output's name (e.g. "sequential/conv2d/Relu"), or when that is a bare graph
        output name ("StatefulPartitionedCall:0"), the name of its first weights tensor."""
        output = model.tensors[self.outputs[0]].name if self.outputs else ""
        if "/" in output:
            return output
        for t in self.inputs:
            if t >= 0 and model.tensors[t].constant and "/" in model.tensors[t].name:
                return model.tensors[t].name
        return output or f"node {self.index}"


@dataclass(frozen=True)
class TfliteFile:
    version: int
    description: str
    operators: list[OperatorInfo]
    tensors: list[TensorInfo]
    inputs: list[int]
    outputs: list[int]
    metadata: dict[str, bytes]
    subgraphs: int


def _op_name(code: schema.OperatorCode) -> str:
    builtin = max(int(code.BuiltinCode()), int(code.DeprecatedBuiltinCode()))
    if builtin == schema.BuiltinOperator.CUSTOM:
        custom = code.CustomCode()
        return custom.decode() if custom else "CUSTOM"
    return _BUILTIN_NAMES.get(builtin, f"BUILTIN_{builtin}")


def _itemsize(dtype: str) -> int:
    try:
        return np.dtype(dtype).itemsize
    except TypeError:
        return {"bool": 1, "int4": 1}.get(dtype, 0)


def read_tflite(model: bytes) -> TfliteFile:
    if len(model) < 8 or model[4:8] != b"TFL3":
        raise TfliteFileError("not a .tflite model (no TFL3 identifier)")
    try:
        root = schema.Model.GetRootAs(model, 0)
        codes = [root.OperatorCodes(i) for i in range(root.OperatorCodesLength())]
        graph = root.Subgraphs(0)
        tensors = []
        for t in range(graph.TensorsLength()):
            tensor = graph.Tensors(t)
            dtype = _TYPE_NAMES.get(tensor.Type(), f"type{tensor.Type()}")
            shape = tuple(int(d) for d in tensor.ShapeAsNumpy()) if tensor.ShapeLength() else ()
            q = tensor.Quantization()
            scales: tuple[float, ...] = ()
            zero_points: tuple[int, ...] = ()
            qdim = 0
            if q is not None and q.ScaleLength():
                scales = tuple(float(s) for s in q.ScaleAsNumpy())
                zero_points = tuple(int(z) for z in q.ZeroPointAsNumpy()) if q.ZeroPointLength() else ()
                qdim = int(q.QuantizedDimension())
            buffer = root.Buffers(tensor.Buffer()) if tensor.Buffer() < root.BuffersLength() else None
            constant = buffer is not None and (buffer.DataLength() > 0 or buffer.Offset() > 1)
            elements = int(np.prod(shape, dtype=np.int64)) if shape else 1
            tensors.append(
                TensorInfo(
                    t,
                    (tensor.Name() or b"").decode(errors="replace"),
                    dtype,
                    shape,
                    scales,
                    zero_points,
                    qdim,
                    constant,
                    elements * _itemsize(dtype),
                )
            )
        operators = []
        for i in range(graph.OperatorsLength()):
            op = graph.Operators(i)
            code = codes[op.OpcodeIndex()]
            operators.append(
                OperatorInfo(
                    i,
                    _op_name(code),
                    int(code.Version()),
                    tuple(int(v) for v in op.InputsAsNumpy()) if op.InputsLength() else (),
                    tuple(int(v) for v in op.OutputsAsNumpy()) if op.OutputsLength() else (),
                )
            )
        metadata = {}
        for m in range(root.MetadataLength()):
            entry = root.Metadata(m)
            buffer = root.Buffers(entry.Buffer())
            data = buffer.DataAsNumpy() if buffer.DataLength() else np.zeros(0, np.uint8)
            metadata[(entry.Name() or b"").decode(errors="replace")] = bytes(data)
        return TfliteFile(
            int(root.Version()),
            (root.Description() or b"").decode(errors="replace"),
            operators,
            tensors,
            [int(v) for v in graph.InputsAsNumpy()],
            [int(v) for v in graph.OutputsAsNumpy()],
            metadata,
            int(root.SubgraphsLength()),
        )
    except (IndexError, AttributeError, TypeError, ValueError) as e:  # flatbuffers out of bounds
        raise TfliteFileError(f"corrupt .tflite model: {e}") from e


def missing_operators(model: TfliteFile, supported: dict[str, int]) -> list[str]:
    """One message per operator (name, version) the runtime lacks, naming the first layer that uses it."""
    problems: list[str] = []
    seen: set[tuple[str, int]] = set()
    for op in model.operators:
        key = (op.name, op.version)
        if key in seen:
            continue
        highest = supported.get(op.name)
        if highest is None:
            problems.append(f"operator {op.name} (version {op.version}) is not in the runtime")
        elif op.version > highest:
            problems.append(
                f"operator {op.name} version {op.version} is newer than the runtime's (up to {highest})"
            )
        else:
            continue
        seen.add(key)
        problems[-1] += f", used by node {op.index} ({op.layer(model)})"
    return problems
