"""Sample sources that fill caller-owned buffers: readinto(buf) -> samples written (0 at the end)."""

from array import array
from collections.abc import Callable
from typing import Protocol

_Buf = array | memoryview

class Source(Protocol):
    rate: int
    channels: int
    typecode: str
    wait: Callable[[int], None]
    def readinto(self, buf: _Buf) -> int: ...

class Pacer:
    rate: int
    def __init__(self, rate: int) -> None: ...
    def wait(self, frames: int, sleep: Callable[[int], None]) -> None: ...

def wav_format(f: object) -> tuple[int, int, int, int]:
    """(rate, channels, bits, data_bytes); leaves f at the first sample."""

class ReplaySource:
    fmt: str
    rate: int
    channels: int
    typecode: str
    realtime: bool
    loop: bool
    wait: Callable[[int], None]
    def __init__(
        self,
        path: str,
        fmt: str | None = None,
        rate: int | None = None,
        channels: int = 1,
        typecode: str = "h",
        realtime: bool = True,
        loop: bool = False,
    ) -> None: ...
    def readinto(self, buf: _Buf) -> int: ...
    def state(self) -> dict[str, int]:
        """The replay position, to continue after a deep sleep."""
    def restore(self, state: dict[str, int]) -> None: ...
    def close(self) -> None: ...

class Playlist:
    def __init__(self, sources: list[Source]) -> None: ...
    def readinto(self, buf: _Buf) -> int: ...

class ADCSource:
    channels: int
    def __init__(self, adc: object, rate: int, signed: bool = False) -> None: ...
    def readinto(self, buf: _Buf) -> int: ...

class I2SSource:
    typecode: str
    def __init__(
        self, i2s: object, rate: int, bits: int = 16, channels: int = 1, shift: int = 14, chunk: int = 256
    ) -> None: ...
    def readinto(self, buf: _Buf) -> int: ...

class MPU6050:
    accel_scale: float
    gyro_scale: float
    def __init__(
        self, i2c: object, address: int = 0x68, accel_range_g: int = 2, gyro_range_dps: int = 250
    ) -> None: ...
    def read_into(self, out: _Buf) -> None:
        """ax, ay, az, gx, gy, gz (raw int16) into out."""
    def sleep(self) -> None: ...
    def wake(self) -> None: ...

class IMUSource:
    channels: int
    typecode: str
    def __init__(self, imu: MPU6050, rate: int) -> None: ...
    def readinto(self, buf: _Buf) -> int: ...

class Periodic:
    """`frames` frames of `source` at the start of every `period_ms`, then a wait
    (through `wait`: a PowerPolicy sleeps it, deep sleep included)."""

    source: Source
    frames: int
    period_ms: int
    rate: int
    channels: int
    typecode: str
    periods: int
    wait: Callable[[int], None]
    def __init__(self, source: Source, frames: int, period_ms: int) -> None: ...
    def readinto(self, buf: _Buf) -> int: ...
    def state(self) -> dict[str, object]: ...
    def restore(self, state: dict[str, object]) -> None:
        """Continue after a deep sleep: the next burst begins now."""
