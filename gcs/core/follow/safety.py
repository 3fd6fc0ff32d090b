"""The safety gate: every follow intent passes here before the commander, and nowhere else.

One place decides, in this order, and says why:

1. operator abort (latched until ``reset()``)      -> hold
2. no vehicle state, link not OK, vehicle disarmed -> hold
3. target: none selected or LOST -> hold at once; SEARCHING or a frozen stream (no new locked
   frame) -> hold once the last locked frame is older than ``target_lost_timeout_s``
4. geofence: outside ``geofence_radius_m`` of home, the outward part of the velocity is removed;
   no home position with a fence configured -> hold (fail closed)
5. clamps: horizontal speed, vertical speed, yaw rate
6. altitude: no descent at or below ``min_altitude_m``, no climb at or above ``max_altitude_m``

A decision is ``held`` when the vehicle must hold now: ``SafetyDecision.command`` turns it into a
zero-velocity intent for the commander at once.
``intent is None`` without ``held`` means "nothing new to send" (the profile had no command
during the grace period), so the commander lets its last setpoint expire on its lifetime.
Clamps pass a modified intent with the reasons, so the pilot sees "yaw rate clamped", not silence.

Freshness is judged on the caller's clock (``now_s``) by when a new locked frame was last seen,
not by comparing ``frame_time_s`` with ``now_s``, so the gate does not depend on the capture
clock being the same monotonic clock as the follower's.
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass

from gcs.core.models import CommandIntent, LinkState, VehicleState, VelocityBodyYawRate, VelocityNedYawRate
from gcs.core.tracking.types import TrackedTarget, TrackState

log = logging.getLogger(__name__)

SAFETY_TOPIC = "follow.safety"  # where the follow loop publishes each SafetyDecision that has reasons
_EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True)
class SafetyLimits:
    """Hard limits (the config's ``safety`` section); they win over any profile's own limits."""

    max_horizontal_mps: float = 5.0
    max_vertical_mps: float = 1.0
    max_yaw_rate_dps: float = 60.0
    min_altitude_m: float = 2.0
    max_altitude_m: float = 60.0
    target_lost_timeout_s: float = 1.0
    geofence_radius_m: float | None = None
    require_armed: bool = True


@dataclass(frozen=True)
class SafetyDecision:
    """What the commander gets: the (possibly clamped) intent or None, and every reason."""

    intent: CommandIntent | None
    reasons: tuple[str, ...]
    held: bool

    @property
    def modified(self) -> bool:
        """True when an intent passed but was changed (clamped or fenced)."""
        return self.intent is not None and bool(self.reasons)

    def command(self, now_s: float) -> CommandIntent | None:
        """What to hand the commander: the intent, a zero-velocity hold when held, else None.

        None means send nothing new: the commander's last setpoint runs out on its lifetime.
        """
        if self.held:
            return CommandIntent(VelocityBodyYawRate(), now_s, "safety:hold")
        return self.intent


class SafetyGate:
    """Filters intents; keeps only the abort latch and when a fresh locked target was last seen.

    ``filter`` is called by one thread (the follow loop); ``abort``/``reset`` from any thread.
    """

    def __init__(self, limits: SafetyLimits | None = None) -> None:
        self.limits = limits if limits is not None else SafetyLimits()
        self._lock = threading.Lock()
        self._abort_reason: str | None = None
        self._last_key: tuple[int, float] | None = None
        self._last_fresh_s: float | None = None

    def abort(self, reason: str = "operator abort") -> None:
        """Refuse everything until ``reset()``."""
        with self._lock:
            self._abort_reason = reason
        log.warning("follow aborted: %s", reason)

    def reset(self) -> None:
        """Clear the abort latch and forget the target history (a new follow starts clean)."""
        with self._lock:
            self._abort_reason = None
            self._last_key = None
            self._last_fresh_s = None

    @property
    def aborted(self) -> bool:
        with self._lock:
            return self._abort_reason is not None

    def filter(
        self,
        intent: CommandIntent | None,
        *,
        target: TrackedTarget | None,
        state: VehicleState | None,
        now_s: float,
        target_required: bool = True,
    ) -> SafetyDecision:
        """Decide what may be sent for ``intent``; see the module docstring for the order."""
        with self._lock:
            abort_reason = self._abort_reason
        if abort_reason is not None:
            return _hold(f"operator abort: {abort_reason}")
        if state is None:
            return _hold("no vehicle state")
        if state.link.state is not LinkState.OK:
            return _hold(f"link {state.link.state.value}")
        if self.limits.require_armed and not state.armed:
            return _hold("vehicle disarmed")
        if target_required:
            why = self._target_problem(target, now_s)
            if why is not None:
                return _hold(why)
        if intent is None:
            return SafetyDecision(None, ("no command from the profile",), held=False)
        reasons: list[str] = []
        velocity = intent.velocity
        fenced = self._fence(velocity, state, reasons)
        if fenced is None:
            return _hold(reasons[-1])
        velocity = self._clamp(fenced, reasons)
        velocity = self._altitude(velocity, state, reasons)
        if not reasons:
            return SafetyDecision(intent, (), held=False)
        out = CommandIntent(velocity, intent.created_s, intent.source, intent.lifetime_s)
        return SafetyDecision(out, tuple(reasons), held=False)

    # ---- checks ------------------------------------------------------------------------------

    def _target_problem(self, target: TrackedTarget | None, now_s: float) -> str | None:
        if target is None or target.state is TrackState.IDLE:
            return "no target selected"
        if target.state is TrackState.LOST:
            return f"target lost ({target.reason})" if target.reason else "target lost"
        with self._lock:
            if target.is_locked and (target.frame_seq, target.frame_time_s) != self._last_key:
                self._last_key, self._last_fresh_s = (target.frame_seq, target.frame_time_s), now_s
            last_fresh_s = self._last_fresh_s
        if last_fresh_s is None:
            return "target not locked yet"
        age = now_s - last_fresh_s
        if age > self.limits.target_lost_timeout_s:
            what = "searching" if target.state is TrackState.SEARCHING else "no new frame"
            return f"target not seen for {age:.1f} s ({what})"
        return None

    def _fence(
        self, v: VelocityBodyYawRate | VelocityNedYawRate, state: VehicleState, reasons: list[str]
    ) -> VelocityBodyYawRate | VelocityNedYawRate | None:
        radius = self.limits.geofence_radius_m
        if radius is None:
            return v
        if state.home is None:
            reasons.append("geofence set but no home position")
            return None
        pos = state.global_position
        lat0 = math.radians(state.home.lat_deg)
        north = math.radians(pos.lat_deg - state.home.lat_deg) * _EARTH_RADIUS_M
        east = math.radians(pos.lon_deg - state.home.lon_deg) * _EARTH_RADIUS_M * math.cos(lat0)
        distance = math.hypot(north, east)
        if distance <= radius:
            return v
        yaw = state.attitude.yaw_rad
        if isinstance(v, VelocityBodyYawRate):  # body -> NED by heading
            vn = v.forward_mps * math.cos(yaw) - v.right_mps * math.sin(yaw)
            ve = v.forward_mps * math.sin(yaw) + v.right_mps * math.cos(yaw)
        else:
            vn, ve = v.north_mps, v.east_mps
        un, ue = north / distance, east / distance
        outward = vn * un + ve * ue
        if outward <= 0.0:
            return v
        vn, ve = vn - outward * un, ve - outward * ue
        reasons.append(f"outside geofence ({distance:.0f} m > {radius:.0f} m): outward motion removed")
        if isinstance(v, VelocityBodyYawRate):
            forward = vn * math.cos(yaw) + ve * math.sin(yaw)
            right = -vn * math.sin(yaw) + ve * math.cos(yaw)
            return VelocityBodyYawRate(forward, right, v.down_mps, v.yaw_rate_radps)
        return VelocityNedYawRate(vn, ve, v.down_mps, v.yaw_rate_radps)

    def _clamp(
        self, v: VelocityBodyYawRate | VelocityNedYawRate, reasons: list[str]
    ) -> VelocityBodyYawRate | VelocityNedYawRate:
        lim = self.limits
        a, b = (v.forward_mps, v.right_mps) if isinstance(v, VelocityBodyYawRate) else (v.north_mps, v.east_mps)
        down, yaw = v.down_mps, v.yaw_rate_radps
        speed = math.hypot(a, b)
        if speed > lim.max_horizontal_mps:
            k = lim.max_horizontal_mps / speed
            a, b = a * k, b * k
            reasons.append(f"horizontal speed {speed:.1f} m/s clamped to {lim.max_horizontal_mps:.1f}")
        if abs(down) > lim.max_vertical_mps:
            reasons.append(f"vertical speed {abs(down):.1f} m/s clamped to {lim.max_vertical_mps:.1f}")
            down = math.copysign(lim.max_vertical_mps, down)
        max_yaw = math.radians(lim.max_yaw_rate_dps)
        if abs(yaw) > max_yaw:
            reasons.append(f"yaw rate {math.degrees(abs(yaw)):.0f} deg/s clamped to {lim.max_yaw_rate_dps:.0f}")
            yaw = math.copysign(max_yaw, yaw)
        if isinstance(v, VelocityBodyYawRate):
            return VelocityBodyYawRate(a, b, down, yaw)
        return VelocityNedYawRate(a, b, down, yaw)

    def _altitude(
        self, v: VelocityBodyYawRate | VelocityNedYawRate, state: VehicleState, reasons: list[str]
    ) -> VelocityBodyYawRate | VelocityNedYawRate:
        alt = state.global_position.alt_rel_m
        if v.down_mps > 0.0 and alt <= self.limits.min_altitude_m:
            reasons.append(f"at altitude floor ({alt:.1f} m <= {self.limits.min_altitude_m:.1f} m): descent refused")
        elif v.down_mps < 0.0 and alt >= self.limits.max_altitude_m:
            reasons.append(f"at altitude ceiling ({alt:.1f} m >= {self.limits.max_altitude_m:.1f} m): climb refused")
        else:
            return v
        if isinstance(v, VelocityBodyYawRate):
            return VelocityBodyYawRate(v.forward_mps, v.right_mps, 0.0, v.yaw_rate_radps)
        return VelocityNedYawRate(v.north_mps, v.east_mps, 0.0, v.yaw_rate_radps)


def _hold(reason: str) -> SafetyDecision:
    return SafetyDecision(None, (reason,), held=True)
