"""AlertMonitor: the small thread that judges every live vehicle ten times a second.

Why a thread of its own: the conditions read the latest vehicle states, the follower and the
tracker, which are published on the link, tracking and commander threads at up to hundreds of
messages a second; judging there would put work on the link thread and the 20 Hz setpoint
stream, and a critical battery must command the vehicle, which blocks on a COMMAND_ACK. So the
monitor pulls the latest values on its own clock (``PERIOD_S``: a change is seen within 0.1 s of
its telemetry), remembers the little that needs memory (a GPS fix once seen, a good estimate once
seen, recent packet counts, since when the target is unlocked) and hands the engine the set of
true conditions. It never blocks on I/O itself: ``on_critical`` (the service) must return at once.

Critical battery: when the battery is critical on the vehicle the follower or the setpoint stream
drives, ``on_critical(system_id, message)`` is called once - on the tick where "critical and
driven" becomes true - not on every tick after; if following is somehow restarted while critical,
that is a new start and is answered again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from gcs.core.alerts.conditions import AlertLimits, VehicleView, findings
from gcs.core.alerts.engine import AlertEngine, Key
from gcs.core.alerts.types import AlertEvent, AlertKind, Finding
from gcs.core.models import VehicleState
from gcs.core.tracking.types import TrackState

log = logging.getLogger(__name__)

PERIOD_S = 0.1
LOSS_WINDOW_S = 5.0  # packet loss is judged over this much of the recent past

OnCritical = Callable[[int, str], None]


class AlertMonitor:
    """Feed the engine from the latest values; ``start()``/``close()`` own the thread, ``tick()`` is one pass."""

    def __init__(
        self,
        engine: AlertEngine,
        *,
        vehicles: Callable[[], list[VehicleState]],
        driven: Callable[[], int | None],
        following: Callable[[], bool],
        target: Callable[[], TrackState | None],
        limits: Callable[[], AlertLimits],
        on_critical: OnCritical,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.engine = engine
        self._vehicles = vehicles
        self._driven = driven
        self._following = following
        self._target = target
        self._limits = limits
        self._on_critical = on_critical
        self._clock = clock
        self._had_fix: set[int] = set()
        self._had_estimate: set[int] = set()
        self._counts: dict[int, deque[tuple[float, int, int]]] = {}
        self._unlocked_since: float | None = None
        self._critical_driven: set[int] = set()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="alerts", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(PERIOD_S):
            try:
                self.tick()
            except Exception:  # one bad tick must not end alerting for the rest of the flight
                log.exception("alert evaluation failed")

    # ---- one pass ------------------------------------------------------------------------------

    def tick(self) -> list[AlertEvent]:
        """Judge every vehicle now, apply to the engine, answer a new critical battery."""
        now = self._clock()
        limits = self._limits()
        states = self._vehicles()
        driven = self._driven()
        following = self._following()
        target = self._target()
        unlocked_s = self._unlocked(now, following and driven is not None, target)
        found: dict[Key, Finding] = {}
        for state in states:
            sid = state.system_id
            if state.gps.has_fix:
                self._had_fix.add(sid)
            if state.health.position_estimate_ok:
                self._had_estimate.add(sid)
            is_driven = sid == driven
            view = VehicleView(
                state,
                had_fix=sid in self._had_fix,
                had_estimate=sid in self._had_estimate,
                driving=is_driven and following,
                target=target,
                unlocked_s=unlocked_s if is_driven else None,
                recent_loss_pct=self._recent_loss(sid, state, now),
            )
            for kind, finding in findings(view, limits, self._is_active_for(sid)).items():
                found[(kind, sid)] = finding
        self._forget_gone({s.system_id for s in states})
        events = self.engine.apply(found)
        self._critical(found, driven)
        return events

    def has_seen_fix(self, system_id: int) -> bool:
        """True once a tick saw this vehicle with a GPS fix (only then can its loss be an alert)."""
        return system_id in self._had_fix

    def _is_active_for(self, sid: int) -> Callable[[AlertKind], bool]:
        return lambda kind: self.engine.is_active(kind, sid)

    def _critical(self, found: dict[Key, Finding], driven: int | None) -> None:
        now_critical = {sid for kind, sid in found if kind is AlertKind.BATTERY_CRITICAL and sid == driven}
        started = {sid for sid in now_critical if sid is not None} - self._critical_driven
        self._critical_driven = {sid for sid in now_critical if sid is not None}
        for sid in sorted(started):
            self._on_critical(sid, found[(AlertKind.BATTERY_CRITICAL, sid)].message)

    def _unlocked(self, now: float, following: bool, target: TrackState | None) -> float | None:
        if not following or target is TrackState.LOCKED:
            self._unlocked_since = None
            return None
        if self._unlocked_since is None:
            self._unlocked_since = now
        return now - self._unlocked_since

    def _recent_loss(self, sid: int, state: VehicleState, now: float) -> float | None:
        """Percent of messages lost over the last ``LOSS_WINDOW_S`` (the link's own figure is since it opened)."""
        samples = self._counts.setdefault(sid, deque())
        samples.append((now, state.link.received, state.link.lost))
        while len(samples) > 2 and now - samples[1][0] >= LOSS_WINDOW_S:
            samples.popleft()
        _, received0, lost0 = samples[0]
        received, lost = state.link.received - received0, state.link.lost - lost0
        if received < 0 or lost < 0:  # counters reset (reconnect)
            samples.clear()
            return None
        total = received + lost
        return 100.0 * lost / total if total >= 20 else None

    def _forget_gone(self, present: set[int]) -> None:
        for gone in set(self._counts) - present:
            self._counts.pop(gone, None)
        self._had_fix &= present
        self._had_estimate &= present
