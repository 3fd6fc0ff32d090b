"""Rate limits (headers, 429, groups, WebSocket), CORS allow-list, gzip, loopback by default."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from embedded_api import ApiServer
from embedded_api.server import is_loopback
from tests.api.conftest import ws_connect


def test_default_group_counts_down_then_429_with_retry_after(make_live_api) -> None:
    api = make_live_api(api__rate_limit_per_minute=10)
    with api.client("viewer") as c:
        remaining = []
        for _ in range(10):
            r = c.get("/status")
            assert r.status_code == 200
            assert r.headers["x-ratelimit-limit"] == "10"
            remaining.append(int(r.headers["x-ratelimit-remaining"]))
            assert 0 < int(r.headers["x-ratelimit-reset"]) <= 60
        assert remaining == list(range(9, -1, -1))
        r = c.get("/api/telemetry")
        assert r.status_code == 429
        assert int(r.headers["retry-after"]) == 6  # one request per 6 s at 10/min
        assert r.headers["x-ratelimit-remaining"] == "0"
        assert "10 requests per minute" in r.json()["detail"]
        assert c.get("/health/live").status_code == 200  # probes are never limited
        assert "x-ratelimit-limit" not in c.get("/api/health").headers
        # a WebSocket connect takes from the same bucket: refused at the handshake with 429
        with pytest.raises(InvalidStatus) as info:
            ws_connect(f"{api.ws_url}/ws/telemetry?token={api.token('viewer')}")
        assert info.value.response.status_code == 429
    with api.client("operator") as other:  # another client has its own bucket
        assert other.get("/status").status_code == 200


def test_vehicle_commands_have_a_stricter_group_shared_with_websocket_commands(make_live_api) -> None:
    api = make_live_api(api__rate_limit_per_minute=10)
    with api.client("operator") as c:
        codes = [c.post("/api/vehicle/arm", params={"vehicle": 9}).status_code for _ in range(6)]
        assert codes == [404] * 5 + [429]
        r = c.post("/commands/abort")
        assert r.status_code == 429 and r.headers["x-ratelimit-limit"] == "5"
        assert c.get("/status").status_code == 200  # the default group is separate
    with ws_connect(f"{api.ws_url}/ws/telemetry?token={api.token('operator')}") as ws:
        ws.send(json.dumps({"type": "command", "name": "hold", "id": "h"}))
        while (reply := json.loads(ws.recv(timeout=5)))["type"] != "command_result":
            pass
        assert reply["status"] == 429 and reply["retry_after_s"] >= 1
    assert api.app.state.runtime.limiter.stats()["refused"] >= 3


def test_config_writes_are_strictest_and_the_limit_applies_live(make_live_api) -> None:
    api = make_live_api(api__rate_limit_per_minute=60)
    with api.client("admin") as c:
        r = c.put("/api/config/api/rate_limit_per_minute", json={"value": 1200})
        assert r.status_code == 200 and r.headers["x-ratelimit-limit"] == "3"  # 60/20
        assert c.get("/status").headers["x-ratelimit-limit"] == "1200"  # live, no restart
        answers = [c.put("/api/config/safety/max_speed_mps", json={"value": v}) for v in (5, 6, 7)]
        assert [a.status_code for a in answers] == [200, 200, 429]  # the burst of 3 is spent
        assert answers[-1].headers["x-ratelimit-limit"] == "60"  # 1200/20, applied live
        assert answers[-1].headers["retry-after"] == "1"  # refilled at the new rate: one a second


def test_no_cors_by_default(live_api) -> None:
    preflight = {"Origin": "http://evil.example", "Access-Control-Request-Method": "GET"}
    r = httpx.options(live_api.url + "/api/telemetry", headers=preflight)
    assert "access-control-allow-origin" not in r.headers
    r = httpx.get(live_api.url + "/api/health", headers={"Origin": "http://evil.example"})
    assert "access-control-allow-origin" not in r.headers


def test_cors_allow_list_from_config(make_live_api) -> None:
    api = make_live_api(api__cors_origins=["http://ground.example"])
    ok = {
        "Origin": "http://ground.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization",
    }
    r = httpx.options(api.url + "/api/vehicle/arm", headers=ok)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == "http://ground.example"
    r = httpx.get(api.url + "/status", headers={"Origin": "http://ground.example", **api.headers("viewer")})
    assert r.headers["access-control-allow-origin"] == "http://ground.example"
    assert "x-ratelimit-remaining" in r.headers["access-control-expose-headers"].lower()
    r = httpx.options(api.url + "/api/vehicle/arm", headers={**ok, "Origin": "http://evil.example"})
    assert r.status_code == 400 and "access-control-allow-origin" not in r.headers


def test_large_json_is_gzipped_small_is_not(live_api) -> None:
    with live_api.client("viewer") as c:
        big = c.get("/api/config/schema", headers={"Accept-Encoding": "gzip"})
        assert big.headers["content-encoding"] == "gzip" and "json_schema" in big.json()
        small = c.get("/health/live", headers={"Accept-Encoding": "gzip"})
        assert "content-encoding" not in small.headers


def test_loopback_unless_told_otherwise(live_api) -> None:
    assert live_api.service.config.current.api.host == "127.0.0.1"
    import inspect

    assert inspect.signature(ApiServer).parameters["host"].default == "127.0.0.1"
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.10") and not is_loopback("::")
