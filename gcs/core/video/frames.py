"""Value types that cross threads in the video core: frames, encoded frames and health events.

A `Frame` is handed from the capture thread to any number of consumers (display, tracker,
encoder, recorder) without copying, so its pixel array is made read-only: a consumer that wants
to draw on it copies first. Everything here is frozen for the same reason.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, eq=False)
class Frame:
    """One captured picture (BGR, HxWx3 uint8), numbered per capture worker from 1."""

    image: Image
    seq: int
    capture_time_s: float  # wall clock (time.time()) so a recording lines up with a tlog
    monotonic_s: float  # time.monotonic() at capture, for ages and rates
    source: str
    width: int
    height: int

    @classmethod
    def create(cls, image: Image, seq: int, source: str, capture_time_s: float | None = None) -> Frame:
        """Stamp a freshly captured image; freezes the array so sharing it is safe."""
        image.flags.writeable = False
        h, w = image.shape[:2]
        wall = time.time() if capture_time_s is None else capture_time_s
        return cls(image, seq, wall, time.monotonic(), source, int(w), int(h))

    def age_s(self, now_monotonic: float | None = None) -> float:
        """Seconds since capture on the monotonic clock."""
        return (time.monotonic() if now_monotonic is None else now_monotonic) - self.monotonic_s


@dataclass(frozen=True, eq=False)
class EncodedFrame:
    """One JPEG of one frame at one quality; the very same object goes to every consumer."""

    jpeg: bytes
    seq: int
    capture_time_s: float
    monotonic_s: float
    quality: int
    width: int
    height: int
    encode_time_s: float


class VideoHealth(enum.StrEnum):
    """What a pilot needs to know about a video source at a glance."""

    OK = "ok"  # frames arrive at about the nominal rate
    DEGRADED = "degraded"  # no frame for a while, or far fewer frames than nominal
    RECONNECTING = "reconnecting"  # opening or reopening the source (with backoff)
    STOPPED = "stopped"  # not started, stopped, or a file ended with looping off


@dataclass(frozen=True)
class HealthEvent:
    """One change of health, published on the bus topic ``video.health``."""

    state: VideoHealth
    reason: str
    time_s: float  # wall clock
    source: str = ""


@dataclass(frozen=True)
class SourceInfo:
    """What an opened source actually delivers (not what was asked for)."""

    spec: str
    kind: str  # camera / file / url / gstreamer / virtual
    backend: str  # OpenCV backend name, or "virtual"
    width: int
    height: int
    nominal_fps: float | None  # the rate we expect frames at; None when nobody can know
    reported_fps: float | None = None  # what the backend claims (may be a guess, e.g. MJPEG)
    frame_count: int | None = None  # files only, as the header declares it (may lie)
    live: bool = True  # False for files: a read failure there means end of file


@dataclass(frozen=True)
class CaptureStats:
    """Counters of one capture worker since start."""

    captured: int
    dropped: int  # frames replaced in the slot before any consumer took them
    fps: float  # measured over the last couple of seconds
    nominal_fps: float | None
    width: int | None
    height: int | None
    reconnects: int
    health: VideoHealth
    last_frame_age_s: float | None
    last_error: str | None = None  # why the last open or read failed, while it matters
