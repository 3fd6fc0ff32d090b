"""Replay control and flight sessions: the tlog side of the program.

``POST /api/control`` drives a replay link (``--connect replay:PATH`` or ``/api/control`` with
``open``; ``close`` ends it), ``GET /api/control`` reports where it is. A seek takes ``time_s``,
``fraction`` (0..1) or the older ``value`` (+ ``fraction: true``). Sessions are the SQLite index of every
recorded (or imported) flight; ``/tlog`` downloads the recording itself.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field

from embedded_api.deps import Operator, ServiceDep, Viewer
from gcs.core.errors import LinkError, RecordingError
from gcs.core.logs import FlightSession
from gcs.core.serialize import to_plain

router = APIRouter(tags=["replay and sessions"])

NO_REPLAY: dict[int | str, dict[str, Any]] = {
    404: {"description": "no replay link is open (connect replay:PATH first)"}
}


class ControlBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cmd: Literal["play", "pause", "seek", "speed", "step", "open", "close"] = Field(..., description="what to do")
    value: float | str | None = Field(
        default=None,
        description="seek: seconds from the start (or a fraction 0..1 with `fraction: true`); speed: 0.1-100, "
        "null = as fast as possible; step: frames; open: a tlog path",
    )
    fraction: float | bool | None = Field(
        default=None,
        description="seek: a fraction 0..1 of the log (`{cmd: seek, fraction: 0.9}`), or `true` to read `value` "
        "as one",
    )
    time_s: float | None = Field(
        default=None, allow_inf_nan=False, description="seek: seconds from the start of the log"
    )
    link_id: str | None = Field(default=None, description="which replay; default: the newest one")


def _replay_or_404(call: Any) -> dict[str, Any]:
    try:
        plain: dict[str, Any] = to_plain(call())
    except LinkError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return plain


def _seek_target(body: ControlBody, number: float | None) -> dict[str, float]:
    """``{"time_s": s}`` or ``{"fraction": f}`` from the three spellings; 422 unless exactly one is given."""
    given: list[dict[str, float]] = []
    if isinstance(body.fraction, bool):
        if body.fraction and number is None:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "`fraction: true` needs `value`")
        if number is not None:
            given.append({"fraction": number} if body.fraction else {"time_s": number})
    else:
        if body.fraction is not None:
            given.append({"fraction": body.fraction})
        if number is not None:
            given.append({"time_s": number})
    if body.time_s is not None:
        given.append({"time_s": body.time_s})
    if len(given) != 1:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "seek needs exactly one of `time_s` (seconds), `fraction` (0..1) or `value` (seconds)",
        )
    fraction = given[0].get("fraction")
    if fraction is not None and not 0.0 <= fraction <= 1.0:  # also NaN
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"seek fraction must be 0..1, not {fraction}")
    return given[0]


@router.get("/api/control", responses=NO_REPLAY)
def replay_status(service: ServiceDep, _: Viewer, link_id: str | None = None) -> dict[str, Any]:
    """Replay position, duration, speed and state."""
    return _replay_or_404(lambda: service.replay_status(link_id))


@router.post("/api/control", responses={**NO_REPLAY, 409: {"description": "open: a system id of the log is "
                                                           "already replaying from another log"}})
def replay_control(body: ControlBody, service: ServiceDep, _: Operator) -> dict[str, Any]:
    """Play, pause, seek, set speed, step, open or close a tlog replay."""
    link = body.link_id
    if body.cmd == "open":
        if not isinstance(body.value, str) or not body.value:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "open needs `value`: a tlog path")
        try:
            counters = service.connect("replay:" + body.value)
        except LinkError as exc:
            code = status.HTTP_409_CONFLICT if "already replaying" in str(exc) else 422
            raise HTTPException(code, str(exc)) from None
        return _replay_or_404(lambda: service.replay_status(counters.link_id))
    if body.cmd == "close":
        closed = _replay_or_404(lambda: {"closed": service.replay_close(link)})
        return closed
    number = None
    if body.value is not None:
        try:
            number = float(body.value)
        except (TypeError, ValueError):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"{body.cmd} needs a number") from None
        # "inf" is a speed (as fast as possible); anywhere else a non-finite number has no meaning
        if math.isnan(number) or (math.isinf(number) and body.cmd != "speed"):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                f"{body.cmd} needs a finite number, not {body.value!r}")
    if body.cmd == "play":
        return _replay_or_404(lambda: service.replay_play(link))
    if body.cmd == "pause":
        return _replay_or_404(lambda: service.replay_pause(link))
    if body.cmd == "step":
        count = 1.0 if number is None else number
        if count < 1 or count != int(count):
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                                f"step needs a whole number of frames, at least 1, not {body.value!r}")
        return _replay_or_404(lambda: service.replay_step(int(count), link))
    if body.cmd == "speed":
        return _replay_or_404(lambda: service.replay_speed(number, link))
    target = _seek_target(body, number)
    return _replay_or_404(lambda: service.replay_seek(link_id=link, **target))


@router.get("/api/sessions")
def sessions(
    service: ServiceDep,
    _: Viewer,
    limit: int = Query(100, ge=1, le=1000),
    offset: int = Query(0, ge=0),
) -> dict[str, Any]:
    """Flight sessions, newest first."""
    items = [dict(to_plain(s), duration_s=s.duration_s) for s in service.flight_sessions(limit, offset)]
    return {"sessions": items}


def _session_or_404(service: Any, session_id: int) -> FlightSession:
    try:
        found: FlightSession = service.flight_session(session_id)
    except RecordingError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from None
    return found


@router.get("/api/sessions/{session_id}", responses={404: {"description": "no such session"}})
def session(session_id: int, service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """One flight session with its events."""
    found = _session_or_404(service, session_id)
    events = [to_plain(e) for e in service.flight_session_events(session_id)]
    return dict(to_plain(found), duration_s=found.duration_s, events=events)


@router.get("/api/sessions/{session_id}/tlog", responses={404: {"description": "no such session or file"}})
def session_tlog(session_id: int, service: ServiceDep, _: Viewer) -> FileResponse:
    """Download the session's tlog (QGC, MAVProxy and mavlogdump read it)."""
    path = Path(_session_or_404(service, session_id).tlog_path)
    if not path.is_file():
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"the tlog of session {session_id} is gone: {path}")
    return FileResponse(path, media_type="application/octet-stream", filename=path.name)
