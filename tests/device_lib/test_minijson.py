"""minijson: json.loads/dumps where the firmware has no json module (the emulated boards)."""

from __future__ import annotations

import json
from collections.abc import Callable

DOCUMENT = {
    "format": 1,
    "labels": ["yes", "no", 'say "hi"', "back\\slash", "line\nbreak", "é"],
    "scale": 0.10171568393707275,
    "zero_point": -128,
    "tiny": 1.5e-07,
    "flags": [True, False, None],
    "nested": {"empty": {}, "list": [], "deep": [[1, [2, {"x": 3}]]]},
}


def test_parses_what_cpython_writes_and_writes_what_cpython_parses(mpy: Callable[[str], str]) -> None:
    text = json.dumps(DOCUMENT)
    out = mpy(
        f"""
import minijson
value = minijson.loads({text!r})
print(minijson.dumps(value))
print(minijson.loads(minijson.dumps(value)) == value)
print(minijson.loads(b'[1, 2]'), minijson.loads('"\\\\u00e9\\\\n"') == "\\u00e9\\n")
"""
    )
    lines = out.splitlines()
    assert json.loads(lines[0]) == DOCUMENT
    assert lines[1:] == ["True", "[1, 2] True"]


def test_bad_documents_say_what_and_where(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
import minijson
for bad in ('{"a" 1}', '[1,', '"abc', '{"a": 1} x', 'nul', '{1: 2}', '"\\\\q"'):
    try:
        minijson.loads(bad)
    except ValueError as e:
        print(e)
try:
    minijson.dumps({"a": object()})
except TypeError as e:
    print(e)
"""
    )
    assert out.splitlines() == [
        "JSON: ':' expected at position 5",
        "JSON: value expected at position 3",
        "JSON: unterminated string at position 0",
        "JSON: extra data at position 8",
        "JSON: value expected at position 0",
        "JSON: object key expected at position 1",
        "JSON: bad escape at position 1",
        "cannot encode object as JSON",
    ]
