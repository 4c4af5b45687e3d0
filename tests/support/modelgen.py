"""Build single-operator .tflite models without TensorFlow.

The models are written with the TFLite schema's own Python object API
(tflite_micro's schema_py_generated), so they are what the converter would
write: file identifier "TFL3", schema version 3, operator codes carrying both
the deprecated int8 code and the int32 code, an empty buffer 0, and constant
data aligned to 16 bytes in the file.

    model = single_op_model(
        "FULLY_CONNECTED",
        [TensorSpec((1, 4), "int8", 0.5, -3),
         TensorSpec((2, 4), "int8", 0.25, 0, data=np.ones((2, 4), np.int8)),
         None],                                   # no bias
        [TensorSpec((1, 2), "int8", 1.0, 5)],
        {"fused_activation_function": "RELU"},
    )
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flatbuffers
import numpy as np
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

# Bytes 4-7 of every .tflite file (schema.fbs: file_identifier "TFL3").
FILE_IDENTIFIER = b"TFL3"
SCHEMA_VERSION = 3
# Constant data alignment in the file: what the converter guarantees
# (schema.fbs: force_align: 16), so SIMD kernels may read it in place.
DATA_ALIGNMENT = 16
# Codes above this only fit in OperatorCode.builtin_code; the deprecated int8
# field holds PLACEHOLDER_FOR_GREATER_OP_CODES (127) for them.
_PLACEHOLDER_FOR_GREATER_OP_CODES = 127

_NUMPY_DTYPES: dict[str, type] = {
    "float32": np.float32,
    "float16": np.float16,
    "float64": np.float64,
    "int8": np.int8,
    "int16": np.int16,
    "int32": np.int32,
    "int64": np.int64,
    "uint8": np.uint8,
    "uint16": np.uint16,
    "uint32": np.uint32,
    "uint64": np.uint64,
    "bool": np.bool_,
}

# Operators whose options table is not named after the operator.
_OPTIONS_TYPE_BY_OP: dict[str, str] = {
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "L2_NORMALIZATION": "L2NormOptions",
    "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions",
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
    "REDUCE_ANY": "ReducerOptions",
    "REDUCE_ALL": "ReducerOptions",
    "LOCAL_RESPONSE_NORMALIZATION": "LocalResponseNormalizationOptions",
    "BIDIRECTIONAL_SEQUENCE_LSTM": "BidirectionalSequenceLSTMOptions",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "UnidirectionalSequenceLSTMOptions",
    "SELECT": "SelectOptions",
    "SELECT_V2": "SelectV2Options",
}

# Option fields whose string values name a member of a schema enum.
_ENUM_BY_FIELD: dict[str, type] = {
    "padding": schema.Padding,
    "fused_activation_function": schema.ActivationFunctionType,
    "weights_format": schema.FullyConnectedOptionsWeightsFormat,
    "quantized_bias_type": schema.TensorType,
    "output_type": schema.TensorType,
    "out_type": schema.TensorType,
    "idx_out_type": schema.TensorType,
    "index_out_type": schema.TensorType,
    "in_data_type": schema.TensorType,
    "out_data_type": schema.TensorType,
    "mode": schema.MirrorPadMode,
    "combiner": schema.CombinerType,
    "type": schema.LSHProjectionType,
}


class ModelGenError(ValueError):
    """A model description that cannot be written (names the problem)."""


@dataclass
class TensorSpec:
    """One tensor of the model.

    data None: a graph input (when it is an operator input) or an activation;
    an array: a constant, stored in its own buffer. A list of scales (and
    optionally zero points) makes the quantization per-channel along
    quantized_dimension; scale None means not quantized.
    """

    shape: tuple[int, ...]
    dtype: str
    scale: float | list[float] | None = None
    zero_point: int | list[int] = 0
    quantized_dimension: int = 0
    data: np.ndarray | None = None


def tensor_type(dtype: str) -> int:
    """TFLite TensorType number of a dtype name ('int8' -> 9)."""
    code = getattr(schema.TensorType, dtype.upper(), None)
    if code is None:
        raise ModelGenError(f"unknown dtype {dtype!r}")
    return int(code)


def numpy_dtype(dtype: str) -> type:
    """numpy scalar type of a dtype name."""
    try:
        return _NUMPY_DTYPES[dtype]
    except KeyError:
        raise ModelGenError(f"dtype {dtype!r} has no numpy equivalent here") from None


def builtin_code(op: str) -> int:
    """BuiltinOperator number of an operator name ('CONV_2D' -> 3)."""
    code = getattr(schema.BuiltinOperator, op, None)
    if not isinstance(code, int):
        raise ModelGenError(f"unknown builtin operator {op!r}")
    return code


def _normalized(name: str) -> str:
    return name.replace("_", "").lower()


_OPTIONS_TYPES: dict[str, str] = {
    _normalized(name): name
    for name, value in vars(schema.BuiltinOptions).items()
    if not name.startswith("_") and isinstance(value, int) and name != "NONE"
}


def options_type_name(op: str) -> str | None:
    """Name of the BuiltinOptions table an operator uses, or None if it has none."""
    if op in _OPTIONS_TYPE_BY_OP:
        return _OPTIONS_TYPE_BY_OP[op]
    return _OPTIONS_TYPES.get(_normalized(op) + "options")


def _camel_case(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _enum_value(op: str, field: str, value: str) -> int:
    enum = _ENUM_BY_FIELD.get(field)
    candidates = (
        [enum]
        if enum is not None
        else [
            cls
            for cls in vars(schema).values()
            if isinstance(cls, type) and isinstance(getattr(cls, value, None), int)
        ]
    )
    if len(candidates) != 1 or not isinstance(getattr(candidates[0], value, None), int):
        raise ModelGenError(f"{op} option {field}: cannot map {value!r} to an enum value; give the number")
    return int(getattr(candidates[0], value))


def make_options(op: str, options: dict[str, Any] | None) -> tuple[int, Any]:
    """(BuiltinOptions union type, options object) for an operator.

    Operators that have an options table always get one (with schema defaults
    for fields not given), as the converter writes it.
    """
    type_name = options_type_name(op)
    if type_name is None:
        if options:
            raise ModelGenError(f"{op} has no builtin options, but options were given: {sorted(options)}")
        return schema.BuiltinOptions.NONE, None
    obj = getattr(schema, type_name + "T")()
    for field, value in (options or {}).items():
        attr = _camel_case(field)
        if not hasattr(obj, attr):
            known = sorted(re.sub(r"([A-Z])", r"_\1", k).lower() for k in vars(obj))
            raise ModelGenError(f"{op} options ({type_name}) have no field {field!r}; fields: {known}")
        if isinstance(value, str):
            value = _enum_value(op, field, value)
        elif isinstance(value, (tuple, np.ndarray)):
            value = list(value)
        setattr(obj, attr, value)
    return getattr(schema.BuiltinOptions, type_name), obj


class _AlignedBufferT(schema.BufferT):
    """A Buffer whose data vector starts on a DATA_ALIGNMENT boundary."""

    def Pack(self, builder: flatbuffers.Builder) -> int:  # noqa: N802 (schema API name)
        data_offset = None
        if self.data is not None:
            payload = bytes(self.data)
            builder.StartVector(1, len(payload), DATA_ALIGNMENT)
            builder.head -= len(payload)
            builder.Bytes[builder.head : builder.head + len(payload)] = payload
            data_offset = builder.EndVector()
        schema.BufferStart(builder)
        if data_offset is not None:
            schema.BufferAddData(builder, data_offset)
        return schema.BufferEnd(builder)


def _quantization(spec: TensorSpec, what: str) -> schema.QuantizationParametersT | None:
    if spec.scale is None:
        return None
    q = schema.QuantizationParametersT()
    scales = (
        [float(s) for s in spec.scale]
        if isinstance(spec.scale, (list, tuple, np.ndarray))
        else [float(spec.scale)]
    )
    if isinstance(spec.zero_point, (list, tuple, np.ndarray)):
        zero_points = [int(z) for z in spec.zero_point]
    else:
        zero_points = [int(spec.zero_point)] * len(scales)
    if len(zero_points) != len(scales):
        raise ModelGenError(f"{what}: {len(scales)} scales but {len(zero_points)} zero points")
    if len(scales) > 1:
        dim = spec.quantized_dimension
        if not 0 <= dim < len(spec.shape) or spec.shape[dim] != len(scales):
            raise ModelGenError(
                f"{what}: {len(scales)} scales do not match dimension {dim} of shape {spec.shape}"
            )
    q.scale = scales
    q.zeroPoint = zero_points
    q.quantizedDimension = spec.quantized_dimension
    return q


def _constant_bytes(spec: TensorSpec, what: str) -> bytes:
    assert spec.data is not None
    data = np.asarray(spec.data)
    if data.size != int(np.prod(spec.shape, dtype=np.int64)):
        raise ModelGenError(
            f"{what}: data has {data.size} elements, shape {spec.shape} needs {int(np.prod(spec.shape))}"
        )
    return (
        np.ascontiguousarray(data.astype(numpy_dtype(spec.dtype)).reshape(spec.shape))
        .astype(np.dtype(numpy_dtype(spec.dtype)).newbyteorder("<"))
        .tobytes()
    )


def single_op_model(
    op: str,
    inputs: list[TensorSpec | None],
    outputs: list[TensorSpec],
    options: dict[str, Any] | None = None,
    version: int = 1,
) -> bytes:
    """A .tflite model with one operator.

    Graph inputs are the non-constant inputs in order, graph outputs the
    outputs; a None input is an optional input left out (index -1).
    """
    code = builtin_code(op)
    options_type, options_obj = make_options(op, options)

    model = schema.ModelT()
    model.version = SCHEMA_VERSION
    model.description = f"tinyml test model: {op}"
    model.buffers = [_AlignedBufferT()]  # buffer 0: the empty buffer every activation may share

    subgraph = schema.SubGraphT()
    subgraph.name = "main"
    subgraph.tensors = []
    graph_inputs: list[int] = []

    def add_tensor(spec: TensorSpec, name: str) -> int:
        tensor = schema.TensorT()
        tensor.name = name
        tensor.shape = [int(d) for d in spec.shape]
        tensor.type = tensor_type(spec.dtype)
        tensor.quantization = _quantization(spec, name)
        tensor.buffer = 0
        if spec.data is not None:
            buffer = _AlignedBufferT()
            buffer.data = _constant_bytes(spec, name)
            tensor.buffer = len(model.buffers)
            model.buffers.append(buffer)
        subgraph.tensors.append(tensor)
        return len(subgraph.tensors) - 1

    op_inputs: list[int] = []
    for i, spec in enumerate(inputs):
        if spec is None:
            op_inputs.append(-1)
            continue
        index = add_tensor(spec, f"input{i}" if spec.data is None else f"const{i}")
        op_inputs.append(index)
        if spec.data is None:
            graph_inputs.append(index)
    op_outputs = []
    for i, spec in enumerate(outputs):
        if spec.data is not None:
            raise ModelGenError(f"output {i} has data: outputs cannot be constants")
        op_outputs.append(add_tensor(spec, f"output{i}"))

    operator = schema.OperatorT()
    operator.opcodeIndex = 0
    operator.inputs = op_inputs
    operator.outputs = op_outputs
    operator.builtinOptionsType = options_type
    operator.builtinOptions = options_obj

    subgraph.operators = [operator]
    subgraph.inputs = graph_inputs
    subgraph.outputs = op_outputs

    opcode = schema.OperatorCodeT()
    opcode.builtinCode = code
    opcode.deprecatedBuiltinCode = min(code, _PLACEHOLDER_FOR_GREATER_OP_CODES)
    opcode.version = version

    model.operatorCodes = [opcode]
    model.subgraphs = [subgraph]

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=FILE_IDENTIFIER)
    return bytes(builder.Output())


@dataclass
class TensorInfo:
    """Shape, dtype and quantization of a graph input or output."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str
    scale: float | None
    zero_point: int


_DTYPE_NAMES: dict[int, str] = {
    int(v): k.lower()
    for k, v in vars(schema.TensorType).items()
    if not k.startswith("_") and isinstance(v, int)
}


def graph_io(model: bytes) -> tuple[list[TensorInfo], list[TensorInfo]]:
    """Graph inputs and outputs of subgraph 0 of a .tflite model."""
    root = schema.Model.GetRootAs(model, 0)
    if root.SubgraphsLength() < 1:
        raise ModelGenError("model has no subgraph")
    subgraph = root.Subgraphs(0)

    def info(index: int) -> TensorInfo:
        tensor = subgraph.Tensors(index)
        q = tensor.Quantization()
        scale = float(q.Scale(0)) if q is not None and q.ScaleLength() > 0 else None
        zero_point = int(q.ZeroPoint(0)) if q is not None and q.ZeroPointLength() > 0 else 0
        name = tensor.Name()
        return TensorInfo(
            index=index,
            name=name.decode("utf-8", "replace") if name else "",
            shape=tuple(int(d) for d in tensor.ShapeAsNumpy()) if tensor.ShapeLength() else (),
            dtype=_DTYPE_NAMES.get(tensor.Type(), f"type{tensor.Type()}"),
            scale=scale,
            zero_point=zero_point,
        )

    inputs = [info(int(subgraph.Inputs(i))) for i in range(subgraph.InputsLength())]
    outputs = [info(int(subgraph.Outputs(i))) for i in range(subgraph.OutputsLength())]
    return inputs, outputs


def edit_model(model: bytes, edit: Callable[[schema.ModelT], None]) -> bytes:
    """The model unpacked into the schema's object API, changed by `edit`, packed again."""
    obj = schema.ModelT.InitFromPackedBuf(bytearray(model), 0)  # writable vectors
    edit(obj)
    builder = flatbuffers.Builder(1024)
    builder.Finish(obj.Pack(builder), file_identifier=FILE_IDENTIFIER)
    return bytes(builder.Output())


def unsupported_models() -> dict[str, bytes]:
    """Models no build of the engine runs: a builtin operator it lacks
    (LSH_PROJECTION) and a vendor's custom operator ("MyVendorOp")."""
    builtin = single_op_model(
        "LSH_PROJECTION",
        [TensorSpec((1, 4), "int8", 0.5, 0)],
        [TensorSpec((1, 4), "int32")],
        {"type": "SPARSE"},
    )
    base = single_op_model(
        "FULLY_CONNECTED",
        [
            TensorSpec((1, 3), "int8", 0.5, 0),
            TensorSpec((2, 3), "int8", 0.25, 0, data=np.ones((2, 3), np.int8)),
        ],
        [TensorSpec((1, 2), "int8", 1.0, 0)],
    )

    def vendor_op(m: schema.ModelT) -> None:
        m.operatorCodes[0].builtinCode = schema.BuiltinOperator.CUSTOM
        m.operatorCodes[0].deprecatedBuiltinCode = schema.BuiltinOperator.CUSTOM
        m.operatorCodes[0].customCode = "MyVendorOp"

    return {"unsupported_builtin": builtin, "unsupported_custom": edit_model(base, vendor_op)}
