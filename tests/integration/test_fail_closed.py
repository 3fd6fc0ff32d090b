"""The vehicle side fails closed: stale setpoints become zero, a lost link stops all motion."""

from __future__ import annotations

import time

import pytest

from gcs.core.mavlink_env import mavlink
from gcs.core.models import LinkState, VelocityNedYawRate
from gcs.core.service import GcsService
from gcs.core.sim import SimConfig, SimVehicle
from tests.conftest import wait_until

pytestmark = pytest.mark.slow


def _airborne_offboard(service: GcsService, altitude: float = 5.0) -> None:
    wait_until(lambda: service.vehicle_state().gps.has_fix, 5, "GPS fix")
    service.arm()
    service.takeoff(altitude)
    wait_until(lambda: service.vehicle_state().global_position.alt_rel_m > altitude - 0.5, 15, "climb")
    service.start_offboard()


def test_stale_setpoint_becomes_zero_within_its_lifetime(make_service) -> None:
    service: GcsService = make_service("px4")
    sim = service.simulators[0]
    _airborne_offboard(service)
    lifetime = service.commander.lifetime_s
    period = 1.0 / service.commander.rate_hz

    service.set_velocity(VelocityNedYawRate(north_mps=2.0))
    sent_at = time.monotonic()
    time.sleep(lifetime + 0.6)

    after = [s for s in sim.received_setpoints() if s.time_s >= sent_at]
    moving = [s for s in after if abs(s.vx) > 1.0]
    zero = (
        [s for s in after if s.vx == 0 and s.vy == 0 and s.vz == 0 and s.time_s > moving[-1].time_s] if moving else []
    )
    assert moving, "the simulator never received the commanded velocity"
    assert zero, "the simulator never received zero velocity after the setpoint expired"
    first_zero = zero[0].time_s - sent_at
    # delivery jitter on loopback is well under one period; allow one period plus margin
    assert first_zero <= lifetime + period + 0.05, f"stale setpoint lived {first_zero:.3f} s"
    assert all(s.vx == 0 for s in after if s.time_s > sent_at + lifetime + period + 0.05)


def test_link_loss_stops_motion_and_recovery_needs_no_restart(make_service) -> None:
    service: GcsService = make_service("px4", link__watchdog_timeout_s=1.5)
    sim = service.simulators[0]
    _airborne_offboard(service)
    link = service.fleet.vehicle().link
    setpoints_out: list[float] = []

    def count_setpoints(frame: bytes, outgoing: bool, _t: float) -> None:
        msgid = frame[7] | frame[8] << 8 | frame[9] << 16 if frame[0] == 0xFD else frame[5]
        if outgoing and msgid == mavlink.MAVLINK_MSG_ID_SET_POSITION_TARGET_LOCAL_NED:
            setpoints_out.append(time.monotonic())

    link.add_tap(count_setpoints)
    service.set_velocity(VelocityNedYawRate(east_mps=1.0), lifetime_s=30.0)
    wait_until(lambda: len(setpoints_out) > 5, 2, "setpoints streaming")

    killed_at = time.monotonic()
    sim.stop()
    wait_until(lambda: service.vehicle_state().link.state is LinkState.LOST, 1.5 + 1.0, "link declared lost")
    lost_after = time.monotonic() - killed_at
    assert lost_after < 1.5 + 0.6
    assert not service.commander_status().engaged
    assert service.commander_status().reason == "link lost"
    time.sleep(0.5)
    count = len(setpoints_out)
    time.sleep(1.0)
    assert len(setpoints_out) == count, "setpoints still sent after the link was lost"

    revived = SimVehicle(SimConfig(flavour="px4", targets=(("127.0.0.1", link.local_port or 0),)))
    revived.start()
    try:
        wait_until(lambda: service.vehicle_state().link.state is LinkState.OK, 5, "link recovered")
        before = service.vehicle_state().last_update_s
        wait_until(lambda: service.vehicle_state().last_update_s > before + 0.5, 3, "telemetry flowing again")
        assert not service.commander_status().engaged, "motion must not resume by itself after recovery"
        assert len(setpoints_out) == count
    finally:
        revived.stop()
