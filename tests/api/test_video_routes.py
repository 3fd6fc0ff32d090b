"""Video, tracking and follow routes on a real uvicorn server over the simulator's virtual camera.

Real clients: httpx for MJPEG, snapshot and REST, the websockets library for /ws/video_feed, and
a raw socket that never reads for the slow-client case.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
import time
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed

from embedded_api.routes.video import BOUNDARY, FRAME, FRAME_HEADER, QUEUE_SIZE, take_newest
from embedded_api.stream.hub import Channel, StreamClient
from tests.api.conftest import LiveApi, ws_connect
from tests.conftest import wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def video_api(make_live_api: Any) -> LiveApi:
    api: LiveApi = make_live_api(video__enabled=True)
    with api.client("viewer") as c:
        wait_until(lambda: c.get("/api/video/health").json()["state"] == "ok", 10, "video health ok")
    return api


def decode(jpeg: bytes) -> np.ndarray:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None, "not a decodable JPEG"
    return image


def mjpeg_parts(body: bytes) -> list[tuple[dict[str, str], bytes]]:
    """Split a multipart/x-mixed-replace body into (headers, payload) by Content-Length."""
    parts: list[tuple[dict[str, str], bytes]] = []
    marker = f"--{BOUNDARY}\r\n".encode()
    pos = 0
    while True:
        start = body.find(marker, pos)
        if start < 0:
            return parts
        head_end = body.index(b"\r\n\r\n", start)
        lines = body[start + len(marker) : head_end].decode().split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
        size = int(headers["content-length"])
        payload = body[head_end + 4 : head_end + 4 + size]
        assert len(payload) == size, "truncated part"
        parts.append((headers, payload))
        pos = head_end + 4 + size


def test_mjpeg_client_gets_decodable_jpeg_frames(video_api: LiveApi) -> None:
    headers = {**video_api.headers("viewer"), "Accept-Encoding": "gzip"}
    with video_api.client() as c, c.stream("GET", "/video_feed?max_frames=4", headers=headers) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == f"multipart/x-mixed-replace; boundary={BOUNDARY}"
        assert r.headers.get("content-encoding", "identity") == "identity", "JPEG parts must not be gzipped"
        body = r.read()
    parts = mjpeg_parts(body)
    assert len(parts) == 4
    seqs = [int(h["x-frame-seq"]) for h, _ in parts]
    assert seqs == sorted(set(seqs)), seqs
    for head, jpeg in parts:
        assert head["content-type"] == "image/jpeg"
        assert decode(jpeg).shape == (480, 640, 3)
        assert abs(float(head["x-capture-time"]) - time.time()) < 10


def test_mjpeg_takes_the_token_in_the_url_and_refuses_without(video_api: LiveApi) -> None:
    with video_api.client() as c:
        with c.stream("GET", f"/video_feed?max_frames=1&token={video_api.token('viewer')}") as r:
            assert r.status_code == 200
            assert len(mjpeg_parts(r.read())) == 1
        assert c.get("/video_feed?max_frames=1").status_code == 401
        assert c.get("/video_feed?max_frames=1&token=not-a-token").status_code == 401


def test_ws_video_client_gets_frames_with_header_and_state(video_api: LiveApi) -> None:
    url = f"{video_api.ws_url}/ws/video_feed?token={video_api.token('viewer')}&max_frames=3"
    frames: list[tuple[int, float, bytes]] = []
    texts: list[dict[str, Any]] = []
    with ws_connect(url) as ws:
        with pytest.raises(ConnectionClosed) as closed:
            while True:
                message = ws.recv(timeout=10)
                if isinstance(message, bytes):
                    seq, capture_time = FRAME_HEADER.unpack_from(message)
                    frames.append((seq, capture_time, message[FRAME_HEADER.size :]))
                else:
                    texts.append(json.loads(message))
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1000  # max_frames reached
    assert FRAME_HEADER.size == 16
    assert len(frames) == 3
    assert [f[0] for f in frames] == sorted({f[0] for f in frames})
    for _seq, capture_time, jpeg in frames:
        assert abs(capture_time - time.time()) < 10
        assert decode(jpeg).shape == (480, 640, 3)
    types = {t["type"] for t in texts}
    assert {"video", "tracker", "follower"} <= types, types
    video = next(t for t in texts if t["type"] == "video")
    assert set(video) == {"type", "id", "time", "data"} and video["data"]["state"] == "ok"
    tracker = next(t for t in texts if t["type"] == "tracker")["data"]
    assert tracker["state"] == "idle" and "box_normalised" in tracker and tracker["words"] == ""


def test_ws_video_auth_by_first_message_and_policy_close(video_api: LiveApi) -> None:
    with ws_connect(f"{video_api.ws_url}/ws/video_feed?max_frames=1") as ws:
        ws.send(json.dumps({"type": "auth", "token": video_api.token("viewer")}))
        got_frame = False
        with pytest.raises(ConnectionClosed):
            while True:
                got_frame |= isinstance(ws.recv(timeout=10), bytes)
        assert got_frame
    for url in (f"{video_api.ws_url}/ws/video_feed", f"{video_api.ws_url}/ws/video_feed?token=forged"):
        with ws_connect(url) as ws:
            if "token=" not in url:
                ws.send(json.dumps({"type": "hello"}))  # not an auth message
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=5)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008, url


def test_snapshot_and_health(video_api: LiveApi) -> None:
    with video_api.client("viewer") as c:
        r = c.get("/api/video/snapshot")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        assert decode(r.content).shape == (480, 640, 3)
        assert int(r.headers["x-frame-seq"]) > 0 and r.headers["x-frame-size"] == "640x480"
        health = c.get("/api/video/health").json()
    assert health["running"] and health["state"] == "ok" and health["source"] == "virtual"
    assert (health["width"], health["height"]) == (640, 480)
    assert health["capture"]["captured"] > 0 and health["encoder"]["encodes"] > 0
    assert "clients" in health["stream"]
    with video_api.client() as anonymous:
        assert anonymous.get("/api/video/snapshot").status_code == 401
        assert anonymous.get("/api/video/health").status_code == 401


def test_h264_out_status_and_its_sdp(video_api: LiveApi) -> None:
    from tests.video_support import free_udp_port

    with video_api.client("viewer") as c:
        out = c.get("/api/video/out").json()
        assert out["available"] and not out["rtp_enabled"] and not out["streaming"]
        refused = c.get("/api/video/out.sdp")
        assert refused.status_code == 404 and "off (config video.rtp_enabled)" in refused.json()["detail"]
        port = free_udp_port()
        video_api.service.config.update("video", {"rtp_enabled": True, "rtp_port": port}, source="test")
        wait_until(lambda: c.get("/api/video/out.sdp").status_code == 200, 5, "the SDP served")
        sdp = c.get("/api/video/out.sdp")
        assert sdp.headers["content-type"] == "application/sdp"
        assert f"m=video {port} RTP/AVP 96" in sdp.text and sdp.text == video_api.service.video_out_sdp()
        out = c.get("/api/video/out").json()
        assert out["streaming"] and out["destination"] == f"127.0.0.1:{port}" and out["encoder"]["frames_encoded"] > 0
        video_api.service.config.set("video", "rtp_host", "nowhere.invalid", source="test")
        refused = c.get("/api/video/out.sdp")
        assert refused.status_code == 404 and "host not found" in refused.json()["detail"]
        assert "host not found" in c.get("/api/video/out").json()["error"]


def test_reconnect_needs_an_operator_and_the_video_comes_back(video_api: LiveApi) -> None:
    with video_api.client("viewer") as viewer:
        assert viewer.post("/api/video/reconnect").status_code == 403
    with video_api.client("operator") as operator:
        before = int(operator.get("/api/video/snapshot").headers["x-frame-seq"])
        r = operator.post("/api/video/reconnect")
        assert r.status_code == 200 and r.json()["action"] == "reconnecting"
        wait_until(lambda: operator.get("/api/video/health").json()["capture"]["reconnects"] >= 1, 10, "a reconnect")
        wait_until(lambda: operator.get("/api/video/health").json()["state"] == "ok", 10, "video ok again")
        after = operator.get("/api/video/snapshot")
        assert after.status_code == 200 and int(after.headers["x-frame-seq"]) != before


def test_without_video_the_routes_say_why(live_api: LiveApi) -> None:
    with live_api.client("viewer") as c:
        r = c.get("/api/video/snapshot")
        assert r.status_code == 503 and "not running" in r.json()["detail"]
        health = c.get("/api/video/health").json()
        assert health["running"] is False and health["state"] == "stopped" and health["reason"]
        assert c.get("/telemetry/tracker_data").status_code == 400
    with ws_connect(f"{live_api.ws_url}/ws/video_feed?token={live_api.token('viewer')}") as ws:
        first = json.loads(ws.recv(timeout=5))
    assert first["type"] == "video" and first["data"]["running"] is False


def _raw_ws_never_reading(api: LiveApi) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads (a stalled phone)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    host, port = re.match(r"http://([^:]+):(\d+)", api.url).groups()  # type: ignore[union-attr]
    sock.connect((host, int(port)))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET /ws/video_feed?token={api.token('viewer')}&overlay=false HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    sock.sendall(request.encode())
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)
    assert b" 101 " in response.split(b"\r\n", 1)[0], response
    return sock


def test_a_stalled_client_never_slows_another(video_api: LiveApi) -> None:
    stalled = _raw_ws_never_reading(video_api)
    try:
        url = f"{video_api.ws_url}/ws/video_feed?token={video_api.token('operator')}&overlay=false"
        with ws_connect(url) as ws, video_api.client("viewer") as c:
            started = time.monotonic()
            seqs: list[int] = []
            while time.monotonic() - started < 4.0:
                message = ws.recv(timeout=5)
                if isinstance(message, bytes):
                    seqs.append(FRAME_HEADER.unpack_from(message)[0])
            elapsed = time.monotonic() - started
            health = c.get("/api/video/health").json()
    finally:
        stalled.close()
    fps = len(seqs) / elapsed
    assert health["stream"]["clients"] == 2, "the stalled client is still connected"
    assert fps >= 0.6 * health["capture"]["fps"], f"the reader got {fps:.1f} fps of {health['capture']['fps']:.1f}"


def test_a_client_that_falls_behind_gets_the_newest_frame_and_is_told() -> None:
    """Frames a client's socket could not take in time are dropped (oldest first) and counted."""

    @dataclass(frozen=True)
    class Frame:
        seq: int

    async def scenario() -> tuple[Any, StreamClient, Channel, int]:
        channel = Channel("video", throttled=(FRAME,), queue_size=QUEUE_SIZE)
        client, _ = channel.connect("ws", 60)
        for seq in range(1, 21):  # one frame per 20 ms (above the 60 Hz slot), never read
            channel.publish(FRAME, Frame(seq))
            await asyncio.sleep(0.02)
        newest, others, skipped = take_newest(client, await client.get())
        assert not others
        return newest, client, channel, skipped

    newest, client, channel, skipped = asyncio.run(scenario())
    assert newest.value.seq == 20
    assert skipped == QUEUE_SIZE - 1  # queued but stale: only the newest is sent
    assert client.dropped == channel.dropped == 19  # the rest fell out of the bounded queue
    assert client.take_drops() == 19 and client.take_drops() == 0  # told once, as a "dropped" message


def test_tracking_routes_select_lock_switch_and_stop(video_api: LiveApi) -> None:
    with video_api.client("operator") as op, video_api.client("viewer") as viewer:
        schema = viewer.get("/api/tracker/schema").json()
        names = [t["name"] for t in schema["trackers"]]
        assert schema["current"] in names and "KCF" in names
        assert all({"name", "kind", "default"} <= set(p) for t in schema["trackers"] for p in t["params"])
        assert viewer.post("/commands/start_tracking", json={"x": 0.5, "y": 0.5}).status_code == 403

        r = op.post("/commands/start_tracking", json={"x": 0.4, "y": 0.5, "width": 0.2, "height": 0.2})
        assert r.status_code == 200 and r.json()["selection"] == "box" and r.json()["normalised"] is True
        wait_until(lambda: viewer.get("/telemetry/tracker_data").json()["state"] == "locked", 10, "locked")
        data = viewer.get("/telemetry/tracker_data").json()
        assert data["locked"] and data["reason"] == "selected box"
        assert data["box_normalised"][2] == pytest.approx(0.2, abs=0.05)

        r = op.post("/commands/start_tracking", json={"x": 320, "y": 300})  # pixels, a click
        assert r.status_code == 200 and r.json()["normalised"] is False and r.json()["selection"] == "click"
        wait_until(lambda: viewer.get("/telemetry/tracker_data").json()["reason"] == "selected by click", 10, "click")

        assert op.post("/api/tracker/switch", json={"name": "KCF"}).json()["tracker"] == "KCF"
        refused = op.post("/api/tracker/switch", json={"name": "no-such-tracker"})
        assert refused.status_code == 400 and "no-such-tracker" in refused.json()["detail"]
        assert op.post("/commands/stop_tracking").json()["target"]["state"] == "idle"
        assert op.post("/commands/start_tracking", json={"x": 1, "width": 2}).status_code == 422  # names the field

        smart = op.post("/commands/toggle_smart_mode", timeout=120)  # the first switch loads the model (seconds)
        assert smart.status_code == 200 or (smart.status_code == 400 and smart.json()["detail"]), smart.text


def test_a_tracker_parameter_no_number_can_be_is_400_saying_why(video_api: LiveApi) -> None:
    """Regression (a 500): int(inf), int(nan) and float() of a huge integer raised in the parameter check."""
    huge = "1" + "0" * 400
    with video_api.client("operator") as op:
        before = op.get("/api/tracker/schema").json()["current"]
        for name, param, value, why in (("KCF", "max_patch_size", "1e400", "finite"),
                                        ("KCF", "max_patch_size", "NaN", "finite"),
                                        ("KCF", "max_patch_size", huge, "above its maximum"),
                                        ("CSRT", "padding", huge, "too large"),
                                        ("CSRT", "padding", f"-{huge}", "too large")):
            r = op.post("/api/tracker/switch", content=f'{{"name": "{name}", "params": {{"{param}": {value}}}}}',
                        headers={"Content-Type": "application/json"})
            assert r.status_code == 400 and why in r.json()["detail"], (name, param, value[:8], r.text[:200])
        assert op.get("/api/tracker/schema").json()["current"] == before  # a refused switch changes nothing


def test_follower_routes(video_api: LiveApi) -> None:
    with video_api.client("operator") as op, video_api.client("viewer") as viewer:
        profiles = viewer.get("/api/follower/profiles").json()
        names = [p["name"] for p in profiles["profiles"]]
        assert profiles["current"] in names and len(names) >= 2
        other = next(n for n in names if n != profiles["current"])
        assert viewer.post("/api/follower/switch-profile", json={"name": other}).status_code == 403
        assert op.post("/api/follower/switch-profile", json={"name": other}).json() == {"profile": other}
        assert viewer.get("/telemetry/follower_data").json()["profile"] == other
        refused = op.post("/api/follower/switch-profile", json={"name": "nope"})
        assert refused.status_code == 400 and refused.json()["detail"]
        for path in ("/commands/start_following", "/commands/stop_following"):
            assert viewer.post(path).status_code == 403
        assert not viewer.get("/telemetry/follower_data").json()["active"]
