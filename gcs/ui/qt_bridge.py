"""The one door from the core's threads into Qt: bus events become signals on the GUI thread.

``QtBridge`` subscribes to the bus. Bus callbacks run on core threads (link, watchdog,
commander, capture, tracker, replay); they only store the value or emit an internal signal,
which Qt queues to the GUI thread because the bridge lives there. Widgets connect to the public
signals and never see a core thread.

Busy topics are throttled: vehicle state arrives at the link's message rate (50+ Hz with
attitude), tracking targets at the tracker's rate, replay status at 4 Hz and faster while
seeking. Widgets get each of them at most ``hz`` times a second and always the newest value
(older ones are dropped, never queued). Events (results, health, state changes) are never
dropped.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, SignalInstance, Slot

from gcs.core.alerts import ALERT_TOPIC, ALERTS_TOPIC
from gcs.core.availability import AVAILABILITY_TOPIC
from gcs.core.bus import Subscription, Topics
from gcs.core.follow.loop import STATUS_TOPIC as FOLLOW_STATUS_TOPIC
from gcs.core.follow.loop import TARGET_TOPIC as TRACKING_TARGET_TOPIC
from gcs.core.video import HEALTH_TOPIC as VIDEO_HEALTH_TOPIC

if TYPE_CHECKING:
    from gcs.core.bus import MessageBus

log = logging.getLogger(__name__)

DEFAULT_MAX_STATE_HZ = 30.0
TRACKING_HZ = 30.0
FOLLOWER_HZ = 20.0
REPLAY_HZ = 10.0
TRACKING_STATE_TOPIC = "tracking.state"  # gcs.core.tracking.worker.STATE_TOPIC (that module loads OpenCV)
VIDEO_RECORDING_TOPIC = "video.recording"  # a video RecorderStatus, when the core publishes one
RECORDING_TOPICS = (Topics.RECORDING, VIDEO_RECORDING_TOPIC)
_NOTHING = object()


@dataclass
class _Throttled:
    """The newest value of one busy topic and when it was last handed to the widgets."""

    signal: SignalInstance
    interval_s: float
    timer: QTimer
    value: Any = _NOTHING
    pending: bool = False  # a _ready is queued or the timer runs
    last_emit: float = 0.0


class QtBridge(QObject):
    """Bus -> Qt signals. Create and ``close()`` on the GUI thread; signals fire on the GUI thread."""

    vehicle_state = Signal(object)  # VehicleState of the active vehicle, <= max_state_hz
    tracking_target = Signal(object)  # TrackedTarget, <= 30 Hz
    follower_status = Signal(object)  # FollowerStatus, <= 20 Hz
    replay_status = Signal(object)  # ReplayStatus, <= 10 Hz
    vehicles = Signal(object)  # tuple[int, ...] of known system ids
    active_vehicle = Signal(object)  # int | None
    link_state = Signal(object)  # dict {system_id, state, reason}
    statustext = Signal(int, object)  # system id, StatusText
    command_result = Signal(object)  # CommandResult
    commander = Signal(object)  # CommanderStatus
    config_changed = Signal(object)  # dict {"section.param": new value}
    video_health = Signal(object)  # HealthEvent
    tracking_state = Signal(object)  # TrackStateChange
    sessions_changed = Signal(object)  # id of a flight session that was opened, changed or closed
    availability = Signal(object)  # Availability of every action for the active vehicle, on change
    alerts = Signal(object)  # tuple[Alert, ...]: every alert shown, after each raise/clear/ack
    alert_event = Signal(object)  # AlertEvent: one alert raised, cleared or acknowledged (once each)
    recording = Signal(str, object)  # topic, RecordingStatus (tlog, logs.recording) or RecorderStatus (video)
    other_topic = Signal(str, object)  # any topic added with watch()

    _ready = Signal(str)  # internal: a core thread stored a new value of a throttled topic
    _event = Signal(str, object)  # internal: a core thread forwards (topic, value)

    def __init__(self, bus: MessageBus, *, max_state_hz: float = DEFAULT_MAX_STATE_HZ,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bus = bus
        self._lock = threading.Lock()
        self._closed = False
        self._ready.connect(self._on_ready, Qt.ConnectionType.QueuedConnection)
        self._event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        self._throttled: dict[str, _Throttled] = {}
        for topic, signal, hz in ((Topics.VEHICLE_STATE, self.vehicle_state, max_state_hz),
                                  (TRACKING_TARGET_TOPIC, self.tracking_target, TRACKING_HZ),
                                  (FOLLOW_STATUS_TOPIC, self.follower_status, FOLLOWER_HZ),
                                  (Topics.REPLAY, self.replay_status, REPLAY_HZ)):
            timer = QTimer(self)
            timer.setSingleShot(True)
            timer.timeout.connect(lambda t=topic: self._emit_latest(t))
            self._throttled[topic] = _Throttled(signal, 1.0 / hz, timer)
        self._routes: dict[str, SignalInstance] = {
            Topics.VEHICLES: self.vehicles,
            Topics.ACTIVE_VEHICLE: self.active_vehicle,
            Topics.LINK_STATE: self.link_state,
            Topics.COMMAND_RESULT: self.command_result,
            Topics.COMMANDER: self.commander,
            Topics.CONFIG: self.config_changed,
            VIDEO_HEALTH_TOPIC: self.video_health,
            TRACKING_STATE_TOPIC: self.tracking_state,
            Topics.SESSIONS: self.sessions_changed,
            AVAILABILITY_TOPIC: self.availability,
            ALERTS_TOPIC: self.alerts,
            ALERT_TOPIC: self.alert_event,
        }
        self._subs: list[Subscription] = [bus.subscribe(t, self._on_core_latest) for t in self._throttled]
        for topic in (*self._routes, Topics.STATUSTEXT, *RECORDING_TOPICS):
            self._subs.append(bus.subscribe(topic, self._on_core_event))

    # ---- core threads ----------------------------------------------------------------------

    def _on_core_latest(self, topic: str, value: Any) -> None:
        """Called on a core thread for every value of a busy topic: keep the newest, wake the GUI once."""
        with self._lock:
            if self._closed:
                return
            slot = self._throttled[topic]
            slot.value = value
            if slot.pending:
                return
            slot.pending = True
        self._ready.emit(topic)

    def _on_core_event(self, topic: str, value: Any) -> None:
        """Called on a core thread; queues the event to the GUI thread."""
        if not self._closed:
            self._event.emit(topic, value)

    def watch(self, pattern: str) -> None:
        """Also forward ``pattern`` (e.g. ``follow.safety``) through ``other_topic``; GUI thread."""
        self._subs.append(self._bus.subscribe(pattern, self._on_core_event, replay_latest=False))
        self._routes.setdefault(pattern, self.other_topic)

    # ---- GUI thread ------------------------------------------------------------------------

    def replay_latest(self) -> None:
        """Emit the bus's cached values now, so widgets created late start filled; GUI thread."""
        for topic, signal in self._routes.items():
            value = self._bus.latest(topic)
            if value is not None and signal is not self.other_topic:
                signal.emit(value)
        for topic in RECORDING_TOPICS:
            value = self._bus.latest(topic)
            if value is not None:
                self.recording.emit(topic, value)
        for topic in self._throttled:
            value = self._bus.latest(topic)
            if value is not None:
                self._on_core_latest(topic, value)

    @Slot(str)
    def _on_ready(self, topic: str) -> None:
        slot = self._throttled[topic]
        wait = slot.last_emit + slot.interval_s - time.monotonic()
        if wait > 0:
            slot.timer.start(max(1, int(wait * 1000)))
        else:
            self._emit_latest(topic)

    def _emit_latest(self, topic: str) -> None:
        slot = self._throttled[topic]
        with self._lock:
            value, slot.value = slot.value, _NOTHING
            slot.pending = False
        if value is _NOTHING or self._closed:
            return
        slot.last_emit = time.monotonic()
        slot.signal.emit(value)

    @Slot(str, object)
    def _on_event(self, topic: str, value: Any) -> None:
        if self._closed:
            return
        if topic == Topics.STATUSTEXT:
            sysid, text = value
            self.statustext.emit(int(sysid), text)
            return
        if topic in RECORDING_TOPICS:
            self.recording.emit(topic, value)
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
        for slot in self._throttled.values():
            slot.timer.stop()
