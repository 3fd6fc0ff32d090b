"""Stopping the server ends open streams promptly (SSE, WebSocket, jobs) instead of waiting on them."""

from __future__ import annotations

import logging
import threading
import time

from websockets.exceptions import ConnectionClosed

from tests.api.conftest import read_sse, ws_connect


def test_stop_ends_open_streams_quickly(live_api) -> None:
    sse_events: list[dict] = []
    sse_ready = threading.Event()

    def sse_reader() -> None:
        with live_api.client("viewer") as c, c.stream("GET", "/sse/telemetry", params={"rate": 5}) as r:
            sse_ready.set()
            sse_events.extend(read_sse(r, lambda _ev: False))  # until the server ends the stream

    reader = threading.Thread(target=sse_reader, daemon=True)
    reader.start()
    assert sse_ready.wait(5)
    with ws_connect(f"{live_api.ws_url}/ws/telemetry?token={live_api.token('viewer')}") as ws:
        ws.recv(timeout=5)
        started = time.monotonic()
        live_api.server.stop()
        took = time.monotonic() - started
        reader.join(timeout=5)
        assert not reader.is_alive(), "the SSE stream did not end"
        assert took < 2.0, f"stop took {took:.1f} s"
        assert any(e.get("event") == "history" for e in sse_events)
        try:
            while True:
                ws.recv(timeout=5)
        except ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code in (1001, 1012)


def test_tokens_in_urls_never_reach_the_log(live_api, caplog) -> None:
    token = live_api.token("viewer")
    with caplog.at_level(logging.DEBUG):
        with ws_connect(f"{live_api.ws_url}/ws/telemetry?token={token}&rate=1") as ws:
            ws.recv(timeout=5)
        with live_api.client() as c:
            assert c.get("/status", params={"token": token}).status_code == 401  # REST takes headers only
        time.sleep(0.2)
    server_loggers = ("uvicorn", "embedded_api", "gcs")  # not the test's own http client
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith(server_loggers))
    assert "/ws/telemetry?token=***" in logged  # uvicorn's "WebSocket ... [accepted]" line, redacted
    assert token not in logged
