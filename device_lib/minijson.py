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

_ESCAPES = {34: '"', 92: "\\", 47: "/", 98: "\b", 102: "\f", 110: "\n", 114: "\r", 116: "\t"}
# Parsing works on bytes: indexing a MicroPython str walks its UTF-8 from the
# start (quadratic over a document), indexing bytes does not.
_QUOTE = 34
_BACKSLASH = 92


def _skip(data: bytes, i: int) -> int:
    n = len(data)
    while i < n:
        c = data[i]
        if c != 32 and c != 10 and c != 13 and c != 9:
            break
        i += 1
    return i


def _error(i: int, what: str) -> ValueError:
    return ValueError(f"JSON: {what} at position {i}")


def _string(data: bytes, i: int) -> tuple:
    """The string starting after the quote at i - 1, and the position after its end."""
    start = i
    end = data.find(b'"', i)
    if end < 0:
        raise _error(start - 1, "unterminated string")
    escape = data.find(b"\\", i, end)
    if escape < 0:
        return data[i:end].decode(), end + 1
    out = []
    while True:
        end = data.find(b'"', i)
        escape = data.find(b"\\", i)
        if end < 0:
            raise _error(start - 1, "unterminated string")
        if escape < 0 or escape > end:
            out.append(data[i:end].decode())
            return "".join(out), end + 1
        out.append(data[i:escape].decode())
        e = data[escape + 1] if escape + 1 < len(data) else 0
        if e == 117:  # \uXXXX
            out.append(chr(int(data[escape + 2 : escape + 6], 16)))
            i = escape + 6
        elif e in _ESCAPES:
            out.append(_ESCAPES[e])
            i = escape + 2
        else:
            raise _error(escape, "bad escape")


def _is_number_byte(c: int) -> bool:
    return 48 <= c <= 57 or c == 45 or c == 43 or c == 46 or c == 101 or c == 69


def _value(data: bytes, i: int) -> tuple:
    i = _skip(data, i)
    if i >= len(data):
        raise _error(i, "value expected")
    c = data[i]
    if c == 123:  # {
        result = {}
        i = _skip(data, i + 1)
        if i < len(data) and data[i] == 125:
            return result, i + 1
        while True:
            i = _skip(data, i)
            if i >= len(data) or data[i] != _QUOTE:
                raise _error(i, "object key expected")
            key, i = _string(data, i + 1)
            i = _skip(data, i)
            if i >= len(data) or data[i] != 58:
                raise _error(i, "':' expected")
            result[key], i = _value(data, i + 1)
            i = _skip(data, i)
            if i < len(data) and data[i] == 125:
                return result, i + 1
            if i >= len(data) or data[i] != 44:
                raise _error(i, "',' or '}' expected")
            i += 1
    if c == 91:  # [
        result = []
        i = _skip(data, i + 1)
        if i < len(data) and data[i] == 93:
            return result, i + 1
        while True:
            item, i = _value(data, i)
            result.append(item)
            i = _skip(data, i)
            if i < len(data) and data[i] == 93:
                return result, i + 1
            if i >= len(data) or data[i] != 44:
                raise _error(i, "',' or ']' expected")
            i += 1
    if c == _QUOTE:
        return _string(data, i + 1)
    for word, value in ((b"true", True), (b"false", False), (b"null", None)):
        if data[i : i + len(word)] == word:
            return value, i + len(word)
    end = i
    while end < len(data) and _is_number_byte(data[end]):
        end += 1
    number = data[i:end]
    if not number:
        raise _error(i, "value expected")
    try:
        if b"." in number or b"e" in number or b"E" in number:
            return float(number), end
        return int(number), end
    except ValueError:
        raise _error(i, "bad number") from None


def loads(text):  # noqa: ANN001, ANN201 (str or bytes -> the value)
    """Parse one JSON document."""
    data = text.encode() if isinstance(text, str) else bytes(text)
    value, i = _value(data, 0)
    if _skip(data, i) != len(data):
        raise _error(i, "extra data")
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
