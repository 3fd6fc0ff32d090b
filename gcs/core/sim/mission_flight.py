"""Flying the stored mission in ArduPilot's AUTO / PX4's MISSION mode, one item at a time.

What each item does (the subset a camera drone's mission uses; the rest is skipped like a DO
command the airframe has no hardware for):
- NAV_TAKEOFF: climb at the current place to its altitude. ArduPilot climbs only once "auto armed"
  (MAV_CMD_MISSION_START, or the throttle stick raised; with no RC the stick is down and it waits on
  the ground, as the real one does). PX4 on the ground climbs to MIS_TAKEOFF_ALT first whatever the
  first item is.
- NAV_WAYPOINT / SPLINE_WAYPOINT: fly to it (lat/lon 0 = here, relative altitude 0 = this height),
  reached within the acceptance radius (1 m; PX4 param2 when set) and 1 m of height, then hold
  param1 seconds. LOITER_TIME holds param1 s, LOITER_TURNS holds as long as its turns would take
  (it does not circle), LOITER_UNLIM holds for ever, NAV_DELAY waits param1 s.
- NAV_LAND: fly there (if it has a place), land, disarm. NAV_RETURN_TO_LAUNCH: ArduPilot flies its RTL
  inside AUTO (climb to RTL_ALT, return, land); PX4 switches to its Return mode.
- DO_CHANGE_SPEED (param2 m/s), DO_SET_ROI_LOCATION / DO_SET_ROI (the nose faces the point),
  DO_SET_ROI_NONE, DO_JUMP (param1 target, param2 repeats, -1 for ever); other DO items are skipped.

Each finished NAV item is reported once (MISSION_ITEM_REACHED, and ArduPilot's "Reached command #n");
each new current item is sent at once as MISSION_CURRENT. After the last item the vehicle holds
where it is (state COMPLETE). Leaving the mode pauses the mission; coming back resumes the current
item. Pure logic on the flight controller's state; the sim thread calls it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from gcs.core.mavlink_env import mavlink
from gcs.core.sim.mission_store import Item, SimMissions
from gcs.core.sim.physics import Demand

if TYPE_CHECKING:
    from gcs.core.sim.flight import FlightController

M = mavlink
ACCEPT_RADIUS_M = 1.0
ACCEPT_HEIGHT_M = 1.0
TAKEOFF_DONE_M = 0.3
FACE_TRAVEL_BEYOND_M = 2.0
MAX_DO_PER_STEP = 50
LOITER_TURN_SPEED_MPS = 5.0
NAV_HOLDS = {M.MAV_CMD_NAV_WAYPOINT, M.MAV_CMD_NAV_SPLINE_WAYPOINT, M.MAV_CMD_NAV_LOITER_TIME,
             M.MAV_CMD_NAV_LOITER_TURNS, M.MAV_CMD_NAV_LOITER_UNLIM}
NAV = NAV_HOLDS | {M.MAV_CMD_NAV_TAKEOFF, M.MAV_CMD_NAV_LAND, M.MAV_CMD_NAV_RETURN_TO_LAUNCH, M.MAV_CMD_NAV_DELAY}


class MissionRunner:
    """The execution state of the mission in one simulated autopilot."""

    def __init__(self, store: SimMissions, px4: bool) -> None:
        self.store = store
        self.px4 = px4
        self._version = store.version
        self.state = "NOT_STARTED"
        self.current = 0
        self.reached_out: list[int] = []  # MISSION_ITEM_REACHED to send
        self.current_changed = True  # send MISSION_CURRENT at once
        self.landing = False  # a NAV_LAND or an RTL item is descending (the land detector disarms)
        self._target: tuple[float, float, float] | None = None
        self._arrived_at: float | None = None
        self._yaw: float | None = None
        self._roi: tuple[float, float] | None = None
        self._speed: float | None = None
        self._jumps: dict[int, int] = {}
        self._pre_takeoff: float | None = None  # PX4's own climb before the first item
        self._rtl_started = False

    # ---- list and state ----------------------------------------------------------------------

    @property
    def first(self) -> int:
        return 1 if self.store.has_home_item else 0

    @property
    def count(self) -> int:
        return len(self.store.mission)

    @property
    def has_mission(self) -> bool:
        return self.count > self.first

    def sync(self) -> None:
        """A new mission was stored: start over from its first item."""
        if self.store.version == self._version:
            return
        self._version = self.store.version
        self.state = "NOT_STARTED" if self.has_mission else "NO_MISSION"
        self._set_current(0)
        self.current_changed = True  # MISSION_CURRENT at once: the new list and its state
        self._reset_item()
        self._jumps.clear()

    def _set_current(self, seq: int) -> None:
        if seq != self.current:
            self.current = seq
            self.current_changed = True

    def _reset_item(self) -> None:
        self._target = None
        self._arrived_at = None
        self.landing = False
        self._rtl_started = False

    def first_nav_is_takeoff(self) -> bool:
        for seq in range(self.first, self.count):
            item = self.store.item(seq)
            if item is not None and item.command in NAV:
                return bool(item.command == M.MAV_CMD_NAV_TAKEOFF)
        return False

    def start(self, first: int | None = None) -> None:
        """MISSION_START or the mode entered: resume the current item, or start over when done."""
        self.sync()  # a list stored since the last step is the one started (as an autopilot stores it at once)
        if first is not None and self.first <= first < self.count:
            self._set_current(first)
        elif self.state == "COMPLETE" or self.current < self.first or self.current >= self.count:
            self._set_current(self.first)
            self._jumps.clear()
        self.state = "ACTIVE" if self.has_mission else "NO_MISSION"
        self.current_changed = True
        self._reset_item()

    def pause(self) -> None:
        if self.state == "ACTIVE":
            self.state = "PAUSED"
            self.current_changed = True
        self._reset_item()

    def set_current(self, seq: int) -> bool:
        self.sync()  # else the next step's sync would take a just-uploaded list and undo this
        if self.store.has_home_item and seq == 0:
            seq = 1
        if not self.first <= seq < self.count:
            return False
        self._set_current(seq)
        self.current_changed = True
        if self.state == "COMPLETE":
            self.state = "PAUSED"
        self._reset_item()
        return True

    # ---- the control loop --------------------------------------------------------------------

    def _complete(self, fc: FlightController) -> None:
        self.state = "COMPLETE"
        self.current_changed = True
        landed = self.landing
        self._reset_item()
        self.landing = landed
        fc.say("Mission finished, loitering" if self.px4 else "Mission complete")

    def _advance(self, fc: FlightController, reached: bool) -> None:
        if reached:
            self.reached_out.append(self.current)
            if not self.px4:
                fc.say(f"Reached command #{self.current}")
        on_the_ground = self.landing and fc.landed
        self._reset_item()
        self.landing = on_the_ground  # landed by the mission: the land detector still disarms
        if self.current + 1 >= self.count:
            self._complete(fc)
        else:
            self._set_current(self.current + 1)

    def _run_do_items(self, fc: FlightController) -> Item | None:
        """Carry out DO items up to the next NAV item (returned), or finish the mission (None)."""
        for _ in range(MAX_DO_PER_STEP):
            if self.state != "ACTIVE":
                return None
            item = self.store.item(self.current)
            if item is None:
                self._complete(fc)
                return None
            if item.command in NAV:
                return item
            self._do(fc, item)
        return None

    def _do(self, fc: FlightController, item: Item) -> None:
        command = item.command
        if command == M.MAV_CMD_DO_CHANGE_SPEED and item.p2 > 0:
            self._speed = item.p2
        elif command in (M.MAV_CMD_DO_SET_ROI_LOCATION, M.MAV_CMD_DO_SET_ROI) and item.has_position:
            self._roi = fc.global_to_ned(item.x, item.y)
        elif command == M.MAV_CMD_DO_SET_ROI_NONE or (command == M.MAV_CMD_DO_SET_ROI and not item.has_position):
            self._roi = None
        elif command == M.MAV_CMD_DO_JUMP:
            target, repeats = int(item.p1), int(item.p2)
            left = self._jumps.get(self.current, repeats)
            if (left != 0) and self.first <= target < self.count:
                if left > 0:
                    self._jumps[self.current] = left - 1
                self._set_current(target)
                return
        self._set_current(self.current + 1)
        if self.current >= self.count:
            self._complete(fc)

    def _down_for(self, fc: FlightController, item: Item) -> float:
        home_d = fc.home[2] if fc.home else 0.0
        if item.frame == M.MAV_FRAME_GLOBAL:
            return fc.cfg.home_alt_msl_m - item.z
        if item.z == 0.0 and item.command != M.MAV_CMD_NAV_TAKEOFF:
            return fc.body.down_m  # ArduPilot: altitude 0 keeps the current height
        return home_d - item.z

    def _face(self, fc: FlightController, north: float, east: float) -> float | None:
        b = fc.body
        if self._roi is not None:
            rn, re = self._roi
            if math.hypot(rn - b.north_m, re - b.east_m) > 1.0:
                return math.atan2(re - b.east_m, rn - b.north_m)
            return self._yaw
        if math.hypot(north - b.north_m, east - b.east_m) > FACE_TRAVEL_BEYOND_M:
            return math.atan2(east - b.east_m, north - b.north_m)
        return self._yaw

    def demand(self, fc: FlightController, now: float) -> Demand:
        b = fc.body
        hold = Demand(north_m=b.north_m, east_m=b.east_m, down_m=b.down_m if not fc.landed else 0.0,
                      yaw_rad=self._yaw if self._yaw is not None else b.yaw_rad)
        if self._yaw is None:
            self._yaw = b.yaw_rad
        if self.state != "ACTIVE":
            if self._target is None:
                self._target = (b.north_m, b.east_m, b.down_m if not fc.landed else 0.0)
            n, e, d = self._target
            return Demand(north_m=n, east_m=e, down_m=d, yaw_rad=self._yaw)
        if fc.landed and not self.px4 and not fc.auto_armed:
            return hold  # ArduCopter in AUTO on the ground waits to be "auto armed"
        item = self._run_do_items(fc)
        if item is None:
            return self.demand(fc, now) if self.state != "ACTIVE" else hold
        if self.px4 and fc.landed and item.command != M.MAV_CMD_NAV_TAKEOFF and not self.landing:
            self._pre_takeoff = max(fc.params.si("takeoff_alt", fc.cfg.takeoff_alt_default_m), 1.0)
        if self._pre_takeoff is not None:
            home_d = fc.home[2] if fc.home else 0.0
            td = home_d - self._pre_takeoff
            if b.down_m <= td + TAKEOFF_DONE_M:
                self._pre_takeoff = None
            else:
                return Demand(north_m=b.north_m, east_m=b.east_m, down_m=td, yaw_rad=self._yaw)
        command = item.command
        if command == M.MAV_CMD_NAV_TAKEOFF:
            return self._takeoff(fc, item)
        if command == M.MAV_CMD_NAV_LAND:
            return self._land(fc, item, now)
        if command == M.MAV_CMD_NAV_RETURN_TO_LAUNCH:
            return self._rtl(fc)
        if command == M.MAV_CMD_NAV_DELAY:
            return self._wait(fc, item.p1, now, hold)
        return self._fly_to(fc, item, now)

    def _takeoff(self, fc: FlightController, item: Item) -> Demand:
        b = fc.body
        if self._target is None:
            self._target = (b.north_m, b.east_m, min(self._down_for(fc, item), b.down_m))
            fc.say(f"Mission: {self.current} Takeoff" if not self.px4 else f"Takeoff to {item.z:.1f} m")
        n, e, d = self._target
        if b.down_m <= d + TAKEOFF_DONE_M:
            self._advance(fc, reached=True)
        return Demand(north_m=n, east_m=e, down_m=d, yaw_rad=self._yaw)

    def _fly_to(self, fc: FlightController, item: Item, now: float) -> Demand:
        b = fc.body
        if self._target is None:
            n, e = fc.global_to_ned(item.x, item.y) if item.has_position else (b.north_m, b.east_m)
            self._target = (n, e, self._down_for(fc, item))
            if not self.px4:
                fc.say(f"Mission: {self.current} {'WP' if item.command == M.MAV_CMD_NAV_WAYPOINT else 'Loiter'}")
        n, e, d = self._target
        yaw = self._face(fc, n, e)
        self._yaw = yaw if yaw is not None else self._yaw
        radius = item.p2 if self.px4 and item.command == M.MAV_CMD_NAV_WAYPOINT and item.p2 > 0 else ACCEPT_RADIUS_M
        demand = Demand(north_m=n, east_m=e, down_m=d, yaw_rad=self._yaw, speed_limit_mps=self._speed)
        if self._arrived_at is None:
            if math.hypot(n - b.north_m, e - b.east_m) <= radius and abs(d - b.down_m) <= ACCEPT_HEIGHT_M:
                self._arrived_at = now
            else:
                return demand
        if item.command == M.MAV_CMD_NAV_LOITER_UNLIM:
            return demand
        wait = max(0.0, item.p1)
        if item.command == M.MAV_CMD_NAV_LOITER_TURNS:
            wait = max(0.0, item.p1) * 2 * math.pi * max(abs(item.p3), 1.0) / LOITER_TURN_SPEED_MPS
        if now - self._arrived_at >= wait:
            self._advance(fc, reached=True)
        return demand

    def _wait(self, fc: FlightController, seconds: float, now: float, hold: Demand) -> Demand:
        if self._arrived_at is None:
            self._arrived_at = now
        if now - self._arrived_at >= max(0.0, seconds):
            self._advance(fc, reached=True)
        return hold

    def _land(self, fc: FlightController, item: Item, now: float) -> Demand:
        b = fc.body
        if self._target is None:
            n, e = fc.global_to_ned(item.x, item.y) if item.has_position else (b.north_m, b.east_m)
            self._target = (n, e, b.down_m)
            if not self.px4:
                fc.say(f"Mission: {self.current} Land")
        n, e, d = self._target
        if not self.landing:
            if math.hypot(n - b.north_m, e - b.east_m) > ACCEPT_RADIUS_M:
                return Demand(north_m=n, east_m=e, down_m=d, yaw_rad=self._face(fc, n, e) or self._yaw,
                              speed_limit_mps=self._speed)
            self.landing = True
        if fc.landed:
            self._advance(fc, reached=True)
            return Demand(north_m=n, east_m=e, down_m=0.0, yaw_rad=self._yaw)
        return fc.land_demand(n, e)

    def _rtl(self, fc: FlightController) -> Demand:
        if self.px4:  # PX4's mission hands over to its Return mode
            self._advance(fc, reached=True)
            fc.enter_mode(fc.modes.rtl_mode)
            return fc.rtl_demand()
        if not self._rtl_started:
            self._rtl_started = True
            fc.begin_rtl()
            fc.say(f"Mission: {self.current} RTL")
        demand = fc.rtl_demand()
        self.landing = fc.rtl_landing
        if fc.landed and self.landing:
            self._advance(fc, reached=True)
        return demand

    # ---- what the GCS reads -------------------------------------------------------------------

    def mission_state(self) -> int:
        if not self.has_mission:
            return int(M.MISSION_STATE_NO_MISSION)
        return int({"NOT_STARTED": M.MISSION_STATE_NOT_STARTED, "ACTIVE": M.MISSION_STATE_ACTIVE,
                    "PAUSED": M.MISSION_STATE_PAUSED, "COMPLETE": M.MISSION_STATE_COMPLETE}.get(
                        self.state, M.MISSION_STATE_UNKNOWN))

    def total(self) -> int:
        """MISSION_CURRENT.total: the items without ArduPilot's home (0 with no mission, as ArduCopter sends)."""
        return max(self.count - self.first, 0)
