"""Alert value types: what an alert is, its level, and what happened to it.

Frozen, so an ``Alert`` published by the alert thread can be read by the GUI, the API
streams and the session log without copies or locks. ``to_plain`` gives the JSON form the API and
the streams send (``GET /api/alerts``, the ``alert`` stream event).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

ALERT_TOPIC = "alerts.event"  # AlertEvent: one alert raised, cleared or acknowledged (once each)
ALERTS_TOPIC = "alerts.active"  # tuple[Alert, ...]: every alert shown now, after each change


class AlertLevel(enum.StrEnum):
    """How loud a face shows it: info (grey/blue), warning (amber), critical (red)."""

    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {AlertLevel.INFO: 0, AlertLevel.WARNING: 1, AlertLevel.CRITICAL: 2}


class AlertKind(enum.StrEnum):
    """Every condition the engine watches; the README's "Alerts and low battery" lists triggers."""

    BATTERY_LOW = "battery_low"
    BATTERY_CRITICAL = "battery_critical"
    GPS_LOST = "gps_lost"
    EKF_BAD = "ekf_bad"
    LINK_DEGRADED = "link_degraded"
    LINK_LOST = "link_lost"
    TARGET_LOST_WHILE_FOLLOWING = "target_lost_while_following"
    GEOFENCE_NEAR = "geofence_near"
    GEOFENCE_BREACH = "geofence_breach"


class AlertAction(enum.StrEnum):
    """What an ``AlertEvent`` reports."""

    RAISED = "raised"  # the condition started (or started again while the alert was still shown)
    CLEARED = "cleared"  # the condition is no longer true
    ACKNOWLEDGED = "acknowledged"  # a pilot acknowledged it


@dataclass(frozen=True)
class Finding:
    """A condition found true now: its level and the words a pilot reads."""

    level: AlertLevel
    message: str


@dataclass(frozen=True)
class Alert:
    """One alert as the faces show it.

    Shown while ``active`` (the condition is true) or not ``acknowledged``: an acknowledged alert
    that is still true stays in the list, marked acknowledged; a cleared one that nobody
    acknowledged stays until it is. ``since`` is the unix time it (last) started, ``cleared_s``
    when it last cleared (None while active), ``count`` how often it started while shown.
    """

    id: int
    kind: AlertKind
    level: AlertLevel
    message: str
    since: float
    active: bool
    acknowledged: bool
    system_id: int | None = None
    cleared_s: float | None = None
    count: int = 1

    @property
    def shown(self) -> bool:
        return self.active or not self.acknowledged


@dataclass(frozen=True)
class AlertEvent:
    """One transition of one alert, published once on ``ALERT_TOPIC``."""

    action: AlertAction
    alert: Alert
    time_s: float
    by: str | None = None  # who acknowledged (a face or an account name), for the log
    shown: tuple[Alert, ...] = ()  # every alert shown once this change (and any made with it) is done
