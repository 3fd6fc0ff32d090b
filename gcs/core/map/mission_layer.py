"""The map's mission layer from a vehicle's mission, fence and rally lists (pure).

Waypoints are the items with a place, numbered as a pilot plans them (1, 2, ... whatever the
autopilot's own numbering: ArduPilot's home item 0 is not in a ``Mission``), each keeping its vehicle
sequence number so the item the vehicle flies now (MISSION_CURRENT) can be highlighted. The line
joins only the NAV_ items the vehicle flies to; an ROI or a DO_ item with a place is drawn, not
joined. A fence list is polygons (each vertex says how many vertices its polygon has, as the mission
protocol does), circles and a return point; a rally list is points.
"""

from __future__ import annotations

from gcs.core.map.model import MapFenceCircle, MapFencePolygon, MapMission, MapRallyPoint, MissionItem
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission.model import Mission
from gcs.core.vehicle.mission.model import MissionItem as PlanItem

M = mavlink
POLYGON = {M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION: True, M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION: False}
CIRCLE = {M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION: True, M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION: False}
NAV_LAST = 95  # MAV_CMD_NAV_* are 16..95 (NAV_LAST); DO_SET_ROI and the rest are not flown to


def _placed(item: PlanItem) -> bool:
    return item.is_global and -90.0 <= item.x <= 90.0 and -180.0 <= item.y <= 180.0 and (item.x, item.y) != (0, 0)


def waypoints(mission: Mission) -> tuple[MissionItem, ...]:
    return tuple(MissionItem(mission.seq_offset + n, item.x, item.y, item.z, item.name, n + 1,
                             item.command <= NAV_LAST)
                 for n, item in enumerate(mission.items) if _placed(item))


def fence_shapes(fence: Mission) -> tuple[tuple[MapFencePolygon, ...], tuple[MapFenceCircle, ...],
                                          tuple[float, float] | None]:
    """Polygons, circles and the return point of a fence list; a short polygon is drawn as far as it goes."""
    polygons: list[MapFencePolygon] = []
    circles: list[MapFenceCircle] = []
    back: tuple[float, float] | None = None
    items = [item for item in fence.items if _placed(item)]
    i = 0
    while i < len(items):
        item = items[i]
        if item.command in POLYGON:
            count = max(1, int(item.param1))
            run = [item]
            while (len(run) < count and i + len(run) < len(items) and items[i + len(run)].command == item.command
                   and int(items[i + len(run)].param1) == count):
                run.append(items[i + len(run)])
            polygons.append(MapFencePolygon(POLYGON[item.command], tuple((p.x, p.y) for p in run)))
            i += len(run)
            continue
        if item.command in CIRCLE and item.param1 > 0:
            circles.append(MapFenceCircle(CIRCLE[item.command], item.x, item.y, item.param1))
        elif item.command == M.MAV_CMD_NAV_FENCE_RETURN_POINT:
            back = (item.x, item.y)
        i += 1
    return tuple(polygons), tuple(circles), back


def rally_points(rally: Mission) -> tuple[MapRallyPoint, ...]:
    return tuple(MapRallyPoint(n + 1, item.x, item.y, item.z) for n, item in enumerate(rally.items) if _placed(item))


def mission_layer(mission: Mission | None, fence: Mission | None, rally: Mission | None,
                  current_seq: int | None = None) -> MapMission:
    """The layer (``version`` 0: the map tracker stamps its own)."""
    polygons, circles, back = fence_shapes(fence) if fence is not None else ((), (), None)
    return MapMission(
        current_seq=current_seq, items=waypoints(mission) if mission is not None else (),
        polygons=polygons, circles=circles, fence_return=back,
        rally=rally_points(rally) if rally is not None else (),
    )
