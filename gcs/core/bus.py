"""Thread-safe publish/subscribe with a latest-value cache per topic.

Publishers are core threads (link, commander, capture); subscribers are the GUI bridge, API
streams, recorder, follower. A callback runs on the publisher's thread, so it must be quick:
faces hop to their own thread (Qt signal, ``loop.call_soon_threadsafe``). A callback that
raises is logged and unsubscribed-never: one bad subscriber must not stop the link thread.
"""

from __future__ import annotations

import fnmatch
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

Callback = Callable[[str, Any], None]


class Topics:
    """Topic names; ``{sysid}`` parts are filled per vehicle."""

    VEHICLE_STATE = "vehicle.state"  # the active vehicle's VehicleState
    VEHICLE_STATE_OF = "vehicle.{sysid}.state"  # one vehicle's VehicleState
    VEHICLES = "vehicles"  # tuple of known system ids
    ACTIVE_VEHICLE = "vehicles.active"  # system id of the active vehicle or None
    LINK_STATE = "link.state"  # LinkStatus event dict for any link
    STATUSTEXT = "vehicle.statustext"  # StatusText from any vehicle
    COMMAND_RESULT = "command.result"  # CommandResult of every command
    COMMANDER = "commander.state"  # CommanderStatus
    CONFIG = "config.changed"  # dict of changed dotted keys -> new value
    REPLAY = "replay.state"  # ReplayStatus of a tlog replay (position, speed, playing)
    RECORDING = "logs.recording"  # RecordingStatus of one link's tlog (file, frames, error)
    SESSIONS = "logs.sessions"  # id of a flight session that was opened, changed or closed
    PARAMS_PROGRESS = "params.progress"  # ParamProgress of a vehicle's parameter download
    PARAM_CHANGED = "params.changed"  # ParamChange: a vehicle parameter took a new value
    MISSION_CURRENT = "mission.current"  # MissionProgress: the vehicle's current item or mission state changed
    MISSION_REACHED = "mission.reached"  # MissionReached: the vehicle reached a mission item (MISSION_ITEM_REACHED)
    MISSION_CHANGED = "mission.changed"  # MissionChange: a mission/fence/rally list was downloaded, uploaded or cleared

    @staticmethod
    def vehicle_state(sysid: int) -> str:
        return Topics.VEHICLE_STATE_OF.format(sysid=sysid)


@dataclass
class Subscription:
    """Handle returned by subscribe(); ``cancel()`` stops delivery."""

    bus: MessageBus
    pattern: str
    callback: Callback

    def cancel(self) -> None:
        self.bus._remove(self)


class MessageBus:
    """Topics are dotted strings; subscriptions may use fnmatch patterns (``vehicle.*.state``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: dict[str, Any] = {}
        self._exact: dict[str, list[Subscription]] = {}
        self._patterns: list[Subscription] = []
        self._published = 0

    def publish(self, topic: str, value: Any) -> None:
        """Store ``value`` as the latest on ``topic`` and deliver it to every subscriber."""
        with self._lock:
            self._latest[topic] = value
            self._published += 1
            subs = self._exact.get(topic)
            targets = list(subs) if subs else []
            if self._patterns:
                targets.extend(s for s in self._patterns if fnmatch.fnmatchcase(topic, s.pattern))
        for sub in targets:
            try:
                sub.callback(topic, value)
            except Exception:
                log.exception("bus subscriber %r failed on %s", sub.callback, topic)

    def subscribe(self, pattern: str, callback: Callback, *, replay_latest: bool = False) -> Subscription:
        """Deliver every future value on topics matching ``pattern``; optionally the cached ones now."""
        sub = Subscription(self, pattern, callback)
        is_pattern = any(c in pattern for c in "*?[")
        with self._lock:
            if is_pattern:
                self._patterns.append(sub)
                cached = [(t, v) for t, v in self._latest.items() if fnmatch.fnmatchcase(t, pattern)]
            else:
                self._exact.setdefault(pattern, []).append(sub)
                cached = [(pattern, self._latest[pattern])] if pattern in self._latest else []
        if replay_latest:
            for topic, value in cached:
                callback(topic, value)
        return sub

    def latest(self, topic: str, default: Any = None) -> Any:
        with self._lock:
            return self._latest.get(topic, default)

    def topics(self) -> list[str]:
        with self._lock:
            return sorted(self._latest)

    @property
    def published_count(self) -> int:
        return self._published

    def _remove(self, sub: Subscription) -> None:
        with self._lock:
            if sub in self._patterns:
                self._patterns.remove(sub)
            subs = self._exact.get(sub.pattern)
            if subs and sub in subs:
                subs.remove(sub)
