"""The simulator's RC throttle stick (ArduPilot flavour) and the GCS's hold per flavour, on a fake clock.

ArduCopter SITL with no RC override reads the throttle at 1000 (stick down): LOITER, ALT_HOLD and
POSHOLD then descend at the pilot's descent rate, BRAKE and GUIDED hold. Our simulator models the
same stick, so the hold the GCS asks for (``flavour.hold_mode``) is proven to hold on it.
"""

from __future__ import annotations

import pytest

from gcs.core.mavlink_env import mavlink
from gcs.core.models import Autopilot
from gcs.core.vehicle.flavours import flavour_for
from tests.unit.test_sim_autopilot import ACCEPTED, Flight

QUAD = mavlink.MAV_TYPE_QUADROTOR
AUTOPILOT = {"px4": Autopilot.PX4, "ardupilot": Autopilot.ARDUPILOT}


def override(f: Flight, throttle: int) -> None:
    """RC_CHANNELS_OVERRIDE with only channel 3 set (UINT16_MAX = leave the others alone)."""
    keep = 65535
    msg = mavlink.MAVLink_rc_channels_override_message(1, 1, keep, keep, throttle, keep, keep, keep, keep, keep)
    f.ap.rc_override(msg, f.now)


def altitudes(f: Flight, seconds: float) -> list[float]:
    seen = []
    for _ in range(round(seconds / 0.1)):
        f.run(0.1)
        seen.append(f.alt)
    return seen


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_the_gcs_hold_mode_holds_altitude_and_position_for_10_s(flavour: str) -> None:
    f = Flight(flavour)
    f.airborne(10.0)
    start_alt = f.alt
    start = (f.ap.body.north_m, f.ap.body.east_m)
    hold = flavour_for(AUTOPILOT[flavour]).hold_mode(QUAD)
    assert f.ap.request_mode(hold) == ACCEPTED
    seen = altitudes(f, 10.0)
    assert max(abs(a - start_alt) for a in seen) < 1.0, f"{hold} did not hold {start_alt:.1f} m: {seen[::10]}"
    b = f.ap.body
    assert abs(b.north_m - start[0]) < 2.0 and abs(b.east_m - start[1]) < 2.0
    if flavour == "ardupilot":
        assert f.ap.rc.throttle_pwm(f.now) == 1000, "held with the stick down: no RC override needed"


@pytest.mark.parametrize("mode", ["LOITER", "ALT_HOLD", "POSHOLD"])
def test_ardupilot_pilot_modes_descend_with_the_stick_down_like_sitl(mode: str) -> None:
    f = Flight("ardupilot")
    f.airborne(10.0)
    assert f.ap.rc.throttle_pwm(f.now) == 1000  # no override: stick down, as SITL reads it
    assert f.ap.request_mode(mode) == ACCEPTED
    f.run(2.0)
    assert 3.0 < f.alt < 7.5, f"{mode}: descending at PILOT_SPEED_DN (2.5 m/s), at {f.alt:.1f} m after 2 s"
    f.until(lambda: f.ap.landed, 10)
    assert f.ap.mode == mode


def test_ardupilot_rc_override_moves_the_stick_and_expires() -> None:
    f = Flight("ardupilot")
    f.airborne(10.0)
    override(f, 1500)  # centre stick: LOITER holds its height
    assert f.ap.request_mode("LOITER") == ACCEPTED
    for _ in range(5):  # a GCS keeps overriding (ArduPilot drops an override after RC_OVERRIDE_TIME, 3 s)
        f.run(1.0)
        override(f, 1500)
    assert abs(f.alt - 10.0) < 0.5
    override(f, 1900)  # stick up: climb
    f.run(2.0)
    assert f.alt > 11.5
    high = f.alt
    f.run(4.0)  # no more overrides: after 3 s the stick is back at 1000 and it descends
    assert f.ap.rc.throttle_pwm(f.now) == 1000
    assert f.alt < high - 1.0


def test_stick_default_is_configurable() -> None:
    f = Flight("ardupilot", rc_throttle_pwm=1500)
    f.airborne(10.0)
    assert f.ap.request_mode("LOITER") == ACCEPTED
    f.run(5.0)
    assert abs(f.alt - 10.0) < 0.5
