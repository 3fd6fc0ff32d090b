"""AlertEngine: the lifecycle of every alert - raised once, cleared, acknowledged - and who hears of it.

The monitor hands ``apply`` the complete set of conditions true now (kind and system id ->
``Finding``); the engine compares it with what it shows and, for each change, updates the
``Alert`` record, logs it (python logging, and the ``note`` callback: the flight session's event
log) and publishes one ``AlertEvent`` on ``ALERT_TOPIC`` plus the new list on ``ALERTS_TOPIC``.

Lifecycle (one record per kind and vehicle):

- a condition that starts makes a record (new id), active and unacknowledged: ``raised``, once;
  a condition that stays true publishes nothing more, whatever its message says now;
- it clears: ``cleared``; the record stays shown until someone acknowledges it;
- acknowledged while still true: ``acknowledged``; it stays shown, marked acknowledged, until it
  clears (then it goes away without another word but the ``cleared`` event);
- acknowledged and cleared: gone; the next start is a new record with a new id;
- a condition that starts again while its cleared record still waits for an acknowledgement
  reuses that record (same id, ``count`` + 1, acknowledged no more) and is ``raised`` again.

Thread-safe: ``apply`` runs on the alert thread, ``acknowledge`` on a face's worker thread; the
bus is published to outside the lock, in the order the changes were made.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping

from gcs.core.alerts.types import (
    ALERT_TOPIC,
    ALERTS_TOPIC,
    Alert,
    AlertAction,
    AlertEvent,
    AlertKind,
    Finding,
)
from gcs.core.bus import MessageBus
from gcs.core.models import evolve

log = logging.getLogger(__name__)

Key = tuple[AlertKind, int | None]
Note = Callable[[AlertEvent], None]
_LOG_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "critical": logging.ERROR}


class AlertEngine:
    """Records and transitions; ``alerts()`` is what the faces show."""

    def __init__(self, bus: MessageBus, *, note: Note | None = None, clock: Callable[[], float] = time.time) -> None:
        self._bus = bus
        self._note = note
        self._clock = clock
        self._lock = threading.Lock()
        self._publish_lock = threading.Lock()  # keeps events in the order they happened
        self._records: dict[Key, Alert] = {}
        self._ids = itertools.count(1)

    # ---- queries (any thread) ------------------------------------------------------------------

    def alerts(self) -> list[Alert]:
        """Every alert shown now, the loudest first, then the newest."""
        with self._lock:
            shown = [a for a in self._records.values() if a.shown]
        return sorted(shown, key=lambda a: (-a.level.rank, -a.since, a.id))

    def is_active(self, kind: AlertKind, system_id: int | None) -> bool:
        with self._lock:
            record = self._records.get((kind, system_id))
        return record is not None and record.active

    # ---- changes ---------------------------------------------------------------------------

    def apply(self, found: Mapping[Key, Finding], *, scope: Iterable[int | None] | None = None) -> list[AlertEvent]:
        """Make the active set equal ``found``: start what is new, clear what is gone.

        ``scope``: the system ids judged this time; records of other vehicles are left as they are
        (None: every record is judged, so a vehicle no longer seen has its alerts cleared).
        """
        now = self._clock()
        judged = None if scope is None else set(scope)
        events: list[AlertEvent] = []
        with self._publish_lock:
            with self._lock:
                for key, finding in found.items():
                    event = self._start(key, finding, now)
                    if event is not None:
                        events.append(event)
                for key, record in list(self._records.items()):
                    if record.active and key not in found and (judged is None or key[1] in judged):
                        events.append(self._clear(key, record, now))
            self._emit(events)
        return events

    def acknowledge(self, alert_id: int | None = None, *, by: str | None = None) -> list[Alert]:
        """Acknowledge one alert (``alert_id``) or every unacknowledged one (None).

        Returns the alerts acknowledged (empty when that one was acknowledged already); raises
        KeyError when no alert shown has that id.
        """
        now = self._clock()
        events: list[AlertEvent] = []
        with self._publish_lock:
            with self._lock:
                keys = [k for k, a in self._records.items() if a.shown and (alert_id is None or a.id == alert_id)]
                if alert_id is not None and not keys:
                    raise KeyError(alert_id)
                for key in keys:
                    record = self._records[key]
                    if record.acknowledged:
                        continue
                    acked = evolve(record, acknowledged=True)
                    if acked.active:
                        self._records[key] = acked
                    else:
                        del self._records[key]
                    events.append(AlertEvent(AlertAction.ACKNOWLEDGED, acked, now, by))
            self._emit(events)
        return [e.alert for e in events]

    # ---- under the lock --------------------------------------------------------------------

    def _start(self, key: Key, finding: Finding, now: float) -> AlertEvent | None:
        record = self._records.get(key)
        if record is not None and record.active:
            return None  # still true: said once already
        if record is None:
            alert = Alert(next(self._ids), key[0], finding.level, finding.message, now, True, False, key[1])
        else:  # started again before anyone acknowledged its clearing
            alert = evolve(record, level=finding.level, message=finding.message, since=now, active=True,
                           acknowledged=False, cleared_s=None, count=record.count + 1)
        self._records[key] = alert
        return AlertEvent(AlertAction.RAISED, alert, now)

    def _clear(self, key: Key, record: Alert, now: float) -> AlertEvent:
        cleared = evolve(record, active=False, cleared_s=now)
        if cleared.acknowledged:
            del self._records[key]
        else:
            self._records[key] = cleared
        return AlertEvent(AlertAction.CLEARED, cleared, now)

    # ---- out of the lock -------------------------------------------------------------------

    def _emit(self, events: list[AlertEvent]) -> None:
        if not events:
            return
        shown = tuple(self.alerts())
        for bare in events:
            event = evolve(bare, shown=shown)
            alert = event.alert
            who = f" by {event.by}" if event.by else ""
            level = _LOG_LEVELS[alert.level.value] if event.action is AlertAction.RAISED else logging.INFO
            log.log(level, "alert %d %s (vehicle %s) %s%s: %s", alert.id, alert.kind.value, alert.system_id,
                    event.action.value, who, alert.message)
            if self._note is not None:
                self._note(event)
            self._bus.publish(ALERT_TOPIC, event)
        self._bus.publish(ALERTS_TOPIC, shown)
