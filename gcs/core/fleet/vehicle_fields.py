"""Vehicle telemetry as predictive-codec fields: names (the protobuf VehicleState's), tolerances, predictors.

Tolerances are what a remote viewer cannot tell apart: 1e-6 deg of latitude/longitude (~0.11 m),
0.1 m of altitude, 0.1 m/s of speed, 0.01 rad (0.6 deg) of attitude, 1 deg of heading, 0.05 V.
Positions, altitudes and angles move smoothly (``linear``); vertical speed and climb are noisy
(``smooth``); GPS fix, satellites, throttle and battery level change in steps (``hold``).

``from_state`` reads a VehicleState; ``update_from_mavlink`` builds the same dict straight from
MAVLink messages (an edge logger's view, and how the tests read real tlogs).
"""

from __future__ import annotations

import math
from typing import Any

from gcs.core.fleet.predictive import FieldSpec
from gcs.core.models import VehicleState

TWO_PI = 2 * math.pi
VEHICLE_FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("lat_deg", 1e-6),
    FieldSpec("lon_deg", 1e-6),
    FieldSpec("alt_msl_m", 0.1),
    FieldSpec("alt_rel_m", 0.1),
    FieldSpec("north_mps", 0.1),
    FieldSpec("east_mps", 0.1),
    FieldSpec("down_mps", 0.1, "smooth"),
    FieldSpec("roll_rad", 0.01, wrap=TWO_PI, wrap_low=-math.pi),
    FieldSpec("pitch_rad", 0.01, wrap=TWO_PI, wrap_low=-math.pi),
    FieldSpec("yaw_rad", 0.01, wrap=TWO_PI, wrap_low=-math.pi),
    FieldSpec("heading_deg", 1.0, wrap=360.0),
    FieldSpec("groundspeed_mps", 0.1),
    FieldSpec("airspeed_mps", 0.1),
    FieldSpec("climb_mps", 0.1, "smooth"),
    FieldSpec("throttle_pct", 1.0, "hold"),
    FieldSpec("battery_voltage_v", 0.05, "hold"),
    FieldSpec("battery_remaining_pct", 1.0, "hold"),
    FieldSpec("gps_fix_type", 0.0, "hold"),
    FieldSpec("satellites", 0.0, "hold"),
)


def from_state(state: VehicleState) -> dict[str, float]:
    """The fields of one VehicleState (battery fields only when the vehicle reports them)."""
    p, v, a, h = state.global_position, state.velocity, state.attitude, state.hud
    values = {
        "lat_deg": p.lat_deg, "lon_deg": p.lon_deg, "alt_msl_m": p.alt_msl_m, "alt_rel_m": p.alt_rel_m,
        "north_mps": v.north_mps, "east_mps": v.east_mps, "down_mps": v.down_mps,
        "roll_rad": a.roll_rad, "pitch_rad": a.pitch_rad, "yaw_rad": a.yaw_rad,
        "heading_deg": h.heading_deg, "groundspeed_mps": h.groundspeed_mps, "airspeed_mps": h.airspeed_mps,
        "climb_mps": h.climb_mps, "throttle_pct": h.throttle_pct,
        "gps_fix_type": float(state.gps.fix_type), "satellites": float(state.gps.satellites),
    }  # fmt: skip
    if state.battery.voltage_v is not None:
        values["battery_voltage_v"] = state.battery.voltage_v
    if state.battery.remaining_pct is not None:
        values["battery_remaining_pct"] = state.battery.remaining_pct
    return values


def update_from_mavlink(values: dict[str, float], msg: Any) -> bool:
    """Fold one MAVLink message into ``values``; True when it carried vehicle fields."""
    kind = msg.get_type()
    if kind == "GLOBAL_POSITION_INT":
        values.update(lat_deg=msg.lat / 1e7, lon_deg=msg.lon / 1e7, alt_msl_m=msg.alt / 1000.0,
                      alt_rel_m=msg.relative_alt / 1000.0, north_mps=msg.vx / 100.0, east_mps=msg.vy / 100.0,
                      down_mps=msg.vz / 100.0)  # fmt: skip
    elif kind == "ATTITUDE":
        values.update(roll_rad=msg.roll, pitch_rad=msg.pitch, yaw_rad=msg.yaw)
    elif kind == "VFR_HUD":
        values.update(heading_deg=float(msg.heading % 360), groundspeed_mps=msg.groundspeed,
                      airspeed_mps=msg.airspeed, climb_mps=msg.climb, throttle_pct=float(msg.throttle))  # fmt: skip
    elif kind == "SYS_STATUS":
        if msg.voltage_battery not in (0, 0xFFFF):
            values["battery_voltage_v"] = msg.voltage_battery / 1000.0
        if msg.battery_remaining >= 0:
            values["battery_remaining_pct"] = float(msg.battery_remaining)
    elif kind == "GPS_RAW_INT":
        values.update(gps_fix_type=float(msg.fix_type), satellites=float(msg.satellites_visible))
    else:
        return False
    return True
