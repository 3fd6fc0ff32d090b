"""The centre of the window: the video view, its frame feed and health, and the replay bar.

It turns three inputs into what the pilot sees over the picture: new frames (``QtFrameFeed``),
whether a source runs at all (the feed's poller), and the capture health events
(``video.health`` via the bridge). The result, ``video_changed(running, state, reason)``, also
goes to the HUD and the tracking toolbar. The replay bar under the video is bound to the newest
open replay: the panel asks the core which one (off the GUI thread) when a replay reports, when
links or vehicles change, and every couple of seconds. GUI thread only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal, Slot
from PySide6.QtWidgets import QVBoxLayout, QWidget

from gcs.core.errors import LinkError, VehicleNotFound
from gcs.ui.qt_frames import QtFrameFeed
from gcs.ui.qt_replay import QtReplayBar
from gcs.ui.qt_runner import QtCommandRunner
from gcs.ui.qt_video import QtVideoView

if TYPE_CHECKING:
    from gcs.core.service import GcsService

REPLAY_POLL_MS = 2000
STATS_POLL_MS = 1000  # while the video is not OK: why the last open or read failed
NO_SOURCE = "no source is running (Video > Open source…)"


def read_replay(service: GcsService) -> tuple[Any, int | None, str | None, list[int]] | None:
    """Worker thread: (newest open replay's status, active vehicle id, its link id, every vehicle id), or None."""
    try:
        status = service.replay_status()
    except LinkError:
        return None
    known = service.vehicle_ids()
    try:
        vehicle = service.fleet.vehicle(None)  # no facade call names the active vehicle's link yet
    except VehicleNotFound:
        return status, None, None, known
    return status, vehicle.system_id, getattr(vehicle.link, "link_id", None), known


def replay_note(status: Any, active: int | None, active_link: str | None, known: list[int]) -> tuple[str, int | None]:
    """(note, vehicle to offer) when the active vehicle is not this replay's: which vehicle the log
    plays as (a stand-in id when its own is the live vehicle), offered only once it is heard."""
    if active is None or active_link == status.link_id:
        return "", None
    pairs = [(log_id, shown) for log_id, shown in zip(status.log_system_ids, status.system_ids, strict=True)
             if shown in known]
    if not pairs:
        return f"Showing vehicle {active}; this log's vehicle is not heard yet", None
    log_id, shown = pairs[0]
    alias = f" (its system {log_id} is the live vehicle)" if shown != log_id else ""
    return f"Showing vehicle {active}; this log plays as vehicle {shown}{alias}", shown


class QtVideoPanel(QWidget):
    """Video view + frame feed + replay bar over one service (GUI thread)."""

    video_changed = Signal(bool, str, str)  # running, health state ("" when off), reason
    replay_active = Signal(bool)  # the active vehicle comes from an open replay (read-only)

    def __init__(self, service: GcsService, runner: QtCommandRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self.view = QtVideoView()
        self.feed = QtFrameFeed(service, parent=self)
        self.replay_bar = QtReplayBar(service, runner)
        self.replay_bar.set_replay(None)
        self._running = False
        self._health = ""  # the last capture health event's state
        self._health_reason = ""
        self._source = ""
        self._last_error = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.replay_bar)
        self.feed.frame.connect(self._on_frame)
        self.feed.running_changed.connect(self._on_running)
        self.replay_bar.close_requested.connect(lambda _link: self.replay_bar.set_replay(None))
        self._replay_timer = QTimer(self)
        self._replay_timer.timeout.connect(self.refresh_replay)
        self._replay_timer.start(REPLAY_POLL_MS)
        self._stats_timer = QTimer(self)
        self._stats_timer.timeout.connect(self._poll_stats)
        self._stats_timer.start(STATS_POLL_MS)
        self._show_state()

    # ---- video (GUI thread) ----------------------------------------------------------------

    @Slot(object)
    def _on_frame(self, frame: Any) -> None:
        size = self.view.frame_size
        self.view.set_frame(frame.image, frame.seq)
        if self.view.frame_size != size:  # the first frame (or a new size): selections can start now
            self._show_state()

    @Slot(bool)
    def _on_running(self, running: bool) -> None:
        self._running = running
        self._show_state()

    @Slot(object)
    def on_health(self, event: Any) -> None:
        """A HealthEvent from ``video.health``."""
        self._health = str(getattr(event.state, "value", event.state))
        self._health_reason = event.reason
        self._source = event.source or self._source
        if self._health == "ok":
            self._last_error = ""
        self._show_state()

    @Slot()
    def _poll_stats(self) -> None:
        if self._running and self._health in ("reconnecting", "degraded"):
            service = self._service
            self._runner.query("video-stats", lambda: service.video_stats()[0].last_error, self._on_last_error)

    def _on_last_error(self, value: Any, error: BaseException | None) -> None:
        text = "" if error is not None or not value else str(value)
        if text != self._last_error:
            self._last_error = text
            self._show_state()

    def _show_state(self) -> None:
        if self._running:
            state, reason = self._health or "reconnecting", self._health_reason
        elif self._health == "stopped" and self._health_reason and self._source:
            state, reason = "stopped", f"{self._source}: {self._health_reason}"
        else:
            state, reason = "", NO_SOURCE
        if state in ("degraded", "reconnecting"):
            if self._last_error:
                reason = self._last_error  # "open failed: cannot open url source '...'" says more than "opening"
            if reason and self._source and self._source not in reason:
                reason = f"{self._source}: {reason}"
        self.view.set_health(state or "stopped", reason)
        self.video_changed.emit(self._running, state, reason)

    @property
    def running(self) -> bool:
        return self._running

    @property
    def detail(self) -> str:
        """The source and the shown frame's size, for the HUD ("virtual 640x480")."""
        size = self.view.frame_size
        if not self._running or not self._source:
            return ""
        return f"{self._source} {size[0]}x{size[1]}" if size else self._source

    @property
    def health(self) -> str:
        return self._health if self._running else ""

    # ---- replay ----------------------------------------------------------------------------

    @Slot()
    def refresh_replay(self) -> None:
        """Ask the core (off the GUI thread) which replay the bar should drive."""
        service = self._service
        self._runner.query("replay", lambda: read_replay(service), self._on_replay_read)

    def _on_replay_read(self, value: Any, error: BaseException | None) -> None:
        if error is not None or value is None:
            self.replay_bar.set_replay(None)
            self.replay_active.emit(False)
            return
        status, sysid, active_link, known = value
        self.replay_active.emit(active_link == status.link_id)
        note, show = replay_note(status, sysid, active_link, known)
        self.replay_bar.set_replay(status.link_id, status.path, note, show)
        self.replay_bar.set_status(status)

    @Slot(object)
    def on_replay_status(self, status: Any) -> None:
        if status.link_id != self.replay_bar.link_id:
            self.refresh_replay()
        else:
            self.replay_bar.set_status(status)

    def stop(self) -> None:
        self._replay_timer.stop()
        self._stats_timer.stop()
        self.feed.stop()
