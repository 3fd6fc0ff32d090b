"""The setpoint stream: one thread, a fixed rate, and every way out of it fails closed.

PX4 leaves OFFBOARD if setpoints stop for ~0.5 s and ArduPilot stops after 3 s in GUIDED; both
must never be fed an old velocity as if it were new. So this thread alone talks to the vehicle
while following; it waits on nothing but its clock (never video, GUI or HTTP):

- an intent older than its lifetime is replaced by zero velocity (the vehicle brakes and hovers);
- a lost link disengages: no motion is sent, a hold is requested (best effort) and the stream
  does not resume by itself when the link returns - the operator re-engages;
- the vehicle leaving the offboard/guided mode (RC switch, failsafe) disengages at the first
  heartbeat that shows it, with no grace: a pilot switching back to GUIDED a moment later must
  not find the stream (and the follower) still driving;
- a mode change the program itself commands (hold, land, RTL, set_mode, abort) disengages
  before the command is sent (``GcsService`` calls ``disengage``);
- nothing re-engages by itself: only ``engage`` (an operator's follow/offboard start) does.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from gcs.core.bus import MessageBus, Topics
from gcs.core.errors import LinkError
from gcs.core.models import CommandIntent, LinkState, VelocityBodyYawRate, VelocityIntent
from gcs.core.vehicle.vehicle import Vehicle

log = logging.getLogger(__name__)

ZERO_VELOCITY = VelocityBodyYawRate()
MODE_GRACE_S = 2.5  # until the vehicle first reports the required mode (1 Hz heartbeats)


@dataclass(frozen=True)
class CommanderStatus:
    """What the setpoint stream is doing, for the HUD, the API and tests."""

    engaged: bool
    system_id: int | None
    rate_hz: float
    lifetime_s: float
    sent: int
    stale: bool
    velocity: VelocityIntent | None
    intent_source: str | None
    reason: str


class Commander:
    """Streams SET_POSITION_TARGET_LOCAL_NED at ``rate_hz`` to one engaged vehicle."""

    def __init__(self, bus: MessageBus, *, rate_hz: float = 20.0, lifetime_s: float = 0.5) -> None:
        self._bus = bus
        self.rate_hz = rate_hz
        self.lifetime_s = lifetime_s
        self._lock = threading.Lock()
        self._vehicle: Vehicle | None = None
        self._intent: CommandIntent | None = None
        self._required_mode: str | None = None
        self._mode_mismatch_since: float | None = None
        self._mode_seen = False  # the vehicle reported the required mode since require_mode
        self._sent = 0
        self._stale = False
        self._reason = "idle"
        self._last_velocity: VelocityIntent | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="commander", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)

    # ---- control (any thread) --------------------------------------------------------------

    def engage(self, vehicle: Vehicle) -> None:
        """Start streaming (zero velocity until an intent arrives) to ``vehicle``."""
        with self._lock:
            self._vehicle = vehicle
            self._intent = None
            self._required_mode = None
            self._mode_mismatch_since = None
            self._mode_seen = False
            self._reason = "streaming"
        log.info("commander engaged on vehicle %d at %.0f Hz", vehicle.system_id, self.rate_hz)
        self._publish()

    def require_mode(self, mode: str) -> None:
        """Once the vehicle reported ``mode``, leaving it disengages the stream at once; if it
        never reports it within MODE_GRACE_S, the stream stops too."""
        with self._lock:
            self._required_mode = mode.upper()
            self._mode_mismatch_since = None
            self._mode_seen = False

    def disengage(self, reason: str) -> Vehicle | None:
        """Stop sending motion now; returns the vehicle that was engaged (to ask it to hold)."""
        with self._lock:
            vehicle, self._vehicle = self._vehicle, None
            self._intent = None
            self._required_mode = None
            self._reason = reason
            self._last_velocity = None
        if vehicle is not None:
            log.warning("commander disengaged from vehicle %d: %s", vehicle.system_id, reason)
            self._publish()
        return vehicle

    def set_intent(self, intent: CommandIntent) -> None:
        """Latest wanted velocity; it expires after its lifetime."""
        with self._lock:
            self._intent = intent

    @property
    def engaged_vehicle(self) -> Vehicle | None:
        return self._vehicle

    def status(self) -> CommanderStatus:
        with self._lock:
            vehicle, intent = self._vehicle, self._intent
            return CommanderStatus(
                engaged=vehicle is not None,
                system_id=vehicle.system_id if vehicle else None,
                rate_hz=self.rate_hz,
                lifetime_s=self.lifetime_s,
                sent=self._sent,
                stale=self._stale,
                velocity=self._last_velocity,
                intent_source=intent.source if intent else None,
                reason=self._reason,
            )

    # ---- the thread ------------------------------------------------------------------------

    def _run(self) -> None:
        period = 1.0 / self.rate_hz
        next_tick = time.monotonic()
        while not self._stop.is_set():
            next_tick += period
            delay = next_tick - time.monotonic()
            if delay < -period:  # we were starved (debugger, suspend): do not burst to catch up
                next_tick = time.monotonic()
            elif delay > 0:
                self._stop.wait(delay)
            self._tick(time.monotonic())

    def _tick(self, now: float) -> None:
        with self._lock:
            vehicle, intent, required = self._vehicle, self._intent, self._required_mode
        if vehicle is None:
            return
        if vehicle.link_state is LinkState.LOST:
            if self.disengage("link lost") is not None:
                vehicle.request_hold_nowait()
            return
        if required is not None:
            mode = vehicle.state.mode.upper()
            with self._lock:
                if mode == required:
                    self._mode_seen = True
                    self._mode_mismatch_since = None
                    reason = None
                elif self._mode_seen:
                    reason = f"vehicle left {required} (now {vehicle.state.mode})"
                else:
                    self._mode_mismatch_since = self._mode_mismatch_since or now
                    late = now - self._mode_mismatch_since > MODE_GRACE_S
                    reason = f"vehicle never reported {required} (still {vehicle.state.mode})" if late else None
            if reason is not None:
                self.disengage(reason)
                return
        lifetime = intent.lifetime_s if intent and intent.lifetime_s is not None else self.lifetime_s
        stale = intent is None or now - intent.created_s > lifetime
        velocity = ZERO_VELOCITY if stale or intent is None else intent.velocity
        try:
            vehicle.send_velocity(velocity)
        except LinkError as exc:
            log.debug("setpoint not sent: %s", exc)
            return
        with self._lock:
            self._sent += 1
            became_stale = stale and not self._stale and intent is not None
            self._stale = stale
            self._last_velocity = velocity
        if became_stale:
            log.info(
                "setpoint from %s expired after %.2f s: sending zero velocity",
                intent.source if intent else "?",
                lifetime,
            )
        if self._sent % max(1, int(self.rate_hz / 2)) == 0:
            self._publish()

    def _publish(self) -> None:
        self._bus.publish(Topics.COMMANDER, self.status())
