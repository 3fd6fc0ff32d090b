"""Long jobs with progress: submit (operator), follow over SSE or WebSocket, read the outcome (viewer).

Events of a job, numbered from 1: ``start``, ``progress`` ({fraction 0..1, message}), ``result``
or ``error``, and ``complete`` ({state, duration_s}) last, after which both streams end. SSE
resumes after ``Last-Event-ID``; a client that connects late gets every event from the start.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, HTTPException, Query, WebSocket, WebSocketDisconnect, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import ValidationError

from embedded_api.auth import Role
from embedded_api.deps import Operator, RuntimeDep, StreamViewer, Viewer
from embedded_api.jobs import Job, JobRefused, describe_kinds
from embedded_api.runtime import ApiRuntime
from embedded_api.stream.events import dumps
from embedded_api.ws import authenticate

router = APIRouter(tags=["jobs"])


def _job(runtime: ApiRuntime, job_id: str) -> Job:
    try:
        return runtime.jobs.get(job_id)
    except JobRefused as exc:
        raise HTTPException(exc.status, str(exc)) from None


@router.get("/api/jobs")
def list_jobs(runtime: RuntimeDep, _: Viewer) -> dict[str, Any]:
    """Job kinds with their parameter schemas, and the jobs kept (newest last)."""
    return {"kinds": describe_kinds(), "jobs": [job.snapshot() for job in runtime.jobs.jobs()]}


@router.post(
    "/api/jobs/{kind}",
    status_code=status.HTTP_202_ACCEPTED,
    responses={404: {"description": "no such job kind, or its input was not found"}},
)
def submit_job(
    runtime: RuntimeDep,
    _: Operator,
    kind: str,
    params: Annotated[dict[str, Any] | None, Body(description="parameters of this kind (see GET /api/jobs)")] = None,
) -> dict[str, Any]:
    """Start a job of ``kind``; answers its id and where to follow it."""
    try:
        job = runtime.jobs.submit(kind, params or {})
    except JobRefused as exc:
        raise HTTPException(exc.status, str(exc)) from None
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in errors]) from None
    return {
        "id": job.id,
        "kind": job.kind,
        "state": job.state.value,
        "links": {"self": f"/api/jobs/{job.id}", "sse": f"/sse/jobs/{job.id}", "ws": f"/ws/jobs/{job.id}"},
    }


@router.get("/api/jobs/{job_id}", responses={404: {"description": "no such job"}})
def get_job(runtime: RuntimeDep, _: Viewer, job_id: str) -> dict[str, Any]:
    """State, progress and (once done) result or error of a job."""
    return _job(runtime, job_id).snapshot()


@router.get("/sse/jobs/{job_id}", response_class=StreamingResponse, responses={404: {"description": "no such job"}})
async def sse_job(
    runtime: RuntimeDep,
    _: StreamViewer,
    job_id: str,
    last_event_id: Annotated[str | None, Header(description="resume after this event id")] = None,
    after: Annotated[int | None, Query(ge=0, description="resume after this id (for clients without headers)")] = None,
) -> StreamingResponse:
    """A job's events as server-sent events, until ``complete``."""
    job = _job(runtime, job_id)
    start = after if after is not None else int(last_event_id) if last_event_id and last_event_id.isdigit() else 0

    async def body() -> AsyncIterator[bytes]:
        yield b"retry: 2000\n\n"
        async for event in job.stream(start):
            yield event.sse()

    return StreamingResponse(
        body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


@router.websocket("/ws/jobs/{job_id}")
async def ws_job(
    websocket: WebSocket,
    job_id: str,
    token: Annotated[str | None, Query(description="bearer token (or send an auth message first)")] = None,
) -> None:
    """A job's events as JSON messages, until ``complete``; then the socket closes (1000)."""
    runtime: ApiRuntime = websocket.app.state.runtime
    if await authenticate(websocket, token, Role.VIEWER, runtime.settings.ws_auth_timeout_s) is None:
        return
    try:
        job = runtime.jobs.get(job_id)
    except JobRefused as exc:
        await websocket.close(4404, str(exc)[:120])
        return
    with contextlib.suppress(WebSocketDisconnect):
        async for event in job.stream(0):
            await websocket.send_text(dumps(event.as_dict()))
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # the client may have gone already
        await websocket.close(1000, "job complete")
