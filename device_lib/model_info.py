"""What tinyml-convert wrote into a model: its `tinyml` metadata entry.

    info = model_info.read(model)          # dict, or None for a model without the entry
    labels = model_info.labels(model)      # ("digit 0", ...) or ()
    info["model_version"], info["arena_bytes"], info["inputs"][0]["scale"], info["settings"]
    model_info.verify(data, info)          # the file's bytes match the entry's SHA-256

The entry is JSON (host_tools/tinyml_tools/model_metadata.py documents every
field); Model.metadata() hands it over as a view into the model bytes, and
read() parses it once (allocates: call it at start-up, not per inference).
"sha256" is the SHA-256 of the .tflite file with its own 64 hex digits
replaced by "0"s, so it covers every byte, the metadata included.
"""

from digest import sha256, unhexlify
from minijson import json

NAME = "tinyml"
FORMAT = 1
_SHA_KEY = b'"sha256": "'


def read(model, name: str = NAME):  # noqa: ANN001, ANN201 (tinyml.Model -> dict | None)
    """The parsed metadata entry `name` of a tinyml.Model, None if it has none.

    ValueError when the entry is not JSON, or a `tinyml` entry of a newer format."""
    view = model.metadata(name)
    if view is None:
        return None
    try:
        info = json.loads(bytes(view))
    except ValueError:
        raise ValueError(f"metadata {name!r} is not JSON") from None
    if name == NAME and (not isinstance(info, dict) or info.get("format", FORMAT) > FORMAT):
        raise ValueError(f"metadata {name!r}: unknown format (this library reads format {FORMAT})")
    return info


def labels(model) -> tuple:  # noqa: ANN001 (tinyml.Model)
    """The class names stored in the model, () when there are none."""
    info = read(model)
    return tuple(info.get("labels", ())) if info is not None else ()


def verify(data, info: dict) -> bool:  # noqa: ANN001 (bytes of the .tflite file)
    """Whether `data` (the whole .tflite file, bytes) matches info["sha256"].

    Hashes the file in three pieces (before the digits, 64 "0"s, after):
    no copy of the model is made. digest.py's SHA-256 is pure Python where the
    firmware lacks hashlib: slow for large models (see docs/device_lib.md)."""
    digits = info.get("sha256")
    if not isinstance(digits, str) or len(digits) != 64:
        return False
    if not isinstance(data, bytes):
        raise TypeError("verify() needs the model file as bytes")
    at = data.find(_SHA_KEY + digits.encode())
    if at < 0:
        return False
    at += len(_SHA_KEY)
    view = memoryview(data)
    h = sha256()
    h.update(view[:at])
    h.update(b"0" * 64)
    h.update(view[at + 64 :])
    try:
        expected = unhexlify(digits)
    except ValueError:
        return False
    return h.digest() == expected
