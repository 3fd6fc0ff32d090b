"""Telemetry reducer: pure functions folding MAVLink messages into an immutable VehicleState.

``reduce(state, msg, now_s)`` returns a new state for the messages it uses and the *very same*
object for everything else (BAD_DATA, unused types, another system id, ignored heartbeats), so a
caller can skip publishing with ``new is old``. It runs once per message of a replay (~100k/s), so
handlers build objects with :func:`gcs.core.models.evolve` and a dict dispatch, never
``dataclasses.replace``.

Which component drives the state (one vehicle = one system id, e.g. ArduSub with a camera at
component 100 and a companion at 194):

- Telemetry (ATTITUDE, GLOBAL_POSITION_INT, ...) is accepted from any component of the system:
  only the autopilot sends these messages in practice, and dropping a relayed copy would hide a
  vehicle whose autopilot is not component 1.
- HEARTBEAT sets mode/armed/type only when it comes from a vehicle: autopilot field not INVALID
  and type not a peripheral (GCS, camera, gimbal, companion ...). Among such heartbeats, the
  component we already follow wins, except that MAV_COMP_ID_AUTOPILOT1 may always take over, so
  a companion pretending to be a vehicle cannot flip the mode back and forth.

Units on the wire -> state: 1e7 deg -> deg, mm -> m, cm/s -> m/s, cdeg -> deg, mV -> V,
cA -> A; "unknown" sentinels (-1, 65535, 255) become None or 0 as documented per handler.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from gcs.core.mavlink_env import enum_name, mavlink
from gcs.core.models import (
    STATUSTEXT_KEEP,
    Attitude,
    Battery,
    GlobalPosition,
    Gps,
    HomePosition,
    Hud,
    LocalPositionNed,
    StatusText,
    VehicleState,
    VelocityNed,
    evolve,
)
from gcs.core.vehicle.flavours import autopilot_from_heartbeat, flavour_for

MavMessage = Any  # a pymavlink MAVLink_message (untyped)
Handler = Callable[[VehicleState, MavMessage, float], VehicleState]

UINT16_UNKNOWN = 65535
_ARMED = mavlink.MAV_MODE_FLAG_SAFETY_ARMED
_AUTOPILOT_COMPONENT = mavlink.MAV_COMP_ID_AUTOPILOT1
_INVALID_AUTOPILOT = mavlink.MAV_AUTOPILOT_INVALID
# Heartbeat types that are peripherals riding on a vehicle's system id, never the vehicle itself.
_PERIPHERAL_TYPES = frozenset(
    getattr(mavlink, f"MAV_TYPE_{name}")
    for name in (
        "GCS", "ONBOARD_CONTROLLER", "GIMBAL", "CAMERA", "ADSB", "SERVO", "ODID", "BATTERY",
        "CHARGING_STATION", "FLARM", "LOG", "OSD", "IMU", "GPS", "WINCH", "ILLUMINATOR", "PARACHUTE",
        "GRIPPER",
    )
    if hasattr(mavlink, f"MAV_TYPE_{name}")
)

# Identity marks "no GLOBAL_POSITION_INT yet": every GLOBAL_POSITION_INT stores a new VelocityNed,
# so while this object is still in place GPS_RAW_INT may fill the position.
_NO_VELOCITY = VelocityNed()


_set_attr = object.__setattr__


def _new(cls: type[Any], fields: dict[str, Any]) -> Any:
    """Build a frozen dataclass from a fresh, complete field dict, skipping its slow ``__init__``.

    The dict becomes the instance's ``__dict__`` (callers pass a new literal, never a shared one);
    that is about twice as fast as filling the empty key-sharing dict of a new instance.
    """
    obj = object.__new__(cls)
    _set_attr(obj, "__dict__", fields)
    return obj


def initial_state(system_id: int, component_id: int = 1) -> VehicleState:
    """State of a vehicle known only by its ids; start every reduction from here."""
    return evolve(VehicleState(system_id=system_id, component_id=component_id), velocity=_NO_VELOCITY)


def reduce(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    """Fold one message into ``state``; unused messages return ``state`` itself (identity)."""
    handler = _HANDLERS.get(msg.get_type())
    if handler is None:
        return state
    source = msg.get_srcSystem()
    if source != state.system_id and source != 0:  # 0: encoded here, never packed (tests, sim)
        return state
    return handler(state, msg, now_s)


# ---- HEARTBEAT ---------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _describe_heartbeat(autopilot_field: int, mav_type: int, base_mode: int, custom_mode: int,
                        system_status: int) -> dict[str, Any]:
    """Everything a heartbeat says, memoised: a replay repeats the same few tuples every second."""
    autopilot = autopilot_from_heartbeat(autopilot_field)
    return {
        "autopilot": autopilot,
        "mav_type": mav_type,
        "vehicle_type": enum_name("MAV_TYPE", mav_type),
        "base_mode": base_mode,
        "custom_mode": custom_mode,
        "mode": flavour_for(autopilot).mode_name(base_mode, custom_mode, mav_type),
        "armed": bool(base_mode & _ARMED),
        "system_status": enum_name("MAV_STATE", system_status),
    }


def _heartbeat(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    if msg.type in _PERIPHERAL_TYPES or msg.autopilot == _INVALID_AUTOPILOT:
        return state
    component = msg.get_srcComponent()
    if (component != state.component_id and component != _AUTOPILOT_COMPONENT
            and state.last_heartbeat_s is not None):
        return state  # a second "vehicle" component: keep following the one we have
    fields = _describe_heartbeat(msg.autopilot, msg.type, msg.base_mode, msg.custom_mode, msg.system_status)
    return evolve(state, component_id=component, last_heartbeat_s=now_s, last_update_s=now_s, **fields)


# ---- attitude, position, velocity --------------------------------------------------------------


def _attitude(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    att = _new(Attitude, {
        "roll_rad": msg.roll, "pitch_rad": msg.pitch, "yaw_rad": msg.yaw,
        "rollspeed_radps": msg.rollspeed, "pitchspeed_radps": msg.pitchspeed,
        "yawspeed_radps": msg.yawspeed,
    })
    return evolve(state, attitude=att, last_update_s=now_s)


def _global_position_int(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    """lat/lon 1e7 deg, alt/relative_alt mm, vx/vy/vz cm/s NED, hdg cdeg (65535 unknown)."""
    pos = _new(GlobalPosition, {
        "lat_deg": msg.lat / 1e7, "lon_deg": msg.lon / 1e7,
        "alt_msl_m": msg.alt / 1000.0, "alt_rel_m": msg.relative_alt / 1000.0,
    })
    vel = _new(VelocityNed, {
        "north_mps": msg.vx / 100.0, "east_mps": msg.vy / 100.0, "down_mps": msg.vz / 100.0,
    })
    hdg = msg.hdg
    if hdg == UINT16_UNKNOWN:
        return evolve(state, global_position=pos, velocity=vel, last_update_s=now_s)
    hud = evolve(state.hud, heading_deg=hdg / 100.0)
    return evolve(state, global_position=pos, velocity=vel, hud=hud, last_update_s=now_s)


def _local_position_ned(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    local = _new(LocalPositionNed, {
        "x_m": msg.x, "y_m": msg.y, "z_m": msg.z, "vx_mps": msg.vx, "vy_mps": msg.vy, "vz_mps": msg.vz,
    })
    return evolve(state, local_position=local, last_update_s=now_s)


def _vfr_hud(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    """VFR_HUD heading is whole degrees (truncated); keep the finer GLOBAL_POSITION_INT one if it agrees."""
    heading: float = msg.heading
    previous = state.hud.heading_deg
    if int(previous) == heading:
        heading = previous
    hud = _new(Hud, {
        "airspeed_mps": msg.airspeed, "groundspeed_mps": msg.groundspeed, "heading_deg": heading,
        "throttle_pct": float(msg.throttle), "alt_m": msg.alt, "climb_mps": msg.climb,
    })
    return evolve(state, hud=hud, last_update_s=now_s)


# ---- power, GPS, home, landed state --------------------------------------------------------------


def _battery(voltage_mv: int | None, current_ca: int, remaining: int) -> Battery:
    result: Battery = _new(Battery, {
        "voltage_v": None if voltage_mv is None else voltage_mv / 1000.0,
        "current_a": None if current_ca == -1 else current_ca / 100.0,
        "remaining_pct": None if remaining == -1 else float(remaining),
    })
    return result


def _sys_status(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    """voltage_battery mV (65535 unknown), current_battery cA (-1 unknown), battery_remaining % (-1)."""
    mv = msg.voltage_battery
    battery = _battery(None if mv == UINT16_UNKNOWN else mv, msg.current_battery, msg.battery_remaining)
    health = evolve(
        state.health,
        sensors_present=msg.onboard_control_sensors_present,
        sensors_enabled=msg.onboard_control_sensors_enabled,
        sensors_health=msg.onboard_control_sensors_health,
    )
    return evolve(state, battery=battery, health=health, last_update_s=now_s)


def _ekf_status_report(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    return evolve(state, health=evolve(state.health, ekf_flags=msg.flags), last_update_s=now_s)


def _fence_status(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    health = evolve(state.health, fence_breached=bool(msg.breach_status), fence_breach_type=msg.breach_type)
    return evolve(state, health=health, last_update_s=now_s)


def _battery_status(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    """Battery 0 only. voltages[] are cells in mV (65535 unused); ArduPilot puts the pack in [0]."""
    if msg.id != 0:
        return state
    cells = [v for v in msg.voltages if v != UINT16_UNKNOWN]
    cells += [v for v in (getattr(msg, "voltages_ext", None) or ()) if v not in (0, UINT16_UNKNOWN)]
    battery = _battery(sum(cells) if cells else None, msg.current_battery, msg.battery_remaining)
    return evolve(state, battery=battery, last_update_s=now_s)


def _gps_raw_int(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    """Fix, satellites (255 unknown -> 0), hdop from eph/100; position only until GLOBAL_POSITION_INT."""
    sats = msg.satellites_visible
    eph = msg.eph
    fix = msg.fix_type
    gps = _new(Gps, {
        "fix_type": fix, "satellites": 0 if sats == 255 else sats,
        "hdop": None if eph == UINT16_UNKNOWN else eph / 100.0,
    })
    if state.velocity is _NO_VELOCITY and fix >= 3:
        pos = _new(GlobalPosition, {
            "lat_deg": msg.lat / 1e7, "lon_deg": msg.lon / 1e7, "alt_msl_m": msg.alt / 1000.0,
            "alt_rel_m": state.global_position.alt_rel_m,
        })
        return evolve(state, gps=gps, global_position=pos, last_update_s=now_s)
    return evolve(state, gps=gps, last_update_s=now_s)


def _home_position(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    home = HomePosition(
        lat_deg=msg.latitude / 1e7, lon_deg=msg.longitude / 1e7, alt_msl_m=msg.altitude / 1000.0,
    )
    return evolve(state, home=home, last_update_s=now_s)


def _extended_sys_state(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    landed = _enum("MAV_LANDED_STATE", msg.landed_state)
    return evolve(state, landed_state=landed, last_update_s=now_s)


@lru_cache(maxsize=256)
def _enum(enum: str, value: int) -> str:
    return enum_name(enum, value)


# ---- STATUSTEXT --------------------------------------------------------------------------------


def _statustext(state: VehicleState, msg: MavMessage, now_s: float) -> VehicleState:
    """Append one line (MAVLink 2 chunks are appended as they come); keep STATUSTEXT_KEEP lines."""
    text = msg.text
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", errors="replace")
    text = text.split("\x00", 1)[0]
    line = StatusText(time_s=now_s, severity=msg.severity, text=text, component_id=msg.get_srcComponent())
    texts = (*state.statustexts, line)
    if len(texts) > STATUSTEXT_KEEP:
        texts = texts[-STATUSTEXT_KEEP:]
    return evolve(state, statustexts=texts, last_update_s=now_s)


_HANDLERS: dict[str, Handler] = {
    "HEARTBEAT": _heartbeat,
    "ATTITUDE": _attitude,
    "GLOBAL_POSITION_INT": _global_position_int,
    "LOCAL_POSITION_NED": _local_position_ned,
    "VFR_HUD": _vfr_hud,
    "SYS_STATUS": _sys_status,
    "BATTERY_STATUS": _battery_status,
    "GPS_RAW_INT": _gps_raw_int,
    "HOME_POSITION": _home_position,
    "EXTENDED_SYS_STATE": _extended_sys_state,
    "STATUSTEXT": _statustext,
    "EKF_STATUS_REPORT": _ekf_status_report,
    "FENCE_STATUS": _fence_status,
}
HANDLED_TYPES = frozenset(_HANDLERS)

__all__ = ["HANDLED_TYPES", "MavMessage", "initial_state", "reduce"]
