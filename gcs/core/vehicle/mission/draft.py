"""A mission being edited: one list shared by every view that edits it (the Missions dock, the map).

The dock's table and the map's markers are two views of one ``MissionDraft``: an edit through either
replaces the list and calls every listener, so the other view redraws at once. Plain Python, no
threads: the GUI calls it on its own thread only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from gcs.core.mavlink_env import mavlink
from gcs.core.vehicle.mission.model import Mission, MissionItem

M = mavlink
# items that end a mission: a waypoint added on the map goes before them, not after the landing
ENDING = {M.MAV_CMD_NAV_RETURN_TO_LAUNCH, M.MAV_CMD_NAV_LAND}

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

    def move(self, index: int, lat: float, lon: float) -> None:
        """An item with a place dragged to a new one (its altitude kept)."""
        items = list(self.items)
        if 0 <= index < len(items) and items[index].has_position:
            items[index] = items[index].with_position(lat, lon)
            self.set_items(items)

    def placed(self) -> list[tuple[int, MissionItem]]:
        """The items a map can show and drag, with their index in the list."""
        return [(n, item) for n, item in enumerate(self.items) if item.has_position]


__all__ = ["ENDING", "MissionDraft"]
