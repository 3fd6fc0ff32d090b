"""One capture thread per video source, holding only the newest frame, with a health state machine.

Consumers (display, tracker, encoder, recorder) run at their own pace: the worker keeps a
single slot with the newest frame, never a queue, so a slow consumer sees fresh pictures and
never adds latency. Frames replaced before anyone took them are counted as dropped.

Health (published on the bus as `HealthEvent` on ``video.health``)::

    STOPPED --start--> RECONNECTING --first frame--> OK <--frames again / rate back--> DEGRADED
                           ^   |                      |                                   |
                           |   +-- open fails: retry after 0.5, 1, 2 ... max_backoff_s    |
                           +------ no frame for reconnect_after_s, or reconnect() --------+
    stop(), or a file that ended with looping off --> STOPPED

DEGRADED means "no frame for stale_after_s" or "measured rate far below nominal". A small
watchdog thread judges staleness, because the capture thread itself may sit in a blocking read
(bounded by the source's read timeout). Nothing raises out of either thread.
"""

from __future__ import annotations

import collections
import logging
import threading
import time

import cv2

from gcs.core.bus import MessageBus, Topics
from gcs.core.video.errors import VideoError
from gcs.core.video.frames import CaptureStats, Frame, HealthEvent, Image, SourceInfo, VideoHealth
from gcs.core.video.sources import PoseProvider, SourceOptions, VideoSource, parse_source
from gcs.core.video.stamp import write_stamp

log = logging.getLogger(__name__)

HEALTH_TOPIC = "video.health"
_SOURCE_ERRORS = (VideoError, cv2.error, OSError)


class CaptureWorker:
    """Reads one source on its own thread; `latest()` / `wait_newer()` hand out the newest frame."""

    def __init__(self, source: str | int | VideoSource, *, bus: MessageBus | None = None,
                 options: SourceOptions | None = None, stale_after_s: float = 1.0,
                 reconnect_after_s: float | None = None, initial_backoff_s: float = 0.5,
                 max_backoff_s: float = 10.0, min_fps_ratio: float = 0.5, fps_window_s: float = 2.0,
                 pose_provider: PoseProvider | None = None) -> None:
        """Parse the source now (a bad spec raises VideoError here, not later on the thread).

        ``reconnect_after_s`` (default 3 x stale_after_s) is how long without a frame before the
        source is reopened; a network source's read timeout should not be longer than that.
        For "virtual" without a pose provider, the bus's active vehicle state is used.
        """
        if stale_after_s <= 0 or initial_backoff_s <= 0 or max_backoff_s < initial_backoff_s:
            raise VideoError("stale_after_s and backoffs must be positive, max >= initial")
        if pose_provider is None and bus is not None:
            pose_provider = lambda: bus.latest(Topics.VEHICLE_STATE)  # noqa: E731
        self._source: VideoSource = (
            parse_source(source, options, pose_provider=pose_provider)
            if isinstance(source, str | int) else source
        )
        self.spec = self._source.spec
        # Write each frame's capture time into its pixels (stamp.py), for glass-to-glass figures;
        # set by the pipeline from ``video.latency_stamp`` (live).
        self.latency_stamp = False
        self._bus = bus
        self._stale_after_s = stale_after_s
        self._reconnect_after_s = reconnect_after_s if reconnect_after_s is not None else 3 * stale_after_s
        self._initial_backoff_s = initial_backoff_s
        self._max_backoff_s = max_backoff_s
        self._min_fps_ratio = min_fps_ratio
        self._fps_window_s = fps_window_s

        self._cond = threading.Condition()  # guards the frame slot and counters
        self._frame: Frame | None = None
        self._taken = False
        self._seq = 0
        self._dropped = 0
        self._stamps: collections.deque[float] = collections.deque(maxlen=2000)

        self._state_lock = threading.RLock()  # guards health; bus callbacks may read it back
        self._health = VideoHealth.STOPPED
        self._degraded_by = ""  # "stale" or "fps"
        self._events: collections.deque[HealthEvent] = collections.deque(maxlen=256)
        self._info: SourceInfo | None = None
        self._session_start = 0.0
        self._last_frame_mono = 0.0
        self._reconnects = 0
        self._last_error: str | None = None

        self._stop = threading.Event()
        self._finished = threading.Event()  # stopped, or the file ended: no frame will come
        self._wake = threading.Event()  # reconnect() or stop(): cut a backoff wait short
        self._reconnect_now = False
        self._thread: threading.Thread | None = None
        self._watchdog: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> CaptureWorker:
        if self._thread is not None:
            raise VideoError(f"capture of {self.spec!r} was already started; make a new worker")
        self._set_health(VideoHealth.RECONNECTING, f"opening {self.spec}")
        self._thread = threading.Thread(target=self._run, name=f"capture:{self.spec[:40]}", daemon=True)
        self._watchdog = threading.Thread(target=self._watch, name=f"capture-watch:{self.spec[:32]}",
                                          daemon=True)
        self._thread.start()
        self._watchdog.start()
        return self

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop both threads and release the source; idempotent."""
        self._stop.set()
        self._finished.set()
        self._wake.set()
        with self._cond:
            self._cond.notify_all()
        for thread in (self._thread, self._watchdog):
            if thread is not None and thread is not threading.current_thread():
                thread.join(timeout_s)
                if thread.is_alive():
                    log.warning("%s did not stop within %.1f s (blocked in a read?)", thread.name, timeout_s)
        self._set_health(VideoHealth.STOPPED, "stopped", only_if_not=VideoHealth.STOPPED)

    def reconnect(self) -> None:
        """Close and reopen the source now (after the current read returns), skipping any backoff."""
        self._reconnect_now = True
        self._wake.set()

    def __enter__(self) -> CaptureWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- consumers ----------------------------------------------------------------------------

    def latest(self) -> Frame | None:
        """The newest frame (None before the first one); never blocks."""
        with self._cond:
            if self._frame is not None:
                self._taken = True
            return self._frame

    def wait_newer(self, seq: int, timeout: float | None = None) -> Frame | None:
        """Block until a frame newer than ``seq`` exists and return it (newest only).

        None on timeout or once no frame can come any more (see `finished`).
        """
        with self._cond:
            self._cond.wait_for(lambda: (self._frame is not None and self._frame.seq > seq)
                                or self._finished.is_set(), timeout)
            frame = self._frame
            if frame is None or frame.seq <= seq:
                return None
            self._taken = True
            return frame

    @property
    def finished(self) -> bool:
        """True once stopped or once a non-looping file has ended: waiting is pointless."""
        return self._finished.is_set()

    @property
    def health(self) -> VideoHealth:
        with self._state_lock:
            return self._health

    @property
    def source_info(self) -> SourceInfo | None:
        """What the source delivers, known once it has opened."""
        return self._info

    @property
    def source(self) -> VideoSource:
        return self._source

    def health_events(self) -> list[HealthEvent]:
        with self._state_lock:
            return list(self._events)

    def stats(self) -> CaptureStats:
        now = time.monotonic()
        with self._cond:
            captured, dropped, frame = self._seq, self._dropped, self._frame
            fps = self._fps(now)
        info = self._info
        return CaptureStats(
            captured=captured, dropped=dropped, fps=fps,
            nominal_fps=info.nominal_fps if info else None,
            width=frame.width if frame else None, height=frame.height if frame else None,
            reconnects=self._reconnects, health=self.health,
            last_frame_age_s=frame.age_s(now) if frame else None, last_error=self._last_error,
        )

    # ---- capture thread -----------------------------------------------------------------------

    def _run(self) -> None:
        backoff = self._initial_backoff_s
        while not self._stop.is_set():
            self._reconnect_now = False
            self._wake.clear()
            try:
                info = self._source.open()
            except _SOURCE_ERRORS as exc:
                self._last_error = f"open failed: {exc}"
                self._set_health(VideoHealth.RECONNECTING, self._last_error)
                log.info("%s: open failed (%s); retry in %.1f s", self.spec, exc, backoff)
                self._wake.wait(backoff)
                backoff = min(backoff * 2.0, self._max_backoff_s)
                continue
            self._info = info
            self._session_start = self._last_frame_mono = time.monotonic()
            outcome, delivered = self._read_loop(info)
            self._close_source()
            if outcome == "ended":
                self._set_health(VideoHealth.STOPPED, "end of file (loop off)")
                self._finished.set()
                with self._cond:
                    self._cond.notify_all()
                return
            if outcome == "stop":
                return
            self._reconnects += 1
            self._last_error = outcome
            self._set_health(VideoHealth.RECONNECTING, outcome)
            if delivered:
                backoff = self._initial_backoff_s  # first reopen right away, then back off
            else:
                self._wake.wait(backoff)
                backoff = min(backoff * 2.0, self._max_backoff_s)
        self._close_source()

    def _read_loop(self, info: SourceInfo) -> tuple[str, bool]:
        delivered = False
        while True:
            if self._stop.is_set():
                return "stop", delivered
            if self._reconnect_now:
                return "reconnect requested", delivered
            try:
                image = self._source.read()
            except _SOURCE_ERRORS as exc:
                log.warning("%s: read failed: %s", self.spec, exc)
                image = None
            now = time.monotonic()
            if image is not None:
                self._store(image, info)
                delivered = True
                continue
            if self._source.ended:
                return "ended", delivered
            if now - self._last_frame_mono >= self._reconnect_after_s:
                return f"no frame for {now - self._last_frame_mono:.1f} s; reopening", delivered
            self._stop.wait(0.02)  # a dead handle fails instantly: do not spin

    def _store(self, image: Image, info: SourceInfo) -> None:
        wall = time.time()
        if self.latency_stamp:  # before the frame is frozen and shared: every consumer sees it
            if not image.flags.writeable:
                image = image.copy()
            write_stamp(image, wall)
        with self._cond:
            self._seq += 1
            if self._frame is not None and not self._taken:
                self._dropped += 1
            frame = Frame.create(image, self._seq, self.spec, wall)
            self._frame, self._taken = frame, False
            self._stamps.append(frame.monotonic_s)
            self._last_frame_mono = frame.monotonic_s
            self._cond.notify_all()
        with self._state_lock:
            if self._health is VideoHealth.RECONNECTING:
                self._last_error = None
                fps = f"{info.nominal_fps:.1f}" if info.nominal_fps else "?"
                self._set_health(VideoHealth.OK, f"{info.kind} {frame.width}x{frame.height} @ {fps} fps "
                                                 f"via {info.backend}")
            elif self._health is VideoHealth.DEGRADED and self._degraded_by == "stale":
                self._set_health(VideoHealth.OK, "frames flowing again")

    def _close_source(self) -> None:
        try:
            self._source.close()
        except _SOURCE_ERRORS as exc:
            log.warning("%s: close failed: %s", self.spec, exc)

    # ---- health -------------------------------------------------------------------------------

    def _fps(self, now: float) -> float:
        """Frames per second over the last window (caller holds ``_cond``)."""
        span = min(self._fps_window_s, now - self._session_start) if self._session_start else 0.0
        if span <= 0.05:
            return 0.0
        cutoff = now - span
        count = sum(1 for t in reversed(self._stamps) if t > cutoff) if self._stamps else 0
        return count / span

    def _watch(self) -> None:
        period = min(0.1, self._stale_after_s / 5.0)
        while not self._stop.wait(period):
            self._check_health(time.monotonic())

    def _check_health(self, now: float) -> None:
        with self._state_lock:
            state, info = self._health, self._info
            if state not in (VideoHealth.OK, VideoHealth.DEGRADED) or info is None:
                return
            age = now - self._last_frame_mono
            if age >= self._stale_after_s:
                if self._degraded_by != "stale":
                    self._set_health(VideoHealth.DEGRADED, f"no frame for {age:.1f} s", degraded_by="stale")
                return
            nominal = info.nominal_fps
            if not nominal or now - self._session_start < self._fps_window_s:
                return
            with self._cond:
                fps = self._fps(now)
            floor = self._min_fps_ratio * nominal
            if state is VideoHealth.OK and fps < floor:
                self._set_health(VideoHealth.DEGRADED, f"{fps:.1f} fps, nominal {nominal:.1f}",
                                 degraded_by="fps")
            elif state is VideoHealth.DEGRADED and self._degraded_by == "fps" and fps >= floor * 1.2:
                self._set_health(VideoHealth.OK, f"frame rate back to {fps:.1f} fps")

    def _set_health(self, state: VideoHealth, reason: str, *, degraded_by: str = "",
                    only_if_not: VideoHealth | None = None) -> None:
        with self._state_lock:
            same_reason = state is not VideoHealth.DEGRADED or degraded_by == self._degraded_by
            if state is self._health and same_reason:
                return
            if only_if_not is not None and self._health is only_if_not:
                return
            self._health = state
            self._degraded_by = degraded_by if state is VideoHealth.DEGRADED else ""
            event = HealthEvent(state, reason, time.time(), self.spec)
            self._events.append(event)
            log.info("video %s: %s (%s)", self.spec, state.value, reason)
            if self._bus is not None:
                self._bus.publish(HEALTH_TOPIC, event)
