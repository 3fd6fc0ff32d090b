"""Job kind ``tlog_summary``: what is in a tlog (``GcsService.summarize_tlog``), with progress.

The file is named relative to one of the allowed tlog folders (``ApiSettings.tlog_roots``: the
configured ``logging.tlog_dir`` unless the program says otherwise); absolute paths and paths
that leave those folders are refused, so the API never reads an arbitrary file for a client.

Result: size, message count, bad frames (CRC errors), count per message type, system ids,
first/last time and duration, and the autopilot/vehicle type of the first vehicle heartbeat.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from embedded_api.jobs.registry import JobContext, JobKind, JobRefused, register

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
    if "\0" in relative:  # no file has one: Path.resolve() would raise ValueError (a 500)
        raise JobRefused(f"path {relative!r} contains a NUL character", status=422)
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
    summary = ctx.service.summarize_tlog(path, progress=ctx.progress)
    return {"path": params.path, **summary}


KIND = register(
    JobKind(
        name=NAME,
        summary="Count the messages of a tlog by type, its systems, duration and vehicle.",
        params=TlogSummaryParams,
        run=_run,
        prepare=_prepare,
    )
)
