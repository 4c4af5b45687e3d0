"""Versioned, authenticated models with atomic install, self-test, rollback."""

from collections.abc import Callable, Iterable, Sequence

from monitor import AuditLog
from tinyml import Model

MANIFEST: str

class ModelRefused(ValueError): ...

def model_mac(key: bytes, name: str, version: str, model_sha256: bytes) -> bytes:
    """HMAC-SHA256(key, "tinyml-model" NUL name NUL version NUL sha256(model))."""

def file_sha256(path: str, wdt: object = None) -> bytes: ...

_Check = tuple[bytes | bytearray | memoryview, bytes | bytearray, float]

def run_selftest(model: Model, checks: Sequence[_Check] | Callable[[Model], bool]) -> None: ...

class Entry:
    name: str
    version: str
    sha256: str
    size: int
    path: str
    def __init__(self, name: str, version: str, sha256_hex: str, size: int, path: str) -> None: ...

class ModelStore:
    root: str
    active: Entry | None
    previous: Entry | None
    def __init__(self, root: str, key: bytes, log: AuditLog | None = None, wdt: object = None) -> None: ...
    def install(
        self,
        name: str,
        version: str,
        chunks: Iterable[bytes],
        mac: bytes | str,
        selftest: Sequence[_Check] | Callable[[Model], bool] | None = None,
    ) -> Entry: ...
    def verify(self, entry: Entry) -> bool: ...
    def rollback(self) -> Entry: ...
    def load(self, **model_args: object) -> Model | None: ...
