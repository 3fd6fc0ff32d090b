"""WebRTC over /ws/webrtc_signaling with a real aiortc peer on loopback: auth, H.264 passed through,
VP8 on request, the data channel, the peer cap, WebRTC turned off, and /stats counting peers.

The peer is aiortc as a browser would be: a recvonly video transceiver and a data channel in the
offer, the answer from the socket, frames decoded by FFmpeg; each decoded picture carries the
capture-time stamp, so "frames advance" is read from the pictures themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("aiortc")

import websockets
from aiortc import RTCPeerConnection, RTCSessionDescription

from embedded_api.settings import ApiSettings
from gcs.core.video.stamp import read_stamp
from tests.api.conftest import TEST_SETTINGS, LiveApi

RTC_SETTINGS = ApiSettings(**{**TEST_SETTINGS.__dict__, "webrtc_host_addresses": ("127.0.0.1",)})


async def _refusal(url: str, first: str | None = None) -> tuple[int, str, list[dict[str, Any]]]:
    """Connect, optionally send ``first``; the close code, reason and messages before it."""
    got: list[dict[str, Any]] = []
    async with websockets.connect(url, open_timeout=5) as ws:
        if first is not None:
            await ws.send(first)
        with contextlib.suppress(websockets.ConnectionClosed):
            async with asyncio.timeout(10):
                async for message in ws:
                    got.append(json.loads(message))
                    if got[-1]["type"] == "hello":  # served: not a refusal
                        break
        return ws.close_code or 0, ws.close_reason or "", got


async def _watch(api: LiveApi, *, codec: str | None = None, frames: int = 15,
                 while_open: Callable[[], Any] | None = None) -> dict[str, Any]:
    """Negotiate, then collect decoded stamps and data-channel messages until ``frames`` pictures."""
    url = f"{api.ws_url}/ws/webrtc_signaling?token={api.token('viewer')}"
    pc = RTCPeerConnection()
    pc.addTransceiver("video", direction="recvonly")
    channel = pc.createDataChannel("overlay")
    messages: list[dict[str, Any]] = []
    overlay = asyncio.Event()  # a tracker and a telemetry message have come

    @channel.on("message")
    def _on_message(text: str) -> None:
        messages.append(json.loads(text))
        if {"tracker", "telemetry"} <= {m["type"] for m in messages}:
            overlay.set()

    stamps: list[int | None] = []
    done = asyncio.Event()
    readers: list[asyncio.Task[None]] = []

    @pc.on("track")
    def _on_track(track: Any) -> None:
        async def read() -> None:
            while len(stamps) < frames:
                frame = await track.recv()
                stamps.append(read_stamp(frame.to_ndarray(format="bgr24")))
            done.set()

        readers.append(asyncio.ensure_future(read()))

    async with websockets.connect(url, open_timeout=5) as ws:
        hello = json.loads(await ws.recv())
        assert hello["type"] == "hello", hello
        await pc.setLocalDescription(await pc.createOffer())
        await ws.send(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp, "codec": codec}))
        answer = json.loads(await ws.recv())
        assert answer["type"] == "answer", answer
        await pc.setRemoteDescription(RTCSessionDescription(answer["sdp"], "answer"))
        async with asyncio.timeout(60):
            await done.wait()
            await overlay.wait()
        extra = await asyncio.to_thread(while_open) if while_open else None
        await pc.close()
    return {"hello": hello, "answer": answer, "stamps": stamps, "messages": messages, "extra": extra}


def _stats(api: LiveApi) -> dict[str, Any]:
    with api.client("viewer") as c:
        data: dict[str, Any] = c.get("/stats").json()
        return data


def test_signaling_refuses_bad_tokens(make_live_api: Callable[..., LiveApi]) -> None:
    api = make_live_api(settings=RTC_SETTINGS, video__enabled=True)
    base = f"{api.ws_url}/ws/webrtc_signaling"
    code, reason, got = asyncio.run(_refusal(f"{base}?token=not-a-jwt"))
    assert code == 1008 and not got, (code, reason)
    code, reason, _ = asyncio.run(_refusal(base, first=json.dumps({"type": "offer", "sdp": "v=0"})))
    assert code == 1008 and "auth" in reason
    code, reason, _ = asyncio.run(_refusal(base))  # says nothing: the auth timeout closes it
    assert code == 1008 and "no token" in reason
    code, _, got = asyncio.run(_refusal(base, first=json.dumps({"type": "auth", "token": api.token("viewer")})))
    assert got and got[0]["type"] == "hello"  # the same socket with a good first message is served


def test_h264_peer_gets_stamped_frames_and_overlay(make_live_api: Callable[..., LiveApi]) -> None:
    api = make_live_api(settings=RTC_SETTINGS, video__enabled=True)
    def while_open() -> dict[str, Any]:
        encoder = api.service.video_out_status().encoder
        return {**_stats(api), "outputs": encoder.outputs if encoder else ()}

    result = asyncio.run(_watch(api, while_open=while_open))
    assert result["answer"]["codec"] == "H264"
    assert result["hello"]["ice_servers"] == []  # no STUN/TURN unless configured
    stamps = [s for s in result["stamps"] if s is not None]
    assert len(stamps) >= 10 and stamps == sorted(stamps) and len(set(stamps)) == len(stamps)  # frames advance
    kinds = {m["type"] for m in result["messages"]}
    assert {"tracker", "telemetry"} <= kinds
    rtc = result["extra"]["webrtc"]
    assert rtc["peers"] == 1 and rtc["by_codec"] == {"H264": 1} and rtc["h264_attached"]
    assert rtc["frames_sent"] >= 10
    assert result["extra"]["clients"] >= 1
    assert "webrtc" in result["extra"]["outputs"]  # the one encoder feeds the peer
    with api.client("viewer") as c:  # the peer is gone with its socket, and the encoder detached
        deadline = time.monotonic() + 10
        while c.get("/stats").json()["webrtc"]["peers"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert c.get("/stats").json()["webrtc"]["peers"] == 0
    assert "webrtc" not in api.service.video_out_status().encoder.outputs


def test_vp8_when_asked(make_live_api: Callable[..., LiveApi]) -> None:
    api = make_live_api(settings=RTC_SETTINGS, video__enabled=True)
    result = asyncio.run(_watch(api, codec="vp8", frames=8))
    assert result["answer"]["codec"] == "VP8"
    assert len([s for s in result["stamps"] if s is not None]) >= 5


def test_peer_cap_and_turned_off(make_live_api: Callable[..., LiveApi]) -> None:
    api = make_live_api(settings=RTC_SETTINGS, video__enabled=True, api__webrtc_max_peers=1)
    url = f"{api.ws_url}/ws/webrtc_signaling?token={api.token('viewer')}"
    refused = asyncio.run(_watch(api, frames=3, while_open=lambda: asyncio.run(_refusal(url))))["extra"]
    code, reason, got = refused
    assert code == 4429 and "at most 1" in reason and got[-1]["type"] == "refused"
    assert _stats(api)["webrtc"]["refused"] == {"too_many": 1}
    api.service.config.set("api", "webrtc_enabled", False, source="test")
    code, reason, got = asyncio.run(_refusal(url))
    assert code == 4503 and "turned off" in reason and got == [{"type": "refused", "reason": got[0]["reason"],
                                                                 "code": 4503}]


def test_unreadable_json_is_an_error_message_and_the_socket_stays(make_live_api: Callable[..., LiveApi]) -> None:
    """Regression: valid JSON that json.loads refuses (an int of 5000 digits, 20000 levels deep) raised
    ValueError/RecursionError out of the message loop and ended the socket without a word."""
    api = make_live_api(settings=RTC_SETTINGS, video__enabled=True)

    async def talk() -> list[dict[str, Any]]:
        url = f"{api.ws_url}/ws/webrtc_signaling?token={api.token('viewer')}"
        async with websockets.connect(url, open_timeout=5) as ws:
            assert json.loads(await ws.recv())["type"] == "hello"
            replies = []
            for raw in ('{"type": "ping", "n": ' + "9" * 5000 + "}", "[" * 20000 + "]" * 20000,
                        json.dumps({"type": "ping"})):
                await ws.send(raw)
                replies.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
            return replies

    replies = asyncio.run(talk())
    assert [r["type"] for r in replies] == ["error", "error", "pong"], replies
    assert all("not JSON" in r["error"] for r in replies[:2])

    async def bad_candidate() -> list[dict[str, Any]]:
        """A candidate line aiortc cannot parse (component "x") ended the socket (ValueError) after an offer."""
        url = f"{api.ws_url}/ws/webrtc_signaling?token={api.token('viewer')}"
        pc = RTCPeerConnection()
        pc.addTransceiver("video", direction="recvonly")
        try:
            async with websockets.connect(url, open_timeout=5) as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
                await pc.setLocalDescription(await pc.createOffer())
                await ws.send(json.dumps({"type": "offer", "sdp": pc.localDescription.sdp}))
                assert json.loads(await asyncio.wait_for(ws.recv(), 30))["type"] == "answer"
                await ws.send(json.dumps({"type": "candidate", "candidate": "candidate:1 x udp 1 127.0.0.1 9 typ host",
                                          "sdpMid": "0", "sdpMLineIndex": 0}))
                first = json.loads(await asyncio.wait_for(ws.recv(), 10))
                await ws.send(json.dumps({"type": "ping"}))
                return [first, json.loads(await asyncio.wait_for(ws.recv(), 10))]
        finally:
            await pc.close()

    replies = asyncio.run(bad_candidate())
    assert [r["type"] for r in replies] == ["error", "pong"] and "ICE candidate" in replies[0]["error"], replies
