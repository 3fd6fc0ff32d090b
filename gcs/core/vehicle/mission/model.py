"""Mission items as plain data: what the protocol, the files, the generators and the faces share.

A ``MissionItem`` is one MISSION_ITEM_INT without its sequence number and target: command, frame,
param1-4, ``x``/``y`` (degrees for a global frame, the raw param5/param6 otherwise) and ``z``
(param7: an altitude, in the frame's reference). Coordinates are kept rounded to 1e-7 degrees, what
MISSION_ITEM_INT carries, so an item read from a file compares exactly with the vehicle's copy.

A ``Mission`` is one list of one MAV_MISSION_TYPE (mission, geofence or rally) without any home
item: ArduPilot keeps home as item 0 of its mission (it answers item 0 with its current home
whatever was uploaded there), PX4 does not. The protocol adds and strips that item (``wire``); the
faces only ever see the items a pilot planned, with ``seq_offset`` to map a vehicle's sequence
number (MISSION_CURRENT, MISSION_ITEM_REACHED) to an index in ``items``.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field, replace

from gcs.core.mavlink_env import mavlink

M = mavlink

# MAV_FRAME_*_INT are the same references as their float twins; ArduPilot answers the float ones.
INT_TO_FLOAT_FRAME = {
    M.MAV_FRAME_GLOBAL_INT: M.MAV_FRAME_GLOBAL,
    M.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT: M.MAV_FRAME_GLOBAL_RELATIVE_ALT,
    M.MAV_FRAME_GLOBAL_TERRAIN_ALT_INT: M.MAV_FRAME_GLOBAL_TERRAIN_ALT,
}
GLOBAL_FRAMES = frozenset({M.MAV_FRAME_GLOBAL, M.MAV_FRAME_GLOBAL_RELATIVE_ALT, M.MAV_FRAME_GLOBAL_TERRAIN_ALT,
                           *INT_TO_FLOAT_FRAME})
ALT_TOLERANCE_M = 0.011  # ArduPilot stores altitudes in centimetres


class MissionType(enum.StrEnum):
    """The three lists of the mission protocol (MAV_MISSION_TYPE)."""

    MISSION = "mission"
    FENCE = "fence"
    RALLY = "rally"

    @property
    def wire(self) -> int:
        value: int = {MissionType.MISSION: M.MAV_MISSION_TYPE_MISSION, MissionType.FENCE: M.MAV_MISSION_TYPE_FENCE,
                      MissionType.RALLY: M.MAV_MISSION_TYPE_RALLY}[self]
        return value

    @staticmethod
    def from_wire(value: int) -> MissionType:
        for kind in MissionType:
            if kind.wire == value:
                return kind
        raise ValueError(f"unknown MAV_MISSION_TYPE {value}")


def command_name(command: int) -> str:
    entry = M.enums["MAV_CMD"].get(command)
    return entry.name.removeprefix("MAV_CMD_") if entry is not None else str(command)


def result_name(result: int) -> str:
    entry = M.enums["MAV_MISSION_RESULT"].get(result)
    return entry.name.removeprefix("MAV_MISSION_") if entry is not None else str(result)


FLOAT32_MAX = 3.4028234663852886e38
INT32_MAX = 2**31 - 1


def _round7(value: float) -> float:
    """Round to what MISSION_ITEM_INT carries; a value too large to be degrees is left for ``problem``."""
    return round(value * 1e7) / 1e7 if math.isfinite(value) and abs(value) < 1e9 else value


@dataclass(frozen=True)
class MissionItem:
    """One item of a mission, fence or rally list (see the module docstring for x/y/z)."""

    command: int
    frame: int = M.MAV_FRAME_GLOBAL_RELATIVE_ALT
    param1: float = 0.0
    param2: float = 0.0
    param3: float = 0.0
    param4: float = 0.0
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    autocontinue: bool = True

    def __post_init__(self) -> None:
        frame = INT_TO_FLOAT_FRAME.get(self.frame, self.frame)
        object.__setattr__(self, "frame", frame)
        if self.is_global:
            object.__setattr__(self, "x", _round7(float(self.x)))
            object.__setattr__(self, "y", _round7(float(self.y)))

    @property
    def is_global(self) -> bool:
        return self.frame in GLOBAL_FRAMES

    @property
    def name(self) -> str:
        return command_name(self.command)

    @property
    def params(self) -> tuple[float, float, float, float, float, float, float]:
        return (self.param1, self.param2, self.param3, self.param4, self.x, self.y, self.z)

    @property
    def has_position(self) -> bool:
        """A global item with a place (0, 0 means 'where the vehicle is' to ArduPilot)."""
        return self.is_global and not (self.x == 0.0 and self.y == 0.0)

    def problem(self) -> str | None:
        """Why this item cannot go on the wire (a float32 param out of range, x/y not a place), or None."""
        if not (0 <= self.command <= 65535 and 0 <= self.frame <= 255):  # MISSION_ITEM_INT's uint16 / uint8
            return f"command {self.command} or frame {self.frame} is outside 0-65535 / 0-255"
        for label, value in (("param1", self.param1), ("param2", self.param2), ("param3", self.param3),
                             ("param4", self.param4), ("z", self.z)):
            if math.isinf(value) or (math.isfinite(value) and abs(value) > FLOAT32_MAX):
                return f"{label} {value} does not fit a float32"
        if self.is_global:
            if not (math.isfinite(self.x) and math.isfinite(self.y) and abs(self.x) <= 90 and abs(self.y) <= 180):
                return f"{self.x}, {self.y} is not a latitude/longitude"
            if not math.isfinite(self.z):
                return "altitude is not a number"
        elif not all(math.isnan(v) or (math.isfinite(v) and abs(round(v)) <= INT32_MAX) for v in (self.x, self.y)):
            return f"x/y {self.x}, {self.y} do not fit MISSION_ITEM_INT's int32"
        return None

    def wire_xy(self) -> tuple[int, int]:
        """x and y as MISSION_ITEM_INT carries them (degrees * 1e7 in a global frame)."""
        if self.is_global:
            return round(self.x * 1e7), round(self.y * 1e7)
        return (round(self.x) if math.isfinite(self.x) else 0), (round(self.y) if math.isfinite(self.y) else 0)

    def matches(self, other: MissionItem) -> bool:
        """The same item as the vehicle stores it: exact but for float32 params and centimetre altitudes."""
        def same(a: float, b: float, tol: float = 0.0) -> bool:
            if math.isnan(a) or math.isnan(b):
                return math.isnan(a) and math.isnan(b)
            return abs(a - b) <= max(tol, 1e-6 * max(abs(a), abs(b), 1.0))

        # A command with no place and no altitude has no frame to keep: ArduPilot answers MAV_FRAME_GLOBAL
        placed = self.has_position or other.has_position or self.z != 0.0 or other.z != 0.0
        return (self.command == other.command and (self.frame == other.frame or not placed)
                and self.autocontinue == other.autocontinue
                and all(same(a, b) for a, b in zip(self.params[:4], other.params[:4], strict=True))
                and self.wire_xy() == other.wire_xy() and same(self.z, other.z, ALT_TOLERANCE_M))

    def with_position(self, lat: float, lon: float, alt: float | None = None) -> MissionItem:
        return replace(self, x=lat, y=lon, z=self.z if alt is None else alt)


@dataclass(frozen=True)
class Home:
    """Where the plan starts: ArduPilot's mission item 0, a .plan's plannedHomePosition (AMSL metres)."""

    lat_deg: float
    lon_deg: float
    alt_msl_m: float

    def as_item(self) -> MissionItem:
        return MissionItem(M.MAV_CMD_NAV_WAYPOINT, M.MAV_FRAME_GLOBAL, x=self.lat_deg, y=self.lon_deg,
                           z=self.alt_msl_m)


@dataclass(frozen=True)
class Mission:
    """One list as planned: items without a home item, and the home it was planned from (if known)."""

    kind: MissionType = MissionType.MISSION
    items: tuple[MissionItem, ...] = ()
    home: Home | None = None
    seq_offset: int = 0  # vehicle seq of items[0]: 1 on ArduPilot's mission (home is 0), else 0

    def matches(self, other: Mission) -> bool:
        return self.kind == other.kind and len(self.items) == len(other.items) and all(
            a.matches(b) for a, b in zip(self.items, other.items, strict=True))

    def index_of_seq(self, seq: int) -> int | None:
        index = seq - self.seq_offset
        return index if 0 <= index < len(self.items) else None


@dataclass(frozen=True)
class MissionProgress:
    """The vehicle's mission state as MISSION_CURRENT tells it (published on ``mission.current``)."""

    system_id: int
    seq: int | None = None  # the vehicle's current item (its own numbering)
    total: int | None = None  # MISSION_CURRENT.total (UINT16_MAX: no mission)
    state: str = "UNKNOWN"  # MISSION_STATE_* without the prefix (ArduPilot 4.3+, PX4 1.14+)
    reached: tuple[int, ...] = ()  # seqs reached since the mission (re)started, in order


@dataclass(frozen=True)
class MissionReached:
    system_id: int
    seq: int


@dataclass(frozen=True)
class MissionChange:
    """A list of a vehicle that changed through this GCS (``mission.changed``)."""

    system_id: int
    kind: MissionType
    action: str  # "downloaded", "uploaded", "cleared"
    mission: Mission = field(default_factory=Mission)
    source: str = ""
