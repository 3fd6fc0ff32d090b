"""A mission being edited: one list shared by every view that edits it (the Missions dock, the map).

The dock's table and the map's markers are two views of one ``MissionDraft``: an edit through either
replaces the list and calls every listener, so the other view redraws at once. The list may be a
mission, a geofence or rally points (``mission.kind``): a click on the map adds what that list holds
(a waypoint, a polygon vertex, a rally point), and a fence's polygon vertices always say how many
they are (param1 = the length of each run of vertices, as ArduPilot checks). Plain Python, no
threads: the GUI calls it on its own thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission.model import Mission, MissionItem, MissionType

M = mavlink
# items that end a mission: a waypoint added on the map goes before them, not after the landing
ENDING = {M.MAV_CMD_NAV_RETURN_TO_LAUNCH, M.MAV_CMD_NAV_LAND}
VERTEX_IN = M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_INCLUSION
VERTICES = {VERTEX_IN, M.MAV_CMD_NAV_FENCE_POLYGON_VERTEX_EXCLUSION}
CIRCLES = {M.MAV_CMD_NAV_FENCE_CIRCLE_INCLUSION: True, M.MAV_CMD_NAV_FENCE_CIRCLE_EXCLUSION: False}
RALLY = M.MAV_CMD_NAV_RALLY_POINT

Listener = Callable[["MissionDraft"], None]


class MissionDraft:
    """The list being edited, whether it differs from the vehicle's (``dirty``), and who to tell."""

    def __init__(self, mission: Mission | None = None) -> None:
        self.mission = mission if mission is not None else Mission()
        self.dirty = False
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
        if kind is MissionType.FENCE:  # on the end of the last polygon (a new one when there is none)
            runs = [n for n, item in enumerate(items) if item.command in VERTICES]
            at = runs[-1] + 1 if runs else len(items)
            command = items[runs[-1]].command if runs else VERTEX_IN
            items.insert(at, MissionItem(command, M.MAV_FRAME_GLOBAL, x=lat, y=lon, autocontinue=False))
        else:
            at = len(items)
            items.append(MissionItem(RALLY, M.MAV_FRAME_GLOBAL_RELATIVE_ALT, x=lat, y=lon, z=alt_m, autocontinue=False))
        self.set_items(items)
        return at

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
    """Each run of polygon vertices of one kind is one polygon: its vertices' param1 is its length."""
    out = list(items)
    n = 0
    while n < len(out):
        if out[n].command not in VERTICES:
            n += 1
            continue
        end = n
        while end < len(out) and out[end].command == out[n].command:
            end += 1
        for k in range(n, end):
            out[k] = replace(out[k], param1=float(end - n))
        n = end
    return out


__all__ = ["CIRCLES", "ENDING", "RALLY", "VERTICES", "MissionDraft", "count_vertices"]
