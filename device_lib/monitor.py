"""Monitoring: latency statistics, counters and an audit log that survives
power loss.

Audit log format: one text line per record,

    <seq> <ms> <event> <detail>*<crc32 hex of everything before '*'>\\n

appended and flushed one record at a time. A record cut off by a power loss
(or garbled flash) fails its CRC: AuditLog keeps every record before the
first bad one, rewrites the file from them (temporary file, then rename)
and logs a "recovered" record saying how many bytes were dropped. When the
file grows past max_bytes it is renamed to <path>.1 (older ones shift to
.2 ... .keep) and a new file begins; sequence numbers carry on.
"""

import os
import time
from array import array

from digest import crc32


class LatencyStats:
    """Count, mean, min, max and percentiles of durations (any unit).

    The last `window` samples are kept in a fixed array for percentiles.
    """

    def __init__(self, window: int = 64) -> None:
        self._recent = array("I", bytes(4 * window))
        self.count = 0
        self.total = 0
        self.min = None
        self.max = None

    def add(self, value: int) -> None:
        """Record one duration."""
        self._recent[self.count % len(self._recent)] = value
        self.count += 1
        self.total += value
        if self.min is None or value < self.min:
            self.min = value
        if self.max is None or value > self.max:
            self.max = value

    @property
    def mean(self) -> float:
        """Mean of all durations recorded (0.0 before the first)."""
        return self.total / self.count if self.count else 0.0

    def percentile(self, p: float) -> int:
        """The p-th percentile (0..100) of the recent samples (nearest rank)."""
        n = min(self.count, len(self._recent))
        if n == 0:
            return 0
        ordered = sorted(self._recent[:n])
        rank = max(1, int(p * n / 100 + 0.999999))
        return ordered[min(rank, n) - 1]

    def state(self) -> dict:
        """Count, total, min, max and the recent samples (JSON-able), for a deep sleep."""
        return {"count": self.count, "total": self.total, "min": self.min, "max": self.max,
                "recent": list(self._recent)}  # fmt: skip

    def restore(self, state: dict) -> None:
        """Continue from state()."""
        if len(state["recent"]) != len(self._recent):
            raise ValueError("latency state has another window")
        for i, v in enumerate(state["recent"]):
            self._recent[i] = v
        self.count = state["count"]
        self.total = state["total"]
        self.min = state["min"]
        self.max = state["max"]

    def summary(self) -> dict:
        """count, mean, min, max, p50 and p95 as a dict (allocates: call it for reports)."""
        return {
            "count": self.count,
            "mean": self.mean,
            "min": self.min,
            "max": self.max,
            "p50": self.percentile(50),
            "p95": self.percentile(95),
        }


class Counters:
    """Named event counters: counters.inc("inferences"); counters["errors"]."""

    def __init__(self) -> None:
        self.values = {}

    def inc(self, name: str, n: int = 1) -> None:
        """Add n to the counter `name` (created at 0)."""
        self.values[name] = self.values.get(name, 0) + n

    def __getitem__(self, name: str) -> int:
        return self.values.get(name, 0)


def _exists(path: str) -> bool:
    try:
        os.stat(path)
        return True
    except OSError:
        return False


def _replace(src: str, dst: str) -> None:
    """rename() that overwrites dst (FAT and littlefs refuse an existing target)."""
    try:
        os.rename(src, dst)
    except OSError:
        os.remove(dst)
        os.rename(src, dst)


def parse_record(line: bytes):  # noqa: ANN201
    """(seq, ms, event, detail) of a valid record line (with its newline), else None."""
    if not line.endswith(b"\n"):
        return None
    star = line.rfind(b"*")
    if star < 0:
        return None
    try:
        if int(line[star + 1 : -1], 16) != crc32(line[:star]):
            return None
        fields = line[:star].decode().split(" ", 3)
        return int(fields[0]), int(fields[1]), fields[2], fields[3] if len(fields) > 3 else ""
    except (ValueError, UnicodeError, IndexError):
        return None


class AuditLog:
    """Append-only log of events, checked and repaired when opened."""

    def __init__(self, path: str, max_bytes: int = 16384, keep: int = 2) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.keep = keep
        self.seq = 0
        self.recovered_bytes = 0
        self._size = self._recover()
        # Kept open for the log's lifetime: one flush per record, no reopen.
        self._file = open(path, "ab" if _exists(path) else "wb")  # noqa: SIM115
        if self.recovered_bytes:
            self.append("recovered", f"dropped {self.recovered_bytes} bytes")

    def _recover(self) -> int:
        """Find the valid prefix; rewrite the file if a tail is corrupt. Returns its size."""
        if not _exists(self.path):
            return 0
        good = 0
        total = 0
        with open(self.path, "rb") as f:
            while True:
                line = f.readline()
                if not line:
                    break
                total += len(line)
                record = parse_record(line)
                if record is None:
                    # Everything after the first bad record is untrusted.
                    total += len(f.read())
                    break
                good += len(line)
                self.seq = record[0] + 1
        if good == total:
            return good
        self.recovered_bytes = total - good
        tmp = self.path + ".tmp"
        with open(self.path, "rb") as src, open(tmp, "wb") as dst:
            left = good
            while left:
                chunk = src.read(min(left, 512))
                dst.write(chunk)
                left -= len(chunk)
        _replace(tmp, self.path)
        return good

    def append(self, event: str, detail: str = "") -> int:
        """Write one record and flush it; returns its sequence number."""
        # A newline inside a record would split it into two invalid lines.
        detail = detail.replace("\n", " ")
        body = f"{self.seq} {time.ticks_ms()} {event} {detail}".encode()
        line = b"".join((body, (f"*{crc32(body):08x}\n").encode()))
        if self._size + len(line) > self.max_bytes and self._size:
            self._rotate()
        self._file.write(line)
        self._file.flush()
        self._size += len(line)
        self.seq += 1
        return self.seq - 1

    def _rotate(self) -> None:
        self._file.close()
        for n in range(self.keep - 1, 0, -1):
            older = f"{self.path}.{n}"
            if _exists(older):
                _replace(older, f"{self.path}.{n + 1}")
        if self.keep > 0:
            _replace(self.path, self.path + ".1")
        else:
            os.remove(self.path)
        self._file = open(self.path, "wb")  # noqa: SIM115 (kept open)
        self._size = 0

    def records(self, path=None):  # noqa: ANN001, ANN201 (generator of tuples)
        """The valid records of the current file (or of `path`, e.g. a rotated one)."""
        self._file.flush()
        with open(path or self.path, "rb") as f:
            for line in f:
                record = parse_record(line)
                if record is None:
                    return
                yield record

    def close(self) -> None:
        """Close the file (every record is already flushed)."""
        self._file.close()
