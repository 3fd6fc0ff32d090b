"""Telemetry push (viewer role): WebSocket ``/ws/telemetry`` and server-sent events ``/sse/telemetry``.

Both carry the same events from the one hub (see ``stream/``): first ``history`` (the recent past:
status and log events, telemetry at 2 Hz), then ``telemetry`` (at most ``?rate=`` Hz, 1-50),
``status``, ``log`` and ``alert`` as they happen, and ``dropped`` when this client fell behind and lost
events. JSON messages are ``{"type", "id", "time", "data"}``; ``?format=protobuf`` on the
WebSocket sends each as a binary ``kestrel.v1.StreamEvent`` instead. WebSocket clients may also
send commands (see ``embedded_api.ws``). SSE resumes after ``Last-Event-ID`` from the ring (status
and log events all, telemetry at 2 Hz; a ``gap`` event says when the ring no longer reaches back
that far) and sends a ``: keep-alive`` comment after ``keepalive_s`` of silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import StreamingResponse

from embedded_api.auth import Role
from embedded_api.deps import RuntimeDep, StreamViewer
from embedded_api.ratelimit import token_from_scope
from embedded_api.runtime import ApiRuntime
from embedded_api.stream.events import dumps, history_json, history_proto, notice
from embedded_api.stream.hub import StreamClient
from embedded_api.ws import Caller, PolicyClose, authenticate, handle_client_message, watch_caller
from gcs.core.service import GcsService

router = APIRouter(tags=["telemetry"])

Rate = Annotated[int | None, Query(ge=1, le=50, description="telemetry messages per second for this client")]
History = Annotated[int, Query(ge=0, le=1000, description="events of the recent past sent first")]


async def _ws_sender(websocket: WebSocket, client: StreamClient, binary: bool, caller: Caller) -> None:
    while not client.closed:
        events = await client.get()
        drops = client.take_drops()
        if drops:
            events.insert(0, notice("dropped", {"dropped": drops, "total": client.dropped}, 0, time.time()))
        for event in events:
            if binary:
                data = event.proto()
                await websocket.send_bytes(data)
                client.sent_one(len(data), event.time_s)
            else:
                text = event.json()
                await websocket.send_text(text)
                client.sent_one(len(text), event.time_s)
        if caller.principal.expires_s <= time.time():
            raise PolicyClose("token expired")


async def _send_reply(websocket: WebSocket, reply: dict[str, Any], binary: bool) -> None:
    if binary:
        await websocket.send_bytes(notice(str(reply["type"]), reply, 0, time.time()).proto())
    else:
        await websocket.send_text(dumps(reply))


async def _ws_receiver(
    websocket: WebSocket, caller: Caller, service: GcsService, runtime: ApiRuntime, binary: bool
) -> None:
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        raw = message.get("text") or (message.get("bytes") or b"").decode("utf-8", "replace")
        try:
            reply = await handle_client_message(raw, caller, service, runtime)
        except PolicyClose as exc:
            if exc.reply is not None:
                with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                    await _send_reply(websocket, exc.reply, binary)
            raise
        if reply is not None:
            await _send_reply(websocket, reply, binary)


@router.websocket("/ws/telemetry")
async def ws_telemetry(
    websocket: WebSocket,
    format: Literal["json", "protobuf"] = "json",
    rate: Rate = None,
    history: History = 100,
    token: Annotated[str | None, Query(description="bearer token (or send an auth message first)")] = None,
) -> None:
    """Live telemetry, status and log events; send commands as JSON messages."""
    runtime: ApiRuntime = websocket.app.state.runtime
    service: GcsService = websocket.app.state.service
    caller = await authenticate(websocket, token, Role.VIEWER, runtime.settings.ws_auth_timeout_s)
    if caller is None:
        return
    binary = format == "protobuf"
    channel = runtime.telemetry
    client, backlog = channel.connect("ws", rate or runtime.settings.default_rate_hz, history=history)
    tasks: list[asyncio.Task[None]] = []
    try:
        now = time.time()
        if binary:
            await websocket.send_bytes(history_proto(backlog, client.after_id, now))
        else:
            await websocket.send_text(history_json(backlog, client.after_id, now))
        tasks = [
            asyncio.create_task(_ws_sender(websocket, client, binary, caller)),
            asyncio.create_task(_ws_receiver(websocket, caller, service, runtime, binary)),
            asyncio.create_task(watch_caller(caller, Role.VIEWER, runtime.settings.authority_check_s)),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # PolicyClose / disconnects surface here
        if client.closed:  # the server is stopping (the client may be gone already)
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await websocket.close(1001, "server shutting down")
    except PolicyClose as exc:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(exc.code, str(exc)[:120])
    except WebSocketDisconnect:
        pass
    finally:
        for task in tasks:
            task.cancel()
        channel.disconnect(client)


def _last_id(header: str | None, query: int | None) -> int | None:
    if query is not None:
        return query
    if header and header.strip().isdigit():
        return int(header.strip())
    return None


@router.get("/sse/telemetry", response_class=StreamingResponse)
async def sse_telemetry(
    request: Request,
    runtime: RuntimeDep,
    principal: StreamViewer,
    rate: Rate = None,
    history: History = 100,
    last_event_id: Annotated[str | None, Header(description="resume after this event id")] = None,
    after: Annotated[int | None, Query(ge=0, description="resume after this id (for clients without headers)")] = None,
) -> StreamingResponse:
    """Live telemetry, status and log events as server-sent events (Last-Event-ID resumes)."""
    channel = runtime.telemetry
    resume = _last_id(last_event_id, after)
    rate_hz = rate or runtime.settings.default_rate_hz
    keepalive_s = runtime.settings.keepalive_s
    # An account's stream re-checks the account (removed or downgraded: the stream ends, saying why).
    token = token_from_scope(request.scope)
    caller = Caller(request.app.state.authority, token, principal) if principal.account and token else None
    check_s = runtime.settings.authority_check_s

    async def body() -> AsyncIterator[bytes]:
        client, backlog = channel.connect("sse", rate_hz, after_id=resume, history=history, keepalive_s=keepalive_s)
        try:
            yield b"retry: 2000\n\n"
            if resume is None:
                text = history_json(backlog, client.after_id, time.time())
                yield f"id: {client.after_id}\nevent: history\ndata: {text}\n\n".encode()
            else:
                if channel.evicted_upto > resume:
                    gap = {"after": resume, "oldest_kept": channel.oldest_id()}
                    yield f"event: gap\ndata: {dumps(gap)}\n\n".encode()
                for event in backlog:
                    yield event.sse()
            next_check = time.monotonic() + check_s
            while not client.closed:
                events = await client.get(check_s if caller else None)
                if caller is not None and time.monotonic() >= next_check:
                    next_check = time.monotonic() + check_s
                    try:
                        caller.check(Role.VIEWER)
                    except PolicyClose as exc:
                        yield f"event: closed\ndata: {dumps({'code': exc.code, 'reason': str(exc)})}\n\n".encode()
                        return
                if client.take_keepalive() and not events:
                    yield b": keep-alive\n\n"
                if not events:
                    continue
                drops = client.take_drops()
                if drops:
                    yield f"event: dropped\ndata: {dumps({'dropped': drops, 'total': client.dropped})}\n\n".encode()
                for event in events:
                    data = event.sse()
                    yield data
                    client.sent_one(len(data), event.time_s)
        finally:
            channel.disconnect(client)

    return StreamingResponse(
        body(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
