"""Telemetry reducer, one handler at a time, with frames as a vehicle puts them on the wire."""

from __future__ import annotations

from typing import Any

import pytest

from gcs.core.mavlink_env import mavlink
from gcs.core.models import STATUSTEXT_KEEP, Autopilot, GlobalPosition, HomePosition, VehicleState
from gcs.core.vehicle.reducer import HANDLED_TYPES, initial_state, reduce

CUSTOM = mavlink.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED
ARMED = mavlink.MAV_MODE_FLAG_SAFETY_ARMED
AP = mavlink.MAV_AUTOPILOT_ARDUPILOTMEGA
QUAD = mavlink.MAV_TYPE_QUADROTOR
COPTER_GUIDED = 4
COPTER_LOITER = 5

_parser = mavlink.MAVLink(None)


def sender(system: int = 1, component: int = 1) -> Any:
    return mavlink.MAVLink(None, srcSystem=system, srcComponent=component)


def wire(msg: Any, mav: Any) -> Any:
    """The message as a GCS receives it: packed by ``mav`` and parsed back from bytes."""
    (parsed,) = _parser.parse_buffer(msg.pack(mav))
    return parsed


def send(state: VehicleState, build: str, *args: Any, now_s: float = 10.0, system: int = 1,
         component: int = 1, **kwargs: Any) -> VehicleState:
    mav = sender(system, component)
    return reduce(state, wire(getattr(mav, build + "_encode")(*args, **kwargs), mav), now_s)


def copter(now_s: float = 1.0, custom_mode: int = COPTER_GUIDED) -> VehicleState:
    """An armed ArduCopter that has sent one heartbeat."""
    return send(initial_state(1), "heartbeat", QUAD, AP, CUSTOM | ARMED, custom_mode,
                mavlink.MAV_STATE_ACTIVE, now_s=now_s)


def test_initial_state() -> None:
    state = initial_state(7, component_id=1)
    assert (state.system_id, state.component_id, state.mode, state.armed) == (7, 1, "UNKNOWN", False)
    assert state.autopilot is Autopilot.UNKNOWN and state.last_heartbeat_s is None
    assert state.last_update_s == 0.0 and state.statustexts == () and state.home is None


# ---- HEARTBEAT -----------------------------------------------------------------------------------


def test_ardupilot_heartbeat_sets_identity_mode_and_armed() -> None:
    state = copter(now_s=12.5)
    assert state.autopilot is Autopilot.ARDUPILOT
    assert (state.vehicle_type, state.mav_type) == ("QUADROTOR", QUAD)
    assert (state.mode, state.base_mode, state.custom_mode) == ("GUIDED", CUSTOM | ARMED, COPTER_GUIDED)
    assert state.armed is True and state.system_status == "ACTIVE"
    assert state.last_heartbeat_s == 12.5 and state.last_update_s == 12.5

    disarmed = send(state, "heartbeat", QUAD, AP, CUSTOM, COPTER_LOITER, mavlink.MAV_STATE_STANDBY,
                    now_s=13.5)
    assert (disarmed.mode, disarmed.armed, disarmed.system_status) == ("LOITER", False, "STANDBY")
    assert state.mode == "GUIDED"  # the old snapshot never changes


def test_px4_heartbeat_reads_main_and_sub_mode() -> None:
    px4 = mavlink.MAV_AUTOPILOT_PX4
    offboard = 6 << 16
    state = send(initial_state(1), "heartbeat", QUAD, px4, CUSTOM | ARMED, offboard, mavlink.MAV_STATE_ACTIVE)
    assert (state.autopilot, state.mode, state.armed) == (Autopilot.PX4, "OFFBOARD", True)
    hold = (4 << 16) | (3 << 24)
    assert send(state, "heartbeat", QUAD, px4, CUSTOM, hold, mavlink.MAV_STATE_STANDBY).mode == "LOITER"


@pytest.mark.parametrize(
    ("component", "mav_type", "autopilot"),
    [(190, mavlink.MAV_TYPE_GCS, mavlink.MAV_AUTOPILOT_INVALID),        # a GCS on the vehicle's id
     (100, mavlink.MAV_TYPE_CAMERA, mavlink.MAV_AUTOPILOT_INVALID),     # ArduSub log: camera
     (194, mavlink.MAV_TYPE_ONBOARD_CONTROLLER, mavlink.MAV_AUTOPILOT_INVALID),  # companion
     (154, mavlink.MAV_TYPE_GIMBAL, mavlink.MAV_AUTOPILOT_GENERIC),     # a gimbal with a valid field
     (1, mavlink.MAV_TYPE_GCS, AP),                                      # GCS type wins over autopilot
     (1, QUAD, mavlink.MAV_AUTOPILOT_INVALID)],                          # INVALID wins over type
)
def test_peripheral_heartbeats_are_ignored(component: int, mav_type: int, autopilot: int) -> None:
    state = copter()
    after = send(state, "heartbeat", mav_type, autopilot, 0, 0, mavlink.MAV_STATE_UNINIT, component=component)
    assert after is state


def test_second_vehicle_component_cannot_flip_mode_but_autopilot_component_takes_over() -> None:
    state = copter()
    imposter = send(state, "heartbeat", QUAD, mavlink.MAV_AUTOPILOT_GENERIC, 0, 0, 0, component=191)
    assert imposter is state
    # A companion heard before the autopilot is followed until component 1 speaks.
    first = send(initial_state(1), "heartbeat", QUAD, mavlink.MAV_AUTOPILOT_GENERIC, 0, 0, 0, component=191)
    assert first.component_id == 191 and first.autopilot is Autopilot.GENERIC
    taken = send(first, "heartbeat", QUAD, AP, CUSTOM, COPTER_LOITER, mavlink.MAV_STATE_STANDBY)
    assert (taken.component_id, taken.autopilot, taken.mode) == (1, Autopilot.ARDUPILOT, "LOITER")


# ---- identity for what the reducer does not use ------------------------------------------------------


def test_unused_messages_bad_data_and_other_systems_return_the_same_object() -> None:
    state = copter()
    mav = sender()
    unused = [
        mav.raw_imu_encode(1, 2, 3, 4, 5, 6, 7, 8, 9, 10),
        mav.param_value_encode(b"WPNAV_SPEED", 500.0, mavlink.MAV_PARAM_TYPE_REAL32, 900, 12),
        mav.command_ack_encode(mavlink.MAV_CMD_DO_SET_MODE, mavlink.MAV_RESULT_ACCEPTED),
    ]
    for msg in unused:
        assert msg.get_type() not in HANDLED_TYPES
        assert reduce(state, wire(msg, mav), 20.0) is state
    assert reduce(state, mavlink.MAVLink_bad_data(b"\xfe\x09\x00", "invalid MAVLink CRC"), 20.0) is state
    assert send(state, "attitude", 0, 1.0, 1.0, 1.0, 0, 0, 0, system=2) is state
    # battery 1 is not the one we show
    assert send(state, "battery_status", 1, 0, 0, 0, [12000] + [65535] * 9, 100, 0, 0, 50) is state


def test_an_encoded_never_packed_message_is_accepted() -> None:
    msg = sender().attitude_encode(0, 0.25, 0.0, 0.0, 0.0, 0.0, 0.0)
    assert msg.get_srcSystem() == 0
    assert reduce(initial_state(1), msg, 1.0).attitude.roll_rad == 0.25


# ---- attitude, position, HUD ---------------------------------------------------------------------------


def test_attitude_in_radians() -> None:
    state = send(copter(), "attitude", 123456, 0.1, -0.2, 3.0, 0.01, -0.02, 0.5, now_s=30.0)
    att = state.attitude
    assert (att.roll_rad, att.pitch_rad, att.yaw_rad) == pytest.approx((0.1, -0.2, 3.0))
    rates = (att.rollspeed_radps, att.pitchspeed_radps, att.yawspeed_radps)
    assert rates == pytest.approx((0.01, -0.02, 0.5))
    assert state.last_update_s == 30.0 and state.mode == "GUIDED"


def test_global_position_int_units() -> None:
    # lat/lon 1e7 deg, alt and relative_alt mm, velocities cm/s, heading cdeg
    state = send(copter(), "global_position_int", 1000, 473977420, 85455940, 488123, 10050, 150, -230, 40,
                 27158)
    pos = state.global_position
    assert (pos.lat_deg, pos.lon_deg) == pytest.approx((47.397742, 8.545594), abs=1e-9)
    assert (pos.alt_msl_m, pos.alt_rel_m) == pytest.approx((488.123, 10.05))
    vel = state.velocity
    assert (vel.north_mps, vel.east_mps, vel.down_mps) == pytest.approx((1.5, -2.3, 0.4))
    assert state.heading_deg == pytest.approx(271.58)

    unknown_heading = send(state, "global_position_int", 1100, 473977430, 85455950, 488000, 10000, 0, 0, 0,
                           65535)
    assert unknown_heading.heading_deg == pytest.approx(271.58)
    assert unknown_heading.global_position.lat_deg == pytest.approx(47.397743)


def test_gps_zero_zero_before_fix_is_harmless() -> None:
    state = send(copter(), "gps_raw_int", 0, 0, 0, 0, 0, 65535, 65535, 0, 0, 255)
    state = send(state, "global_position_int", 0, 0, 0, 0, 0, 0, 0, 0, 65535)
    assert state.global_position == GlobalPosition(0.0, 0.0, 0.0, 0.0)
    gps = state.gps
    assert (gps.fix_type, gps.satellites, gps.hdop, gps.has_fix) == (0, 0, None, False)


def test_local_position_ned() -> None:
    state = send(copter(), "local_position_ned", 1000, 12.5, -3.25, -10.0, 1.0, 0.5, -0.25)
    local = state.local_position
    assert local is not None
    assert (local.x_m, local.y_m, local.z_m, local.vx_mps, local.vy_mps, local.vz_mps) == pytest.approx(
        (12.5, -3.25, -10.0, 1.0, 0.5, -0.25))


def test_vfr_hud_and_heading_precision() -> None:
    state = send(copter(), "vfr_hud", 12.5, 11.75, 90, 43, 502.5, -1.25)
    hud = state.hud
    values = (hud.airspeed_mps, hud.groundspeed_mps, hud.heading_deg, hud.throttle_pct, hud.alt_m,
              hud.climb_mps)
    assert values == pytest.approx((12.5, 11.75, 90.0, 43.0, 502.5, -1.25))
    # VFR_HUD truncates to whole degrees: keep GLOBAL_POSITION_INT's 271.58 while it agrees,
    # follow a real turn.
    state = send(state, "global_position_int", 0, 1, 1, 0, 0, 0, 0, 0, 27158)
    assert send(state, "vfr_hud", 0, 0, 271, 0, 0, 0).heading_deg == pytest.approx(271.58)
    assert send(state, "vfr_hud", 0, 0, 275, 0, 0, 0).heading_deg == 275.0


# ---- power -------------------------------------------------------------------------------------------


def _sys_status(state: VehicleState, mv: int, ca: int, pct: int) -> VehicleState:
    return send(state, "sys_status", 0, 0, 0, 210, mv, ca, pct, 0, 0, 0, 0, 0, 0)


def test_sys_status_battery_units_and_unknowns() -> None:
    battery = _sys_status(copter(), 12600, 1530, 76).battery
    assert (battery.voltage_v, battery.current_a, battery.remaining_pct) == pytest.approx((12.6, 15.3, 76.0))
    unknown = _sys_status(copter(), 11025, -1, -1).battery
    assert unknown.voltage_v == pytest.approx(11.025)
    assert unknown.current_a is None and unknown.remaining_pct is None
    assert _sys_status(copter(), 65535, 0, 100).battery.voltage_v is None
    assert _sys_status(copter(), 16220, 0, 0).battery.current_a == 0.0  # 0 A is a value, not unknown


def test_battery_status_cells_pack_and_unknowns() -> None:
    cells = [4200, 4190, 4180] + [65535] * 7
    battery = send(copter(), "battery_status", 0, 0, 0, 2500, cells, 2250, 1200, 50, 64).battery
    assert (battery.voltage_v, battery.current_a, battery.remaining_pct) == pytest.approx((12.57, 22.5, 64.0))
    pack = [16220] + [65535] * 9  # ArduPilot without cell monitoring: the pack voltage in [0]
    battery = send(copter(), "battery_status", 0, 0, 0, 32767, pack, -1, -1, -1, -1).battery
    assert battery.voltage_v == pytest.approx(16.22)
    assert battery.current_a is None and battery.remaining_pct is None
    ext = [4000] * 10
    battery = send(copter(), "battery_status", 0, 0, 0, 0, ext, 0, 0, 0, 50,
                   voltages_ext=[4000, 4000, 0, 0]).battery
    assert battery.voltage_v == pytest.approx(48.0)  # 12 cells: 10 + 2 extension cells
    none = send(copter(), "battery_status", 0, 0, 0, 0, [65535] * 10, -1, -1, -1, -1).battery
    assert none.voltage_v is None


# ---- GPS, home, landed state -----------------------------------------------------------------------------


def test_gps_raw_int_fix_quality_and_position_until_global_position_int() -> None:
    state = send(copter(), "gps_raw_int", 0, 3, 473977420, 85455940, 488000, 121, 200, 0, 0, 12)
    gps = state.gps
    assert (gps.fix_type, gps.satellites, gps.hdop, gps.has_fix) == (3, 12, 1.21, True)
    assert state.global_position.lat_deg == pytest.approx(47.397742)
    assert state.global_position.lon_deg == pytest.approx(8.545594)
    assert state.global_position.alt_msl_m == pytest.approx(488.0)

    state = send(state, "global_position_int", 0, 473977000, 85455000, 490000, 2000, 0, 0, 0, 0)
    later = send(state, "gps_raw_int", 0, 3, 10, 20, 30, 65535, 0, 0, 0, 255)
    assert later.global_position is state.global_position  # GLOBAL_POSITION_INT owns the position now
    assert (later.gps.satellites, later.gps.hdop) == (0, None)


def test_gps_raw_int_without_fix_does_not_move_the_vehicle() -> None:
    state = send(copter(), "gps_raw_int", 0, 1, 0, 0, 137000, 9999, 65535, 0, 0, 1)
    assert state.global_position == GlobalPosition()
    assert (state.gps.fix_type, state.gps.satellites, state.gps.hdop) == (1, 1, 99.99)


def test_home_position_and_landed_state() -> None:
    state = send(copter(), "home_position", 483861417, -1246305730, 160, 0, 0, 0, [1, 0, 0, 0], 0, 0, 0)
    assert state.home == HomePosition(lat_deg=48.3861417, lon_deg=-124.630573, alt_msl_m=0.16)
    state = send(state, "extended_sys_state", mavlink.MAV_VTOL_STATE_MC, mavlink.MAV_LANDED_STATE_IN_AIR)
    assert state.landed_state == "IN_AIR"
    state = send(state, "extended_sys_state", 0, mavlink.MAV_LANDED_STATE_ON_GROUND)
    assert state.landed_state == "ON_GROUND"


# ---- STATUSTEXT -------------------------------------------------------------------------------------


def test_statustext_is_appended_with_time_severity_and_component() -> None:
    state = send(copter(), "statustext", mavlink.MAV_SEVERITY_WARNING, b"PreArm: GPS not healthy", now_s=42.0,
                 component=1)
    (line,) = state.statustexts
    assert (line.time_s, line.severity, line.component_id) == (42.0, 4, 1)
    assert line.text == "PreArm: GPS not healthy"
    state = send(state, "statustext", mavlink.MAV_SEVERITY_INFO, b"Camera ready", component=100, now_s=43.0)
    assert [t.text for t in state.statustexts] == ["PreArm: GPS not healthy", "Camera ready"]
    assert state.statustexts[-1].component_id == 100


def test_statustext_bytes_nuls_and_chunks() -> None:
    mav = sender()
    raw = mav.statustext_encode(mavlink.MAV_SEVERITY_INFO, b"x")
    raw.text = b"EKF2 IMU0 is using GPS\x00\x00\x00"  # as a bytes-keeping decoder would hand it over
    state = reduce(copter(), raw, 5.0)
    assert state.statustexts[-1].text == "EKF2 IMU0 is using GPS"
    first = "A" * 50
    state = send(state, "statustext", 6, first.encode(), id=7, chunk_seq=0)
    state = send(state, "statustext", 6, b"tail", id=7, chunk_seq=1)
    assert [t.text for t in state.statustexts[-2:]] == [first, "tail"]


def test_statustext_history_is_capped() -> None:
    state = copter()
    for i in range(STATUSTEXT_KEEP + 10):
        state = send(state, "statustext", 6, f"line {i}".encode(), now_s=float(i))
    assert len(state.statustexts) == STATUSTEXT_KEEP
    assert state.statustexts[0].text == "line 10"
    assert state.statustexts[-1].text == f"line {STATUSTEXT_KEEP + 9}"


def test_every_used_message_stamps_last_update_and_leaves_the_rest() -> None:
    state = copter(now_s=1.0)
    after = send(state, "attitude", 0, 0.5, 0, 0, 0, 0, 0, now_s=2.0)
    assert after is not state and after.last_update_s == 2.0
    assert after.last_heartbeat_s == 1.0 and after.mode == state.mode and after.battery is state.battery
    assert state.attitude.roll_rad == 0.0  # the input is never mutated
