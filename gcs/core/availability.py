"""Which vehicle actions a pilot may take now, and why not: the one rule book both faces and the API use.

``decide(situation)`` is pure: it reads a ``Situation`` (the active vehicle's state, whether it is a
replayed log, the setpoint stream, the follower, the tracker, the video and the battery level) and
answers, for every action in ``ACTIONS``, ``None`` (available) or the reason it is not, in words a
pilot can act on ("no GPS fix (3D fix needed, vehicle reports NO_FIX)"). The GUI greys its buttons
out with that reason in the tooltip, the dashboard disables its buttons and shows the reason, and
``GcsService`` refuses the actions that start motion (takeoff, offboard, follow, goto) with the same words,
so a script or a browser cannot do what the desktop would not.

Stopping is never refused by the core: hold, land, RTL, stop offboard, stop following and ABORT
always reach the vehicle when asked (the faces grey out the ones that would do nothing, ABORT never).

Some actions also need the pilot's confirmation (``Availability.confirm``): arm, takeoff, follow
start and goto (click-to-fly on the map) always, disarm while flying. Both faces use one gesture
(``CONFIRM_HOLD_S``, ``CONFIRM_REPEAT_S``): hold the button for a second, or press the keyboard shortcut twice.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gcs.core.alerts.battery import BatteryLevel
from gcs.core.first_steps import first_steps
from gcs.core.models import LinkState, VehicleState
from gcs.core.tracking.types import TrackState

AVAILABILITY_TOPIC = "actions.availability"  # bus topic of Availability, published when it changes

ACTIONS: tuple[str, ...] = (
    "arm", "disarm", "takeoff", "land", "rtl", "hold", "mode",
    "offboard_start", "offboard_stop", "follow_start", "follow_stop",
    "track_start", "track_stop", "smart", "abort", "goto",
)  # fmt: skip
ALWAYS_CONFIRM: frozenset[str] = frozenset({"arm", "takeoff", "follow_start", "goto"})
CONFIRM_HOLD_S = 1.0  # press and hold a button this long to confirm (QGC's slide-to-confirm)
CONFIRM_REPEAT_S = 2.0  # or press its keyboard shortcut a second time within this

IN_FLIGHT_STATES = ("IN_AIR", "TAKEOFF", "LANDING")
IN_FLIGHT_ALTITUDE_M = 1.0
NO_VEHICLE = "no vehicle connected (File > Connect, or start with --demo)"
LINK_LOST = "link lost: the vehicle is not heard"
NO_VIDEO = "no video: no source is running"
ALREADY_STREAMING = "setpoints already streaming"
RELAY_READ_ONLY = "relay is read-only"  # the start of the reason a relay's vehicle cannot be commanded
GPS_FIX_NAMES = {0: "NO_GPS", 1: "NO_FIX", 2: "2D_FIX"}


def in_flight(state: VehicleState) -> bool:
    """Flying as far as disarming and taking off are concerned: the landed state says so, or higher than 1 m."""
    return state.landed_state in IN_FLIGHT_STATES or state.global_position.alt_rel_m > IN_FLIGHT_ALTITUDE_M


def read_only_reason(system_id: int) -> str:
    return f"read-only replay: vehicle {system_id} is a replayed log, it cannot be commanded"


@dataclass(frozen=True)
class Situation:
    """Everything the rules look at, for one vehicle (``state`` None: no vehicle at all)."""

    state: VehicleState | None
    read_only: bool = False  # the vehicle is a replayed log (or relayed, see read_only_why)
    read_only_why: str | None = None  # the reason when it is not a replay ("relay is read-only: ...")
    engaged: bool = False  # the setpoint stream drives this vehicle
    following: bool = False  # the follower is on
    target: TrackState | None = None  # None: no tracker (no video)
    video: str | None = NO_VIDEO  # why there is no usable video, None when there is
    battery: BatteryLevel = "unknown"
    critical_percent: float = 15.0  # for the reason's text
    virtual_camera: bool = False  # the demo's simulated camera: the first steps can say where the cars are


@dataclass(frozen=True)
class Availability:
    """What ``decide`` answered: ``reasons[name]`` None = available; ``confirm``: needs the pilot's gesture."""

    system_id: int | None
    reasons: Mapping[str, str | None]
    confirm: frozenset[str] = field(default_factory=frozenset)
    first_steps: str | None = None  # what a newcomer should do next (gcs.core.first_steps), or None

    def why_not(self, name: str) -> str | None:
        return self.reasons.get(name)

    def plain(self) -> dict[str, object]:
        """The JSON form of GET /api/actions and of the telemetry stream's ``actions`` status."""
        return {
            "vehicle": self.system_id,
            "actions": dict(self.reasons),
            "confirm": sorted(self.confirm),
            "hold_s": CONFIRM_HOLD_S,
            "repeat_s": CONFIRM_REPEAT_S,
            "first_steps": self.first_steps,
        }


def _vehicle_reason(s: Situation) -> str | None:
    """Why nothing can be sent to the vehicle at all (none, a replay, link lost), or None."""
    if s.state is None:
        return NO_VEHICLE
    if s.read_only:
        return s.read_only_why or read_only_reason(s.state.system_id)
    if s.state.link.state in (LinkState.LOST, LinkState.CLOSED):
        return LINK_LOST
    return None


def _navigation_reason(s: Situation) -> str | None:
    """Why the vehicle cannot be driven by setpoints (position, battery), or None."""
    state = s.state
    assert state is not None
    if not state.gps.has_fix:
        fix = GPS_FIX_NAMES.get(state.gps.fix_type, str(state.gps.fix_type))
        return f"no GPS fix (3D fix needed, the vehicle reports {fix})"
    if state.health.position_estimate_ok is False:
        return "position estimate bad (the autopilot's EKF cannot hold a position)"
    if s.battery == "critical":
        pct = state.battery.remaining_pct
        at = f"{pct:.0f}%" if pct is not None else "?"
        return f"battery critical ({at}, at or below {s.critical_percent:.0f}%): land or return"
    return None


def _target_reason(s: Situation) -> str | None:
    if s.video is not None and s.target is None:
        return s.video
    if s.target is None or s.target is TrackState.IDLE:
        return "nothing tracked: click the target on the video (or drag a box) first"
    if s.target is TrackState.SEARCHING:
        return "no lock: the target is SEARCHING (must be LOCKED)"
    if s.target is TrackState.LOST:
        return "no lock: the target is LOST (must be LOCKED; select it again)"
    return None


def _follow_start(s: Situation, state: VehicleState) -> str | None:
    if s.following:
        return "already following"
    if not state.armed:
        return "not armed (arm and take off first)"
    if not in_flight(state):
        return "not flying (take off first)"
    return _navigation_reason(s) or _target_reason(s)


def _goto(s: Situation, state: VehicleState) -> str | None:
    """Click-to-fly: only a flying vehicle with a position to fly from (never a replay: see _vehicle_reason)."""
    if not state.armed:
        return "not armed (arm and take off first)"
    if not in_flight(state):
        return "not flying (take off first)"
    return _navigation_reason(s)


def _vehicle_rules(s: Situation, state: VehicleState) -> dict[str, str | None]:
    armed = None if state.armed else "not armed"
    flying = in_flight(state)
    critical = _navigation_reason(s) if s.battery == "critical" else None
    return {
        "arm": "already armed" if state.armed else None,
        "disarm": armed,
        "takeoff": "not armed (arm first)" if not state.armed else ("already flying" if flying else critical),
        "land": armed,
        "rtl": armed,
        "hold": armed,
        "mode": None,
        "offboard_start": "not armed" if not state.armed else (_navigation_reason(s) or (
            ALREADY_STREAMING if s.engaged else None)),
        "offboard_stop": None if s.engaged else "setpoints are not streaming",
        "follow_start": _follow_start(s, state),
        "follow_stop": None if s.following else "not following",
        "goto": _goto(s, state),
    }


def decide(s: Situation) -> Availability:
    """Every action's availability in ``s`` (pure; cheap enough to run on each state change)."""
    vehicle = _vehicle_reason(s)
    reasons: dict[str, str | None]
    if vehicle is not None or s.state is None:
        reasons = dict.fromkeys(ACTIONS, vehicle)
        if s.following:
            reasons["follow_stop"] = None  # the follower can always be switched off here
    else:
        reasons = _vehicle_rules(s, s.state)
    reasons["track_start"] = s.video
    reasons["smart"] = s.video
    reasons["track_stop"] = s.video if s.target is None else (
        "nothing is being tracked" if s.target is TrackState.IDLE else None)
    reasons["abort"] = None
    confirm = set(ALWAYS_CONFIRM)
    if s.state is not None and in_flight(s.state):
        confirm.add("disarm")
    hint = first_steps(s.state, flying=s.state is not None and in_flight(s.state), read_only=s.read_only,
                       target=s.target, following=s.following, virtual_camera=s.virtual_camera)
    return Availability(s.state.system_id if s.state else None, {n: reasons[n] for n in ACTIONS}, frozenset(confirm),
                        hint)
