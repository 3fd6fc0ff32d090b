"""Job kind ``tlog_summary``: read a tlog with pymavlink and report what is in it, with progress.

The file is named relative to one of the allowed tlog folders (``ApiSettings.tlog_roots``: the
configured ``logging.tlog_dir`` unless the program says otherwise); absolute paths and paths
that leave those folders are refused, so the API never reads an arbitrary file for a client.

Result: size, message count, bad frames (CRC errors), count per message type, system ids,
first/last time and duration, and the autopilot/vehicle type of the first vehicle heartbeat.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from embedded_api.jobs.registry import JobContext, JobKind, JobRefused, register
from gcs.core.mavlink_env import enum_name, mavlink, mavutil

NAME = "tlog_summary"


class TlogSummaryParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(
        ...,
        min_length=1,
        max_length=500,
        description="tlog file relative to an allowed tlog folder, e.g. 'flight.tlog' or '2024/flight.tlog'",
    )


def resolve_tlog(roots: tuple[Path, ...], relative: str) -> Path:
    """The file ``relative`` names inside one of ``roots``; JobRefused if outside them or missing."""
    posix = PurePosixPath(relative.replace("\\", "/"))
    if posix.is_absolute() or ".." in posix.parts or not posix.parts:
        raise JobRefused(f"path {relative!r} must be relative to a tlog folder, without '..'", status=422)
    if posix.suffix.lower() not in (".tlog", ".mavlink", ".bin_tlog"):
        raise JobRefused(f"path {relative!r} is not a tlog (expected a .tlog file)", status=422)
    for root in roots:
        base = root.resolve()
        candidate = (base / Path(*posix.parts)).resolve()
        if candidate.is_relative_to(base) and candidate.is_file():
            return candidate
    raise JobRefused(f"no tlog {relative!r} in the tlog folders", status=404)


def _prepare(ctx: JobContext, params: Any) -> None:
    assert isinstance(params, TlogSummaryParams)
    resolve_tlog(ctx.tlog_roots, params.path)


def _run(ctx: JobContext, params: Any) -> dict[str, Any]:
    assert isinstance(params, TlogSummaryParams)
    path = resolve_tlog(ctx.tlog_roots, params.path)
    size = path.stat().st_size
    log = mavutil.mavlink_connection(str(path), robust_parsing=True)
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
            if counts.total() % 2000 == 0:
                ctx.progress(log.f.tell() / size if size else 1.0, f"{counts.total()} messages")
    finally:
        log.close()
    ctx.progress(1.0, f"{counts.total()} messages")
    bad = counts.pop("BAD_DATA", 0)
    return {
        "path": params.path,
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


KIND = register(
    JobKind(
        name=NAME,
        summary="Count the messages of a tlog by type, its systems, duration and vehicle.",
        params=TlogSummaryParams,
        run=_run,
        prepare=_prepare,
    )
)
