"""Sample sources: sensors and recordings that fill buffers you own.

Every source has the same small interface, so a pipeline does not care
whether samples come from a microphone or from a file:

    source.rate            # frames per second
    source.channels        # samples per frame (interleaved)
    source.typecode        # array typecode of one sample ('h', 'H', 'f')
    n = source.readinto(buf)   # fill buf (array / memoryview of typecode) with
                               # whole frames; returns samples written, 0 at the end

readinto never allocates on the hot path. Sources that pace themselves
(ReplaySource, ADCSource, IMUSource) wait through `source.wait(us)`; a
Pipeline replaces it with its power-aware sleep, so time spent waiting for
samples is time asleep.

Hardware sources take already-configured `machine` objects (ADC, I2S, I2C),
which keeps them small and lets tests pass fakes.
"""

import struct
import time
from array import array


def _sleep_us(us: int) -> None:
    if us > 0:
        time.sleep_us(us)


class Pacer:
    """Releases frames no faster than `rate` per second, measured from the
    first frame (no drift: deadlines advance by exact frame counts)."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._start = None
        self._frames = 0  # frames since _start, kept below `rate`

    def wait(self, frames: int, sleep) -> None:  # noqa: ANN001 (callable(us))
        """Account `frames` more frames, waiting (via sleep(us)) until they are due."""
        now = time.ticks_us()
        if self._start is None:
            self._start = now
        self._frames += frames
        if self._frames >= self.rate:
            # Move the origin by whole seconds: ticks_add takes at most half the tick
            # period (about 9 minutes), and the numbers stay small ints.
            seconds = self._frames // self.rate
            self._frames -= seconds * self.rate
            for _ in range(seconds):
                self._start = time.ticks_add(self._start, 1_000_000)
        rate = self.rate
        us = self._frames * (1_000_000 // rate) + self._frames * (1_000_000 % rate) // rate
        sleep(time.ticks_diff(time.ticks_add(self._start, us), now))


def wav_format(f) -> tuple:  # noqa: ANN001 (an open binary file)
    """(rate, channels, bits, data_bytes) of a PCM WAV file; leaves `f` at the
    first sample. ValueError for anything but integer PCM."""
    header = f.read(12)
    if len(header) < 12 or header[0:4] != b"RIFF" or header[8:12] != b"WAVE":
        raise ValueError("not a WAV file")
    fmt = None
    while True:
        chunk = f.read(8)
        if len(chunk) < 8:
            raise ValueError("WAV file has no data chunk")
        size = struct.unpack("<I", chunk[4:8])[0]
        if chunk[0:4] == b"fmt ":
            body = f.read(size + (size & 1))
            code, channels, rate = struct.unpack("<HHI", body[0:8])
            bits = struct.unpack("<H", body[14:16])[0]
            if code != 1:
                raise ValueError(f"WAV format {code} is not integer PCM")
            fmt = (rate, channels, bits)
        elif chunk[0:4] == b"data":
            if fmt is None:
                raise ValueError("WAV data before its format chunk")
            return fmt + (size,)
        else:
            f.seek(size + (size & 1), 1)


class ReplaySource:
    """Streams a recording from a file as if a sensor were producing it.

    fmt: "wav" (rate, channels and 16-bit samples from the header), "raw"
    (bare samples of `typecode`; give rate and channels) or "csv" (one frame
    per line, comma-separated numbers; give rate). Default: from the extension.
    realtime: release frames at the recording's rate (waiting in between),
    as a live sensor would; False replays as fast as the caller reads.
    loop: start again at the end instead of returning 0.

    CSV lines are parsed as they come (a str per line): use WAV or raw files
    where allocation matters.
    """

    def __init__(self, path, fmt=None, rate=None, channels=1, typecode="h", realtime=True, loop=False):  # noqa: ANN001
        if fmt is None:
            fmt = path.rsplit(".", 1)[-1].lower()
            fmt = fmt if fmt in ("wav", "csv") else "raw"
        self.fmt = fmt
        self.typecode = typecode
        self.channels = channels
        self.rate = rate
        self.realtime = realtime
        self.loop = loop
        self.wait = _sleep_us
        self._file = open(path, "rb")  # noqa: SIM115 (streamed until close())
        self._data_start = 0
        self._data_end = None
        if fmt == "wav":
            self.rate, self.channels, bits, size = wav_format(self._file)
            if bits != 16:
                raise ValueError(f"need 16-bit WAV samples, got {bits} bits")
            self.typecode = "h"
            self._data_start = self._file.tell()
            self._data_end = self._data_start + size
        elif fmt not in ("raw", "csv"):
            raise ValueError("unknown replay format: " + fmt)
        if not self.rate:
            raise ValueError("rate is needed for " + fmt + " recordings")
        self._itemsize = struct.calcsize(self.typecode)  # array has no itemsize in MicroPython
        self._pos = self._data_start
        self._pacer = Pacer(self.rate)

    def readinto(self, buf) -> int:  # noqa: ANN001
        """Fill `buf` with whole frames; samples written (0 at the end)."""
        n = self._read_csv(buf) if self.fmt == "csv" else self._read_binary(buf)
        if n == 0 and self.loop and self._pos != self._data_start:
            self._file.seek(self._data_start)
            self._pos = self._data_start
            n = self._read_csv(buf) if self.fmt == "csv" else self._read_binary(buf)
        if n and self.realtime:
            self._pacer.wait(n // self.channels, self.wait)
        return n

    def _read_binary(self, buf) -> int:  # noqa: ANN001
        frame_bytes = self._itemsize * self.channels
        want = (len(buf) // self.channels) * frame_bytes
        if self._data_end is not None:
            left = self._data_end - self._pos
            want = min(want, left - left % frame_bytes)
        if want <= 0:
            return 0
        view = memoryview(buf)
        # readinto on a typed view counts bytes; slice it to whole frames first.
        got = self._file.readinto(view[: want // self._itemsize]) or 0
        got -= got % frame_bytes
        self._pos += got
        return got // self._itemsize

    def _read_csv(self, buf) -> int:  # noqa: ANN001
        n = 0
        integer = self.typecode != "f" and self.typecode != "d"
        while n + self.channels <= len(buf):
            line = self._file.readline()
            if not line:
                break
            self._pos += len(line)
            line = line.strip()
            if not line or line[0:1] == b"#":
                continue
            fields = line.split(b",")
            if len(fields) != self.channels:
                raise ValueError(f"CSV line has {len(fields)} fields, expected {self.channels}")
            for field in fields:
                buf[n] = int(float(field)) if integer else float(field)
                n += 1
        return n

    def state(self) -> dict:
        """The replay position (JSON-able), to continue after a deep sleep."""
        return {"pos": self._pos}

    def restore(self, state: dict) -> None:
        """Continue at the position state() saved; pacing starts again from now."""
        self._pos = state["pos"]
        self._file.seek(self._pos)
        self._pacer = Pacer(self.rate)

    def close(self) -> None:
        """Close the recording."""
        self._file.close()


class ADCSource:
    """Samples a machine.ADC at `rate` Hz with read_u16().

    signed=True centres the samples around zero (typecode 'h', read_u16 -
    32768), for a microphone or an AC-coupled sensor; otherwise typecode 'H'.
    Each sample is timed by the Pacer: at high rates use an I2S microphone or
    a timer-driven ADC instead (the interpreter caps this loop at a few kHz).
    """

    channels = 1

    def __init__(self, adc, rate: int, signed: bool = False) -> None:  # noqa: ANN001
        self.adc = adc
        self.rate = rate
        self.signed = signed
        self.typecode = "h" if signed else "H"
        self.wait = _sleep_us
        self._pacer = Pacer(rate)

    def readinto(self, buf) -> int:  # noqa: ANN001
        """Fill buf with one paced read_u16() per sample; returns len(buf)."""
        read = self.adc.read_u16
        offset = 32768 if self.signed else 0
        for i in range(len(buf)):
            self._pacer.wait(1, self.wait)
            buf[i] = read() - offset
        return len(buf)


class I2SSource:
    """A microphone on a configured machine.I2S (mode RX, 16 or 32 bits).

    The I2S peripheral paces itself (DMA fills its buffer at the sample rate),
    so readinto blocks until the data is there. 32-bit I2S MEMS microphones
    (INMP441, SPH0645) put 24 significant bits in the top of a 32-bit slot:
    bits=32 reads slots into an internal array and keeps bits
    [shift, shift+16) of each as 16-bit samples, so buf is still 'h'.
    """

    typecode = "h"

    def __init__(
        self, i2s: object, rate: int, bits: int = 16, channels: int = 1, shift: int = 14, chunk: int = 256
    ) -> None:  # noqa: ANN001
        if bits not in (16, 32):
            raise ValueError("I2S bits must be 16 or 32")
        self.i2s = i2s
        self.rate = rate
        self.bits = bits
        self.channels = channels
        self.shift = shift
        self.wait = _sleep_us
        self._slots = array("i", bytes(4 * chunk)) if bits == 32 else None

    def readinto(self, buf) -> int:  # noqa: ANN001
        """Fill buf (array h) from the I2S DMA buffer; returns samples written."""
        if self.bits == 16:
            return self.i2s.readinto(buf) // 2
        slots = self._slots
        shift = self.shift
        n = 0
        while n < len(buf):
            want = min(len(buf) - n, len(slots))
            got = self.i2s.readinto(memoryview(slots)[:want]) // 4
            for i in range(got):
                v = slots[i] >> shift
                buf[n + i] = 32767 if v > 32767 else (-32768 if v < -32768 else v)
            n += got
            if got < want:
                break
        return n


class MPU6050:
    """InvenSense MPU-6050 accelerometer + gyroscope on a machine.I2C.

    read_into(out) fills an array('h') of 6 raw values (ax, ay, az, gx, gy,
    gz) from one burst read; multiply by accel_scale (g per LSB) and
    gyro_scale (degrees/s per LSB) for physical units.
    """

    PWR_MGMT_1 = 0x6B
    SMPLRT_DIV = 0x19
    CONFIG = 0x1A
    GYRO_CONFIG = 0x1B
    ACCEL_CONFIG = 0x1C
    ACCEL_XOUT_H = 0x3B
    WHO_AM_I = 0x75

    def __init__(self, i2c, address: int = 0x68, accel_range_g: int = 2, gyro_range_dps: int = 250) -> None:  # noqa: ANN001
        accel_codes = {2: 0, 4: 1, 8: 2, 16: 3}
        gyro_codes = {250: 0, 500: 1, 1000: 2, 2000: 3}
        if accel_range_g not in accel_codes or gyro_range_dps not in gyro_codes:
            raise ValueError("unsupported MPU-6050 range")
        self.i2c = i2c
        self.address = address
        who = i2c.readfrom_mem(address, self.WHO_AM_I, 1)[0]
        if who != 0x68:
            raise OSError(f"no MPU-6050 at 0x{address:02x} (WHO_AM_I 0x{who:02x})")
        # Wake up (the chip starts asleep) on the X gyro clock, more stable than the RC oscillator.
        i2c.writeto_mem(address, self.PWR_MGMT_1, b"\x01")
        i2c.writeto_mem(address, self.CONFIG, b"\x03")  # 44 Hz low-pass: no aliasing at 100 Hz sampling
        i2c.writeto_mem(address, self.ACCEL_CONFIG, bytes((accel_codes[accel_range_g] << 3,)))
        i2c.writeto_mem(address, self.GYRO_CONFIG, bytes((gyro_codes[gyro_range_dps] << 3,)))
        self.accel_scale = accel_range_g / 32768
        self.gyro_scale = gyro_range_dps / 32768
        self._raw = bytearray(14)

    def read_into(self, out) -> None:  # noqa: ANN001
        """One burst read of accel, temperature, gyro; writes the 6 motion values."""
        raw = self._raw
        self.i2c.readfrom_mem_into(self.address, self.ACCEL_XOUT_H, raw)
        for i, offset in enumerate((0, 2, 4, 8, 10, 12)):  # bytes 6-7 are the temperature
            v = (raw[offset] << 8) | raw[offset + 1]
            out[i] = v - 65536 if v & 0x8000 else v

    def sleep(self) -> None:
        """Put the chip to sleep (about 5 uA) between bursts."""
        self.i2c.writeto_mem(self.address, self.PWR_MGMT_1, b"\x41")

    def wake(self) -> None:
        """Wake the chip (after sleep())."""
        self.i2c.writeto_mem(self.address, self.PWR_MGMT_1, b"\x01")


class IMUSource:
    """Frames of 6 interleaved motion values (ax, ay, az, gx, gy, gz) at `rate` Hz
    from an MPU6050 (or anything with read_into(out))."""

    channels = 6
    typecode = "h"

    def __init__(self, imu, rate: int) -> None:  # noqa: ANN001
        self.imu = imu
        self.rate = rate
        self.wait = _sleep_us
        self._pacer = Pacer(rate)
        self._frame = array("h", bytes(12))

    def readinto(self, buf) -> int:  # noqa: ANN001
        """Fill buf with whole 6-value frames, one paced burst read each; returns samples written."""
        frame = self._frame
        n = 0
        while n + 6 <= len(buf):
            self._pacer.wait(1, self.wait)
            self.imu.read_into(frame)
            for i in range(6):
                buf[n + i] = frame[i]
            n += 6
        return n


class Playlist:
    """Several sources of the same rate, channels and typecode, one after the other."""

    def __init__(self, sources: list) -> None:
        first = sources[0]
        for s in sources:
            if (s.rate, s.channels, s.typecode) != (first.rate, first.channels, first.typecode):
                raise ValueError("playlist sources differ in rate, channels or typecode")
        self.sources = sources
        self.rate = first.rate
        self.channels = first.channels
        self.typecode = first.typecode
        self._current = 0
        self.wait = _sleep_us

    def readinto(self, buf) -> int:  # noqa: ANN001
        """Read from the current source, moving to the next at its end; 0 after the last."""
        while self._current < len(self.sources):
            source = self.sources[self._current]
            source.wait = self.wait
            n = source.readinto(buf)
            if n:
                return n
            self._current += 1
        return 0


class Periodic:
    """Duty-cycles a source: `frames` frames at the start of every `period_ms`,
    then nothing until the next period (a sensor woken for a burst of
    readings). The wait between bursts goes through `wait`, so a Pipeline's
    PowerPolicy sleeps it, deep sleep included.

    state()/restore() keep the period count and the inner source's state
    (when it has state()) across a deep sleep; after a restore the next burst
    starts at once (the board woke up for it) and periods count from there.
    """

    def __init__(self, source, frames: int, period_ms: int) -> None:  # noqa: ANN001
        if frames < 1 or period_ms < 1:
            raise ValueError("need frames >= 1 and period_ms >= 1")
        self.source = source
        self.frames = frames
        self.period_ms = period_ms
        self.rate = source.rate
        self.channels = source.channels
        self.typecode = source.typecode
        self.wait = _sleep_us
        self.periods = 0  # bursts started
        self._passed = 0  # frames of the current burst read so far
        self._start = None  # ticks_ms when the current period began

    def readinto(self, buf) -> int:  # noqa: ANN001
        """Frames of the current burst, waiting for the next period first when it is over."""
        now = time.ticks_ms()
        if self._start is None:
            self._start = now
            self.periods += 1
        elif self._passed >= self.frames:
            # The state saved during the wait must say the wait is over.
            self._passed = 0
            self.periods += 1
            self._start = time.ticks_add(self._start, self.period_ms)
            self.wait(time.ticks_diff(self._start, now) * 1000)
        want = (self.frames - self._passed) * self.channels
        self.source.wait = self.wait
        n = self.source.readinto(buf if len(buf) <= want else memoryview(buf)[:want])
        self._passed += n // self.channels
        return n

    def state(self) -> dict:
        """Periods and the inner source's state (JSON-able)."""
        inner = self.source.state() if hasattr(self.source, "state") else None
        return {"periods": self.periods, "passed": self._passed, "source": inner}

    def restore(self, state: dict) -> None:
        """Continue after a deep sleep: the next burst begins now."""
        self.periods = state["periods"]
        self._passed = state["passed"]
        self._start = time.ticks_ms()
        if state["source"] is not None:
            self.source.restore(state["source"])
