"""Sensor, estimator and fence health from SYS_STATUS, EKF_STATUS_REPORT and FENCE_STATUS."""

from __future__ import annotations

from gcs.core.mavlink_env import mavlink
from gcs.core.models import SENSOR_AHRS, SENSOR_GPS
from tests.unit.test_reducer import copter, send

GOOD_EKF = 1 | 2 | 4 | 8 | 16 | 32  # attitude, velocity, vertical, position rel/abs


def test_nothing_reported_is_unknown() -> None:
    health = copter().health
    assert health.position_estimate_ok is None and health.sensor_ok(SENSOR_GPS) is None
    assert health.fence_breached is None


def test_sys_status_gps_and_ahrs_health() -> None:
    bits = SENSOR_GPS | SENSOR_AHRS
    good = send(copter(), "sys_status", bits, bits, bits, 0, 12000, 100, 80, 0, 0, 0, 0, 0, 0)
    assert good.health.sensor_ok(SENSOR_GPS) is True and good.health.position_estimate_ok is True
    bad = send(good, "sys_status", bits, bits, 0, 0, 12000, 100, 80, 0, 0, 0, 0, 0, 0)
    assert bad.health.sensor_ok(SENSOR_GPS) is False and bad.health.position_estimate_ok is False
    assert bad.battery.remaining_pct == 80.0


def test_ekf_flags_decide_over_sys_status() -> None:
    state = send(copter(), "ekf_status_report", GOOD_EKF, 0.1, 0.1, 0.1, 0.1, 0.0)
    assert state.health.position_estimate_ok is True
    no_position = send(state, "ekf_status_report", 1 | 2 | 4, 0.1, 0.1, 0.1, 0.1, 0.0)
    assert no_position.health.position_estimate_ok is False
    glitch = send(state, "ekf_status_report", GOOD_EKF | 32768, 0.1, 0.1, 0.1, 0.1, 0.0)
    assert glitch.health.position_estimate_ok is False


def test_fence_status_breach() -> None:
    state = send(copter(), "fence_status", 1, 1, mavlink.FENCE_BREACH_BOUNDARY, 0)
    assert state.health.fence_breached is True
    assert state.health.fence_breach_type == mavlink.FENCE_BREACH_BOUNDARY
    assert send(state, "fence_status", 0, 1, 0, 0).health.fence_breached is False
