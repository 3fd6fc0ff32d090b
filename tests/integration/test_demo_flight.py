"""The whole vehicle core against the built-in simulator over real UDP: both autopilot flavours.

Arm, take off to 10 m, fly a velocity setpoint north and see the position move north, land and
disarm - the path a pilot's click-to-follow will take, without the tracker.
"""

from __future__ import annotations

import time

import pytest

from gcs.core.models import Autopilot, VelocityNedYawRate
from gcs.core.service import GcsService
from tests.conftest import wait_until

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_arm_takeoff_fly_north_land_disarm(make_service, flavour: str) -> None:
    service: GcsService = make_service(flavour)
    expected = Autopilot.PX4 if flavour == "px4" else Autopilot.ARDUPILOT
    wait_until(lambda: service.vehicle_state().autopilot is expected, 5, f"{flavour} heartbeat")
    wait_until(lambda: service.vehicle_state().gps.has_fix, 5, "GPS fix")

    assert service.arm().success
    wait_until(lambda: service.vehicle_state().armed, 3, "armed in telemetry")

    result = service.takeoff(10.0)
    assert result.success, result
    wait_until(lambda: service.vehicle_state().global_position.alt_rel_m > 9.5, 15, "climb to 10 m")
    start = service.vehicle_state().global_position

    service.start_offboard()
    status = service.commander_status()
    assert status.engaged
    wanted = "OFFBOARD" if flavour == "px4" else "GUIDED"
    wait_until(lambda: service.vehicle_state().mode == wanted, 2.5, f"heartbeat reports {wanted}")
    end_time = time.monotonic() + 3.0
    while time.monotonic() < end_time:
        service.set_velocity(VelocityNedYawRate(north_mps=4.0))
        time.sleep(0.1)
    moved = service.vehicle_state().global_position
    north_m = (moved.lat_deg - start.lat_deg) * 111_320.0
    east_m = abs(moved.lon_deg - start.lon_deg) * 111_320.0
    assert north_m > 5.0, f"moved only {north_m:.1f} m north"
    assert east_m < 1.0
    assert abs(moved.alt_rel_m - 10.0) < 1.5

    service.stop_offboard()
    assert not service.commander_status().engaged
    assert service.land().success
    wait_until(lambda: not service.vehicle_state().armed, 25, "touchdown and auto-disarm")
    assert service.vehicle_state().global_position.alt_rel_m < 0.5


def test_refused_arm_is_a_clear_error_not_a_hang(make_service) -> None:
    from gcs.core.errors import CommandRejected

    service: GcsService = make_service("px4", gps_fix_delay_s=120.0)
    started = time.monotonic()
    with pytest.raises(CommandRejected) as info:
        service.arm()
    assert time.monotonic() - started < 3.0
    assert info.value.result in ("DENIED", "FAILED", "TEMPORARILY_REJECTED")
    assert "ARM" in str(info.value) and info.value.result in str(info.value)
    assert not service.vehicle_state().armed


def test_takeoff_refused_locally_when_disarmed(make_service) -> None:
    from gcs.core.errors import CommandRejected

    service: GcsService = make_service("ardupilot")
    with pytest.raises(CommandRejected, match="not armed"):
        service.takeoff(10)
