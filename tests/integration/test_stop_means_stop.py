"""On the built-in simulator, both flavours: every way the program stops the vehicle holds it,
the stream stops at once and nothing resumes by itself; a refused command says why.

The sim models ArduCopter's throttle stick (1000 with no RC override, as on SITL), so a hold in a
mode that obeys the stick (LOITER) would show here as a descent. Windows are short (4 s of
flight each, the fake-clock test in tests/unit/test_sim_sticks.py holds for 10 s): a LOITER
descent at 2.5 m/s leaves the 1 m band in under half a second.
"""

from __future__ import annotations

import math
import time

import pytest

from gcs.core.errors import CommandRejected
from gcs.core.models import LinkState, VelocityNedYawRate
from gcs.core.service import GcsService
from gcs.core.sim import SimVehicle
from tests.conftest import wait_until

pytestmark = pytest.mark.slow
OFFBOARD = {"px4": "OFFBOARD", "ardupilot": "GUIDED"}
HOLD = {"px4": "LOITER", "ardupilot": "BRAKE"}
WINDOW_S = 4.0


def airborne(service: GcsService, altitude_m: float = 10.0) -> SimVehicle:
    wait_until(lambda: service.vehicle_state().gps.has_fix, 5, "GPS fix")
    assert service.arm().success
    assert service.takeoff(altitude_m).success
    sim = service.simulators[0]
    wait_until(lambda: sim.snapshot().alt_m > altitude_m - 0.3 and abs(sim.snapshot().vd) < 0.2, 20, "climb")
    return sim


def drive(service: GcsService, flavour: str, seconds: float = 1.5) -> None:
    """Stream a velocity north as the follower would."""
    assert service.start_offboard().success
    wait_until(lambda: service.vehicle_state().mode == OFFBOARD[flavour], 3, "offboard/guided")
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        service.set_velocity(VelocityNedYawRate(north_mps=3.0))
        time.sleep(0.05)


def assert_holds(sim: SimVehicle, flavour: str, what: str) -> tuple[float, float]:
    """From the moment of the stop: height within 1 m and < 2 m drift (after braking) for WINDOW_S."""
    start = sim.snapshot()
    worst_alt = worst_drift = 0.0
    rest = None
    end = time.monotonic() + WINDOW_S
    while time.monotonic() < end:
        s = sim.snapshot()
        worst_alt = max(worst_alt, abs(s.alt_m - start.alt_m))
        if rest is None and s.groundspeed_mps < 0.2:
            rest = s
        if rest is not None:
            worst_drift = max(worst_drift, math.hypot(s.north_m - rest.north_m, s.east_m - rest.east_m))
        time.sleep(0.05)
    s = sim.snapshot()
    assert worst_alt < 1.0, f"{what}: height changed {worst_alt:.2f} m in {s.mode}"
    assert rest is not None and worst_drift < 2.0, f"{what}: drifted {worst_drift:.2f} m"
    assert s.mode == HOLD[flavour] and s.armed
    if flavour == "ardupilot":
        assert s.throttle_pwm == 1000, "held with the stick down: no RC override"
    return worst_alt, worst_drift


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_abort_stop_following_and_hold_each_hold_height_and_position(make_service, flavour: str) -> None:
    service: GcsService = make_service(flavour)
    sim = airborne(service)
    for what, stop in (("abort", service.abort), ("stop following", service.stop_following),
                       ("hold", service.hold)):
        drive(service, flavour)
        assert service.commander_status().engaged
        assert stop().success
        assert not service.commander_status().engaged, f"{what}: the stream must stop at once"
        assert not service.follower_data().active
        alt, drift = assert_holds(sim, flavour, what)
        print(f"{flavour} {what}: height change {alt:.2f} m, drift {drift:.2f} m")


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_a_commanded_mode_change_stops_the_stream_at_once_and_it_never_resumes(make_service, flavour: str) -> None:
    service: GcsService = make_service(flavour)
    sim = airborne(service)
    drive(service, flavour, 0.5)
    service.vision.follow.enable()  # as start_following leaves it
    assert service.set_mode(HOLD[flavour]).success
    stopped = sim.received_setpoints()[-1].time_s
    assert not service.commander_status().engaged and not service.follower_data().active
    assert "commanded" in service.follower_data().reasons[0]
    # The pilot switches straight back to GUIDED/OFFBOARD: nothing drives it again.
    if flavour == "px4":
        # PX4 refuses OFFBOARD without a setpoint stream: that refusal is the proof it stopped
        with pytest.raises(CommandRejected):
            service.set_mode("OFFBOARD")
    else:
        assert service.set_mode("GUIDED").success
    time.sleep(1.5)
    assert not service.commander_status().engaged and not service.follower_data().active
    assert sim.received_setpoints()[-1].time_s == stopped, "a setpoint was sent after the mode change"
    assert sim.snapshot().groundspeed_mps < 0.3


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_the_vehicle_leaving_offboard_stops_following_without_grace(make_service, flavour: str) -> None:
    """An RC switch (here: another GCS on the sim) leaves GUIDED/OFFBOARD; switching back within
    the old 2.5 s grace must not resume following."""
    service: GcsService = make_service(flavour)
    sim = airborne(service)
    drive(service, flavour, 0.5)
    service.vision.follow.enable()
    sim.pilot_mode(HOLD[flavour])  # the pilot's switch, not the program's
    wait_until(lambda: not service.commander_status().engaged, 1.6, "disengaged on the first heartbeat")
    assert "left" in service.commander_status().reason
    assert not service.follower_data().active
    stopped = sim.received_setpoints()[-1].time_s
    if flavour == "ardupilot":
        sim.pilot_mode("GUIDED")
    time.sleep(2.0)
    assert not service.commander_status().engaged and not service.follower_data().active
    assert sim.received_setpoints()[-1].time_s == stopped


def test_link_loss_stops_the_follower_and_reports_it_inactive(make_service) -> None:
    service: GcsService = make_service("ardupilot", link__watchdog_timeout_s=1.0)
    sim = airborne(service)
    drive(service, "ardupilot", 0.5)
    service.vision.follow.enable()
    assert service.follower_data().active
    sim.stop()
    wait_until(lambda: service.fleet.vehicle(None).link_state is LinkState.LOST, 5, "link lost")
    wait_until(lambda: not service.follower_data().active, 1, "follower inactive")
    assert not service.commander_status().engaged
    assert "link lost" in service.follower_data().reasons[0]


@pytest.mark.parametrize(("flavour", "reason"), [("px4", "Arming denied: no GPS fix"),
                                                 ("ardupilot", "PreArm: Need Position Estimate")])
def test_a_refused_arm_says_the_vehicles_reason(make_service, flavour: str, reason: str) -> None:
    service: GcsService = make_service(flavour, gps_fix_delay_s=120.0)
    with pytest.raises(CommandRejected) as info:
        service.arm()
    assert reason in str(info.value)
    assert info.value.result in str(info.value)
