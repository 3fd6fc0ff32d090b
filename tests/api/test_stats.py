"""GET /stats while real clients stream: clients, frames sent/dropped, bandwidth, encoder figures.

An MJPEG reader (httpx) and a telemetry WebSocket read for a few seconds and count what they got,
and /stats must agree with what they measured; then a WebSocket video client that never reads
makes the server drop frames, and /stats counts them.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
import pytest

from embedded_api.routes.video import BOUNDARY
from tests.api.conftest import LiveApi, ws_connect
from tests.api.test_video_routes import _raw_ws_never_reading
from tests.conftest import wait_until

pytestmark = pytest.mark.slow
READ_S = 4.0


@pytest.fixture
def video_api(make_live_api: Any) -> LiveApi:
    api: LiveApi = make_live_api(video__enabled=True)
    with api.client("viewer") as c:
        wait_until(lambda: c.get("/api/video/health").json()["state"] == "ok", 10, "video health ok")
    return api


def _read_mjpeg(api: LiveApi, out: dict[str, float]) -> None:
    marker = f"--{BOUNDARY}".encode()
    params = {"fps": 10, "token": api.token("viewer")}
    with httpx.Client(base_url=api.url, timeout=10) as c, c.stream("GET", "/video_feed", params=params) as r:
        started = time.monotonic()
        tail = b""
        for chunk in r.iter_bytes():
            out["bytes"] += len(chunk)
            out["frames"] += (tail + chunk).count(marker)
            tail = chunk[-len(marker) :]
            out["seconds"] = time.monotonic() - started
            if out["seconds"] >= READ_S:
                return


def test_stats_show_clients_frames_bandwidth_and_encoder(video_api: LiveApi) -> None:
    mjpeg = {"bytes": 0.0, "frames": 0.0, "seconds": 0.0}
    reader = threading.Thread(target=_read_mjpeg, args=(video_api, mjpeg))
    with (
        ws_connect(f"{video_api.ws_url}/ws/telemetry?token={video_api.token('viewer')}&rate=20") as telemetry,
        video_api.client("viewer") as c,
    ):
        reader.start()
        time.sleep(READ_S * 0.75)
        during = c.get("/stats").json()
        seen = dict(mjpeg)
        reader.join(READ_S + 10)
        telemetry_messages, until = 0, time.monotonic() + 0.5  # what has arrived by now (20 Hz keeps coming)
        while time.monotonic() < until:
            try:
                telemetry_messages += json.loads(telemetry.recv(timeout=0.2))["type"] == "telemetry"
            except TimeoutError:
                break
        done = c.get("/stats").json()
        # a client that never reads: once its socket is full the server drops its frames (and counts them)
        stalled = _raw_ws_never_reading(video_api)
        try:
            wait_until(lambda: c.get("/stats").json()["video"]["frames_dropped"] > 0, 60, "stalled client drops")
            after = c.get("/stats").json()
        finally:
            stalled.close()

    video = during["video"]
    assert video["running"] is True
    assert video["clients"] == 1 and during["streams"]["video"]["clients_by_transport"] == {"mjpeg": 1}
    assert during["streams"]["telemetry"]["clients"] == 1
    assert during["clients"] == 2
    # bandwidth: what the MJPEG reader measured itself, give or take
    measured = seen["bytes"] / seen["seconds"]
    assert 0.6 * measured <= video["bandwidth_bytes_per_s"] <= 1.5 * measured, (video, measured)
    assert during["streams"]["telemetry"]["bandwidth_bytes_per_s"] > 0
    assert during["bandwidth_bytes_per_s"] > video["bandwidth_bytes_per_s"]  # plus telemetry

    # frames: every frame the reader got was counted as sent, none dropped; telemetry too
    assert done["video"]["frames_sent"] >= mjpeg["frames"] >= 0.5 * 10 * READ_S
    assert done["video"]["frames_sent"] <= mjpeg["frames"] + 2  # (one may be on its way when it stopped)
    assert done["video"]["frames_dropped"] == 0
    assert done["streams"]["telemetry"]["messages_sent"] >= telemetry_messages > 0
    assert after["video"]["frames_dropped"] > 0 and after["video"]["clients"] == 1

    encoder = after["video"]["encoder"]
    assert encoder["encodes"] >= encoder["frames_encoded"] > 0 and encoder["bytes_encoded"] > 0
    assert 1 <= encoder["quality"] <= 100 and encoder["consumers"] >= 1 and encoder["encode_ms"] > 0
    assert after["video"]["capture"]["fps"] > 5


def test_stats_without_video(live_api: LiveApi) -> None:
    with live_api.client("viewer") as c:
        stats = c.get("/stats").json()
    assert stats["clients"] == 0 and stats["bandwidth_bytes_per_s"] == 0
    assert stats["video"] == {
        "running": False,
        "clients": 0,
        "frames_sent": 0,
        "frames_dropped": 0,
        "bandwidth_bytes_per_s": 0,
        "encoder": None,
        "capture": None,
    }
