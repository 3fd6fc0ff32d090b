"""Vehicle and follow commands over REST against the simulator: results, refusals, bounds, roles."""

from __future__ import annotations

import pytest

from tests.conftest import wait_until

pytestmark = pytest.mark.slow


def _armed(c) -> bool:
    return bool(c.get("/api/telemetry").json()["armed"])


def test_a_flight_over_rest(live_api) -> None:
    with live_api.client("operator") as c:
        wait_until(lambda: c.get("/api/telemetry").json()["gps"]["fix_type"] >= 3, 5, "GPS fix")
        r = c.post("/api/vehicle/arm")
        assert r.status_code == 200, r.text
        assert set(r.json()) == {"command", "success", "result", "message"}
        assert r.json()["success"] is True and r.json()["result"] == "ACCEPTED"
        wait_until(lambda: _armed(c), 3, "armed in telemetry")

        r = c.post("/api/vehicle/takeoff", json={"altitude_m": 4})
        assert r.status_code == 200 and r.json()["success"], r.text
        wait_until(lambda: c.get("/api/telemetry").json()["global_position"]["alt_rel_m"] > 2.0, 15, "climbing")

        r = c.post("/commands/start_offboard_mode")
        assert r.status_code == 200 and r.json()["success"], r.text
        status = c.get("/status").json()
        assert status["commander"]["engaged"] is True and status["commander"]["system_id"] == 1
        wait_until(lambda: c.get("/api/telemetry").json()["mode"] == "OFFBOARD", 3, "OFFBOARD in telemetry")

        r = c.post("/commands/stop_offboard_mode", json={"reason": "test over"})
        assert r.status_code == 200 and r.json()["success"], r.text
        assert c.get("/status").json()["commander"]["engaged"] is False

        assert c.post("/api/vehicle/hold").json()["success"]
        r = c.post("/api/vehicle/mode", json={"mode": "POSCTL"})
        assert r.status_code == 200 and r.json()["success"] and "POSCTL" in r.json()["message"], r.text
        assert c.post("/commands/abort").json()["success"]
        assert c.post("/api/vehicle/rtl", params={"vehicle": 1}).json()["success"]
        assert c.post("/api/vehicle/land").json()["success"]
        r = c.post("/api/vehicle/disarm", json={"force": True, "confirm_in_flight": True})  # still landing
        assert r.status_code == 200 and r.json()["success"], r.text
        wait_until(lambda: not _armed(c), 3, "disarmed in telemetry")


def test_refusals_carry_the_reason(make_live_api) -> None:
    api = make_live_api(gps_fix_delay_s=120.0)
    with api.client("operator") as c:
        r = c.post("/api/vehicle/arm")
        assert r.status_code == 409
        body = r.json()
        assert body["error"] == "CommandRejected" and body["result"] in ("DENIED", "TEMPORARILY_REJECTED", "FAILED")
        assert body["result"] in body["detail"]
        assert "Arming denied: no GPS fix" in body["detail"], "the vehicle's own reason (its STATUSTEXT)"

        r = c.post("/api/vehicle/takeoff", json={"altitude_m": 10})
        assert r.status_code == 409 and r.json()["result"] == "LOCAL_REFUSAL" and "not armed" in r.json()["detail"]
        r = c.post("/commands/start_offboard_mode")
        assert r.status_code == 409 and r.json()["result"] == "LOCAL_REFUSAL"

        r = c.post("/api/vehicle/mode", json={"mode": "NO_SUCH_MODE"})
        assert r.status_code == 422 and "NO_SUCH_MODE" in r.json()["detail"]
        assert c.post("/api/vehicle/arm", params={"vehicle": 9}).status_code == 404


def test_bad_arguments_name_the_field(live_api) -> None:
    with live_api.client("operator") as c:
        for body in ({"altitude_m": 0.1}, {"altitude_m": 501}, {}, {"altitude_m": "high"}, {"altitude_m": 5, "x": 1}):
            r = c.post("/api/vehicle/takeoff", json=body)
            assert r.status_code == 422, body
            locs = [err["loc"] for err in r.json()["detail"]]
            assert any(loc[:2] == ["body", "altitude_m"] or loc[:2] == ["body", "x"] for loc in locs), locs
        r = c.post("/api/vehicle/mode", json={"mode": ""})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "mode"]
        assert c.post("/api/vehicle/arm", params={"vehicle": 0}).status_code == 422
        assert c.post("/api/vehicle/disarm", json={"force": "perhaps"}).status_code == 422
        assert not c.get("/api/telemetry").json()["armed"]


def test_viewer_may_read_but_not_fly(live_api) -> None:
    with live_api.client("viewer") as c:
        r = c.post("/api/vehicle/arm")
        assert r.status_code == 403 and "needs operator" in r.json()["detail"]
        assert c.get("/status").status_code == 200
        assert not c.get("/api/telemetry").json()["armed"]


def test_status_and_stats(live_api) -> None:
    with live_api.client("viewer") as c:
        status = c.get("/status").json()
        assert status["active_vehicle"] == 1
        assert status["vehicles"][0]["autopilot"] == "px4"
        assert status["links"][0]["kind"] == "udpin" and status["links"][0]["received"] > 0
        assert status["commander"]["engaged"] is False
        assert status["config"]["load_warning"] is None
        assert status["config"]["restart_pending"] == live_api.service.config.restart_pending()
        stats = c.get("/stats").json()
        telemetry = stats["streams"]["telemetry"]
        assert telemetry["events_published"] > 0 and telemetry["clients"] == 0
        assert stats["ingest"]["records"] == 0 and stats["rate_limit"]["per_minute"] == 600
    with live_api.client() as anonymous:
        assert anonymous.get("/status").status_code == 401
        assert anonymous.get("/stats").status_code == 401
