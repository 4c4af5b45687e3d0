"""Small rewrites of a .tflite file (tflite_micro's flatbuffer object API).

with_metadata(model, {"tinyml_card": b"{...}"})   # adds or replaces metadata entries
with_all_outputs(model)                           # every operator output becomes a graph output
"""

from __future__ import annotations

from collections.abc import Callable

import flatbuffers
from tflite_micro.tensorflow.lite.micro.python import schema_py_generated as schema

_IDENTIFIER = b"TFL3"


def _unpack(model: bytes) -> schema.ModelT:
    return schema.ModelT.InitFromObj(schema.Model.GetRootAs(model, 0))


def _pack(root: schema.ModelT) -> bytes:
    builder = flatbuffers.Builder(1024)
    builder.Finish(root.Pack(builder), file_identifier=_IDENTIFIER)
    return bytes(builder.Output())


def with_metadata(model: bytes, entries: dict[str, bytes]) -> bytes:
    root = _unpack(model)
    root.metadata = [m for m in (root.metadata or []) if m.name.decode() not in entries]
    root.buffers = root.buffers or []
    for name, data in entries.items():
        buffer = schema.BufferT()
        buffer.data = list(data)
        root.buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name = name
        entry.buffer = len(root.buffers) - 1
        root.metadata.append(entry)
    return _pack(root)


def with_all_outputs(model: bytes, keep: Callable[[int], bool] = lambda _t: True) -> tuple[bytes, list[int]]:
    """The model with every operator's outputs for which keep(tensor index) holds added
    to the graph outputs (after the original ones), and all output tensor indices in order."""
    root = _unpack(model)
    graph = root.subgraphs[0]
    outputs = [int(t) for t in graph.outputs]
    for op in graph.operators:
        for t in op.outputs:
            if int(t) >= 0 and int(t) not in outputs and keep(int(t)):
                outputs.append(int(t))
    graph.outputs = outputs
    return _pack(root), outputs
