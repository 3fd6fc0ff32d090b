"""What is in a tlog, read once with pymavlink, with progress: the ``tlog_summary`` job's core.

Counts every message by type (CRC-failed frames as ``bad_frames``), the system ids heard, the
first/last timestamps and duration, and the autopilot/type of the first vehicle heartbeat. Unlike
``analysis.analyze_tlog`` (which folds states into flight figures for a session) this only
inventories the file, so it also describes logs of vehicles the reducer does not know.

A file that is not a tlog fails with the reason (RecordingError): an empty file, one whose bytes
hold no record structure (a JPEG renamed ``.tlog``; pymavlink alone "decodes" stray bytes there as
an UNKNOWN message), or one where no frame decodes as a known message. The duration is the
replay's bridged log clock (``index.log_clock_us``), so a clock that jumps back does not shrink it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gcs.core.errors import LinkError, RecordingError
from gcs.core.logs.index import TlogIndex
from gcs.core.mavlink_env import enum_name, mavlink, mavutil

Progress = Callable[[float, str], None]
PROGRESS_EVERY = 2000  # messages between progress reports


def summarize_tlog(path: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Inventory ``path``; ``progress(fraction, message)`` is called every few thousand messages
    (it may raise to cancel). RecordingError when the file cannot be opened."""
    try:
        index = TlogIndex(path)  # the record structure first: empty or not a tlog fails here
    except LinkError as exc:
        raise RecordingError(str(exc)) from exc
    duration_s = index.duration_s
    index.close()
    try:
        size = path.stat().st_size
        log = mavutil.mavlink_connection(str(path), robust_parsing=True)
    except OSError as exc:
        raise RecordingError(f"cannot read tlog {path}: {exc}") from exc
    counts: Counter[str] = Counter()
    systems: set[int] = set()
    first_s: float | None = None
    last_s: float | None = None
    vehicle: dict[str, Any] | None = None
    try:
        while True:
            msg = log.recv_msg()
            if msg is None:
                break
            kind = msg.get_type()
            counts[kind] += 1
            if kind == "BAD_DATA":
                continue
            stamp = getattr(msg, "_timestamp", None)
            if stamp:
                first_s = stamp if first_s is None else first_s
                last_s = stamp
            systems.add(msg.get_srcSystem())
            if vehicle is None and kind == "HEARTBEAT" and msg.type != mavlink.MAV_TYPE_GCS:
                vehicle = {
                    "system_id": msg.get_srcSystem(),
                    "autopilot": enum_name("MAV_AUTOPILOT", msg.autopilot),
                    "type": enum_name("MAV_TYPE", msg.type),
                }
            if progress is not None and counts.total() % PROGRESS_EVERY == 0:
                progress(log.f.tell() / size if size else 1.0, f"{counts.total()} messages")
    finally:
        log.close()
    if progress is not None:
        progress(1.0, f"{counts.total()} messages")
    bad = counts.pop("BAD_DATA", 0)
    known = sum(n for kind, n in counts.items() if not kind.startswith("UNKNOWN_"))
    if not known:
        raise RecordingError(
            f"{path.name} holds no MAVLink message that decodes ({size} bytes, {bad} bad frames): is it a tlog?"
        )
    return {
        "size_bytes": size,
        "messages": counts.total(),
        "bad_frames": bad,
        "by_type": dict(counts.most_common()),
        "systems": sorted(systems),
        "first_time_s": first_s,
        "last_time_s": last_s,
        "duration_s": round(duration_s, 3),
        "vehicle": vehicle,
    }
