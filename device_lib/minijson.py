"""json.loads / json.dumps for firmware built without the json module (the
emulated boards); device_lib modules use `json` where it exists.

    from minijson import json     # the built-in json module, or this one

loads: objects, arrays, strings (with escapes, \\uXXXX), numbers, true,
false, null; ValueError naming the position for anything else. dumps: dict
(str keys), list, tuple, str, int, float, bool, None; TypeError otherwise.
"""

try:
    import json
except ImportError:
    json = None

_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}
_WHITESPACE = " \t\r\n"
_NUMBER = "+-0123456789.eE"


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in _WHITESPACE:
        i += 1
    return i


def _error(text: str, i: int, what: str) -> ValueError:
    return ValueError(f"JSON: {what} at position {i}")


def _string(text: str, i: int) -> tuple:
    out = []
    start = i
    while True:
        if i >= len(text):
            raise _error(text, start, "unterminated string")
        c = text[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\":
            e = text[i + 1 : i + 2]
            if e == "u":
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            if e not in _ESCAPES:
                raise _error(text, i, "bad escape")
            out.append(_ESCAPES[e])
            i += 2
            continue
        out.append(c)
        i += 1


def _value(text: str, i: int) -> tuple:
    i = _skip(text, i)
    if i >= len(text):
        raise _error(text, i, "value expected")
    c = text[i]
    if c == "{":
        result = {}
        i = _skip(text, i + 1)
        if text[i : i + 1] == "}":
            return result, i + 1
        while True:
            i = _skip(text, i)
            if text[i : i + 1] != '"':
                raise _error(text, i, "object key expected")
            key, i = _string(text, i + 1)
            i = _skip(text, i)
            if text[i : i + 1] != ":":
                raise _error(text, i, "':' expected")
            result[key], i = _value(text, i + 1)
            i = _skip(text, i)
            if text[i : i + 1] == "}":
                return result, i + 1
            if text[i : i + 1] != ",":
                raise _error(text, i, "',' or '}' expected")
            i += 1
    if c == "[":
        result = []
        i = _skip(text, i + 1)
        if text[i : i + 1] == "]":
            return result, i + 1
        while True:
            item, i = _value(text, i)
            result.append(item)
            i = _skip(text, i)
            if text[i : i + 1] == "]":
                return result, i + 1
            if text[i : i + 1] != ",":
                raise _error(text, i, "',' or ']' expected")
            i += 1
    if c == '"':
        return _string(text, i + 1)
    for word, value in (("true", True), ("false", False), ("null", None)):
        if text[i : i + len(word)] == word:
            return value, i + len(word)
    end = i
    while end < len(text) and text[end] in _NUMBER:
        end += 1
    number = text[i:end]
    if not number:
        raise _error(text, i, "value expected")
    try:
        if "." in number or "e" in number or "E" in number:
            return float(number), end
        return int(number), end
    except ValueError:
        raise _error(text, i, "bad number") from None


def loads(text):  # noqa: ANN001, ANN201 (str or bytes -> the value)
    """Parse one JSON document."""
    if not isinstance(text, str):
        text = bytes(text).decode()
    value, i = _value(text, 0)
    if _skip(text, i) != len(text):
        raise _error(text, i, "extra data")
    return value


def _quote(s: str) -> str:
    out = ['"']
    for c in s:
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c < " ":
            out.append(f"\\u{ord(c):04x}")
        else:
            out.append(c)
    out.append('"')
    return "".join(out)


def dumps(value) -> str:  # noqa: ANN001
    """One JSON document for `value`."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(_quote(k) + ": " + dumps(v) for k, v in value.items()) + "}"
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


if json is None:

    class _Module:
        loads = staticmethod(loads)
        dumps = staticmethod(dumps)

    json = _Module()
