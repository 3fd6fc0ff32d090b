"""The one door from the core's threads into Qt: bus events become signals on the GUI thread.

``QtBridge`` subscribes to the bus. Bus callbacks run on core threads (link, watchdog,
commander, workers); they only store the value or emit an internal signal, which Qt queues to
the GUI thread because the bridge lives there. Widgets connect to the public signals and never
see a core thread.

Vehicle state arrives at the link's message rate (50+ Hz with attitude); widgets get it at most
``max_state_hz`` times a second and always the newest one (older snapshots are dropped, never
queued).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance, Slot

from gcs.core.bus import Subscription, Topics

if TYPE_CHECKING:
    from gcs.core.bus import MessageBus

log = logging.getLogger(__name__)

DEFAULT_MAX_STATE_HZ = 30.0


class QtBridge(QObject):
    """Bus -> Qt signals. Create and ``close()`` on the GUI thread; signals fire on the GUI thread."""

    vehicle_state = Signal(object)  # VehicleState of the active vehicle, <= max_state_hz
    vehicles = Signal(object)  # tuple[int, ...] of known system ids
    active_vehicle = Signal(object)  # int | None
    link_state = Signal(object)  # dict {system_id, state, reason}
    statustext = Signal(int, object)  # system id, StatusText
    command_result = Signal(object)  # CommandResult
    commander = Signal(object)  # CommanderStatus
    config_changed = Signal(object)  # dict {"section.param": new value}
    other_topic = Signal(str, object)  # any topic added with watch()

    _state_ready = Signal()  # internal: a core thread stored a new state
    _event = Signal(str, object)  # internal: a core thread forwards (topic, value)

    def __init__(self, bus: MessageBus, *, max_state_hz: float = DEFAULT_MAX_STATE_HZ,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self._min_interval_s = 1.0 / max_state_hz
        self._lock = threading.Lock()
        self._latest_state: Any = None
        self._state_pending = False  # a _state_ready is queued or the throttle timer runs
        self._last_emit = 0.0
        self._closed = False
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.timeout.connect(self._on_throttle_timeout)
        self._state_ready.connect(self._on_state_ready, Qt.ConnectionType.QueuedConnection)
        self._event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        self._routes: dict[str, SignalInstance] = {
            Topics.VEHICLES: self.vehicles,
            Topics.ACTIVE_VEHICLE: self.active_vehicle,
            Topics.LINK_STATE: self.link_state,
            Topics.COMMAND_RESULT: self.command_result,
            Topics.COMMANDER: self.commander,
            Topics.CONFIG: self.config_changed,
        }
        self._subs: list[Subscription] = [bus.subscribe(Topics.VEHICLE_STATE, self._on_core_state)]
        for topic in (*self._routes, Topics.STATUSTEXT):
            self._subs.append(bus.subscribe(topic, self._on_core_event))

    # ---- core threads ----------------------------------------------------------------------

    def _on_core_state(self, _topic: str, state: Any) -> None:
        """Called on a core thread for every state: keep the newest, wake the GUI once."""
        with self._lock:
            if self._closed:
                return
            self._latest_state = state
            if self._state_pending:
                return
            self._state_pending = True
        self._state_ready.emit()

    def _on_core_event(self, topic: str, value: Any) -> None:
        """Called on a core thread; queues the event to the GUI thread."""
        if not self._closed:
            self._event.emit(topic, value)

    def watch(self, pattern: str) -> None:
        """Also forward ``pattern`` (e.g. ``video.health``) through ``other_topic``; GUI thread."""
        self._subs.append(self._bus.subscribe(pattern, self._on_core_event, replay_latest=False))
        self._routes.setdefault(pattern, self.other_topic)

    # ---- GUI thread ------------------------------------------------------------------------

    def replay_latest(self) -> None:
        """Emit the bus's cached values now, so widgets created late start filled; GUI thread."""
        for topic, signal in self._routes.items():
            value = self._bus.latest(topic)
            if value is not None and signal is not self.other_topic:
                signal.emit(value)
        state = self._bus.latest(Topics.VEHICLE_STATE)
        if state is not None:
            self._on_core_state(Topics.VEHICLE_STATE, state)

    @Slot()
    def _on_state_ready(self) -> None:
        wait = self._last_emit + self._min_interval_s - time.monotonic()
        if wait > 0:
            self._throttle.start(max(1, int(wait * 1000)))
        else:
            self._emit_state()

    @Slot()
    def _on_throttle_timeout(self) -> None:
        self._emit_state()

    def _emit_state(self) -> None:
        with self._lock:
            state, self._latest_state = self._latest_state, None
            self._state_pending = False
        if state is None or self._closed:
            return
        self._last_emit = time.monotonic()
        self.vehicle_state.emit(state)

    @Slot(str, object)
    def _on_event(self, topic: str, value: Any) -> None:
        if self._closed:
            return
        if topic == Topics.STATUSTEXT:
            sysid, text = value
            self.statustext.emit(int(sysid), text)
            return
        signal = self._routes.get(topic)
        if signal is self.other_topic or signal is None:
            self.other_topic.emit(topic, value)
        else:
            signal.emit(value)

    def close(self) -> None:
        """Stop listening to the bus (GUI thread); late core callbacks are ignored."""
        with self._lock:
            self._closed = True
        for sub in self._subs:
            sub.cancel()
        self._subs.clear()
        self._throttle.stop()
