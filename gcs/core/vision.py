"""The vision pipeline: one video source -> {JPEG fan-out, H.264 out, tracker} -> follow loop -> commander.

Threads (all owned here): the capture thread (newest frame only), the JPEG encoder thread
(encodes only while someone watches), the H.264 encoder thread (only while the RTP stream or a
recording is on; video_out.py), the tracking worker (newest frame, drops), and the follow loop
riding on the tracker's results. Changing the source rebuilds capture, encoders and tracker;
the follow loop and its safety gate live as long as the pipeline.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gcs.core.bus import MessageBus
from gcs.core.config import GcsConfig
from gcs.core.follow.camera import CameraModel
from gcs.core.follow.loop import FollowerStatus, FollowLoop
from gcs.core.follow.profiles import PROFILES, ProfileSpec
from gcs.core.follow.settings import follow_params, safety_limits
from gcs.core.logs.paths import data_dir
from gcs.core.map.estimate import CameraMount
from gcs.core.models import VehicleState
from gcs.core.tracking.detectors.factory import resolve_backend
from gcs.core.tracking.errors import TrackerError
from gcs.core.tracking.opencv_trackers import default_registry
from gcs.core.tracking.overlay import track_overlay
from gcs.core.tracking.registry import TrackerSpec
from gcs.core.tracking.smart import LazyDetector, register_smart_tracker
from gcs.core.tracking.types import BBox, TrackedTarget
from gcs.core.tracking.worker import TrackingWorker
from gcs.core.vehicle.commander import Commander
from gcs.core.video import (
    CaptureStats,
    CaptureWorker,
    Consumer,
    EncodedFrame,
    FanoutStats,
    JpegFanout,
    RecorderStatus,
    VideoHealth,
    VideoRecorder,
)
from gcs.core.video.errors import VideoError
from gcs.core.video.h264 import PYAV_MISSING, PacketSink
from gcs.core.video.recorder import TOPIC as RECORDING_TOPIC
from gcs.core.video.sources import SourceOptions, VideoSource
from gcs.core.video_out import SDP_NAME, VideoOut, VideoOutStatus
from gcs.core.video_out import TOPIC as VIDEO_OUT_TOPIC

log = logging.getLogger(__name__)


class VisionPipeline:
    """Video, tracking and follow for the service; every method is safe from any non-GUI thread."""

    def __init__(
        self,
        bus: MessageBus,
        commander: Commander,
        vehicle_state: Callable[[], VehicleState | None],
        config: Callable[[], GcsConfig],
    ) -> None:
        self._bus = bus
        self._config = config
        self._lock = threading.RLock()
        self._capture: CaptureWorker | None = None
        self._fanout: JpegFanout | None = None
        self._tracker: TrackingWorker | None = None
        self._recorder: VideoRecorder | None = None
        self._video_out: VideoOut | None = None
        cfg = config()
        t = cfg.tracking
        # One detector for the pipeline's life: a source change must not reload the model.
        self.smart_detector = LazyDetector(
            t.backend, t.model_path or None, confidence=t.confidence, image_size=t.image_size,
            device=t.device, classes=t.classes,
        )  # fmt: skip
        self.follow = FollowLoop(
            bus,
            commander,
            vehicle_state,
            self.camera_model,
            params=follow_params(cfg),
            limits=safety_limits(cfg),
            profile=cfg.follow.profile,
        )

    # ---- lifecycle ---------------------------------------------------------------------------

    def start(self, source: str | VideoSource | None = None) -> None:
        """Open ``source`` (a spec, or a VideoSource object; default: config video.source) and start
        every worker on it."""
        cfg = self._config()
        spec = source if source is not None else cfg.video.source
        v = cfg.video
        options = SourceOptions(width=v.width, height=v.height, fps=v.fps, loop=v.loop_file)
        capture = CaptureWorker(
            spec, bus=self._bus, options=options, stale_after_s=v.stale_after_s, max_backoff_s=v.reconnect_max_backoff_s
        )
        capture.latency_stamp = v.latency_stamp
        fanout = JpegFanout(capture, quality=v.jpeg_quality, min_quality=v.jpeg_quality_min)
        registry = default_registry()
        register_smart_tracker(registry, self.smart_detector)
        with self._lock:  # a new source keeps the tracker the operator chose
            previous = self._tracker.tracker_name if self._tracker is not None else None
        smart = previous == "smart" if previous else cfg.tracking.smart_mode
        tracker = TrackingWorker(
            capture,
            bus=self._bus,
            tracker_name=previous or ("smart" if smart else cfg.tracking.tracker),
            lost_timeout_s=cfg.safety.target_lost_timeout_s,
            registry=registry,
        )
        video_out = VideoOut(capture, track_overlay(tracker), v, sdp_path=data_dir() / SDP_NAME,
                             on_status=lambda st: self._bus.publish(VIDEO_OUT_TOPIC, st))
        self._import_heavy_runtime()
        if smart:
            self.preload_smart()
        with self._lock:
            self._stop_workers()
            self._capture, self._fanout, self._tracker = capture, fanout, tracker
            self._video_out = video_out
        capture.start()
        fanout.start()
        video_out.start()
        self.follow.start()
        log.info("video source %s started", capture.spec)

    def _import_heavy_runtime(self) -> None:
        """Import torch/ultralytics here, before capture threads run, when the config chose them.

        Importing torch on the detector-load thread while OpenCV threads convert frames crashed
        (SIGFPE) and deadlocked; on the starting thread it is safe. onnxruntime (auto's choice for
        the shipped .onnx model) is light and needs nothing up front.
        """
        t = self._config().tracking
        try:
            if resolve_backend(t.backend, t.model_path or None) == "ultralytics" and "ultralytics" not in sys.modules:
                from gcs.core.tracking.detectors.ultralytics_backend import import_yolo

                import_yolo()
        except TrackerError as exc:
            log.warning("smart mode unavailable: %s", exc)

    def preload_smart(self) -> None:
        """Start loading the detector in the background (no-op once loaded)."""
        if not self.smart_detector.loaded:
            threading.Thread(target=self._preload_detector, name="detector-load", daemon=True).start()

    def _preload_detector(self) -> None:
        """Load the model off every other thread (ultralytics takes seconds) so the first click is quick."""
        try:
            self.smart_detector.get()
        except TrackerError as exc:
            log.error("smart mode unavailable: %s", exc)

    def close(self) -> None:
        self.follow.disable("shutting down")
        self.follow.close()
        with self._lock:
            self._stop_workers()

    def _stop_workers(self) -> None:
        if self._recorder is not None:
            self._recorder.stop()
            self._recorder = None
        if self._video_out is not None:
            self._video_out.stop()
            self._video_out = None
        if self._tracker is not None:
            self._tracker.close()
        if self._fanout is not None:
            self._fanout.stop()
        if self._capture is not None:
            self._capture.stop()
        self._capture = self._fanout = self._tracker = None

    def apply_config(self, cfg: GcsConfig) -> None:
        """Live settings: follow gains and safety limits take effect on the next target."""
        self.follow.params = follow_params(cfg)
        self.follow.gate.limits = safety_limits(cfg)
        with self._lock:
            video_out, capture = self._video_out, self._capture
        if capture is not None:
            capture.latency_stamp = cfg.video.latency_stamp
        if video_out is not None:
            video_out.apply(cfg.video)

    # ---- parts -------------------------------------------------------------------------------

    def _require(self) -> tuple[CaptureWorker, JpegFanout, TrackingWorker]:
        with self._lock:
            if self._capture is None or self._fanout is None or self._tracker is None:
                raise TrackerError("no video source is running")
            return self._capture, self._fanout, self._tracker

    @property
    def running(self) -> bool:
        return self._capture is not None

    # ---- video -------------------------------------------------------------------------------

    def video_health(self) -> dict[str, Any]:
        capture, _fanout, _t = self._require()
        info = capture.source_info
        events = capture.health_events()
        return {
            "state": capture.health.value,
            "reason": events[-1].reason if events else "",
            "source": capture.spec,
            "width": info.width if info else None,
            "height": info.height if info else None,
            "fps": info.nominal_fps if info else None,
        }

    @property
    def health(self) -> VideoHealth:
        return self._require()[0].health

    def capture_stats(self) -> CaptureStats:
        return self._require()[0].stats()

    def encoder_stats(self) -> FanoutStats:
        return self._require()[1].stats()

    def reconnect_video(self) -> None:
        self._require()[0].reconnect()

    def latest_frame(self) -> Any:
        return self._require()[0].latest()

    def snapshot(self) -> EncodedFrame | None:
        return self._require()[1].snapshot()

    def subscribe_jpeg(self, quality: int | None = None) -> Consumer:
        return self._require()[1].subscribe(quality)

    def unsubscribe_jpeg(self, consumer: Consumer) -> None:
        with self._lock:
            if self._fanout is not None:
                self._fanout.unsubscribe(consumer)

    def video_out_status(self) -> VideoOutStatus | None:
        """The H.264 RTP stream's state (None while no source runs)."""
        with self._lock:
            video_out = self._video_out
        return video_out.status() if video_out is not None else None

    def video_out_sdp(self) -> str | None:
        """The SDP of the RTP stream for VLC/ffplay, once its first keyframe went out."""
        with self._lock:
            video_out = self._video_out
        return video_out.sdp() if video_out is not None else None

    def add_h264_output(self, sink: PacketSink) -> None:
        """Attach ``sink`` to the one H.264 encoder (the RTP stream and recordings share it);
        VideoError when no source runs or PyAV/libx264 is missing."""
        with self._lock:
            encoder = self._video_out.encoder if self._video_out is not None else None
            if self._video_out is None:
                raise VideoError("no video source is running")
        if encoder is None:
            raise VideoError(f"no H.264 encoder: {PYAV_MISSING or 'PyAV has no libx264'}")
        encoder.add_output(sink)

    def remove_h264_output(self, sink: PacketSink) -> None:
        with self._lock:
            encoder = self._video_out.encoder if self._video_out is not None else None
        if encoder is not None:
            encoder.remove_output(sink)

    def request_keyframe(self) -> None:
        """The next H.264 frame is a keyframe (a receiver lost packets and asked for one)."""
        with self._lock:
            encoder = self._video_out.encoder if self._video_out is not None else None
        if encoder is not None:
            encoder.request_keyframe()

    def camera_model(self) -> CameraModel:
        """The lens for the follower: the virtual camera's own, else the config's (video.camera_*)."""
        m = self.camera_mount()
        return CameraModel(m.width, m.height, m.hfov_deg, m.tilt_deg)

    def camera_mount(self) -> CameraMount:
        """The lens and its mount for the map's target estimate: the virtual camera's own (its
        field of view, tilt and gimbal), else video.camera_hfov_deg / _tilt_deg / _stabilised."""
        with self._lock:
            capture = self._capture
        source = capture.source if capture is not None else None
        camera = getattr(source, "camera", None)
        if camera is not None:
            m = camera.camera_model()
            return CameraMount(m.width, m.height, m.hfov_deg, m.tilt_deg, bool(camera.gimbal))
        v = self._config().video
        info = capture.source_info if capture is not None else None
        width, height = (info.width, info.height) if info else (v.width, v.height)
        return CameraMount(width, height, v.camera_hfov_deg, v.camera_tilt_deg, v.camera_stabilised)

    # ---- recording ---------------------------------------------------------------------------

    def start_recording(self, path: Path) -> RecorderStatus:
        """Record the source to ``path`` (.mp4/.mkv: H.264 from the shared encoder) with the tracked
        box drawn, plus a per-frame timestamp sidecar (``<name>.frames.csv``) so the video lines up
        with the flight's tlog."""
        capture, _f, tracker = self._require()
        with self._lock:
            if self._recorder is not None and self._recorder.recording:
                raise VideoError(f"already recording to {self._recorder.status().path}")
            encoder = self._video_out.encoder if self._video_out is not None else None
            self._recorder = VideoRecorder(
                capture, encoder=encoder, overlay=track_overlay(tracker),
                on_status=lambda st: self._bus.publish(RECORDING_TOPIC, st),
            )
            recorder = self._recorder
        return recorder.start(path)

    def stop_recording(self) -> RecorderStatus:
        with self._lock:
            recorder = self._recorder
        if recorder is None:
            raise VideoError("not recording")
        return recorder.stop()

    def recording_status(self) -> RecorderStatus | None:
        with self._lock:
            recorder = self._recorder
        return recorder.status() if recorder is not None else None

    # ---- tracking ----------------------------------------------------------------------------

    def start_tracking_box(self, x: float, y: float, w: float, h: float, *, normalised: bool = False) -> None:
        capture, _f, tracker = self._require()
        if normalised:
            frame = capture.latest()
            if frame is None:
                raise TrackerError("no video frame yet: cannot convert a normalised box")
            box = BBox.from_normalised(x, y, w, h, frame.image.shape[1], frame.image.shape[0])
        else:
            box = BBox(x, y, w, h)
        tracker.start_box(box)

    def start_tracking_click(self, x: float, y: float) -> int:
        """Start on a click from the next frame on; returns the request for :meth:`wait_tracking_started`."""
        _c, _f, tracker = self._require()
        return tracker.start_click(x, y)

    def wait_tracking_started(self, request: int, timeout_s: float) -> TrackedTarget | None:
        """The first result of a start (LOCKED, or IDLE with why not); None if none within ``timeout_s``."""
        return self._require()[2].wait_started(request, timeout_s)

    def stop_tracking(self) -> None:
        _c, _f, tracker = self._require()
        tracker.stop()

    def tracker_specs(self) -> tuple[TrackerSpec, ...]:
        return self._require()[2].registry.specs()

    def switch_tracker(self, name: str, **params: object) -> str:
        _c, _f, tracker = self._require()
        tracker.switch_tracker(name, **params)
        return tracker.tracker_name

    def tracked_target(self) -> TrackedTarget:
        return self._require()[2].latest()

    @property
    def tracker_name(self) -> str:
        return self._require()[2].tracker_name

    # ---- follow ------------------------------------------------------------------------------

    def follower_profiles(self) -> tuple[ProfileSpec, ...]:
        return tuple(PROFILES.values())

    def follower_status(self) -> FollowerStatus:
        return self.follow.status()
