"""Per-client telemetry rate over WS and SSE: 1 Hz and 50 Hz clients get about that, side by side;
0 and 51 are refused with 422 naming ``rate`` (a WebSocket at its handshake, like REST).

Four real clients (websockets, httpx) read on their own threads at once for a few seconds while
the simulator publishes ~100 states/s; telemetry messages are counted by their publish time
inside a fixed window, so the figure does not depend on how late the test reads them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.api.conftest import LiveApi, ws_connect

WARMUP_S, WINDOW_S = 1.0, 5.0


def _ws_reader(url: str, until: float, out: list[float]) -> None:
    with ws_connect(url) as ws:
        while time.time() < until:
            try:
                message = json.loads(ws.recv(timeout=1.5))
            except TimeoutError:
                continue
            if message["type"] == "telemetry":
                out.append(message["time"])


def _sse_reader(base: str, token: str, rate: int, until: float, out: list[float]) -> None:
    params: dict[str, str | int] = {"rate": rate, "history": 0, "token": token}
    with httpx.Client(base_url=base, timeout=10) as c, c.stream("GET", "/sse/telemetry", params=params) as r:
        assert r.status_code == 200
        kind = ""
        for line in r.iter_lines():
            if line.startswith("event:"):
                kind = line.partition(":")[2].strip()
            elif line.startswith("data:") and kind == "telemetry":
                out.append(json.loads(line.partition(":")[2])["time"])
            if time.time() >= until:
                return


@pytest.mark.slow
def test_1_hz_and_50_hz_clients_get_about_that_over_ws_and_sse(live_api: LiveApi) -> None:
    token = live_api.token("viewer")
    start = time.time()
    until = start + WARMUP_S + WINDOW_S + 0.5
    got: dict[str, list[float]] = {name: [] for name in ("ws1", "ws50", "sse1", "sse50")}
    threads = [
        threading.Thread(
            target=_ws_reader,
            args=(f"{live_api.ws_url}/ws/telemetry?token={token}&rate=1&history=0", until, got["ws1"]),
        ),
        threading.Thread(
            target=_ws_reader,
            args=(f"{live_api.ws_url}/ws/telemetry?token={token}&rate=50&history=0", until, got["ws50"]),
        ),
        threading.Thread(target=_sse_reader, args=(live_api.url, token, 1, until, got["sse1"])),
        threading.Thread(target=_sse_reader, args=(live_api.url, token, 50, until, got["sse50"])),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    lo, hi = start + WARMUP_S, start + WARMUP_S + WINDOW_S
    counts = {name: sum(lo <= t < hi for t in times) for name, times in got.items()}
    rates = {name: count / WINDOW_S for name, count in counts.items()}
    print('delivered Hz:', rates)
    assert 0.8 <= rates["ws1"] <= 1.2 and 0.8 <= rates["sse1"] <= 1.2, rates  # 4..6 messages in 5 s
    assert 35 <= rates["ws50"] <= 51 and 35 <= rates["sse50"] <= 51, rates  # never above the asked rate
    for name in ("ws50", "sse50"):  # and evenly spread: no gap of more than a few periods
        inside = sorted(t for t in got[name] if lo <= t < hi)
        assert max(b - a for a, b in itertools.pairwise(inside)) < 0.5, name


def test_rates_outside_1_to_50_are_refused_with_422(live_api: LiveApi) -> None:
    token = live_api.token("viewer")
    with live_api.client("viewer") as c:
        for rate in (0, 51):
            r = c.get("/sse/telemetry", params={"rate": rate})
            assert r.status_code == 422, r.text
            detail = r.json()["detail"][0]
            assert detail["loc"] == ["query", "rate"] and str(1 if rate == 0 else 50) in detail["msg"], detail
    for rate in (0, 51, "fast"):
        with pytest.raises(InvalidStatus) as refused:
            connect(f"{live_api.ws_url}/ws/telemetry?token={token}&rate={rate}", open_timeout=5)
        response = refused.value.response
        assert response.status_code == 422, rate
        detail = json.loads(response.body)["detail"][0]
        assert detail["loc"] == ["query", "rate"], detail
    # a rate inside the range still opens
    with ws_connect(f"{live_api.ws_url}/ws/telemetry?token={token}&rate=50") as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "history"
