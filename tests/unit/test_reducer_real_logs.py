"""The reducer against every real tlog: it never raises and ends where pymavlink says the vehicle is.

Expectations are read straight from the same file with pymavlink (mode via mavutil.mode_string_v10),
independently of the reducer, so a regression in any handler or in the heartbeat rule fails here.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from gcs.core.mavlink_env import mavlink, mavutil
from gcs.core.models import STATUSTEXT_KEEP, Autopilot, VehicleState
from gcs.core.vehicle.reducer import HANDLED_TYPES, initial_state, reduce

TLOG_DIR = Path(__file__).resolve().parents[2].parent / "shared/data/tlogs"
if not TLOG_DIR.is_dir():
    pytest.skip(f"real tlogs not found at {TLOG_DIR} (see shared/data/README.md)", allow_module_level=True)
TLOGS = sorted(TLOG_DIR.glob("*.tlog"))
if not TLOGS:
    pytest.skip(f"no *.tlog files in {TLOG_DIR}", allow_module_level=True)

MAIN = 1  # every log's vehicle is system 1; checked below against its heartbeats
# What each recording is (README table); a wrong type or autopilot means the heartbeat rule broke.
KNOWN_TYPES = {
    "copter_real_2015_dronekit_flight.tlog": "QUADROTOR",
    "copter_real_2013_codelever.tlog": "QUADROTOR",
    "plane_real_2012_tiny_dronekit_test.tlog": "FIXED_WING",
    "rover_real_2024_tiny_strawberry.tlog": "GROUND_ROVER",
    "sub_real_2023_ardusub_small.tlog": "SUBMARINE",
    "sub_real_2023_badcrc_ardusub.tlog": "SUBMARINE",
}


def is_vehicle_heartbeat(msg: Any) -> bool:
    return bool(msg.type != mavlink.MAV_TYPE_GCS and msg.autopilot != mavlink.MAV_AUTOPILOT_INVALID)


@dataclass
class Replay:
    """One pass over a tlog: the reduced states and what pymavlink itself read."""

    states: dict[int, VehicleState] = field(default_factory=dict)
    bad_data: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # main system's messages by type
    identity_violations: list[str] = field(default_factory=list)
    last: dict[str, Any] = field(default_factory=dict)  # main system's last message of each type
    vehicle_systems: set[int] = field(default_factory=set)
    heartbeat_components: Counter[tuple[int, int]] = field(default_factory=Counter)
    expected_modes: list[str] = field(default_factory=list)  # mode changes as pymavlink reads them
    reduced_modes: list[str] = field(default_factory=list)  # mode changes as the reducer publishes


@cache
def replay(path: Path) -> Replay:
    result = Replay()
    conn = mavutil.mavlink_connection(str(path), robust_parsing=True)
    try:
        while (msg := conn.recv_msg()) is not None:
            kind = msg.get_type()
            if kind == "BAD_DATA":
                result.bad_data += 1
            system = msg.get_srcSystem()
            state = result.states.get(system)
            if state is None:
                state = result.states[system] = initial_state(system)
            new = reduce(state, msg, msg._timestamp)
            result.states[system] = new
            if kind not in HANDLED_TYPES and new is not state:
                result.identity_violations.append(kind)
            if system != MAIN or kind == "BAD_DATA":
                continue
            if kind == "HEARTBEAT":
                result.heartbeat_components[(msg.get_srcComponent(), msg.type)] += 1
                if not is_vehicle_heartbeat(msg):
                    continue
                result.vehicle_systems.add(system)
                mode = mavutil.mode_string_v10(msg)
                if not result.expected_modes or result.expected_modes[-1] != mode:
                    result.expected_modes.append(mode)
            result.counts[kind] += 1
            if kind != "BATTERY_STATUS" or msg.id == 0:
                result.last[kind] = msg
            changed = not result.reduced_modes or result.reduced_modes[-1] != new.mode
            if changed and new.mode != "UNKNOWN":
                result.reduced_modes.append(new.mode)
    finally:
        conn.close()
    return result


ids = [p.name for p in TLOGS]


@pytest.mark.slow
@pytest.mark.parametrize("path", TLOGS, ids=ids)
def test_replay_completes_and_keeps_identity_for_unused_messages(path: Path) -> None:
    run = replay(path)
    assert MAIN in run.states
    assert run.vehicle_systems == {MAIN}
    assert run.identity_violations == []
    # systems that never sent a vehicle heartbeat (GCS 255, SiK radio 51) never get a mode
    for system, state in run.states.items():
        if system not in run.vehicle_systems:
            assert (state.mode, state.armed, state.last_heartbeat_s) == ("UNKNOWN", False, None), system


@pytest.mark.slow
@pytest.mark.parametrize("path", TLOGS, ids=ids)
def test_final_state_matches_pymavlink(path: Path) -> None:
    run = replay(path)
    state, last = run.states[MAIN], run.last
    heartbeat = last["HEARTBEAT"]
    assert state.autopilot is Autopilot.ARDUPILOT
    assert state.vehicle_type == KNOWN_TYPES[path.name]
    assert state.mode == mavutil.mode_string_v10(heartbeat)
    assert state.armed == bool(heartbeat.base_mode & mavlink.MAV_MODE_FLAG_SAFETY_ARMED)
    assert state.custom_mode == heartbeat.custom_mode and state.base_mode == heartbeat.base_mode
    assert state.last_heartbeat_s == heartbeat._timestamp  # later camera/companion heartbeats ignored
    assert state.component_id == 1

    gpi = last["GLOBAL_POSITION_INT"]
    assert state.global_position.lat_deg == pytest.approx(gpi.lat / 1e7, abs=1e-9)
    assert state.global_position.lon_deg == pytest.approx(gpi.lon / 1e7, abs=1e-9)
    assert state.global_position.alt_rel_m == pytest.approx(gpi.relative_alt / 1000.0, abs=1e-6)
    assert state.velocity.down_mps == pytest.approx(gpi.vz / 100.0)

    assert state.battery.voltage_v == pytest.approx(last["SYS_STATUS"].voltage_battery / 1000.0, abs=1e-6)
    gps = last["GPS_RAW_INT"]
    satellites = 0 if gps.satellites_visible == 255 else gps.satellites_visible
    assert (state.gps.fix_type, state.gps.satellites) == (gps.fix_type, satellites)
    att = last["ATTITUDE"]
    assert state.attitude.yaw_rad == pytest.approx(att.yaw)
    assert state.hud.groundspeed_mps == pytest.approx(last["VFR_HUD"].groundspeed)
    if "HOME_POSITION" in last:
        assert state.home is not None
        assert state.home.lat_deg == pytest.approx(last["HOME_POSITION"].latitude / 1e7)
    if "STATUSTEXT" in last:
        assert state.statustexts[-1].text == last["STATUSTEXT"].text


@pytest.mark.slow
@pytest.mark.parametrize("path", TLOGS, ids=ids)
def test_mode_history_matches_pymavlink(path: Path) -> None:
    run = replay(path)
    assert run.reduced_modes == run.expected_modes
    assert run.reduced_modes  # every log has at least one vehicle heartbeat


@pytest.mark.slow
def test_dronekit_flight_visits_its_modes_and_arms() -> None:
    run = replay(TLOG_DIR / "copter_real_2015_dronekit_flight.tlog")
    assert {"STABILIZE", "LOITER", "AUTO", "RTL"} <= set(run.reduced_modes)
    assert run.bad_data > 0  # old-definition msgid 142 frames


@pytest.mark.slow
def test_ardusub_with_camera_and_companion_follows_the_autopilot() -> None:
    run = replay(TLOG_DIR / "sub_real_2023_ardusub_small.tlog")
    components = {component for component, _type in run.heartbeat_components}
    assert {1, 100, 194} <= components  # the confusing case is really in the file
    state = run.states[MAIN]
    assert (state.component_id, state.vehicle_type, state.mode) == (1, "SUBMARINE", "MANUAL")


@pytest.mark.slow
def test_badcrc_ardusub_log_completes_with_expected_values() -> None:
    path = TLOG_DIR / "sub_real_2023_badcrc_ardusub.tlog"
    run = replay(path)
    assert run.bad_data > 0
    state = run.states[MAIN]
    assert state.mode == mavutil.mode_string_v10(run.last["HEARTBEAT"]) == "MANUAL"
    assert state.battery.voltage_v == pytest.approx(run.last["SYS_STATUS"].voltage_battery / 1000.0)
    assert state.battery.voltage_v == pytest.approx(15.166)
    assert run.counts["STATUSTEXT"] > 0
    assert len(state.statustexts) == min(run.counts["STATUSTEXT"], STATUSTEXT_KEEP)
