"""The newest video frame for the GUI, without the GUI thread ever waiting on the core.

``service.latest_frame()`` is cheap, but it takes the vision pipeline's lock, which a source
restart holds while the old capture thread stops (up to seconds). So a small poller thread calls
it and parks the newest frame in a slot; a QTimer on the GUI thread (30 fps) takes the slot and
emits ``frame`` only for a frame it has not shown yet. Converting and painting happen in the
view, once per new frame.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal, Slot

from gcs.core.errors import GcsError

if TYPE_CHECKING:
    from gcs.core.service import GcsService

log = logging.getLogger(__name__)

DISPLAY_FPS = 30
POLL_S = 1.0 / 90  # the poller looks 3x per display tick: a new frame waits at most ~11 ms for it


class QtFrameFeed(QObject):
    """Polls the service off the GUI thread; emits new frames at <= ``fps`` on the GUI thread."""

    frame = Signal(object)  # gcs.core.video.Frame not shown before (read-only BGR image)
    running_changed = Signal(bool)  # whether a video source is running

    def __init__(self, service: GcsService, *, fps: float = DISPLAY_FPS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._lock = threading.Lock()
        self._slot: tuple[Any, bool] = (None, False)  # (newest frame, running); poller writes
        self._shown: Any = None
        self._running: bool | None = None
        self.frames_shown = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="gui-frames", daemon=True)
        self._thread.start()
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start(max(1, round(1000 / fps)))

    # ---- poller thread ---------------------------------------------------------------------

    def _poll(self) -> None:
        service = self._service
        while not self._stop.wait(POLL_S):
            running = service.video_running
            frame = None
            if running:
                try:
                    frame = service.latest_frame()
                except GcsError:  # stopped between the two calls
                    running = False
            with self._lock:
                self._slot = (frame, running)

    # ---- GUI thread ------------------------------------------------------------------------

    @Slot()
    def _on_tick(self) -> None:
        with self._lock:
            frame, running = self._slot
        if running != self._running:
            self._running = running
            self.running_changed.emit(running)
        if frame is not None and frame is not self._shown:
            self._shown = frame
            self.frames_shown += 1
            self.frame.emit(frame)

    @property
    def running(self) -> bool:
        return bool(self._running)

    def stop(self, timeout_s: float = 0.5) -> None:
        """Stop the timer and the poller (GUI thread); a poller stuck in the core is left behind."""
        self._timer.stop()
        self._stop.set()
        began = time.monotonic()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("frame poller still busy after %.1f s; leaving it (daemon)", time.monotonic() - began)
