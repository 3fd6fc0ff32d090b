"""Pure kinematics of a multicopter: no MAVLink, no clock, no threads.

The vehicle is a point mass in local NED (metres from the EKF origin) that tracks a velocity
demand with an acceleration limit. Position demands go through a square-root controller, the
shape ArduPilot and PX4 use, so the vehicle decelerates inside the acceleration limit and stops
on its target without overshoot. Roll and pitch are what a real airframe would show for the
acceleration plus drag it is producing (small angles, clamped); yaw follows the heading demand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

GRAVITY = 9.80665
MAX_TILT_RAD = math.radians(35.0)
DRAG_PER_S = 0.2  # drag deceleration per m/s of airspeed: ~14 deg pitch at 12 m/s
ATTITUDE_TAU_S = 0.08  # airframe attitude lag
YAW_RATE_MAX = math.radians(200.0)  # PX4 MC_YAWRATE_MAX
YAW_RATE_AUTO = math.radians(60.0)  # turning to a yaw target
YAW_ACCEL = math.radians(360.0)
POSITION_GAIN = 1.5  # 1/s, sqrt-controller P gain (linear zone ~1.4 m at 4 m/s²)
GROUND_EPS_M = 0.02


def wrap_pi(angle: float) -> float:
    """Angle wrapped to (-pi, pi]."""
    a = math.fmod(angle + math.pi, 2.0 * math.pi)
    if a <= 0.0:
        a += 2.0 * math.pi
    return a - math.pi


def sqrt_controller(error: float, gain: float, accel: float) -> float:
    """Velocity towards a target ``error`` away that can still stop within ``accel``."""
    if accel <= 0.0:
        return error * gain
    linear = accel / (gain * gain)
    if abs(error) <= linear:
        return error * gain
    return math.copysign(math.sqrt(2.0 * accel * (abs(error) - linear / 2.0)), error)


def stopping_distance(speed: float, accel: float) -> float:
    """Distance to stop from ``speed`` at ``accel`` (signed like speed)."""
    return speed * abs(speed) / (2.0 * accel) if accel > 0 else 0.0


@dataclass(frozen=True)
class Limits:
    max_speed_mps: float = 12.0
    max_accel_mps2: float = 4.0
    max_climb_mps: float = 3.0
    max_descent_mps: float = 1.5


@dataclass(frozen=True)
class Demand:
    """What the flight controller asks of the airframe for one step.

    Horizontal: a position (``north_m``/``east_m``) or else a velocity (``vn``/``ve``).
    Vertical: a height (``down_m``) or else a vertical speed (``vd``). Yaw: an absolute heading
    (``yaw_rad``) or else a rate. ``speed_limit_mps`` caps horizontal speed below the airframe
    limit (RTL cruise, for example); ``climb_limit_mps``/``descent_limit_mps`` likewise.
    """

    north_m: float | None = None
    east_m: float | None = None
    vn: float = 0.0
    ve: float = 0.0
    down_m: float | None = None
    vd: float = 0.0
    yaw_rad: float | None = None
    yaw_rate: float = 0.0
    speed_limit_mps: float | None = None
    climb_limit_mps: float | None = None
    descent_limit_mps: float | None = None


HOLD_STILL = Demand()


class Multicopter:
    """Kinematic state and one-step integration. Not thread-safe: one owner thread."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.north_m = 0.0
        self.east_m = 0.0
        self.down_m = 0.0
        self.vn = 0.0
        self.ve = 0.0
        self.vd = 0.0
        self.yaw_rad = 0.0
        self.yaw_rate = 0.0
        self.roll_rad = 0.0
        self.pitch_rad = 0.0
        self.roll_rate = 0.0
        self.pitch_rate = 0.0
        self.accel_n = 0.0
        self.accel_e = 0.0

    # ---- queries -------------------------------------------------------------------------

    @property
    def alt_m(self) -> float:
        return -self.down_m

    @property
    def on_ground(self) -> bool:
        return self.down_m >= -GROUND_EPS_M

    @property
    def groundspeed(self) -> float:
        return math.hypot(self.vn, self.ve)

    def stopping_point(self) -> tuple[float, float, float]:
        """Where the vehicle comes to rest if it brakes now at its acceleration limit (N, E, D)."""
        a = self.limits.max_accel_mps2 * 0.8
        return (
            self.north_m + stopping_distance(self.vn, a),
            self.east_m + stopping_distance(self.ve, a),
            min(0.0, self.down_m + stopping_distance(self.vd, a)),
        )

    # ---- integration ---------------------------------------------------------------------

    def step(self, dt: float, demand: Demand, motors: bool) -> None:
        """Advance ``dt`` seconds. With ``motors`` off the vehicle falls (or stays on the ground)."""
        if motors:
            self._fly(dt, demand)
        else:
            self._unpowered(dt)
        self._attitude(dt)

    def _fly(self, dt: float, d: Demand) -> None:
        lim = self.limits
        accel = lim.max_accel_mps2
        # horizontal velocity demand
        speed_cap = lim.max_speed_mps
        if d.speed_limit_mps is not None:
            speed_cap = min(speed_cap, d.speed_limit_mps)
        if d.north_m is not None and d.east_m is not None:
            en, ee = d.north_m - self.north_m, d.east_m - self.east_m
            dist = math.hypot(en, ee)
            speed = sqrt_controller(dist, POSITION_GAIN, accel * 0.8)
            want_n, want_e = (en / dist * speed, ee / dist * speed) if dist > 1e-9 else (0.0, 0.0)
        else:
            want_n, want_e = d.vn, d.ve
        mag = math.hypot(want_n, want_e)
        if mag > speed_cap:
            want_n, want_e = want_n * speed_cap / mag, want_e * speed_cap / mag
        # vertical velocity demand (down positive)
        climb = lim.max_climb_mps if d.climb_limit_mps is None else min(lim.max_climb_mps, d.climb_limit_mps)
        descent = lim.max_descent_mps if d.descent_limit_mps is None else d.descent_limit_mps
        want_d = d.vd
        if d.down_m is not None:
            want_d = sqrt_controller(d.down_m - self.down_m, POSITION_GAIN, accel * 0.8)
        want_d = max(-climb, min(descent, want_d))
        # accelerate towards the demand within the limit (horizontal as a vector)
        dvn, dve = want_n - self.vn, want_e - self.ve
        dmag = math.hypot(dvn, dve)
        step = accel * dt
        if dmag > step:
            dvn, dve = dvn * step / dmag, dve * step / dmag
        dvd = max(-step, min(step, want_d - self.vd))
        self.accel_n, self.accel_e = dvn / dt, dve / dt
        self.vn += dvn
        self.ve += dve
        self.vd += dvd
        self._integrate(dt)
        self._yaw(dt, d)

    def _unpowered(self, dt: float) -> None:
        self.accel_n = self.accel_e = 0.0
        self.yaw_rate = 0.0
        if self.on_ground and self.vd >= 0.0:
            self.vn = self.ve = self.vd = 0.0
            self.down_m = 0.0
            return
        # free fall with a little drag
        self.vd += (GRAVITY - DRAG_PER_S * self.vd) * dt
        self.vn -= DRAG_PER_S * self.vn * dt
        self.ve -= DRAG_PER_S * self.ve * dt
        self._integrate(dt)

    def _integrate(self, dt: float) -> None:
        self.north_m += self.vn * dt
        self.east_m += self.ve * dt
        self.down_m += self.vd * dt
        if self.down_m >= 0.0:  # the ground
            self.down_m = 0.0
            if self.vd > 0.0:
                self.vd = 0.0
            if self.vd >= 0.0:  # resting on it: no sliding
                self.vn = self.ve = 0.0
                self.accel_n = self.accel_e = 0.0

    def _yaw(self, dt: float, d: Demand) -> None:
        if self.on_ground and self.vd >= 0.0 and d.vd >= 0.0 and d.down_m is None:
            want = 0.0  # no yawing while sitting on the skids
        elif d.yaw_rad is not None:
            err = wrap_pi(d.yaw_rad - self.yaw_rad)
            want = max(-YAW_RATE_AUTO, min(YAW_RATE_AUTO, 2.0 * err))
        else:
            want = max(-YAW_RATE_MAX, min(YAW_RATE_MAX, d.yaw_rate))
        step = YAW_ACCEL * dt
        self.yaw_rate += max(-step, min(step, want - self.yaw_rate))
        self.yaw_rad = wrap_pi(self.yaw_rad + self.yaw_rate * dt)

    def _attitude(self, dt: float) -> None:
        if self.on_ground and self.vd >= 0.0:
            want_roll = want_pitch = 0.0
        else:
            # specific force the rotors must produce horizontally: acceleration plus drag
            fn = self.accel_n + DRAG_PER_S * self.vn
            fe = self.accel_e + DRAG_PER_S * self.ve
            c, s = math.cos(self.yaw_rad), math.sin(self.yaw_rad)
            forward = c * fn + s * fe
            right = -s * fn + c * fe
            want_pitch = max(-MAX_TILT_RAD, min(MAX_TILT_RAD, -math.atan2(forward, GRAVITY)))
            want_roll = max(-MAX_TILT_RAD, min(MAX_TILT_RAD, math.atan2(right, GRAVITY)))
        k = min(1.0, dt / ATTITUDE_TAU_S)
        new_roll = self.roll_rad + (want_roll - self.roll_rad) * k
        new_pitch = self.pitch_rad + (want_pitch - self.pitch_rad) * k
        self.roll_rate = (new_roll - self.roll_rad) / dt
        self.pitch_rate = (new_pitch - self.pitch_rad) / dt
        self.roll_rad, self.pitch_rad = new_roll, new_pitch


class BatteryModel:
    """A LiPo pack: coulomb counting, open-circuit voltage from charge, sag under load."""

    CELL_EMPTY_V = 3.5
    CELL_FULL_V = 4.2
    PACK_RESISTANCE_PER_CELL = 0.005  # ohm

    def __init__(self, cells: int, capacity_mah: float, start_pct: float = 100.0, drain_scale: float = 1.0) -> None:
        self.cells = cells
        self.capacity_mah = capacity_mah
        self.drain_scale = drain_scale  # > 1 drains the pack faster than the current says (tests)
        self.consumed_mah = 0.0
        self.current_a = 0.0
        self.set_remaining_pct(start_pct)

    def set_remaining_pct(self, pct: float) -> None:
        """Put the charge at ``pct`` percent (a test's shortcut to a threshold)."""
        self.consumed_mah = self.capacity_mah * (1.0 - max(0.0, min(100.0, pct)) / 100.0)

    @property
    def remaining_frac(self) -> float:
        return max(0.0, 1.0 - self.consumed_mah / self.capacity_mah)

    @property
    def remaining_pct(self) -> float:
        return 100.0 * self.remaining_frac

    @property
    def cell_voltage_v(self) -> float:
        ocv = self.CELL_EMPTY_V + (self.CELL_FULL_V - self.CELL_EMPTY_V) * self.remaining_frac
        return max(3.0, ocv - self.current_a * self.PACK_RESISTANCE_PER_CELL)

    @property
    def voltage_v(self) -> float:
        return self.cells * self.cell_voltage_v

    def step(self, dt: float, current_a: float) -> None:
        self.current_a = current_a
        self.consumed_mah += current_a * self.drain_scale * dt * 1000.0 / 3600.0

    @staticmethod
    def current_for(armed: bool, airborne: bool, groundspeed: float, climb: float, max_speed: float) -> float:
        """Current draw in amperes: avionics, idling props, hover plus speed and climb."""
        if not armed:
            return 0.4
        if not airborne:
            return 3.0
        speed_frac = min(1.0, groundspeed / max_speed) if max_speed > 0 else 0.0
        return 15.0 * (1.0 + 0.3 * speed_frac**2 + 0.1 * max(-2.0, min(3.0, climb)))

    @staticmethod
    def throttle_pct(armed: bool, airborne: bool, current_a: float) -> int:
        if not armed:
            return 0
        if not airborne:
            return 10
        return max(0, min(100, round(45.0 * current_a / 15.0)))
