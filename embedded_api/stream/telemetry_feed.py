"""TelemetryFeed: the one bus subscription behind every telemetry stream (WS and SSE alike).

It subscribes to a handful of exact topics once, when the app is made, and turns each bus value
into a channel event without converting it (conversion to JSON happens on the API loop, once,
and only if a client wants it). Event types:

- ``telemetry``: the active vehicle's ``VehicleState`` (thinned per client to its ``?rate=``);
- ``status``: setpoint stream (commander) changes, link state changes, active vehicle, config,
  tracking state changes with their reason (locked, lost, a smart click refused and why), video
  recording (``video_recording``) and tlog recording (``recording``) start, end and failure, and
  the availability of every vehicle action (``actions``, the body of GET /api/actions) when it changes;
- ``log``: STATUSTEXT lines from vehicles and the outcome of every command, whoever sent it;
- ``status`` of kind ``fleet`` (with several vehicles, or on a relay): every vehicle's line
  (``gcs.core.fleet.summary``: GCS, mode, armed, link, position), at most ``FLEET_PERIOD_S`` apart,
  so a dashboard lists the fleet without polling;
- ``compression_stats``: with ``fleet.mqtt_compression``, once a second, per vehicle: readings,
  fields transmitted and skipped, bytes and ratio, the largest reconstruction error per field;
- ``alert``: each alert raised, cleared or acknowledged, once (``routes.alerts.AlertEventModel``:
  the transition, the alert, and every alert shown after it);
- ``map``: the map's snapshot without trails (``GET /api/map`` has them), four times a second,
  thinned to the client's rate like telemetry and never kept in the history ring.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from embedded_api.stream.hub import Channel
from gcs.core.alerts import ALERT_TOPIC
from gcs.core.availability import AVAILABILITY_TOPIC, Availability
from gcs.core.bus import MessageBus, Subscription, Topics
from gcs.core.fleet.mqtt_link import COMPRESSION_TOPIC
from gcs.core.map.model import MAP_TOPIC
from gcs.core.models import CommandResult, StatusText
from gcs.core.serialize import to_plain
from gcs.core.tracking.worker import STATE_TOPIC as TRACKING_STATE
from gcs.core.vehicle.commander import CommanderStatus
from gcs.core.video.recorder import TOPIC as VIDEO_RECORDING

TELEMETRY = "telemetry"
STATUS = "status"
LOG = "log"
ALERT = "alert"
COMPRESSION_STATS = "compression_stats"
MAP = "map"
FLEET_PERIOD_S = 0.5
FleetLines = Callable[[], list[dict[str, Any]] | None]


def _statustext_plain(value: Any) -> dict[str, Any]:
    system_id, text = value
    assert isinstance(text, StatusText)
    return {"kind": "statustext", "system_id": system_id, **to_plain(text)}


def _command_plain(value: Any) -> dict[str, Any]:
    assert isinstance(value, CommandResult)
    return {"kind": "command", **to_plain(value)}


def _commander_plain(value: Any) -> dict[str, Any]:
    return {"kind": "commander", **to_plain(value)}


def _link_plain(value: Any) -> dict[str, Any]:
    return {"kind": "link", **to_plain(value)}


def _active_plain(value: Any) -> dict[str, Any]:
    return {"kind": "active_vehicle", "system_id": value}


def _tracking_plain(value: Any) -> dict[str, Any]:
    return {"kind": "tracking", **to_plain(value)}


def _video_recording_plain(value: Any) -> dict[str, Any]:
    return {"kind": "video_recording", **to_plain(value)}


def _recording_plain(value: Any) -> dict[str, Any]:
    return {"kind": "recording", **to_plain(value)}


def _actions_plain(value: Any) -> dict[str, Any]:
    assert isinstance(value, Availability)
    return {"kind": "actions", **value.plain()}


def _fleet_plain(value: Any) -> dict[str, Any]:
    return {"kind": "fleet", "vehicles": value}


def _config_plain(value: Any) -> dict[str, Any]:
    return {"kind": "config", "changed": to_plain(value)}


class TelemetryFeed:
    """Bus -> telemetry channel. ``close()`` cancels the subscriptions."""

    def __init__(self, bus: MessageBus, channel: Channel, fleet: FleetLines | None = None) -> None:
        self._channel = channel
        self._commander_key: tuple[Any, ...] | None = None
        self._fleet = fleet
        self._fleet_next = 0.0
        self._subs: list[Subscription] = [
            bus.subscribe(Topics.VEHICLE_STATE, self._on_state),
            bus.subscribe(Topics.STATUSTEXT, self._on_statustext),
            bus.subscribe(Topics.COMMAND_RESULT, self._on_command),
            bus.subscribe(Topics.COMMANDER, self._on_commander),
            bus.subscribe(Topics.LINK_STATE, self._on_link),
            bus.subscribe(Topics.ACTIVE_VEHICLE, self._on_active),
            bus.subscribe(Topics.CONFIG, self._on_config),
            bus.subscribe(TRACKING_STATE, self._on_tracking),
            bus.subscribe(VIDEO_RECORDING, self._on_video_recording),
            bus.subscribe(Topics.RECORDING, self._on_recording),
            bus.subscribe(AVAILABILITY_TOPIC, self._on_actions),
            bus.subscribe(ALERT_TOPIC, self._on_alert),
            bus.subscribe(COMPRESSION_TOPIC, self._on_compression),
            bus.subscribe(MAP_TOPIC, self._on_map),
        ]
        if fleet is not None:
            self._subs.append(bus.subscribe("vehicle.*.state", self._on_any_state))

    def _on_state(self, _topic: str, value: Any) -> None:
        self._channel.publish(TELEMETRY, value)

    def _on_any_state(self, _topic: str, _value: Any) -> None:
        now = time.monotonic()
        if self._fleet is None or now < self._fleet_next:
            return
        self._fleet_next = now + FLEET_PERIOD_S
        lines = self._fleet()
        if lines is not None:
            self._channel.publish(STATUS, lines, plain=_fleet_plain)

    def _on_statustext(self, _topic: str, value: Any) -> None:
        self._channel.publish(LOG, value, plain=_statustext_plain)

    def _on_command(self, _topic: str, value: Any) -> None:
        self._channel.publish(LOG, value, plain=_command_plain)

    def _on_commander(self, _topic: str, value: Any) -> None:
        # published twice a second while streaming: tell clients only when something they see changes
        if not isinstance(value, CommanderStatus):
            return
        key = (value.engaged, value.system_id, value.stale, value.reason, value.intent_source)
        if key == self._commander_key:
            return
        self._commander_key = key
        self._channel.publish(STATUS, value, plain=_commander_plain)

    def _on_link(self, _topic: str, value: Any) -> None:
        self._channel.publish(STATUS, value, plain=_link_plain)

    def _on_active(self, _topic: str, value: Any) -> None:
        self._channel.publish(STATUS, value, plain=_active_plain)

    def _on_config(self, _topic: str, value: Any) -> None:
        self._channel.publish(STATUS, value, plain=_config_plain)

    def _on_tracking(self, _topic: str, value: Any) -> None:
        self._channel.publish(STATUS, value, plain=_tracking_plain)

    def _on_video_recording(self, _topic: str, value: Any) -> None:
        self._channel.publish(STATUS, value, plain=_video_recording_plain)

    def _on_recording(self, _topic: str, value: Any) -> None:
        self._channel.publish(STATUS, value, plain=_recording_plain)

    def _on_actions(self, _topic: str, value: Any) -> None:
        self._channel.publish(STATUS, value, plain=_actions_plain)

    def _on_compression(self, _topic: str, value: Any) -> None:
        self._channel.publish(COMPRESSION_STATS, value, plain=lambda v: {"vehicles": v})

    def _on_alert(self, _topic: str, value: Any) -> None:
        self._channel.publish(ALERT, value)  # the AlertEvent as it is: orjson encodes it once

    def _on_map(self, _topic: str, value: Any) -> None:
        self._channel.publish(MAP, value)

    def close(self) -> None:
        for sub in self._subs:
            sub.cancel()
        self._subs.clear()
