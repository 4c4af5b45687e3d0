"""json.loads / json.dumps for firmware without the json module."""

from typing import Any, Protocol

class _Json(Protocol):
    def loads(self, text: str | bytes) -> Any: ...
    def dumps(self, value: Any) -> str: ...

json: _Json
"""The built-in json module, or this module's functions where it is missing."""

def loads(text: str | bytes | bytearray | memoryview) -> Any:
    """One JSON document; ValueError naming the problem and its position."""

def dumps(value: Any) -> str:
    """dict (str keys), list, tuple, str, int, float, bool, None; TypeError otherwise."""
