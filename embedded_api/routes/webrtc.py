"""WebRTC signalling (viewer role): ``WS /ws/webrtc_signaling``.

Token as on every socket: ``?token=`` or a first ``{"type": "auth", "token": ...}`` message; a bad
one closes with 1008. Then the server says ``{"type": "hello", "ice_servers": [...], "max_peers",
"peers"}`` (the STUN/TURN list for the browser's RTCPeerConnection; empty by default) or refuses
with ``{"type": "refused", "reason", "code"}`` and closes with that code: 4503 (WebRTC off, no
video, aiortc missing, no common codec), 4429 (``api.webrtc_max_peers`` reached). A browser that
is refused uses the WebSocket or MJPEG video instead.

Client messages: ``{"type": "offer", "sdp", "codec": "h264"|"vp8"|null}`` (a recvonly video
transceiver, and a data channel for the overlay) -> ``{"type": "answer", "sdp", "codec", "peer"}``
with our ICE candidates in it (aiortc gathers before answering); ``{"type": "candidate",
"candidate", "sdpMid", "sdpMLineIndex"}`` trickles the browser's (optional: the offer may carry them
all); ``ping`` -> ``pong``; ``bye``. One peer per socket: it closes when the socket does, so the
peer count in ``/stats`` is the number of sockets that negotiated.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, WebSocket, WebSocketDisconnect

from embedded_api.auth import Role
from embedded_api.runtime import ApiRuntime
from embedded_api.stream.events import dumps
from embedded_api.webrtc import AIORTC_MISSING
from embedded_api.webrtc.errors import UNAVAILABLE, Refused
from embedded_api.ws import Caller, PolicyClose, authenticate, watch_caller

router = APIRouter(tags=["video"])
_HUB_LOCK = threading.Lock()
MAX_SDP_CHARS = 32_000  # an offer is a few kB; the socket's own limit (64 KB) bounds the rest


def webrtc_hub(app: FastAPI) -> Any:
    """The app's WebRtcHub, made on first use (its loop thread starts then); closed by the runtime."""
    from embedded_api.webrtc.peers import WebRtcHub

    runtime: ApiRuntime = app.state.runtime
    with _HUB_LOCK:
        if runtime.webrtc is None:
            runtime.webrtc = WebRtcHub(app.state.service, host_addresses=runtime.settings.webrtc_host_addresses)
        return runtime.webrtc


async def _send(websocket: WebSocket, message: dict[str, Any]) -> None:
    await websocket.send_text(dumps(message))


async def _expiry(caller: Caller) -> None:
    while True:
        await asyncio.sleep(1.0)
        if caller.principal.expires_s <= time.time():
            raise PolicyClose("token expired")


async def _signal(websocket: WebSocket, hub: Any, who: str) -> None:
    """The message loop of one socket; returns when the client leaves or says bye."""
    peer_id: int | None = None
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            try:
                data = json.loads(message.get("text") or (message.get("bytes") or b"").decode("utf-8", "replace"))
            except (ValueError, RecursionError) as exc:  # not JSON, an int beyond 4300 digits, too deep
                await _send(websocket, {"type": "error", "error": f"not JSON we can read: {str(exc)[:200]}"})
                continue
            kind = data.get("type") if isinstance(data, dict) else None
            if kind == "offer":
                sdp = data.get("sdp")
                if peer_id is not None:
                    await _send(websocket, {"type": "error", "error": "one peer per socket: open another socket"})
                elif not isinstance(sdp, str) or not sdp or len(sdp) > MAX_SDP_CHARS:
                    await _send(websocket, {"type": "error", "error": f"offer needs sdp (a string of at most "
                                                                      f"{MAX_SDP_CHARS} characters)"})
                else:
                    wish = data.get("codec") if isinstance(data.get("codec"), str) else None
                    peer_id, answer, codec = await hub.call(hub.open_peer(sdp, wish, who))
                    await _send(websocket, {"type": "answer", "sdp": answer, "codec": codec, "peer": peer_id})
            elif kind == "candidate":
                if peer_id is not None and isinstance(data.get("candidate"), str):
                    index = data.get("sdpMLineIndex")
                    mid = data.get("sdpMid") if isinstance(data.get("sdpMid"), str) else None
                    try:
                        await hub.call(hub.add_candidate(peer_id, data["candidate"], mid,
                                                         index if isinstance(index, int) else None))
                    except (ValueError, IndexError) as exc:  # aiortc's parse of a malformed candidate line
                        await _send(websocket, {"type": "error", "error": f"not an ICE candidate: {exc}"})
            elif kind == "ping":
                await _send(websocket, {"type": "pong", "time": time.time(), "stats": _peer_row(hub, peer_id)})
            elif kind == "bye":
                return
            elif kind != "auth":
                await _send(websocket, {"type": "error", "error": f"unknown message type {kind!r}: "
                                                                  "use offer, candidate, ping or bye"})
    finally:
        if peer_id is not None:
            with contextlib.suppress(Exception):  # the hub may be closing with the app
                await hub.call(hub.close_peer(peer_id))


def _peer_row(hub: Any, peer_id: int | None) -> dict[str, Any] | None:
    rows = [r for r in hub.stats()["list"] if r["id"] == peer_id]
    return rows[0] if rows else None


@router.websocket("/ws/webrtc_signaling")
async def ws_webrtc_signaling(
    websocket: WebSocket,
    token: Annotated[str | None, Query(description="bearer token (or send an auth message first)")] = None,
) -> None:
    """WebRTC signalling: hello/refused, offer -> answer (H.264 from the one encoder, or VP8), candidates."""
    runtime: ApiRuntime = websocket.app.state.runtime
    caller = await authenticate(websocket, token, Role.VIEWER, runtime.settings.ws_auth_timeout_s)
    if caller is None:
        return
    tasks: list[asyncio.Task[None]] = []
    try:
        if AIORTC_MISSING is not None:
            raise Refused(f"no WebRTC here: {AIORTC_MISSING}", UNAVAILABLE)
        hub = webrtc_hub(websocket.app)
        try:
            hub.check_open()
        except Refused as exc:
            hub.count_refusal(exc)
            raise
        await _send(websocket, {"type": "hello", "ice_servers": hub.ice_servers_for_browser(),
                                "max_peers": hub.stats()["max_peers"], "peers": hub.stats()["peers"]})
        who = caller.principal.subject or caller.principal.role.name.lower()
        tasks = [
            asyncio.create_task(_signal(websocket, hub, who)),
            asyncio.create_task(watch_caller(caller, Role.VIEWER, runtime.settings.authority_check_s)),
            asyncio.create_task(_expiry(caller)),
        ]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(1000, "bye")
    except Refused as exc:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await _send(websocket, {"type": "refused", "reason": str(exc), "code": exc.code})
            await websocket.close(exc.code, str(exc)[:120])
    except PolicyClose as exc:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await websocket.close(exc.code, str(exc)[:120])
    except WebSocketDisconnect:
        pass
    finally:
        for task in tasks:
            task.cancel()
        if tasks:  # the signalling task closes its peer in its finally: let it run
            await asyncio.gather(*tasks, return_exceptions=True)
