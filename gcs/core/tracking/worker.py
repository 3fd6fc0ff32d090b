"""The tracking thread: newest frame in, TrackedTarget out on the bus; never queues, never blocks capture.

Threads. One worker thread owns the tracker (OpenCV trackers are not thread-safe). The public
methods are called from the GUI, the API or the service on their own threads; they validate and
build what they can at once (so a bad tracker name or parameter raises in the caller), then hand
a request over under a lock, which the worker applies on the next frame. A generation counter
makes a result computed before a stop()/start_*() be dropped instead of published.

Frames. ``wait_newer(seq, timeout)`` returns the newest frame after ``seq``; frames that arrive
while the tracker is busy are simply never seen (dropped, not queued), so the latency of the
published target is one tracker update, whatever the camera rate.

Selection. A click becomes a square around it for the classic trackers; a tracker that picks
its own target (``SelectingTracker``: smart mode) is handed the click itself, and the box it
chose becomes the selection (first box, appearance reference, plausibility baseline).

Outcome of a start. ``start_box``/``start_click`` return a request number at once; a caller that
must tell the pilot the result (smart click: locked, or refused with the reason) waits for it with
``wait_started(request, timeout)``, which returns the first TrackedTarget of that start: LOCKED
with the selected box, or IDLE with "could not start: <why>".

Topics. ``tracking.target``: a TrackedTarget for every processed frame while a track runs (and
once when it ends). ``tracking.state``: a TrackStateChange when the state changes or a start fails.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Protocol

from gcs.core.bus import MessageBus
from gcs.core.tracking.appearance import AppearanceModel
from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.opencv_trackers import default_registry
from gcs.core.tracking.plausibility import LossState, PlausibilityParams, assess
from gcs.core.tracking.protocol import SelectingTracker, Tracker
from gcs.core.tracking.registry import TrackerRegistry
from gcs.core.tracking.types import BBox, Image, TrackedTarget, TrackState, TrackStateChange

log = logging.getLogger(__name__)

TARGET_TOPIC = "tracking.target"
STATE_TOPIC = "tracking.state"
_FPS_SMOOTHING = 0.2  # weight of the newest frame interval in the fps average


class Frame(Protocol):
    """A captured frame. ``capture_time_s`` may be any clock (the capture worker uses wall time so
    recordings line up with tlogs); only differences between frames are used here, for the
    lost-target timeout, and the value is passed on as ``TrackedTarget.frame_time_s``."""

    @property
    def image(self) -> Image: ...

    @property
    def seq(self) -> int: ...

    @property
    def capture_time_s(self) -> float: ...


class FrameSource(Protocol):
    """What the capture worker offers: block up to ``timeout`` s for a frame newer than ``seq``.

    It returns the newest such frame, or None on timeout or at once when no frame can come any
    more (a file that ended): the worker then idles instead of spinning.
    """

    def wait_newer(self, seq: int, timeout: float) -> Frame | None: ...


@dataclass(frozen=True)
class _Start:
    """A request to (re)start ``tracker`` on a box, or on a click resolved against the next frame."""

    tracker: Tracker
    box: BBox | None
    click: tuple[float, float, float | None] | None  # x, y, side in px (None: the default)
    reason: str

    def resolve(self, frame_w: int, frame_h: int, click_size_frac: float) -> BBox:
        """The box to start on, in (and clamped to) a frame of this size."""
        if self.click is not None:
            x, y, side = self.click
            size = side if side is not None else click_size_frac * min(frame_w, frame_h)
            return BBox.from_click(x, y, size, frame_w, frame_h)
        if self.box is None:
            raise TrackerError("a start request needs a box or a click")
        return self.box.clamp(frame_w, frame_h)


class TrackingWorker:
    """Runs one tracker on the newest frames of ``frame_source`` in its own thread (started here)."""

    def __init__(
        self,
        frame_source: FrameSource,
        *,
        bus: MessageBus | None = None,
        tracker_name: str = "CSRT",
        lost_timeout_s: float = 1.0,
        registry: TrackerRegistry | None = None,
        plausibility: PlausibilityParams | None = None,
        click_size_frac: float = 0.2,
        poll_timeout_s: float = 0.2,
    ) -> None:
        self._source = frame_source
        self._bus = bus
        self._registry = registry if registry is not None else default_registry()
        self._tracker_name = self._registry.get(tracker_name).name
        self._tracker_params: dict[str, object] = {}
        base = plausibility if plausibility is not None else PlausibilityParams()
        self._params = replace(base, lost_timeout_s=lost_timeout_s)
        self._click_size_frac = click_size_frac
        self._poll_timeout_s = poll_timeout_s
        self._lock = threading.Lock()  # guards the fields below; never held while tracking
        self._started_cond = threading.Condition(self._lock)  # signals a start's outcome
        self._started: tuple[int, TrackedTarget] | None = None  # (request, its first result)
        self._publish_lock = threading.RLock()  # orders commits and bus publications
        self._generation = 0
        self._pending: _Start | None = None
        self._tracker: Tracker | None = None
        self._loss = LossState.idle()
        self._frame_size: tuple[int, int] | None = None
        self._latest = TrackedTarget.idle(self._tracker_name)
        self._fps = 0.0
        self._last_done: float | None = None
        self._appearance = AppearanceModel()  # worker thread only
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tracking", daemon=True)
        self._thread.start()

    # ---- public, any thread ------------------------------------------------------------------

    @property
    def registry(self) -> TrackerRegistry:
        return self._registry

    @property
    def tracker_name(self) -> str:
        with self._lock:
            return self._tracker_name

    def latest(self) -> TrackedTarget:
        with self._lock:
            return self._latest

    def start_box(self, box: BBox) -> int:
        """Track what is inside ``box`` (pixels of the current frames), from the next frame on.

        Returns the request number for :meth:`wait_started`.
        """
        if not box.is_valid:
            raise TrackerError(f"cannot track an empty box {box}")
        with self._lock:
            size = self._frame_size
        if size is not None and box.fraction_inside(*size) <= 0.0:
            raise TrackerError(f"box {box} lies outside the {size[0]}x{size[1]} frame")
        return self._request(_Start(self._new_tracker(), box, None, "selected box"))

    def start_click(self, x: float, y: float, size_px: float | None = None) -> int:
        """Track a square grown around a click (smart mode: the detection under it); its side is
        ``size_px`` or a share of the frame. Returns the request number for :meth:`wait_started`."""
        if size_px is not None and size_px < 4:
            raise TrackerError(f"click box side {size_px} px is too small (min 4)")
        return self._request(_Start(self._new_tracker(), None, (x, y, size_px), "selected by click"))

    def wait_started(self, request: int, timeout_s: float) -> TrackedTarget | None:
        """The first result of start ``request``: LOCKED, or IDLE with why it could not start.

        None when no frame was processed within ``timeout_s``, or when a newer start or a stop
        replaced the request before it was applied (its outcome will never come).
        """
        deadline = time.monotonic() + timeout_s
        with self._started_cond:
            while True:
                if self._started is not None and self._started[0] == request:
                    return self._started[1]
                if self._generation != request:
                    return None
                left = deadline - time.monotonic()
                if left <= 0 or self._closing.is_set():
                    return None
                self._started_cond.wait(min(left, 0.1))

    def switch_tracker(self, name: str, **params: object) -> None:
        """Use backend ``name`` from now on; a running track restarts on its current box."""
        spec = self._registry.get(name)
        tracker = self._registry.create(spec.name, **params)  # raises here on a bad name/parameter
        with self._lock:
            self._tracker_name, self._tracker_params = spec.name, dict(params)
            self._latest = replace(self._latest, tracker=spec.name)  # tracker_data names it at once
            if self._pending is not None:
                self._pending = replace(self._pending, tracker=tracker)
            elif self._loss.state in (TrackState.LOCKED, TrackState.SEARCHING) and self._loss.last_good:
                self._generation += 1
                self._pending = _Start(tracker, self._loss.last_good, None, f"switched to {spec.name}")
        log.info("tracker switched to %s %s", spec.name, params or "")

    def stop(self) -> None:
        """End the track now (no frame needed); publishes IDLE."""
        with self._publish_lock:
            with self._lock:
                self._generation += 1
                self._pending, self._tracker = None, None
                previous = self._loss.state
                self._loss = LossState.idle()
                w, h = self._frame_size or (0, 0)
                self._latest = target = TrackedTarget.idle(self._tracker_name, w, h)
            self._publish(target, previous, "stopped by operator", force_state=False)

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the thread and wait for it; the worker cannot be restarted."""
        self._closing.set()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning("tracking thread did not stop within %.1f s", timeout_s)

    def __enter__(self) -> TrackingWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- internals -----------------------------------------------------------------------------

    def _new_tracker(self) -> Tracker:
        with self._lock:
            name, params = self._tracker_name, dict(self._tracker_params)
        return self._registry.create(name, **params)

    def _request(self, start: _Start) -> int:
        with self._lock:
            self._generation += 1
            self._pending = start
            return self._generation

    def _run(self) -> None:
        seq = -1
        while not self._closing.is_set():
            asked = time.monotonic()
            frame = self._source.wait_newer(seq, self._poll_timeout_s)
            if frame is None:
                if time.monotonic() - asked < self._poll_timeout_s / 2:
                    self._closing.wait(self._poll_timeout_s)  # a finished source answers at once
                continue
            seq = frame.seq
            self._process(frame)
        log.debug("tracking thread ended")

    def _process(self, frame: Frame) -> None:
        started = time.perf_counter()
        image = frame.image
        h, w = image.shape[:2]
        with self._lock:
            self._frame_size = (w, h)
            pending, self._pending = self._pending, None
            generation, tracker, loss, name = self._generation, self._tracker, self._loss, self._tracker_name
        if pending is not None:
            self._begin(pending, frame, generation, started)
            return
        if tracker is None or loss.state not in (TrackState.LOCKED, TrackState.SEARCHING):
            return
        update = tracker.update(image)
        look = self._appearance.score(image, update.box) if update.ok and update.box is not None else None
        new_loss, verdict = assess(loss, update, frame.capture_time_s, w, h, self._params, look)
        if verdict.state is TrackState.LOCKED:
            self._appearance.accept()
        target = TrackedTarget(
            verdict.box,
            verdict.state,
            verdict.confidence,
            frame.seq,
            frame.capture_time_s,
            w,
            h,
            name,
            (time.perf_counter() - started) * 1000.0,
            self._tick(),
            verdict.reason,
        )
        # once LOST the tracker is dropped: no CPU spent until a new selection
        keep = None if new_loss.state is TrackState.LOST else tracker
        self._commit(generation, target, new_loss, keep, verdict.reason, force_state=False)

    def _begin(self, start: _Start, frame: Frame, generation: int, started: float) -> None:
        image = frame.image
        h, w = image.shape[:2]
        try:
            tracker = start.tracker
            box = start.resolve(w, h, self._click_size_frac)
            if start.click is not None and isinstance(tracker, SelectingTracker):
                tracker.init_click(image, start.click[0], start.click[1])  # snaps the click to an object
            else:
                tracker.init(image, box)
            if isinstance(tracker, SelectingTracker) and tracker.selected_box is not None:
                box = tracker.selected_box  # the detected object, not the rough box or the click
            self._appearance.reset(image, box)
        except TrackerError as exc:
            log.warning("could not start %s (%s): %s", start.tracker.name, start.reason, exc)
            why = f"could not start: {exc}"
            idle = TrackedTarget.idle(start.tracker.name, w, h, why)  # tracker_data says why, too
            self._commit(generation, idle, LossState.idle(), None, why, force_state=True, start=True)
            return
        self._fps, self._last_done = 0.0, None
        latency_ms = (time.perf_counter() - started) * 1000.0
        target = TrackedTarget(
            box,
            TrackState.LOCKED,
            1.0,
            frame.seq,
            frame.capture_time_s,
            w,
            h,
            start.tracker.name,
            latency_ms,
            0.0,
            start.reason,
        )
        log.info("tracking %s with %s (%s)", box, start.tracker.name, start.reason)
        loss = LossState.locked(box, frame.capture_time_s, start.reason)
        self._commit(generation, target, loss, start.tracker, start.reason, force_state=True, start=True)

    def _commit(
        self,
        generation: int,
        target: TrackedTarget,
        loss: LossState,
        tracker: Tracker | None,
        reason: str,
        *,
        force_state: bool,
        start: bool = False,
    ) -> None:
        """Make ``target`` the latest and publish it, unless a newer request made it stale.

        Commit and publish share one (re-entrant) lock with stop(), so the bus sees the same order
        as the state: a result computed before a stop() is never published after its IDLE.
        """
        with self._publish_lock:
            with self._lock:
                if generation != self._generation:
                    return  # a stop/start arrived while we were tracking: this result is stale
                previous = self._loss.state
                self._loss, self._latest, self._tracker = loss, target, tracker
                if start:
                    self._started = (generation, target)
                    self._started_cond.notify_all()
            self._publish(target, previous, reason, force_state=force_state)

    def _tick(self) -> float:
        """Update and return the smoothed rate of processed frames (worker thread only)."""
        now = time.perf_counter()
        if self._last_done is not None and now > self._last_done:
            rate = 1.0 / (now - self._last_done)
            self._fps = rate if self._fps == 0.0 else self._fps + _FPS_SMOOTHING * (rate - self._fps)
        self._last_done = now
        return self._fps

    def _publish(self, target: TrackedTarget, previous: TrackState, reason: str, *, force_state: bool) -> None:
        if target.state is not previous:
            log.info("track %s -> %s: %s", previous, target.state, reason)
        if self._bus is None:
            return
        self._bus.publish(TARGET_TOPIC, target)
        if force_state or target.state is not previous:
            change = TrackStateChange(target.state, previous, reason, target.tracker, target.frame_seq)
            self._bus.publish(STATE_TOPIC, change)
