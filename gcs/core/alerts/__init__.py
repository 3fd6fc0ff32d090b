"""Alerts a pilot must see: battery, GPS, estimate, link, target and geofence.

``battery`` turns a charge reading into a level the whole program shares; ``conditions`` says which
alerts are true for a vehicle (pure, with hysteresis); ``engine`` keeps each alert's lifecycle
(raised once, cleared, acknowledged) and publishes it; ``monitor`` is the thread that feeds the
engine. ``GcsService.alerts()`` / ``acknowledge_alert()`` are what the faces call.
"""

from gcs.core.alerts.battery import BatteryLevel, battery_level
from gcs.core.alerts.types import (
    ALERT_TOPIC,
    ALERTS_TOPIC,
    Alert,
    AlertAction,
    AlertEvent,
    AlertKind,
    AlertLevel,
    Finding,
)

__all__ = [
    "ALERTS_TOPIC",
    "ALERT_TOPIC",
    "Alert",
    "AlertAction",
    "AlertEvent",
    "AlertKind",
    "AlertLevel",
    "BatteryLevel",
    "Finding",
    "battery_level",
]
