"""VideoPump: one consumer of the core's JPEG fan-out feeding the hub's ``video`` channel.

Every web video client (MJPEG, WebSocket) shares it, so each frame is encoded once however many
watch. It publishes each new frame, plus the tracker, follower and video-health state (on change
and once a second), and runs on its own thread only while someone watches (``attach``/``detach``),
ending ``IDLE_EXIT_S`` after the last client leaves. A pipeline rebuilt under it (source switch)
is picked up by subscribing again.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from typing import Any

from fastapi import FastAPI

from embedded_api.runtime import ApiRuntime
from embedded_api.stream.events import notice
from embedded_api.stream.hub import Channel
from gcs.core.errors import GcsError
from gcs.core.serialize import to_plain
from gcs.core.service import GcsService
from gcs.core.tracking.words import plain_track_text
from gcs.core.video import Consumer, EncodedFrame

log = logging.getLogger(__name__)

FRAME, TRACKER, FOLLOWER, VIDEO = "frame", "tracker", "follower", "video"
QUEUE_SIZE = 8  # events waiting per client (frames and overlay state) before the oldest is dropped
STATE_EVERY_S = 1.0  # tracker/follower/video state is re-sent this often even when unchanged
SLOW_STATE_EVERY_S = 0.2  # video health and follower state are looked at this often
IDLE_EXIT_S = 5.0  # the pump thread ends after this long without clients


def target_plain(target: Any) -> dict[str, Any]:
    """A TrackedTarget as plain data, with the box also normalised and the follower's error terms."""
    data: dict[str, Any] = to_plain(target)
    box, w, h = target.box, target.frame_w, target.frame_h
    data["box_normalised"] = list(box.to_normalised(w, h)) if box is not None and w > 0 and h > 0 else None
    data["error_x"], data["error_y"], data["size_frac"] = target.error_x, target.error_y, target.size_frac
    data["locked"] = target.is_locked
    data["words"] = plain_track_text(target.state.value, target.reason or "")  # what the window writes over it
    return data


def video_state(service: GcsService) -> dict[str, Any]:
    """Health of the video source, or why there is none (never raises)."""
    if not service.video_running:
        return {
            "running": False,
            "state": "stopped",
            "reason": "video is not running (video.enabled is off or the source failed to start)",
        }
    try:
        return {"running": True, **service.video_health()}
    except GcsError as exc:  # stopped between the two calls
        return {"running": False, "state": "stopped", "reason": str(exc)}


class VideoPump:
    """One consumer of the core's JPEG fan-out feeding the hub's ``video`` channel while clients watch."""

    def __init__(self, service: GcsService, runtime: ApiRuntime) -> None:
        self.service = service
        self.channel = runtime.hub.add_channel(Channel("video", throttled=(FRAME,), queue_size=QUEUE_SIZE))
        self._cond = threading.Condition()
        self._clients = 0
        self._thread: threading.Thread | None = None
        self._keys: dict[str, Any] = {}
        self._sent_at: dict[str, float] = {}

    # ---- clients (API loop) ------------------------------------------------------------------

    def attach(self) -> None:
        with self._cond:
            self._clients += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="api-video-pump", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def detach(self) -> None:
        with self._cond:
            self._clients = max(0, self._clients - 1)
            self._cond.notify_all()

    def state_messages(self) -> list[str]:
        """The current tracker, follower and video state as JSON messages (for a new client)."""
        now = time.time()
        return [
            notice(type_, data, self.channel.last_id, now).json()
            for type_, data in ((VIDEO, video_state(self.service)), *self._overlay_state())
        ]

    # ---- pump thread -------------------------------------------------------------------------

    def _tracker_state(self) -> dict[str, Any] | None:
        try:
            return target_plain(self.service.tracker_data())
        except GcsError:  # no video source: no tracker either
            return None

    def _overlay_state(self) -> list[tuple[str, dict[str, Any]]]:
        tracker = self._tracker_state()
        follower = to_plain(self.service.follower_data())
        return [(TRACKER, tracker), (FOLLOWER, follower)] if tracker is not None else [(FOLLOWER, follower)]

    def _publish_changed(self, type_: str, value: dict[str, Any], key: Any, now: float) -> None:
        if self._keys.get(type_) == key and now - self._sent_at.get(type_, 0.0) < STATE_EVERY_S:
            return
        self._keys[type_] = key
        self._sent_at[type_] = now
        self.channel.publish(type_, value, plain=lambda v: v)

    def _publish_tracker(self, now: float) -> None:
        """Every tracker result (a new frame number each), so the box follows the picture."""
        data = self._tracker_state()
        if data is not None:
            key = (data["state"], data["frame_seq"], data["box_normalised"], data["tracker"], data["reason"])
            self._publish_changed(TRACKER, data, key, now)

    def _publish_slow_state(self, now: float) -> None:
        """Video health and the follower: a few times a second is plenty."""
        if now - self._sent_at.get("_slow", 0.0) < SLOW_STATE_EVERY_S:
            return
        self._sent_at["_slow"] = now
        video = video_state(self.service)
        self._publish_changed(VIDEO, video, (video["state"], video.get("reason")), now)
        data = to_plain(self.service.follower_data())
        key = (data["active"], data["profile"], data["held"], tuple(data["reasons"]), data["velocity"])
        self._publish_changed(FOLLOWER, data, key, now)

    def _release(self, consumer: Consumer | None) -> None:
        if consumer is not None:
            with contextlib.suppress(GcsError):
                self.service.unsubscribe_video(consumer)

    def _run(self) -> None:
        consumer: Consumer | None = None
        failures = 0
        while True:
            with self._cond:
                if self._clients == 0:
                    self._release(consumer)
                    consumer = None
                    self._cond.wait_for(lambda: self._clients > 0, IDLE_EXIT_S)
                    if self._clients == 0:
                        self._thread = None
                        return
                    continue
            try:
                if consumer is None or consumer.closed:  # first time, or the pipeline was rebuilt
                    try:
                        consumer = self.service.subscribe_video()
                    except GcsError:  # no video now: say so, look again shortly
                        consumer = None
                        self._publish_slow_state(time.monotonic())
                        with self._cond:
                            self._cond.wait(0.5)
                        continue
                frame: EncodedFrame | None = consumer.get(0.25)
                if frame is not None:
                    self.channel.publish(FRAME, frame, plain=_frame_plain)
                now = time.monotonic()
                self._publish_tracker(now)
                self._publish_slow_state(now)
                failures = 0
            except Exception:  # a bug must not end every viewer's stream: log, back off, carry on
                failures += 1
                if failures <= 3:
                    log.exception("video pump failed (%d); carrying on", failures)
                time.sleep(min(5.0, 0.2 * failures))


def _frame_plain(frame: Any) -> dict[str, Any]:
    return {"seq": frame.seq, "capture_time_s": frame.capture_time_s, "width": frame.width, "height": frame.height}


_PUMP_LOCK = threading.Lock()


def video_pump(app: FastAPI) -> VideoPump:
    """The app's pump, made on first use (the hub belongs to the app's runtime)."""
    with _PUMP_LOCK:
        pump: VideoPump | None = getattr(app.state, "video_pump", None)
        if pump is None:
            pump = VideoPump(app.state.service, app.state.runtime)
            app.state.video_pump = pump
        return pump
