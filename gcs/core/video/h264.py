"""Encode once to H.264 for every video output: the RTP stream QGroundControl plays, the recording.

One thread, owned here, takes the newest frame of the capture (like the JPEG fan-out and the
tracker, it never makes the capture wait: a frame it was too slow for is skipped and counted),
draws the overlay on a copy, converts to I420 and encodes it with FFmpeg's libx264 through PyAV.
Every output gets the very same access unit. Nothing is encoded while no output is attached.

The encoder is tuned for latency, not for size: ``tune=zerolatency`` (no lookahead, no frame
reordering, sliced threads), no B-frames, so each frame comes out as one packet at once; a
keyframe every ``keyframe_interval_s`` (1 s) with SPS/PPS in band before each, so a receiver that
joins late (QGC started after us) shows a picture within a second; and a forced keyframe whenever
an output is attached, so a recording starts on a whole picture. Periodic IDR frames rather than
intra refresh: an MP4 needs them to seek, and every decoder we tried starts on one.

Timestamps are the capture's monotonic clock on the 90 kHz RTP clock, so a stream or recording
keeps the real timing of a live source whose rate wanders.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol

import cv2
import numpy as np

from gcs.core.video.encoder import FrameProvider
from gcs.core.video.errors import VideoError
from gcs.core.video.frames import Frame, Image

PYAV_MISSING: str | None = None  # why H.264 cannot be used here, or None
try:  # PyAV is a dependency, but a recording must still work (as mp4v) where it failed to install
    import av
    import av.error
    from av.video.frame import PictureType
except ImportError as _exc:  # pragma: no cover - exercised only on a broken install
    PYAV_MISSING = f"PyAV is not installed ({_exc})"

log = logging.getLogger(__name__)

Overlay = Callable[[Image, Frame], None]  # draws onto a writable copy of the frame's image
CLOCK_HZ = 90_000  # RTP's video clock, used for every timestamp here
TIME_BASE = Fraction(1, CLOCK_HZ)
PRESETS = ("ultrafast", "superfast", "veryfast")
_REOPEN_AFTER_S = 1.0


def h264_available() -> bool:
    """True when PyAV with an H.264 encoder (libx264) can be used."""
    if PYAV_MISSING is not None:
        return False
    try:
        av.codec.Codec("libx264", "w")
    except (av.error.FFmpegError, ValueError):  # UnknownCodecError is a ValueError
        return False
    return True


@dataclass(frozen=True)
class H264Settings:
    """How the one H.264 encode is made (config ``video.h264_*``)."""

    bitrate_kbps: int = 2000  # ceiling (VBV max rate); quality is CRF 23 under it
    preset: str = "ultrafast"
    keyframe_interval_s: float = 1.0
    crf: int = 23


@dataclass(frozen=True, eq=False)
class H264Packet:
    """One encoded frame (Annex B; a keyframe carries SPS and PPS first); shared by every output."""

    data: bytes
    keyframe: bool
    pts: int  # on the 90 kHz clock, from the capture's monotonic time
    seq: int
    capture_time_s: float
    monotonic_s: float
    width: int
    height: int


class PacketSink(Protocol):
    """An output of the encoder; called on the encoder thread, so it must not block for long."""

    @property
    def name(self) -> str: ...

    def write(self, packet: H264Packet) -> None:
        """Send or store one packet; raise VideoError to be detached (the others go on)."""
        ...

    def end(self, reason: str, failed: bool) -> None:
        """The encoder detached this output: the source ended, the encoder stopped, or write failed."""
        ...


@dataclass(frozen=True)
class H264Stats:
    frames_encoded: int
    frames_dropped: int  # frames captured while outputs were attached that the encoder skipped
    keyframes: int
    bytes_encoded: int
    encode_ms: float  # smoothed, overlay + colour conversion + encode of one frame
    width: int
    height: int
    outputs: tuple[str, ...]
    last_error: str | None = None  # the last output or encoder failure, while it matters


@dataclass
class _Counters:
    encoded: int = 0
    dropped: int = 0
    keyframes: int = 0
    bytes: int = 0
    encode_s: float = 0.0
    size: tuple[int, int] = (0, 0)
    last_error: str | None = None
    pending: dict[int, Frame] = field(default_factory=dict)  # pts -> frame, until its packet is out


class H264Encoder:
    """A thread that H.264-encodes each new frame of ``capture`` once for all attached outputs."""

    def __init__(self, capture: FrameProvider, settings: H264Settings | None = None, *,
                 overlay: Overlay | None = None) -> None:
        if PYAV_MISSING is not None:
            raise VideoError(f"cannot encode H.264: {PYAV_MISSING}")
        self.settings = settings or H264Settings()
        if self.settings.preset not in PRESETS:
            raise VideoError(f"H.264 preset must be one of {PRESETS}, not {self.settings.preset!r}")
        self._capture = capture
        self.overlay = overlay
        self._cond = threading.Condition()
        self._outputs: list[PacketSink] = []
        self._force_keyframe = False
        self._c = _Counters()
        self._codec: Any = None
        self._t0: float | None = None
        self._last_pts = -1
        self._reopen_at = 0.0  # after a failed encode: not before this (monotonic), so no 30 Hz error log
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- lifecycle ----------------------------------------------------------------------------

    def start(self) -> H264Encoder:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="h264-encoder", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout_s: float = 2.0) -> None:
        """Stop the thread; every output still attached hears ``end("encoder stopped")``."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout_s)
        self._end_all("the encoder stopped", failed=False)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ---- outputs ------------------------------------------------------------------------------

    def add_output(self, sink: PacketSink) -> None:
        """Attach ``sink``; the next frame is encoded as a keyframe so it starts on a picture."""
        if self._stop.is_set():
            raise VideoError("the H.264 encoder has stopped")
        with self._cond:
            if sink not in self._outputs:
                self._outputs.append(sink)
            self._force_keyframe = True
            self._cond.notify_all()

    def remove_output(self, sink: PacketSink) -> bool:
        """Detach ``sink`` (its ``end`` is not called: the caller closes it); False if not attached."""
        with self._cond:
            if sink not in self._outputs:
                return False
            self._outputs.remove(sink)
            return True

    def request_keyframe(self) -> None:
        """Encode the next frame as a keyframe (a WebRTC receiver's picture-loss indication)."""
        with self._cond:
            self._force_keyframe = True

    def outputs(self) -> tuple[PacketSink, ...]:
        with self._cond:
            return tuple(self._outputs)

    def stats(self) -> H264Stats:
        with self._cond:
            c = self._c
            return H264Stats(c.encoded, c.dropped, c.keyframes, c.bytes, c.encode_s * 1e3, c.size[0], c.size[1],
                             tuple(o.name for o in self._outputs), c.last_error)

    # ---- encoder thread -----------------------------------------------------------------------

    def _run(self) -> None:
        last_seq, active = 0, False
        while not self._stop.is_set():
            with self._cond:
                if not self._outputs:
                    active = False
                self._cond.wait_for(lambda: bool(self._outputs) or self._stop.is_set())
            if self._stop.is_set():
                break
            frame = self._capture.wait_newer(last_seq, timeout=0.25)
            if frame is None:
                if self._capture.finished:
                    self._end_all("the source has ended", failed=False)
                continue
            if active and frame.seq > last_seq + 1:
                with self._cond:
                    self._c.dropped += frame.seq - last_seq - 1
            last_seq, active = frame.seq, True
            for packet in self._encode(frame):
                self._deliver(packet)
        self._codec = None

    def _encode(self, frame: Frame) -> list[H264Packet]:
        started = time.perf_counter()
        if self._codec is None and time.monotonic() < self._reopen_at:
            return []
        try:
            codec = self._codec or self._open(frame)
            image = self._picture(frame, codec.width, codec.height)
            yuv = np.asarray(cv2.cvtColor(image, cv2.COLOR_BGR2YUV_I420), dtype=np.uint8)
            video_frame = av.VideoFrame.from_ndarray(yuv, format="yuv420p")
            if self._t0 is None:
                self._t0 = frame.monotonic_s
            pts = max(self._last_pts + 1, round((frame.monotonic_s - self._t0) * CLOCK_HZ))
            self._last_pts = pts
            video_frame.pts, video_frame.time_base = pts, TIME_BASE
            with self._cond:
                force, self._force_keyframe = self._force_keyframe, False
                self._c.pending[pts] = frame
            if force:
                video_frame.pict_type = PictureType.I
            encoded = codec.encode(video_frame)
        except (av.error.FFmpegError, cv2.error, ValueError) as exc:
            log.error("H.264 encode of frame %d failed: %s", frame.seq, exc)
            with self._cond:
                self._c.last_error = f"H.264 encode failed: {exc}"
                self._c.pending.clear()
            self._codec = None  # reopen in a second
            self._reopen_at = time.monotonic() + _REOPEN_AFTER_S
            return []
        spent = time.perf_counter() - started
        packets = []
        with self._cond:
            c = self._c
            for p in encoded:
                source = c.pending.pop(int(p.pts), frame) if p.pts is not None else frame
                data = bytes(p)
                packets.append(H264Packet(data, bool(p.is_keyframe), int(p.pts if p.pts is not None else pts),
                                          source.seq, source.capture_time_s, source.monotonic_s,
                                          codec.width, codec.height))
                c.encoded += 1
                c.keyframes += int(p.is_keyframe)
                c.bytes += len(data)
            c.encode_s = spent if c.encoded <= 1 else c.encode_s + 0.1 * (spent - c.encode_s)
            if len(c.pending) > 8:  # an encoder that swallowed frames: do not grow forever
                c.pending.clear()
        return packets

    def _open(self, frame: Frame) -> Any:
        """Open libx264 at the first frame's size (even dimensions, as 4:2:0 needs)."""
        width, height = frame.width - frame.width % 2, frame.height - frame.height % 2
        info = self._capture.stats()
        fps = info.nominal_fps or info.fps or 30.0
        s = self.settings
        codec = av.CodecContext.create("libx264", "w")
        codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
        codec.time_base = TIME_BASE
        codec.framerate = Fraction(round(fps * 1000), 1000)
        codec.options = {
            "preset": s.preset, "tune": "zerolatency", "bf": "0",
            "g": str(max(1, round(fps * s.keyframe_interval_s))), "forced-idr": "1",
            "crf": str(s.crf), "maxrate": f"{s.bitrate_kbps}k", "bufsize": f"{max(1, s.bitrate_kbps // 2)}k",
        }
        codec.open()
        with self._cond:
            self._c.size = (width, height)
            self._force_keyframe = True
        self._codec = codec
        log.info("H.264 encoder open: %dx%d @ %.1f fps, %s, <= %d kbit/s, keyframe every %.1f s",
                 width, height, fps, s.preset, s.bitrate_kbps, s.keyframe_interval_s)
        return codec

    def _picture(self, frame: Frame, width: int, height: int) -> Image:
        """The frame at the encoder's size with the overlay drawn, on a copy (frames are shared)."""
        image = frame.image
        if (frame.width, frame.height) != (width, height):  # reopened at another size, or odd
            image = np.asarray(cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA), dtype=np.uint8)
        if self.overlay is not None:
            image = image.copy() if image is frame.image else image
            self.overlay(image, frame)
        return image

    def _deliver(self, packet: H264Packet) -> None:
        for sink in self.outputs():
            try:
                sink.write(packet)
            except VideoError as exc:
                log.warning("video output %s failed and is detached: %s", sink.name, exc)
                with self._cond:
                    self._c.last_error = f"{sink.name}: {exc}"
                if self.remove_output(sink):
                    self._end(sink, str(exc), failed=True)

    def _end_all(self, reason: str, *, failed: bool) -> None:
        with self._cond:
            sinks, self._outputs = self._outputs, []
        for sink in sinks:
            self._end(sink, reason, failed=failed)

    @staticmethod
    def _end(sink: PacketSink, reason: str, *, failed: bool) -> None:
        try:
            sink.end(reason, failed)
        except VideoError as exc:
            log.warning("closing video output %s: %s", sink.name, exc)
