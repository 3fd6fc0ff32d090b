"""The simulated flight controller's state and what it does each tick on its own.

Split from ``autopilot``: this half owns the vehicle state, mode entry and the control loop (hold,
takeoff climb, land, RTL, following setpoints, the land detector) plus what the GCS reads back;
``autopilot.SimAutopilot`` adds the commands the GCS sends. Pure logic over
``physics.Multicopter``: handed the monotonic time, it never sleeps, reads a socket or starts a
thread.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections import deque

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.config import ReceivedSetpoint, SimConfig, SimSnapshot
from gcs.core.sim.mission_flight import MissionRunner
from gcs.core.sim.mission_store import SimMissions
from gcs.core.sim.modes import Behaviour, ModeInfo, mode_table
from gcs.core.sim.params import ParamStore
from gcs.core.sim.physics import HOLD_STILL, BatteryModel, Demand, Limits, Multicopter
from gcs.core.sim.setpoints import Geo, Setpoint
from gcs.core.sim.sticks import RcInput, pilot_climb_rate

GUIDED_VELOCITY_TIMEOUT_S = 3.0  # ArduCopter GUIDED_TIMEOUT_MS
SETPOINT_HISTORY = 10000
LAND_SLOW_BELOW_M = 10.0
AIRBORNE_ABOVE_M = 0.3
TAKEOFF_DONE_M = 0.3  # within this of the takeoff height the climb is done (then hold it exactly)

ACCEPTED: int = mavlink.MAV_RESULT_ACCEPTED
DENIED: int = mavlink.MAV_RESULT_DENIED
FAILED: int = mavlink.MAV_RESULT_FAILED
TEMP_REJECTED: int = mavlink.MAV_RESULT_TEMPORARILY_REJECTED

SEV_CRITICAL: int = mavlink.MAV_SEVERITY_CRITICAL
SEV_WARNING: int = mavlink.MAV_SEVERITY_WARNING
SEV_NOTICE: int = mavlink.MAV_SEVERITY_NOTICE
SEV_INFO: int = mavlink.MAV_SEVERITY_INFO


class FlightController(ABC):
    """State and control loop of one simulated flight controller; the caller serialises access."""

    def __init__(self, config: SimConfig, now: float) -> None:
        self.cfg = config
        self.px4 = config.is_px4
        self.modes = mode_table(config.flavour)
        self.params = ParamStore(config)
        self.geo = Geo(config.home_lat_deg, config.home_lon_deg, config.home_alt_msl_m)
        self._params_version = -1
        self.body = Multicopter(Limits())
        self._sync_params()
        self.battery = BatteryModel(
            config.battery_cells, config.battery_capacity_mah, config.battery_start_pct, config.battery_drain_scale
        )
        self.boot_time = now
        self.now = now
        self.mode = self.modes.boot_mode
        self.armed = False
        self.gps_fix = False
        self._gps_fix_at = now + config.gps_fix_delay_s
        self.home: tuple[float, float, float] | None = None  # local NED of home
        self.home_version = 0  # bumps when home moves (HOME_POSITION is sent at once)
        self.outbox: list[tuple[int, str]] = []  # STATUSTEXTs to send (severity, text)
        self.rc = RcInput(config.rc_throttle_pwm)  # read only by the ArduPilot flavour's pilot modes
        self.setpoints: deque[ReceivedSetpoint] = deque(maxlen=SETPOINT_HISTORY)
        self._hold = (0.0, 0.0, 0.0)
        self._hold_yaw = 0.0
        self._takeoff: tuple[float, float, float] | None = None  # target N, E, D while taking off
        self._rtl_stage = "climb"
        self._rtl_down = 0.0
        self._land_ne = (0.0, 0.0)
        self._sp: Setpoint | None = None
        self._last_sp_time = -math.inf  # any valid setpoint (PX4 offboard signal)
        self._last_warn = -math.inf
        self._was_airborne = False
        self._touchdown_at: float | None = None
        self.mission_store = SimMissions(self.px4, self._home_global, self._mission_running)
        self.mission = MissionRunner(self.mission_store, self.px4)
        self.auto_armed = False  # ArduCopter: AUTO may leave the ground (MISSION_START, or throttle up)

    # ---- small helpers ------------------------------------------------------------------

    def say(self, text: str, severity: int = SEV_INFO) -> None:
        self.outbox.append((severity, text[:200]))

    @property
    def last_setpoint(self) -> ReceivedSetpoint | None:
        return self.setpoints[-1] if self.setpoints else None

    @property
    def mode_info(self) -> ModeInfo:
        info = self.modes.info(self.mode)
        assert info is not None
        return info

    @property
    def behaviour(self) -> Behaviour:
        return self.mode_info.behaviour

    @property
    def landed(self) -> bool:
        return self.body.on_ground and self.body.vd >= 0.0

    @property
    def alt_rel_m(self) -> float:
        """Height above home (above the origin until home is set)."""
        home_d = self.home[2] if self.home else 0.0
        return home_d - self.body.down_m

    def ned_to_global(self, north: float, east: float, down: float) -> tuple[float, float, float]:
        return self.geo.to_global(north, east, down)

    def global_to_ned(self, lat: float, lon: float) -> tuple[float, float]:
        return self.geo.to_local(lat, lon)

    def _home_global(self) -> tuple[float, float, float]:
        return self.ned_to_global(*(self.home or (0.0, 0.0, 0.0)))

    def _mission_running(self) -> bool:
        return self.behaviour is Behaviour.MISSION and self.mission.state == "ACTIVE"

    def _sync_params(self) -> None:
        if self.params.version == self._params_version:
            return
        self._params_version = self.params.version
        p = self.params
        self.body.limits = Limits(
            max_speed_mps=p.si("max_speed", self.cfg.max_speed_mps),
            max_accel_mps2=p.si("max_accel", self.cfg.max_accel_mps2),
            max_climb_mps=p.si("max_climb", self.cfg.max_climb_mps),
            max_descent_mps=p.si("max_descent", self.cfg.max_descent_mps),
        )

    @property
    def offboard_timeout_s(self) -> float:
        return self.params.si("offboard_timeout", self.cfg.offboard_timeout_s)

    # ---- entering a mode ----------------------------------------------------------------

    def enter_mode(self, name: str) -> None:
        """Switch mode from inside the autopilot (a mission handing over to RTL), no checks."""
        self._enter(name)

    def _enter(self, name: str) -> None:
        was_mission = self.behaviour is Behaviour.MISSION
        self.mode = name
        behaviour = self.behaviour
        if was_mission and behaviour is not Behaviour.MISSION:
            self.mission.pause()
        b = self.body
        n, e, d = b.stopping_point() if not self.landed else (b.north_m, b.east_m, 0.0)
        if behaviour is not Behaviour.TAKEOFF or not self.px4:
            self._takeoff = None
        if behaviour in (Behaviour.HOLD, Behaviour.MANUAL, Behaviour.TAKEOFF):
            self._hold, self._hold_yaw = (n, e, d), self.body.yaw_rad
        elif behaviour is Behaviour.LAND:
            self._land_ne = (n, e)
        elif behaviour is Behaviour.RTL:
            self.begin_rtl()
        elif behaviour is Behaviour.MISSION and not was_mission:
            self.mission.start()
        elif behaviour is Behaviour.EXTERNAL:
            self._hold, self._hold_yaw = (n, e, d), self.body.yaw_rad
            if not self.px4:
                self._sp = None  # GUIDED starts by holding its stopping point

    def begin_rtl(self) -> None:
        """Start the RTL sequence from here (RTL mode, or an RTL item of an ArduPilot mission)."""
        b = self.body
        n, e, d = b.stopping_point() if not self.landed else (b.north_m, b.east_m, 0.0)
        self._rtl_stage = "land" if self.landed else "climb"
        home_d = self.home[2] if self.home else 0.0
        self._rtl_down = min(d, home_d - self.params.si("rtl_alt", self.cfg.rtl_alt_m))
        self._hold, self._hold_yaw = (n, e, d), self.body.yaw_rad

    @property
    def rtl_landing(self) -> bool:
        return self._rtl_stage == "land"

    def land_demand(self, north: float, east: float) -> Demand:
        return self._land_demand(north, east)

    def rtl_demand(self) -> Demand:
        return self._rtl_demand()

    def _landing(self) -> bool:
        """Descending to land: the land detector may disarm (LAND, RTL's last stage, a mission's landing)."""
        behaviour = self.behaviour
        return (behaviour is Behaviour.LAND or (behaviour is Behaviour.RTL and self._rtl_stage == "land")
                or (behaviour is Behaviour.MISSION and self.mission.landing))

    def _offboard_signal(self) -> bool:
        return self.now - self._last_sp_time <= self.offboard_timeout_s

    def _set_home(self) -> None:
        self.home = (self.body.north_m, self.body.east_m, self.body.down_m)
        self.home_version += 1

    @abstractmethod
    def disarm(self, force: bool, reason: str = "") -> int:
        """Disarm (the land detector uses the same path as a command from the GCS)."""

    # ---- the control loop -----------------------------------------------------------------

    def set_gps_fix(self, fix: bool) -> None:
        """Lose the GPS (jamming, a cable) or get it back; a lost fix stays lost until given back."""
        self.gps_fix = fix
        self._gps_fix_at = self.now if fix else math.inf

    def step(self, dt: float, now: float) -> None:
        self.now = now
        self._sync_params()
        self.mission.sync()
        if self.armed and not self.auto_armed and (not self.landed or self.rc.throttle_pwm(now) > 1100):
            self.auto_armed = True  # flying, or the pilot raised the throttle
        if not self.gps_fix and now >= self._gps_fix_at:
            self.gps_fix = True
            if self.home is None:
                self._set_home()
            if not self.px4:
                self.say("EKF3 IMU0 is using GPS")
        if self.px4 and self.behaviour is Behaviour.EXTERNAL and not self._offboard_signal():
            self.say("Offboard lost: switching to Hold", SEV_CRITICAL)
            self._enter(self.modes.hold_mode)
        demand = self._demand(now) if self.armed else None
        self.body.step(dt, demand or HOLD_STILL, motors=demand is not None)
        self._after_move(now)
        b = self.body
        airborne = not self.landed
        current = BatteryModel.current_for(self.armed, airborne, b.groundspeed, -b.vd, b.limits.max_speed_mps)
        self.battery.step(dt, current)

    def _demand(self, now: float) -> Demand:
        behaviour = self.behaviour
        b = self.body
        if self._takeoff is not None and behaviour in (Behaviour.TAKEOFF, Behaviour.EXTERNAL):
            tn, te, td = self._takeoff
            if b.down_m <= td + TAKEOFF_DONE_M:
                self._takeoff = None
                self._hold, self._hold_yaw = (tn, te, td), b.yaw_rad
                if behaviour is Behaviour.TAKEOFF:
                    self._enter(self.modes.hold_mode)
                    self._hold = (tn, te, td)
            return Demand(north_m=tn, east_m=te, down_m=td, yaw_rad=self._hold_yaw)
        if behaviour is Behaviour.MISSION:
            return self.mission.demand(self, now)
        if behaviour is Behaviour.LAND:
            return self._land_demand(*self._land_ne)
        if behaviour is Behaviour.RTL:
            return self._rtl_demand()
        if behaviour is Behaviour.EXTERNAL and self._sp is not None:
            return self._setpoint_demand(self._sp, now)
        n, e, d = self._hold
        if not self.px4 and self.mode_info.pilot_throttle:
            climb = self.pilot_climb_rate(now)
            if climb != 0.0:  # the stick is off centre: climb or descend, hold what it reaches
                self._hold = (n, e, b.down_m)
                return Demand(north_m=n, east_m=e, vd=-climb, climb_limit_mps=max(climb, 0.0),
                              descent_limit_mps=max(-climb, 0.0), yaw_rad=self._hold_yaw)
        return Demand(north_m=n, east_m=e, down_m=d, yaw_rad=self._hold_yaw)

    def pilot_climb_rate(self, now: float) -> float:
        """ArduCopter's climb rate (m/s up) from the throttle stick in its pilot modes."""
        up = self.params.si("pilot_speed_up", self.cfg.pilot_speed_up_mps)
        down = self.params.si("pilot_speed_dn", self.cfg.pilot_speed_dn_mps)
        return pilot_climb_rate(self.rc.throttle_pwm(now), up, down)

    def _land_demand(self, north: float, east: float) -> Demand:
        fast = self.alt_rel_m > LAND_SLOW_BELOW_M
        land_speed = self.params.si("land_speed", self.cfg.land_speed_mps)
        speed = self.body.limits.max_descent_mps if fast else land_speed
        return Demand(north_m=north, east_m=east, vd=speed, descent_limit_mps=speed, yaw_rad=self._hold_yaw)

    def _rtl_demand(self) -> Demand:
        b = self.body
        hn, he, _ = self.home or (0.0, 0.0, 0.0)
        if self._rtl_stage == "climb":
            n, e, _ = self._hold
            if b.down_m <= self._rtl_down + 0.3:
                self._rtl_stage = "return"
            return Demand(north_m=n, east_m=e, down_m=self._rtl_down, yaw_rad=self._hold_yaw)
        if self._rtl_stage == "return":
            dist = math.hypot(hn - b.north_m, he - b.east_m)
            if dist > 2.0:
                self._hold_yaw = math.atan2(he - b.east_m, hn - b.north_m)  # face the way home
            if dist < 0.5 and b.groundspeed < 0.3:
                self._rtl_stage = "land"
            speed = self.params.si("rtl_speed", self.cfg.rtl_speed_mps) or self.body.limits.max_speed_mps
            return Demand(north_m=hn, east_m=he, down_m=self._rtl_down, yaw_rad=self._hold_yaw,
                          speed_limit_mps=speed)
        return self._land_demand(hn, he)

    def _setpoint_demand(self, sp: Setpoint, now: float) -> Demand:
        if not self.px4 and sp.has_velocity and now - sp.time_s > GUIDED_VELOCITY_TIMEOUT_S:
            return Demand(vn=0.0, ve=0.0, vd=0.0, yaw_rate=0.0)  # ArduCopter: stale velocity -> stop
        an, ae, ad = sp.anchor
        hold_yaw = self._hold_yaw
        d = Demand(
            north_m=sp.north_m if sp.north_m is not None else (None if sp.vn is not None else an),
            east_m=sp.east_m if sp.east_m is not None else (None if sp.ve is not None else ae),
            vn=sp.vn or 0.0,
            ve=sp.ve or 0.0,
            down_m=sp.down_m if sp.down_m is not None else (None if sp.vd is not None else ad),
            vd=sp.vd or 0.0,
            yaw_rad=sp.yaw_rad if sp.yaw_rad is not None else (None if sp.yaw_rate is not None else hold_yaw),
            yaw_rate=sp.yaw_rate or 0.0,
        )
        if sp.yaw_rate is not None and sp.yaw_rad is None:
            self._hold_yaw = self.body.yaw_rad
        return d

    def _after_move(self, now: float) -> None:
        b = self.body
        if not b.on_ground:
            if b.alt_m > AIRBORNE_ABOVE_M:
                self._was_airborne = True
            self._touchdown_at = None
            return
        landing = self._landing()
        if not self._was_airborne and not (self.armed and landing):
            self._touchdown_at = None
            return
        if self._touchdown_at is None:  # touchdown (or armed on the ground in a landing mode)
            self._touchdown_at = now
            if self._was_airborne:
                self.say("Landed")
            self._hold = (b.north_m, b.east_m, 0.0)
        if not self.armed:
            self._was_airborne = False
            self._touchdown_at = None
            return
        # PX4's land detector disarms in any mode (COM_DISARM_LAND); ArduCopter in LAND and RTL
        delay = self.params.si("land_disarm_delay", self.cfg.land_disarm_delay_s)
        if (self.px4 or landing) and delay >= 0 and now - self._touchdown_at >= delay:
            self.disarm(force=True, reason="landed")
            self._was_airborne = False
            self._touchdown_at = None

    # ---- what the GCS sees ----------------------------------------------------------------

    @property
    def landed_state(self) -> int:
        state: int
        landing = self._landing()
        if self._takeoff is not None and self.armed:
            state = mavlink.MAV_LANDED_STATE_TAKEOFF
        elif self.landed:
            state = mavlink.MAV_LANDED_STATE_ON_GROUND
        elif self.armed and landing:
            state = mavlink.MAV_LANDED_STATE_LANDING
        else:
            state = mavlink.MAV_LANDED_STATE_IN_AIR
        return state

    def snapshot(self, now: float) -> SimSnapshot:
        b = self.body
        lat, lon, alt = self.ned_to_global(b.north_m, b.east_m, b.down_m)
        state = mavlink.enums["MAV_LANDED_STATE"][self.landed_state].name.removeprefix("MAV_LANDED_STATE_")
        return SimSnapshot(
            north_m=b.north_m, east_m=b.east_m, down_m=b.down_m, vn=b.vn, ve=b.ve, vd=b.vd,
            yaw_rad=b.yaw_rad, armed=self.armed, mode=self.mode, landed=self.landed,
            battery_pct=self.battery.remaining_pct, gps_fix=self.gps_fix, roll_rad=b.roll_rad,
            pitch_rad=b.pitch_rad, lat_deg=lat, lon_deg=lon, alt_msl_m=alt, landed_state=state,
            battery_voltage_v=self.battery.voltage_v, home_set=self.home is not None, time_s=now,
            throttle_pwm=self.rc.throttle_pwm(now),
        )


__all__ = ["FlightController"]
