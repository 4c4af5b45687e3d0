# Shared by the tests/mpy scripts (MicroPython): each observation is printed as
# one line "name<TAB>repr(value)", which tests/test_micropython_api.py parses and
# asserts on.


def report(name: str, value: object) -> None:
    print(name + "\t" + repr(value))


def error_of(fn: object, *args: object, **kwargs: object) -> str:
    """'Type: message' of what fn(*args, **kwargs) raises, or 'no error'."""
    try:
        fn(*args, **kwargs)
    except Exception as e:
        return type(e).__name__ + ": " + str(e)
    return "no error"


def read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()
