"""Alerts on the built-in simulator over UDP: a battery drained to critical mid-follow stops following
and commands safety.critical_battery_action once, as the sim's own mode shows; GPS lost raises
gps_lost; every alert is in the flight session's events.

Ground truth is the simulator's snapshot (its own pack, its own mode), never our telemetry.
"""

from __future__ import annotations

import time

import pytest

from gcs.core.alerts import AlertKind, AlertLevel
from gcs.core.logs import EventKind
from gcs.core.service import GcsService
from gcs.core.sim import SimVehicle
from gcs.core.tracking.types import TrackState
from tests.conftest import wait_until

pytestmark = pytest.mark.slow
MODES = {("px4", "rtl"): "RTL", ("ardupilot", "rtl"): "RTL", ("px4", "hold"): "LOITER", ("ardupilot", "hold"): "BRAKE"}


def follow_the_car(service: GcsService) -> SimVehicle:
    """Take off to 15 m, select car-1 with a box on the virtual camera and follow it."""
    sim = service.simulators[0]
    wait_until(lambda: service.vehicle_state().gps.has_fix, 5, "GPS fix")
    assert service.arm().success
    assert service.takeoff(15.0).success
    wait_until(lambda: sim.snapshot().alt_m > 14.5, 20, "climb to 15 m")
    service.start_video()  # restart the scene clock: car-1 on its straight, in view
    wait_until(lambda: service.latest_frame() is not None, 10, "first virtual frame")
    source = service.vision._require()[0].source
    truth = {t.target_id: t.box for t in source.camera.targets_in_image(source.scene_time_s())}  # type: ignore[attr-defined]
    assert "car-1" in truth, f"car-1 not in view: {truth}"
    service.start_tracking(*truth["car-1"])
    wait_until(lambda: service.tracker_data().state is TrackState.LOCKED, 5, "tracker locked on car-1")
    assert service.start_following().success
    wait_until(lambda: len(sim.received_setpoints()) > 20, 3, "setpoints reach the sim")
    return sim


@pytest.mark.parametrize(("flavour", "action"), [("px4", "rtl"), ("ardupilot", "hold")])
def test_critical_battery_mid_follow_stops_following_and_does_the_configured_action(
    make_service, flavour: str, action: str
) -> None:
    service: GcsService = make_service(flavour, video__enabled=True, safety__critical_battery_action=action)
    sim = follow_the_car(service)
    time.sleep(1.0)
    assert service.follower_data().active and not [a for a in service.alerts() if "battery" in a.kind]

    sim.set_battery_pct(16.0)
    sim.set_battery_drain(10.0)  # ~1 %/s at the follow's current: critical within a second or two
    crossed = None
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        snap = sim.snapshot()
        if crossed is None and snap.battery_pct < 15.5:  # SYS_STATUS rounds: the vehicle says 15 %
            crossed = snap
        if crossed is not None and snap.mode == MODES[(flavour, action)]:
            break
        time.sleep(0.02)
    assert crossed is not None, "the sim's pack never reached 15 %"
    assert crossed.battery_pct > 15.3, "the test polled too late to time the reaction"
    assert snap.mode == MODES[(flavour, action)], f"the sim is in {snap.mode}, not the {action} mode"
    took = snap.time_s - crossed.time_s
    print(f"{flavour} {action}: pack at {crossed.battery_pct:.1f} % -> sim in {snap.mode} after {took:.2f} s")
    assert took < 1.0, f"{action} reached the vehicle {took:.2f} s after the pack went critical"

    assert not service.follower_data().active and not service.commander_status().engaged
    assert "battery critical" in service.follower_data().reasons[0]
    stopped = sim.received_setpoints()[-1].time_s
    assert stopped <= snap.time_s  # the stream stopped before the mode arrived

    critical = next(a for a in service.alerts() if a.kind is AlertKind.BATTERY_CRITICAL)
    assert critical.level is AlertLevel.CRITICAL and critical.active and critical.system_id == 1
    assert f"critical_battery_action: {action}" in critical.message
    time.sleep(1.5)  # the battery stays critical: the action is not repeated
    assert len(service.critical_actions) == 1 and service.critical_actions[0].success
    assert sim.received_setpoints()[-1].time_s == stopped, "a setpoint was sent after the critical action"
    assert sim.snapshot().mode == MODES[(flavour, action)] and sim.snapshot().armed

    session = service.recorder.session_of(None) if service.recorder else None
    assert session is not None
    wait_until(lambda: any("battery_critical raised" in e.text for e in service.flight_session_events(session)
                           if e.kind is EventKind.ALERT), 3, "the alert in the flight session")
    texts = [e.text for e in service.flight_session_events(session) if e.kind is EventKind.ALERT]
    assert any(f"{action.upper()} commanded" in t for t in texts)


def test_gps_lost_on_the_sim_raises_gps_lost_and_clears_when_it_returns(make_service) -> None:
    service: GcsService = make_service("ardupilot")
    sim = service.simulators[0]
    wait_until(lambda: service.vehicle_state().gps.has_fix, 5, "GPS fix")
    # the alerts thread (10 Hz) must have seen the fix before its loss can be one (CI lost the race)
    wait_until(lambda: service.alert_monitor.has_seen_fix(service.vehicle_state().system_id), 5,
               "the alerts thread saw the fix")
    assert not service.alerts()
    sim.set_gps_fix(False)
    wait_until(lambda: any(a.kind is AlertKind.GPS_LOST for a in service.alerts()), 3, "gps_lost alert")
    (alert,) = [a for a in service.alerts() if a.kind is AlertKind.GPS_LOST]
    assert alert.active and not alert.acknowledged and "GPS fix lost" in alert.message
    assert alert.level is AlertLevel.WARNING  # on the ground; critical while armed
    sim.set_gps_fix(True)
    wait_until(lambda: not next(a for a in service.alerts() if a.id == alert.id).active, 10, "gps_lost cleared")
    assert service.acknowledge_alert(alert.id, by="test")[0].acknowledged
    assert not [a for a in service.alerts() if a.kind is AlertKind.GPS_LOST]
