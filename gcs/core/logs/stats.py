"""What a flight session remembers, folded from the vehicle states it saw: events and figures.

The same fold runs live (states from the bus, link events from the fleet watchdog) and over a
tlog (states from the pure reducer, link loss inferred from heartbeat gaps), so an imported or
recovered session reads like one recorded live. Not thread-safe: the recorder holds a lock.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field

from gcs.core.models import GlobalPosition, StatusText, VehicleState

WARNING_SEVERITY = 4  # MAV_SEVERITY_WARNING: this and more severe STATUSTEXT lines become events
MIN_STEP_M = 2.0  # GPS wander below this (a vehicle standing still) is not counted as distance
EARTH_RADIUS_M = 6_371_000.0


class EventKind(enum.StrEnum):
    MODE = "mode"
    ARMED = "armed"
    DISARMED = "disarmed"
    STATUSTEXT = "statustext"
    LINK_LOST = "link_lost"
    LINK_RECOVERED = "link_recovered"
    NOTE = "note"  # recording refused or stopped, session recovered after a crash
    PARAM = "param"  # a parameter changed (set from this GCS, or seen changing on the vehicle)
    MISSION = "mission"  # a mission uploaded, cleared or started, its current item, an item reached
    ALERT = "alert"  # an alert raised, cleared or acknowledged, or what a critical battery did


@dataclass(frozen=True)
class FlightEvent:
    time_s: float  # unix time (the log's clock)
    system_id: int
    kind: EventKind
    text: str
    severity: int | None = None  # STATUSTEXT severity (0 emergency ... 7 debug)


def ground_distance_m(a: GlobalPosition, b: GlobalPosition) -> float:
    """Great-circle distance between two positions (haversine), in metres."""
    lat1, lat2 = math.radians(a.lat_deg), math.radians(b.lat_deg)
    dlat = lat2 - lat1
    dlon = math.radians(b.lon_deg - a.lon_deg)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass
class _Track:
    """One vehicle as the fold last saw it."""

    mode: str | None = None
    armed: bool = False
    last_text: StatusText | None = None
    position: GlobalPosition | None = None  # last state's object, to skip unchanged states fast
    anchor: GlobalPosition | None = None  # last point counted into the distance
    autopilot: str = "unknown"
    vehicle_type: str = "unknown"


@dataclass
class FlightStats:
    """Events and figures of one session; feed it states in time order."""

    events: list[FlightEvent] = field(default_factory=list)
    max_alt_m: float | None = None
    distance_m: float = 0.0
    first_s: float | None = None
    last_s: float | None = None
    _tracks: dict[int, _Track] = field(default_factory=dict)
    _saved: int = 0  # events already handed to the store

    @property
    def vehicle_ids(self) -> list[int]:
        return sorted(self._tracks)

    def identity(self) -> tuple[str, str]:
        """(autopilot, vehicle type) of the lowest system id seen, e.g. ("ardupilot", "QUADROTOR")."""
        if not self._tracks:
            return "unknown", "unknown"
        track = self._tracks[min(self._tracks)]
        return track.autopilot, track.vehicle_type

    def on_state(self, state: VehicleState) -> None:
        if state.last_heartbeat_s is None:
            return  # nothing known of this system yet (the fleet's rule: first a vehicle heartbeat)
        sysid, t = state.system_id, state.last_update_s
        track = self._tracks.get(sysid)
        if track is None:
            track = self._tracks[sysid] = _Track()
        self._mark(t)
        track.autopilot, track.vehicle_type = state.autopilot.value, state.vehicle_type
        if state.mode != track.mode:
            self._add(t, sysid, EventKind.MODE, state.mode)
            track.mode = state.mode
        if state.armed != track.armed:
            self._add(t, sysid, EventKind.ARMED if state.armed else EventKind.DISARMED, "")
            track.armed = state.armed
        texts = state.statustexts
        if texts and texts[-1] is not track.last_text:
            line = track.last_text = texts[-1]
            if line.severity <= WARNING_SEVERITY:
                self._add(line.time_s, sysid, EventKind.STATUSTEXT, line.text, line.severity)
        position = state.global_position
        if position is not track.position:
            track.position = position
            self._on_position(track, position, state.gps.has_fix)

    def on_link(self, system_id: int, lost: bool, time_s: float, reason: str) -> None:
        self._mark(time_s)
        self._add(time_s, system_id, EventKind.LINK_LOST if lost else EventKind.LINK_RECOVERED, reason)

    def note(self, time_s: float, system_id: int, text: str, kind: EventKind = EventKind.NOTE) -> None:
        self._add(time_s, system_id, kind, text)

    def take_new_events(self) -> list[FlightEvent]:
        """Events added since the last call (the recorder persists them in batches)."""
        new = self.events[self._saved :]
        self._saved = len(self.events)
        return new

    def _on_position(self, track: _Track, position: GlobalPosition, has_fix: bool) -> None:
        if self.max_alt_m is None or position.alt_rel_m > self.max_alt_m:
            self.max_alt_m = position.alt_rel_m
        if not has_fix or (position.lat_deg == 0.0 and position.lon_deg == 0.0):
            return  # GPS 0,0 before a fix
        if track.anchor is None:
            track.anchor = position
            return
        step = ground_distance_m(track.anchor, position)
        if step >= MIN_STEP_M:
            self.distance_m += step
            track.anchor = position

    def _mark(self, t: float) -> None:
        if self.first_s is None or t < self.first_s:
            self.first_s = t
        if self.last_s is None or t > self.last_s:
            self.last_s = t

    def _add(self, t: float, sysid: int, kind: EventKind, text: str, severity: int | None = None) -> None:
        self.events.append(FlightEvent(t, sysid, kind, text, severity))
