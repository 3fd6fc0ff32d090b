"""SET_POSITION_TARGET_* messages -> setpoints in local NED, and flat-earth geodesy.

Decoding is pure: it takes the message and the vehicle's pose at reception and returns a
``Setpoint`` (or why there is none). Body frames are rotated by the heading at reception, as both
autopilots do. Which setpoints the vehicle obeys is the autopilot's decision, not this module's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.config import ReceivedSetpoint
from gcs.core.sim.physics import Multicopter

EARTH_RADIUS_M = 6378137.0

# POSITION_TARGET_TYPEMASK bits
IGNORE_POS = (1, 2, 4)
IGNORE_VEL = (8, 16, 32)
IGNORE_YAW = 1024
IGNORE_YAW_RATE = 2048

LOCAL_FRAMES = frozenset({mavlink.MAV_FRAME_LOCAL_NED, mavlink.MAV_FRAME_LOCAL_OFFSET_NED,
                          mavlink.MAV_FRAME_BODY_NED, mavlink.MAV_FRAME_BODY_OFFSET_NED})
BODY_FRAMES = frozenset({mavlink.MAV_FRAME_BODY_NED, mavlink.MAV_FRAME_BODY_OFFSET_NED})
GLOBAL_ABSOLUTE = frozenset({mavlink.MAV_FRAME_GLOBAL, mavlink.MAV_FRAME_GLOBAL_INT})
GLOBAL_RELATIVE = frozenset({
    mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT,
    mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT, mavlink.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT,
})


@dataclass(frozen=True)
class Geo:
    """Flat-earth conversion around the EKF origin (plenty for a few kilometres)."""

    lat0_deg: float
    lon0_deg: float
    alt0_msl_m: float

    def to_global(self, north: float, east: float, down: float) -> tuple[float, float, float]:
        lat = self.lat0_deg + math.degrees(north / EARTH_RADIUS_M)
        coslat = max(1e-6, math.cos(math.radians(self.lat0_deg)))
        lon = self.lon0_deg + math.degrees(east / (EARTH_RADIUS_M * coslat))
        return lat, lon, self.alt0_msl_m - down

    def to_local(self, lat: float, lon: float) -> tuple[float, float]:
        north = math.radians(lat - self.lat0_deg) * EARTH_RADIUS_M
        east = math.radians(lon - self.lon0_deg) * EARTH_RADIUS_M * math.cos(math.radians(self.lat0_deg))
        return north, east


@dataclass(frozen=True)
class Setpoint:
    """A setpoint in local NED; None = that axis is not commanded (the anchor holds it)."""

    time_s: float
    north_m: float | None
    east_m: float | None
    down_m: float | None
    vn: float | None
    ve: float | None
    vd: float | None
    yaw_rad: float | None
    yaw_rate: float | None
    anchor: tuple[float, float, float]  # where the vehicle would stop, for axes left free

    @property
    def has_velocity(self) -> bool:
        return self.vn is not None or self.vd is not None

    def climbs(self, current_down: float) -> bool:
        if self.vd is not None:
            return self.vd < -0.05
        return self.down_m is not None and self.down_m < current_down - 0.2


def decode_local(msg: Any, body: Multicopter, now: float) -> tuple[Setpoint | None, str]:
    """SET_POSITION_TARGET_LOCAL_NED -> (setpoint, "") or (None, why not)."""
    frame, mask = int(msg.coordinate_frame), int(msg.type_mask)
    if frame not in LOCAL_FRAMES:
        return None, f"unsupported frame {frame}"
    pos = _unmasked(mask, IGNORE_POS, (msg.x, msg.y, msg.z))
    vel = _unmasked(mask, IGNORE_VEL, (msg.vx, msg.vy, msg.vz))
    b = body
    c, s = (math.cos(b.yaw_rad), math.sin(b.yaw_rad)) if frame in BODY_FRAMES else (1.0, 0.0)
    if frame != mavlink.MAV_FRAME_LOCAL_NED:  # positions are offsets from where the vehicle is
        if pos[0] is not None and pos[1] is not None:
            pos[0], pos[1] = b.north_m + c * pos[0] - s * pos[1], b.east_m + s * pos[0] + c * pos[1]
        if pos[2] is not None:
            pos[2] = b.down_m + pos[2]
    if vel[0] is not None and vel[1] is not None:
        vel[0], vel[1] = c * vel[0] - s * vel[1], s * vel[0] + c * vel[1]
    return _make(msg, mask, pos, vel, body, now)


def decode_global(
    msg: Any, body: Multicopter, now: float, geo: Geo | None, home_down: float
) -> tuple[Setpoint | None, str]:
    """SET_POSITION_TARGET_GLOBAL_INT -> setpoint; ``geo`` None = no global position yet."""
    frame, mask = int(msg.coordinate_frame), int(msg.type_mask)
    if frame not in GLOBAL_ABSOLUTE | GLOBAL_RELATIVE:
        return None, f"unsupported frame {frame}"
    if geo is None:
        return None, "no global position"
    pos: list[float | None] = [None, None, None]
    if not mask & 3:
        pos[0], pos[1] = geo.to_local(msg.lat_int / 1e7, msg.lon_int / 1e7)
    if not mask & 4:
        alt = float(msg.alt)
        pos[2] = geo.alt0_msl_m - alt if frame in GLOBAL_ABSOLUTE else home_down - alt
    vel = _unmasked(mask, IGNORE_VEL, (msg.vx, msg.vy, msg.vz))
    return _make(msg, mask, pos, vel, body, now)


def record(msg: Any, now: float, reason: str) -> ReceivedSetpoint:
    """What the sim keeps of every setpoint message (accepted = obeyed)."""
    is_global = msg.get_type() == "SET_POSITION_TARGET_GLOBAL_INT"
    x, y = (float(msg.lat_int), float(msg.lon_int)) if is_global else (float(msg.x), float(msg.y))
    return ReceivedSetpoint(
        time_s=now, frame=int(msg.coordinate_frame), vx=float(msg.vx), vy=float(msg.vy), vz=float(msg.vz),
        yaw_rate=float(msg.yaw_rate), type_mask=int(msg.type_mask), accepted=not reason,
        x=x, y=y, z=float(msg.alt if is_global else msg.z), yaw=float(msg.yaw), reason=reason,
    )


def _make(
    msg: Any, mask: int, pos: list[float | None], vel: list[float | None], body: Multicopter, now: float
) -> tuple[Setpoint | None, str]:
    horizontal_vel = vel[0] is not None and vel[1] is not None
    horizontal_pos = pos[0] is not None and pos[1] is not None
    if not (horizontal_vel or horizontal_pos or vel[2] is not None or pos[2] is not None):
        return None, "no position or velocity in type_mask"
    yaw = None if mask & IGNORE_YAW else float(msg.yaw)
    yaw_rate = None if mask & IGNORE_YAW_RATE else float(msg.yaw_rate)
    if not all(math.isfinite(v) for v in (*pos, *vel, yaw, yaw_rate) if v is not None):
        return None, "not a finite number"
    use_pos = horizontal_pos and not horizontal_vel
    return Setpoint(
        time_s=now,
        north_m=pos[0] if use_pos else None,
        east_m=pos[1] if use_pos else None,
        down_m=min(0.0, pos[2]) if pos[2] is not None and vel[2] is None else None,
        vn=vel[0] if horizontal_vel else None,
        ve=vel[1] if horizontal_vel else None,
        vd=vel[2],
        yaw_rad=yaw,
        yaw_rate=yaw_rate,
        anchor=body.stopping_point(),
    ), ""


def _unmasked(mask: int, bits: tuple[int, ...], values: tuple[Any, ...]) -> list[float | None]:
    return [None if mask & bit else float(v) for bit, v in zip(bits, values, strict=True)]
