"""Click-to-fly (GcsService.goto) on the built-in simulator, both flavours: the vehicle really goes there.

PX4 gets MAV_CMD_DO_REPOSITION (COMMAND_INT, AMSL altitude, as QGC sends it) and flies there in
Hold; ArduPilot is put in GUIDED and gets one SET_POSITION_TARGET_GLOBAL_INT. The truth is the
simulator's own position (SimVehicle.snapshot), never our telemetry. Refusals: on the ground, a
point outside the geofence, an altitude outside the safety limits, and a replayed log.
"""

from __future__ import annotations

import math

import pytest

from gcs.core.errors import CommandRejected
from gcs.core.map.geo import local, offset
from gcs.core.service import GcsService
from tests.conftest import SHARED_DATA, wait_until

pytestmark = pytest.mark.slow


def _fly(service: GcsService, alt: float = 15.0) -> None:
    wait_until(lambda: service.vehicle_state().gps.has_fix, 5, "GPS fix")
    wait_until(lambda: service.vehicle_state().home is not None, 5, "home position")
    service.arm()
    service.takeoff(alt)
    wait_until(lambda: service.vehicle_state().global_position.alt_rel_m > alt - 1.0, 20, f"climb to {alt} m")


@pytest.mark.parametrize(("flavour", "mode"), [("px4", "LOITER"), ("ardupilot", "GUIDED")])
def test_goto_flies_the_simulator_to_the_clicked_point(make_service, flavour: str, mode: str) -> None:
    service: GcsService = make_service(flavour)
    sim = service.simulators[0]
    with pytest.raises(CommandRejected, match="not armed"):
        gp = service.vehicle_state().global_position
        service.goto(gp.lat_deg, gp.lon_deg)
    _fly(service)
    home = service.vehicle_state().home
    assert home is not None
    point = offset(home.lat_deg, home.lon_deg, 40.0, -25.0)
    result = service.goto(point.lat_deg, point.lon_deg)
    assert result.success and result.command == "GOTO"
    assert service.map_state().goto is not None

    def distance() -> float:
        snap = sim.snapshot()
        n, e = local(point.lat_deg, point.lon_deg, snap.lat_deg, snap.lon_deg)
        return math.hypot(n, e)

    wait_until(lambda: distance() < 1.5 and math.hypot(sim.snapshot().vn, sim.snapshot().ve) < 0.5, 40,
               f"{flavour} at the clicked point")
    snap = sim.snapshot()
    assert snap.mode == mode
    assert abs(-snap.down_m - 15.0) < 1.0, "flies at the height it had"
    print(f"\n{flavour}: at the clicked point within {distance():.2f} m, mode {snap.mode}")


def test_goto_refuses_points_outside_the_geofence_and_altitudes_outside_the_limits(make_service) -> None:
    service: GcsService = make_service("px4", safety__geofence_radius_m=50.0)
    _fly(service, 10.0)
    home = service.vehicle_state().home
    assert home is not None
    far = offset(home.lat_deg, home.lon_deg, 80.0, 0.0)
    with pytest.raises(CommandRejected, match="outside the geofence"):
        service.goto(far.lat_deg, far.lon_deg)
    near = offset(home.lat_deg, home.lon_deg, 20.0, 0.0)
    with pytest.raises(CommandRejected, match=r"altitude 500\.0 m is outside"):
        service.goto(near.lat_deg, near.lon_deg, 500.0)
    with pytest.raises(CommandRejected, match="not a latitude"):
        service.goto(float("nan"), near.lon_deg)
    assert service.map_state().geofence is not None
    assert service.map_state().geofence.radius_m == 50.0  # type: ignore[union-attr]


def test_goto_is_refused_for_a_replayed_log(make_service) -> None:
    service: GcsService = make_service(None)
    service.connect(f"replay:{SHARED_DATA / 'tlogs' / 'copter_real_2015_dronekit_flight.tlog'}")
    service.wait_for_vehicle(10.0)
    assert service.availability()["goto"].startswith("read-only replay")
    with pytest.raises(CommandRejected) as refused:
        service.goto(-35.36, 149.16)
    assert refused.value.result == "READ_ONLY_REPLAY"
