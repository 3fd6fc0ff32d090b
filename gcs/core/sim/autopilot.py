"""The simulated flight controller: arming, modes, takeoff, landing, RTL, setpoints, failsafes.

Pure logic over ``physics.Multicopter``: it is handed the monotonic time and never sleeps, reads
a socket or starts a thread (``vehicle.SimVehicle`` does those). Results follow the flavour:
PX4 refuses arming with DENIED and mode changes with TEMPORARILY_REJECTED, ArduPilot refuses both
with FAILED, each with the STATUSTEXT the pilot would read.
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.config import ReceivedSetpoint, SimConfig, SimSnapshot
from gcs.core.sim.modes import Behaviour, ModeInfo, mode_table
from gcs.core.sim.params import ParamStore
from gcs.core.sim.physics import HOLD_STILL, BatteryModel, Demand, Limits, Multicopter
from gcs.core.sim.setpoints import Geo, Setpoint, decode_global, decode_local, record

FORCE_MAGIC = (21196.0, 2989.0)  # PX4 and ArduPilot force-arm; 21196 also forces disarm
GUIDED_VELOCITY_TIMEOUT_S = 3.0  # ArduCopter GUIDED_TIMEOUT_MS
SETPOINT_WARN_PERIOD_S = 5.0
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

PX4_PRETTY = {
    "LOITER": "Hold", "OFFBOARD": "Offboard", "TAKEOFF": "Takeoff", "LAND": "Land", "RTL": "Return",
    "MISSION": "Mission", "POSCTL": "Position", "ALTCTL": "Altitude", "MANUAL": "Manual",
    "STABILIZED": "Stabilized", "ACRO": "Acro", "FOLLOWME": "Follow Target", "RTGS": "Return to GCS",
}


class SimAutopilot:
    """One simulated flight controller. Owned by one thread; the caller serialises access."""

    def __init__(self, config: SimConfig, now: float) -> None:
        self.cfg = config
        self.px4 = config.is_px4
        self.modes = mode_table(config.flavour)
        self.params = ParamStore(config)
        self.geo = Geo(config.home_lat_deg, config.home_lon_deg, config.home_alt_msl_m)
        self._params_version = -1
        self.body = Multicopter(Limits())
        self._sync_params()
        self.battery = BatteryModel(config.battery_cells, config.battery_capacity_mah)
        self.boot_time = now
        self.now = now
        self.mode = self.modes.boot_mode
        self.armed = False
        self.gps_fix = False
        self._gps_fix_at = now + config.gps_fix_delay_s
        self.home: tuple[float, float, float] | None = None  # local NED of home
        self.home_version = 0  # bumps when home moves (HOME_POSITION is sent at once)
        self.outbox: list[tuple[int, str]] = []  # STATUSTEXTs to send (severity, text)
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

    def _refused(self) -> int:
        return TEMP_REJECTED if self.px4 else FAILED

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

    # ---- arming -------------------------------------------------------------------------

    def arm(self, force: bool) -> int:
        if self.armed:
            return ACCEPTED
        problem = None if force else self._prearm_problem()
        if problem:
            self.say(("Arming denied: " if self.px4 else "PreArm: ") + problem, SEV_CRITICAL)
            return DENIED if self.px4 else FAILED
        self.armed = True
        self._touchdown_at = None
        if self.landed and self.gps_fix:  # both autopilots set home where they arm
            self._set_home()
        if self.behaviour is Behaviour.TAKEOFF and self._takeoff is None:
            self._start_takeoff(self.params.si("takeoff_alt", self.cfg.takeoff_alt_default_m))
        self._hold = (self.body.north_m, self.body.east_m, self.body.down_m)
        self._hold_yaw = self.body.yaw_rad
        self.say("Armed")
        return ACCEPTED

    def _prearm_problem(self) -> str | None:
        if not self.gps_fix:
            return "no GPS fix" if self.px4 else "Need 3D Fix"
        if self.battery.remaining_pct < 10.0:
            return "battery low"
        if not self.mode_info.armable:
            return f"Mode not armable ({self.mode})"
        if self.mode_info.behaviour is Behaviour.UNSUPPORTED:
            return f"{self.mode} not available"
        return None

    def disarm(self, force: bool, reason: str = "") -> int:
        if not self.armed:
            return ACCEPTED
        if not self.landed and not force:
            text = "Disarming denied: not landed" if self.px4 else "Disarm: vehicle not landed"
            self.say(text, SEV_CRITICAL)
            return DENIED if self.px4 else FAILED
        self.armed = False
        self._takeoff = None
        self._touchdown_at = None
        self.say("Disarmed" + (f" ({reason})" if reason else ""))
        return ACCEPTED

    # ---- modes --------------------------------------------------------------------------

    def request_mode(self, name: str) -> int:
        """Change mode the way a command from the GCS does; returns the MAV_RESULT."""
        info = self.modes.info(name)
        if info is None:
            return DENIED
        if name == self.mode:
            return ACCEPTED
        problem = ""
        if info.behaviour is Behaviour.UNSUPPORTED:
            problem = info.reason or "not available"
        elif info.needs_position and not self.gps_fix:
            problem = "no valid global position" if self.px4 else "requires position"
        elif info.behaviour is Behaviour.EXTERNAL and self.px4 and not self._offboard_signal():
            problem = "no offboard signal"
        if problem:
            if self.px4:
                self.say(f"Switching to {PX4_PRETTY.get(name, name)} is currently not possible: {problem}",
                         SEV_CRITICAL)
            else:
                self.say(f"Mode change to {name} failed: {problem}", SEV_WARNING)
            return self._refused()
        self._enter(name)
        if info.behaviour is Behaviour.TAKEOFF and self.armed and self._takeoff is None:
            self._start_takeoff(self._px4_takeoff_target(math.nan))
        return ACCEPTED

    def _enter(self, name: str) -> None:
        self.mode = name
        behaviour = self.behaviour
        b = self.body
        n, e, d = b.stopping_point() if not self.landed else (b.north_m, b.east_m, 0.0)
        if behaviour is not Behaviour.TAKEOFF or not self.px4:
            self._takeoff = None
        if behaviour in (Behaviour.HOLD, Behaviour.MANUAL, Behaviour.TAKEOFF):
            self._hold, self._hold_yaw = (n, e, d), self.body.yaw_rad
        elif behaviour is Behaviour.LAND:
            self._land_ne = (n, e)
        elif behaviour is Behaviour.RTL:
            self._rtl_stage = "land" if self.landed else "climb"
            home_d = self.home[2] if self.home else 0.0
            self._rtl_down = min(d, home_d - self.params.si("rtl_alt", self.cfg.rtl_alt_m))
            self._hold, self._hold_yaw = (n, e, d), self.body.yaw_rad
        elif behaviour is Behaviour.EXTERNAL:
            self._hold, self._hold_yaw = (n, e, d), self.body.yaw_rad
            if not self.px4:
                self._sp = None  # GUIDED starts by holding its stopping point

    def _offboard_signal(self) -> bool:
        return self.now - self._last_sp_time <= self.offboard_timeout_s

    # ---- takeoff, land, return ------------------------------------------------------------

    def takeoff(self, param7: float) -> int:
        if self.px4:
            return self._takeoff_px4(param7)
        return self._takeoff_ardupilot(param7)

    def _takeoff_px4(self, param7: float) -> int:
        if not self.armed:
            self.say("Takeoff denied: vehicle not armed", SEV_CRITICAL)
            return TEMP_REJECTED
        if not self.gps_fix or self.home is None:
            self.say("Switching to Takeoff is currently not possible: no valid global position", SEV_CRITICAL)
            return TEMP_REJECTED
        if self.mode == "TAKEOFF" and self._takeoff is not None:
            return ACCEPTED
        target = self._px4_takeoff_target(param7)
        self._enter("TAKEOFF")
        self._start_takeoff(target)
        return ACCEPTED

    def _px4_takeoff_target(self, param7: float) -> float:
        """Height above home PX4 climbs to for a takeoff to ``param7`` metres AMSL (NaN: default)."""
        minimum = self.params.si("takeoff_alt", self.cfg.takeoff_alt_default_m)
        home_d = self.home[2] if self.home else 0.0
        if math.isfinite(param7):
            target = param7 - (self.cfg.home_alt_msl_m - home_d)
            if target < minimum - 0.1:
                self.say(f"Using minimum takeoff altitude: {minimum:.2f} m", SEV_WARNING)
            target = max(target, minimum)
        else:
            target = minimum
        if target < self.alt_rel_m:
            self.say("Already higher than takeoff altitude")
            target = self.alt_rel_m
        return target

    def _takeoff_ardupilot(self, param7: float) -> int:
        if self.mode != "GUIDED" or not self.armed:
            return FAILED
        if self._takeoff is not None:
            return ACCEPTED  # already climbing to it
        if not self.landed or not math.isfinite(param7) or param7 <= 0.0:
            return FAILED
        self._start_takeoff(param7)
        return ACCEPTED

    def _start_takeoff(self, alt_rel: float) -> None:
        home_d = self.home[2] if self.home else 0.0
        self._takeoff = (self.body.north_m, self.body.east_m, home_d - alt_rel)
        self._sp = None if not self.px4 else self._sp
        self.say(f"Takeoff to {alt_rel:.1f} m")

    def land(self) -> int:
        return self.request_mode(self.modes.land_mode)

    def return_to_launch(self) -> int:
        if self.home is None:
            self.say("Return denied: no home position" if self.px4 else "Mode change to RTL failed: no home",
                     SEV_CRITICAL)
            return self._refused()
        return self.request_mode(self.modes.rtl_mode)

    def loiter(self) -> int:
        return self.request_mode(self.modes.hold_mode)

    def reposition(self, lat: float, lon: float, alt: float, relative_alt: bool, change_mode: bool) -> int:
        """MAV_CMD_DO_REPOSITION (QGC's "go to location"); NaN keeps that coordinate.

        PX4 flies there in Hold; ArduCopter in GUIDED (switching to it only when asked to by the
        MAV_DO_REPOSITION_FLAGS_CHANGE_MODE bit).
        """
        b = self.body
        if not self.gps_fix or self.home is None or not self.armed or self.landed:
            self.say("Reposition denied: not flying" if self.px4 else "Reposition: not flying", SEV_WARNING)
            return self._refused()
        north, east = (b.north_m, b.east_m)
        if math.isfinite(lat) and math.isfinite(lon):
            north, east = self.global_to_ned(lat, lon)
        down = b.down_m
        if math.isfinite(alt):
            down = min(0.0, self.home[2] - alt if relative_alt else self.cfg.home_alt_msl_m - alt)
        if self.px4:
            if self.mode != self.modes.hold_mode:
                self._enter(self.modes.hold_mode)
            self._hold = (north, east, down)
            if math.hypot(north - b.north_m, east - b.east_m) > 2.0:
                self._hold_yaw = math.atan2(east - b.east_m, north - b.north_m)
            return ACCEPTED
        if self.mode != "GUIDED" and (not change_mode or self.request_mode("GUIDED") != ACCEPTED):
            return FAILED
        self._sp = Setpoint(self.now, north, east, down, None, None, None, None, None, (north, east, down))
        return ACCEPTED

    def _set_home(self) -> None:
        self.home = (self.body.north_m, self.body.east_m, self.body.down_m)
        self.home_version += 1

    # ---- setpoints ----------------------------------------------------------------------

    def setpoint_local(self, msg: Any, now: float) -> None:
        """SET_POSITION_TARGET_LOCAL_NED from the GCS."""
        sp, reason = decode_local(msg, self.body, now)
        self._take_setpoint(msg, now, sp, reason)

    def setpoint_global(self, msg: Any, now: float) -> None:
        """SET_POSITION_TARGET_GLOBAL_INT from the GCS."""
        home_d = self.home[2] if self.home else 0.0
        sp, reason = decode_global(msg, self.body, now, self.geo if self.gps_fix else None, home_d)
        self._take_setpoint(msg, now, sp, reason)

    def _take_setpoint(self, msg: Any, now: float, sp: Setpoint | None, reason: str) -> None:
        if sp is not None:
            self._last_sp_time = now  # any valid setpoint keeps PX4's offboard signal alive
            reason = self._setpoint_gate(sp)
            if self.px4 or not reason:
                self._sp = sp  # PX4 keeps the latest setpoint ready for when OFFBOARD starts
            if not reason and not self.px4:
                self._takeoff = None  # ArduCopter: a GUIDED command ends the takeoff climb
        if reason and now - self._last_warn >= SETPOINT_WARN_PERIOD_S:
            self._last_warn = now
            self.say(f"Setpoint ignored: {reason}", SEV_WARNING)
        self.setpoints.append(record(msg, now, reason))

    def _setpoint_gate(self, sp: Setpoint) -> str:
        if self.behaviour is not Behaviour.EXTERNAL:
            return f"not in {self.modes.external_mode}"
        if not self.armed:
            return "disarmed"
        if self.landed and not sp.climbs(self.body.down_m):
            return "on ground"
        return ""

    # ---- the control loop -----------------------------------------------------------------

    def step(self, dt: float, now: float) -> None:
        self.now = now
        self._sync_params()
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
        if behaviour is Behaviour.LAND:
            return self._land_demand(*self._land_ne)
        if behaviour is Behaviour.RTL:
            return self._rtl_demand()
        if behaviour is Behaviour.EXTERNAL and self._sp is not None:
            return self._setpoint_demand(self._sp, now)
        n, e, d = self._hold
        return Demand(north_m=n, east_m=e, down_m=d, yaw_rad=self._hold_yaw)

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
        behaviour = self.behaviour
        landing = behaviour is Behaviour.LAND or (behaviour is Behaviour.RTL and self._rtl_stage == "land")
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
        behaviour = self.behaviour
        landing = behaviour is Behaviour.LAND or (behaviour is Behaviour.RTL and self._rtl_stage == "land")
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
        )


__all__ = ["SimAutopilot"]
