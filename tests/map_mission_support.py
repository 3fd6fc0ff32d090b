"""A mission, a fence and rally points round home, uploaded to the built-in simulator for the map tests.

The mission is tests.mission_support's (a takeoff without a place, five waypoints on a 25 m pentagon,
RTL): its waypoints are items 2-6 as a pilot numbers them. The fence is a 70 m square to stay inside,
a 6 m circle to keep out of (20 m east of home) and a return point; two rally points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gcs.core.map.geo import offset
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission import Mission, MissionItem, MissionType
from tests.mission_support import five_waypoints

M = mavlink
SQUARE_M = 35.0  # half the side
KEEP_OUT = (0.0, 20.0, 6.0)  # north, east, radius (m)
RALLY_NE = ((-15.0, -15.0), (15.0, -25.0))


@dataclass(frozen=True)
class Plan:
    waypoints: list[tuple[float, float]]  # (lat, lon) of the five waypoints, in order
    first_number: int  # the label of the first waypoint (2: the takeoff is item 1)
    first_seq: int  # its vehicle sequence number


def _item(command: int, lat: float, lon: float, p1: float = 0.0, z: float = 0.0) -> MissionItem:
    return MissionItem(command, M.MAV_FRAME_GLOBAL, p1, x=lat, y=lon, z=z, autocontinue=False)


def upload_plan(service: Any) -> Plan:
    home = service.vehicle_state().home
    lat, lon = home.lat_deg, home.lon_deg
    corners = [offset(lat, lon, n * SQUARE_M, e * SQUARE_M) for n, e in ((1, 1), (1, -1), (-1, -1), (-1, 1))]
    circle = offset(lat, lon, KEEP_OUT[0], KEEP_OUT[1])
    back = offset(lat, lon, -5.0, 0.0)
    fence = Mission(MissionType.FENCE, (
        *(_item(M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION, c.lat_deg, c.lon_deg, 4.0) for c in corners),
        _item(M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION, circle.lat_deg, circle.lon_deg, KEEP_OUT[2]),
        _item(M.MAV_CMD_NAV_FENCE_RETURN_POINT, back.lat_deg, back.lon_deg, z=15.0),
    ))
    rally = Mission(MissionType.RALLY, tuple(
        MissionItem(M.MAV_CMD_NAV_RALLY_POINT, M.MAV_FRAME_GLOBAL_RELATIVE_ALT, x=p.lat_deg, y=p.lon_deg, z=20.0,
                    autocontinue=False)
        for p in (offset(lat, lon, n, e) for n, e in RALLY_NE)))
    (mission,) = [m for m in service.upload_mission_file(five_waypoints(lat, lon, home.alt_msl_m), "plan.waypoints")
                  if m.kind is MissionType.MISSION]
    service.upload_mission(fence)
    service.upload_mission(rally)
    return Plan([(i.x, i.y) for i in mission.items if i.has_position], 2, mission.seq_offset + 1)
