"""Latency statistics, counters, and an audit log that survives a power loss:
a torn or garbled tail is dropped on the next start, the valid records stay,
sequence numbers carry on, and the file rotates when it grows too big."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path


def test_latency_statistics_and_counters(mpy: Callable[[str], str]) -> None:
    out = mpy(
        """
        from monitor import LatencyStats, Counters
        stats = LatencyStats(window=8)
        for v in (50, 10, 40, 20, 30, 1000, 60, 70, 80, 90):
            stats.add(v)
        print(stats.count, stats.min, stats.max, stats.mean)
        print(stats.percentile(50), stats.percentile(95), stats.percentile(100))
        c = Counters()
        c.inc("inferences"); c.inc("inferences", 2)
        print(c["inferences"], c["failures"])
        """
    )
    # Percentiles cover the last 8 samples: 40 20 30 1000 60 70 80 90.
    assert out.splitlines() == ["10 10 1000 145.0", "60 1000 1000", "3 0"]


def test_records_are_checked_lines_and_numbering_continues(mpy: Callable[[str], str], tmp_path: Path) -> None:
    mpy(
        """
        from monitor import AuditLog
        log = AuditLog("audit.log")
        assert log.append("boot", "v1") == 0
        assert log.append("decision", "yes two\\nlines") == 1
        log.close()
        log = AuditLog("audit.log")
        assert log.append("boot", "v2") == 2
        print([r[2:] for r in log.records()])
        """
    )
    lines = (tmp_path / "audit.log").read_bytes().splitlines()
    assert len(lines) == 3
    for line in lines:
        body, crc = line.rsplit(b"*", 1)
        assert int(crc, 16) == zlib.crc32(body)
    assert lines[1].split(b" ", 2)[2].startswith(b"decision yes two lines*")


def test_a_torn_tail_is_dropped_and_the_recovery_logged(mpy: Callable[[str], str], tmp_path: Path) -> None:
    out = mpy(
        """
        from monitor import AuditLog
        log = AuditLog("audit.log")
        for i in range(3):
            log.append("event", str(i))
        log.close()
        with open("audit.log", "ab") as f:
            f.write(b"3 12345 event 3*dead")     # power lost in the middle of a record
        log = AuditLog("audit.log")
        print(log.recovered_bytes)
        print([(r[0], r[2], r[3]) for r in log.records()])
        """
    )
    dropped, records = out.splitlines()
    assert dropped == str(len(b"3 12345 event 3*dead"))
    assert (
        records
        == "[(0, 'event', '0'), (1, 'event', '1'), (2, 'event', '2'), (3, 'recovered', 'dropped 20 bytes')]"
    )


def test_a_garbled_record_drops_everything_after_it(mpy: Callable[[str], str], tmp_path: Path) -> None:
    out = mpy(
        """
        from monitor import AuditLog
        log = AuditLog("audit.log")
        for i in range(4):
            log.append("event", str(i))
        log.close()
        data = bytearray(open("audit.log", "rb").read())
        second = data.index(b"\\n") + 1
        data[second + 4] ^= 0x20                  # a bit flip inside record 1
        open("audit.log", "wb").write(data)
        log = AuditLog("audit.log")
        print([(r[0], r[2]) for r in log.records()])
        """
    )
    assert out.strip() == "[(0, 'event'), (1, 'recovered')]"


def test_rotation_keeps_a_bounded_number_of_files(mpy: Callable[[str], str], tmp_path: Path) -> None:
    out = mpy(
        """
        import os
        from monitor import AuditLog
        log = AuditLog("audit.log", max_bytes=200, keep=2)
        for i in range(30):
            log.append("event", "%02d" % i)
        print(sorted(n for n in os.listdir() if n.startswith("audit")))
        print([r[0] for r in log.records("audit.log.1")][:1], [r[0] for r in log.records()][-1:])
        """
    )
    files, seqs = out.splitlines()
    assert files == "['audit.log', 'audit.log.1', 'audit.log.2']"
    assert seqs.endswith("[29]")
    assert all(len(p.read_bytes()) <= 200 for p in tmp_path.glob("audit.log*"))
