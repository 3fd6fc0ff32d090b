"""An H.264 recording (MP4, MOV or MKV) written from the shared encoder's packets, not re-encoded.

The file starts on a keyframe (the encoder forces one when an output is attached) and takes every
packet after it; ``on_written`` hears each packet once it is in the file, which is where the
recorder writes that frame's sidecar row, so the sidecar and the file always hold the same frames.
FFmpeg's muxer takes SPS/PPS from the first keyframe for the file header (``avcC``); timestamps
are the capture's, so a live source's uneven rate plays back at its real pace.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from gcs.core.video.errors import VideoError
from gcs.core.video.h264 import PYAV_MISSING, TIME_BASE, H264Packet

if PYAV_MISSING is None:
    import av
    import av.error

log = logging.getLogger(__name__)

SUFFIXES = frozenset({".mp4", ".m4v", ".mov", ".mkv"})  # containers H.264 goes into as is
_FORMATS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska"}

EndListener = Callable[[str, bool], None]  # (reason, failed)


class H264FileOutput:
    """One recording file fed by :class:`~gcs.core.video.h264.H264Encoder`."""

    def __init__(self, path: Path, *, fps: float, size: tuple[int, int],
                 on_written: Callable[[H264Packet], None], on_end: EndListener) -> None:
        if PYAV_MISSING is not None:
            raise VideoError(f"cannot record H.264: {PYAV_MISSING}")
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            raise VideoError(f"H.264 recordings go into {sorted(SUFFIXES)} files, not {suffix!r}")
        self.path = path
        self._on_written = on_written
        self._on_end = on_end
        self._lock = threading.Lock()
        self._closed = False
        self._first_pts: int | None = None
        self.frames = 0
        try:
            path.open("wb").close()  # FFmpeg opens the file at the first packet: fail here instead
        except OSError as exc:
            raise VideoError(f"cannot record to {path}: {exc}") from exc
        try:
            self._container: Any = av.open(str(path), "w", format=_FORMATS[suffix])
            self._stream: Any = self._container.add_mux_stream(
                "h264", rate=Fraction(round(fps * 1000), 1000), width=size[0], height=size[1])
            self._stream.time_base = TIME_BASE
        except (av.error.FFmpegError, ValueError) as exc:
            raise VideoError(f"cannot record H.264 to {path}: {exc}") from exc

    @property
    def name(self) -> str:
        return f"file:{self.path.name}"

    def write(self, packet: H264Packet) -> None:
        with self._lock:
            if self._closed:
                return
            if self._first_pts is None:
                if not packet.keyframe:
                    return  # frames before the first keyframe cannot be decoded: not in the file
                self._first_pts = packet.pts
            out = av.Packet(packet.data)
            out.pts = out.dts = packet.pts - self._first_pts
            out.time_base = TIME_BASE
            out.stream = self._stream
            out.is_keyframe = packet.keyframe
            try:
                self._container.mux(out)
            except (av.error.FFmpegError, OSError) as exc:
                raise VideoError(f"recording failed: {exc}") from exc
            self.frames += 1
            self._on_written(packet)

    def end(self, reason: str, failed: bool) -> None:
        """Detached by the encoder: finish the file and tell the recorder why."""
        error = self.close()
        self._on_end(reason if failed or error is None else error, failed or error is not None)

    def close(self) -> str | None:
        """Write the index (an MP4 plays only after this); the error text if that failed."""
        with self._lock:
            if self._closed:
                return None
            self._closed = True
            try:
                self._container.close()
            except (av.error.FFmpegError, OSError) as exc:
                log.error("finishing recording %s failed: %s", self.path, exc)
                return f"recording failed: {exc}"
        log.info("recording %s finished: %d H.264 frames", self.path, self.frames)
        return None
