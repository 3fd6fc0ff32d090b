"""WebSocket clients that vanish (TCP reset mid-stream, no close frame) leave no traceback or ERROR
in the server's log, on every socket route: telemetry (JSON and protobuf), video, and a job's
progress; SSE and MJPEG readers too. Phones lose signal all the time; the log must stay
readable for real faults.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import socket
import struct
import time
from typing import Any

import pytest

from tests.api.conftest import LiveApi
from tests.conftest import wait_until


def _open_raw(api: LiveApi, path: str) -> socket.socket:
    """A raw request (a WebSocket handshake for /ws/), so the test can drop it the rudest way (RST)."""
    host, port = re.match(r"http://([^:]+):(\d+)", api.url).groups()  # type: ignore[union-attr]
    sock = socket.create_connection((host, int(port)), timeout=5)
    upgrade = ""
    if path.startswith("/ws/"):
        key = base64.b64encode(os.urandom(16)).decode()
        upgrade = (
            f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n"
        )
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\n{upgrade}\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    expected = b" 101 " if upgrade else b" 200 "
    assert expected in head.split(b"\r\n", 1)[0], head
    return sock


def _reset(sock: socket.socket, read_first_s: float) -> int:
    """Read what the server sends for a while, then close with RST (SO_LINGER 0): no close frame."""
    got, until = 0, time.monotonic() + read_first_s
    sock.settimeout(0.2)
    while time.monotonic() < until:
        try:
            got += len(sock.recv(65536))
        except TimeoutError:
            continue
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()
    return got


def _problems(records: list[logging.LogRecord]) -> list[str]:
    return [
        f"{r.name} {r.levelname}: {r.getMessage()}"
        for r in records
        if r.levelno >= logging.ERROR or r.exc_info or "Traceback" in r.getMessage()
    ]


@pytest.mark.slow
def test_abrupt_websocket_drops_log_no_traceback(make_live_api: Any, caplog: pytest.LogCaptureFixture) -> None:
    api: LiveApi = make_live_api(video__enabled=True)
    caplog.set_level(logging.DEBUG)
    viewer, operator = api.token("viewer"), api.token("operator")
    with api.client("operator") as c:
        wait_until(lambda: c.get("/api/video/health").json()["state"] == "ok", 10, "video health ok")
        job = c.post("/api/jobs/tlog_summary", json={"path": "copter_real_2015_dronekit_flight.tlog"}).json()
    runtime = api.app.state.runtime
    paths = [
        f"/ws/telemetry?token={viewer}&rate=50",
        f"/ws/telemetry?token={viewer}&rate=50&format=protobuf",
        f"/ws/video_feed?token={viewer}",
        f"/ws/video_feed?token={viewer}&overlay=false",
        f"/ws/jobs/{job['id']}?token={operator}",
        f"/sse/telemetry?token={viewer}&rate=50",  # and the HTTP streams, for good measure
        f"/video_feed?token={viewer}",
        f"/sse/jobs/{job['id']}?token={viewer}",
    ]
    for _ in range(2):  # twice: the second round meets whatever the first left behind
        sockets = [_open_raw(api, path) for path in paths]
        received = [_reset(sock, 0.6 if i == 0 else 0.05) for i, sock in enumerate(sockets)]
        assert received[0] > 1000, "the telemetry socket was streaming when it was dropped"
    # the server noticed every drop: no client left on the hub, and it still serves new ones
    wait_until(lambda: runtime.telemetry.stats()["clients"] == 0, 10, "telemetry clients gone")
    video = api.app.state.video_pump.channel
    wait_until(lambda: video.stats()["clients"] == 0, 10, "video clients gone")
    with api.client("viewer") as c:
        assert c.get("/status").status_code == 200
    time.sleep(0.5)  # let any late error from the dropped sockets reach the log
    assert _problems(caplog.records) == []
