"""The video, tracking and follow half of GcsService (a mixin, so service.py stays one screenful
of composition): every method delegates to the VisionPipeline built by the service.

Pilots' scripts know these as start_tracking / stop_tracking / smart_click / toggle_smart_mode /
start_offboard_mode / stop_offboard_mode; the API maps those routes onto these methods.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gcs.core.config import ConfigStore
from gcs.core.errors import RecordingError
from gcs.core.follow.loop import FollowerStatus
from gcs.core.follow.profiles import ProfileSpec
from gcs.core.logs.paths import data_dir
from gcs.core.models import CommandResult
from gcs.core.tracking.errors import SelectionRefused, TrackerError
from gcs.core.tracking.registry import TrackerSpec
from gcs.core.tracking.types import TrackedTarget, TrackState
from gcs.core.vehicle import offboard
from gcs.core.vehicle.commander import Commander
from gcs.core.video import CaptureStats, Consumer, EncodedFrame, FanoutStats, RecorderStatus
from gcs.core.video.h264 import PacketSink
from gcs.core.video_out import VideoOutStatus
from gcs.core.vision import VisionPipeline

SMART_TRACKER = "smart"
SMART_CLICK_WAIT_S = 1.5  # longest a smart click waits for the next frame's detections to decide
log = logging.getLogger(__name__)


def videos_dir() -> Path:
    return data_dir() / "videos"


class VisionFacade:
    """Mixed into GcsService, which sets ``vision``, ``commander`` and the helpers used here."""

    vision: VisionPipeline
    config: ConfigStore
    commander: Commander
    _run_command: Callable[[str, Callable[[], CommandResult]], CommandResult]
    _vehicle: Callable[[int | None], Any]
    _refuse_unless: Callable[..., None]
    add_session_video: Callable[..., None]

    # ---- video -------------------------------------------------------------------------------

    def start_video(self, source: str | None = None) -> dict[str, Any]:
        """(Re)open the video source (default: config video.source); returns its health."""
        self.vision.start(source)
        return self.vision.video_health()

    @property
    def video_running(self) -> bool:
        return self.vision.running

    def video_health(self) -> dict[str, Any]:
        return self.vision.video_health()

    def reconnect_video(self) -> None:
        self.vision.reconnect_video()

    def video_snapshot(self) -> EncodedFrame | None:
        return self.vision.snapshot()

    def video_stats(self) -> tuple[CaptureStats, FanoutStats]:
        return self.vision.capture_stats(), self.vision.encoder_stats()

    def subscribe_video(self, quality: int | None = None) -> Consumer:
        """A JPEG consumer sharing the one encode per frame with every other viewer."""
        return self.vision.subscribe_jpeg(quality)

    def unsubscribe_video(self, consumer: Consumer) -> None:
        self.vision.unsubscribe_jpeg(consumer)

    def latest_frame(self) -> Any:
        return self.vision.latest_frame()

    def video_out_status(self) -> VideoOutStatus | None:
        """The H.264 RTP stream (config video.rtp_*): on or not, where to, why not; None without video."""
        return self.vision.video_out_status()

    def video_out_sdp(self) -> str | None:
        """The RTP stream's SDP (also <data dir>/video_out.sdp) for VLC or ffplay; None until it runs."""
        return self.vision.video_out_sdp()

    def add_h264_output(self, sink: PacketSink) -> None:
        """Attach an output to the one H.264 encoder (every output gets the same packets); the
        sink is called on the encoder thread and must not block. VideoError without video/H.264."""
        self.vision.add_h264_output(sink)

    def remove_h264_output(self, sink: PacketSink) -> None:
        self.vision.remove_h264_output(sink)

    def request_keyframe(self) -> None:
        """Make the next H.264 frame a keyframe (for a receiver that lost packets)."""
        self.vision.request_keyframe()

    # ---- recording ---------------------------------------------------------------------------

    def start_video_recording(self, path: str | None = None) -> RecorderStatus:
        """Record the video (default: <data dir>/videos/<time>.mp4) and attach it to the active
        vehicle's flight session when one is being recorded."""
        target = Path(path) if path else videos_dir() / time.strftime("%Y-%m-%d_%H-%M-%S.mp4")
        target.parent.mkdir(parents=True, exist_ok=True)
        status = self.vision.start_recording(target)
        try:
            self.add_session_video(str(target))
        except RecordingError as exc:
            log.info("video %s not attached to a session: %s", target, exc)
        return status

    def stop_video_recording(self) -> RecorderStatus:
        return self.vision.stop_recording()

    def video_recording_status(self) -> RecorderStatus | None:
        return self.vision.recording_status()

    # ---- tracking ----------------------------------------------------------------------------

    def start_tracking(
        self, x: float, y: float, width: float | None = None, height: float | None = None, *, normalised: bool = False
    ) -> TrackedTarget:
        """Track the box (x, y, width, height), or a box grown around the click (x, y)."""
        if width is None or height is None:
            if normalised:
                frame = self.vision.latest_frame()
                if frame is not None:
                    x, y = x * frame.image.shape[1], y * frame.image.shape[0]
            self.vision.start_tracking_click(x, y)
        else:
            self.vision.start_tracking_box(x, y, width, height, normalised=normalised)
        return self.vision.tracked_target()

    def stop_tracking(self) -> None:
        self.vision.stop_tracking()

    def tracker_specs(self) -> tuple[TrackerSpec, ...]:
        return self.vision.tracker_specs()

    def switch_tracker(self, name: str, **params: object) -> str:
        return self.vision.switch_tracker(name, **params)

    def tracker_data(self) -> TrackedTarget:
        return self.vision.tracked_target()

    @property
    def smart_mode(self) -> bool:
        """True while the YOLO detector-backed tracker ("smart") is the active one."""
        return self.vision.tracker_name.lower() == SMART_TRACKER

    def set_smart_mode(self, enabled: bool) -> str:
        """Switch between smart mode and the configured classic tracker; returns the tracker's name.

        A missing model or detector backend raises TrackerError with the reason; the classic
        tracker stays in use and nothing else is affected.
        """
        classic = self.config.current.tracking.tracker
        if enabled:
            self.vision.preload_smart()
        return self.vision.switch_tracker(SMART_TRACKER if enabled else classic)

    def toggle_smart_mode(self) -> bool:
        self.set_smart_mode(not self.smart_mode)
        return self.smart_mode

    def smart_click(self, x: float, y: float, *, normalised: bool = False,
                    wait_s: float = SMART_CLICK_WAIT_S) -> TrackedTarget:
        """Select the detection under a click and say what came of it (smart mode is switched on first).

        The click is tried on the next frame's detections; this waits up to ``wait_s`` for that and
        returns the LOCKED target, or raises SelectionRefused with the reason ("no detected object
        under the click at (320, 240) or within 24 px ..."). Only when no frame was processed in
        time (a stalled source) does it return the target as it stands, still pending.
        """
        if not self.smart_mode:
            self.set_smart_mode(True)
        if normalised:
            frame = self.vision.latest_frame()
            if frame is None:
                raise TrackerError("no video frame yet: cannot convert a normalised click")
            x, y = x * frame.image.shape[1], y * frame.image.shape[0]
        request = self.vision.start_tracking_click(x, y)
        outcome = self.vision.wait_tracking_started(request, wait_s)
        if outcome is None:
            log.info("smart click at (%.0f, %.0f): no outcome within %.1f s", x, y, wait_s)
            return self.vision.tracked_target()
        if outcome.state is not TrackState.LOCKED:
            why = outcome.reason.removeprefix("could not start: ")
            raise SelectionRefused(why)
        return outcome

    # ---- following ---------------------------------------------------------------------------

    def follower_profiles(self) -> tuple[ProfileSpec, ...]:
        return self.vision.follower_profiles()

    def switch_follower_profile(self, name: str) -> str:
        self.vision.follow.set_profile(name)
        return self.vision.follow.profile

    def follower_data(self) -> FollowerStatus:
        return self.vision.follower_status()

    def start_following(self, system_id: int | None = None) -> CommandResult:
        """Enter offboard/guided (stream first on PX4) and let the tracker's target drive it.

        Refused (CommandRejected, HTTP 409) with the reason unless the vehicle flies with a GPS fix
        and a good estimate, the battery is not critical and the target is LOCKED
        (``availability.decide``): following nothing must never switch a vehicle to OFFBOARD.
        """
        vehicle = self._vehicle(system_id)

        def action() -> CommandResult:
            self._refuse_unless("follow_start", vehicle)
            result = offboard.start_offboard(self.commander, vehicle)
            self.vision.follow.enable()
            return CommandResult(result.command, True, result.result, f"following with {self.vision.follow.profile}")

        return self._run_command("FOLLOW", action)

    def stop_following(self, reason: str = "operator stop") -> CommandResult:
        """Stop following and hold where the vehicle is."""
        self.vision.follow.disable(reason)
        vehicle = self.commander.engaged_vehicle or self._vehicle(None)
        return self._run_command("STOP_FOLLOW", lambda: offboard.stop_offboard(self.commander, vehicle, reason))
