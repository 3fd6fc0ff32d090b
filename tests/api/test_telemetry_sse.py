"""GET /sse/telemetry with a real httpx client: event types and ids, resume, keep-alive, auth."""

from __future__ import annotations

import dataclasses
from typing import Any

from tests.api.conftest import TEST_SETTINGS, read_sse
from tests.conftest import wait_until


def _is_command(event: dict[str, Any]) -> bool:
    return event.get("event") == "log" and event["data"]["data"].get("kind") == "command"


def _armed_and_logged(events: list[dict[str, Any]]) -> bool:
    armed = any(e.get("event") == "telemetry" and e["data"]["data"].get("armed") is True for e in events)
    return armed and any(_is_command(e) for e in events)


def test_sse_reflects_a_rest_arm_and_resumes_after_last_event_id(live_api) -> None:
    with live_api.client("viewer") as c:
        wait_until(lambda: c.get("/api/telemetry").json()["gps"]["fix_type"] >= 3, 5, "GPS fix")
        with c.stream("GET", "/sse/telemetry", params={"rate": 10}) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert r.headers["cache-control"] == "no-cache"
            events = read_sse(r, lambda ev: sum(e.get("event") == "telemetry" for e in ev) >= 3)
    assert events[0] == {"retry": "2000"}
    history = events[1]
    assert history["event"] == "history" and int(history["id"]) == history["data"]["id"]
    telemetry = [e for e in events if e.get("event") == "telemetry"]
    ids = [int(e["id"]) for e in telemetry]
    assert ids == sorted(ids) and ids[0] > int(history["id"])
    assert telemetry[0]["data"]["type"] == "telemetry" and telemetry[0]["data"]["data"]["armed"] is False
    last_seen = ids[-1]

    with live_api.client("operator") as c:  # while no SSE client is connected
        assert c.post("/api/vehicle/arm").json()["success"]

    with live_api.client("viewer") as c:
        headers = {"Last-Event-ID": str(last_seen)}
        with c.stream("GET", "/sse/telemetry", params={"rate": 10}, headers=headers) as r:
            # the arm's log event and the first armed telemetry come from two threads: wait for both
            resumed = read_sse(r, _armed_and_logged)
    assert not any(e.get("event") == "history" for e in resumed), "a resume replays, it sends no history"
    replayed = [e for e in resumed if "id" in e]
    assert all(int(e["id"]) > last_seen for e in replayed)
    assert [int(e["id"]) for e in replayed] == sorted(int(e["id"]) for e in replayed)
    command = next(e for e in replayed if _is_command(e))
    assert command["data"]["data"]["command"] == "COMPONENT_ARM_DISARM" and command["data"]["data"]["success"]


def test_keepalive_comments_and_query_token(live_api) -> None:
    # EventSource cannot send headers: ?token= works on SSE routes. Rate 1 Hz, keep-alive every 0.5 s.
    with live_api.client() as c:
        params = {"rate": 1, "history": 0, "token": live_api.token("viewer")}
        with c.stream("GET", "/sse/telemetry", params=params) as r:
            assert r.status_code == 200
            events = read_sse(r, lambda ev: sum("comment" in e for e in ev) >= 2)
        assert {"comment": "keep-alive"} in events
        assert events[1]["event"] == "history" and events[1]["data"]["data"]["events"] == []
        assert c.get("/sse/telemetry").status_code == 401
        assert c.get("/sse/telemetry", params={"token": "forged"}).status_code == 401
        assert c.get("/sse/telemetry", params={"rate": 51, "token": live_api.token("viewer")}).status_code == 422


def test_a_resume_older_than_the_ring_is_told_there_is_a_gap(make_live_api) -> None:
    api = make_live_api(settings=dataclasses.replace(TEST_SETTINGS, ring_size=3, ring_telemetry_hz=20))
    runtime = api.app.state.runtime
    wait_until(lambda: runtime.telemetry.evicted_upto > 5, 5, "ring eviction")
    with api.client("viewer") as c, c.stream("GET", "/sse/telemetry", headers={"Last-Event-ID": "1"}) as r:
        events = read_sse(r, lambda ev: len(ev) >= 4)
    gap = events[1]
    assert gap["event"] == "gap" and gap["data"]["after"] == 1 and gap["data"]["oldest_kept"] > 1
    assert all(e.get("event") != "history" for e in events)
    assert all(int(e["id"]) > 1 for e in events[2:])
