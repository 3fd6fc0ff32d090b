"""Frozen value types shared by every part of the core; frames are named in the type.

Everything here is immutable so a state snapshot can be handed to another thread (GUI, API,
recorder) without copying or locking. Units are SI and named in the field (``_m``, ``_mps``,
``_rad``, ``_deg``); NED means north-east-down, body means forward-right-down.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


def evolve(obj: T, **changes: Any) -> T:
    """Copy a frozen dataclass with some fields changed, ~10x faster than dataclasses.replace.

    The reducer runs once per MAVLink message (tens of thousands per second in a replay), so it
    cannot afford ``replace``'s field-by-field ``__init__`` validation. Only for our own
    dataclasses whose fields are all plain attributes.
    """
    new = object.__new__(type(obj))
    d = obj.__dict__.copy()
    d.update(changes)
    object.__setattr__(new, "__dict__", d)
    return new


class Autopilot(enum.StrEnum):
    """Which firmware family flies the vehicle; decides mode names and offboard semantics."""

    PX4 = "px4"
    ARDUPILOT = "ardupilot"
    GENERIC = "generic"
    UNKNOWN = "unknown"


class LinkState(enum.StrEnum):
    """Watchdog view of a vehicle's link."""

    CONNECTING = "connecting"  # opened, nothing heard yet
    OK = "ok"
    LOST = "lost"  # silence longer than the watchdog time
    CLOSED = "closed"


@dataclass(frozen=True, slots=False)
class Attitude:
    roll_rad: float = 0.0
    pitch_rad: float = 0.0
    yaw_rad: float = 0.0
    rollspeed_radps: float = 0.0
    pitchspeed_radps: float = 0.0
    yawspeed_radps: float = 0.0


@dataclass(frozen=True)
class GlobalPosition:
    """WGS84 position from GLOBAL_POSITION_INT (or GPS_RAW_INT before that arrives)."""

    lat_deg: float = 0.0
    lon_deg: float = 0.0
    alt_msl_m: float = 0.0
    alt_rel_m: float = 0.0


@dataclass(frozen=True)
class LocalPositionNed:
    """LOCAL_POSITION_NED: metres from the EKF origin, north-east-down."""

    x_m: float = 0.0
    y_m: float = 0.0
    z_m: float = 0.0
    vx_mps: float = 0.0
    vy_mps: float = 0.0
    vz_mps: float = 0.0


@dataclass(frozen=True)
class VelocityNed:
    north_mps: float = 0.0
    east_mps: float = 0.0
    down_mps: float = 0.0


@dataclass(frozen=True)
class Hud:
    """VFR_HUD: what a pilot reads off the primary flight display."""

    airspeed_mps: float = 0.0
    groundspeed_mps: float = 0.0
    heading_deg: float = 0.0
    throttle_pct: float = 0.0
    alt_m: float = 0.0
    climb_mps: float = 0.0


@dataclass(frozen=True)
class Battery:
    voltage_v: float | None = None
    current_a: float | None = None
    remaining_pct: float | None = None


@dataclass(frozen=True)
class Gps:
    fix_type: int = 0  # GPS_FIX_TYPE: 0-1 none, 2 2D, 3 3D, 4 DGPS, 5 RTK float, 6 RTK fixed
    satellites: int = 0
    hdop: float | None = None

    @property
    def has_fix(self) -> bool:
        return self.fix_type >= 3


# EKF_STATUS_REPORT flags an ArduPilot estimate needs before it can hold or fly a position
EKF_ATTITUDE = 1
EKF_VELOCITY_HORIZ = 2
EKF_POS_HORIZ_REL = 8
EKF_POS_HORIZ_ABS = 16
EKF_CONST_POS_MODE = 128
EKF_UNINITIALIZED = 1024
EKF_GPS_GLITCH = 32768
SENSOR_AHRS = 0x200000  # MAV_SYS_STATUS_AHRS: PX4 and ArduPilot clear it when the estimate is bad
SENSOR_GPS = 0x20  # MAV_SYS_STATUS_SENSOR_GPS


@dataclass(frozen=True)
class Health:
    """Sensor and estimator health as the vehicle reports it; ``None`` = never reported.

    ``sensors_*`` are SYS_STATUS bit masks (MAV_SYS_STATUS_SENSOR), ``ekf_flags`` is
    EKF_STATUS_REPORT.flags (ArduPilot), ``fence_breached`` FENCE_STATUS.breach_status.
    """

    sensors_present: int | None = None
    sensors_enabled: int | None = None
    sensors_health: int | None = None
    ekf_flags: int | None = None
    fence_breached: bool | None = None
    fence_breach_type: int = 0  # FENCE_BREACH: 1 min altitude, 2 max altitude, 3 boundary

    def sensor_ok(self, bit: int) -> bool | None:
        """False when the sensor is present and enabled but unhealthy; None when not reported."""
        if self.sensors_health is None or self.sensors_present is None or not self.sensors_present & bit:
            return None
        if self.sensors_enabled is not None and not self.sensors_enabled & bit:
            return None
        return bool(self.sensors_health & bit)

    @property
    def position_estimate_ok(self) -> bool | None:
        """Whether the autopilot's estimate can hold a position: EKF flags when the vehicle sends
        them (attitude, horizontal velocity and position, no glitch, not initialising), else the
        SYS_STATUS AHRS health bit; None when neither is reported."""
        if self.ekf_flags is not None:
            f = self.ekf_flags
            need = EKF_ATTITUDE | EKF_VELOCITY_HORIZ
            has_pos = bool(f & (EKF_POS_HORIZ_ABS | EKF_POS_HORIZ_REL)) and not f & EKF_CONST_POS_MODE
            return (f & need) == need and has_pos and not f & (EKF_UNINITIALIZED | EKF_GPS_GLITCH)
        return self.sensor_ok(SENSOR_AHRS)


@dataclass(frozen=True)
class HomePosition:
    lat_deg: float
    lon_deg: float
    alt_msl_m: float


@dataclass(frozen=True)
class StatusText:
    """One STATUSTEXT line from the vehicle (severity: 0 emergency ... 7 debug)."""

    time_s: float
    severity: int
    text: str
    component_id: int = 1


@dataclass(frozen=True)
class LinkStatus:
    """Statistics of one vehicle's traffic as the link sees it."""

    state: LinkState = LinkState.CONNECTING
    messages_per_s: float = 0.0
    bytes_per_s: float = 0.0
    packet_loss_pct: float = 0.0
    received: int = 0
    lost: int = 0
    bad_frames: int = 0
    last_heard_age_s: float | None = None


STATUSTEXT_KEEP = 50


@dataclass(frozen=True)
class VehicleState:
    """Everything known about one vehicle (one MAVLink system id) at one moment."""

    system_id: int
    component_id: int = 1
    autopilot: Autopilot = Autopilot.UNKNOWN
    vehicle_type: str = "unknown"  # MAV_TYPE name without prefix, e.g. QUADROTOR
    mav_type: int = 0
    mode: str = "UNKNOWN"
    base_mode: int = 0
    custom_mode: int = 0
    armed: bool = False
    system_status: str = "UNINIT"  # MAV_STATE name without prefix
    attitude: Attitude = field(default_factory=Attitude)
    global_position: GlobalPosition = field(default_factory=GlobalPosition)
    local_position: LocalPositionNed | None = None
    velocity: VelocityNed = field(default_factory=VelocityNed)
    hud: Hud = field(default_factory=Hud)
    battery: Battery = field(default_factory=Battery)
    gps: Gps = field(default_factory=Gps)
    health: Health = field(default_factory=Health)
    home: HomePosition | None = None
    landed_state: str = "UNDEFINED"  # MAV_LANDED_STATE name without prefix
    statustexts: tuple[StatusText, ...] = ()
    link: LinkStatus = field(default_factory=LinkStatus)
    last_heartbeat_s: float | None = None
    last_update_s: float = 0.0  # link-clock time of the last message that changed this state

    @property
    def heading_deg(self) -> float:
        return self.hud.heading_deg


# ---- commands: what the follower wants, with its frame in its type --------------------------


@dataclass(frozen=True)
class VelocityBodyYawRate:
    """Velocity in the vehicle's heading frame (forward, right, down) plus yaw rate."""

    forward_mps: float = 0.0
    right_mps: float = 0.0
    down_mps: float = 0.0
    yaw_rate_radps: float = 0.0


@dataclass(frozen=True)
class VelocityNedYawRate:
    """Velocity in the local north-east-down frame plus yaw rate."""

    north_mps: float = 0.0
    east_mps: float = 0.0
    down_mps: float = 0.0
    yaw_rate_radps: float = 0.0


VelocityIntent = VelocityBodyYawRate | VelocityNedYawRate


@dataclass(frozen=True)
class CommandIntent:
    """A velocity the follower (or an operator) asks for, stamped so it can expire."""

    velocity: VelocityIntent
    created_s: float  # time.monotonic() when made
    source: str = "operator"
    lifetime_s: float | None = None  # None: the commander's configured lifetime


@dataclass(frozen=True)
class CommandResult:
    """What became of a command: shown to the pilot in the GUI and returned by the API."""

    command: str
    success: bool
    result: str  # MAV_RESULT name, or TIMEOUT / LOCAL_REFUSAL
    message: str = ""
