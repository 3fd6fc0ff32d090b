"""Which alert conditions are true for one vehicle now: pure checks, with hysteresis.

``findings(view, limits, active)`` reads a ``VehicleView`` (the vehicle's state plus what the
monitor remembers about it: whether it ever had a GPS fix, whether we are driving it, how long
the target has been unlocked, recent packet loss) and answers the kinds that are true, each with
its level and the words a pilot reads. ``active(kind)`` says whether that alert is already on, so
a value near a threshold does not flap: an alert starts at its threshold and clears only past a
margin (battery +2 points, packet loss below half its start, geofence 2 m inside).

No clock, no I/O: the monitor passes in what time it is as durations, so tests feed states.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from gcs.core.alerts.types import AlertKind, AlertLevel, Finding
from gcs.core.config.schema import SafetyConfig
from gcs.core.models import LinkState, VehicleState
from gcs.core.tracking.types import TrackState

BATTERY_HYSTERESIS_PCT = 2.0  # a low/critical battery clears only this far above its threshold
LOSS_DEGRADED_PCT = 10.0  # recent packet loss at which the link is degraded
LOSS_CLEAR_PCT = 5.0  # ... and below which it is good again
SILENCE_DEGRADED_MIN_S = 1.5  # a heartbeat missed (1 Hz): degraded; also at half the watchdog time
GEOFENCE_HYSTERESIS_M = 2.0
EARTH_RADIUS_M = 6_371_000.0
FIX_NAMES = {0: "NO_GPS", 1: "NO_FIX", 2: "2D_FIX"}
BREACH_NAMES = {1: "minimum altitude", 2: "maximum altitude", 3: "boundary"}
CRITICAL_ACTION_WORDS = {"hold": "holds position", "rtl": "returns to launch", "land": "lands where it is"}

Active = Callable[[AlertKind], bool]


@dataclass(frozen=True)
class AlertLimits:
    """The config values the checks read (``safety`` and the link watchdog)."""

    safety: SafetyConfig
    watchdog_timeout_s: float = 3.0


@dataclass(frozen=True)
class VehicleView:
    """One vehicle as the monitor sees it this tick."""

    state: VehicleState
    had_fix: bool = False  # a 3D fix was seen on this link since it was connected
    had_estimate: bool = False  # the position estimate was good once
    driving: bool = False  # the follower or the setpoint stream drives this vehicle
    target: TrackState | None = None  # the tracker's state (None: no tracker)
    unlocked_s: float | None = None  # while driving: how long the target has not been LOCKED
    recent_loss_pct: float | None = None  # packet loss over the last few seconds


def distance_from_home_m(state: VehicleState) -> float | None:
    """Horizontal distance from home (flat earth: a geofence is at most kilometres)."""
    home = state.home
    pos = state.global_position
    if home is None or (pos.lat_deg == 0.0 and pos.lon_deg == 0.0):
        return None
    north = math.radians(pos.lat_deg - home.lat_deg) * EARTH_RADIUS_M
    east = math.radians(pos.lon_deg - home.lon_deg) * EARTH_RADIUS_M * math.cos(math.radians(home.lat_deg))
    return math.hypot(north, east)


def _flying_level(state: VehicleState) -> AlertLevel:
    return AlertLevel.CRITICAL if state.armed else AlertLevel.WARNING


def _battery(view: VehicleView, limits: AlertLimits, active: Active, out: dict[AlertKind, Finding]) -> None:
    pct = view.state.battery.remaining_pct
    if pct is None or math.isnan(pct) or pct < 0:
        return
    s = limits.safety
    for kind, threshold in ((AlertKind.BATTERY_LOW, s.battery_low_percent),
                            (AlertKind.BATTERY_CRITICAL, s.battery_critical_percent)):
        on = pct <= threshold or (active(kind) and pct <= threshold + BATTERY_HYSTERESIS_PCT)
        if not on:
            continue
        if kind is AlertKind.BATTERY_LOW:
            out[kind] = Finding(AlertLevel.WARNING, f"Battery low: {pct:.0f}% (at or below {threshold:g}%)")
        else:
            action = s.critical_battery_action
            out[kind] = Finding(
                AlertLevel.CRITICAL,
                f"Battery critical: {pct:.0f}% (at or below {threshold:g}%): following stops and the vehicle "
                f"{CRITICAL_ACTION_WORDS[action]} (safety.critical_battery_action: {action})",
            )


def _gps_and_estimate(view: VehicleView, out: dict[AlertKind, Finding]) -> None:
    state = view.state
    if view.had_fix and not state.gps.has_fix:
        fix = FIX_NAMES.get(state.gps.fix_type, str(state.gps.fix_type))
        out[AlertKind.GPS_LOST] = Finding(
            _flying_level(state), f"GPS fix lost: the vehicle reports {fix} ({state.gps.satellites} satellites)"
        )
    if state.health.position_estimate_ok is False and (view.had_estimate or state.armed):
        out[AlertKind.EKF_BAD] = Finding(
            _flying_level(state), "Position estimate bad: the autopilot's EKF cannot hold a position"
        )


def _link(view: VehicleView, limits: AlertLimits, active: Active, out: dict[AlertKind, Finding]) -> None:
    link = view.state.link
    if link.state is LinkState.LOST:
        age = f"nothing heard for {link.last_heard_age_s:.1f} s" if link.last_heard_age_s is not None else "not heard"
        out[AlertKind.LINK_LOST] = Finding(AlertLevel.CRITICAL, f"Link lost: {age}")
        return
    if link.state is not LinkState.OK:
        return
    silence_limit = max(SILENCE_DEGRADED_MIN_S, limits.watchdog_timeout_s / 2)
    loss = view.recent_loss_pct
    loss_limit = LOSS_CLEAR_PCT if active(AlertKind.LINK_DEGRADED) else LOSS_DEGRADED_PCT
    why: list[str] = []
    if loss is not None and loss >= loss_limit:
        why.append(f"{loss:.0f}% of messages lost lately")
    if link.last_heard_age_s is not None and link.last_heard_age_s >= silence_limit:
        why.append(f"no heartbeat for {link.last_heard_age_s:.1f} s")
    if why:
        out[AlertKind.LINK_DEGRADED] = Finding(AlertLevel.WARNING, "Link degraded: " + ", ".join(why))


def _target(view: VehicleView, limits: AlertLimits, out: dict[AlertKind, Finding]) -> None:
    if not view.driving or view.unlocked_s is None or view.unlocked_s < limits.safety.target_lost_timeout_s:
        return
    what = view.target.value.upper() if view.target is not None else "not running"
    out[AlertKind.TARGET_LOST_WHILE_FOLLOWING] = Finding(
        AlertLevel.WARNING,
        f"Target lost while following: the tracker is {what} for {view.unlocked_s:.1f} s; the vehicle holds",
    )


def _geofence(view: VehicleView, limits: AlertLimits, active: Active, out: dict[AlertKind, Finding]) -> None:
    state, s = view.state, limits.safety
    health = state.health
    breach: list[str] = []
    if health.fence_breached:
        breach.append(f"the vehicle reports a {BREACH_NAMES.get(health.fence_breach_type, 'fence')} breach")
    if not state.armed:
        if breach:
            out[AlertKind.GEOFENCE_BREACH] = Finding(AlertLevel.CRITICAL, "Geofence breached: " + "; ".join(breach))
        return
    pad = GEOFENCE_HYSTERESIS_M if active(AlertKind.GEOFENCE_NEAR) else 0.0
    near: list[str] = []
    distance = distance_from_home_m(state) if s.geofence_radius_m > 0 else None
    if distance is not None:
        if distance >= s.geofence_radius_m - s.geofence_margin_m - pad:
            near.append(f"{distance:.0f} m from home (fence {s.geofence_radius_m:g} m)")
        if distance > s.geofence_radius_m:
            breach.append(f"{distance:.0f} m from home, outside the {s.geofence_radius_m:g} m fence")
    alt = state.global_position.alt_rel_m
    if alt >= s.max_altitude_m - s.geofence_margin_m - pad:
        near.append(f"{alt:.0f} m high (ceiling {s.max_altitude_m:g} m)")
    if near:
        out[AlertKind.GEOFENCE_NEAR] = Finding(AlertLevel.WARNING, "Geofence near: " + ", ".join(near))
    if breach:
        out[AlertKind.GEOFENCE_BREACH] = Finding(AlertLevel.CRITICAL, "Geofence breached: " + "; ".join(breach))


def findings(view: VehicleView, limits: AlertLimits, active: Active) -> dict[AlertKind, Finding]:
    """Every alert kind true for ``view`` now (``active``: which are on already, for hysteresis)."""
    out: dict[AlertKind, Finding] = {}
    _battery(view, limits, active, out)
    _gps_and_estimate(view, out)
    _link(view, limits, active, out)
    _target(view, limits, out)
    _geofence(view, limits, active, out)
    return out
