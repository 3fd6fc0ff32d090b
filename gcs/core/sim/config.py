"""Value types of the simulated vehicle: its configuration, a state snapshot, a received setpoint.

All three are frozen so they can cross threads freely (the sim thread builds them, tests, the GUI
and the API read them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gcs.core.errors import ConfigError

FLAVOURS = ("px4", "ardupilot")


@dataclass(frozen=True)
class SimConfig:
    """How the simulated multicopter is built and where it talks.

    Rates and limits default to a typical 2 kg camera quad; the autopilot ``flavour`` decides
    the mode names, heartbeat encoding, command results and failsafes (see ``modes.py``).
    """

    flavour: str = "px4"  # "px4" | "ardupilot"
    system_id: int = 1
    component_id: int = 1
    bind_host: str = "127.0.0.1"
    bind_port: int = 0  # 0 = an ephemeral port; SimVehicle.port tells which
    targets: tuple[tuple[str, int], ...] = ()  # where unsolicited telemetry goes (like PX4 -> 14550)
    home_lat_deg: float = 47.397742
    home_lon_deg: float = 8.545594
    home_alt_msl_m: float = 488.0
    gps_fix_delay_s: float = 0.0  # arming is refused until the GPS has a 3D fix
    max_speed_mps: float = 12.0  # horizontal
    max_accel_mps2: float = 4.0
    max_climb_mps: float = 3.0
    battery_cells: int = 4
    battery_capacity_mah: float = 5000.0
    battery_start_pct: float = 100.0  # charge at boot (tests start low to reach a threshold soon)
    battery_drain_scale: float = 1.0  # multiplies the current drawn from the pack (tests drain fast)
    offboard_timeout_s: float = 0.5  # PX4: no setpoint for this long in OFFBOARD -> Hold
    # Additions beyond the first sketch (all have the autopilots' usual defaults):
    max_descent_mps: float = 1.5  # PX4 MPC_Z_VEL_MAX_DN / ArduPilot WPNAV_SPEED_DN
    land_speed_mps: float = 1.0  # final descent (below 10 m) in LAND and RTL
    rtl_alt_m: float = 15.0  # RTL climbs to at least this height above home
    rtl_speed_mps: float = 5.0
    takeoff_alt_default_m: float = 2.5  # PX4 MIS_TAKEOFF_ALT: used when param7 is NaN
    disarm_after_land_s: float | None = None  # None: PX4 2 s (COM_DISARM_LAND), ArduPilot 1 s
    # ArduPilot flavour: the RC throttle stick with no RC_CHANNELS_OVERRIDE (SITL: 1000, stick
    # down) and the pilot climb/descent rates its pilot modes take from it (see sticks.py).
    rc_throttle_pwm: int = 1000
    pilot_speed_up_mps: float = 2.5  # ArduCopter PILOT_SPEED_UP 250 cm/s
    pilot_speed_dn_mps: float = 0.0  # ArduCopter PILOT_SPEED_DN: 0 = as PILOT_SPEED_UP

    def __post_init__(self) -> None:
        flavour = self.flavour.lower()
        if flavour not in FLAVOURS:
            raise ConfigError(f"sim flavour must be one of {FLAVOURS}, not {self.flavour!r}")
        object.__setattr__(self, "flavour", flavour)
        if not 1 <= self.system_id <= 255:
            raise ConfigError(f"sim system_id must be 1..255, not {self.system_id}")
        if not 1 <= self.component_id <= 255:
            raise ConfigError(f"sim component_id must be 1..255, not {self.component_id}")
        if not 0 <= self.bind_port <= 65535:
            raise ConfigError(f"sim bind_port must be 0..65535, not {self.bind_port}")
        for host, port in self.targets:
            if not host or not 1 <= port <= 65535:
                raise ConfigError(f"sim target must be host:port with port 1..65535, not {host}:{port}")
        if not (-90.0 <= self.home_lat_deg <= 90.0 and -180.0 <= self.home_lon_deg <= 180.0):
            raise ConfigError("sim home latitude/longitude out of range")
        positive = {
            "max_speed_mps": self.max_speed_mps,
            "max_accel_mps2": self.max_accel_mps2,
            "max_climb_mps": self.max_climb_mps,
            "max_descent_mps": self.max_descent_mps,
            "land_speed_mps": self.land_speed_mps,
            "rtl_speed_mps": self.rtl_speed_mps,
            "battery_capacity_mah": self.battery_capacity_mah,
            "offboard_timeout_s": self.offboard_timeout_s,
            "takeoff_alt_default_m": self.takeoff_alt_default_m,
        }
        for name, value in positive.items():
            if not (math.isfinite(value) and value > 0):
                raise ConfigError(f"sim {name} must be > 0, not {value}")
        if not 0.0 <= self.battery_start_pct <= 100.0:
            raise ConfigError(f"sim battery_start_pct must be 0..100, not {self.battery_start_pct}")
        if not (math.isfinite(self.battery_drain_scale) and 0.0 <= self.battery_drain_scale <= 10000.0):
            raise ConfigError(f"sim battery_drain_scale must be 0..10000, not {self.battery_drain_scale}")
        if self.battery_cells < 1:
            raise ConfigError(f"sim battery_cells must be >= 1, not {self.battery_cells}")
        if not 800 <= self.rc_throttle_pwm <= 2200:
            raise ConfigError(f"sim rc_throttle_pwm must be 800..2200, not {self.rc_throttle_pwm}")
        if not (self.pilot_speed_up_mps > 0 and self.pilot_speed_dn_mps >= 0):
            raise ConfigError("sim pilot_speed_up_mps must be > 0 and pilot_speed_dn_mps >= 0")
        if self.gps_fix_delay_s < 0 or self.rtl_alt_m < 0:
            raise ConfigError("sim gps_fix_delay_s and rtl_alt_m must be >= 0")

    @property
    def is_px4(self) -> bool:
        return self.flavour == "px4"

    @property
    def land_disarm_delay_s(self) -> float:
        if self.disarm_after_land_s is not None:
            return self.disarm_after_land_s
        return 2.0 if self.is_px4 else 1.0


@dataclass(frozen=True)
class SimSnapshot:
    """The simulated vehicle's true state at one moment (local NED from the EKF origin)."""

    north_m: float
    east_m: float
    down_m: float
    vn: float
    ve: float
    vd: float
    yaw_rad: float
    armed: bool
    mode: str  # the name pymavlink's mode_string_v10 gives, e.g. "LOITER", "GUIDED"
    landed: bool
    battery_pct: float
    gps_fix: bool
    roll_rad: float = 0.0
    pitch_rad: float = 0.0
    lat_deg: float = 0.0
    lon_deg: float = 0.0
    alt_msl_m: float = 0.0
    landed_state: str = "ON_GROUND"  # MAV_LANDED_STATE without prefix
    battery_voltage_v: float = 0.0
    home_set: bool = False
    time_s: float = 0.0  # time.monotonic() when taken
    throttle_pwm: int = 1500  # the RC throttle input the autopilot reads (ArduPilot flavour)

    @property
    def alt_m(self) -> float:
        """Height above the EKF origin (the configured home), metres up."""
        return -self.down_m

    @property
    def groundspeed_mps(self) -> float:
        return math.hypot(self.vn, self.ve)


@dataclass(frozen=True)
class ReceivedSetpoint:
    """One SET_POSITION_TARGET_* message as the sim received it, and whether it obeyed it."""

    time_s: float  # time.monotonic() at reception
    frame: int  # MAV_FRAME
    vx: float
    vy: float
    vz: float
    yaw_rate: float
    type_mask: int
    accepted: bool
    x: float = 0.0
    y: float = 0.0
    z: float = 0.0
    yaw: float = 0.0
    reason: str = ""  # why it was ignored ("" when accepted)

    @property
    def monotonic(self) -> float:
        return self.time_s
