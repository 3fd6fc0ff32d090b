"""Job kind ``tlog_import``: add a tlog from the tlog folders to the flight sessions (``GcsService.import_tlog``).

The whole log is folded by the live path's reducer into the session's figures and events (mode
changes, arming, link gaps), so a flight recorded by another GCS (QGC, MAVProxy) or on another
machine appears in ``GET /api/sessions`` beside live ones and can be replayed. Importing the same
file again gives the same session. Paths as for ``tlog_summary`` (relative, inside a tlog folder).
Progress: the analysis is one pass with no partial figures, so it reports its start and its end.
"""

from __future__ import annotations

from typing import Any

from embedded_api.jobs.registry import JobContext, JobKind, register
from embedded_api.jobs.tlog_summary import TlogSummaryParams, resolve_tlog
from gcs.core.serialize import to_plain

NAME = "tlog_import"


def _prepare(ctx: JobContext, params: Any) -> None:
    assert isinstance(params, TlogSummaryParams)
    resolve_tlog(ctx.tlog_roots, params.path)


def _run(ctx: JobContext, params: Any) -> dict[str, Any]:
    assert isinstance(params, TlogSummaryParams)
    path = resolve_tlog(ctx.tlog_roots, params.path)
    ctx.progress(0.0, f"reading {path.name}")
    session = ctx.service.import_tlog(str(path))
    events = ctx.service.flight_session_events(session.id)
    ctx.progress(1.0, f"session {session.id}: {session.messages} messages, {len(events)} events")
    data: dict[str, Any] = to_plain(session)
    return {"path": params.path, "session": dict(data, duration_s=session.duration_s), "events": len(events)}


KIND = register(
    JobKind(
        name=NAME,
        summary="Import a tlog as a flight session (figures and events from the whole log), for listing and replay.",
        params=TlogSummaryParams,
        run=_run,
        prepare=_prepare,
    )
)
