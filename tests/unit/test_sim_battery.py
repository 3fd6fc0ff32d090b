"""The simulated battery drains with flight, faster on request, and can be put at a level; GPS can be lost."""

from __future__ import annotations

import pytest

from gcs.core.errors import ConfigError
from gcs.core.mavlink_env import mavlink
from gcs.core.sim.config import SimConfig
from gcs.core.sim.telemetry import BUILDERS
from tests.unit.test_sim_autopilot import Flight


def test_flying_drains_more_than_sitting_disarmed() -> None:
    idle = Flight("ardupilot")
    idle.run(60)
    flying = Flight("ardupilot")
    flying.airborne()
    start = flying.ap.battery.remaining_pct
    flying.run(60, stream={"vx": 5.0})
    hover_drop = start - flying.ap.battery.remaining_pct
    assert 100.0 - idle.ap.battery.remaining_pct < 0.2  # avionics only
    assert 3.0 < hover_drop < 10.0  # ~15-20 A from 5 Ah: ~5 % a minute


def test_drain_scale_and_start_level_reach_critical_in_seconds() -> None:
    flight = Flight("px4", battery_start_pct=20.0, battery_drain_scale=50.0)
    assert flight.ap.battery.remaining_pct == pytest.approx(20.0)
    flight.airborne()
    took = flight.until(lambda: flight.ap.battery.remaining_pct <= 15.0, 30, stream={})
    assert took < 10.0
    sys_status = BUILDERS[mavlink.MAVLINK_MSG_ID_SYS_STATUS](flight.ap, flight.now)
    assert sys_status.battery_remaining <= 15


def test_level_can_be_set_and_keeps_draining() -> None:
    flight = Flight("ardupilot")
    flight.airborne()
    flight.ap.battery.set_remaining_pct(31.0)
    flight.run(30, stream={})
    assert 25.0 < flight.ap.battery.remaining_pct < 31.0


def test_gps_lost_stays_lost_until_given_back() -> None:
    flight = Flight("ardupilot")
    flight.run(1)
    assert flight.ap.gps_fix
    flight.ap.set_gps_fix(False)
    flight.run(5)
    gps = BUILDERS[mavlink.MAVLINK_MSG_ID_GPS_RAW_INT](flight.ap, flight.now)
    assert gps.fix_type < 3
    flight.ap.set_gps_fix(True)
    flight.run(0.1)
    assert BUILDERS[mavlink.MAVLINK_MSG_ID_GPS_RAW_INT](flight.ap, flight.now).fix_type >= 3


@pytest.mark.parametrize("bad", [{"battery_start_pct": 120.0}, {"battery_drain_scale": -1.0}])
def test_bad_battery_settings_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ConfigError):
        SimConfig(**bad)
