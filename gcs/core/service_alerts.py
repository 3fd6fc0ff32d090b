"""Alerts for GcsService (a mixin): the engine and its monitor thread, the faces' calls, and what a
critical battery does while the program drives the vehicle.

``alerts()`` and ``acknowledge_alert()`` are what both faces call. The monitor judges every live
vehicle (replayed logs are not judged: nothing can be done about them) on its own thread; each
alert's raise, clear and acknowledgement goes to the log, the vehicle's flight session (event
kind ``alert``) and the bus (``ALERT_TOPIC``, ``ALERTS_TOPIC``).

Critical battery while following (or while setpoints stream): on the alert thread, at once, the
follower and the stream are stopped (no I/O); then ``safety.critical_battery_action`` (hold, rtl,
land) is commanded through the service's own hold/rtl/land on a short-lived thread, because a
command waits for its COMMAND_ACK and the alert thread must keep judging meanwhile. Its outcome is
published like any command (``Topics.COMMAND_RESULT``) and written to the log and the session.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from gcs.core.alerts.conditions import AlertLimits
from gcs.core.alerts.engine import AlertEngine
from gcs.core.alerts.monitor import AlertMonitor
from gcs.core.alerts.types import Alert, AlertEvent
from gcs.core.bus import MessageBus
from gcs.core.config import ConfigStore
from gcs.core.errors import AlertNotFound, GcsError, VehicleNotFound
from gcs.core.follow.loop import TARGET_TOPIC
from gcs.core.logs.stats import EventKind
from gcs.core.models import CommandResult, VehicleState
from gcs.core.tracking.types import TrackState
from gcs.core.vehicle.commander import Commander
from gcs.core.vehicle.connection import LinkKind
from gcs.core.vehicle.fleet import Fleet

if TYPE_CHECKING:
    from gcs.core.logs import FlightRecorder
    from gcs.core.vehicle.vehicle import Vehicle
    from gcs.core.vision import VisionPipeline

log = logging.getLogger(__name__)


class AlertsFacade:
    """Mixed into GcsService, which sets the attributes below and calls ``_build_alerts``."""

    bus: MessageBus
    config: ConfigStore
    fleet: Fleet
    commander: Commander
    vision: VisionPipeline
    recorder: FlightRecorder | None
    _vehicle: Callable[[int | None], Vehicle]
    _stop_driving: Callable[[Vehicle, str], None]
    hold: Callable[..., CommandResult]
    rtl: Callable[..., CommandResult]
    land: Callable[..., CommandResult]

    def _build_alerts(self) -> None:
        self.alert_engine = AlertEngine(self.bus, note=self._note_alert)
        self.alert_monitor = AlertMonitor(
            self.alert_engine,
            vehicles=self._live_states,
            driven=self._driven_id,
            following=lambda: self.vision.follow.active,
            target=self._target_state,
            limits=lambda: AlertLimits(self.config.current.safety, self.config.current.link.watchdog_timeout_s),
            on_critical=self._on_critical_battery,
        )
        self.critical_actions: list[CommandResult] = []  # what critical batteries commanded (newest last)

    # ---- the faces' calls --------------------------------------------------------------------

    def alerts(self) -> list[Alert]:
        """Every alert shown now (active, or cleared but not yet acknowledged), the loudest first."""
        return self.alert_engine.alerts()

    def acknowledge_alert(self, alert_id: int | None = None, *, by: str | None = None) -> list[Alert]:
        """Acknowledge one alert, or all of them (None); AlertNotFound for an id not shown."""
        try:
            return self.alert_engine.acknowledge(alert_id, by=by)
        except KeyError:
            shown = [a.id for a in self.alert_engine.alerts()]
            raise AlertNotFound(f"no alert {alert_id} shown; shown: {shown or 'none'}") from None

    # ---- what the monitor reads --------------------------------------------------------------

    def _live_states(self) -> list[VehicleState]:
        states = []
        for sid in self.fleet.ids():
            try:
                vehicle = self.fleet.vehicle(sid)
            except VehicleNotFound:  # forgotten meanwhile
                continue
            if vehicle.link.spec.kind is not LinkKind.REPLAY:
                states.append(vehicle.state)
        return states

    def _driven_id(self) -> int | None:
        vehicle = self.commander.engaged_vehicle
        return vehicle.system_id if vehicle is not None else None

    def _target_state(self) -> TrackState | None:
        if not self.vision.running:
            return None
        target = self.bus.latest(TARGET_TOPIC)
        return getattr(target, "state", None)

    # ---- logging and the critical battery ------------------------------------------------------

    def _note_alert(self, event: AlertEvent) -> None:
        alert = event.alert
        who = f" by {event.by}" if event.by else ""
        text = f"{alert.kind.value} {event.action.value}{who}: {alert.message}"
        if self.recorder is not None:
            self.recorder.note(alert.system_id, text, EventKind.ALERT)

    def _on_critical_battery(self, system_id: int, message: str) -> None:
        """Alert thread: stop driving now, then command the configured action off this thread."""
        action = self.config.current.safety.critical_battery_action
        try:
            vehicle = self._vehicle(system_id)
        except VehicleNotFound:
            return
        why = f"battery critical: {action.upper()} ({message})"
        log.error("vehicle %d %s", system_id, why)
        self._stop_driving(vehicle, why)
        if self.recorder is not None:
            self.recorder.note(system_id, f"critical battery: following stopped, {action.upper()} commanded",
                               EventKind.ALERT)
        command = {"hold": self.hold, "rtl": self.rtl, "land": self.land}[action]
        threading.Thread(
            target=self._critical_action, args=(command, action, system_id), name="critical-battery", daemon=True
        ).start()

    def _critical_action(self, command: Callable[..., CommandResult], action: str, system_id: int) -> None:
        try:
            result = command(system_id)
        except GcsError as exc:  # published as a failed command already; the pilot must act
            log.error("critical battery %s on vehicle %d failed: %s", action.upper(), system_id, exc)
            result = CommandResult(action.upper(), False, getattr(exc, "result", "") or "FAILED", str(exc))
        else:
            log.warning("critical battery %s on vehicle %d: %s", action.upper(), system_id, result.result)
        self.critical_actions.append(result)
