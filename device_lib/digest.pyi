"""SHA-256, HMAC-SHA256 and CRC-32; hashlib/binascii when built in, pure Python otherwise."""

from collections.abc import Iterable
from typing import Protocol

class _Hash(Protocol):
    def update(self, data: bytes | bytearray | memoryview) -> None: ...
    def digest(self) -> bytes: ...

class PySha256:
    """hashlib.sha256 in pure Python."""
    def __init__(self, data: bytes = b"") -> None: ...
    def update(self, data: bytes | bytearray | memoryview) -> None: ...
    def digest(self) -> bytes: ...
    def hexdigest(self) -> str: ...

def sha256(data: bytes = b"") -> _Hash:
    """A SHA-256 hash object: hashlib's when the firmware has it."""

def hexlify(data: bytes) -> str: ...
def unhexlify(text: str) -> bytes: ...
def hmac_sha256(key: bytes, message: bytes = b"", chunks: Iterable[bytes] | None = None) -> bytes:
    """HMAC-SHA256 of `message`, or of the byte strings `chunks` yields."""

def equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison."""

def crc32(data: bytes, crc: int = 0) -> int:
    """CRC-32 (IEEE), as binascii.crc32."""
