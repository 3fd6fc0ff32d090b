"""Follow is refused with the reason unless the vehicle flies with GPS, a good battery and a LOCKED target.

A real uvicorn over the real service, the built-in PX4 simulator over UDP and its virtual camera:
the refusal is a 409 with the reason (REST) and a CommandRejected (the service), the vehicle never
leaves its mode, and ``GET /api/actions`` / the telemetry stream said so beforehand.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from gcs.core.errors import CommandRejected
from gcs.core.service import GcsService
from gcs.core.tracking.types import TrackState
from tests.api.conftest import LiveApi, ws_connect
from tests.conftest import wait_until

pytestmark = pytest.mark.slow


def car_box(service: GcsService) -> tuple[float, float, float, float]:
    source = service.vision._require()[0].source
    truth = {t.target_id: t.box for t in source.camera.targets_in_image(source.scene_time_s())}  # type: ignore[attr-defined]
    assert "car-1" in truth, f"car-1 not in view: {sorted(truth)}"
    return truth["car-1"]  # type: ignore[no-any-return]


def refused(c: Any, service: GcsService, why: str) -> dict[str, Any]:
    """POST start_following answers 409 with ``why``; nothing was engaged and the mode did not change."""
    mode = service.vehicle_state().mode
    r = c.post("/commands/start_following")
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["error"] == "CommandRejected" and body["result"] == "LOCAL_REFUSAL", body
    assert why in body["detail"], body
    assert not service.follower_data().active and not service.commander_status().engaged
    assert service.vehicle_state().mode == mode not in ("OFFBOARD", "GUIDED")
    with pytest.raises(CommandRejected, match=re.escape(why)):  # the service refuses the same way
        service.start_following()
    return body


def follow_reason(c: Any) -> str | None:
    return c.get("/api/actions").json()["actions"]["follow_start"]  # type: ignore[no-any-return]


def lock_on_the_car(service: GcsService) -> None:
    service.start_video()  # the scene restarts: car-1 in view again
    wait_until(lambda: service.latest_frame() is not None, 10, "first frame")
    service.start_tracking(*car_box(service))
    wait_until(lambda: service.tracker_data().state is TrackState.LOCKED, 10, "locked on car-1")


def test_follow_refused_without_target_lock_gps_or_battery(make_live_api: Any) -> None:
    api: LiveApi = make_live_api(video__enabled=True, safety__target_lost_timeout_s=6.0)
    service = api.service
    sim = service.simulators[0]
    with api.client("operator") as c, api.client("viewer") as viewer:
        wait_until(lambda: service.vehicle_state().gps.has_fix, 10, "GPS fix")
        ground = viewer.get("/api/actions").json()
        assert ground["vehicle"] == 1 and ground["actions"]["arm"] is None and ground["actions"]["abort"] is None
        assert ground["actions"]["follow_start"] == "not armed (arm and take off first)"
        assert {"arm", "takeoff", "follow_start"} <= set(ground["confirm"]) and ground["hold_s"] == 1.0
        refused(c, service, "not armed")

        assert c.post("/api/vehicle/arm").status_code == 200
        assert c.post("/api/vehicle/takeoff", json={"altitude_m": 20}).status_code == 200
        wait_until(lambda: service.vehicle_state().global_position.alt_rel_m > 19.0, 40, "climb to 20 m")
        service.start_video()
        wait_until(lambda: service.latest_frame() is not None, 10, "first frame")
        wait_until(lambda: follow_reason(viewer) is not None and "nothing tracked" in follow_reason(viewer), 5,
                   "nothing tracked in /api/actions")
        refused(c, service, "nothing tracked")

        service.start_tracking(*car_box(service))
        wait_until(lambda: service.tracker_data().state is TrackState.LOCKED, 10, "locked on car-1")
        wait_until(lambda: follow_reason(viewer) is None, 5, "follow available once locked")
        camera = service.vision._require()[0].source.camera  # type: ignore[attr-defined]
        camera.hide("car-1")  # under a bridge: the tracker searches, then gives up
        wait_until(lambda: service.tracker_data().state is TrackState.SEARCHING, 10, "SEARCHING")
        refused(c, service, "the target is SEARCHING (must be LOCKED)")
        wait_until(lambda: service.tracker_data().state is TrackState.LOST, 15, "LOST")
        refused(c, service, "the target is LOST")
        camera.show()

        lock_on_the_car(service)
        sim.set_gps_fix(False)
        wait_until(lambda: not service.vehicle_state().gps.has_fix, 10, "GPS fix lost")
        assert service.tracker_data().state is TrackState.LOCKED
        refused(c, service, "no GPS fix")
        sim.set_gps_fix(True)
        wait_until(lambda: service.vehicle_state().gps.has_fix, 10, "GPS fix back")

        sim.set_battery_pct(10.0)
        wait_until(lambda: (service.vehicle_state().battery.remaining_pct or 100) <= 15, 10, "battery critical")
        lock_on_the_car(service)
        refused(c, service, "battery critical")
        sim.set_battery_pct(90.0)
        wait_until(lambda: (service.vehicle_state().battery.remaining_pct or 0) > 50, 10, "battery charged")

        lock_on_the_car(service)  # a new tracker (video restarted) locked again: the pushed availability says so
        wait_until(lambda: service.availability_watch.latest.why_not("follow_start") is None, 5, "pushed: available")
        r = c.post("/commands/start_following")
        assert r.status_code == 200 and r.json()["success"], r.text
        assert service.follower_data().active
        r = c.post("/commands/start_following")
        assert r.status_code == 409 and "already following" in r.json()["detail"]
        assert c.post("/commands/stop_following").status_code == 200


def test_disarm_in_flight_needs_the_explicit_flag(live_api: LiveApi) -> None:
    service = live_api.service
    with live_api.client("operator") as c:
        wait_until(lambda: service.vehicle_state().gps.has_fix, 10, "GPS fix")
        assert c.post("/api/vehicle/arm").status_code == 200
        assert c.post("/api/vehicle/takeoff", json={"altitude_m": 5}).status_code == 200
        wait_until(lambda: service.vehicle_state().global_position.alt_rel_m > 3.0, 20, "climbing")
        for body in (None, {"force": True}, {"confirm_in_flight": False}):
            r = c.post("/api/vehicle/disarm", json=body) if body else c.post("/api/vehicle/disarm")
            assert r.status_code == 409, r.text
            assert r.json()["result"] == "LOCAL_REFUSAL" and "flying" in r.json()["detail"], r.json()
            assert "confirm_in_flight" in r.json()["detail"]
        assert service.vehicle_state().armed
        r = c.post("/api/vehicle/disarm", json={"confirm_in_flight": True, "force": True})
        assert r.status_code == 200 and r.json()["success"], r.text
        wait_until(lambda: not service.vehicle_state().armed, 5, "disarmed in flight")


def test_the_telemetry_stream_pushes_availability_changes(live_api: LiveApi) -> None:
    service = live_api.service
    wait_until(lambda: service.vehicle_state().gps.has_fix, 10, "GPS fix")
    with ws_connect(f"{live_api.ws_url}/ws/telemetry?token={live_api.token('viewer')}") as ws:
        service.arm()

        def armed_seen() -> bool:
            while True:
                message = json.loads(ws.recv(timeout=5))
                events = message["data"]["events"] if message["type"] == "history" else [message]
                for event in events:
                    data = event.get("data") or {}
                    kind = data.get("kind") if event.get("type") == "status" else None
                    if kind == "actions" and data["actions"]["arm"] == "already armed":
                        assert data["actions"]["takeoff"] is None and data["vehicle"] == 1
                        return True

        assert armed_seen()
