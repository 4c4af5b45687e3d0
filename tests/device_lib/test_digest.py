"""digest: SHA-256, HMAC-SHA256 and CRC-32 agree with CPython's hashlib, hmac and zlib,
in the pure-Python fallback the emulated boards use (they have no hashlib or binascii)."""

from __future__ import annotations

import hashlib
import hmac
import zlib
from collections.abc import Callable

MESSAGES = [b"", b"abc", bytes(range(256)) * 3, b"x" * 55, b"y" * 56, b"z" * 64, b"w" * 119]


def test_fallbacks_equal_the_standard_algorithms(mpy: Callable[[str], str]) -> None:
    out = mpy(
        f"""
        import digest
        digest._native_sha256 = None   # force the pure-Python code paths
        digest._native_crc32 = None
        for m in {MESSAGES!r}:
            h = digest.sha256()
            h.update(m[: len(m) // 3]); h.update(m[len(m) // 3 :])   # in pieces
            print(h.hexdigest(), digest.hexlify(digest.hmac_sha256(b"k" * 70, m)), digest.crc32(m))
        """
    )
    expected = [
        f"{hashlib.sha256(m).hexdigest()} {hmac.new(b'k' * 70, m, 'sha256').hexdigest()} {zlib.crc32(m)}"
        for m in MESSAGES
    ]
    assert out.splitlines() == expected


def test_hmac_over_chunks_and_constant_time_compare(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        import digest
        whole = digest.hmac_sha256(b"key", b"hello world")
        assert digest.hmac_sha256(b"key", chunks=[b"hello", b" ", b"world"]) == whole
        assert digest.equal(whole, bytes(whole))
        assert not digest.equal(whole, whole[:-1] + bytes([whole[-1] ^ 1]))
        assert not digest.equal(whole, whole[:8])
        assert digest.unhexlify(digest.hexlify(whole)) == whole
        print(digest.hexlify(whole))
        """
    )
    assert out.strip() == hmac.new(b"key", b"hello world", "sha256").hexdigest()
