"""A mission being edited: one list shared by every view that edits it (the Missions dock, the map).

The dock's table and the map's markers are two views of one ``MissionDraft``: an edit through either
replaces the list and calls every listener, so the other view redraws at once. The list may be a
mission, a geofence or rally points (``mission.kind``): a click on the map adds what that list holds
(a waypoint, a polygon vertex, a rally point), and a fence's polygon vertices always say how many
they are (param1 = the length of each run of vertices, as ArduPilot checks). Plain Python, no
threads: the GUI calls it on its own thread only.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from gcs.core.errors import MissionInvalid
from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission.model import Mission, MissionItem, MissionType

M = mavlink
# items that end a mission: a waypoint added on the map goes before them, not after the landing
ENDING = {M.MAV_CMD_NAV_RETURN_TO_LAUNCH, M.MAV_CMD_NAV_LAND}
VERTEX_IN = M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
VERTEX_OUT = M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION
VERTICES = {VERTEX_IN, VERTEX_OUT}
CIRCLES = {M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION: True, M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION: False}
RALLY = M.MAV_CMD_NAV_RALLY_POINT

Listener = Callable[["MissionDraft"], None]


@dataclass(frozen=True)
class Polygon:
    """One fence polygon: its first item's index in the list, how many vertices, stay inside or keep out."""

    start: int
    count: int
    inclusion: bool

    @property
    def end(self) -> int:
        return self.start + self.count


def polygons(items: list[MissionItem] | tuple[MissionItem, ...]) -> list[Polygon]:
    """The polygons of a fence list: each contiguous run of vertices of one kind is one polygon."""
    out: list[Polygon] = []
    n = 0
    while n < len(items):
        if items[n].command not in VERTICES:
            n += 1
            continue
        end = n
        while end < len(items) and items[end].command == items[n].command:
            end += 1
        out.append(Polygon(n, end - n, items[n].command == VERTEX_IN))
        n = end
    return out


class MissionDraft:
    """The list being edited, whether it differs from the vehicle's (``dirty``), and who to tell."""

    def __init__(self, mission: Mission | None = None) -> None:
        self.mission = mission if mission is not None else Mission()
        self.dirty = False
        self.inclusion = True  # the kind of polygon a click on the map adds to (stay inside, else keep out)
        self._new_polygon = False  # the next click starts a polygon of its own
        self._listeners: list[Listener] = []

    @property
    def items(self) -> tuple[MissionItem, ...]:
        return self.mission.items

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    def set(self, mission: Mission, *, dirty: bool) -> None:
        """A whole new list (downloaded, loaded, generated, uploaded)."""
        self.mission = mission
        self.dirty = dirty
        self._changed()

    def set_items(self, items: list[MissionItem] | tuple[MissionItem, ...]) -> None:
        """An edit: the items replaced, the rest of the mission (kind, home, numbering) kept."""
        if self.mission.kind is MissionType.FENCE:
            items = count_vertices(items)
        self.mission = replace(self.mission, items=tuple(items))
        self.dirty = True
        self._changed()

    def add_waypoint(self, lat: float, lon: float, alt_m: float) -> int:
        """A waypoint at a clicked point, before the mission's closing RTL/land items; its index."""
        items = list(self.items)
        at = len(items)
        while at > 0 and items[at - 1].command in ENDING:
            at -= 1
        items.insert(at, MissionItem(M.MAV_CMD_NAV_WAYPOINT, M.MAV_FRAME_GLOBAL_RELATIVE_ALT, x=lat, y=lon, z=alt_m))
        self.set_items(items)
        return at

    def add_point(self, lat: float, lon: float, alt_m: float) -> int:
        """What a click on the map adds to this list: a waypoint, a fence vertex or a rally point."""
        kind = self.mission.kind
        if kind is MissionType.MISSION:
            return self.add_waypoint(lat, lon, alt_m)
        items = list(self.items)
        if kind is MissionType.FENCE:
            at = self._vertex_at(items)
            command = VERTEX_IN if self.inclusion else VERTEX_OUT
            items.insert(at, MissionItem(command, M.MAV_FRAME_GLOBAL, x=lat, y=lon, autocontinue=False))
            self._new_polygon = False
        else:
            at = len(items)
            items.append(MissionItem(RALLY, M.MAV_FRAME_GLOBAL_RELATIVE_ALT, x=lat, y=lon, z=alt_m, autocontinue=False))
        self.set_items(items)
        return at

    def choose_polygon(self, *, inclusion: bool, new: bool = False) -> None:
        """What the next clicks add: vertices of a stay-inside (or keep-out) polygon; ``new``: a polygon
        of its own rather than more vertices of the last one of that kind."""
        self.inclusion = inclusion
        self._new_polygon = new or self._new_polygon
        self._changed()

    def new_polygon(self) -> None:
        """The next click starts another polygon (of the chosen kind)."""
        self.choose_polygon(inclusion=self.inclusion, new=True)

    @property
    def starts_polygon(self) -> bool:
        """Whether the next click starts a polygon (rather than extending the last one of its kind)."""
        last = polygons(self.items)[-1:] if self.mission.kind is MissionType.FENCE else []
        return self._new_polygon or not last or last[0].inclusion is not self.inclusion

    def _vertex_at(self, items: list[MissionItem]) -> int:
        """Where a clicked vertex goes: on the end of the last polygon of the chosen kind, or a new
        polygon after the last one (at the list's end when one of its kind would touch it and merge)."""
        shapes = polygons(items)
        mine = [p for p in shapes if p.inclusion is self.inclusion]
        if mine and not self._new_polygon:
            return mine[-1].end
        if not shapes:
            return len(items)
        last = shapes[-1]
        if last.inclusion is not self.inclusion:
            return last.end
        if last.end < len(items):  # a circle or another item lies between: the new polygon stays apart
            return len(items)
        kind = "stay-inside" if self.inclusion else "keep-out"
        raise MissionInvalid(f"a second {kind} polygon right after the last one would join it: add a circle or "
                             "a polygon of the other kind first (ArduPilot reads each run of one kind as one polygon)")

    def set_radius(self, index: int, radius_m: float) -> None:
        """A fence circle's radius changed; MissionInvalid unless the item is a circle and the radius is
        a finite number of metres above 0 (ArduPilot refuses the others at upload)."""
        items = list(self.items)
        if not 0 <= index < len(items) or items[index].command not in CIRCLES:
            raise MissionInvalid(f"item {self.mission.seq_offset + index} is not a fence circle")
        if not math.isfinite(radius_m) or radius_m <= 0:
            raise MissionInvalid(f"{radius_m:g} is not a radius: a circle needs more than 0 m")
        items[index] = replace(items[index], param1=float(radius_m))
        self.set_items(items)

    def add_circle(self, lat: float, lon: float, radius_m: float, *, inclusion: bool = True) -> int:
        """A fence circle (stay inside, or keep out) round a point."""
        command = next(c for c, inside in CIRCLES.items() if inside is inclusion)
        items = [*self.items, MissionItem(command, M.MAV_FRAME_GLOBAL, radius_m, x=lat, y=lon, autocontinue=False)]
        self.set_items(items)
        return len(items) - 1

    def move(self, index: int, lat: float, lon: float) -> None:
        """An item with a place dragged to a new one (its altitude kept)."""
        items = list(self.items)
        if 0 <= index < len(items) and items[index].has_position:
            items[index] = items[index].with_position(lat, lon)
            self.set_items(items)

    def placed(self) -> list[tuple[int, MissionItem]]:
        """The items a map can show and drag, with their index in the list."""
        return [(n, item) for n, item in enumerate(self.items) if item.has_position]


def count_vertices(items: list[MissionItem] | tuple[MissionItem, ...]) -> list[MissionItem]:
    """Each polygon's vertices say how many they are (param1), as ArduPilot checks."""
    out = list(items)
    for shape in polygons(out):
        for k in range(shape.start, shape.end):
            out[k] = replace(out[k], param1=float(shape.count))
    return out


__all__ = ["CIRCLES", "ENDING", "RALLY", "VERTEX_IN", "VERTEX_OUT", "VERTICES", "MissionDraft", "Polygon",
           "count_vertices", "polygons"]
