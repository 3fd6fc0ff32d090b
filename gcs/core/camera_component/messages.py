"""The MAVLink messages a camera component sends, built from what the program knows right now.

Pure functions over a :class:`CameraView` snapshot, so the exact bytes QGroundControl reads are
tested without threads or sockets. The meanings follow the MAVLink camera protocol
(mavlink.io/en/services/camera.html) and what QGC's VehicleCameraControl reads: CAMERA_INFORMATION
flags decide whether QGC shows video and tracking at all, VIDEO_STREAM_INFORMATION's type and URI
tell it what to open, CAMERA_TRACKING_IMAGE_STATUS with status ACTIVE and mode RECTANGLE makes it
draw ``rec_top_* .. rec_bottom_*`` (normalised 0..1) over its video.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from gcs.core.mavlink_env import mavlink
from gcs.core.tracking.types import TrackedTarget, TrackState

VENDOR = "Kestrel GCS"
MODEL = "Kestrel tracker"
CAMERA_FLAGS = (
    mavlink.CAMERA_CAP_FLAGS_HAS_VIDEO_STREAM
    | mavlink.CAMERA_CAP_FLAGS_HAS_TRACKING_POINT
    | mavlink.CAMERA_CAP_FLAGS_HAS_TRACKING_RECTANGLE
)
STATUS_IDLE = mavlink.CAMERA_TRACKING_STATUS_FLAGS_IDLE
STATUS_ACTIVE = mavlink.CAMERA_TRACKING_STATUS_FLAGS_ACTIVE
STATUS_ERROR = mavlink.CAMERA_TRACKING_STATUS_FLAGS_ERROR
MODE_NONE = mavlink.CAMERA_TRACKING_MODE_NONE
MODE_POINT = mavlink.CAMERA_TRACKING_MODE_POINT
MODE_RECTANGLE = mavlink.CAMERA_TRACKING_MODE_RECTANGLE
TARGET_DATA = mavlink.CAMERA_TRACKING_TARGET_DATA_IN_STATUS | mavlink.CAMERA_TRACKING_TARGET_DATA_RENDERED
_STARTED = time.monotonic()


@dataclass(frozen=True)
class StreamDescription:
    """The video stream a MAVLink client is told to open (QGC's default: RTP/H.264 on UDP 5600)."""

    uri: str = "udp://0.0.0.0:5600"
    stream_type: int = mavlink.VIDEO_STREAM_TYPE_RTPUDP
    encoding: int = mavlink.VIDEO_STREAM_ENCODING_H264
    name: str = "Kestrel video"
    bitrate_bps: int = 2_000_000
    hfov_deg: int = 90
    running: bool = True


@dataclass(frozen=True)
class CameraView:
    """What the camera is at one instant: frame size and rate, the stream, the tracker's target."""

    width: int
    height: int
    fps: float
    stream: StreamDescription | None
    target: TrackedTarget | None
    recording: bool = False


def time_boot_ms() -> int:
    return int((time.monotonic() - _STARTED) * 1000) & 0xFFFFFFFF


def _text(value: str, size: int) -> list[int]:
    raw = value.encode()[:size]
    return list(raw) + [0] * (size - len(raw))


def heartbeat() -> mavlink.MAVLink_message:
    """HEARTBEAT as a camera: type CAMERA, autopilot INVALID (how QGC tells cameras from vehicles)."""
    return mavlink.MAVLink_heartbeat_message(
        mavlink.MAV_TYPE_CAMERA, mavlink.MAV_AUTOPILOT_INVALID, 0, 0, mavlink.MAV_STATE_ACTIVE, 3
    )


def camera_information(view: CameraView) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_camera_information_message(
        time_boot_ms(), _text(VENDOR, 32), _text(MODEL, 32), 1, float("nan"), float("nan"), float("nan"),
        view.width, view.height, 0, CAMERA_FLAGS, 0, b"",
    )  # fmt: skip


def camera_settings() -> mavlink.MAVLink_message:
    nan = float("nan")
    return mavlink.MAVLink_camera_settings_message(time_boot_ms(), mavlink.CAMERA_MODE_VIDEO, nan, nan)


def capture_status(view: CameraView) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_camera_capture_status_message(
        time_boot_ms(), 0, 1 if view.recording else 0, 0.0, 0, float("nan"), 0
    )


def storage_information() -> mavlink.MAVLink_message:
    """No storage the client can manage: count 0, status NOT_SUPPORTED."""
    return mavlink.MAVLink_storage_information_message(
        time_boot_ms(), 0, 0, mavlink.STORAGE_STATUS_NOT_SUPPORTED, 0.0, 0.0, 0.0, 0.0, 0.0
    )


def video_stream_information(view: CameraView) -> mavlink.MAVLink_message | None:
    stream = view.stream
    if stream is None:
        return None
    flags = mavlink.VIDEO_STREAM_STATUS_FLAGS_RUNNING if stream.running else 0
    return mavlink.MAVLink_video_stream_information_message(
        1, 1, stream.stream_type, flags, float(view.fps), view.width, view.height, stream.bitrate_bps, 0,
        stream.hfov_deg, stream.name.encode()[:32], stream.uri.encode()[:160], stream.encoding,
    )  # fmt: skip


def video_stream_status(view: CameraView) -> mavlink.MAVLink_message | None:
    stream = view.stream
    if stream is None:
        return None
    flags = mavlink.VIDEO_STREAM_STATUS_FLAGS_RUNNING if stream.running else 0
    return mavlink.MAVLink_video_stream_status_message(
        1, flags, float(view.fps), view.width, view.height, stream.bitrate_bps, 0, stream.hfov_deg
    )


def tracking_image_status(target: TrackedTarget | None, mode: int) -> mavlink.MAVLink_message:
    """ACTIVE with the box (normalised) while LOCKED; ERROR with no box while SEARCHING or LOST
    (QGC must not draw a box the follower would not act on); IDLE when nothing is tracked."""
    nan = float("nan")
    if target is None or target.state is TrackState.IDLE:
        return mavlink.MAVLink_camera_tracking_image_status_message(
            STATUS_IDLE, MODE_NONE, 0, nan, nan, nan, nan, nan, nan, nan
        )
    if not target.is_locked or target.box is None or target.frame_w <= 0 or target.frame_h <= 0:
        return mavlink.MAVLink_camera_tracking_image_status_message(
            STATUS_ERROR, mode, 0, nan, nan, nan, nan, nan, nan, nan
        )
    box, w, h = target.box, float(target.frame_w), float(target.frame_h)

    def clip(v: float) -> float:
        return min(1.0, max(0.0, v))

    cx, cy = box.centre
    radius = clip(math.hypot(box.w, box.h) / 2.0 / w)
    return mavlink.MAVLink_camera_tracking_image_status_message(
        STATUS_ACTIVE, mode, TARGET_DATA,
        clip(cx / w), clip(cy / h), radius,
        clip(box.x / w), clip(box.y / h), clip((box.x + box.w) / w), clip((box.y + box.h) / h),
    )  # fmt: skip


def command_ack(command: int, result: int, target_system: int, target_component: int) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_command_ack_message(command, result, 0, 0, target_system, target_component)


def statustext(text: str, severity: int = mavlink.MAV_SEVERITY_WARNING) -> mavlink.MAVLink_message:
    return mavlink.MAVLink_statustext_message(severity, text.encode()[:50])
