"""WS /ws/telemetry with a real websockets client: history, live events, protobuf, auth, commands, rate."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from embedded_api.auth import Role
from gcs.core.proto import kestrel_pb2 as pb
from tests.api.conftest import ws_connect as connect
from tests.conftest import wait_until


def _recv_until(
    ws: ClientConnection, match: Callable[[dict[str, Any]], bool], timeout_s: float = 5.0
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        message = json.loads(ws.recv(timeout=max(0.01, deadline - time.monotonic())))
        if match(message):
            return message
    raise AssertionError("no matching message")


def _close_code(ws: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed) as info:
        while True:
            ws.recv(timeout=5)
    return info.value.rcvd.code if info.value.rcvd else None


def test_history_then_live_telemetry_reflects_a_rest_arm(live_api) -> None:
    with live_api.client("viewer") as c:
        wait_until(lambda: c.get("/api/telemetry").json()["gps"]["fix_type"] >= 3, 5, "GPS fix")
    with connect(f"{live_api.ws_url}/ws/telemetry?token={live_api.token('viewer')}&rate=20") as ws:
        first = json.loads(ws.recv(timeout=5))
        assert first["type"] == "history" and isinstance(first["data"]["events"], list)
        assert all(e["id"] <= first["id"] for e in first["data"]["events"])
        live = _recv_until(ws, lambda m: m["type"] == "telemetry")
        assert live["id"] > first["id"] and live["data"]["system_id"] == 1 and live["data"]["armed"] is False
        assert abs(live["time"] - time.time()) < 2

        with live_api.client("operator") as c:
            assert c.post("/api/vehicle/arm").json()["success"]
        log = _recv_until(ws, lambda m: m["type"] == "log" and m["data"].get("kind") == "command")
        assert log["data"]["success"] is True and log["data"]["result"] == "ACCEPTED"
        _recv_until(ws, lambda m: m["type"] == "telemetry" and m["data"]["armed"] is True)
        assert live_api.app.state.runtime.telemetry.stats()["clients_by_transport"] == {"ws": 1}


def test_protobuf_format_and_first_message_auth(live_api) -> None:
    with connect(f"{live_api.ws_url}/ws/telemetry?format=protobuf&rate=10") as ws:
        ws.send(json.dumps({"type": "auth", "token": live_api.token("operator")}))
        first = pb.StreamEvent.FromString(ws.recv(timeout=5))
        assert first.type == "history" and first.WhichOneof("payload") == "history"
        ws.send(json.dumps({"type": "command", "name": "arm", "id": "a1"}))
        deadline, armed, reply = time.monotonic() + 8, False, None
        while time.monotonic() < deadline and not (armed and reply):
            event = pb.StreamEvent.FromString(ws.recv(timeout=5))
            if event.type == "telemetry":
                assert event.WhichOneof("payload") == "telemetry" and event.telemetry.system_id == 1
                armed = armed or event.telemetry.armed
            elif event.type == "command_result":
                reply = json.loads(event.json)
        assert armed and reply is not None and reply["ok"] and reply["id"] == "a1"


def test_commands_follow_the_role_rules(live_api) -> None:
    with connect(f"{live_api.ws_url}/ws/telemetry?token={live_api.token('viewer')}") as ws:
        ws.send(json.dumps({"type": "command", "name": "arm", "id": 1}))
        reply = _recv_until(ws, lambda m: m["type"] == "command_result")
        assert reply == {
            "type": "command_result",
            "id": 1,
            "name": "arm",
            "ok": False,
            "status": 403,
            "error": "role viewer may not do this: needs operator",
        }
        ws.send(json.dumps({"type": "command", "name": "fly_to_the_moon"}))
        assert _recv_until(ws, lambda m: m["type"] == "command_result")["status"] == 404
        ws.send("not json")
        assert _recv_until(ws, lambda m: m["type"] == "error")["status"] == 400
        # valid JSON that json.loads cannot take: ValueError / RecursionError used to end the socket (1011)
        for raw in ('{"type": "ping", "id": ' + "9" * 5000 + "}", "[" * 20000 + "]" * 20000):
            ws.send(raw)
            assert _recv_until(ws, lambda m: m["type"] == "error")["status"] == 400
        ws.send(json.dumps({"type": "ping", "id": 7}))
        assert _recv_until(ws, lambda m: m["type"] == "pong")["id"] == 7
    with connect(f"{live_api.ws_url}/ws/telemetry?token={live_api.token('operator')}") as ws:
        ws.send(json.dumps({"type": "command", "name": "takeoff", "args": {"altitude_m": 9999}}))
        reply = _recv_until(ws, lambda m: m["type"] == "command_result")
        assert reply["status"] == 422 and reply["error"][0]["loc"] == ["altitude_m"]
        ws.send(json.dumps({"type": "command", "name": "takeoff", "args": {"altitude_m": 5}}))
        reply = _recv_until(ws, lambda m: m["type"] == "command_result")
        assert reply["status"] == 409 and reply["mav_result"] == "LOCAL_REFUSAL" and "not armed" in reply["error"]
    assert not live_api.service.vehicle_state().armed


@pytest.mark.parametrize(
    ("query", "first_message"),
    [
        ("?token=not-a-jwt", None),
        ("", '{"type": "hello"}'),
        ("", None),  # says nothing within ws_auth_timeout_s (1 s in tests)
        ("?token=EXPIRED", None),
    ],
)
def test_bad_or_missing_token_closes_with_1008(live_api, query: str, first_message: str | None) -> None:
    query = query.replace("EXPIRED", live_api.authority.create(Role.VIEWER, ttl_hours=-1))
    with connect(f"{live_api.ws_url}/ws/telemetry{query}") as ws:
        if first_message:
            ws.send(first_message)
        assert _close_code(ws) == 1008


def _count_telemetry(ws: ClientConnection, start_s: float, end_s: float) -> int:
    """Telemetry messages published between ``start_s`` and ``end_s`` (reads until a later one)."""
    count = 0
    while True:
        try:
            message = json.loads(ws.recv(timeout=1.0))
        except TimeoutError:
            return count
        if message["time"] > end_s:
            return count
        count += message["type"] == "telemetry" and message["time"] >= start_s


def test_each_client_gets_its_own_rate(live_api) -> None:
    token = live_api.token("viewer")
    with (
        connect(f"{live_api.ws_url}/ws/telemetry?token={token}&rate=2&history=0") as slow,
        connect(f"{live_api.ws_url}/ws/telemetry?token={token}&rate=25&history=0") as fast,
    ):
        assert json.loads(slow.recv(timeout=5))["type"] == "history"
        assert json.loads(fast.recv(timeout=5))["type"] == "history"
        start = time.time()
        time.sleep(2.0)  # both sockets collect meanwhile; the simulator publishes ~100 states/s
        end = time.time()
        slow_n, fast_n = _count_telemetry(slow, start, end), _count_telemetry(fast, start, end)
        assert 3 <= slow_n <= 5, slow_n  # 2 Hz for 2 s
        assert 40 <= fast_n <= 51, fast_n  # 25 Hz for 2 s
    assert live_api.app.state.runtime.telemetry.stats()["messages_dropped"] == 0


def test_a_token_that_expires_while_streaming_closes_the_socket_with_1008(live_api) -> None:
    for path in ("/ws/telemetry?rate=10", "/ws/video_feed?overlay=true"):
        short = live_api.authority.create(Role.VIEWER, ttl_hours=3 / 3600)  # valid for 2-3 s
        url = f"{live_api.ws_url}{path}&token={short}"
        with connect(url) as ws:
            started = time.monotonic()
            with pytest.raises(ConnectionClosed):
                while time.monotonic() - started < 15:
                    ws.recv(timeout=5)
            assert ws.close_code == 1008 and "expired" in (ws.close_reason or ""), (path, ws.close_code)
            assert 1.0 < time.monotonic() - started < 10, "closed at expiry, not before and not much later"
