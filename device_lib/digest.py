"""Digests for the device: SHA-256, HMAC-SHA256 and CRC-32.

Uses the firmware's hashlib / binascii when they are built in and falls back
to pure Python otherwise (the emulated boards build MicroPython without
extmod, so neither exists there). The fallback SHA-256 hashes a few KB per
second on a Cortex-M4: fine for verifying a model once at install time.

    from digest import sha256, hmac_sha256, crc32
    sha256(b"abc").digest()                 # 32 bytes
    hmac_sha256(key, message)               # 32 bytes
    crc32(b"record")                        # int, same as binascii.crc32
"""

try:
    from hashlib import sha256 as _native_sha256
except ImportError:
    _native_sha256 = None

try:
    from binascii import crc32 as _native_crc32
except ImportError:
    _native_crc32 = None

_K = (
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
)  # fmt: skip
_M = 0xFFFFFFFF


_H0 = (0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19)


# The SHA-256 block function as viper machine code: about 100 times faster
# than plain Python (10 KB in 0.5 s instead of 48 s on a 25 MHz Cortex-M4).
# Viper's uint is a machine word, so on 32-bit ports it wraps exactly as
# SHA-256 needs. Compiled at run time (exec) rather than frozen: mpy-cross
# would need the board's architecture, and a firmware without the native
# emitter must still import this module. compress(h, w, block, k): one
# 64-byte block into the state h (8 words); w: 64 words of scratch; k: _K.
_VIPER_SOURCE = """
import micropython
@micropython.viper
def compress(h: ptr32, w: ptr32, block: ptr8, k: ptr32):
    for i in range(16):
        j = i * 4
        w[i] = (block[j] << 24) | (block[j + 1] << 16) | (block[j + 2] << 8) | block[j + 3]
    for i in range(16, 64):
        x = uint(w[i - 15])
        y = uint(w[i - 2])
        s0 = ((x >> 7) | (x << 25)) ^ ((x >> 18) | (x << 14)) ^ (x >> 3)
        s1 = ((y >> 17) | (y << 15)) ^ ((y >> 19) | (y << 13)) ^ (y >> 10)
        w[i] = uint(w[i - 16]) + s0 + uint(w[i - 7]) + s1
    a = uint(h[0])
    b = uint(h[1])
    c = uint(h[2])
    d = uint(h[3])
    e = uint(h[4])
    f = uint(h[5])
    g = uint(h[6])
    hh = uint(h[7])
    for i in range(64):
        s1 = ((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7))
        t1 = hh + s1 + (g ^ (e & (f ^ g))) + uint(k[i]) + uint(w[i])
        s0 = ((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10))
        t2 = s0 + ((a & b) | (c & (a | b)))
        hh = g
        g = f
        f = e
        e = d + t1
        d = c
        c = b
        b = a
        a = t1 + t2
    h[0] = uint(h[0]) + a
    h[1] = uint(h[1]) + b
    h[2] = uint(h[2]) + c
    h[3] = uint(h[3]) + d
    h[4] = uint(h[4]) + e
    h[5] = uint(h[5]) + f
    h[6] = uint(h[6]) + g
    h[7] = uint(h[7]) + hh
"""


# Native architectures (sys.implementation._mpy bits 10-13) whose viper code is
# 32-bit and known to run: ARMv7-M family, Xtensa (ESP8266, ESP32). Not ARMv6-M:
# a port built without MICROPY_EMIT_THUMB_ARMV7M=0 emits Thumb-2 there, which
# hard-faults a Cortex-M0 (an exception handler cannot catch that).
_VIPER_ARCHS = (5, 6, 7, 8, 9, 10)


def _load_viper():  # noqa: ANN202
    """The viper compress() when it compiles and hashes "abc" right on this port, else None."""
    import sys

    if (getattr(sys.implementation, "_mpy", 0) >> 10) & 0x0F not in _VIPER_ARCHS:
        return None
    try:
        from array import array

        scope = {}
        exec(_VIPER_SOURCE, scope)
        compress = scope["compress"]
        h = array("I", _H0)
        block = b"abc\x80" + bytes(52) + (24).to_bytes(8, "big")
        compress(h, array("I", bytes(256)), block, array("I", _K))
    except Exception:  # noqa: BLE001 (no viper here, or not 32-bit: plain-Python rounds)
        return None
    return compress if h[0] == 0xBA7816BF and h[7] == 0xF20015AD else None


_viper_compress = _load_viper() if _native_sha256 is None else None


class PySha256:
    """hashlib.sha256 without hashlib (update / digest / hexdigest): the
    rounds run as viper machine code when available, else in plain Python."""

    def __init__(self, data: bytes = b"") -> None:
        self._pending = b""
        self._length = 0
        if _viper_compress is not None:
            from array import array

            self._h = array("I", _H0)
            self._w = array("I", bytes(256))  # message schedule, reused for every block
            self._k = array("I", _K)
        else:
            self._h = list(_H0)
            self._w = [0] * 64
        if data:
            self.update(data)

    def update(self, data: bytes) -> None:
        """Add bytes to the message."""
        self._length += len(data)
        if self._pending:
            data = self._pending + bytes(data)
        view = memoryview(data)
        end = len(data) - len(data) % 64
        for start in range(0, end, 64):
            self._block(view[start : start + 64])
        self._pending = bytes(view[end:])

    def _block(self, block: memoryview) -> None:
        if _viper_compress is not None:
            _viper_compress(self._h, self._w, block, self._k)
            return
        w = self._w
        for i in range(16):
            j = 4 * i
            w[i] = (block[j] << 24) | (block[j + 1] << 16) | (block[j + 2] << 8) | block[j + 3]
        for i in range(16, 64):
            a = w[i - 15]
            b = w[i - 2]
            s0 = ((a >> 7) | (a << 25)) ^ ((a >> 18) | (a << 14)) ^ (a >> 3)
            s1 = ((b >> 17) | (b << 15)) ^ ((b >> 19) | (b << 13)) ^ (b >> 10)
            w[i] = (w[i - 16] + s0 + w[i - 7] + s1) & _M
        a, b, c, d, e, f, g, h = self._h
        for i in range(64):
            s1 = (((e >> 6) | (e << 26)) ^ ((e >> 11) | (e << 21)) ^ ((e >> 25) | (e << 7))) & _M
            t1 = h + s1 + ((e & f) ^ (~e & g)) + _K[i] + w[i]
            s0 = (((a >> 2) | (a << 30)) ^ ((a >> 13) | (a << 19)) ^ ((a >> 22) | (a << 10))) & _M
            t2 = s0 + ((a & b) ^ (a & c) ^ (b & c))
            h = g
            g = f
            f = e
            e = (d + t1) & _M
            d = c
            c = b
            b = a
            a = (t1 + t2) & _M
        hs = self._h
        hs[0] = (hs[0] + a) & _M
        hs[1] = (hs[1] + b) & _M
        hs[2] = (hs[2] + c) & _M
        hs[3] = (hs[3] + d) & _M
        hs[4] = (hs[4] + e) & _M
        hs[5] = (hs[5] + f) & _M
        hs[6] = (hs[6] + g) & _M
        hs[7] = (hs[7] + h) & _M

    def digest(self) -> bytes:
        """The 32-byte digest of everything added so far (the object stays usable)."""
        saved = (self._h[:], self._pending, self._length)
        bits = self._length * 8
        padding = b"\x80" + bytes((55 - self._length) % 64) + bits.to_bytes(8, "big")
        self.update(padding)
        out = b"".join(x.to_bytes(4, "big") for x in self._h)
        self._h, self._pending, self._length = saved
        return out

    def hexdigest(self) -> str:
        """The digest as 64 lower-case hex digits."""
        return hexlify(self.digest())


def sha256(data: bytes = b""):  # noqa: ANN201 (hashlib object or PySha256)
    """A SHA-256 hash object: hashlib's when the firmware has it."""
    if _native_sha256 is not None:
        return _native_sha256(data)
    return PySha256(data)


def hexlify(data: bytes) -> str:
    """Lower-case hex of bytes (binascii may be absent)."""
    return "".join(f"{b:02x}" for b in data)


def unhexlify(text: str) -> bytes:
    """Bytes of a hex string; ValueError on odd length or bad digits."""
    if len(text) % 2:
        raise ValueError("odd-length hex")
    return bytes(int(text[i : i + 2], 16) for i in range(0, len(text), 2))


def hmac_sha256(key: bytes, message: bytes = b"", chunks=None) -> bytes:  # noqa: ANN001
    """HMAC-SHA256 (RFC 2104) of `message`, or of the byte strings `chunks`
    yields (to authenticate a file without holding it in memory)."""
    if len(key) > 64:
        key = sha256(key).digest()
    key = bytes(key) + bytes(64 - len(key))
    inner = sha256(bytes(k ^ 0x36 for k in key))
    if chunks is None:
        inner.update(message)
    else:
        for chunk in chunks:
            inner.update(chunk)
    outer = sha256(bytes(k ^ 0x5C for k in key))
    outer.update(inner.digest())
    return outer.digest()


def equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison of two MACs (no early exit on the first difference)."""
    if len(a) != len(b):
        return False
    diff = 0
    for i in range(len(a)):
        diff |= a[i] ^ b[i]
    return diff == 0


_crc_table = None


def crc32(data: bytes, crc: int = 0) -> int:
    """CRC-32 (IEEE, as binascii.crc32 and zlib), continuing from `crc`."""
    if _native_crc32 is not None:
        return _native_crc32(data, crc)
    global _crc_table
    if _crc_table is None:
        table = []
        for n in range(256):
            c = n
            for _ in range(8):
                c = (0xEDB88320 ^ (c >> 1)) if c & 1 else (c >> 1)
            table.append(c)
        _crc_table = table
    table = _crc_table
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF
