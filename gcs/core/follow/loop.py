"""The follow loop: tracked target -> profile -> safety gate -> commander, on the tracker's thread.

Each ``tracking.target`` result is turned into at most one intent. The loop never talks to the
vehicle itself: it hands the commander an intent that expires, so if tracking stops producing
results (video dropped, tracker stalled) the commander falls back to zero velocity on its own.
Everything the loop decides is published on ``follow.status`` (and reasons on ``follow.safety``)
so the pilot sees why it holds.

Following ends whenever the commander's stream ends (link lost, the vehicle left GUIDED/OFFBOARD,
a hold/land/RTL commanded): the loop then reports itself inactive with the commander's reason and
never turns itself back on - only ``enable`` (the operator's follow start) does.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gcs.core.bus import MessageBus, Subscription, Topics
from gcs.core.follow.camera import CameraModel
from gcs.core.follow.profiles import FollowParams, get_profile
from gcs.core.follow.safety import SAFETY_TOPIC, SafetyDecision, SafetyGate, SafetyLimits
from gcs.core.models import CommandIntent, VehicleState, VelocityBodyYawRate, VelocityIntent
from gcs.core.tracking.types import TrackedTarget
from gcs.core.vehicle.commander import Commander, CommanderStatus

log = logging.getLogger(__name__)

TARGET_TOPIC = "tracking.target"


def _clamp(value: float, limit: float) -> float:
    return max(-limit, min(limit, value))


STATUS_TOPIC = "follow.status"


@dataclass(frozen=True)
class FollowerStatus:
    """What the follower is doing, for the HUD, the plots and ``/telemetry/follower_data``."""

    active: bool
    profile: str
    held: bool
    reasons: tuple[str, ...]
    velocity: VelocityIntent | None
    error_x: float | None
    error_y: float | None
    size_frac: float | None
    updates: int
    time_s: float


class FollowLoop:
    """Owns the safety gate; enabled and disabled by the service (GUI/API), fed by the bus."""

    def __init__(
        self,
        bus: MessageBus,
        commander: Commander,
        vehicle_state: Callable[[], VehicleState | None],
        camera: Callable[[], CameraModel],
        *,
        params: FollowParams | None = None,
        limits: SafetyLimits | None = None,
        profile: str = "chase",
    ) -> None:
        self._bus = bus
        self._commander = commander
        self._vehicle_state = vehicle_state
        self._camera = camera
        self.params = params or FollowParams()
        self.gate = SafetyGate(limits)
        self._profile = get_profile(profile)
        self._lock = threading.Lock()
        # Held while a status is published or a setpoint handed on: a disable/abort can never be
        # overtaken by an update that started before it (HUD stuck on FOLLOWING, a late setpoint).
        self._emit_lock = threading.RLock()
        self._active = False
        self._updates = 0
        self._status = FollowerStatus(False, self._profile.name, False, ("idle",), None, None, None, None, 0, 0.0)
        self._subscription: Subscription | None = None
        # From the start, not with the video: following without a picture must end with the stream too.
        self._commander_subscription: Subscription | None = bus.subscribe(Topics.COMMANDER, self._on_commander)
        self._i_forward = self._i_yaw = 0.0
        self._i_last_s: float | None = None

    def start(self) -> None:
        if self._subscription is None:
            self._subscription = self._bus.subscribe(TARGET_TOPIC, self._on_target)
        if self._commander_subscription is None:
            self._commander_subscription = self._bus.subscribe(Topics.COMMANDER, self._on_commander)

    def close(self) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None
        if self._commander_subscription is not None:
            self._commander_subscription.cancel()
            self._commander_subscription = None

    def _on_commander(self, _topic: str, status: Any) -> None:
        """The stream stopped (link lost, mode left, hold commanded): following is over."""
        if self._active and isinstance(status, CommanderStatus) and not status.engaged:
            self.disable(f"setpoint stream stopped: {status.reason}")

    # ---- control (any thread) ----------------------------------------------------------------

    @property
    def active(self) -> bool:
        return self._active

    @property
    def profile(self) -> str:
        return self._profile.name

    def set_profile(self, name: str) -> None:
        """Switch profile live (FollowError naming the known ones if unknown)."""
        spec = get_profile(name)
        with self._lock:
            self._profile = spec
        self._publish_idle("profile " + spec.name)

    def enable(self) -> None:
        """Start turning targets into intents; a previous abort is cleared (a new follow starts clean)."""
        self.gate.reset()
        self._reset_integral()
        with self._emit_lock:
            with self._lock:
                self._active = True
                self._updates = 0
            log.info("follow enabled (%s)", self._profile.name)
            self._publish_idle("waiting for a locked target")

    def disable(self, reason: str = "operator stop") -> None:
        with self._emit_lock:
            with self._lock:
                was_active, self._active = self._active, False
            if was_active:
                log.info("follow disabled: %s", reason)
            self._publish_idle(reason)

    def abort(self, reason: str = "operator abort") -> None:
        """Latch the gate (everything held) and stop following."""
        self.gate.abort(reason)
        self.disable(reason)

    def status(self) -> FollowerStatus:
        return self._status

    # ---- the loop (tracking worker thread) ---------------------------------------------------

    def _on_target(self, _topic: str, target: Any) -> None:
        if not self._active or not isinstance(target, TrackedTarget):
            return
        now = time.monotonic()
        state = self._vehicle_state()
        with self._lock:
            profile = self._profile
        intent = None
        if state is not None and target.is_locked:
            intent = profile.fn(
                target, state, self._camera().scaled_to(target.frame_w, target.frame_h), self.params, now
            )
        intent = self._integrate(intent, now)
        decision = self.gate.filter(intent, target=target, state=state, now_s=now)
        if decision.held:
            self._reset_integral()
        command = decision.command(now)
        with self._emit_lock:
            if not self._active:
                return  # disabled while this update was computed: its idle status stands
            self._emit(target, profile.name, decision, command)

    def _emit(self, target: TrackedTarget, profile: str, decision: SafetyDecision,
              command: CommandIntent | None) -> None:
        """Hand the setpoint on and publish the status (under ``_emit_lock``, while active)."""
        if command is not None:
            self._commander.set_intent(command)
        with self._lock:
            self._updates += 1
            updates = self._updates
        self._status = FollowerStatus(
            active=True,
            profile=profile,
            held=decision.held,
            reasons=decision.reasons,
            velocity=command.velocity if command is not None else None,
            error_x=target.error_x,
            error_y=target.error_y,
            size_frac=target.size_frac,
            updates=updates,
            time_s=time.time(),
        )
        self._bus.publish(STATUS_TOPIC, self._status)
        if decision.reasons:
            self._bus.publish(SAFETY_TOPIC, decision)

    def _reset_integral(self) -> None:
        self._i_forward = self._i_yaw = 0.0
        self._i_last_s = None

    def _integrate(self, intent: CommandIntent | None, now: float) -> CommandIntent | None:
        """PI on top of the profile: integrate its proportional output so a moving target's
        steady speed is learnt instead of being chased with a standing error. Anti-windup: the
        integrator is clamped to the profile's limits and reset whenever the loop holds."""
        p = self.params
        if intent is None or p.gain_integral <= 0 or not isinstance(intent.velocity, VelocityBodyYawRate):
            if intent is None:
                self._reset_integral()
            return intent
        v = intent.velocity
        dt = 0.0 if self._i_last_s is None else min(now - self._i_last_s, 0.5)
        self._i_last_s = now
        max_yaw = math.radians(p.max_yaw_rate_dps)
        self._i_forward = _clamp(self._i_forward + p.gain_integral * v.forward_mps * dt, p.max_forward_mps)
        self._i_yaw = _clamp(self._i_yaw + p.gain_integral * v.yaw_rate_radps * dt, max_yaw)
        velocity = VelocityBodyYawRate(
            forward_mps=_clamp(v.forward_mps + self._i_forward, p.max_forward_mps),
            right_mps=v.right_mps,
            down_mps=v.down_mps,
            yaw_rate_radps=_clamp(v.yaw_rate_radps + self._i_yaw, max_yaw),
        )
        return CommandIntent(velocity, intent.created_s, intent.source, intent.lifetime_s)

    def _publish_idle(self, reason: str) -> None:
        with self._emit_lock:
            self._status = FollowerStatus(
                self._active, self._profile.name, False, (reason,), None, None, None, None, self._updates, time.time()
            )
            self._bus.publish(STATUS_TOPIC, self._status)
