"""Sample sources fill caller-owned buffers with whole frames.

ReplaySource streams WAV, raw and CSV recordings at their rate; the hardware
drivers (ADC, I2S, MPU-6050) run against fake `machine` objects.
"""

from __future__ import annotations

import struct
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np


def write_wav(path: Path, samples: np.ndarray, rate: int, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples.astype("<i2").tobytes())


def test_wav_replay_yields_every_sample_in_whole_frames(mpy: Callable[[str], str], tmp_path: Path) -> None:
    samples = (np.arange(1003 * 2) * 37 % 65536 - 32768).astype(np.int16)
    write_wav(tmp_path / "stereo.wav", samples, rate=8000, channels=2)
    out = mpy(
        """
        from array import array
        from sources import ReplaySource
        src = ReplaySource("stereo.wav", realtime=False)
        assert (src.rate, src.channels, src.typecode) == (8000, 2, "h")
        buf = array("h", bytes(2 * 101))          # 101 samples: room for 50 whole frames
        got = []
        while True:
            n = src.readinto(buf)
            if n == 0:
                break
            assert n % 2 == 0
            got.extend(buf[:n])
        print(len(got), sum(got), got[:4])
        """
    )
    assert out.split(" ", 2)[:2] == [str(len(samples)), str(int(samples.astype(np.int64).sum()))]


def test_realtime_replay_waits_for_the_recording_s_duration(
    mpy: Callable[[str], str], tmp_path: Path
) -> None:
    write_wav(tmp_path / "clip.wav", np.zeros(1600, np.int16), rate=16000)  # 100 ms
    out = mpy(
        """
        import time
        from array import array
        from sources import ReplaySource
        src = ReplaySource("clip.wav")
        waited = []
        src.wait = lambda us: (waited.append(us), time.sleep_us(max(us, 0)))
        buf = array("h", bytes(2 * 160))
        start = time.ticks_ms()
        while src.readinto(buf):
            pass
        print(time.ticks_diff(time.ticks_ms(), start), len(waited))
        """
    )
    elapsed_ms, waits = map(int, out.split())
    assert 95 <= elapsed_ms < 400  # 10 reads of 10 ms each, paced from the first one
    assert waits == 10


def test_raw_and_csv_recordings_and_looping(mpy: Callable[[str], str], tmp_path: Path) -> None:
    (tmp_path / "accel.raw").write_bytes(struct.pack("<6h", 1, -2, 3, -4, 5, -6))
    (tmp_path / "accel.csv").write_text("# ax,ay,az\n1,-2,3\n-4,5,-6.0\n\n")
    out = mpy(
        """
        from array import array
        from sources import ReplaySource
        buf = array("h", bytes(2 * 6))
        raw = ReplaySource("accel.raw", rate=100, channels=3, realtime=False)
        print(raw.readinto(buf), list(buf), raw.readinto(buf))
        csv = ReplaySource("accel.csv", rate=100, channels=3, realtime=False, loop=True)
        print(csv.readinto(buf), list(buf), csv.readinto(buf), list(buf))
        floats = ReplaySource("accel.csv", rate=100, channels=3, typecode="f", realtime=False)
        fbuf = array("f", bytes(4 * 3))
        print(floats.readinto(fbuf), list(fbuf))
        try:
            ReplaySource("accel.raw", channels=3)
        except ValueError as e:
            print("ValueError:", e)
        """
    )
    assert out.splitlines() == [
        "6 [1, -2, 3, -4, 5, -6] 0",
        "6 [1, -2, 3, -4, 5, -6] 6 [1, -2, 3, -4, 5, -6]",
        "3 [1.0, -2.0, 3.0]",
        "ValueError: rate is needed for raw recordings",
    ]


def test_adc_source_paces_read_u16_and_can_centre_it(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        from array import array
        from sources import ADCSource
        class FakeADC:
            def __init__(self): self.value = 32760
            def read_u16(self):
                self.value += 4
                return self.value
        waits = []
        adc = ADCSource(FakeADC(), rate=1000, signed=True)
        adc.wait = waits.append
        buf = array(adc.typecode, bytes(2 * 4))
        print(adc.readinto(buf), list(buf))
        print(*waits)
        """
    )
    samples, waits = out.splitlines()
    assert samples == "4 [-4, 0, 4, 8]"
    # The fake wait does not sleep: sample k is due k ms after the first, measured from the start.
    assert [round(int(us) / 1000) for us in waits.split()] == [1, 2, 3, 4]


def test_i2s_source_reads_16_bit_and_narrows_32_bit_slots(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        from array import array
        from sources import I2SSource
        class FakeI2S:
            # Hands out `values` as the DMA driver would: n slots, returns bytes.
            def __init__(self, values, slot_bytes):
                self.values = list(values)
                self.slot_bytes = slot_bytes
            def readinto(self, buf):
                n = min(len(buf), len(self.values))
                for i in range(n):
                    buf[i] = self.values.pop(0)
                return n * self.slot_bytes
        mic16 = I2SSource(FakeI2S([1, -2, 3], 2), rate=16000)
        buf = array("h", bytes(2 * 3))
        print(mic16.readinto(buf), list(buf))
        slots = FakeI2S([5 << 14, -(7 << 14), (1 << 31) - 1], 4)
        mic32 = I2SSource(slots, rate=16000, bits=32, shift=14, chunk=2)
        print(mic32.readinto(buf), list(buf))
        """
    )
    assert out.splitlines() == ["3 [1, -2, 3]", "3 [5, -7, 32767]"]


def test_mpu6050_configures_the_chip_and_decodes_signed_readings(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        from array import array
        from sources import MPU6050, IMUSource
        class FakeI2C:
            def __init__(self):
                self.writes = []
                # ax=1, ay=-1, az=16384 (1 g), temperature, gx=-32768, gy=32767, gz=0
                self.burst = bytes([0, 1, 0xFF, 0xFF, 0x40, 0, 0x12, 0x34, 0x80, 0, 0x7F, 0xFF, 0, 0])
            def readfrom_mem(self, addr, reg, n):
                assert (addr, reg, n) == (0x68, 0x75, 1)
                return b"\\x68"
            def writeto_mem(self, addr, reg, data):
                self.writes.append((reg, bytes(data)[0]))
            def readfrom_mem_into(self, addr, reg, buf):
                assert (addr, reg, len(buf)) == (0x68, 0x3B, 14)
                buf[:] = self.burst
        i2c = FakeI2C()
        imu = MPU6050(i2c, accel_range_g=4, gyro_range_dps=500)
        print(i2c.writes)
        frame = array("h", bytes(12))
        imu.read_into(frame)
        print(list(frame), imu.accel_scale * frame[2])
        source = IMUSource(imu, rate=50)
        source.wait = lambda us: None
        buf = array("h", bytes(2 * 13))     # room for two whole frames
        print(source.readinto(buf), list(buf[6:12]))
        class Absent(FakeI2C):
            def readfrom_mem(self, addr, reg, n): return b"\\x00"
        try:
            MPU6050(Absent())
        except OSError as e:
            print("OSError:", e)
        """
    )
    lines = out.splitlines()
    assert lines[0] == "[(107, 1), (26, 3), (28, 8), (27, 8)]"  # wake, low-pass, +-4 g, +-500 dps
    assert lines[1] == "[1, -1, 16384, -32768, 32767, 0] 2.0"
    assert lines[2] == "12 [1, -1, 16384, -32768, 32767, 0]"
    assert lines[3].startswith("OSError: no MPU-6050 at 0x68")


def test_pacing_runs_for_hours_without_overflow(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        from sources import Pacer
        pacer = Pacer(rate=16000)
        waits = []
        for _ in range(90):                  # 90 minutes of audio, a minute per call
            pacer.wait(16000 * 60, waits.append)
        pacer.wait(8000, waits.append)       # then half a second more
        print(waits[0], pacer._frames)
        """
    )
    # The first minute is due a minute after the first frame; the origin moved by whole
    # seconds, so only the half second is left in the frame count (no OverflowError from
    # ticks_add, whose range is about 9 minutes of microseconds).
    assert out.split() == ["60000000", "8000"]
