"""Turn a source spec string into something that opens, reads frames and closes.

Spec forms (what a pilot types in the settings or passes on the command line)::

    "0", "/dev/video2"                 a camera (index or V4L2 device)
    "clip.mp4", "file:///x/clip.avi"   a file: paced at its own fps, looped or stopped at the end
    "rtsp://...", "udp://@:5600",      a network stream through OpenCV's FFmpeg backend, with an
    "http://host/stream.mjpg"          open and a read timeout so a dead URL cannot hang a thread
    "udpsrc port=5600 ! ... ! appsink" a GStreamer pipeline (only if OpenCV was built with it)
    "virtual", "virtual?seed=3&tilt_deg=60"  the simulated camera (see virtual_source.py)

Every source is used by exactly one thread (the capture worker's), so none of them locks.
`open()` raises `VideoError` with a message a person can act on; `read()` never raises: it
returns None when no frame came, and `ended` tells a finished file from a stalled stream.
"""

from __future__ import annotations

import abc
import functools
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import cv2
import numpy as np

from gcs.core.models import VehicleState
from gcs.core.video.errors import VideoError
from gcs.core.video.frames import Image, SourceInfo

log = logging.getLogger(__name__)

PoseProvider = Callable[[], VehicleState | None]

URL_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https", "udp", "tcp", "rtp", "srt"})
_DEVICE_RE = re.compile(r"^/dev/video\d+$")
_DEFAULT_FILE_FPS = 30.0


@dataclass(frozen=True)
class SourceOptions:
    """What the user asks of a source; each backend applies what it can and reports the rest."""

    width: int | None = None
    height: int | None = None
    fps: float | None = None
    loop: bool = True  # files: start again at the end instead of stopping
    speed: float = 1.0  # files: playback speed; math.inf decodes as fast as possible
    open_timeout_s: float = 5.0  # network streams and pipelines
    read_timeout_s: float = 3.0


class VideoSource(Protocol):
    """The capture worker's view of any source."""

    @property
    def spec(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def ended(self) -> bool:
        """True once a non-looping file has delivered its last frame."""
        ...

    def open(self) -> SourceInfo: ...

    def read(self) -> Image | None: ...

    def close(self) -> None: ...


@functools.cache
def gstreamer_available() -> bool:
    """Whether this OpenCV build has the GStreamer video backend."""
    match = re.search(r"GStreamer:\s*(\w+)", cv2.getBuildInformation())
    return bool(match and match.group(1).upper() == "YES")


def as_bgr(image: Any) -> Image | None:
    """Normalise what a backend delivered to HxWx3 uint8 BGR (or None if it is not a picture)."""
    if not isinstance(image, np.ndarray) or image.size == 0:
        return None
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    elif image.ndim == 3 and image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        return None
    result: Image = image
    return result


class _OpenCvSource(abc.ABC):
    """Common open/read/close over a cv2.VideoCapture; subclasses say how to construct it."""

    kind = "opencv"

    def __init__(self, spec: str, options: SourceOptions) -> None:
        self._spec = spec
        self._options = options
        self._cap: cv2.VideoCapture | None = None
        self._pending: Image | None = None  # first frame, read in open() to learn the real size
        self._ended = False

    @property
    def spec(self) -> str:
        return self._spec

    @property
    def ended(self) -> bool:
        return self._ended

    @abc.abstractmethod
    def _create(self) -> cv2.VideoCapture:
        """Open the backend-specific VideoCapture (each source kind knows its own)."""

    def _nominal_fps(self, reported: float | None) -> float | None:
        return self._options.fps or reported

    def open(self) -> SourceInfo:
        self.close()
        self._ended = False
        try:
            cap = self._create()
        except cv2.error as exc:
            raise VideoError(f"OpenCV refused {self.kind} source {self._spec!r}: {exc}") from exc
        if not cap.isOpened():
            cap.release()
            raise VideoError(f"cannot open {self.kind} source {self._spec!r}")
        first = self._grab(cap)
        if first is None:
            cap.release()
            raise VideoError(f"{self.kind} source {self._spec!r} opened but delivered no frame")
        self._cap, self._pending = cap, first
        reported = cap.get(cv2.CAP_PROP_FPS)
        reported_fps = reported if 0.5 < reported < 1000 else None
        count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        info = SourceInfo(
            spec=self._spec,
            kind=self.kind,
            backend=cap.getBackendName(),
            width=int(first.shape[1]),
            height=int(first.shape[0]),
            nominal_fps=self._nominal_fps(reported_fps),
            reported_fps=reported_fps,
            frame_count=count if count > 0 and self.kind == "file" else None,
            live=self.kind != "file",
        )
        self._opened(info)
        log.info("opened %s %s: %dx%d via %s, nominal fps %s", self.kind, self._spec,
                 info.width, info.height, info.backend, info.nominal_fps)
        return info

    def _opened(self, info: SourceInfo) -> None:  # noqa: B027 - an optional hook, not abstract
        """Hook for subclasses that need the delivered figures (file pacing)."""

    def read(self) -> Image | None:
        if self._pending is not None:
            image, self._pending = self._pending, None
            return image
        if self._cap is None or self._ended:
            return None
        return self._grab(self._cap)

    @staticmethod
    def _grab(cap: cv2.VideoCapture) -> Image | None:
        try:
            ok, image = cap.read()
        except cv2.error as exc:
            log.warning("read failed: %s", exc)
            return None
        return as_bgr(image) if ok else None

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._pending = None


class CameraSource(_OpenCvSource):
    """A local camera by index or V4L2 device path; size and rate are requested from the driver."""

    kind = "camera"

    def _create(self) -> cv2.VideoCapture:
        o = self._options
        device: int | str = int(self._spec) if self._spec.isdigit() else self._spec
        api = cv2.CAP_V4L2 if isinstance(device, str) else cv2.CAP_ANY
        cap = cv2.VideoCapture(device, api)
        if cap.isOpened():
            for prop, value in ((cv2.CAP_PROP_FRAME_WIDTH, o.width), (cv2.CAP_PROP_FRAME_HEIGHT, o.height),
                                (cv2.CAP_PROP_FPS, o.fps)):
                if value and not cap.set(prop, float(value)):
                    log.info("camera %s ignored property %d=%s", self._spec, prop, value)
        return cap


class UrlSource(_OpenCvSource):
    """rtsp/http(s) MJPEG/udp/... through FFmpeg; timeouts bound every open and read."""

    kind = "url"

    def _create(self) -> cv2.VideoCapture:
        o = self._options
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(o.open_timeout_s * 1000),
                  cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(o.read_timeout_s * 1000)]
        return cv2.VideoCapture(self._spec, cv2.CAP_FFMPEG, params)

    def _nominal_fps(self, reported: float | None) -> float | None:
        # FFmpeg's mpjpeg demuxer has no rate and reports a placeholder 25: trust only the user.
        if urlsplit(self._spec).scheme in ("http", "https"):
            return self._options.fps
        return self._options.fps or reported


class GStreamerSource(_OpenCvSource):
    """A user-written GStreamer pipeline ending in appsink (caps in the pipeline set the size)."""

    kind = "gstreamer"

    def _create(self) -> cv2.VideoCapture:
        o = self._options
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(o.open_timeout_s * 1000),
                  cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(o.read_timeout_s * 1000)]
        return cv2.VideoCapture(self._spec, cv2.CAP_GSTREAMER, params)


class FileSource(_OpenCvSource):
    """A recorded clip played at its own frame rate (times `speed`), looped or stopped at the end.

    The end is whatever the decoder says, never the header's frame count: some files declare
    hundreds of frames they do not hold.
    """

    kind = "file"

    def __init__(self, spec: str, options: SourceOptions) -> None:
        super().__init__(spec, options)
        self._period_s = 0.0
        self._due = 0.0
        self.loops = 0

    def _create(self) -> cv2.VideoCapture:
        cap = cv2.VideoCapture(self._spec, cv2.CAP_FFMPEG)
        if not cap.isOpened():
            cap = cv2.VideoCapture(self._spec, cv2.CAP_ANY)
        return cap

    def _nominal_fps(self, reported: float | None) -> float | None:
        speed = self._options.speed
        if math.isinf(speed) or speed <= 0:
            return None
        return (reported or _DEFAULT_FILE_FPS) * speed

    def _opened(self, info: SourceInfo) -> None:
        self._period_s = 1.0 / info.nominal_fps if info.nominal_fps else 0.0
        self._due = time.monotonic()

    def read(self) -> Image | None:
        image = super().read()
        if image is None and self._cap is not None and not self._ended:
            image = self._rewind() if self._options.loop else None
            if image is None:
                self._ended = True
                log.info("file %s ended", self._spec)
                return None
        if image is not None:
            self._pace()
        return image

    def _rewind(self) -> Image | None:
        assert self._cap is not None
        self.loops += 1
        try:
            rewound = self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        except cv2.error:
            rewound = False
        image = self._grab(self._cap) if rewound else None
        if image is None:  # some containers cannot seek: reopen instead
            try:
                self.open()
            except VideoError as exc:
                log.warning("cannot restart %s: %s", self._spec, exc)
                return None
            return super().read()
        return image

    def _pace(self) -> None:
        if self._period_s <= 0:
            return
        now = time.monotonic()
        if self._due > now:
            time.sleep(self._due - now)
            self._due += self._period_s
        else:  # late (slow decode or consumer): do not burst to catch up
            self._due = now + self._period_s


def parse_source(spec: str | int, options: SourceOptions | None = None, *,
                 pose_provider: PoseProvider | None = None) -> VideoSource:
    """Build the source a spec names; raise VideoError for a spec that can never work."""
    options = options or SourceOptions()
    text = str(spec).strip()
    if not text:
        raise VideoError("empty video source spec")
    if text == "virtual" or text.startswith("virtual?"):
        from gcs.core.video.virtual_source import virtual_source  # only then load the simulator

        return virtual_source(text, options, pose_provider)
    if text.isdigit() or _DEVICE_RE.match(text):
        return CameraSource(text, options)
    if "!" in text or text.startswith(("gst:", "gstreamer:")):
        pipeline = text.split(":", 1)[1].strip() if text.startswith(("gst:", "gstreamer:")) else text
        if not gstreamer_available():
            raise VideoError("this OpenCV build has no GStreamer support (cv2.getBuildInformation() "
                             "says 'GStreamer: NO'); use an rtsp://, udp:// or http:// URL instead, "
                             "which OpenCV reads through FFmpeg, or install an OpenCV built with it")
        return GStreamerSource(pipeline, options)
    scheme = urlsplit(text).scheme.lower() if "://" in text else ""
    if scheme == "file":
        text, scheme = unquote(urlsplit(text).path), ""
    if scheme:
        if scheme not in URL_SCHEMES:
            raise VideoError(f"unsupported stream scheme {scheme!r} in {text!r}; "
                             f"use one of {sorted(URL_SCHEMES)}")
        return UrlSource(text, options)
    path = Path(text).expanduser()
    if not path.is_file():
        raise VideoError(f"no such video file: {path}")
    return FileSource(str(path), options)
