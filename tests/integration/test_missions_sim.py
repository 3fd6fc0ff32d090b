"""Missions against the built-in simulator, both flavours, over real UDP: a 5-waypoint mission uploaded
from a .waypoints file, downloaded identical, flown to completion with the reached events in order and
the simulator's true track passing each waypoint within 3 m; the protocol's refusals as ArduPilot
answers them; fence and rally lists; the current item set; the events in the flight session.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gcs.core.bus import Topics
from gcs.core.errors import CommandRejected, MissionRefused
from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.service import GcsService
from gcs.core.sim import SimConfig, SimVehicle
from gcs.core.vehicle.mission import Mission, MissionItem, MissionType, read_waypoints
from gcs.core.vehicle.mission.generators import distance_m
from tests.conftest import wait_until
from tests.mission_support import WAYPOINTS, five_waypoints

M = mavlink
PASS_WITHIN_M = 3.0


def _ready(service: GcsService) -> Any:
    wait_until(lambda: service.vehicle_state().home is not None, 15, "home position")
    return service.vehicle_state().home


def fly_and_watch(service: GcsService, sim: SimVehicle, timeout_s: float = 150.0
                  ) -> tuple[list[int], list[tuple[float, float]]]:
    """Arm, MISSION_START, and record the reached seqs (bus) and the sim's true track until it disarms."""
    reached: list[int] = []
    service.subscribe(Topics.MISSION_REACHED, lambda _t, event: reached.append(event.seq))
    track: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            snap = sim.snapshot()
            track.append((snap.lat_deg, snap.lon_deg))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        service.arm()
        result = service.start_mission()
        assert result.success, result.message
        wait_until(lambda: sim.snapshot().alt_msl_m > service.vehicle_state().home.alt_msl_m + 2, 20, "climbing")
        wait_until(lambda: not sim.snapshot().armed, timeout_s, "the mission to land and disarm")
    finally:
        stop.set()
        sampler.join(2)
    return reached, track


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_five_waypoints_from_a_file_upload_download_identical_and_fly(
    make_service: Callable[..., Any], flavour: str, tmp_path: Path
) -> None:
    service: GcsService = make_service(flavour)
    sim = service.simulators[0]
    home = _ready(service)
    path = tmp_path / "five.waypoints"
    path.write_text(five_waypoints(home.lat_deg, home.lon_deg, home.alt_msl_m))
    planned = service.load_mission_file(path)[MissionType.MISSION]
    changes: list[Any] = []
    service.subscribe(Topics.MISSION_CHANGED, lambda _t, change: changes.append(change))
    service.upload_mission(planned, source="test")
    back = service.download_mission()
    assert back.matches(planned), (back.items, planned.items)
    assert back.seq_offset == (0 if flavour == "px4" else 1)
    assert [c.action for c in changes] == ["uploaded", "downloaded"]
    saved = service.save_mission_file(tmp_path / "back.waypoints")
    assert read_waypoints(saved.read_text()).matches(planned)
    assert service.missions()[MissionType.MISSION].matches(planned)  # what the map draws

    reached, track = fly_and_watch(service, sim)
    first = back.seq_offset
    assert reached == list(range(first, first + len(planned.items))), reached  # takeoff, 5 WPs, RTL
    waypoints = [item for item in planned.items if item.command == M.MAV_CMD_NAV_WAYPOINT]
    assert len(waypoints) == WAYPOINTS
    misses = [min(distance_m(wp.x, wp.y, lat, lon) for lat, lon in track) for wp in waypoints]
    print(f"sim {flavour}: closest pass of each waypoint {', '.join(f'{m:.2f}' for m in misses)} m; "
          f"reached {reached}")
    assert max(misses) <= PASS_WITHIN_M
    progress = service.mission_progress()
    assert progress.state == "COMPLETE" and progress.reached == tuple(reached)
    assert math.hypot(*_ne(home, sim)) < 2.0  # RTL brought it home
    session = service.recorder.session_of(None) if service.recorder else None
    assert session is not None
    deadline = time.monotonic() + 5
    while True:  # the flight session keeps the upload and every reached item (saved by the recorder thread)
        notes = [e.text for e in service.flight_session_events(session) if e.kind.value == "mission"]
        if sum("reached" in n for n in notes) >= len(reached) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert any(n.startswith("mission uploaded: 7 items by test") for n in notes), notes
    assert sum("reached" in n for n in notes) == len(reached), notes


def _ne(home: Any, sim: SimVehicle) -> tuple[float, float]:
    snap = sim.snapshot()
    north = math.radians(snap.lat_deg - home.lat_deg) * 6_378_137.0
    east = math.radians(snap.lon_deg - home.lon_deg) * 6_378_137.0 * math.cos(math.radians(home.lat_deg))
    return north, east


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_fence_rally_clear_and_set_current(make_service: Callable[..., Any], flavour: str) -> None:
    service: GcsService = make_service(flavour)
    home = _ready(service)
    lat, lon = home.lat_deg, home.lon_deg
    fence = Mission(MissionType.FENCE, tuple(
        MissionItem(M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, M.MAV_FRAME_GLOBAL, 4.0, x=lat + dn, y=lon + de,
                    autocontinue=False)
        for dn, de in ((1e-3, 1e-3), (1e-3, -1e-3), (-1e-3, -1e-3), (-1e-3, 1e-3))))
    rally = Mission(MissionType.RALLY, (MissionItem(M.MAV_CMD_NAV_RALLY_POINT, M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
                                                    x=lat + 5e-4, y=lon, z=20.0, autocontinue=False),))
    for mission in (fence, rally):
        service.upload_mission(mission)
        assert service.download_mission(mission.kind).matches(mission)
    bad = Mission(MissionType.FENCE, fence.items[:3])  # a 4-vertex polygon with 3 vertices
    with pytest.raises(MissionRefused, match="INVALID_PARAM1"):
        service.upload_mission(bad)
    service.clear_mission(MissionType.RALLY)
    assert service.download_mission(MissionType.RALLY).items == ()

    text = five_waypoints(lat, lon, home.alt_msl_m)
    service.upload_mission_file(text, "x.waypoints")
    first = 0 if flavour == "px4" else 1
    progress = service.set_mission_current(first + 3)
    wait_until(lambda: service.mission_progress().seq == first + 3, 3, "MISSION_CURRENT showing item 3")
    assert progress.system_id == service.vehicle_state().system_id
    service.clear_mission()
    assert service.download_mission().items == ()


def test_ardupilot_refuses_auto_on_the_ground_without_a_takeoff(make_service: Callable[..., Any]) -> None:
    service: GcsService = make_service("ardupilot")
    home = _ready(service)
    service.upload_mission(Mission(items=(MissionItem(M.MAV_CMD_NAV_WAYPOINT, 3, x=home.lat_deg + 1e-4,
                                                      y=home.lon_deg, z=10.0),)))
    service.arm()
    with pytest.raises(CommandRejected, match="Missing Takeoff Cmd"):
        service.start_mission()
    assert service.vehicle_state().mode != "AUTO"


def _raw(sim: SimVehicle) -> Any:
    conn = mavutil.mavlink_connection(f"udpout:127.0.0.1:{sim.port}", source_system=250, source_component=190)
    conn.mav.heartbeat_send(M.MAV_TYPE_GCS, M.MAV_AUTOPILOT_INVALID, 0, 0, 0)
    return conn


def _answer(conn: Any, kinds: list[str], timeout_s: float = 2.0) -> Any:
    return conn.recv_match(type=kinds, blocking=True, timeout=timeout_s)


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_the_protocol_refuses_as_ardupilot_does(flavour: str) -> None:
    with SimVehicle(SimConfig(flavour=flavour, bind_port=0, targets=())) as sim:
        conn = _raw(sim)
        try:
            conn.mav.mission_request_list_send(1, 1, 0)
            count = _answer(conn, ["MISSION_COUNT"])
            assert count.count == (0 if flavour == "px4" else 1)  # ArduPilot: home alone
            conn.mav.mission_item_int_send(1, 1, 1, 3, 16, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0)
            assert _answer(conn, ["MISSION_ACK"]).type == M.MAV_MISSION_ERROR  # no upload running
            conn.mav.mission_count_send(1, 1, 2, 0)
            request = _answer(conn, ["MISSION_REQUEST", "MISSION_REQUEST_INT"])
            assert request.get_type() == ("MISSION_REQUEST_INT" if flavour == "px4" else "MISSION_REQUEST")
            assert request.seq == 0
            conn.mav.mission_item_int_send(1, 1, 1, 3, 16, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0)
            assert _answer(conn, ["MISSION_ACK"]).type == M.MAV_MISSION_INVALID_SEQUENCE
            again = _answer(conn, ["MISSION_REQUEST", "MISSION_REQUEST_INT"], 2.5)  # re-asked after 1 s
            assert again is not None and again.seq == 0
            conn.mav.mission_item_int_send(1, 1, 0, 0, 16, 0, 1, 0, 0, 0, 0, 473977420, 85455940, 488, 0)
            assert _answer(conn, ["MISSION_REQUEST", "MISSION_REQUEST_INT"]).seq == 1
            conn.mav.mission_item_int_send(1, 1, 1, 3, 60000, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0)
            assert _answer(conn, ["MISSION_ACK"]).type == M.MAV_MISSION_UNSUPPORTED
            conn.mav.mission_request_int_send(1, 1, 9, 0)
            assert _answer(conn, ["MISSION_ACK"]).type == M.MAV_MISSION_INVALID_SEQUENCE
            conn.mav.mission_count_send(1, 1, 5000, 0)
            assert _answer(conn, ["MISSION_ACK"]).type == M.MAV_MISSION_NO_SPACE
        finally:
            conn.close()
