"""Publish the active vehicle's action availability on the bus whenever it changes.

The faces learn availability from the bus (the GUI's bridge, the API's telemetry stream) instead
of deciding it themselves. ``AvailabilityWatch`` listens to what the rules read (vehicle state,
setpoint stream, follower, tracker, video, config, vehicles), gathers the situation again with the
service's own call, decides, and publishes an ``Availability`` on ``AVAILABILITY_TOPIC`` only when
it differs from the last one.

Busy topics are first compared with what the last decision saw (a vehicle state at 50+ Hz, or
thousands a second in a fast replay, only matters when armed/landed/GPS/battery/link change; a
tracker result only when its state does), so the link thread pays a tuple compare, not the rules.
Comparing with the last decision's inputs, not with the topic's previous value, matters: a new
tracker (a video restart) says nothing until a selection, so its first LOCKED may equal the old
tracker's last value while the situation went LOCKED -> IDLE -> LOCKED meanwhile.

Gathering takes no lock of ours (it reads the fleet, the tracker and the video, whose threads
publish to us); publishing does, with a generation number, so an answer computed on older inputs
is never published after a newer one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from gcs.core.alerts.battery import battery_level
from gcs.core.availability import AVAILABILITY_TOPIC, Availability, Situation, decide, in_flight
from gcs.core.bus import MessageBus, Subscription, Topics
from gcs.core.config.schema import SafetyConfig
from gcs.core.follow.loop import STATUS_TOPIC as FOLLOW_TOPIC
from gcs.core.follow.loop import TARGET_TOPIC
from gcs.core.models import VehicleState
from gcs.core.vehicle.commander import CommanderStatus
from gcs.core.video.capture import HEALTH_TOPIC

ALWAYS = (Topics.VEHICLES, Topics.ACTIVE_VEHICLE, Topics.CONFIG, Topics.LINK_STATE, HEALTH_TOPIC)


def state_key(state: VehicleState | None, safety: SafetyConfig) -> tuple[Any, ...] | None:
    """What of a vehicle state the rules can see; equal keys give equal availability."""
    if state is None:
        return None
    return (
        state.system_id,
        state.armed,
        in_flight(state),
        state.gps.fix_type,
        state.health.position_estimate_ok,
        battery_level(state.battery.remaining_pct, safety),
        state.link.state,
    )


def unchanged(topic: str, value: Any, seen: Situation, safety: SafetyConfig) -> bool:
    """True when ``value`` on ``topic`` cannot change what was decided from ``seen``."""
    if isinstance(value, VehicleState):
        return state_key(value, safety) == state_key(seen.state, safety)
    if topic == TARGET_TOPIC:
        return getattr(value, "state", None) is seen.target
    if topic == FOLLOW_TOPIC:
        return getattr(value, "active", None) is seen.following
    if isinstance(value, CommanderStatus):
        mine = seen.state is not None and value.engaged and value.system_id == seen.state.system_id
        return mine is seen.engaged
    return False


class AvailabilityWatch:
    """Decide again on change, publish on difference; ``close()`` unsubscribes."""

    def __init__(
        self, bus: MessageBus, situation: Callable[[], Situation], safety: Callable[[], SafetyConfig]
    ) -> None:
        self._bus = bus
        self._situation = situation
        self._safety = safety
        self._lock = threading.Lock()
        self._generation = 0
        self._published_generation = -1
        self._running = 0  # decisions being made now
        self._seen: Situation | None = None  # what the last decision was made from
        self._last: Availability | None = None
        topics = (Topics.VEHICLE_STATE, Topics.COMMANDER, TARGET_TOPIC, FOLLOW_TOPIC, *ALWAYS)
        self._subs: list[Subscription] = [bus.subscribe(t, self._on_event) for t in topics]
        self.refresh()

    def _on_event(self, topic: str, value: Any) -> None:
        with self._lock:
            seen = self._seen if self._running == 0 else None  # a decision under way may predate this value
        if seen is not None and unchanged(topic, value, seen, self._safety()):
            return
        self.refresh()

    def refresh(self) -> None:
        """Gather, decide and publish if the answer changed (any thread)."""
        with self._lock:
            self._generation += 1
            self._running += 1
            generation = self._generation
        try:
            situation = self._situation()
            availability = decide(situation)
        except BaseException:
            with self._lock:
                self._running -= 1
            raise
        with self._lock:
            self._running -= 1  # with the publication: no event may compare with the old inputs between
            if generation < self._published_generation:
                return  # a later trigger already published what is true now
            self._published_generation = generation
            self._seen = situation
            if availability == self._last:
                return
            self._last = availability
            self._bus.publish(AVAILABILITY_TOPIC, availability)

    @property
    def latest(self) -> Availability | None:
        return self._last

    def close(self) -> None:
        for sub in self._subs:
            sub.cancel()
        self._subs.clear()
