"""Video (viewer role; reconnect: operator): MJPEG, WebSocket frames, snapshot, health, H.264 out.

One pump per app (``stream/video_pump.py``) holds one JPEG consumer of the core's encode-once
fan-out (so every web client shares the same encoding) and publishes each new frame on the hub's
``video`` channel, beside the tracker, follower and video-health state. Each client has a bounded queue there (and its
sender keeps only the newest frame of what piled up), so a slow client skips frames and is told,
never slowing the others, the encoder or the core. The pump runs only while someone watches.

``GET /video_feed``: ``multipart/x-mixed-replace`` JPEG parts (for ``<img>``; ``?token=`` works
since an image cannot send headers); ``?fps=`` thins it, ``?max_frames=`` ends it.

``WS /ws/video_feed`` (token as ``?token=`` or a first ``{"type": "auth", "token": ...}``
message; a bad one closes with 1008): binary messages are one frame each, a 16-byte big-endian
header (uint64 frame sequence, float64 capture time in unix seconds) then the JPEG. Text
messages are JSON ``{"type", "id", "time", "data"}`` like the telemetry stream: ``tracker``
(the tracked target, box in pixels of ``frame_w`` x ``frame_h``), ``follower``, ``video``
(health) on change and once a second, and ``dropped`` ({dropped, total}) after skipped frames.
``?overlay=false`` sends frames only; ``?fps=`` and ``?max_frames=`` as for MJPEG.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, WebSocket, WebSocketDisconnect, status
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from embedded_api.auth import Role
from embedded_api.deps import Operator, ServiceDep, StreamViewer, Viewer
from embedded_api.runtime import ApiRuntime
from embedded_api.stream.events import HubEvent, dumps, notice
from embedded_api.stream.hub import StreamClient
from embedded_api.stream.video_pump import (  # noqa: F401  (re-exported: tests and tracking routes use them)
    FRAME,
    QUEUE_SIZE,
    VideoPump,
    target_plain,
    video_pump,
    video_state,
)
from embedded_api.ws import Caller, PolicyClose, authenticate, watch_caller
from gcs.core.errors import GcsError
from gcs.core.serialize import to_plain
from gcs.core.video import EncodedFrame

log = logging.getLogger(__name__)
router = APIRouter(tags=["video"])

FRAME_HEADER = struct.Struct(">Qd")  # seq, capture time (unix s): 16 bytes before each JPEG
BOUNDARY = "kestrelframe"
MAX_FPS = 60

Fps = Annotated[int | None, Query(ge=1, le=MAX_FPS, description="frames per second at most for this client")]
MaxFrames = Annotated[int | None, Query(ge=1, le=1_000_000, description="end the stream after this many frames")]


def take_newest(client: StreamClient, events: list[HubEvent]) -> tuple[HubEvent | None, list[HubEvent], int]:
    """The newest frame, the newest event of each other type (in order), and frames skipped now."""
    frames = [e for e in events if e.type == FRAME]
    newest: dict[str, HubEvent] = {}
    for event in events:
        if event.type != FRAME:
            newest[event.type] = event
    skipped = max(0, len(frames) - 1)
    if skipped:  # counted like the hub's own drops, so /stats shows them
        client.dropped += skipped
        client.unreported_drops += skipped
        client.channel.dropped += skipped
    return (frames[-1] if frames else None), sorted(newest.values(), key=lambda e: e.id), skipped


# ---- MJPEG ----------------------------------------------------------------------------------


def _mjpeg_part(frame: EncodedFrame) -> bytes:
    head = (
        f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.jpeg)}\r\n"
        f"X-Frame-Seq: {frame.seq}\r\nX-Capture-Time: {frame.capture_time_s:.6f}\r\n\r\n"
    )
    return head.encode() + frame.jpeg + b"\r\n"


@router.get(
    "/video_feed",
    response_class=StreamingResponse,
    responses={200: {"content": {f"multipart/x-mixed-replace; boundary={BOUNDARY}": {}}}},
)
async def video_feed(
    request: Request, _: StreamViewer, fps: Fps = None, max_frames: MaxFrames = None
) -> StreamingResponse:
    """Live video as MJPEG (multipart/x-mixed-replace JPEG parts); ?token= for an <img>."""
    pump = video_pump(request.app)

    async def body() -> AsyncIterator[bytes]:
        client, _backlog = pump.channel.connect("mjpeg", fps or MAX_FPS)
        pump.attach()
        sent = 0
        try:
            while not client.closed:
                frame, _others, _skipped = take_newest(client, await client.get())
                client.take_drops()
                if frame is None:
                    continue
                data = _mjpeg_part(frame.value)
                yield data
                client.sent_one(len(data), frame.time_s, frame=True)
                sent += 1
                if max_frames is not None and sent >= max_frames:
                    return
        finally:
            pump.channel.disconnect(client)
            pump.detach()

    return StreamingResponse(
        body(),
        media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}",
        headers={
            "Cache-Control": "no-cache, no-store, must-revalidate",
            "Pragma": "no-cache",
            "X-Accel-Buffering": "no",  # and app.STREAM_PATHS keeps gzip out: JPEGs do not compress
        },
    )


# ---- WebSocket --------------------------------------------------------------------------------


async def _ws_sender(
    websocket: WebSocket, client: StreamClient, caller: Caller, overlay: bool, max_frames: int | None
) -> None:
    sent = 0
    while not client.closed:
        frame, others, _skipped = take_newest(client, await client.get())
        drops = client.take_drops()
        if overlay:
            if drops:
                await websocket.send_text(
                    notice("dropped", {"dropped": drops, "total": client.dropped}, 0, time.time()).json()
                )
            for event in others:
                text = event.json()
                await websocket.send_text(text)
                client.sent_one(len(text), event.time_s)
        if frame is not None:
            value: EncodedFrame = frame.value
            await websocket.send_bytes(FRAME_HEADER.pack(value.seq, value.capture_time_s) + value.jpeg)
            client.sent_one(FRAME_HEADER.size + len(value.jpeg), frame.time_s, frame=True)
            sent += 1
            if max_frames is not None and sent >= max_frames:
                return
        if caller.principal.expires_s <= time.time():
            raise PolicyClose("token expired")


async def _ws_receiver(websocket: WebSocket) -> None:
    """Answers pings; anything else is ignored (this socket takes no commands)."""
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        if '"ping"' in (message.get("text") or ""):
            await websocket.send_text(dumps({"type": "pong", "time": time.time()}))


@router.websocket("/ws/video_feed")
async def ws_video_feed(
    websocket: WebSocket,
    token: Annotated[str | None, Query(description="bearer token (or send an auth message first)")] = None,
    fps: Fps = None,
    max_frames: MaxFrames = None,
    overlay: Annotated[bool, Query(description="also send tracker, follower and video state (JSON)")] = True,
) -> None:
    """Live video: binary frames (16-byte header: >Qd seq, capture time; then JPEG) and JSON state."""
    runtime: ApiRuntime = websocket.app.state.runtime
    caller = await authenticate(websocket, token, Role.VIEWER, runtime.settings.ws_auth_timeout_s)
    if caller is None:
        return
    pump = video_pump(websocket.app)
    client, _backlog = pump.channel.connect("ws", fps or MAX_FPS)
    pump.attach()
    tasks: list[asyncio.Task[None]] = []
    try:
        if overlay:
            for text in await run_in_threadpool(pump.state_messages):
                await websocket.send_text(text)
        tasks = [
            asyncio.create_task(_ws_sender(websocket, client, caller, overlay, max_frames)),
            asyncio.create_task(_ws_receiver(websocket)),
            asyncio.create_task(watch_caller(caller, Role.VIEWER, runtime.settings.authority_check_s)),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()  # PolicyClose / disconnects surface here
        if client.closed:  # the server is stopping
            await websocket.close(1001, "server shutting down")
        else:  # max_frames reached (or the client said goodbye)
            await websocket.close(1000, "done")
    except PolicyClose as exc:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(exc.code, str(exc)[:120])
    except (WebSocketDisconnect, RuntimeError):
        pass
    finally:
        for task in tasks:
            task.cancel()
        pump.channel.disconnect(client)
        pump.detach()


# ---- snapshot, health, reconnect --------------------------------------------------------------

NO_VIDEO: dict[int | str, dict[str, Any]] = {503: {"description": "no video: not running, or no frame yet"}}


@router.get(
    "/api/video/snapshot", response_class=Response, responses={200: {"content": {"image/jpeg": {}}}, **NO_VIDEO}
)
def snapshot(service: ServiceDep, _: Viewer) -> Response:
    """The newest video frame as one JPEG (headers X-Frame-Seq, X-Capture-Time)."""
    if not service.video_running:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, video_state(service)["reason"])
    try:
        frame = service.video_snapshot()
    except GcsError as exc:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc)) from None
    if frame is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "no video frame yet")
    return Response(
        frame.jpeg,
        media_type="image/jpeg",
        headers={
            "Cache-Control": "no-store",
            "X-Frame-Seq": str(frame.seq),
            "X-Capture-Time": f"{frame.capture_time_s:.6f}",
            "X-Frame-Size": f"{frame.width}x{frame.height}",
        },
    )


@router.get("/api/video/health")
def health(service: ServiceDep, request: Request, _: Viewer) -> dict[str, Any]:
    """Video source health (ok, degraded, reconnecting, stopped and why), capture, encoder and stream counters."""
    out = video_state(service)
    if out["running"]:
        try:
            capture, encoder = service.video_stats()
            out["capture"] = to_plain(capture)
            encoder_plain = to_plain(encoder)
            encoder_plain["consumers"] = len(encoder.consumers)
            out["encoder"] = encoder_plain
        except GcsError:
            pass
    pump: VideoPump | None = getattr(request.app.state, "video_pump", None)
    out["stream"] = pump.channel.stats() if pump is not None else {"clients": 0}
    return out


@router.get("/api/video/out", responses=NO_VIDEO)
def video_out(service: ServiceDep, _: Viewer) -> dict[str, Any]:
    """The H.264 RTP stream (config video.rtp_*): enabled, streaming, where to, packets, why not, encoder."""
    out = service.video_out_status()
    if out is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, video_state(service)["reason"] or "no video")
    return dict(to_plain(out))


@router.get(
    "/api/video/out.sdp", response_class=Response,
    responses={200: {"content": {"application/sdp": {}}}, 404: {"description": "the RTP stream is not running"},
               **NO_VIDEO},
)  # fmt: skip
def video_out_sdp(service: ServiceDep, _: Viewer) -> Response:
    """The RTP stream's session description, for VLC or ffplay (QGC needs none)."""
    out = service.video_out_status()
    if out is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, video_state(service)["reason"] or "no video")
    sdp = service.video_out_sdp()
    if sdp is None:
        if out.error:
            why = f"not running: {out.error}"
        else:
            why = "not sent yet" if out.rtp_enabled else "off (config video.rtp_enabled)"
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"the RTP video stream is {why}")
    return Response(sdp, media_type="application/sdp", headers={"Cache-Control": "no-store"})


@router.post("/api/video/reconnect", responses={400: {"description": "the source cannot be opened; why"}})
def reconnect(service: ServiceDep, _: Operator) -> dict[str, Any]:
    """Reopen the video source now (skipping any backoff); starts it if it is not running."""
    if service.video_running:
        service.reconnect_video()
        action = "reconnecting"
    else:
        service.start_video()
        action = "started"
    return {"action": action, **video_state(service)}
