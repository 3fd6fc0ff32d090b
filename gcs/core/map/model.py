"""What a map shows, as one frozen snapshot both faces draw: ``MapSnapshot``.

The core decides every layer (where the vehicles are, their trails, home, the target's estimated
ground position, which way the follower is driving, the geofence); the Qt map and the dashboard
only draw it, so they cannot disagree. Units and frames are in the names; positions are WGS84
degrees; bearings are degrees clockwise from north.

Missions: ``mission`` is the active vehicle's mission, fence and rally lists to draw read-only (as
last downloaded or uploaded through this GCS), with the item it flies now. ``MapTracker.mission_source``
is where the mission service plugs in (gcs.core.map.mission_layer turns its lists into this layer).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAP_TOPIC = "map.state"  # bus topic of MapSnapshot (without trails), a few times a second


@dataclass(frozen=True)
class MapVehicle:
    system_id: int
    lat_deg: float
    lon_deg: float
    alt_rel_m: float
    heading_deg: float
    groundspeed_mps: float
    armed: bool
    mode: str
    active: bool  # the vehicle the faces command
    link: str  # LinkState value: ok, lost, ...
    has_position: bool  # a GPS fix or a position ever reported (lat/lon not 0, 0)
    replay: bool = False  # a replayed log: drawn, never commanded
    origin: str | None = None  # the fleet GCS it flies from, seen only through the broker (None: ours)
    last_heard_s: float | None = None  # since its last heartbeat (or relayed state its GCS still heard)

    @property
    def stale(self) -> bool:
        """Not heard for the watchdog's time (its link LOST): drawn faded where it was last."""
        return self.link == "lost"


@dataclass(frozen=True)
class MapTargetEstimate:
    """The tracked target on the ground (see gcs.core.map.estimate)."""

    lat_deg: float
    lon_deg: float
    ground_range_m: float
    slant_range_m: float
    bearing_deg: float  # from the vehicle
    state: str  # tracker state when it was seen: locked (live) or searching/lost (last seen)
    age_s: float  # since the frame it was estimated from
    tracker: str


@dataclass(frozen=True)
class MapSetpoint:
    """The velocity the setpoint stream sends now, in NED terms: which way the follower drives."""

    bearing_deg: float
    speed_mps: float  # horizontal
    climb_mps: float
    source: str  # follower, operator...


@dataclass(frozen=True)
class MapGeofence:
    lat_deg: float
    lon_deg: float
    radius_m: float
    margin_m: float


@dataclass(frozen=True)
class MapHome:
    lat_deg: float
    lon_deg: float
    alt_msl_m: float


@dataclass(frozen=True)
class MapGoto:
    """The last click-to-fly point sent to a vehicle."""

    system_id: int
    lat_deg: float
    lon_deg: float
    alt_rel_m: float
    time_s: float


@dataclass(frozen=True)
class MissionItem:
    """One mission item with a place, as the map draws it (read-only)."""

    seq: int  # the vehicle's numbering (MISSION_CURRENT's): ArduPilot's first item is 1, PX4's 0
    lat_deg: float
    lon_deg: float
    alt_m: float
    command: str
    number: int = 0  # 1-based place in the list as a pilot plans it (the label drawn)
    on_path: bool = True  # a NAV_ item the vehicle flies to (joined by the line), not an ROI or a DO_ item


@dataclass(frozen=True)
class MapFencePolygon:
    inclusion: bool  # stay inside (else: keep out)
    points: tuple[tuple[float, float], ...]  # (lat, lon) vertices, in order


@dataclass(frozen=True)
class MapFenceCircle:
    inclusion: bool
    lat_deg: float
    lon_deg: float
    radius_m: float


@dataclass(frozen=True)
class MapRallyPoint:
    number: int
    lat_deg: float
    lon_deg: float
    alt_m: float


@dataclass(frozen=True)
class MapMission:
    """The active vehicle's three lists as the map draws them.

    ``version`` changes whenever a list changes (``mission.changed``): the stream's light snapshot has
    no lists (``lists`` False) and a face fetches the whole snapshot again when the version moves."""

    version: int = 0
    current_seq: int | None = None  # the item the vehicle flies now (vehicle numbering)
    items: tuple[MissionItem, ...] = ()
    polygons: tuple[MapFencePolygon, ...] = ()
    circles: tuple[MapFenceCircle, ...] = ()
    fence_return: tuple[float, float] | None = None  # (lat, lon) of the fence's return point
    rally: tuple[MapRallyPoint, ...] = ()
    lists: bool = True  # False: the stream's light form (version and current_seq only)

    @property
    def empty(self) -> bool:
        return not (self.items or self.polygons or self.circles or self.rally or self.fence_return)


@dataclass(frozen=True)
class MapTiles:
    """What the faces draw under the layers: ``kind`` grid (no source), xyz or mbtiles."""

    kind: str
    attribution: str
    max_zoom: int
    url: str  # where a face gets a tile: the API's /api/map/tiles/{z}/{x}/{y} for both kinds


@dataclass(frozen=True)
class MapSnapshot:
    time_s: float
    active_id: int | None
    vehicles: tuple[MapVehicle, ...]
    home: MapHome | None
    target: MapTargetEstimate | None
    setpoint: MapSetpoint | None
    geofence: MapGeofence | None
    goto: MapGoto | None
    tiles: MapTiles
    trails: dict[int, tuple[tuple[float, float], ...]] = field(default_factory=dict)  # sysid -> (lat, lon)...
    mission: MapMission = field(default_factory=MapMission)

    def vehicle(self, system_id: int | None = None) -> MapVehicle | None:
        """One vehicle (default: the active one)."""
        wanted = self.active_id if system_id is None else system_id
        return next((v for v in self.vehicles if v.system_id == wanted), None)
