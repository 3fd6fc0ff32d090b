"""The simulated flight controller: arming, modes, takeoff, landing, RTL, setpoints, failsafes.

Pure logic over ``physics.Multicopter``: it is handed the monotonic time and never sleeps, reads
a socket or starts a thread (``vehicle.SimVehicle`` does those). Results follow the flavour:
PX4 refuses arming with DENIED and mode changes with TEMPORARILY_REJECTED, ArduPilot refuses both
with FAILED, each with the STATUSTEXT the pilot would read.

The state and the per-tick control loop live in ``flight.FlightController``; this module adds the
commands (arm, disarm, mode changes, takeoff, land, RTL, reposition, setpoints).
"""

from __future__ import annotations

import math
from typing import Any

from gcs.core.sim.flight import (
    ACCEPTED,
    DENIED,
    FAILED,
    SEV_CRITICAL,
    SEV_WARNING,
    TEMP_REJECTED,
    FlightController,
)
from gcs.core.sim.modes import Behaviour
from gcs.core.sim.setpoints import Setpoint, decode_global, decode_local, record

FORCE_MAGIC = (21196.0, 2989.0)  # PX4 and ArduPilot force-arm; 21196 also forces disarm
SETPOINT_WARN_PERIOD_S = 5.0

PX4_PRETTY = {
    "LOITER": "Hold", "OFFBOARD": "Offboard", "TAKEOFF": "Takeoff", "LAND": "Land", "RTL": "Return",
    "MISSION": "Mission", "POSCTL": "Position", "ALTCTL": "Altitude", "MANUAL": "Manual",
    "STABILIZED": "Stabilized", "ACRO": "Acro", "FOLLOWME": "Follow Target", "RTGS": "Return to GCS",
}


class SimAutopilot(FlightController):
    """One simulated flight controller. Owned by one thread; the caller serialises access."""

    def _refused(self) -> int:
        return TEMP_REJECTED if self.px4 else FAILED

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

    @property
    def armable(self) -> bool:
        """Pre-arm checks pass now (SYS_STATUS's MAV_SYS_STATUS_PREARM_CHECK health bit)."""
        return self._prearm_problem() is None

    def _prearm_problem(self) -> str | None:
        if not self.gps_fix:
            return "no GPS fix" if self.px4 else "Need Position Estimate"
        if self.battery.remaining_pct < 10.0 and self.params.si("arming_check", 1.0) != 0.0:
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
        self.auto_armed = False
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
        elif info.behaviour is Behaviour.MISSION:
            problem = self._mission_problem()
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

    def _mission_problem(self) -> str:
        """Why AUTO / MISSION cannot be entered now ('' when it can). ArduCopter checks nothing while
        disarmed (any mode may be chosen then); armed it needs a mission, and on the ground one that
        starts with a takeoff."""
        runner = self.mission
        if self.px4:
            return "" if runner.has_mission else "no valid mission available"
        if not self.armed:
            return ""
        if not runner.has_mission:
            return "init failed"
        if self.landed and not runner.first_nav_is_takeoff():
            self.say("Auto: Missing Takeoff Cmd", SEV_CRITICAL)
            return "init failed"
        return ""

    def start_mission(self, first: float, last: float) -> int:
        """MAV_CMD_MISSION_START. ArduCopter: AUTO, 'auto armed', resume (or restart when complete);
        it refuses first/last items (DENIED). PX4: MISSION mode from item ``first`` when valid."""
        if not self.px4 and (first != 0 or last != 0):
            return DENIED
        was = self.behaviour is Behaviour.MISSION
        result = self.request_mode("AUTO" if not self.px4 else "MISSION")
        if result != ACCEPTED:
            return result
        if not self.px4:
            self.auto_armed = self.armed
        start = int(first) if self.px4 and math.isfinite(first) and first > 0 else None
        if was or start is not None or self.mission.state != "ACTIVE":
            self.mission.start(start)
        return ACCEPTED

    def set_mission_current(self, seq: int) -> int:
        """MISSION_SET_CURRENT / MAV_CMD_DO_SET_MISSION_CURRENT: the next item flown."""
        return ACCEPTED if self.mission.set_current(seq) else FAILED

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

    def rc_override(self, msg: Any, now: float) -> None:
        """RC_CHANNELS_OVERRIDE: ArduPilot takes it as the pilot's sticks; PX4 ignores it."""
        if not self.px4:
            self.rc.override(msg, now)

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
        # PX4 wants setpoints streaming before OFFBOARD starts and is silent about them; say nothing
        pre_stream = self.px4 and reason == f"not in {self.modes.external_mode}"
        if reason and not pre_stream and now - self._last_warn >= SETPOINT_WARN_PERIOD_S:
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


__all__ = ["FORCE_MAGIC", "SimAutopilot"]
