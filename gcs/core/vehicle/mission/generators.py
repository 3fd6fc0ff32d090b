"""Mission generators for a camera drone: orbit a point (or the tracked target), survey a rectangle.

Both write plain MISSION_ITEM_INTs every autopilot flies (NAV_TAKEOFF, NAV_WAYPOINT, DO_SET_ROI_*,
DO_CHANGE_SPEED, NAV_RETURN_TO_LAUNCH), never autopilot-specific patterns, so the result uploads to
ArduPilot and PX4 alike, saves to either file format and draws on a map as points.

- **orbit**: a circle of ``points`` waypoints of ``radius_m`` around the centre at ``alt_m`` above
  home, ``turns`` times round, with the region of interest on the centre (DO_SET_ROI_LOCATION), so
  the nose and camera face it the whole way; the ROI is cleared at the end (DO_SET_ROI_NONE).
- **survey**: a lawnmower over a rectangle given by its centre, size and heading: parallel legs
  ``spacing_m`` apart along its length, each leg's two ends as waypoints.

Geometry is local: metres north/east of the centre on a flat earth (equirectangular), good to
centimetres over the few hundred metres a survey or orbit spans.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gcs.core.errors import MissionInvalid
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission.model import Mission, MissionItem, MissionType

M = mavlink
EARTH_RADIUS_M = 6_378_137.0
REL = M.MAV_FRAME_GLOBAL_RELATIVE_ALT
MAX_GENERATED = 500


def offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    """The point ``north_m``/``east_m`` from (lat, lon), in degrees."""
    dlat = math.degrees(north_m / EARTH_RADIUS_M)
    dlon = math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(lat))))
    return lat + dlat, lon + dlon


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    north = math.radians(lat2 - lat1) * EARTH_RADIUS_M
    east = math.radians(lon2 - lon1) * EARTH_RADIUS_M * math.cos(math.radians(lat1))
    return math.hypot(north, east)


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise MissionInvalid(message)


def _start(takeoff_alt_m: float | None, speed_mps: float | None) -> list[MissionItem]:
    items: list[MissionItem] = []
    if takeoff_alt_m is not None:
        _check(0.5 <= takeoff_alt_m <= 500, f"takeoff altitude {takeoff_alt_m} m is outside 0.5-500 m")
        items.append(MissionItem(M.MAV_CMD_NAV_TAKEOFF, REL, z=takeoff_alt_m))
    if speed_mps is not None:
        _check(0.5 <= speed_mps <= 30, f"speed {speed_mps} m/s is outside 0.5-30 m/s")
        items.append(MissionItem(M.MAV_CMD_DO_CHANGE_SPEED, M.MAV_FRAME_MISSION, 1.0, speed_mps, -1.0))
    return items


def _end(finish: str) -> list[MissionItem]:
    if finish == "rtl":
        return [MissionItem(M.MAV_CMD_NAV_RETURN_TO_LAUNCH, REL)]
    if finish == "land":
        return [MissionItem(M.MAV_CMD_NAV_LAND, REL)]
    _check(finish == "hold", f"finish {finish!r} is not one of hold, land, rtl")
    return []


@dataclass(frozen=True)
class OrbitSpec:
    lat_deg: float
    lon_deg: float
    radius_m: float = 20.0
    alt_m: float = 15.0  # above home
    points: int = 8
    turns: float = 1.0
    clockwise: bool = True
    takeoff_alt_m: float | None = 10.0
    speed_mps: float | None = None
    finish: str = "rtl"  # hold, land or rtl


def orbit(spec: OrbitSpec) -> Mission:
    """Waypoints round a point with the ROI on it (see the module docstring)."""
    _check(math.isfinite(spec.lat_deg) and abs(spec.lat_deg) <= 85 and math.isfinite(spec.lon_deg)
           and abs(spec.lon_deg) <= 180, "orbit centre is not a valid latitude/longitude")
    _check(2.0 <= spec.radius_m <= 2000, f"orbit radius {spec.radius_m} m is outside 2-2000 m")
    _check(1.0 <= spec.alt_m <= 500, f"orbit altitude {spec.alt_m} m is outside 1-500 m")
    _check(3 <= spec.points <= 72, f"orbit points {spec.points} is outside 3-72")
    _check(0.1 <= spec.turns <= 20, f"orbit turns {spec.turns} is outside 0.1-20")
    items = _start(spec.takeoff_alt_m, spec.speed_mps)
    items.append(MissionItem(M.MAV_CMD_DO_SET_ROI_LOCATION, REL, x=spec.lat_deg, y=spec.lon_deg, z=0.0))
    count = max(1, round(spec.points * spec.turns))
    _check(count <= MAX_GENERATED, f"an orbit of {count} waypoints is too long (at most {MAX_GENERATED})")
    sign = 1.0 if spec.clockwise else -1.0
    for k in range(count + 1):  # back to the first point to close each turn
        angle = sign * 2 * math.pi * k / spec.points  # from north, clockwise seen from above
        lat, lon = offset(spec.lat_deg, spec.lon_deg, spec.radius_m * math.cos(angle),
                          spec.radius_m * math.sin(angle))
        items.append(MissionItem(M.MAV_CMD_NAV_WAYPOINT, REL, x=lat, y=lon, z=spec.alt_m))
    items.append(MissionItem(M.MAV_CMD_DO_SET_ROI_NONE, M.MAV_FRAME_MISSION))
    items += _end(spec.finish)
    return Mission(MissionType.MISSION, tuple(items))


@dataclass(frozen=True)
class SurveySpec:
    lat_deg: float  # centre of the rectangle
    lon_deg: float
    length_m: float = 100.0  # along the legs
    width_m: float = 60.0  # across them
    heading_deg: float = 0.0  # direction of the legs, from north
    spacing_m: float = 20.0  # between legs (camera footprint x (1 - side overlap))
    alt_m: float = 30.0
    takeoff_alt_m: float | None = 10.0
    speed_mps: float | None = None
    finish: str = "rtl"


def survey(spec: SurveySpec) -> Mission:
    """A lawnmower over the rectangle: legs along ``heading_deg``, ``spacing_m`` apart, ends alternating."""
    _check(math.isfinite(spec.lat_deg) and abs(spec.lat_deg) <= 85 and math.isfinite(spec.lon_deg)
           and abs(spec.lon_deg) <= 180, "survey centre is not a valid latitude/longitude")
    _check(1.0 <= spec.length_m <= 5000 and 0.0 <= spec.width_m <= 5000, "survey size must be 1-5000 m")
    _check(1.0 <= spec.spacing_m <= 1000, f"survey spacing {spec.spacing_m} m is outside 1-1000 m")
    _check(1.0 <= spec.alt_m <= 500, f"survey altitude {spec.alt_m} m is outside 1-500 m")
    legs = math.floor(spec.width_m / spec.spacing_m + 1e-9) + 1
    _check(2 * legs <= MAX_GENERATED, f"{legs} legs is too many (spacing too small for the width)")
    items = _start(spec.takeoff_alt_m, spec.speed_mps)
    heading = math.radians(spec.heading_deg)
    along = (math.cos(heading), math.sin(heading))  # unit vector (north, east) of the legs
    across = (-along[1], along[0])
    span = (legs - 1) * spec.spacing_m
    for leg in range(legs):
        c = -span / 2 + leg * spec.spacing_m
        ends = (-spec.length_m / 2, spec.length_m / 2)
        if leg % 2:
            ends = ends[::-1]
        for a in ends:
            north = a * along[0] + c * across[0]
            east = a * along[1] + c * across[1]
            lat, lon = offset(spec.lat_deg, spec.lon_deg, north, east)
            items.append(MissionItem(M.MAV_CMD_NAV_WAYPOINT, REL, x=lat, y=lon, z=spec.alt_m))
    items += _end(spec.finish)
    return Mission(MissionType.MISSION, tuple(items))
