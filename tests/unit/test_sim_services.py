# ruff: noqa: F811 - the shared fixtures are imported from test_sim_udp by name
"""What third-party ground stations ask of an autopilot, over real UDP with pymavlink.

MAVSDK reads pre-arm health from SYS_STATUS, MAVProxy the geofence bit and ARMING_CHECK; both try
MAVFTP and fall back only once it is refused; ArduPilot's empty mission holds home (the mission protocol
itself is tested in tests/integration/test_missions_sim.py).
"""

from __future__ import annotations

import struct
import time

import pytest
from test_sim_udp import ACCEPTED, gcs_for, sims  # noqa: F401 - fixtures

from gcs.core.mavlink_env import mavlink, mavutil

M = mavlink
PREARM = M.MAV_SYS_STATUS_PREARM_CHECK
FENCE = M.MAV_SYS_STATUS_GEOFENCE


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_prearm_health_follows_gps_fix_and_fence_is_healthy(sims, gcs_for, flavour: str) -> None:
    sim = sims(flavour=flavour, gps_fix_delay_s=1.0)
    gcs = gcs_for(sim)
    before = gcs.wait("SYS_STATUS")
    assert before.onboard_control_sensors_present & PREARM and before.onboard_control_sensors_enabled & PREARM
    assert not before.onboard_control_sensors_health & PREARM  # no fix: not armable
    assert before.onboard_control_sensors_health & FENCE  # no breach (MAVProxy: no "fence breach")
    assert not before.onboard_control_sensors_enabled & FENCE
    if flavour == "ardupilot":  # as ArduCopter's SITL: FENCE_TYPE set, FENCE_ENABLE 0
        assert before.onboard_control_sensors_present & FENCE
    after = gcs.wait("SYS_STATUS", lambda m: m.onboard_control_sensors_health & PREARM, 3.0)
    assert after.onboard_control_sensors_health & FENCE
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == ACCEPTED


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_capabilities_are_honest_and_mavftp_is_refused_at_once(sims, gcs_for, flavour: str) -> None:
    gcs = gcs_for(sims(flavour=flavour))
    since = gcs.mark()
    assert gcs.command(M.MAV_CMD_REQUEST_MESSAGE, M.MAVLINK_MSG_ID_AUTOPILOT_VERSION) == ACCEPTED
    caps = gcs.wait("AUTOPILOT_VERSION", since=since).capabilities
    assert not caps & M.MAV_PROTOCOL_CAPABILITY_FTP
    missions = (M.MAV_PROTOCOL_CAPABILITY_MISSION_INT | M.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
                | M.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY)
    assert caps & missions == missions  # the mission protocol is there (MAVSDK checks MISSION_INT)
    assert bool(caps & M.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT) == (flavour == "ardupilot")
    since = gcs.mark()
    open_ro = struct.pack("<HBBBBBBI", 41, 0, 4, 17, 0, 0, 0, 0) + b"@PARAM/param.pck"
    gcs.conn.mav.file_transfer_protocol_send(0, 1, 1, list(open_ro.ljust(251, b"\0")))
    reply = gcs.wait("FILE_TRANSFER_PROTOCOL", timeout=1.0, since=since)
    assert reply.target_system == 255 and reply.target_component == 190
    seq, _session, opcode, size, req_opcode = struct.unpack_from("<HBBBB", bytes(reply.payload))
    assert (seq, opcode, size, req_opcode, reply.payload[12]) == (42, 129, 1, 4, 7)  # NAK UnknownCommand


def test_ardupilot_mission_is_home_and_an_upload_asks_for_its_items(sims, gcs_for) -> None:
    sim = sims(flavour="ardupilot")
    gcs = gcs_for(sim)
    current = gcs.wait("MISSION_CURRENT", timeout=2.0)
    assert (current.seq, current.total, current.mission_state) == (0, 0, M.MISSION_STATE_NO_MISSION)  # as SITL
    assert gcs.command(M.MAV_CMD_COMPONENT_ARM_DISARM, 1) == ACCEPTED  # sets home
    since = gcs.mark()
    gcs.conn.mav.mission_request_list_send(1, 1, M.MAV_MISSION_TYPE_MISSION)
    assert gcs.wait("MISSION_COUNT", since=since).count == 1
    gcs.conn.mav.mission_request_int_send(1, 1, 0, M.MAV_MISSION_TYPE_MISSION)
    home = gcs.wait("MISSION_ITEM_INT", since=since)
    snap = sim.snapshot()
    assert home.seq == 0 and home.command == M.MAV_CMD_NAV_WAYPOINT
    assert home.x / 1e7 == pytest.approx(snap.lat_deg, abs=1e-6)
    assert home.y / 1e7 == pytest.approx(snap.lon_deg, abs=1e-6)
    gcs.conn.mav.mission_request_list_send(1, 1, M.MAV_MISSION_TYPE_FENCE)
    assert gcs.wait("MISSION_COUNT", lambda m: m.mission_type == M.MAV_MISSION_TYPE_FENCE, since=since).count == 0
    since = gcs.mark()
    gcs.conn.mav.mission_count_send(1, 1, 2, M.MAV_MISSION_TYPE_MISSION)
    assert gcs.wait("MISSION_REQUEST", timeout=1.0, since=since).seq == 0  # ArduPilot asks without _INT


def test_px4_mission_is_empty_and_streams_mission_current(sims, gcs_for) -> None:
    gcs = gcs_for(sims(flavour="px4"))
    since = gcs.mark()
    gcs.conn.mav.mission_request_list_send(1, 1, M.MAV_MISSION_TYPE_MISSION)
    assert gcs.wait("MISSION_COUNT", since=since).count == 0
    assert gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, M.MAVLINK_MSG_ID_MISSION_CURRENT, 100_000) == ACCEPTED
    assert gcs.wait("MISSION_CURRENT", timeout=1.0, since=since).mission_state == M.MISSION_STATE_NO_MISSION


@pytest.mark.parametrize(("flavour", "mode"), [("px4", "LOITER"), ("ardupilot", "GUIDED")])
def test_legacy_set_mode_message_is_obeyed_without_an_ack(sims, gcs_for, flavour: str, mode: str) -> None:
    sim = sims(flavour=flavour)
    gcs = gcs_for(sim)
    since = gcs.mark()
    if flavour == "px4":
        base, main, sub = mavutil.px4_map[mode]
        custom = (main << 16) | (sub << 24)
    else:
        base, custom = M.MAV_MODE_FLAG_CUSTOM_MODE_ENABLED, {v: k for k, v in mavutil.mode_mapping_acm.items()}[mode]
    gcs.conn.mav.set_mode_send(1, base, custom)
    gcs.wait("HEARTBEAT", lambda m: mavutil.mode_string_v10(m) == mode, 2.0, since)
    assert sim.snapshot().mode == mode
    time.sleep(0.3)
    assert not gcs.of("COMMAND_ACK", since)  # ArduCopter 4.7's SITL acknowledges no SET_MODE either


STREAMS = {
    "px4": ["ATTITUDE_QUATERNION", "ALTITUDE", "SYSTEM_TIME", "HIGHRES_IMU", "SCALED_IMU", "SERVO_OUTPUT_RAW",
            "ACTUATOR_OUTPUT_STATUS"],
    "ardupilot": ["ATTITUDE_QUATERNION", "SYSTEM_TIME", "HIGHRES_IMU", "RAW_IMU", "SCALED_IMU", "SERVO_OUTPUT_RAW"],
}
# what the real autopilot refuses (ArduCopter SITL: MAV_RESULT_FAILED, and never sends them)
REFUSED = {"px4": ["RAW_IMU"], "ardupilot": ["ALTITUDE", "ACTUATOR_OUTPUT_STATUS"]}


@pytest.mark.parametrize("flavour", ["px4", "ardupilot"])
def test_set_message_interval_accepts_what_the_flavour_streams(sims, gcs_for, flavour: str) -> None:
    sim = sims(flavour=flavour)
    gcs = gcs_for(sim)
    for name in STREAMS[flavour]:
        mid = getattr(M, f"MAVLINK_MSG_ID_{name}")
        assert gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, mid, 50_000) == ACCEPTED, name  # 20 Hz
    time.sleep(0.3)
    since = gcs.mark()
    time.sleep(1.0)
    for name in STREAMS[flavour]:
        assert 12 <= len(gcs.of(name, since)) <= 28, name
    unix_s = gcs.of("SYSTEM_TIME", since)[-1].time_unix_usec / 1e6
    assert unix_s == pytest.approx(time.time(), abs=5.0)
    imu = gcs.of("SCALED_IMU", since)[-1]
    assert imu.zacc == pytest.approx(-1000, abs=20)  # 1 g up at rest, in mG
    quat = gcs.of("ATTITUDE_QUATERNION", since)[-1]
    assert quat.q1**2 + quat.q2**2 + quat.q3**2 + quat.q4**2 == pytest.approx(1.0)
    for name in REFUSED[flavour]:
        mid = getattr(M, f"MAVLINK_MSG_ID_{name}")
        assert gcs.command(M.MAV_CMD_SET_MESSAGE_INTERVAL, mid, 50_000) == M.MAV_RESULT_FAILED, name
        refused = M.MAV_RESULT_DENIED if flavour == "px4" else M.MAV_RESULT_FAILED
        assert gcs.command(M.MAV_CMD_REQUEST_MESSAGE, mid) == refused, name


def test_ardupilot_has_arming_check_enabled(sims, gcs_for) -> None:
    gcs = gcs_for(sims(flavour="ardupilot"))
    since = gcs.mark()
    gcs.conn.mav.param_request_read_send(1, 1, b"ARMING_CHECK", -1)
    param = gcs.wait("PARAM_VALUE", since=since)
    assert param.param_id == "ARMING_CHECK" and param.param_value == 1.0
    since = gcs.mark()
    gcs.conn.mav.param_set_send(1, 1, b"FENCE_ENABLE", 1.0, M.MAV_PARAM_TYPE_INT8)  # no fence to enforce
    echo = gcs.wait("PARAM_VALUE", lambda m: m.param_id == "FENCE_ENABLE", since=since)
    assert echo.param_value == 0.0
    assert "FENCE_ENABLE" in gcs.wait("STATUSTEXT", since=since).text
