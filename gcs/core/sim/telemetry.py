"""Telemetry: one builder per MAVLink message, and the stream scheduler with its intervals.

Default rates are what PX4 and ArduPilot send a GCS link; MAV_CMD_SET_MESSAGE_INTERVAL and the
older REQUEST_DATA_STREAM change them. Scheduling runs on ``time.monotonic()`` deadlines, so the
rates hold however long each loop iteration took.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.autopilot import SimAutopilot
from gcs.core.sim.modes import Behaviour
from gcs.core.sim.sensors import ARDUPILOT_ONLY, COMMON, PX4_ONLY

M = mavlink
Builder = Callable[[SimAutopilot, float], Any]  # returns a MAVLink message or None

UINT16_MAX = 65535
INT16_MAX = 32767

# Default streams: message id -> interval in seconds
DEFAULT_INTERVALS: dict[int, float] = {
    M.MAVLINK_MSG_ID_HEARTBEAT: 1.0,
    M.MAVLINK_MSG_ID_ATTITUDE: 1.0 / 50,
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: 1.0 / 10,
    M.MAVLINK_MSG_ID_LOCAL_POSITION_NED: 1.0 / 10,
    M.MAVLINK_MSG_ID_VFR_HUD: 1.0 / 10,
    M.MAVLINK_MSG_ID_SYS_STATUS: 1.0 / 2,
    M.MAVLINK_MSG_ID_BATTERY_STATUS: 1.0,
    M.MAVLINK_MSG_ID_GPS_RAW_INT: 1.0 / 5,
    M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: 1.0 / 2,
    M.MAVLINK_MSG_ID_HOME_POSITION: 2.0,
}

# ArduPilot's REQUEST_DATA_STREAM groups (only the members this sim produces)
DATA_STREAMS: dict[int, tuple[int, ...]] = {
    M.MAV_DATA_STREAM_EXTENDED_STATUS: (M.MAVLINK_MSG_ID_SYS_STATUS, M.MAVLINK_MSG_ID_GPS_RAW_INT,
                                        M.MAVLINK_MSG_ID_POSITION_TARGET_LOCAL_NED, M.MAVLINK_MSG_ID_MISSION_CURRENT),
    M.MAV_DATA_STREAM_RAW_SENSORS: (M.MAVLINK_MSG_ID_RAW_IMU, M.MAVLINK_MSG_ID_SCALED_IMU),
    M.MAV_DATA_STREAM_RC_CHANNELS: (M.MAVLINK_MSG_ID_SERVO_OUTPUT_RAW,),
    M.MAV_DATA_STREAM_POSITION: (M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT, M.MAVLINK_MSG_ID_LOCAL_POSITION_NED),
    M.MAV_DATA_STREAM_EXTRA1: (M.MAVLINK_MSG_ID_ATTITUDE,),
    M.MAV_DATA_STREAM_EXTRA2: (M.MAVLINK_MSG_ID_VFR_HUD,),
    M.MAV_DATA_STREAM_EXTRA3: (M.MAVLINK_MSG_ID_BATTERY_STATUS, M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE,
                               M.MAVLINK_MSG_ID_SYSTEM_TIME),
}

MIN_INTERVAL_S = 0.01  # the physics rate: nothing new to say faster than this


def _boot_ms(ap: SimAutopilot, now: float) -> int:
    return int((now - ap.boot_time) * 1000) & 0xFFFFFFFF


def _heading_cdeg(yaw: float) -> int:
    return round(math.degrees(yaw) % 360.0 * 100) % 36000


def heartbeat(ap: SimAutopilot, now: float) -> Any:
    base, custom = ap.modes.heartbeat(ap.mode, ap.armed)
    status = M.MAV_STATE_ACTIVE if ap.armed else M.MAV_STATE_STANDBY
    return M.MAVLink_heartbeat_message(M.MAV_TYPE_QUADROTOR, ap.modes.autopilot, base, custom, status, 3)


def attitude(ap: SimAutopilot, now: float) -> Any:
    b = ap.body
    return M.MAVLink_attitude_message(_boot_ms(ap, now), b.roll_rad, b.pitch_rad, b.yaw_rad,
                                      b.roll_rate, b.pitch_rate, b.yaw_rate)


def global_position_int(ap: SimAutopilot, now: float) -> Any:
    if not ap.gps_fix:
        return None  # no global position estimate yet
    b = ap.body
    lat, lon, alt = ap.ned_to_global(b.north_m, b.east_m, b.down_m)
    return M.MAVLink_global_position_int_message(
        _boot_ms(ap, now), round(lat * 1e7), round(lon * 1e7), round(alt * 1000), round(ap.alt_rel_m * 1000),
        round(b.vn * 100), round(b.ve * 100), round(b.vd * 100), _heading_cdeg(b.yaw_rad),
    )


def local_position_ned(ap: SimAutopilot, now: float) -> Any:
    b = ap.body
    ms = _boot_ms(ap, now)
    return M.MAVLink_local_position_ned_message(ms, b.north_m, b.east_m, b.down_m, b.vn, b.ve, b.vd)


def vfr_hud(ap: SimAutopilot, now: float) -> Any:
    b = ap.body
    throttle = ap.battery.throttle_pct(ap.armed, not ap.landed, ap.battery.current_a)
    _, _, alt = ap.ned_to_global(b.north_m, b.east_m, b.down_m)
    heading = int(math.degrees(b.yaw_rad) % 360.0) % 360
    return M.MAVLink_vfr_hud_message(b.groundspeed, b.groundspeed, heading, throttle, alt, -b.vd)


_SENSORS = (
    M.MAV_SYS_STATUS_SENSOR_3D_GYRO | M.MAV_SYS_STATUS_SENSOR_3D_ACCEL | M.MAV_SYS_STATUS_SENSOR_3D_MAG
    | M.MAV_SYS_STATUS_SENSOR_ABSOLUTE_PRESSURE | M.MAV_SYS_STATUS_SENSOR_GPS
    | M.MAV_SYS_STATUS_SENSOR_ANGULAR_RATE_CONTROL | M.MAV_SYS_STATUS_SENSOR_ATTITUDE_STABILIZATION
    | M.MAV_SYS_STATUS_SENSOR_YAW_POSITION | M.MAV_SYS_STATUS_SENSOR_Z_ALTITUDE_CONTROL
    | M.MAV_SYS_STATUS_SENSOR_XY_POSITION_CONTROL | M.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS
    | M.MAV_SYS_STATUS_SENSOR_BATTERY
)


_PREARM = M.MAV_SYS_STATUS_PREARM_CHECK
# ArduCopter with its default FENCE_TYPE and FENCE_ENABLE 0 reports the geofence present, not enabled
# and healthy (MAVProxy says "fence present", never "fence breach"); the sim has no fence to enforce,
# so it refuses FENCE_ENABLE 1 (params.py) and the bit stays so. PX4 reports no geofence bit.
_FENCE = M.MAV_SYS_STATUS_GEOFENCE


def sys_status(ap: SimAutopilot, now: float) -> Any:
    bat = ap.battery
    present = _SENSORS | _PREARM | (0 if ap.px4 else _FENCE)
    enabled = present & ~_FENCE if ap.armed else present & ~(M.MAV_SYS_STATUS_SENSOR_MOTOR_OUTPUTS | _FENCE)
    health = present if ap.gps_fix else present & ~M.MAV_SYS_STATUS_SENSOR_GPS
    if bat.remaining_pct < 15.0:
        health &= ~M.MAV_SYS_STATUS_SENSOR_BATTERY
    if not ap.armable:  # MAVSDK's health.is_armable, QGC's "Ready To Fly"
        health &= ~_PREARM
    return M.MAVLink_sys_status_message(
        present, enabled, health | _FENCE, 250, round(bat.voltage_v * 1000), round(bat.current_a * 100),
        round(bat.remaining_pct), 0, 0, 0, 0, 0, 0,
    )


def battery_status(ap: SimAutopilot, now: float) -> Any:
    bat = ap.battery
    cell_mv = round(bat.cell_voltage_v * 1000)
    voltages = [cell_mv if i < bat.cells else UINT16_MAX for i in range(10)]
    ext = [cell_mv if 10 + i < bat.cells else 0 for i in range(4)]
    time_left = int(bat.remaining_frac * bat.capacity_mah / 1000.0 / max(bat.current_a, 0.1) * 3600)
    pct = bat.remaining_pct
    charge = (M.MAV_BATTERY_CHARGE_STATE_OK if pct >= 30 else M.MAV_BATTERY_CHARGE_STATE_LOW if pct >= 15
              else M.MAV_BATTERY_CHARGE_STATE_CRITICAL)
    return M.MAVLink_battery_status_message(
        0, M.MAV_BATTERY_FUNCTION_ALL, M.MAV_BATTERY_TYPE_LIPO, INT16_MAX, voltages,
        round(bat.current_a * 100), round(bat.consumed_mah), -1, round(pct), time_left, charge, ext,
    )


def gps_raw_int(ap: SimAutopilot, now: float) -> Any:
    b = ap.body
    usec = int((now - ap.boot_time) * 1e6)
    if not ap.gps_fix:
        return M.MAVLink_gps_raw_int_message(usec, M.GPS_FIX_TYPE_NO_FIX, 0, 0, 0, UINT16_MAX, UINT16_MAX,
                                             UINT16_MAX, UINT16_MAX, 3)
    lat, lon, alt = ap.ned_to_global(b.north_m, b.east_m, b.down_m)
    cog = round(math.degrees(math.atan2(b.ve, b.vn)) % 360.0 * 100) % 36000 if b.groundspeed > 0.2 else 0
    return M.MAVLink_gps_raw_int_message(
        usec, M.GPS_FIX_TYPE_3D_FIX, round(lat * 1e7), round(lon * 1e7), round(alt * 1000), 80, 120,
        round(b.groundspeed * 100), cog, 12, round((alt + 47.0) * 1000), 800, 1200, 200, 0,
    )


def extended_sys_state(ap: SimAutopilot, now: float) -> Any:
    return M.MAVLink_extended_sys_state_message(M.MAV_VTOL_STATE_UNDEFINED, ap.landed_state)


def home_position(ap: SimAutopilot, now: float) -> Any:
    if ap.home is None:
        return None
    n, e, d = ap.home
    lat, lon, alt = ap.ned_to_global(n, e, d)
    usec = int((now - ap.boot_time) * 1e6)
    return M.MAVLink_home_position_message(round(lat * 1e7), round(lon * 1e7), round(alt * 1000), n, e, d,
                                           [1.0, 0.0, 0.0, 0.0], 0.0, 0.0, 0.0, usec)


def system_time(ap: SimAutopilot, now: float) -> Any:
    return M.MAVLink_system_time_message(int(time.time() * 1e6), _boot_ms(ap, now))


def position_target_local_ned(ap: SimAutopilot, now: float) -> Any:
    if ap.behaviour is not Behaviour.EXTERNAL or ap.last_setpoint is None:
        return None
    sp = ap.last_setpoint
    return M.MAVLink_position_target_local_ned_message(
        _boot_ms(ap, now), M.MAV_FRAME_LOCAL_NED, sp.type_mask, sp.x, sp.y, sp.z, sp.vx, sp.vy, sp.vz,
        0.0, 0.0, 0.0, sp.yaw, sp.yaw_rate,
    )


PX4_VERSION = (1 << 24) | (14 << 16) | (3 << 8) | 255  # v1.14.3 official
ARDUPILOT_VERSION = (4 << 24) | (5 << 16) | (7 << 8) | 255  # v4.5.7 official


def autopilot_version(ap: SimAutopilot, now: float) -> Any:
    caps = (
        M.MAV_PROTOCOL_CAPABILITY_MAVLINK2 | M.MAV_PROTOCOL_CAPABILITY_COMMAND_INT
        | M.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_LOCAL_NED
        | M.MAV_PROTOCOL_CAPABILITY_SET_POSITION_TARGET_GLOBAL_INT | M.MAV_PROTOCOL_CAPABILITY_PARAM_FLOAT
        # the mission protocol (mission_store.py) with fence and rally; MAVSDK refuses missions
        # ("Int Messages Not Supported") to a vehicle that does not say MISSION_INT. No FTP bit: NAKed.
        | M.MAV_PROTOCOL_CAPABILITY_MISSION_INT | M.MAV_PROTOCOL_CAPABILITY_MISSION_FENCE
        | M.MAV_PROTOCOL_CAPABILITY_MISSION_RALLY
    )
    if not ap.px4:
        caps |= M.MAV_PROTOCOL_CAPABILITY_MISSION_FLOAT  # ArduPilot also takes MISSION_ITEM
    if ap.px4:
        caps |= M.MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_BYTEWISE
    else:
        caps |= M.MAV_PROTOCOL_CAPABILITY_PARAM_ENCODE_C_CAST
    version = PX4_VERSION if ap.px4 else ARDUPILOT_VERSION
    uid = 0x4B45535452454C00 | ap.cfg.system_id  # "KESTREL" + sysid
    return M.MAVLink_autopilot_version_message(caps, version, 0, 0, 0, [0] * 8, [0] * 8, [0] * 8, 0, 0, uid)


BUILDERS: dict[int, Builder] = {
    M.MAVLINK_MSG_ID_HEARTBEAT: heartbeat,
    M.MAVLINK_MSG_ID_ATTITUDE: attitude,
    M.MAVLINK_MSG_ID_GLOBAL_POSITION_INT: global_position_int,
    M.MAVLINK_MSG_ID_LOCAL_POSITION_NED: local_position_ned,
    M.MAVLINK_MSG_ID_VFR_HUD: vfr_hud,
    M.MAVLINK_MSG_ID_SYS_STATUS: sys_status,
    M.MAVLINK_MSG_ID_BATTERY_STATUS: battery_status,
    M.MAVLINK_MSG_ID_GPS_RAW_INT: gps_raw_int,
    M.MAVLINK_MSG_ID_EXTENDED_SYS_STATE: extended_sys_state,
    M.MAVLINK_MSG_ID_HOME_POSITION: home_position,
    M.MAVLINK_MSG_ID_SYSTEM_TIME: system_time,
    M.MAVLINK_MSG_ID_POSITION_TARGET_LOCAL_NED: position_target_local_ned,
    M.MAVLINK_MSG_ID_AUTOPILOT_VERSION: autopilot_version,
    **COMMON, **PX4_ONLY, **ARDUPILOT_ONLY,
}
STREAMABLE = frozenset(BUILDERS) - {M.MAVLINK_MSG_ID_AUTOPILOT_VERSION}
PX4_STREAMABLE = STREAMABLE - frozenset(ARDUPILOT_ONLY)
ARDUPILOT_STREAMABLE = STREAMABLE - frozenset(PX4_ONLY)
ARDUPILOT_DEFAULTS = {M.MAVLINK_MSG_ID_MISSION_CURRENT: 1.0}
PX4_DEFAULTS = {M.MAVLINK_MSG_ID_MISSION_CURRENT: 1.0}  # PX4's GCS stream sends it too


def streamable(px4: bool) -> frozenset[int]:
    """The messages this flavour's autopilot can stream (SET_MESSAGE_INTERVAL accepts these)."""
    return PX4_STREAMABLE if px4 else ARDUPILOT_STREAMABLE


class StreamScheduler:
    """Which message is due when. Interval None = not streamed."""

    def __init__(self, now: float, px4: bool = True) -> None:
        self.streamable = streamable(px4)
        self._defaults = {**DEFAULT_INTERVALS, **(PX4_DEFAULTS if px4 else ARDUPILOT_DEFAULTS)}
        self._interval: dict[int, float | None] = {mid: self._defaults.get(mid) for mid in self.streamable}
        # stagger first sends a little so a burst does not leave all at once
        self._due: dict[int, float] = {mid: now + 0.001 * i for i, mid in enumerate(sorted(self.streamable))}
        self._due[M.MAVLINK_MSG_ID_HEARTBEAT] = now

    def interval_s(self, msg_id: int) -> float | None:
        return self._interval.get(msg_id)

    def set_interval_us(self, msg_id: int, interval_us: float, now: float) -> bool:
        """MAV_CMD_SET_MESSAGE_INTERVAL semantics: -1 off, 0 default, >0 microseconds."""
        if msg_id not in self.streamable or not math.isfinite(interval_us):
            return False
        if interval_us < 0:
            self._interval[msg_id] = None
        elif interval_us == 0:
            self._interval[msg_id] = self._defaults.get(msg_id)
        else:
            self._interval[msg_id] = max(MIN_INTERVAL_S, interval_us / 1e6)
        self._due[msg_id] = now
        return True

    def set_rate_hz(self, msg_id: int, rate_hz: float, now: float) -> None:
        if msg_id in self.streamable:
            self.set_interval_us(msg_id, 1e6 / rate_hz if rate_hz > 0 else -1, now)

    def due(self, now: float) -> list[int]:
        """Message ids to send now; each deadline moves on by its interval (no drift, no bursts)."""
        out: list[int] = []
        for mid, interval in self._interval.items():
            if interval is None or now < self._due[mid]:
                continue
            out.append(mid)
            nxt = self._due[mid] + interval
            self._due[mid] = nxt if nxt > now else now + interval
        out.sort(key=lambda m: m != M.MAVLINK_MSG_ID_HEARTBEAT)  # heartbeat first
        return out
