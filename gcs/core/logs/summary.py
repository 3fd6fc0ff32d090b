"""What is in a tlog, read once with pymavlink, with progress: the ``tlog_summary`` job's core.

Counts every message by type (CRC-failed frames as ``bad_frames``), the system ids heard, the
first/last timestamps and duration, and the autopilot/type of the first vehicle heartbeat. Unlike
``analysis.analyze_tlog`` (which folds states into flight figures for a session) this only
inventories the file, so it also describes logs of vehicles the reducer does not know.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gcs.core.errors import RecordingError
from gcs.core.mavlink_env import enum_name, mavlink, mavutil

Progress = Callable[[float, str], None]
PROGRESS_EVERY = 2000  # messages between progress reports


def summarize_tlog(path: Path, progress: Progress | None = None) -> dict[str, Any]:
    """Inventory ``path``; ``progress(fraction, message)`` is called every few thousand messages
    (it may raise to cancel). RecordingError when the file cannot be opened."""
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
    return {
        "size_bytes": size,
        "messages": counts.total(),
        "bad_frames": bad,
        "by_type": dict(counts.most_common()),
        "systems": sorted(systems),
        "first_time_s": first_s,
        "last_time_s": last_s,
        "duration_s": round(last_s - first_s, 3) if first_s is not None and last_s is not None else 0.0,
        "vehicle": vehicle,
    }
