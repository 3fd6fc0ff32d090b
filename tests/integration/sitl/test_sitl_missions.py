"""Against the real ArduCopter SITL: a 5-waypoint mission uploaded from a .waypoints file, downloaded
identical, flown in AUTO to completion, with SITL's own positions (SERIAL1, pymavlink) passing each
waypoint within 3 m and the reached events in order; a fence and a rally list round-trip.

The figures (transfer times, closest passes, flight time) are printed for the README's Missions section.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gcs.core.bus import Topics
from gcs.core.errors import CommandRejected, MissionRefused
from gcs.core.mavlink_env import mavlink
from gcs.core.models import Autopilot
from gcs.core.service import GcsService
from gcs.core.vehicle.mission import Mission, MissionItem, MissionType, read_waypoints
from gcs.core.vehicle.mission.generators import distance_m
from tests.conftest import wait_until
from tests.integration.sitl.sitl_support import Sitl, Truth
from tests.mission_support import WAYPOINTS, five_waypoints

pytestmark = pytest.mark.slow
M = mavlink
PASS_WITHIN_M = 3.0
# SITL's clock at 3x the wall clock: the mission flies in ~30 s instead of ~90 s with the same passes
# (measured: 1.67-1.78 m at both speeds); truth is sampled every 0.02 s so a pass is not skipped.
SITL_SPEEDUP = 3


def _connect(make_service: Callable[..., Any], sitl: Sitl) -> GcsService:
    service: GcsService = make_service(None)
    service.connect(sitl.url)
    service.wait_for_vehicle(30)
    wait_until(lambda: service.vehicle_state().autopilot is Autopilot.ARDUPILOT, 10, "ArduPilot heartbeat")
    wait_until(lambda: service.vehicle_state().home is not None, 60, "SITL's home position")
    return service


def test_five_waypoints_from_a_file_round_trip_and_fly_in_auto(make_service: Callable[..., Any], sitl: Sitl,
                                                               truth: Truth, tmp_path: Path) -> None:
    service = _connect(make_service, sitl)
    home = service.vehicle_state().home
    assert home is not None
    path = tmp_path / "five.waypoints"
    path.write_text(five_waypoints(home.lat_deg, home.lon_deg, home.alt_msl_m))
    planned = service.load_mission_file(path)[MissionType.MISSION]
    started = time.monotonic()
    service.upload_mission(planned, source="test")
    uploaded_s = time.monotonic() - started
    started = time.monotonic()
    back = service.download_mission()
    downloaded_s = time.monotonic() - started
    assert back.matches(planned), (back.items, planned.items)
    assert back.home is not None and distance_m(back.home.lat_deg, back.home.lon_deg, home.lat_deg,
                                                home.lon_deg) < 0.1  # item 0 is SITL's own home
    assert read_waypoints(service.export_mission("waypoints")).matches(planned)

    reached: list[int] = []
    service.subscribe(Topics.MISSION_REACHED, lambda _t, event: reached.append(event.seq))
    deadline = time.monotonic() + 90
    while True:  # SITL's EKF settles ~20-40 s after boot
        try:
            service.set_mode("GUIDED")
            service.arm()
            break
        except CommandRejected as exc:
            assert time.monotonic() < deadline, f"SITL never became armable: {exc}"
            time.sleep(0.5)
    flight_start = time.monotonic()
    assert service.start_mission(source="test").success
    track = []
    end = time.monotonic() + 180
    while time.monotonic() < end:
        sample = truth.sample()
        track.append(sample)
        if time.monotonic() - flight_start > 10 / SITL_SPEEDUP and not sample.armed:
            break
        time.sleep(0.02)
    flight_s = time.monotonic() - flight_start
    waypoints = [item for item in planned.items if item.command == M.MAV_CMD_NAV_WAYPOINT]
    assert len(waypoints) == WAYPOINTS
    misses = [min(distance_m(wp.x, wp.y, s.lat_deg, s.lon_deg) for s in track) for wp in waypoints]
    print(f"SITL mission: upload {uploaded_s:.2f} s, download {downloaded_s:.2f} s, flown in {flight_s:.0f} s; "
          f"closest pass of each waypoint {', '.join(f'{m:.2f}' for m in misses)} m; reached {reached}; "
          f"modes {sorted({s.mode for s in track})}")
    assert not track[-1].armed, "the mission's RTL landed and disarmed"
    assert "AUTO" in {s.mode for s in track}
    assert max(misses) <= PASS_WITHIN_M
    assert reached[:1 + WAYPOINTS] == list(range(1, 2 + WAYPOINTS)), reached  # takeoff, then the 5 in order
    # (after the landing ArduCopter reports item 0 again, which starts the reached list afresh)


def test_fence_and_rally_round_trip_and_a_bad_fence_is_refused(make_service: Callable[..., Any],
                                                              sitl: Sitl) -> None:
    service = _connect(make_service, sitl)
    home = service.vehicle_state().home
    assert home is not None
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
    with pytest.raises(MissionRefused):
        service.upload_mission(Mission(MissionType.MISSION, (MissionItem(60000, 3, z=10.0),)))
    for kind in (MissionType.FENCE, MissionType.RALLY):
        service.clear_mission(kind)
        assert service.download_mission(kind).items == ()
