"""Recording every live link: one tlog and one flight session per link, with the vehicles' events.

``LinkRecorder`` taps one link (every frame in and out). Until the first vehicle HEARTBEAT it keeps
frames in a short pre-buffer, so the file can be named by vehicle and still holds what came
before; then it checks the free disk, opens ``<start>_sys<id>_<autopilot>_<type>.tlog`` and the
session row, and appends from then on. A refused log (disk, permissions) still gets a session whose
first event says why, so the pilot can see why there is no tlog.

``FlightRecorder`` owns the recorders of all links. It routes vehicle states (bus) and link
loss/recovery (bus, from the fleet watchdog) to the session of the link each vehicle is on, and
saves figures and new events about once a second on its own thread; ``close`` ends every session.
"""

from __future__ import annotations

import collections
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gcs.core.bus import MessageBus, Subscription, Topics
from gcs.core.errors import RecordingError, VehicleNotFound
from gcs.core.logs.paths import check_free_disk, tlog_name, unique_path
from gcs.core.logs.stats import EventKind, FlightStats
from gcs.core.logs.store import SessionStore
from gcs.core.logs.tlog import HeartbeatIdentity, TlogWriter, vehicle_heartbeat
from gcs.core.models import LinkState, VehicleState
from gcs.core.vehicle.fleet import Fleet
from gcs.core.vehicle.link import Link

log = logging.getLogger(__name__)

PREBUFFER_FRAMES = 5000
SAVE_PERIOD_S = 1.0
DISK_CHECK_PERIOD_S = 10.0


@dataclass(frozen=True)
class RecorderSettings:
    enabled: bool  # logging.tlog
    directory: Path
    min_free_mb: int
    own_system_id: int = 255
    flush_interval_s: float = 0.5


@dataclass(frozen=True)
class RecordingStatus:
    """One link's recording, published on ``Topics.RECORDING`` when it changes."""

    link_id: str
    url: str
    session_id: int | None
    tlog_path: str | None
    recording: bool
    frames: int
    error: str | None


class LinkRecorder:
    """The tlog and flight session of one live link."""

    def __init__(
        self,
        link: Link,
        settings: RecorderSettings,
        store: SessionStore | None,
        on_change: Callable[[RecordingStatus], None],
    ) -> None:
        self.link = link
        self._settings = settings
        self._store = store
        self._on_change = on_change
        self._lock = threading.Lock()
        self._prebuffer: collections.deque[tuple[bytes, float]] = collections.deque(maxlen=PREBUFFER_FRAMES)
        self._started = self._closed = False
        self._writer: TlogWriter | None = None
        self._next_disk_check = time.monotonic() + DISK_CHECK_PERIOD_S
        self.session_id: int | None = None
        self.error: str | None = None
        self.stats = FlightStats()

    def tap(self, frame: bytes, outgoing: bool, unix_time_s: float) -> None:
        """Every frame of the link (link thread for incoming, any sender's thread for outgoing)."""
        writer = self._writer
        if writer is not None:
            writer.write(frame, unix_time_s)
            return
        identity = None if outgoing else vehicle_heartbeat(frame)
        with self._lock:
            if self._closed:
                return
            if self._started:
                if self._writer is not None:
                    self._writer.write(frame, unix_time_s)
                return
            self._prebuffer.append((frame, unix_time_s))
            if identity is None or identity.system_id == self._settings.own_system_id:
                return
            self._begin(identity)
        self._on_change(self.status())

    def _begin(self, vehicle: HeartbeatIdentity) -> None:
        """First vehicle heard: open the tlog and the session (under the lock)."""
        self._started = True
        start_s = self._prebuffer[0][1]
        settings = self._settings
        writer: TlogWriter | None = None
        if settings.enabled:
            try:
                check_free_disk(settings.directory, settings.min_free_mb)
                path = unique_path(settings.directory, tlog_name(start_s, vehicle))
                writer = TlogWriter(path, flush_interval_s=settings.flush_interval_s, on_error=self._writer_failed)
            except RecordingError as exc:
                self.error = str(exc)
                log.error("link %s: %s", self.link.spec.url, exc)
        if self._store is not None:
            try:
                self.session_id = self._store.create(
                    start_s, source="live", link_url=self.link.spec.url,
                    tlog_path=str(writer.path) if writer else "", pid=os.getpid(),
                )
            except RecordingError as exc:
                log.error("link %s: no flight session: %s", self.link.spec.url, exc)
        if self.error:
            self.stats.note(start_s, vehicle.system_id, self.error)
        if writer is not None:
            for frame, t in self._prebuffer:
                writer.write(frame, t)
            log.info("recording %s to %s", self.link.spec.url, writer.path)
        self._prebuffer.clear()
        self._writer = writer

    def _writer_failed(self, reason: str) -> None:
        with self._lock:
            self.error = reason
            self.stats.note(time.time(), 0, reason)
        self._on_change(self.status())

    def on_state(self, state: VehicleState) -> None:
        with self._lock:
            self.stats.on_state(state)

    def on_link(self, system_id: int, lost: bool, reason: str) -> None:
        with self._lock:
            self.stats.on_link(system_id, lost, time.time(), reason)

    def note(self, system_id: int, text: str, kind: EventKind) -> None:
        with self._lock:
            self.stats.note(time.time(), system_id, text, kind)

    def save(self, ended_s: float | None = None) -> None:
        """Persist figures and new events (recorder thread, close); check the disk now and then."""
        writer = self._writer
        if writer is not None and writer.error is None and time.monotonic() >= self._next_disk_check:
            self._next_disk_check = time.monotonic() + DISK_CHECK_PERIOD_S
            try:
                check_free_disk(writer.path.parent, self._settings.min_free_mb)
            except RecordingError as exc:
                writer.stop(str(exc))
        if self._store is None or self.session_id is None:
            return
        with self._lock:
            messages = writer.frames_written if writer is not None else 0
            try:
                self._store.save(self.session_id, self.stats, self.stats.take_new_events(), messages=messages,
                                 ended_s=ended_s)
            except RecordingError as exc:
                log.error("flight session %d not saved: %s", self.session_id, exc)

    def close(self) -> None:
        """The link closed: end the tlog and the session."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            writer = self._writer
        if writer is not None:
            writer.close()
        if self.session_id is not None:
            ends = [t for t in (writer.last_time_s if writer else None, self.stats.last_s) if t is not None]
            self.save(ended_s=max(ends) if ends else time.time())
        self._on_change(self.status())

    def status(self) -> RecordingStatus:
        writer = self._writer
        error = self.error or (writer.error if writer is not None else None)
        return RecordingStatus(
            link_id=self.link.link_id,
            url=self.link.spec.url,
            session_id=self.session_id,
            tlog_path=str(writer.path) if writer is not None else None,
            recording=writer is not None and writer.error is None and not self._closed,
            frames=writer.frames_written if writer is not None else 0,
            error=error,
        )


class FlightRecorder:
    """Records every attached link and keeps their sessions' events; one saving thread for all."""

    def __init__(
        self, bus: MessageBus, fleet: Fleet, store: SessionStore | None, settings: Callable[[], RecorderSettings]
    ) -> None:
        self._bus = bus
        self._fleet = fleet
        self._store = store
        self._settings = settings
        self._recorders: dict[str, LinkRecorder] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._subs: list[Subscription] = [
            bus.subscribe(Topics.VEHICLE_STATE_OF.format(sysid="*"), self._on_state),
            bus.subscribe(Topics.LINK_STATE, self._on_link_state),
        ]
        self._thread = threading.Thread(target=self._run, name="flight-recorder", daemon=True)
        self._thread.start()

    def attach(self, link: Link) -> None:
        """Record ``link`` from now on (call before the link starts reading)."""
        recorder = LinkRecorder(link, self._settings(), self._store, self._changed)
        with self._lock:
            self._recorders[link.link_id] = recorder
        link.add_tap(recorder.tap)

    def detach(self, link: Link) -> None:
        with self._lock:
            recorder = self._recorders.pop(link.link_id, None)
        if recorder is not None:
            link.remove_tap(recorder.tap)
            recorder.close()

    def statuses(self) -> list[RecordingStatus]:
        with self._lock:
            recorders = list(self._recorders.values())
        return [r.status() for r in recorders]

    def session_of(self, system_id: int | None) -> int | None:
        """The open session of that vehicle (or the active one), if it is recorded."""
        recorder = self._recorder_of(system_id)
        return recorder.session_id if recorder is not None else None

    def note(self, system_id: int | None, text: str, kind: EventKind = EventKind.NOTE) -> bool:
        """Add an event to the session of that vehicle's link, or the active one's (a parameter change,
        an alert); False when that link is not recorded."""
        recorder = self._recorder_of(system_id)
        if recorder is None:
            return False
        sysid = system_id if system_id is not None else self._fleet.active_id
        recorder.note(sysid or 0, text, kind)
        return True

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2.0)
        for sub in self._subs:
            sub.cancel()
        with self._lock:
            recorders = list(self._recorders.values())
            self._recorders.clear()
        for recorder in recorders:
            recorder.link.remove_tap(recorder.tap)
            recorder.close()

    def _recorder_of(self, system_id: int | None) -> LinkRecorder | None:
        try:
            link = self._fleet.vehicle(system_id).link
        except VehicleNotFound:
            return None
        return self._recorders.get(link.link_id)

    def _on_state(self, _topic: str, state: VehicleState) -> None:
        recorder = self._recorder_of(state.system_id)
        if recorder is not None:
            recorder.on_state(state)

    def _on_link_state(self, _topic: str, event: dict[str, Any]) -> None:
        recorder = self._recorder_of(int(event["system_id"]))
        if recorder is not None:
            recorder.on_link(int(event["system_id"]), event["state"] == LinkState.LOST.value, str(event["reason"]))

    def _changed(self, status: RecordingStatus) -> None:
        self._bus.publish(Topics.RECORDING, status)
        if status.session_id is not None:
            self._bus.publish(Topics.SESSIONS, status.session_id)

    def _run(self) -> None:
        while not self._stop.wait(SAVE_PERIOD_S):
            with self._lock:
                recorders = list(self._recorders.values())
            for recorder in recorders:
                recorder.save()
