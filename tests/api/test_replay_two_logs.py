"""Two real logs of one system id, closing a replay, seeking by fraction, and commands refused as read-only."""

from __future__ import annotations

import time

import pytest

from tests.conftest import SHARED_DATA, wait_until

CODELEVER = SHARED_DATA / "tlogs" / "copter_real_2013_codelever.tlog"  # system 1, near lat 41.18
DRONEKIT = SHARED_DATA / "tlogs" / "copter_real_2015_dronekit_flight.tlog"  # system 1 too, near lat -35.36
pytestmark = pytest.mark.skipif(not DRONEKIT.exists(), reason="needs ../shared/data/tlogs")


def _lat(c) -> float:
    return float(c.get("/api/telemetry").json()["global_position"]["lat_deg"])


def test_a_second_log_of_a_replaying_system_id_is_refused_until_the_first_is_closed(make_live_api) -> None:
    api = make_live_api(None)  # no live vehicle
    with api.client("operator") as c:
        first = c.post("/api/control", json={"cmd": "open", "value": str(CODELEVER)})
        assert first.status_code == 200, first.text
        c.post("/api/control", json={"cmd": "seek", "value": 0.5, "fraction": True})  # past the GPS fix
        wait_until(lambda: c.get("/api/telemetry").status_code == 200 and _lat(c) > 40, 10, "the first log's vehicle")
        second = c.post("/api/control", json={"cmd": "open", "value": str(DRONEKIT)})
        assert second.status_code == 409, second.text
        reason = second.json()["detail"]
        assert "system id 1 is already replaying from copter_real_2013_codelever.tlog" in reason
        assert "close that replay first" in reason
        assert [link.kind for link in api.service.links()] == ["replay"]
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:  # one vehicle, one log: it never takes the other's position
            assert _lat(c) > 40
            time.sleep(0.1)

        closed = c.post("/api/control", json={"cmd": "close"})
        assert closed.status_code == 200 and closed.json()["closed"] == first.json()["link_id"]
        assert c.get("/api/control").status_code == 404 and api.service.links() == []
        assert c.post("/api/control", json={"cmd": "close"}).status_code == 404
        again = c.post("/api/control", json={"cmd": "open", "value": str(DRONEKIT)})
        assert again.status_code == 200, again.text
        half = c.post("/api/control", json={"cmd": "seek", "fraction": 0.5})  # the body
        assert half.status_code == 200 and half.json()["fraction"] == pytest.approx(0.5, abs=0.01)
        wait_until(lambda: _lat(c) < -35, 10, "the second log's vehicle after the first was closed")


def test_seek_forms_and_commands_during_a_replay_answer_409_read_only(make_live_api) -> None:
    api = make_live_api(None)
    with api.client("operator") as c:
        assert c.post("/api/control", json={"cmd": "open", "value": str(CODELEVER)}).status_code == 200
        wait_until(lambda: c.get("/api/telemetry").status_code == 200, 10, "the log's vehicle")
        c.post("/api/control", json={"cmd": "pause"})
        r = c.post("/api/control", json={"cmd": "seek", "fraction": 0.9}).json()
        assert r["fraction"] == pytest.approx(0.9, abs=0.01)
        r = c.post("/api/control", json={"cmd": "seek", "time_s": 100}).json()
        assert r["position_s"] == pytest.approx(100, abs=0.5)
        r = c.post("/api/control", json={"cmd": "seek", "value": 0.25, "fraction": True}).json()
        assert r["fraction"] == pytest.approx(0.25, abs=0.01)
        r = c.post("/api/control", json={"cmd": "seek", "value": 200}).json()
        assert r["position_s"] == pytest.approx(200, abs=0.5)
        both = c.post("/api/control", json={"cmd": "seek", "fraction": 0.5, "time_s": 3})
        assert both.status_code == 422 and "exactly one" in both.json()["detail"]

        for path, body in (("/api/vehicle/arm", None), ("/api/vehicle/mode", {"mode": "LOITER"}),
                           ("/api/vehicle/land", None)):
            refused = c.post(path, json=body) if body else c.post(path)
            assert refused.status_code == 409, (path, refused.text)
            assert "read-only replay" in refused.json()["detail"], refused.json()
            assert refused.json()["result"] == "READ_ONLY_REPLAY"  # refused, not a 504 after the ACK retries
